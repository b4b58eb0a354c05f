/*
 * settings.h - every configuration variable of macscan, in one table:
 * name, type, default, validation, whether it is a secret, and a one-line
 * doc. Every program reads its settings through it, and so does macconf;
 * man/macscan.conf.5 and share/macscan.conf.example are held to it by
 * tests/cli/test_macconf.sh (`macconf list` prints the table).
 *
 * settings_load reads the file (lib/config.h: the environment wins over
 * it) and checks every variable of the table that is set, and the
 * relations between them (ALERT_DISK_WARN_GB >= ALERT_DISK_CRITICAL_GB),
 * so every program accepts or refuses the same configuration, with the
 * same message. After it, the getters cannot fail: they return the
 * value, or the default when the variable is unset or empty.
 *
 * Errors are one line, "PATH:LINE: KEY ...", or "environment: KEY ..."
 * when the value came from there, and never quote a secret.
 *
 * Ownership: strings returned by setting_str are borrowed from the
 * config (or are the table's static defaults); setting_secret returns a
 * new string the caller wipes (ms_explicit_bzero) and frees.
 */
#ifndef MACSCAN_SETTINGS_H
#define MACSCAN_SETTINGS_H

#include "config.h"
#include "fmt.h"
#include "util.h"

enum setting_type {
	SET_STRING,	/* one line of text */
	SET_PATH,	/* a file or directory name */
	SET_INT,	/* a decimal integer in [min, max] */
	SET_BOOL,	/* true/false, yes/no, on/off, 1/0 */
	SET_ENUM,	/* one of the words of `values` (any case) */
	SET_LANG,	/* fr or en, also as a locale (fr_FR.UTF-8) */
	SET_TIME,	/* HH:MM */
	SET_LISTEN,	/* ADDRESS:PORT */
	SET_TARGETS,	/* macping targets, separated by blanks */
	SET_EMAILS,	/* comma-separated mail addresses */
	SET_URL		/* a URL of one of the schemes of `values` */
};

enum {
	SET_SECRET = 1 << 0	/* never printed; NAME_FILE may hold it */
};

struct setting {
	const char *name;
	enum setting_type type;
	const char *def;	/* the default as text, NULL: none */
	const char *defdoc;	/* what applies when unset and def is NULL */
	long long min, max;	/* SET_INT */
	const char *values;	/* SET_ENUM: words; SET_URL: schemes */
	unsigned flags;		/* SET_* */
	const char *doc;	/* one line */
};

/* The table, in the order of the example file. */
extern const struct setting settings[];
extern const size_t settings_count;

/* The entry of name, or NULL when it is not a variable of macscan. */
const struct setting *setting_find(const char *name);

/* config_load, then settings_check: NULL and e when either fails. */
struct config *settings_load(const char *path, int must_exist,
    struct ms_err *e);

/* Check every variable of the table that is set, then the relations.
 * 0, or -1 and e for the first problem. */
int settings_check(const struct config *c, struct ms_err *e);

/*
 * The value of name, or its default, or NULL when there is neither (an
 * empty value counts as unset). Integers, booleans and languages as
 * their type; an unknown name is a programming error and gives NULL,
 * 0 or the first language.
 */
const char *setting_str(const struct config *c, const char *name);
long long setting_int(const struct config *c, const char *name);
int setting_bool(const struct config *c, const char *name);

/* MACSCAN_LANG as a language. */
enum ms_lang setting_lang(const struct config *c);

/* A secret (SET_SECRET): config_get_secret's rules. */
char *setting_secret(const struct config *c, const char *name,
    struct ms_err *e);

/* 1 if name is set (in the environment or the file, not empty). */
int setting_is_set(const struct config *c, const char *name);

/* Parse a boolean word: 0 and *out, or -1. */
int setting_parse_bool(const char *s, int *out);

#endif
