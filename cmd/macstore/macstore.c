/*
 * macstore - keep the scans: write each as an atomic snapshot, keep the
 * newest N, and print the merged view (the newest record of each
 * machine), the snapshots and a machine's history. Imports the JSON
 * files of the old Python service.
 */
#include <errno.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "config.h"
#include "log.h"
#include "record.h"
#include "rfc3339.h"
#include "store.h"
#include "stream.h"

#define OPTSTRING "ad:hk:qT:tv"
#define KEEP_MAX 10000
#define IMPORT_MAX (256u << 20)

enum { EX_OK = 0, EX_BAD = 1, EX_USAGE = 2, EX_STORE = 3 };

struct opts {
	const char *dir;
	unsigned keep;
	int keep_set;
	int array;
	int table;
	time_t when;
	int when_set;
};

static const char usage_text[] =
    "usage: macstore [-qv] [-d dir] [-k keep] [-T time] add\n"
    "       macstore [-qv] [-d dir] [-k keep] import file ...\n"
    "       macstore [-aqtv] [-d dir] latest\n"
    "       macstore [-qtv] [-d dir] list\n"
    "       macstore [-qv] [-d dir] [-k keep] prune\n"
    "       macstore [-qtv] [-d dir] history id\n"
    "       macstore -h\n";

static void
usage(FILE *fp, int status)
{
	fputs(usage_text, fp);
	exit(status);
}

static void
store_warn(void *arg, const char *msg)
{
	(void)arg;
	ms_warn("%s", msg);
}

/*
 * Text from a record for a message or a table cell: control characters
 * (C0, DEL, C1) and bidirectional overrides become '?', so a name set on
 * a compromised Mac cannot drive the terminal. A new string.
 */
