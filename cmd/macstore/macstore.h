/*
 * macstore.h - what the files of macstore share: its options, the text
 * it shows people (sanitized cells, tables) and the import of the old
 * service's files.
 */
#ifndef MACSTORE_H
#define MACSTORE_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "exitcode.h"
#include "rules.h"
#include "store.h"

#define KEEP_MAX 10000

enum { EX_OK = MS_EXIT_OK, EX_BAD = MS_EXIT_SOME, EX_USAGE = MS_EXIT_USAGE,
	EX_STORE = MS_EXIT_SYSTEM };

struct opts {
	const char *dir;
	unsigned keep;
	int keep_set;
	int array;
	int table;
	int csv;
	time_t when;
	int when_set;
	struct rules_conf rules;	/* from the settings */
};

/* table.c */
/*
 * Text from a record for a message or a table cell: control characters
 * (C0, DEL, C1) and bidirectional overrides become '?', so a name set on
 * a compromised Mac cannot drive the terminal. A new string.
 */
char *sanitize(const char *s, size_t max);
/* A sanitized id for messages (in a static buffer: one per message). */
const char *safe_id(const char *s);

struct table {
	size_t ncols;
	const char *const *heads;
	const int *right;	/* right-aligned columns */
	char **cells;		/* rows * ncols, sanitized */
	size_t nrows, cap;	/* cap in cells */
};

int table_row(struct table *t, const char *const *cells);
void table_free(struct table *t);
/* Print the table in at most `width` columns. */
void table_print(const struct table *t, size_t width);
size_t term_width(void);
/* "123.4" (decimal GB, as Finder counts), or NULL when unknown. */
const char *cell_gb(const json_t *o, const char *key, char *buf, size_t len);
const char *cell_pct(const json_t *o, const char *key, char *buf,
    size_t len);
/* "2026-11-24 16:10" from an RFC 3339 time (UTC). */
const char *cell_time(const char *s, char *buf, size_t len);
/* The first of keys that is a non-empty string, or NULL. */
const char *first_str(const json_t *o, const char *const *keys);

/* import.c */
int cmd_import(struct store *st, const struct opts *op, int argc,
    char **argv);

#endif
