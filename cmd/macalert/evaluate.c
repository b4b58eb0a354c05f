/*
 * evaluate.c - see evaluate.h: one channel's news against its state, and
 * the alert state file's versions.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evaluate.h"
#include "fmt.h"
#include "record.h"
#include "rfc3339.h"

static long long
state_int(const json_t *o, const char *key)
{
	json_t *v = o != NULL ? json_object_get(o, key) : NULL;

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static int
state_true(const json_t *o, const char *key)
{
	return o != NULL && json_is_true(json_object_get(o, key));
}

/* The time stamp at key of o, or 0. */
static time_t
state_time(const json_t *o, const char *key)
{
	json_t *v = o != NULL ? json_object_get(o, key) : NULL;
	time_t t;

	if (!json_is_string(v) ||
	    rfc3339_parse(json_string_value(v), &t, NULL) == -1)
		return 0;
	return t;
}

static int
set_time(json_t *o, const char *key, time_t t)
{
	char buf[RFC3339_LEN];

	if (rfc3339_format(t, buf) == NULL)
		return -1;
	return json_object_set_new(o, key, json_string(buf));
}

/* The latest time anything of an entry was sent. */
static time_t
entry_sent(const json_t *ent)
{
	time_t t = state_time(ent, "sent_at"), u;
	const char *key;
	json_t *v;

	json_object_foreach(json_object_get(ent, "rules"), key, v)
		if ((u = state_time(v, "sent_at")) > t)
			t = u;
	return t;
}

static int
cmp_machine(const void *a, const void *b)
{
	const struct alert_machine *x = a, *y = b;
	int c;

	if (x->has_free != y->has_free)
		return y->has_free - x->has_free;
	if (x->has_free && x->free != y->free)
		return x->free < y->free ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->id, y->id);
}

/* An entry worth keeping holds a level, a host key flag or a rule. */
static int
put_entry(json_t *machines, const char *id, json_t *entry)
{
	if (state_int(entry, "level") <= 0 && !state_true(entry, "hostkey") &&
	    json_object_size(json_object_get(entry, "rules")) == 0) {
		json_decref(entry);
		return 0;
	}
	if (json_object_size(json_object_get(entry, "rules")) == 0)
		json_object_del(entry, "rules");
	return json_object_set_new(machines, id, entry);
}

/* A record's machine: its "id", else its identity (a record from stdin
 * has no "id" yet). NULL when it has none. */
static const char *
rec_id(const json_t *rec)
{
	const char *id = record_str(rec, "id");

	return id != NULL && *id != '\0' ? id : record_identity(rec);
}

/* The one display name (lib/fmt); a record from stdin has no "id" yet,
 * so the identity stands in for it. */
static char *
display_name(const json_t *rec, const char *id)
{
	json_t *c;
	char *n;

	if (record_str(rec, "id") != NULL)
		return fmt_name(rec, 0);
	if ((c = json_copy((json_t *)rec)) == NULL ||
	    json_object_set_new(c, "id", json_string(id)) == -1) {
		json_decref(c);
		return NULL;
	}
	n = fmt_name(c, 0);
	json_decref(c);
	return n;
}

/* Fill m from its record; 0 or -1 when out of memory. */
static int
machine_init(const struct rules_conf *c, struct alert_machine *m,
    const json_t *rec, const char *id, time_t now)
{
	long long v;
	int b;

	memset(m, 0, sizeof(*m));
	m->rec = rec;
	m->id = id;
	m->days_left = -1;
	m->battery = -1;
	if ((m->name = display_name(rec, id)) == NULL)
		return -1;
	rules_eval(c, rec, now, &m->res);
	m->online = record_bool(rec, "online", &b) == 0 ? b : 1;
	if (record_int(rec, "disk_free_bytes", &v) == 0 && v >= 0) {
		m->has_free = 1;
		m->free = v;
		m->level = m->res.level;
	}
	if (record_int(rec, "disk_total_bytes", &v) == 0 && v > 0)
		m->total = v;
	m->battery_low = (m->res.firing & RULE_BIT(RULE_BATTERY_LOW)) != 0;
	m->battery_full = (m->res.firing &
	    RULE_BIT(RULE_BATTERY_FULL_PLUGGED)) != 0;
	if (m->res.known & (RULE_BIT(RULE_BATTERY_LOW) |
	    RULE_BIT(RULE_BATTERY_FULL_PLUGGED)))
		(void)record_int(rec, "battery_percent", &m->battery);
	m->hostkey = (m->res.firing & RULE_BIT(RULE_HOSTKEY_MISMATCH)) != 0;
	return 0;
}

