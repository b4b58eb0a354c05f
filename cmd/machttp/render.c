/*
 * render.c - the dashboard (HTML rendered here, so it works without
 * JavaScript), and what the views share: the rules they show, the fleet's
 * counts, the badges of a machine's status and posture. What fires is
 * decided by lib/rules.h alone, as for macalert.
 *
 * Every string that came from a Mac goes through esc_html; numbers are
 * formatted here. The dashboard's frame is share/web/dashboard.html,
 * whose {{> NAME}} marks (lib/template.h) are filled in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed.h"
#include "escape.h"
#include "http.h"
#include "machttp.h"
#include "record.h"
#include "rfc3339.h"
#include "template.h"

#define NA "<span class=\"na\">\xe2\x80\x94</span>"	/* an em dash */
#define DOT " \xc2\xb7 "				/* a middle dot */

/* The settings of the rules (lib/rules.h) and what the views draw of
 * them; settings_load checked them. */
void
thresholds_load(const struct config *cf, struct thresholds *th)
{
	rules_conf_load(&th->rc, cf);
	th->disk_crit_bytes = th->rc.critical;
	th->disk_warn_bytes = th->rc.warn;
	th->battery_low = th->rc.battery_low;
	th->backup_days = th->rc.backup_days;
	th->firewall_warn =
	    (th->rc.enabled & RULE_BIT(RULE_FIREWALL_OFF)) != 0;
}

/* Seconds from an RFC 3339 field to now; -1 if absent or not a time. */
long long
age_of(const json_t *m, const char *key, time_t now)
{
	const char *s = record_str(m, key);
	time_t t;

	if (s == NULL || rfc3339_parse(s, &t, NULL) == -1)
		return -1;
	return t <= now ? (long long)(now - t) : 0;
}

/* The rules of lib/rules.h on one machine, as the views show them. */
void
verdict_eval(const json_t *m, const struct thresholds *th, time_t now,
    struct verdict *v)
{
	struct rules_result res;
	int r, b;

	rules_eval(&th->rc, m, now, &res);
	v->online = record_bool(m, "online", &b) == 0 && b;
	for (r = 0; r < RULE_COUNT; r++)
		v->sev[r] = (unsigned char)((res.firing & RULE_BIT(r)) ?
		    rule_defs[r].severity + 1 : SEV_NONE);
}

void
fleet_count(json_t *latest, const struct thresholds *th, time_t now,
    struct fleet *fl)
{
	struct verdict v;
	json_t *m;
	size_t i;
	int r;

	memset(fl, 0, sizeof(*fl));
	json_array_foreach(latest, i, m) {
		verdict_eval(m, th, now, &v);
		fl->machines++;
		fl->online += v.online;
		for (r = 0; r < RULE_COUNT; r++)
			fl->n[r] += v.sev[r] != SEV_NONE;
		fl->incomplete += json_array_size(json_object_get(m,
		    "probe_incomplete")) > 0;
		fl->know_filevault += record_str(m, "filevault") != NULL;
		fl->know_firewall += record_str(m, "firewall") != NULL;
		fl->know_backup += record_str(m, "backup") != NULL;
		fl->know_smart += record_str(m, "disk_smart") != NULL;
		fl->know_updates += json_is_integer(json_object_get(m,
		    "updates_restart"));
	}
}

/* The dashboard speaks English; fmt.h says how numbers are shown. */
char *
bytes_en(long long v, char *buf, size_t len)
{
	return fmt_bytes(v, MS_LANG_EN, 0, buf, len);
}

