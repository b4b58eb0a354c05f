/*
 * store_ident.c - which machine a record is: the id store_add gives it,
 * and the identity state (DIR/identity.json) that outlives retention.
 *
 * The state holds, for each Mac a probe identified (a record with a
 * serial, a platform_uuid or hw_macs), what its newest such record said:
 * its time, serial, platform_uuid, hw_macs, and the mac and ip it was
 * reached at. From it:
 *
 * - An address (a MAC macping saw or one of hw_macs, compared without
 *   case; an IP) belongs to the Mac whose newest identified record used
 *   it. A record with no serial, platform_uuid or hw_macs (a probe that
 *   failed) takes the id of the Mac its MAC belongs to; a record with no
 *   MAC at all, of the Mac its IP belongs to. A MAC nobody is known by
 *   makes a new machine, whatever its IP: an IP given by DHCP to another
 *   device must not move a Mac's history.
 *
 * - Records claiming one serial in one scan that differ (record_differ)
 *   are different machines: each is kept, flagged identity_conflict.
 *   The one that does not differ from the Mac the store knew under that
 *   serial keeps it; each other gets SERIAL@DISC, DISC being its
 *   platform_uuid, else its first hw_mac, else its mac, else its ip (at
 *   most 40 bytes), or the SERIAL@... id the store already knows it by.
 *   While the ids of such a conflict are in the merged view, a Mac
 *   claiming that serial alone keeps the id the store knows it by, and
 *   it and the records mapped to it are flagged; once the others have
 *   left the view (retention), it is SERIAL again, unflagged.
 *
 * See store.h for the file and macscan(7) for how a store made before
 * it moves to this.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "store_impl.h"

#define IDENT_KEEP (730 * DAY)	/* an identity unused for 2 years goes */
#define DISC_MAX 40

static const char *const attrs[] = { "serial", "platform_uuid", "hw_macs",
	"mac", "ip" };

struct ient {
	const char *id;		/* the key in machines */
	json_t *o;		/* borrowed */
	const char *serial;
	time_t t;
	long next;		/* the next of its family, or -1 */
};

struct ident {
	json_t *state;
	json_t *machines;	/* borrowed from state */
	struct ient *v;
	size_t n, cap;
	struct idmap ids;	/* id -> index in v */
	struct idmap addr;	/* "mac:..." or "ip:..." -> index in owner */
	long *owner;		/* index in v */
	size_t capowner;
	struct idmap fam;	/* a serial with a conflict -> first in v */
	long *famhead;
	size_t capfam;
};

static const char *
known(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : NULL;
}

/* "mac:" and the MAC in lower case, or "ip:" and the IP, into b. */
static int
addr_key(struct ms_buf *b, const char *kind, const char *v)
{
	size_t i;

	ms_buf_reset(b);
	if (ms_buf_puts(b, kind) == -1 || ms_buf_puts(b, v) == -1)
		return -1;
	if (strcmp(kind, "mac:") == 0)
		for (i = 4; i < b->len; i++)
			if (b->data[i] >= 'A' && b->data[i] <= 'Z')
				b->data[i] = (char)(b->data[i] - 'A' + 'a');
	return 0;
}

/* The address belongs to entry k if k's record is the newest to use
 * it. */
static int
addr_claim(struct ident *id, struct ms_buf *b, const char *kind,
    const char *v, size_t k)
{
	int created;
	long a;

	if (v == NULL || *v == '\0' || addr_key(b, kind, v) == -1 ||
	    ms_grow(&id->owner, &id->capowner, id->addr.n + 1,
	    sizeof(*id->owner)) == -1 ||
	    (a = idmap_add(&id->addr, b->data, b->len, &created)) == -1)
		return v == NULL || *v == '\0' ? 0 : -1;
	if (created || id->v[id->owner[a]].t < id->v[k].t ||
	    (id->v[id->owner[a]].t == id->v[k].t &&
	    strcmp(id->v[k].id, id->v[id->owner[a]].id) < 0))
		id->owner[a] = (long)k;
	return 0;
}

