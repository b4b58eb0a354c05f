#include <jansson.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "unit.h"

/* machttp.c, which is not linked, holds it. */
volatile sig_atomic_t machttp_quit;

/* A file of tests/fixtures (MACSCAN_SRCDIR is the tree's top). */
static char *
fixture(const char *rel, size_t *len)
{
	const char *d = getenv("MACSCAN_SRCDIR");
	char path[PATH_MAX];
	struct ms_err e = { "" };
	char *s;

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s",
	    d != NULL && *d != '\0' ? d : ".", rel);
	s = ms_read_file(path, 1u << 20, len, &e);
	ck_assert_msg(s != NULL, "%s: %s", path, e.msg);
	return s;
}

static char buf[HTTP_MAX_HEAD * 2];
static struct http_req req;
static struct ms_err err;

/* Parse s in one go; the return value of http_parse. */
static int
parse(const char *s)
{
	struct http_parser p = HTTP_PARSER_INIT;
	size_t n = strlen(s);

	ck_assert_uint_lt(n, sizeof(buf));
	memcpy(buf, s, n);
	buf[n] = '\0';
	err.msg[0] = '\0';
	return http_parse(buf, n, &p, &req, &err);
}

START_TEST(simple_get)
{
	const char *s = "GET /machines?x=1 HTTP/1.1\r\nHost: a\r\n"
	    "User-Agent: t\r\n\r\n";

	ck_assert_int_eq(parse(s), (int)strlen(s));
	ck_assert_str_eq(req.method, "GET");
	ck_assert_int_eq(req.meth, HTTP_GET);
	ck_assert_str_eq(req.target, "/machines?x=1");
	ck_assert_str_eq(req.path, "/machines");
	ck_assert_uint_eq(req.path_len, 9);
	ck_assert_str_eq(req.query, "x=1");
	ck_assert_int_eq(req.minor, 1);
	ck_assert_int_eq(req.keep_alive, 1);
	ck_assert_int_eq(req.content_length, -1);
	ck_assert_int_eq(req.chunked, 0);
	ck_assert_str_eq(req.host, "a");
	ck_assert_uint_eq(req.nheaders, 2);
	ck_assert_str_eq(http_header(&req, "user-agent"), "t");
	ck_assert_ptr_null(http_header(&req, "Accept"));
}
END_TEST