/* An installer's size: small scripts in KB, the rest as fmt_bytes. */
static char *
size_of(long long v, char *buf, size_t len)
{
	if (v < 1000000) {
		snprintf(buf, len, "%lld KB", (v + 999) / 1000);
		return buf;
	}
	return bytes_en(v, buf, len);
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

/* The score a posture sorts by: the worse, the higher. */
static int
posture_score(const struct verdict *v)
{
	static const int r[] = { RULE_FILEVAULT_OFF, RULE_FIREWALL_OFF,
	    RULE_BACKUP_OLD, RULE_BACKUP_NEVER, RULE_SMART_FAILING, RULE_UPDATES_RESTART };
	size_t i;
	int s = 0;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		s += v->sev[r[i]] == SEV_CRITICAL ? 100 :
		    v->sev[r[i]] == SEV_WARNING ? 10 :
		    v->sev[r[i]] == SEV_INFO ? 1 : 0;
	return s;
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
	char f0[FMT_LEN], f1[FMT_LEN];
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
	bytes_en(v[0], f0, sizeof(f0));
	bytes_en(v[n - 1], f1, sizeof(f1));
	cls = v[n - 1] <= th->disk_crit_bytes ? "crit" :
	    v[n - 1] <= th->disk_warn_bytes ? "warn" : "ok";
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
cell_disk(struct ms_buf *b, const json_t *m, const struct verdict *vd)
{
	long long fr, tot;
	char f[FMT_LEN], t[FMT_LEN];
	const char *cls;
	int rc = 0;
	double used;

	if (record_int(m, "disk_free_bytes", &fr) != 0)
		return ms_buf_puts(b, "<td data-v=\"-1\">" NA "</td>");
	cls = vd->sev[RULE_DISK_CRITICAL] ? "crit" :
	    vd->sev[RULE_DISK_WARNING] ? "warn" : "ok";
	bytes_en(fr, f, sizeof(f));
	rc |= ms_buf_printf(b, "<td class=\"disk %s\" data-v=\"%lld\">"
	    "<span class=\"v\">%s</span>", cls, fr, f);
	if (record_int(m, "disk_total_bytes", &tot) == 0 && tot > 0) {
		used = 100.0 * (double)(tot - fr) / (double)tot;
		if (used < 0)
			used = 0;
		if (used > 100)
			used = 100;
		bytes_en(tot, t, sizeof(t));
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
cell_battery(struct ms_buf *b, const json_t *m, const struct verdict *vd)
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
	    vd->sev[RULE_BATTERY_LOW] ? " low" : "",
	    vd->sev[RULE_BATTERY_FULL_PLUGGED] ? " full" : "", pct, pct);
	if (record_bool(m, "ac_power", &ac) == 0 && ac)
		rc |= ms_buf_puts(b, " <span class=\"plug\" title=\"on AC "
		    "power\">\xe2\x9a\xa1</span>");
	rc |= ms_buf_puts(b, "<span class=\"sub\">");
	if ((state = record_str(m, "battery_state")) != NULL) {
		rc |= esc(b, state);
		sep = DOT;
	}
	if (record_int(m, "battery_health_percent", &health) == 0)
		rc |= ms_buf_printf(b, "%shealth %lld%%", sep, health);
	if (record_int(m, "battery_cycles", &cycles) == 0)
		rc |= ms_buf_printf(b, ", %lld cycles", cycles);
	if (vd->sev[RULE_BATTERY_CONDITION] &&
	    (cond = record_str(m, "battery_condition")) != NULL)
		rc |= badge(b, sev_class(vd->sev[RULE_BATTERY_CONDITION]), NULL,
		    "%s", cond);
	rc |= ms_buf_puts(b, "</span></td>");
	return rc == 0 ? 0 : -1;
}

static int
render_row(struct ms_buf *b, const json_t *m, const json_t *hist,
    const struct thresholds *th, const struct verdict *vd, const char *base,
    time_t now)
{
	const char *id = record_str(m, "id"), *s;
	char *name;
	long long v;
	char buf[64];
	int rc = 0, k, first;

	if ((name = fmt_name(m, 0)) == NULL)
		return -1;
	rc |= ms_buf_printf(b, "<tr class=\"%s%s%s\" data-id=\"",
	    vd->online ? "on" : "off",
	    vd->sev[RULE_DISK_CRITICAL] ? " crit" :
	    vd->sev[RULE_DISK_WARNING] ? " warn" : "",
	    vd->sev[RULE_HOSTKEY_MISMATCH] ? " hostkey" : "");
	rc |= esc(b, id);
	/* The rules that fire (lib/rules.h), for scripts and for the
	 * style: the same names as macalert's and /metrics'. */
	rc |= ms_buf_puts(b, "\" data-rules=\"");
	for (k = 0, first = 1; k < RULE_COUNT; k++)
		if (vd->sev[k] != SEV_NONE) {
			rc |= ms_buf_printf(b, "%s%s", first ? "" : " ",
			    rule_defs[k].name);
			first = 0;
		}
	rc |= ms_buf_printf(b, "\"><td data-v=\"%d\"><span class=\"dot %s\" "
	    "title=\"%s\"></span></td>", vd->online,
	    vd->online ? "on" : "off", vd->online ? "online" : "offline");

	/* The name, linked to its page, with the host name and status. */
	rc |= ms_buf_puts(b, "<td class=\"name\" title=\"");
	rc |= esc(b, id);
	rc |= ms_buf_puts(b, "\"><a class=\"n\" href=\"");
	rc |= esc(b, base);
	rc |= ms_buf_puts(b, "/mac/");
	rc |= http_pct_encode(b, id != NULL ? id : "",
	    id != NULL ? strlen(id) : 0);
	rc |= ms_buf_puts(b, "\">");
	rc |= esc(b, name);
	rc |= ms_buf_puts(b, "</a>");
	if ((s = record_str(m, "hostname")) != NULL && strcmp(s, name) != 0) {
		rc |= ms_buf_puts(b, "<span class=\"sub\">");
		rc |= esc(b, s);
		rc |= ms_buf_puts(b, "</span>");
	}
	rc |= render_status(b, m, vd);
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
	rc |= cell_disk(b, m, vd);
	rc |= cell_battery(b, m, vd);
	rc |= ms_buf_printf(b, "<td class=\"posture\" data-v=\"%d\">",
	    posture_score(vd));
	rc |= render_posture(b, m, vd, now);
	rc |= ms_buf_puts(b, "</td>");
	if (record_int(m, "uptime_s", &v) == 0) {
		fmt_duration(v, MS_LANG_EN, buf, sizeof(buf));
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
	free(name);
	return rc == 0 ? 0 : -1;
}

static int
counter(struct ms_buf *b, const char *cls, long long n, const char *label,
    int alarm)
{
	return ms_buf_printf(b, "<li class=\"%s%s\"><b>%lld</b> %s</li>", cls,
	    alarm && n > 0 ? " alarm" : "", n, label);
}

/* The fleet's tiles: the usual seven, then the posture ones about
 * fields some Mac reports, then the exceptional states when they occur. */
static int
counters(struct ms_buf *b, const struct fleet *fl,
    const struct thresholds *th)
{
	char label[80];
	int rc = 0;

	rc |= counter(b, "c-total", fl->machines, "Macs", 0);
	rc |= counter(b, "c-online", fl->online, "online", 0);
	rc |= counter(b, "c-crit", fl->n[RULE_DISK_CRITICAL], "disk critical", 1);
	rc |= counter(b, "c-warn", fl->n[RULE_DISK_WARNING], "disk warning", 1);
	rc |= counter(b, "c-batt", fl->n[RULE_BATTERY_LOW], "battery low", 1);
	rc |= counter(b, "c-full", fl->n[RULE_BATTERY_FULL_PLUGGED],
	    "full and plugged", 1);
	rc |= counter(b, "c-hostkey", fl->n[RULE_HOSTKEY_MISMATCH],
	    "host key problems", 1);
	if (fl->know_filevault > 0)
		rc |= counter(b, "c-fv w", fl->n[RULE_FILEVAULT_OFF],
		    "without FileVault", 1);
	if (fl->know_firewall > 0)
		rc |= counter(b, "c-fw", fl->n[RULE_FIREWALL_OFF],
		    "firewall off", th->firewall_warn);
	if (fl->know_backup > 0) {
		snprintf(label, sizeof(label), "backup%s older than %lld "
		    "day%s", fl->n[RULE_BACKUP_OLD] == 1 ? "" : "s",
		    th->backup_days, th->backup_days == 1 ? "" : "s");
		rc |= counter(b, "c-bkold w", fl->n[RULE_BACKUP_OLD], label, 1);
		rc |= counter(b, "c-bknever w", fl->n[RULE_BACKUP_NEVER],
		    "never backed up", 1);
	}
	if (fl->know_smart > 0)
		rc |= counter(b, "c-smart", fl->n[RULE_SMART_FAILING],
		    "SMART failing", 1);
	if (fl->know_updates > 0)
		rc |= counter(b, "c-upd w", fl->n[RULE_UPDATES_RESTART],
		    "updates waiting for a restart", 1);
	if (fl->n[RULE_IDENTITY_CONFLICT] > 0)
		rc |= counter(b, "c-ident", fl->n[RULE_IDENTITY_CONFLICT],
		    "identity conflicts", 1);
	if (fl->incomplete > 0)
		rc |= counter(b, "c-incomplete w", fl->incomplete,
		    "incomplete probes", 1);
	if (fl->n[RULE_NEW_HOST] > 0)
		rc |= counter(b, "c-new", fl->n[RULE_NEW_HOST],
		    "new hosts to enrol", 0);
	return rc == 0 ? 0 : -1;
}

/* s single-quoted for sh, unless it holds only characters sh leaves
 * alone. */
static int
sh_word(struct ms_buf *b, const char *s)
{
	const char *p;
	int rc = 0;

	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/:.-_[]@%+=,") == strlen(s))
		return esc(b, s);
	rc |= ms_buf_puts(b, "'");
	for (p = s; *p != '\0'; p++) {
		char c[2] = { *p, '\0' };

		rc |= esc(b, *p == '\'' ? "'\\''" : c);
	}
	rc |= ms_buf_puts(b, "'");
	return rc == 0 ? 0 : -1;
}

/*
 * The installers, each with its SHA-256 and the command that downloads
 * it on a Mac, checks the checksum and only then runs it.
 */
static int
installers(struct ms_buf *b, const struct inst_info *in, size_t n,
    const char *base, const char *origin)
{
	struct ms_buf url = { 0 };
	char size[FMT_LEN];
	size_t i;
	int rc = 0;

	if (n == 0)
		return ms_buf_puts(b, "");
	rc |= ms_buf_puts(b, "<section id=\"installers\"><h2>Installers</h2>"
	    "<p class=\"meta\">On a Mac, in Terminal: the command checks the "
	    "file's SHA-256 before anything runs. The checksum is only as "
	    "trustworthy as this page: read it over HTTPS or on the server "
	    "itself.</p><ul>");
	for (i = 0; i < n; i++) {
		ms_buf_reset(&url);
		rc |= ms_buf_printf(&url, "%s%s/installers/%s",
		    origin != NULL ? origin : "", base, in[i].name);
		size_of(in[i].size, size, sizeof(size));
		rc |= ms_buf_puts(b, "<li data-name=\"");
		rc |= esc(b, in[i].name);
		rc |= ms_buf_puts(b, "\"><a href=\"");
		rc |= esc(b, base);
		rc |= ms_buf_printf(b, "/installers/%s\">%s</a> "
		    "<span class=\"sub\">%s" DOT "SHA-256 "
		    "<code class=\"sha\">%s</code></span>"
		    "<pre><code class=\"cmd\">curl -fsSO ", in[i].name,
		    in[i].name, size, in[i].sha256);
		rc |= sh_word(b, url.data != NULL ? url.data : "");
		rc |= ms_buf_printf(b, " &amp;&amp; echo \"%s  %s\" | "
		    "shasum -a 256 -c &amp;&amp; sudo sh %s</code></pre></li>",
		    in[i].sha256, in[i].name, in[i].name);
	}
	rc |= ms_buf_puts(b, "</ul></section>");
	ms_buf_free(&url);
	return rc == 0 ? 0 : -1;
}

/* Fill the {{> NAME}} marks of the frame share/TNAME; 0 or -1. */
int
fill_template(struct ms_buf *b, const char *tname, const char *const *names,
    const struct ms_buf *vals, size_t nv, struct ms_err *e)
{
	const char *tpl;
	json_t *parts, *ctx;
	size_t i, n;
	int rc = -1;

	if ((tpl = embed_get(tname, &n)) == NULL)
		return ms_err_set(e, "%s is not built in", tname);
	/* The page's pieces, rendered here, as partials inserted as they
	 * are (lib/template.h, TMPL_MARKUP): the one template language of
	 * macscan, whose {{> NAME}} marks the frame holds. */
	if ((parts = json_object()) == NULL || (ctx = json_object()) == NULL) {
		json_decref(parts);
		return ms_err_set(e, "out of memory");
	}
	for (i = 0; i < nv; i++)
		if (json_object_set_new(parts, names[i], json_stringn_nocheck(
		    vals[i].data != NULL ? vals[i].data : "", vals[i].len)) ==
		    -1) {
			ms_err_set(e, "out of memory");
			goto out;
		}
	rc = template_render(b, tpl, n, tname, ctx, parts,
	    TMPL_HTML | TMPL_MARKUP, e);
out:
	json_decref(parts);
	json_decref(ctx);
	return rc;
}

int
render_dashboard(struct ms_buf *b, json_t *latest, json_t *history,
    const struct thresholds *th, const char *base,
    const struct inst_info *inst, size_t ninst, const char *origin,
    struct ms_err *e)
{
	static const char *const names[] = { "BASE", "COUNTERS", "ROWS",
	    "COUNT", "GENERATED", "CRIT", "WARN", "BATTLOW",
	    "GENERATED_TEXT", "INSTALLERS" };
	struct ms_buf v[sizeof(names) / sizeof(names[0])];
	struct fleet fl;
	struct verdict vd;
	size_t i;
	json_t *m, *empty = json_array();
	time_t now = time(NULL);
	struct tm tm;
	char ts[RFC3339_LEN], hb[64];
	int rc = 0;

	memset(v, 0, sizeof(v));
	fleet_count(latest, th, now, &fl);
	json_array_foreach(latest, i, m) {
		const char *id = record_str(m, "id");
		json_t *h = id != NULL ? json_object_get(history, id) : NULL;

		verdict_eval(m, th, now, &vd);
		if (render_row(&v[2], m, json_is_array(h) ? h : empty, th, &vd,
		    base, now) == -1)
			rc = -1;
	}
	json_decref(empty);
	rc |= esc(&v[0], base);
	rc |= counters(&v[1], &fl, th);
	rc |= ms_buf_puts(&v[2], "");
	rc |= ms_buf_printf(&v[3], "%lld", fl.machines);
	rc |= ms_buf_puts(&v[4], rfc3339_format(now, ts) != NULL ? ts : "");
	if (gmtime_r(&now, &tm) == NULL || strftime(hb, sizeof(hb),
	    "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		hb[0] = '\0';
	rc |= ms_buf_puts(&v[8], hb);
	rc |= ms_buf_printf(&v[5], "%g", (double)th->disk_crit_bytes / 1e9);
	rc |= ms_buf_printf(&v[6], "%g", (double)th->disk_warn_bytes / 1e9);
	rc |= ms_buf_printf(&v[7], "%lld", th->battery_low);
	rc |= installers(&v[9], inst, ninst, base, origin);
	if (rc != 0)
		ms_err_set(e, "out of memory");
	else
		rc = fill_template(b, "web/dashboard.html", names, v,
		    sizeof(v) / sizeof(v[0]), e);
	if (rc != 0 && e->msg[0] == '\0')
		ms_err_set(e, "out of memory");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ms_buf_free(&v[i]);
	return rc == 0 ? 0 : -1;
}
