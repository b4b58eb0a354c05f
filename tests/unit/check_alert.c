/*
 * check_alert.c - macalert's pure parts: the rules and de-duplication
 * over sequences of views (lib/alertrules), the template language, and
 * the message (lib/mime): exact headers, RFC 2047, quoted-printable,
 * header injection, the Date in a non-C locale.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alertrules.h"
#include "mime.h"
#include "unit.h"

#define GB ALERT_GB
#define T0 1700000000	/* 2023-11-14T22:13:20Z */
#define HOUR 3600

static struct alert_conf conf;

static void
setup(void)
{
	alert_conf_init(&conf, 15, 30, 30, 24);
	setenv("TZ", "UTC", 1);
	tzset();
}

/* A record: free in bytes (< 0: unknown), online, battery percent (< 0:
 * none), on AC power. */
static json_t *
mk(const char *id, long long free, int online, int pct, int ac)
{
	json_t *r = json_pack("{s:s,s:s,s:b,s:s}", "id", id,
	    "computer_name", id, "online", online, "probe", "ok");

	ck_assert_ptr_nonnull(r);
	if (free >= 0) {
		json_object_set_new(r, "disk_free_bytes", json_integer(free));
		json_object_set_new(r, "disk_total_bytes",
		    json_integer(500 * GB));
	}
	if (pct >= 0) {
		json_object_set_new(r, "battery_present", json_true());
		json_object_set_new(r, "battery_percent", json_integer(pct));
		json_object_set_new(r, "ac_power", json_boolean(ac));
	}
	return r;
}

static json_t *
view1(json_t *r)
{
	json_t *v = json_array();

	json_array_append_new(v, r);
	return v;
}

/*
 * One run of macalert: evaluate, then keep the state the program would
 * save (the sent one when an email goes, the kept one otherwise). The
 * events of machine id, or -1 when no email is due. The view is
 * released.
 */
static int
run(json_t **state, json_t *view, time_t now, int force, const char *id,
    struct alert_report *out)
{
	struct alert_report r;
	struct ms_err e;
	size_t i;
	int ev = 0;

	ck_assert_int_eq(alert_evaluate(&conf, view, *state, now, force, &r,
	    &e), 0);
	for (i = 0; i < r.n; i++)
		if (strcmp(r.v[i].id, id) == 0)
			ev = r.v[i].events;
	if (r.due) {
		json_decref(*state);
		*state = json_incref(r.state_sent);
	} else if (r.kept_changed) {
		json_decref(*state);
		*state = json_incref(r.state_kept);
	}
	if (!r.due)
		ev = -1;
	if (out != NULL)
		*out = r;
	else {
		alert_report_free(&r);
		json_decref(view);
	}
	return ev;
}

START_TEST(levels)
{
	ck_assert_int_eq(alert_level(&conf, 16 * GB), 0);
	ck_assert_int_eq(alert_level(&conf, 15 * GB + 1), 0);
	ck_assert_int_eq(alert_level(&conf, 15 * GB), 1);
	ck_assert_int_eq(alert_level(&conf, 10 * GB + 1), 1);
	ck_assert_int_eq(alert_level(&conf, 10 * GB), 2);
	ck_assert_int_eq(alert_level(&conf, 5 * GB), 3);
	ck_assert_int_eq(alert_level(&conf, 1 * GB), 4);
	ck_assert_int_eq(alert_level(&conf, 0), 4);
	ck_assert_int_eq((int)(conf.margin / 1000000), 2000);
	alert_conf_init(&conf, 50, 80, 30, 24);
	ck_assert_int_eq((int)(conf.margin / 1000000), 5000);
	ck_assert_int_eq(alert_level(&conf, 33 * GB), 2);
	alert_conf_init(&conf, 15, 30, 30, 24);
}
END_TEST

