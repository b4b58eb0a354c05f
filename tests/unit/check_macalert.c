/*
 * check_macalert.c - macalert's parts without I/O (cmd/macalert but its
 * main): the de-duplication over sequences of views for one channel
 * (evaluate.c), the posture rules' events, the state's versions, the
 * subject and the email's context (message.c), a record whose fields
 * cannot all be shown, and the chat payloads (chat.c) against
 * tests/unit/macalert/chat.json.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chat.h"
#include "embed.h"
#include "evaluate.h"
#include "fmt.h"
#include "message.h"
#include "mime.h"
#include "rfc3339.h"
#include "template.h"
#include "unit.h"

#define GB RULES_GB
#define T0 1700000000	/* 2023-11-14T22:13:20Z */
#define HOUR 3600

static struct rules_conf conf;
static json_t *fr, *en;		/* the words */

static void
setup(void)
{
	struct ms_err e;

	rules_conf_init(&conf, 15, 30, 30, 24);
	setenv("TZ", "UTC", 1);
	tzset();
	fr = alert_strings(MS_LANG_FR, &e);
	en = alert_strings(MS_LANG_EN, &e);
	ck_assert_ptr_nonnull(fr);
	ck_assert_ptr_nonnull(en);
}

static void
teardown(void)
{
	json_decref(fr);
	json_decref(en);
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

	ck_assert_int_eq(alert_evaluate(&conf, view, *state, now,
	    (force ? ALERT_FORCE : 0) | ALERT_SUMMARY, &r, &e), 0);
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
	ck_assert_int_eq(alert_evaluate(&conf, v, NULL, T0, ALERT_SUMMARY, &r, &e), 0);
	ck_assert_int_eq((int)r.n, 3);
	ck_assert_str_eq(r.v[0].id, "b");
	ck_assert_int_eq((int)(r.v[0].free / GB), 4);
	ck_assert_str_eq(r.v[1].id, "a");
	ck_assert_str_eq(r.v[2].id, "c");
	alert_report_free(&r);
	json_decref(v);
	v = json_object();
	ck_assert_int_eq(alert_evaluate(&conf, v, NULL, T0, ALERT_SUMMARY, &r, &e), -1);
	ck_assert_str_eq(e.msg, "the view is not a JSON array");
	json_decref(v);
}
END_TEST

/* A size as the messages write it (lib/fmt, FMT_BYTES_WHOLE). */
static const char *
sz(long long v, enum ms_lang lang)
{
	static char b[FMT_LEN];

	return fmt_bytes(v, lang, FMT_BYTES_WHOLE, b, sizeof(b));
}

START_TEST(bytes_format)
{
	ck_assert_str_eq(sz(4200000000LL, MS_LANG_FR), "4,2 Go");
	ck_assert_str_eq(sz(4200000000LL, MS_LANG_EN), "4.2 GB");
	ck_assert_str_eq(sz(12 * GB, MS_LANG_FR), "12 Go");
	ck_assert_str_eq(sz(850000000LL, MS_LANG_EN), "850 MB");
	ck_assert_str_eq(sz(9990000000LL, MS_LANG_EN), "10 GB");
	ck_assert_str_eq(sz(9940000000LL, MS_LANG_EN), "9.9 GB");
	ck_assert_str_eq(sz(0, MS_LANG_FR), "0 Mo");
	ck_assert_str_eq(sz(-1, MS_LANG_FR), "?");
	/* Rounded, without overflow (the old formatter cut the decimals
	 * off above 10^18 bytes: 9223372036). */
	ck_assert_str_eq(sz(9223372036854775807LL, MS_LANG_EN),
	    "9223372037 GB");
}
END_TEST

