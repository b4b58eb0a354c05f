/*
 * route.c - the fixed set of routes machttp serves, the same for the
 * server and the CGI script: the dashboard, /machines, /machines/ID,
 * the page of one Mac (/mac/ID), /metrics, /installers/NAME, /healthz
 * and the dashboard's two assets.
 *
 * Without authentication, only the names the server listens as are
 * answered (host_ok): a web page whose name an attacker rebinds to this
 * address (DNS rebinding) gets 421 and never reads the fleet.
 *
 * The rendered views are cached until store_version changes; the version
 * is read at most once per round of the event loop, so a burst of
 * requests costs one stat of the store, and a request never sees a view
 * older than the round it arrived in.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "csv.h"
#include "embed.h"
#include "escape.h"
#include "log.h"
#include "machttp.h"
#include "record.h"
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
	blob_unref(c->csv);
	blob_unref(c->html);
	blob_unref(c->metrics);
	c->latest = NULL;
	c->machines = c->csv = c->html = c->metrics = NULL;
	c->html_key = 0;
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
		/* Numbers as the store has them (15 significant digits). */
		if ((s = record_dump(latest)) == NULL ||
		    (a->c.machines = blob_new(s, strlen(s))) == NULL) {
			resp_error(rs, 500, "out of memory");
			return;
		}
	}
	resp_blob(rs, CT_JSON, a->c.machines);
}

/* /machines.csv: the view as CSV (lib/csv.h), the columns and the
 * neutralised formulas of `macstore latest -c`. */
static void
route_csv(struct app *a, const struct reqinfo *ri, struct resp *rs)
{
	struct ms_err e = { "" };
	struct ms_buf b = { 0 };
	json_t *latest, *m;
	size_t i, n;
	char *s;
	int rc;

	if (cache_check(a) == -1) {
		store_unavailable(a, rs, a->st == NULL ? a->st_err.msg : NULL);
		return;
	}
	make_etag(rs->etag, sizeof(rs->etag), "c", a->c.version);
	if (not_modified(ri, rs))
		return;
	if (a->c.csv == NULL) {
		if ((latest = get_latest(a, &e)) == NULL) {
			ms_warn("store %s: %s", a->o->dir, e.msg);
			store_unavailable(a, rs, e.msg);
			return;
		}
		rc = csv_header(&b);
		json_array_foreach(latest, i, m)
			rc |= csv_row(&b, m);
		if (rc != 0 || (s = ms_buf_steal(&b, &n)) == NULL ||
		    (a->c.csv = blob_new(s, n)) == NULL) {
			ms_buf_free(&b);
			resp_error(rs, 500, "out of memory");
			return;
		}
	}
	resp_blob(rs, "text/csv; charset=utf-8; header=present", a->c.csv);
	rs->disposition = "attachment; filename=\"machines.csv\"";
}

/* The record of id in the merged view (borrowed from the cache), or
 * NULL with the answer made (404 or 503). */
static json_t *
find_machine(struct app *a, const char *id, struct resp *rs)
{
	struct ms_err e = { "" };
	json_t *latest, *o;
	size_t i;

	if (cache_check(a) == -1) {
		store_unavailable(a, rs, a->st == NULL ? a->st_err.msg : NULL);
		return NULL;
	}
	if ((latest = get_latest(a, &e)) == NULL) {
		ms_warn("store %s: %s", a->o->dir, e.msg);
		store_unavailable(a, rs, e.msg);
		return NULL;
	}
	json_array_foreach(latest, i, o) {
		const char *v = json_string_value(json_object_get(o, "id"));

		if (*id != '\0' && v != NULL && strcmp(v, id) == 0)
			return o;
	}
	resp_error(rs, 404, "no such machine");
	return NULL;
}

