#include <string.h>
#include <time.h>

#include "rfc3339.h"
#include "unit.h"

START_TEST(format)
{
	char buf[RFC3339_LEN];

	ck_assert_str_eq(rfc3339_format(0, buf), "1970-01-01T00:00:00Z");
	ck_assert_str_eq(rfc3339_format(1700000000, buf),
	    "2023-11-14T22:13:20Z");
	ck_assert_str_eq(rfc3339_format(951782400, buf),
	    "2000-02-29T00:00:00Z");
	ck_assert_str_eq(rfc3339_format(4102444799LL, buf),
	    "2099-12-31T23:59:59Z");
}
END_TEST

START_TEST(parse)
{
	struct ms_err e;
	time_t t;

	ck_assert_int_eq(rfc3339_parse("2023-11-14T22:13:20Z", &t, &e), 0);
	ck_assert_int_eq((long long)t, 1700000000);
	ck_assert_int_eq(rfc3339_parse("2023-11-14t22:13:20z", &t, &e), 0);
	ck_assert_int_eq((long long)t, 1700000000);
	ck_assert_int_eq(rfc3339_parse("2023-11-14 22:13:20.123456Z", &t,
	    &e), 0);
	ck_assert_int_eq((long long)t, 1700000000);
	ck_assert_int_eq(rfc3339_parse("2023-11-14T23:13:20+01:00", &t, &e),
	    0);
	ck_assert_int_eq((long long)t, 1700000000);
	ck_assert_int_eq(rfc3339_parse("2023-11-14T17:43:20-04:30", &t, &e),
	    0);
	ck_assert_int_eq((long long)t, 1700000000);
	ck_assert_int_eq(rfc3339_parse("2000-02-29T00:00:00Z", &t, &e), 0);
	ck_assert_int_eq((long long)t, 951782400);
	ck_assert_int_eq(rfc3339_parse("1969-12-31T23:59:59Z", &t, &e), 0);
	ck_assert_int_eq((long long)t, -1);
}
END_TEST

START_TEST(roundtrip)
{
	char buf[RFC3339_LEN];
	struct ms_err e;
	time_t t, u;

	for (t = 0; t < 4102444800LL; t += 86400 * 37 + 3601) {
		ck_assert_ptr_nonnull(rfc3339_format(t, buf));
		ck_assert_int_eq(rfc3339_parse(buf, &u, &e), 0);
		ck_assert_int_eq((long long)u, (long long)t);
	}
}
END_TEST

START_TEST(rejects)
{
	static const char *bad[] = { "", "2023-11-14", "2023-11-14T22:13:20",
	    "2023-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
	    "1900-02-29T00:00:00Z", "2023-11-31T00:00:00Z",
	    "2023-11-14T24:00:00Z", "2023-11-14T22:60:00Z",
	    "2023-11-14T22:13:20+1:00", "2023-11-14T22:13:20+01:60",
	    "2023-11-14T22:13:20Zjunk", "2023-11-14T22:13:20.Z",
	    "20231114T221320Z", "2023/11/14T22:13:20Z",
	    "2023-11-14T22:13:2xZ", "+023-11-14T22:13:20Z" };
	struct ms_err e;
	time_t t = 5;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = '\0';
		ck_assert_msg(rfc3339_parse(bad[i], &t, &e) == -1,
		    "accepted '%s'", bad[i]);
		ck_assert_msg(e.msg[0] != '\0', "no message for '%s'", bad[i]);
	}
	ck_assert_int_eq((long long)t, 5);
	ck_assert_int_eq(rfc3339_parse("2023-11-14T22:13:20", &t, &e), -1);
	ck_assert_str_eq(e.msg, "not an RFC 3339 time: '2023-11-14T22:13:20'");
	ck_assert_int_eq(rfc3339_parse("2023-11-14T22:13:20+0100", &t, &e),
	    -1);
	ck_assert_str_eq(e.msg,
	    "bad time zone offset: '2023-11-14T22:13:20+0100'");
}
END_TEST

START_TEST(leap_second)
{
	struct ms_err e;
	time_t t;

	ck_assert_int_eq(rfc3339_parse("2016-12-31T23:59:60Z", &t, &e), 0);
	ck_assert_int_eq((long long)t, 1483228799);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("rfc3339");
	TCase *tc = tcase_create("rfc3339");

	tcase_add_test(tc, format);
	tcase_add_test(tc, parse);
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, rejects);
	tcase_add_test(tc, leap_second);
	suite_add_tcase(s, tc);
	return s;
}
