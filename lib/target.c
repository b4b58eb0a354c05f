#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "target.h"
#include "util.h"

#define SHOWMAX 64	/* bytes of the input quoted in a message */
#define WHYLEN 160

/*
 * The input as it goes into a message: at most SHOWMAX bytes, bytes that
 * are not printable ASCII as \xNN (esc_term), and "..." when cut.
 */
static const char *
show(const char *s, char *out, size_t n)
{
	return esc_term_buf(out, n, s, strlen(s), SHOWMAX, ESC_TERM_BYTES);
}

/* One byte for a message: 'c', or '\xNN' when not printable. */
static const char *
showc(unsigned char c, char out[8])
{
	char b[5];

	esc_term_buf(b, sizeof(b), (const char *)&c, 1, 1,
	    ESC_TERM_BYTES | ESC_TERM_QUOTES);
	snprintf(out, 8, "'%s'", b);
	return out;
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * One decimal octet s[0..len), named what in messages ("octet 3",
 * "range end"). Only 0-255, no leading zero, digits only.
 */
static int
octet(const char *s, size_t len, const char *what, unsigned *out, char *why)
{
	unsigned v = 0;
	size_t i;
	char cb[8];

	if (len == 0) {
		snprintf(why, WHYLEN, "%s is empty", what);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_digit(c)) {
			snprintf(why, WHYLEN, "%s has a bad character %s",
			    what, showc(c, cb));
			return -1;
		}
		if (v <= 255)
			v = v * 10 + (unsigned)(c - '0');
	}
	if (len > 1 && s[0] == '0') {
		snprintf(why, WHYLEN, "%s has a leading zero: leading zeros "
		    "are ambiguous (octal or decimal?)", what);
		return -1;
	}
	if (v > 255) {
		snprintf(why, WHYLEN, "%s is larger than 255", what);
		return -1;
	}
	*out = v;
	return 0;
}

/* Exactly one dotted quad s[0..len); why says what is wrong. */
static int
quad(const char *s, size_t len, uint32_t *out, char *why)
{
	uint32_t a = 0;
	size_t i = 0;
	int n = 0;
	char what[16];

	for (;;) {
		size_t start = i;
		unsigned v;

		while (i < len && s[i] != '.')
			i++;
		snprintf(what, sizeof(what), "octet %d", n + 1);
		if (n == 4) {
			if (start == len)
				snprintf(why, WHYLEN, "ends with '.'");
			else
				snprintf(why, WHYLEN, "more than 4 octets");
			return -1;
		}
		if (octet(s + start, i - start, what, &v, why) == -1)
			return -1;
		a = a << 8 | v;
		n++;
		if (i == len)
			break;
		i++;
	}
	if (n < 4) {
		snprintf(why, WHYLEN, "%d octet%s, an address has 4", n,
		    n == 1 ? "" : "s");
		return -1;
	}
	*out = a;
	return 0;
}

static int
all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_digit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A label a resolver reads as a number: decimal, or hex with 0x. */
static int
numeric_label(const char *s, size_t len)
{
	size_t i;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < len; i++)
			if (!is_hex((unsigned char)s[i]))
				return 0;
		return 1;
	}
	return len > 0 && all_digits(s, len);
}