static void
route_machine(struct app *a, const char *id, struct resp *rs)
{
	struct ms_err e = { "" };
	json_t *m, *h, *o;
	char *s;

	if ((m = find_machine(a, id, rs)) == NULL)
		return;
	/* A machine without history yet still has its record. */
	if ((h = store_history(a->st, id, &e)) == NULL)
		h = json_array();
	/* "o" steals h; m is borrowed from the cache and gets a reference. */
	o = json_pack("{s:O,s:o}", "machine", m, "history", h);
	if (o == NULL || (s = record_dump(o)) == NULL) {
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

/* The page of one Mac: rendered for each request (its history and the
 * alert state are read then), tagged with the store's version. */
static void
route_page(struct app *a, const struct reqinfo *ri, const char *id,
    struct resp *rs)
{
	struct ms_err e = { "" };
	struct ms_buf b = { 0 };
	json_t *m, *h, *alerts;

	if ((m = find_machine(a, id, rs)) == NULL)
		return;
	make_etag(rs->etag, sizeof(rs->etag), "h", a->c.version);
	if (not_modified(ri, rs))
		return;
	if ((h = store_history(a->st, id, &e)) == NULL)
		h = json_array();
	if ((alerts = store_state_load(a->st, "alerts", &e)) == NULL) {
		/* The page is worth showing without it; it says so. */
		ms_warn("store %s: alerts: %s", a->o->dir, e.msg);
		e.msg[0] = '\0';
	}
	if (h == NULL || render_machine(&b, m, h, alerts, &a->th, a->base,
	    time(NULL), &e) == -1) {
		json_decref(h);
		json_decref(alerts);
		ms_buf_free(&b);
		resp_error(rs, 500, e.msg[0] != '\0' ? e.msg : "out of memory");
		return;
	}
	json_decref(h);
	json_decref(alerts);
	rs->status = 200;
	rs->ctype = CT_HTML;
	rs->len = b.len;
	rs->own = ms_buf_steal(&b, NULL);
	rs->body = rs->own;
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

/*
 * The origin a client reached us at, for the commands the dashboard
 * shows: the Host it named when that is a valid host[:port], else the
 * address listened on.
 */
static void
origin_of(const struct app *a, const struct reqinfo *ri, char *out,
    size_t cap)
{
	const char *scheme = ri->https ? "https" : "http";
	struct http_host h;

	if (ri->host != NULL &&
	    http_host_parse(ri->host, ri->host_len, &h) == 0) {
		snprintf(out, cap, "%s://%s%.*s%s", scheme,
		    h.kind == HTTP_HOST_IPV6 ? "[" : "", (int)h.len, h.name,
		    h.kind == HTTP_HOST_IPV6 ? "]" : "");
		if (h.port >= 0)
			snprintf(out + strlen(out), cap - strlen(out), ":%d",
			    h.port);
		return;
	}
	snprintf(out, cap, "%s://%s%s%s", scheme,
	    strchr(a->hosts.addr, ':') != NULL ? "[" : "",
	    a->hosts.addr[0] != '\0' ? a->hosts.addr : "localhost",
	    strchr(a->hosts.addr, ':') != NULL ? "]" : "");
	if (a->hosts.port >= 0)
		snprintf(out + strlen(out), cap - strlen(out), ":%d",
		    a->hosts.port);
}

/* FNV-1a over bytes, continued from h. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
route_dashboard(struct app *a, const struct reqinfo *ri, struct resp *rs)
{
	struct ms_err e = { "" };
	struct ms_buf b = { 0 };
	struct inst_info *inst;
	json_t *latest, *hist;
	char origin[320], tag[200];
	size_t ninst, i;
	uint64_t key;
	int64_t t0;

	if (cache_check(a) == -1) {
		store_unavailable(a, rs, a->st == NULL ? a->st_err.msg : NULL);
		return;
	}
	/* The page shows the installers and the origin to fetch them
	 * from: a change of either is a new page. */
	if ((inst = calloc(MACHTTP_INST_FILES, sizeof(*inst))) == NULL) {
		resp_error(rs, 500, "out of memory");
		return;
	}
	ninst = inst_list(a, inst, MACHTTP_INST_FILES);
	origin_of(a, ri, origin, sizeof(origin));
	key = fnv(1469598103934665603ULL, origin, strlen(origin) + 1);
	for (i = 0; i < ninst; i++)
		key = fnv(fnv(key, inst[i].name, strlen(inst[i].name) + 1),
		    inst[i].sha256, sizeof(inst[i].sha256));
	if (a->c.html != NULL && a->c.html_key != key) {
		blob_unref(a->c.html);
		a->c.html = NULL;
	}
	snprintf(tag, sizeof(tag), "%s-%016llx", a->c.version,
	    (unsigned long long)key);
	make_etag(rs->etag, sizeof(rs->etag), "d", tag);
	if (not_modified(ri, rs)) {
		free(inst);
		return;
	}
	if (a->c.html == NULL) {
		t0 = ms_now_ns();
		if ((latest = get_latest(a, &e)) == NULL) {
			free(inst);
			ms_warn("store %s: %s", a->o->dir, e.msg);
			store_unavailable(a, rs, e.msg);
			return;
		}
		if ((hist = trend_history(a->st, time(NULL), &e)) == NULL) {
			/* The table is worth showing without its trends. */
			ms_warn("store %s: history: %s", a->o->dir, e.msg);
			hist = json_object();
		}
		if (render_dashboard(&b, latest, hist, &a->th, a->base, inst,
		    ninst, origin, &e) == -1 ||
		    (a->c.html = blob_new(b.data, b.len)) == NULL) {
			free(inst);
			json_decref(hist);
			ms_buf_free(&b);
			resp_error(rs, 500, e.msg);
			return;
		}
		a->c.html_key = key;
		json_decref(hist);
		ms_info("dashboard of %zu machines rendered in %.1f ms",
		    json_array_size(latest),
		    (double)(ms_now_ns() - t0) / 1e6);
	}
	free(inst);
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

static void
route_installer(struct app *a, const char *name, size_t n, struct resp *rs)
{
	struct ms_err e = { "" };
	struct blob *b = NULL;

	switch (inst_get(a, name, n, &b, &e)) {
	case 0:
		break;
	case -1:
		resp_error(rs, 404, NULL);
		return;
	default:
		resp_error(rs, 500, e.msg);
		return;
	}
	/* One copy of each version, shared with every client sending it. */
	resp_blob(rs, CT_SH, b);
	blob_unref(b);
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

/*
 * 1 if a request naming host (n bytes; NULL for an HTTP/1.0 request
 * without Host, which no browser sends) may be served: when the rule is
 * on, its name must be one of the rule's, or any IP address when the
 * server listens on every address (an address cannot be rebound; a
 * name can), and its port, if any, the one listened on.
 */
int
host_ok(const struct hostrule *hr, const char *host, size_t n)
{
	struct http_host h;
	unsigned char bin[16];
	char canon[INET6_ADDRSTRLEN], lc[256];
	const char *name;
	size_t i;

	if (!hr->enforce || host == NULL)
		return 1;
	if (http_host_parse(host, n, &h) == -1)
		return 0;
	if (h.port >= 0 && hr->port >= 0 && h.port != hr->port)
		return 0;
	if (h.kind != HTTP_HOST_NAME && hr->any_ip)
		return 1;
	if (h.len >= sizeof(lc))
		return 0;
	for (i = 0; i < h.len; i++)
		lc[i] = (char)(h.name[i] >= 'A' && h.name[i] <= 'Z' ?
		    h.name[i] - 'A' + 'a' : h.name[i]);
	lc[h.len] = '\0';
	name = lc;
	/* An address in its one canonical spelling ("::1", not "0::1"). */
	if (h.kind != HTTP_HOST_NAME) {
		int af = h.kind == HTTP_HOST_IPV6 ? AF_INET6 : AF_INET;

		if (inet_pton(af, lc, bin) != 1 ||
		    inet_ntop(af, bin, canon, sizeof(canon)) == NULL)
			return 0;
		name = canon;
	}
	for (i = 0; i < hr->nnames; i++)
		if (strcmp(hr->names[i], name) == 0)
			return 1;
	return 0;
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
	if (!host_ok(&a->hosts, ri->host, ri->host_len)) {
		resp_error(rs, 421, "this server does not answer for that "
		    "name (MACHTTP_HOSTS lists the names it answers for "
		    "without authentication)");
		rs->cache = "no-store";
		return;
	}
	if (!auth_ok(a, ri->authorization)) {
		resp_error(rs, 401, NULL);
		rs->auth = auth_challenge(a);
		rs->cache = "no-store";
		return;
	}
	if (strcmp(p, "/") != 0 && strcmp(p, "/machines") != 0 &&
	    strcmp(p, "/machines.csv") != 0 &&
	    !prefix(p, "/machines/") && !prefix(p, "/mac/") &&
	    strcmp(p, "/metrics") != 0 &&
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
	else if (strcmp(p, "/machines.csv") == 0)
		route_csv(a, ri, rs);
	else if (prefix(p, "/machines/"))
		route_machine(a, p + 10, rs);
	else if (prefix(p, "/mac/"))
		route_page(a, ri, p + 5, rs);
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
