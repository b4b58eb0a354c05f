/*
 * message.c - see message.h: the words, the subject, the email's
 * template context, and each rule's title and detail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed.h"
#include "escape.h"
#include "message.h"
#include "record.h"
#include "rfc3339.h"
#include "template.h"

/* The order of the posture sections: critical first. */
static const int posture_order[] = {
	RULE_SMART_FAILING, RULE_IDENTITY_CONFLICT, RULE_FILEVAULT_OFF,
	RULE_FIREWALL_OFF, RULE_BACKUP_NEVER, RULE_BACKUP_OLD,
	RULE_UPDATES_RESTART, RULE_BATTERY_CONDITION, RULE_OFFLINE,
	RULE_NEW_HOST
};

/* A size as messages say it: "4,2 Go", "12 Go". */
static const char *
size(long long bytes, enum ms_lang lang, char buf[FMT_LEN])
{
	return fmt_bytes(bytes, lang, FMT_BYTES_WHOLE, buf, FMT_LEN);
}

json_t *
alert_strings(enum ms_lang lang, struct ms_err *e)
{
	char name[64];
	const char *text;
	json_error_t je;
	json_t *s;
	size_t len;

	snprintf(name, sizeof(name), "mail/strings.%s.json",
	    fmt_lang_code(lang));
	if ((text = embed_get(name, &len)) == NULL) {
		ms_err_set(e, "share/%s is not built in", name);
		return NULL;
	}
	if ((s = json_loadb(text, len, 0, &je)) == NULL || !json_is_object(s)) {
		json_decref(s);
		ms_err_set(e, "share/%s:%d: %s", name, je.line, je.text);
		return NULL;
	}
	return s;
}

char *
alert_say(const json_t *strings, const char *key, const json_t *ctx)
{
	struct ms_buf b = { 0 };
	struct ms_err e;

	if (ms_buf_append(&b, "", 0) == -1)
		return NULL;
	if (json_is_string(json_object_get(strings, key)) &&
	    template_render_partial(&b, strings, key, "strings", ctx,
	    TMPL_TEXT, &e) == -1) {
		/* The built-in words are checked at start: this is memory. */
		ms_buf_free(&b);
		return NULL;
	}
	return ms_buf_steal(&b, NULL);
}

/* Set key of o to the string v, cleaned and cut; left out when it
 * cannot be a JSON string. */
static void
put_str(json_t *o, const char *key, const char *v)
{
	size_t n;
	char *c;

	if (v == NULL)
		v = "";
	n = ms_utf8_cut(v, strlen(v), ALERT_FIELD_MAX);
	if ((c = esc_clean(v, n)) == NULL)
		return;
	(void)json_object_set_new(o, key, json_string(c));
	free(c);
}

/* The same for a string of ours (formatted numbers, words). */
static void
put_own(json_t *o, const char *key, const char *v)
{
	(void)json_object_set_new(o, key, json_string(v));
}

static void
put_int(json_t *o, const char *key, long long v)
{
	(void)json_object_set_new(o, key, json_integer((json_int_t)v));
}

static void
put_bool(json_t *o, const char *key, int v)
{
	(void)json_object_set_new(o, key, json_boolean(v));
}

/* A partial of ours into key of o. */
static void
put_say(json_t *o, const char *key, const json_t *strings,
    const char *skey, const json_t *ctx)
{
	char *s = alert_say(strings, skey, ctx);

	if (s != NULL)
		put_own(o, key, s);
	free(s);
}

json_t *
alert_item(const struct alert_machine *m, enum ms_lang lang)
{
	const char *model = record_str(m->rec, "model_name");
	const char *osn = record_str(m->rec, "os_name");
	const char *osv = record_str(m->rec, "os_version");
	const char *ip = record_str(m->rec, "ip");
	struct ms_buf os = { 0 };
	char sz[FMT_LEN];
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (model == NULL)
		model = record_str(m->rec, "model");
	/* A machine known by its address alone needs it only once. */
	if (ip != NULL && strcmp(ip, m->name) == 0)
		ip = NULL;
	put_own(o, "name", m->name);
	put_str(o, "id", m->id);
	put_str(o, "ip", ip);
	put_str(o, "model", model);
	if (osv != NULL)
		(void)ms_buf_printf(&os, "%s %s", osn != NULL ? osn : "macOS",
		    osv);
	put_str(o, "os", os.data);
	ms_buf_free(&os);
	put_str(o, "user", record_str(m->rec, "console_user"));
	put_bool(o, "online", m->online);
	if (m->has_free)
		put_own(o, "free", size(m->free, lang, sz));
	if (m->total > 0)
		put_own(o, "total", size(m->total, lang, sz));
	return o;
}