static char *
sanitize(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0, o = 0;
	char *out = malloc(n + 1);

	if (out == NULL)
		return NULL;
	while (i < n && o < max) {
		unsigned char c = p[i];

		if (c < 0x20 || c == 0x7f) {
			out[o++] = '?';
			i++;
		} else if (c == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f) {
			out[o++] = '?';
			i += 2;
		} else if (c == 0xe2 && i + 2 < n && ((p[i + 1] == 0x80 &&
		    p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
		    (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 &&
		    p[i + 2] <= 0xa9))) {
			out[o++] = '?';
			i += 3;
		} else {
			out[o++] = (char)c;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

/* A sanitized id for messages (in a static buffer: one per message). */
static const char *
safe_id(const char *s)
{
	static char buf[160];
	char *t = sanitize(s, 128);

	snprintf(buf, sizeof(buf), "%s", t != NULL ? t : "?");
	free(t);
	return buf;
}

/* ---- tables ---------------------------------------------------------- */

struct table {
	size_t ncols;
	const char *const *heads;
	const int *right;	/* right-aligned columns */
	char **cells;		/* rows * ncols, sanitized */
	size_t nrows, cap;
};

/* Columns a UTF-8 string takes on a terminal. */
static size_t
text_width(const char *s, size_t *bytes_for, size_t limit)
{
	mbstate_t ps;
	size_t w = 0, n = strlen(s), i = 0;

	memset(&ps, 0, sizeof(ps));
	while (i < n) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s + i, n - i, &ps);
		int cw;

		if (k == (size_t)-1 || k == (size_t)-2) {
			memset(&ps, 0, sizeof(ps));
			k = 1;
			cw = 1;
		} else {
			if (k == 0)
				k = 1;
			cw = wcwidth(wc);
			if (cw < 0)
				cw = 1;
		}
		if (bytes_for != NULL && w + (size_t)cw > limit)
			break;
		w += (size_t)cw;
		i += k;
	}
	if (bytes_for != NULL)
		*bytes_for = i;
	return w;
}

static int
table_row(struct table *t, const char *const *cells)
{
	size_t i;

	if (t->nrows == t->cap) {
		size_t c = t->cap ? t->cap * 2 : 64;
		char **p = realloc(t->cells, c * t->ncols * sizeof(*p));

		if (p == NULL)
			return -1;
		t->cells = p;
		t->cap = c;
	}
	for (i = 0; i < t->ncols; i++) {
		char *s = sanitize(cells[i] != NULL ? cells[i] : "-", 4096);

		if (s == NULL)
			return -1;
		t->cells[t->nrows * t->ncols + i] = s;
	}
	t->nrows++;
	return 0;
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

static size_t
term_width(void)
{
	const char *c = getenv("COLUMNS");
	struct winsize ws;
	long long v;

	if (c != NULL && ms_strtonum(c, 10, 100000, &v, NULL) == 0)
		return (size_t)v;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void
print_cell(const char *s, size_t width, int right, int last)
{
	size_t w, bytes;

	w = text_width(s, NULL, 0);
	if (w > width) {
		/* Cut to width - 1 columns and mark it with an ellipsis. */
		w = text_width(s, &bytes, width > 0 ? width - 1 : 0);
		fwrite(s, 1, bytes, stdout);
		if (width > 0) {
			fputs("\u2026", stdout);
			w++;
		}
		for (; w < width && !last; w++)
			putchar(' ');
		return;
	}
	if (right)
		for (; w < width; w++)
			putchar(' ');
	fputs(s, stdout);
	if (!right && !last)
		for (; w < width; w++)
			putchar(' ');
}

/* Print the table in at most `width` columns: the widest columns give
 * way first, one column at a time. */
static void
table_print(const struct table *t, size_t width)
{
	size_t w[16], minw[16], i, r, total;

	for (i = 0; i < t->ncols && i < 16; i++) {
		size_t hw = text_width(t->heads[i], NULL, 0);

		w[i] = hw;
		for (r = 0; r < t->nrows; r++) {
			size_t cw = text_width(t->cells[r * t->ncols + i],
			    NULL, 0);

			if (cw > w[i])
				w[i] = cw;
		}
		/* Numbers are never cut (their heading may be); text
		 * keeps at least 3 columns. */
		minw[i] = 3;
		for (r = 0; t->right[i] && r < t->nrows; r++) {
			size_t cw = text_width(t->cells[r * t->ncols + i],
			    NULL, 0);

			if (cw > minw[i])
				minw[i] = cw;
		}
		if (minw[i] > w[i])
			minw[i] = w[i];
	}
	for (;;) {
		size_t best = t->ncols;

		total = 2 * (t->ncols - 1);
		for (i = 0; i < t->ncols; i++)
			total += w[i];
		if (total <= width)
			break;
		for (i = 0; i < t->ncols; i++)
			if (w[i] > minw[i] && (best == t->ncols ||
			    w[i] > w[best]))
				best = i;
		if (best == t->ncols)
			break;
		w[best]--;
	}
	for (r = 0; r <= t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const char *s = r == 0 ? t->heads[i] :
			    t->cells[(r - 1) * t->ncols + i];

			if (i > 0)
				fputs("  ", stdout);
			print_cell(s, w[i], t->right[i], i + 1 == t->ncols);
		}
		putchar('\n');
	}
}

/* "123.4" (decimal GB, as Finder counts), or NULL when unknown. */
static const char *
fmt_gb(const json_t *o, const char *key, char *buf, size_t len)
{
	long long v;

	if (record_int(o, key, &v) == -1 || v < 0)
		return NULL;
	snprintf(buf, len, "%.1f", (double)v / 1e9);
	return buf;
}

static const char *
fmt_pct(const json_t *o, const char *key, char *buf, size_t len)
{
	long long v;

	if (record_int(o, key, &v) == -1)
		return NULL;
	snprintf(buf, len, "%lld%%", v);
	return buf;
}

/* "2026-11-24 16:10" from an RFC 3339 time (UTC). */
static const char *
fmt_time(const char *s, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (s == NULL || rfc3339_parse(s, &t, NULL) == -1 ||
	    gmtime_r(&t, &tm) == NULL)
		return s;
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	return buf;
}

static const char *
first_str(const json_t *o, const char *const *keys)
{
	const char *s;

	for (; *keys != NULL; keys++)
		if ((s = record_str(o, *keys)) != NULL && *s != '\0')
			return s;
	return NULL;
}

/* ---- latest ----------------------------------------------------------- */

struct out {
	int array;
	long n;
	struct table *t;
};

static int
print_text(void *arg, const char *json, size_t len)
{
	struct out *o = arg;

	if (o->array)
		fputs(o->n == 0 ? "[\n" : ",\n", stdout);
	fwrite(json, 1, len, stdout);
	if (!o->array)
		putchar('\n');
	o->n++;
	return ferror(stdout) ? -1 : 0;
}

static int
table_latest_row(void *arg, const char *json, size_t len)
{
	static const char *const namek[] = { "computer_name", "hostname",
	    "host", "id", NULL };
	static const char *const modelk[] = { "model_name", "model", NULL };
	struct out *o = arg;
	json_t *r = json_loadb(json, len, 0, NULL);
	char gb[32], bat[32], seen[64];
	const char *cells[8];
	int b, on, rc;

	if (r == NULL)
		return -1;
	cells[0] = first_str(r, namek);
	cells[1] = record_str(r, "ip");
	cells[2] = record_str(r, "console_user");
	cells[3] = first_str(r, modelk);
	cells[4] = record_str(r, "os_version");
	cells[5] = fmt_gb(r, "disk_free_bytes", gb, sizeof(gb));
	cells[6] = fmt_pct(r, "battery_percent", bat, sizeof(bat));
	if (cells[6] == NULL && record_bool(r, "battery_present", &b) == 0 &&
	    !b)
		cells[6] = "none";
	if (record_bool(r, "online", &on) == 0 && on)
		cells[7] = "online";
	else
		cells[7] = fmt_time(record_str(r, "last_seen"), seen,
		    sizeof(seen));
	rc = table_row(o->t, cells);
	json_decref(r);
	o->n++;
	return rc;
}

static int
cmd_latest(struct store *st, const struct opts *op)
{
	static const char *const heads[] = { "NAME", "IP", "USER", "MODEL",
	    "MACOS", "FREE GB", "BATTERY", "SEEN" };
	static const int right[] = { 0, 0, 0, 0, 0, 1, 1, 0 };
	struct table t = { 8, heads, right, NULL, 0, 0 };
	struct out o = { op->array, 0, &t };
	struct ms_err e;
	long n;

	/* Megabytes go out: fewer, larger writes. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	n = store_latest_foreach(st, op->table ? table_latest_row :
	    print_text, &o, &e);
	if (n == -1) {
		table_free(&t);
		if (ferror(stdout))
			die(EX_STORE, "write error on stdout:");
		die(EX_STORE, "%s: %s", store_dir(st), e.msg);
	}
	if (op->table)
		table_print(&t, term_width());
	else if (op->array)
		fputs(n == 0 ? "[]\n" : "\n]\n", stdout);
	table_free(&t);
	return EX_OK;
}

/* ---- list, prune, history -------------------------------------------- */

static int
cmd_list(struct store *st, const struct opts *op)
{
	static const char *const heads[] = { "SNAPSHOT", "TIME", "MACHINES" };
	static const int right[] = { 0, 0, 1 };
	struct table t = { 3, heads, right, NULL, 0, 0 };
	struct store_snap *v;
	struct ms_err e;
	size_t n, i;

	if (store_list(st, &v, &n, &e) == -1)
		die(EX_STORE, "%s", e.msg);
	for (i = 0; i < n; i++) {
		char ts[RFC3339_LEN], cnt[32];
		const char *cells[3];

		if (rfc3339_format(v[i].when, ts) == NULL)
			snprintf(ts, sizeof(ts), "?");
		if (v[i].count == (size_t)-1)
			snprintf(cnt, sizeof(cnt), "?");
		else
			snprintf(cnt, sizeof(cnt), "%zu", v[i].count);
		if (op->table) {
			cells[0] = v[i].name;
			cells[1] = ts;
			cells[2] = cnt;
			if (table_row(&t, cells) == -1)
				die(EX_STORE, "out of memory");
		} else {
			printf("%s\t%s\t%s\n", v[i].name, ts, cnt);
		}
	}
	if (op->table)
		table_print(&t, term_width());
	table_free(&t);
	store_snaps_free(v, n);
	return EX_OK;
}

static int
cmd_prune(struct store *st, const struct opts *op)
{
	struct ms_err e;
	int n;

	if (store_lock(st, STORE_LOCK_TIMEOUT, &e) == -1)
		die(EX_STORE, "cannot lock the store: %s", e.msg);
	if ((n = store_prune(st, op->keep, &e)) == -1)
		die(EX_STORE, "%s", e.msg);
	ms_info("removed %d snapshot%s, keeping %u", n, n == 1 ? "" : "s",
	    op->keep);
	store_unlock(st);
	return EX_OK;
}

static int
cmd_history(struct store *st, const struct opts *op, const char *id)
{
	static const char *const heads[] = { "TIME", "FREE GB", "TOTAL GB",
	    "BATTERY", "HEALTH", "ONLINE" };
	static const int right[] = { 0, 1, 1, 1, 1, 0 };
	struct table t = { 6, heads, right, NULL, 0, 0 };
	struct ms_err e;
	json_t *h, *o;
	size_t i;

	if ((h = store_history(st, id, &e)) == NULL) {
		if (strncmp(e.msg, "no history", 10) == 0) {
			ms_error("%s", e.msg);
			return EX_BAD;
		}
		die(EX_STORE, "%s", e.msg);
	}
	json_array_foreach(h, i, o) {
		char a[32], b[32], c[32], d[32], ts[64];
		const char *cells[6];
		int on;

		if (!op->table) {
			/* The entry as the file holds it: t, id, values. */
			json_t *x = json_object();
			const char *k;
			json_t *v;

			if (x == NULL || json_object_set(x, "t",
			    json_object_get(o, "t")) == -1 ||
			    json_object_set_new(x, "id", json_string(id)) == -1)
				die(EX_STORE, "out of memory");
			json_object_foreach(o, k, v)
				if (strcmp(k, "t") != 0 &&
				    json_object_set(x, k, v) == -1)
					die(EX_STORE, "out of memory");
			if (stream_write(stdout, x, &e) == -1)
				die(EX_STORE, "%s", e.msg);
			json_decref(x);
			continue;
		}
		cells[0] = fmt_time(record_str(o, "t"), ts, sizeof(ts));
		cells[1] = fmt_gb(o, "disk_free_bytes", a, sizeof(a));
		cells[2] = fmt_gb(o, "disk_total_bytes", b, sizeof(b));
		cells[3] = fmt_pct(o, "battery_percent", c, sizeof(c));
		cells[4] = fmt_pct(o, "battery_health_percent", d, sizeof(d));
		cells[5] = record_bool(o, "online", &on) == -1 ? NULL :
		    on ? "yes" : "no";
		if (table_row(&t, cells) == -1)
			die(EX_STORE, "out of memory");
	}
	if (op->table)
		table_print(&t, term_width());
	table_free(&t);
	json_decref(h);
	return EX_OK;
}

/* ---- add --------------------------------------------------------------- */

static int
store_and_prune(struct store *st, const struct opts *op, json_t *recs,
    time_t when, const char *what)
{
	struct ms_err e;
	char *name;
	int n;

	if (store_add(st, recs, when, &name, &e) == -1)
		die(EX_STORE, "%s: %s", store_dir(st), e.msg);
	ms_info("%s: stored %zu machine%s in %s/snapshots/%s", what,
	    json_array_size(recs), json_array_size(recs) == 1 ? "" : "s",
	    store_dir(st), name);
	free(name);
	if ((n = store_prune(st, op->keep, &e)) == -1)
		die(EX_STORE, "%s", e.msg);
	if (n > 0)
		ms_info("removed %d old snapshot%s, keeping %u", n,
		    n == 1 ? "" : "s", op->keep);
	return 0;
}

static int
cmd_add(struct store *st, const struct opts *op)
{
	struct stream s;
	struct stream_item it;
	struct ms_err e;
	json_t *recs, *where;
	unsigned long bad = 0;
	int r;

	if ((recs = json_array()) == NULL || (where = json_object()) == NULL)
		die(EX_STORE, "out of memory");
	stream_init(&s, stdin, "<stdin>", 0);
	while ((r = stream_next(&s, &it, &e)) != STREAM_EOF) {
		const char *id;
		json_t *at;

		if (r == STREAM_FAIL)
			die(EX_STORE, "%s", e.msg);
		if (r == STREAM_BAD) {
			ms_error("%s", e.msg);
			bad++;
			continue;
		}
		if (it.is_host) {
			ms_error("<stdin>:%lu: a host line, not a record "
			    "(macstore stores what macprobe prints)",
			    it.lineno);
			json_decref(it.rec);
			bad++;
			continue;
		}
		if ((id = record_identity(it.rec)) == NULL) {
			ms_error("<stdin>:%lu: record has no serial, mac, ip "
			    "or host", it.lineno);
			json_decref(it.rec);
			bad++;
			continue;
		}
		if ((at = json_object_get(where, id)) != NULL) {
			json_int_t v = json_integer_value(at);
			size_t idx = (size_t)(v >> 32);
			unsigned long line = (unsigned long)(v & 0xffffffff);

			ms_warn("<stdin>:%lu: same id %s as line %lu: keeping "
			    "this one", it.lineno, safe_id(id), line);
			json_array_set_new(recs, idx, it.rec);
			json_object_set_new(where, id, json_integer(
			    (json_int_t)(((uint64_t)idx << 32) |
			    (it.lineno & 0xffffffff))));
			continue;
		}
		if (json_object_set_new(where, id, json_integer((json_int_t)
		    (((uint64_t)json_array_size(recs) << 32) |
		    (it.lineno & 0xffffffff)))) == -1 ||
		    json_array_append_new(recs, it.rec) == -1)
			die(EX_STORE, "out of memory");
	}
	stream_close(&s);
	json_decref(where);
	if (json_array_size(recs) == 0) {
		ms_error("no records on stdin: nothing stored");
		json_decref(recs);
		return EX_BAD;
	}
	if (store_lock(st, STORE_LOCK_TIMEOUT, &e) == -1)
		die(EX_STORE, "cannot lock the store: %s", e.msg);
	store_and_prune(st, op, recs, op->when_set ? op->when : time(NULL),
	    "add");
	store_unlock(st);
	json_decref(recs);
	if (bad > 0) {
		ms_error("%lu bad line%s not stored", bad, bad == 1 ? "" :
		    "s");
		return EX_BAD;
	}
	return EX_OK;
}

/* ---- import of the old service's files --------------------------------- */

static int
is_unknown(const json_t *v)
{
	const char *s;

	if (json_is_null(v))
		return 1;
	if ((s = json_string_value(v)) == NULL)
		return 0;
	while (*s == ' ')
		s++;
	return *s == '\0' || strcasecmp(s, "unknown") == 0 ||
	    strcasecmp(s, "n/a") == 0 || strcasecmp(s, "none") == 0 ||
	    strcasecmp(s, "inconnu") == 0 || strcmp(s, "-") == 0;
}

/* A number from a JSON number or a numeric string ("87", "87%", "1,5"). */
static int
num_of(const json_t *v, double *out, const char **rest)
{
	static char tail[16];
	const char *s;
	char buf[64], *end;
	size_t i;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		if (rest != NULL)
			*rest = "";
		return 0;
	}
	if ((s = json_string_value(v)) == NULL)
		return -1;
	while (*s == ' ')
		s++;
	for (i = 0; s[i] != '\0' && i < sizeof(buf) - 1; i++)
		buf[i] = s[i] == ',' ? '.' : s[i];
	buf[i] = '\0';
	if (buf[0] == '\0' || !(buf[0] == '.' || (buf[0] >= '0' &&
	    buf[0] <= '9')))
		return -1;
	errno = 0;
	*out = strtod(buf, &end);
	if (errno != 0 || end == buf || *out != *out)
		return -1;
	while (*end == ' ')
		end++;
	snprintf(tail, sizeof(tail), "%s", end);
	if (rest != NULL)
		*rest = tail;
	else if (*end != '\0')
		return -1;
	return 0;
}

/* Bytes from a size: a number is GB (decimal); a string may carry a
 * unit, binary as df -h prints it (Gi) or decimal (G, GB). */
static int
bytes_of(const json_t *v, long long *out)
{
	static const struct {
		const char *u;
		double m;
	} units[] = {
		{ "", 1e9 }, { "B", 1 }, { "K", 1e3 }, { "KB", 1e3 },
		{ "Ki", 1024.0 }, { "KiB", 1024.0 }, { "M", 1e6 },
		{ "MB", 1e6 }, { "Mi", 1048576.0 }, { "MiB", 1048576.0 },
		{ "G", 1e9 }, { "GB", 1e9 }, { "Go", 1e9 },
		{ "Gi", 1073741824.0 }, { "GiB", 1073741824.0 },
		{ "T", 1e12 }, { "TB", 1e12 }, { "To", 1e12 },
		{ "Ti", 1099511627776.0 }, { "TiB", 1099511627776.0 },
	};
	const char *rest;
	double d;
	size_t i;

	if (num_of(v, &d, &rest) == -1 || d < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(rest, units[i].u) == 0 &&
		    (units[i].u[0] == '\0' || strcmp(rest, units[i].u) == 0 ||
		    strlen(rest) > 1)) {
			d *= units[i].m;
			if (d > 9.2e18)
				return -1;
			*out = (long long)(d + 0.5);
			return 0;
		}
	}
	return -1;
}

static int
pct_of(const json_t *v, long long *out)
{
	const char *rest;
	double d;

	if (num_of(v, &d, &rest) == -1 || (*rest != '\0' &&
	    strcmp(rest, "%") != 0) || d < 0 || d > 100)
		return -1;
	*out = (long long)(d + 0.5);
	return 0;
}

static int
int_of(const json_t *v, long long *out)
{
	double d;

	if (num_of(v, &d, NULL) == -1 || d < 0 || d > 9.2e18 ||
	    d != (double)(long long)d)
		return -1;
	*out = (long long)d;
	return 0;
}

/* "3C-22-FB-1-2-3", "3c22fb010203" -> "3c:22:fb:01:02:03". */
static int
mac_of(const char *s, char out[18])
{
	unsigned v[6];
	int i = 0, k;
	const char *p = s;

	if (strlen(s) == 12) {
		for (i = 0; i < 6; i++) {
			char h[3] = { s[2 * i], s[2 * i + 1], 0 };
			char *end;

			v[i] = (unsigned)strtoul(h, &end, 16);
			if (*end != '\0' || h[0] == '+' || h[0] == '-' ||
			    h[0] == ' ')
				return -1;
		}
	} else {
		for (i = 0; i < 6; i++) {
			unsigned x = 0;

			for (k = 0; k < 2 && ((*p >= '0' && *p <= '9') ||
			    (*p >= 'a' && *p <= 'f') ||
			    (*p >= 'A' && *p <= 'F')); k++, p++)
				x = x * 16 + (unsigned)(*p <= '9' ? *p - '0' :
				    (*p | 0x20) - 'a' + 10);
			if (k == 0)
				return -1;
			v[i] = x;
			if (i < 5 && *p != ':' && *p != '-')
				return -1;
			if (i < 5)
				p++;
		}
		if (*p != '\0')
			return -1;
	}
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", v[0], v[1], v[2],
	    v[3], v[4], v[5]);
	return 0;
}

/* An old time stamp: RFC 3339, a naive ISO time (local, as Python's
 * datetime.now() wrote it) or seconds since the epoch. */
static int
time_of(const json_t *v, time_t *out)
{
	const char *s = json_string_value(v);
	struct tm tm;
	char *end;

	if (json_is_number(v)) {
		double d = json_number_value(v);

		if (d > 1e12)
			d /= 1000;	/* milliseconds */
		if (d < 0 || d > 253402300799.0)
			return -1;
		*out = (time_t)d;
		return 0;
	}
	if (s == NULL)
		return -1;
	if (rfc3339_parse(s, out, NULL) == 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (end == NULL)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (*end != '\0')
		return -1;
	tm.tm_isdst = -1;
	if ((*out = mktime(&tm)) == (time_t)-1)
		return -1;
	return 0;
}

enum { M_STR, M_MAC, M_ARCH, M_BYTES, M_GB, M_PCT, M_INT, M_BOOL, M_USER,
	M_TIME, M_BSTATE };

static const struct alias {
	const char *from;
	const char *to;
	int kind;
} aliases[] = {
	/* DESIGN's own names first: they win over the old ones. */
	{ "ip", "ip", M_STR }, { "hostname", "hostname", M_STR },
	{ "computer_name", "computer_name", M_STR },
	{ "mac", "mac", M_MAC }, { "serial", "serial", M_STR },
	{ "model", "model", M_STR }, { "model_name", "model_name", M_STR },
	{ "chip", "chip", M_STR }, { "os_version", "os_version", M_STR },
	{ "os_build", "os_build", M_STR }, { "arch", "arch", M_ARCH },
	{ "memory_bytes", "memory_bytes", M_INT },
	{ "disk_free_bytes", "disk_free_bytes", M_INT },
	{ "disk_total_bytes", "disk_total_bytes", M_INT },
	{ "battery_percent", "battery_percent", M_PCT },
	{ "battery_state", "battery_state", M_BSTATE },
	{ "battery_cycles", "battery_cycles", M_INT },
	{ "battery_health_percent", "battery_health_percent", M_PCT },
	{ "battery_condition", "battery_condition", M_STR },
	{ "ac_power", "ac_power", M_BOOL },
	{ "console_user", "console_user", M_USER },
	{ "scanned_at", "scanned_at", M_TIME },
	/* The old service's names, and likely variants. */
	{ "ip_address", "ip", M_STR }, { "IP Address", "ip", M_STR },
	{ "host_name", "hostname", M_STR }, { "Hostname", "hostname", M_STR },
	{ "mac_address", "mac", M_MAC }, { "MAC Address", "mac", M_MAC },
	{ "serial_number", "serial", M_STR },
	{ "Serial Number", "serial", M_STR },
	{ "model_identifier", "model", M_STR },
	{ "Model Identifier", "model", M_STR },
	{ "macos_version", "os_version", M_STR },
	{ "macOS Version", "os_version", M_STR },
	{ "architecture", "arch", M_ARCH },
	{ "Architecture", "arch", M_ARCH },
	{ "disk_free_gb", "disk_free_bytes", M_GB },
	{ "disk_free", "disk_free_bytes", M_BYTES },
	{ "Disk Free", "disk_free_bytes", M_BYTES },
	{ "disk_total_gb", "disk_total_bytes", M_GB },
	{ "disk_total", "disk_total_bytes", M_BYTES },
	{ "battery", "battery_percent", M_PCT },
	{ "battery_level", "battery_percent", M_PCT },
	{ "battery_status", "battery_state", M_BSTATE },
	{ "charging", "battery_state", M_BSTATE },
	{ "cycle_count", "battery_cycles", M_INT },
	{ "battery_health", "battery_health_percent", M_PCT },
	{ "username", "console_user", M_USER },
	{ "user", "console_user", M_USER },
	{ "current_user", "console_user", M_USER },
	{ "Current User", "console_user", M_USER },
	{ "last_seen", "scanned_at", M_TIME },
	{ "timestamp", "scanned_at", M_TIME },
};

/* battery_status / charging as a DESIGN battery_state, else NULL. */
static const char *
bstate_of(const json_t *v)
{
	static const struct {
		const char *from, *to;
	} m[] = {
		{ "charging", "charging" }, { "discharging", "discharging" },
		{ "charged", "charged" }, { "fully charged", "charged" },
		{ "full", "charged" }, { "finishing", "finishing" },
		{ "finishing charge", "finishing" },
		{ "not charging", "not_charging" },
		{ "not_charging", "not_charging" },
		{ "ac attached", "not_charging" },
	};
	const char *s = json_string_value(v);
	size_t i;

	if (json_is_true(v))
		return "charging";
	if (s == NULL)
		return NULL;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (strcasecmp(s, m[i].from) == 0)
			return m[i].to;
	return NULL;
}

/* 1 if s holds w, ignoring case (strcasestr is not POSIX). */
static int
has_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, w, n) == 0)
			return 1;
	return 0;
}