/* An RFC 1123 host name s[0..len). */
static int
hostname(const char *s, size_t len, char *why)
{
	size_t i, start = 0;
	int label = 1, numeric = 1;
	char cb[8];

	if (len > 253) {
		snprintf(why, WHYLEN, "host name is longer than 253 "
		    "characters");
		return -1;
	}
	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';

		if (c == '.') {
			size_t n = i - start;

			if (n == 0) {
				snprintf(why, WHYLEN, "label %d of the host "
				    "name is empty", label);
				return -1;
			}
			if (n > 63) {
				snprintf(why, WHYLEN, "label %d of the host "
				    "name is longer than 63 characters",
				    label);
				return -1;
			}
			if (s[i - 1] == '-') {
				snprintf(why, WHYLEN, "label %d of the host "
				    "name ends with '-'", label);
				return -1;
			}
			if (!numeric_label(s + start, n))
				numeric = 0;
			if (i == len && all_digits(s + start, n)) {
				snprintf(why, WHYLEN, "the last label is "
				    "all-numeric: not a host name");
				return -1;
			}
			label++;
			start = i + 1;
		} else if (c == '-') {
			if (i == start) {
				snprintf(why, WHYLEN, "label %d of the host "
				    "name starts with '-'", label);
				return -1;
			}
		} else if (!is_alpha(c) && !is_digit(c)) {
			snprintf(why, WHYLEN, "bad character %s at position "
			    "%zu (a host name has letters, digits, '-' and "
			    "'.')", showc(c, cb), i + 1);
			return -1;
		}
	}
	/*
	 * The resolver reads "0x7f000001" or "0x7f.1" as an address (inet_aton
	 * forms): refuse rather than guess.
	 */
	if (numeric && label - 1 <= 4) {
		snprintf(why, WHYLEN, "reads as a number in hex, not a host "
		    "name; write the address as a dotted quad");
		return -1;
	}
	return 0;
}

static int
fail(struct ms_err *e, const char *s, const char *why)
{
	char sb[SHOWMAX * 4 + 8];

	return ms_err_set(e, "'%s': %s", show(s, sb, sizeof(sb)), why);
}

int
target_parse_addr(const char *s, uint32_t *addr, struct ms_err *e)
{
	char why[WHYLEN];

	if (s == NULL || *s == '\0')
		return ms_err_set(e, "empty address");
	if (quad(s, strlen(s), addr, why) == -1)
		return fail(e, s, why);
	return 0;
}

static int
parse_cidr(const char *s, const char *slash, struct target *t,
    struct ms_err *e)
{
	const char *p;
	uint32_t a, mask;
	unsigned prefix = 0;
	char why[WHYLEN];

	for (p = s; p < slash; p++)
		if (is_alpha((unsigned char)*p))
			return fail(e, s, "a host name cannot have a prefix "
			    "length");
	if (quad(s, (size_t)(slash - s), &a, why) == -1)
		return fail(e, s, why);
	p = slash + 1;
	if (*p == '\0')
		return fail(e, s, "prefix length is missing");
	for (; *p != '\0'; p++) {
		if (!is_digit((unsigned char)*p))
			return fail(e, s, "prefix length is not a number");
		if (prefix <= 32)
			prefix = prefix * 10 + (unsigned)(*p - '0');
	}
	if (prefix > 32)
		return fail(e, s, "prefix length must be 0 to 32");
	mask = prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
	t->first = a & mask;
	t->last = t->first | ~mask;
	return 0;
}

static int
parse_range(const char *s, const char *dash, struct target *t,
    struct ms_err *e)
{
	const char *end = dash + 1;
	uint32_t a, b;
	unsigned v;
	char why[WHYLEN], w2[WHYLEN + 16], fa[16], fb[16];

	if (quad(s, (size_t)(dash - s), &a, why) == -1) {
		snprintf(w2, sizeof(w2), "range start: %s", why);
		return fail(e, s, w2);
	}
	if (strchr(end, '.') == NULL) {
		if (octet(end, strlen(end), "range end", &v, why) == -1)
			return fail(e, s, why);
		b = (a & 0xffffff00u) | v;
	} else if (quad(end, strlen(end), &b, why) == -1) {
		snprintf(w2, sizeof(w2), "range end: %s", why);
		return fail(e, s, w2);
	}
	if (b < a) {
		target_fmt(a, fa);
		target_fmt(b, fb);
		snprintf(w2, sizeof(w2), "range end %s is before its start %s",
		    fb, fa);
		return fail(e, s, w2);
	}
	t->first = a;
	t->last = b;
	return 0;
}

