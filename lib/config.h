/*
 * config.h - the dotenv configuration file; the environment wins over it.
 *
 * The file (at most CONFIG_MAXFILE bytes, lines of at most CONFIG_MAXLINE
 * bytes, at most CONFIG_MAXKEYS keys) is read as:
 *
 *   # a comment line          blank lines are skipped too
 *   KEY=value with spaces     unquoted: trimmed; " #" or "\t#" starts a
 *                             comment; KEY=#x is the value "#x"
 *   KEY="a \"b\" \\ c\n"      double quotes: \" \\ \n are escapes, any
 *                             other backslash is kept as it is
 *   KEY='lit\eral # kept'     single quotes: everything literal
 *   export KEY=value          a leading "export " is allowed
 *   KEY = value               blanks around '=' are allowed
 *
 * Keys are [A-Za-z_][A-Za-z0-9_]*; a later line for the same key replaces
 * the value of an earlier one. CRLF line endings and a UTF-8 byte order
 * mark are accepted. Values are bytes: invalid UTF-8 is kept as it is (a
 * password is bytes; what reaches a record is cleaned by record_set_*),
 * a NUL byte is an error. After a closing quote only blanks and a comment
 * may follow. Quoted values end on their line.
 *
 * Errors are one line, "PATH:LINE: ...", and never quote a value (it may
 * be a secret). config_load fails on the first error, so a broken file is
 * never half applied.
 *
 * Lookups: config_get(KEY) is getenv(KEY) when KEY is set in the
 * environment (even to ""), else the file's value, else NULL. An empty
 * value counts as unset for config_get_default, config_get_num and
 * config_get_secret.
 *
 * Ownership: struct config owns every string it returns; they live until
 * config_free, which also wipes the values. config_get may return a
 * pointer into the environment, valid until that variable changes.
 * config_get_secret returns a new string the caller wipes
 * (ms_explicit_bzero) and frees.
 */
#ifndef MACSCAN_CONFIG_H
#define MACSCAN_CONFIG_H

#include <stddef.h>

#include "util.h"

#define CONFIG_MAXFILE (1u << 20)	/* bytes in the file */
#define CONFIG_MAXLINE 16384		/* bytes in one line */
#define CONFIG_MAXKEYS 4096		/* distinct keys in the file */
#define CONFIG_MAXSECRET 4096		/* bytes in a secret's first line */

struct config;

/*
 * path NULL: $MACSCAN_CONF when set and not empty, else
 * SYSCONFDIR/macscan/macscan.conf (/etc/macscan/macscan.conf). A missing
 * file gives an empty config unless must_exist; any other failure
 * (unreadable, too large, a syntax error) is an error. NULL and e set.
 */
struct config *config_load(const char *path, int must_exist,
    struct ms_err *e);

/*
 * The parser itself, on len bytes of buf (NULs included), with name used
 * as PATH in messages and returned by config_path. For tests and the fuzz
 * harness; config_load uses it.
 */
struct config *config_parse_buf(const char *buf, size_t len,
    const char *name, struct ms_err *e);

void config_free(struct config *c);

/* c may be NULL: then only the environment is asked. */
const char *config_get(const struct config *c, const char *key);
const char *config_get_default(const struct config *c, const char *key,
    const char *def);

/*
 * A decimal integer in [min, max]; def when unset or empty. 0 and *out,
 * or -1 and e, e.g. "/etc/macscan/macscan.conf:7: ALERT_REPEAT_HOURS is
 * too large: 9999 (expected 1 to 720)"; "environment: ..." when the value
 * came from there.
 */
int config_get_num(const struct config *c, const char *key, long long min,
    long long max, long long def, long long *out, struct ms_err *e);

/*
 * A secret: KEY, else the first line (without its newline or CR) of the
 * file named by KEY_FILE. Each of the two is looked up with config_get,
 * and the environment is asked for both before the file is: an
 * environment KEY_FILE wins over a file KEY. NULL with e->msg[0] == '\0'
 * when neither is set; NULL with a message when the file cannot be read,
 * has an empty first line, a NUL byte, or a first line longer than
 * CONFIG_MAXSECRET bytes.
 */
char *config_get_secret(const struct config *c, const char *key,
    struct ms_err *e);

/* The path read (or that was missing), as given to config_parse_buf. */
const char *config_path(const struct config *c);

/* The file's keys in the order they first appear (for a dump); values are
 * to be read with config_get, so the environment still wins. */
size_t config_count(const struct config *c);
const char *config_key(const struct config *c, size_t i);

/* The line of the file that set key, 0 if the file does not set it. */
unsigned long config_line(const struct config *c, const char *key);

#endif
