/*
 * http.c - a bounded HTTP/1.1 request parser and its helpers.
 *
 * The head is parsed only once it is complete (the empty line has
 * arrived), except the request line, which is checked as soon as its
 * line feed is there so that a client speaking something else than HTTP
 * gets its 400 at once instead of after the header timeout. The search
 * for the end of the head resumes where it stopped, so a client sending
 * one byte at a time costs one look at each byte.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"

struct line {
	size_t mlen;		/* method: s[0..mlen) */
	size_t toff, tlen;	/* target */
	int minor;
	int meth;
};

static int
is_tchar(unsigned char c)
{
	if (isalnum(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Visible ASCII: what a request-target may hold. */
static int
is_vchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* What a field value may hold: VCHAR, obs-text, SP and HTAB. */
static int
is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int
fail(struct ms_err *e, int status, const char *fmt, const char *arg)
{
	ms_err_set(e, fmt, arg);
	return -status;
}

/* Check the request line s[0..n) (without its line end). */
static int
check_line(const char *s, size_t n, struct line *l, struct ms_err *e)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, v;

	for (i = 0; i < n && is_tchar(u[i]); i++)
		;
	if (i == 0)
		return fail(e, 400, "%s", "request line: no method");
	if (i == n || u[i] != ' ')
		return fail(e, 400, "%s",
		    "request line: invalid character in the method");
	if (i > HTTP_MAX_METHOD)
		return fail(e, 501, "%s", "request line: method too long");
	l->mlen = i;
	if (i == 3 && memcmp(s, "GET", 3) == 0)
		l->meth = HTTP_GET;
	else if (i == 4 && memcmp(s, "HEAD", 4) == 0)
		l->meth = HTTP_HEAD;
	else
		l->meth = HTTP_OTHER;
	l->toff = ++i;
	for (; i < n && is_vchar(u[i]); i++)
		;
	l->tlen = i - l->toff;
	if (l->tlen == 0)
		return fail(e, 400, "%s", "request line: no target");
	if (i == n)
		return fail(e, 400, "%s", "request line: no HTTP version");
	if (u[i] != ' ')
		return fail(e, 400, "%s",
		    "request line: invalid character in the target");
	v = i + 1;
	if (n - v != 8 || memcmp(s + v, "HTTP/", 5) != 0 ||
	    !isdigit(u[v + 5]) || u[v + 6] != '.' || !isdigit(u[v + 7]))
		return fail(e, 400, "%s", "request line: bad HTTP version");
	if (u[v + 5] != '1' || (u[v + 7] != '0' && u[v + 7] != '1'))
		return fail(e, 505, "%s",
		    "request line: only HTTP/1.0 and HTTP/1.1 are served");
	l->minor = u[v + 7] - '0';
	return 0;
}

/*
 * The offset just past the empty line ending the head in buf[0..len),
 * or 0; *scan is where the search resumes.
 */
static size_t
head_end(const char *buf, size_t len, size_t *scan)
{
	size_t i;

	for (i = *scan; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 >= len)
			break;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r') {
			if (i + 2 >= len)
				break;
			if (buf[i + 2] == '\n')
				return i + 3;
		}
	}
	*scan = i < len ? i : len;
	return 0;
}

/* The length of line s[0..n) less a CR before its end. */
static size_t
chomp(const char *s, size_t n)
{
	return n > 0 && s[n - 1] == '\r' ? n - 1 : n;
}

static int
parse_length(const char *v, long long *out)
{
	long long x = 0;
	size_t i;

	if (*v == '\0')
		return -1;
	for (i = 0; v[i] != '\0'; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		if (x > 99999999999999LL) {
			/* Far past any limit: saturate, the caller refuses. */
			x = 999999999999999999LL;
			continue;
		}
		x = x * 10 + (v[i] - '0');
	}
	*out = x;
	return 0;
}