/* The indexes over the state: ids, addresses, families. */
static int
ident_index(struct ident *id)
{
	struct ms_buf b = { 0 };
	const char *key;
	json_t *o;
	size_t k;

	json_object_foreach(id->machines, key, o) {
		struct ient *x;
		const char *t = known(o, "t");
		time_t when;

		/* An entry edited out of shape is left out. */
		if (!json_is_object(o) || t == NULL ||
		    rfc3339_parse(t, &when, NULL) == -1 || *key == '\0' ||
		    strlen(key) > STORE_ID_MAX)
			continue;
		if (ms_grow(&id->v, &id->cap, id->n + 1, sizeof(*id->v)) ==
		    -1 || idmap_add(&id->ids, key, strlen(key), NULL) == -1)
			goto nomem;
		x = &id->v[id->n++];
		x->id = key;
		x->o = o;
		x->serial = known(o, "serial");
		x->t = when;
		x->next = -1;
	}
	for (k = 0; k < id->n; k++) {
		json_t *hw = json_object_get(id->v[k].o, "hw_macs"), *h;
		size_t i;

		if (addr_claim(id, &b, "mac:", known(id->v[k].o, "mac"), k) ==
		    -1 || addr_claim(id, &b, "ip:", known(id->v[k].o, "ip"),
		    k) == -1)
			goto nomem;
		json_array_foreach(hw, i, h)
			if (addr_claim(id, &b, "mac:", json_string_value(h), k)
			    == -1)
				goto nomem;
	}
	/* Families: the serials that some entry holds under another id
	 * (a conflict was seen), with all their entries. */
	for (k = 0; k < id->n; k++) {
		const char *s = id->v[k].serial;
		int created;
		long f;

		if (s == NULL || strcmp(s, id->v[k].id) == 0)
			continue;
		if (ms_grow(&id->famhead, &id->capfam, id->fam.n + 1,
		    sizeof(*id->famhead)) == -1 ||
		    (f = idmap_add(&id->fam, s, strlen(s), &created)) == -1)
			goto nomem;
		if (created)
			id->famhead[f] = -1;
	}
	for (k = id->n; k-- > 0;) {
		const char *s = id->v[k].serial;
		long f = s != NULL ? idmap_find(&id->fam, s, strlen(s)) : -1;

		if (f >= 0) {
			id->v[k].next = id->famhead[f];
			id->famhead[f] = (long)k;
		}
	}
	ms_buf_free(&b);
	return 0;
nomem:
	ms_buf_free(&b);
	return -1;
}

