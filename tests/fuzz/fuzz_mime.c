/*
 * fuzz_mime.c - libFuzzer harness for lib/mime's encoders and decoders
 * (and lib/template, which reads macalert's -T files).
 *
 * Properties checked on any input x:
 *   - mime_clean(x) is valid UTF-8 without control characters, and
 *     cleaning it again changes nothing;
 *   - mime_header("Subject", x) ends with CRLF, has no CR or LF but the
 *     CRLF+blank of a fold, lines of at most MIME_LINE_MAX characters and
 *     encoded words of at most MIME_WORD_MAX; decoding its value gives
 *     mime_clean(x) back exactly;
 *   - mime_qp(x) has CRLF line ends only, lines of at most MIME_QP_MAX,
 *     and decodes back to x (line ends as LF, a last LF added);
 *   - the decoders and the template parser never crash on anything, with
 *     or without partials (one of them the input itself).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mime.h"
#include "template.h"

static void
must(int cond)
{
	if (!cond)
		abort();
}

static int
is_control(const unsigned char *p, size_t n, size_t i)
{
	(void)n;
	if (p[i] < 0x20 || p[i] == 0x7f)
		return 1;
	if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
		return 1;
	return 0;
}

static void
check_header(const char *x, size_t n)
{
	struct ms_buf b = { 0 };
	char *c, *c2, *v;
	const char *p, *line, *colon;
	size_t i;

	must((c = mime_clean(x, n)) != NULL);
	must(ms_utf8_valid(c, strlen(c)));
	for (i = 0; c[i] != '\0'; i++)
		must(!is_control((const unsigned char *)c, strlen(c), i));
	must((c2 = mime_clean(c, strlen(c))) != NULL);
	must(strcmp(c, c2) == 0);
	free(c2);

	/* mime_header cleans a NUL-terminated value: give it the clean one
	 * (x may hold NULs). */
	must(mime_header(&b, "Subject", c) == 0);
	must(b.len >= 2 && memcmp(b.data + b.len - 2, "\r\n", 2) == 0);
	for (line = b.data; line < b.data + b.len; ) {
		const char *nl = strstr(line, "\r\n");

		must(nl != NULL);
		must((size_t)(nl - line) <= MIME_LINE_MAX);
		for (p = line; p < nl; p++)
			must(*p != '\r' && *p != '\n');
		/* A continuation line starts with a blank. */
		if (line != b.data)
			must(*line == ' ');
		line = nl + 2;
	}
	for (p = b.data; (p = strstr(p, "=?UTF-8?Q?")) != NULL; ) {
		const char *q = strstr(p + 10, "?=");

		must(q != NULL && (size_t)(q + 2 - p) <= MIME_WORD_MAX);
		p = q + 2;
	}
	colon = strchr(b.data, ':');
	must(colon != NULL);
	v = mime_header_decode(colon + 1, b.len - (size_t)(colon + 1 -
	    b.data) - 2, NULL);
	must(v != NULL);
	must(strcmp(v, c) == 0);
	free(v);
	free(c);
	ms_buf_free(&b);
}

static void
check_qp(const char *x, size_t n)
{
	struct ms_buf b = { 0 }, want = { 0 };
	const char *line, *nl;
	size_t i, dn;
	char *d;

	must(mime_qp(&b, x, n) == 0);
	for (line = b.data; line < b.data + b.len; line = nl + 2) {
		nl = strstr(line, "\r\n");
		must(nl != NULL && (size_t)(nl - line) <= MIME_QP_MAX);
		must(memchr(line, '\n', (size_t)(nl - line)) == NULL);
		must(memchr(line, '\r', (size_t)(nl - line)) == NULL);
		must(*line != '.');
	}
	d = mime_qp_decode(b.data, b.len, &dn, NULL);
	must(d != NULL);
	/* What the decoder must give: CRLF as LF, a last LF added. */
	for (i = 0; i < n; i++) {
		if (x[i] == '\r' && i + 1 < n && x[i + 1] == '\n')
			continue;
		must(ms_buf_append(&want, x + i, 1) == 0);
	}
	if (want.len > 0 && want.data[want.len - 1] != '\n')
		must(ms_buf_append(&want, "\n", 1) == 0);
	must(dn == want.len);
	must(dn == 0 || memcmp(d, want.data, dn) == 0);
	free(d);
	ms_buf_free(&want);
	ms_buf_free(&b);
}

static void
check_decoders(const char *x, size_t n)
{
	size_t dn;
	char *d;

	free(mime_header_decode(x, n, NULL));
	free(mime_qp_decode(x, n, &dn, NULL));
	if ((d = malloc(n + 1)) != NULL) {
		memcpy(d, x, n);
		d[n] = '\0';
		(void)mime_addr_valid(d);
		free(d);
	}
}

static void
check_template(const char *x, size_t n)
{
	struct ms_buf b = { 0 };
	json_t *ctx;

	json_t *partials;

	ctx = json_pack("{s:s,s:[{s:s},{s:i}],s:b,s:[]}", "a", "<&>",
	    "l", "a", "x\r\ny", "a", 7, "t", 1, "e");
	partials = json_pack("{s:s,s:s}", "p", "[{{a}}{{> q}}]", "q",
	    "{{#l}}{{a}}{{/l}}");
	if (ctx == NULL || partials == NULL)
		goto out;
	/* The input as a partial of itself, too: loops end in an error. */
	if (ms_utf8_valid(x, n) && memchr(x, '\0', n) == NULL) {
		char *c = strndup(x, n);

		if (c != NULL)
			json_object_set_new(partials, "x", json_string(c));
		free(c);
	}
	if (template_render(&b, x, n, "fuzz", ctx, partials, n & 1 ?
	    TMPL_HTML : TMPL_TEXT, NULL) == 0)
		must(b.data == NULL || ms_utf8_valid(b.data, b.len) ||
		    !ms_utf8_valid(x, n));
	(void)template_check(x, n, "fuzz", partials, NULL);
out:
	ms_buf_free(&b);
	json_decref(partials);
	json_decref(ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *x = (const char *)data;

	check_header(x, size);
	check_qp(x, size);
	check_decoders(x, size);
	check_template(x, size);
	return 0;
}
