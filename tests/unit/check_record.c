#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "unit.h"

START_TEST(parse_keeps_unknown_fields_in_order)
{
	const char *in = "{\"ip\":\"198.18.0.10\",\"x_custom\":{\"a\":[1,2]},"
	    "\"disk_free_bytes\":15000000000,\"zz\":null}";
	struct ms_err e;
	json_t *r = record_parse(in, strlen(in), &e);
	char *out;
	long long v;

	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(record_str(r, "ip"), "198.18.0.10");
	ck_assert_int_eq(record_int(r, "disk_free_bytes", &v), 0);
	ck_assert(v == 15000000000LL);
	ck_assert_int_eq(record_set_str(r, "hostname", "mac-alice"), 0);
	out = record_dump(r);
	ck_assert_str_eq(out, "{\"ip\":\"198.18.0.10\",\"x_custom\":{\"a\":"
	    "[1,2]},\"disk_free_bytes\":15000000000,\"zz\":null,"
	    "\"hostname\":\"mac-alice\"}");
	free(out);
	json_decref(r);
}
END_TEST

START_TEST(parse_errors)
{
	static const struct {
		const char *in;
		const char *msg;
	} cases[] = {
		{ "[1,2]", "not a JSON object" },
		{ "{\"ip\":1}", "field \"ip\" must be a string" },
		{ "{\"disk_free_bytes\":-5}",
		    "field \"disk_free_bytes\" must be an integer >= 0" },
		{ "{\"disk_free_bytes\":1.5}",
		    "field \"disk_free_bytes\" must be an integer >= 0" },
		{ "{\"online\":\"yes\"}",
		    "field \"online\" must be true or false" },
		{ "{\"rtt_ms\":\"fast\"}",
		    "field \"rtt_ms\" must be a number >= 0" },
		{ "{\"a\":1,\"a\":2}", "column" },
		{ "{\"ip\":\"x\"", "column" },
		{ "{\"ip\":\"\xc3\x28\"}", "column" },
		{ "{\"ip\":\"a\\u0000b\"}", "column" },
		{ "{} {}", "column" },
	};
	struct ms_err e;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *r = record_parse(cases[i].in, strlen(cases[i].in), &e);

		ck_assert_msg(r == NULL, "accepted %s", cases[i].in);
		ck_assert_msg(strstr(e.msg, cases[i].msg) != NULL,
		    "%s: got '%s'", cases[i].in, e.msg);
	}
}
END_TEST

