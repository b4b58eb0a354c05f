#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fmt.h"
#include "unit.h"

static const char *
bytes(long long v, enum ms_lang lang, int flags)
{
	static char buf[FMT_LEN];

	return fmt_bytes(v, lang, flags, buf, sizeof(buf));
}

START_TEST(sizes)
{
	ck_assert_str_eq(bytes(0, MS_LANG_EN, 0), "0 MB");
	ck_assert_str_eq(bytes(499999, MS_LANG_EN, 0), "0 MB");
	ck_assert_str_eq(bytes(850000000, MS_LANG_EN, 0), "850 MB");
	ck_assert_str_eq(bytes(999499999, MS_LANG_EN, 0), "999 MB");
	ck_assert_str_eq(bytes(999500000, MS_LANG_EN, 0), "1.0 GB");
	ck_assert_str_eq(bytes(4249999999LL, MS_LANG_EN, 0), "4.2 GB");
	ck_assert_str_eq(bytes(4250000000LL, MS_LANG_FR, 0), "4,3 Go");
	ck_assert_str_eq(bytes(15000000000LL, MS_LANG_EN, 0), "15.0 GB");
	ck_assert_str_eq(bytes(99949999999LL, MS_LANG_EN, 0), "99.9 GB");
	ck_assert_str_eq(bytes(99950000000LL, MS_LANG_EN, 0), "100 GB");
	ck_assert_str_eq(bytes(245000000000LL, MS_LANG_EN, 0), "245 GB");
	ck_assert_str_eq(bytes(999499999999LL, MS_LANG_EN, 0), "999 GB");
	ck_assert_str_eq(bytes(999500000000LL, MS_LANG_EN, 0), "1.0 TB");
	ck_assert_str_eq(bytes(1234000000000LL, MS_LANG_FR, 0), "1,2 To");
	ck_assert_str_eq(bytes(-1, MS_LANG_EN, 0), "?");
	ck_assert_str_eq(bytes(123449999999LL, MS_LANG_EN, FMT_BYTES_GB),
	    "123.4");
	ck_assert_str_eq(bytes(0, MS_LANG_EN, FMT_BYTES_GB), "0.0");
	/* No overflow at the top of the range. */
	ck_assert_str_eq(bytes(9223372036854775807LL, MS_LANG_EN, 0),
	    "9223372.0 TB");
}
END_TEST

START_TEST(words)
{
	char buf[FMT_LEN];

	ck_assert_str_eq(fmt_pct(30, MS_LANG_EN, buf, sizeof(buf)), "30%");
	ck_assert_str_eq(fmt_pct(30, MS_LANG_FR, buf, sizeof(buf)),
	    "30\xc2\xa0%");
	ck_assert_str_eq(fmt_days(-1, MS_LANG_EN, buf, sizeof(buf)), "");
	ck_assert_str_eq(fmt_days(0.5, MS_LANG_FR, buf, sizeof(buf)),
	    "moins d'un jour");
	ck_assert_str_eq(fmt_days(1.9, MS_LANG_EN, buf, sizeof(buf)),
	    "~1 day");
	ck_assert_str_eq(fmt_days(3, MS_LANG_FR, buf, sizeof(buf)),
	    "~3 jours");
	ck_assert_str_eq(fmt_duration(3 * 86400 + 4 * 3600 + 59, MS_LANG_EN,
	    buf, sizeof(buf)), "3 d 4 h");
	ck_assert_str_eq(fmt_duration(3 * 86400, MS_LANG_FR, buf,
	    sizeof(buf)), "3 j 0 h");
	ck_assert_str_eq(fmt_duration(5 * 3600 + 12 * 60, MS_LANG_EN, buf,
	    sizeof(buf)), "5 h 12 min");
	ck_assert_str_eq(fmt_duration(59, MS_LANG_EN, buf, sizeof(buf)),
	    "0 min");
	setenv("TZ", "UTC", 1);
	ck_assert_str_eq(fmt_time(1795536600, MS_LANG_EN, buf, sizeof(buf)),
	    "2026-11-24 16:10");
	ck_assert_str_eq(fmt_time(1795536600, MS_LANG_FR, buf, sizeof(buf)),
	    "24/11/2026 \xc3\xa0 16:10");
}
END_TEST

START_TEST(langs)
{
	enum ms_lang l;

	ck_assert_int_eq(fmt_lang_parse("fr", &l), 0);
	ck_assert_int_eq(l, MS_LANG_FR);
	ck_assert_int_eq(fmt_lang_parse("en_US.UTF-8", &l), 0);
	ck_assert_int_eq(l, MS_LANG_EN);
	ck_assert_int_eq(fmt_lang_parse("fr-CA", &l), 0);
	ck_assert_int_eq(l, MS_LANG_FR);
	ck_assert_int_eq(fmt_lang_parse("french", &l), -1);
	ck_assert_int_eq(fmt_lang_parse("de", &l), -1);
	ck_assert_int_eq(fmt_lang_parse(NULL, &l), -1);
	ck_assert_str_eq(fmt_lang_code(MS_LANG_EN), "en");
}
END_TEST

static char *
name_of(const char *json, size_t max)
{
	json_t *r = json_loads(json, 0, NULL);
	char *n;

	ck_assert_ptr_nonnull(r);
	n = fmt_name(r, max);
	json_decref(r);
	ck_assert_ptr_nonnull(n);
	return n;
}

START_TEST(names)
{
	static const struct {
		const char *rec, *want;
	} t[] = {
		{ "{\"computer_name\":\"Alice\",\"hostname\":\"a\"}", "Alice" },
		{ "{\"computer_name\":\"  \",\"hostname\":\"mac-a\"}", "mac-a" },
		{ "{\"ip\":\"10.0.0.1\",\"id\":\"X\"}", "10.0.0.1" },
		{ "{\"id\":\"C02X\"}", "C02X" },
		{ "{}", "?" },
		{ "{\"computer_name\":\"evil\\u202ecod.exe \"}",
		    "evil\xef\xbf\xbd" "cod.exe" },
		{ "{\"computer_name\":\"a\\nb\\u0085c\\u001b[2J\"}",
		    "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd[2J" },
	};
	size_t i;
	char *n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = name_of(t[i].rec, 0);
		ck_assert_str_eq(n, t[i].want);
		free(n);
	}
	/* Cut on a character, with an ellipsis, within max bytes. */
	n = name_of("{\"computer_name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}",
	    6);
	ck_assert_str_eq(n, "\xc3\xa9\xe2\x80\xa6");
	free(n);
	n = name_of("{\"computer_name\":\"abcdef\"}", 6);
	ck_assert_str_eq(n, "abcdef");
	free(n);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, sizes);
	tcase_add_test(tc, words);
	tcase_add_test(tc, langs);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}
