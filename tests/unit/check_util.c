#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "util.h"

START_TEST(strtonum_bounds)
{
	long long v = -1;
	const char *es = "unset";

	ck_assert_int_eq(ms_strtonum("42", 0, 100, &v, &es), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_ptr_null(es);
	ck_assert_int_eq(ms_strtonum("100", 0, 100, &v, &es), 0);
	ck_assert_int_eq(v, 100);
	ck_assert_int_eq(ms_strtonum("101", 0, 100, &v, &es), -1);
	ck_assert_str_eq(es, "too large");
	ck_assert_int_eq(ms_strtonum("-1", 0, 100, &v, &es), -1);
	ck_assert_str_eq(es, "too small");
	ck_assert_int_eq(ms_strtonum("-5", -10, 10, &v, &es), 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(ms_strtonum("9223372036854775807", 0, LLONG_MAX,
	    &v, &es), 0);
	ck_assert(v == LLONG_MAX);
	ck_assert_int_eq(ms_strtonum("-9223372036854775808", LLONG_MIN, 0,
	    &v, &es), 0);
	ck_assert(v == LLONG_MIN);
	ck_assert_int_eq(ms_strtonum("9223372036854775808", 0, LLONG_MAX,
	    &v, &es), -1);
	ck_assert_str_eq(es, "too large");
	ck_assert_int_eq(ms_strtonum("99999999999999999999999", 0, 10, &v,
	    &es), -1);
	ck_assert_str_eq(es, "too large");
}
END_TEST

START_TEST(strtonum_invalid)
{
	static const char *bad[] = { "", " 1", "1 ", "1x", "0x10", "+", "-",
	    "1.5", "１", "99999999999999999999x" };
	long long v = 7;
	const char *es;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		es = NULL;
		ck_assert_msg(ms_strtonum(bad[i], 0, 1000, &v, &es) == -1,
		    "accepted '%s'", bad[i]);
		ck_assert_str_eq(es, "invalid");
	}
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(ms_strtonum(NULL, 0, 1, &v, &es), -1);
}
END_TEST

START_TEST(err_set_errno)
{
	struct ms_err e;

	errno = ENOENT;
	ck_assert_int_eq(ms_err_set(&e, "open %s:", "x.conf"), -1);
	ck_assert_str_eq(e.msg, "open x.conf: No such file or directory");
	ck_assert_int_eq(ms_err_set(&e, "plain %d", 3), -1);
	ck_assert_str_eq(e.msg, "plain 3");
	ck_assert_int_eq(ms_err_set(NULL, "ignored"), -1);
}
END_TEST

START_TEST(err_truncates)
{
	struct ms_err e;
	char big[2000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ms_err_set(&e, "%s", big);
	ck_assert_uint_eq(strlen(e.msg), MS_ERRLEN - 1);
}
END_TEST

START_TEST(buf_grows)
{
	struct ms_buf b = { 0 };
	size_t len, i;
	char *s;

	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(ms_buf_printf(&b, "%zu,", i % 10), 0);
	ck_assert_uint_eq(b.len, 20000);
	ck_assert_int_eq(strncmp(b.data, "0,1,2,", 6), 0);
	ck_assert_int_eq(b.data[b.len], '\0');
	ck_assert_int_eq(ms_buf_append(&b, "\0x", 2), 0);
	ck_assert_uint_eq(b.len, 20002);
	ms_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	ms_buf_puts(&b, "abc");
	s = ms_buf_steal(&b, &len);
	ck_assert_str_eq(s, "abc");
	ck_assert_uint_eq(len, 3);
	ck_assert_ptr_null(b.data);
	free(s);
	s = ms_buf_steal(&b, &len);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(len, 0);
	free(s);
	ms_buf_free(&b);
}
END_TEST

START_TEST(read_file_bounded)
{
	char path[] = "/tmp/check_util.XXXXXX";
	struct ms_err e;
	size_t len;
	char *s;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hello\n", 6), 6);
	close(fd);
	s = ms_read_file(path, 6, &len, &e);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "hello\n");
	ck_assert_uint_eq(len, 6);
	free(s);
	s = ms_read_file(path, 5, &len, &e);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(e.msg, "larger than 5 bytes") != NULL, "%s",
	    e.msg);
	unlink(path);
	s = ms_read_file(path, 5, &len, &e);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(e.msg, "No such file") != NULL, "%s", e.msg);
}
END_TEST

START_TEST(utf8)
{
	ck_assert_int_eq(ms_utf8_valid("abc", 3), 1);
	ck_assert_int_eq(ms_utf8_valid("\xc3\xa9lodie", 7), 1);
	ck_assert_int_eq(ms_utf8_valid("\xf0\x9f\x8d\x8e", 4), 1);
	ck_assert_int_eq(ms_utf8_valid("\xc3", 1), 0);	/* truncated */
	ck_assert_int_eq(ms_utf8_valid("\xc0\xaf", 2), 0); /* overlong */
	ck_assert_int_eq(ms_utf8_valid("\xed\xa0\x80", 3), 0); /* surrogate */
	ck_assert_int_eq(ms_utf8_valid("\xf4\x90\x80\x80", 4), 0);
	ck_assert_int_eq(ms_utf8_valid("\xff", 1), 0);
	ck_assert_int_eq(ms_utf8_valid("a\x80", 2), 0);
	ck_assert_int_eq(ms_utf8_valid("", 0), 1);
}
END_TEST

