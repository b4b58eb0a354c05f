/*
 * fuzz_macalert.c - libFuzzer harness for macalert's whole path from
 * records to messages (cmd/macalert but its main): the input is an
 * alert state on its first line and a view as NDJSON after it (read as
 * macalert reads stdin, bad lines skipped). For each channel's state:
 * the evaluation, the email (subject, both templates in both languages,
 * the MIME message), the events and the Slack, Teams and generic
 * payloads; and the state's version 2 and the offline machines' map.
 *
 * Properties checked on any input:
 *   - nothing is ever refused for a record's content: the evaluation,
 *     the context, the rendering and the message all succeed;
 *   - the message has CRLF lines of at most 78 characters, no bare CR or
 *     LF, and a subject that decodes to one line;
 *   - every payload is JSON that parses back to itself; Slack's has at
 *     most SLACK_BLOCKS_MAX blocks, all plain_text, a header of at most
 *     SLACK_HEADER_MAX bytes, sections of at most SLACK_TEXT_MAX, and no
 *     '<' or '>' in any text; Teams' puts every event in a TextRun;
 *   - the version 2 state is stable (converting it again changes
 *     nothing).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "chat.h"
#include "embed.h"
#include "evaluate.h"
#include "message.h"
#include "mime.h"
#include "rules.h"
#include "stream.h"
#include "template.h"

#define NOW 1795536600	/* 2026-11-24T16:10:00Z */

static void
must(int cond)
{
	if (!cond)
		abort();
}

static json_t *strings[2];

static void
check_mime(const struct ms_buf *m)
{
	const char *line = m->data, *nl, *end = m->data + m->len;

	while (line < end) {
		nl = strstr(line, "\r\n");
		must(nl != NULL && nl - line <= MIME_LINE_MAX);
		must(memchr(line, '\n', (size_t)(nl - line)) == NULL);
		must(memchr(line, '\r', (size_t)(nl - line)) == NULL);
		line = nl + 2;
	}
}

static void
email(const struct rules_conf *c, struct alert_report *r, int lang)
{
	static const char *const to[] = { "it@example.com" };
	struct ms_buf text = { 0 }, html = { 0 }, msg = { 0 };
	const char *th, *tt;
	struct mime_msg mm;
	size_t lh, lt;
	json_t *ctx;
	char *subj;

	th = embed_get("mail/alert.html", &lh);
	tt = embed_get("mail/alert.txt", &lt);
	must((subj = alert_subject(r, strings[lang], lang, NULL)) != NULL);
	must(strpbrk(subj, "\r\n") == NULL);
	must((ctx = alert_context(c, r, strings[lang], lang, subj, lang)) !=
	    NULL);
	must(template_render(&text, tt, lt, "t", ctx, strings[lang],
	    TMPL_TEXT, NULL) == 0);
	must(template_render(&html, th, lh, "h", ctx, strings[lang],
	    TMPL_HTML, NULL) == 0);
	must(ms_utf8_valid(text.data, text.len));
	must(ms_utf8_valid(html.data, html.len));
	memset(&mm, 0, sizeof(mm));
	mm.date = NOW;
	mm.from = "macscan@example.com";
	mm.to = (char *const *)to;
	mm.nto = 1;
	mm.subject = subj;
	mm.boundary = "=_b";
	mm.text = text.data;
	mm.text_len = text.len;
	mm.html = html.data;
	mm.html_len = html.len;
	must(mime_build(&msg, &mm, NULL) == 0);
	check_mime(&msg);
	ms_buf_free(&msg);
	ms_buf_free(&text);
	ms_buf_free(&html);
	json_decref(ctx);
	free(subj);
}

/* p serialises and parses back to itself. */
static void
round_trip(const json_t *p)
{
	char *s;
	json_t *q;

	must(p != NULL);
	must((s = json_dumps(p, JSON_COMPACT)) != NULL);
	must((q = json_loads(s, 0, NULL)) != NULL);
	must(json_equal(p, q));
	json_decref(q);
	free(s);
}

