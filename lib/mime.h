/*
 * mime.h - an Internet message (RFC 5322) with MIME parts (RFC 2045,
 * 2046) and encoded header words (RFC 2047), as macalert sends it.
 *
 * Everything that reaches a header is cleaned first: control characters
 * (C0, DEL, C1, U+2028, U+2029) become spaces and invalid UTF-8 becomes
 * U+FFFD, so no CR or LF from a record can start a header of its own.
 * Header lines are folded to at most MIME_LINE_MAX characters; a value
 * that is not plain ASCII (or could not be folded, or could be mistaken
 * for an encoded word) is written as UTF-8 "Q" encoded words of at most
 * MIME_WORD_MAX characters, cut on character boundaries. Bodies are
 * quoted-printable, lines of at most 76 characters.
 *
 * No function here uses the locale: day and month names are English
 * whatever LC_TIME says, as RFC 5322 wants.
 *
 * Ownership: functions appending to a struct ms_buf leave it to the
 * caller; returned char * are the caller's to free.
 */
#ifndef MACSCAN_MIME_H
#define MACSCAN_MIME_H

#include <stddef.h>
#include <time.h>

#include "util.h"

#define MIME_LINE_MAX 78	/* characters in a header line, CRLF aside */
#define MIME_WORD_MAX 75	/* characters in one encoded word */
#define MIME_QP_MAX 76		/* characters in a quoted-printable line */
#define MIME_DATE_LEN 40	/* "Tue, 24 Nov 2026 16:15:53 +0100" + NUL */
#define MIME_ADDR_MAX 254	/* characters in an address */
#define MIME_RCPT_MAX 100	/* addresses in a list */

/*
 * A copy of s (n bytes, any bytes) fit for a header: invalid UTF-8 as
 * U+FFFD, every control character as a space. NULL when out of memory.
 */
char *mime_clean(const char *s, size_t n);

/*
 * Append the header "NAME: VALUE" and its CRLF, VALUE cleaned, folded,
 * and encoded as RFC 2047 words when needed. name is ours (ASCII).
 * 0, or -1 when out of memory.
 */
int mime_header(struct ms_buf *b, const char *name, const char *value);

/*
 * Append "NAME: VALUE" folded at blanks but never encoded, for values
 * already checked to be plain ASCII (addresses, our own tokens). Control
 * characters are still replaced. 0 or -1.
 */
int mime_header_raw(struct ms_buf *b, const char *name, const char *value);

/*
 * Decode a header value (what follows "NAME:", CRLF folds included):
 * unfold, drop leading blanks, decode UTF-8 encoded words (Q or B) and
 * the blanks between two of them. Text that is not a well-formed encoded
 * word is kept as it is. A new string, or NULL and e.
 */
char *mime_header_decode(const char *s, size_t n, struct ms_err *e);

/*
 * Append s (n bytes; LF or CRLF line ends) as quoted-printable with CRLF
 * line ends. Trailing blanks, '=', bytes outside printable ASCII, and a
 * '.' or 'F' starting a line (SMTP's lone dot, mbox's "From ") are
 * escaped. 0 or -1.
 */
int mime_qp(struct ms_buf *b, const char *s, size_t n);

/* The reverse, soft line breaks removed, CRLF as LF. New string or NULL
 * and e when the input is not quoted-printable. */
char *mime_qp_decode(const char *s, size_t n, size_t *len,
    struct ms_err *e);

/*
 * t as an RFC 5322 date in the local time zone, e.g.
 * "Tue, 24 Nov 2026 16:15:53 +0100". Returns buf, or NULL if t cannot be
 * represented.
 */
char *mime_date(time_t t, char buf[MIME_DATE_LEN]);

/*
 * 1 if addr is a plain address local@domain: ASCII, at most MIME_ADDR_MAX
 * characters, a dot-atom local part (no quotes), a domain of letters,
 * digits, '-' and dots. Else 0.
 */
int mime_addr_valid(const char *addr);

/*
 * Split a comma-separated list of addresses (blanks around them are
 * dropped, empty items skipped) into *v (n entries, each malloc'ed; free
 * with mime_addrs_free). At least one address, at most MIME_RCPT_MAX.
 * 0, or -1 and e naming the bad item (cleaned).
 */
int mime_addr_list(const char *list, char ***v, size_t *n,
    struct ms_err *e);
void mime_addrs_free(char **v, size_t n);

/*
 * "<YYYYMMDDTHHMMSSZ.HEX@DOMAIN>" from the time, nrnd random bytes and
 * the domain of an address; written into buf (len bytes). 0, or -1 when
 * it does not fit or the domain is empty.
 */
int mime_message_id(char *buf, size_t len, time_t t,
    const unsigned char *rnd, size_t nrnd, const char *domain);

struct mime_msg {
	time_t date;
	const char *from;		/* address, checked */
	const char *from_name;		/* display name or NULL; encoded */
	char *const *to;		/* addresses, checked */
	size_t nto;			/* 0: "undisclosed-recipients:;" */
	const char *subject;		/* any bytes; cleaned and encoded */
	const char *message_id;		/* "<...@...>", or NULL */
	const char *boundary;		/* [A-Za-z0-9=_.-], 1 to 60 chars */
	const char *text;		/* the text/plain part, UTF-8 */
	size_t text_len;
	const char *html;		/* the text/html part, UTF-8 */
	size_t html_len;
};

/*
 * Append the whole message, CRLF line ends: the headers (Date, From, To,
 * Subject, Message-ID, MIME-Version, Content-Type, Auto-Submitted), then
 * a multipart/alternative body with the text part first and the HTML
 * part last, both UTF-8 quoted-printable. 0, or -1 and e (a bad address
 * or boundary, out of memory).
 */
int mime_build(struct ms_buf *out, const struct mime_msg *m,
    struct ms_err *e);

#endif