/*
 * Convert one value; 1 set, 0 when it cannot be read (the field stays as
 * it was, under its own name), -1 out of memory.
 */
static int
map_value(json_t *out, const struct alias *a, const json_t *v)
{
	long long n;
	char mac[18];
	const char *s;
	time_t t;
	char ts[RFC3339_LEN];

	switch (a->kind) {
	case M_STR:
		if ((s = json_string_value(v)) == NULL)
			return 0;
		return record_set_str(out, a->to, s) == -1 ? -1 : 1;
	case M_MAC:
		if ((s = json_string_value(v)) == NULL || mac_of(s, mac) == -1)
			return 0;
		return record_set_str(out, a->to, mac) == -1 ? -1 : 1;
	case M_ARCH:
		if ((s = json_string_value(v)) == NULL)
			return 0;
		if (has_word(s, "arm") || has_word(s, "apple silicon"))
			s = "arm64";
		else if (has_word(s, "intel") || has_word(s, "x86_64"))
			s = "x86_64";
		else
			return 0;
		return record_set_str(out, a->to, s) == -1 ? -1 : 1;
	case M_BYTES:
	case M_GB:
		if (bytes_of(v, &n) == -1)
			return 0;
		return record_set_int(out, a->to, n) == -1 ? -1 : 1;
	case M_PCT:
		if (pct_of(v, &n) == -1)
			return 0;
		return record_set_int(out, a->to, n) == -1 ? -1 : 1;
	case M_INT:
		if (int_of(v, &n) == -1)
			return 0;
		return record_set_int(out, a->to, n) == -1 ? -1 : 1;
	case M_BOOL:
		if (!json_is_boolean(v))
			return 0;
		return record_set_bool(out, a->to, json_is_true(v)) == -1 ?
		    -1 : 1;
	case M_USER:
		if ((s = json_string_value(v)) == NULL)
			return 0;
		/* The login window owns the console when nobody is
		 * logged in: that is "no user", absent. */
		if (strcmp(s, "root") == 0 || strcmp(s, "loginwindow") == 0 ||
		    strcmp(s, "_mbsetupuser") == 0)
			return 1;
		return record_set_str(out, a->to, s) == -1 ? -1 : 1;
	case M_TIME:
		if (time_of(v, &t) == -1 || rfc3339_format(t, ts) == NULL)
			return 0;
		return record_set_str(out, a->to, ts) == -1 ? -1 : 1;
	case M_BSTATE:
		if ((s = bstate_of(v)) == NULL)
			return 0;
		return record_set_str(out, a->to, s) == -1 ? -1 : 1;
	}
	return 0;
}

