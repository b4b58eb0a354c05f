/*
 * store_add.c - adding a scan: each record stamped with its id and
 * first_seen, the snapshot written atomically, the history appended.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "store_impl.h"

/* The machines back after the retention window, and the time of their
 * earliest history entry. */
struct back {
	struct idmap ids;
	struct early {
		time_t t;
		int valid;
	} *v;			/* v[i] for ids' index i */
	size_t cap;
};

static int
back_want(struct back *bk, const char *id)
{
	int created;
	long k;

	if (ms_grow(&bk->v, &bk->cap, bk->ids.n + 1, sizeof(*bk->v)) == -1 ||
	    (k = idmap_add(&bk->ids, id, strlen(id), &created)) == -1)
		return -1;
	if (created)
		bk->v[k].valid = 0;
	return 0;
}

static int
earliest_add(void *arg, const struct hent *h, const char *id)
{
	struct back *bk = arg;
	long k = idmap_find(&bk->ids, id, h->idlen);

	if (k >= 0 && (!bk->v[k].valid || h->t < bk->v[k].t)) {
		bk->v[k].valid = 1;
		bk->v[k].t = h->t;
	}
	return 0;
}

/* A canonical time of field key of rec in out; 0 if it has none. */
static int
time_field(const json_t *rec, const char *key, char out[RFC3339_LEN])
{
	const char *s = record_str(rec, key);
	time_t t;

	return s != NULL && rfc3339_parse(s, &t, NULL) == 0 &&
	    rfc3339_format(t, out) != NULL;
}

/*
 * Since when updates that need a restart have waited (rules.h's
 * updates_restart rule reads it), in out, "" for no such time: the
 * scan's time when updates_restart turns above 0; carried over from the
 * machine's previous record x while it stays above 0, or is unknown (a
 * probe that could not tell changes nothing); gone at 0. A record that
 * says an earlier time (a view copied with latest | add) keeps it.
 */
static void
restart_since(const json_t *rec, const struct ment *x, const char *stamp,
    char out[RFC3339_LEN])
{
	json_t *v = json_object_get(rec, "updates_restart"), *p;
	char prev[RFC3339_LEN], own[RFC3339_LEN];
	int known = json_is_integer(v);

	out[0] = '\0';
	if (known && json_integer_value(v) <= 0)
		return;
	prev[0] = '\0';
	if (x != NULL && x->text != NULL &&
	    strstr(x->text, "\"updates_restart_since\"") != NULL &&
	    (p = json_loadb(x->text, x->len, 0, NULL)) != NULL) {
		if (!time_field(p, "updates_restart_since", prev))
			prev[0] = '\0';
		json_decref(p);
	}
	if (known)
		memcpy(out, stamp, RFC3339_LEN);
	if (prev[0] != '\0' && (out[0] == '\0' || strcmp(prev, out) < 0))
		memcpy(out, prev, RFC3339_LEN);
	if (time_field(rec, "updates_restart_since", own) &&
	    (out[0] == '\0' || strcmp(own, out) < 0))
		memcpy(out, own, RFC3339_LEN);
}

/* The record as stored: "id" first, "identity_conflict" when flagged,
 * "updates_restart_since" when since is not "", and "first_seen" last,
 * no computed fields. A new object sharing the values. */
