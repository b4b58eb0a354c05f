# test_macalert_chat.sh - macalert's Slack, Teams and webhook channels
# against a real HTTPS receiver on 127.0.0.1 (webhookd.py, a certificate
# from a test CA made here with openssl) that records every request and
# fails on demand: each post checked against its format (Block Kit's
# rules, the Adaptive Card 1.4 JSON schema, macscan's payload) and its
# expected content (macalert_chat/), hostile names inert everywhere, a
# receiver that fails (404 no_service, 500, 400 invalid_payload, a
# timeout, a reset) gets the alert on the next run while the others do not
# get it twice, resolutions sent exactly once, no secret URL in a message
# or the process list, http:// only to loopback, the certificate checked.
#
# Needs (tests/integration/DEPS): python3, python3-jsonschema, openssl,
# jq.
. "$(dirname "$0")/../setup.sh"

here=$(cd "$(dirname "$0")" && pwd)
exp=$here/macalert_chat
schema=$top/tests/fixtures/schemas/adaptive-card-1.4.json
PY=/usr/bin/python3
unset SMTP_URL SMTP_USER SMTP_PASSWORD SMTP_PASSWORD_FILE SMTP_CA_FILE \
    SMTP_TLS GMAIL_USER GMAIL_APP_PASSWORD MAIL_FROM ALERT_RECIPIENTS \
    SLACK_WEBHOOK_URL SLACK_WEBHOOK_URL_FILE TEAMS_WEBHOOK_URL \
    TEAMS_WEBHOOK_URL_FILE WEBHOOK_URL WEBHOOK_URL_FILE WEBHOOK_CA_FILE \
    WEBHOOK_TIMEOUT MACSCAN_LANG MACSCAN_DIR 2>/dev/null || true
