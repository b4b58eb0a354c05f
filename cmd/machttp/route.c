/*
 * route.c - the fixed set of routes machttp serves, the same for the
 * server and the CGI script: the dashboard, /machines, /metrics,
 * /installers/NAME, /healthz and the dashboard's two assets.
 *
 * The rendered views are cached until store_version changes; the version
 * is read at most once per round of the event loop, so a burst of
 * requests costs one stat of the store, and a request never sees a view
 * older than the round it arrived in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "embed.h"
#include "escape.h"
#include "log.h"
#include "machttp.h"
#include "rfc3339.h"

#define CT_HTML "text/html; charset=utf-8"
#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"
#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"
#define CT_SH "text/x-shellscript; charset=utf-8"

struct blob *
blob_new(char *data, size_t len)
{
	struct blob *b = malloc(sizeof(*b));

	if (b == NULL) {
		free(data);
		return NULL;
	}
	b->refs = 1;
	b->data = data;
	b->len = len;
	return b;
}

struct blob *
blob_ref(struct blob *b)
{
	if (b != NULL)
		b->refs++;
	return b;
}

void
blob_unref(struct blob *b)
{
	if (b == NULL || --b->refs > 0)
		return;
	free(b->data);
	free(b);
}

void
cache_clear(struct cache *c)
{
	json_decref(c->latest);
	blob_unref(c->machines);
	blob_unref(c->html);
	blob_unref(c->metrics);
	c->latest = NULL;
	c->machines = c->html = c->metrics = NULL;
	c->version[0] = '\0';
}

void
resp_release(struct resp *rs)
{
	blob_unref(rs->hold);
	free(rs->own);
	rs->hold = NULL;
	rs->own = NULL;
	rs->body = NULL;
	rs->len = 0;
}

static void
resp_text(struct resp *rs, int status, const char *ctype, const char *s)
{
	rs->status = status;
	rs->ctype = ctype;
	rs->body = s;
	rs->len = strlen(s);
}

void
resp_error(struct resp *rs, int status, const char *why)
{
	struct ms_buf b = { 0 };

	resp_release(rs);
	rs->status = status;
	rs->ctype = CT_TEXT;
	rs->etag[0] = '\0';
	if (why != NULL && *why != '\0')
		ms_buf_printf(&b, "%d %s: %s\n", status, http_reason(status),
		    why);
	else
		ms_buf_printf(&b, "%d %s\n", status, http_reason(status));
	if (b.data == NULL) {
		resp_text(rs, status, CT_TEXT, "error\n");
		return;
	}
	rs->len = b.len;
	rs->own = ms_buf_steal(&b, NULL);
	rs->body = rs->own;
}

static void
resp_blob(struct resp *rs, const char *ctype, struct blob *b)
{
	rs->status = 200;
	rs->ctype = ctype;
	rs->hold = blob_ref(b);
	rs->body = b->data;
	rs->len = b->len;
}

/*
 * An entity-tag from a store version: the characters an etagc allows
 * are kept, the others hex-encoded, so any token the store gives makes
 * a valid tag.
 */
