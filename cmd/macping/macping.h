/*
 * macping.h - what the files of macping share: the options, the address
 * spans to sweep, the sweep itself (sweep.c), the ICMP socket and the
 * kernel's neighbour table (a platform file each) and the vendor
 * registry (oui.c).
 *
 * Ownership: struct spans owns its array (spans_free). A struct oui owns
 * its file and index (oui_close); the strings oui_vendor returns are
 * borrowed from it. struct neigh owns its socket, buffer and entries
 * (neigh_close).
 */
#ifndef MACPING_H
#define MACPING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

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
	ICMP_RAW,	/* SOCK_RAW: CAP_NET_RAW on Linux, root on macOS */
	ICMP_DGRAM	/* SOCK_DGRAM: net.ipv4.ping_group_range on Linux,
			 * anyone on macOS */
};

/* Called for each ICMP error about one of our echo requests: its
 * sequence number, its destination (host order), the ICMP type and code. */
typedef void (*icmp_err_fn)(void *arg, uint16_t seq, uint32_t dst,
    int type, int code);

/*
 * The ICMP socket, one platform file each (icmp_linux.c, icmp_posix.c):
 * icmp_open opens a raw socket, else a datagram one, non-blocking and
 * with room for a sweep's worth of packets; the kind, or ICMP_NONE with
 * *err set. icmp_errors reads the errors the system keeps apart from the
 * data (Linux's error queue of datagram sockets; elsewhere they arrive
 * as data) and clears the socket's pending error. icmp_needs names what
 * opening a socket takes here, for messages.
 */
enum icmp_kind icmp_open(int *fd, int *err);
void icmp_errors(int fd, enum icmp_kind kind, icmp_err_fn fn, void *arg);
const char *icmp_needs(void);

/* What a neighbour entry proves about its address, best first. */
enum {
	NE_REACHABLE,	/* confirmed moments ago */
	NE_PERMANENT,	/* configured */
	NE_PROBING,	/* being confirmed again */
	NE_STALE,	/* had a link-layer address, not confirmed lately */
	NE_NONE		/* no link-layer address: incomplete, failed */
};

/* A neighbour entry as the kernel reported it. */
struct nent {
	uint32_t addr;		/* host byte order */
	uint8_t mac[6];
	uint8_t state;		/* NE_* */
	int64_t confirmed_ns;	/* age of the last confirmation, INT64_MAX
				 * when unknown */
};

/*
 * The neighbour table (ARP cache). One platform file reads it:
 * neigh_netlink.c through rtnetlink on Linux, asynchronously (the dump
 * arrives on fd while the sweep runs); neigh_route.c through the routing
 * sysctl (NET_RT_FLAGS, RTF_LLINFO) on macOS and the BSDs, at once.
 * neigh.c holds what they share.
 */
struct neigh {
	int open;		/* the table can be read */
	int fd;			/* watch for EV_IN while busy, or -1 */
	uint32_t seq;
	int busy;		/* a dump is under way */
	struct nent *v;		/* the last complete dump, sorted */
	size_t n, cap;
	struct nent *tmp;	/* the dump being read */
	size_t tn, tcap;
	char *buf;
	size_t bufsz;
};

struct ifaddrs;

/* Open the table; -1 with e set when it cannot be read here. */
int neigh_open(struct neigh *nb, struct ms_err *e);
void neigh_close(struct neigh *nb);
/*
 * Ask for a dump of the IPv4 neighbours: 1 when it is complete already
 * (nb->v holds it), 0 when it is under way (neigh_read when nb->fd is
 * readable), -1 with e set on error.
 */
int neigh_dump_start(struct neigh *nb, struct ms_err *e);
/*
 * Read what the socket holds: 1 when the dump is complete (nb->v then
 * holds it, sorted by address), 0 when more is to come, -1 on error with
 * e set (the dump is abandoned).
 */
int neigh_read(struct neigh *nb, struct ms_err *e);
/* This machine's IPv4 addresses with the MACs of their interfaces, from
 * getifaddrs: a new array the caller frees. -1 when out of memory. */
int neigh_local(const struct ifaddrs *ifa, struct nent **vp, size_t *np);

/* neigh.c: add an entry to the dump being read (-1: out of memory);
 * end that dump (sorted, made the current one). */
int neigh_add(struct neigh *nb, const struct nent *ne);
void neigh_done(struct neigh *nb);
/* The best entry for addr in the last dump, or NULL. */
const struct nent *neigh_find(const struct neigh *nb, uint32_t addr);
/* 1 if the entry has a link-layer address and a state that proves one
 * (reachable, permanent, probing, stale). */
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

/* Called for each live host, once, in the order they are known; -1 with
 * e set stops the sweep (a write error). */
typedef int (*found_fn)(const struct found *f, void *arg, struct ms_err *e);

struct sweep_io {
	int icmp_fd;
	enum icmp_kind icmp_kind;
	struct neigh *neigh;	/* not open when the table cannot be read */
	const struct nent *local;	/* this machine's addresses and MACs */
	size_t nlocal;
};

/*
 * Sweep the addresses of s, calling report for each live host. Returns
 * the number of live hosts, or -1 with e set after a system error (out
 * of memory, the event loop failing, report failing): the sweep stops
 * there and prints nothing about it. A warning (the neighbour table
 * lost) goes through ms_warn and the sweep goes on.
 */
long sweep_run(const struct opts *o, const struct spans *s,
    struct sweep_io *io, found_fn report, void *arg, struct ms_err *e);

#endif
