/*
 * alertrules.c - see alertrules.h: levels, de-duplication, forecast,
 * subject, template context and the template language.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alertrules.h"
#include "escape.h"
#include "mime.h"
#include "record.h"
#include "rfc3339.h"

void
alert_conf_init(struct alert_conf *c, long long critical_gb,
    long long warn_gb, int battery_low_pct, long long repeat_hours)
{
	c->critical = critical_gb * ALERT_GB;
	c->warn = warn_gb * ALERT_GB;
	c->margin = c->critical / 10;
	if (c->margin < 2 * ALERT_GB)
		c->margin = 2 * ALERT_GB;
	c->battery_low = battery_low_pct;
	c->repeat = repeat_hours * 3600;
}

long long
alert_level_bound(const struct alert_conf *c, int level)
{
	switch (level) {
	case 1:
		return c->critical;
	case 2:
		return c->critical * 2 / 3;
	case 3:
		return c->critical / 3;
	case 4:
		return c->critical / 15;
	default:
		return -1;
	}
}

int
alert_level(const struct alert_conf *c, long long free_bytes)
{
	int l, level = 0;

	for (l = 1; l <= ALERT_LEVELS; l++)
		if (free_bytes <= alert_level_bound(c, l))
			level = l;
	return level;
}

/* A display name: the computer's name, else its host name, else what
 * identifies it; cleaned and cut to ALERT_NAME_MAX bytes on a character
 * boundary. */
static char *
display_name(const json_t *rec, const char *id)
{
	static const char *keys[] = { "computer_name", "hostname", "host",
	    "ip" };
	const char *s = NULL;
	char *c;
	size_t i, n;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && s == NULL; i++)
		if ((s = record_str(rec, keys[i])) != NULL && *s == '\0')
			s = NULL;
	if (s == NULL)
		s = id;
	if ((c = mime_clean(s, strlen(s))) == NULL)
		return NULL;
	/* Blanks at the ends (a cleaned newline) say nothing. */
	n = strlen(c);
	while (n > 0 && c[n - 1] == ' ')
		c[--n] = '\0';
	for (i = 0; c[i] == ' '; i++)
		;
	memmove(c, c + i, n - i + 1);
	n -= i;
	if (n > ALERT_NAME_MAX) {
		n = ALERT_NAME_MAX - 3;
		while (n > 0 && ((unsigned char)c[n] & 0xc0) == 0x80)
			n--;
		memcpy(c + n, "\xe2\x80\xa6", 4);	/* ... */
	}
	if (*c == '\0') {
		free(c);
		return ms_strdup("?");
	}
	return c;
}

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

