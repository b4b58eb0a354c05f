/*
 * render.c - the views of the merged store: the dashboard (HTML rendered
 * here, so it works without JavaScript) and the Prometheus metrics.
 *
 * Every string that came from a Mac goes through esc_html or
 * esc_prom_label; numbers are formatted here. The dashboard's frame is
 * share/web/dashboard.html, whose @@NAME@@ marks are filled in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed.h"
#include "escape.h"
#include "machttp.h"
#include "record.h"
#include "rfc3339.h"

#define NA "<span class=\"na\">\xe2\x80\x94</span>"	/* an em dash */

/* What a machine counts for in the fleet's counters. */
enum {
	F_ONLINE = 1,
	F_DISK_CRIT = 2,
	F_DISK_WARN = 4,
	F_BATT_LOW = 8,
	F_FULL_PLUGGED = 16,
	F_HOSTKEY = 32
};

struct fleet {
	long long machines, online, disk_crit, disk_warn, batt_low,
	    full_plugged, hostkey;
};

static int
classify(const json_t *m, const struct thresholds *th)
{
	long long v;
	int f = 0, b;
	const char *probe;

	if (record_bool(m, "online", &b) == 0 && b)
		f |= F_ONLINE;
	if (record_int(m, "disk_free_bytes", &v) == 0) {
		if (v < th->disk_crit_bytes)
			f |= F_DISK_CRIT;
		else if (v < th->disk_warn_bytes)
			f |= F_DISK_WARN;
	}
	if ((record_bool(m, "battery_present", &b) == -1 || b) &&
	    record_int(m, "battery_percent", &v) == 0) {
		if (v < th->battery_low)
			f |= F_BATT_LOW;
		if (v >= 100 && record_bool(m, "ac_power", &b) == 0 && b)
			f |= F_FULL_PLUGGED;
	}
	probe = record_str(m, "probe");
	if (probe != NULL && strcmp(probe, "hostkey_mismatch") == 0)
		f |= F_HOSTKEY;
	return f;
}

static void
fleet_add(struct fleet *fl, int f)
{
	fl->machines++;
	fl->online += (f & F_ONLINE) != 0;
	fl->disk_crit += (f & F_DISK_CRIT) != 0;
	fl->disk_warn += (f & F_DISK_WARN) != 0;
	fl->batt_low += (f & F_BATT_LOW) != 0;
	fl->full_plugged += (f & F_FULL_PLUGGED) != 0;
	fl->hostkey += (f & F_HOSTKEY) != 0;
}

/* The name people know a Mac by. */
static const char *
display_name(const json_t *m)
{
	static const char *keys[] = { "computer_name", "hostname", "host",
	    "ip", "id" };
	size_t i;
	const char *s;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((s = record_str(m, keys[i])) != NULL && *s != '\0')
			return s;
	return "?";
}

/* Decimal bytes as people read them: "8.5 GB", "245 GB", "1.2 TB". */
static void
fmt_bytes(char *buf, size_t n, long long v)
{
	double gb = (double)v / 1e9;

	if (gb >= 1000)
		snprintf(buf, n, "%.1f TB", gb / 1000);
	else if (gb >= 100)
		snprintf(buf, n, "%.0f GB", gb);
	else if (gb >= 1 || v == 0)
		snprintf(buf, n, "%.1f GB", gb);
	else
		snprintf(buf, n, "%.0f MB", (double)v / 1e6);
}

