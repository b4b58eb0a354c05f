#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "target.h"

/*
 * Counting allocator, to show that iterating allocates nothing. It
 * replaces malloc and friends for this program only (glibc, and not under
 * AddressSanitizer, which brings its own).
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#endif

#if defined(__GLIBC__) && !defined(UNDER_ASAN)
#define COUNT_ALLOCS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static unsigned long nalloc;

void *
malloc(size_t n)
{
	nalloc++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	nalloc++;
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	nalloc++;
	return __libc_realloc(p, n);
}
#endif

#define A(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void
parse_ok(const char *s, uint32_t first, uint32_t last)
{
	struct target t;
	struct ms_err e = { "" };

	ck_assert_msg(target_parse(s, &t, &e) == 0, "'%s': %s", s, e.msg);
	ck_assert_msg(t.first == first && t.last == last,
	    "'%s': got %08x-%08x, want %08x-%08x", s, (unsigned)t.first,
	    (unsigned)t.last, (unsigned)first, (unsigned)last);
	ck_assert_ptr_null(t.name);
	target_free(&t);
}

static void
parse_bad(const char *s, const char *msg)
{
	struct target t;
	struct ms_err e = { "" };

	ck_assert_msg(target_parse(s, &t, &e) == -1, "accepted '%s'", s);
	ck_assert_str_eq(e.msg, msg);
	ck_assert_ptr_null(t.name);
	ck_assert(t.first == 0 && t.last == 0);
}

static uint64_t
count1(const char *s)
{
	struct target_list l = { 0 };
	struct ms_err e;
	uint64_t n;

	ck_assert_msg(target_list_add(&l, s, &e) == 0, "%s", e.msg);
	n = target_list_count(&l);
	target_list_free(&l);
	return n;
}

START_TEST(single)
{
	parse_ok("192.168.1.7", A(192, 168, 1, 7), A(192, 168, 1, 7));
	parse_ok("0.0.0.0", 0, 0);
	parse_ok("255.255.255.255", UINT32_MAX, UINT32_MAX);
	parse_ok("10.0.0.1", A(10, 0, 0, 1), A(10, 0, 0, 1));
	parse_ok("1.2.3.4", 0x01020304u, 0x01020304u);
	ck_assert(count1("255.255.255.255") == 1);
}
END_TEST

START_TEST(bad_addresses)
{
	parse_bad("192.168.1.300", "'192.168.1.300': octet 4 is larger than "
	    "255");
	parse_bad("1.2.3.999", "'1.2.3.999': octet 4 is larger than 255");
	parse_bad("256.1.1.1", "'256.1.1.1': octet 1 is larger than 255");
	parse_bad("99999999999999999999.1.1.1", "'99999999999999999999.1.1.1'"
	    ": octet 1 is larger than 255");
	parse_bad("010.1.1.1", "'010.1.1.1': octet 1 has a leading zero: "
	    "leading zeros are ambiguous (octal or decimal?)");
	parse_bad("10.1.1.00", "'10.1.1.00': octet 4 has a leading zero: "
	    "leading zeros are ambiguous (octal or decimal?)");
	parse_bad("1.2.3", "'1.2.3': 3 octets, an address has 4");
	parse_bad("1", "'1': 1 octet, an address has 4");
	parse_bad("3232235777", "'3232235777': octet 1 is larger than 255");
	parse_bad("1.2.3.4.5", "'1.2.3.4.5': more than 4 octets");
	parse_bad("1.2.3.4.", "'1.2.3.4.': ends with '.'");
	parse_bad("1..2.3", "'1..2.3': octet 2 is empty");
	parse_bad(".1.2.3", "'.1.2.3': octet 1 is empty");
	parse_bad("1.2.3.", "'1.2.3.': octet 4 is empty");
	parse_bad("+1.2.3.4", "'+1.2.3.4': octet 1 has a bad character '+'");
	parse_bad("1.2.+3.4", "'1.2.+3.4': octet 3 has a bad character '+'");
	parse_bad(" 1.2.3.4", "' 1.2.3.4': octet 1 has a bad character ' '");
	parse_bad("1.2.3.4 ", "'1.2.3.4 ': octet 4 has a bad character ' '");
	parse_bad("1.2. 3.4", "'1.2. 3.4': octet 3 has a bad character ' '");
	parse_bad("1.2.3.4\n", "'1.2.3.4\\x0a': octet 4 has a bad character "
	    "'\\x0a'");
	parse_bad("1.2.3.\xff", "'1.2.3.\\xff': octet 4 has a bad character "
	    "'\\xff'");
	parse_bad("", "empty target");
	parse_bad(NULL, "empty target");
}
END_TEST

START_TEST(long_input_is_cut)
{
	char s[300];
	struct target t;
	struct ms_err e;

	memset(s, '9', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	ck_assert_int_eq(target_parse(s, &t, &e), -1);
	ck_assert_msg(strstr(e.msg, "...': octet 1 is larger than 255") !=
	    NULL, "%s", e.msg);
	ck_assert(strlen(e.msg) < 120);
}
END_TEST

START_TEST(cidr)
{
	parse_ok("192.168.1.0/24", A(192, 168, 1, 0), A(192, 168, 1, 255));
	/* Host bits set: the network is meant. */
	parse_ok("192.168.1.77/24", A(192, 168, 1, 0), A(192, 168, 1, 255));
	parse_ok("10.0.0.5/32", A(10, 0, 0, 5), A(10, 0, 0, 5));
	parse_ok("10.0.0.7/31", A(10, 0, 0, 6), A(10, 0, 0, 7));
	parse_ok("10.0.0.6/31", A(10, 0, 0, 6), A(10, 0, 0, 7));
	parse_ok("0.0.0.0/0", 0, UINT32_MAX);
	parse_ok("1.2.3.4/0", 0, UINT32_MAX);
	parse_ok("172.16.200.1/12", A(172, 16, 0, 0), A(172, 31, 255, 255));
	parse_ok("128.0.0.0/1", A(128, 0, 0, 0), UINT32_MAX);
	parse_ok("127.255.255.255/1", 0, A(127, 255, 255, 255));
	parse_ok("255.255.255.255/32", UINT32_MAX, UINT32_MAX);
	parse_ok("10.1.2.3/08", A(10, 0, 0, 0), A(10, 255, 255, 255));
	ck_assert(count1("10.0.0.5/32") == 1);
	ck_assert(count1("10.0.0.5/31") == 2);
	ck_assert(count1("192.168.1.0/24") == 256);
	ck_assert(count1("10.1.0.0/16") == 65536);
	ck_assert(count1("0.0.0.0/0") == 4294967296ull);
}
END_TEST

