/*
 * check_csv.c - the CSV writer: each cell case of
 * tests/fixtures/csv/cells.json (formula neutralisation, RFC 4180
 * quoting, UTF-8), and a record of the merged view as its row
 * (tests/fixtures/csv/record.json, record.csv).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "csv.h"

static const char *
srcdir(void)
{
	const char *d = getenv("MACSCAN_SRCDIR");

	return d != NULL && *d != '\0' ? d : ".";
}

static char *
slurp(const char *rel, size_t *len)
{
	char path[PATH_MAX];
	struct ms_err e = { "" };
	char *s;

	snprintf(path, sizeof(path), "%s/tests/fixtures/csv/%s", srcdir(),
	    rel);
	s = ms_read_file(path, 1 << 20, len, &e);
	ck_assert_msg(s != NULL, "%s: %s", path, e.msg);
	return s;
}

START_TEST(cells)
{
	json_error_t je;
	size_t len, i;
	char *text = slurp("cells.json", &len);
	json_t *cases = json_loadb(text, len, 0, &je), *c;

	ck_assert_msg(cases != NULL, "cells.json:%d: %s", je.line, je.text);
	ck_assert_uint_ge(json_array_size(cases), 19);
	json_array_foreach(cases, i, c) {
		json_t *in = json_object_get(c, "in");
		const char *out = json_string_value(json_object_get(c, "out"));
		struct ms_buf b = { 0 };

		ck_assert_int_eq(csv_text(&b, json_string_value(in),
		    json_string_length(in)), 0);
		ck_assert_msg(b.len == strlen(out) && memcmp(b.data, out,
		    b.len) == 0, "%s: got [%s], want [%s]",
		    json_string_value(json_object_get(c, "why")), b.data, out);
		ms_buf_free(&b);
	}
	json_decref(cases);
	free(text);
}
END_TEST

/* A number is a number, not text: never prefixed, even below zero. */
START_TEST(numbers_are_not_text)
{
	struct ms_buf b = { 0 };
	json_t *r = json_pack("{s:s,s:I,s:I,s:b}", "id", "-1", "battery_percent",
	    (json_int_t)-5, "disk_free_bytes", (json_int_t)0, "online", 0);

	ck_assert_int_eq(csv_row(&b, r), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "'-1,,,,false,"));
	ck_assert_ptr_nonnull(strstr(b.data, ",0,"));
	ck_assert_ptr_nonnull(strstr(b.data, ",-5,"));
	ck_assert_ptr_null(strstr(b.data, "'-5"));
	ms_buf_free(&b);
	json_decref(r);
}
END_TEST

START_TEST(row_of_a_record)
{
	struct ms_buf b = { 0 };
	json_error_t je;
	size_t len, wlen;
	char *text = slurp("record.json", &len);
	char *want = slurp("record.csv", &wlen);
	json_t *r = json_loadb(text, len, 0, &je);
	size_t ncols = 0;

	ck_assert_msg(r != NULL, "%s", je.text);
	ck_assert_int_eq(csv_header(&b), 0);
	ck_assert_int_eq(csv_row(&b, r), 0);
	ck_assert_msg(b.len == wlen && memcmp(b.data, want, wlen) == 0,
	    "got:\n%s\nwant:\n%s", b.data, want);
	while (csv_columns[ncols] != NULL)
		ncols++;
	ck_assert_uint_eq(ncols, 53);
	ms_buf_free(&b);
	json_decref(r);
	free(text);
	free(want);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("csv");

	tcase_add_test(tc, cells);
	tcase_add_test(tc, numbers_are_not_text);
	tcase_add_test(tc, row_of_a_record);
	suite_add_tcase(s, tc);
	return s;
}