START_TEST(dedup_sequence)
{
	json_t *state = json_object();

	/* Fine: nothing. */
	ck_assert_int_eq(run(&state, view1(mk("a", 40 * GB, 1, -1, 0)), T0,
	    0, "a", NULL), -1);
	/* Newly critical: send. */
	ck_assert_int_eq(run(&state, view1(mk("a", 14 * GB, 1, -1, 0)),
	    T0 + HOUR, 0, "a", NULL), ALERT_NEW);
	/* The same an hour later: nothing. */
	ck_assert_int_eq(run(&state, view1(mk("a", 14 * GB, 1, -1, 0)),
	    T0 + 2 * HOUR, 0, "a", NULL), -1);
	/* Still level 1, a bit lower: nothing. */
	ck_assert_int_eq(run(&state, view1(mk("a", 11 * GB, 1, -1, 0)),
	    T0 + 3 * HOUR, 0, "a", NULL), -1);
	/* Worse by a level: send. */
	ck_assert_int_eq(run(&state, view1(mk("a", 9 * GB, 1, -1, 0)),
	    T0 + 4 * HOUR, 0, "a", NULL), ALERT_WORSE);
	ck_assert_int_eq(run(&state, view1(mk("a", 9 * GB, 1, -1, 0)),
	    T0 + 5 * HOUR, 0, "a", NULL), -1);
	/* 24 hours after the last email: send again. */
	ck_assert_int_eq(run(&state, view1(mk("a", 9 * GB, 1, -1, 0)),
	    T0 + 27 * HOUR, 0, "a", NULL), -1);
	ck_assert_int_eq(run(&state, view1(mk("a", 9 * GB, 1, -1, 0)),
	    T0 + 28 * HOUR, 0, "a", NULL), ALERT_REPEAT);
	ck_assert_int_eq(run(&state, view1(mk("a", 9 * GB, 1, -1, 0)),
	    T0 + 29 * HOUR, 0, "a", NULL), -1);
	/* Recovery inside the margin (15 + 2 GB): nothing. */
	ck_assert_int_eq(run(&state, view1(mk("a", 16 * GB, 1, -1, 0)),
	    T0 + 30 * HOUR, 0, "a", NULL), -1);
	ck_assert_int_eq(run(&state, view1(mk("a", 17 * GB, 1, -1, 0)),
	    T0 + 31 * HOUR, 0, "a", NULL), -1);
	/* Clear by the margin: resolved, once. */
	ck_assert_int_eq(run(&state, view1(mk("a", 17 * GB + 1, 1, -1, 0)),
	    T0 + 32 * HOUR, 0, "a", NULL), ALERT_RESOLVED);
	ck_assert_int_eq(run(&state, view1(mk("a", 20 * GB, 1, -1, 0)),
	    T0 + 33 * HOUR, 0, "a", NULL), -1);
	ck_assert_int_eq((int)json_object_size(json_object_get(state,
	    "machines")), 0);
	/* Critical again later: new again. */
	ck_assert_int_eq(run(&state, view1(mk("a", 3 * GB, 1, -1, 0)),
	    T0 + 40 * HOUR, 0, "a", NULL), ALERT_NEW);
	ck_assert_int_eq((int)json_integer_value(json_object_get(
	    json_object_get(json_object_get(state, "machines"), "a"),
	    "level")), 3);
	json_decref(state);
}
END_TEST

START_TEST(hovering)
{
	json_t *state = json_object();

	/* A disk hovering around 15 GB sends once. */
	ck_assert_int_eq(run(&state, view1(mk("h", 14900000000LL, 1, -1, 0)),
	    T0, 0, "h", NULL), ALERT_NEW);
	ck_assert_int_eq(run(&state, view1(mk("h", 15100000000LL, 1, -1, 0)),
	    T0 + 600, 0, "h", NULL), -1);
	ck_assert_int_eq(run(&state, view1(mk("h", 14900000000LL, 1, -1, 0)),
	    T0 + 1200, 0, "h", NULL), -1);
	ck_assert_int_eq(run(&state, view1(mk("h", 15100000000LL, 1, -1, 0)),
	    T0 + 1800, 0, "h", NULL), -1);
	/* And around 5 GB (level 3), once it was sent at level 3. */
	ck_assert_int_eq(run(&state, view1(mk("h", 4900000000LL, 1, -1, 0)),
	    T0 + 2400, 0, "h", NULL), ALERT_WORSE);
	ck_assert_int_eq(run(&state, view1(mk("h", 5100000000LL, 1, -1, 0)),
	    T0 + 3000, 0, "h", NULL), -1);
	ck_assert_int_eq(run(&state, view1(mk("h", 4900000000LL, 1, -1, 0)),
	    T0 + 3600, 0, "h", NULL), -1);
	/* Out of level 3 by the margin (7 GB), then back: worse again. */
	ck_assert_int_eq(run(&state, view1(mk("h", 7500000000LL, 1, -1, 0)),
	    T0 + 4200, 0, "h", NULL), -1);
	ck_assert_int_eq((int)json_integer_value(json_object_get(
	    json_object_get(json_object_get(state, "machines"), "h"),
	    "level")), 2);
	ck_assert_int_eq(run(&state, view1(mk("h", 4900000000LL, 1, -1, 0)),
	    T0 + 4800, 0, "h", NULL), ALERT_WORSE);
	json_decref(state);
}
END_TEST

START_TEST(force)
{
	struct alert_report r;
	json_t *state = json_object(), *v;

	ck_assert_int_eq(run(&state, view1(mk("f", 14 * GB, 1, -1, 0)), T0,
	    0, "f", NULL), ALERT_NEW);
	ck_assert_int_eq(run(&state, view1(mk("f", 14 * GB, 1, -1, 0)),
	    T0 + 60, 0, "f", NULL), -1);
	/* -f: due with no event, and the repeat period starts again. */
	ck_assert_int_eq(run(&state, view1(mk("f", 14 * GB, 1, -1, 0)),
	    T0 + 2 * HOUR, 1, "f", NULL), 0);
	ck_assert_int_eq(run(&state, view1(mk("f", 14 * GB, 1, -1, 0)),
	    T0 + 25 * HOUR, 0, "f", NULL), -1);
	ck_assert_int_eq(run(&state, view1(mk("f", 14 * GB, 1, -1, 0)),
	    T0 + 26 * HOUR, 0, "f", NULL), ALERT_REPEAT);
	/* -f with nothing wrong still sends a report. */
	v = view1(mk("g", 100 * GB, 1, -1, 0));
	ck_assert_int_eq(run(&state, v, T0, 1, "g", &r), 0);
	ck_assert_int_eq(r.due, 1);
	alert_report_free(&r);
	json_decref(v);
	json_decref(state);
}
END_TEST