/* Append item o to the array arr (o is stolen); 0 or -1. */
static int
add(json_t *arr, json_t *o)
{
	if (o == NULL)
		return -1;
	return json_array_append_new(arr, o);
}

static json_t *
item_disk(const struct alert_machine *m, const json_t *strings,
    enum ms_lang lang)
{
	int crit = m->level >= 1;
	long long used = 0;
	const char *status = NULL;
	char days[FMT_LEN], pct[FMT_LEN];
	json_t *o;

	if ((o = alert_item(m, lang)) == NULL)
		return NULL;
	if (m->total > 0 && m->free <= m->total)
		used = (long long)((double)(m->total - m->free) * 100.0 /
		    (double)m->total);
	if (m->events & ALERT_NEW)
		status = "status_new";
	else if (m->events & ALERT_WORSE)
		status = "status_worse";
	else if (m->events & ALERT_REPEAT)
		status = "status_repeat";
	put_bool(o, "critical", crit);
	put_bool(o, "warn", !crit);
	put_int(o, "level", m->level);
	put_int(o, "used_pct", used);
	put_int(o, "free_pct", 100 - used);
	put_own(o, "used", fmt_pct(used, lang, pct, sizeof(pct)));
	put_own(o, "color", crit ? "#b91c1c" : "#b45309");
	put_own(o, "bg", crit ? "#fef2f2" : "#fffbeb");
	put_own(o, "bar", crit ? "#dc2626" : "#f59e0b");
	put_own(o, "mark", crit ? "!!" : " !");
	put_say(o, "badge", strings, crit ? "badge_critical" : "badge_warn",
	    NULL);
	if (status != NULL)
		put_say(o, "status", strings, status, NULL);
	else
		put_own(o, "status", "");
	put_own(o, "forecast", fmt_days(m->days_left, lang, days,
	    sizeof(days)));
	return o;
}

static json_t *
item_battery(const struct alert_machine *m, const json_t *strings,
    enum ms_lang lang)
{
	const char *st = record_str(m->rec, "battery_state");
	char pct[FMT_LEN], key[64];
	long long v;
	json_t *o;

	if ((o = alert_item(m, lang)) == NULL)
		return NULL;
	put_own(o, "percent", fmt_pct(m->battery, lang, pct, sizeof(pct)));
	if (record_int(m->rec, "battery_health_percent", &v) == 0)
		put_own(o, "health", fmt_pct(v, lang, pct, sizeof(pct)));
	else
		put_own(o, "health", "");
	snprintf(key, sizeof(key), "battery_%s", st != NULL ? st : "");
	if (st != NULL && strlen(st) < 32 &&
	    json_is_string(json_object_get(strings, key)))
		put_say(o, "state", strings, key, NULL);
	else
		put_str(o, "state", st);
	if (record_int(m->rec, "battery_cycles", &v) == 0)
		put_int(o, "cycles", v);
	return o;
}

static json_t *
item_other(const struct alert_machine *m, enum ms_lang lang)
{
	const char *ls = record_str(m->rec, "last_seen");
	const char *pe = record_str(m->rec, "probe_error");
	char when[FMT_LEN];
	time_t t;
	json_t *o;
	char *c;

	if ((o = alert_item(m, lang)) == NULL)
		return NULL;
	when[0] = '\0';
	if (ls != NULL && rfc3339_parse(ls, &t, NULL) == 0)
		fmt_time(t, lang, when, sizeof(when));
	put_own(o, "last_seen", when);
	c = pe != NULL ? esc_clean(pe, ms_utf8_cut(pe, strlen(pe),
	    ALERT_ERROR_MAX)) : NULL;
	put_own(o, "error", c != NULL ? c : "");
	free(c);
	return o;
}

/* Days between a time stamp field and now, and the time as people read
 * it, into ctx; 0, or -1 when the field is not a time. */
static int
put_age(json_t *ctx, const json_t *rec, const char *key,
    enum ms_lang lang, time_t now)
{
	const char *s = record_str(rec, key);
	char when[FMT_LEN];
	time_t t;

	if (s == NULL || rfc3339_parse(s, &t, NULL) == -1)
		return -1;
	put_int(ctx, "days", t < now ? (long long)(now - t) / 86400 : 0);
	put_own(ctx, "date", fmt_time(t, lang, when, sizeof(when)));
	return 0;
}

char *
alert_rule_text(const json_t *strings, const char *what, int r,
    const struct rules_conf *c, const struct alert_machine *m,
    enum ms_lang lang, time_t now)
{
	const json_t *rec = m->rec;
	char key[64], sz[FMT_LEN];
	long long v;
	json_t *ctx;
	char *s;

