/*
 * machttp.h - what the files of machttp share: the options, the
 * application state (store, cache, secrets), the response a route makes,
 * and the renderers.
 */
#ifndef MACHTTP_H
#define MACHTTP_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "http.h"
#include "store.h"
#include "util.h"

#define MACHTTP_LISTEN_DEFAULT "127.0.0.1:8000"
#define MACHTTP_MAXCONN_DEFAULT 1024
#define MACHTTP_HEADER_TIMEOUT 10	/* seconds to receive a head */
#define MACHTTP_IDLE_TIMEOUT 60	/* seconds idle between requests */
#define MACHTTP_WRITE_TIMEOUT 60	/* seconds without write progress */
#define MACHTTP_MAX_INSTALLER (16u << 20)	/* bytes of one installer */

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
	struct blob *html;	/* / */
	struct blob *metrics;	/* /metrics */
};

struct thresholds {
	long long disk_crit_bytes;	/* ALERT_DISK_CRITICAL_GB */
	long long disk_warn_bytes;	/* ALERT_DISK_WARN_GB */
	long long battery_low;		/* ALERT_BATTERY_LOW_PERCENT */
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
	const char *base;	/* prefix of the links ("" or SCRIPT_NAME) */
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
};

/* route.c */
void route(struct app *a, const struct reqinfo *ri, struct resp *rs);
void resp_error(struct resp *rs, int status, const char *why);
void resp_release(struct resp *rs);
void cache_clear(struct cache *c);
void store_warn(void *arg, const char *msg);

/* render.c: each appends to b; 0, or -1 with e. */
int render_dashboard(struct ms_buf *b, json_t *latest, json_t *history,
    const struct thresholds *th, const char *base, struct ms_err *e);
int render_metrics(struct ms_buf *b, json_t *latest,
    const struct thresholds *th, struct ms_err *e);

/* server.c: the event loop; returns the exit status. */
int serve(struct app *a, int lfd);

#endif
