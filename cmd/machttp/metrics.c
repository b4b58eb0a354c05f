/*
 * metrics.c - the merged store in the Prometheus text exposition format
 * 0.0.4: the fleet's counts, then one gauge family per field, each
 * sample labelled with the machine's id, name and ip.
 *
 * A value the scan did not read is left out, never given as 0: a gauge
 * is written for a machine only when its field is known (and, for the
 * fields that are words, holds a word the gauge maps).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "machttp.h"
#include "record.h"
#include "rfc3339.h"

enum kind {
	K_INT,		/* an integer field as it is */
	K_RATIO,	/* a percent field, as 0 to 1 */
	K_ONLINE,	/* online: absent is offline */
	K_TIME,		/* an RFC 3339 field, as seconds since the epoch */
	K_BOOL,		/* a boolean field, 1 or 0 */
	K_WORD,		/* a string field, through the map */
	K_COUNT		/* an array field, its number of entries */
};

struct word {
	const char *s;
	int v;
};

/* The per-machine gauges, in the base units Prometheus uses. */
static const struct gauge {
	const char *name;
	const char *field;
	enum kind kind;
	const char *help;
	struct word map[4];	/* K_WORD: the words and their values */
	int other;		/* K_WORD: another word's value, -1: none */
} gauges[] = {
	{ "macscan_disk_free_bytes", "disk_free_bytes", K_INT,
	    "Space the user can still write on the data volume, in bytes.",
	    { { NULL, 0 } }, -1 },
	{ "macscan_disk_total_bytes", "disk_total_bytes", K_INT,
	    "Size of the data volume, in bytes.", { { NULL, 0 } }, -1 },
	{ "macscan_disk_available_bytes", "disk_available_bytes", K_INT,
	    "Space Finder shows as available (purgeable included), in "
	    "bytes.", { { NULL, 0 } }, -1 },
	{ "macscan_battery_charge_ratio", "battery_percent", K_RATIO,
	    "Battery charge, from 0 to 1.", { { NULL, 0 } }, -1 },
	{ "macscan_battery_cycles", "battery_cycles", K_INT,
	    "Battery charge cycle count.", { { NULL, 0 } }, -1 },
	{ "macscan_battery_health_ratio", "battery_health_percent", K_RATIO,
	    "Battery maximum capacity against its design, from 0 to 1.",
	    { { NULL, 0 } }, -1 },
	{ "macscan_uptime_seconds", "uptime_s", K_INT,
	    "Time since the Mac booted, in seconds.", { { NULL, 0 } }, -1 },
	{ "macscan_online", "online", K_ONLINE,
	    "1 if the Mac answered the latest scan, else 0.",
	    { { NULL, 0 } }, -1 },
	{ "macscan_last_seen_timestamp_seconds", "last_seen", K_TIME,
	    "When the Mac last answered a scan, in seconds since the epoch.",
	    { { NULL, 0 } }, -1 },
	{ "macscan_filevault_enabled", "filevault", K_WORD,
	    "1 if FileVault is on, else 0.", { { "on", 1 } }, 0 },
	{ "macscan_filevault_encrypting", "filevault", K_WORD,
	    "1 while FileVault is encrypting the disk, else 0.",
	    { { "encrypting", 1 } }, 0 },
	{ "macscan_sip_enabled", "sip", K_WORD,
	    "1 if System Integrity Protection is enabled, 0 if disabled or "
	    "custom.", { { "enabled", 1 } }, 0 },
	{ "macscan_ssv_enabled", "ssv", K_WORD,
	    "1 if the Signed System Volume is enabled, else 0.",
	    { { "enabled", 1 } }, 0 },
	{ "macscan_gatekeeper_enabled", "gatekeeper", K_WORD,
	    "1 if Gatekeeper is enabled, else 0.", { { "enabled", 1 } }, 0 },
	{ "macscan_firewall_enabled", "firewall", K_WORD,
	    "1 if the application firewall is on (or blocks all incoming "
	    "connections), 0 if off.", { { "on", 1 }, { "block_all", 1 },
	    { "off", 0 } }, -1 },
	{ "macscan_updates_pending", "updates_pending", K_INT,
	    "Software updates macOS knows are available.", { { NULL, 0 } },
	    -1 },
	{ "macscan_updates_restart", "updates_restart", K_INT,
	    "Available software updates that need a restart.",
	    { { NULL, 0 } }, -1 },
	{ "macscan_updates_checked_timestamp_seconds", "updates_checked_at",
	    K_TIME, "When macOS last checked for updates, in seconds since "
	    "the epoch.", { { NULL, 0 } }, -1 },
	{ "macscan_backup_last_timestamp_seconds", "backup_last_at", K_TIME,
	    "When the latest Time Machine backup was made, in seconds since "
	    "the epoch.", { { NULL, 0 } }, -1 },
	{ "macscan_backup_configured", "backup", K_WORD,
	    "1 if Time Machine has a backup, 0 if it never made one or is not "
	    "set up; absent when it cannot be read.", { { "ok", 1 },
	    { "never", 0 }, { "not_configured", 0 } }, -1 },
	{ "macscan_disk_smart_failing", "disk_smart", K_WORD,
	    "1 if the internal disk's SMART status is failing, 0 if "
	    "verified.", { { "failing", 1 }, { "verified", 0 } }, -1 },
	{ "macscan_memory_pressure_level", "memory_pressure", K_WORD,
	    "Memory pressure: 1 normal, 2 warn, 4 critical.",
	    { { "normal", 1 }, { "warn", 2 }, { "critical", 4 } }, -1 },
	{ "macscan_mdm_enrolled", "mdm_enrolled", K_BOOL,
	    "1 if the Mac is enrolled in an MDM, else 0.", { { NULL, 0 } },
	    -1 },
	{ "macscan_identity_conflict", "identity_conflict", K_BOOL,
	    "1 when two machines claimed this identity in one scan.",
	    { { NULL, 0 } }, -1 },
	{ "macscan_probe_incomplete_sections", "probe_incomplete", K_COUNT,
	    "Sections of the probe that were cut by their bound or missing.",
	    { { NULL, 0 } }, -1 },
};

