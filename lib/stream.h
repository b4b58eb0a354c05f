/*
 * stream.h - records and host lines in, records out.
 *
 * An input line is either a record (it starts with '{', after blanks) or
 * plain text whose first field (up to a blank or tab) is a host: an IPv4
 * address or a host name. Blank lines and '#' comments are skipped. The
 * reader keeps the input's name and line number so errors can say
 * "hosts.txt:12: ...". Lines are bounded: a longer line is an error for
 * that line only, and reading goes on at the next one.
 *
 * Ownership: the struct stream owns its line buffer (stream_close frees
 * it, not the FILE). stream_next hands the caller a new reference in
 * item->rec, released with json_decref().
 */
#ifndef MACSCAN_STREAM_H
#define MACSCAN_STREAM_H

#include <jansson.h>
#include <stdio.h>

#include "util.h"

#define STREAM_MAXLINE_DEFAULT (4u << 20)

struct stream {
	FILE *fp;
	const char *name;	/* borrowed, e.g. "<stdin>" or a path */
	unsigned long lineno;	/* of the line last returned */
	size_t maxline;
	char *line;
	size_t cap;
	int eof;
};

struct stream_item {
	json_t *rec;		/* new reference */
	int is_host;		/* 1: plain line, rec holds {"host": ...} */
	unsigned long lineno;
};

enum {
	STREAM_ITEM = 1,	/* *item filled */
	STREAM_EOF = 0,
	STREAM_BAD = -1,	/* this line is bad (e says why); go on */
	STREAM_FAIL = -2	/* read error; stop */
};

/* maxline 0 means STREAM_MAXLINE_DEFAULT. */
void stream_init(struct stream *s, FILE *fp, const char *name,
    size_t maxline);
void stream_close(struct stream *s);

/*
 * The next item. On STREAM_BAD the message in e starts with
 * "NAME:LINE: " so a program prints it as is.
 */
int stream_next(struct stream *s, struct stream_item *item,
    struct ms_err *e);

/*
 * The next raw line, comments and blanks skipped, without its newline and
 * with trailing blanks and CR removed; borrowed until the next call.
 * Returns STREAM_ITEM, STREAM_EOF, STREAM_BAD (too long) or STREAM_FAIL.
 */
int stream_line(struct stream *s, const char **line, size_t *len,
    struct ms_err *e);

/* Check a host as written on a plain line: 1 if it may be a host. */
int stream_host_valid(const char *h, size_t len);

/*
 * Write one record and a newline, flushed, so a pipeline streams.
 * 0, or -1 with e set (a write error, e.g. EPIPE or ENOSPC).
 */
int stream_write(FILE *fp, const json_t *rec, struct ms_err *e);

#endif