START_TEST(offline)
{
	struct alert_report r;
	json_t *state = json_object(), *v;
	size_t i;

	/* An offline machine gets no battery alert. */
	v = json_array();
	json_array_append_new(v, mk("on", 100 * GB, 1, 10, 0));
	json_array_append_new(v, mk("off", 100 * GB, 0, 10, 0));
	json_array_append_new(v, mk("full", 100 * GB, 1, 100, 1));
	json_array_append_new(v, mk("offfull", 100 * GB, 0, 100, 1));
	json_array_append_new(v, mk("notac", 100 * GB, 1, 100, 0));
	ck_assert_int_eq(run(&state, v, T0, 0, "on", &r), -1);
	for (i = 0; i < r.n; i++) {
		const struct alert_machine *m = &r.v[i];

		ck_assert_int_eq(m->battery_low, strcmp(m->id, "on") == 0);
		ck_assert_int_eq(m->battery_full, strcmp(m->id, "full") == 0);
	}
	alert_report_free(&r);
	json_decref(v);

	/* A critical machine that goes offline: reported once. */
	ck_assert_int_eq(run(&state, view1(mk("c", 8 * GB, 1, 10, 0)),
	    T0, 0, "c", NULL), ALERT_NEW);
	ck_assert_int_eq(run(&state, view1(mk("c", 8 * GB, 0, 10, 0)),
	    T0 + HOUR, 0, "c", NULL), ALERT_OFFLINE);
	ck_assert_int_eq(run(&state, view1(mk("c", 8 * GB, 0, 10, 0)),
	    T0 + 2 * HOUR, 0, "c", NULL), -1);
	/* Offline machines neither repeat nor resolve. */
	ck_assert_int_eq(run(&state, view1(mk("c", 8 * GB, 0, 10, 0)),
	    T0 + 30 * HOUR, 0, "c", NULL), -1);
	/* Back online, still critical, past the repeat period: repeat. */
	ck_assert_int_eq(run(&state, view1(mk("c", 8 * GB, 1, 10, 0)),
	    T0 + 31 * HOUR, 0, "c", NULL), ALERT_REPEAT);
	/* Offline again: news again; back with a failed probe, then gone
	 * again: news again too. */
	ck_assert_int_eq(run(&state, view1(mk("c", 8 * GB, 0, 10, 0)),
	    T0 + 32 * HOUR, 0, "c", NULL), ALERT_OFFLINE);
	ck_assert_int_eq(run(&state, view1(mk("c", -1, 1, 10, 0)),
	    T0 + 33 * HOUR, 0, "c", NULL), -1);
	ck_assert_int_eq(run(&state, view1(mk("c", 8 * GB, 0, 10, 0)),
	    T0 + 34 * HOUR, 0, "c", NULL), ALERT_OFFLINE);
	json_decref(state);
}
END_TEST

START_TEST(unknown_and_absent)
{
	json_t *state = json_object(), *v;

	ck_assert_int_eq(run(&state, view1(mk("u", 8 * GB, 1, -1, 0)), T0, 0,
	    "u", NULL), ALERT_NEW);
	/* A failed probe (no disk field) changes nothing. */
	ck_assert_int_eq(run(&state, view1(mk("u", -1, 1, -1, 0)),
	    T0 + HOUR, 0, "u", NULL), -1);
	ck_assert_ptr_nonnull(json_object_get(json_object_get(state,
	    "machines"), "u"));
	/* Absent from an empty view: kept, then forgotten after 30 days. */
	ck_assert_int_eq(run(&state, json_array(), T0 + 2 * HOUR, 0, "u",
	    NULL), -1);
	ck_assert_ptr_nonnull(json_object_get(json_object_get(state,
	    "machines"), "u"));
	ck_assert_int_eq(run(&state, json_array(), T0 + 31 * 86400, 0, "u",
	    NULL), -1);
	ck_assert_ptr_null(json_object_get(json_object_get(state,
	    "machines"), "u"));
	/* Records without identity are skipped, not fatal. */
	v = json_array();
	json_array_append_new(v, json_pack("{s:i}", "disk_free_bytes", 1));
	json_array_append_new(v, json_string("junk"));
	ck_assert_int_eq(run(&state, v, T0, 0, "x", NULL), -1);
	json_decref(state);
}
END_TEST

START_TEST(hostkey)
{
	json_t *state = json_object(), *r;

	r = json_pack("{s:s,s:s,s:s}", "id", "k", "ip", "10.0.0.9", "probe",
	    "hostkey_mismatch");
	ck_assert_int_eq(run(&state, view1(json_deep_copy(r)), T0, 0, "k",
	    NULL), ALERT_HOSTKEY);
	ck_assert_int_eq(run(&state, view1(json_deep_copy(r)), T0 + HOUR, 0,
	    "k", NULL), -1);
	ck_assert_int_eq(run(&state, view1(mk("k", 100 * GB, 1, -1, 0)),
	    T0 + 2 * HOUR, 0, "k", NULL), -1);
	ck_assert_int_eq(run(&state, view1(json_deep_copy(r)), T0 + 3 * HOUR,
	    0, "k", NULL), ALERT_HOSTKEY);
	json_decref(r);
	json_decref(state);
}
END_TEST