/* "Model Name: MacBook Pro Model Identifier: MacBookPro18,3" */
static int
map_model_info(json_t *out, const char *s)
{
	const char *n = strstr(s, "Model Name:");
	const char *i = strstr(s, "Model Identifier:");

	if (i != NULL && record_str(out, "model") == NULL) {
		const char *p = i + 17;
		size_t len;

		while (*p == ' ')
			p++;
		for (len = 0; p[len] != '\0' && p[len] != ' ' &&
		    p[len] != '\n'; len++)
			;
		if (len > 0 && record_set_strn(out, "model", p, len) == -1)
			return -1;
	}
	if (n != NULL && record_str(out, "model_name") == NULL) {
		const char *p = n + 11, *e = i != NULL && i > n ? i :
		    p + strlen(p);

		while (*p == ' ')
			p++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\n'))
			e--;
		if (e > p && record_set_strn(out, "model_name", p,
		    (size_t)(e - p)) == -1)
			return -1;
	}
	return 0;
}

/* The nested objects of the old scanner: their parts that map. */
static int
map_nested(json_t *out, const json_t *in)
{
	const json_t *bs = json_object_get(in, "battery_status");
	const json_t *bd = json_object_get(in, "battery_details");
	long long n;
	const char *s;

	if (json_is_object(bs)) {
		if (record_str(out, "battery_percent") == NULL &&
		    !json_is_integer(json_object_get(out, "battery_percent")) &&
		    pct_of(json_object_get(bs, "percent"), &n) == 0 &&
		    record_set_int(out, "battery_percent", n) == -1)
			return -1;
		if (json_object_get(out, "ac_power") == NULL) {
			const json_t *pp = json_object_get(bs,
			    "power_plugged");

			s = json_string_value(json_object_get(bs,
			    "drawing_from"));
			if (json_is_boolean(pp)) {
				if (record_set_bool(out, "ac_power",
				    json_is_true(pp)) == -1)
					return -1;
			} else if (s != NULL && (strstr(s, "AC") != NULL ||
			    strstr(s, "Battery") != NULL)) {
				if (record_set_bool(out, "ac_power",
				    strstr(s, "AC") != NULL) == -1)
					return -1;
			}
		}
		if (json_object_get(out, "battery_percent") != NULL &&
		    json_object_get(out, "battery_present") == NULL &&
		    record_set_bool(out, "battery_present", 1) == -1)
			return -1;
	}
	if (json_is_object(bd)) {
		if (json_object_get(out, "battery_cycles") == NULL &&
		    int_of(json_object_get(bd, "cycle_count"), &n) == 0 &&
		    record_set_int(out, "battery_cycles", n) == -1)
			return -1;
		s = json_string_value(json_object_get(bd, "condition"));
		if (json_object_get(out, "battery_condition") == NULL &&
		    s != NULL && !is_unknown(json_object_get(bd,
		    "condition")) && record_set_str(out, "battery_condition",
		    s) == -1)
			return -1;
	}
	s = json_string_value(json_object_get(in, "model_info"));
	if (s != NULL && map_model_info(out, s) == -1)
		return -1;
	return 0;
}