/* The disk levels: events and the entries a (sent) and k (kept). */
static int
eval_disk(const struct rules_conf *c, struct alert_machine *m,
    const json_t *s, time_t now, int flags, json_t *a, json_t *k)
{
	int sl = (int)state_int(s, "level"), nl;
	int restart = flags & (ALERT_SUMMARY | ALERT_FORCE);
	time_t sent_at = state_time(s, "sent_at");

	if (sl < 0)
		sl = 0;
	if (sl > RULES_LEVELS)
		sl = RULES_LEVELS;
	m->prev = sl;
	if (m->online && m->has_free) {
		/* Leave levels downwards only clear of them by the margin. */
		nl = sl;
		while (nl > m->level &&
		    m->free > rules_level_bound(c, nl) + c->margin)
			nl--;
		if (m->level > nl) {
			m->events |= sl == 0 ? ALERT_NEW : ALERT_WORSE;
			nl = m->level;
		} else if (m->level >= 1) {
			if (now - sent_at >= c->repeat)
				m->events |= ALERT_REPEAT;
		} else if (sl >= 1 && nl == 0) {
			m->events |= ALERT_RESOLVED;
		}
		if (nl >= 1) {
			if (json_object_set_new(a, "level", json_integer(nl)) ||
			    json_object_set_new(a, "free",
			    json_integer(m->free)))
				return -1;
			/* A summary lists every critical machine: each
			 * one's repeat period starts again when it goes. */
			if ((restart || (m->events & (ALERT_NEW |
			    ALERT_WORSE | ALERT_REPEAT))) &&
			    set_time(a, "sent_at", now) == -1)
				return -1;
			if (sl >= 1 && json_object_set_new(k, "level",
			    json_integer(nl < sl ? nl : sl)) == -1)
				return -1;
		} else {
			json_object_del(a, "level");
			json_object_del(a, "free");
			if (sl >= 1 && nl == 0)
				json_object_del(k, "level");
		}
	} else if (!m->online && sl >= 1 && !state_true(s, "offline")) {
		m->events |= ALERT_OFFLINE;
		if (json_object_set_new(a, "offline", json_true()) == -1)
			return -1;
	}
	return 0;
}

/* Get or make the "rules" object of entry o. */
static json_t *
rules_of(json_t *o)
{
	json_t *r = json_object_get(o, "rules");

	if (json_is_object(r))
		return r;
	if ((r = json_object()) == NULL ||
	    json_object_set_new(o, "rules", r) == -1)
		return NULL;
	return r;
}

