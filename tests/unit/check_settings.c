#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "settings.h"
#include "unit.h"

static struct config *
conf(const char *text)
{
	struct ms_err e;
	struct config *c = config_parse_buf(text, strlen(text), "t.conf", &e);

	ck_assert_msg(c != NULL, "%s", e.msg);
	return c;
}

/* The message settings_check gives for text, "" when it passes. */
static const char *
check(const char *text)
{
	static struct ms_err e;
	struct config *c = conf(text);

	e.msg[0] = '\0';
	if (settings_check(c, &e) == 0)
		ck_assert_str_eq(e.msg, "");
	config_free(c);
	return e.msg;
}

START_TEST(table_is_sound)
{
	size_t i, j;

	ck_assert_uint_ge(settings_count, 25);
	for (i = 0; i < settings_count; i++) {
		const struct setting *s = &settings[i];

		ck_assert_ptr_nonnull(s->doc);
		ck_assert_ptr_eq(setting_find(s->name), s);
		for (j = i + 1; j < settings_count; j++)
			ck_assert_str_ne(s->name, settings[j].name);
		if (s->type == SET_INT) {
			ck_assert_ptr_nonnull(s->def);
			ck_assert_int_le(s->min, s->max);
		}
		/* Every default passes its own checks. */
		if (s->def != NULL) {
			char line[256];

			snprintf(line, sizeof(line), "%s=%s\n", s->name,
			    s->def);
			ck_assert_msg(check(line)[0] == '\0', "%s: %s",
			    s->name, check(line));
		}
	}
	ck_assert_ptr_null(setting_find("NOPE"));
}
END_TEST

START_TEST(defaults_and_values)
{
	struct config *c;

	unsetenv("ALERT_DISK_CRITICAL_GB");
	unsetenv("MACSCAN_LANG");
	unsetenv("SMTP_TLS");
	c = conf("ALERT_DISK_WARN_GB=40\nSMTP_TLS=off\nMACSCAN_LANG=en_US.UTF-8\n"
	    "MACSCAN_DIR=\n");
	ck_assert_int_eq(settings_check(c, NULL), 0);
	ck_assert_int_eq(setting_int(c, "ALERT_DISK_CRITICAL_GB"), 15);
	ck_assert_int_eq(setting_int(c, "ALERT_DISK_WARN_GB"), 40);
	ck_assert_int_eq(setting_bool(c, "SMTP_TLS"), 0);
	ck_assert_int_eq(setting_bool(c, "USE_SSH"), 1);
	ck_assert_int_eq(setting_lang(c), MS_LANG_EN);
	/* Empty counts as unset: the default. */
	ck_assert_str_eq(setting_str(c, "MACSCAN_DIR"), STATEDIR);
	ck_assert_int_eq(setting_is_set(c, "MACSCAN_DIR"), 0);
	ck_assert_ptr_null(setting_str(c, "SSH_USERNAME"));
	ck_assert_ptr_null(setting_str(c, "NOT_OURS"));
	config_free(c);
}
END_TEST

START_TEST(environment_wins)
{
	struct config *c = conf("ALERT_REPEAT_HOURS=12\n");

	setenv("ALERT_REPEAT_HOURS", "48", 1);
	ck_assert_int_eq(setting_int(c, "ALERT_REPEAT_HOURS"), 48);
	setenv("ALERT_REPEAT_HOURS", "0", 1);
	ck_assert_str_eq(check("ALERT_REPEAT_HOURS=12\n"),
	    "environment: ALERT_REPEAT_HOURS is too small: '0' "
	    "(expected 1 to 8760)");
	unsetenv("ALERT_REPEAT_HOURS");
	ck_assert_int_eq(setting_int(c, "ALERT_REPEAT_HOURS"), 12);
	config_free(c);
}
END_TEST

