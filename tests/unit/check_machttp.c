/*
 * check_machttp.c - what machttp decides, without a socket: the rules
 * the dashboard and the metrics show (tests/fixtures/machttp/rules.ndjson
 * against rules.json), the Host rule against DNS rebinding (host_rule.json)
 * and the SHA-256 of the installers (sha256.json, the FIPS 180-2
 * examples). Linked with machttp's files but its main.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machttp.h"
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

static const struct thresholds defaults = {
	15000000000LL, 30000000000LL, 30, 7, 14, 0, 0
};

static time_t
at(const char *s)
{
	time_t t;

	ck_assert_int_eq(rfc3339_parse(s, &t, NULL), 0);
	return t;
}

/* "rule=severity ..." of what fires on m. */
static void
fired(const json_t *m, const struct thresholds *th, time_t now,
    struct ms_buf *b)
{
	static const char *const sev[] = { "", "info", "warning",
	    "critical" };
	struct verdict v;
	int r;

	ms_buf_reset(b);
	ck_assert_int_eq(ms_buf_puts(b, ""), 0);
	rules_eval(m, th, now, &v);
	for (r = 0; r < R_COUNT; r++)
		if (v.sev[r] != SEV_NONE)
			ms_buf_printf(b, "%s%s=%s", b->len > 0 ? " " : "",
			    rule_name(r), sev[v.sev[r]]);
}

START_TEST(rules)
{
	json_t *want = fixture_json("rules.json"), *m, *w, *x;
	time_t now = at("2026-11-24T16:00:00Z");
	struct ms_buf got = { 0 }, exp = { 0 };
	json_error_t je;
	size_t len, i, k, line = 0;
	char *txt = fixture("rules.ndjson", &len), *p, *nl, *all;

	for (p = txt; p < txt + len; p = nl + 1, line++) {
		nl = memchr(p, '\n', (size_t)(txt + len - p));
		ck_assert_ptr_nonnull(nl);
		m = json_loadb(p, (size_t)(nl - p), 0, &je);
		ck_assert_msg(m != NULL, "rules.ndjson:%zu: %s", line + 1,
		    je.text);
		w = json_array_get(want, line);
		ck_assert_msg(json_is_array(w), "rules.json: no entry %zu",
		    line + 1);
		ms_buf_reset(&exp);
		ms_buf_puts(&exp, "");
		json_array_foreach(w, k, x)
			ms_buf_printf(&exp, "%s%s", k > 0 ? " " : "",
			    json_string_value(x));
		fired(m, &defaults, now, &got);
		ck_assert_msg(strcmp(got.data, exp.data) == 0,
		    "rules.ndjson:%zu (%s): fired \"%s\", expected \"%s\"",
		    line + 1, json_string_value(json_object_get(m, "id")),
		    got.data, exp.data);
		json_decref(m);
	}
	ck_assert_uint_eq(line, json_array_size(want));
	/* Each rule is covered by some line of the fixture. */
	ck_assert_ptr_nonnull(all = json_dumps(want, 0));
	for (i = 0; i < R_COUNT; i++) {
		const char *n = rule_name((int)i);

		if (i == R_OFFLINE)
			continue;	/* off by default: below */
		ck_assert_msg(strstr(all, n) != NULL, "no fixture fires %s",
		    n);
	}
	free(all);
	free(txt);
	json_decref(want);
	ms_buf_free(&got);
	ms_buf_free(&exp);
}
END_TEST

START_TEST(settings_change_rules)
{
	struct thresholds th = defaults;
	struct ms_buf got = { 0 };
	time_t now = at("2026-11-24T16:00:00Z");
	json_t *off = json_pack("{s:s,s:b,s:s}", "id", "x", "online", 0,
	    "last_seen", "2026-11-20T16:00:00Z");
	json_t *bk = json_pack("{s:s,s:s}", "backup", "ok", "backup_last_at",
	    "2026-11-21T16:00:00Z");
	json_t *fw = json_pack("{s:s}", "firewall", "off");

	fired(off, &th, now, &got);
	ck_assert_str_eq(got.data, "");
	th.offline_days = 3;
	fired(off, &th, now, &got);
	ck_assert_str_eq(got.data, "offline=warning");
	th.offline_days = 4;
	fired(off, &th, now, &got);
	ck_assert_str_eq(got.data, "");
	fired(bk, &th, now, &got);
	ck_assert_str_eq(got.data, "");
	th.backup_days = 2;
	fired(bk, &th, now, &got);
	ck_assert_str_eq(got.data, "backup_old=warning");
	th.firewall_warn = 1;
	fired(fw, &th, now, &got);
	ck_assert_str_eq(got.data, "firewall_off=warning");
	json_decref(off);
	json_decref(bk);
	json_decref(fw);
	ms_buf_free(&got);
}
END_TEST

START_TEST(fleet)
{
	json_t *v = json_array();
	struct fleet fl;
	time_t now = at("2026-11-24T16:00:00Z");

	json_array_append_new(v, json_pack("{s:b,s:s,s:s,s:[s,s]}", "online", 1,
	    "filevault", "off", "backup", "never", "probe_incomplete", "a",
	    "b"));
	json_array_append_new(v, json_pack("{s:b,s:s,s:s,s:s}", "online", 0,
	    "filevault", "on", "backup", "ok", "backup_last_at",
	    "2026-10-01T00:00:00Z"));
	json_array_append_new(v, json_pack("{s:s,s:[]}", "probe", "new_host",
	    "probe_incomplete"));
	fleet_count(v, &defaults, now, &fl);
	ck_assert_int_eq(fl.machines, 3);
	ck_assert_int_eq(fl.online, 1);
	ck_assert_int_eq(fl.n[R_FILEVAULT_OFF], 1);
	ck_assert_int_eq(fl.n[R_BACKUP_NEVER], 1);
	ck_assert_int_eq(fl.n[R_BACKUP_OLD], 1);
	ck_assert_int_eq(fl.n[R_NEW_HOST], 1);
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