/* The other rules: events and their entries in a and k. */
static int
eval_rules(const struct rules_conf *c, struct alert_machine *m,
    const json_t *s, time_t now, int flags, json_t *a, json_t *k)
{
	const json_t *srules = json_object_get(s, "rules");
	json_t *ar, *kr, *old;
	int r, restart = flags & (ALERT_SUMMARY | ALERT_FORCE);

	if ((ar = rules_of(a)) == NULL || (kr = rules_of(k)) == NULL)
		return -1;
	for (r = 0; r < RULE_COUNT; r++) {
		const char *name = rule_defs[r].name;
		unsigned bit = RULE_BIT(r);
		time_t sent;

		if (!(ALERT_EVENT_RULES & bit))
			continue;
		old = json_object_get(srules, name);
		if (!(c->enabled & bit)) {
			/* Turned off: forgotten without a word. */
			json_object_del(ar, name);
			json_object_del(kr, name);
			continue;
		}
		if ((!m->online && r != RULE_OFFLINE) ||
		    !(m->res.known & bit))
			continue;
		if (!(m->res.firing & bit)) {
			if (old != NULL) {
				m->rule_resolved |= bit;
				json_object_del(ar, name);
			}
			continue;
		}
		sent = state_time(old, "sent_at");
		if (old == NULL)
			m->rule_new |= bit;
		else if (rule_defs[r].severity == RULE_CRITICAL &&
		    now - sent >= c->repeat)
			m->rule_repeat |= bit;
		else if (!restart)
			continue;
		if (json_object_set_new(ar, name, json_object()) == -1 ||
		    set_time(json_object_get(ar, name), "sent_at", now) == -1)
			return -1;
	}
	if (m->rule_new | m->rule_repeat | m->rule_resolved)
		m->events |= ALERT_RULE;
	return 0;
}

/*
 * The events of one machine against its state entry s (may be NULL);
 * *ns and *nk receive its entries for the sent and the kept states.
 */
static int
machine_eval(const struct rules_conf *c, struct alert_machine *m,
    const json_t *s, time_t now, int flags, json_t **ns, json_t **nk)
{
	json_t *a, *k;

	a = s != NULL ? json_deep_copy(s) : json_object();
	k = s != NULL ? json_deep_copy(s) : json_object();
	*ns = a;
	*nk = k;
	if (a == NULL || k == NULL)
		return -1;
	if (eval_disk(c, m, s, now, flags, a, k) == -1 ||
	    eval_rules(c, m, s, now, flags, a, k) == -1)
		return -1;
	if (m->online) {
		/* Back online: going offline again is news again. */
		json_object_del(a, "offline");
		json_object_del(k, "offline");
		if (m->hostkey && !state_true(s, "hostkey")) {
			m->events |= ALERT_HOSTKEY;
			if (json_object_set_new(a, "hostkey", json_true()) ==
			    -1 || set_time(a, "sent_at", now) == -1)
				return -1;
		} else if (!m->hostkey && (m->res.known &
		    RULE_BIT(RULE_HOSTKEY_MISMATCH))) {
			json_object_del(a, "hostkey");
			json_object_del(k, "hostkey");
		}
	}
	if (json_object_set_new(a, "name", json_string(m->name)) == -1)
		return -1;
	return 0;
}

/* Machines absent from the view keep their state for a while. */
static int
keep_absent(const json_t *smach, const json_t *index, time_t now,
    json_t *sent_m, json_t *kept_m)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)smach, key, v) {
		if (json_object_get(index, key) != NULL || !json_is_object(v) ||
		    now - entry_sent(v) > ALERT_FORGET_S)
			continue;
		if (json_object_set_new(sent_m, key, json_deep_copy(v)) == -1 ||
		    json_object_set_new(kept_m, key, json_deep_copy(v)) == -1)
			return -1;
	}
	return 0;
}

/* The machines of the view, one per id; 0 or -1. */
static int
collect(const struct rules_conf *c, const json_t *view, time_t now,
    struct alert_report *r, json_t *index)
{
	const char *id;
	json_t *rec, *at;
	size_t i, slot;

	json_array_foreach(view, i, rec) {
		if (!json_is_object(rec))
			continue;
		id = rec_id(rec);
		if (id == NULL)
			continue;
		/* A later record of the same machine replaces it. */
		if ((at = json_object_get(index, id)) != NULL) {
			slot = (size_t)json_integer_value(at);
			free(r->v[slot].name);
		} else {
			slot = r->n++;
			if (json_object_set_new(index, id,
			    json_integer((json_int_t)slot)) == -1)
				return -1;
		}
		if (machine_init(c, &r->v[slot], rec, id, now) == -1) {
			r->v[slot].name = NULL;
			return -1;
		}
	}
	return 0;
}