/*
 * One machine of an old file as a record: what maps onto DESIGN's fields
 * is converted (and the old name dropped); "Unknown" and empty values are
 * dropped (absent means unknown); every other field is kept unchanged.
 */
static json_t *
map_old(const json_t *in, const char *file, size_t idx)
{
	json_t *out = json_object(), *v;
	const char *k;
	size_t i;

	if (out == NULL)
		return NULL;
	/* Unknown fields first, in their order. */
	json_object_foreach((json_t *)in, k, v) {
		int known = record_field_type(k) != -1;

		for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
			if (strcmp(aliases[i].from, k) == 0)
				known = 1;
		if (!known && !is_unknown(v) &&
		    json_object_set(out, k, v) == -1)
			goto fail;
	}
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		const struct alias *a = &aliases[i];
		int r;

		v = json_object_get(in, a->from);
		if (v == NULL || is_unknown(v) ||
		    json_object_get(out, a->to) != NULL)
			continue;
		if (json_is_object(v) || json_is_array(v)) {
			/* The old scanner's nested objects: kept, and their
			 * parts that map are read by map_nested. */
			if (record_field_type(a->from) == -1 &&
			    json_object_get(out, a->from) == NULL &&
			    json_object_set(out, a->from, v) == -1)
				goto fail;
			continue;
		}
		if ((r = map_value(out, a, v)) == -1)
			goto fail;
		if (r == 0) {
			char *d = json_dumps(v, JSON_ENCODE_ANY);
			char *sd = sanitize(d, 60);

			/* Kept under its old name, unless that name is one
			 * of ours with another meaning. */
			if (record_field_type(a->from) == -1 &&
			    json_object_get(out, a->from) == NULL &&
			    json_object_set(out, a->from, (json_t *)v) == -1) {
				free(d);
				free(sd);
				goto fail;
			}
			ms_warn("%s: machine %zu: %s: cannot read %s%s", file,
			    idx + 1, a->from, sd ? sd : "?",
			    record_field_type(a->from) != -1 ? ": dropped" :
			    ": kept as it is");
			free(d);
			free(sd);
		}
	}
	if (map_nested(out, in) == -1)
		goto fail;
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* The time of an old file: smartelia_machines_YYYYMMDD_HHMMSS.json in
 * local time, as the old service named them, else its mtime. */