static int
set_time(json_t *o, const char *key, time_t t)
{
	char buf[RFC3339_LEN];

	if (rfc3339_format(t, buf) == NULL)
		return -1;
	return json_object_set_new(o, key, json_string(buf));
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

/* An entry worth keeping holds a level or a host key flag. */
static int
put_entry(json_t *machines, const char *id, json_t *entry)
{
	if (state_int(entry, "level") <= 0 && !state_true(entry, "hostkey")) {
		json_decref(entry);
		return 0;
	}
	return json_object_set_new(machines, id, entry);
}

/* Fill m from its record; 0 or -1 when out of memory. */
static int
machine_init(const struct alert_conf *c, struct alert_machine *m,
    const json_t *rec, const char *id)
{
	long long v;
	int b, present = -1, ac = -1;

	memset(m, 0, sizeof(*m));
	m->rec = rec;
	m->id = id;
	m->days_left = -1;
	m->battery = -1;
	if ((m->name = display_name(rec, id)) == NULL)
		return -1;
	m->online = record_bool(rec, "online", &b) == 0 ? b : 1;
	if (record_int(rec, "disk_free_bytes", &v) == 0 && v >= 0) {
		m->has_free = 1;
		m->free = v;
		m->level = alert_level(c, v);
	}
	if (record_int(rec, "disk_total_bytes", &v) == 0 && v > 0)
		m->total = v;
	if (record_bool(rec, "battery_present", &b) == 0)
		present = b;
	if (record_bool(rec, "ac_power", &b) == 0)
		ac = b;
	if (m->online && present != 0 &&
	    record_int(rec, "battery_percent", &v) == 0 && v >= 0 &&
	    v <= 100) {
		m->battery = v;
		m->battery_full = v >= 100 && ac == 1;
		m->battery_low = v < c->battery_low;
	}
	if (m->online) {
		const char *p = record_str(rec, "probe");

		m->hostkey = p != NULL && strcmp(p, "hostkey_mismatch") == 0;
	}
	return 0;
}

/*
 * The events of one machine against its state entry s (may be NULL);
 * *ns and *nk receive its entries for the sent and the kept states.
 */
static int
machine_eval(const struct alert_conf *c, struct alert_machine *m,
    const json_t *s, time_t now, json_t **ns, json_t **nk)
{
	int sl = (int)state_int(s, "level"), nl;
	time_t sent_at = 0;
	const char *st;
	json_t *a, *k;

	if (sl < 0)
		sl = 0;
	if (sl > ALERT_LEVELS)
		sl = ALERT_LEVELS;
	m->prev = sl;
	if (s != NULL && json_is_string(json_object_get(s, "sent_at"))) {
		st = json_string_value(json_object_get(s, "sent_at"));
		if (rfc3339_parse(st, &sent_at, NULL) == -1)
			sent_at = 0;
	}
	a = s != NULL ? json_deep_copy(s) : json_object();
	k = s != NULL ? json_deep_copy(s) : json_object();
	*ns = a;
	*nk = k;
	if (a == NULL || k == NULL)
		return -1;
	if (m->online && m->has_free) {
		/* Leave levels downwards only clear of them by the margin. */
		nl = sl;
		while (nl > m->level &&
		    m->free > alert_level_bound(c, nl) + c->margin)
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
			/* Every email lists every critical machine: each
			 * one's repeat period starts again when it goes. */
			if (json_object_set_new(a, "level", json_integer(nl)) ||
			    json_object_set_new(a, "free",
			    json_integer(m->free)) ||
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
	if (m->online) {
		const char *p = record_str(m->rec, "probe");

		/* Back online: going offline again is news again. */
		json_object_del(a, "offline");
		json_object_del(k, "offline");
		if (m->hostkey && !state_true(s, "hostkey")) {
			m->events |= ALERT_HOSTKEY;
			if (json_object_set_new(a, "hostkey", json_true()) ==
			    -1 || set_time(a, "sent_at", now) == -1)
				return -1;
		} else if (!m->hostkey && p != NULL) {
			json_object_del(a, "hostkey");
			json_object_del(k, "hostkey");
		}
	}
	if (json_object_set_new(a, "name", json_string(m->name)) == -1)
		return -1;
	return 0;
}

int
alert_evaluate(const struct alert_conf *c, const json_t *view,
    const json_t *state, time_t now, int force, struct alert_report *r,
    struct ms_err *e)
{
	json_t *smach = NULL, *sent_m = NULL, *kept_m = NULL, *index = NULL;
	json_t *rec, *ns = NULL, *nk = NULL, *ent, *old_last;
	const char *id;
	size_t i, n;

	memset(r, 0, sizeof(*r));
	r->now = now;
	r->forced = force;
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
	    (index = json_object()) == NULL)
		goto oom;
	json_array_foreach(view, i, rec) {
		json_t *at;
		size_t slot;

		if (!json_is_object(rec))
			continue;
		if ((id = record_str(rec, "id")) == NULL || *id == '\0')
			id = record_identity(rec);
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
				goto oom;
		}
		if (machine_init(c, &r->v[slot], rec, id) == -1)
			goto oom;
	}
	for (i = 0; i < r->n; i++) {
		struct alert_machine *m = &r->v[i];

		ent = smach != NULL ? json_object_get(smach, m->id) : NULL;
		if (!json_is_object(ent))
			ent = NULL;
		if (machine_eval(c, m, ent, now, &ns, &nk) == -1)
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
	/* Machines absent from the view keep their state for a while. */
	if (smach != NULL) {
		const char *key;
		json_t *v;

		json_object_foreach(smach, key, v) {
			time_t t = 0;
			json_t *sa;

			if (json_object_get(index, key) != NULL ||
			    !json_is_object(v))
				continue;
			sa = json_object_get(v, "sent_at");
			if (!json_is_string(sa) || rfc3339_parse(
			    json_string_value(sa), &t, NULL) == -1 ||
			    now - t > ALERT_FORGET_S)
				continue;
			if (json_object_set_new(sent_m, key,
			    json_deep_copy(v)) == -1 ||
			    json_object_set_new(kept_m, key,
			    json_deep_copy(v)) == -1)
				goto oom;
		}
	}
	qsort(r->v, r->n, sizeof(*r->v), cmp_machine);
	r->due = force || r->events != 0;
	r->kept_changed = smach != NULL ? !json_equal(smach, kept_m) :
	    json_object_size(kept_m) > 0;
	old_last = state != NULL ? json_object_get(state, "last_sent") : NULL;
	r->state_sent = json_pack("{s:i,s:o}", "version", 1, "machines",
	    sent_m);
	sent_m = NULL;
	r->state_kept = json_pack("{s:i,s:o}", "version", 1, "machines",
	    kept_m);
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

double
alert_forecast(const json_t *history, long long free_now, time_t now)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, x, y, den, slope, days;
	time_t t, tmin = 0, tmax = 0;
	json_t *p, *tv, *fv;
	size_t i, n = 0;

	if (!json_is_array(history) || free_now < 0)
		return -1;
	json_array_foreach(history, i, p) {
		tv = json_object_get(p, "t");
		fv = json_object_get(p, "disk_free_bytes");
		if (!json_is_string(tv) || !json_is_integer(fv) ||
		    json_integer_value(fv) < 0 ||
		    rfc3339_parse(json_string_value(tv), &t, NULL) == -1)
			continue;
		if (t > now + 3600 || now - t > ALERT_FORECAST_WINDOW)
			continue;
		/* Days and GB keep the sums well inside a double. */
		x = (double)(t - now) / 86400.0;
		y = (double)json_integer_value(fv) / 1e9;
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		if (n == 0 || t < tmin)
			tmin = t;
		if (n == 0 || t > tmax)
			tmax = t;
		n++;
	}
	if (n < ALERT_FORECAST_MIN || tmax - tmin < ALERT_FORECAST_SPAN)
		return -1;
	den = (double)n * sxx - sx * sx;
	if (den <= 0)
		return -1;
	slope = ((double)n * sxy - sx * sy) / den;	/* GB a day */
	if (slope > -0.001)	/* less than 1 MB a day: not falling */
		return -1;
	days = ((double)free_now / 1e9) / -slope;
	if (days > ALERT_FORECAST_MAX_DAYS)
		return -1;
	return days;
}

int
alert_lang_parse(const char *s, enum alert_lang *out)
{
	if (s == NULL)
		return -1;
	if (strncmp(s, "fr", 2) == 0 && (s[2] == '\0' || s[2] == '_' ||
	    s[2] == '-' || s[2] == '.')) {
		*out = ALERT_FR;
		return 0;
	}
	if (strncmp(s, "en", 2) == 0 && (s[2] == '\0' || s[2] == '_' ||
	    s[2] == '-' || s[2] == '.')) {
		*out = ALERT_EN;
		return 0;
	}
	return -1;
}

char *
alert_fmt_bytes(long long bytes, enum alert_lang lang, char *buf,
    size_t len)
{
	const char *gb = lang == ALERT_FR ? "Go" : "GB";
	const char *mb = lang == ALERT_FR ? "Mo" : "MB";
	char sep = lang == ALERT_FR ? ',' : '.';
	long long v;

	/* Integer arithmetic: no locale can turn the point into a comma
	 * behind our back, and rounding is half up. */
	if (bytes < 0)
		snprintf(buf, len, "?");
	else if (bytes > 1000000000000000000LL)
		snprintf(buf, len, "%lld %s", bytes / ALERT_GB, gb);
	else if ((v = (bytes + 500000) / 1000000) < 1000)
		snprintf(buf, len, "%lld %s", v, mb);
	else if ((v = (bytes + 50000000) / 100000000) < 100)
		snprintf(buf, len, "%lld%c%lld %s", v / 10, sep, v % 10, gb);
	else
		snprintf(buf, len, "%lld %s", (bytes + 500000000) / ALERT_GB,
		    gb);
	return buf;
}

/* "a (X), b (Y) and N more": up to two names, each with its detail. */
static int
name_list(struct ms_buf *b, const struct alert_machine **v, size_t n,
    enum alert_lang lang, const char *unit_fmt, int with_free)
{
	char sz[32];
	size_t i;

	for (i = 0; i < n && i < 2; i++) {
		if (i > 0 && ms_buf_puts(b, ", ") == -1)
			return -1;
		if (ms_buf_puts(b, v[i]->name) == -1)
			return -1;
		if (with_free && v[i]->has_free) {
			alert_fmt_bytes(v[i]->free, lang, sz, sizeof(sz));
			if (ms_buf_puts(b, " (") == -1 ||
			    ms_buf_printf(b, unit_fmt, sz) == -1 ||
			    ms_buf_puts(b, ")") == -1)
				return -1;
		}
	}
	if (n > 2) {
		if (lang == ALERT_FR)
			return ms_buf_printf(b, " et %zu autre%s", n - 2,
			    n - 2 > 1 ? "s" : "");
		return ms_buf_printf(b, " and %zu more", n - 2);
	}
	return 0;
}

char *
alert_subject(const struct alert_report *r, enum alert_lang lang,
    const char *prefix)
{
	const struct alert_machine **v;
	struct ms_buf b = { 0 };
	size_t i, n;
	int fr = lang == ALERT_FR, kind, rc = 0;

	if ((v = calloc(r->n ? r->n : 1, sizeof(*v))) == NULL)
		return NULL;
	if (prefix == NULL)
		prefix = "[macscan]";
	if (ms_buf_printf(&b, "%s ", prefix) == -1)
		goto oom;
	/* The most urgent kind of news names the message. */
	for (kind = 0; kind < 4; kind++) {
		for (n = 0, i = 0; i < r->n; i++) {
			const struct alert_machine *m = &r->v[i];

			if ((kind == 0 && m->online && m->has_free &&
			    m->level >= 1) || (kind == 1 && m->hostkey) ||
			    (kind == 2 && !m->online && m->has_free &&
			    m->level >= 1 && (m->prev >= 1 ||
			    (m->events & ALERT_OFFLINE))) ||
			    (kind == 3 && (m->events & ALERT_RESOLVED)))
				v[n++] = m;
		}
		if (n > 0)
			break;
	}
	switch (kind) {
	case 0:
		rc = ms_buf_puts(&b, fr ? "Disque critique : " :
		    "Disk critical: ") == -1 || name_list(&b, v, n, lang,
		    fr ? "%s" : "%s left", 1) == -1;
		break;
	case 1:
		rc = ms_buf_puts(&b, fr ? "Clé SSH changée : " :
		    "SSH host key changed: ") == -1 ||
		    name_list(&b, v, n, lang, "%s", 0) == -1;
		break;
	case 2:
		rc = ms_buf_puts(&b, fr ? "Hors ligne, disque critique : " :
		    "Offline with a critical disk: ") == -1 ||
		    name_list(&b, v, n, lang, "%s", 1) == -1;
		break;
	case 3:
		rc = ms_buf_puts(&b, fr ? "Résolu : " : "Resolved: ") == -1 ||
		    name_list(&b, v, n, lang, fr ? "%s libres" : "%s free",
		    1) == -1;
		break;
	default:
		rc = ms_buf_printf(&b, fr ? "Rien à signaler (%zu machine%s)" :
		    "Nothing to report (%zu machine%s)", r->n,
		    r->n > 1 ? "s" : "") == -1;
	}
	if (rc)
		goto oom;
	free(v);
	return ms_buf_steal(&b, NULL);
oom:
	free(v);
	ms_buf_free(&b);
	return NULL;
}

/* A time stamp as people of that language read it, in local time. */
static void
fmt_local(time_t t, enum alert_lang lang, char *buf, size_t len)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	if (lang == ALERT_FR)
		snprintf(buf, len, "%02d/%02d/%04d à %02d:%02d", tm.tm_mday,
		    tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
	else
		snprintf(buf, len, "%04d-%02d-%02d %02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min);
}

static void
fmt_pct(long long v, enum alert_lang lang, char *buf, size_t len)
{
	/* French puts a (no-break) space before the sign. */
	snprintf(buf, len, lang == ALERT_FR ? "%lld\xc2\xa0%%" : "%lld%%", v);
}

static void
fmt_days(double d, enum alert_lang lang, char *buf, size_t len)
{
	long long n = (long long)d;

	if (d < 0)
		buf[0] = '\0';
	else if (n < 1)
		snprintf(buf, len, lang == ALERT_FR ? "moins d'un jour" :
		    "less than a day");
	else if (lang == ALERT_FR)
		snprintf(buf, len, "~%lld jour%s", n, n > 1 ? "s" : "");
	else
		snprintf(buf, len, "~%lld day%s", n, n > 1 ? "s" : "");
}

static const char *
battery_state(const char *s, enum alert_lang lang)
{
	static const struct {
		const char *key, *fr, *en;
	} t[] = {
		{ "charged", "chargée", "charged" },
		{ "charging", "en charge", "charging" },
		{ "discharging", "sur batterie", "on battery" },
		{ "finishing", "fin de charge", "finishing charge" },
		{ "not_charging", "ne charge pas", "not charging" },
	};
	size_t i;

	if (s == NULL)
		return "";
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].key) == 0)
			return lang == ALERT_FR ? t[i].fr : t[i].en;
	return s;
}