static json_t *
stored_record(const json_t *rec, const char *id, const char *first,
    int conflict, const char *since)
{
	json_t *o = json_object(), *v;
	const char *k;

	if (o == NULL || json_object_set_new(o, "id", json_string(id)) == -1)
		goto fail;
	json_object_foreach((json_t *)rec, k, v) {
		if (strcmp(k, "id") == 0 || strcmp(k, "first_seen") == 0 ||
		    strcmp(k, "last_seen") == 0 || strcmp(k, "online") == 0 ||
		    strcmp(k, "identity_conflict") == 0 ||
		    strcmp(k, "updates_restart_since") == 0)
			continue;
		if (json_object_set(o, k, v) == -1)
			goto fail;
	}
	if ((conflict && json_object_set_new(o, "identity_conflict",
	    json_true()) == -1) ||
	    (since[0] != '\0' && json_object_set_new(o,
	    "updates_restart_since", json_string(since)) == -1) ||
	    json_object_set_new(o, "first_seen", json_string(first)) == -1)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

int
store_check_record(struct store *st, const json_t *rec, struct ms_err *e)
{
	struct rinfo ri;
	struct jerr je;
	const char *id;
	char *txt;
	size_t len;
	int r;

	if (!json_is_object(rec))
		return ms_err_set(e, "not a JSON object");
	if ((id = record_identity(rec)) == NULL)
		return ms_err_set(e, "no serial, mac, ip or host");
	if (strlen(id) > STORE_ID_MAX)
		return ms_err_set(e, "id longer than %d bytes", STORE_ID_MAX);
	/*
	 * The record's text with room for what the writer changes (its id,
	 * "identity_conflict" and "first_seen" in, the computed fields
	 * out), checked as readers check it: types, depth, size.
	 */
	if ((txt = record_dump(rec)) == NULL)
		return ms_err_set(e, "out of memory");
	len = strlen(txt);
	if (len + ID_SLACK > STORE_RECORD_MAX)
		r = ms_err_set(e, "larger than %u bytes", STORE_RECORD_MAX -
		    ID_SLACK);
	else if ((r = rec_scan(&st->ft, txt, len, &ri, &je, e)) == -1)
		r = ms_err_set(e, "byte %zu: %s", je.off, je.msg);
	else
		r = r == -2 ? -1 : 0;
	free(txt);
	return r;
}

int
store_add(struct store *st, json_t *records, time_t when, char **name,
    struct ms_err *e)
{
	struct merge prev = { 0 };
	struct back back = { 0 };
	struct idmap seen = { 0 };
	struct ident *ident = NULL;
	struct ms_buf snap = { 0 }, hist = { 0 };
	char stamp[RFC3339_LEN], fname[64];
	json_t *rec;
	size_t i, n, *keep = NULL, *where = NULL, nkeep = 0;
	char *tmp = NULL, *dst = NULL, **ids = NULL;
	unsigned seq;
	int fd, due, *flag = NULL, r = -1;

	if (name != NULL)
		*name = NULL;
	if (store_need_lock(st, e) == -1)
		return -1;
	if (!json_is_array(records))
		return ms_err_set(e, "records must be a JSON array");
	if ((n = json_array_size(records)) == 0)
		return ms_err_set(e, "no records: nothing stored");
	if (rfc3339_format(when, stamp) == NULL)
		return ms_err_set(e, "time out of range: %lld",
		    (long long)when);
	if ((keep = calloc(n, sizeof(*keep))) == NULL ||
	    (where = calloc(n, sizeof(*where))) == NULL ||
	    (ids = calloc(n, sizeof(*ids))) == NULL ||
	    (flag = calloc(n, sizeof(*flag))) == NULL)
		goto nomem;
	/* What the ids need now; the rest of the check is run on each
	 * record's text as it is written, before anything is. */
	json_array_foreach(records, i, rec) {
		if (!json_is_object(rec)) {
			ms_err_set(e, "record %zu: not a JSON object", i + 1);
			goto out;
		}
		if (record_identity(rec) == NULL) {
			ms_err_set(e, "record %zu: no serial, mac, ip or host",
			    i + 1);
			goto out;
		}
		keep[i] = i;
	}

	/* The view before this scan: first_seen and updates_restart_since
	 * carry over, and the machines it misses are recorded offline in
	 * the history. */
	if (merge_run(st, &prev, 1, e) == -1)
		goto out;
	/* Which machine each record is (store_ident.c). */
	if ((ident = ident_load(st, &prev, e)) == NULL ||
	    ident_assign(ident, st, records, &prev, keep, ids, flag, e) == -1)
		goto out;
	/* One record an id: one that identifies its Mac rather than one
	 * that does not (the same Mac through another port), else the
	 * last. */
	for (i = 0; i < n; i++) {
		json_t *ri = json_array_get(records, i);
		long k;
		int created;

		if (keep[i] == (size_t)-1)
			continue;
		if ((k = idmap_add(&seen, ids[i], strlen(ids[i]), &created)) ==
		    -1)
			goto nomem;
		if (!created) {
			size_t j = where[k];
			int pj = record_identified(json_array_get(records, j));
			int pi = record_identified(ri);

			store_warnf(st, "records %zu and %zu have the same id "
			    "%s: keeping the %s", j + 1, i + 1, ids[i],
			    pj != pi ? "one probed" : "last");
			if (pj && !pi) {
				keep[i] = (size_t)-1;
				continue;
			}
			keep[j] = (size_t)-1;
		}
		where[k] = i;
	}
	/* A machine back after the retention window: its first_seen is
	 * its oldest history entry. */
	for (i = 0; i < n; i++) {
		if (keep[i] == (size_t)-1)
			continue;
		if (merge_lookup(&prev, ids[i]) == NULL &&
		    back_want(&back, ids[i]) == -1)
			goto nomem;
	}
	if (back.ids.n > 0 && hist_read(st, NULL, earliest_add, &back, e) ==
	    -1)
		goto out;

	if (ms_buf_puts(&snap, "[\n") == -1)
		goto nomem;
	for (i = 0; i < n; i++) {
		const char *id, *first, *in;
		char infs[RFC3339_LEN], hfs[RFC3339_LEN], since[RFC3339_LEN];
		struct ms_err re;
		struct ment *x;
		long k;
		json_t *o;
		time_t t;
		char *txt;

		if (keep[i] == (size_t)-1)
			continue;
		rec = json_array_get(records, i);
		id = ids[i];
		x = merge_lookup(&prev, id);
		first = x != NULL && strcmp(x->first, stamp) < 0 ? x->first :
		    stamp;
		if (x == NULL && (k = idmap_find(&back.ids, id, strlen(id))) >=
		    0 && back.v[k].valid && rfc3339_format(back.v[k].t, hfs) !=
		    NULL && strcmp(hfs, first) < 0)
			first = hfs;
		/* A record that says it was seen earlier (a view copied
		 * with latest | add) keeps that. */
		if ((in = record_str(rec, "first_seen")) != NULL &&
		    rfc3339_parse(in, &t, NULL) == 0 &&
		    rfc3339_format(t, infs) != NULL && strcmp(infs, first) < 0)
			first = infs;
		restart_since(rec, x, stamp, since);
		if ((o = stored_record(rec, id, first, flag[i], since)) ==
		    NULL)
			goto nomem;
		txt = record_dump(o);
		json_decref(o);
		if (txt == NULL)
			goto nomem;
		/* The check the readers run, on the very text they will
		 * read. */
		if (rec_check(&st->ft, txt, strlen(txt), &re) == -1) {
			ms_err_set(e, "record %zu: %s", i + 1, re.msg);
			free(txt);
			goto out;
		}
		if ((nkeep > 0 && ms_buf_puts(&snap, ",\n") == -1) ||
		    ms_buf_puts(&snap, txt) == -1) {
			free(txt);
			goto nomem;
		}
		free(txt);
		nkeep++;
		if (hist_entry(&hist, stamp, id, rec, 1) == -1)
			goto nomem;
	}
	if (ms_buf_puts(&snap, "\n]\n") == -1)
		goto nomem;
	if (snap.len > st->snap_max) {
		ms_err_set(e, "the snapshot would be %zu bytes, more than %zu "
		    "bytes: nothing stored", snap.len, st->snap_max);
		goto out;
	}
	if (prev.nsnaps == 0 || when >= prev.newest_t) {
		for (i = 0; i < prev.n; i++)
			if (idmap_find(&seen, prev.v[i].id,
			    strlen(prev.v[i].id)) < 0 &&
			    hist_entry(&hist, stamp, prev.v[i].id, NULL, 0)
			    == -1)
				goto nomem;
	}

	/* The snapshot: temporary file, fsync, rename, fsync of the
	 * directory. Under the lock, no other writer makes names. */
	if ((fd = store_tmp_open(st->snapdir, &tmp, e)) == -1)
		goto out;
	if (store_tmp_finish(fd, tmp, snap.data, snap.len, e) == -1)
		goto out;
	for (seq = 0;; seq++) {
		struct stat sb;

		if (seq > 99999) {
			ms_err_set(e, "too many snapshots at %s", stamp);
			goto out_unlink;
		}
		if (snap_name_make(when, seq, fname, sizeof(fname)) == -1)
			goto out_unlink;
		free(dst);
		if ((dst = store_join(st->snapdir, fname)) == NULL)
			goto nomem_unlink;
		if (lstat(dst, &sb) == -1) {
			if (errno == ENOENT)
				break;
			ms_err_set(e, "%s:", dst);
			goto out_unlink;
		}
	}
	if (rename(tmp, dst) == -1) {
		ms_err_set(e, "%s:", dst);
		goto out_unlink;
	}
	if (store_fsync_dir(st->snapdir, e) == -1)
		goto out;
	if (hist_append(st, hist.data, hist.len, &due, e) == -1) {
		/* The snapshot is stored, but the history misses this scan:
		 * an error, so that a scheduled run does not pass for fine. */
		char msg[MS_ERRLEN];

		snprintf(msg, sizeof(msg), "%s", e != NULL ? e->msg : "");
		ms_err_set(e, "snapshot %s stored, but the history was not "
		    "updated: %s", fname, msg);
		goto out;
	} else if (due) {
		struct ms_err ce;

		if (store_history_compact(st, time(NULL), &ce) == -1)
			store_warnf(st, "history not compacted: %s", ce.msg);
	}
	if (ident_save(ident, st, records, ids, keep, stamp, &prev, e) == -1) {
		char msg[MS_ERRLEN];

		snprintf(msg, sizeof(msg), "%s", e != NULL ? e->msg : "");
		ms_err_set(e, "snapshot %s stored, but the identity state was "
		    "not saved: %s", fname, msg);
		goto out;
	}
	if (name != NULL && (*name = strdup(fname)) == NULL)
		goto nomem;
	r = 0;
	goto out;
nomem_unlink:
	ms_err_set(e, "out of memory");
out_unlink:
	unlink(tmp);
	goto out;
nomem:
	ms_err_set(e, "out of memory");
out:
	merge_free(&prev);
	ident_free(ident);
	idmap_free(&back.ids);
	free(back.v);
	idmap_free(&seen);
	for (i = 0; ids != NULL && i < n; i++)
		free(ids[i]);
	free(ids);
	free(flag);
	ms_buf_free(&snap);
	ms_buf_free(&hist);
	free(keep);
	free(where);
	free(tmp);
	free(dst);
	return r;
}