START_TEST(refused)
{
	unsetenv("ALERT_DISK_CRITICAL_GB");
	unsetenv("ALERT_DISK_WARN_GB");
	ck_assert_str_eq(check("\n\nALERT_DISK_CRITICAL_GB=abc\n"),
	    "t.conf:3: ALERT_DISK_CRITICAL_GB is invalid: 'abc' "
	    "(expected 1 to 1000000)");
	/* Exactly equal thresholds are fine; warn below critical is not. */
	ck_assert_str_eq(check("ALERT_DISK_CRITICAL_GB=30\n"), "");
	ck_assert_str_eq(check("ALERT_DISK_CRITICAL_GB=31\n"),
	    "environment: ALERT_DISK_WARN_GB (30) is below "
	    "ALERT_DISK_CRITICAL_GB (31)");
	ck_assert_str_eq(check("ALERT_DISK_WARN_GB=10\n"),
	    "t.conf:1: ALERT_DISK_WARN_GB (10) is below "
	    "ALERT_DISK_CRITICAL_GB (15)");
	ck_assert_str_eq(check("USE_SSH=maybe\n"),
	    "t.conf:1: USE_SSH: expected true or false (yes/no, on/off, "
	    "1/0): 'maybe'");
	ck_assert_str_eq(check("MACSCAN_LANG=de\n"),
	    "t.conf:1: MACSCAN_LANG: expected fr or en: 'de'");
	ck_assert_str_eq(check("CLEANUP_SCHEDULE_DAY=Friday\n"), "");
	ck_assert_str_eq(check("CLEANUP_SCHEDULE_DAY=fri\n"), "");
	ck_assert_str_eq(check("CLEANUP_SCHEDULE_DAY=vendredi\n"),
	    "t.conf:1: CLEANUP_SCHEDULE_DAY: expected one of: monday tuesday "
	    "wednesday thursday friday saturday sunday mon tue wed thu fri "
	    "sat sun: 'vendredi'");
	ck_assert_str_eq(check("CLEANUP_SCHEDULE_TIME=24:00\n"),
	    "t.conf:1: CLEANUP_SCHEDULE_TIME: expected HH:MM: '24:00'");
	ck_assert_str_eq(check("CLEANUP_SCHEDULE_TIME=09:30\n"), "");
	ck_assert_str_eq(check("CLEANUP_SCHEDULE_TIME=9:30\n"), "");
	ck_assert_str_eq(check("CLEANUP_SCHEDULE_TIME=9:3\n"),
	    "t.conf:1: CLEANUP_SCHEDULE_TIME: expected HH:MM: '9:3'");
	ck_assert_str_eq(check("MACHTTP_LISTEN=127.0.0.1\n"),
	    "t.conf:1: MACHTTP_LISTEN: expected ADDRESS:PORT: '127.0.0.1'");
	ck_assert_str_eq(check("MACHTTP_LISTEN=[::1]:8080\n"), "");
	ck_assert_str_eq(check("MACHTTP_LISTEN=0.0.0.0:70000\n"),
	    "t.conf:1: MACHTTP_LISTEN: the port is not a number from 1 to "
	    "65535: '0.0.0.0:70000'");
	ck_assert_str_eq(check("ALERT_RECIPIENTS=a@b.c, d@e.f\n"), "");
	ck_assert_str_eq(check("ALERT_RECIPIENTS=a@b.c;d\n"),
	    "t.conf:1: ALERT_RECIPIENTS: not a plain address: 'a@b.c;d' "
	    "(expected user@example.com)");
	ck_assert_str_eq(check("MACSCAN_SUBNETS=\"10.0.0.0/8 10.1.2.300\"\n"),
	    "t.conf:1: MACSCAN_SUBNETS: '10.1.2.300': octet 4 is larger "
	    "than 255");
	ck_assert_str_eq(check("MACSCAN_SUBNETS=\"192.168.1.0/24 "
	    "mac-a.local 10.0.0.1-20\"\n"), "");
	ck_assert_str_eq(check("SMTP_URL=smtps://mail.example.com:465\n"),
	    "");
	ck_assert_str_eq(check("SMTP_URL=smtp://\n"),
	    "t.conf:1: SMTP_URL: no host in the URL: 'smtp://'");
	/* A value with a terminal escape is shown inert and cut. */
	ck_assert_str_eq(check("MACSCAN_KEEP=\"\x1b[2J0123456789012345678901234"
	    "567890123\"\n"), "t.conf:1: MACSCAN_KEEP is invalid: "
	    "'?[2J0123456789012345678901234567...' (expected 1 to 10000)");
}
END_TEST

START_TEST(secrets_never_quoted)
{
	struct config *c = conf("SSH_PASSWORD=\"hunter2\"\n");
	struct ms_err e;
	char *pw;

	ck_assert_int_eq(settings_check(c, &e), 0);
	pw = setting_secret(c, "SSH_PASSWORD", &e);
	ck_assert_str_eq(pw, "hunter2");
	free(pw);
	ck_assert_int_eq(setting_find("SSH_PASSWORD")->flags & SET_SECRET,
	    SET_SECRET);
	config_free(c);
}
END_TEST

START_TEST(bools)
{
	int b = -1;

	ck_assert_int_eq(setting_parse_bool("YES", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(setting_parse_bool("off", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(setting_parse_bool("0", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(setting_parse_bool("", &b), -1);
	ck_assert_int_eq(setting_parse_bool("2", &b), -1);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("settings");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, table_is_sound);
	tcase_add_test(tc, defaults_and_values);
	tcase_add_test(tc, environment_wins);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, secrets_never_quoted);
	tcase_add_test(tc, bools);
	suite_add_tcase(s, tc);
	return s;
}
