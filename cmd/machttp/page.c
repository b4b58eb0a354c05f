/*
 * page.c - the page of one Mac (/mac/ID): what it is, the verdicts of
 * the rules, its posture, the alerts sent about it (the store's "alerts"
 * state, whose format is in alertrules.h), its history as inline SVG
 * charts, and every field of its record.
 *
 * No script: the charts are SVG drawn here, styled by the dashboard's
 * stylesheet, so the page fits the same Content-Security-Policy. Every
 * string from the record or the state goes through esc_html.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "http.h"
#include "machttp.h"
#include "record.h"
#include "rfc3339.h"

#define NA "<span class=\"na\">\xe2\x80\x94</span>"	/* an em dash */
#define DOT " \xc2\xb7 "

/* What each rule means, as the page says it. */
static const char *const rule_text[RULE_COUNT] = {
	"free disk space at or under the critical threshold",
	"free disk space at or under the warning threshold",
	"battery charge under the low threshold",
	"battery full and on AC power",
	"the battery's condition is not Normal",
	"FileVault is off or deferred",
	"the firewall is off",
	"the latest backup is older than ALERT_BACKUP_DAYS",
	"never backed up, or Time Machine is not set up",
	"the internal disk's SMART status is failing",
	"updates are waiting for a restart",
	"another machine claimed the same identity in one scan",
	"offline for longer than ALERT_OFFLINE_DAYS",
	"the SSH host key changed",
	"a new host, waiting for enrolment",
};

static const char *const sev_word[] = { "", "info", "warning", "critical" };

static int
esc(struct ms_buf *b, const char *s)
{
	return esc_html_str(b, s);
}

/* "2026-11-24 16:10 UTC" for an RFC 3339 string; the string itself
 * (escaped) when it is not one. */
static int
put_time(struct ms_buf *b, const char *s)
{
	char buf[64], iso[RFC3339_LEN];
	struct tm tm;
	time_t t;

	if (s == NULL)
		return ms_buf_puts(b, NA);
	if (rfc3339_parse(s, &t, NULL) == 0 && gmtime_r(&t, &tm) != NULL &&
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm) > 0 &&
	    rfc3339_format(t, iso) != NULL)
		return ms_buf_printf(b, "<time datetime=\"%s\">%s</time>", iso,
		    buf);
	return esc(b, s);
}

static int
summary(struct ms_buf *b, const json_t *m, const struct verdict *v)
{
	const char *s;
	long long fr, tot, pct, up;
	char f[FMT_LEN], t[FMT_LEN];
	int rc = 0;

	rc |= ms_buf_printf(b, "<p class=\"lead\"><span class=\"dot %s\">"
	    "</span> %s" DOT "id <code>", v->online ? "on" : "off",
	    v->online ? "online" : "offline");
	rc |= esc(b, record_str(m, "id"));
	rc |= ms_buf_puts(b, "</code>");
	if ((s = record_str(m, "ip")) != NULL) {
		rc |= ms_buf_puts(b, DOT);
		rc |= esc(b, s);
	}
	if ((s = record_str(m, "model_name")) != NULL ||
	    (s = record_str(m, "model")) != NULL) {
		rc |= ms_buf_puts(b, DOT);
		rc |= esc(b, s);
	}
	if ((s = record_str(m, "chip")) != NULL) {
		rc |= ms_buf_puts(b, ", ");
		rc |= esc(b, s);
	}
	if ((s = record_str(m, "os_version")) != NULL) {
		rc |= ms_buf_puts(b, DOT "macOS ");
		rc |= esc(b, s);
	}
	rc |= ms_buf_puts(b, DOT "last seen ");
	rc |= put_time(b, record_str(m, "last_seen"));
	rc |= render_status(b, m, v);
	rc |= ms_buf_puts(b, "</p><ul class=\"facts\">");
	if (record_int(m, "disk_free_bytes", &fr) == 0) {
		bytes_en(fr, f, sizeof(f));
		rc |= ms_buf_printf(b, "<li class=\"disk %s\">Disk free "
		    "<b class=\"v\">%s</b>", v->sev[RULE_DISK_CRITICAL] ? "crit" :
		    v->sev[RULE_DISK_WARNING] ? "warn" : "ok", f);
		if (record_int(m, "disk_total_bytes", &tot) == 0) {
			bytes_en(tot, t, sizeof(t));
			rc |= ms_buf_printf(b, " of %s", t);
		}
		rc |= ms_buf_puts(b, "</li>");
	}
	if (record_int(m, "battery_percent", &pct) == 0)
		rc |= ms_buf_printf(b, "<li class=\"batt%s\">Battery <b>%lld%%"
		    "</b></li>", v->sev[RULE_BATTERY_LOW] ? " low" : "", pct);
	if (record_int(m, "battery_health_percent", &pct) == 0)
		rc |= ms_buf_printf(b, "<li>Battery health <b>%lld%%</b></li>",
		    pct);
	if (record_int(m, "uptime_s", &up) == 0)
		rc |= ms_buf_printf(b, "<li>Up <b>%lld d %lld h</b></li>",
		    up / 86400, up % 86400 / 3600);
	if ((s = record_str(m, "console_user")) != NULL) {
		rc |= ms_buf_puts(b, "<li>User <b>");
		rc |= esc(b, s);
		rc |= ms_buf_puts(b, "</b></li>");
	}
	rc |= ms_buf_puts(b, "</ul>");
	return rc == 0 ? 0 : -1;
}