START_TEST(duplicate_ids_and_order)
{
	struct alert_report r;
	struct ms_err e;
	json_t *v = json_array();

	json_array_append_new(v, mk("b", 12 * GB, 1, -1, 0));
	json_array_append_new(v, mk("a", 20 * GB, 1, -1, 0));
	json_array_append_new(v, mk("b", 4 * GB, 1, -1, 0));
	json_array_append_new(v, mk("c", -1, 1, -1, 0));
	ck_assert_int_eq(alert_evaluate(&conf, v, NULL, T0, 0, &r, &e), 0);
	ck_assert_int_eq((int)r.n, 3);
	ck_assert_str_eq(r.v[0].id, "b");
	ck_assert_int_eq((int)(r.v[0].free / GB), 4);
	ck_assert_str_eq(r.v[1].id, "a");
	ck_assert_str_eq(r.v[2].id, "c");
	alert_report_free(&r);
	json_decref(v);
	v = json_object();
	ck_assert_int_eq(alert_evaluate(&conf, v, NULL, T0, 0, &r, &e), -1);
	ck_assert_str_eq(e.msg, "the view is not a JSON array");
	json_decref(v);
}
END_TEST

static json_t *
hist(const long long *gb10, const long long *ago_h, size_t n)
{
	json_t *a = json_array();
	char buf[32];
	time_t t;
	size_t i;

	for (i = 0; i < n; i++) {
		struct tm tm;

		t = T0 - ago_h[i] * HOUR;
		gmtime_r(&t, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_array_append_new(a, json_pack("{s:s,s:I}", "t", buf,
		    "disk_free_bytes", (json_int_t)(gb10[i] * GB / 10)));
	}
	return a;
}

START_TEST(forecast)
{
	static const long long fall[] = { 200, 150, 100 };
	static const long long rise[] = { 100, 150, 200 };
	static const long long ago[] = { 48, 24, 0 };
	static const long long near[] = { 0, 0, 0 };
	json_t *h;
	double d;

	/* 5 GB a day lost, 10 GB left: 2 days. */
	h = hist(fall, ago, 3);
	d = alert_forecast(h, 10 * GB, T0);
	ck_assert(d > 1.99 && d < 2.01);
	json_decref(h);
	h = hist(rise, ago, 3);
	ck_assert(alert_forecast(h, 20 * GB, T0) < 0);
	json_decref(h);
	/* Too few points, or all at one instant. */
	h = hist(fall, ago, 2);
	ck_assert(alert_forecast(h, 10 * GB, T0) < 0);
	json_decref(h);
	h = hist(fall, near, 3);
	ck_assert(alert_forecast(h, 10 * GB, T0) < 0);
	json_decref(h);
	ck_assert(alert_forecast(NULL, 10 * GB, T0) < 0);
}
END_TEST

START_TEST(bytes_format)
{
	char b[32];

	ck_assert_str_eq(alert_fmt_bytes(4200000000LL, ALERT_FR, b,
	    sizeof(b)), "4,2 Go");
	ck_assert_str_eq(alert_fmt_bytes(4200000000LL, ALERT_EN, b,
	    sizeof(b)), "4.2 GB");
	ck_assert_str_eq(alert_fmt_bytes(12 * GB, ALERT_FR, b, sizeof(b)),
	    "12 Go");
	ck_assert_str_eq(alert_fmt_bytes(850000000LL, ALERT_EN, b,
	    sizeof(b)), "850 MB");
	ck_assert_str_eq(alert_fmt_bytes(9990000000LL, ALERT_EN, b,
	    sizeof(b)), "10 GB");
	ck_assert_str_eq(alert_fmt_bytes(9940000000LL, ALERT_EN, b,
	    sizeof(b)), "9.9 GB");
	ck_assert_str_eq(alert_fmt_bytes(0, ALERT_FR, b, sizeof(b)), "0 Mo");
	ck_assert_str_eq(alert_fmt_bytes(-1, ALERT_FR, b, sizeof(b)), "?");
	ck_assert_str_eq(alert_fmt_bytes(9223372036854775807LL, ALERT_EN, b,
	    sizeof(b)), "9223372036 GB");
}
END_TEST

static struct alert_report
report_of(json_t *v, json_t *state)
{
	struct alert_report r;
	struct ms_err e;

	ck_assert_int_eq(alert_evaluate(&conf, v, state, T0, 0, &r, &e), 0);
	return r;
}

START_TEST(subjects)
{
	struct alert_report r;
	json_t *v = json_array(), *st;
	char *s;

	json_array_append_new(v, mk("mac-bob", 12 * GB, 1, -1, 0));
	json_array_append_new(v, mk("mac-alice", 4200000000LL, 1, -1, 0));
	r = report_of(v, NULL);
	s = alert_subject(&r, ALERT_FR, NULL);
	ck_assert_str_eq(s, "[macscan] Disque critique : mac-alice (4,2 Go), "
	    "mac-bob (12 Go)");
	free(s);
	s = alert_subject(&r, ALERT_EN, NULL);
	ck_assert_str_eq(s, "[macscan] Disk critical: mac-alice (4.2 GB "
	    "left), mac-bob (12 GB left)");
	free(s);
	alert_report_free(&r);
	json_array_append_new(v, mk("mac-carl", 1 * GB, 1, -1, 0));
	json_array_append_new(v, mk("mac-dan", 2 * GB, 1, -1, 0));
	r = report_of(v, NULL);
	s = alert_subject(&r, ALERT_EN, NULL);
	ck_assert_str_eq(s, "[macscan] Disk critical: mac-carl (1.0 GB "
	    "left), mac-dan (2.0 GB left) and 2 more");
	free(s);
	s = alert_subject(&r, ALERT_FR, NULL);
	ck_assert_str_eq(s, "[macscan] Disque critique : mac-carl (1,0 Go), "
	    "mac-dan (2,0 Go) et 2 autres");
	free(s);
	alert_report_free(&r);
	json_decref(v);

	/* Resolved only; nothing at all. */
	v = view1(mk("Zoé", 40 * GB, 1, -1, 0));
	st = json_pack("{s:{s:{s:i,s:s}}}", "machines", "Zoé", "level", 1,
	    "sent_at", "2023-11-14T00:00:00Z");
	r = report_of(v, st);
	s = alert_subject(&r, ALERT_FR, NULL);
	ck_assert_str_eq(s, "[macscan] Résolu : Zoé (40 Go libres)");
	free(s);
	alert_report_free(&r);
	r = report_of(v, NULL);
	s = alert_subject(&r, ALERT_EN, "[test]");
	ck_assert_str_eq(s, "[test] Nothing to report (1 machine)");
	free(s);
	alert_report_free(&r);
	json_decref(st);
	json_decref(v);
}
END_TEST

START_TEST(names_cleaned)
{
	struct alert_report r;
	json_t *v, *rec;
	char *s;

	rec = mk("x", 5 * GB, 1, -1, 0);
	json_object_set_new(rec, "computer_name",
	    json_string("evil\r\nBcc: victim@example.com\r\n"));
	v = view1(rec);
	r = report_of(v, NULL);
	ck_assert_str_eq(r.v[0].name, "evil  Bcc: victim@example.com");
	s = alert_subject(&r, ALERT_EN, NULL);
	ck_assert_ptr_null(strpbrk(s, "\r\n"));
	free(s);
	alert_report_free(&r);
	json_decref(v);
}
END_TEST

static char *
render(const char *t, const json_t *ctx, int html, struct ms_err *e)
{
	struct ms_buf b = { 0 };

	if (alert_render(&b, t, strlen(t), "t", ctx, html, e) == -1) {
		ms_buf_free(&b);
		return NULL;
	}
	return ms_buf_steal(&b, NULL);
}

START_TEST(templates)
{
	struct ms_err e;
	json_t *ctx;
	char *s;

	ctx = json_pack("{s:s,s:[{s:s},{s:s}],s:[],s:b,s:i,s:s}", "name",
	    "<b>&\"'", "list", "n", "a", "n", "b<", "empty", "yes", 1,
	    "num", 42, "ctl", "a\r\nb");
	s = render("x{{name}}y", ctx, 1, &e);
	ck_assert_str_eq(s, "x&lt;b&gt;&amp;&quot;&#39;y");
	free(s);
	s = render("{{ name }}|{{num}}|{{missing}}|{{ctl}}", ctx, 0, &e);
	ck_assert_str_eq(s, "<b>&\"'|42||a  b");
	free(s);
	s = render("{{#list}}[{{n}}{{num}}]{{/list}}", ctx, 1, &e);
	ck_assert_str_eq(s, "[a42][b&lt;42]");
	free(s);
	s = render("{{#empty}}E{{/empty}}{{^empty}}none{{/empty}}"
	    "{{#yes}}Y{{/yes}}{{^yes}}N{{/yes}}{{! gone }}", ctx, 0, &e);
	ck_assert_str_eq(s, "noneY");
	free(s);
	/* Block tags alone on their line take the line along. */
	s = render("a\n  {{#list}}\n- {{n}}\n  {{/list}}\nb\n{{! c }}\n", ctx,
	    0, &e);
	ck_assert_str_eq(s, "a\n- a\n- b<\nb\n");
	free(s);
	ck_assert_ptr_null(render("{{#list}}x", ctx, 0, &e));
	ck_assert_str_eq(e.msg, "t:1: unclosed section 'list'");
	ck_assert_ptr_null(render("a\n{{#a}}{{#b}}\n{{/a}}", ctx, 0, &e));
	ck_assert_str_eq(e.msg, "t:3: '{{/a}}' closes 'b' opened on line 2");
	ck_assert_ptr_null(render("{{/a}}", ctx, 0, &e));
	ck_assert_str_eq(e.msg, "t:1: '{{/a}}' closes no section");
	ck_assert_ptr_null(render("x\n{{name", ctx, 0, &e));
	ck_assert_str_eq(e.msg, "t:2: '{{' without '}}'");
	ck_assert_ptr_null(render("{{{name}}}", ctx, 0, &e));
	ck_assert_ptr_null(render("{{&name}}", ctx, 0, &e));
	ck_assert_ptr_null(render("{{}}", ctx, 0, &e));
	ck_assert_int_eq(alert_template_check("\xff", 1, "t", &e), -1);
	json_decref(ctx);
}
END_TEST

START_TEST(context)
{
	struct alert_report r;
	json_t *v = json_array(), *ctx, *d;
	struct ms_err e;
	struct ms_buf b = { 0 };

	json_array_append_new(v, mk("<script>", 4 * GB, 1, 100, 1));
	json_array_append_new(v, mk("orange", 20 * GB, 1, 10, 0));
	json_array_append_new(v, mk("fine", 200 * GB, 1, -1, 0));
	r = report_of(v, NULL);
	ctx = alert_context(&conf, &r, ALERT_EN, "subj", 0);
	ck_assert_ptr_nonnull(ctx);
	d = json_object_get(ctx, "disks");
	ck_assert_int_eq((int)json_array_size(d), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(d, 0), "free")), "4.0 GB");
	ck_assert(json_is_true(json_object_get(json_array_get(d, 0),
	    "critical")));
	ck_assert(json_is_true(json_object_get(json_array_get(d, 1),
	    "warn")));
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(d, 0), "status")), "new");
	ck_assert_int_eq((int)json_array_size(json_object_get(ctx,
	    "battery_full")), 1);
	ck_assert_int_eq((int)json_array_size(json_object_get(ctx,
	    "battery_low")), 1);
	ck_assert_int_eq((int)json_integer_value(json_object_get(ctx,
	    "ncritical")), 1);
	ck_assert_int_eq((int)json_integer_value(json_object_get(ctx,
	    "nwarn")), 1);
	/* The built-in style of template escapes the name. */
	ck_assert_int_eq(alert_render(&b, "{{#disks}}<td>{{name}}</td>"
	    "{{/disks}}", 37, "t", ctx, 1, &e), 0);
	ck_assert_str_eq(b.data, "<td>&lt;script&gt;</td><td>orange</td>");
	ms_buf_free(&b);
	json_decref(ctx);
	alert_report_free(&r);
	json_decref(v);
}
END_TEST