START_TEST(headers_and_options)
{
	const char *s = "HEAD / HTTP/1.0\nConnection:  Keep-Alive \n"
	    "If-None-Match: W/\"x\", \"y\"\nAuthorization: Basic Zm9vOmJhcg==\n"
	    "Content-Length: 0\n\n";

	ck_assert_int_eq(parse(s), (int)strlen(s));
	ck_assert_int_eq(req.meth, HTTP_HEAD);
	ck_assert_int_eq(req.minor, 0);
	ck_assert_int_eq(req.keep_alive, 1);
	ck_assert_ptr_null(req.host);
	ck_assert_str_eq(req.if_none_match, "W/\"x\", \"y\"");
	ck_assert_str_eq(req.authorization, "Basic Zm9vOmJhcg==");
	ck_assert_int_eq(req.content_length, 0);
	ck_assert_ptr_null(req.query);

	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\n"
	    "Connection: keep-alive, close\r\n\r\n"), 0);
	ck_assert_int_eq(req.keep_alive, 0);
	ck_assert_int_gt(parse("GET / HTTP/1.0\r\n\r\n"), 0);
	ck_assert_int_eq(req.keep_alive, 0);
	ck_assert_int_gt(parse("POST /x HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 0);
	ck_assert_int_eq(req.meth, HTTP_OTHER);
	ck_assert_int_eq(req.chunked, 1);
	/* Empty lines before the request line are skipped. */
	ck_assert_int_eq(parse("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 29);
	ck_assert_str_eq(req.path, "/");
	/* absolute-form */
	ck_assert_int_gt(parse("GET http://h:8000/metrics?a HTTP/1.1\r\n"
	    "Host: h\r\n\r\n"), 0);
	ck_assert_str_eq(req.path, "/metrics");
	ck_assert_str_eq(req.query, "a");
	ck_assert_int_gt(parse("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n"),
	    0);
	ck_assert_str_eq(req.path, "/");
	ck_assert_int_gt(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
	ck_assert_str_eq(req.path, "*");
}
END_TEST

START_TEST(percent_decoding)
{
	ck_assert_int_gt(parse("GET /machines/a%2Fb%20c HTTP/1.1\r\n"
	    "Host: h\r\n\r\n"), 0);
	ck_assert_str_eq(req.path, "/machines/a/b c");
	ck_assert_str_eq(req.target, "/machines/a%2Fb%20c");
	ck_assert_int_gt(parse("GET /installers/%2e%2e/x HTTP/1.1\r\n"
	    "Host: h\r\n\r\n"), 0);
	ck_assert_str_eq(req.path, "/installers/../x");
	/* Decoded once: a double encoding stays one level encoded. */
	ck_assert_int_gt(parse("GET /installers/%252e%252e HTTP/1.1\r\n"
	    "Host: h\r\n\r\n"), 0);
	ck_assert_str_eq(req.path, "/installers/%2e%2e");
	ck_assert_int_eq(parse("GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n"),
	    -400);
	ck_assert_str_eq(err.msg, "NUL byte in the path");
	ck_assert_int_eq(parse("GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n"),
	    -400);
	ck_assert_str_eq(err.msg, "bad percent-encoding in the path");
	ck_assert_int_eq(parse("GET /a% HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
	ck_assert_int_eq(parse("GET /a%4 HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
}
END_TEST

START_TEST(pct_decode_direct)
{
	char s[32];
	size_t n;

	strcpy(s, "%41%62c%7e+");
	n = strlen(s);
	ck_assert_int_eq(http_pct_decode(s, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(s, "Abc~+");
	strcpy(s, "%00x");
	n = strlen(s);
	ck_assert_int_eq(http_pct_decode(s, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(s[0], '\0');
	strcpy(s, "%g0");
	n = strlen(s);
	ck_assert_int_eq(http_pct_decode(s, &n), -1);
}
END_TEST

START_TEST(bad_requests)
{
	static const struct {
		const char *req;
		int status;
		const char *msg;
	} t[] = {
		{ "GARBAGE\r\n\r\n", -400,
		    "request line: invalid character in the method" },
		{ " / HTTP/1.1\r\n\r\n", -400, "request line: no method" },
		{ "GET  / HTTP/1.1\r\n\r\n", -400, "request line: no target" },
		{ "GET /\r\n\r\n", -400, "request line: no HTTP version" },
		{ "GET / HTTP/1.1 \r\n\r\n", -400,
		    "request line: bad HTTP version" },
		{ "GET / HTTP/2.0\r\nHost: h\r\n\r\n", -505,
		    "request line: only HTTP/1.0 and HTTP/1.1 are served" },
		{ "GET / http/1.1\r\n\r\n", -400,
		    "request line: bad HTTP version" },
		{ "GET /a\tb HTTP/1.1\r\n\r\n", -400,
		    "request line: invalid character in the target" },
		{ "GET /\xff HTTP/1.1\r\n\r\n", -400,
		    "request line: invalid character in the target" },
		{ "GET / HTTP/1.1\r\n\r\n", -400, "no Host header" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", -400,
		    "more than one Host header" },
		{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", -400,
		    "malformed header field" },
		{ "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", -400,
		    "obsolete line folding in the header" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", -400,
		    "invalid character in header X" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", -400,
		    "invalid character in header X" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n",
		    -400, "bad Content-Length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
		    "Content-Length: 2\r\n\r\n", -400,
		    "conflicting Content-Length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n", -400,
		    "both Transfer-Encoding and Content-Length" },
		{ "GET relative HTTP/1.1\r\nHost: a\r\n\r\n", -400,
		    "target is not a path" },
		{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", -400,
		    "target * is for OPTIONS" },
		{ "GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n", -400,
		    "target has a fragment" },
		{ "ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\nHost: a\r\n\r\n", -501,
		    "request line: method too long" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: a\r\n"
		    "Authorization: b\r\n\r\n", -400,
		    "more than one Authorization" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse(t[i].req);

		ck_assert_msg(rc == t[i].status, "%zu: %d, expected %d (%s)",
		    i, rc, t[i].status, err.msg);
		ck_assert_str_eq(err.msg, t[i].msg);
	}
}
END_TEST

START_TEST(incremental)
{
	const char *s = "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n";
	struct http_parser p = HTTP_PARSER_INIT;
	size_t i, n = strlen(s);
	int rc = 0;

	/* One byte at a time: incomplete until the very last byte. */
	for (i = 1; i <= n; i++) {
		memcpy(buf, s, i);
		rc = http_parse(buf, i, &p, &req, &err);
		if (i < n)
			ck_assert_int_eq(rc, 0);
	}
	ck_assert_int_eq(rc, (int)n);
	ck_assert_str_eq(req.path, "/healthz");

	/* A bad request line is refused before the head is complete. */
	p = (struct http_parser)HTTP_PARSER_INIT;
	memcpy(buf, "\x16\x03\x01 x\r\n", 8);
	ck_assert_int_eq(http_parse(buf, 8, &p, &req, &err), -400);
	p = (struct http_parser)HTTP_PARSER_INIT;
	memcpy(buf, "GET / HTTP/1.1\r\nHo", 18);
	ck_assert_int_eq(http_parse(buf, 18, &p, &req, &err), 0);

	/* Pipelined: the first head's length, the rest left alone. */
	s = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\n";
	ck_assert_int_eq(parse(s), 28);
	ck_assert_str_eq(req.path, "/a");
	ck_assert_str_eq(buf + 28, "GET /b HTTP/1.1\r\n");
}
END_TEST

START_TEST(limits)
{
	static char big[HTTP_MAX_HEAD + 64];
	struct http_parser p = HTTP_PARSER_INIT;
	size_t n;
	int i;

	/* A request line longer than the limit: 414, even unfinished. */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', sizeof(big) - 5);
	ck_assert_int_eq(http_parse(big, HTTP_MAX_HEAD, &p, &req, &err),
	    -414);
	ck_assert_str_eq(err.msg, "request line too long");
	/* Just under: still waiting. */
	p = (struct http_parser)HTTP_PARSER_INIT;
	memset(big + 5, 'a', sizeof(big) - 5);
	ck_assert_int_eq(http_parse(big, HTTP_MAX_HEAD - 1, &p, &req, &err),
	    0);

	/* Headers past the limit: 431. */
	p = (struct http_parser)HTTP_PARSER_INIT;
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\n");
	while (n < HTTP_MAX_HEAD)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "X-Pad: 0123456789012345678901234567890123456789\r\n");
	ck_assert_int_eq(http_parse(big, HTTP_MAX_HEAD, &p, &req, &err),
	    -431);
	ck_assert_str_eq(err.msg, "request head too large");

	/* Too many fields: 431. */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\n");
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X: %d\r\n", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	p = (struct http_parser)HTTP_PARSER_INIT;
	ck_assert_int_eq(http_parse(big, n, &p, &req, &err), -431);
	ck_assert_str_eq(err.msg, "too many header fields");

	/* Exactly at the limit is fine. */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\n"
	    "X: ");
	memset(big + n, 'b', HTTP_MAX_HEAD - n - 4);
	memcpy(big + HTTP_MAX_HEAD - 4, "\r\n\r\n", 4);
	p = (struct http_parser)HTTP_PARSER_INIT;
	ck_assert_int_eq(http_parse(big, HTTP_MAX_HEAD, &p, &req, &err),
	    HTTP_MAX_HEAD);

	/* A huge Content-Length saturates; the caller answers 413. */
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: "
	    "99999999999999999999999999\r\n\r\n"), 0);
	ck_assert(req.content_length >= 999999999999999LL);
}
END_TEST

START_TEST(etags)
{
	ck_assert_int_eq(http_etag_match("\"m-1\"", "\"m-1\""), 1);
	ck_assert_int_eq(http_etag_match("W/\"m-1\"", "\"m-1\""), 1);
	ck_assert_int_eq(http_etag_match("\"a\", \"m-1\"", "\"m-1\""), 1);
	ck_assert_int_eq(http_etag_match("\"a\",W/\"b\"", "\"m-1\""), 0);
	ck_assert_int_eq(http_etag_match("*", "\"m-1\""), 1);
	ck_assert_int_eq(http_etag_match("\"m-1", "\"m-1\""), 0);
	ck_assert_int_eq(http_etag_match("m-1", "\"m-1\""), 0);
	ck_assert_int_eq(http_etag_match("", "\"m-1\""), 0);
	ck_assert_int_eq(http_etag_match(NULL, "\"m-1\""), 0);
	ck_assert_int_eq(http_etag_match("\"m-12\"", "\"m-1\""), 0);
}
END_TEST

START_TEST(lists_and_base64)
{
	unsigned char out[64];

	ck_assert_int_eq(http_list_has("Keep-Alive, Upgrade", "keep-alive"),
	    1);
	ck_assert_int_eq(http_list_has(" upgrade ,close ", "close"), 1);
	ck_assert_int_eq(http_list_has("closed", "close"), 0);
	ck_assert_int_eq(http_list_has(NULL, "close"), 0);

	ck_assert_int_eq(ms_base64_decode("Zm9vOmJhcg==", 12, out,
	    sizeof(out)), 7);
	ck_assert_int_eq(memcmp(out, "foo:bar", 7), 0);
	ck_assert_int_eq(ms_base64_decode("YWRtaW46cyNjcjN0IQ==", 20, out,
	    sizeof(out)), 13);
	ck_assert_int_eq(memcmp(out, "admin:s#cr3t!", 13), 0);
	ck_assert_int_eq(ms_base64_decode("YQ==", 4, out, sizeof(out)), 1);
	ck_assert_int_eq(ms_base64_decode("YWI=", 4, out, sizeof(out)), 2);
	ck_assert_int_eq(ms_base64_decode("", 0, out, sizeof(out)), 0);
	ck_assert_int_eq(ms_base64_decode("YQ", 2, out, sizeof(out)), -1);
	ck_assert_int_eq(ms_base64_decode("Y===", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(ms_base64_decode("YQ==YQ==", 8, out, sizeof(out)),
	    -1);
	ck_assert_int_eq(ms_base64_decode("Y*==", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(ms_base64_decode("YWJj", 4, out, 2), -1);
}
END_TEST

START_TEST(reasons_and_compare)
{
	ck_assert_str_eq(http_reason(404), "Not Found");
	ck_assert_str_eq(http_reason(413), "Content Too Large");
	ck_assert_str_eq(http_reason(414), "URI Too Long");
	ck_assert_str_eq(http_reason(431), "Request Header Fields Too Large");
	ck_assert_str_eq(http_reason(421), "Misdirected Request");
	ck_assert_str_eq(http_reason(999), "Unknown");
	ck_assert_int_eq(http_ct_equal("secret", 6, "secret", 6), 1);
	ck_assert_int_eq(http_ct_equal("secreT", 6, "secret", 6), 0);
	ck_assert_int_eq(http_ct_equal("secret!", 7, "secret", 6), 0);
	ck_assert_int_eq(http_ct_equal("secre", 5, "secret", 6), 0);
	ck_assert_int_eq(http_ct_equal("", 0, "secret", 6), 0);
	ck_assert_int_eq(http_ct_equal("", 0, "", 0), 1);
	ck_assert_int_eq(http_ct_equal("x", 1, "", 0), 0);
}
END_TEST

/*
 * Host values (tests/fixtures/http/hosts.txt, one a line) against what
 * http_host_parse must make of them (hosts.json, null for a refusal).
 */
START_TEST(host_values)
{
	static const char *const kinds[] = { "name", "ipv4", "ipv6" };
	json_error_t je;
	json_t *want, *w;
	size_t n, len, i = 0;
	char *txt, *js, *line, *nl;
	struct http_host h;

	txt = fixture("http/hosts.txt", &len);
	js = fixture("http/hosts.json", &n);
	want = json_loads(js, 0, &je);
	free(js);
	ck_assert_msg(want != NULL, "hosts.json: %s", je.text);
	for (line = txt; line < txt + len; line = nl + 1, i++) {
		nl = memchr(line, '\n', (size_t)(txt + len - line));
		ck_assert_ptr_nonnull(nl);
		w = json_array_get(want, i);
		ck_assert_msg(w != NULL, "hosts.json: no entry %zu", i + 1);
		memset(&h, 0, sizeof(h));
		if (json_is_null(w)) {
			ck_assert_msg(http_host_parse(line, (size_t)(nl - line),
			    &h) == -1, "line %zu (%.*s): accepted", i + 1,
			    (int)(nl - line), line);
			continue;
		}
		ck_assert_msg(http_host_parse(line, (size_t)(nl - line),
		    &h) == 0, "line %zu (%.*s): refused", i + 1,
		    (int)(nl - line), line);
		ck_assert_msg(h.len == strlen(json_string_value(
		    json_object_get(w, "name"))) && memcmp(h.name,
		    json_string_value(json_object_get(w, "name")), h.len) == 0,
		    "line %zu: name %.*s", i + 1, (int)h.len, h.name);
		ck_assert_str_eq(kinds[h.kind], json_string_value(
		    json_object_get(w, "kind")));
		ck_assert_int_eq(h.port, json_integer_value(json_object_get(w,
		    "port")));
	}
	ck_assert_uint_eq(i, json_array_size(want));
	json_decref(want);
	free(txt);
}
END_TEST

START_TEST(authority)
{
	size_t n = 0;
	const char *a;

	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: mac.lan:8000\r\n"
	    "\r\n"), 0);
	a = http_req_authority(&req, &n);
	ck_assert_int_eq(n, 12);
	ck_assert_int_eq(memcmp(a, "mac.lan:8000", n), 0);
	/* The absolute-form target wins over Host (RFC 9112 3.2.2). */
	ck_assert_int_gt(parse("GET http://evil.example:8000/machines?x "
	    "HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 0);
	a = http_req_authority(&req, &n);
	ck_assert_int_eq(n, 17);
	ck_assert_int_eq(memcmp(a, "evil.example:8000", n), 0);
	ck_assert_int_gt(parse("GET HTTPS://h HTTP/1.1\r\nHost: x\r\n"
	    "\r\n"), 0);
	a = http_req_authority(&req, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(a[0], 'h');
	/* HTTP/1.0 may come without any. */
	ck_assert_int_gt(parse("GET / HTTP/1.0\r\n\r\n"), 0);
	ck_assert_ptr_null(http_req_authority(&req, &n));
}
END_TEST

START_TEST(pct_encode)
{
	struct ms_buf b = { 0 };

	ck_assert_int_eq(http_pct_encode(&b, "C02XK1ZHJGH5", 12), 0);
	ck_assert_str_eq(b.data, "C02XK1ZHJGH5");
	ms_buf_reset(&b);
	ck_assert_int_eq(http_pct_encode(&b, "3c:22:fb:00:00:0b", 17), 0);
	ck_assert_str_eq(b.data, "3c%3A22%3Afb%3A00%3A00%3A0b");
	ms_buf_reset(&b);
	ck_assert_int_eq(http_pct_encode(&b, "a/b?c#d <e>\"'&%", 15), 0);
	ck_assert_str_eq(b.data, "a%2Fb%3Fc%23d%20%3Ce%3E%22%27%26%25");
	ms_buf_reset(&b);
	ck_assert_int_eq(http_pct_encode(&b, "x\0y\xc3\xa9~._-", 9), 0);
	ck_assert_str_eq(b.data, "x%00y%C3%A9~._-");
	ms_buf_reset(&b);
	ck_assert_int_eq(http_pct_encode(&b, "", 0), 0);
	ck_assert_str_eq(b.data, "");
	ms_buf_free(&b);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");

	tcase_add_test(tc, simple_get);
	tcase_add_test(tc, headers_and_options);
	tcase_add_test(tc, percent_decoding);
	tcase_add_test(tc, pct_decode_direct);
	tcase_add_test(tc, bad_requests);
	tcase_add_test(tc, incremental);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, etags);
	tcase_add_test(tc, lists_and_base64);
	tcase_add_test(tc, reasons_and_compare);
	tcase_add_test(tc, host_values);
	tcase_add_test(tc, authority);
	tcase_add_test(tc, pct_encode);
	suite_add_tcase(s, tc);
	return s;
}
