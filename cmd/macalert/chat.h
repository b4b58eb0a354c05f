/*
 * chat.h - the events of one channel's run, and the payloads that carry
 * them: Slack (Block Kit), Microsoft Teams (an Adaptive Card through a
 * Workflows webhook) and macscan's own JSON for any other receiver.
 *
 * An event is one rule of one machine that is news for the channel:
 *   {"id": "C02X...", "name": "mac-alice", "ip": "192.0.2.1",
 *    "rule": "disk_critical", "severity": "critical",
 *    "status": "firing" | "resolved",
 *    "kind": "new" | "worse" | "repeat" | "resolved" | "offline",
 *    "value": <the record field that fired, as the record has it>,
 *    "level": 1-4 (disk_critical only),
 *    "message": "mac-alice: Disk critical (4.2 GB free) [new]"}
 * "offline" is a critical disk's machine that stopped answering (its
 * value is the last one read). Firing events come first, critical
 * first, then the resolved ones; within each, the machines in the
 * email's order (least free space first). With -f every firing alert is
 * an event ("repeat" when it is not news).
 *
 * The generic payload (macalert(1) documents it; version 1 only ever
 * gains members):
 *   {"type": "macscan.alerts", "version": 1, "sent_at": "RFC 3339",
 *    "scanner": "host name of the machine running macalert",
 *    "lang": "fr", "demo": false, "events": [EVENT, ...]}
 *
 * Names and every value from a Mac stay inert in each format: JSON is
 * escaped by jansson; Slack gets plain_text objects only, & < > as
 * entities (so "<!channel>" is text) and "mrkdwn": false for the
 * notification text; Teams gets the lines as TextRuns of a
 * RichTextBlock, which Teams never reads as Markdown. Slack and Teams
 * show at most CHAT_LINES_MAX events, then "and N more".
 *
 * Ownership: every json_t * returned is a new reference; arguments are
 * borrowed.
 */
#ifndef MACALERT_CHAT_H
#define MACALERT_CHAT_H

#include <jansson.h>
#include <time.h>

#include "evaluate.h"
#include "fmt.h"
#include "rules.h"

#define CHAT_PAYLOAD_VERSION 1
#define CHAT_LINES_MAX 40	/* events shown in one Slack or Teams post */
#define SLACK_HEADER_MAX 150	/* characters of a header block */
#define SLACK_TEXT_MAX 3000	/* characters of a section's text */
#define SLACK_BLOCKS_MAX 50	/* blocks in a message */
#define TEAMS_CARD_VERSION "1.4"

struct chat_meta {
	time_t now;
	const char *scanner;	/* host name shown as the sender */
	enum ms_lang lang;
	int demo;
};

/* The events of a report (see above), an array; NULL when out of
 * memory. forced: every firing alert is an event. */
json_t *chat_events(const struct rules_conf *c,
    const struct alert_report *r, const json_t *strings, enum ms_lang lang,
    int forced);

json_t *chat_generic(const json_t *events, const struct chat_meta *m);
json_t *chat_slack(const json_t *events, const json_t *strings,
    const struct chat_meta *m);
json_t *chat_teams(const json_t *events, const json_t *strings,
    const struct chat_meta *m);

#endif
