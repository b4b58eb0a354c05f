/*
 * machttp.h - what the files of machttp share: the options, the
 * application state (store, cache, secrets, the names it answers for),
 * the response a route makes, the rules the views show, and the
 * renderers.
 */
#ifndef MACHTTP_H
#define MACHTTP_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "fmt.h"
#include "http.h"
#include "rules.h"
#include "store.h"
#include "util.h"

#define MACHTTP_MAXCONN_DEFAULT 1024
#define MACHTTP_HEADER_TIMEOUT 10	/* seconds to receive a head */
#define MACHTTP_IDLE_TIMEOUT 60	/* seconds idle between requests */
#define MACHTTP_WRITE_TIMEOUT 60	/* seconds without write progress */
#define MACHTTP_MAX_INSTALLER (16u << 20)	/* bytes of one installer */
#define MACHTTP_INST_FILES 64	/* installers listed and kept in memory */
#define MACHTTP_MAX_HOSTS 64	/* names in MACHTTP_HOSTS */

extern volatile sig_atomic_t machttp_quit;

/* The options, owned by main() and passed down. */
struct opts {
	const char *listen;	/* ADDR:PORT */
	const char *dir;	/* the store */
	const char *instdir;	/* the installers */
	const char *user;	/* drop to this user when root */
	long long maxconn;
	long long header_timeout;
	long long idle_timeout;
	int allow_open;		/* -A: beyond loopback without auth */
};

/* A reference-counted block of bytes: a rendered page shared by the
 * cache and the connections still sending it. */
struct blob {
	size_t refs;
	size_t len;
	char *data;
};

struct blob *blob_new(char *data, size_t len);	/* steals data */
struct blob *blob_ref(struct blob *b);
void blob_unref(struct blob *b);

/* What the store looked like at one version, rendered on demand. */
struct cache {
	char version[128];	/* store_version; "" when nothing is held */
	json_t *latest;		/* store_latest */
	struct blob *machines;	/* /machines */
	struct blob *csv;	/* /machines.csv */
	struct blob *html;	/* / */
	uint64_t html_key;	/* the installers and the origin it shows */
	struct blob *metrics;	/* /metrics */
};

/*
 * One installer as it is served: one copy per version of the file (its
 * device, inode, size and times), shared by every connection sending
 * it, whatever their number. A new version replaces the copy in the
 * table; connections still sending the old one hold it until done.
 */
struct installer {
	char name[256];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
	struct blob *blob;
	char sha256[65];	/* hex */
	unsigned long used;	/* for eviction: the round last used */
};

struct thresholds {
	struct rules_conf rc;		/* the rules, from the settings */
	long long disk_crit_bytes;	/* ALERT_DISK_CRITICAL_GB */
	long long disk_warn_bytes;	/* ALERT_DISK_WARN_GB */
	long long battery_low;		/* ALERT_BATTERY_LOW_PERCENT */
	long long backup_days;		/* ALERT_BACKUP_DAYS, 0: off */
	int firewall_warn;		/* ALERT_FIREWALL */
};

/*
 * The Host values served without authentication (DNS rebinding): the
 * names and addresses below, with no port or the port listened on.
 */
struct hostrule {
	int enforce;		/* 0: any Host (authentication is on) */
	int any_ip;		/* listening on every address: any IP */
	int port;		/* the port listened on, -1: any */
	char addr[64];		/* the address listened on, numeric */
	char *names[MACHTTP_MAX_HOSTS + 2];	/* lower case, owned */
	size_t nnames;
};

struct app {
	const struct opts *o;
	struct store *st;	/* NULL until it could be opened */
	int64_t st_retry_ns;	/* when to try opening it again */
	struct ms_err st_err;	/* why it could not */
	int instfd;		/* the installers directory, or -1 */
	struct thresholds th;
	char *auth_user;	/* Basic authentication, or NULL */
	char *auth_pass;
	char *auth_token;	/* Bearer token, or NULL */
	struct hostrule hosts;
	const char *base;	/* prefix of the links ("" or SCRIPT_NAME) */
	struct installer inst[MACHTTP_INST_FILES];
	size_t ninst;
	unsigned long gen;	/* the event loop's round */
	unsigned long checked_gen;	/* the round the version was read */
	int cache_enabled;	/* 0 in CGI mode: render, answer, exit */
	struct cache c;
};

