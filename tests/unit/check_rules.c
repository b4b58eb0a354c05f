/*
 * check_rules.c - lib/rules: the table (CONTRACT.md's names and
 * severities), the disk levels, the boundary records of
 * tests/unit/rules/boundaries.json (each with exactly the rules it must
 * fire), the settings that tune the rules, and the disk forecast.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "rfc3339.h"
#include "rules.h"
#include "settings.h"
#include "unit.h"

#define GB RULES_GB
#define T0 1700000000	/* 2023-11-14T22:13:20Z */
#define HOUR 3600

static struct rules_conf conf;

static const char *
srcdir(void)
{
	const char *d = getenv("MACSCAN_SRCDIR");

	return d != NULL && *d != '\0' ? d : ".";
}

/* No ALERT_* from the environment: the settings are the test's. */
static void
setup(void)
{
	size_t i;

	for (i = 0; i < settings_count; i++)
		unsetenv(settings[i].name);
	rules_conf_init(&conf, 15, 30, 30, 24);
}

/* A config holding the settings of the object s (values as text). */
static struct config *
config_of(const json_t *s)
{
	struct ms_buf b = { 0 };
	struct config *c;
	struct ms_err e;
	const char *k;
	json_t *v;

	ck_assert_int_eq(ms_buf_append(&b, "", 0), 0);
	json_object_foreach((json_t *)s, k, v)
		ck_assert_int_eq(ms_buf_printf(&b, "%s=%s\n", k,
		    json_string_value(v)), 0);
	c = config_parse_buf(b.data, b.len, "case", &e);
	ck_assert_msg(c != NULL, "%s", e.msg);
	ck_assert_msg(settings_check(c, &e) == 0, "%s", e.msg);
	ms_buf_free(&b);
	return c;
}

START_TEST(table)
{
	static const char *const names[] = { "disk_critical",
	    "disk_warning", "battery_low", "battery_full_plugged",
	    "battery_condition", "filevault_off", "firewall_off",
	    "backup_old", "backup_never", "smart_failing", "updates_restart",
	    "identity_conflict", "offline", "hostkey_mismatch", "new_host" };
	static const char *const sev[] = { "critical", "warning", "warning",
	    "info", "warning", "warning", "warning", "warning", "warning",
	    "critical", "warning", "critical", "warning", "critical",
	    "info" };
	int r;

	ck_assert_int_eq(RULE_COUNT, 15);
	for (r = 0; r < RULE_COUNT; r++) {
		ck_assert_str_eq(rule_defs[r].name, names[r]);
		ck_assert_str_eq(rule_severity_name(rule_defs[r].severity),
		    sev[r]);
		ck_assert_int_eq(rule_find(names[r]), r);
		/* Every setting named is one of the table's. */
		if (rule_defs[r].setting != NULL)
			ck_assert_ptr_nonnull(setting_find(
			    rule_defs[r].setting));
		ck_assert_ptr_nonnull(rule_defs[r].field);
	}
	ck_assert_int_eq(rule_find("nope"), -1);
	ck_assert_int_eq(rule_find(NULL), -1);
	ck_assert_int_eq(rules_severity(0), -1);
	ck_assert_int_eq(rules_severity(RULE_BIT(RULE_DISK_WARNING) |
	    RULE_BIT(RULE_NEW_HOST)), RULE_WARNING);
	ck_assert_int_eq(rules_severity(RULE_BIT(RULE_SMART_FAILING)),
	    RULE_CRITICAL);
}
END_TEST

START_TEST(levels)
{
	ck_assert_int_eq(rules_level(&conf, 16 * GB), 0);
	ck_assert_int_eq(rules_level(&conf, 15 * GB + 1), 0);
	ck_assert_int_eq(rules_level(&conf, 15 * GB), 1);
	ck_assert_int_eq(rules_level(&conf, 10 * GB + 1), 1);
	ck_assert_int_eq(rules_level(&conf, 10 * GB), 2);
	ck_assert_int_eq(rules_level(&conf, 5 * GB), 3);
	ck_assert_int_eq(rules_level(&conf, 1 * GB), 4);
	ck_assert_int_eq(rules_level(&conf, 0), 4);
	ck_assert_int_eq((int)(conf.margin / 1000000), 2000);
	rules_conf_init(&conf, 50, 80, 30, 24);
	ck_assert_int_eq((int)(conf.margin / 1000000), 5000);
	ck_assert_int_eq(rules_level(&conf, 33 * GB), 2);
	rules_conf_init(&conf, 15, 30, 30, 24);
	ck_assert_int_eq(rules_level_bound(&conf, 5), -1);
}
END_TEST

