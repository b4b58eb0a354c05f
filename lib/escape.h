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
 * HTML text and attribute values (quoted with " or '): & < > " ' become
 * &amp; &lt; &gt; &quot; &#39;. NUL, the other C0 controls but TAB, LF
 * and CR, and DEL, which HTML forbids, become U+FFFD.
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