/* The fields every kind of item shares. */
static json_t *
item_new(const struct alert_machine *m, enum alert_lang lang)
{
	const char *model = record_str(m->rec, "model_name");
	const char *osn = record_str(m->rec, "os_name");
	const char *osv = record_str(m->rec, "os_version");
	const char *ip = record_str(m->rec, "ip");
	const char *user = record_str(m->rec, "console_user");
	char os[128], sz[32];
	json_t *o;

	if (model == NULL)
		model = record_str(m->rec, "model");
	/* A machine known by its address alone needs it only once. */
	if (ip != NULL && strcmp(ip, m->name) == 0)
		ip = NULL;
	snprintf(os, sizeof(os), "%s%s%s", osv != NULL ? (osn != NULL ? osn :
	    "macOS") : "", osv != NULL ? " " : "", osv != NULL ? osv : "");
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "name", m->name,
	    "id", m->id, "ip", ip != NULL ? ip : "", "model",
	    model != NULL ? model : "", "os", os, "user",
	    user != NULL ? user : "", "online", m->online);
	if (o == NULL)
		return NULL;
	if (m->has_free) {
		alert_fmt_bytes(m->free, lang, sz, sizeof(sz));
		if (json_object_set_new(o, "free", json_string(sz)) == -1) {
			json_decref(o);
			return NULL;
		}
	}
	if (m->total > 0) {
		alert_fmt_bytes(m->total, lang, sz, sizeof(sz));
		if (json_object_set_new(o, "total", json_string(sz)) == -1) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int
add_disk(json_t *arr, const struct alert_conf *c,
    const struct alert_machine *m, enum alert_lang lang)
{
	int crit = m->level >= 1, fr = lang == ALERT_FR;
	long long used = 0;
	const char *status = "";
	char days[64], pct[16];
	json_t *o;

	(void)c;
	if ((o = item_new(m, lang)) == NULL)
		return -1;
	if (m->total > 0 && m->free <= m->total)
		used = (long long)((double)(m->total - m->free) * 100.0 /
		    (double)m->total);
	if (m->events & ALERT_NEW)
		status = fr ? "nouveau" : "new";
	else if (m->events & ALERT_WORSE)
		status = fr ? "aggravé" : "worse";
	else if (m->events & ALERT_REPEAT)
		status = fr ? "rappel" : "reminder";
	fmt_days(m->days_left, lang, days, sizeof(days));
	fmt_pct(used, lang, pct, sizeof(pct));
	if (json_object_set_new(o, "critical", json_boolean(crit)) == -1 ||
	    json_object_set_new(o, "warn", json_boolean(!crit)) == -1 ||
	    json_object_set_new(o, "level", json_integer(m->level)) == -1 ||
	    json_object_set_new(o, "used_pct", json_integer(used)) == -1 ||
	    json_object_set_new(o, "free_pct", json_integer(100 - used)) ==
	    -1 ||
	    json_object_set_new(o, "used", json_string(pct)) == -1 ||
	    json_object_set_new(o, "color", json_string(crit ? "#b91c1c" :
	    "#b45309")) == -1 ||
	    json_object_set_new(o, "bg", json_string(crit ? "#fef2f2" :
	    "#fffbeb")) == -1 ||
	    json_object_set_new(o, "bar", json_string(crit ? "#dc2626" :
	    "#f59e0b")) == -1 ||
	    json_object_set_new(o, "mark", json_string(crit ? "!!" : " !")) ==
	    -1 ||
	    json_object_set_new(o, "badge", json_string(crit ?
	    (fr ? "CRITIQUE" : "CRITICAL") : (fr ? "ATTENTION" :
	    "WARNING"))) == -1 ||
	    json_object_set_new(o, "status", json_string(status)) == -1 ||
	    json_object_set_new(o, "forecast", json_string(days)) == -1 ||
	    json_array_append_new(arr, o) == -1) {
		json_decref(o);
		return -1;
	}
	return 0;
}

static int
add_battery(json_t *arr, const struct alert_machine *m,
    enum alert_lang lang)
{
	char pct[16], health[16];
	long long v;
	json_t *o;

	if ((o = item_new(m, lang)) == NULL)
		return -1;
	fmt_pct(m->battery, lang, pct, sizeof(pct));
	health[0] = '\0';
	if (record_int(m->rec, "battery_health_percent", &v) == 0)
		fmt_pct(v, lang, health, sizeof(health));
	if (json_object_set_new(o, "percent", json_string(pct)) == -1 ||
	    json_object_set_new(o, "health", json_string(health)) == -1 ||
	    json_object_set_new(o, "state", json_string(battery_state(
	    record_str(m->rec, "battery_state"), lang))) == -1 ||
	    json_array_append_new(arr, o) == -1) {
		json_decref(o);
		return -1;
	}
	if (record_int(m->rec, "battery_cycles", &v) == 0 &&
	    json_object_set_new(o, "cycles", json_integer(v)) == -1)
		return -1;
	return 0;
}

static int
add_other(json_t *arr, const struct alert_machine *m, enum alert_lang lang)
{
	const char *ls = record_str(m->rec, "last_seen");
	const char *pe = record_str(m->rec, "probe_error");
	char when[64];
	time_t t;
	json_t *o;
	char *c;

	if ((o = item_new(m, lang)) == NULL)
		return -1;
	when[0] = '\0';
	if (ls != NULL && rfc3339_parse(ls, &t, NULL) == 0)
		fmt_local(t, lang, when, sizeof(when));
	c = pe != NULL ? mime_clean(pe, strlen(pe) > 300 ? 300 :
	    strlen(pe)) : NULL;
	if (json_object_set_new(o, "last_seen", json_string(when)) == -1 ||
	    json_object_set_new(o, "error", json_string(c != NULL ? c :
	    "")) == -1 ||
	    json_array_append_new(arr, o) == -1) {
		free(c);
		json_decref(o);
		return -1;
	}
	free(c);
	return 0;
}

json_t *
alert_context(const struct alert_conf *c, const struct alert_report *r,
    enum alert_lang lang, const char *subject, int demo)
{
	json_t *ctx, *disks, *full, *low, *hk, *off, *res;
	char gen[64], crit[32], warn[32], bat[16];
	size_t i, ncrit = 0, nonline = 0;

	fmt_local(r->now, lang, gen, sizeof(gen));
	alert_fmt_bytes(c->critical, lang, crit, sizeof(crit));
	alert_fmt_bytes(c->warn, lang, warn, sizeof(warn));
	fmt_pct(c->battery_low, lang, bat, sizeof(bat));
	ctx = json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:[],s:[],s:[],s:[],"
	    "s:[],s:[]}", "lang", lang == ALERT_FR ? "fr" : "en",
	    "subject", subject != NULL ? subject : "", "generated", gen,
	    "demo", demo, "critical_gb", crit, "warn_gb", warn,
	    "battery_low_pct", bat, "disks", "battery_full", "battery_low",
	    "hostkey", "offline", "resolved");
	if (ctx == NULL)
		return NULL;
	disks = json_object_get(ctx, "disks");
	full = json_object_get(ctx, "battery_full");
	low = json_object_get(ctx, "battery_low");
	hk = json_object_get(ctx, "hostkey");
	off = json_object_get(ctx, "offline");
	res = json_object_get(ctx, "resolved");
	for (i = 0; i < r->n; i++) {
		const struct alert_machine *m = &r->v[i];

		nonline += m->online;
		if (m->online && m->has_free && m->free < c->warn) {
			ncrit += m->level >= 1;
			if (add_disk(disks, c, m, lang) == -1)
				goto oom;
		}
		if (m->battery_full && add_battery(full, m, lang) == -1)
			goto oom;
		if (m->battery_low && add_battery(low, m, lang) == -1)
			goto oom;
		if (m->hostkey && add_other(hk, m, lang) == -1)
			goto oom;
		if (!m->online && m->has_free && m->level >= 1 &&
		    add_other(off, m, lang) == -1)
			goto oom;
		if ((m->events & ALERT_RESOLVED) &&
		    add_other(res, m, lang) == -1)
			goto oom;
	}
	if (json_object_set_new(ctx, "machines", json_integer((json_int_t)
	    r->n)) == -1 ||
	    json_object_set_new(ctx, "online", json_integer((json_int_t)
	    nonline)) == -1 ||
	    json_object_set_new(ctx, "ncritical", json_integer((json_int_t)
	    ncrit)) == -1 ||
	    json_object_set_new(ctx, "nwarn", json_integer((json_int_t)
	    (json_array_size(disks) - ncrit))) == -1 ||
	    json_object_set_new(ctx, "has_disks",
	    json_boolean(json_array_size(disks) > 0)) == -1 ||
	    json_object_set_new(ctx, "has_battery_full",
	    json_boolean(json_array_size(full) > 0)) == -1 ||
	    json_object_set_new(ctx, "has_battery_low",
	    json_boolean(json_array_size(low) > 0)) == -1 ||
	    json_object_set_new(ctx, "has_hostkey",
	    json_boolean(json_array_size(hk) > 0)) == -1 ||
	    json_object_set_new(ctx, "has_offline",
	    json_boolean(json_array_size(off) > 0)) == -1 ||
	    json_object_set_new(ctx, "has_resolved",
	    json_boolean(json_array_size(res) > 0)) == -1 ||
	    json_object_set_new(ctx, "nothing", json_boolean(
	    json_array_size(disks) + json_array_size(full) +
	    json_array_size(low) + json_array_size(hk) +
	    json_array_size(off) + json_array_size(res) == 0)) == -1)
		goto oom;
	return ctx;
oom:
	json_decref(ctx);
	return NULL;
}

