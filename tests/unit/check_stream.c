#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "stream.h"
#include "unit.h"

static FILE *
mem(const char *s, size_t n)
{
	FILE *fp = fmemopen((void *)s, n, "r");

	ck_assert_ptr_nonnull(fp);
	return fp;
}

START_TEST(mixed_input)
{
	const char in[] = "# hosts\n"
	    "\n"
	    "198.18.0.10\n"
	    "   mac-alice.local   extra fields\r\n"
	    "{\"ip\":\"198.18.0.11\",\"mac\":\"3c:22:fb:00:00:0b\"}\n"
	    "\t# indented comment\n"
	    "198.18.0.12\t3c:22:fb:00:00:0c\tApple\t0.31\ticmp\n"
	    "last-without-newline";
	struct stream s;
	struct stream_item it;
	struct ms_err e;
	FILE *fp = mem(in, sizeof(in) - 1);

	stream_init(&s, fp, "hosts.txt", 0);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_ITEM);
	ck_assert_int_eq(it.is_host, 1);
	ck_assert_uint_eq(it.lineno, 3);
	ck_assert_str_eq(record_str(it.rec, "host"), "198.18.0.10");
	json_decref(it.rec);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_ITEM);
	ck_assert_str_eq(record_str(it.rec, "host"), "mac-alice.local");
	ck_assert_uint_eq(it.lineno, 4);
	json_decref(it.rec);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_ITEM);
	ck_assert_int_eq(it.is_host, 0);
	ck_assert_str_eq(record_str(it.rec, "mac"), "3c:22:fb:00:00:0b");
	ck_assert_ptr_null(record_str(it.rec, "host"));
	json_decref(it.rec);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_ITEM);
	ck_assert_str_eq(record_str(it.rec, "host"), "198.18.0.12");
	ck_assert_uint_eq(it.lineno, 7);
	json_decref(it.rec);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_ITEM);
	ck_assert_str_eq(record_str(it.rec, "host"), "last-without-newline");
	ck_assert_uint_eq(it.lineno, 8);
	json_decref(it.rec);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_EOF);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_EOF);
	stream_close(&s);
	fclose(fp);
}
END_TEST

START_TEST(bad_lines_go_on)
{
	const char in[] = "198.18.0.10\n"
	    "{\"ip\": 12}\n"
	    "{not json\n"
	    "bad$host\n"
	    "-rf\n"
	    "\xff\xfe\n"
	    "\x1b[31mred\n"
	    "198.18.0.20\n";
	struct stream s;
	struct stream_item it;
	struct ms_err e;
	FILE *fp = mem(in, sizeof(in) - 1);

	stream_init(&s, fp, "<stdin>", 0);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_ITEM);
	json_decref(it.rec);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_BAD);
	ck_assert_str_eq(e.msg, "<stdin>:2: field \"ip\" must be a string");
	ck_assert_ptr_null(it.rec);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_BAD);
	ck_assert_msg(strncmp(e.msg, "<stdin>:3: column ", 18) == 0, "%s",
	    e.msg);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_BAD);
	ck_assert_str_eq(e.msg,
	    "<stdin>:4: not a host name or address: 'bad$host'");
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_BAD);
	ck_assert_str_eq(e.msg, "<stdin>:5: not a host name or address: '-rf'");
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_BAD);
	ck_assert_str_eq(e.msg, "<stdin>:6: not a host name or address: "
	    "'\xef\xbf\xbd\xef\xbf\xbd'");
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_BAD);
	ck_assert_str_eq(e.msg, "<stdin>:7: not a host name or address: "
	    "'?[31mred'");
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_ITEM);
	ck_assert_str_eq(record_str(it.rec, "host"), "198.18.0.20");
	ck_assert_uint_eq(it.lineno, 8);
	json_decref(it.rec);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_EOF);
	stream_close(&s);
	fclose(fp);
}
END_TEST

