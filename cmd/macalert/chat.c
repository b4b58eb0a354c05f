/*
 * chat.c - see chat.h: events, and the Slack, Teams and generic
 * payloads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "escape.h"
#include "message.h"
#include "record.h"
#include "rfc3339.h"

#define ELLIPSIS "\xe2\x80\xa6"

enum { K_NEW, K_WORSE, K_REPEAT, K_RESOLVED, K_OFFLINE };

static const char *const kind_names[] = { "new", "worse", "repeat",
	"resolved", "offline" };

/* One event of machine m: rule r, kind k. NULL when out of memory. */
static json_t *
event_new(const struct rules_conf *c, const struct alert_machine *m,
    int r, int k, const json_t *strings, enum ms_lang lang, time_t now)
{
	const char *ip = record_str(m->rec, "ip");
	const json_t *val;
	char key[32], *title, *detail, *kind, *msg;
	json_t *o, *ctx;

	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", m->id, "name",
	    m->name, "rule", rule_defs[r].name, "severity",
	    rule_severity_name(rule_defs[r].severity), "status",
	    k == K_RESOLVED ? "resolved" : "firing", "kind", kind_names[k]);
	if (o == NULL)
		return NULL;
	if (ip != NULL) {
		char *c2 = esc_clean(ip, ms_utf8_cut(ip, strlen(ip),
		    ALERT_FIELD_MAX));

		if (c2 != NULL)
			(void)json_object_set_new(o, "ip", json_string(c2));
		free(c2);
	}
	if (r == RULE_DISK_CRITICAL && m->has_free) {
		(void)json_object_set_new(o, "value", json_integer(m->free));
		(void)json_object_set_new(o, "level", json_integer(m->level));
	} else if ((val = json_object_get(m->rec, rule_defs[r].field)) !=
	    NULL && (json_is_string(val) ? json_string_length(val) <=
	    ALERT_FIELD_MAX : !json_is_object(val) && !json_is_array(val))) {
		(void)json_object_set_new(o, "value", json_deep_copy(val));
	}
	if (json_object_get(o, "value") == NULL)
		(void)json_object_set_new(o, "value", json_null());
	title = alert_rule_text(strings, "label_", r, c, m, lang, now);
	/* What a resolved rule's detail said is no longer true; a disk's
	 * free space is. */
	detail = k == K_RESOLVED && r != RULE_DISK_CRITICAL ? NULL :
	    alert_rule_text(strings, "detail_", r, c, m, lang, now);
	snprintf(key, sizeof(key), "kind_%s", kind_names[k]);
	kind = alert_say(strings, key, NULL);
	ctx = json_pack("{s:s,s:s,s:s,s:s}", "name", m->name, "label",
	    title != NULL ? title : "", "detail", detail != NULL ? detail : "",
	    "kind", kind != NULL ? kind : "");
	msg = ctx != NULL ? alert_say(strings, "event_line", ctx) : NULL;
	json_decref(ctx);
	free(title);
	free(detail);
	free(kind);
	if (msg == NULL || json_object_set_new(o, "message",
	    json_string(msg)) == -1) {
		free(msg);
		json_decref(o);
		return NULL;
	}
	free(msg);
	return o;
}

/* The kinds of rule r for machine m as a bit mask of 1 << K_*. */
static unsigned
kinds_of(const struct alert_machine *m, int r, int forced)
{
	unsigned bit = RULE_BIT(r), k = 0;

	if (r == RULE_DISK_CRITICAL) {
		if (m->events & ALERT_NEW)
			k |= 1u << K_NEW;
		if (m->events & ALERT_WORSE)
			k |= 1u << K_WORSE;
		if (m->events & ALERT_REPEAT)
			k |= 1u << K_REPEAT;
		if (m->events & ALERT_OFFLINE)
			k |= 1u << K_OFFLINE;
		if (m->events & ALERT_RESOLVED)
			k |= 1u << K_RESOLVED;
		if (forced && k == 0 && m->online && m->has_free &&
		    m->level >= 1)
			k |= 1u << K_REPEAT;
		return k;
	}
	if (r == RULE_HOSTKEY_MISMATCH) {
		if (m->events & ALERT_HOSTKEY)
			k |= 1u << K_NEW;
		else if (forced && m->hostkey)
			k |= 1u << K_REPEAT;
		return k;
	}
	if (!(ALERT_EVENT_RULES & bit))
		return 0;
	if (m->rule_new & bit)
		k |= 1u << K_NEW;
	if (m->rule_repeat & bit)
		k |= 1u << K_REPEAT;
	if (m->rule_resolved & bit)
		k |= 1u << K_RESOLVED;
	if (forced && k == 0 && (m->res.firing & bit) &&
	    (m->online || r == RULE_OFFLINE))
		k |= 1u << K_REPEAT;
	return k;
}