int
alert_evaluate(const struct rules_conf *c, const json_t *view,
    const json_t *state, time_t now, int flags, struct alert_report *r,
    struct ms_err *e)
{
	json_t *smach = NULL, *sent_m = NULL, *kept_m = NULL, *index = NULL;
	json_t *ns = NULL, *nk = NULL, *ent, *old_last;
	size_t i, n;

	memset(r, 0, sizeof(*r));
	r->now = now;
	r->forced = (flags & ALERT_FORCE) != 0;
	if (!json_is_array(view))
		return ms_err_set(e, "the view is not a JSON array");
	if (state != NULL)
		smach = json_object_get(state, "machines");
	if (!json_is_object(smach))
		smach = NULL;
	n = json_array_size(view);
	if ((r->v = calloc(n ? n : 1, sizeof(*r->v))) == NULL ||
	    (sent_m = json_object()) == NULL ||
	    (kept_m = json_object()) == NULL ||
	    (index = json_object()) == NULL ||
	    collect(c, view, now, r, index) == -1)
		goto oom;
	for (i = 0; i < r->n; i++) {
		struct alert_machine *m = &r->v[i];

		ent = smach != NULL ? json_object_get(smach, m->id) : NULL;
		if (!json_is_object(ent))
			ent = NULL;
		if (machine_eval(c, m, ent, now, flags, &ns, &nk) == -1)
			goto oom;
		if (put_entry(sent_m, m->id, ns) == -1) {
			ns = NULL;
			goto oom;
		}
		ns = NULL;
		if (put_entry(kept_m, m->id, nk) == -1) {
			nk = NULL;
			goto oom;
		}
		nk = NULL;
		r->events |= m->events;
	}
	if (smach != NULL && keep_absent(smach, index, now, sent_m,
	    kept_m) == -1)
		goto oom;
	qsort(r->v, r->n, sizeof(*r->v), cmp_machine);
	r->due = r->forced || r->events != 0;
	r->kept_changed = smach != NULL ? !json_equal(smach, kept_m) :
	    json_object_size(kept_m) > 0;
	old_last = state != NULL ? json_object_get(state, "last_sent") : NULL;
	r->state_sent = json_pack("{s:o}", "machines", sent_m);
	sent_m = NULL;
	r->state_kept = json_pack("{s:o}", "machines", kept_m);
	kept_m = NULL;
	if (r->state_sent == NULL || r->state_kept == NULL ||
	    set_time(r->state_sent, "last_sent", now) == -1)
		goto oom;
	if (json_is_string(old_last) && json_object_set(r->state_kept,
	    "last_sent", old_last) == -1)
		goto oom;
	json_decref(index);
	return 0;
oom:
	json_decref(ns);
	json_decref(nk);
	json_decref(sent_m);
	json_decref(kept_m);
	json_decref(index);
	alert_report_free(r);
	return ms_err_set(e, "out of memory");
}

void
alert_report_free(struct alert_report *r)
{
	size_t i;

	if (r->v != NULL)
		for (i = 0; i < r->n; i++)
			free(r->v[i].name);
	free(r->v);
	json_decref(r->state_sent);
	json_decref(r->state_kept);
	memset(r, 0, sizeof(*r));
}

const json_t *
alert_state_channel(const json_t *st, const char *channel)
{
	const json_t *ch;

	if (!json_is_object(st))
		return NULL;
	if (state_int(st, "version") >= 2) {
		ch = json_object_get(json_object_get(st, "channels"), channel);
		return json_is_object(ch) ? ch : NULL;
	}
	/* Version 1 (or a file from before versions): the email's. */
	return strcmp(channel, "email") == 0 &&
	    json_object_get(st, "machines") != NULL ? st : NULL;
}