static struct alert_report
report_of(json_t *v, json_t *state)
{
	struct alert_report r;
	struct ms_err e;

	ck_assert_int_eq(alert_evaluate(&conf, v, state, T0, ALERT_SUMMARY, &r, &e), 0);
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
	s = alert_subject(&r, fr, MS_LANG_FR, NULL);
	ck_assert_str_eq(s, "[macscan] Disque critique : mac-alice (4,2 Go), "
	    "mac-bob (12 Go)");
	free(s);
	s = alert_subject(&r, en, MS_LANG_EN, NULL);
	ck_assert_str_eq(s, "[macscan] Disk critical: mac-alice (4.2 GB "
	    "left), mac-bob (12 GB left)");
	free(s);
	alert_report_free(&r);
	json_array_append_new(v, mk("mac-carl", 1 * GB, 1, -1, 0));
	json_array_append_new(v, mk("mac-dan", 2 * GB, 1, -1, 0));
	r = report_of(v, NULL);
	s = alert_subject(&r, en, MS_LANG_EN, NULL);
	ck_assert_str_eq(s, "[macscan] Disk critical: mac-carl (1.0 GB "
	    "left), mac-dan (2.0 GB left) and 2 more");
	free(s);
	s = alert_subject(&r, fr, MS_LANG_FR, NULL);
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
	s = alert_subject(&r, fr, MS_LANG_FR, NULL);
	ck_assert_str_eq(s, "[macscan] Résolu : Zoé (40 Go libres)");
	free(s);
	alert_report_free(&r);
	r = report_of(v, NULL);
	s = alert_subject(&r, en, MS_LANG_EN, "[test]");
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
	/* The one display name (lib/fmt) shows what was there as U+FFFD. */
	ck_assert_str_eq(r.v[0].name, "evil\xef\xbf\xbd\xef\xbf\xbd"
	    "Bcc: victim@example.com\xef\xbf\xbd\xef\xbf\xbd");
	s = alert_subject(&r, en, MS_LANG_EN, NULL);
	ck_assert_ptr_null(strpbrk(s, "\r\n"));
	free(s);
	alert_report_free(&r);
	json_decref(v);
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
	ctx = alert_context(&conf, &r, en, MS_LANG_EN, "subj", 0);
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
	ck_assert_int_eq(template_render(&b, "{{#disks}}<td>{{name}}</td>"
	    "{{/disks}}", 37, "t", ctx, NULL, TMPL_HTML, &e), 0);
	ck_assert_str_eq(b.data, "<td>&lt;script&gt;</td><td>orange</td>");
	ms_buf_free(&b);
	json_decref(ctx);
	alert_report_free(&r);
	json_decref(v);
}
END_TEST

/* One run of a channel without summaries (Slack, Teams, webhook). */
static struct alert_report
chat_run(json_t **state, json_t *view, time_t now)
{
	struct alert_report r;
	struct ms_err e;

	ck_assert_int_eq(alert_evaluate(&conf, view, *state, now, 0, &r, &e),
	    0);
	if (r.due || r.kept_changed) {
		json_decref(*state);
		*state = json_incref(r.due ? r.state_sent : r.state_kept);
	}
	return r;
}

/* A record of id with the posture field key set to value (a JSON
 * string, or NULL for none). */
static json_t *
posture_rec(const char *id, const char *key, const char *value, int online)
{
	json_t *r = mk(id, 100 * GB, online, -1, 0);

	if (value != NULL)
		json_object_set_new(r, key, json_string(value));
	return r;
}

/* The rule events of the only machine of a run: new|repeat|resolved as
 * 1|2|4 for rule r, -1 when nothing is due. */
static int
rule_events(json_t **state, json_t *rec, time_t now, int r)
{
	struct alert_report rep;
	json_t *v = view1(rec);
	int ev = 0;

	rep = chat_run(state, v, now);
	if (rep.due) {
		ev |= (rep.v[0].rule_new & RULE_BIT(r)) ? 1 : 0;
		ev |= (rep.v[0].rule_repeat & RULE_BIT(r)) ? 2 : 0;
		ev |= (rep.v[0].rule_resolved & RULE_BIT(r)) ? 4 : 0;
	} else {
		ev = -1;
	}
	alert_report_free(&rep);
	json_decref(v);
	return ev;
}

