#!/usr/bin/python3
"""chatcheck.py - check what macalert posted (a request recorded by
webhookd.py) against each format's rules, for test_macalert_chat.sh.

    chatcheck.py slack REQUEST.json
    chatcheck.py teams REQUEST.json SCHEMA.json
    chatcheck.py hook REQUEST.json
    chatcheck.py events REQUEST.json     one line per event: id rule kind
                                         status, from the generic payload
    chatcheck.py lines REQUEST.json      the text lines of a Slack or
                                         Teams post, one a line

Each check prints "ok", or one line per problem. The rules:

  all      a JSON body sent as application/json by macscan/VERSION; no
           control character (but none at all) nor bidirectional mark in
           any string: a name from a Mac cannot break a line or turn text
           around
  slack    Block Kit as Slack documents it (api.slack.com/reference/
           block-kit): at most 50 blocks, of the types macalert uses
           (header, section, context); text objects plain_text (no
           mrkdwn: a name can never be formatting or a mention); a header
           of at most 150 characters, a section of at most 3000, a
           context of at most 10 elements; top-level "text" present with
           "mrkdwn": false; no raw < or > anywhere (Slack's escaping:
           &lt; &gt; &amp;, so "<!channel>" is text)
  teams    {"type": "message", "attachments": [one Adaptive Card]}, the
           card valid against the Adaptive Card 1.4 JSON schema
           (tests/fixtures/schemas), every line from a Mac in a TextRun
           (never read as Markdown), TextBlocks only for macscan's words
  hook     macscan's payload, version 1 (macalert(1)): type, version,
           sent_at, scanner, lang, demo, events with id, name, rule,
           severity, status, kind, value, message
"""
import json
import re
import sys

BAD = re.compile("[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f"
                 "\u202a-\u202e\u2066-\u2069\u2028\u2029]")
RULES = {"disk_critical", "disk_warning", "battery_low",
         "battery_full_plugged", "battery_condition", "filevault_off",
         "firewall_off", "backup_old", "backup_never", "smart_failing",
         "updates_restart", "identity_conflict", "offline",
         "hostkey_mismatch", "new_host"}


def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)


def common(req, problems):
    h = req["headers"]
    if not h.get("content-type", "").startswith("application/json"):
        problems.append("content-type is %r" % h.get("content-type"))
    if not h.get("user-agent", "").startswith("macscan/"):
        problems.append("user-agent is %r" % h.get("user-agent"))
    if "json" not in req:
        problems.append("the body is not JSON")
        return None
    for s in strings(req["json"]):
        if BAD.search(s):
            problems.append("a control or bidi character in %r" % s)
    return req["json"]


def slack(p, problems):
    if not isinstance(p.get("text"), str) or not p["text"]:
        problems.append("no top-level text")
    if p.get("mrkdwn") is not False:
        problems.append('"mrkdwn" is not false')
    blocks = p.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
        problems.append("blocks: not 1 to 50")
        return
    for s in strings(p):
        if "<" in s or ">" in s:
            problems.append("raw < or > in %r" % s)
    for i, b in enumerate(blocks):
        t = b.get("type")
        if t == "header":
            objs, limit = [b.get("text")], 150
        elif t == "section":
            objs, limit = [b.get("text")], 3000
        elif t == "context":
            objs, limit = b.get("elements"), 3000
            if not isinstance(objs, list) or not 1 <= len(objs) <= 10:
                problems.append("block %d: context of %r elements" %
                                (i, objs))
                continue
        else:
            problems.append("block %d: type %r" % (i, t))
            continue
        for o in objs:
            if not isinstance(o, dict) or o.get("type") != "plain_text":
                problems.append("block %d: not plain_text: %r" % (i, o))
            elif not isinstance(o.get("text"), str) or \
                    not 1 <= len(o["text"]) <= limit:
                problems.append("block %d: text of %d characters" %
                                (i, len(o.get("text") or "")))


def teams(p, schema, problems):
    import jsonschema
    if p.get("type") != "message" or len(p.get("attachments", [])) != 1:
        problems.append("not a message with one attachment")
        return
    a = p["attachments"][0]
    if a.get("contentType") != "application/vnd.microsoft.card.adaptive":
        problems.append("contentType %r" % a.get("contentType"))
    card = a.get("content")
    v = jsonschema.Draft6Validator(schema)
    for e in v.iter_errors(card):
        problems.append("schema: %s at %s" % (e.message[:200],
                                               list(e.absolute_path)))
    for b in card.get("body", []):
        if b.get("type") == "RichTextBlock":
            if any(i.get("type") != "TextRun" for i in b.get("inlines", [])):
                problems.append("an inline that is not a TextRun")
        elif b.get("type") == "TextBlock":
            if re.search(r"[<>\[\]*_`@]", b.get("text", "")):
                problems.append("Markdown or a name in a TextBlock: %r" %
                                b.get("text"))
        else:
            problems.append("body element %r" % b.get("type"))


def hook(p, problems):
    want = {"type": str, "version": int, "sent_at": str, "scanner": str,
            "lang": str, "demo": bool, "events": list}
    for k, t in want.items():
        if not isinstance(p.get(k), t):
            problems.append("%s: not a %s" % (k, t.__name__))
    if p.get("type") != "macscan.alerts" or p.get("version") != 1:
        problems.append("type/version: %r/%r" % (p.get("type"),
                                                 p.get("version")))
    if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
                    p.get("sent_at", "")):
        problems.append("sent_at %r" % p.get("sent_at"))
    for e in p.get("events", []):
        for k in ("id", "name", "rule", "severity", "status", "kind",
                  "message"):
            if not isinstance(e.get(k), str) or not e[k]:
                problems.append("event without %s: %r" % (k, e))
        if "value" not in e:
            problems.append("event without value: %r" % e)
        if e.get("rule") not in RULES:
            problems.append("rule %r" % e.get("rule"))
        if e.get("severity") not in ("info", "warning", "critical"):
            problems.append("severity %r" % e.get("severity"))
        if e.get("status") not in ("firing", "resolved") or \
                e.get("kind") not in ("new", "worse", "repeat",
                                      "resolved", "offline") or \
                (e.get("status") == "resolved") != \
                (e.get("kind") == "resolved"):
            problems.append("status/kind %r/%r" % (e.get("status"),
                                                   e.get("kind")))


def lines(p):
    if "blocks" in p:
        for b in p["blocks"]:
            o = b.get("text") or b.get("elements", [{}])[0]
            yield o.get("text", "")
    else:
        for b in p["attachments"][0]["content"]["body"]:
            if b["type"] == "TextBlock":
                yield b["text"]
            else:
                yield "".join(i["text"] for i in b["inlines"])


def main():
    what, path = sys.argv[1], sys.argv[2]
    req = json.load(open(path))
    problems = []
    p = common(req, problems)
    if what == "events":
        for e in p["events"]:
            print(e["id"], e["rule"], e["kind"], e["status"])
        return
    if what == "lines":
        for line in lines(p):
            print(line)
        return
    if p is not None:
        if what == "slack":
            slack(p, problems)
        elif what == "teams":
            teams(p, json.load(open(sys.argv[3])), problems)
        elif what == "hook":
            hook(p, problems)
    print("\n".join(problems) if problems else "ok")


if __name__ == "__main__":
    main()