static void
make_etag(char *out, size_t cap, const char *kind, const char *v)
{
	size_t o;

	o = (size_t)snprintf(out, cap, "\"%s-", kind);
	for (; *v != '\0' && o + 5 < cap; v++) {
		unsigned char c = (unsigned char)*v;

		if (c > 0x20 && c < 0x7f && c != '"' && c != '%')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "%%%02x", c);
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* What the store skipped while reading (a bad snapshot...). */
void
store_warn(void *arg, const char *msg)
{
	(void)arg;
	ms_warn("%s", msg);
}

/* Open the store if it is not yet; 0 or -1 (a 503 is due). */
static int
app_store(struct app *a)
{
	int64_t now;

	if (a->st != NULL)
		return 0;
	now = ms_now_ns();
	if (a->st_retry_ns != 0 && now < a->st_retry_ns)
		return -1;
	a->st = store_open(a->o->dir, STORE_RDONLY, &a->st_err);
	if (a->st != NULL)
		store_set_warn(a->st, store_warn, NULL);
	if (a->st == NULL) {
		/* A store not yet made by the first scan: try again soon. */
		a->st_retry_ns = now + 1000000000LL;
		ms_warn("store %s: %s", a->o->dir, a->st_err.msg);
		return -1;
	}
	return 0;
}

/* Make the cache match the store's version; 0 or -1 (503). */
static int
cache_check(struct app *a)
{
	char v[sizeof(a->c.version)];

	if (app_store(a) == -1)
		return -1;
	if (a->cache_enabled && a->checked_gen == a->gen &&
	    a->c.version[0] != '\0')
		return 0;
	if (store_version(a->st, v, sizeof(v)) == -1) {
		ms_warn("store %s: cannot read its version", a->o->dir);
		return -1;
	}
	a->checked_gen = a->gen;
	if (strcmp(v, a->c.version) != 0 || v[0] == '\0') {
		cache_clear(&a->c);
		snprintf(a->c.version, sizeof(a->c.version), "%s",
		    v[0] != '\0' ? v : "0");
	}
	return 0;
}

static json_t *
get_latest(struct app *a, struct ms_err *e)
{
	if (a->c.latest == NULL)
		a->c.latest = store_latest(a->st, e);
	return a->c.latest;
}

static void
store_unavailable(struct app *a, struct resp *rs, const char *why)
{
	(void)a;
	resp_error(rs, 503, why != NULL && *why != '\0' ? why :
	    "the store cannot be read");
	rs->cache = "no-store";
}

/* 304 when the client holds this version already. */
static int
not_modified(const struct reqinfo *ri, struct resp *rs)
{
	if (ri->if_none_match == NULL ||
	    !http_etag_match(ri->if_none_match, rs->etag))
		return 0;
	resp_release(rs);
	rs->status = 304;
	rs->ctype = NULL;
	return 1;
}

static void
route_machines(struct app *a, const struct reqinfo *ri, struct resp *rs)
{
	struct ms_err e = { "" };
	json_t *latest;
	char *s;

	if (cache_check(a) == -1) {
		store_unavailable(a, rs, a->st == NULL ? a->st_err.msg : NULL);
		return;
	}
	make_etag(rs->etag, sizeof(rs->etag), "m", a->c.version);
	if (not_modified(ri, rs))
		return;
	if (a->c.machines == NULL) {
		if ((latest = get_latest(a, &e)) == NULL) {
			ms_warn("store %s: %s", a->o->dir, e.msg);
			store_unavailable(a, rs, e.msg);
			return;
		}
		if ((s = json_dumps(latest, JSON_COMPACT)) == NULL ||
		    (a->c.machines = blob_new(s, strlen(s))) == NULL) {
			resp_error(rs, 500, "out of memory");
			return;
		}
	}
	resp_blob(rs, CT_JSON, a->c.machines);
}

static void
route_machine(struct app *a, const char *id, struct resp *rs)
{
	struct ms_err e = { "" };
	json_t *latest, *m = NULL, *h, *o;
	size_t i;
	char *s;

	if (cache_check(a) == -1) {
		store_unavailable(a, rs, a->st == NULL ? a->st_err.msg : NULL);
		return;
	}
	if ((latest = get_latest(a, &e)) == NULL) {
		ms_warn("store %s: %s", a->o->dir, e.msg);
		store_unavailable(a, rs, e.msg);
		return;
	}
	json_array_foreach(latest, i, o) {
		const char *v = json_string_value(json_object_get(o, "id"));

		if (v != NULL && strcmp(v, id) == 0) {
			m = o;
			break;
		}
	}
	if (m == NULL || *id == '\0') {
		resp_error(rs, 404, "no such machine");
		return;
	}
	/* A machine without history yet still has its record. */
	if ((h = store_history(a->st, id, &e)) == NULL)
		h = json_array();
	/* "o" steals h; m is borrowed from the cache and gets a reference. */
	o = json_pack("{s:O,s:o}", "machine", m, "history", h);
	if (o == NULL || (s = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		resp_error(rs, 500, "out of memory");
		return;
	}
	json_decref(o);
	rs->status = 200;
	rs->ctype = CT_JSON;
	rs->own = s;
	rs->body = s;
	rs->len = strlen(s);
}


/*
 * What the sparklines draw: every entry of the last two days, and before
 * that one entry per machine per six hours up to 30 days back. Bounded
 * (about 400 points a machine) however long the store has kept history,
 * so a fleet of thousands renders in bounded memory.
 */
static json_t *
trend_history(struct store *st, time_t now, struct ms_err *e)
{
	char cut[RFC3339_LEN];
	json_t *old, *recent, *arr, *v;
	const char *id;
	size_t i;

	if (rfc3339_format(now - 2 * 86400, cut) == NULL) {
		ms_err_set(e, "bad clock");
		return NULL;
	}
	if ((old = store_history_all_since(st, now - 30 * 86400, 6 * 3600,
	    e)) == NULL)
		return NULL;
	if ((recent = store_history_all_since(st, now - 2 * 86400, 0,
	    e)) == NULL) {
		json_decref(old);
		return NULL;
	}
	/* Older than two days from the coarse read, then the fine one; t
	 * is RFC 3339 UTC, so strings compare as times. */
	json_object_foreach(old, id, arr) {
		json_t *keep = json_array(), *fine;

		if (keep == NULL)
			goto nomem;
		json_array_foreach(arr, i, v) {
			const char *t = json_string_value(json_object_get(v,
			    "t"));

			if (t != NULL && strcmp(t, cut) < 0 &&
			    json_array_append(keep, v) == -1) {
				json_decref(keep);
				goto nomem;
			}
		}
		if ((fine = json_object_get(recent, id)) != NULL &&
		    json_array_extend(keep, fine) == -1) {
			json_decref(keep);
			goto nomem;
		}
		if (json_object_set_new(old, id, keep) == -1)
			goto nomem;
	}
	json_object_foreach(recent, id, arr)
		if (json_object_get(old, id) == NULL &&
		    json_object_set(old, id, arr) == -1)
			goto nomem;
	json_decref(recent);
	return old;
nomem:
	json_decref(old);
	json_decref(recent);
	ms_err_set(e, "out of memory");
	return NULL;
}

static void
route_dashboard(struct app *a, const struct reqinfo *ri, struct resp *rs)
{
	struct ms_err e = { "" };
	struct ms_buf b = { 0 };
	json_t *latest, *hist;
	int64_t t0;

	if (cache_check(a) == -1) {
		store_unavailable(a, rs, a->st == NULL ? a->st_err.msg : NULL);
		return;
	}
	make_etag(rs->etag, sizeof(rs->etag), "d", a->c.version);
	if (not_modified(ri, rs))
		return;
	if (a->c.html == NULL) {
		t0 = ms_now_ns();
		if ((latest = get_latest(a, &e)) == NULL) {
			ms_warn("store %s: %s", a->o->dir, e.msg);
			store_unavailable(a, rs, e.msg);
			return;
		}
		if ((hist = trend_history(a->st, time(NULL), &e)) == NULL) {
			/* The table is worth showing without its trends. */
			ms_warn("store %s: history: %s", a->o->dir, e.msg);
			hist = json_object();
		}
		if (render_dashboard(&b, latest, hist, &a->th, a->base,
		    &e) == -1 ||
		    (a->c.html = blob_new(b.data, b.len)) == NULL) {
			json_decref(hist);
			ms_buf_free(&b);
			resp_error(rs, 500, e.msg);
			return;
		}
		json_decref(hist);
		ms_info("dashboard of %zu machines rendered in %.1f ms",
		    json_array_size(latest),
		    (double)(ms_now_ns() - t0) / 1e6);
	}
	resp_blob(rs, CT_HTML, a->c.html);
}

static void
route_metrics(struct app *a, const struct reqinfo *ri, struct resp *rs)
{
	struct ms_err e = { "" };
	struct ms_buf b = { 0 };
	json_t *latest;

	if (cache_check(a) == -1) {
		store_unavailable(a, rs, a->st == NULL ? a->st_err.msg : NULL);
		return;
	}
	make_etag(rs->etag, sizeof(rs->etag), "p", a->c.version);
	if (not_modified(ri, rs))
		return;
	if (a->c.metrics == NULL) {
		if ((latest = get_latest(a, &e)) == NULL) {
			ms_warn("store %s: %s", a->o->dir, e.msg);
			store_unavailable(a, rs, e.msg);
			return;
		}
		if (render_metrics(&b, latest, &a->th, &e) == -1 ||
		    (a->c.metrics = blob_new(b.data, b.len)) == NULL) {
			ms_buf_free(&b);
			resp_error(rs, 500, e.msg);
			return;
		}
	}
	resp_blob(rs, CT_PROM, a->c.metrics);
}

/*
 * An installer name: [A-Za-z0-9._-], no leading dot, so no "..", no
 * slash, no NUL and nothing hidden. Whatever encoding the client used,
 * this is checked on the decoded name, and a name still holding a '%'
 * (a double encoding) is refused like any other character.
 */
static int
installer_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 255 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

static void
route_installer(struct app *a, const char *name, size_t n, struct resp *rs)
{
	struct stat sb;
	char *data;
	size_t got = 0;
	ssize_t r;
	int fd;

	if (!installer_name_ok(name, n) || a->instfd == -1) {
		resp_error(rs, 404, NULL);
		return;
	}
	/* O_NOFOLLOW: a symbolic link in the directory is not followed;
	 * O_NONBLOCK: a FIFO put there cannot hang the server. */
	fd = openat(a->instfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
			ms_warn("installers: %s:", name);
		resp_error(rs, 404, NULL);
		return;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (unsigned long long)sb.st_size > MACHTTP_MAX_INSTALLER) {
		close(fd);
		resp_error(rs, 404, NULL);
		return;
	}
	if ((data = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		resp_error(rs, 500, "out of memory");
		return;
	}
	while (got < (size_t)sb.st_size) {
		r = read(fd, data + got, (size_t)sb.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)sb.st_size) {
		free(data);
		ms_warn("installers: %s: short read", name);
		resp_error(rs, 500, "cannot read the installer");
		return;
	}
	rs->status = 200;
	rs->ctype = CT_SH;
	rs->own = data;
	rs->body = data;
	rs->len = got;
}

/* FNV-1a: a tag for an embedded asset, which changes with its bytes. */
static void
asset_etag(char *out, size_t cap, const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, cap, "\"a-%016llx\"", (unsigned long long)h);
}

static void
route_asset(const struct reqinfo *ri, const char *name, const char *ctype,
    struct resp *rs)
{
	const char *p;
	size_t n;

	if ((p = embed_get(name, &n)) == NULL) {
		resp_error(rs, 404, NULL);
		return;
	}
	asset_etag(rs->etag, sizeof(rs->etag), p, n);
	if (not_modified(ri, rs))
		return;
	rs->status = 200;
	rs->ctype = ctype;
	rs->body = p;
	rs->len = n;
}

/* 1 if the request may go on: no authentication is configured, or the
 * credentials match, compared in constant time. */
static int
auth_ok(const struct app *a, const char *authz)
{
	unsigned char buf[HTTP_MAX_HEAD];
	const char *c;
	ssize_t n;
	unsigned char *colon;
	int ok = 0;

	if (a->auth_user == NULL && a->auth_token == NULL)
		return 1;
	if (authz == NULL)
		return 0;
	if (a->auth_user != NULL && strncasecmp(authz, "Basic ", 6) == 0) {
		for (c = authz + 6; *c == ' '; c++)
			;
		n = ms_base64_decode(c, strlen(c), buf, sizeof(buf));
		if (n > 0 && (colon = memchr(buf, ':', (size_t)n)) != NULL) {
			size_t ul = (size_t)(colon - buf);
			int u = http_ct_equal(buf, ul, a->auth_user,
			    strlen(a->auth_user));
			int p = http_ct_equal(colon + 1, (size_t)n - ul - 1,
			    a->auth_pass, strlen(a->auth_pass));

			ok = u & p;
		}
		ms_explicit_bzero(buf, sizeof(buf));
	} else if (a->auth_token != NULL &&
	    strncasecmp(authz, "Bearer ", 7) == 0) {
		for (c = authz + 7; *c == ' '; c++)
			;
		ok = http_ct_equal(c, strlen(c), a->auth_token,
		    strlen(a->auth_token));
	}
	return ok;
}

static const char *
auth_challenge(const struct app *a)
{
	if (a->auth_user != NULL && a->auth_token != NULL)
		return "Basic realm=\"macscan\", charset=\"UTF-8\", "
		    "Bearer realm=\"macscan\"";
	if (a->auth_user != NULL)
		return "Basic realm=\"macscan\", charset=\"UTF-8\"";
	return "Bearer realm=\"macscan\"";
}

static int
prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

void
route(struct app *a, const struct reqinfo *ri, struct resp *rs)
{
	const char *p = ri->path;

	memset(rs, 0, sizeof(*rs));
	rs->cache = "no-cache";
	if (strcmp(p, "/healthz") == 0) {
		if (ri->meth == HTTP_OTHER)
			goto method;
		rs->cache = "no-store";
		resp_text(rs, 200, CT_TEXT, "ok\n");
		return;
	}
	if (!auth_ok(a, ri->authorization)) {
		resp_error(rs, 401, NULL);
		rs->auth = auth_challenge(a);
		rs->cache = "no-store";
		return;
	}
	if (strcmp(p, "/") != 0 && strcmp(p, "/machines") != 0 &&
	    !prefix(p, "/machines/") && strcmp(p, "/metrics") != 0 &&
	    !prefix(p, "/installers/") &&
	    strcmp(p, "/static/dashboard.css") != 0 &&
	    strcmp(p, "/static/dashboard.js") != 0) {
		resp_error(rs, 404, NULL);
		return;
	}
	if (ri->meth == HTTP_OTHER)
		goto method;
	if (strcmp(p, "/") == 0)
		route_dashboard(a, ri, rs);
	else if (strcmp(p, "/machines") == 0)
		route_machines(a, ri, rs);
	else if (prefix(p, "/machines/"))
		route_machine(a, p + 10, rs);
	else if (strcmp(p, "/metrics") == 0)
		route_metrics(a, ri, rs);
	else if (prefix(p, "/installers/"))
		route_installer(a, p + 12, ri->path_len - 12, rs);
	else if (strcmp(p, "/static/dashboard.css") == 0)
		route_asset(ri, "web/dashboard.css", "text/css; charset=utf-8",
		    rs);
	else
		route_asset(ri, "web/dashboard.js",
		    "text/javascript; charset=utf-8", rs);
	return;
method:
	resp_error(rs, 405, NULL);
	rs->allow = "GET, HEAD";
}
