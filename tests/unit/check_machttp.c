/*
 * check_machttp.c - what machttp decides, without a socket: the rules
 * the dashboard and the metrics show (lib/rules.h's boundary table,
 * tests/unit/rules/boundaries.json, the one macalert is tested on), the
 * Host rule against DNS rebinding (host_rule.json)
 * and the SHA-256 of the installers (sha256.json, the FIPS 180-2
 * examples). Linked with machttp's files but its main.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machttp.h"
#include "settings.h"
#include "rfc3339.h"
#include "unit.h"

/* machttp.c, which is not linked, holds it. */
volatile sig_atomic_t machttp_quit;

static char *
fixture(const char *rel, size_t *len)
{
	const char *d = getenv("MACSCAN_SRCDIR");
	char path[PATH_MAX];
	struct ms_err e = { "" };
	char *s;

	snprintf(path, sizeof(path), "%s/tests/fixtures/machttp/%s",
	    d != NULL && *d != '\0' ? d : ".", rel);
	s = ms_read_file(path, 1u << 20, len, &e);
	ck_assert_msg(s != NULL, "%s: %s", path, e.msg);
	return s;
}

static json_t *
fixture_json(const char *rel)
{
	json_error_t je;
	size_t n;
	char *s = fixture(rel, &n);
	json_t *j = json_loadb(s, n, 0, &je);

	ck_assert_msg(j != NULL, "%s:%d: %s", rel, je.line, je.text);
	free(s);
	return j;
}

static time_t
at(const char *s)
{
	time_t t;

	ck_assert_int_eq(rfc3339_parse(s, &t, NULL), 0);
	return t;
}

/* The thresholds machttp would load from the settings of the object s
 * (values as text; NULL: the defaults), none from the environment. */
static void
th_of(const json_t *s, struct thresholds *th)
{
	struct ms_buf b = { 0 };
	struct config *c;
	struct ms_err e;
	const char *k;
	json_t *v;
	size_t i;

	for (i = 0; i < settings_count; i++)
		unsetenv(settings[i].name);
	ck_assert_int_eq(ms_buf_append(&b, "", 0), 0);
	json_object_foreach((json_t *)s, k, v)
		ck_assert_int_eq(ms_buf_printf(&b, "%s=%s\n", k,
		    json_string_value(v)), 0);
	c = config_parse_buf(b.data, b.len, "case", &e);
	ck_assert_msg(c != NULL, "%s", e.msg);
	ck_assert_msg(settings_check(c, &e) == 0, "%s", e.msg);
	thresholds_load(c, th);
	config_free(c);
	ms_buf_free(&b);
}

/* "rule rule ..." of what fires on m, as the views show it; and each
 * firing rule's severity as rules.h gives it. */
static void
fired(const json_t *m, const struct thresholds *th, time_t now,
    struct ms_buf *b)
{
	struct verdict v;
	int r;

	ms_buf_reset(b);
	ck_assert_int_eq(ms_buf_puts(b, ""), 0);
	verdict_eval(m, th, now, &v);
	for (r = 0; r < RULE_COUNT; r++) {
		if (v.sev[r] == SEV_NONE)
			continue;
		ck_assert_int_eq(v.sev[r], rule_defs[r].severity + 1);
		ms_buf_printf(b, "%s%s", b->len > 0 ? " " : "",
		    rule_defs[r].name);
	}
}

/*
 * The boundary table of lib/rules.h (tests/unit/rules/boundaries.json),
 * which macalert's rules are tested on too: the dashboard and the
 * metrics see exactly the rules the email sees, 15 GB included.
 */
START_TEST(rules)
{
	const char *d = getenv("MACSCAN_SRCDIR");
	char path[PATH_MAX];
	struct ms_buf got = { 0 }, exp = { 0 };
	struct thresholds th;
	json_error_t je;
	json_t *all, *c, *x;
	size_t i, k;
	time_t now;

	snprintf(path, sizeof(path), "%s/tests/unit/rules/boundaries.json",
	    d != NULL && *d != '\0' ? d : ".");
	all = json_load_file(path, 0, &je);
	ck_assert_msg(all != NULL, "%s:%d: %s", path, je.line, je.text);
	now = at(json_string_value(json_object_get(all, "now")));
	json_array_foreach(json_object_get(all, "cases"), i, c) {
		th_of(json_object_get(c, "settings"), &th);
		ms_buf_reset(&exp);
		ms_buf_puts(&exp, "");
		json_array_foreach(json_object_get(c, "firing"), k, x)
			ms_buf_printf(&exp, "%s%s", exp.len > 0 ? " " : "",
			    json_string_value(x));
		fired(json_object_get(c, "record"), &th, now, &got);
		ck_assert_msg(strcmp(got.data, exp.data) == 0,
		    "%s: fired \"%s\", expected \"%s\"",
		    json_string_value(json_object_get(c, "name")), got.data,
		    exp.data);
	}
	ck_assert_uint_gt(i, 20);
	json_decref(all);
	ms_buf_free(&got);
	ms_buf_free(&exp);
}
END_TEST