START_TEST(posture_events)
{
	json_t *st = json_object();
	const int FV = RULE_FILEVAULT_OFF, SM = RULE_SMART_FAILING;

	/* A warning rule: news once, never repeated, resolved once. */
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "filevault", "on",
	    1), T0, FV), -1);
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "filevault", "off",
	    1), T0 + HOUR, FV), 1);
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "filevault", "off",
	    1), T0 + 2 * HOUR, FV), -1);
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "filevault", "off",
	    1), T0 + 48 * HOUR, FV), -1);
	/* Unknown (a failed probe) and offline: left as they are. */
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "filevault", NULL,
	    1), T0 + 49 * HOUR, FV), -1);
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "filevault", "on",
	    0), T0 + 50 * HOUR, FV), -1);
	ck_assert_ptr_nonnull(json_object_get(json_object_get(json_object_get(
	    json_object_get(st, "machines"), "p"), "rules"), "filevault_off"));
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "filevault",
	    "deferred", 1), T0 + 51 * HOUR, FV), -1);
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "filevault", "on",
	    1), T0 + 52 * HOUR, FV), 4);
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "filevault", "on",
	    1), T0 + 53 * HOUR, FV), -1);
	ck_assert_int_eq((int)json_object_size(json_object_get(st,
	    "machines")), 0);
	/* A critical rule: repeated after ALERT_REPEAT_HOURS. */
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "disk_smart",
	    "failing", 1), T0, SM), 1);
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "disk_smart",
	    "failing", 1), T0 + 23 * HOUR, SM), -1);
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "disk_smart",
	    "failing", 1), T0 + 24 * HOUR, SM), 2);
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "disk_smart",
	    "failing", 1), T0 + 25 * HOUR, SM), -1);
	/* Turned off in the configuration: forgotten without a word. */
	conf.enabled &= ~RULE_BIT(SM);
	ck_assert_int_eq(rule_events(&st, posture_rec("p", "disk_smart",
	    "failing", 1), T0 + 26 * HOUR, SM), -1);
	ck_assert_int_eq((int)json_object_size(json_object_get(st,
	    "machines")), 0);
	conf.enabled |= RULE_BIT(SM);
	json_decref(st);
}
END_TEST

/* The disk events of machine id in one run of a channel. */
static int
disk_events(json_t **st, json_t *view, time_t now, int flags,
    const char *id)
{
	struct alert_report r;
	struct ms_err e;
	size_t i;
	int ev = 0;

	ck_assert_int_eq(alert_evaluate(&conf, view, *st, now, flags, &r, &e),
	    0);
	for (i = 0; i < r.n; i++)
		if (strcmp(r.v[i].id, id) == 0)
			ev = r.v[i].events;
	if (r.due) {
		json_decref(*st);
		*st = json_incref(r.state_sent);
	}
	alert_report_free(&r);
	return ev;
}

START_TEST(summary_and_events)
{
	json_t *mail = json_object(), *chat = json_object(), *v;

	/* a critical at T0: both channels told. */
	v = view1(mk("a", 10 * GB, 1, -1, 0));
	ck_assert_int_eq(disk_events(&mail, v, T0, ALERT_SUMMARY, "a"),
	    ALERT_NEW);
	ck_assert_int_eq(disk_events(&chat, v, T0, 0, "a"), ALERT_NEW);
	json_decref(v);
	/* b at T0 + 10 h: the email lists a again, Slack only says b. */
	v = json_array();
	json_array_append_new(v, mk("a", 10 * GB, 1, -1, 0));
	json_array_append_new(v, mk("b", 5 * GB, 1, -1, 0));
	ck_assert_int_eq(disk_events(&mail, v, T0 + 10 * HOUR, ALERT_SUMMARY,
	    "b"), ALERT_NEW);
	ck_assert_int_eq(disk_events(&chat, v, T0 + 10 * HOUR, 0, "b"),
	    ALERT_NEW);
	/* At T0 + 24 h a is due again on Slack, not in the email. */
	ck_assert_int_eq(disk_events(&mail, v, T0 + 24 * HOUR, ALERT_SUMMARY,
	    "a"), 0);
	ck_assert_int_eq(disk_events(&chat, v, T0 + 24 * HOUR, 0, "a"),
	    ALERT_REPEAT);
	ck_assert_int_eq(disk_events(&mail, v, T0 + 34 * HOUR, ALERT_SUMMARY,
	    "a"), ALERT_REPEAT);
	json_decref(v);
	json_decref(mail);
	json_decref(chat);
}
END_TEST