/* MIME. */

static int
lines_ok(const char *s, size_t max)
{
	const char *p = s, *nl;

	while ((nl = strstr(p, "\r\n")) != NULL) {
		if ((size_t)(nl - p) > max)
			return 0;
		if (memchr(p, '\n', (size_t)(nl - p)) != NULL ||
		    memchr(p, '\r', (size_t)(nl - p)) != NULL)
			return 0;
		p = nl + 2;
	}
	return *p == '\0';
}

static char *
header_value(const char *h)
{
	const char *c = strchr(h, ':');
	struct ms_err e;
	char *v;
	size_t n = strlen(c + 1);

	/* Without the final CRLF. */
	ck_assert(n >= 2);
	v = mime_header_decode(c + 1, n - 2, &e);
	ck_assert_ptr_nonnull(v);
	return v;
}

START_TEST(rfc2047)
{
	struct ms_buf b = { 0 };
	const char *subj = "[macscan] Disque critique : MacBook de Zoé "
	    "(4,2 Go), mac-bob (12 Go)";
	char *v, *p;

	ck_assert_int_eq(mime_header(&b, "Subject", subj), 0);
	ck_assert_str_eq(b.data, "Subject: =?UTF-8?Q?=5Bmacscan=5D_Disque_"
	    "critique_=3A_MacBook_de_Zo=C3=A9_=28?=\r\n"
	    " =?UTF-8?Q?4=2C2_Go=29=2C_mac-bob_=2812_Go=29?=\r\n");
	ck_assert(lines_ok(b.data, MIME_LINE_MAX));
	v = header_value(b.data);
	ck_assert_str_eq(v, subj);
	free(v);
	ms_buf_reset(&b);

	/* Plain ASCII stays readable and folds at blanks. */
	ck_assert_int_eq(mime_header(&b, "Subject", "[macscan] Disk critical: "
	    "mac-alice (4.2 GB left), mac-bob (12 GB left) and 1 more"), 0);
	ck_assert_str_eq(b.data, "Subject: [macscan] Disk critical: mac-alice "
	    "(4.2 GB left), mac-bob (12 GB\r\n left) and 1 more\r\n");
	ms_buf_reset(&b);

	/* Long text of 2- and 3-byte characters: words <= 75 and cut on
	 * character boundaries. */
	ck_assert_int_eq(mime_header(&b, "Subject", "ééééééééééééééééééééé"
	    "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€ àéîõü"), 0);
	ck_assert(lines_ok(b.data, MIME_LINE_MAX));
	for (p = b.data; (p = strstr(p, "=?")) != NULL; ) {
		char *q = strstr(p, "?=");
		const char *w;

		ck_assert_ptr_nonnull(q);
		ck_assert((size_t)(q + 2 - p) <= MIME_WORD_MAX);
		/* A word never ends inside a character: its last byte is
		 * not a lead byte or continuation left open. */
		w = q - 3;
		if (w[0] == '=')
			ck_assert(!(strtol(w + 1, NULL, 16) >= 0xc0));
		p = q + 2;
	}
	v = header_value(b.data);
	ck_assert_str_eq(v, "ééééééééééééééééééééé"
	    "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€ àéîõü");
	free(v);
	ms_buf_reset(&b);

	/* Text that looks like an encoded word is encoded itself. */
	ck_assert_int_eq(mime_header(&b, "Subject", "=?UTF-8?Q?x?="), 0);
	v = header_value(b.data);
	ck_assert_str_eq(v, "=?UTF-8?Q?x?=");
	free(v);
	ms_buf_free(&b);

	/* Decoding B words and blanks between words. */
	v = mime_header_decode(" =?utf-8?B?w6k=?= =?UTF-8?Q?a_b?= c", 35,
	    NULL);
	ck_assert_str_eq(v, "éa b c");
	free(v);
}
END_TEST

