/*
 * macping.h - what the files of macping share: the options, the address
 * spans to sweep, the sweep itself (sweep.c), the kernel's neighbour
 * table (netlink.c) and the vendor registry (oui.c).
 *
 * Ownership: struct spans owns its array (spans_free). A struct oui owns
 * its file and index (oui_close); the strings oui_vendor returns are
 * borrowed from it. struct neigh owns its socket and its entries.
 */
#ifndef MACPING_H
#define MACPING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define M_ICMP	0x1
#define M_TCP	0x2
#define M_ARP	0x4

#define MAXPORTS	16

/* The limit a run crosses only with -F: a /16. */
#define SWEEP_MAX	65536ULL

struct opts {
	int apple_only;		/* -a */
	int force;		/* -F */
	int json;		/* -j */
	int progress;		/* stderr is a terminal and not -q */
	unsigned methods;	/* M_*, what -m asked or what works here */
	int methods_given;	/* -m was given */
	uint16_t ports[MAXPORTS];
	size_t nports;
	int retries;		/* -R */
	long rate;		/* -r, packets per second */
	int64_t timeout_ns;	/* -t */
	const char *file;	/* -f */
};

/* Inclusive address ranges, host byte order; sorted and merged by
 * spans_merge, after which spans_has works. */
struct span {
	uint32_t first, last;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

int spans_add(struct spans *s, uint32_t first, uint32_t last);
void spans_merge(struct spans *s);
uint64_t spans_count(const struct spans *s);
int spans_has(const struct spans *s, uint32_t addr);
void spans_free(struct spans *s);

/* The ICMP socket opened before privileges were dropped. */
enum icmp_kind {
	ICMP_NONE,
	ICMP_RAW,	/* SOCK_RAW: CAP_NET_RAW */
	ICMP_DGRAM	/* SOCK_DGRAM: net.ipv4.ping_group_range */
};

/* A neighbour entry as the kernel reported it. */
struct nent {
	uint32_t addr;		/* host byte order */
	uint8_t mac[6];
	uint16_t state;		/* NUD_* */
	int64_t confirmed_ns;	/* age of the last confirmation */
};

/* The neighbour table, dumped asynchronously through rtnetlink. */
struct neigh {
	int fd;			/* -1 when unavailable */
	uint32_t seq;
	int busy;		/* a dump is under way */
	struct nent *v;		/* the last complete dump, sorted */
	size_t n, cap;
	struct nent *tmp;	/* the dump being read */
	size_t tn, tcap;
	char *buf;
	size_t bufsz;
};

/* Open the rtnetlink socket; -1 with msg set on failure. */
int neigh_open(struct neigh *nb, char *msg, size_t msglen);
void neigh_close(struct neigh *nb);
/* Ask for a dump of the IPv4 neighbours; 0 or -1 (errno). */
int neigh_dump_start(struct neigh *nb);
/*
 * Read what the socket holds: 1 when the dump is complete (nb->v then
 * holds it, sorted by address), 0 when more is to come, -1 on error with
 * msg set (the dump is abandoned).
 */
int neigh_read(struct neigh *nb, char *msg, size_t msglen);
/* The best entry for addr in the last dump, or NULL. */
const struct nent *neigh_find(const struct neigh *nb, uint32_t addr);
/* 1 if the entry has a link-layer address and a state that proves one
 * (reachable, stale, delay, probe, permanent). */
int neigh_valid(const struct nent *ne);

struct oui;

/* The registry Debian's ieee-data installs. */
const char *oui_default_path(void);
/*
 * A registry read from fp (which it owns from now on; NULL when there is
 * none), read only at the first lookup. Without a file, only the
 * compiled-in Apple prefixes answer. NULL when out of memory.
 */
struct oui *oui_open(FILE *fp);
void oui_close(struct oui *o);
/*
 * The vendor of mac: a short organisation name ("Apple") borrowed from
 * o, or NULL when unknown. The caller checks locally administered
 * addresses first.
 */
const char *oui_vendor(struct oui *o, const uint8_t mac[6]);

/* What the sweep reports for one live host. */
struct found {
	uint32_t addr;
	uint8_t mac[6];
	uint8_t has_mac;
	uint8_t method;		/* M_ICMP, M_TCP or M_ARP */
	uint8_t ssh;		/* tcp/22 connected */
	int64_t rtt_ns;		/* -1: unknown */
};

/* Called for each live host, once, in the order they are known. */
typedef void (*found_fn)(const struct found *f, void *arg);

struct sweep_io {
	int icmp_fd;
	enum icmp_kind icmp_kind;
	struct neigh *neigh;	/* fd -1 when the table cannot be read */
	const struct nent *local;	/* this machine's addresses and MACs */
	size_t nlocal;
};

/*
 * Sweep the addresses of s, calling report for each live host. Returns
 * the number of live hosts, or -1 after a system error (printed).
 */
long sweep_run(const struct opts *o, const struct spans *s,
    struct sweep_io *io, found_fn report, void *arg);

#endif
