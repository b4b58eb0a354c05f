/*
 * escape.h - escaping text from outside (host names, user names, any
 * string a Mac reported) for the places it is shown: HTML, JSON strings
 * and Prometheus label values.
 *
 * Every function appends to a struct ms_buf (lib/util.h) the caller owns
 * and returns 0, or -1 when memory runs out (the buffer then holds what
 * was appended so far). Input is any bytes of length n: invalid UTF-8 is
 * replaced with U+FFFD, so the output is always valid UTF-8 and a byte
 * of a broken sequence can never combine with the markup around it.
 */
#ifndef MACSCAN_ESCAPE_H
#define MACSCAN_ESCAPE_H

#include <stddef.h>

#include "util.h"

/*
 * The characters that must never reach a terminal, a log, a mail header
 * or a line of a record as they are: the C0 controls, DEL, the C1
 * controls, the Unicode line and paragraph separators, and the
 * bidirectional marks and overrides that make a name read as something
 * else ("evil\u202ecod.exe"). 1 if cp is one of them.
 */
int esc_unsafe_cp(unsigned long cp);

/*
 * The one sanitizer for a string from a Mac, before it goes into a
 * record: invalid UTF-8 and every unsafe character above become U+FFFD,
 * so what was there stays visible and nothing of it can act. A new
 * NUL-terminated string the caller frees; NULL when memory runs out.
 */
char *esc_clean(const char *s, size_t n);

enum {
	ESC_TERM_BYTES = 1,	/* every byte outside printable ASCII as
				 * \xNN, to point at a bad input byte */
	ESC_TERM_QUOTES = 2	/* also \ " ' as \xNN (inside quotes) */
};

/*
 * Text for a terminal or a log line. By default valid UTF-8 is kept,
 * each unsafe character or ASCII control becomes '?' and each invalid
 * byte U+FFFD;
 * ESC_TERM_BYTES shows bytes instead. At most max bytes of s are shown,
 * cut on a character boundary, followed by "..." when s was longer.
 */
int esc_term(struct ms_buf *b, const char *s, size_t n, size_t max,
    int flags);

/*
 * The same into out (cap bytes, at least 8), for a message: the shown
 * text is cut further, on a whole character or escape, when it does not
 * fit, and then ends in "...". Returns out.
 */
char *esc_term_buf(char *out, size_t cap, const char *s, size_t n,
    size_t max, int flags);

/*
 * HTML text and attribute values (quoted with " or '): & < > " ' become
 * &amp; &lt; &gt; &quot; &#39;. NUL, the other C0 controls but TAB, LF
 * and CR, DEL and the C1 controls, which HTML forbids, and the
 * bidirectional marks and overrides, become U+FFFD.
 */
int esc_html(struct ms_buf *b, const char *s, size_t n);
/* The same for a NUL-terminated string; NULL appends nothing. */
int esc_html_str(struct ms_buf *b, const char *s);
/* A new NUL-terminated escaped copy the caller frees; NULL if s is NULL
 * or memory runs out. */
char *esc_html_dup(const char *s);

enum {
	ESC_JSON_QUOTES = 1,	/* surround with double quotes */
	ESC_JSON_HTMLSAFE = 2	/* also < > & ' U+2028 U+2029 as \uXXXX,
				 * for JSON inside an HTML <script> */
};

/*
 * The contents of a JSON string (RFC 8259): " and \ as \" and \\, the
 * controls below U+0020 as \b \f \n \r \t or \u00XX, DEL as \u007f.
 * Other characters are kept as UTF-8.
 */
int esc_json(struct ms_buf *b, const char *s, size_t n, int flags);

/*
 * A Prometheus label value in the text exposition format 0.0.4: \ " and
 * LF as \\ \" \n. The caller writes the surrounding quotes.
 */
int esc_prom_label(struct ms_buf *b, const char *s, size_t n);

/* A Prometheus HELP text: \ and LF as \\ and \n. */
int esc_prom_help(struct ms_buf *b, const char *s, size_t n);

#endif
