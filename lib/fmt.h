/*
 * fmt.h - how a machine and its numbers are shown to people, the same
 * way in the email, the dashboard, the chat messages and the terminal:
 * the display name, sizes, percentages, durations and times, in French
 * or English.
 *
 * Sizes are decimal, as Finder and the thresholds count them (15 GB =
 * 15,000,000,000 bytes), rounded half up with integer arithmetic (no
 * locale can change the decimal mark behind our back).
 *
 * Ownership: the fmt_* functions write into the caller's buf (len bytes,
 * at least FMT_LEN) and return it; fmt_name returns a new string.
 */
#ifndef MACSCAN_FMT_H
#define MACSCAN_FMT_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#define FMT_LEN 48		/* enough for any fmt_* result */
#define FMT_NAME_MAX 64		/* bytes of a display name */

enum ms_lang { MS_LANG_FR, MS_LANG_EN };

/* "fr" (also "fr_FR.UTF-8", "fr-CA"...) or "en" ("en_US.UTF-8"...): 0
 * and *out; else -1. */
int fmt_lang_parse(const char *s, enum ms_lang *out);
/* "fr" or "en". */
const char *fmt_lang_code(enum ms_lang lang);

/*
 * The name people know a Mac by: computer_name, else hostname, else
 * host, else ip, else id, else "?"; cleaned (esc_clean), blanks trimmed,
 * and cut to max bytes on a character boundary with "..." (U+2026) when
 * longer (max 0: FMT_NAME_MAX). A new string; NULL when memory runs out.
 */
char *fmt_name(const json_t *rec, size_t max);

enum {
	FMT_BYTES_GB = 1	/* always in GB with one decimal, no unit:
				 * "123.4" (a table column headed GB) */
};

/*
 * Bytes as people read them: "850 MB", "4.2 GB", "245 GB", "1.2 TB"
 * ("4,2 Go", "1,2 To" in French); "?" when negative.
 */
char *fmt_bytes(long long bytes, enum ms_lang lang, int flags, char *buf,
    size_t len);

/* "30%" ("30 %" in French, with a no-break space). */
char *fmt_pct(long long v, enum ms_lang lang, char *buf, size_t len);

/* A forecast: "~3 days", "less than a day"; "" when d < 0. */
char *fmt_days(double d, enum ms_lang lang, char *buf, size_t len);

/* A time in local time: "24/11/2026 à 16:10", "2026-11-24 16:10". */
char *fmt_time(time_t t, enum ms_lang lang, char *buf, size_t len);

/* An uptime: "3 d 4 h", "5 h 12 min", "12 min" ("3 j 4 h" in French). */
char *fmt_duration(long long s, enum ms_lang lang, char *buf, size_t len);

#endif