/* The template language. */

enum { T_TEXT, T_VAR, T_SEC, T_INV, T_END };

struct tok {
	int type;
	const char *p;		/* text, or the tag's name */
	size_t n;
	size_t match;		/* of a section: its T_END */
	unsigned long line;
};

struct tmpl {
	struct tok *v;
	size_t n, cap;
};

static int
tok_add(struct tmpl *t, int type, const char *p, size_t n,
    unsigned long line)
{
	if (type == T_TEXT && n == 0)
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct tok *v = realloc(t->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].type = type;
	t->v[t->n].p = p;
	t->v[t->n].n = n;
	t->v[t->n].match = 0;
	t->v[t->n].line = line;
	t->n++;
	return 0;
}

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static unsigned long
count_lines(const char *s, size_t n)
{
	unsigned long l = 0;
	size_t i;

	for (i = 0; i < n; i++)
		l += s[i] == '\n';
	return l;
}

/* The first pair of c at s (n bytes), or NULL: memmem is not POSIX. */
static const char *
find_pair(const char *s, size_t n, char c)
{
	const char *p;

	while (n >= 2 && (p = memchr(s, c, n - 1)) != NULL) {
		if (p[1] == c)
			return p;
		n -= (size_t)(p - s) + 1;
		s = p + 1;
	}
	return NULL;
}