static void
slack_rules(const json_t *p)
{
	const json_t *blocks = json_object_get(p, "blocks"), *b, *t;
	const char *type, *s;
	size_t i;

	must(json_array_size(blocks) <= SLACK_BLOCKS_MAX);
	must(json_is_false(json_object_get(p, "mrkdwn")));
	json_array_foreach(blocks, i, b) {
		type = json_string_value(json_object_get(b, "type"));
		must(type != NULL);
		t = strcmp(type, "context") == 0 ? json_array_get(
		    json_object_get(b, "elements"), 0) : json_object_get(b,
		    "text");
		must(strcmp(json_string_value(json_object_get(t, "type")),
		    "plain_text") == 0);
		s = json_string_value(json_object_get(t, "text"));
		must(s != NULL && *s != '\0' && strpbrk(s, "<>") == NULL);
		must(strlen(s) <= (strcmp(type, "header") == 0 ?
		    SLACK_HEADER_MAX : SLACK_TEXT_MAX));
	}
}

static void
chat(const struct rules_conf *c, struct alert_report *r, int lang)
{
	struct chat_meta m = { NOW, "fuzz", lang, lang };
	json_t *ev, *p, *body, *b;
	size_t i;

	must((ev = chat_events(c, r, strings[lang], lang, r->forced)) !=
	    NULL);
	p = chat_generic(ev, &m);
	round_trip(p);
	json_decref(p);
	p = chat_slack(ev, strings[lang], &m);
	round_trip(p);
	slack_rules(p);
	json_decref(p);
	p = chat_teams(ev, strings[lang], &m);
	round_trip(p);
	body = json_object_get(json_object_get(json_array_get(
	    json_object_get(p, "attachments"), 0), "content"), "body");
	json_array_foreach(body, i, b)
		if (i > 0 && i <= json_array_size(ev) && i <= CHAT_LINES_MAX)
			must(strcmp(json_string_value(json_object_get(b,
			    "type")), "RichTextBlock") == 0);
	json_decref(p);
	json_decref(ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "email", "slack", "teams",
	    "webhook" };
	const char *x = (const char *)data, *nl;
	struct stream_item it;
	struct alert_report r;
	struct ms_err e;
	struct rules_conf c;
	struct stream s;
	json_t *view, *state, *v2, *v3, *seen;
	FILE *f;
	size_t i;
	int rc;

	if (strings[0] == NULL) {
		must((strings[0] = alert_strings(MS_LANG_FR, NULL)) != NULL);
		must((strings[1] = alert_strings(MS_LANG_EN, NULL)) != NULL);
	}
	nl = memchr(x, '\n', size);
	state = json_loadb(x, nl != NULL ? (size_t)(nl - x) : size, 0, NULL);
	must((view = json_array()) != NULL);
	if (nl != NULL && (f = fmemopen((void *)(nl + 1), size - (size_t)(nl +
	    1 - x), "r")) != NULL) {
		stream_init(&s, f, "fuzz", 0);
		while ((rc = stream_next(&s, &it, &e)) != STREAM_EOF &&
		    rc != STREAM_FAIL) {
			if (rc == STREAM_ITEM && !it.is_host)
				json_array_append_new(view, it.rec);
			else if (rc == STREAM_ITEM)
				json_decref(it.rec);
		}
		stream_close(&s);
		fclose(f);
	}
	rules_conf_init(&c, 15, 30, 30, 24);
	/* The first byte picks the optional rules and the flags. */
	if (size > 0 && (data[0] & 1)) {
		c.offline_days = 7;
		c.enabled |= RULE_BIT(RULE_OFFLINE) |
		    RULE_BIT(RULE_FIREWALL_OFF);
	}
	if (c.offline_days > 0) {
		must((seen = alert_seen_update(state, view, NOW, 37 * 86400))
		    != NULL);
		must(alert_view_add_seen(view, seen) == 0);
		json_decref(seen);
	}
	for (i = 0; i < 4; i++) {
		int flags = (i == 0 ? ALERT_SUMMARY : 0) | (size > 0 &&
		    (data[0] & 2) ? ALERT_FORCE : 0);

		must(alert_evaluate(&c, view, alert_state_channel(state,
		    names[i]), NOW, flags, &r, NULL) == 0);
		if (i == 0)
			email(&c, &r, size > 0 && (data[0] & 4) ?
			    MS_LANG_EN : MS_LANG_FR);
		else
			chat(&c, &r, i & 1 ? MS_LANG_EN : MS_LANG_FR);
		round_trip(r.state_sent);
		round_trip(r.state_kept);
		alert_report_free(&r);
	}
	must((v2 = alert_state_v2(state)) != NULL);
	must((v3 = alert_state_v2(v2)) != NULL);
	must(json_equal(v2, v3));
	json_decref(v3);
	json_decref(v2);
	json_decref(state);
	json_decref(view);
	return 0;
}
