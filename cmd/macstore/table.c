/*
 * table.c - what macstore shows people: text made safe for a terminal,
 * tables cut to its width, sizes and times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "escape.h"
#include "fmt.h"
#include "macstore.h"
#include "record.h"
#include "rfc3339.h"

/* esc_term (lib/escape.h): the one policy for text going to a
 * terminal, controls and bidirectional overrides as '?'. */
char *
sanitize(const char *s, size_t max)
{
	struct ms_buf b = { 0 };

	if (s == NULL)
		s = "";
	if (esc_term(&b, s, strlen(s), max, 0) == -1) {
		ms_buf_free(&b);
		return NULL;
	}
	if (b.data == NULL)
		return strdup("");
	return ms_buf_steal(&b, NULL);
}

const char *
safe_id(const char *s)
{
	static char buf[160];
	char *t = sanitize(s, 128);

	snprintf(buf, sizeof(buf), "%s", t != NULL ? t : "?");
	free(t);
	return buf;
}

/* ---- tables ---------------------------------------------------------- */

/* Columns a UTF-8 string takes on a terminal. */
static size_t
text_width(const char *s, size_t *bytes_for, size_t limit)
{
	mbstate_t ps;
	size_t w = 0, n = strlen(s), i = 0;

	memset(&ps, 0, sizeof(ps));
	while (i < n) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s + i, n - i, &ps);
		int cw;

		if (k == (size_t)-1 || k == (size_t)-2) {
			memset(&ps, 0, sizeof(ps));
			k = 1;
			cw = 1;
		} else {
			if (k == 0)
				k = 1;
			cw = wcwidth(wc);
			if (cw < 0)
				cw = 1;
		}
		if (bytes_for != NULL && w + (size_t)cw > limit)
			break;
		w += (size_t)cw;
		i += k;
	}
	if (bytes_for != NULL)
		*bytes_for = i;
	return w;
}

int
table_row(struct table *t, const char *const *cells)
{
	size_t i;

	if (ms_grow(&t->cells, &t->cap, (t->nrows + 1) * t->ncols,
	    sizeof(*t->cells)) == -1)
		return -1;
	for (i = 0; i < t->ncols; i++) {
		char *s = sanitize(cells[i] != NULL ? cells[i] : "-", 4096);

		if (s == NULL)
			return -1;
		t->cells[t->nrows * t->ncols + i] = s;
	}
	t->nrows++;
	return 0;
}

void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

size_t
term_width(void)
{
	const char *c = getenv("COLUMNS");
	struct winsize ws;
	long long v;

	if (c != NULL && ms_strtonum(c, 10, 100000, &v, NULL) == 0)
		return (size_t)v;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void
print_cell(const char *s, size_t width, int right, int last)
{
	size_t w, bytes;

	w = text_width(s, NULL, 0);
	if (w > width) {
		/* Cut to width - 1 columns and mark it with an ellipsis. */
		w = text_width(s, &bytes, width > 0 ? width - 1 : 0);
		fwrite(s, 1, bytes, stdout);
		if (width > 0) {
			fputs("\u2026", stdout);
			w++;
		}
		for (; w < width && !last; w++)
			putchar(' ');
		return;
	}
	if (right)
		for (; w < width; w++)
			putchar(' ');
	fputs(s, stdout);
	if (!right && !last)
		for (; w < width; w++)
			putchar(' ');
}

/* Print the table in at most `width` columns: the widest columns give
 * way first, one column at a time. */
void
table_print(const struct table *t, size_t width)
{
	size_t w[16], minw[16], i, r, total;

	for (i = 0; i < t->ncols && i < 16; i++) {
		size_t hw = text_width(t->heads[i], NULL, 0);

		w[i] = hw;
		for (r = 0; r < t->nrows; r++) {
			size_t cw = text_width(t->cells[r * t->ncols + i],
			    NULL, 0);

			if (cw > w[i])
				w[i] = cw;
		}
		/* Numbers are never cut (their heading may be); text
		 * keeps at least 3 columns. */
		minw[i] = 3;
		for (r = 0; t->right[i] && r < t->nrows; r++) {
			size_t cw = text_width(t->cells[r * t->ncols + i],
			    NULL, 0);

			if (cw > minw[i])
				minw[i] = cw;
		}
		if (minw[i] > w[i])
			minw[i] = w[i];
	}
	for (;;) {
		size_t best = t->ncols;

		total = 2 * (t->ncols - 1);
		for (i = 0; i < t->ncols; i++)
			total += w[i];
		if (total <= width)
			break;
		for (i = 0; i < t->ncols; i++)
			if (w[i] > minw[i] && (best == t->ncols ||
			    w[i] > w[best]))
				best = i;
		if (best == t->ncols)
			break;
		w[best]--;
	}
	for (r = 0; r <= t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const char *s = r == 0 ? t->heads[i] :
			    t->cells[(r - 1) * t->ncols + i];

			if (i > 0)
				fputs("  ", stdout);
			print_cell(s, w[i], t->right[i], i + 1 == t->ncols);
		}
		putchar('\n');
	}
}

/* "123.4" (decimal GB, as Finder counts, fmt.h), or NULL when
 * unknown. */
const char *
cell_gb(const json_t *o, const char *key, char *buf, size_t len)
{
	long long v;

	if (record_int(o, key, &v) == -1 || v < 0)
		return NULL;
	return fmt_bytes(v, MS_LANG_EN, FMT_BYTES_GB, buf, len);
}

/* "80%" (fmt.h), or NULL when unknown. */
const char *
cell_pct(const json_t *o, const char *key, char *buf, size_t len)
{
	long long v;

	if (record_int(o, key, &v) == -1)
		return NULL;
	return fmt_pct(v, MS_LANG_EN, buf, len);
}

/* "2026-11-24 16:10" from an RFC 3339 time (UTC). */
const char *
cell_time(const char *s, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (s == NULL || rfc3339_parse(s, &t, NULL) == -1 ||
	    gmtime_r(&t, &tm) == NULL)
		return s;
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	return buf;
}

const char *
first_str(const json_t *o, const char *const *keys)
{
	const char *s;

	for (; *keys != NULL; keys++)
		if ((s = record_str(o, *keys)) != NULL && *s != '\0')
			return s;
	return NULL;
}

