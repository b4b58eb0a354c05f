/*
 * rules.c - see rules.h: the rule table, the disk levels, one record's
 * verdict, and the disk forecast.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "record.h"
#include "rfc3339.h"
#include "rules.h"
#include "settings.h"

#define DAY 86400LL

const struct rule_def rule_defs[RULE_COUNT] = {
	[RULE_DISK_CRITICAL] = { "disk_critical", RULE_CRITICAL,
	    "ALERT_DISK_CRITICAL_GB", "disk_free_bytes" },
	[RULE_DISK_WARNING] = { "disk_warning", RULE_WARNING,
	    "ALERT_DISK_WARN_GB", "disk_free_bytes" },
	[RULE_BATTERY_LOW] = { "battery_low", RULE_WARNING,
	    "ALERT_BATTERY_LOW_PERCENT", "battery_percent" },
	[RULE_BATTERY_FULL_PLUGGED] = { "battery_full_plugged", RULE_INFO,
	    NULL, "battery_percent" },
	[RULE_BATTERY_CONDITION] = { "battery_condition", RULE_WARNING,
	    "ALERT_BATTERY_CONDITION", "battery_condition" },
	[RULE_FILEVAULT_OFF] = { "filevault_off", RULE_WARNING,
	    "ALERT_FILEVAULT", "filevault" },
	[RULE_FIREWALL_OFF] = { "firewall_off", RULE_WARNING,
	    "ALERT_FIREWALL", "firewall" },
	[RULE_BACKUP_OLD] = { "backup_old", RULE_WARNING,
	    "ALERT_BACKUP_DAYS", "backup_last_at" },
	[RULE_BACKUP_NEVER] = { "backup_never", RULE_WARNING,
	    "ALERT_BACKUP_DAYS", "backup" },
	[RULE_SMART_FAILING] = { "smart_failing", RULE_CRITICAL,
	    "ALERT_SMART", "disk_smart" },
	[RULE_UPDATES_RESTART] = { "updates_restart", RULE_WARNING,
	    "ALERT_UPDATES_DAYS", "updates_restart" },
	[RULE_IDENTITY_CONFLICT] = { "identity_conflict", RULE_CRITICAL,
	    "ALERT_IDENTITY_CONFLICT", "identity_conflict" },
	[RULE_OFFLINE] = { "offline", RULE_WARNING, "ALERT_OFFLINE_DAYS",
	    "last_seen" },
	[RULE_HOSTKEY_MISMATCH] = { "hostkey_mismatch", RULE_CRITICAL, NULL,
	    "probe" },
	[RULE_NEW_HOST] = { "new_host", RULE_INFO, NULL, "probe" },
};

int
rule_find(const char *name)
{
	int r;

	if (name == NULL)
		return -1;
	for (r = 0; r < RULE_COUNT; r++)
		if (strcmp(rule_defs[r].name, name) == 0)
			return r;
	return -1;
}

const char *
rule_severity_name(enum rule_severity s)
{
	switch (s) {
	case RULE_CRITICAL:
		return "critical";
	case RULE_WARNING:
		return "warning";
	default:
		return "info";
	}
}

static void
set_margin(struct rules_conf *c)
{
	c->margin = c->critical / 10;
	if (c->margin < 2 * RULES_GB)
		c->margin = 2 * RULES_GB;
}

/* A setting's value, or with cfg NULL its default in the table (so the
 * defaults are written once, in lib/settings.c). */
static long long
conf_int(const struct config *cfg, const char *name)
{
	const struct setting *s;
	const char *es;
	long long v;

	if (cfg != NULL)
		return setting_int(cfg, name);
	s = setting_find(name);
	if (s == NULL || s->def == NULL ||
	    ms_strtonum(s->def, s->min, s->max, &v, &es) == -1)
		return 0;
	return v;
}

static int
conf_bool(const struct config *cfg, const char *name)
{
	const struct setting *s;
	int b;

	if (cfg != NULL)
		return setting_bool(cfg, name);
	s = setting_find(name);
	return s != NULL && s->def != NULL &&
	    setting_parse_bool(s->def, &b) == 0 && b;
}

