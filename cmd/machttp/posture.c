/*
 * posture.c - the badges of a machine: the probe's status beside its
 * name, and its posture (FileVault, SIP, Gatekeeper, firewall, updates,
 * backup, SMART, memory pressure, MDM), coloured by the verdicts of the
 * rules (render.c). The dashboard's rows and the page of one Mac show
 * the same badges.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "machttp.h"
#include "record.h"

static int
esc(struct ms_buf *b, const char *s)
{
	return esc_html_str(b, s);
}

/*
 * A badge: CLS is ok, info, warn or bad; the text and the title are
 * formatted, then escaped (they may hold what a Mac reported).
 */
int
badge(struct ms_buf *b, const char *cls, const char *title,
    const char *fmt, ...)
{
	struct ms_buf t = { 0 };
	va_list ap;
	int rc = 0;

	va_start(ap, fmt);
	rc |= ms_buf_vprintf(&t, fmt, ap);
	va_end(ap);
	rc |= ms_buf_printf(b, " <span class=\"badge %s\"", cls);
	if (title != NULL) {
		rc |= ms_buf_puts(b, " title=\"");
		rc |= esc(b, title);
		rc |= ms_buf_puts(b, "\"");
	}
	rc |= ms_buf_puts(b, ">");
	rc |= esc(b, t.data != NULL ? t.data : "");
	rc |= ms_buf_puts(b, "</span>");
	ms_buf_free(&t);
	return rc == 0 ? 0 : -1;
}

const char *
sev_class(int sev)
{
	return sev == SEV_CRITICAL ? "bad" : sev == SEV_WARNING ? "warn" :
	    "info";
}

/* "3 d", "5 h", "20 min": how long ago, for a badge. */
static void
fmt_age(char *buf, size_t n, long long s)
{
	if (s >= 86400)
		snprintf(buf, n, "%lld d", s / 86400);
	else if (s >= 3600)
		snprintf(buf, n, "%lld h", s / 3600);
	else
		snprintf(buf, n, "%lld min", s / 60);
}

/*
 * The probe's status beside a machine's name: a failed or refused probe,
 * a new host waiting for enrolment, the sections the probe could not
 * read (so missing fields say why), an identity claimed twice.
 */
int
render_status(struct ms_buf *b, const json_t *m, const struct verdict *v)
{
	const char *probe = record_str(m, "probe");
	const json_t *inc = json_object_get(m, "probe_incomplete"), *x;
	struct ms_buf l = { 0 };
	size_t i;
	int rc = 0;

	if (v->sev[RULE_HOSTKEY_MISMATCH])
		rc |= badge(b, "bad", record_str(m, "probe_error"),
		    "host key changed");
	else if (v->sev[RULE_NEW_HOST])
		rc |= badge(b, "info", "its SSH host key is not pinned and it "
		    "offers only password logins: no password is sent to it "
		    "until it is enrolled (macscan enroll)",
		    "new host: not enrolled");
	else if (probe != NULL && strcmp(probe, "ok") != 0)
		rc |= badge(b, "warn", record_str(m, "probe_error"), "%s",
		    probe);
	if (json_array_size(inc) > 0) {
		json_array_foreach(inc, i, x) {
			const char *s = json_string_value(x);

			rc |= ms_buf_printf(&l, "%s%s", i > 0 ? ", " : "",
			    s != NULL ? s : "?");
		}
		rc |= badge(b, "warn", "these sections of the probe were cut "
		    "by their time or size bound, or missing: their fields "
		    "are unknown", "incomplete: %s", l.data);
		ms_buf_free(&l);
	}
	if (v->sev[RULE_IDENTITY_CONFLICT])
		rc |= badge(b, "bad", "another machine claimed the same serial "
		    "in the same scan", "identity conflict");
	return rc == 0 ? 0 : -1;
}

static int
posture_filevault(struct ms_buf *b, const json_t *m, const struct verdict *v)
{
	const char *s = record_str(m, "filevault");
	long long pct;

	if (s == NULL)
		return 0;
	if (strcmp(s, "on") == 0)
		return badge(b, "ok", "FileVault is on", "FileVault");
	if (v->sev[RULE_FILEVAULT_OFF])
		return badge(b, sev_class(v->sev[RULE_FILEVAULT_OFF]),
		    strcmp(s, "deferred") == 0 ? "FileVault is off; it will "
		    "be turned on at the next login" : "FileVault is off",
		    "FileVault %s", s);
	if (record_int(m, "filevault_percent", &pct) == 0)
		return badge(b, "info", NULL, "FileVault %s %lld%%", s, pct);
	return badge(b, "info", NULL, "FileVault %s", s);
}

static int
posture_onoff(struct ms_buf *b, const json_t *m, const char *key,
    const char *label)
{
	const char *s = record_str(m, key);

	if (s == NULL)
		return 0;
	if (strcmp(s, "enabled") == 0)
		return badge(b, "ok", NULL, "%s", label);
	return badge(b, "info", NULL, "%s %s", label,
	    strcmp(s, "disabled") == 0 ? "off" : s);
}

