/*
 * fuzz_machttp.c - what a Mac reports, through every view machttp makes
 * of it: the input is a record (or the first line a record and the rest
 * its history, one entry a line, as store_history gives them), rendered
 * as the dashboard, the page of the Mac and the metrics. Nothing may
 * crash, leak or read out of bounds; the output is valid UTF-8; no
 * markup of the record gets through (the page has no <script> element,
 * the dashboard only its own one); the metrics' label values never
 * break their line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "machttp.h"

volatile sig_atomic_t machttp_quit;

static size_t
count(const char *s, size_t n, const char *what)
{
	size_t c = 0, w = strlen(what);
	const char *p = s, *end = s + n;

	while (p < end && (p = memmem(p, (size_t)(end - p), what, w)) != NULL) {
		c++;
		p += w;
	}
	return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct thresholds th = { 15000000000LL, 30000000000LL,
	    30, 7, 14, 3, 1 };
	static const struct inst_info inst[1] = { { "os_installer.sh", 5498,
	    "14448ed4b6343398c26a344350eb77c9f3e7c484c764e9ee62e61689ce0f3260" } };
	const char *nl = memchr(data, '\n', size);
	size_t first = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	struct ms_err e = { "" };
	struct ms_buf b = { 0 };
	json_t *m, *hist, *latest, *all, *x;
	const char *p, *end = (const char *)data + size, *q;
	size_t lines = 0;

	m = json_loadb((const char *)data, first, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(m)) {
		json_decref(m);
		return 0;
	}
	if (!json_is_string(json_object_get(m, "id")))
		json_object_set_new(m, "id", json_string("fuzz"));
	hist = json_array();
	for (p = nl != NULL ? nl + 1 : end; p < end && lines < 200; p = q + 1) {
		q = memchr(p, '\n', (size_t)(end - p));
		if (q == NULL)
			q = end;
		if ((x = json_loadb(p, (size_t)(q - p), 0, NULL)) != NULL)
			json_array_append_new(hist, x);
		lines++;
	}
	latest = json_array();
	json_array_append(latest, m);
	all = json_object();
	json_object_set(all, json_string_value(json_object_get(m, "id")),
	    hist);

	if (render_machine(&b, m, hist, NULL, &th, "/base", 1796203817, &e) == 0) {
		if (!ms_utf8_valid(b.data, b.len) ||
		    count(b.data, b.len, "<script") != 0)
			abort();
	}
	ms_buf_free(&b);
	if (render_dashboard(&b, latest, all, &th, "", inst, 1,
	    "http://127.0.0.1:8000", &e) == 0) {
		if (!ms_utf8_valid(b.data, b.len) ||
		    count(b.data, b.len, "<script") != 1)
			abort();
	}
	ms_buf_free(&b);
	if (render_metrics(&b, latest, &th, &e) == 0) {
		const char *l, *lend = b.data + b.len, *ln;

		if (!ms_utf8_valid(b.data, b.len))
			abort();
		/* Every line is a comment or NAME{...} VALUE / NAME VALUE. */
		for (l = b.data; l < lend; l = ln + 1) {
			ln = memchr(l, '\n', (size_t)(lend - l));
			if (ln == NULL)
				abort();
			if (*l != '#' && strncmp(l, "macscan_", 8) != 0)
				abort();
		}
	}
	ms_buf_free(&b);
	json_decref(all);
	json_decref(latest);
	json_decref(hist);
	json_decref(m);
	return 0;
}
