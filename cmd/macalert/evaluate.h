/*
 * evaluate.h - what is news for one channel: macalert's de-duplication
 * state machine over the rules of lib/rules.h, run once per channel
 * against that channel's own state, without any I/O.
 *
 * Disk. A level is left, downwards, only once the disk is clear of that
 * level's bound by the margin M (lib/rules.h): with C = 15 GB a machine
 * is resolved above 17 GB, and a disk going 4.9, 5.1, 4.9 GB is not
 * "worse" twice. A message is due when a machine (online, its free
 * space known):
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
 * Other rules (ALERT_EVENT_RULES): a rule that starts firing is news
 * (rule_new), a critical one firing still is news again repeat seconds
 * after it was last sent (rule_repeat), and one that was sent and is now
 * known to be clear is news once (rule_resolved). A rule whose fields
 * are unknown is left as it is, and so are the rules of an offline
 * machine but "offline" itself. A rule turned off in the configuration
 * is forgotten without a word. Disk warnings and batteries are never
 * news: they are listed in the email's summary.
 *
 * Summary channels (the email) list every firing alert in each message,
 * so each one's repeat period starts again whenever a message goes;
 * event channels (Slack, Teams, webhook) restart it only for what they
 * sent.
 *
 * The state of a channel (a JSON object):
 *   {"last_sent": "RFC 3339",
 *    "machines": {ID: {"name": "...", "level": 1-4, "free": bytes,
 *                      "sent_at": "RFC 3339", "offline": true,
 *                      "hostkey": true,
 *                      "rules": {RULE: {"sent_at": "RFC 3339"}}}}}
 * An entry with no level, no hostkey and no rule is dropped, and so is
 * the entry of a machine absent from the view ALERT_FORGET_S after it
 * was last sent.
 *
 * The alert state of the store ("alerts"), every channel's state in one
 * file:
 *   {"version": 2,
 *    "channels": {"email": STATE, "slack": STATE, "teams": STATE,
 *                 "webhook": STATE},
 *    "seen": {ID: {"name": "...", "last_seen": "RFC 3339"}}}
 * A version 1 file (one STATE with "version": 1) is the email channel's
 * state. "seen" is kept only with ALERT_OFFLINE_DAYS: the machines the
 * view held, so one that left the view (its snapshots pruned) can still
 * be reported offline.
 *
 * Ownership: alert_evaluate fills a struct alert_report the caller frees
 * with alert_report_free; its machines borrow the view's records, so the
 * view must outlive the report. Returned json_t * are new references
 * unless said borrowed.
 */
#ifndef MACALERT_EVALUATE_H
#define MACALERT_EVALUATE_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "rules.h"
#include "util.h"

#define ALERT_FORGET_S (30LL * 86400)	/* state of machines gone */
#define ALERT_STATE_VERSION 2

/* The rules that are news of their own. */
#define ALERT_EVENT_RULES (RULE_BIT(RULE_BATTERY_CONDITION) | \
	RULE_BIT(RULE_FILEVAULT_OFF) | RULE_BIT(RULE_FIREWALL_OFF) | \
	RULE_BIT(RULE_BACKUP_OLD) | RULE_BIT(RULE_BACKUP_NEVER) | \
	RULE_BIT(RULE_SMART_FAILING) | RULE_BIT(RULE_UPDATES_RESTART) | \
	RULE_BIT(RULE_IDENTITY_CONFLICT) | RULE_BIT(RULE_OFFLINE) | \
	RULE_BIT(RULE_NEW_HOST))

enum {
	ALERT_NEW = 1 << 0,
	ALERT_WORSE = 1 << 1,
	ALERT_REPEAT = 1 << 2,
	ALERT_RESOLVED = 1 << 3,
	ALERT_OFFLINE = 1 << 4,
	ALERT_HOSTKEY = 1 << 5,
	ALERT_RULE = 1 << 6	/* see rule_new, rule_repeat, rule_resolved */
};

enum {
	ALERT_FORCE = 1 << 0,	/* due whatever the state says; every
				 * firing alert is marked as sent */
	ALERT_SUMMARY = 1 << 1	/* each message lists every firing alert */
};

struct alert_machine {
	const json_t *rec;	/* borrowed from the view */
	const char *id;		/* borrowed from rec */
	char *name;		/* display name, cleaned, owned */
	struct rules_result res;	/* lib/rules' verdict */
	int online;
	int has_free;
	long long free;		/* disk_free_bytes */
	long long total;	/* disk_total_bytes, 0 if unknown */
	int level;		/* of free (its last known value if offline) */
	int prev;		/* level as last sent, from the state */
	int events;		/* ALERT_* */
	unsigned rule_new;	/* RULE_BIT of rules newly firing */
	unsigned rule_repeat;	/* ... of critical rules mentioned again */
	unsigned rule_resolved;	/* ... of rules sent and now clear */
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
	int due;		/* a message is due (or forced) */
	int forced;
	json_t *state_sent;	/* the state to save once it is sent */
	json_t *state_kept;	/* the state to save when none is sent */
	int kept_changed;	/* state_kept differs from the state given */
};

/*
 * Evaluate a view (a JSON array of records; those without an identity
 * are skipped, a later record of an id replaces an earlier one) against
 * a channel's state (an object; {} or NULL for none) at time now, with
 * ALERT_* flags. 0, or -1 and e (out of memory, a view that is not an
 * array). A machine whose name cannot be made is shown by its id.
 */
int alert_evaluate(const struct rules_conf *c, const json_t *view,
    const json_t *state, time_t now, int flags, struct alert_report *r,
    struct ms_err *e);
void alert_report_free(struct alert_report *r);

/*
 * The state of channel in the alert state st (version 2, or 1 for the
 * email), borrowed; NULL when it has none.
 */
const json_t *alert_state_channel(const json_t *st, const char *channel);

/* A new version 2 alert state holding what st (either version, or NULL)
 * holds. NULL when out of memory. */
json_t *alert_state_v2(const json_t *st);

/* Set channel's state in a version 2 alert state (chstate is stolen).
 * 0 or -1. */
int alert_state_put(json_t *st, const char *channel, json_t *chstate);

/*
 * The "seen" map after this view (st's, or none): each machine of the
 * view with its name and last_seen (now when it is online), kept keep_s
 * seconds after it was last seen. A new object, or NULL.
 */
json_t *alert_seen_update(const json_t *st, const json_t *view,
    time_t now, long long keep_s);

/*
 * Append to view a record for each machine of seen missing from it:
 * {"id", "computer_name", "online": false, "last_seen"}, so the offline
 * rule can see it. 0 or -1.
 */
int alert_view_add_seen(json_t *view, const json_t *seen);

#endif