static void
fmt_uptime(char *buf, size_t n, long long s)
{
	if (s >= 86400)
		snprintf(buf, n, "%lld d %lld h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, n, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, n, "%lld min", s / 60);
}

/* A sort key for "14.4.1": 14004001. */
static long long
version_key(const char *v)
{
	long long k = 0, part;
	int i;
	char *end;

	for (i = 0; i < 3; i++) {
		part = 0;
		if (v != NULL && *v >= '0' && *v <= '9') {
			part = strtoll(v, &end, 10);
			v = *end == '.' ? end + 1 : NULL;
		} else {
			v = NULL;
		}
		k = k * 1000 + (part > 999 ? 999 : part);
	}
	return k;
}

/* A sort key for a dotted IPv4 address, -1 if it is not one. */
static long long
ip_key(const char *ip)
{
	unsigned a, b, c, d;
	char tail;

	if (ip == NULL || sscanf(ip, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d,
	    &tail) != 4 || a > 255 || b > 255 || c > 255 || d > 255)
		return -1;
	return (long long)a << 24 | b << 16 | c << 8 | d;
}

static int
esc(struct ms_buf *b, const char *s)
{
	return esc_html_str(b, s);
}

/* A cell with a string field, or an em dash. */
static int
cell_str(struct ms_buf *b, const json_t *m, const char *key)
{
	const char *s = record_str(m, key);

	if (s == NULL || *s == '\0')
		return ms_buf_puts(b, "<td>" NA "</td>");
	if (ms_buf_puts(b, "<td>") == -1 || esc(b, s) == -1)
		return -1;
	return ms_buf_puts(b, "</td>");
}

/*
 * A sparkline of disk free space over the history: an inline SVG
 * polyline, no script, no external load. Its sort key is the change
 * from the first to the last point.
 */
static int
cell_trend(struct ms_buf *b, const json_t *hist, const struct thresholds *th)
{
	const int w = 80, h = 20;
	long long *v, lo = 0, hi = 0, x;
	size_t i, n = 0, cap;
	json_t *ent;
	char f0[32], f1[32];
	const char *cls;
	int rc = 0;

	cap = json_array_size(hist);
	if (cap < 2)
		return ms_buf_puts(b, "<td data-v=\"0\">" NA "</td>");
	if ((v = calloc(cap, sizeof(*v))) == NULL)
		return -1;
	json_array_foreach(hist, i, ent) {
		if (record_int(ent, "disk_free_bytes", &x) != 0)
			continue;
		v[n++] = x;
		if (n == 1 || x < lo)
			lo = x;
		if (n == 1 || x > hi)
			hi = x;
	}
	if (n < 2) {
		free(v);
		return ms_buf_puts(b, "<td data-v=\"0\">" NA "</td>");
	}
	fmt_bytes(f0, sizeof(f0), v[0]);
	fmt_bytes(f1, sizeof(f1), v[n - 1]);
	cls = v[n - 1] < th->disk_crit_bytes ? "crit" :
	    v[n - 1] < th->disk_warn_bytes ? "warn" : "ok";
	rc |= ms_buf_printf(b, "<td data-v=\"%lld\"><svg class=\"spark %s\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">"
	    "<title>disk free: %s \xe2\x86\x92 %s over %zu scans</title>"
	    "<polyline points=\"", v[n - 1] - v[0], cls, w, h, w, h, f0, f1,
	    n);
	for (i = 0; i < n; i++) {
		double px = (double)i * (w - 2) / (double)(n - 1) + 1;
		double py = hi == lo ? h / 2.0 :
		    h - 2 - (double)(v[i] - lo) * (h - 4) / (double)(hi - lo);

		rc |= ms_buf_printf(b, "%s%.1f,%.1f", i > 0 ? " " : "", px,
		    py);
	}
	rc |= ms_buf_puts(b, "\"/></svg></td>");
	free(v);
	return rc == 0 ? 0 : -1;
}

static int
cell_disk(struct ms_buf *b, const json_t *m, const struct thresholds *th)
{
	long long fr, tot;
	char f[32], t[32];
	const char *cls;
	int rc = 0;
	double used;

	if (record_int(m, "disk_free_bytes", &fr) != 0)
		return ms_buf_puts(b, "<td data-v=\"-1\">" NA "</td>");
	cls = fr < th->disk_crit_bytes ? "crit" :
	    fr < th->disk_warn_bytes ? "warn" : "ok";
	fmt_bytes(f, sizeof(f), fr);
	rc |= ms_buf_printf(b, "<td class=\"disk %s\" data-v=\"%lld\">"
	    "<span class=\"v\">%s</span>", cls, fr, f);
	if (record_int(m, "disk_total_bytes", &tot) == 0 && tot > 0) {
		used = 100.0 * (double)(tot - fr) / (double)tot;
		if (used < 0)
			used = 0;
		if (used > 100)
			used = 100;
		fmt_bytes(t, sizeof(t), tot);
		rc |= ms_buf_printf(b, "<svg class=\"bar\" "
		    "viewBox=\"0 0 100 6\" preserveAspectRatio=\"none\" "
		    "role=\"img\">"
		    "<title>%.0f%% used of %s</title>"
		    "<rect class=\"track\" width=\"100\" height=\"6\"/>"
		    "<rect class=\"fill\" width=\"%.1f\" height=\"6\"/></svg>"
		    "<span class=\"sub\">of %s</span>", used, t, used, t);
	}
	rc |= ms_buf_puts(b, "</td>");
	return rc == 0 ? 0 : -1;
}

static int
cell_battery(struct ms_buf *b, const json_t *m, const struct thresholds *th,
    int flags)
{
	long long pct, health, cycles;
	const char *state, *cond, *sep = "";
	int present, ac, rc = 0;

	if (record_bool(m, "battery_present", &present) == 0 && !present)
		return ms_buf_puts(b, "<td data-v=\"-1\"><span class=\"na\">"
		    "no battery</span></td>");
	if (record_int(m, "battery_percent", &pct) != 0)
		return ms_buf_puts(b, "<td data-v=\"-1\">" NA "</td>");
	rc |= ms_buf_printf(b, "<td class=\"batt%s%s\" data-v=\"%lld\">"
	    "<span class=\"v\">%lld%%</span>",
	    pct < th->battery_low ? " low" : "",
	    (flags & F_FULL_PLUGGED) ? " full" : "", pct, pct);
	if (record_bool(m, "ac_power", &ac) == 0 && ac)
		rc |= ms_buf_puts(b, " <span class=\"plug\" title=\"on AC "
		    "power\">\xe2\x9a\xa1</span>");
	rc |= ms_buf_puts(b, "<span class=\"sub\">");
	if ((state = record_str(m, "battery_state")) != NULL) {
		rc |= esc(b, state);
		sep = " \xc2\xb7 ";
	}
	if (record_int(m, "battery_health_percent", &health) == 0)
		rc |= ms_buf_printf(b, "%shealth %lld%%", sep, health);
	if (record_int(m, "battery_cycles", &cycles) == 0)
		rc |= ms_buf_printf(b, ", %lld cycles", cycles);
	if ((cond = record_str(m, "battery_condition")) != NULL &&
	    strcmp(cond, "Normal") != 0) {
		rc |= ms_buf_puts(b, " <span class=\"badge warn\">");
		rc |= esc(b, cond);
		rc |= ms_buf_puts(b, "</span>");
	}
	rc |= ms_buf_puts(b, "</span></td>");
	return rc == 0 ? 0 : -1;
}

static int
render_row(struct ms_buf *b, const json_t *m, const json_t *hist,
    const struct thresholds *th, int f)
{
	const char *id = record_str(m, "id"), *s, *probe, *name;
	long long v;
	char buf[64];
	int rc = 0;

	name = display_name(m);
	rc |= ms_buf_printf(b, "<tr class=\"%s%s%s\" data-id=\"",
	    (f & F_ONLINE) ? "on" : "off",
	    (f & F_DISK_CRIT) ? " crit" : (f & F_DISK_WARN) ? " warn" : "",
	    (f & F_HOSTKEY) ? " hostkey" : "");
	rc |= esc(b, id);
	rc |= ms_buf_printf(b, "\"><td data-v=\"%d\"><span class=\"dot %s\" "
	    "title=\"%s\"></span></td>", (f & F_ONLINE) ? 1 : 0,
	    (f & F_ONLINE) ? "on" : "off",
	    (f & F_ONLINE) ? "online" : "offline");

	/* The name, with the host name and the probe's complaint. */
	rc |= ms_buf_puts(b, "<td class=\"name\" title=\"");
	rc |= esc(b, id);
	rc |= ms_buf_puts(b, "\"><span class=\"n\">");
	rc |= esc(b, name);
	rc |= ms_buf_puts(b, "</span>");
	if ((s = record_str(m, "hostname")) != NULL && strcmp(s, name) != 0) {
		rc |= ms_buf_puts(b, "<span class=\"sub\">");
		rc |= esc(b, s);
		rc |= ms_buf_puts(b, "</span>");
	}
	probe = record_str(m, "probe");
	if (probe != NULL && strcmp(probe, "ok") != 0) {
		rc |= ms_buf_printf(b, " <span class=\"badge %s\" title=\"",
		    (f & F_HOSTKEY) ? "bad" : "warn");
		rc |= esc(b, record_str(m, "probe_error"));
		rc |= ms_buf_puts(b, "\">");
		if (f & F_HOSTKEY)
			rc |= ms_buf_puts(b, "host key changed");
		else
			rc |= esc(b, probe);
		rc |= ms_buf_puts(b, "</span>");
	}
	rc |= ms_buf_puts(b, "</td>");

	rc |= cell_str(b, m, "console_user");
	s = record_str(m, "ip");
	rc |= ms_buf_printf(b, "<td data-v=\"%lld\">", ip_key(s));
	rc |= s != NULL ? esc(b, s) : ms_buf_puts(b, NA);
	rc |= ms_buf_puts(b, "</td>");

	if ((s = record_str(m, "model_name")) == NULL)
		s = record_str(m, "model");
	rc |= ms_buf_puts(b, "<td title=\"");
	rc |= esc(b, record_str(m, "model"));
	rc |= ms_buf_puts(b, "\">");
	rc |= s != NULL ? esc(b, s) : ms_buf_puts(b, NA);
	rc |= ms_buf_puts(b, "</td>");

	s = record_str(m, "os_version");
	rc |= ms_buf_printf(b, "<td data-v=\"%lld\">", version_key(s));
	if (s != NULL) {
		rc |= esc(b, s);
		if ((s = record_str(m, "os_build")) != NULL) {
			rc |= ms_buf_puts(b, " <span class=\"sub\">");
			rc |= esc(b, s);
			rc |= ms_buf_puts(b, "</span>");
		}
	} else {
		rc |= ms_buf_puts(b, NA);
	}
	rc |= ms_buf_puts(b, "</td>");

	rc |= cell_str(b, m, "chip");
	if (record_int(m, "memory_bytes", &v) == 0) {
		/* Memory is sold in binary units: 16 GB is 2^34 bytes. */
		double gib = (double)v / 1073741824.0;

		rc |= ms_buf_printf(b, "<td data-v=\"%lld\">%.*f GB</td>", v,
		    gib < 10 && (double)(long long)gib != gib ? 1 : 0, gib);
	} else {
		rc |= ms_buf_puts(b, "<td data-v=\"-1\">" NA "</td>");
	}
	rc |= cell_disk(b, m, th);
	rc |= cell_battery(b, m, th, f);
	if (record_int(m, "uptime_s", &v) == 0) {
		fmt_uptime(buf, sizeof(buf), v);
		rc |= ms_buf_printf(b, "<td data-v=\"%lld\">%s</td>", v, buf);
	} else {
		rc |= ms_buf_puts(b, "<td data-v=\"-1\">" NA "</td>");
	}
	if ((s = record_str(m, "last_seen")) != NULL) {
		time_t t;
		struct tm tm;

		rc |= ms_buf_puts(b, "<td data-v=\"");
		rc |= esc(b, s);
		rc |= ms_buf_puts(b, "\"><time datetime=\"");
		rc |= esc(b, s);
		rc |= ms_buf_puts(b, "\">");
		if (rfc3339_parse(s, &t, NULL) == 0 &&
		    gmtime_r(&t, &tm) != NULL &&
		    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm) > 0)
			rc |= ms_buf_puts(b, buf);
		else
			rc |= esc(b, s);
		rc |= ms_buf_puts(b, "</time></td>");
	} else {
		rc |= ms_buf_puts(b, "<td data-v=\"\">" NA "</td>");
	}
	rc |= cell_trend(b, hist, th);
	rc |= ms_buf_puts(b, "</tr>\n");
	return rc == 0 ? 0 : -1;
}

