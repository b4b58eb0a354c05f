/*
 * store_json.c - the small JSON scanner the store's readers run on the
 * text of snapshots and history lines.
 *
 * It accepts exactly what jansson's json_loadb() accepts for an object
 * (the fuzz harness checks this), except that it refuses nesting deeper
 * than its caller's limit, and it does not allocate: it reports each
 * top-level member (key and value as they are in the text) to a callback.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

const char js_too_deep[] = "nested too deeply";

struct jscan {
	const char *start, *end;
	struct jerr *je;
	int maxdepth;
};

static const char *
js_fail(struct jscan *s, const char *p, const char *msg)
{
	s->je->msg = msg;
	s->je->off = (size_t)(p - s->start);
	return NULL;
}

static const char *
js_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

static long
hex4(const char *p, const char *end)
{
	long v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* 8 bytes that hold no '"', '\\', control or non-ASCII byte? (May say
 * no when they do not: the byte loop then decides.) */
static int
plain8(const char *p)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t x, q, b, t;

	memcpy(&x, p, 8);
	q = x ^ (ones * '"');
	b = x ^ (ones * '\\');
	t = ((q - ones) & ~q) | ((b - ones) & ~b) |
	    ((x - ones * 0x20) & ~x) | x;
	return (t & high) == 0;
}

/* Bytes that stand for themselves in a string: printable ASCII but '"'
 * and '\\'. */
static const unsigned char plain[256] = {
	['\x20'] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* p just after the opening quote; returns just after the closing one. */
static const char *
js_string(struct jscan *s, const char *p, int *esc)
{
	const char *end = s->end;

	for (;;) {
		const char *lim;
		unsigned char c;
		size_t k;

		while (end - p >= 8 && plain8(p))
			p += 8;
		lim = end - p > 8 ? p + 8 : end;
		while (p < lim && plain[(unsigned char)*p])
			p++;
		if (p == lim && p < end)
			continue;
		if (p >= end)
			return js_fail(s, p, "unterminated string");
		c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c == '\\') {
			long v, v2;

			*esc = 1;
			if (end - p < 2)
				return js_fail(s, p, "unterminated string");
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				break;
			default:
				return js_fail(s, p, "invalid escape in a "
				    "string");
			}
			if ((v = hex4(p + 2, end)) < 0)
				return js_fail(s, p, "invalid \\u escape");
			if (v == 0)
				return js_fail(s, p, "\\u0000 in a string");
			if (v >= 0xdc00 && v <= 0xdfff)
				return js_fail(s, p, "lone UTF-16 surrogate");
			if (v >= 0xd800 && v <= 0xdbff) {
				if (end - p < 12 || p[6] != '\\' ||
				    p[7] != 'u' ||
				    (v2 = hex4(p + 8, end)) < 0xdc00 ||
				    v2 > 0xdfff)
					return js_fail(s, p, "lone UTF-16 "
					    "surrogate");
				p += 12;
			} else {
				p += 6;
			}
			continue;
		}
		if (c < 0x20)
			return js_fail(s, p, "control character in a string");
		k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		if (k == 1 || (size_t)(end - p) < k || !ms_utf8_valid(p, k))
			return js_fail(s, p, "invalid UTF-8");
		p += k;
	}
}

int
js_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *
js_number(struct jscan *s, const char *p, int *type)
{
	const char *end = s->end, *b = p, *d;
	int neg = 0, isint = 1, expo = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	d = p;
	if (p >= end)
		return js_fail(s, p, "invalid number");
	if (*p == '0') {
		p++;
		if (p < end && js_isdigit(*p))
			return js_fail(s, p, "leading zero in a number");
	} else if (js_isdigit(*p)) {
		while (p < end && js_isdigit(*p))
			p++;
	} else {
		return js_fail(s, p, "invalid number");
	}
	if (p < end && *p == '.') {
		isint = 0;
		p++;
		if (p >= end || !js_isdigit(*p))
			return js_fail(s, p, "invalid number");
		while (p < end && js_isdigit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		isint = 0;
		expo = 1;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !js_isdigit(*p))
			return js_fail(s, p, "invalid number");
		while (p < end && js_isdigit(*p))
			p++;
	}
	if (isint) {
		size_t n = (size_t)(p - d);
		const char *lim = neg ? "9223372036854775808" :
		    "9223372036854775807";

		if (n > 19 || (n == 19 && memcmp(d, lim, 19) > 0))
			return js_fail(s, b, "integer out of range");
		*type = JT_INT;
		return p;
	}
	if (expo || p - b > 300) {
		/* Only then can a double overflow, as jansson checks. */
		size_t n = (size_t)(p - b);
		char small[64];
		char *tmp = n < sizeof(small) ? small : malloc(n + 1);
		double v;

		if (tmp == NULL)
			return js_fail(s, b, "out of memory");
		memcpy(tmp, b, n);
		tmp[n] = '\0';
		v = strtod(tmp, NULL);
		if (tmp != small)
			free(tmp);
		if (isinf(v))
			return js_fail(s, b, "real number out of range");
	}
	*type = JT_REAL;
	return p;
}

