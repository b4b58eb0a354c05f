/*
 * alertrules.h - what macalert decides and writes, without any I/O: the
 * disk levels, the de-duplication against the alert state, the disk
 * forecast, the message's subject and template context, and the tiny
 * template language the message is written in. macalert(1) does the
 * reading, the sending and the saving.
 *
 * Levels. A disk at or below the critical threshold C is at level 1;
 * at or below 2/3 of C, level 2; 1/3 of C, level 3; 1/15 of C, level 4
 * (15, 10, 5 and 1 GB with the default C of 15 GB). 0 is not critical.
 *
 * Hysteresis. A level is left, downwards, only once the disk is clear of
 * that level's bound by the margin M = max(2 GB, C / 10): with C = 15 GB
 * a machine is resolved above 17 GB, and a disk going 4.9, 5.1, 4.9 GB
 * is not "worse" twice.
 *
 * An email is due when a machine (online, its free space known):
 *   - newly becomes critical (ALERT_NEW),
 *   - reaches a deeper level than the one last sent (ALERT_WORSE),
 *   - is still critical repeat seconds after it was last sent
 *     (ALERT_REPEAT),
 *   - was sent as critical and is now clear by the margin
 *     (ALERT_RESOLVED, once);
 * or when a machine sent as critical is now offline (ALERT_OFFLINE,
 * once until it is back), or a machine's SSH host key no longer matches
 * (ALERT_HOSTKEY, once until it matches again). Offline machines get no
 * battery lines and no disk events; a machine whose record carries no
 * disk_free_bytes (a failed probe) leaves its state as it is.
 *
 * The state (a JSON object, the "alerts" state of the store):
 *   {"version": 1, "last_sent": "RFC 3339",
 *    "machines": {ID: {"name": "...", "level": 1-4, "free": bytes,
 *                      "sent_at": "RFC 3339", "offline": true,
 *                      "hostkey": true}}}
 * An entry with no level and no hostkey is dropped, and so is the entry
 * of a machine absent from the view for ALERT_FORGET_S.
 *
 * Ownership: alert_evaluate fills a struct alert_report the caller frees
 * with alert_report_free; its machines borrow the view's records, so the
 * view must outlive the report. Returned json_t * are new references,
 * char * the caller's to free.
 */
#ifndef MACSCAN_ALERTRULES_H
#define MACSCAN_ALERTRULES_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "util.h"

#define ALERT_GB 1000000000LL
#define ALERT_LEVELS 4
#define ALERT_FORGET_S (30LL * 86400)	/* state of machines gone */
#define ALERT_FORECAST_MIN 3		/* points for a forecast */
#define ALERT_FORECAST_SPAN 3600	/* seconds they must span */
#define ALERT_FORECAST_WINDOW (30LL * 86400)	/* history used */
#define ALERT_FORECAST_MAX_DAYS 365	/* further is no forecast */
#define ALERT_NAME_MAX 64		/* bytes of a display name */
#define ALERT_TMPL_MAX (1u << 20)	/* bytes of a template */
#define ALERT_TMPL_DEPTH 16		/* nested sections */

struct alert_conf {
	long long critical;	/* bytes: at or below, critical */
	long long warn;		/* bytes: below, listed in the summary */
	long long margin;	/* bytes: hysteresis */
	int battery_low;	/* percent: below, listed */
	long long repeat;	/* seconds before a still critical machine
				 * is sent again */
};

/* From the configuration's units: GB (decimal), percent, hours. */
void alert_conf_init(struct alert_conf *c, long long critical_gb,
    long long warn_gb, int battery_low_pct, long long repeat_hours);

/* The level of free bytes (0 to ALERT_LEVELS), and the upper bound of a
 * level (1 to ALERT_LEVELS) in bytes. */
int alert_level(const struct alert_conf *c, long long free_bytes);
long long alert_level_bound(const struct alert_conf *c, int level);

enum {
	ALERT_NEW = 1 << 0,
	ALERT_WORSE = 1 << 1,
	ALERT_REPEAT = 1 << 2,
	ALERT_RESOLVED = 1 << 3,
	ALERT_OFFLINE = 1 << 4,
	ALERT_HOSTKEY = 1 << 5
};