START_TEST(bad_cidr)
{
	parse_bad("10.0.0.0/33", "'10.0.0.0/33': prefix length must be 0 to "
	    "32");
	parse_bad("10.0.0.0/99999999999999999999", "'10.0.0.0/"
	    "99999999999999999999': prefix length must be 0 to 32");
	parse_bad("10.0.0.0/", "'10.0.0.0/': prefix length is missing");
	parse_bad("10.0.0.0/x", "'10.0.0.0/x': prefix length is not a "
	    "number");
	parse_bad("10.0.0.0/-1", "'10.0.0.0/-1': prefix length is not a "
	    "number");
	parse_bad("10.0.0.0/+8", "'10.0.0.0/+8': prefix length is not a "
	    "number");
	parse_bad("10.0.0.0/ 8", "'10.0.0.0/ 8': prefix length is not a "
	    "number");
	parse_bad("10.0.0.0/8/8", "'10.0.0.0/8/8': prefix length is not a "
	    "number");
	parse_bad("10.0.0/8", "'10.0.0/8': 3 octets, an address has 4");
	parse_bad("010.0.0.0/8", "'010.0.0.0/8': octet 1 has a leading zero: "
	    "leading zeros are ambiguous (octal or decimal?)");
	parse_bad("/24", "'/24': octet 1 is empty");
	parse_bad("host.local/24", "'host.local/24': a host name cannot have "
	    "a prefix length");
}
END_TEST

START_TEST(ranges)
{
	parse_ok("192.168.1.10-50", A(192, 168, 1, 10), A(192, 168, 1, 50));
	parse_ok("192.168.1.250-192.168.2.5", A(192, 168, 1, 250),
	    A(192, 168, 2, 5));
	parse_ok("10.0.0.1-1", A(10, 0, 0, 1), A(10, 0, 0, 1));
	parse_ok("10.0.0.0-255", A(10, 0, 0, 0), A(10, 0, 0, 255));
	parse_ok("0.0.0.0-255.255.255.255", 0, UINT32_MAX);
	parse_ok("10.255.255.255-11.0.0.0", A(10, 255, 255, 255),
	    A(11, 0, 0, 0));
	ck_assert(count1("192.168.1.10-50") == 41);
	ck_assert(count1("192.168.1.250-192.168.2.5") == 12);
	ck_assert(count1("0.0.0.0-255.255.255.255") == 4294967296ull);
}
END_TEST