static int
tmpl_parse(struct tmpl *t, const char *s, size_t len, const char *name,
    struct ms_err *e)
{
	size_t i = 0, text = 0, open, close, a, b, ls, j, k;
	size_t stack[ALERT_TMPL_DEPTH];
	unsigned long line = 1;
	int depth = 0, type;
	const char *o, *cl;

	memset(t, 0, sizeof(*t));
	if (len > ALERT_TMPL_MAX)
		return ms_err_set(e, "%s: larger than %u bytes", name,
		    ALERT_TMPL_MAX);
	if (memchr(s, '\0', len) != NULL || !ms_utf8_valid(s, len))
		return ms_err_set(e, "%s: not UTF-8 text", name);
	while (i < len) {
		if ((o = find_pair(s + i, len - i, '{')) == NULL)
			break;
		open = (size_t)(o - s);
		line += count_lines(s + i, open - i);
		i = open;
		if ((cl = find_pair(s + open + 2, len - open - 2, '}')) ==
		    NULL) {
			ms_err_set(e, "%s:%lu: '{{' without '}}'", name, line);
			goto bad;
		}
		close = (size_t)(cl - s);
		a = open + 2;
		b = close;
		while (a < b && (s[a] == ' ' || s[a] == '\t'))
			a++;
		type = T_VAR;
		if (a < b && s[a] == '!')
			type = -1;
		else if (a < b && (s[a] == '#' || s[a] == '^' || s[a] == '/')) {
			type = s[a] == '#' ? T_SEC : s[a] == '^' ? T_INV :
			    T_END;
			a++;
		}
		if (type != -1) {
			while (a < b && (s[a] == ' ' || s[a] == '\t'))
				a++;
			while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
				b--;
			if (a == b || b - a > 64) {
				ms_err_set(e, "%s:%lu: a tag needs a name",
				    name, line);
				goto bad;
			}
			for (k = a; k < b; k++)
				if (!name_char(s[k])) {
					ms_err_set(e, "%s:%lu: bad character "
					    "in a tag name (names are "
					    "[A-Za-z0-9_-])", name, line);
					goto bad;
				}
		}
		j = close + 2;
		/* A block tag alone on its line takes the line along. */
		if (type != T_VAR) {
			for (ls = open; ls > 0 && (s[ls - 1] == ' ' ||
			    s[ls - 1] == '\t'); ls--)
				;
			k = j;
			while (k < len && (s[k] == ' ' || s[k] == '\t'))
				k++;
			if ((ls == 0 || s[ls - 1] == '\n') && (k == len ||
			    s[k] == '\n' || (s[k] == '\r' && k + 1 < len &&
			    s[k + 1] == '\n'))) {
				open = ls;
				if (k < len)
					k += s[k] == '\r' ? 2 : 1;
				j = k;
			}
		}
		if (tok_add(t, T_TEXT, s + text, open - text, 0) == -1)
			goto oom;
		if (type == T_SEC || type == T_INV) {
			if (depth == ALERT_TMPL_DEPTH) {
				ms_err_set(e, "%s:%lu: sections nested deeper "
				    "than %d", name, line, ALERT_TMPL_DEPTH);
				goto bad;
			}
			stack[depth++] = t->n;
		} else if (type == T_END) {
			struct tok *sec;

			if (depth == 0) {
				ms_err_set(e, "%s:%lu: '{{/%.*s}}' closes no "
				    "section", name, line, (int)(b - a),
				    s + a);
				goto bad;
			}
			sec = &t->v[stack[depth - 1]];
			if (sec->n != b - a || memcmp(sec->p, s + a, b - a)) {
				ms_err_set(e, "%s:%lu: '{{/%.*s}}' closes "
				    "'%.*s' opened on line %lu", name, line,
				    (int)(b - a), s + a, (int)sec->n, sec->p,
				    sec->line);
				goto bad;
			}
			sec->match = t->n;
			depth--;
		}
		if (type != -1 && tok_add(t, type, s + a, b - a, line) == -1)
			goto oom;
		line += count_lines(s + i, j - i);
		i = text = j;
	}
	if (tok_add(t, T_TEXT, s + text, len - text, 0) == -1)
		goto oom;
	if (depth > 0) {
		struct tok *sec = &t->v[stack[depth - 1]];

		ms_err_set(e, "%s:%lu: unclosed section '%.*s'", name,
		    sec->line, (int)sec->n, sec->p);
		goto bad;
	}
	return 0;
oom:
	ms_err_set(e, "%s: out of memory", name);
bad:
	free(t->v);
	memset(t, 0, sizeof(*t));
	return -1;
}

