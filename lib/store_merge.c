/*
 * store_merge.c - the merged view: the newest record of each id over
 * all snapshots, with first_seen, last_seen and online.
 *
 * It is the hot path (machttp and every scan read it), so it is computed
 * on the text: each snapshot is read whole, each record line is checked
 * by the scanner that also picks out "id" and "first_seen", and only the
 * newest line of each id is kept, as text. Output splices first_seen,
 * last_seen and online into that text. Only records that do not have the
 * shape the writer gives them (a file edited by hand) go through
 * jansson. This keeps one snapshot in memory at a time plus one line per
 * machine.
 */
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "store_impl.h"

#define MERGE_RETRIES 3

void
merge_free(struct merge *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].text);
	free(m->v);
	idmap_free(&m->ids);
	memset(m, 0, sizeof(*m));
}

struct ment *
merge_lookup(struct merge *m, const char *id)
{
	long i = idmap_find(&m->ids, id, strlen(id));

	return i < 0 ? NULL : &m->v[i];
}

/* A record's first_seen as a canonical time in out, or 0 if unusable. */
static int
first_seen_of(const struct rinfo *ri, char out[RFC3339_LEN])
{
	const char *p = ri->fs;
	size_t n = ri->fslen;
	char tmp[64];
	time_t t;

	if (p == NULL)
		return 0;
	if (!ri->fsesc && js_canonical_time(p, n)) {
		memcpy(out, p, 20);
		out[20] = '\0';
		return 1;
	}
	if (n >= sizeof(tmp))
		return 0;
	js_unescape(p, n, tmp);
	if (rfc3339_parse(tmp, &t, NULL) == -1 ||
	    rfc3339_format(t, out) == NULL)
		return 0;
	return 1;
}

static int
merge_add(struct merge *m, const struct rinfo *ri, int snap,
    const char *stamp)
{
	char small[256], *id = small, fs[RFC3339_LEN];
	struct ment *x;
	size_t len;
	long k;
	int r = -1, created;

	if (ri->idesc) {
		if (ri->idlen >= sizeof(small) &&
		    (id = malloc(ri->idlen + 1)) == NULL)
			return -1;
		len = js_unescape(ri->id, ri->idlen, id);
	} else {
		id = (char *)ri->id;
		len = ri->idlen;
	}
	/* Room for an entry first, so the table and the entries stay in
	 * step. */
	if (ms_grow(&m->v, &m->cap, m->ids.n + 1, sizeof(*m->v)) == -1 ||
	    (k = idmap_add(&m->ids, id, len, &created)) == -1)
		goto out;
	x = &m->v[k];
	if (created) {
		memset(x, 0, sizeof(*x));
		x->id = m->ids.v[k].s;
		x->snap = -1;
		memcpy(x->first, stamp, RFC3339_LEN);
		memcpy(x->last, stamp, RFC3339_LEN);
		x->online = snap == 0;
		m->n++;
	}
	/* A newer snapshot's record wins; within one, the last line. */
	if (x->snap == -1 || x->snap == snap) {
		if (m->keep_text) {
			char *t = malloc(ri->len + 1);

			if (t == NULL)
				goto out;
			memcpy(t, ri->text, ri->len);
			t[ri->len] = '\0';
			free(x->text);
			x->text = t;
			x->len = ri->len;
			x->cut = ri->fast ? (size_t)(ri->cut - ri->text) : 0;
			x->fast = ri->fast;
			x->idkey = ri->idkey;
		}
		x->snap = snap;
	}
	if (strcmp(stamp, x->first) < 0)
		memcpy(x->first, stamp, RFC3339_LEN);
	if (first_seen_of(ri, fs) && strcmp(fs, x->first) < 0)
		memcpy(x->first, fs, RFC3339_LEN);
	r = 0;
out:
	if (id != small && id != ri->id)
		free(id);
	return r;
}

/*
 * Read every snapshot, newest first, into m. Snapshots that do not parse
 * are skipped with a warning. A snapshot pruned while we read makes us
 * start again, so the view is of one state of the store.
 */
int
merge_run(struct store *st, struct merge *m, int keep_text,
    struct ms_err *e)
{
	int attempt;