static int
counter(struct ms_buf *b, const char *cls, long long n, const char *label,
    int alarm)
{
	return ms_buf_printf(b, "<li class=\"%s%s\"><b>%lld</b> %s</li>", cls,
	    alarm && n > 0 ? " alarm" : "", n, label);
}

/* Fill the @@NAME@@ marks of the frame; 0 or -1. */
static int
fill(struct ms_buf *b, const char *tpl, size_t n, const char *const *names,
    const struct ms_buf *vals, size_t nv, struct ms_err *e)
{
	const char *p = tpl, *end = tpl + n, *m, *q;
	size_t i, k;

	while (p < end) {
		m = strstr(p, "@@");
		if (m == NULL || m >= end)
			return ms_buf_append(b, p, (size_t)(end - p));
		if (ms_buf_append(b, p, (size_t)(m - p)) == -1)
			return -1;
		q = strstr(m + 2, "@@");
		if (q == NULL)
			return ms_err_set(e, "web/dashboard.html: "
			    "unterminated @@ mark");
		k = (size_t)(q - m - 2);
		for (i = 0; i < nv; i++)
			if (strlen(names[i]) == k &&
			    memcmp(names[i], m + 2, k) == 0)
				break;
		if (i == nv)
			return ms_err_set(e, "web/dashboard.html: unknown "
			    "mark @@%.*s@@", (int)k, m + 2);
		if (ms_buf_append(b, vals[i].data != NULL ? vals[i].data : "",
		    vals[i].len) == -1)
			return -1;
		p = q + 2;
	}
	return 0;
}

