/*
 * message.h - what macalert says, in French or English: the words
 * (share/mail/strings.LANG.json, partials of lib/template), the email's
 * subject and the context its templates are rendered with, and the
 * title and detail of each rule, shared by the email and the chat
 * messages (chat.h).
 *
 * Everything from a record is bounded and cut on a character boundary
 * (ms_utf8_cut); a field that still cannot be shown (not UTF-8) is left
 * out of its item, never the machine nor the message: one Mac's odd
 * field never silences the alert of another.
 *
 * Ownership: returned json_t * are new references, char * the caller's
 * to free; the report and the strings are borrowed.
 */
#ifndef MACALERT_MESSAGE_H
#define MACALERT_MESSAGE_H

#include <jansson.h>
#include <time.h>

#include "evaluate.h"
#include "fmt.h"
#include "rules.h"

#define ALERT_FIELD_MAX 128	/* bytes of a record field in a message */
#define ALERT_ERROR_MAX 300	/* bytes of a probe_error */

/* The words of lang (built in): a new reference, or NULL and e. */
json_t *alert_strings(enum ms_lang lang, struct ms_err *e);

/* Key of strings rendered as plain text with ctx (may be NULL): a new
 * string ("" when the key is missing), or NULL when out of memory. */
char *alert_say(const json_t *strings, const char *key, const json_t *ctx);

/*
 * The subject, e.g. "[macscan] Disque critique : mac-alice (4,2 Go),
 * mac-bob (12 Go)" or "[macscan] Disk critical: mac-alice (4.2 GB left)
 * and 1 more": the most urgent kind of news names it (critical disks,
 * changed host keys, critical rules, critical machines offline, other
 * rules, resolutions). UTF-8, one line, for mime_header to encode.
 * prefix replaces "[macscan]" when not NULL.
 */
char *alert_subject(const struct alert_report *r, const json_t *strings,
    enum ms_lang lang, const char *prefix);

/*
 * The context the email templates are rendered with (macalert(1) lists
 * the names). subject is borrowed for the "subject" variable; demo sets
 * "demo". NULL only when memory runs out.
 */
json_t *alert_context(const struct rules_conf *c,
    const struct alert_report *r, const json_t *strings, enum ms_lang lang,
    const char *subject, int demo);

/*
 * The fields every kind of item shares: name, id, ip (empty when it is
 * the name), model, os, user, online, free, total. NULL when out of
 * memory.
 */
json_t *alert_item(const struct alert_machine *m, enum ms_lang lang);

/*
 * The words of rule r for machine m: what ("title_", "head_",
 * "detail_") as text, e.g. "FileVault off", "the disk is not encrypted".
 * A new string ("" when there are none), or NULL when out of memory.
 */
char *alert_rule_text(const json_t *strings, const char *what, int r,
    const struct rules_conf *c, const struct alert_machine *m,
    enum ms_lang lang, time_t now);

#endif