/* Fill r->path from the target; 0 or -status. */
static int
set_path(struct http_req *r, const char *t, struct ms_err *e)
{
	const char *q, *p = t;
	size_t n;

	if (strncasecmp(t, "http://", 7) == 0 ||
	    strncasecmp(t, "https://", 8) == 0) {
		/* absolute-form: the authority is not ours to check. */
		p = strstr(t, "//") + 2;
		p += strcspn(p, "/?");
		if (*p != '/') {
			r->path[0] = '/';
			r->path[1] = '\0';
			r->path_len = 1;
			r->query = *p == '?' ? p + 1 : NULL;
			return 0;
		}
	} else if (strcmp(t, "*") == 0) {
		if (strcmp(r->method, "OPTIONS") != 0)
			return fail(e, 400, "%s", "target * is for OPTIONS");
		memcpy(r->path, "*", 2);
		r->path_len = 1;
		return 0;
	} else if (*t != '/') {
		return fail(e, 400, "%s", "target is not a path");
	}
	if (strchr(p, '#') != NULL)
		return fail(e, 400, "%s", "target has a fragment");
	q = strchr(p, '?');
	n = q != NULL ? (size_t)(q - p) : strlen(p);
	r->query = q != NULL ? q + 1 : NULL;
	/* n < HTTP_MAX_HEAD: the whole head fits in that. */
	memcpy(r->path, p, n);
	r->path[n] = '\0';
	if (http_pct_decode(r->path, &n) == -1)
		return fail(e, 400, "%s", "bad percent-encoding in the path");
	if (memchr(r->path, '\0', n) != NULL)
		return fail(e, 400, "%s", "NUL byte in the path");
	r->path_len = n;
	return 0;
}

static int
add_header(struct http_req *r, char *s, size_t n, struct ms_err *e)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, vb, ve;

	if (n > 0 && (s[0] == ' ' || s[0] == '\t'))
		return fail(e, 400, "%s",
		    "obsolete line folding in the header");
	for (i = 0; i < n && is_tchar(u[i]); i++)
		;
	if (i == 0 || i == n || s[i] != ':')
		return fail(e, 400, "%s", "malformed header field");
	if (r->nheaders == HTTP_MAX_HEADERS)
		return fail(e, 431, "%s", "too many header fields");
	s[i] = '\0';
	for (vb = i + 1; vb < n && (s[vb] == ' ' || s[vb] == '\t'); vb++)
		;
	for (ve = n; ve > vb && (s[ve - 1] == ' ' || s[ve - 1] == '\t'); ve--)
		;
	for (i = vb; i < ve; i++)
		if (!is_field_char(u[i]))
			return fail(e, 400, "invalid character in header %s",
			    s);
	s[ve] = '\0';
	r->headers[r->nheaders].name = s;
	r->headers[r->nheaders].value = s + vb;
	r->nheaders++;
	return 0;
}

/* Set the fields we act on from the headers; 0 or -status. */
static int
known_headers(struct http_req *r, struct ms_err *e)
{
	size_t i, nhost = 0, ncl = 0;
	long long cl;

	for (i = 0; i < r->nheaders; i++) {
		const char *n = r->headers[i].name, *v = r->headers[i].value;

		if (strcasecmp(n, "Host") == 0) {
			r->host = v;
			nhost++;
		} else if (strcasecmp(n, "Content-Length") == 0) {
			if (parse_length(v, &cl) == -1)
				return fail(e, 400, "%s",
				    "bad Content-Length");
			if (ncl++ > 0 && cl != r->content_length)
				return fail(e, 400, "%s",
				    "conflicting Content-Length");
			r->content_length = cl;
		} else if (strcasecmp(n, "Transfer-Encoding") == 0) {
			r->chunked = 1;
		} else if (strcasecmp(n, "Connection") == 0) {
			if (http_list_has(v, "close"))
				r->keep_alive = -1;
			else if (http_list_has(v, "keep-alive") &&
			    r->keep_alive == 0)
				r->keep_alive = 2;
		} else if (strcasecmp(n, "If-None-Match") == 0) {
			r->if_none_match = v;
		} else if (strcasecmp(n, "If-Modified-Since") == 0) {
			r->if_modified_since = v;
		} else if (strcasecmp(n, "Authorization") == 0) {
			if (r->authorization != NULL)
				return fail(e, 400, "%s",
				    "more than one Authorization");
			r->authorization = v;
		}
	}
	if (r->minor == 1 && nhost == 0)
		return fail(e, 400, "%s", "no Host header");
	if (nhost > 1)
		return fail(e, 400, "%s", "more than one Host header");
	if (r->chunked && ncl > 0)
		return fail(e, 400, "%s",
		    "both Transfer-Encoding and Content-Length");
	if (r->keep_alive == -1)
		r->keep_alive = 0;
	else if (r->keep_alive == 2)
		r->keep_alive = 1;
	else
		r->keep_alive = r->minor == 1;
	return 0;
}