START_TEST(injection)
{
	struct ms_buf b = { 0 };
	char *v;

	ck_assert_int_eq(mime_header(&b, "Subject", "x\r\nBcc: a@b.c\nTo: "
	    "d@e.f\r\n\r\nbody"), 0);
	ck_assert_str_eq(b.data, "Subject: x  Bcc: a@b.c To: d@e.f    body"
	    "\r\n");
	ms_buf_reset(&b);
	/* Non-ASCII with line breaks, tabs, NUL-free controls, U+2028,
	 * a bidi override and invalid UTF-8. */
	ck_assert_int_eq(mime_header(&b, "Subject", "é\r\nBcc: x\x01\x7f"
	    "\xc2\x85\xe2\x80\xa8\xe2\x80\xae\xff"), 0);
	ck_assert(lines_ok(b.data, MIME_LINE_MAX));
	ck_assert_ptr_null(strstr(b.data, "\r\nBcc"));
	v = header_value(b.data);
	ck_assert_str_eq(v, "é  Bcc: x     \xef\xbf\xbd");
	free(v);
	ms_buf_reset(&b);
	v = mime_clean("a\tb\nc", 5);
	ck_assert_str_eq(v, "a b c");
	free(v);
	ms_buf_free(&b);
}
END_TEST

START_TEST(qp)
{
	struct ms_buf b = { 0 };
	struct ms_err e;
	char *d, line[300];
	size_t n, i;

	ck_assert_int_eq(mime_qp(&b, "Café = bon \n.dot\nFrom me\ttab\t\n",
	    31), 0);
	ck_assert_str_eq(b.data, "Caf=C3=A9 =3D bon=20\r\n=2Edot\r\n"
	    "=46rom me\ttab=09\r\n");
	d = mime_qp_decode(b.data, b.len, &n, &e);
	ck_assert_str_eq(d, "Café = bon \n.dot\nFrom me\ttab\t\n");
	free(d);
	ms_buf_reset(&b);
	/* Long lines break softly at 76. */
	for (i = 0; i < sizeof(line) - 1; i++)
		line[i] = i % 7 == 0 ? '=' : i % 5 == 0 ? '.' : 'x';
	line[sizeof(line) - 1] = '\0';
	ck_assert_int_eq(mime_qp(&b, line, strlen(line)), 0);
	ck_assert(lines_ok(b.data, MIME_QP_MAX));
	d = mime_qp_decode(b.data, b.len, &n, &e);
	ck_assert_uint_eq(n, strlen(line) + 1);
	ck_assert_int_eq(memcmp(d, line, n - 1), 0);
	ck_assert_int_eq(d[n - 1], '\n');
	free(d);
	ms_buf_free(&b);
	ck_assert_ptr_null(mime_qp_decode("a=4", 3, &n, &e));
}
END_TEST