json_t *
chat_events(const struct rules_conf *c, const struct alert_report *r,
    const json_t *strings, enum ms_lang lang, int forced)
{
	json_t *arr, *o;
	unsigned kinds;
	size_t i;
	int pass, rule, k;

	if ((arr = json_array()) == NULL)
		return NULL;
	/* Firing critical, warning, info; then resolved. */
	for (pass = 0; pass < 4; pass++) {
		for (i = 0; i < r->n; i++) {
			const struct alert_machine *m = &r->v[i];

			for (rule = 0; rule < RULE_COUNT; rule++) {
				kinds = kinds_of(m, rule, forced);
				for (k = 0; k <= K_OFFLINE; k++) {
					if (!(kinds & (1u << k)))
						continue;
					if (pass == 3 ? k != K_RESOLVED :
					    k == K_RESOLVED ||
					    (int)rule_defs[rule].severity !=
					    RULE_CRITICAL - pass)
						continue;
					if ((o = event_new(c, m, rule, k,
					    strings, lang, r->now)) == NULL ||
					    json_array_append_new(arr, o) ==
					    -1)
						goto oom;
				}
			}
		}
	}
	return arr;
oom:
	json_decref(arr);
	return NULL;
}

json_t *
chat_generic(const json_t *events, const struct chat_meta *m)
{
	char now[RFC3339_LEN];

	if (rfc3339_format(m->now, now) == NULL)
		return NULL;
	return json_pack("{s:s,s:i,s:s,s:s,s:s,s:b,s:O}", "type",
	    "macscan.alerts", "version", CHAT_PAYLOAD_VERSION, "sent_at", now,
	    "scanner", m->scanner != NULL ? m->scanner : "", "lang",
	    fmt_lang_code(m->lang), "demo", m->demo, "events", events);
}

/* Our words of key with n (and its plural) and demo: a new string. */
static char *
say_n(const json_t *strings, const char *key, size_t n, int demo)
{
	json_t *ctx = json_pack("{s:I,s:b,s:b}", "n", (json_int_t)n,
	    "plural", n > 1, "demo", demo);
	char *s = ctx != NULL ? alert_say(strings, key, ctx) : NULL;

	json_decref(ctx);
	return s;
}

static char *
footer(const json_t *strings, const struct chat_meta *m)
{
	char gen[FMT_LEN];
	json_t *ctx = json_pack("{s:s}", "generated", fmt_time(m->now,
	    m->lang, gen, sizeof(gen)));
	char *s = ctx != NULL ? alert_say(strings, "chat_footer", ctx) : NULL;

	json_decref(ctx);
	return s;
}

/*
 * Text for Slack: & < > as entities, at most max bytes (so at most max
 * characters), cut on a character and never inside an entity, with an
 * ellipsis when cut. A new JSON string or NULL.
 */
static json_t *
slack_text(const char *s, size_t max)
{
	struct ms_buf b = { 0 };
	json_t *j;
	size_t n, k;

	for (; *s != '\0'; s++) {
		const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" :
		    *s == '>' ? "&gt;" : NULL;

		if ((e != NULL ? ms_buf_puts(&b, e) :
		    ms_buf_append(&b, s, 1)) == -1) {
			ms_buf_free(&b);
			return NULL;
		}
	}
	if (ms_buf_append(&b, "", 0) == -1) {
		ms_buf_free(&b);
		return NULL;
	}
	if (b.len > max) {
		n = ms_utf8_cut(b.data, b.len, max - 3);
		for (k = n; k > 0 && n - k < 5; k--)
			if (b.data[k - 1] == ';')
				break;
			else if (b.data[k - 1] == '&') {
				n = k - 1;
				break;
			}
		memcpy(b.data + n, ELLIPSIS, 4);
	}
	j = json_string(b.data);
	ms_buf_free(&b);
	return j;
}

static const char *
emoji(const json_t *ev)
{
	const char *st = json_string_value(json_object_get(ev, "status"));
	const char *sev = json_string_value(json_object_get(ev, "severity"));

	if (st != NULL && strcmp(st, "resolved") == 0)
		return "\xe2\x9c\x85";			/* check mark */
	if (sev != NULL && strcmp(sev, "critical") == 0)
		return "\xf0\x9f\x94\xb4";		/* red circle */
	if (sev != NULL && strcmp(sev, "warning") == 0)
		return "\xf0\x9f\x9f\xa0";		/* orange circle */
	return "\xf0\x9f\x94\xb5";			/* blue circle */
}

/* "EMOJI message" of an event: a new string or NULL. */
static char *
line_of(const json_t *ev)
{
	struct ms_buf b = { 0 };

	if (ms_buf_printf(&b, "%s %s", emoji(ev), json_string_value(
	    json_object_get(ev, "message"))) == -1) {
		ms_buf_free(&b);
		return NULL;
	}
	return ms_buf_steal(&b, NULL);
}

static int
slack_block(json_t *blocks, const char *type, const char *text, size_t max)
{
	json_t *t = slack_text(text, max), *o;

	if (t == NULL)
		return -1;
	if (strcmp(type, "context") == 0)
		o = json_pack("{s:s,s:[{s:s,s:o,s:b}]}", "type", "context",
		    "elements", "type", "plain_text", "text", t, "emoji", 0);
	else
		o = json_pack("{s:s,s:{s:s,s:o,s:b}}", "type", type, "text",
		    "type", "plain_text", "text", t, "emoji", 0);
	if (o == NULL)
		return -1;
	return json_array_append_new(blocks, o);
}