int
target_parse(const char *s, struct target *t, struct ms_err *e)
{
	const char *p, *slash = NULL, *dash = NULL;
	int letter = 0;
	char why[WHYLEN];

	memset(t, 0, sizeof(*t));
	if (s == NULL || *s == '\0')
		return ms_err_set(e, "empty target");
	if (strchr(s, ':') != NULL)
		return fail(e, s, "':' is not allowed (IPv6 addresses and "
		    "ports are not supported)");
	for (p = s; *p != '\0'; p++) {
		if (*p == '/' && slash == NULL)
			slash = p;
		else if (*p == '-' && dash == NULL)
			dash = p;
		else if (is_alpha((unsigned char)*p))
			letter = 1;
	}
	if (slash != NULL)
		return parse_cidr(s, slash, t, e);
	if (letter) {
		if (hostname(s, strlen(s), why) == -1)
			return fail(e, s, why);
		if ((t->name = strdup(s)) == NULL)
			return ms_err_set(e, "host name:");
		return 0;
	}
	if (dash != NULL)
		return parse_range(s, dash, t, e);
	if (quad(s, strlen(s), &t->first, why) == -1)
		return fail(e, s, why);
	t->last = t->first;
	return 0;
}

void
target_free(struct target *t)
{
	if (t == NULL)
		return;
	free(t->name);
	t->name = NULL;
}

int
target_list_add(struct target_list *l, const char *s, struct ms_err *e)
{
	struct target t, *v;
	size_t cap;

	if (target_parse(s, &t, e) == -1)
		return -1;
	if (l->n == l->cap) {
		cap = l->cap ? l->cap : 8;
		if (l->cap != 0) {
			if (cap > SIZE_MAX / 2 / sizeof(*v)) {
				target_free(&t);
				return ms_err_set(e, "too many targets");
			}
			cap *= 2;
		}
		if ((v = realloc(l->v, cap * sizeof(*v))) == NULL) {
			target_free(&t);
			return ms_err_set(e, "targets:");
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = t;
	return 0;
}

void
target_list_free(struct target_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		target_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

uint64_t
target_list_count(const struct target_list *l)
{
	uint64_t sum = 0, k;
	size_t i;

	if (l == NULL)
		return 0;
	for (i = 0; i < l->n; i++) {
		const struct target *t = &l->v[i];

		/* A range built by hand with first > last yields one. */
		if (t->name != NULL || t->last <= t->first)
			k = 1;
		else
			k = (uint64_t)t->last - t->first + 1;
		if (sum > UINT64_MAX - k)
			return UINT64_MAX;
		sum += k;
	}
	return sum;
}

static void
iter_advance(struct target_iter *it)
{
	if (++it->i >= it->l->n) {
		it->done = 1;
		it->next = 0;
		return;
	}
	it->next = it->l->v[it->i].first;
}

void
target_iter_init(struct target_iter *it, const struct target_list *l)
{
	it->l = l;
	it->i = 0;
	it->done = l == NULL || l->n == 0;
	it->next = it->done ? 0 : l->v[0].first;
}

int
target_iter_next(struct target_iter *it, uint32_t *addr, const char **name)
{
	const struct target *t;

	if (it->done)
		return 0;
	t = &it->l->v[it->i];
	if (t->name != NULL) {
		if (addr != NULL)
			*addr = 0;
		if (name != NULL)
			*name = t->name;
		iter_advance(it);
		return 1;
	}
	if (addr != NULL)
		*addr = (uint32_t)it->next;
	if (name != NULL)
		*name = NULL;
	/* next is 64 bits wide, so 255.255.255.255 + 1 does not wrap. */
	if (it->next >= t->last)
		iter_advance(it);
	else
		it->next++;
	return 1;
}

int
target_fmt(uint32_t addr, char buf[16])
{
	return snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(addr >> 24),
	    (unsigned)(addr >> 16 & 0xff), (unsigned)(addr >> 8 & 0xff),
	    (unsigned)(addr & 0xff));
}