struct alert_machine {
	const json_t *rec;	/* borrowed from the view */
	const char *id;		/* borrowed from rec */
	char *name;		/* display name, cleaned, owned */
	int online;
	int has_free;
	long long free;		/* disk_free_bytes */
	long long total;	/* disk_total_bytes, 0 if unknown */
	int level;		/* of free (its last known value if offline) */
	int prev;		/* level as last sent, from the state */
	int events;		/* ALERT_* */
	int battery_full;	/* online, 100 % and on AC power */
	int battery_low;	/* online, under the threshold */
	long long battery;	/* percent, -1 if unknown */
	int hostkey;		/* online, probe == hostkey_mismatch */
	double days_left;	/* disk forecast; < 0 when none */
};

struct alert_report {
	time_t now;
	struct alert_machine *v;	/* sorted: least free space first */
	size_t n;
	int events;		/* OR of the machines' events */
	int due;		/* an email is due (or forced) */
	int forced;
	json_t *state_sent;	/* the state to save once the email is sent */
	json_t *state_kept;	/* the state to save when none is sent */
	int kept_changed;	/* state_kept differs from the state given */
};

/*
 * Evaluate a view (a JSON array of records; those without an identity
 * are skipped, a later record of an id replaces an earlier one) against
 * the state (an object; {} or NULL for none) at time now. force makes
 * the email due whatever the state says and marks every critical
 * machine as sent. 0, or -1 and e (out of memory, a view that is not an
 * array).
 */
int alert_evaluate(const struct alert_conf *c, const json_t *view,
    const json_t *state, time_t now, int force, struct alert_report *r,
    struct ms_err *e);
void alert_report_free(struct alert_report *r);

/*
 * Days until a disk is full from its history (an array of objects with
 * "t" (RFC 3339) and "disk_free_bytes", as store_history gives): a least
 * squares line over the points of the last ALERT_FORECAST_WINDOW before
 * now, when there are ALERT_FORECAST_MIN of them spanning
 * ALERT_FORECAST_SPAN seconds and the line falls; the days are free / the
 * fall per day. -1 when there is no forecast (rising, flat, too few
 * points, further than ALERT_FORECAST_MAX_DAYS).
 */
double alert_forecast(const json_t *history, long long free_now, time_t now);

/* Languages of the message. */
enum alert_lang { ALERT_FR, ALERT_EN };

/* "fr" (and "fr_FR..."), "en" ("en_US.UTF-8"...): 0 and *out; else -1. */
int alert_lang_parse(const char *s, enum alert_lang *out);

/* Bytes as people read them: "4,2 Go", "12 Go", "850 Mo" in French,
 * "4.2 GB"... in English. Written into buf (at least 32 bytes). */
char *alert_fmt_bytes(long long bytes, enum alert_lang lang, char *buf,
    size_t len);

/*
 * The subject, e.g. "[macscan] Disque critique : mac-alice (4,2 Go),
 * mac-bob (12 Go)" or "[macscan] Disk critical: mac-alice (4.2 GB left)
 * and 1 more". Names are cleaned; the result is UTF-8, one line, for
 * mime_header to encode. prefix replaces "[macscan]" when not NULL.
 */
char *alert_subject(const struct alert_report *r, enum alert_lang lang,
    const char *prefix);

/*
 * The context the templates are rendered with (see alert_render and
 * macalert(1) for the names). subject is borrowed for the "subject"
 * variable; demo sets "demo".
 */
json_t *alert_context(const struct alert_conf *c,
    const struct alert_report *r, enum alert_lang lang, const char *subject,
    int demo);

/*
 * The template language, a subset of Mustache:
 *   {{name}}            the value of name (string, integer, real, true),
 *                       HTML-escaped when html is 1; in text, control
 *                       characters become spaces
 *   {{#name}}...{{/name}}  the block once per element of an array (the
 *                       element, an object, is looked up first), once if
 *                       name is true, a non-empty string or a number,
 *                       not at all if absent, false, null, "" or []
 *   {{^name}}...{{/name}}  the block if the above would render nothing
 *   {{! comment }}      nothing
 * Names are [A-Za-z0-9_.-]. A section, inverted or comment tag alone on
 * its line takes the line with it. Unknown names render as nothing.
 * Checks the whole template first: 0 and the result appended to out, or
 * -1 and e ("NAME:LINE: unclosed section 'disks'").
 */
int alert_render(struct ms_buf *out, const char *tmpl, size_t len,
    const char *name, const json_t *ctx, int html, struct ms_err *e);

/* Check a template without rendering it: 0, or -1 and e as above. */
int alert_template_check(const char *tmpl, size_t len, const char *name,
    struct ms_err *e);

#endif