START_TEST(bad_ranges)
{
	parse_bad("192.168.1.50-10", "'192.168.1.50-10': range end "
	    "192.168.1.10 is before its start 192.168.1.50");
	parse_bad("192.168.2.1-192.168.1.255", "'192.168.2.1-192.168.1.255': "
	    "range end 192.168.1.255 is before its start 192.168.2.1");
	parse_bad("192.168.1.10-256", "'192.168.1.10-256': range end is "
	    "larger than 255");
	parse_bad("192.168.1.10-050", "'192.168.1.10-050': range end has a "
	    "leading zero: leading zeros are ambiguous (octal or decimal?)");
	parse_bad("192.168.1.10-", "'192.168.1.10-': range end is empty");
	parse_bad("192.168.1.10-2.5", "'192.168.1.10-2.5': range end: 2 "
	    "octets, an address has 4");
	parse_bad("192.168.1.10-20-30", "'192.168.1.10-20-30': range end has "
	    "a bad character '-'");
	parse_bad("192.168.1-10", "'192.168.1-10': range start: 3 octets, an "
	    "address has 4");
	parse_bad("-5", "'-5': range start: octet 1 is empty");
	parse_bad("1.2.3.4-1.2.3.256", "'1.2.3.4-1.2.3.256': range end: octet "
	    "4 is larger than 255");
	parse_bad("1.2.3.4 - 9", "'1.2.3.4 - 9': range start: octet 4 has a "
	    "bad character ' '");
}
END_TEST

START_TEST(names)
{
	static const char *good[] = { "imac-jean.local", "localhost", "a",
	    "A1", "xn--bcher-kva.example", "mac-01.office.example.com",
	    "1host.example", "host.example1", "1.2.3.4x", "3com" };
	char label[70], name[300];
	struct target t;
	struct ms_err e;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(target_parse(good[i], &t, &e) == 0, "%s", e.msg);
		ck_assert_str_eq(t.name, good[i]);
		ck_assert(t.first == 0 && t.last == 0);
		target_free(&t);
		ck_assert_ptr_null(t.name);
	}
	ck_assert(count1("imac-jean.local") == 1);

	/* 63 characters in a label is the most. */
	memset(label, 'a', 63);
	label[63] = '\0';
	ck_assert_int_eq(target_parse(label, &t, &e), 0);
	target_free(&t);
	memset(label, 'a', 64);
	label[64] = '\0';
	ck_assert_int_eq(target_parse(label, &t, &e), -1);
	ck_assert(strstr(e.msg, "': label 1 of the host name is longer "
	    "than 63 characters") != NULL);

	/* 253 characters in a name is the most: 4 * 63 + 1. */
	memset(name, 'b', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	ck_assert_int_eq(target_parse(name, &t, &e), 0);
	ck_assert_uint_eq(strlen(t.name), 253);
	target_free(&t);
	name[253] = 'b';
	name[254] = '\0';
	ck_assert_int_eq(target_parse(name, &t, &e), -1);
	ck_assert(strstr(e.msg, "...': host name is longer than 253 "
	    "characters") != NULL);
}
END_TEST

