/*
 * store_hist.c - reading the history: its entries, one machine's
 * history, every machine's, and the parser the tests and the fuzz
 * harness drive.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_impl.h"

const char *const store_hfields[H_N] = {
	"disk_free_bytes", "disk_total_bytes", "battery_percent",
	"battery_health_percent"
};

static int
int_value(const struct jmember *m, long long *out)
{
	char buf[24];
	const char *es;

	if (m->type != JT_INT || m->vlen >= sizeof(buf))
		return -1;
	memcpy(buf, m->val, m->vlen);
	buf[m->vlen] = '\0';
	return ms_strtonum(buf, 0, LLONG_MAX, out, &es);
}

static int
hist_member(void *arg, const struct jmember *m)
{
	struct hent *h = arg;
	int i;

	if (js_key_is(m, "t", 1)) {
		/* Read by hent_time, once the id is known to matter. */
		if ((h->seen & 1) || m->type != JT_STRING || m->vlen >= 64)
			goto bad;
		h->traw = m->val;
		h->tlen = m->vlen;
		h->tesc = m->vesc;
		h->seen |= 1;
		return 0;
	}
	if (js_key_is(m, "id", 2)) {
		if ((h->seen & 2) || m->type != JT_STRING || m->vlen == 0)
			goto bad;
		h->id = m->val;
		h->idlen = m->vlen;
		h->idesc = m->vesc;
		h->seen |= 2;
		return 0;
	}
	if (js_key_is(m, "online", 6)) {
		if ((h->seen & 4) || (m->type != JT_TRUE &&
		    m->type != JT_FALSE))
			goto bad;
		h->online = m->type == JT_TRUE;
		h->seen |= 4;
		return 0;
	}
	if (js_key_is(m, "macscan_history", 15)) {
		h->header = 1;
		return 0;
	}
	if (js_key_is(m, "compacted_bytes", 15)) {
		if (int_value(m, &h->compacted) == -1)
			goto bad;
		return 0;
	}
	for (i = 0; i < H_N; i++) {
		if (!js_key_is(m, store_hfields[i], strlen(store_hfields[i])))
			continue;
		if ((h->have & (1u << i)) || int_value(m, &h->v[i]) == -1)
			goto bad;
		h->have |= 1u << i;
		return 0;
	}
	return 0;	/* a field of a later version: ignored */
bad:
	h->err = "bad field";
	return -1;
}

int
hist_scan(const char *line, size_t len, struct hent *h)
{
	struct jerr je;

	memset(h, 0, sizeof(*h));
	h->online = -1;
	if (js_object(line, len, STORE_RECORD_DEPTH, hist_member, h, &je)
	    == -1) {
		if (h->err == NULL)
			h->err = je.msg;
		return -1;
	}
	if (h->header)
		return 2;
	if ((h->seen & 3) != 3) {
		h->err = "no \"t\" or \"id\"";
		return -1;
	}
	return 1;
}

/* The writer's form ("2026-11-24T16:10:00Z") is read without a libc
 * call. */
int
hent_time(struct hent *h)
{
	char tmp[64];

	if (!h->tesc && js_canonical_time(h->traw, h->tlen)) {
		const char *p = h->traw;
		int v[6], i, k;
		static const int off[6] = { 0, 5, 8, 11, 14, 17 };
		static const int w[6] = { 4, 2, 2, 2, 2, 2 };
		static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
		    30, 31, 30, 31 };

		for (i = 0; i < 6; i++)
			for (v[i] = 0, k = 0; k < w[i]; k++)
				v[i] = v[i] * 10 + (p[off[i] + k] - '0');
		if (v[2] <= mdays[v[1] - 1] && !(v[1] == 2 && v[2] == 29 &&
		    !((v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0))) {
			h->t = (time_t)rfc3339_timegm(v[0], v[1], v[2], v[3],
			    v[4], v[5]);
			memcpy(h->tstr, p, 20);
			h->tstr[20] = '\0';
			return 0;
		}
		return -1;
	}
	js_unescape(h->traw, h->tlen, tmp);
	if (rfc3339_parse(tmp, &h->t, NULL) == -1 ||
	    rfc3339_format(h->t, h->tstr) == NULL)
		return -1;
	return 0;
}