/* The entry's attributes from a record (only those it has). */
static json_t *
entry_of(const json_t *rec, const char *stamp)
{
	json_t *o = json_object();
	size_t i;

	if (o == NULL || json_object_set_new(o, "t", json_string(stamp)) == -1)
		goto fail;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		json_t *v = json_object_get(rec, attrs[i]);

		if ((json_is_string(v) && *json_string_value(v) != '\0') ||
		    (json_is_array(v) && json_array_size(v) > 0))
			if (json_object_set(o, attrs[i], v) == -1)
				goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* A state built from the merged view: what a store made before the
 * identity state knows of its Macs. */
static json_t *
from_view(struct store *st, struct ms_err *e)
{
	json_t *state = json_pack("{s:i,s:{}}", "macscan_identity", 1,
	    "machines"), *view, *rec, *m;
	size_t i;

	if (state == NULL) {
		ms_err_set(e, "out of memory");
		return NULL;
	}
	if ((view = store_latest(st, e)) == NULL)
		return state;	/* nothing readable: nothing known */
	m = json_object_get(state, "machines");
	json_array_foreach(view, i, rec) {
		const char *key = record_str(rec, "id");
		const char *t = record_str(rec, "last_seen");
		json_t *o;

		/* A Mac identified, or records a state mapped to one. */
		if (key == NULL || t == NULL || (!record_identified(rec) &&
		    strcmp(key, record_identity(rec) != NULL ?
		    record_identity(rec) : key) == 0))
			continue;
		if ((o = entry_of(rec, t)) == NULL ||
		    json_object_set_new(m, key, o) == -1) {
			json_decref(view);
			json_decref(state);
			ms_err_set(e, "out of memory");
			return NULL;
		}
	}
	json_decref(view);
	return state;
}

void
ident_free(struct ident *id)
{
	if (id == NULL)
		return;
	json_decref(id->state);
	free(id->v);
	idmap_free(&id->ids);
	idmap_free(&id->addr);
	free(id->owner);
	idmap_free(&id->fam);
	free(id->famhead);
	free(id);
}

struct ident *
ident_load(struct store *st, const struct merge *prev, struct ms_err *e)
{
	struct ident *id = calloc(1, sizeof(*id));
	struct ms_err le;

	if (id == NULL) {
		ms_err_set(e, "out of memory");
		return NULL;
	}
	id->state = store_state_load(st, "identity", &le);
	if (id->state == NULL)
		store_warnf(st, "%s: rebuilt from the merged view", le.msg);
	if (id->state == NULL || !json_is_object(json_object_get(id->state,
	    "machines"))) {
		json_decref(id->state);
		id->state = prev->nsnaps > 0 ? from_view(st, e) :
		    json_pack("{s:i,s:{}}", "macscan_identity", 1,
		    "machines");
		if (id->state == NULL) {
			ident_free(id);
			ms_err_set(e, "out of memory");
			return NULL;
		}
	}
	id->machines = json_object_get(id->state, "machines");
	if (ident_index(id) == -1) {
		ident_free(id);
		ms_err_set(e, "out of memory");
		return NULL;
	}
	return id;
}

static long
entry(const struct ident *id, const char *key)
{
	return idmap_find(&id->ids, key, strlen(key));
}

/* The id the address of a record that identifies nothing maps to. */
static const char *
by_address(const struct ident *id, const json_t *rec, struct ms_buf *b)
{
	const char *mac = known(rec, "mac"), *ip = known(rec, "ip");
	long a;

	/* A MAC seen decides alone: an unknown one is a new machine. */
	if (mac != NULL ? addr_key(b, "mac:", mac) == -1 :
	    ip == NULL || addr_key(b, "ip:", ip) == -1)
		return NULL;
	if ((a = idmap_find(&id->addr, b->data, b->len)) == -1)
		return NULL;
	return id->v[id->owner[a]].id;
}

/* Is another machine of the family of entry k's serial (k excluded) in
 * the view, or given an id in this scan? */
static int
others_live(const struct ident *id, const char *serial, const char *self,
    const struct merge *prev, const struct idmap *given)
{
	long f = serial != NULL ? idmap_find(&id->fam, serial,
	    strlen(serial)) : -1, k;

	for (k = f >= 0 ? id->famhead[f] : -1; k >= 0; k = id->v[k].next) {
		const char *x = id->v[k].id;

		if (strcmp(x, self) != 0 && (merge_lookup((struct merge *)prev,
		    x) != NULL || idmap_find(given, x, strlen(x)) >= 0))
			return 1;
	}
	return 0;
}

/* The entry of the family of s (or its owner) that rec does not differ
 * from and that no other claimant took: the owner first, else the
 * newest. -1 for none. */
static long
match(const struct ident *id, const char *s, const json_t *rec,
    const struct idmap *taken)
{
	long f = idmap_find(&id->fam, s, strlen(s)), k, best = -1;
	long own = entry(id, s);

	if (own >= 0 && idmap_find(taken, s, strlen(s)) < 0 &&
	    !record_differ(rec, id->v[own].o))
		return own;
	for (k = f >= 0 ? id->famhead[f] : -1; k >= 0; k = id->v[k].next) {
		const char *x = id->v[k].id;

		if (k == own || idmap_find(taken, x, strlen(x)) >= 0 ||
		    record_differ(rec, id->v[k].o))
			continue;
		if (best < 0 || id->v[k].t > id->v[best].t)
			best = k;
	}
	return best;
}

/* SERIAL@DISC for a claimant, not among taken. */
static char *
suffixed(const char *s, const json_t *rec, const struct idmap *taken)
{
	const char *d = known(rec, "platform_uuid");
	struct ms_buf b = { 0 };
	size_t room, n, sl = strlen(s);
	int k;

	if (d == NULL)
		d = json_string_value(json_array_get(json_object_get(rec,
		    "hw_macs"), 0));
	if (d == NULL || *d == '\0')
		d = known(rec, "mac");
	if (d == NULL)
		d = known(rec, "ip");
	if (d == NULL)
		d = "?";
	room = sl + 1 < STORE_ID_MAX - 8 ? STORE_ID_MAX - 8 - sl - 1 : 0;
	n = ms_utf8_cut(d, strlen(d), room < DISC_MAX ? room : DISC_MAX);
	for (k = 1; k < 1000; k++) {
		ms_buf_reset(&b);
		if (ms_buf_printf(&b, "%s@%.*s", s, (int)n, d) == -1 ||
		    (k > 1 && ms_buf_printf(&b, "-%d", k) == -1)) {
			ms_buf_free(&b);
			return NULL;
		}
		if (idmap_find(taken, b.data, b.len) < 0)
			break;
	}
	return ms_buf_steal(&b, NULL);
}

/* The claimants of serial s in this scan (indexes into records, in
 * order): ids and flags. */
static int
assign_serial(struct ident *id, struct store *st, json_t *records,
    const size_t *c, size_t nc, const char *s, const struct merge *prev,
    struct idmap *given, char **ids, int *flag)
{
	struct idmap taken = { 0 };
	size_t j;
	int rc = -1;

	if (nc == 1 && idmap_find(&id->fam, s, strlen(s)) < 0) {
		/* The usual case: one Mac, its serial. */
		if ((ids[c[0]] = strdup(s)) == NULL)
			return -1;
		return idmap_add(given, s, strlen(s), NULL) == -1 ? -1 : 0;
	}
	for (j = 0; j < nc; j++) {
		json_t *rec = json_array_get(records, c[j]);
		long m = match(id, s, rec, &taken);

		if (m >= 0 && (ids[c[j]] = strdup(id->v[m].id)) == NULL)
			goto out;
		if (m >= 0 && idmap_add(&taken, ids[c[j]], strlen(ids[c[j]]),
		    NULL) == -1)
			goto out;
	}
	for (j = 0; j < nc; j++) {
		json_t *rec = json_array_get(records, c[j]);

		if (ids[c[j]] == NULL) {
			if ((ids[c[j]] = suffixed(s, rec, &taken)) == NULL ||
			    idmap_add(&taken, ids[c[j]], strlen(ids[c[j]]),
			    NULL) == -1)
				goto out;
		}
		flag[c[j]] = nc > 1;
	}
	if (nc == 1) {
		/* Alone: the id it is known by while the conflict is in
		 * view, else the serial again. */
		if (!others_live(id, s, ids[c[0]], prev, given)) {
			free(ids[c[0]]);
			if ((ids[c[0]] = strdup(s)) == NULL)
				goto out;
		} else {
			flag[c[0]] = 1;
		}
	} else {
		store_warnf(st, "%zu machines claim the serial %s: kept "
		    "apart, flagged identity_conflict", nc, s);
	}
	for (j = 0; j < nc; j++)
		if (idmap_add(given, ids[c[j]], strlen(ids[c[j]]), NULL) == -1)
			goto out;
	rc = 0;
out:
	idmap_free(&taken);
	return rc;
}

int
ident_assign(struct ident *id, struct store *st, json_t *records,
    const struct merge *prev, size_t *keep, char **ids, int *flag,
    struct ms_err *e)
{
	struct idmap serials = { 0 }, given = { 0 };
	struct ms_buf b = { 0 };
	size_t n = json_array_size(records), i, *head = NULL, *next = NULL;
	size_t *c = NULL, caph = 0;
	long g;
	int rc = -1;

	if ((next = calloc(n ? n : 1, sizeof(*next))) == NULL ||
	    (c = calloc(n ? n : 1, sizeof(*c))) == NULL)
		goto out;
	/* The serials claimed, each with its records in order. */
	for (i = n; i-- > 0;) {
		const char *s = known(json_array_get(records, i), "serial");
		int created;

		if (keep[i] == (size_t)-1 || s == NULL)
			continue;
		if (ms_grow(&head, &caph, serials.n + 1, sizeof(*head)) == -1 ||
		    (g = idmap_add(&serials, s, strlen(s), &created)) == -1)
			goto out;
		next[i] = created ? (size_t)-1 : head[g];
		head[g] = i;
	}
	for (g = 0; g < (long)serials.n; g++) {
		size_t nc = 0, k;

		/* Records that do not differ are one Mac: the last. */
		for (i = head[g]; i != (size_t)-1; i = next[i]) {
			json_t *rec = json_array_get(records, i);

			for (k = 0; k < nc; k++)
				if (!record_differ(rec, json_array_get(records,
				    c[k])))
					break;
			if (k < nc) {
				store_warnf(st, "records %zu and %zu have the "
				    "same id %s: keeping the last", c[k] + 1,
				    i + 1, serials.v[g].s);
				keep[c[k]] = (size_t)-1;
				c[k] = i;
			} else {
				c[nc++] = i;
			}
		}
		if (assign_serial(id, st, records, c, nc, serials.v[g].s, prev,
		    &given, ids, flag) == -1)
			goto out;
	}
	/* The others: a platform_uuid or hw_macs is the id; an address is
	 * the Mac's that last used it. */
	for (i = 0; i < n; i++) {
		json_t *rec = json_array_get(records, i);
		const char *x;
		long k;

		if (keep[i] == (size_t)-1 || ids[i] != NULL)
			continue;
		x = record_identified(rec) ? NULL : by_address(id, rec, &b);
		if (x == NULL)
			x = record_identity(rec);
		if ((ids[i] = strdup(x)) == NULL)
			goto out;
		/* Mapped to a Mac of a conflict still in view: flagged
		 * as it is. */
		k = entry(id, x);
		flag[i] = k >= 0 && !record_identified(rec) &&
		    others_live(id, id->v[k].serial, x, prev, &given);
	}
	rc = 0;
out:
	if (rc == -1)
		ms_err_set(e, "out of memory");
	idmap_free(&serials);
	idmap_free(&given);
	ms_buf_free(&b);
	free(head);
	free(next);
	free(c);
	return rc;
}

/* DIR/identity.json, one Mac a line (jq reads it; so do people). */
static int
ident_write(const struct ident *id, struct store *st, struct ms_err *e)
{
	struct ms_buf b = { 0 };
	const char *key;
	json_t *o;
	int first = 1, r;

	if (ms_buf_puts(&b, "{\"macscan_identity\":1,\"machines\":{") == -1)
		goto nomem;
	json_object_foreach(id->machines, key, o) {
		char *t = json_dumps(o, JSON_COMPACT);

		if (t == NULL || ms_buf_puts(&b, first ? "\n" : ",\n") == -1 ||
		    js_str_append(&b, key) == -1 ||
		    ms_buf_puts(&b, ":") == -1 || ms_buf_puts(&b, t) == -1) {
			free(t);
			goto nomem;
		}
		free(t);
		first = 0;
	}
	if (ms_buf_puts(&b, "\n}}\n") == -1)
		goto nomem;
	r = store_atomic_write(st->dir, "identity.json", b.data, b.len, e);
	ms_buf_free(&b);
	return r;
nomem:
	ms_buf_free(&b);
	return ms_err_set(e, "out of memory");
}

int
ident_save(struct ident *id, struct store *st, json_t *records,
    char *const *ids, const size_t *keep, const char *stamp,
    const struct merge *prev, struct ms_err *e)
{
	struct idmap now = { 0 };
	time_t when, cut = time(NULL) - IDENT_KEEP;
	size_t n = json_array_size(records), i, k;
	int rc = -1;

	if (rfc3339_parse(stamp, &when, NULL) == -1)
		return ms_err_set(e, "bad time %s", stamp);
	for (i = 0; i < n; i++) {
		json_t *rec = json_array_get(records, i), *o;
		long x;

		if (keep[i] == (size_t)-1)
			continue;
		if (idmap_add(&now, ids[i], strlen(ids[i]), NULL) == -1)
			goto nomem;
		if (!record_identified(rec))
			continue;
		/* An older scan (an import) does not undo a newer one. */
		if ((x = entry(id, ids[i])) >= 0 && id->v[x].t > when)
			continue;
		if ((o = entry_of(rec, stamp)) == NULL ||
		    json_object_set_new(id->machines, ids[i], o) == -1)
			goto nomem;
	}
	/* Forget Macs unseen for two years, and the ids of a conflict
	 * that has left the view. */
	for (k = 0; k < id->n; k++) {
		const char *x = id->v[k].id, *s = id->v[k].serial;

		if (idmap_find(&now, x, strlen(x)) >= 0)
			continue;
		if (id->v[k].t < cut || (s != NULL && strcmp(s, x) != 0 &&
		    merge_lookup((struct merge *)prev, x) == NULL))
			json_object_del(id->machines, x);
	}
	rc = ident_write(id, st, e);
	idmap_free(&now);
	return rc;
nomem:
	idmap_free(&now);
	return ms_err_set(e, "out of memory");
}