int
render_dashboard(struct ms_buf *b, json_t *latest, json_t *history,
    const struct thresholds *th, const char *base, struct ms_err *e)
{
	static const char *const names[] = { "BASE", "COUNTERS", "ROWS",
	    "COUNT", "GENERATED", "CRIT", "WARN", "BATTLOW",
	    "GENERATED_TEXT" };
	struct ms_buf v[sizeof(names) / sizeof(names[0])];
	struct fleet fl = { 0 };
	const char *tpl;
	size_t i, n;
	json_t *m, *empty = json_array();
	char ts[RFC3339_LEN];
	int rc = 0;

	memset(v, 0, sizeof(v));
	if ((tpl = embed_get("web/dashboard.html", &n)) == NULL) {
		json_decref(empty);
		return ms_err_set(e, "web/dashboard.html is not built in");
	}
	json_array_foreach(latest, i, m) {
		int f = classify(m, th);
		const char *id = record_str(m, "id");
		json_t *h = id != NULL ? json_object_get(history, id) : NULL;

		fleet_add(&fl, f);
		if (render_row(&v[2], m, json_is_array(h) ? h : empty, th,
		    f) == -1)
			rc = -1;
	}
	json_decref(empty);
	rc |= esc(&v[0], base);
	rc |= counter(&v[1], "c-total", fl.machines, "Macs", 0);
	rc |= counter(&v[1], "c-online", fl.online, "online", 0);
	rc |= counter(&v[1], "c-crit", fl.disk_crit, "disk critical", 1);
	rc |= counter(&v[1], "c-warn", fl.disk_warn, "disk warning", 1);
	rc |= counter(&v[1], "c-batt", fl.batt_low, "battery low", 1);
	rc |= counter(&v[1], "c-full", fl.full_plugged,
	    "full and plugged", 1);
	rc |= counter(&v[1], "c-hostkey", fl.hostkey, "host key problems", 1);
	if (v[2].data == NULL)
		rc |= ms_buf_puts(&v[2], "");
	rc |= ms_buf_printf(&v[3], "%lld", fl.machines);
	rc |= ms_buf_puts(&v[4], rfc3339_format(time(NULL), ts) != NULL ?
	    ts : "");
	{
		time_t now = time(NULL);
		struct tm tm;
		char hb[64];

		if (gmtime_r(&now, &tm) == NULL || strftime(hb, sizeof(hb),
		    "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
			hb[0] = '\0';
		rc |= ms_buf_puts(&v[8], hb);
	}
	rc |= ms_buf_printf(&v[5], "%g", (double)th->disk_crit_bytes / 1e9);
	rc |= ms_buf_printf(&v[6], "%g", (double)th->disk_warn_bytes / 1e9);
	rc |= ms_buf_printf(&v[7], "%lld", th->battery_low);
	if (rc != 0)
		ms_err_set(e, "out of memory");
	else
		rc = fill(b, tpl, n, names, v, sizeof(v) / sizeof(v[0]), e);
	if (rc != 0 && e->msg[0] == '\0')
		ms_err_set(e, "out of memory");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ms_buf_free(&v[i]);
	return rc == 0 ? 0 : -1;
}

/* The per-machine gauges, in the base units Prometheus uses. */
static const struct gauge {
	const char *name;
	const char *field;
	double scale;		/* 0: a boolean field */
	const char *help;
} gauges[] = {
	{ "macscan_disk_free_bytes", "disk_free_bytes", 1,
	    "Space the user can still write on the data volume, in bytes." },
	{ "macscan_disk_total_bytes", "disk_total_bytes", 1,
	    "Size of the data volume, in bytes." },
	{ "macscan_disk_available_bytes", "disk_available_bytes", 1,
	    "Space Finder shows as available (purgeable included), in "
	    "bytes." },
	{ "macscan_battery_charge_ratio", "battery_percent", 0.01,
	    "Battery charge, from 0 to 1." },
	{ "macscan_battery_cycles", "battery_cycles", 1,
	    "Battery charge cycle count." },
	{ "macscan_battery_health_ratio", "battery_health_percent", 0.01,
	    "Battery maximum capacity against its design, from 0 to 1." },
	{ "macscan_uptime_seconds", "uptime_s", 1,
	    "Time since the Mac booted, in seconds." },
	{ "macscan_online", "online", 0,
	    "1 if the Mac answered the latest scan, else 0." },
	{ "macscan_last_seen_timestamp_seconds", "last_seen", -1,
	    "When the Mac last answered a scan, in seconds since the epoch." },
};

static int
labels(struct ms_buf *b, const json_t *m)
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
	rc |= ms_buf_puts(b, "\"}");
	return rc == 0 ? 0 : -1;
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
	const struct {
		const char *name, *help;
		size_t off;
	} fleet[] = {
		{ "macscan_machines", "Machines in the store.",
		    offsetof(struct fleet, machines) },
		{ "macscan_machines_online",
		    "Machines that answered the latest scan.",
		    offsetof(struct fleet, online) },
		{ "macscan_disk_critical_machines",
		    "Machines with less free disk space than "
		    "ALERT_DISK_CRITICAL_GB.",
		    offsetof(struct fleet, disk_crit) },
		{ "macscan_disk_warning_machines",
		    "Machines with less free disk space than "
		    "ALERT_DISK_WARN_GB but not critical.",
		    offsetof(struct fleet, disk_warn) },
		{ "macscan_battery_low_machines",
		    "Machines whose battery is below "
		    "ALERT_BATTERY_LOW_PERCENT.",
		    offsetof(struct fleet, batt_low) },
		{ "macscan_battery_full_plugged_machines",
		    "Machines at 100% battery charge and on AC power.",
		    offsetof(struct fleet, full_plugged) },
		{ "macscan_hostkey_mismatch_machines",
		    "Machines whose SSH host key changed.",
		    offsetof(struct fleet, hostkey) },
	};
	struct fleet fl = { 0 };
	size_t i, k;
	json_t *m;
	long long v;
	double d;
	int rc = 0, bv;
	time_t t;

	json_array_foreach(latest, i, m)
		fleet_add(&fl, classify(m, th));
	for (k = 0; k < sizeof(fleet) / sizeof(fleet[0]); k++) {
		rc |= family(b, fleet[k].name, fleet[k].help);
		rc |= ms_buf_printf(b, "%s %lld\n", fleet[k].name,
		    *(const long long *)(const void *)((const char *)&fl +
		    fleet[k].off));
	}
	for (k = 0; k < sizeof(gauges) / sizeof(gauges[0]); k++) {
		const struct gauge *g = &gauges[k];
		int head = 0;

		json_array_foreach(latest, i, m) {
			char val[64];

			if (g->scale == 0) {
				/* online: an absent flag is offline. */
				if (record_bool(m, g->field, &bv) == -1)
					bv = 0;
				snprintf(val, sizeof(val), "%d", bv);
			} else if (g->scale < 0) {
				const char *s = record_str(m, g->field);

				if (s == NULL ||
				    rfc3339_parse(s, &t, NULL) == -1)
					continue;
				snprintf(val, sizeof(val), "%lld",
				    (long long)t);
			} else if (g->scale == 1) {
				if (record_int(m, g->field, &v) == -1)
					continue;
				snprintf(val, sizeof(val), "%lld", v);
			} else {
				if (record_real(m, g->field, &d) == -1)
					continue;
				snprintf(val, sizeof(val), "%.6g",
				    d * g->scale);
			}
			if (!head) {
				rc |= family(b, g->name, g->help);
				head = 1;
			}
			rc |= ms_buf_puts(b, g->name);
			rc |= labels(b, m);
			rc |= ms_buf_printf(b, " %s\n", val);
		}
	}
	if (rc != 0)
		return ms_err_set(e, "out of memory");
	return 0;
}