static int
verdicts(struct ms_buf *b, const struct verdict *v)
{
	int r, n = 0, rc = 0;

	rc |= ms_buf_puts(b, "<ul class=\"verdicts\">");
	for (r = 0; r < RULE_COUNT; r++) {
		if (v->sev[r] == SEV_NONE)
			continue;
		rc |= ms_buf_printf(b, "<li class=\"sev-%s\" data-rule=\"%s\">"
		    "<span class=\"badge %s\">%s</span> <code>%s</code>: %s"
		    "</li>", sev_word[v->sev[r]], rule_defs[r].name,
		    v->sev[r] == SEV_CRITICAL ? "bad" :
		    v->sev[r] == SEV_WARNING ? "warn" : "info",
		    sev_word[v->sev[r]], rule_defs[r].name, rule_text[r]);
		n++;
	}
	if (n == 0)
		rc |= ms_buf_puts(b, "<li class=\"none\">No rule fires on "
		    "this Mac.</li>");
	rc |= ms_buf_puts(b, "</ul>");
	return rc == 0 ? 0 : -1;
}

/* One row of the posture table: a label, the field's value (or "not
 * known"), and a note. */
static int
kv_row(struct ms_buf *b, const char *label, const json_t *m,
    const char *key, const char *note)
{
	const json_t *j = json_object_get(m, key);
	int rc = 0;

	rc |= ms_buf_printf(b, "<tr data-field=\"%s\"><th>%s</th><td>", key,
	    label);
	if (json_is_string(j))
		rc |= esc(b, json_string_value(j));
	else if (json_is_integer(j))
		rc |= ms_buf_printf(b, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(j));
	else if (json_is_boolean(j))
		rc |= ms_buf_puts(b, json_is_true(j) ? "yes" : "no");
	else
		rc |= ms_buf_puts(b, "<span class=\"na\">not known</span>");
	rc |= ms_buf_puts(b, "</td><td class=\"note\">");
	if (note != NULL)
		rc |= esc(b, note);
	rc |= ms_buf_puts(b, "</td></tr>");
	return rc == 0 ? 0 : -1;
}

static int
posture(struct ms_buf *b, const json_t *m, const struct verdict *v,
    time_t now)
{
	int rc = 0;

	rc |= ms_buf_puts(b, "<tr><th>Summary</th><td colspan=\"2\">");
	rc |= render_posture(b, m, v, now);
	rc |= ms_buf_puts(b, "</td></tr>");
	rc |= kv_row(b, "FileVault", m, "filevault", NULL);
	rc |= kv_row(b, "FileVault progress", m, "filevault_percent",
	    "percent, while encrypting or decrypting");
	rc |= kv_row(b, "System Integrity Protection", m, "sip", NULL);
	rc |= kv_row(b, "Signed System Volume", m, "ssv", NULL);
	rc |= kv_row(b, "Gatekeeper", m, "gatekeeper", NULL);
	rc |= kv_row(b, "Firewall", m, "firewall", NULL);
	rc |= kv_row(b, "Updates available", m, "updates_pending", NULL);
	rc |= kv_row(b, "Updates needing a restart", m, "updates_restart",
	    NULL);
	rc |= kv_row(b, "Updates last checked", m, "updates_checked_at",
	    NULL);
	rc |= kv_row(b, "XProtect", m, "xprotect_version", NULL);
	rc |= kv_row(b, "Time Machine", m, "backup",
	    "no_access: the SSH session lacks Full Disk Access");
	rc |= kv_row(b, "Latest backup", m, "backup_last_at", NULL);
	rc |= kv_row(b, "SMART (internal disk)", m, "disk_smart", NULL);
	rc |= kv_row(b, "Memory pressure", m, "memory_pressure", NULL);
	rc |= kv_row(b, "MDM enrolled", m, "mdm_enrolled", NULL);
	rc |= kv_row(b, "DEP enrolled", m, "dep_enrolled", NULL);
	rc |= kv_row(b, "Identity conflict", m, "identity_conflict", NULL);
	return rc == 0 ? 0 : -1;
}