/* The dashboard's thresholds are the settings', as rules.h reads them. */
START_TEST(settings_change_rules)
{
	struct thresholds th;
	struct ms_buf got = { 0 };
	time_t now = at("2026-11-24T16:00:00Z");
	json_t *off = json_pack("{s:s,s:b,s:s}", "id", "x", "online", 0,
	    "last_seen", "2026-11-20T16:00:00Z");
	json_t *bk = json_pack("{s:s,s:s}", "backup", "ok", "backup_last_at",
	    "2026-11-21T16:00:00Z");
	json_t *fw = json_pack("{s:s}", "firewall", "off");
	json_t *set;

	th_of(NULL, &th);
	ck_assert_int_eq(th.disk_crit_bytes, 15000000000LL);
	ck_assert_int_eq(th.disk_warn_bytes, 30000000000LL);
	fired(off, &th, now, &got);
	ck_assert_str_eq(got.data, "");
	fired(fw, &th, now, &got);
	ck_assert_str_eq(got.data, "");
	set = json_pack("{s:s,s:s,s:s,s:s}", "ALERT_OFFLINE_DAYS", "3",
	    "ALERT_BACKUP_DAYS", "2", "ALERT_FIREWALL", "yes",
	    "ALERT_DISK_CRITICAL_GB", "20");
	th_of(set, &th);
	ck_assert_int_eq(th.disk_crit_bytes, 20000000000LL);
	ck_assert_int_eq(th.firewall_warn, 1);
	fired(off, &th, now, &got);
	ck_assert_str_eq(got.data, "offline");
	fired(bk, &th, now, &got);
	ck_assert_str_eq(got.data, "backup_old");
	fired(fw, &th, now, &got);
	ck_assert_str_eq(got.data, "firewall_off");
	json_decref(set);
	set = json_pack("{s:s}", "ALERT_OFFLINE_DAYS", "4");
	th_of(set, &th);
	fired(off, &th, now, &got);
	ck_assert_str_eq(got.data, "");
	json_decref(set);
	json_decref(off);
	json_decref(bk);
	json_decref(fw);
	ms_buf_free(&got);
}
END_TEST

START_TEST(fleet)
{
	json_t *v = json_array();
	struct thresholds th;
	struct fleet fl;
	time_t now = at("2026-11-24T16:00:00Z");

	th_of(NULL, &th);
	json_array_append_new(v, json_pack("{s:b,s:s,s:s,s:[s,s]}", "online", 1,
	    "filevault", "off", "backup", "never", "probe_incomplete", "a",
	    "b"));
	json_array_append_new(v, json_pack("{s:b,s:s,s:s,s:s}", "online", 0,
	    "filevault", "on", "backup", "ok", "backup_last_at",
	    "2026-10-01T00:00:00Z"));
	json_array_append_new(v, json_pack("{s:b,s:s,s:[]}", "online", 1,
	    "probe", "new_host", "probe_incomplete"));
	fleet_count(v, &th, now, &fl);
	ck_assert_int_eq(fl.machines, 3);
	ck_assert_int_eq(fl.online, 2);
	ck_assert_int_eq(fl.n[RULE_FILEVAULT_OFF], 1);
	ck_assert_int_eq(fl.n[RULE_BACKUP_NEVER], 1);
	ck_assert_int_eq(fl.n[RULE_BACKUP_OLD], 1);
	ck_assert_int_eq(fl.n[RULE_NEW_HOST], 1);
	/* An empty probe_incomplete is no incomplete probe. */
	ck_assert_int_eq(fl.incomplete, 1);
	ck_assert_int_eq(fl.know_filevault, 2);
	ck_assert_int_eq(fl.know_backup, 2);
	ck_assert_int_eq(fl.know_smart, 0);
	json_decref(v);
}
END_TEST

START_TEST(host_rule)
{
	json_t *all = fixture_json("host_rule.json"), *t, *c, *n;
	struct hostrule hr;
	size_t i, k, j;

	json_array_foreach(all, i, t) {
		json_t *r = json_object_get(t, "rule");

		memset(&hr, 0, sizeof(hr));
		hr.enforce = json_is_true(json_object_get(r, "enforce"));
		hr.any_ip = json_is_true(json_object_get(r, "any_ip"));
		hr.port = (int)json_integer_value(json_object_get(r, "port"));
		json_array_foreach(json_object_get(r, "names"), j, n)
			hr.names[hr.nnames++] = (char *)json_string_value(n);
		json_array_foreach(json_object_get(t, "cases"), k, c) {
			const char *h = json_string_value(json_array_get(c, 0));

			ck_assert_msg(host_ok(&hr, h, h != NULL ? strlen(h) : 0)
			    == json_is_true(json_array_get(c, 1)),
			    "rule %zu, Host \"%s\": expected %s", i + 1,
			    h != NULL ? h : "(none)",
			    json_is_true(json_array_get(c, 1)) ? "served" :
			    "refused");
		}
	}
	json_decref(all);
}
END_TEST

START_TEST(sha256)
{
	json_t *all = fixture_json("sha256.json"), *t;
	size_t i, k, n, rep;
	const char *s;
	char *buf, out[65];

	json_array_foreach(all, i, t) {
		s = json_string_value(json_object_get(t, "text"));
		rep = (size_t)json_integer_value(json_object_get(t, "repeat"));
		n = strlen(s);
		ck_assert_ptr_nonnull(buf = malloc(n * rep + 1));
		for (k = 0; k < rep; k++)
			memcpy(buf + k * n, s, n);
		sha256_hex(buf, n * rep, out);
		ck_assert_str_eq(out, json_string_value(json_object_get(t,
		    "sha256")));
		free(buf);
	}
	json_decref(all);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("machttp");
	TCase *tc = tcase_create("machttp");

	tcase_add_test(tc, rules);
	tcase_add_test(tc, settings_change_rules);
	tcase_add_test(tc, fleet);
	tcase_add_test(tc, host_rule);
	tcase_add_test(tc, sha256);
	suite_add_tcase(s, tc);
	return s;
}