json_t *
alert_state_v2(const json_t *st)
{
	static const char *const names[] = { "email", "slack", "teams",
	    "webhook" };
	const json_t *ch, *seen;
	json_t *o, *chans;
	size_t i;

	if ((o = json_pack("{s:i,s:{}}", "version", ALERT_STATE_VERSION,
	    "channels")) == NULL)
		return NULL;
	chans = json_object_get(o, "channels");
	if (state_int(st, "version") >= 2) {
		const char *key;
		json_t *v;

		/* Channels this version does not know are kept too. */
		json_object_foreach(json_object_get(st, "channels"), key, v)
			if (json_is_object(v) && json_object_set_new(chans,
			    key, json_deep_copy(v)) == -1)
				goto oom;
	} else {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if ((ch = alert_state_channel(st, names[i])) == NULL)
				continue;
			if (json_object_set_new(chans, names[i],
			    json_deep_copy(ch)) == -1)
				goto oom;
			json_object_del(json_object_get(chans, names[i]),
			    "version");
		}
	}
	seen = json_object_get(st, "seen");
	if (json_is_object(seen) && json_object_set_new(o, "seen",
	    json_deep_copy(seen)) == -1)
		goto oom;
	return o;
oom:
	json_decref(o);
	return NULL;
}

int
alert_state_put(json_t *st, const char *channel, json_t *chstate)
{
	json_t *chans = json_object_get(st, "channels");

	if (!json_is_object(chans)) {
		json_decref(chstate);
		return -1;
	}
	return json_object_set_new(chans, channel, chstate);
}

json_t *
alert_seen_update(const json_t *st, const json_t *view, time_t now,
    long long keep_s)
{
	const json_t *old = json_object_get(st, "seen");
	const char *key, *id, *ls;
	json_t *o, *v, *rec;
	char *name;
	time_t t;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_foreach((json_t *)old, key, v)
		if (json_is_object(v) && now - state_time(v, "last_seen") <=
		    keep_s && json_object_set_new(o, key,
		    json_deep_copy(v)) == -1)
			goto oom;
	json_array_foreach(view, i, rec) {
		if (!json_is_object(rec))
			continue;
		id = rec_id(rec);
		if (id == NULL)
			continue;
		ls = record_str(rec, "last_seen");
		if (ls == NULL || rfc3339_parse(ls, &t, NULL) == -1)
			t = now;
		if ((v = json_object_get(o, id)) != NULL &&
		    state_time(v, "last_seen") > t)
			t = state_time(v, "last_seen");
		if ((name = fmt_name(rec, 0)) == NULL)
			goto oom;
		v = json_pack("{s:s}", "name", name);
		free(name);
		if (v == NULL || set_time(v, "last_seen", t) == -1 ||
		    json_object_set_new(o, id, v) == -1) {
			json_decref(v);
			goto oom;
		}
	}
	return o;
oom:
	json_decref(o);
	return NULL;
}

int
alert_view_add_seen(json_t *view, const json_t *seen)
{
	const char *key, *id, *name, *ls;
	json_t *index, *v, *rec;
	size_t i;

	if ((index = json_object()) == NULL)
		return -1;
	json_array_foreach(view, i, rec) {
		id = rec_id(rec);
		if (id != NULL && json_object_set_new(index, id,
		    json_true()) == -1)
			goto oom;
	}
	json_object_foreach((json_t *)seen, key, v) {
		if (json_object_get(index, key) != NULL)
			continue;
		name = json_string_value(json_object_get(v, "name"));
		ls = json_string_value(json_object_get(v, "last_seen"));
		if (ls == NULL)
			continue;
		rec = json_pack("{s:s,s:s,s:b,s:s}", "id", key,
		    "computer_name", name != NULL ? name : key, "online", 0,
		    "last_seen", ls);
		if (rec == NULL || json_array_append_new(view, rec) == -1)
			goto oom;
	}
	json_decref(index);
	return 0;
oom:
	json_decref(index);
	return -1;
}