/* The alert state of this Mac (alertrules.h): what was sent and is
 * still outstanding. */
static int
alerts_sent(struct ms_buf *b, const json_t *state, const char *id)
{
	const json_t *e;
	json_int_t level = 0, fr;
	const char *last;
	char f[FMT_LEN];
	int rc = 0, any = 0;

	if (state == NULL)
		return ms_buf_puts(b, "<p class=\"na\">The alert state cannot "
		    "be read.</p>");
	e = json_object_get(json_object_get(state, "machines"), id);
	rc |= ms_buf_puts(b, "<ul class=\"alerts\">");
	if (json_is_object(e)) {
		if (json_is_integer(json_object_get(e, "level")))
			level = json_integer_value(json_object_get(e, "level"));
		if (level > 0) {
			rc |= ms_buf_printf(b, "<li data-alert=\"disk\">Disk "
			    "critical, level %" JSON_INTEGER_FORMAT, level);
			if (json_is_integer(json_object_get(e, "free"))) {
				fr = json_integer_value(json_object_get(e,
				    "free"));
				bytes_en((long long)fr, f, sizeof(f));
				rc |= ms_buf_printf(b, ", %s free", f);
			}
			rc |= ms_buf_puts(b, ", sent ");
			rc |= put_time(b, json_string_value(json_object_get(e,
			    "sent_at")));
			rc |= ms_buf_puts(b, "</li>");
			any = 1;
		}
		if (json_is_true(json_object_get(e, "offline"))) {
			rc |= ms_buf_puts(b, "<li data-alert=\"offline\">"
			    "Reported offline while critical</li>");
			any = 1;
		}
		if (json_is_true(json_object_get(e, "hostkey"))) {
			rc |= ms_buf_puts(b, "<li data-alert=\"hostkey\">"
			    "Host key change reported</li>");
			any = 1;
		}
	}
	if (!any)
		rc |= ms_buf_puts(b, "<li class=\"none\">No alert is "
		    "outstanding for this Mac.</li>");
	rc |= ms_buf_puts(b, "</ul>");
	if ((last = json_string_value(json_object_get(state, "last_sent"))) !=
	    NULL) {
		rc |= ms_buf_puts(b, "<p class=\"meta\">The latest alert email "
		    "was sent ");
		rc |= put_time(b, last);
		rc |= ms_buf_puts(b, ".</p>");
	}
	return rc == 0 ? 0 : -1;
}

/* The smallest of 1, 2, 2.5, 5 times a power of ten at or above v. */
static double
nice_max(double v)
{
	static const double steps[] = { 1, 2, 2.5, 5, 10 };
	double p = 1;
	size_t i;

	if (!(v > 0) || v > 1e300)
		return 1;
	while (p * 10 <= v)
		p *= 10;
	while (p > v)
		p /= 10;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i] * p >= v)
			return steps[i] * p;
	return 10 * p;
}

struct chart {
	const char *id;		/* the element's id */
	const char *field;	/* of the history entries */
	const char *title;
	const char *unit;	/* of the axis, e.g. "GB" */
	double scale;		/* field to unit */
	double ymax;		/* 0: from the data */
	double lines[2];	/* thresholds drawn, in the unit (0: none) */
	const char *line_cls[2];
};

#define CW 640
#define CH 180
#define ML 56		/* margins: left, right, top, bottom */
#define MR 16
#define MT 10
#define MB 26

/*
 * A line chart of one field of the history over time: an inline SVG,
 * the x axis proportional to time from the first entry to the last,
 * the y axis from 0.
 */