/* The posture rules' settings. */
static void
set_rest(struct rules_conf *c, const struct config *cfg)
{
	static const struct {
		const char *setting;
		enum rule rule;
	} onoff[] = {
		{ "ALERT_FILEVAULT", RULE_FILEVAULT_OFF },
		{ "ALERT_FIREWALL", RULE_FIREWALL_OFF },
		{ "ALERT_SMART", RULE_SMART_FAILING },
		{ "ALERT_BATTERY_CONDITION", RULE_BATTERY_CONDITION },
		{ "ALERT_IDENTITY_CONFLICT", RULE_IDENTITY_CONFLICT },
	};
	size_t i;

	c->backup_days = conf_int(cfg, "ALERT_BACKUP_DAYS");
	c->updates_days = conf_int(cfg, "ALERT_UPDATES_DAYS");
	c->offline_days = conf_int(cfg, "ALERT_OFFLINE_DAYS");
	c->enabled = RULES_ALL;
	for (i = 0; i < sizeof(onoff) / sizeof(onoff[0]); i++)
		if (!conf_bool(cfg, onoff[i].setting))
			c->enabled &= ~RULE_BIT(onoff[i].rule);
	if (c->backup_days == 0)
		c->enabled &= ~(RULE_BIT(RULE_BACKUP_OLD) |
		    RULE_BIT(RULE_BACKUP_NEVER));
	if (c->updates_days == 0)
		c->enabled &= ~RULE_BIT(RULE_UPDATES_RESTART);
	if (c->offline_days == 0)
		c->enabled &= ~RULE_BIT(RULE_OFFLINE);
}

void
rules_conf_init(struct rules_conf *c, long long critical_gb,
    long long warn_gb, int battery_low_pct, long long repeat_hours)
{
	memset(c, 0, sizeof(*c));
	c->critical = critical_gb * RULES_GB;
	c->warn = warn_gb * RULES_GB;
	set_margin(c);
	c->battery_low = battery_low_pct;
	c->repeat = repeat_hours * 3600;
	set_rest(c, NULL);
}

void
rules_conf_load(struct rules_conf *c, const struct config *cfg)
{
	rules_conf_init(c, setting_int(cfg, "ALERT_DISK_CRITICAL_GB"),
	    setting_int(cfg, "ALERT_DISK_WARN_GB"),
	    (int)setting_int(cfg, "ALERT_BATTERY_LOW_PERCENT"),
	    setting_int(cfg, "ALERT_REPEAT_HOURS"));
	set_rest(c, cfg);
}

long long
rules_level_bound(const struct rules_conf *c, int level)
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
rules_level(const struct rules_conf *c, long long free_bytes)
{
	int l, level = 0;

	for (l = 1; l <= RULES_LEVELS; l++)
		if (free_bytes <= rules_level_bound(c, l))
			level = l;
	return level;
}

/* A time stamp field: 0 and *t, or -1 when absent or not one. */
static int
field_time(const json_t *rec, const char *key, time_t *t)
{
	const char *s = record_str(rec, key);

	return s != NULL && rfc3339_parse(s, t, NULL) == 0 ? 0 : -1;
}

/* 1 if field key holds the string v, 0 if it holds another string, -1
 * when it is absent or not a string. */
static int
field_is(const json_t *rec, const char *key, const char *v)
{
	const char *s = record_str(rec, key);

	if (s == NULL)
		return -1;
	return strcmp(s, v) == 0;
}

/* More than days days between t and now (a time in the future is not
 * old). */
static int
older(time_t t, time_t now, long long days)
{
	return now > t && (long long)(now - t) > days * DAY;
}

/* Record rule r: known, and firing when fire. */
static void
put(struct rules_result *o, const struct rules_conf *c, enum rule r,
    int fire)
{
	if (!(c->enabled & RULE_BIT(r)))
		return;
	o->known |= RULE_BIT(r);
	if (fire)
		o->firing |= RULE_BIT(r);
}

static void
eval_disk(const struct rules_conf *c, const json_t *rec,
    struct rules_result *o)
{
	long long v;

	if (record_int(rec, "disk_free_bytes", &v) == -1 || v < 0)
		return;
	o->level = rules_level(c, v);
	put(o, c, RULE_DISK_CRITICAL, v <= c->critical);
	put(o, c, RULE_DISK_WARNING, v > c->critical && v <= c->warn);
}

static void
eval_battery(const struct rules_conf *c, const json_t *rec, int online,
    struct rules_result *o)
{
	const char *cond = record_str(rec, "battery_condition");
	long long v;
	int present = -1, ac, b;