static const char *js_value(struct jscan *, const char *, int, int *);

static const char *
js_container(struct jscan *s, const char *p, int depth, int obj)
{
	const char *end = s->end;
	int type, esc;

	if (depth >= s->maxdepth)
		return js_fail(s, p, js_too_deep);
	p = js_ws(p + 1, end);
	if (p < end && *p == (obj ? '}' : ']'))
		return p + 1;
	for (;;) {
		if (obj) {
			if (p >= end || *p != '"')
				return js_fail(s, p, "expected a string key");
			esc = 0;
			if ((p = js_string(s, p + 1, &esc)) == NULL)
				return NULL;
			p = js_ws(p, end);
			if (p >= end || *p != ':')
				return js_fail(s, p, "expected ':'");
			p = js_ws(p + 1, end);
		}
		if ((p = js_value(s, p, depth + 1, &type)) == NULL)
			return NULL;
		p = js_ws(p, end);
		if (p < end && *p == ',') {
			p = js_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == (obj ? '}' : ']'))
			return p + 1;
		return js_fail(s, p, obj ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	}
}

static const char *
js_literal(struct jscan *s, const char *p, const char *lit, size_t n)
{
	if ((size_t)(s->end - p) < n || memcmp(p, lit, n) != 0)
		return js_fail(s, p, "invalid literal");
	return p + n;
}

static const char *
js_value(struct jscan *s, const char *p, int depth, int *type)
{
	int esc = 0;

	if (p >= s->end)
		return js_fail(s, p, "unexpected end of input");
	switch (*p) {
	case '"':
		*type = JT_STRING;
		return js_string(s, p + 1, &esc);
	case '{':
		*type = JT_OBJECT;
		return js_container(s, p, depth, 1);
	case '[':
		*type = JT_ARRAY;
		return js_container(s, p, depth, 0);
	case 't':
		*type = JT_TRUE;
		return js_literal(s, p, "true", 4);
	case 'f':
		*type = JT_FALSE;
		return js_literal(s, p, "false", 5);
	case 'n':
		*type = JT_NULL;
		return js_literal(s, p, "null", 4);
	default:
		if (*p == '-' || js_isdigit(*p))
			return js_number(s, p, type);
		return js_fail(s, p, "unexpected character");
	}
}

/* The value at p, into m's val, vlen, vesc, type and vend (a string's
 * text without its quotes). Just past it, or NULL. */
static const char *
js_member(struct jscan *s, const char *p, struct jmember *m)
{
	m->val = p;
	m->vesc = 0;
	if (p < s->end && *p == '"') {
		m->type = JT_STRING;
		m->val = p + 1;
		if ((p = js_string(s, p + 1, &m->vesc)) == NULL)
			return NULL;
		m->vlen = (size_t)(p - 1 - m->val);
	} else {
		if ((p = js_value(s, p, 1, &m->type)) == NULL)
			return NULL;
		m->vlen = (size_t)(p - m->val);
	}
	m->vend = p;
	return p;
}

/*
 * Scan text as one JSON object, calling fn for each top-level member.
 * 0; -1 with je set on a syntax error; the callback's -1 (je->msg set
 * by it, or NULL) stops the scan.
 */
int
js_object(const char *text, size_t len, int maxdepth, jmember_fn fn,
    void *arg, struct jerr *je)
{
	struct jscan s = { text, text + len, je, maxdepth };
	const char *p = js_ws(text, s.end), *end = s.end;
	struct jmember m;

	je->msg = NULL;
	je->off = 0;
	if (p >= end || *p != '{') {
		js_fail(&s, p, "not a JSON object");
		return -1;
	}
	p = js_ws(p + 1, end);
	if (p < end && *p == '}') {
		p++;
		goto done;
	}
	for (;;) {
		if (p >= end || *p != '"') {
			js_fail(&s, p, "expected a string key");
			return -1;
		}
		m.key = p + 1;
		m.kesc = 0;
		if ((p = js_string(&s, p + 1, &m.kesc)) == NULL)
			return -1;
		m.klen = (size_t)(p - 1 - m.key);
		p = js_ws(p, end);
		if (p >= end || *p != ':') {
			js_fail(&s, p, "expected ':'");
			return -1;
		}
		if ((p = js_member(&s, js_ws(p + 1, end), &m)) == NULL)
			return -1;
		if (fn != NULL && fn(arg, &m) == -1) {
			if (je->msg == NULL)
				je->msg = "rejected";
			je->off = (size_t)(m.key - 1 - text);
			return -1;
		}
		p = js_ws(p, end);
		if (p < end && *p == ',') {
			p = js_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}') {
			p++;
			break;
		}
		js_fail(&s, p, "expected ',' or '}'");
		return -1;
	}
done:
	p = js_ws(p, end);
	if (p != end) {
		js_fail(&s, p, "trailing characters after the object");
		return -1;
	}
	return 0;
}

