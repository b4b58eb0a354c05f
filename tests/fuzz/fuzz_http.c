/*
 * fuzz_http.c - the HTTP request parser on any bytes, fed in pieces as a
 * socket would, and the helpers around it: the authority a request
 * names and the Host value parser, percent-encoding and decoding.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib
 *     tests/fuzz/fuzz_http.c cmd/machttp/http.c lib/util.c
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* machttp.c, which is not linked, holds it. */
volatile sig_atomic_t machttp_quit;

static void
check_req(const struct http_req *r, int rc, size_t len)
{
	if ((size_t)rc > len || rc > HTTP_MAX_HEAD)
		abort();
	if (r->method == NULL || r->target == NULL)
		abort();
	if (strlen(r->path) != r->path_len || r->path_len > HTTP_MAX_HEAD)
		abort();
	if (r->meth != HTTP_GET && r->meth != HTTP_HEAD &&
	    r->meth != HTTP_OTHER)
		abort();
	if (r->minor != 0 && r->minor != 1)
		abort();
	if (r->nheaders > HTTP_MAX_HEADERS)
		abort();
	for (size_t i = 0; i < r->nheaders; i++)
		if (strlen(r->headers[i].name) == 0)
			abort();
	if (r->path[0] != '/' && strcmp(r->path, "*") != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[HTTP_MAX_HEAD + 1];
	static struct http_req req;
	struct http_parser p = HTTP_PARSER_INIT;
	struct ms_err e;
	size_t n = size > HTTP_MAX_HEAD ? HTTP_MAX_HEAD : size, have, step;
	int rc = 0;
	char *s;
	unsigned char out[256];

	/* Feed in pieces whose size the first byte chooses. */
	step = size > 0 ? (size_t)data[0] % 97 + 1 : 1;
	for (have = 0; have < n;) {
		size_t k = n - have < step ? n - have : step;

		memcpy(buf + have, data + have, k);
		have += k;
		rc = http_parse(buf, have, &p, &req, &e);
		if (rc != 0)
			break;
	}
	if (rc > 0) {
		struct http_host h;
		const char *a;
		size_t al = 0;

		check_req(&req, rc, have);
		if ((a = http_req_authority(&req, &al)) != NULL &&
		    http_host_parse(a, al, &h) == 0 &&
		    (h.name < a || h.name + h.len > a + al || h.len == 0 ||
		    h.port < -1 || h.port > 65535))
			abort();
	}
	else if (rc < 0 && rc != -400 && rc != -413 && rc != -414 &&
	    rc != -431 && rc != -501 && rc != -505)
		abort();
	else if (rc == 0 && n >= HTTP_MAX_HEAD)
		abort();	/* a full buffer must be decided */

	/* The helpers on the same bytes as a string. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)http_etag_match(s, "\"m-1\"");
	(void)http_list_has(s, "close");
	(void)ms_base64_decode(s, strlen(s), out, sizeof(out));
	{
		struct http_host h;
		struct ms_buf b = { 0 };
		size_t i;

		/* A Host value on any bytes: what it accepts is a name of
		 * the allowed characters, or an address. */
		if (http_host_parse(s, size, &h) == 0) {
			if (h.len == 0 || h.len > 253 || h.name < s ||
			    h.name + h.len > s + size)
				abort();
			for (i = 0; h.kind == HTTP_HOST_NAME && i < h.len; i++)
				if (strchr("abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._",
				    h.name[i]) == NULL || h.name[i] == '\0')
					abort();
		}
		/* Encoding then decoding gives the bytes back. */
		if (http_pct_encode(&b, s, size) == 0) {
			if (strcspn(b.data, "/?#\"'<>& ") != b.len)
				abort();
			n = b.len;
			if (http_pct_decode(b.data, &n) != 0 || n != size ||
			    memcmp(b.data, data, size) != 0)
				abort();
		}
		ms_buf_free(&b);
	}
	n = size;
	if (http_pct_decode(s, &n) == 0 && n > size)
		abort();
	free(s);
	return 0;
}
