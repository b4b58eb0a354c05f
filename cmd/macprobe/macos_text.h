/*
 * macos_text.h - what the parsers of macOS outputs (lib/macos*.c) share:
 * small helpers on (pointer, length) strings, all with explicit bounds.
 * Private to those files: nothing else includes it.
 *
 * Every helper reads [p, p + n) only; none needs a NUL terminator. They
 * are static inline so that each parser file is self-contained.
 */
#ifndef MACSCAN_MACOS_TEXT_H
#define MACSCAN_MACOS_TEXT_H

#include <stdio.h>
#include <string.h>

#include "macos.h"
#include "record.h"

/* Largest sane values, so that no product below can overflow. */
#define MEM_MAX (1LL << 52)		/* 4 PiB of RAM */
#define EPOCH_MAX (1LL << 40)		/* year 36812 */
#define UPTIME_MAX 3200000000LL		/* about 100 years */
#define CAPACITY_MAX 1000000LL		/* mAh or mWh */
#define CYCLES_MAX 100000LL
#define BYTES_MAX (1LL << 62)

/* A NULL text is an empty one (and NULL + 0 is not valid C). */
#define GUARD(t, n) do { if ((t) == NULL) { (t) = ""; (n) = 0; } } while (0)

/*
 * Small helpers on (pointer, length) strings.
 */

static inline int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\v' || c == '\f';
}

static inline int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline void
trim(const char **p, size_t *n)
{
	while (*n > 0 && is_ws(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_ws((*p)[*n - 1]))
		(*n)--;
}

/* Next line of [*cur, end): 1 and the line without its newline, else 0. */
static inline int
next_line(const char **cur, const char *end, const char **lp, size_t *ln)
{
	const char *nl;

	if (*cur >= end)
		return 0;
	*lp = *cur;
	nl = memchr(*cur, '\n', (size_t)(end - *cur));
	if (nl == NULL) {
		*ln = (size_t)(end - *cur);
		*cur = end;
	} else {
		*ln = (size_t)(nl - *cur);
		*cur = nl + 1;
	}
	if (*ln > 0 && (*lp)[*ln - 1] == '\r')
		(*ln)--;
	return 1;
}

static inline int
eq(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n == k && memcmp(p, s, k) == 0;
}

static inline int
starts(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && memcmp(p, s, k) == 0;
}

/* First occurrence of s in [p, p + n), or NULL. */
static inline const char *
find(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	const char *end = p + n;

	if (k == 0 || n < k)
		return NULL;
	while ((size_t)(end - p) >= k) {
		const char *q = memchr(p, s[0], (size_t)(end - p) - k + 1);

		if (q == NULL)
			return NULL;
		if (memcmp(q, s, k) == 0)
			return q;
		p = q + 1;
	}
	return NULL;
}

/* A decimal number made of digits only, in [0, max]. */
static inline int
num(const char *p, size_t n, long long max, long long *out)
{
	char buf[24];
	const char *errstr;
	long long v;
	size_t i;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	for (i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (ms_strtonum(buf, 0, max, &v, &errstr) == -1)
		return -1;
	*out = v;
	return 0;
}

/* The first line of text, trimmed. */
static inline void
first_line(const char *text, size_t len, const char **p, size_t *n)
{
	const char *cur, *end;

	GUARD(text, len);
	cur = text;
	end = text + len;
	*p = text;
	*n = 0;
	/* Skip blank lines: a command may start with one. */
	while (next_line(&cur, end, p, n)) {
		trim(p, n);
		if (*n > 0)
			return;
	}
	*n = 0;
}

/* A value we keep: 1..MACOS_STR_MAX bytes, no control character. */
static inline int
good_str(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > MACOS_STR_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* Set a string field: 1 when set, 0 when the value is not kept, -1. */
static inline int
set_str(json_t *rec, const char *key, const char *p, size_t n)
{
	trim(&p, &n);
	if (!good_str(p, n))
		return 0;
	return record_set_strn(rec, key, p, n) == -1 ? -1 : 1;
}

static inline int
set_int(json_t *rec, const char *key, long long v)
{
	return record_set_int(rec, key, v) == -1 ? -1 : 1;
}

static inline int
set_bool(json_t *rec, const char *key, int v)
{
	return record_set_bool(rec, key, v) == -1 ? -1 : 1;
}

static inline int
has(const json_t *rec, const char *key)
{
	return json_object_get(rec, key) != NULL;
}

/* Add r (a setter's result) to the count *n; -1 sticks. */
static inline void
count(int *n, int r)
{
	if (*n == -1 || r == -1)
		*n = -1;
	else
		*n += r;
}

/* Split "  Key: value" at its first colon; both trimmed. */
static inline int
kv(const char *l, size_t n, const char **k, size_t *kn, const char **v,
    size_t *vn)
{
	const char *c = memchr(l, ':', n);

	if (c == NULL)
		return 0;
	*k = l;
	*kn = (size_t)(c - l);
	trim(k, kn);
	*v = c + 1;
	*vn = n - (size_t)(c - l) - 1;
	trim(v, vn);
	return 1;
}

/*
 * system_profiler prints one top-level block per data type ("Hardware:",
 * "Power:"), each a line with no indentation. The block named hdr, or the
 * whole text when it has no such headers.
 */
static inline void
sp_block(const char *text, size_t len, const char *hdr, const char **bp,
    size_t *bn)
{
	const char *cur = text, *end = text + len, *l, *h;
	size_t n, hn;
	int headers = 0;

	*bp = NULL;
	*bn = 0;
	while (next_line(&cur, end, &l, &n)) {
		h = l;
		hn = n;
		trim(&h, &hn);
		if (hn == 0 || is_ws(l[0]) || h[hn - 1] != ':')
			continue;
		headers = 1;
		if (*bp != NULL) {
			*bn = (size_t)(l - *bp);
			return;
		}
		if (hn == strlen(hdr) + 1 && memcmp(h, hdr, hn - 1) == 0)
			*bp = cur;
	}
	if (*bp != NULL)
		*bn = (size_t)(end - *bp);
	else if (!headers) {
		*bp = text;
		*bn = len;
	}
}


/* "96%", or "96\u00a0%" as recent system_profiler writes it. */
static inline int
percent(const char *v, size_t vn, long long *out)
{
	if (vn < 2 || v[vn - 1] != '%')
		return -1;
	vn--;
	if (vn >= 2 && (unsigned char)v[vn - 2] == 0xc2 &&
	    (unsigned char)v[vn - 1] == 0xa0)
		vn -= 2;
	trim(&v, &vn);
	return num(v, vn, 100, out);
}

/* A character of a nonce, or of a system name: [0-9A-Za-z]. */
static inline int
is_nonce_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

#endif