START_TEST(state_versions)
{
	json_t *v1, *v2, *st;

	v1 = json_pack("{s:i,s:s,s:{s:{s:i}}}", "version", 1, "last_sent",
	    "2023-11-14T00:00:00Z", "machines", "a", "level", 2);
	ck_assert_ptr_eq(alert_state_channel(v1, "email"), v1);
	ck_assert_ptr_null(alert_state_channel(v1, "slack"));
	ck_assert_ptr_null(alert_state_channel(NULL, "email"));
	st = json_object();
	ck_assert_ptr_null(alert_state_channel(st, "email"));
	v2 = alert_state_v2(st);
	ck_assert_int_eq((int)json_integer_value(json_object_get(v2,
	    "version")), 2);
	ck_assert_int_eq((int)json_object_size(json_object_get(v2,
	    "channels")), 0);
	json_decref(v2);
	json_decref(st);
	/* Version 1 becomes the email channel's state. */
	v2 = alert_state_v2(v1);
	ck_assert_int_eq((int)json_integer_value(json_object_get(v2,
	    "version")), 2);
	st = json_object_get(json_object_get(v2, "channels"), "email");
	ck_assert_int_eq((int)json_integer_value(json_object_get(
	    json_object_get(json_object_get(st, "machines"), "a"), "level")),
	    2);
	ck_assert_ptr_null(json_object_get(st, "version"));
	ck_assert_ptr_eq(alert_state_channel(v2, "email"), st);
	ck_assert_ptr_null(alert_state_channel(v2, "teams"));
	ck_assert_int_eq(alert_state_put(v2, "slack", json_pack("{s:{}}",
	    "machines")), 0);
	ck_assert_ptr_nonnull(alert_state_channel(v2, "slack"));
	/* Channels it does not know, and "seen", are carried over. */
	ck_assert_int_eq(alert_state_put(v2, "pager", json_object()), 0);
	json_object_set_new(v2, "seen", json_object());
	st = alert_state_v2(v2);
	ck_assert(json_equal(st, v2));
	json_decref(st);
	json_decref(v2);
	json_decref(v1);
}
END_TEST

START_TEST(offline_days)
{
	json_t *st = json_object(), *seen, *v, *full;
	struct alert_report r;
	struct ms_err e;

	conf.offline_days = 7;
	conf.enabled |= RULE_BIT(RULE_OFFLINE);
	/* Seen at T0, then gone from the view (its snapshots pruned). */
	v = view1(mk("o", 100 * GB, 1, -1, 0));
	json_object_set_new(json_array_get(v, 0), "last_seen",
	    json_string("2023-11-14T22:13:20Z"));
	full = json_pack("{s:o}", "seen", alert_seen_update(NULL, v, T0,
	    8 * 86400));
	json_decref(v);
	v = json_array();
	seen = alert_seen_update(full, v, T0 + 7 * 86400, 37 * 86400);
	ck_assert_int_eq(alert_view_add_seen(v, seen), 0);
	ck_assert_int_eq((int)json_array_size(v), 1);
	/* Exactly 7 days: not yet. */
	r = chat_run(&st, v, T0 + 7 * 86400);
	ck_assert_int_eq(r.due, 0);
	alert_report_free(&r);
	r = chat_run(&st, v, T0 + 7 * 86400 + 1);
	ck_assert_int_eq(r.due, 1);
	ck_assert_str_eq(r.v[0].name, "o");
	ck_assert_uint_eq(r.v[0].rule_new, RULE_BIT(RULE_OFFLINE));
	alert_report_free(&r);
	r = chat_run(&st, v, T0 + 8 * 86400);
	ck_assert_int_eq(r.due, 0);
	alert_report_free(&r);
	json_decref(v);
	/* Back: resolved once. */
	v = view1(mk("o", 100 * GB, 1, -1, 0));
	r = chat_run(&st, v, T0 + 9 * 86400);
	ck_assert_uint_eq(r.v[0].rule_resolved, RULE_BIT(RULE_OFFLINE));
	alert_report_free(&r);
	ck_assert_int_eq(alert_evaluate(&conf, v, st, T0 + 9 * 86400 + 60, 0,
	    &r, &e), 0);
	ck_assert_int_eq(r.due, 0);
	alert_report_free(&r);
	json_decref(v);
	json_decref(seen);
	json_decref(full);
	json_decref(st);
}
END_TEST