START_TEST(utf8_next)
{
	unsigned long cp = 0;

	ck_assert_uint_eq(ms_utf8_next("A", 1, &cp), 1);
	ck_assert_uint_eq(cp, 0x41);
	ck_assert_uint_eq(ms_utf8_next("\xc3\xa9x", 3, &cp), 2);
	ck_assert_uint_eq(cp, 0xe9);
	ck_assert_uint_eq(ms_utf8_next("\xe2\x9c\x93", 3, &cp), 3);
	ck_assert_uint_eq(cp, 0x2713);
	ck_assert_uint_eq(ms_utf8_next("\xf0\x9f\x8d\x8e", 4, &cp), 4);
	ck_assert_uint_eq(cp, 0x1f34e);
	ck_assert_uint_eq(ms_utf8_next("\xe2\x9c", 2, &cp), 0);
	ck_assert_uint_eq(ms_utf8_next("\xe0\x80\x80", 3, &cp), 0);
	ck_assert_uint_eq(ms_utf8_next("", 0, &cp), 0);
	ck_assert_uint_eq(ms_utf8_next("\x80", 1, NULL), 0);
}
END_TEST

START_TEST(grow_checked)
{
	int *v = NULL;
	size_t cap = 0, i;

	ck_assert_int_eq(ms_grow(&v, &cap, 1, sizeof(*v)), 0);
	ck_assert_uint_eq(cap, 8);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(ms_grow(&v, &cap, i + 1, sizeof(*v)), 0);
		v[i] = (int)i;
	}
	ck_assert_uint_ge(cap, 1000);
	ck_assert_int_eq(v[999], 999);
	/* A product past SIZE_MAX fails and leaves the array as it was. */
	errno = 0;
	ck_assert_int_eq(ms_grow(&v, &cap, SIZE_MAX / 2, sizeof(*v)), -1);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_ge(cap, 1000);
	ck_assert_int_eq(v[500], 500);
	free(v);
}
END_TEST

START_TEST(utf8_cut)
{
	/* "ab" then é (2 bytes) then € (3 bytes) then 😀 (4 bytes). */
	static const char s[] = "ab\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	size_t n = sizeof(s) - 1;

	ck_assert_uint_eq(ms_utf8_cut(s, n, 100), n);
	ck_assert_uint_eq(ms_utf8_cut(s, n, 2), 2);
	ck_assert_uint_eq(ms_utf8_cut(s, n, 3), 2);
	ck_assert_uint_eq(ms_utf8_cut(s, n, 4), 4);
	ck_assert_uint_eq(ms_utf8_cut(s, n, 6), 4);
	ck_assert_uint_eq(ms_utf8_cut(s, n, 7), 7);
	ck_assert_uint_eq(ms_utf8_cut(s, n, 10), 7);
	ck_assert_uint_eq(ms_utf8_cut(s, n, 0), 0);
	/* Invalid bytes count one each, so they can be cut anywhere. */
	ck_assert_uint_eq(ms_utf8_cut("\xff\xfe\xfd", 3, 2), 2);
	/* 120 ASCII digits then 4 é: cut at 128 keeps 4 é, at 127 three. */
	{
		char big[200];
		size_t i;

		memset(big, '1', 120);
		for (i = 0; i < 4; i++)
			memcpy(big + 120 + 2 * i, "\xc3\xa9", 2);
		ck_assert_uint_eq(ms_utf8_cut(big, 128, 128), 128);
		ck_assert_uint_eq(ms_utf8_cut(big, 128, 127), 126);
		ck_assert(ms_utf8_valid(big, ms_utf8_cut(big, 128, 125)));
	}
}
END_TEST

START_TEST(monotonic)
{
	int64_t a = ms_now_ns(), b = ms_now_ns();

	ck_assert(a > 0);
	ck_assert(b >= a);
}
END_TEST

START_TEST(bzero_wipes)
{
	char s[] = "secret";

	ms_explicit_bzero(s, sizeof(s));
	ck_assert_int_eq(memcmp(s, "\0\0\0\0\0\0\0", sizeof(s)), 0);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, strtonum_bounds);
	tcase_add_test(tc, strtonum_invalid);
	tcase_add_test(tc, err_set_errno);
	tcase_add_test(tc, err_truncates);
	tcase_add_test(tc, buf_grows);
	tcase_add_test(tc, read_file_bounded);
	tcase_add_test(tc, utf8);
	tcase_add_test(tc, utf8_next);
	tcase_add_test(tc, grow_checked);
	tcase_add_test(tc, utf8_cut);
	tcase_add_test(tc, monotonic);
	tcase_add_test(tc, bzero_wipes);
	suite_add_tcase(s, tc);
	return s;
}