START_TEST(bad_names)
{
	parse_bad("host.123", "'host.123': the last label is all-numeric: "
	    "not a host name");
	parse_bad("a.1.2.3", "'a.1.2.3': the last label is all-numeric: not a "
	    "host name");
	parse_bad("under_score.local", "'under_score.local': bad character "
	    "'_' at position 6 (a host name has letters, digits, '-' and "
	    "'.')");
	parse_bad("my host", "'my host': bad character ' ' at position 3 (a "
	    "host name has letters, digits, '-' and '.')");
	parse_bad("caf\xc3\xa9.local", "'caf\\xc3\\xa9.local': bad character "
	    "'\\xc3' at position 4 (a host name has letters, digits, '-' and "
	    "'.')");
	parse_bad("-foo.local", "'-foo.local': label 1 of the host name "
	    "starts with '-'");
	parse_bad("foo-.local", "'foo-.local': label 1 of the host name ends "
	    "with '-'");
	parse_bad("foo.-local", "'foo.-local': label 2 of the host name "
	    "starts with '-'");
	parse_bad("foo..local", "'foo..local': label 2 of the host name is "
	    "empty");
	parse_bad(".foo", "'.foo': label 1 of the host name is empty");
	parse_bad("foo.local.", "'foo.local.': label 3 of the host name is "
	    "empty");
	parse_bad("0x7f000001", "'0x7f000001': reads as a number in hex, not "
	    "a host name; write the address as a dotted quad");
	parse_bad("127.0.0.0x1", "'127.0.0.0x1': reads as a number in hex, "
	    "not a host name; write the address as a dotted quad");
	parse_bad("::1", "'::1': ':' is not allowed (IPv6 addresses and ports "
	    "are not supported)");
	parse_bad("fe80::1", "'fe80::1': ':' is not allowed (IPv6 addresses "
	    "and ports are not supported)");
	parse_bad("imac.local:22", "'imac.local:22': ':' is not allowed (IPv6 "
	    "addresses and ports are not supported)");
	parse_bad("0x7f.1", "'0x7f.1': the last label is all-numeric: not a "
	    "host name");
}
END_TEST

START_TEST(list_and_iter)
{
	static const uint32_t want[] = { A(10, 0, 0, 0), A(10, 0, 0, 1),
	    A(10, 0, 0, 2), A(10, 0, 0, 3), 0, A(10, 0, 0, 10),
	    A(10, 0, 0, 11), A(10, 0, 0, 1) };
	struct target_list l = { 0 };
	struct target_iter it;
	struct ms_err e;
	const char *name;
	uint32_t a;
	size_t i;

	ck_assert_int_eq(target_list_add(&l, "10.0.0.0/30", &e), 0);
	ck_assert_int_eq(target_list_add(&l, "imac.local", &e), 0);
	ck_assert_int_eq(target_list_add(&l, "10.0.0.10-11", &e), 0);
	ck_assert_int_eq(target_list_add(&l, "10.0.0.1", &e), 0);
	/* A bad target leaves the list as it was. */
	ck_assert_int_eq(target_list_add(&l, "10.0.0.256", &e), -1);
	ck_assert_str_eq(e.msg, "'10.0.0.256': octet 4 is larger than 255");
	ck_assert_uint_eq(l.n, 4);
	ck_assert(target_list_count(&l) == 8);

	target_iter_init(&it, &l);
	for (i = 0; i < 8; i++) {
		a = 99;
		name = "x";
		ck_assert_int_eq(target_iter_next(&it, &a, &name), 1);
		if (i == 4) {
			ck_assert_str_eq(name, "imac.local");
			ck_assert_uint_eq(a, 0);
		} else {
			ck_assert_ptr_null(name);
			ck_assert_uint_eq(a, want[i]);
		}
	}
	ck_assert_int_eq(target_iter_next(&it, &a, &name), 0);
	ck_assert_int_eq(target_iter_next(&it, &a, &name), 0);
	target_list_free(&l);
	ck_assert_ptr_null(l.v);
	ck_assert_uint_eq(l.n, 0);

	/* Empty and NULL lists. */
	target_iter_init(&it, &l);
	ck_assert_int_eq(target_iter_next(&it, &a, &name), 0);
	ck_assert(target_list_count(&l) == 0);
	target_iter_init(&it, NULL);
	ck_assert_int_eq(target_iter_next(&it, &a, &name), 0);
	ck_assert(target_list_count(NULL) == 0);
}
END_TEST

START_TEST(many_targets)
{
	struct target_list l = { 0 };
	struct ms_err e;
	char s[32];
	unsigned i;

	for (i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "10.%u.%u.0/24", i / 256, i % 256);
		ck_assert_int_eq(target_list_add(&l, s, &e), 0);
	}
	ck_assert_int_eq(target_list_add(&l, "0.0.0.0/0", &e), 0);
	ck_assert_int_eq(target_list_add(&l, "0.0.0.0/0", &e), 0);
	ck_assert_uint_eq(l.n, 1002);
	ck_assert(target_list_count(&l) == 1000 * 256 + 2 * 4294967296ull);
	target_list_free(&l);
}
END_TEST

