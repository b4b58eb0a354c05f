/*
 * fuzz_target - target_parse, the list and its iterator on arbitrary
 * bytes. The input is split at newlines, one target a line (at most 64).
 *
 * Invariants: a parse either succeeds with first <= last (a name: not
 * NULL, at most 253 bytes, first = last = 0) or fails with a one-line
 * message and a zeroed target; an accepted address reads back exactly
 * as written (there is one spelling of each); iteration yields every
 * address of each target in order within [first, last], names once, and
 * as many items as target_list_count (checked in full for small lists).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

#define MAXLINES 64
#define FULLCHECK 70000u	/* iterate lists this small to the end */

static void
check_one(const char *s)
{
	struct target t;
	struct ms_err e;
	char buf[16], left[16];
	uint64_t size;
	uint32_t a;
	size_t n;

	e.msg[0] = '\0';
	if (target_parse(s, &t, &e) == -1) {
		if (e.msg[0] == '\0' || strchr(e.msg, '\n') != NULL ||
		    strlen(e.msg) >= sizeof(e.msg) || t.name != NULL ||
		    t.first != 0 || t.last != 0)
			abort();
		return;
	}
	if (t.name != NULL) {
		if (t.first != 0 || t.last != 0 || strlen(t.name) > 253 ||
		    strcmp(t.name, s) != 0)
			abort();
		target_free(&t);
		return;
	}
	if (t.first > t.last)
		abort();
	/* The address part reads back exactly as written. */
	n = strcspn(s, "/-");
	if (n > 15)
		abort();
	memcpy(left, s, n);
	left[n] = '\0';
	if (target_parse_addr(left, &a, &e) == -1)
		abort();
	if (target_fmt(a, buf) != (int)n || strcmp(buf, left) != 0)
		abort();
	switch (s[n]) {
	case '\0':
		if (t.first != a || t.last != a)
			abort();
		break;
	case '/':
		/* An aligned block of a power of two holding a. */
		size = (uint64_t)t.last - t.first + 1;
		if (a < t.first || a > t.last || (size & (size - 1)) != 0 ||
		    t.first % size != 0)
			abort();
		break;
	case '-':
		if (t.first != a)
			abort();
		if (strchr(s + n + 1, '.') != NULL) {
			target_fmt(t.last, buf);
			if (strcmp(buf, s + n + 1) != 0)
				abort();
		} else if ((t.last & 0xffffff00u) != (a & 0xffffff00u)) {
			abort();
		}
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target_list l = { 0 };
	struct target_iter it;
	struct ms_err e;
	char *s, *line, *nl;
	const char *name;
	uint64_t count, seen = 0;
	uint32_t a;
	size_t i = 0, lines = 0;
	uint64_t prev = 0;
	int have_prev = 0;

	if (size > 4096)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (line = s; line != NULL && lines < MAXLINES; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		check_one(line);
		if (target_list_add(&l, line, &e) == 0)
			lines++;
	}
	count = target_list_count(&l);
	target_iter_init(&it, &l);
	while (target_iter_next(&it, &a, &name) == 1) {
		const struct target *t;

		/* Find which target this item belongs to. */
		if (i >= l.n)
			abort();
		t = &l.v[i];
		if (name != NULL) {
			if (t->name != name || a != 0)
				abort();
			i++;
			have_prev = 0;
		} else {
			if (t->name != NULL || a < t->first || a > t->last)
				abort();
			if (have_prev && a != prev + 1)
				abort();
			if (!have_prev && a != t->first)
				abort();
			prev = a;
			have_prev = 1;
			if (a == t->last) {
				i++;
				have_prev = 0;
			}
		}
		seen++;
		if (seen > FULLCHECK && count > FULLCHECK)
			break;
	}
	if (count <= FULLCHECK && (seen != count || i != l.n))
		abort();
	if (count <= FULLCHECK && target_iter_next(&it, &a, &name) != 0)
		abort();
	target_list_free(&l);
	free(s);
	return 0;
}