json_t *
chat_slack(const json_t *events, const json_t *strings,
    const struct chat_meta *m)
{
	size_t n = json_array_size(events), i;
	char *title, *line = NULL, *more = NULL, *foot = NULL;
	struct ms_buf fb = { 0 };
	json_t *o = NULL, *blocks, *ft;

	if ((title = say_n(strings, "chat_title", n, m->demo)) == NULL ||
	    (blocks = json_array()) == NULL)
		goto out;
	if (slack_block(blocks, "header", title, SLACK_HEADER_MAX) == -1)
		goto fail;
	for (i = 0; i < n && i < CHAT_LINES_MAX; i++) {
		if ((line = line_of(json_array_get(events, i))) == NULL ||
		    slack_block(blocks, "section", line, SLACK_TEXT_MAX) == -1)
			goto fail;
		free(line);
		line = NULL;
	}
	if (n > CHAT_LINES_MAX && ((more = say_n(strings, "chat_more",
	    n - CHAT_LINES_MAX, m->demo)) == NULL ||
	    slack_block(blocks, "section", more, SLACK_TEXT_MAX) == -1))
		goto fail;
	if ((foot = footer(strings, m)) == NULL ||
	    slack_block(blocks, "context", foot, SLACK_TEXT_MAX) == -1)
		goto fail;
	/* The notification's text: the title, a dash, the first line. */
	if (ms_buf_puts(&fb, title) == -1 || (n > 0 &&
	    ms_buf_printf(&fb, " \xe2\x80\x94 %s", json_string_value(
	    json_object_get(json_array_get(events, 0), "message"))) == -1) ||
	    (ft = slack_text(fb.data, SLACK_TEXT_MAX)) == NULL)
		goto fail;
	o = json_pack("{s:o,s:b,s:b,s:b,s:o}", "text", ft, "mrkdwn", 0,
	    "unfurl_links", 0, "unfurl_media", 0, "blocks", blocks);
	goto out;
fail:
	json_decref(blocks);
out:
	ms_buf_free(&fb);
	free(title);
	free(line);
	free(more);
	free(foot);
	return o;
}

/* A TextBlock of our own words. */
static json_t *
teams_textblock(const char *text, int title)
{
	if (title)
		return json_pack("{s:s,s:s,s:s,s:s,s:b}", "type", "TextBlock",
		    "text", text, "weight", "Bolder", "size", "Medium", "wrap",
		    1);
	return json_pack("{s:s,s:s,s:b,s:s,s:b}", "type", "TextBlock", "text",
	    text, "isSubtle", 1, "size", "Small", "wrap", 1);
}

/* Words from a Mac: TextRuns, never read as Markdown. */
static json_t *
teams_line(const json_t *ev)
{
	char mark[16];

	snprintf(mark, sizeof(mark), "%s ", emoji(ev));
	return json_pack("{s:s,s:[{s:s,s:s},{s:s,s:O}]}", "type",
	    "RichTextBlock", "inlines", "type", "TextRun", "text", mark,
	    "type", "TextRun", "text", json_object_get(ev, "message"));
}

json_t *
chat_teams(const json_t *events, const json_t *strings,
    const struct chat_meta *m)
{
	size_t n = json_array_size(events), i;
	char *title, *more = NULL, *foot = NULL;
	json_t *card = NULL, *body, *o = NULL;

	if ((title = say_n(strings, "chat_title", n, m->demo)) == NULL ||
	    (body = json_array()) == NULL)
		goto out;
	if (json_array_append_new(body, teams_textblock(title, 1)) == -1)
		goto fail;
	for (i = 0; i < n && i < CHAT_LINES_MAX; i++)
		if (json_array_append_new(body, teams_line(json_array_get(
		    events, i))) == -1)
			goto fail;
	if (n > CHAT_LINES_MAX && ((more = say_n(strings, "chat_more",
	    n - CHAT_LINES_MAX, m->demo)) == NULL ||
	    json_array_append_new(body, teams_textblock(more, 0)) == -1))
		goto fail;
	if ((foot = footer(strings, m)) == NULL ||
	    json_array_append_new(body, teams_textblock(foot, 0)) == -1)
		goto fail;
	card = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "$schema",
	    "http://adaptivecards.io/schemas/adaptive-card.json", "type",
	    "AdaptiveCard", "version", TEAMS_CARD_VERSION, "lang",
	    fmt_lang_code(m->lang), "fallbackText", title, "body", body);
	if (card == NULL)
		goto out;
	o = json_pack("{s:s,s:[{s:s,s:n,s:o}]}", "type", "message",
	    "attachments", "contentType",
	    "application/vnd.microsoft.card.adaptive", "contentUrl",
	    "content", card);
	goto out;
fail:
	json_decref(body);
out:
	free(title);
	free(more);
	free(foot);
	return o;
}