int
http_parse(char *buf, size_t len, struct http_parser *p, struct http_req *r,
    struct ms_err *e)
{
	struct line l;
	size_t s, end, nl, i, n;
	char *ln;
	int rc;

	/* Empty lines before a request line are ignored (RFC 9112 2.2). */
	for (s = 0; s < len && (buf[s] == '\r' || buf[s] == '\n'); s++)
		;
	if (p->scan < s)
		p->scan = s;
	end = head_end(buf, len, &p->scan);
	if (end == 0 || end > HTTP_MAX_HEAD) {
		const char *lf = memchr(buf + s, '\n', len - s);

		nl = lf != NULL ? (size_t)(lf - buf) : len;
		if (nl >= HTTP_MAX_HEAD)
			return fail(e, 414, "%s", "request line too long");
		if (lf != NULL && !p->line_checked) {
			rc = check_line(buf + s, chomp(buf + s, nl - s), &l, e);
			if (rc < 0)
				return rc;
			p->line_checked = 1;
		}
		if (len >= HTTP_MAX_HEAD || end > HTTP_MAX_HEAD)
			return fail(e, 431, "%s", "request head too large");
		return 0;
	}

	memset(r, 0, offsetof(struct http_req, path));
	r->content_length = -1;
	nl = (size_t)((const char *)memchr(buf + s, '\n', end - s) - buf);
	rc = check_line(buf + s, chomp(buf + s, nl - s), &l, e);
	if (rc < 0)
		return rc;
	p->line_checked = 1;
	buf[s + l.mlen] = '\0';
	buf[s + l.toff + l.tlen] = '\0';
	r->method = buf + s;
	r->meth = l.meth;
	r->target = buf + s + l.toff;
	r->minor = l.minor;

	/* The header lines, up to the empty line. */
	for (i = nl + 1; i < end; i = nl + 1) {
		nl = (size_t)((const char *)memchr(buf + i, '\n', end - i) -
		    buf);
		ln = buf + i;
		n = chomp(ln, nl - i);
		if (n == 0)
			break;
		rc = add_header(r, ln, n, e);
		if (rc < 0)
			return rc;
	}
	rc = known_headers(r, e);
	if (rc < 0)
		return rc;
	rc = set_path(r, r->target, e);
	if (rc < 0)
		return rc;
	return (int)end;
}

const char *
http_header(const struct http_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
http_pct_decode(char *s, size_t *n)
{
	size_t i, j;
	int hi, lo;

	for (i = j = 0; i < *n; i++, j++) {
		if (s[i] != '%') {
			s[j] = s[i];
			continue;
		}
		if (*n - i < 3)
			return -1;
		hi = hexval((unsigned char)s[i + 1]);
		lo = hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		s[j] = (char)(hi << 4 | lo);
		i += 2;
	}
	s[j] = '\0';
	*n = j;
	return 0;
}

int
http_etag_match(const char *inm, const char *etag)
{
	const char *p = inm, *q;
	size_t elen;

	if (inm == NULL || etag == NULL)
		return 0;
	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	elen = strlen(etag);
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return 0;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return 0;	/* malformed: no match, as if absent */
		q = strchr(p + 1, '"');
		if (q == NULL)
			return 0;
		if ((size_t)(q + 1 - p) == elen && memcmp(p, etag, elen) == 0)
			return 1;
		p = q + 1;
	}
}