/* The value of g for m into val; 0, or -1 when it is unknown. */
static int
gauge_value(const struct gauge *g, const json_t *m, char *val, size_t n)
{
	const json_t *j;
	const char *s;
	long long v;
	double d;
	time_t t;
	size_t i;
	int b;

	switch (g->kind) {
	case K_INT:
		if (record_int(m, g->field, &v) == -1)
			return -1;
		snprintf(val, n, "%lld", v);
		return 0;
	case K_RATIO:
		if (record_real(m, g->field, &d) == -1)
			return -1;
		snprintf(val, n, "%.6g", d * 0.01);
		return 0;
	case K_ONLINE:
		if (record_bool(m, g->field, &b) == -1)
			b = 0;
		snprintf(val, n, "%d", b);
		return 0;
	case K_TIME:
		if ((s = record_str(m, g->field)) == NULL ||
		    rfc3339_parse(s, &t, NULL) == -1)
			return -1;
		snprintf(val, n, "%lld", (long long)t);
		return 0;
	case K_BOOL:
		if (record_bool(m, g->field, &b) == -1)
			return -1;
		snprintf(val, n, "%d", b);
		return 0;
	case K_WORD:
		if ((s = record_str(m, g->field)) == NULL)
			return -1;
		for (i = 0; i < 4 && g->map[i].s != NULL; i++)
			if (strcmp(s, g->map[i].s) == 0)
				break;
		if (i < 4 && g->map[i].s != NULL)
			b = g->map[i].v;
		else if ((b = g->other) < 0)
			return -1;
		snprintf(val, n, "%d", b);
		return 0;
	case K_COUNT:
		if (!json_is_array(j = json_object_get(m, g->field)))
			return -1;
		snprintf(val, n, "%zu", json_array_size(j));
		return 0;
	}
	return -1;
}

/* {id=...,name=...,ip=...}, with rule and severity when rule >= 0. */
static int
labels_rule(struct ms_buf *b, const json_t *m, int rule)
{
	const char *id = record_str(m, "id"), *name, *ip;
	int rc = 0;

	name = record_str(m, "computer_name");
	ip = record_str(m, "ip");
	rc |= ms_buf_puts(b, "{id=\"");
	rc |= esc_prom_label(b, id, id != NULL ? strlen(id) : 0);
	rc |= ms_buf_puts(b, "\",name=\"");
	rc |= esc_prom_label(b, name, name != NULL ? strlen(name) : 0);
	rc |= ms_buf_puts(b, "\",ip=\"");
	rc |= esc_prom_label(b, ip, ip != NULL ? strlen(ip) : 0);
	if (rule >= 0)
		rc |= ms_buf_printf(b, "\",rule=\"%s\",severity=\"%s",
		    rule_defs[rule].name,
		    rule_severity_name(rule_defs[rule].severity));
	rc |= ms_buf_puts(b, "\"}");
	return rc == 0 ? 0 : -1;
}

static int
labels(struct ms_buf *b, const json_t *m)
{
	return labels_rule(b, m, -1);
}

static int
family(struct ms_buf *b, const char *name, const char *help)
{
	int rc = 0;

	rc |= ms_buf_printf(b, "# HELP %s ", name);
	rc |= esc_prom_help(b, help, strlen(help));
	rc |= ms_buf_printf(b, "\n# TYPE %s gauge\n", name);
	return rc == 0 ? 0 : -1;
}