static int
posture_firewall(struct ms_buf *b, const json_t *m, const struct verdict *v)
{
	const char *s = record_str(m, "firewall");

	if (s == NULL)
		return 0;
	if (strcmp(s, "on") == 0)
		return badge(b, "ok", NULL, "Firewall");
	if (strcmp(s, "block_all") == 0)
		return badge(b, "ok", "blocking all incoming connections",
		    "Firewall: block all");
	return badge(b, v->sev[RULE_FIREWALL_OFF] ?
	    sev_class(v->sev[RULE_FIREWALL_OFF]) : "info", NULL, "Firewall %s",
	    s);
}

static int
posture_updates(struct ms_buf *b, const json_t *m, const struct verdict *v)
{
	long long pend, rst;
	const char *chk = record_str(m, "updates_checked_at");
	char title[128];

	if (record_int(m, "updates_pending", &pend) == -1)
		return 0;
	snprintf(title, sizeof(title), "macOS last checked %s",
	    chk != NULL ? chk : "at an unknown time");
	if (pend == 0)
		return badge(b, "ok", title, "up to date");
	if (record_int(m, "updates_restart", &rst) == 0 && rst > 0)
		return badge(b, v->sev[RULE_UPDATES_RESTART] ?
		    sev_class(v->sev[RULE_UPDATES_RESTART]) : "info", title,
		    "%lld update%s, %lld need%s a restart", pend,
		    pend > 1 ? "s" : "", rst, rst > 1 ? "" : "s");
	return badge(b, "info", title, "%lld update%s", pend,
	    pend > 1 ? "s" : "");
}

static int
posture_backup(struct ms_buf *b, const json_t *m, const struct verdict *v,
    time_t now)
{
	const char *s = record_str(m, "backup");
	long long age;
	char a[32];

	if (s == NULL)
		return 0;
	if (strcmp(s, "ok") == 0) {
		age = age_of(m, "backup_last_at", now);
		if (age < 0)
			return badge(b, "ok", NULL, "backup");
		fmt_age(a, sizeof(a), age);
		return badge(b, v->sev[RULE_BACKUP_OLD] ?
		    sev_class(v->sev[RULE_BACKUP_OLD]) : "ok",
		    record_str(m, "backup_last_at"), "backup %s ago", a);
	}
	if (strcmp(s, "no_access") == 0)
		return badge(b, "info", "the SSH session lacks Full Disk "
		    "Access: Time Machine cannot be read", "backup: no access");
	if (v->sev[RULE_BACKUP_NEVER])
		return badge(b, sev_class(v->sev[RULE_BACKUP_NEVER]), NULL, "%s",
		    strcmp(s, "never") == 0 ? "never backed up" :
		    "backup not set up");
	return badge(b, "info", NULL, "backup %s", s);
}

static int
posture_smart(struct ms_buf *b, const json_t *m, const struct verdict *v)
{
	const char *s = record_str(m, "disk_smart");

	if (s == NULL || strcmp(s, "not_supported") == 0)
		return 0;
	if (strcmp(s, "verified") == 0)
		return badge(b, "ok", "the internal disk's SMART status is "
		    "verified", "SMART");
	return badge(b, v->sev[RULE_SMART_FAILING] ?
	    sev_class(v->sev[RULE_SMART_FAILING]) : "info", NULL, "SMART %s", s);
}

/* The posture badges of one machine, without the cell around them. */
int
render_posture(struct ms_buf *b, const json_t *m, const struct verdict *v,
    time_t now)
{
	const char *s;
	int rc = 0, mdm, dep;

	rc |= posture_filevault(b, m, v);
	rc |= posture_onoff(b, m, "sip", "SIP");
	if ((s = record_str(m, "ssv")) != NULL && strcmp(s, "disabled") == 0)
		rc |= badge(b, "info", "Signed System Volume", "SSV off");
	rc |= posture_onoff(b, m, "gatekeeper", "Gatekeeper");
	rc |= posture_firewall(b, m, v);
	rc |= posture_updates(b, m, v);
	rc |= posture_backup(b, m, v, now);
	rc |= posture_smart(b, m, v);
	if ((s = record_str(m, "memory_pressure")) != NULL &&
	    strcmp(s, "normal") != 0)
		rc |= badge(b, "info", NULL, "memory pressure: %s", s);
	if (record_bool(m, "mdm_enrolled", &mdm) == 0)
		rc |= badge(b, mdm ? "ok" : "info", NULL, "%s%s",
		    mdm ? "MDM" : "no MDM", record_bool(m, "dep_enrolled",
		    &dep) == 0 && dep ? " (DEP)" : "");
	if ((s = record_str(m, "xprotect_version")) != NULL) {
		rc |= ms_buf_puts(b, "<span class=\"sub\">XProtect ");
		rc |= esc(b, s);
		rc |= ms_buf_puts(b, "</span>");
	}
	return rc == 0 ? 0 : -1;
}