START_TEST(addresses)
{
	struct ms_err e;
	char **v;
	size_t n;

	ck_assert(mime_addr_valid("it@example.com"));
	ck_assert(mime_addr_valid("first.last+tag@sub.example.co"));
	ck_assert(mime_addr_valid("root@localhost"));
	ck_assert(!mime_addr_valid("it@example.com\r\nBcc: x@y"));
	ck_assert(!mime_addr_valid("Name <it@example.com>"));
	ck_assert(!mime_addr_valid("a..b@example.com"));
	ck_assert(!mime_addr_valid("a@-example.com"));
	ck_assert(!mime_addr_valid("a@example..com"));
	ck_assert(!mime_addr_valid("@example.com"));
	ck_assert(!mime_addr_valid("a b@example.com"));
	ck_assert(!mime_addr_valid("é@example.com"));
	ck_assert_int_eq(mime_addr_list(" a@x.org, b@y.org ,,c@z.org", &v, &n,
	    &e), 0);
	ck_assert_int_eq((int)n, 3);
	ck_assert_str_eq(v[1], "b@y.org");
	mime_addrs_free(v, n);
	ck_assert_int_eq(mime_addr_list("a@x.org, bad\nx", &v, &n, &e), -1);
	ck_assert_str_eq(e.msg, "not a plain address: 'bad x' (expected "
	    "user@example.com)");
	ck_assert_int_eq(mime_addr_list(" , ", &v, &n, &e), -1);
}
END_TEST