static int
chart(struct ms_buf *b, const json_t *hist, const struct chart *c)
{
	const double pw = CW - ML - MR, ph = CH - MT - MB;
	double *x, *y, ymax = c->ymax, px = 0, py = 0;
	time_t t0 = 0, t1 = 0, t;
	size_t i, n = 0, cap = json_array_size(hist);
	const json_t *e;
	long long v;
	char d0[16], d1[16];
	struct tm tm;
	int rc = 0, k;

	if ((x = calloc(cap + 1, sizeof(*x))) == NULL ||
	    (y = calloc(cap + 1, sizeof(*y))) == NULL) {
		free(x);
		return -1;
	}
	json_array_foreach(hist, i, e) {
		const char *ts = json_string_value(json_object_get(e, "t"));

		if (ts == NULL || rfc3339_parse(ts, &t, NULL) == -1 ||
		    record_int(e, c->field, &v) == -1)
			continue;
		if (n == 0)
			t0 = t;
		t1 = t;
		x[n] = (double)t;
		y[n] = (double)v * c->scale;
		if (c->ymax == 0 && y[n] > ymax)
			ymax = y[n];
		n++;
	}
	rc |= ms_buf_printf(b, "<figure id=\"%s\"><figcaption>%s</figcaption>",
	    c->id, c->title);
	if (n == 0) {
		rc |= ms_buf_puts(b, "<p class=\"na\">No history of this "
		    "yet.</p></figure>");
		goto out;
	}
	if (c->ymax == 0)
		ymax = nice_max(ymax);
	if (gmtime_r(&t0, &tm) == NULL ||
	    strftime(d0, sizeof(d0), "%Y-%m-%d", &tm) == 0)
		d0[0] = '\0';
	if (gmtime_r(&t1, &tm) == NULL ||
	    strftime(d1, sizeof(d1), "%Y-%m-%d", &tm) == 0)
		d1[0] = '\0';
	rc |= ms_buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" "
	    "width=\"%d\" height=\"%d\" role=\"img\"><title>%s, %zu "
	    "point%s from %s to %s: %.4g %s, then %.4g %s</title>", CW, CH,
	    CW, CH, c->title, n, n > 1 ? "s" : "", d0, d1, y[0], c->unit,
	    y[n - 1], c->unit);
	/* The frame, the grid at 0, half and the top, and their labels. */
	for (k = 0; k <= 2; k++) {
		py = MT + ph - ph * k / 2.0;
		rc |= ms_buf_printf(b, "<line class=\"grid\" x1=\"%d\" "
		    "y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/><text class=\"lbl\" "
		    "x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.4g %s</text>",
		    ML, py, CW - MR, py, ML - 6, py + 4, ymax * k / 2.0,
		    c->unit);
	}
	for (k = 0; k < 2; k++) {
		if (c->lines[k] <= 0 || c->lines[k] > ymax)
			continue;
		py = MT + ph - ph * c->lines[k] / ymax;
		rc |= ms_buf_printf(b, "<line class=\"limit %s\" x1=\"%d\" "
		    "y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>", c->line_cls[k], ML,
		    py, CW - MR, py);
	}
	rc |= ms_buf_printf(b, "<text class=\"lbl\" x=\"%d\" y=\"%d\">%s"
	    "</text><text class=\"lbl\" x=\"%d\" y=\"%d\" text-anchor=\"end\">"
	    "%s</text>", ML, CH - 6, d0, CW - MR, CH - 6, d1);
	rc |= ms_buf_puts(b, "<polyline class=\"line\" points=\"");
	for (i = 0; i < n; i++) {
		px = t1 > t0 ? ML + pw * (x[i] - (double)t0) /
		    (double)(t1 - t0) : ML + pw / 2;
		py = MT + ph - ph * (y[i] > ymax ? ymax : y[i]) / ymax;
		rc |= ms_buf_printf(b, "%s%.1f,%.1f", i > 0 ? " " : "", px,
		    py);
	}
	rc |= ms_buf_printf(b, "\"/><circle class=\"end\" cx=\"%.1f\" "
	    "cy=\"%.1f\" r=\"3\"/></svg></figure>", px, py);
out:
	free(x);
	free(y);
	return rc == 0 ? 0 : -1;
}

static int
charts(struct ms_buf *b, const json_t *hist, const struct thresholds *th)
{
	struct chart disk = { "chart-disk", "disk_free_bytes", "Disk free",
	    "GB", 1e-9, 0, { (double)th->disk_crit_bytes / 1e9,
	    (double)th->disk_warn_bytes / 1e9 }, { "crit", "warn" } };
	struct chart health = { "chart-health", "battery_health_percent",
	    "Battery health", "%", 1, 100, { 0, 0 }, { "", "" } };
	int rc = 0;

	rc |= ms_buf_printf(b, "<p class=\"meta\">%zu entries kept, oldest "
	    "first; older ones are thinned to one an hour, then one a day.</p>",
	    json_array_size(hist));
	rc |= chart(b, hist, &disk);
	rc |= chart(b, hist, &health);
	return rc == 0 ? 0 : -1;
}