START_TEST(iterate_slash16)
{
	struct target_list l = { 0 };
	struct target_iter it;
	struct ms_err e;
	const char *name;
	uint32_t a, first = 1, last = 0, prev = 0;
	uint64_t n = 0;
#ifdef COUNT_ALLOCS
	unsigned long before;
	int live;
#endif

#ifdef COUNT_ALLOCS
	before = nalloc;
#endif
	ck_assert_int_eq(target_list_add(&l, "10.1.77.3/16", &e), 0);
#ifdef COUNT_ALLOCS
	/*
	 * The counter is live when adding a target counted (valgrind, for
	 * one, replaces malloc itself; then the count is skipped).
	 */
	live = nalloc > before;
#endif
	ck_assert(target_list_count(&l) == 65536);
	/* No check between here and the end of the loop: Check allocates. */
#ifdef COUNT_ALLOCS
	before = nalloc;
#endif
	target_iter_init(&it, &l);
	while (target_iter_next(&it, &a, &name) == 1) {
		if (n == 0)
			first = a;
		else if (a != prev + 1)
			break;
		if (name != NULL)
			break;
		prev = last = a;
		n++;
	}
#ifdef COUNT_ALLOCS
	if (live)
		ck_assert_uint_eq(nalloc, before);
#endif
	ck_assert(n == 65536);
	ck_assert_uint_eq(first, A(10, 1, 0, 0));
	ck_assert_uint_eq(last, A(10, 1, 255, 255));
	target_list_free(&l);
}
END_TEST

START_TEST(iterate_top)
{
	struct target_list l = { 0 };
	struct target_iter it;
	struct ms_err e;
	uint32_t a, prev = 0;
	uint64_t n = 0;

	/* The end of the address space must not wrap to 0.0.0.0. */
	ck_assert_int_eq(target_list_add(&l, "255.255.255.0/24", &e), 0);
	ck_assert_int_eq(target_list_add(&l, "255.255.255.254-255", &e), 0);
	ck_assert_int_eq(target_list_add(&l, "0.0.0.0/31", &e), 0);
	target_iter_init(&it, &l);
	while (target_iter_next(&it, &a, NULL) == 1) {
		if (n == 0)
			ck_assert_uint_eq(a, A(255, 255, 255, 0));
		else if (n < 256)
			ck_assert_uint_eq(a, prev + 1);
		prev = a;
		n++;
	}
	ck_assert(n == 256 + 2 + 2);
	ck_assert_uint_eq(prev, 1);
	ck_assert(target_list_count(&l) == n);
	target_list_free(&l);
}
END_TEST

START_TEST(fmt)
{
	char buf[16];

	ck_assert_int_eq(target_fmt(0, buf), 7);
	ck_assert_str_eq(buf, "0.0.0.0");
	ck_assert_int_eq(target_fmt(UINT32_MAX, buf), 15);
	ck_assert_str_eq(buf, "255.255.255.255");
	ck_assert_int_eq(target_fmt(A(192, 168, 1, 10), buf), 12);
	ck_assert_str_eq(buf, "192.168.1.10");
}
END_TEST

START_TEST(parse_addr)
{
	struct ms_err e;
	uint32_t a = 0;

	ck_assert_int_eq(target_parse_addr("198.18.0.1", &a, &e), 0);
	ck_assert_uint_eq(a, A(198, 18, 0, 1));
	ck_assert_int_eq(target_parse_addr("198.18.0.0/24", &a, &e), -1);
	ck_assert_str_eq(e.msg, "'198.18.0.0/24': octet 4 has a bad "
	    "character '/'");
	ck_assert_int_eq(target_parse_addr("", &a, &e), -1);
	ck_assert_str_eq(e.msg, "empty address");
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("target");

	tcase_add_test(tc, single);
	tcase_add_test(tc, bad_addresses);
	tcase_add_test(tc, long_input_is_cut);
	tcase_add_test(tc, cidr);
	tcase_add_test(tc, bad_cidr);
	tcase_add_test(tc, ranges);
	tcase_add_test(tc, bad_ranges);
	tcase_add_test(tc, names);
	tcase_add_test(tc, bad_names);
	tcase_add_test(tc, list_and_iter);
	tcase_add_test(tc, many_targets);
	tcase_add_test(tc, iterate_slash16);
	tcase_add_test(tc, iterate_top);
	tcase_add_test(tc, fmt);
	tcase_add_test(tc, parse_addr);
	suite_add_tcase(s, tc);
	return s;
}