	if (record_bool(rec, "battery_present", &b) == 0)
		present = b;
	if (present == 0)
		return;
	if (cond != NULL && *cond != '\0')
		put(o, c, RULE_BATTERY_CONDITION, strcasecmp(cond,
		    "Normal") != 0);
	if (!online || record_int(rec, "battery_percent", &v) == -1 ||
	    v < 0 || v > 100)
		return;
	put(o, c, RULE_BATTERY_LOW, v < c->battery_low);
	if (v < 100)
		put(o, c, RULE_BATTERY_FULL_PLUGGED, 0);
	else if (record_bool(rec, "ac_power", &ac) == 0)
		put(o, c, RULE_BATTERY_FULL_PLUGGED, ac);
}

static void
eval_backup(const struct rules_conf *c, const json_t *rec, time_t now,
    struct rules_result *o)
{
	const char *b = record_str(rec, "backup");
	time_t t;

	if (b != NULL && strcmp(b, "no_access") == 0)
		return;
	if (b != NULL) {
		int never = strcmp(b, "never") == 0 ||
		    strcmp(b, "not_configured") == 0;

		put(o, c, RULE_BACKUP_NEVER, never);
		if (never) {
			put(o, c, RULE_BACKUP_OLD, 0);
			return;
		}
	}
	if (field_time(rec, "backup_last_at", &t) == 0)
		put(o, c, RULE_BACKUP_OLD, older(t, now, c->backup_days));
}

static void
eval_posture(const struct rules_conf *c, const json_t *rec, time_t now,
    struct rules_result *o)
{
	long long v;
	time_t t;
	int b;

	if ((b = field_is(rec, "filevault", "off")) != -1)
		put(o, c, RULE_FILEVAULT_OFF, b ||
		    field_is(rec, "filevault", "deferred") == 1);
	if ((b = field_is(rec, "firewall", "off")) != -1)
		put(o, c, RULE_FIREWALL_OFF, b);
	if ((b = field_is(rec, "disk_smart", "failing")) != -1)
		put(o, c, RULE_SMART_FAILING, b);
	if (record_bool(rec, "identity_conflict", &b) == 0)
		put(o, c, RULE_IDENTITY_CONFLICT, b);
	eval_backup(c, rec, now, o);
	if (record_int(rec, "updates_restart", &v) == 0 && v >= 0) {
		if (v == 0)
			put(o, c, RULE_UPDATES_RESTART, 0);
		else if (field_time(rec, "updates_restart_since", &t) == 0)
			put(o, c, RULE_UPDATES_RESTART, older(t, now,
			    c->updates_days));
	}
}

unsigned
rules_eval(const struct rules_conf *c, const json_t *rec, time_t now,
    struct rules_result *o)
{
	const char *probe;
	time_t t;
	int online = 1, b;

	memset(o, 0, sizeof(*o));
	if (!json_is_object(rec))
		return 0;
	if (record_bool(rec, "online", &b) == 0)
		online = b;
	eval_disk(c, rec, o);
	eval_battery(c, rec, online, o);
	eval_posture(c, rec, now, o);
	if (online)
		put(o, c, RULE_OFFLINE, 0);
	else if (field_time(rec, "last_seen", &t) == 0)
		put(o, c, RULE_OFFLINE, older(t, now, c->offline_days));
	if (online && (probe = record_str(rec, "probe")) != NULL) {
		put(o, c, RULE_HOSTKEY_MISMATCH, strcmp(probe,
		    "hostkey_mismatch") == 0);
		put(o, c, RULE_NEW_HOST, strcmp(probe, "new_host") == 0);
	}
	return o->firing;
}

int
rules_severity(unsigned mask)
{
	int r, s = -1;

	for (r = 0; r < RULE_COUNT; r++)
		if ((mask & RULE_BIT(r)) && (int)rule_defs[r].severity > s)
			s = (int)rule_defs[r].severity;
	return s;
}

double
rules_forecast(const json_t *history, long long free_now, time_t now)
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
		if (t > now + 3600 || now - t > RULES_FORECAST_WINDOW)
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
	if (n < RULES_FORECAST_MIN || tmax - tmin < RULES_FORECAST_SPAN)
		return -1;
	den = (double)n * sxx - sx * sx;
	if (den <= 0)
		return -1;
	slope = ((double)n * sxy - sx * sy) / den;	/* GB a day */
	if (slope > -0.001)	/* less than 1 MB a day: not falling */
		return -1;
	days = ((double)free_now / 1e9) / -slope;
	if (days > RULES_FORECAST_MAX_DAYS)
		return -1;
	return days;
}