	if (r < 0 || r >= RULE_COUNT || (ctx = json_object()) == NULL)
		return NULL;
	snprintf(key, sizeof(key), "%s%s", what, rule_defs[r].name);
	put_int(ctx, "offline_days", c->offline_days);
	switch (r) {
	case RULE_DISK_CRITICAL:
		if (m->has_free)
			put_own(ctx, "free", size(m->free, lang, sz));
		break;
	case RULE_BATTERY_CONDITION:
		put_str(ctx, "value", record_str(rec, "battery_condition"));
		break;
	case RULE_FILEVAULT_OFF: {
		const char *fv = record_str(rec, "filevault");

		put_bool(ctx, "deferred", fv != NULL &&
		    strcmp(fv, "deferred") == 0);
		break;
	}
	case RULE_BACKUP_OLD:
		(void)put_age(ctx, rec, "backup_last_at", lang, now);
		break;
	case RULE_BACKUP_NEVER: {
		const char *b = record_str(rec, "backup");

		put_bool(ctx, "never", b != NULL && strcmp(b, "never") == 0);
		break;
	}
	case RULE_UPDATES_RESTART:
		if (record_int(rec, "updates_restart", &v) == 0)
			put_int(ctx, "value", v);
		(void)put_age(ctx, rec, "updates_restart_since", lang, now);
		break;
	case RULE_IDENTITY_CONFLICT:
		put_str(ctx, "serial", record_str(rec, "serial"));
		break;
	case RULE_OFFLINE:
		(void)put_age(ctx, rec, "last_seen", lang, now);
		break;
	default:
		break;
	}
	s = alert_say(strings, key, ctx);
	json_decref(ctx);
	return s;
}

/* "a (X), b (Y) and N more": up to two names, each with its detail. */
static int
name_list(struct ms_buf *b, const struct alert_machine **v,
    char **detail, size_t n, const json_t *strings)
{
	json_t *ctx;
	char *more;
	size_t i;

	for (i = 0; i < n && i < 2; i++) {
		if (i > 0 && ms_buf_puts(b, ", ") == -1)
			return -1;
		if (ms_buf_puts(b, v[i]->name) == -1)
			return -1;
		if (detail[i] != NULL && *detail[i] != '\0' &&
		    ms_buf_printf(b, " (%s)", detail[i]) == -1)
			return -1;
	}
	if (n <= 2)
		return 0;
	if ((ctx = json_pack("{s:I,s:b}", "n", (json_int_t)(n - 2), "plural",
	    n - 2 > 1)) == NULL)
		return -1;
	more = alert_say(strings, "subject_more", ctx);
	json_decref(ctx);
	if (more == NULL || ms_buf_puts(b, more) == -1) {
		free(more);
		return -1;
	}
	free(more);
	return 0;
}

/* Does m belong to the subject's kind k? */
static int
subject_kind(const struct alert_machine *m, int k)
{
	unsigned crit = RULE_BIT(RULE_SMART_FAILING) |
	    RULE_BIT(RULE_IDENTITY_CONFLICT);

	switch (k) {
	case 0:
		return m->online && m->has_free && m->level >= 1;
	case 1:
		return m->hostkey;
	case 2:
		return m->online && (m->res.firing & crit) != 0;
	case 3:
		return !m->online && m->has_free && m->level >= 1 &&
		    (m->prev >= 1 || (m->events & ALERT_OFFLINE));
	case 4:
		return (m->rule_new | m->rule_repeat) != 0;
	case 5:
		return (m->events & ALERT_RESOLVED) || m->rule_resolved != 0;
	default:
		return 0;
	}
}

/* The detail of m in a subject of kind k: new string or NULL. */
static char *
subject_detail(const struct alert_machine *m, int k, const json_t *strings,
    enum ms_lang lang)
{
	char sz[FMT_LEN], *s;
	unsigned mask;
	json_t *ctx;
	int r;

	if (k == 0 || k == 3 || (k == 5 && (m->events & ALERT_RESOLVED))) {
		if (!m->has_free)
			return NULL;
		if ((ctx = json_pack("{s:s}", "free", size(m->free, lang,
		    sz))) == NULL)
			return NULL;
		s = alert_say(strings, k == 5 ? "subject_free_resolved" :
		    "subject_free", ctx);
		json_decref(ctx);
		return s;
	}
	if (k != 2 && k != 4)
		return NULL;
	mask = k == 2 ? m->res.firing & (RULE_BIT(RULE_SMART_FAILING) |
	    RULE_BIT(RULE_IDENTITY_CONFLICT)) : m->rule_new | m->rule_repeat;
	for (r = 0; r < RULE_COUNT; r++)
		if (mask & RULE_BIT(r)) {
			char key[64];

			snprintf(key, sizeof(key), "title_%s",
			    rule_defs[r].name);
			return alert_say(strings, key, NULL);
		}
	return NULL;
}