static const json_t *
lookup(const json_t *const *stack, int depth, const struct tok *k)
{
	char key[65];
	const json_t *v;
	int i;

	memcpy(key, k->p, k->n);
	key[k->n] = '\0';
	for (i = depth - 1; i >= 0; i--)
		if (json_is_object(stack[i]) &&
		    (v = json_object_get(stack[i], key)) != NULL)
			return v;
	return NULL;
}

static int
truthy(const json_t *v)
{
	if (v == NULL || json_is_false(v) || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	return 1;
}

static int
put_value(struct ms_buf *out, const json_t *v, int html)
{
	char *c;
	int rc;

	if (json_is_string(v)) {
		if (html)
			return esc_html(out, json_string_value(v),
			    json_string_length(v));
		if ((c = mime_clean(json_string_value(v),
		    json_string_length(v))) == NULL)
			return -1;
		rc = ms_buf_puts(out, c);
		free(c);
		return rc;
	}
	if (json_is_integer(v))
		return ms_buf_printf(out, "%lld",
		    (long long)json_integer_value(v));
	if (json_is_real(v))
		return ms_buf_printf(out, "%g", json_real_value(v));
	if (json_is_true(v))
		return ms_buf_puts(out, "true");
	return 0;
}

static int
render(struct ms_buf *out, const struct tmpl *t, size_t from, size_t to,
    const json_t **stack, int depth, int html)
{
	const json_t *v, *el;
	size_t k, i;

	for (k = from; k < to; k++) {
		const struct tok *x = &t->v[k];

		switch (x->type) {
		case T_TEXT:
			if (ms_buf_append(out, x->p, x->n) == -1)
				return -1;
			break;
		case T_VAR:
			if (put_value(out, lookup(stack, depth, x), html) == -1)
				return -1;
			break;
		case T_SEC:
			v = lookup(stack, depth, x);
			if (json_is_array(v)) {
				json_array_foreach(v, i, el) {
					stack[depth] = el;
					if (render(out, t, k + 1, x->match,
					    stack, depth + 1, html) == -1)
						return -1;
				}
			} else if (truthy(v)) {
				stack[depth] = v;
				if (render(out, t, k + 1, x->match, stack,
				    depth + 1, html) == -1)
					return -1;
			}
			k = x->match;
			break;
		case T_INV:
			if (!truthy(lookup(stack, depth, x)) &&
			    render(out, t, k + 1, x->match, stack, depth,
			    html) == -1)
				return -1;
			k = x->match;
			break;
		default:
			break;
		}
	}
	return 0;
}

int
alert_template_check(const char *tmpl, size_t len, const char *name,
    struct ms_err *e)
{
	struct tmpl t;

	if (tmpl_parse(&t, tmpl, len, name, e) == -1)
		return -1;
	free(t.v);
	return 0;
}

int
alert_render(struct ms_buf *out, const char *tmpl, size_t len,
    const char *name, const json_t *ctx, int html, struct ms_err *e)
{
	const json_t *stack[ALERT_TMPL_DEPTH + 2];
	struct tmpl t;
	int rc;

	if (tmpl_parse(&t, tmpl, len, name, e) == -1)
		return -1;
	stack[0] = ctx;
	if ((rc = render(out, &t, 0, t.n, stack, 1, html)) == -1)
		ms_err_set(e, "%s: out of memory", name);
	free(t.v);
	return rc;
}
