/*
 * escape.c - HTML, JSON-string and Prometheus label escaping.
 *
 * Each escaper walks the input once, copying runs of bytes that need no
 * change in one append, so escaping a large page costs about a copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */


/*
 * The common walk: for each ASCII byte, sub() gives its replacement or
 * NULL to keep it; valid non-ASCII sequences are kept unless mb() gives
 * a replacement for the code point; invalid bytes become U+FFFD.
 */
typedef const char *(*sub_fn)(unsigned char c, char tmp[8]);
typedef const char *(*mb_fn)(unsigned long cp, char tmp[8]);

static int
walk(struct ms_buf *b, const char *str, size_t n, sub_fn sub, mb_fn mb)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, k;
	unsigned long cp;
	const char *r;
	char tmp[8];

	/* NULL appends nothing, with no arithmetic on a null pointer. */
	if (str == NULL)
		return ms_buf_append(b, "", 0);
	/* Make sure the buffer exists even for an empty string. */
	if (ms_buf_append(b, "", 0) == -1)
		return -1;
	while (i < n) {
		if (s[i] < 0x80) {
			r = sub(s[i], tmp);
			k = 1;
		} else if ((k = ms_utf8_next((const char *)s + i, n - i, &cp)) == 0) {
			r = REPLACEMENT;
			k = 1;
		} else {
			r = mb != NULL ? mb(cp, tmp) : NULL;
		}
		if (r == NULL) {
			i += k;
			continue;
		}
		if (ms_buf_append(b, s + run, i - run) == -1 ||
		    ms_buf_puts(b, r) == -1)
			return -1;
		i += k;
		run = i;
	}
	return ms_buf_append(b, s + run, i - run);
}

int
esc_unsafe_cp(unsigned long cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x061c || cp == 0x200e ||
	    cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

static const char *
clean_sub(unsigned char c, char tmp[8])
{
	(void)tmp;
	return esc_unsafe_cp(c) ? REPLACEMENT : NULL;
}

static const char *
clean_mb(unsigned long cp, char tmp[8])
{
	(void)tmp;
	return esc_unsafe_cp(cp) ? REPLACEMENT : NULL;
}

char *
esc_clean(const char *s, size_t n)
{
	struct ms_buf b = { 0 };

	if (walk(&b, s, n, clean_sub, clean_mb) == -1) {
		ms_buf_free(&b);
		return NULL;
	}
	return ms_buf_steal(&b, NULL);
}

/* One character of s for a terminal: its bytes, '?' or \xNN escapes. */
static int
term_char(struct ms_buf *b, const unsigned char *s, size_t k, int ok,
    int flags)
{
	size_t i;

	if (ok)
		return ms_buf_append(b, s, k);
	if (!(flags & ESC_TERM_BYTES))
		return ms_buf_append(b, "?", 1);
	for (i = 0; i < k; i++)
		if (ms_buf_printf(b, "\\x%02x", s[i]) == -1)
			return -1;
	return 0;
}

int
esc_term(struct ms_buf *b, const char *str, size_t n, size_t max, int flags)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k, lim;
	unsigned long cp;
	int ok;

	if (str == NULL)
		n = 0;
	if (ms_buf_append(b, "", 0) == -1)
		return -1;
	lim = ms_utf8_cut(str, n, max);
	while (i < lim) {
		if (s[i] < 0x80) {
			k = 1;
			ok = s[i] >= 0x20 && s[i] != 0x7f &&
			    (!(flags & ESC_TERM_QUOTES) || (s[i] != '\\' &&
			    s[i] != '"' && s[i] != '\''));
		} else if ((k = ms_utf8_next(str + i, n - i, &cp)) == 0) {
			k = 1;
			ok = 0;
			/* A broken sequence reads as U+FFFD, as everywhere. */
			if (!(flags & ESC_TERM_BYTES)) {
				if (ms_buf_puts(b, REPLACEMENT) == -1)
					return -1;
				i++;
				continue;
			}
		} else {
			ok = !(flags & ESC_TERM_BYTES) && !esc_unsafe_cp(cp);
		}
		if (term_char(b, s + i, k, ok, flags) == -1)
			return -1;
		i += k;
	}
	if (lim < n && ms_buf_puts(b, "...") == -1)
		return -1;
	return 0;
}