/* A value of the record, as text: strings as they are (escaped),
 * numbers as the store has them (reals to 15 significant digits, as
 * record_dump writes them), arrays joined by commas. */
static int
value(struct ms_buf *b, const json_t *j, const char *key)
{
	const json_t *x;
	char f[FMT_LEN], *s;
	size_t i, kl = strlen(key);
	int rc = 0;

	switch (json_typeof(j)) {
	case JSON_STRING:
		return esc(b, json_string_value(j));
	case JSON_INTEGER:
		rc |= ms_buf_printf(b, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(j));
		if (kl > 6 && strcmp(key + kl - 6, "_bytes") == 0) {
			bytes_en((long long)json_integer_value(j), f,
			    sizeof(f));
			rc |= ms_buf_printf(b, " <span class=\"sub\">%s</span>",
			    f);
		}
		return rc == 0 ? 0 : -1;
	case JSON_REAL:
		return ms_buf_printf(b, "%.15g", json_real_value(j));
	case JSON_TRUE:
		return ms_buf_puts(b, "true");
	case JSON_FALSE:
		return ms_buf_puts(b, "false");
	case JSON_NULL:
		return ms_buf_puts(b, "null");
	case JSON_ARRAY:
		json_array_foreach(j, i, x) {
			if (i > 0)
				rc |= ms_buf_puts(b, ", ");
			rc |= value(b, x, "");
		}
		return rc == 0 ? 0 : -1;
	case JSON_OBJECT:
		if ((s = record_dump(j)) == NULL)
			return -1;
		rc = esc(b, s);
		free(s);
		return rc;
	}
	return -1;
}

static int
fields(struct ms_buf *b, const json_t *m)
{
	const char *k;
	json_t *j;
	int rc = 0;

	json_object_foreach((json_t *)m, k, j) {
		rc |= ms_buf_puts(b, "<tr><th>");
		rc |= esc(b, k);
		rc |= ms_buf_puts(b, "</th><td>");
		rc |= value(b, j, k);
		rc |= ms_buf_puts(b, "</td></tr>");
	}
	return rc == 0 ? 0 : -1;
}

int
render_machine(struct ms_buf *b, const json_t *m, const json_t *history,
    const json_t *alerts, const struct thresholds *th, const char *base,
    time_t now, struct ms_err *e)
{
	static const char *const names[] = { "BASE", "NAME", "IDURL",
	    "GENERATED", "GENERATED_TEXT", "SUMMARY", "VERDICTS", "POSTURE",
	    "ALERTS", "CHARTS", "FIELDS" };
	struct ms_buf v[sizeof(names) / sizeof(names[0])];
	const char *id = record_str(m, "id");
	struct verdict vd;
	struct tm tm;
	char ts[RFC3339_LEN], hb[64], *name;
	size_t i;
	int rc = 0;

	memset(v, 0, sizeof(v));
	if ((name = fmt_name(m, 0)) == NULL)
		return ms_err_set(e, "out of memory");
	if (id == NULL)
		id = "";
	verdict_eval(m, th, now, &vd);
	rc |= esc(&v[0], base);
	rc |= esc(&v[1], name);
	free(name);
	rc |= http_pct_encode(&v[2], id, strlen(id));
	rc |= ms_buf_puts(&v[3], rfc3339_format(now, ts) != NULL ? ts : "");
	if (gmtime_r(&now, &tm) == NULL || strftime(hb, sizeof(hb),
	    "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		hb[0] = '\0';
	rc |= ms_buf_puts(&v[4], hb);
	rc |= summary(&v[5], m, &vd);
	rc |= verdicts(&v[6], &vd);
	rc |= posture(&v[7], m, &vd, now);
	rc |= alerts_sent(&v[8], alerts, id);
	rc |= charts(&v[9], history, th);
	rc |= fields(&v[10], m);
	if (rc != 0)
		ms_err_set(e, "out of memory");
	else
		rc = fill_template(b, "web/machine.html", names, v,
		    sizeof(v) / sizeof(v[0]), e);
	if (rc != 0 && e->msg[0] == '\0')
		ms_err_set(e, "out of memory");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ms_buf_free(&v[i]);
	return rc == 0 ? 0 : -1;
}