for v in $(env | sed -n 's/^\(ALERT_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

missing=""
"$PY" -c 'import jsonschema' 2>/dev/null || missing="$missing python3-jsonschema"
command -v openssl > /dev/null || missing="$missing openssl"
command -v jq > /dev/null || missing="$missing jq"
if [ -n "$missing" ]; then
	if [ "${CI:-}" = true ]; then
		echo "test_macalert_chat.sh: missing:$missing (CI=true forbids skipping)" >&2
		exit 1
	fi
	echo "SKIP test_macalert_chat.sh: missing:$missing (make deps-test)" >&2
	exit 77
fi

# --- a test CA and the receiver's certificate ---------------------------
. "$here/pki.sh"
pki=$T/pki
test_pki "$pki" "macscan chat test CA"
check "test CA and receiver certificate" test -s "$pki/srv.pem"

# --- the receivers ------------------------------------------------------------
rx=$T/rx
pids=""
stop_all() { for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; return 0; }
at_exit stop_all
start_rx() {	# start_rx DIR [ARGS...]: webhookd.py, its port in $port
	_d=$1; shift
	"$PY" "$here/webhookd.py" --out "$_d" "$@" >> "$T/webhookd.log" 2>&1 &
	pids="$pids $!"
	i=0
	while [ ! -f "$_d/ready" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	port=$(cat "$_d/ready" 2>/dev/null)
	[ -n "$port" ]
}
check "the HTTPS receiver starts" start_rx "$rx" --cert "$pki/srv.pem" \
    --key "$pki/srv.key"
n() { cat "$rx/$1.count" 2>/dev/null || echo 0; }	# requests of a receiver
req() { echo "$rx/$1/$(n "$1").json"; }			# its last request
mode() { echo "$2" > "$rx/$1.mode"; }
mode slack ok; mode teams ok; mode hook ok

# --- the configuration: no email, three channels, one URL in a file ---------
printf 'https://127.0.0.1:%s/slack/T0/B0/SECRETslack\n' "$port" > "$T/slack_url"
chmod 600 "$T/slack_url"
conf=$T/macscan.conf
cat > "$conf" <<EOF
SLACK_WEBHOOK_URL_FILE=$T/slack_url
TEAMS_WEBHOOK_URL=https://localhost:$port/teams/workflows/SECRETteams
WEBHOOK_URL=https://127.0.0.1:$port/hook/SECREThook?sig=SECRETsig
WEBHOOK_CA_FILE=$pki/ca.pem
WEBHOOK_TIMEOUT=10
MACSCAN_LANG=en
EOF
chmod 600 "$conf"
export MACSCAN_CONF="$conf"

# --- the store ------------------------------------------------------------------
store=$T/store
evil='<!channel> *b* [x](http://e.vil) @here \u202egnp.exe\n\"q\"'
rec() {	# rec SERIAL NAME FREE_GB [JSON members]
	printf '{"serial":"%s","ip":"192.0.2.%s","computer_name":"%s","probe":"ok","disk_total_bytes":250000000000,"disk_free_bytes":%s00000000%s}\n' \
	    "$1" "${1#S}" "$2" "$3" "${4:+,$4}"
}
scan() {	# scan ALICE_GB10 BOB_GB10 CARL_FILEVAULT
	rec S1 mac-alice "$1" '"filevault":"on"'
	rec S2 "$evil" 800 '"disk_smart":"failing","filevault":"on"'
	rec S3 mac-carl 800 "\"filevault\":\"$3\",\"backup\":\"never\""
	rec S4 mac-bob "$2" '"filevault":"on"'
}
add() { scan "$@" | macstore -q -d "$store" add; }
run() {	# run NAME: macalert -d store, status in $T/NAME.rc
	set +e
	macalert -d "$store" > "$T/$1.out" 2> "$T/$1.err"
	echo $? > "$T/$1.rc"
	set -e
}
rc() { cat "$T/$1.rc"; }
counts() { echo "$(n slack) $(n teams) $(n hook)"; }
add 42 400 on

# --- the checker itself fails on what it must refuse ---------------------------
mkdir -p "$T/bad"
printf '%s\n' '{"path":"/slack/x","headers":{"content-type":"application/json","user-agent":"macscan/1"},"body":"","json":{"text":"<!channel>","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*<!here>*"}},{"type":"image"}]}}' \
    > "$T/bad/slack.json"
printf '%s\n' '{"path":"/teams/x","headers":{"content-type":"application/json","user-agent":"macscan/1"},"body":"","json":{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4","body":[{"type":"TextBlock","text":"[x](http://e.vil)","weight":"Heavy"}]}}]}}' \
    > "$T/bad/teams.json"
check_eq "the checker refuses a bad Slack post" 5 \
    "$("$PY" "$here/chatcheck.py" slack "$T/bad/slack.json" | wc -l | tr -d ' ')"
check_match "the checker refuses a bad card (schema, Markdown)" \
    "schema: .*Markdown or a name in a TextBlock" \
    "$("$PY" "$here/chatcheck.py" teams "$T/bad/teams.json" "$schema" | tr '\n' ' ')"

# --- first run: every channel gets the three alerts ---------------------------
run r1
check_eq "first run: exit 0, quiet" "0:" "$(rc r1):$(cat "$T/r1.err")"
check_eq "each receiver got one post" "1 1 1" "$(counts)"
check_eq "slack: Block Kit's rules, names inert" ok \
    "$("$PY" "$here/chatcheck.py" slack "$(req slack)")"
check_eq "teams: a valid Adaptive Card 1.4, names in TextRuns" ok \
    "$("$PY" "$here/chatcheck.py" teams "$(req teams)" "$schema")"
check_eq "webhook: macscan's payload, version 1" ok \
    "$("$PY" "$here/chatcheck.py" hook "$(req hook)")"
check_eq "webhook: the expected events" "$(cat "$exp/first.events")" \
    "$("$PY" "$here/chatcheck.py" events "$(req hook)")"
check_eq "slack: the expected lines" "$(cat "$exp/first.slack")" \
    "$("$PY" "$here/chatcheck.py" lines "$(req slack)" | sed '$d')"
check_eq "teams: the same lines" \
    "$(sed 's/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g' "$exp/first.slack")" \
    "$("$PY" "$here/chatcheck.py" lines "$(req teams)" | sed '$d')"
check_eq "slack: the notification text is plain" \
    'false|macscan: 3 alerts — mac-alice: disk critical (4.2 GB free) [new]' \
    "$(jq -r '.json | "\(.mrkdwn)|\(.text)"' "$(req slack)")"
check_eq "webhook: the hostile name as JSON text, cleaned" \
    '<!channel> *b* [x](http://e.vil) @here �gnp.exe�"q"' \
    "$(jq -r '.json.events[] | select(.id == "S2") | .name' "$(req hook)")"
check_eq "webhook: the values that fired" '4200000000 "failing" "never"' \
    "$(jq -c '.json.events[].value' "$(req hook)" | tr '\n' ' ' | sed 's/ $//')"
check_eq "webhook: the secret query stays with the URL" \
    "/hook/SECREThook?sig=SECRETsig" "$(jq -r .path "$(req hook)")"
check_eq "the state: one entry per channel" "slack teams webhook" \
    "$(jq -r '.channels | keys | join(" ")' "$store/alerts.json")"

# --- nothing new: nothing sent ------------------------------------------------------
run r2
check_eq "nothing new: exit 0, nothing posted" "0 1 1 1" "$(rc r2) $(counts)"

# --- mac-bob critical; Slack says no_service, Teams 500 ----------------------------
add 42 120 on
mode slack no_service; mode teams 500
cp "$store/alerts.json" "$T/state.a"
run ra
check_eq "two channels fail: exit 1" 1 "$(rc ra)"
check_eq "stderr says which and why" \
    "macalert: not sent: slack (127.0.0.1): HTTP 404: no_service
macalert: not sent: teams (localhost): HTTP 500: internal_error" \
    "$(cat "$T/ra.err")"
check_eq "all three were tried" "2 2 2" "$(counts)"
check_eq "the webhook got mac-bob" "$(cat "$exp/bob.events")" \
    "$("$PY" "$here/chatcheck.py" events "$(req hook)")"
check_eq "the failed channels' state is as it was" \
    "$(jq -c '.channels.slack, .channels.teams' "$T/state.a")" \
    "$(jq -c '.channels.slack, .channels.teams' "$store/alerts.json")"
mode slack ok; mode teams ok
run rb
check_eq "next run: exit 0" "0:" "$(rc rb):$(cat "$T/rb.err")"
check_eq "Slack and Teams get it now, the webhook not twice" "3 3 2" \
    "$(counts)"
check_match "slack: mac-bob, new" "mac-bob: disk critical \(12 GB free\) \[new\]" \
    "$("$PY" "$here/chatcheck.py" lines "$(req slack)")"
check_eq "slack: and only that" 3 \
    "$("$PY" "$here/chatcheck.py" lines "$(req slack)" | wc -l | tr -d ' ')"
check_match "teams: mac-bob, new" "mac-bob: disk critical \(12 GB free\) \[new\]" \
    "$("$PY" "$here/chatcheck.py" lines "$(req teams)")"

# --- FileVault off on mac-carl; invalid_payload, a timeout, a reset ---------------
add 42 120 off
mode slack invalid_payload; mode teams timeout; mode hook reset
set +e
macalert -d "$store" > "$T/rc.out" 2> "$T/rc.err" &
apid=$!
set -e
i=0
while [ "$(n teams)" -lt 4 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
check_eq "the held Teams post arrived" 4 "$(n teams)"
# While macalert waits on Teams: no URL in the process list.
check "no webhook secret in the process list" \
    sh -c "! ps -eo args | grep -v grep | grep -q SECRET"
set +e; wait "$apid"; echo $? > "$T/rc.rc"; set -e
check_eq "three channels fail: exit 1" 1 "$(rc rc)"
check_eq "slack: Slack's error text" \
    "macalert: not sent: slack (127.0.0.1): HTTP 400: invalid_payload" \
    "$(sed -n 1p "$T/rc.err")"
check_match "teams: timed out" "^macalert: not sent: teams \(localhost\): timed out" \
    "$(sed -n 2p "$T/rc.err")"
check_match "webhook: reset" \
    "^macalert: not sent: webhook \(127\.0\.0\.1\): the connection was closed or reset" \
    "$(sed -n 3p "$T/rc.err")"
check_eq "three lines, no more" 3 "$(wc -l < "$T/rc.err" | tr -d ' ')"
mode slack ok; mode teams ok; mode hook ok
run rd
check_eq "next run: exit 0, all three told" "0 5 5 4" "$(rc rd) $(counts)"
for c in slack teams; do
	check_match "$c: mac-carl's FileVault, once" \
	    "mac-carl: FileVault off \(the disk is not encrypted\) \[new\]" \
	    "$("$PY" "$here/chatcheck.py" lines "$(req $c)")"
done
check_eq "webhook: mac-carl's FileVault" "$(cat "$exp/carl.events")" \
    "$("$PY" "$here/chatcheck.py" events "$(req hook)")"
run re
check_eq "then nothing" "0 5 5 4" "$(rc re) $(counts)"

# --- resolved: once to each channel, the webhook retried ------------------------
add 250 120 on
mode hook 500
run rf
check_eq "the webhook fails: exit 1" 1 "$(rc rf)"
check_eq "Slack and Teams told" "6 6 5" "$(counts)"
check_eq "slack: both resolutions" \
    "✅ mac-alice: disk critical (25 GB free) [fixed]
✅ mac-carl: FileVault off [fixed]" \
    "$("$PY" "$here/chatcheck.py" lines "$(req slack)" | sed '1d;$d')"
mode hook ok
run rg
check_eq "the webhook gets them next; no one twice" "0 6 6 6" "$(rc rg) $(counts)"
check_eq "webhook: the resolutions" "$(cat "$exp/resolved.events")" \
    "$("$PY" "$here/chatcheck.py" events "$(req hook)")"
run rh
check_eq "then nothing more" "0 6 6 6" "$(rc rh) $(counts)"
check_eq "every post held to its format" "ok" "$( {
	for f in "$rx"/slack/*.json; do "$PY" "$here/chatcheck.py" slack "$f"; done
	for f in "$rx"/teams/*.json; do "$PY" "$here/chatcheck.py" teams "$f" "$schema"; done
	for f in "$rx"/hook/*.json; do "$PY" "$here/chatcheck.py" hook "$f"; done
	} | sort -u)"
check "no secret on any stderr" sh -c "! grep -l SECRET '$T'/*.err"
check "no secret in the state" sh -c "! grep -q SECRET '$store/alerts.json'"

# --- -v says where it posts without the URL's secret part -----------------------
check_eq "-n -C teams prints the card, posts nothing" \
    "AdaptiveCard 6" \
    "$(macalert -n -f -C teams -d "$store" | jq -r '.attachments[0].content.type') $(n teams)"
set +e
MACSCAN_LANG=fr macalert -v --demo -C slack 2> "$T/v.err" > /dev/null
vrc=$?
set -e
check_eq "--demo -C slack: exit 0, one more post" "0 7" "$vrc $(n slack)"
check_match "-v names the channel and the host" \
    "slack: sent [0-9]+ events to 127\.0\.0\.1" "$(cat "$T/v.err")"
check "-v shows no secret" sh -c "! grep -q SECRET '$T/v.err'"
check_match "the demo in French" "macscan \(démo\) : [0-9]+ alertes" \
    "$("$PY" "$here/chatcheck.py" lines "$(req slack)" | head -n 1)"

# --- certificates, schemes, loopback ---------------------------------------------
set +e
WEBHOOK_CA_FILE='' macalert --demo -C slack 2> "$T/ca.err"
carc=$?
set -e
check_eq "an unknown CA: not sent, exit 1" 1 "$carc"
check_match "an unknown CA: says so" \
    "^macalert: not sent: slack \(127\.0\.0\.1\): the server's certificate is not trusted" \
    "$(cat "$T/ca.err")"
check_eq "an unknown CA: nothing arrived" 7 "$(n slack)"
set +e
SLACK_WEBHOOK_URL_FILE='' SLACK_WEBHOOK_URL=http://192.0.2.1/services/SECRETx \
    macalert --demo -C slack 2> "$T/http.err"
hrc=$?
set -e
check_eq "http:// to another machine: a configuration error, exit 2" 2 "$hrc"
check_match "http:// to another machine: says why" \
    "SLACK_WEBHOOK_URL: plain http:// only to this machine" "$(cat "$T/http.err")"
check "http:// to another machine: the URL is not shown" \
    sh -c "! grep -q SECRETx '$T/http.err'"
check "a plain receiver on loopback" start_rx "$T/plain" --plain
set +e
WEBHOOK_URL="http://127.0.0.1:$port/hook/x" macalert --demo -C webhook \
    2> "$T/plain.err"
prc=$?
set -e
check_eq "http:// to 127.0.0.1: sent, exit 0" 0 "$prc"
check_eq "http:// to 127.0.0.1: the demo payload" "true" \
    "$(jq -r .json.demo "$T/plain/hook/1.json")"
check_eq "a bad URL in the file: exit 2" 2 \
    "$(printf 'not a url\n' > "$T/bad_url"; SLACK_WEBHOOK_URL_FILE=$T/bad_url status macalert --demo -C slack 2>/dev/null)"
check_eq "-C with a channel not set up: exit 2" 2 \
    "$(TEAMS_WEBHOOK_URL='' status macalert --demo -C teams 2>/dev/null)"
check_eq "no channel at all: exit 2" 2 \
    "$(MACSCAN_CONF=/nonexistent status macalert -d "$store" 2>/dev/null)"

finish
