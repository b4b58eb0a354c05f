/*
 * store_snap.c - snapshot files: their names, reading one (the writer's
 * format line by line on the scanner, anything else through jansson),
 * listing them and retention.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "record.h"
#include "store_impl.h"

/* ---- what the store knows of each snapshot ---------------------------- */

static void
memo_put(struct store *st, const char *name, const struct stat *sb,
    int readable)
{
	struct snapmemo *m = NULL;
	size_t i;

	for (i = 0; i < st->nmemo && m == NULL; i++)
		if (strcmp(st->memo[i].name, name) == 0)
			m = &st->memo[i];
	if (m == NULL) {
		/* Out of memory: it is only a memo. */
		if (ms_grow(&st->memo, &st->capmemo, st->nmemo + 1,
		    sizeof(*st->memo)) == -1)
			return;
		m = &st->memo[st->nmemo];
		if ((m->name = strdup(name)) == NULL)
			return;
		st->nmemo++;
	}
	m->size = sb->st_size;
	m->mtim = sb->st_mtim;
	m->readable = readable;
}

/* Forget the snapshots that are gone (names: the ones there now). */
static void
memo_keep(struct store *st, const struct snapent *names, size_t n)
{
	size_t i, j, k = 0;

	for (i = 0; i < st->nmemo; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(st->memo[i].name, names[j].name) == 0)
				break;
		if (j < n)
			st->memo[k++] = st->memo[i];
		else
			free(st->memo[i].name);
	}
	st->nmemo = k;
}

void
store_memo_free(struct store *st)
{
	size_t i;

	for (i = 0; i < st->nmemo; i++)
		free(st->memo[i].name);
	free(st->memo);
	st->memo = NULL;
	st->nmemo = st->capmemo = 0;
}

/* Is snapshots/name readable? 1 or 0; -1 when it is gone; -2 out of
 * memory. The memo answers for a file unchanged since it was read. */
static int
snap_readable(struct store *st, const char *name)
{
	struct snapload sl;
	struct ms_err le;
	struct stat sb;
	char *path;
	size_t i;
	int r;

	if ((path = store_join(st->snapdir, name)) == NULL)
		return -2;
	r = stat(path, &sb);
	free(path);
	if (r == -1)
		return errno == ENOENT ? -1 : 0;
	for (i = 0; i < st->nmemo; i++) {
		const struct snapmemo *m = &st->memo[i];

		if (strcmp(m->name, name) == 0 && m->size == sb.st_size &&
		    m->mtim.tv_sec == sb.st_mtim.tv_sec &&
		    m->mtim.tv_nsec == sb.st_mtim.tv_nsec)
			return m->readable;
	}
	r = snap_load(st, name, &sl, &le);
	if (r == 0)
		snapload_free(&sl);
	return r == 0 ? 1 : r == 1 ? -1 : 0;
}

/* ---- snapshot names ------------------------------------------------- */

/* "machines-YYYYMMDDTHHMMSSZ.json" or "...Z-N.json" (1 <= N <= 99999). */
static int
snap_name_parse(const char *s, time_t *when, unsigned *seq)
{
	int v[6], i;
	const char *p;
	static const int w[6] = { 4, 2, 2, 2, 2, 2 };

	if (strncmp(s, "machines-", 9) != 0)
		return -1;
	p = s + 9;
	for (i = 0; i < 6; i++) {
		int k, x = 0;

		if (i == 3) {
			if (*p++ != 'T')
				return -1;
		}
		for (k = 0; k < w[i]; k++, p++) {
			if (!js_isdigit(*p))
				return -1;
			x = x * 10 + (*p - '0');
		}
		v[i] = x;
	}
	if (*p++ != 'Z')
		return -1;
	*seq = 0;
	if (*p == '-') {
		unsigned n = 0;
		int k = 0;

		p++;
		if (*p == '0')
			return -1;
		while (js_isdigit(*p) && k < 5) {
			n = n * 10 + (unsigned)(*p++ - '0');
			k++;
		}
		if (k == 0)
			return -1;
		*seq = n;
	}
	if (strcmp(p, ".json") != 0)
		return -1;
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 60)
		return -1;
	*when = (time_t)rfc3339_timegm(v[0], v[1], v[2], v[3], v[4], v[5]);
	return 0;
}

