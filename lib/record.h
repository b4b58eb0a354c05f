/*
 * record.h - the machine record of DESIGN.md.
 *
 * A record is a jansson object (json_t *). Using the JSON object itself
 * as the in-memory form keeps every field a program does not know, in its
 * order, and passes it on unchanged.
 *
 * Ownership: functions named _new or _parse return a new reference the
 * caller releases with json_decref(). Getters return borrowed pointers,
 * valid while the record lives and the field is not changed. Setters copy
 * their arguments.
 */
#ifndef MACSCAN_RECORD_H
#define MACSCAN_RECORD_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"

enum record_type {
	RT_STRING,
	RT_INT,		/* integer, >= 0 */
	RT_NUMBER,	/* integer or real, >= 0 */
	RT_BOOL,
	RT_STRARRAY	/* array of strings */
};

struct record_field {
	const char *name;
	enum record_type type;
};

/* The fields of DESIGN.md, NULL-terminated. */
extern const struct record_field record_fields[];

/* The type of a known field, or -1 if the field is not one of ours. */
int record_field_type(const char *name);

json_t *record_new(void);

/*
 * Parse one JSON object (a line without its newline). Rejects anything
 * but an object, duplicate keys, invalid UTF-8, and known fields of the
 * wrong type. On error, e says what and where ("column 12: ...").
 */
json_t *record_parse(const char *text, size_t len, struct ms_err *e);

/* Check the types of the known fields. 0 if fine, -1 and e otherwise. */
int record_check(const json_t *rec, struct ms_err *e);

/* Compact one-line JSON (UTF-8 kept) the caller frees; NULL on error. */
char *record_dump(const json_t *rec);

/* Borrowed string, or NULL when absent or not a string. */
const char *record_str(const json_t *rec, const char *key);
/* 0 and *out when the field is an integer (a real is truncated); else -1. */
int record_int(const json_t *rec, const char *key, long long *out);
/* 0 and *out (0 or 1) when the field is a boolean; else -1. */
int record_bool(const json_t *rec, const char *key, int *out);
/* 0 and *out when the field is a number; else -1. */
int record_real(const json_t *rec, const char *key, double *out);

/*
 * Setters. A string from outside may be any bytes: it goes through the
 * one sanitizer of strings from Macs (esc_clean: invalid UTF-8, control,
 * C1 and bidi characters become U+FFFD), so the record stays valid JSON
 * and nothing in it can act on a terminal, a page or a mail. 0 or -1.
 */
int record_set_str(json_t *rec, const char *key, const char *val);
int record_set_strn(json_t *rec, const char *key, const char *val,
    size_t len);
int record_set_int(json_t *rec, const char *key, long long val);
int record_set_real(json_t *rec, const char *key, double val);
int record_set_bool(json_t *rec, const char *key, int val);
int record_del(json_t *rec, const char *key);

/*
 * The identity of a machine: serial, else MAC, else IP, else host (as
 * DESIGN.md says). Borrowed; NULL if the record has none of them.
 */
const char *record_identity(const json_t *rec);

/* esc_clean (lib/escape.h), kept for its callers. */
char *record_utf8_clean(const char *s, size_t len);

#endif