char *
esc_term_buf(char *out, size_t cap, const char *s, size_t n, size_t max,
    int flags)
{
	struct ms_buf b = { 0 };

	if (cap == 0)
		return out;
	if (s == NULL)
		n = 0;
	if (max > n)
		max = n;
	/* Show less of s until it fits: max is small (a message shows a
	 * few dozen bytes), so a few rounds at most. */
	for (;;) {
		ms_buf_reset(&b);
		if (esc_term(&b, s, n, max, flags) == -1 || b.data == NULL) {
			snprintf(out, cap, "?");
			break;
		}
		if (b.len < cap) {
			memcpy(out, b.data, b.len + 1);
			break;
		}
		if (max == 0) {
			snprintf(out, cap, "...");
			break;
		}
		max = ms_utf8_cut(s, n, max - 1);
	}
	ms_buf_free(&b);
	return out;
}

static const char *
html_sub(unsigned char c, char tmp[8])
{
	(void)tmp;
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	case '\t':
	case '\n':
	case '\r':
		return NULL;
	default:
		if (c < 0x20 || c == 0x7f)
			return REPLACEMENT;
		return NULL;
	}
}

static const char *
html_mb(unsigned long cp, char tmp[8])
{
	(void)tmp;
	/* The C1 controls are as forbidden in HTML as the C0 ones; a bidi
	 * override would reorder the page around a name. The separators
	 * U+2028 and U+2029 are harmless in HTML text. */
	if (cp != 0x2028 && cp != 0x2029 && esc_unsafe_cp(cp))
		return REPLACEMENT;
	return NULL;
}

int
esc_html(struct ms_buf *b, const char *s, size_t n)
{
	return walk(b, s, n, html_sub, html_mb);
}

int
esc_html_str(struct ms_buf *b, const char *s)
{
	return walk(b, s, s != NULL ? strlen(s) : 0, html_sub, html_mb);
}

char *
esc_html_dup(const char *s)
{
	struct ms_buf b = { 0 };

	if (s == NULL)
		return NULL;
	if (esc_html_str(&b, s) == -1) {
		ms_buf_free(&b);
		return NULL;
	}
	return ms_buf_steal(&b, NULL);
}

static const char *
json_sub(unsigned char c, char tmp[8])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		if (c >= 0x20 && c != 0x7f)
			return NULL;
		memcpy(tmp, "\\u00", 4);
		tmp[4] = hex[c >> 4];
		tmp[5] = hex[c & 15];
		tmp[6] = '\0';
		return tmp;
	}
}

static const char *
json_html_sub(unsigned char c, char tmp[8])
{
	switch (c) {
	case '<':
		return "\\u003c";
	case '>':
		return "\\u003e";
	case '&':
		return "\\u0026";
	case '\'':
		return "\\u0027";
	default:
		return json_sub(c, tmp);
	}
}

static const char *
json_html_mb(unsigned long cp, char tmp[8])
{
	(void)tmp;
	/* Line separators end a JavaScript string literal in old engines. */
	if (cp == 0x2028)
		return "\\u2028";
	if (cp == 0x2029)
		return "\\u2029";
	return NULL;
}

int
esc_json(struct ms_buf *b, const char *s, size_t n, int flags)
{
	int html = (flags & ESC_JSON_HTMLSAFE) != 0;

	if ((flags & ESC_JSON_QUOTES) && ms_buf_append(b, "\"", 1) == -1)
		return -1;
	if (walk(b, s, n, html ? json_html_sub : json_sub,
	    html ? json_html_mb : NULL) == -1)
		return -1;
	if ((flags & ESC_JSON_QUOTES) && ms_buf_append(b, "\"", 1) == -1)
		return -1;
	return 0;
}

static const char *
prom_label_sub(unsigned char c, char tmp[8])
{
	(void)tmp;
	switch (c) {
	case '\\':
		return "\\\\";
	case '"':
		return "\\\"";
	case '\n':
		return "\\n";
	default:
		return NULL;
	}
}

static const char *
prom_help_sub(unsigned char c, char tmp[8])
{
	(void)tmp;
	switch (c) {
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	default:
		return NULL;
	}
}

int
esc_prom_label(struct ms_buf *b, const char *s, size_t n)
{
	return walk(b, s, n, prom_label_sub, NULL);
}

int
esc_prom_help(struct ms_buf *b, const char *s, size_t n)
{
	return walk(b, s, n, prom_help_sub, NULL);
}