static int
snapent_cmp(const void *a, const void *b)
{
	const struct snapent *x = a, *y = b;

	if (x->when != y->when)
		return x->when < y->when ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->name, y->name);
}

void
snapents_free(struct snapent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int
snap_names(struct store *st, struct snapent **vp, size_t *np,
    struct ms_err *e)
{
	struct snapent *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*vp = NULL;
	*np = 0;
	if ((d = opendir(st->snapdir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return ms_err_set(e, "%s:", st->snapdir);
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct snapent se;

		if (snap_name_parse(de->d_name, &se.when, &se.seq) == -1)
			continue;
		if (ms_grow(&v, &cap, n + 1, sizeof(*v)) == -1)
			goto nomem;
		if ((se.name = strdup(de->d_name)) == NULL)
			goto nomem;
		v[n++] = se;
	}
	if (errno != 0) {
		ms_err_set(e, "%s:", st->snapdir);
		closedir(d);
		snapents_free(v, n);
		return -1;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), snapent_cmp);
	memo_keep(st, v, n);
	*vp = v;
	*np = n;
	return 0;
nomem:
	closedir(d);
	snapents_free(v, n);
	return ms_err_set(e, "out of memory");
}

int
snap_name_make(time_t when, unsigned seq, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&when, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	if (seq == 0)
		snprintf(buf, len, "machines-%04d%02d%02dT%02d%02d%02dZ.json",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, len, "machines-%04d%02d%02dT%02d%02d%02dZ-%u"
		    ".json", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec, seq);
	return 0;
}


/* ---- reading a snapshot --------------------------------------------- */

void
snapload_free(struct snapload *sl)
{
	size_t i;

	free(sl->buf);
	free(sl->v);
	for (i = 0; i < sl->nown; i++)
		free(sl->own[i]);
	free(sl->own);
	memset(sl, 0, sizeof(*sl));
}

static int
snapload_push(struct snapload *sl, const struct rinfo *ri)
{
	if (ms_grow(&sl->v, &sl->cap, sl->n + 1, sizeof(*sl->v)) == -1)
		return -1;
	sl->v[sl->n++] = *ri;
	return 0;
}

/* A record that fails the check: counted, the first one remembered. */
static void
snapload_bad(struct snapload *sl, size_t where, const char *why)
{
	if (sl->bad++ == 0) {
		sl->firstbad = where;
		snprintf(sl->why, sizeof(sl->why), "%s", why);
	}
}

static void
snapload_reset(struct snapload *sl)
{
	sl->n = 0;
	sl->skipped = 0;
	sl->bad = 0;
}

/* The writer's format: "[\n", one record a line ("," between), "]\n".
 * 0; -1 when the text is not in that format (or a line does not parse:
 * jansson will say where); -2 out of memory. */
static int
snap_scan_lines(struct snapload *sl, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	unsigned long lineno = 1;

	snapload_reset(sl);
	if (len < 4 || memcmp(buf, "[\n", 2) != 0 ||
	    memcmp(end - 2, "]\n", 2) != 0)
		return -1;
	/* Records are rarely shorter than 256 bytes: room for them at
	 * once rather than growing through a dozen copies. */
	if (ms_grow(&sl->v, &sl->cap, len / 256 + 8, sizeof(*sl->v)) == -1)
		return -2;
	p += 2;
	if (p == end - 2)
		return 0;	/* [] */
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;
		int more, r;
		struct rinfo ri;
		struct jerr je;
		struct ms_err re;

		lineno++;
		if (nl == NULL || nl == end - 1)
			return -1;
		n = (size_t)(nl - p);
		more = n > 0 && p[n - 1] == ',';
		if (more)
			n--;
		if (n == 0 || *p != '{')
			return -1;
		r = rec_scan(sl->ft, p, n, &ri, &je, &re);
		if (r == -1)
			return -1;
		if (r == -2) {
			snapload_bad(sl, lineno, re.msg);
		} else if (r == 0) {
			if (sl->skipped++ == 0)
				sl->firstskip = lineno;
		} else if (snapload_push(sl, &ri) == -1) {
			return -2;
		}
		p = nl + 1;
		if (!more)
			return p == end - 2 ? 0 : -1;
		if (p == end - 2)
			return -1;
	}
}

/*
 * Any other JSON array of objects: parsed by jansson, each element
 * dumped to compact text and checked like a line. -1 and e when the
 * text is not such an array.
 */
static int
snap_scan_json(struct snapload *sl, const char *buf, size_t len,
    const char *name, struct ms_err *e)
{
	json_error_t je;
	json_t *doc, *o;
	size_t i;

	snapload_reset(sl);
	sl->json = 1;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		return ms_err_set(e, "%s:%d:%d: %s", name, je.line,
		    je.column, je.text);
	if (!json_is_array(doc)) {
		json_decref(doc);
		return ms_err_set(e, "%s: not a JSON array", name);
	}
	json_array_foreach(doc, i, o) {
		struct rinfo ri;
		struct jerr sje;
		struct ms_err re;
		char *t;
		int r;

		if (!json_is_object(o) || record_check(o, &re) == -1) {
			snapload_bad(sl, i + 1, json_is_object(o) ? re.msg :
			    "not an object");
			continue;
		}
		if ((t = record_dump(o)) == NULL)
			goto nomem;
		if (ms_grow(&sl->own, &sl->capown, sl->nown + 1,
		    sizeof(*sl->own)) == -1) {
			free(t);
			goto nomem;
		}
		sl->own[sl->nown++] = t;
		r = rec_scan(sl->ft, t, strlen(t), &ri, &sje, &re);
		if (r == -1) {
			/* The scanner refuses what jansson wrote. */
			ms_err_set(e, "%s: record %zu: %s", name, i + 1,
			    sje.msg);
			json_decref(doc);
			return -1;
		}
		if (r == -2) {
			snapload_bad(sl, i + 1, re.msg);
		} else if (r == 0) {
			if (sl->skipped++ == 0)
				sl->firstskip = i + 1;
		} else if (snapload_push(sl, &ri) == -1) {
			goto nomem;
		}
	}
	json_decref(doc);
	return 0;
nomem:
	json_decref(doc);
	return ms_err_set(e, "out of memory");
}

static int
snap_scan(struct snapload *sl, const char *buf, size_t len,
    const char *name, struct ms_err *e)
{
	int r = snap_scan_lines(sl, buf, len);

	if (r == -2)
		return ms_err_set(e, "out of memory");
	if (r == 0)
		return 0;
	return snap_scan_json(sl, buf, len, name, e);
}

int
snap_load(struct store *st, const char *name, struct snapload *sl,
    struct ms_err *e)
{
	struct ms_err re;
	struct stat sb;
	char *path;
	int gone;

	memset(sl, 0, sizeof(*sl));
	sl->ft = &st->ft;
	if ((path = store_join(st->snapdir, name)) == NULL)
		return ms_err_set(e, "out of memory");
	if (stat(path, &sb) == -1)
		memset(&sb, 0, sizeof(sb));
	sl->buf = ms_read_file(path, st->snap_max, &sl->len, &re);
	gone = sl->buf == NULL && errno == ENOENT;
	free(path);
	if (sl->buf == NULL) {
		if (!gone)
			memo_put(st, name, &sb, 0);
		return gone ? 1 : ms_err_set(e, "%s", re.msg);
	}
	if (snap_scan(sl, sl->buf, sl->len, name, e) == -1) {
		memo_put(st, name, &sb, 0);
		snapload_free(sl);
		return -1;
	}
	if (sl->skipped > 0)
		store_warnf(st, "%s: %zu record%s without serial, mac, ip "
		    "or host skipped (first: %s %zu)", name, sl->skipped,
		    sl->skipped > 1 ? "s" : "", sl->json ? "record" : "line",
		    sl->firstskip);
	if (sl->bad > 0)
		store_warnf(st, "%s%s%zu: %s (%zu bad record%s skipped)", name,
		    sl->json ? ": record " : ":", sl->firstbad, sl->why,
		    sl->bad, sl->bad > 1 ? "s" : "");
	memo_put(st, name, &sb, sl->n > 0);
	if (sl->n == 0) {
		snapload_free(sl);
		return ms_err_set(e, "%s: no readable record", name);
	}
	return 0;
}

/* ---- listing, pruning ----------------------------------------------- */

int
store_list(struct store *st, struct store_snap **vp, size_t *np,
    struct ms_err *e)
{
	struct snapent *names;
	struct store_snap *v;
	size_t n, i;

	*vp = NULL;
	*np = 0;
	if (snap_names(st, &names, &n, e) == -1)
		return -1;
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL) {
		snapents_free(names, n);
		return ms_err_set(e, "out of memory");
	}
	for (i = 0; i < n; i++) {
		struct snapload sl;
		struct ms_err le;
		int r;

		v[i].name = names[i].name;
		names[i].name = NULL;
		v[i].when = names[i].when;
		v[i].count = (size_t)-1;
		r = snap_load(st, v[i].name, &sl, &le);
		if (r == 0) {
			v[i].count = sl.n;
			snapload_free(&sl);
		} else if (r == -1) {
			store_warnf(st, "snapshot %s", le.msg);
		}
	}
	snapents_free(names, n);
	*vp = v;
	*np = n;
	return 0;
}