char *
alert_subject(const struct alert_report *r, const json_t *strings,
    enum ms_lang lang, const char *prefix)
{
	static const char *const kinds[] = { "subject_disk",
	    "subject_hostkey", "subject_critical_rule", "subject_offline",
	    "subject_rules", "subject_resolved" };
	const struct alert_machine **v;
	char *detail[2] = { NULL, NULL }, *s = NULL;
	struct ms_buf b = { 0 };
	json_t *ctx;
	size_t i, n = 0;
	int k, rc;

	if ((v = calloc(r->n ? r->n : 1, sizeof(*v))) == NULL)
		return NULL;
	if (ms_buf_printf(&b, "%s ", prefix != NULL ? prefix :
	    "[macscan]") == -1)
		goto oom;
	/* The most urgent kind of news names the message. */
	for (k = 0; k < 6; k++) {
		for (n = 0, i = 0; i < r->n; i++)
			if (subject_kind(&r->v[i], k))
				v[n++] = &r->v[i];
		if (n > 0)
			break;
	}
	if (k == 6) {
		if ((ctx = json_pack("{s:I,s:b}", "n", (json_int_t)r->n,
		    "plural", r->n > 1)) == NULL)
			goto oom;
		s = alert_say(strings, "subject_nothing", ctx);
		json_decref(ctx);
		rc = s == NULL || ms_buf_puts(&b, s) == -1;
	} else {
		for (i = 0; i < n && i < 2; i++)
			detail[i] = subject_detail(v[i], k, strings, lang);
		s = alert_say(strings, kinds[k], NULL);
		rc = s == NULL || ms_buf_puts(&b, s) == -1 ||
		    name_list(&b, v, detail, n, strings) == -1;
	}
	free(s);
	free(detail[0]);
	free(detail[1]);
	if (rc)
		goto oom;
	free(v);
	return ms_buf_steal(&b, NULL);
oom:
	free(v);
	ms_buf_free(&b);
	return NULL;
}

/* The posture sections: one per firing rule, its machines in it. */
static json_t *
posture(const struct rules_conf *c, const struct alert_report *r,
    const json_t *strings, enum ms_lang lang)
{
	json_t *arr, *sec, *items, *o;
	size_t i, k;
	char *s;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (k = 0; k < sizeof(posture_order) / sizeof(posture_order[0]);
	    k++) {
		int rule = posture_order[k];

		if ((items = json_array()) == NULL)
			goto oom;
		for (i = 0; i < r->n; i++) {
			const struct alert_machine *m = &r->v[i];

			if (!(m->res.firing & RULE_BIT(rule)) ||
			    (!m->online && rule != RULE_OFFLINE))
				continue;
			if ((o = alert_item(m, lang)) == NULL)
				continue;
			s = alert_rule_text(strings, "detail_", rule, c, m,
			    lang, r->now);
			put_own(o, "detail", s != NULL ? s : "");
			free(s);
			(void)json_array_append_new(items, o);
		}
		if (json_array_size(items) == 0) {
			json_decref(items);
			continue;
		}
		if ((sec = json_pack("{s:s,s:s,s:o}", "rule",
		    rule_defs[rule].name, "color",
		    rule_defs[rule].severity == RULE_CRITICAL ? "#991b1b" :
		    "#111827", "items", items)) == NULL)
			goto oom;
		s = alert_rule_text(strings, "title_", rule, c, &r->v[0],
		    lang, r->now);
		put_own(sec, "title", s != NULL ? s : "");
		free(s);
		s = alert_rule_text(strings, "head_", rule, c, &r->v[0], lang,
		    r->now);
		put_own(sec, "head", s != NULL ? s : "");
		free(s);
		if (json_array_append_new(arr, sec) == -1)
			goto oom;
	}
	return arr;
oom:
	json_decref(arr);
	return NULL;
}

/* Rules resolved since the state: an item with the rule's title. */
static int
resolved_rules(json_t *arr, const struct rules_conf *c,
    const struct alert_report *r, const json_t *strings, enum ms_lang lang)
{
	json_t *o;
	size_t i;
	char *s;
	int k;

	for (i = 0; i < r->n; i++) {
		const struct alert_machine *m = &r->v[i];

		for (k = 0; k < RULE_COUNT; k++) {
			if (!(m->rule_resolved & RULE_BIT(k)) ||
			    (o = alert_item(m, lang)) == NULL)
				continue;
			s = alert_rule_text(strings, "title_", k, c, m, lang,
			    r->now);
			put_own(o, "title", s != NULL ? s : "");
			free(s);
			(void)json_array_append_new(arr, o);
		}
	}
	return 0;
}

