#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "record.h"
#include "stream.h"

void
stream_init(struct stream *s, FILE *fp, const char *name, size_t maxline)
{
	memset(s, 0, sizeof(*s));
	s->fp = fp;
	s->name = name != NULL ? name : "<stdin>";
	s->maxline = maxline != 0 ? maxline : STREAM_MAXLINE_DEFAULT;
}

void
stream_close(struct stream *s)
{
	free(s->line);
	s->line = NULL;
	s->cap = 0;
}

/*
 * Read one physical line into s->line. Returns its length, -1 at EOF,
 * -2 on a read error, -3 when it is longer than maxline (the rest of the
 * line is consumed and dropped).
 */
static long long
read_line(struct stream *s)
{
	size_t len = 0;
	int c, toolong = 0;

	if (s->eof)
		return -1;
	for (;;) {
		c = getc_unlocked(s->fp);
		if (c == EOF) {
			if (ferror(s->fp))
				return -2;
			s->eof = 1;
			if (len == 0 && !toolong)
				return -1;
			break;
		}
		if (c == '\n')
			break;
		if (toolong)
			continue;
		if (len >= s->maxline) {
			toolong = 1;
			continue;
		}
		if (len + 1 >= s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 256;
			char *p;

			if (cap > s->maxline + 1)
				cap = s->maxline + 1;
			if ((p = realloc(s->line, cap)) == NULL)
				return -2;
			s->line = p;
			s->cap = cap;
		}
		s->line[len++] = (char)c;
	}
	s->lineno++;
	if (toolong)
		return -3;
	if (s->line == NULL) {
		if ((s->line = malloc(1)) == NULL)
			return -2;
		s->cap = 1;
	}
	s->line[len] = '\0';
	return (long long)len;
}

int
stream_line(struct stream *s, const char **line, size_t *lenp,
    struct ms_err *e)
{
	for (;;) {
		long long n = read_line(s);
		size_t len, i;

		if (n == -1)
			return STREAM_EOF;
		if (n == -2) {
			ms_err_set(e, "%s: read error:", s->name);
			return STREAM_FAIL;
		}
		if (n == -3) {
			ms_err_set(e, "%s:%lu: line longer than %zu bytes",
			    s->name, s->lineno, s->maxline);
			return STREAM_BAD;
		}
		len = (size_t)n;
		while (len > 0 && (s->line[len - 1] == ' ' ||
		    s->line[len - 1] == '\t' || s->line[len - 1] == '\r'))
			s->line[--len] = '\0';
		for (i = 0; i < len && (s->line[i] == ' ' ||
		    s->line[i] == '\t'); i++)
			;
		if (i == len || s->line[i] == '#')
			continue;
		*line = s->line + i;
		*lenp = len - i;
		return STREAM_ITEM;
	}
}

int
stream_host_valid(const char *h, size_t len)
{
	size_t i;

	if (len == 0 || len > 253 || h[0] == '-' || h[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_'))
			return 0;
	}
	return 1;
}

int
stream_next(struct stream *s, struct stream_item *item, struct ms_err *e)
{
	const char *line;
	size_t len, n;
	struct ms_err pe;
	int r;

	item->rec = NULL;
	item->is_host = 0;
	if ((r = stream_line(s, &line, &len, e)) != STREAM_ITEM)
		return r;
	item->lineno = s->lineno;
	if (line[0] == '{') {
		item->rec = record_parse(line, len, &pe);
		if (item->rec == NULL) {
			ms_err_set(e, "%s:%lu: %s", s->name, s->lineno,
			    pe.msg);
			return STREAM_BAD;
		}
		return STREAM_ITEM;
	}
	for (n = 0; n < len && line[n] != ' ' && line[n] != '\t'; n++)
		;
	if (!stream_host_valid(line, n)) {
		char shown[256];

		/* The line may hold terminal escapes: show them inert. */
		esc_term_buf(shown, sizeof(shown), line, n, 64, 0);
		ms_err_set(e, "%s:%lu: not a host name or address: '%s'",
		    s->name, s->lineno, shown);
		return STREAM_BAD;
	}
	if ((item->rec = record_new()) == NULL ||
	    record_set_strn(item->rec, "host", line, n) == -1) {
		json_decref(item->rec);
		item->rec = NULL;
		ms_err_set(e, "%s:%lu: out of memory", s->name, s->lineno);
		return STREAM_FAIL;
	}
	item->is_host = 1;
	return STREAM_ITEM;
}

int
stream_write(FILE *fp, const json_t *rec, struct ms_err *e)
{
	char *s = record_dump(rec);
	int r = 0;

	if (s == NULL)
		return ms_err_set(e, "cannot encode record");
	if (fputs(s, fp) == EOF || putc('\n', fp) == EOF ||
	    fflush(fp) == EOF)
		r = ms_err_set(e, "write error:");
	free(s);
	return r;
}