/* The entry as store_history gives it (with_id: "id" too). */
static json_t *
hent_json(const struct hent *h, int with_id)
{
	json_t *o = json_object();
	int i, r;

	if (o == NULL)
		return NULL;
	r = json_object_set_new(o, "t", json_string(h->tstr));
	if (with_id && r == 0) {
		char *id = js_strdup(h->id, h->idlen, h->idesc);

		r = id == NULL || json_object_set_new(o, "id",
		    json_string(id)) == -1;
		free(id);
	}
	for (i = 0; i < H_N && r == 0; i++)
		if (h->have & (1u << i))
			r = json_object_set_new(o, store_hfields[i],
			    json_integer(h->v[i]));
	if (r == 0 && h->online != -1)
		r = json_object_set_new(o, "online", json_boolean(h->online));
	if (r != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
store_parse_history_line(const char *line, size_t len, struct ms_err *e)
{
	struct hent h;
	json_t *o;
	int r = hist_scan(line, len, &h);

	if (r == 2) {
		ms_err_set(e, "the header line");
		return NULL;
	}
	if (r == -1) {
		ms_err_set(e, "%s", h.err != NULL ? h.err : "bad entry");
		return NULL;
	}
	if (hent_time(&h) == -1) {
		ms_err_set(e, "\"t\" is not an RFC 3339 time");
		return NULL;
	}
	if ((o = hent_json(&h, 1)) == NULL)
		ms_err_set(e, "out of memory");
	return o;
}

int
lr_init(struct lreader *r, int fd, off_t start)
{
	memset(r, 0, sizeof(*r));
	if (lseek(fd, start, SEEK_SET) == -1)
		return -1;
	r->fd = fd;
	r->base = start;
	r->cap = 1 << 16;	/* lines are at most STORE_HISTORY_LINE_MAX */
	if ((r->buf = malloc(r->cap)) == NULL)
		return -1;
	return 0;
}

int
lr_next(struct lreader *r, const char **line, size_t *len)
{
	for (;;) {
		char *nl = r->end > r->beg ? memchr(r->buf + r->beg, '\n',
		    r->end - r->beg) : NULL;
		ssize_t n;

		if (nl != NULL) {
			size_t b = r->beg;

			r->beg = (size_t)(nl - r->buf) + 1;
			r->lineno++;
			if (r->skipping) {
				r->skipping = 0;
				continue;
			}
			*line = r->buf + b;
			*len = (size_t)(nl - r->buf) - b;
			r->line_off = r->base + b;
			if (*len > STORE_HISTORY_LINE_MAX) {
				r->toolong++;
				continue;
			}
			return 1;
		}
		if (r->eof)
			return 0;
		if (r->beg > 0) {
			memmove(r->buf, r->buf + r->beg, r->end - r->beg);
			r->end -= r->beg;
			r->base += r->beg;
			r->beg = 0;
		}
		if (r->end == r->cap) {
			/* Far past any entry: drop it to its newline. */
			if (!r->skipping)
				r->toolong++;
			r->skipping = 1;
			r->base += r->end;
			r->end = 0;
		}
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
}

void
lr_free(struct lreader *r)
{
	free(r->buf);
	r->buf = NULL;
}

int
hist_open(struct store *st, char **pathp, struct ms_err *e)
{
	char *p = store_path(st, HISTORY);
	int fd;

	*pathp = p;
	if (p == NULL) {
		errno = ENOMEM;
		return ms_err_set(e, "out of memory");
	}
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		ms_err_set(e, "%s:", p);
	return fd;
}

struct hvec {
	struct hitem {
		json_t *o;
		time_t t;
		size_t seq;
	} *v;
	size_t n, cap;
};

static int
hitem_cmp(const void *a, const void *b)
{
	const struct hitem *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int
hist_read(struct store *st, const char *id, hist_fn add, void *arg,
    struct ms_err *e)
{
	struct lreader r;
	const char *line;
	size_t len, bad = 0, idlen = id ? strlen(id) : 0, idcap = 0;
	unsigned long firstbad = 0;
	char *path, *idbuf = NULL;
	int fd, rc;

	if ((fd = hist_open(st, &path, e)) == -1) {
		int gone = errno == ENOENT;

		free(path);
		return gone ? 0 : -1;
	}
	if (lr_init(&r, fd, 0) == -1) {
		ms_err_set(e, "%s:", path);
		close(fd);
		free(path);
		return -1;
	}
	while ((rc = lr_next(&r, &line, &len)) == 1) {
		struct hent h;
		const char *hid;
		int k = hist_scan(line, len, &h);

		if (k == 2)
			continue;
		if (k == -1) {
			if (bad++ == 0)
				firstbad = r.lineno;
			continue;
		}
		/* The id, decoded and NUL-terminated, for add(). */
		if (id != NULL && !h.idesc && (h.idlen != idlen ||
		    memcmp(h.id, id, idlen) != 0))
			continue;
		if (ms_grow(&idbuf, &idcap, h.idlen + 1, 1) == -1) {
			rc = -2;
			break;
		}
		if (h.idesc) {
			h.idlen = js_unescape(h.id, h.idlen, idbuf);
		} else {
			memcpy(idbuf, h.id, h.idlen);
			idbuf[h.idlen] = '\0';
		}
		hid = idbuf;
		if (id != NULL && (h.idlen != idlen ||
		    memcmp(hid, id, idlen) != 0))
			continue;
		if (hent_time(&h) == -1) {
			if (bad++ == 0)
				firstbad = r.lineno;
			continue;
		}
		if (add(arg, &h, hid) == -1) {
			rc = -2;
			break;
		}
	}
	free(idbuf);
	if (rc == -1)
		ms_err_set(e, "%s:", path);
	else if (rc == -2)
		ms_err_set(e, "out of memory");
	if (bad + r.toolong > 0)
		store_warnf(st, "%s: %zu bad line%s skipped (first: line %lu)",
		    path, bad + r.toolong, bad + r.toolong > 1 ? "s" : "",
		    firstbad);
	lr_free(&r);
	close(fd);
	free(path);
	return rc < 0 ? -1 : 0;
}

static int
hvec_add(void *arg, const struct hent *h, const char *id)
{
	struct hvec *hv = arg;
	json_t *o;

	(void)id;
	if (ms_grow(&hv->v, &hv->cap, hv->n + 1, sizeof(*hv->v)) == -1)
		return -1;
	if ((o = hent_json(h, 0)) == NULL)
		return -1;
	hv->v[hv->n].o = o;
	hv->v[hv->n].t = h->t;
	hv->v[hv->n].seq = hv->n;
	hv->n++;
	return 0;
}

/* Sort one machine's entries by time into a new array. */
static json_t *
hvec_array(struct hvec *hv)
{
	json_t *a = json_array();
	size_t i;

	if (hv->n > 1)
		qsort(hv->v, hv->n, sizeof(*hv->v), hitem_cmp);
	for (i = 0; i < hv->n; i++) {
		if (a != NULL && json_array_append(a, hv->v[i].o) == -1) {
			json_decref(a);
			a = NULL;
		}
		json_decref(hv->v[i].o);
	}
	free(hv->v);
	memset(hv, 0, sizeof(*hv));
	return a;
}

static void
hvec_reset(void *arg)
{
	struct hvec *hv = arg;

	while (hv->n > 0)
		json_decref(hv->v[--hv->n].o);
}

json_t *
store_history(struct store *st, const char *id, struct ms_err *e)
{
	struct hvec hv = { 0 };
	json_t *a;

	if (id == NULL || *id == '\0') {
		ms_err_set(e, "no machine id given");
		return NULL;
	}
	if (hindex_read(st, id, hvec_add, &hv, hvec_reset, e) == -1) {
		hvec_reset(&hv);
		free(hv.v);
		return NULL;
	}
	if (hv.n == 0) {
		free(hv.v);
		ms_err_set(e, "no history for machine '%.200s'", id);
		return NULL;
	}
	if ((a = hvec_array(&hv)) == NULL)
		ms_err_set(e, "out of memory");
	return a;
}

long long
store_floordiv(long long a, long long b)
{
	long long q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct hall {
	json_t *obj;		/* id -> array, unsorted yet */
	time_t since;
	long step;
	struct idmap ids;	/* id -> the bucket of its last entry: */
	long long *bucket;	/* bucket[i], or LLONG_MIN for none yet */
	size_t cap;
};

static int
hall_add(void *arg, const struct hent *h, const char *id)
{
	struct hall *ha = arg;
	json_t *a, *o;
	long k = -1;
	long long b = 0;
	int created;

	if (h->t < ha->since)
		return 0;
	if (ha->step > 0) {
		/* One entry per step: a later one of the same bucket
		 * replaces the one before. */
		if (ms_grow(&ha->bucket, &ha->cap, ha->ids.n + 1,
		    sizeof(*ha->bucket)) == -1 ||
		    (k = idmap_add(&ha->ids, id, h->idlen, &created)) == -1)
			return -1;
		if (created)
			ha->bucket[k] = LLONG_MIN;
		b = store_floordiv((long long)h->t, ha->step);
	}
	if ((a = json_object_get(ha->obj, id)) == NULL) {
		if (json_object_set_new(ha->obj, id, json_array()) == -1 ||
		    (a = json_object_get(ha->obj, id)) == NULL)
			return -1;
	}
	if ((o = hent_json(h, 0)) == NULL)
		return -1;
	if (k != -1) {
		int same = ha->bucket[k] == b;

		ha->bucket[k] = b;
		if (same)
			return json_array_set_new(a, json_array_size(a) - 1, o);
	}
	return json_array_append_new(a, o);
}

json_t *
store_history_all(struct store *st, struct ms_err *e)
{
	return store_history_all_since(st, 0, 0, e);
}

json_t *
store_history_all_since(struct store *st, time_t since, long step,
    struct ms_err *e)
{
	struct hall ha;
	const char *k;
	json_t *a;

	memset(&ha, 0, sizeof(ha));
	ha.since = since;
	ha.step = step;
	if ((ha.obj = json_object()) == NULL) {
		ms_err_set(e, "out of memory");
		return NULL;
	}
	if (hist_read(st, NULL, hall_add, &ha, e) == -1) {
		idmap_free(&ha.ids);
		free(ha.bucket);
		json_decref(ha.obj);
		return NULL;
	}
	idmap_free(&ha.ids);
	free(ha.bucket);
	/* Entries appended out of order (an import of older files) are
	 * put in time order, as store_history does. */
	json_object_foreach(ha.obj, k, a) {
		struct hitem *v;
		size_t i, n = json_array_size(a);
		int sorted = 1;

		for (i = 1; i < n && sorted; i++) {
			time_t t0, t1;

			rfc3339_parse(json_string_value(json_object_get(
			    json_array_get(a, i - 1), "t")), &t0, NULL);
			rfc3339_parse(json_string_value(json_object_get(
			    json_array_get(a, i), "t")), &t1, NULL);
			sorted = t0 <= t1;
		}
		if (sorted)
			continue;
		if ((v = calloc(n, sizeof(*v))) == NULL) {
			json_decref(ha.obj);
			ms_err_set(e, "out of memory");
			return NULL;
		}
		for (i = 0; i < n; i++) {
			v[i].o = json_incref(json_array_get(a, i));
			rfc3339_parse(json_string_value(json_object_get(
			    v[i].o, "t")), &v[i].t, NULL);
			v[i].seq = i;
		}
		qsort(v, n, sizeof(*v), hitem_cmp);
		json_array_clear(a);
		for (i = 0; i < n; i++)
			json_array_append_new(a, v[i].o);
		free(v);
	}
	return ha.obj;
}