/* What a route answers. */
struct resp {
	int status;
	const char *ctype;	/* NULL: no body at all (304) */
	const char *body;
	size_t len;
	struct blob *hold;	/* a reference that keeps body alive */
	char *own;		/* malloc'ed body to free */
	char etag[200];		/* "" for none */
	const char *cache;	/* Cache-Control value or NULL */
	const char *allow;	/* Allow value (405) or NULL */
	const char *disposition; /* Content-Disposition value or NULL */
	const char *auth;	/* WWW-Authenticate value (401) or NULL */
	int close;		/* close the connection after it */
};

/* What a route needs of a request, from HTTP or CGI. */
struct reqinfo {
	int meth;		/* enum http_method */
	const char *path;	/* percent-decoded */
	size_t path_len;
	const char *if_none_match;
	const char *authorization;
	const char *host;	/* the authority named (Host), or NULL */
	size_t host_len;
	int https;		/* reached over TLS (a proxy or CGI says) */
};

/*
 * What the dashboard, the page per Mac and the metrics show of the rules
 * of lib/rules.h (the same as macalert's): per rule, indexed by enum
 * rule, SEV_NONE when it does not fire, else its severity plus one.
 */
enum severity { SEV_NONE, SEV_INFO, SEV_WARNING, SEV_CRITICAL };

struct verdict {
	int online;
	unsigned char sev[RULE_COUNT];	/* enum severity per rule */
};

/* What the fleet counts: machines per firing rule, and how many
 * machines report each posture field at all (a tile about a field no
 * Mac reports would be a fake 0). */
struct fleet {
	long long machines, online, incomplete;
	long long n[RULE_COUNT];
	long long know_filevault, know_firewall, know_backup, know_smart,
	    know_updates;
};

/* An installer as the dashboard lists it. */
struct inst_info {
	char name[256];
	long long size;
	char sha256[65];
};


/* route.c */
void route(struct app *a, const struct reqinfo *ri, struct resp *rs);
void resp_error(struct resp *rs, int status, const char *why);
void resp_release(struct resp *rs);
void cache_clear(struct cache *c);
void store_warn(void *arg, const char *msg);

/* route.c: the Host rule; 1 if the request may be served. */
int host_ok(const struct hostrule *hr, const char *host, size_t n);

/* installers.c */
int inst_get(struct app *a, const char *name, size_t n, struct blob **out,
    struct ms_err *e);	/* 0, -1 (404) or -2 (500, e) */
size_t inst_list(struct app *a, struct inst_info *v, size_t max);
void inst_clear(struct app *a);
void sha256_hex(const void *p, size_t n, char out[65]);

/* render.c: the rules, and the pieces the views share. */
void thresholds_load(const struct config *cf, struct thresholds *th);
void verdict_eval(const json_t *m, const struct thresholds *th, time_t now,
    struct verdict *v);
void fleet_count(json_t *latest, const struct thresholds *th, time_t now,
    struct fleet *fl);
long long age_of(const json_t *m, const char *key, time_t now);
/* Bytes as fmt_bytes (fmt.h) shows them, in English. */
char *bytes_en(long long v, char *buf, size_t len);
/* posture.c */
int render_posture(struct ms_buf *b, const json_t *m, const struct verdict *v,
    time_t now);
int render_status(struct ms_buf *b, const json_t *m, const struct verdict *v);
int badge(struct ms_buf *b, const char *cls, const char *title,
    const char *fmt, ...) MS_PRINTF(4, 5);
const char *sev_class(int sev);
int fill_template(struct ms_buf *b, const char *tname,
    const char *const *names, const struct ms_buf *vals, size_t nv,
    struct ms_err *e);

/* Each appends to b; 0, or -1 with e. origin is "http://HOST" for the
 * installers' commands, or NULL to show none. */
int render_dashboard(struct ms_buf *b, json_t *latest, json_t *history,
    const struct thresholds *th, const char *base,
    const struct inst_info *inst, size_t ninst, const char *origin,
    struct ms_err *e);
/* metrics.c */
int render_metrics(struct ms_buf *b, json_t *latest,
    const struct thresholds *th, struct ms_err *e);
/* page.c: one Mac: its record, history and alert state (borrowed). */
int render_machine(struct ms_buf *b, const json_t *m, const json_t *history,
    const json_t *alerts, const struct thresholds *th, const char *base,
    time_t now, struct ms_err *e);

/* server.c: the event loop; returns the exit status. */
int serve(struct app *a, int lfd);

#endif