/* os_version of 120 '1's then "éééé", 20 GB free: the cut "macOS ..."
 * once split a character and stopped every email. */
START_TEST(field_cut)
{
	struct alert_report r;
	struct ms_buf b = { 0 };
	struct ms_err e;
	json_t *v, *rec, *ctx, *d, *it;
	char os[256], want[256];
	size_t i;
	char *s;

	memset(os, '1', 120);
	strcpy(os + 120, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	rec = mk("long", 20 * GB, 1, -1, 0);
	json_object_set_new(rec, "os_version", json_string(os));
	v = json_array();
	json_array_append_new(v, rec);
	json_array_append_new(v, mk("crit", 2 * GB, 1, -1, 0));
	r = report_of(v, NULL);
	ctx = alert_context(&conf, &r, fr, MS_LANG_FR, "s", 0);
	ck_assert_ptr_nonnull(ctx);
	d = json_object_get(ctx, "disks");
	ck_assert_int_eq((int)json_array_size(d), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d,
	    0), "name")), "crit");
	it = json_array_get(d, 1);
	/* Cut at 128 bytes, after a whole character. */
	snprintf(want, sizeof(want), "macOS %.*s\xc3\xa9", 120, os);
	ck_assert_str_eq(json_string_value(json_object_get(it, "os")), want);
	ck_assert_uint_eq(strlen(want), ALERT_FIELD_MAX);
	/* Both templates render, and so does the message. */
	for (i = 0; i < 2; i++) {
		const char *t = embed_get(i ? "mail/alert.html" :
		    "mail/alert.txt", NULL);

		ck_assert_int_eq(template_render(&b, t, strlen(t), "t", ctx,
		    fr, i ? TMPL_HTML : TMPL_TEXT, &e), 0);
	}
	ck_assert(ms_utf8_valid(b.data, b.len));
	ck_assert_ptr_nonnull(strstr(b.data, "crit"));
	s = alert_subject(&r, fr, MS_LANG_FR, NULL);
	ck_assert_str_eq(s, "[macscan] Disque critique : crit (2,0 Go)");
	free(s);
	ms_buf_free(&b);
	json_decref(ctx);
	alert_report_free(&r);
	json_decref(v);
}
END_TEST

/* The path to a file of tests/unit/macalert. */
static void
fixture(char *path, size_t len, const char *name)
{
	const char *d = getenv("MACSCAN_SRCDIR");

	snprintf(path, len, "%s/tests/unit/macalert/%s", d != NULL && *d !=
	    '\0' ? d : ".", name);
}

/* got must equal the fixture's expect.key; else the actual value is
 * written beside the build for a look. */
static void
same(const json_t *doc, const char *key, json_t *got)
{
	json_t *want = json_object_get(json_object_get(doc, "expect"), key);
	char *g;

	if (want != NULL && json_equal(want, got))
		return;
	g = json_dumps(got, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	ck_abort_msg("%s differs from chat.json; actual:\n%s", key, g);
}

/* Every string of a JSON value, for property checks. */
static void
all_strings(const json_t *v, struct ms_buf *b)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v)) {
		ms_buf_puts(b, json_string_value(v));
		ms_buf_puts(b, "\n");
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			all_strings(x, b);
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
			all_strings(x, b);
	}
}