static int
old_file_time(const char *path, time_t *when)
{
	const char *b = strrchr(path, '/');
	struct tm tm;
	struct stat sb;
	char *end;

	b = b != NULL ? b + 1 : path;
	if (strncmp(b, "smartelia_machines_", 19) == 0) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(b + 19, "%Y%m%d_%H%M%S", &tm);
		if (end != NULL && strncmp(end, ".json", 5) == 0) {
			tm.tm_isdst = -1;
			if ((*when = mktime(&tm)) != (time_t)-1)
				return 0;
		}
	}
	if (stat(path, &sb) == -1)
		return -1;
	*when = sb.st_mtim.tv_sec;
	return 0;
}

struct import {
	const char *path;
	time_t when;
	json_t *recs;
};

static int
import_cmp(const void *a, const void *b)
{
	const struct import *x = a, *y = b;

	if (x->when != y->when)
		return x->when < y->when ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Read and map one old file: its records, or NULL (reported). */
static json_t *
import_read(const char *path, unsigned long *bad)
{
	struct ms_err e;
	json_error_t je;
	json_t *doc, *recs, *m, *where;
	char *text;
	size_t len, i;

	if ((text = ms_read_file(path, IMPORT_MAX, &len, &e)) == NULL) {
		ms_error("%s", e.msg);
		(*bad)++;
		return NULL;
	}
	doc = json_loadb(text, len, 0, &je);
	free(text);
	if (doc == NULL) {
		ms_error("%s:%d:%d: %s", path, je.line, je.column, je.text);
		(*bad)++;
		return NULL;
	}
	if (!json_is_array(doc)) {
		ms_error("%s: not a JSON array of machines", path);
		json_decref(doc);
		(*bad)++;
		return NULL;
	}
	if ((recs = json_array()) == NULL || (where = json_object()) == NULL)
		die(EX_STORE, "out of memory");
	json_array_foreach(doc, i, m) {
		json_t *r, *at;
		const char *id;

		if (!json_is_object(m)) {
			ms_error("%s: machine %zu: not an object", path,
			    i + 1);
			(*bad)++;
			continue;
		}
		if ((r = map_old(m, path, i)) == NULL)
			die(EX_STORE, "out of memory");
		if (record_check(r, &e) == -1) {
			ms_error("%s: machine %zu: %s", path, i + 1, e.msg);
			json_decref(r);
			(*bad)++;
			continue;
		}
		if ((id = record_identity(r)) == NULL) {
			ms_error("%s: machine %zu: no serial, mac or ip", path,
			    i + 1);
			json_decref(r);
			(*bad)++;
			continue;
		}
		if ((at = json_object_get(where, id)) != NULL) {
			ms_warn("%s: machines %lld and %zu have the same id "
			    "%s: keeping the last", path,
			    (long long)json_integer_value(at) + 1, i + 1,
			    safe_id(id));
			json_array_set_new(recs, (size_t)json_integer_value(
			    json_object_get(where, id)), r);
			continue;
		}
		json_object_set_new(where, id,
		    json_integer((json_int_t)json_array_size(recs)));
		if (json_array_append_new(recs, r) == -1)
			die(EX_STORE, "out of memory");
	}
	json_decref(where);
	json_decref(doc);
	if (json_array_size(recs) == 0) {
		ms_error("%s: no machines to import", path);
		json_decref(recs);
		(*bad)++;
		return NULL;
	}
	return recs;
}

static int
cmd_import(struct store *st, const struct opts *op, int argc, char **argv)
{
	struct import *v;
	struct store_snap *snaps;
	struct ms_err e;
	unsigned long bad = 0;
	size_t n = 0, nsnaps, i, j;
	int done = 0;

	if ((v = calloc((size_t)argc, sizeof(*v))) == NULL)
		die(EX_STORE, "out of memory");
	for (i = 0; i < (size_t)argc; i++) {
		json_t *recs = import_read(argv[i], &bad);

		if (recs == NULL)
			continue;
		if (old_file_time(argv[i], &v[n].when) == -1) {
			ms_error("%s:", argv[i]);
			json_decref(recs);
			bad++;
			continue;
		}
		v[n].path = argv[i];
		v[n].recs = recs;
		n++;
	}
	qsort(v, n, sizeof(*v), import_cmp);
	if (n > 0) {
		if (store_lock(st, STORE_LOCK_TIMEOUT, &e) == -1)
			die(EX_STORE, "cannot lock the store: %s", e.msg);
		if (store_list(st, &snaps, &nsnaps, &e) == -1)
			die(EX_STORE, "%s", e.msg);
		for (i = 0; i < n; i++) {
			char ts[RFC3339_LEN];

			for (j = 0; j < nsnaps; j++)
				if (snaps[j].when == v[i].when)
					break;
			if (j < nsnaps) {
				/* Importing twice must not double a scan. */
				ms_warn("%s: a snapshot of %s exists already "
				    "(%s): skipped", v[i].path,
				    rfc3339_format(v[i].when, ts) ? ts : "?",
				    snaps[j].name);
				continue;
			}
			if (store_add(st, v[i].recs, v[i].when, NULL, &e) == -1)
				die(EX_STORE, "%s: %s", v[i].path, e.msg);
			ms_info("%s: imported %zu machine%s as of %s",
			    v[i].path, json_array_size(v[i].recs),
			    json_array_size(v[i].recs) == 1 ? "" : "s",
			    rfc3339_format(v[i].when, ts) ? ts : "?");
			done++;
		}
		store_snaps_free(snaps, nsnaps);
		if (done > 0) {
			int k = store_prune(st, op->keep, &e);

			if (k == -1)
				die(EX_STORE, "%s", e.msg);
			if (k > 0)
				ms_info("removed %d old snapshot%s, keeping %u"
				    " (their history stays)", k,
				    k == 1 ? "" : "s", op->keep);
		}
		store_unlock(st);
	}
	for (i = 0; i < n; i++)
		json_decref(v[i].recs);
	free(v);
	return bad > 0 ? EX_BAD : EX_OK;
}

/* ---- main -------------------------------------------------------------- */

static void
parse_opts(int argc, char **argv, struct opts *op, int *seen)
{
	const char *es;
	long long v;
	int c;

	while ((c = getopt(argc, argv, OPTSTRING)) != -1) {
		switch (c) {
		case 'a':
			op->array = 1;
			break;
		case 'd':
			op->dir = optarg;
			break;
		case 'h':
			usage(stdout, EX_OK);
			break;
		case 'k':
			if (ms_strtonum(optarg, 1, KEEP_MAX, &v, &es) == -1)
				die(EX_USAGE, "-k: keep is %s: %s", es,
				    optarg);
			op->keep = (unsigned)v;
			op->keep_set = 1;
			break;
		case 'q':
			ms_verbosity = 0;
			break;
		case 'T':
			if (rfc3339_parse(optarg, &op->when, NULL) == -1)
				die(EX_USAGE, "-T: not an RFC 3339 time: %s",
				    optarg);
			op->when_set = 1;
			break;
		case 't':
			op->table = 1;
			break;
		case 'v':
			if (ms_verbosity < 3)
				ms_verbosity = ms_verbosity < 1 ? 2 :
				    ms_verbosity + 1;
			break;
		default:
			usage(stderr, EX_USAGE);
		}
		seen[(unsigned char)c] = 1;
	}
}

int
main(int argc, char **argv)
{
	struct opts op = { 0 };
	struct config *cf;
	struct store *st;
	struct ms_err e;
	const char *cmd;
	char *dirbuf = NULL;
	int seen[256] = { 0 }, rc, rdonly;

	log_init(argv[0]);
	setlocale(LC_CTYPE, "");
	/* Options before the command, and after it (getopt may stop at
	 * the first operand). */
	parse_opts(argc, argv, &op, seen);
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(stderr, EX_USAGE);
	cmd = argv[0];
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
	optreset = 1;
	optind = 1;
#else
	optind = 0;
#endif
	parse_opts(argc, argv, &op, seen);
	argc -= optind;
	argv += optind;

	if (strcmp(cmd, "add") == 0 || strcmp(cmd, "latest") == 0 ||
	    strcmp(cmd, "list") == 0 || strcmp(cmd, "prune") == 0) {
		if (argc != 0)
			usage(stderr, EX_USAGE);
	} else if (strcmp(cmd, "history") == 0) {
		if (argc != 1)
			usage(stderr, EX_USAGE);
	} else if (strcmp(cmd, "import") == 0) {
		if (argc < 1)
			usage(stderr, EX_USAGE);
	} else {
		ms_error("unknown command: %s", safe_id(cmd));
		usage(stderr, EX_USAGE);
	}
	if ((seen['a'] && strcmp(cmd, "latest") != 0) ||
	    (seen['t'] && strcmp(cmd, "latest") != 0 &&
	    strcmp(cmd, "list") != 0 && strcmp(cmd, "history") != 0) ||
	    (seen['T'] && strcmp(cmd, "add") != 0) ||
	    (seen['k'] && strcmp(cmd, "add") != 0 &&
	    strcmp(cmd, "prune") != 0 && strcmp(cmd, "import") != 0) ||
	    (op.array && op.table))
		usage(stderr, EX_USAGE);

	/* Flags win over the environment, which wins over the file. */
	if ((cf = config_load(NULL, 0, &e)) == NULL)
		die(EX_STORE, "%s", e.msg);
	if (op.dir == NULL && (op.dir = dirbuf = strdup(config_get_default(cf,
	    "MACSCAN_DIR", STATEDIR))) == NULL)
		die(EX_STORE, "out of memory");
	if (!op.keep_set) {
		long long k;

		if (config_get_num(cf, "MACSCAN_KEEP", 1, KEEP_MAX,
		    STORE_KEEP_DEFAULT, &k, &e) == -1)
			die(EX_STORE, "%s", e.msg);
		op.keep = (unsigned)k;
	}
	config_free(cf);

	rdonly = strcmp(cmd, "latest") == 0 || strcmp(cmd, "list") == 0 ||
	    strcmp(cmd, "history") == 0;
	if ((st = store_open(op.dir, rdonly ? STORE_RDONLY : STORE_CREATE,
	    &e)) == NULL)
		die(EX_STORE, "store: %s", e.msg);
	store_set_warn(st, store_warn, NULL);

	if (strcmp(cmd, "add") == 0)
		rc = cmd_add(st, &op);
	else if (strcmp(cmd, "import") == 0)
		rc = cmd_import(st, &op, argc, argv);
	else if (strcmp(cmd, "latest") == 0)
		rc = cmd_latest(st, &op);
	else if (strcmp(cmd, "list") == 0)
		rc = cmd_list(st, &op);
	else if (strcmp(cmd, "prune") == 0)
		rc = cmd_prune(st, &op);
	else
		rc = cmd_history(st, &op, argv[0]);
	store_close(st);
	free(dirbuf);
	close_stdout();
	return rc;
}
