/*
 * rules.h - the one set of rules that says what is wrong with a Mac, for
 * every program that shows it: macalert (email, Slack, Teams, webhooks),
 * machttp (the dashboard and /metrics) and `macstore latest -t`. A rule
 * is read here and nowhere else, so a Mac is critical everywhere or
 * nowhere.
 *
 * Using it, in three calls:
 *
 *	struct rules_conf rc;
 *	struct rules_result res;
 *
 *	rules_conf_load(&rc, cfg);		after settings_load
 *	rules_eval(&rc, record, time(NULL), &res);
 *	for (r = 0; r < RULE_COUNT; r++)
 *		if (res.firing & RULE_BIT(r))
 *			show(rule_defs[r].name, rule_severity_name(
 *			    rule_defs[r].severity), record field
 *			    rule_defs[r].field);
 *
 * /metrics writes macscan_risk{...,rule="NAME",severity="..."} 1 for each
 * firing rule, and counts machines per rule; the dashboard colours a row
 * by the highest severity firing (rules_severity); `macstore latest -t`
 * prints the names. The table-driven test tests/unit/rules/
 * boundaries.json holds records and the rules each must fire: a
 * consumer's own test can feed the same records to its program.
 *
 * The rules (name, severity, the setting that tunes it, when it fires):
 *
 *   disk_critical     critical  ALERT_DISK_CRITICAL_GB (C, 15)
 *                     disk_free_bytes <= C
 *   disk_warning      warning   ALERT_DISK_WARN_GB (W, 30)
 *                     C < disk_free_bytes <= W
 *   battery_low       warning   ALERT_BATTERY_LOW_PERCENT (B, 30)
 *                     online, battery_percent < B (30 % is not low)
 *   battery_full_plugged  info  -
 *                     online, battery_percent 100 and ac_power true
 *   battery_condition warning   ALERT_BATTERY_CONDITION (yes)
 *                     battery_condition other than "Normal"
 *   filevault_off     warning   ALERT_FILEVAULT (yes)
 *                     filevault "off" or "deferred"
 *   firewall_off      warning   ALERT_FIREWALL (no)
 *                     firewall "off"
 *   backup_old        warning   ALERT_BACKUP_DAYS (N, 7; 0: off)
 *                     backup_last_at more than N days before now
 *   backup_never      warning   ALERT_BACKUP_DAYS
 *                     backup "never" or "not_configured" ("no_access"
 *                     fires nothing: the probe could not tell)
 *   smart_failing     critical  ALERT_SMART (yes)
 *                     disk_smart "failing"
 *   updates_restart   warning   ALERT_UPDATES_DAYS (N, 14; 0: off)
 *                     updates_restart > 0 since updates_restart_since,
 *                     more than N days before now (the store stamps
 *                     that field, carried over from scan to scan while
 *                     updates_restart stays above 0; without it, how
 *                     long is not known and the rule does not fire)
 *   identity_conflict critical  ALERT_IDENTITY_CONFLICT (yes)
 *                     identity_conflict true
 *   offline           warning   ALERT_OFFLINE_DAYS (N, 0: off)
 *                     online false, last_seen more than N days ago
 *   hostkey_mismatch  critical  -
 *                     online, probe "hostkey_mismatch"
 *   new_host          info      -
 *                     online, probe "new_host" (waiting for enrolment)
 *
 * A field that is absent, of the wrong type or out of range is unknown,
 * and an unknown field fires nothing: a failed probe never raises or
 * clears an alarm. The battery's charge and the probe's status are read
 * only from online machines (yesterday's charge says nothing); every
 * other rule also reads the last known record of an offline machine.
 *
 * Disk levels. A disk at or below C is at level 1; at or below 2/3 of C,
 * level 2; 1/3 of C, level 3; 1/15 of C, level 4 (15, 10, 5 and 1 GB with
 * the default C of 15 GB); above C, level 0. Bytes are decimal: 15 GB is
 * 15,000,000,000 bytes. The hysteresis margin M = max(2 GB, C / 10) is
 * for whoever remembers levels (macalert): a level is left downwards only
 * once the disk is clear of its bound by M.
 *
 * Ownership: nothing here allocates but rules_forecast's caller's JSON,
 * which it only reads.
 */
#ifndef MACSCAN_RULES_H
#define MACSCAN_RULES_H

#include <jansson.h>
#include <time.h>