static int
put_size(json_t *ctx, const char *key, const json_t *arr)
{
	return json_object_set_new(ctx, key, json_boolean(json_array_size(
	    arr) > 0));
}

json_t *
alert_context(const struct rules_conf *c, const struct alert_report *r,
    const json_t *strings, enum ms_lang lang, const char *subject, int demo)
{
	json_t *ctx, *disks, *full, *low, *hk, *off, *res, *rr, *post;
	char gen[FMT_LEN], crit[FMT_LEN], warn[FMT_LEN], bat[FMT_LEN];
	size_t i, ncrit = 0, nonline = 0;

	fmt_time(r->now, lang, gen, sizeof(gen));
	size(c->critical, lang, crit);
	size(c->warn, lang, warn);
	fmt_pct(c->battery_low, lang, bat, sizeof(bat));
	ctx = json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:I,s:[],s:[],s:[],"
	    "s:[],s:[],s:[],s:[]}", "lang", fmt_lang_code(lang),
	    "subject", subject != NULL ? subject : "", "generated", gen,
	    "demo", demo, "critical_gb", crit, "warn_gb", warn,
	    "battery_low_pct", bat, "offline_days",
	    (json_int_t)c->offline_days, "disks", "battery_full",
	    "battery_low", "hostkey", "offline", "resolved",
	    "resolved_rules");
	if (ctx == NULL)
		return NULL;
	disks = json_object_get(ctx, "disks");
	full = json_object_get(ctx, "battery_full");
	low = json_object_get(ctx, "battery_low");
	hk = json_object_get(ctx, "hostkey");
	off = json_object_get(ctx, "offline");
	res = json_object_get(ctx, "resolved");
	rr = json_object_get(ctx, "resolved_rules");
	/* An item that cannot be made is left out; the rest goes. */
	for (i = 0; i < r->n; i++) {
		const struct alert_machine *m = &r->v[i];

		nonline += m->online;
		if (m->online && (m->res.firing &
		    (RULE_BIT(RULE_DISK_CRITICAL) |
		    RULE_BIT(RULE_DISK_WARNING)))) {
			if (add(disks, item_disk(m, strings, lang)) == 0)
				ncrit += m->level >= 1;
		}
		if (m->battery_full)
			(void)add(full, item_battery(m, strings, lang));
		if (m->battery_low)
			(void)add(low, item_battery(m, strings, lang));
		if (m->hostkey)
			(void)add(hk, item_other(m, lang));
		if (!m->online && m->has_free && m->level >= 1)
			(void)add(off, item_other(m, lang));
		if (m->events & ALERT_RESOLVED)
			(void)add(res, item_other(m, lang));
	}
	(void)resolved_rules(rr, c, r, strings, lang);
	if ((post = posture(c, r, strings, lang)) == NULL ||
	    json_object_set_new(ctx, "posture", post) == -1)
		goto oom;
	if (json_object_set_new(ctx, "machines", json_integer((json_int_t)
	    r->n)) == -1 ||
	    json_object_set_new(ctx, "online", json_integer((json_int_t)
	    nonline)) == -1 ||
	    json_object_set_new(ctx, "ncritical", json_integer((json_int_t)
	    ncrit)) == -1 ||
	    json_object_set_new(ctx, "nwarn", json_integer((json_int_t)
	    (json_array_size(disks) - ncrit))) == -1 ||
	    put_size(ctx, "has_disks", disks) == -1 ||
	    put_size(ctx, "has_battery_full", full) == -1 ||
	    put_size(ctx, "has_battery_low", low) == -1 ||
	    put_size(ctx, "has_hostkey", hk) == -1 ||
	    put_size(ctx, "has_offline", off) == -1 ||
	    put_size(ctx, "has_posture", post) == -1 ||
	    json_object_set_new(ctx, "has_resolved", json_boolean(
	    json_array_size(res) + json_array_size(rr) > 0)) == -1 ||
	    json_object_set_new(ctx, "nothing", json_boolean(
	    json_array_size(disks) + json_array_size(full) +
	    json_array_size(low) + json_array_size(hk) +
	    json_array_size(off) + json_array_size(res) +
	    json_array_size(rr) + json_array_size(post) == 0)) == -1)
		goto oom;
	return ctx;
oom:
	json_decref(ctx);
	return NULL;
}