int
http_list_has(const char *list, const char *token)
{
	size_t tl = strlen(token), n;
	const char *p = list;

	if (list == NULL)
		return 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == tl && strncasecmp(p, token, tl) == 0)
			return 1;
		p += n;
		while (*p != '\0' && *p != ',')
			p++;
	}
	return 0;
}

const char *
http_req_authority(const struct http_req *r, size_t *n)
{
	const char *t = r->target, *a;

	if (t != NULL && (strncasecmp(t, "http://", 7) == 0 ||
	    strncasecmp(t, "https://", 8) == 0)) {
		a = strstr(t, "//") + 2;
		*n = strcspn(a, "/?#");
		return a;
	}
	if (r->host == NULL)
		return NULL;
	*n = strlen(r->host);
	return r->host;
}

/* ASCII only, whatever the locale. */
static int
ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

/* A DNS name: labels of letters, digits, '-' and '_', none empty. */
static int
name_ok(const char *s, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!ascii_alnum(c) && c != '-' && c != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

int
http_host_parse(const char *s, size_t n, struct http_host *h)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];
	size_t hl, i;
	const char *p;
	long port = 0;

	if (s == NULL || n == 0)
		return -1;
	if (s[0] == '[') {
		if ((p = memchr(s, ']', n)) == NULL)
			return -1;
		h->name = s + 1;
		h->len = (size_t)(p - s) - 1;
		h->kind = HTTP_HOST_IPV6;
		if (h->len == 0 || h->len >= sizeof(tmp))
			return -1;
		memcpy(tmp, h->name, h->len);
		tmp[h->len] = '\0';
		if (inet_pton(AF_INET6, tmp, bin) != 1)
			return -1;
		p++;
	} else {
		p = memchr(s, ':', n);
		hl = p != NULL ? (size_t)(p - s) : n;
		h->name = s;
		h->len = hl;
		/* "mac.example." is "mac.example". */
		if (hl > 1 && s[hl - 1] == '.')
			h->len--;
		if (!name_ok(h->name, h->len))
			return -1;
		h->kind = HTTP_HOST_NAME;
		if (h->len < sizeof(tmp)) {
			memcpy(tmp, h->name, h->len);
			tmp[h->len] = '\0';
			if (inet_pton(AF_INET, tmp, bin) == 1)
				h->kind = HTTP_HOST_IPV4;
		}
		p = s + hl;
	}
	h->port = -1;
	if (p == s + n)
		return 0;
	if (*p != ':' || s + n - p < 2 || s + n - p > 6)
		return -1;
	for (i = 1; p + i < s + n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		port = port * 10 + (p[i] - '0');
	}
	if (port > 65535)
		return -1;
	h->port = (int)port;
	return 0;
}

int
http_pct_encode(struct ms_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];
	size_t i, run;

	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n; run++) {
			unsigned char c = (unsigned char)s[i + run];

			if (!ascii_alnum(c) && c != '-' && c != '.' &&
			    c != '_' && c != '~')
				break;
		}
		if (run > 0) {
			if (ms_buf_append(b, s + i, run) == -1)
				return -1;
			continue;
		}
		e[0] = '%';
		e[1] = hex[(unsigned char)s[i] >> 4];
		e[2] = hex[(unsigned char)s[i] & 15];
		if (ms_buf_append(b, e, 3) == -1)
			return -1;
		run = 1;
	}
	/* An empty string still gives a valid (empty) buffer. */
	return ms_buf_append(b, "", 0);
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 421: return "Misdirected Request";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

int
http_ct_equal(const void *a, size_t na, const void *b, size_t nb)
{
	const volatile unsigned char *pa = a, *pb = b;
	unsigned char d = na != nb;
	size_t i;

	for (i = 0; i < nb; i++)
		d |= pb[i] ^ (na > 0 ? pa[i % na] : 0);
	return d == 0;
}