START_TEST(chat_payloads)
{
	struct chat_meta meta = { 0, "scanner.example", MS_LANG_EN, 0 };
	char path[PATH_MAX];
	struct alert_report r;
	struct ms_buf b = { 0 };
	struct ms_err e;
	json_t *doc, *ev, *p, *blk, *x;
	json_error_t je;
	size_t i;

	fixture(path, sizeof(path), "chat.json");
	doc = json_load_file(path, 0, &je);
	ck_assert_msg(doc != NULL, "%s:%d: %s", path, je.line, je.text);
	ck_assert_int_eq(rfc3339_parse(json_string_value(json_object_get(doc,
	    "now")), &meta.now, NULL), 0);
	ck_assert_int_eq(alert_evaluate(&conf, json_object_get(doc, "view"),
	    json_object_get(doc, "state"), meta.now, 0, &r, &e), 0);
	ev = chat_events(&conf, &r, en, MS_LANG_EN, 0);
	same(doc, "events", ev);
	p = chat_generic(ev, &meta);
	same(doc, "generic", p);
	json_decref(p);
	/* Slack: only plain_text, within Block Kit's limits, & < > as
	 * entities. */
	p = chat_slack(ev, en, &meta);
	same(doc, "slack", p);
	ck_assert(json_is_false(json_object_get(p, "mrkdwn")));
	ck_assert(json_array_size(json_object_get(p, "blocks")) <=
	    SLACK_BLOCKS_MAX);
	json_array_foreach(json_object_get(p, "blocks"), i, blk) {
		x = json_object_get(blk, "text");
		if (x == NULL)
			x = json_array_get(json_object_get(blk, "elements"),
			    0);
		ck_assert_str_eq(json_string_value(json_object_get(x,
		    "type")), "plain_text");
	}
	all_strings(p, &b);
	ck_assert_ptr_null(strstr(b.data, "<!channel>"));
	ck_assert_ptr_nonnull(strstr(b.data, "&lt;!channel&gt; *b* [x](http://e.vil) @here"));
	ms_buf_reset(&b);
	json_decref(p);
	/* Teams: a name only ever in a TextRun. */
	p = chat_teams(ev, en, &meta);
	same(doc, "teams", p);
	json_array_foreach(json_object_get(json_object_get(json_array_get(
	    json_object_get(p, "attachments"), 0), "content"), "body"), i,
	    blk) {
		const char *t = json_string_value(json_object_get(blk, "type"));

		if (strcmp(t, "TextBlock") == 0)
			ck_assert_ptr_null(strstr(json_string_value(
			    json_object_get(blk, "text")), "channel"));
		else
			ck_assert_str_eq(t, "RichTextBlock");
	}
	json_decref(p);
	ms_buf_free(&b);
	json_decref(ev);
	alert_report_free(&r);
	json_decref(doc);
}
END_TEST

START_TEST(chat_many)
{
	struct chat_meta meta = { T0, "s", MS_LANG_FR, 1 };
	struct alert_report r;
	char id[16];
	json_t *v = json_array(), *ev, *p, *b;
	int i;

	for (i = 0; i < 120; i++) {
		snprintf(id, sizeof(id), "m%03d", i);
		json_array_append_new(v, mk(id, 1 * GB, 1, -1, 0));
	}
	r = report_of(v, NULL);
	ev = chat_events(&conf, &r, fr, MS_LANG_FR, 0);
	ck_assert_int_eq((int)json_array_size(ev), 120);
	p = chat_slack(ev, fr, &meta);
	b = json_object_get(p, "blocks");
	/* Header, CHAT_LINES_MAX lines, "and 80 more", context. */
	ck_assert_int_eq((int)json_array_size(b), CHAT_LINES_MAX + 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_array_get(b, 0), "text"), "text")),
	    "macscan (démo) : 120 alertes");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_array_get(b, CHAT_LINES_MAX + 1), "text"), "text")),
	    "\xe2\x80\xa6 et 80 autres (voir le tableau de bord)");
	json_decref(p);
	p = chat_generic(ev, &meta);
	ck_assert_int_eq((int)json_array_size(json_object_get(p, "events")),
	    120);
	json_decref(p);
	json_decref(ev);
	alert_report_free(&r);
	json_decref(v);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("macalert");
	TCase *tc;

	tc = tcase_create("evaluate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, dedup_sequence);
	tcase_add_test(tc, hovering);
	tcase_add_test(tc, force);
	tcase_add_test(tc, offline);
	tcase_add_test(tc, unknown_and_absent);
	tcase_add_test(tc, hostkey);
	tcase_add_test(tc, duplicate_ids_and_order);
	tcase_add_test(tc, posture_events);
	tcase_add_test(tc, summary_and_events);
	tcase_add_test(tc, state_versions);
	tcase_add_test(tc, offline_days);
	suite_add_tcase(s, tc);
	tc = tcase_create("message");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bytes_format);
	tcase_add_test(tc, subjects);
	tcase_add_test(tc, names_cleaned);
	tcase_add_test(tc, context);
	tcase_add_test(tc, field_cut);
	tcase_add_test(tc, chat_payloads);
	tcase_add_test(tc, chat_many);
	suite_add_tcase(s, tc);
	return s;
}