	for (attempt = 0;; attempt++) {
		struct snapent *names;
		size_t n, i, k;
		int vanished = 0;

		merge_free(m);
		m->keep_text = keep_text;
		if (snap_names(st, &names, &n, e) == -1)
			return -1;
		m->nfiles = n;
		for (i = n; i-- > 0;) {
			struct snapload sl;
			struct ms_err le;
			char stamp[RFC3339_LEN];
			int r;

			r = snap_load(st, names[i].name, &sl, &le);
			if (r == 1) {
				vanished = 1;
				if (attempt < MERGE_RETRIES)
					break;
				continue;
			}
			if (r == -1) {
				store_warnf(st, "skipping snapshot %s", le.msg);
				continue;
			}
			if (rfc3339_format(names[i].when, stamp) == NULL) {
				snapload_free(&sl);
				continue;
			}
			if (m->nsnaps == 0) {
				memcpy(m->newest, stamp, RFC3339_LEN);
				m->newest_t = names[i].when;
			}
			for (k = 0; k < sl.n; k++) {
				if (merge_add(m, &sl.v[k], m->nsnaps,
				    stamp) == -1) {
					snapload_free(&sl);
					snapents_free(names, n);
					return ms_err_set(e, "out of memory");
				}
			}
			m->nsnaps++;
			snapload_free(&sl);
		}
		snapents_free(names, n);
		if (!vanished || attempt >= MERGE_RETRIES)
			return 0;
	}
}

static int
ment_cmp(const void *a, const void *b)
{
	const struct ment *x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* The merged record of x as compact JSON text in b. */
static int
ment_text(const struct ment *x, struct ms_buf *b, struct ms_err *e)
{
	json_t *o;
	char *s;
	int r;

	ms_buf_reset(b);
	if (x->fast) {
		if (ms_buf_append(b, x->text, x->cut) == -1 ||
		    ms_buf_printf(b, ",\"first_seen\":\"%s\",\"last_seen\":"
		    "\"%s\",\"online\":%s}", x->first, x->last,
		    x->online ? "true" : "false") == -1)
			return ms_err_set(e, "out of memory");
		return 0;
	}
	if ((o = json_loadb(x->text, x->len, 0, NULL)) == NULL)
		return ms_err_set(e, "record %s: cannot be read again",
		    x->id);
	r = record_set_str(o, "id", x->id) == -1 ||
	    record_set_str(o, "first_seen", x->first) == -1 ||
	    record_set_str(o, "last_seen", x->last) == -1 ||
	    record_set_bool(o, "online", x->online) == -1;
	if (!x->idkey && r == 0) {
		/* Put the derived id first, as the writer does. */
		json_t *n = json_object();

		r = n == NULL || json_object_set(n, "id",
		    json_object_get(o, "id")) == -1 ||
		    json_object_update(n, o) == -1;
		json_decref(o);
		o = n;
	}
	if (r || (s = record_dump(o)) == NULL) {
		json_decref(o);
		return ms_err_set(e, "out of memory");
	}
	json_decref(o);
	r = ms_buf_puts(b, s);
	free(s);
	return r == -1 ? ms_err_set(e, "out of memory") : 0;
}

long
store_latest_foreach(struct store *st, store_text_fn fn, void *arg,
    struct ms_err *e)
{
	struct merge m = { 0 };
	struct ms_buf b = { 0 };
	size_t i;
	long n = -1;

	if (merge_run(st, &m, 1, e) == -1)
		goto out;
	if (m.nsnaps == 0 && m.nfiles > 0) {
		/* Each was warned about; an empty view would say the fleet
		 * is gone. */
		ms_err_set(e, "%zu snapshot%s, none readable", m.nfiles,
		    m.nfiles > 1 ? "s" : "");
		goto out;
	}
	if (m.n > 1)
		qsort(m.v, m.n, sizeof(*m.v), ment_cmp);
	for (i = 0; i < m.n; i++) {
		if (ment_text(&m.v[i], &b, e) == -1)
			goto out;
		if (fn(arg, b.data, b.len) == -1) {
			ms_err_set(e, "stopped");
			goto out;
		}
	}
	n = (long)m.n;
out:
	ms_buf_free(&b);
	merge_free(&m);
	return n;
}

static int
latest_collect(void *arg, const char *json, size_t len)
{
	json_t *a = arg, *o = json_loadb(json, len, 0, NULL);

	if (o == NULL)
		return -1;
	return json_array_append_new(a, o);
}

json_t *
store_latest(struct store *st, struct ms_err *e)
{
	json_t *a = json_array();

	if (a == NULL) {
		ms_err_set(e, "out of memory");
		return NULL;
	}
	if (store_latest_foreach(st, latest_collect, a, e) == -1) {
		if (strcmp(e != NULL ? e->msg : "", "stopped") == 0)
			ms_err_set(e, "out of memory");
		json_decref(a);
		return NULL;
	}
	return a;
}