int
render_metrics(struct ms_buf *b, json_t *latest, const struct thresholds *th,
    struct ms_err *e)
{
	struct fleet fl;
	const struct {
		const char *name, *help;
	} fleet[] = {
		{ "macscan_machines", "Machines in the store." },
		{ "macscan_machines_online",
		    "Machines that answered the latest scan." },
		{ "macscan_disk_critical_machines",
		    "Machines with free disk space at or under "
		    "ALERT_DISK_CRITICAL_GB." },
		{ "macscan_disk_warning_machines",
		    "Machines with free disk space at or under "
		    "ALERT_DISK_WARN_GB but not critical." },
		{ "macscan_battery_low_machines",
		    "Machines whose battery is below "
		    "ALERT_BATTERY_LOW_PERCENT." },
		{ "macscan_battery_full_plugged_machines",
		    "Machines at 100% battery charge and on AC power." },
		{ "macscan_hostkey_mismatch_machines",
		    "Machines whose SSH host key changed." },
		{ "macscan_filevault_off_machines",
		    "Machines with FileVault off or deferred." },
		{ "macscan_firewall_off_machines",
		    "Machines with the application firewall off." },
		{ "macscan_backup_stale_machines",
		    "Machines whose latest backup is older than "
		    "ALERT_BACKUP_DAYS, or that never made one." },
		{ "macscan_smart_failing_machines",
		    "Machines whose internal disk's SMART status is failing." },
		{ "macscan_updates_restart_machines",
		    "Machines with updates waiting for a restart." },
		{ "macscan_identity_conflict_machines",
		    "Machines whose identity another machine claimed in the "
		    "same scan." },
		{ "macscan_probe_incomplete_machines",
		    "Machines whose latest probe could not read every "
		    "section." },
		{ "macscan_new_host_machines",
		    "New hosts waiting for enrolment before a password is "
		    "sent to them." },
	};
	long long counts[sizeof(fleet) / sizeof(fleet[0])];
	size_t i, k;
	json_t *m;
	time_t now;
	int rc = 0, r, head;

	now = time(NULL);
	fleet_count(latest, th, now, &fl);
	counts[0] = fl.machines;
	counts[1] = fl.online;
	counts[2] = fl.n[RULE_DISK_CRITICAL];
	counts[3] = fl.n[RULE_DISK_WARNING];
	counts[4] = fl.n[RULE_BATTERY_LOW];
	counts[5] = fl.n[RULE_BATTERY_FULL_PLUGGED];
	counts[6] = fl.n[RULE_HOSTKEY_MISMATCH];
	counts[7] = fl.n[RULE_FILEVAULT_OFF];
	counts[8] = fl.n[RULE_FIREWALL_OFF];
	counts[9] = fl.n[RULE_BACKUP_OLD] + fl.n[RULE_BACKUP_NEVER];
	counts[10] = fl.n[RULE_SMART_FAILING];
	counts[11] = fl.n[RULE_UPDATES_RESTART];
	counts[12] = fl.n[RULE_IDENTITY_CONFLICT];
	counts[13] = fl.incomplete;
	counts[14] = fl.n[RULE_NEW_HOST];
	for (k = 0; k < sizeof(fleet) / sizeof(fleet[0]); k++) {
		rc |= family(b, fleet[k].name, fleet[k].help);
		rc |= ms_buf_printf(b, "%s %lld\n", fleet[k].name, counts[k]);
	}
	for (k = 0; k < sizeof(gauges) / sizeof(gauges[0]); k++) {
		const struct gauge *g = &gauges[k];
		int head = 0;

		json_array_foreach(latest, i, m) {
			char val[64];

			if (gauge_value(g, m, val, sizeof(val)) == -1)
				continue;
			if (!head) {
				rc |= family(b, g->name, g->help);
				head = 1;
			}
			rc |= ms_buf_puts(b, g->name);
			rc |= labels(b, m);
			rc |= ms_buf_printf(b, " %s\n", val);
		}
	}
	/* One series per machine and firing rule, the rules of lib/rules.h
	 * with the settings macalert reads: Prometheus alerts on these. */
	head = 0;
	json_array_foreach(latest, i, m) {
		struct verdict vd;

		verdict_eval(m, th, now, &vd);
		for (r = 0; r < RULE_COUNT; r++) {
			if (vd.sev[r] == SEV_NONE)
				continue;
			if (!head) {
				rc |= family(b, "macscan_risk", "1 for each "
				    "rule of macscan's rules module that "
				    "fires on the machine (macalert(1) and "
				    "the dashboard show the same).");
				head = 1;
			}
			rc |= ms_buf_puts(b, "macscan_risk");
			rc |= labels_rule(b, m, r);
			rc |= ms_buf_puts(b, " 1\n");
		}
	}
	if (rc != 0)
		return ms_err_set(e, "out of memory");
	return 0;
}