START_TEST(rtt_real_ok)
{
	const char *in = "{\"rtt_ms\":0.42,\"battery_present\":false}";
	struct ms_err e;
	json_t *r = record_parse(in, strlen(in), &e);
	double d;
	int b = 7;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(record_real(r, "rtt_ms", &d), 0);
	ck_assert(d > 0.41 && d < 0.43);
	ck_assert_int_eq(record_bool(r, "battery_present", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(record_bool(r, "rtt_ms", &b), -1);
	ck_assert_int_eq(record_int(r, "nothing", &(long long){ 0 }), -1);
	json_decref(r);
}
END_TEST

START_TEST(set_cleans_utf8)
{
	json_t *r = record_new();
	char *out;

	ck_assert_int_eq(record_set_strn(r, "hostname", "a\xff" "b\0c", 5),
	    0);
	ck_assert_str_eq(record_str(r, "hostname"),
	    "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c");
	ck_assert_int_eq(record_set_str(r, "console_user", "\xc3\xa9lodie"),
	    0);
	ck_assert_str_eq(record_str(r, "console_user"), "\xc3\xa9lodie");
	/* A truncated sequence at the end. */
	ck_assert_int_eq(record_set_strn(r, "model", "M\xe2\x82", 3), 0);
	ck_assert_str_eq(record_str(r, "model"), "M\xef\xbf\xbd\xef\xbf\xbd");
	out = record_dump(r);
	ck_assert_ptr_nonnull(out);
	free(out);
	json_decref(r);
}
END_TEST

START_TEST(setters_replace)
{
	json_t *r = record_new();
	long long v;
	int b;

	ck_assert_int_eq(record_set_int(r, "battery_percent", 80), 0);
	ck_assert_int_eq(record_set_int(r, "battery_percent", 81), 0);
	ck_assert_int_eq(record_int(r, "battery_percent", &v), 0);
	ck_assert_int_eq(v, 81);
	ck_assert_int_eq(record_set_bool(r, "ac_power", 1), 0);
	ck_assert_int_eq(record_bool(r, "ac_power", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(record_del(r, "ac_power"), 0);
	ck_assert_int_eq(record_bool(r, "ac_power", &b), -1);
	ck_assert_int_eq((int)json_object_size(r), 1);
	json_decref(r);
}
END_TEST

START_TEST(identity)
{
	json_t *r = record_new();

	ck_assert_ptr_null(record_identity(r));
	record_set_str(r, "host", "mac-alice.local");
	ck_assert_str_eq(record_identity(r), "mac-alice.local");
	record_set_str(r, "ip", "198.18.0.10");
	ck_assert_str_eq(record_identity(r), "198.18.0.10");
	record_set_str(r, "mac", "3c:22:fb:00:00:0a");
	ck_assert_str_eq(record_identity(r), "3c:22:fb:00:00:0a");
	record_set_str(r, "serial", "");
	ck_assert_str_eq(record_identity(r), "3c:22:fb:00:00:0a");
	record_set_str(r, "serial", "C02XL0GZJGH5");
	ck_assert_str_eq(record_identity(r), "C02XL0GZJGH5");
	json_decref(r);
}
END_TEST


static json_t *
fixture(const char *rel)
{
	const char *d = getenv("MACSCAN_SRCDIR");
	char path[1024];
	json_error_t je;
	json_t *v;

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s",
	    d != NULL && *d != '\0' ? d : ".", rel);
	v = json_load_file(path, 0, &je);
	ck_assert_msg(v != NULL, "%s:%d: %s", path, je.line, je.text);
	return v;
}

/* The identity chain, on records of the lab's Macs
 * (tests/fixtures/identity/chain.json). */
START_TEST(identity_chain)
{
	json_t *cases = fixture("identity/chain.json"), *c;
	size_t i;

	json_array_foreach(cases, i, c) {
		json_t *r = json_object_get(c, "record");
		const char *want = json_string_value(json_object_get(c, "id"));
		const char *got = record_identity(r);

		if (want == NULL)
			ck_assert_msg(got == NULL, "case %zu: %s", i, got);
		else
			ck_assert_msg(got != NULL && strcmp(got, want) == 0,
			    "case %zu: %s, not %s", i, got ? got : "NULL",
			    want);
		ck_assert_int_eq(record_identified(r), json_is_true(
		    json_object_get(c, "identified")));
	}
	json_decref(cases);
}
END_TEST

/* Two records claiming one serial: different machines or not
 * (tests/fixtures/identity/differ.json), both ways round. */
START_TEST(differ_rule)
{
	json_t *cases = fixture("identity/differ.json"), *c;
	size_t i;

	json_array_foreach(cases, i, c) {
		json_t *a = json_object_get(c, "a"), *b = json_object_get(c,
		    "b");
		int want = json_is_true(json_object_get(c, "differ"));
		const char *why = json_string_value(json_object_get(c, "why"));

		ck_assert_msg(record_differ(a, b) == want, "%s", why);
		ck_assert_msg(record_differ(b, a) == want, "%s (b, a)", why);
	}
	json_decref(cases);
}
END_TEST

START_TEST(field_table)
{
	ck_assert_int_eq(record_field_type("disk_free_bytes"), RT_INT);
	ck_assert_int_eq(record_field_type("online"), RT_BOOL);
	ck_assert_int_eq(record_field_type("rtt_ms"), RT_NUMBER);
	ck_assert_int_eq(record_field_type("hostname"), RT_STRING);
	ck_assert_int_eq(record_field_type("no_such_field"), -1);
}
END_TEST

START_TEST(big_line)
{
	/* A 10 MB record parses (the stream bounds lines, not the parser). */
	size_t n = 10u << 20;
	char *s = malloc(n + 32);
	struct ms_err e;
	json_t *r;

	ck_assert_ptr_nonnull(s);
	memcpy(s, "{\"note\":\"", 9);
	memset(s + 9, 'x', n);
	memcpy(s + 9 + n, "\"}", 3);
	r = record_parse(s, n + 11, &e);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(strlen(record_str(r, "note")), n);
	json_decref(r);
	free(s);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("record");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, parse_keeps_unknown_fields_in_order);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, rtt_real_ok);
	tcase_add_test(tc, set_cleans_utf8);
	tcase_add_test(tc, setters_replace);
	tcase_add_test(tc, identity);
	tcase_add_test(tc, identity_chain);
	tcase_add_test(tc, differ_rule);
	tcase_add_test(tc, field_table);
	tcase_add_test(tc, big_line);
	suite_add_tcase(s, tc);
	return s;
}