#include "config.h"

#define RULES_GB 1000000000LL
#define RULES_LEVELS 4
#define RULES_FORECAST_MIN 3		/* points for a forecast */
#define RULES_FORECAST_SPAN 3600	/* seconds they must span */
#define RULES_FORECAST_WINDOW (30LL * 86400)	/* history used */
#define RULES_FORECAST_MAX_DAYS 365	/* further is no forecast */

enum rule {
	RULE_DISK_CRITICAL,
	RULE_DISK_WARNING,
	RULE_BATTERY_LOW,
	RULE_BATTERY_FULL_PLUGGED,
	RULE_BATTERY_CONDITION,
	RULE_FILEVAULT_OFF,
	RULE_FIREWALL_OFF,
	RULE_BACKUP_OLD,
	RULE_BACKUP_NEVER,
	RULE_SMART_FAILING,
	RULE_UPDATES_RESTART,
	RULE_IDENTITY_CONFLICT,
	RULE_OFFLINE,
	RULE_HOSTKEY_MISMATCH,
	RULE_NEW_HOST,
	RULE_COUNT
};

#define RULE_BIT(r) (1u << (r))
#define RULES_ALL (RULE_BIT(RULE_COUNT) - 1)

enum rule_severity {
	RULE_INFO,		/* shown, never an alarm */
	RULE_WARNING,
	RULE_CRITICAL
};

struct rule_def {
	const char *name;		/* as CONTRACT.md names it */
	enum rule_severity severity;
	const char *setting;		/* what enables or tunes it, or NULL */
	const char *field;		/* the record field whose value fired */
};

/* Indexed by enum rule. */
extern const struct rule_def rule_defs[RULE_COUNT];

/* The rule named name, or -1. */
int rule_find(const char *name);

/* "info", "warning", "critical". */
const char *rule_severity_name(enum rule_severity s);

struct rules_conf {
	long long critical;	/* bytes: at or below, disk_critical */
	long long warn;		/* bytes: at or below, disk_warning */
	long long margin;	/* bytes: the hysteresis M */
	int battery_low;	/* percent: below, battery_low */
	long long repeat;	/* seconds before a firing critical rule is
				 * mentioned again (ALERT_REPEAT_HOURS) */
	long long backup_days;	/* 0: backup rules off */
	long long updates_days;	/* 0: updates_restart off */
	long long offline_days;	/* 0: offline off */
	unsigned enabled;	/* RULE_BIT of every rule that may fire */
};

/*
 * The defaults of the configuration table for everything, but the four
 * given (GB, percent, hours): for tests and tools without a config.
 */
void rules_conf_init(struct rules_conf *c, long long critical_gb,
    long long warn_gb, int battery_low_pct, long long repeat_hours);

/* From the settings (lib/settings.h), which settings_load checked. */
void rules_conf_load(struct rules_conf *c, const struct config *cfg);

/* The level of free bytes (0 to RULES_LEVELS), and the upper bound of a
 * level (1 to RULES_LEVELS) in bytes (-1 for another level). */
int rules_level(const struct rules_conf *c, long long free_bytes);
long long rules_level_bound(const struct rules_conf *c, int level);

struct rules_result {
	unsigned firing;	/* RULE_BIT of each firing rule */
	unsigned known;		/* RULE_BIT of each rule whose fields are
				 * known: a rule known and not firing is
				 * clear; unknown says nothing */
	int level;		/* disk level, 0 when unknown */
};

/*
 * Evaluate one record (an object; anything else fires nothing) at time
 * now. Fills *out and returns out->firing.
 */
unsigned rules_eval(const struct rules_conf *c, const json_t *rec,
    time_t now, struct rules_result *out);

/* The highest severity of the rules in mask, or -1 when it is 0. */
int rules_severity(unsigned mask);

/*
 * Days until a disk is full from its history (an array of objects with
 * "t" (RFC 3339) and "disk_free_bytes", as store_history gives): a least
 * squares line over the points of the last RULES_FORECAST_WINDOW before
 * now, when there are RULES_FORECAST_MIN of them spanning
 * RULES_FORECAST_SPAN seconds and the line falls; the days are free / the
 * fall per day. -1 when there is no forecast (rising, flat, too few
 * points, further than RULES_FORECAST_MAX_DAYS).
 */
double rules_forecast(const json_t *history, long long free_now,
    time_t now);

#endif