int
js_array(const char *text, size_t len, jmember_fn fn, void *arg)
{
	struct jerr je;
	struct jscan s = { text, text + len, &je, INT_MAX };
	const char *p = js_ws(text, s.end), *end = s.end;
	struct jmember m;

	if (p >= end || *p != '[')
		return -1;
	p = js_ws(p + 1, end);
	if (p < end && *p == ']')
		return 0;
	for (;;) {
		memset(&m, 0, sizeof(m));
		if ((p = js_member(&s, p, &m)) == NULL)
			return -1;
		if (fn != NULL && fn(arg, &m) == -1)
			return -1;
		p = js_ws(p, end);
		if (p < end && *p == ',') {
			p = js_ws(p + 1, end);
			continue;
		}
		return p < end && *p == ']' ? 0 : -1;
	}
}

static void
put_utf8(char **o, unsigned long cp)
{
	unsigned char *q = (unsigned char *)*o;

	if (cp < 0x80) {
		*q++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*q++ = (unsigned char)(0xc0 | (cp >> 6));
		*q++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*q++ = (unsigned char)(0xe0 | (cp >> 12));
		*q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*q++ = (unsigned char)(0xf0 | (cp >> 18));
		*q++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		*q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*o = (char *)q;
}

/*
 * The value of a string the scanner accepted (its text without quotes),
 * escapes decoded, into out (at least len + 1 bytes: decoding never
 * grows it). Returns the decoded length.
 */
size_t
js_unescape(const char *p, size_t len, char *out)
{
	const char *end = p + len;
	char *o = out;

	while (p < end) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b': *o++ = '\b'; p += 2; break;
		case 'f': *o++ = '\f'; p += 2; break;
		case 'n': *o++ = '\n'; p += 2; break;
		case 'r': *o++ = '\r'; p += 2; break;
		case 't': *o++ = '\t'; p += 2; break;
		case 'u': {
			unsigned long v = (unsigned long)hex4(p + 2, end);

			p += 6;
			if (v >= 0xd800 && v <= 0xdbff) {
				unsigned long lo = (unsigned long)hex4(p + 2,
				    end);

				v = 0x10000 + ((v - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			put_utf8(&o, v);
			break;
		}
		default:
			*o++ = p[1];
			p += 2;
			break;
		}
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* A malloc'ed copy of a scanned string's value. */
char *
js_strdup(const char *p, size_t len, int esc)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	if (esc) {
		js_unescape(p, len, s);
	} else {
		memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

/* Does a member's key equal name? (Escaped keys are decoded.) */
int
js_key_is(const struct jmember *m, const char *name, size_t n)
{
	char buf[128];

	if (!m->kesc)
		return m->klen == n && memcmp(m->key, name, n) == 0;
	if (m->klen >= sizeof(buf))
		return 0;
	return js_unescape(m->key, m->klen, buf) == n &&
	    memcmp(buf, name, n) == 0;
}

/* A canonical "YYYY-MM-DDTHH:MM:SSZ" compares as text in time order. */
int
js_canonical_time(const char *s, size_t n)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (n != 20)
		return 0;
	for (i = 0; i < 20; i++)
		if (pat[i] == 'd' ? !js_isdigit(s[i]) : s[i] != pat[i])
			return 0;
	return memcmp(s + 5, "01", 2) >= 0 && memcmp(s + 5, "12", 2) <= 0 &&
	    memcmp(s + 8, "01", 2) >= 0 && memcmp(s + 8, "31", 2) <= 0 &&
	    memcmp(s + 11, "23", 2) <= 0 && memcmp(s + 14, "59", 2) <= 0 &&
	    memcmp(s + 17, "59", 2) <= 0;
}

int
js_str_append(struct ms_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *p;

	if (ms_buf_append(b, "\"", 1) == -1)
		return -1;
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		char esc[7];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			if (ms_buf_append(b, esc, 2) == -1)
				return -1;
		} else if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			if (ms_buf_append(b, esc, 6) == -1)
				return -1;
		} else if (ms_buf_append(b, p, 1) == -1) {
			return -1;
		}
	}
	return ms_buf_append(b, "\"", 1);
}

