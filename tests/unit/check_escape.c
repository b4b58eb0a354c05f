#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "unit.h"

/* Run an escaper on s[0..n) and return the buffer's text (static). */
static const char *
run(int (*f)(struct ms_buf *, const char *, size_t), const char *s,
    size_t n)
{
	static char out[1024];
	struct ms_buf b = { 0 };

	ck_assert_int_eq(f(&b, s, n), 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_uint_eq(strlen(b.data), b.len);
	ck_assert_uint_lt(b.len, sizeof(out));
	memcpy(out, b.data, b.len + 1);
	ms_buf_free(&b);
	return out;
}

static const char *
html(const char *s)
{
	return run(esc_html, s, strlen(s));
}

static int
json_plain(struct ms_buf *b, const char *s, size_t n)
{
	return esc_json(b, s, n, 0);
}

static int
json_quoted(struct ms_buf *b, const char *s, size_t n)
{
	return esc_json(b, s, n, ESC_JSON_QUOTES);
}

static int
json_html(struct ms_buf *b, const char *s, size_t n)
{
	return esc_json(b, s, n, ESC_JSON_QUOTES | ESC_JSON_HTMLSAFE);
}

START_TEST(html_specials)
{
	ck_assert_str_eq(html("<script>alert(1)</script>"),
	    "&lt;script&gt;alert(1)&lt;/script&gt;");
	ck_assert_str_eq(html("a \"b\" & 'c'"),
	    "a &quot;b&quot; &amp; &#39;c&#39;");
	ck_assert_str_eq(html("&amp;"), "&amp;amp;");
	ck_assert_str_eq(html("plain text, 100% ok"), "plain text, 100% ok");
	ck_assert_str_eq(html(""), "");
	ck_assert_str_eq(html("tab\tline\ncr\r"), "tab\tline\ncr\r");
}
END_TEST

START_TEST(html_controls_and_utf8)
{
	/* NUL, other C0 controls, DEL and C1 controls become U+FFFD. */
	ck_assert_str_eq(run(esc_html, "a\0b", 3), "a\xef\xbf\xbd" "b");
	ck_assert_str_eq(html("\x01\x1b[31m\x7f"),
	    "\xef\xbf\xbd\xef\xbf\xbd[31m\xef\xbf\xbd");
	ck_assert_str_eq(html("\xc2\x85"), "\xef\xbf\xbd");
	/* Valid UTF-8 is kept. */
	ck_assert_str_eq(html("d\xe2\x80\x99\xc3\x89lise \xf0\x9f\x8d\x8e"),
	    "d\xe2\x80\x99\xc3\x89lise \xf0\x9f\x8d\x8e");
	/* Invalid bytes, truncated, overlong or surrogate sequences. */
	ck_assert_str_eq(html("\xff<"), "\xef\xbf\xbd&lt;");
	ck_assert_str_eq(html("\xc3"), "\xef\xbf\xbd");
	ck_assert_str_eq(html("\xc0\xbc"), "\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(html("\xed\xa0\x80"),
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(html("\xe2\x82<"), "\xef\xbf\xbd\xef\xbf\xbd&lt;");
}
END_TEST

START_TEST(html_dup_and_append)
{
	struct ms_buf b = { 0 };
	char *s;

	s = esc_html_dup("x<y");
	ck_assert_str_eq(s, "x&lt;y");
	free(s);
	ck_assert_ptr_null(esc_html_dup(NULL));
	ck_assert_int_eq(ms_buf_puts(&b, "<p>"), 0);
	ck_assert_int_eq(esc_html_str(&b, "&"), 0);
	ck_assert_int_eq(esc_html_str(&b, NULL), 0);
	ck_assert_int_eq(ms_buf_puts(&b, "</p>"), 0);
	ck_assert_str_eq(b.data, "<p>&amp;</p>");
	ms_buf_free(&b);
}
END_TEST

START_TEST(json_strings)
{
	ck_assert_str_eq(run(json_plain, "a\"b\\c/d", 7), "a\\\"b\\\\c/d");
	ck_assert_str_eq(run(json_plain, "\b\f\n\r\t", 5), "\\b\\f\\n\\r\\t");
	ck_assert_str_eq(run(json_plain, "\0\x01\x1f\x7f", 4),
	    "\\u0000\\u0001\\u001f\\u007f");
	ck_assert_str_eq(run(json_quoted, "x", 1), "\"x\"");
	ck_assert_str_eq(run(json_quoted, "", 0), "\"\"");
	ck_assert_str_eq(run(json_plain, "<\xc3\xa9>", 4), "<\xc3\xa9>");
	ck_assert_str_eq(run(json_plain, "\xfe", 1), "\xef\xbf\xbd");
	ck_assert_str_eq(run(json_html, "</script><!--&'", 15),
	    "\"\\u003c/script\\u003e\\u003c!--\\u0026\\u0027\"");
	ck_assert_str_eq(run(json_html, "\xe2\x80\xa8\xe2\x80\xa9", 6),
	    "\"\\u2028\\u2029\"");
	/* Without HTMLSAFE the line separators are plain UTF-8. */
	ck_assert_str_eq(run(json_plain, "\xe2\x80\xa8", 3), "\xe2\x80\xa8");
}
END_TEST

START_TEST(prom_labels)
{
	ck_assert_str_eq(run(esc_prom_label, "a\\b\"c\nd", 7),
	    "a\\\\b\\\"c\\nd");
	ck_assert_str_eq(run(esc_prom_label, "<x> & 'y'", 9), "<x> & 'y'");
	ck_assert_str_eq(run(esc_prom_label, "\xff", 1), "\xef\xbf\xbd");
	ck_assert_str_eq(run(esc_prom_label, "tab\t", 4), "tab\t");
	ck_assert_str_eq(run(esc_prom_help, "a\\b\"c\nd", 7),
	    "a\\\\b\"c\\nd");
	ck_assert_str_eq(run(esc_prom_label, NULL, 0), "");
}
END_TEST

static const char *
term(const char *s, size_t n, size_t max, int flags)
{
	static char out[1024];
	struct ms_buf b = { 0 };

	ck_assert_int_eq(esc_term(&b, s, n, max, flags), 0);
	ck_assert_uint_lt(b.len, sizeof(out));
	memcpy(out, b.data, b.len + 1);
	ms_buf_free(&b);
	return out;
}

START_TEST(unsafe_characters)
{
	static const unsigned long bad[] = { 0, 0x1b, 0x7f, 0x85, 0x9f,
	    0x061c, 0x200e, 0x200f, 0x202a, 0x202e, 0x2066, 0x2069, 0x2028,
	    0x2029 };
	static const unsigned long good[] = { ' ', 'a', 0xa0, 0xe9, 0x200b,
	    0x2030, 0x2065, 0x206a, 0x1f9f9 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(esc_unsafe_cp(bad[i]), "U+%04lX", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(!esc_unsafe_cp(good[i]), "U+%04lX", good[i]);
}
END_TEST

START_TEST(clean_for_records)
{
	char *c;

	/* "evil<RLO>cod.exe": the override becomes U+FFFD, so the name
	 * reads as it is stored. */
	c = esc_clean("evil\xe2\x80\xae" "cod.exe", 14);
	ck_assert_str_eq(c, "evil\xef\xbf\xbd" "cod.exe");
	free(c);
	c = esc_clean("a\nb\x1b[2J\xc2\x85\xff\xc3\xa9", 12);
	ck_assert_str_eq(c, "a\xef\xbf\xbd" "b\xef\xbf\xbd[2J"
	    "\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
	free(c);
	c = esc_clean(NULL, 0);
	ck_assert_str_eq(c, "");
	free(c);
}
END_TEST

START_TEST(terminal_and_logs)
{
	char buf[16];

	ck_assert_str_eq(term("caf\xc3\xa9 \x1b[2J\xe2\x80\xae!", 14, 100,
	    0), "caf\xc3\xa9 ?[2J?!");
	ck_assert_str_eq(term("caf\xc3\xa9\x1b", 6, 100, ESC_TERM_BYTES),
	    "caf\\xc3\\xa9\\x1b");
	ck_assert_str_eq(term("a\\b\"c'", 6, 100, ESC_TERM_BYTES |
	    ESC_TERM_QUOTES), "a\\x5cb\\x22c\\x27");
	ck_assert_str_eq(term("\xff\xfe", 2, 100, 0),
	    "\xef\xbf\xbd\xef\xbf\xbd");
	/* Cut on a character boundary, then "...". */
	ck_assert_str_eq(term("ab\xc3\xa9" "cd", 6, 3, 0), "ab...");
	ck_assert_str_eq(term("ab\xc3\xa9" "cd", 6, 4, 0), "ab\xc3\xa9...");
	ck_assert_str_eq(term("abc", 3, 3, 0), "abc");
	/* Into a fixed buffer: cut further on a whole escape. */
	ck_assert_str_eq(esc_term_buf(buf, sizeof(buf), "abcdef", 6, 100, 0),
	    "abcdef");
	ck_assert_str_eq(esc_term_buf(buf, sizeof(buf),
	    "\x01\x02\x03\x04", 4, 100, ESC_TERM_BYTES),
	    "\\x01\\x02\\x03...");
	ck_assert_str_eq(esc_term_buf(buf, sizeof(buf),
	    "0123456789abcdefghij", 20, 100, 0), "0123456789ab...");
	ck_assert_str_eq(esc_term_buf(buf, 4, "abcdef", 6, 100, 0), "...");
	ck_assert_str_eq(esc_term_buf(buf, sizeof(buf), NULL, 5, 100, 0), "");
}
END_TEST

START_TEST(html_bidi)
{
	ck_assert_str_eq(html("evil\xe2\x80\xae" "cod.exe"),
	    "evil\xef\xbf\xbd" "cod.exe");
	/* Line separators are harmless text in HTML. */
	ck_assert_str_eq(html("a\xe2\x80\xa8" "b"), "a\xe2\x80\xa8" "b");
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, html_specials);
	tcase_add_test(tc, html_controls_and_utf8);
	tcase_add_test(tc, html_dup_and_append);
	tcase_add_test(tc, json_strings);
	tcase_add_test(tc, prom_labels);
	tcase_add_test(tc, unsafe_characters);
	tcase_add_test(tc, clean_for_records);
	tcase_add_test(tc, terminal_and_logs);
	tcase_add_test(tc, html_bidi);
	suite_add_tcase(s, tc);
	return s;
}