void
store_snaps_free(struct store_snap *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int
store_prune(struct store *st, unsigned keep, struct ms_err *e)
{
	struct snapent *names;
	size_t n, i, cut = 0, readable = 0;
	int removed = 0;

	if (store_need_lock(st, e) == -1)
		return -1;
	if (keep < 1)
		return ms_err_set(e, "keep must be at least 1");
	if (snap_names(st, &names, &n, e) == -1)
		return -1;
	/* The keep-th newest readable snapshot: what is older goes. */
	for (i = n; i-- > 0 && readable < keep;) {
		int r = snap_readable(st, names[i].name);

		if (r == -2) {
			snapents_free(names, n);
			return ms_err_set(e, "out of memory");
		}
		if (r == 1 && ++readable == keep)
			cut = i;
	}
	for (i = 0; readable == keep && i < cut; i++) {
		char *p = store_join(st->snapdir, names[i].name);

		if (p == NULL) {
			snapents_free(names, n);
			return ms_err_set(e, "out of memory");
		}
		if (unlink(p) == -1 && errno != ENOENT) {
			ms_err_set(e, "%s:", p);
			free(p);
			snapents_free(names, n);
			return -1;
		}
		free(p);
		removed++;
	}
	snapents_free(names, n);
	if (removed > 0 && store_fsync_dir(st->snapdir, e) == -1)
		return -1;
	return removed;
}

/* ---- for tests and the fuzz harness --------------------------------- */

json_t *
store_parse_snapshot(const char *text, size_t len, struct ms_err *e)
{
	struct snapload sl;
	struct ftab ft;
	json_t *a;
	size_t i;

	memset(&sl, 0, sizeof(sl));
	ftab_init(&ft);
	sl.ft = &ft;
	if (snap_scan(&sl, text, len, "snapshot", e) == -1) {
		snapload_free(&sl);
		return NULL;
	}
	if (sl.bad > 0) {
		/* Here every record must pass (a reader skips the others). */
		ms_err_set(e, "%s %zu: %s", sl.json ? "record" : "line",
		    sl.firstbad, sl.why);
		snapload_free(&sl);
		return NULL;
	}
	if ((a = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < sl.n; i++) {
		const struct rinfo *ri = &sl.v[i];
		json_t *o = json_loadb(ri->text, ri->len, 0, NULL);
		char *id;

		if (o == NULL) {
			/* The scanner accepted what jansson refuses. */
			ms_err_set(e, "record %zu: scanner and parser "
			    "disagree", i + 1);
			json_decref(a);
			snapload_free(&sl);
			return NULL;
		}
		if (!ri->idkey) {
			if ((id = js_strdup(ri->id, ri->idlen, ri->idesc)) ==
			    NULL || record_set_str(o, "id", id) == -1) {
				free(id);
				json_decref(o);
				json_decref(a);
				goto nomem;
			}
			free(id);
		}
		if (json_array_append_new(a, o) == -1) {
			json_decref(a);
			goto nomem;
		}
	}
	snapload_free(&sl);
	return a;
nomem:
	snapload_free(&sl);
	ms_err_set(e, "out of memory");
	return NULL;
}
