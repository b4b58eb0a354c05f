/*
 * log.h - one style for the programs' messages on stderr:
 * "PROG: message". Only programs (cmd/) call these; die() exits.
 *
 * Verbosity: 0 quiet (-q: errors only), 1 normal (warnings), 2 verbose
 * (-v: info), 3 debug (-vv).
 */
#ifndef MACSCAN_LOG_H
#define MACSCAN_LOG_H

#include "util.h"

extern const char *ms_progname;
extern int ms_verbosity;

/* Set the program name from argv[0] (its basename). */
void log_init(const char *argv0);

/* A format ending in ':' appends strerror(errno), as in suckless' die(). */
void die(int status, const char *fmt, ...) MS_PRINTF(2, 3);
/* An error: always printed, even with -q. */
void ms_error(const char *fmt, ...) MS_PRINTF(1, 2);
/* A warning: hidden by -q. */
void ms_warn(const char *fmt, ...) MS_PRINTF(1, 2);
void ms_info(const char *fmt, ...) MS_PRINTF(1, 2);
void ms_debug(const char *fmt, ...) MS_PRINTF(1, 2);

/*
 * A progress line on stderr, for interactive runs (the caller checks
 * isatty and rate-limits): each call redraws it in place; any message
 * above clears it first, so messages and progress never mix. Callers in
 * threads serialise these calls themselves.
 */
void log_progress(const char *fmt, ...) MS_PRINTF(1, 2);
/* Leave the last progress line on the screen and end it. */
void log_progress_end(void);

/* Flush and close stdout, dying with status 2 if a write failed (a full
 * disk at the end of a pipeline must not go unnoticed). */
void close_stdout(void);

#endif