START_TEST(boundaries)
{
	char path[PATH_MAX], *list;
	json_t *doc, *cs, *c, *f;
	struct rules_result res;
	struct rules_conf rc;
	struct config *cfg;
	json_error_t je;
	time_t now;
	size_t i, j;
	int r, n = 0;

	snprintf(path, sizeof(path), "%s/tests/unit/rules/boundaries.json",
	    srcdir());
	doc = json_load_file(path, 0, &je);
	ck_assert_msg(doc != NULL, "%s:%d: %s", path, je.line, je.text);
	ck_assert_int_eq(rfc3339_parse(json_string_value(json_object_get(doc,
	    "now")), &now, NULL), 0);
	cs = json_object_get(doc, "cases");
	ck_assert(json_array_size(cs) >= 60);
	json_array_foreach(cs, i, c) {
		const char *name = json_string_value(json_object_get(c,
		    "name"));
		json_t *want = json_object_get(c, "firing");
		unsigned wmask = 0;

		cfg = config_of(json_object_get(c, "settings"));
		rules_conf_load(&rc, cfg);
		json_array_foreach(want, j, f) {
			r = rule_find(json_string_value(f));
			ck_assert_msg(r >= 0, "%s: unknown rule", name);
			wmask |= RULE_BIT(r);
		}
		rules_eval(&rc, json_object_get(c, "record"), now, &res);
		if (res.firing != wmask) {
			list = json_dumps(want, 0);
			ck_abort_msg("%s: fires 0x%x, want 0x%x (%s)", name,
			    res.firing, wmask, list);
		}
		ck_assert_msg(res.level == json_integer_value(json_object_get(
		    c, "level")), "%s: level %d", name, res.level);
		/* Firing is known; nothing else is known for a non-record. */
		ck_assert((res.firing & ~res.known) == 0);
		config_free(cfg);
		n++;
	}
	ck_assert_int_eq(n, (int)json_array_size(cs));
	json_decref(doc);
}
END_TEST

START_TEST(conf_from_settings)
{
	struct rules_conf a, b;
	struct config *cfg;
	json_t *s;

	/* The defaults of the table are rules_conf_init's. */
	s = json_object();
	cfg = config_of(s);
	rules_conf_load(&a, cfg);
	config_free(cfg);
	rules_conf_init(&b, 15, 30, 30, 24);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	ck_assert(!(a.enabled & RULE_BIT(RULE_FIREWALL_OFF)));
	ck_assert(!(a.enabled & RULE_BIT(RULE_OFFLINE)));
	ck_assert(a.enabled & RULE_BIT(RULE_FILEVAULT_OFF));
	ck_assert_int_eq((int)a.backup_days, 7);
	ck_assert_int_eq((int)a.updates_days, 14);
	ck_assert_int_eq((int)a.repeat, 24 * 3600);
	json_object_set_new(s, "ALERT_OFFLINE_DAYS", json_string("3"));
	json_object_set_new(s, "ALERT_FILEVAULT", json_string("off"));
	json_object_set_new(s, "ALERT_REPEAT_HOURS", json_string("2"));
	cfg = config_of(s);
	rules_conf_load(&a, cfg);
	config_free(cfg);
	ck_assert(a.enabled & RULE_BIT(RULE_OFFLINE));
	ck_assert(!(a.enabled & RULE_BIT(RULE_FILEVAULT_OFF)));
	ck_assert_int_eq((int)a.offline_days, 3);
	ck_assert_int_eq((int)a.repeat, 7200);
	json_decref(s);
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
	d = rules_forecast(h, 10 * GB, T0);
	ck_assert(d > 1.99 && d < 2.01);
	json_decref(h);
	h = hist(rise, ago, 3);
	ck_assert(rules_forecast(h, 20 * GB, T0) < 0);
	json_decref(h);
	/* Too few points, or all at one instant. */
	h = hist(fall, ago, 2);
	ck_assert(rules_forecast(h, 10 * GB, T0) < 0);
	json_decref(h);
	h = hist(fall, near, 3);
	ck_assert(rules_forecast(h, 10 * GB, T0) < 0);
	json_decref(h);
	ck_assert(rules_forecast(NULL, 10 * GB, T0) < 0);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc;

	tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, table);
	tcase_add_test(tc, levels);
	tcase_add_test(tc, boundaries);
	tcase_add_test(tc, conf_from_settings);
	tcase_add_test(tc, forecast);
	suite_add_tcase(s, tc);
	return s;
}
