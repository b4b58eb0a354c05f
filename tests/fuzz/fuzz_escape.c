/*
 * fuzz_escape.c - the escapers on any bytes: the HTML output holds no
 * markup character, and the JSON and Prometheus outputs decode back to
 * the input when it was valid UTF-8; every output is valid UTF-8.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib
 *     tests/fuzz/fuzz_escape.c lib/escape.c lib/util.c -ljansson
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

static void
check_html(const char *s, size_t n)
{
	size_t i;

	if (!ms_utf8_valid(s, n))
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '<' || c == '>' || c == '"' || c == '\'' ||
		    (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f)
			abort();
		if (c == '&' && strncmp(s + i, "&amp;", 5) != 0 &&
		    strncmp(s + i, "&lt;", 4) != 0 &&
		    strncmp(s + i, "&gt;", 4) != 0 &&
		    strncmp(s + i, "&quot;", 6) != 0 &&
		    strncmp(s + i, "&#39;", 5) != 0)
			abort();
	}
}

/* Undo esc_prom_label. */
static size_t
prom_unescape(const char *s, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\n')
			abort();	/* must have been escaped */
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (++i == n)
			abort();
		if (s[i] == 'n')
			out[o++] = '\n';
		else if (s[i] == '\\' || s[i] == '"')
			out[o++] = s[i];
		else
			abort();
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct ms_buf b = { 0 };
	int valid = ms_utf8_valid(in, size);
	json_error_t je;
	json_t *j;
	char *tmp;
	size_t n;
	int flags;

	if (esc_html(&b, in, size) == -1)
		abort();
	check_html(b.data, b.len);
	ms_buf_free(&b);

	for (flags = 0; flags < 2; flags++) {
		if (esc_json(&b, in, size, ESC_JSON_QUOTES |
		    (flags ? ESC_JSON_HTMLSAFE : 0)) == -1)
			abort();
		if (!ms_utf8_valid(b.data, b.len))
			abort();
		if (flags && (memchr(b.data, '<', b.len) != NULL ||
		    memchr(b.data, '&', b.len) != NULL))
			abort();
		j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
		    &je);
		if (j == NULL || !json_is_string(j))
			abort();
		if (valid && (json_string_length(j) != size ||
		    memcmp(json_string_value(j), in, size) != 0))
			abort();
		json_decref(j);
		ms_buf_free(&b);
	}

	if (esc_prom_label(&b, in, size) == -1 ||
	    !ms_utf8_valid(b.data, b.len))
		abort();
	if ((tmp = malloc(b.len + 1)) == NULL)
		abort();
	n = prom_unescape(b.data, b.len, tmp);
	if (valid && (n != size || memcmp(tmp, in, size) != 0))
		abort();
	free(tmp);
	ms_buf_free(&b);
	return 0;
}