START_TEST(long_line_skipped)
{
	size_t big = 10u << 20, n = big + 64;
	char *in = malloc(n);
	struct stream s;
	struct stream_item it;
	struct ms_err e;
	size_t off;
	FILE *fp;

	ck_assert_ptr_nonnull(in);
	memcpy(in, "{\"x\":\"", 6);
	memset(in + 6, 'y', big);
	off = 6 + big;
	off += (size_t)sprintf(in + off, "\"}\n198.18.0.9\n");
	fp = mem(in, off);
	stream_init(&s, fp, "big.ndjson", 0);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_BAD);
	ck_assert_str_eq(e.msg, "big.ndjson:1: line longer than 4194304 bytes");
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_ITEM);
	ck_assert_str_eq(record_str(it.rec, "host"), "198.18.0.9");
	ck_assert_uint_eq(it.lineno, 2);
	json_decref(it.rec);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_EOF);
	/* The buffer never grew past the bound. */
	ck_assert_uint_le(s.cap, STREAM_MAXLINE_DEFAULT + 1);
	stream_close(&s);
	fclose(fp);

	/* With a larger bound the same line is a record. */
	fp = mem(in, off);
	stream_init(&s, fp, "big.ndjson", 16u << 20);
	ck_assert_int_eq(stream_next(&s, &it, &e), STREAM_ITEM);
	ck_assert_uint_eq(strlen(record_str(it.rec, "x")), big);
	json_decref(it.rec);
	stream_close(&s);
	fclose(fp);
	free(in);
}
END_TEST

START_TEST(line_bound_exact)
{
	const char in[] = "abcdefgh\nabcdefghi\nabc\n";
	struct stream s;
	const char *line;
	size_t len;
	struct ms_err e;
	FILE *fp = mem(in, sizeof(in) - 1);

	stream_init(&s, fp, "f", 8);
	ck_assert_int_eq(stream_line(&s, &line, &len, &e), STREAM_ITEM);
	ck_assert_str_eq(line, "abcdefgh");
	ck_assert_uint_eq(len, 8);
	ck_assert_int_eq(stream_line(&s, &line, &len, &e), STREAM_BAD);
	ck_assert_str_eq(e.msg, "f:2: line longer than 8 bytes");
	ck_assert_int_eq(stream_line(&s, &line, &len, &e), STREAM_ITEM);
	ck_assert_str_eq(line, "abc");
	ck_assert_uint_eq(s.lineno, 3);
	stream_close(&s);
	fclose(fp);
}
END_TEST

START_TEST(host_valid)
{
	ck_assert_int_eq(stream_host_valid("mac-01.local", 12), 1);
	ck_assert_int_eq(stream_host_valid("198.18.0.1", 10), 1);
	ck_assert_int_eq(stream_host_valid("a_b", 3), 1);
	ck_assert_int_eq(stream_host_valid("", 0), 0);
	ck_assert_int_eq(stream_host_valid("-x", 2), 0);
	ck_assert_int_eq(stream_host_valid(".x", 2), 0);
	ck_assert_int_eq(stream_host_valid("a;b", 3), 0);
	ck_assert_int_eq(stream_host_valid("a b", 3), 0);
	{
		char h[300];

		memset(h, 'a', sizeof(h));
		ck_assert_int_eq(stream_host_valid(h, 253), 1);
		ck_assert_int_eq(stream_host_valid(h, 254), 0);
	}
}
END_TEST

START_TEST(write_flushes_one_line)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);
	json_t *r = record_new();
	struct ms_err e;

	record_set_str(r, "ip", "198.18.0.10");
	/* A record read from a line may hold a newline (the setters would
	 * have cleaned it): the writer still keeps it on one line. */
	json_object_set_new(r, "hostname", json_string("line\nbreak"));
	ck_assert_int_eq(stream_write(fp, r, &e), 0);
	/* Flushed: the bytes are visible without closing the stream. */
	ck_assert_str_eq(buf,
	    "{\"ip\":\"198.18.0.10\",\"hostname\":\"line\\nbreak\"}\n");
	fclose(fp);
	free(buf);
	json_decref(r);
}
END_TEST

START_TEST(write_error_reported)
{
	FILE *fp = fopen("/dev/full", "w");
	json_t *r = record_new();
	struct ms_err e;

	ck_assert_ptr_nonnull(fp);
	record_set_str(r, "ip", "198.18.0.10");
	ck_assert_int_eq(stream_write(fp, r, &e), -1);
	ck_assert_str_eq(e.msg, "write error: No space left on device");
	fclose(fp);
	json_decref(r);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc = tcase_create("stream");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, mixed_input);
	tcase_add_test(tc, bad_lines_go_on);
	tcase_add_test(tc, long_line_skipped);
	tcase_add_test(tc, line_bound_exact);
	tcase_add_test(tc, host_valid);
	tcase_add_test(tc, write_flushes_one_line);
	tcase_add_test(tc, write_error_reported);
	suite_add_tcase(s, tc);
	return s;
}
