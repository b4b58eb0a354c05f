/*
 * http.h - a bounded HTTP/1.1 request parser (RFC 9112) and the small
 * helpers a server needs around it: percent-decoding and encoding, ETag
 * matching, the Host a request names, reason phrases.
 *
 * The parser reads the head of a request (request line and header
 * fields) from a buffer the caller fills as bytes arrive. It never reads
 * past len, never allocates, and gives up with the HTTP status a server
 * should answer (400, 413, 414, 431, 501, 505) and a one-line reason.
 *
 * Ownership: struct http_req points into the caller's buffer, which the
 * parser changes (it NUL-terminates the fields in place): the request is
 * valid while that buffer is unchanged. The decoded path is a copy held
 * in the struct itself.
 */
#ifndef MACSCAN_HTTP_H
#define MACSCAN_HTTP_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

#define HTTP_MAX_HEAD 8192	/* request line and header fields, bytes */
#define HTTP_MAX_HEADERS 64	/* header fields */
#define HTTP_MAX_METHOD 16	/* method name, bytes */

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER	/* any other valid token: POST, PUT, OPTIONS... */
};

struct http_header {
	const char *name;	/* as sent; compare case-insensitively */
	const char *value;	/* optional white space removed */
};

struct http_req {
	const char *method;	/* the method token */
	enum http_method meth;
	const char *target;	/* the request-target as sent */
	const char *query;	/* after '?', raw; NULL if none */
	int minor;		/* HTTP/1.minor: 0 or 1 */
	int keep_alive;		/* the connection may serve more */
	long long content_length;	/* -1 when absent */
	int chunked;		/* a Transfer-Encoding was sent */
	const char *host;	/* NULL if absent (only HTTP/1.0) */
	const char *if_none_match;	/* NULL if absent */
	const char *if_modified_since;	/* NULL if absent */
	const char *authorization;	/* NULL if absent */
	size_t nheaders;
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t path_len;
	/* The path of the target, percent-decoded, without the query;
	 * NUL-terminated and free of NUL bytes. */
	char path[HTTP_MAX_HEAD + 1];
};

/* Where the parser resumes; zero it (HTTP_PARSER_INIT) for each request. */
struct http_parser {
	size_t scan;		/* bytes already searched for the end */
	int line_checked;	/* the request line was found valid */
};
#define HTTP_PARSER_INIT { 0, 0 }

/*
 * Parse the request at the start of buf[0..len). Returns:
 *   > 0  the length of the head (request line, header fields and the
 *        empty line); r is filled and buf changed in place;
 *   0    incomplete: call again with the same buf and p when more bytes
 *        have arrived (buf is not changed);
 *   < 0  minus the status to answer (-400, -413, -414, -431, -501,
 *        -505), with e (if not NULL) saying why.
 * A request line longer than HTTP_MAX_HEAD gives -414, a longer head
 * -431; a malformed request line gives -400 as soon as it is complete,
 * before the rest of the head has arrived. The body, if any, is the
 * caller's (content_length, chunked).
 */
int http_parse(char *buf, size_t len, struct http_parser *p,
    struct http_req *r, struct ms_err *e);

/* The value of header NAME (case-insensitive), or NULL. */
const char *http_header(const struct http_req *r, const char *name);

/*
 * Percent-decode s[0..*n) in place (RFC 3986: %XX, hex either case;
 * '+' is kept). Sets *n to the new length and NUL-terminates. -1 on a
 * malformed escape (s is then unspecified).
 */
int http_pct_decode(char *s, size_t *n);

/*
 * 1 if the If-None-Match field value matches etag (a quoted entity-tag
 * such as "\"abc\""), with the weak comparison of RFC 9110 ("*" matches
 * anything); else 0.
 */
int http_etag_match(const char *if_none_match, const char *etag);

/* 1 if the comma-separated list holds token (case-insensitive). */
int http_list_has(const char *list, const char *token);

/*
 * The authority a request names: the host[:port] of an absolute-form
 * target (which wins over the Host field, RFC 9112 3.2.2), else the Host
 * field. Borrowed from r, *n bytes (not NUL-terminated for the target's);
 * NULL when there is neither (HTTP/1.0 without Host).
 */
const char *http_req_authority(const struct http_req *r, size_t *n);

enum http_host_kind {
	HTTP_HOST_NAME,		/* a DNS name: letters, digits, - . _ */
	HTTP_HOST_IPV4,		/* a dotted quad */
	HTTP_HOST_IPV6		/* [IPv6], given without its brackets */
};

struct http_host {
	const char *name;	/* into the input; no brackets, no port */
	size_t len;		/* a trailing dot of a name is left out */
	int kind;		/* enum http_host_kind */
	int port;		/* 0 to 65535, -1 when absent */
};

/*
 * Split and check a Host value s[0..n): "name", "name:port", "1.2.3.4",
 * "[::1]:8000". Names are at most 253 bytes of letters, digits, '-',
 * '.' and '_' (no user information, no percent-encoding, no empty
 * label); a port is 1 to 5 digits up to 65535. 0 and *h, or -1.
 */
int http_host_parse(const char *s, size_t n, struct http_host *h);

/*
 * Percent-encode s[0..n) as one path segment: every byte but the
 * unreserved A-Z a-z 0-9 - . _ ~ becomes %XX (upper case), so the result
 * holds no '/', no '?', nothing HTML or a shell would read. Appended to
 * b; 0, or -1 when memory runs out.
 */
int http_pct_encode(struct ms_buf *b, const char *s, size_t n);


/* The reason phrase of a status ("Not Found"), "Unknown" if not ours. */
const char *http_reason(int status);

/* 1 if a and b (of lengths na and nb) are equal, in a time that depends
 * on nb only, for comparing secrets. */
int http_ct_equal(const void *a, size_t na, const void *b, size_t nb);

#endif