START_TEST(message)
{
	static const char *to[] = { "it@example.com", "boss@example.org" };
	struct ms_buf b = { 0 };
	struct ms_err e;
	struct mime_msg m;
	unsigned char rnd[4] = { 0xde, 0xad, 0xbe, 0xef };
	char id[128];
	const char *expect;

	ck_assert_int_eq(mime_message_id(id, sizeof(id), T0, rnd, 4,
	    "example.com"), 0);
	ck_assert_str_eq(id, "<20231114T221320Z.deadbeef@example.com>");
	ck_assert_int_eq(mime_message_id(id, 10, T0, rnd, 4, "example.com"),
	    -1);
	memset(&m, 0, sizeof(m));
	m.date = T0;
	m.from = "macscan@example.com";
	m.from_name = "macscan";
	m.to = (char *const *)to;
	m.nto = 2;
	m.subject = "[macscan] Résolu : mac-alice (45 Go libres)";
	m.message_id = id;
	m.boundary = "=_b";
	m.text = "Texte\n";
	m.text_len = 6;
	m.html = "<p>é</p>";
	m.html_len = strlen(m.html);
	ck_assert_int_eq(mime_message_id(id, sizeof(id), T0, rnd, 4,
	    "example.com"), 0);
	ck_assert_int_eq(mime_build(&b, &m, &e), 0);
	expect = "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	    "From: \"macscan\" <macscan@example.com>\r\n"
	    "To: it@example.com, boss@example.org\r\n"
	    "Subject: =?UTF-8?Q?=5Bmacscan=5D_R=C3=A9solu_=3A_mac-alice_=2845_"
	    "Go_libres?=\r\n =?UTF-8?Q?=29?=\r\n"
	    "Message-ID: <20231114T221320Z.deadbeef@example.com>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative;\r\n boundary=\"=_b\"\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "\r\n"
	    "This is a MIME message: your mail reader shows one of its parts."
	    "\r\n\r\n"
	    "--=_b\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "Texte\r\n"
	    "--=_b\r\n"
	    "Content-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "<p>=C3=A9</p>\r\n"
	    "--=_b--\r\n";
	ck_assert_str_eq(b.data, expect);
	ck_assert(lines_ok(b.data, MIME_LINE_MAX));
	ms_buf_reset(&b);
	/* No recipients (a preview); a display name to encode. */
	m.nto = 0;
	m.from_name = "Parc de Mac – Zoé";
	ck_assert_int_eq(mime_build(&b, &m, &e), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "\r\nTo: undisclosed-recipients:;"
	    "\r\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "\r\nFrom: =?UTF-8?Q?Parc_de_Mac_"
	    "=E2=80=93_Zo=C3=A9?= <macscan@example.com>\r\n"));
	ms_buf_reset(&b);
	/* Bad input is refused. */
	m.from = "x\r\n@y";
	ck_assert_int_eq(mime_build(&b, &m, &e), -1);
	m.from = "macscan@example.com";
	m.boundary = "a\"b";
	ck_assert_int_eq(mime_build(&b, &m, &e), -1);
	m.boundary = "=_b";
	m.text = "\xff";
	m.text_len = 1;
	ck_assert_int_eq(mime_build(&b, &m, &e), -1);
	ms_buf_free(&b);
}
END_TEST

/*
 * A non-C locale: fr_FR.UTF-8 if the system has it, else one built with
 * localedef into a temporary directory (LOCPATH). 1 if set.
 */
static int
french_locale(char *dir, size_t len)
{
	char cmd[512];

	dir[0] = '\0';
	if (setlocale(LC_ALL, "fr_FR.UTF-8") != NULL)
		return 1;
	snprintf(dir, len, "%s/check_alert.XXXXXX", getenv("TMPDIR") != NULL ?
	    getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 0;
	snprintf(cmd, sizeof(cmd), "localedef -i fr_FR -f UTF-8 "
	    "%s/fr_FR.UTF-8 >/dev/null 2>&1", dir);
	if (system(cmd) != 0)
		return 0;
	setenv("LOCPATH", dir, 1);
	return setlocale(LC_ALL, "fr_FR.UTF-8") != NULL;
}

START_TEST(date_locale)
{
	char buf[MIME_DATE_LEN], loc[64], dir[256], cmd[300];
	struct tm tm;
	time_t t = T0;
	int have;

	have = french_locale(dir, sizeof(dir));
	if (have) {
		/* The locale is really in force: strftime says "mar.". */
		gmtime_r(&t, &tm);
		strftime(loc, sizeof(loc), "%a %b", &tm);
		ck_assert_str_ne(loc, "Tue Nov");
	} else
		fprintf(stderr, "check_alert: no French locale, the Date "
		    "is checked in C only\n");
	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_str_eq(mime_date(T0, buf), "Tue, 14 Nov 2023 22:13:20 +0000");
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	ck_assert_str_eq(mime_date(T0, buf), "Tue, 14 Nov 2023 23:13:20 +0100");
	ck_assert_str_eq(mime_date(1690000000, buf),
	    "Sat, 22 Jul 2023 06:26:40 +0200");
	setenv("TZ", "America/St_Johns", 1);
	tzset();
	ck_assert_str_eq(mime_date(T0, buf), "Tue, 14 Nov 2023 18:43:20 -0330");
	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_str_eq(mime_date(951782400, buf),
	    "Tue, 29 Feb 2000 00:00:00 +0000");
	setlocale(LC_ALL, "C");
	if (dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("alert");
	TCase *tc;

	tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, levels);
	tcase_add_test(tc, dedup_sequence);
	tcase_add_test(tc, hovering);
	tcase_add_test(tc, force);
	tcase_add_test(tc, offline);
	tcase_add_test(tc, unknown_and_absent);
	tcase_add_test(tc, hostkey);
	tcase_add_test(tc, duplicate_ids_and_order);
	tcase_add_test(tc, forecast);
	tcase_add_test(tc, bytes_format);
	tcase_add_test(tc, subjects);
	tcase_add_test(tc, names_cleaned);
	tcase_add_test(tc, templates);
	tcase_add_test(tc, context);
	suite_add_tcase(s, tc);
	tc = tcase_create("mime");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, rfc2047);
	tcase_add_test(tc, injection);
	tcase_add_test(tc, qp);
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, message);
	tcase_add_test(tc, date_locale);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
