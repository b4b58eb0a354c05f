# test_macalert.sh - macalert against a real store and a real SMTP server
# on 127.0.0.1 (aiosmtpd: STARTTLS and AUTH required, a certificate from a
# test CA made here with openssl): the message arrives once for every
# recipient with the right headers and both parts (parsed with Python's
# email module), a second run sends nothing, a server that is down or
# refuses the password fails clearly and leaves the state so that the next
# run sends, TLS is required and certificates verified, -n and --demo,
# the Date in a French locale, and the HTML part rendered in headless
# Chromium to $O/tests-output/macalert-email.png.
#
# Needs (tests/integration/DEPS): python3-aiosmtpd, openssl, chromium,
# jq, locales (localedef).
. "$(dirname "$0")/../setup.sh"

here=$(cd "$(dirname "$0")" && pwd)
out=$O/tests-output
mkdir -p "$out"
PY=/usr/bin/python3
unset SMTP_URL SMTP_USER SMTP_PASSWORD SMTP_PASSWORD_FILE SMTP_CA_FILE \
    SMTP_TLS GMAIL_USER GMAIL_APP_PASSWORD MAIL_FROM ALERT_RECIPIENTS \
    ALERT_DISK_CRITICAL_GB ALERT_DISK_WARN_GB ALERT_BATTERY_LOW_PERCENT \
    ALERT_REPEAT_HOURS MACSCAN_LANG MACSCAN_DIR 2>/dev/null || true

missing=""
"$PY" -c 'import aiosmtpd' 2>/dev/null || missing="$missing python3-aiosmtpd"
command -v openssl > /dev/null || missing="$missing openssl"
command -v jq > /dev/null || missing="$missing jq"
if [ -n "$missing" ]; then
	if [ "${CI:-}" = true ]; then
		echo "test_macalert.sh: missing:$missing (CI=true forbids skipping)" >&2
		exit 1
	fi
	echo "SKIP test_macalert.sh: missing:$missing (make deps-test)" >&2
	exit 77
fi

# A free port on 127.0.0.1.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- a test CA and the server's certificate ---------------------------
. "$here/pki.sh"
pki=$T/pki
test_pki "$pki" "macscan test CA"
check "test CA and server certificate" test -s "$pki/srv.pem"

# --- the SMTP server ----------------------------------------------------
secret="Sesame open 42 'quoted' \$HOME"
printf '%s\n' "$secret" > "$T/smtp_password"
chmod 600 "$T/smtp_password"
port=$(free_port)
mail=$T/mail
srv_pid=""
start_server() {
	rm -f "$mail/ready"
	"$PY" "$here/smtpd.py" --port "$port" --out "$mail" \
	    --cert "$pki/srv.pem" --key "$pki/srv.key" \
	    --user alert@example.com --password-file "$T/smtp_password" \
	    >> "$T/smtpd.log" 2>&1 &
	srv_pid=$!
	i=0
	while [ ! -f "$mail/ready" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -f "$mail/ready" ]
}
stop_server() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
		srv_pid=""
	fi
	return 0
}
at_exit stop_server
check "SMTP server starts (STARTTLS + AUTH)" start_server
count() { ls "$mail"/*.eml 2>/dev/null | wc -l | tr -d ' '; }

# --- the configuration ----------------------------------------------------
conf=$T/macscan.conf
cat > "$conf" <<EOF
# test_macalert.sh
SMTP_URL=smtp://127.0.0.1:$port
SMTP_USER=alert@example.com
SMTP_PASSWORD_FILE=$T/smtp_password
SMTP_CA_FILE=$pki/ca.pem
MAIL_FROM=macscan@example.com
ALERT_RECIPIENTS=it@example.com, boss@example.org
EOF
export MACSCAN_CONF="$conf"

# --- a store with history -------------------------------------------------
store=$T/store
now=$(date +%s)
at() { date -u -d "@$((now - $1))" +%Y-%m-%dT%H:%M:%SZ; }
# rec SERIAL NAME FREE_GB10 [extra JSON members]: one record (free space in
# tenths of GB).
rec() {
	printf '{"serial":"%s","ip":"192.0.2.%s","computer_name":"%s","probe":"ok","model_name":"MacBook Air","os_name":"macOS","os_version":"14.4.1","disk_total_bytes":250000000000,"disk_free_bytes":%s00000000%s}\n' \
	    "$1" "${1#S}" "$2" "$3" "${4:+,$4}"
}
evil='evil\r\nBcc: victim@evil.example\r\n<script>alert(1)</script>'
scan() {	# scan ALICE_GB10 BOB_GB10 WITH_DAVE
	rec S1 mac-alice "$1"
	rec S2 mac-bob "$2"
	rec S3 mac-carol 800 '"battery_present":true,"battery_percent":100,"ac_power":true,"battery_state":"charged","battery_health_percent":88'
	rec S4 "$evil" 200
	rec S5 "MacBook de Zoé" 250 '"battery_present":true,"battery_percent":15,"ac_power":false,"battery_state":"discharging"'
	[ "$3" = 1 ] && rec S6 mac-dave 60
	return 0
}
scan 90 400 1 | macstore -q -d "$store" -T "$(at 259200)" add
scan 70 400 1 | macstore -q -d "$store" -T "$(at 172800)" add
scan 42 400 0 | macstore -q -d "$store" -T "$(at 3600)" add
check_eq "store has three snapshots" 3 \
    "$(macstore -d "$store" list | grep -c machines-)"

# mailinfo FILE: what the message says, as JSON (Python's email module).
mailinfo() {
	"$PY" - "$1" "$T/email.html" <<'EOF'
import email, json, re, sys
from email import policy
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=policy.default)
parts = list(m.iter_parts())
text = m.get_body(("plain",)).get_content()
html = m.get_body(("html",)).get_content()
open(sys.argv[2], "w").write(html)
hdr = raw.split(b"\r\n\r\n", 1)[0]
print(json.dumps({
    "subject": str(m["subject"]),
    "raw_subject": re.search(rb"^Subject:.*?(?=\r\n\S)", raw, re.S | re.M).group(0).decode(),
    "from": str(m["from"]),
    "to": str(m["to"]),
    "date": m["date"].__str__(),
    "date_raw": re.search(rb"^Date: (.*)$", hdr, re.M).group(1).decode().strip(),
    "message_id": str(m["message-id"]),
    "mime_version": str(m["mime-version"]),
    "type": m.get_content_type(),
    "parts": ",".join(p.get_content_type() for p in parts),
    "charsets": ",".join(p.get_content_charset() for p in parts),
    "cte": ",".join(p["content-transfer-encoding"] for p in parts),
    "headers": ",".join(m.keys()),
    "max_line": max(len(l) for l in raw.split(b"\r\n")),
    "bare_lf": raw.count(b"\n") - raw.count(b"\r\n"),
    "defects": len(m.defects) + sum(len(p.defects) for p in parts),
    "text": text,
    "html_has_escaped_script": "&lt;script&gt;" in html,
    "html_has_script": "<script" in html.lower(),
    "html_has_remote": bool(re.search(r"(src|href)\s*=\s*[\"']?https?:", html, re.I)),
    "html_style_elements": html.lower().count("<style"),
    "html": html,
}))
EOF
}
j() { printf '%s' "$info" | jq -r "$1"; }

# --- first run: the email goes ------------------------------------------
set +e
macalert -d "$store" > "$T/run1.out" 2> "$T/run1.err"
rc=$?
set -e
check_eq "first run exits 0" 0 "$rc"
check_eq "one message on the server" 1 "$(count)"
env1=$(cat "$mail/1.json")
check_eq "envelope sender" macscan@example.com \
    "$(printf '%s' "$env1" | jq -r .mail_from)"
check_eq "each recipient once" "boss@example.org it@example.com" \
    "$(printf '%s' "$env1" | jq -r '.rcpt_tos[]' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "sent over TLS" true "$(printf '%s' "$env1" | jq -r .tls)"
check_eq "logged in as SMTP_USER" alert@example.com \
    "$(printf '%s' "$env1" | jq -r .login)"
info=$(mailinfo "$mail/1.eml")
check_eq "Subject (decoded)" \
    "[macscan] Disque critique : mac-alice (4,2 Go)" "$(j .subject)"
check_eq "From" "macscan <macscan@example.com>" "$(j .from)"
check_eq "To" "it@example.com, boss@example.org" "$(j .to)"
check_match "Date in RFC 5322 form" \
    '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$' \
    "$(j .date_raw)"
check_match "Message-ID" '^<[0-9]{8}T[0-9]{6}Z\.[0-9a-f]{24}@example\.com>$' \
    "$(j .message_id)"
check_eq "MIME-Version" 1.0 "$(j .mime_version)"
check_eq "multipart/alternative" multipart/alternative "$(j .type)"
check_eq "text first, HTML last" text/plain,text/html "$(j .parts)"
check_eq "both parts UTF-8" utf-8,utf-8 "$(j .charsets)"
check_eq "both parts quoted-printable" quoted-printable,quoted-printable \
    "$(j .cte)"
check_eq "headers" \
    "Date,From,To,Subject,Message-ID,MIME-Version,Content-Type,Auto-Submitted" \
    "$(j .headers)"
check "lines of at most 78 characters" test "$(j .max_line)" -le 78
check_eq "CRLF line ends only" 0 "$(j .bare_lf)"
check_eq "no MIME defect" 0 "$(j .defects)"
check_match "text: the critical disk and its forecast" \
    '!! mac-alice : 4,2 Go libres sur 250 Go \[nouveau\], plein dans ~[0-9]+ jours?' \
    "$(j .text)"
# The one display name (lib/fmt): CR and LF shown as U+FFFD, 64 bytes.
r=$(printf '\357\277\275')
check_match "text: the orange disk, name cleaned" \
    " ! evil$r${r}Bcc: victim@evil.example$r$r<script>alert\\(1\\)</scr… : 20 Go libres" \
    "$(j .text)"
check_match "text: battery at 100 % on AC" '- mac-carol : capacité 88' \
    "$(j .text)"
check_match "text: low battery" '- MacBook de Zoé : 15.%, sur batterie' \
    "$(j .text)"
check_match "text: critical machine offline" \
    '- mac-dave : 6,0 Go libres au dernier relevé' "$(j .text)"
check "text: mac-bob (40 GB) not listed" \
    sh -c "! printf '%s' \"\$1\" | grep -q mac-bob" sh "$(j .text)"
check_eq "HTML escapes the hostile name" true "$(j .html_has_escaped_script)"
check_eq "HTML holds no script element" false "$(j .html_has_script)"
check_eq "HTML loads nothing remote" false "$(j .html_has_remote)"
check_eq "HTML styles are inline only" 0 "$(j .html_style_elements)"
check "no injected Bcc header" sh -c "! grep -qi '^bcc:' '$mail/1.eml'"
check "no secret on stderr" sh -c "! grep -qF 'Sesame' '$T/run1.err'"
check_eq "the state is version 2" 2 "$(jq .version "$store/alerts.json")"
check_match "the email channel's state remembers mac-alice" '"level": *3' \
    "$(jq -c '.channels.email.machines.S1' "$store/alerts.json")"

# --- the HTML part in headless Chromium ------------------------------------
if command -v chromium > /dev/null; then
	png=$out/macalert-email.png
	rm -f "$png"
	cp "$T/email.html" "$out/macalert-email.html"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$T/chr" --screenshot="$png" \
	    --window-size=900,1200 "file://$T/email.html" \
	    > "$T/chromium.log" 2>&1 || true
	check "screenshot written" test -s "$png"
	dims=$("$PY" -c '
import struct, sys
d = open(sys.argv[1], "rb").read(24)
assert d[:8] == b"\x89PNG\r\n\x1a\n" and d[12:16] == b"IHDR"
print("%dx%d" % struct.unpack(">II", d[16:24]))' "$png" 2>/dev/null || echo bad)
	check_eq "screenshot is a 900x1200 PNG" 900x1200 "$dims"
	# A blank page compresses to almost nothing; the email does not.
	check "screenshot is not blank" test "$(wc -c < "$png")" -gt 20000
else
	fail "chromium not installed (tests/integration/DEPS)"
fi

# --- second run: nothing new, nothing sent ------------------------------------
cp "$store/alerts.json" "$T/state.1"
check_eq "second run exits 0" 0 "$(status macalert -d "$store")"
check_eq "second run sends nothing" 1 "$(count)"
check "second run leaves the state alone" cmp -s "$store/alerts.json" \
    "$T/state.1"
# A version 1 state (before chat channels) is the email channel's: read
# as it is, nothing sent again, the file left alone.
jq '{version: 1, last_sent: .channels.email.last_sent, machines: .channels.email.machines}' \
    "$T/state.1" > "$store/alerts.json"
cp "$store/alerts.json" "$T/state.v1"
check_eq "version 1 state: exits 0" 0 "$(status macalert -d "$store")"
check_eq "version 1 state: nothing sent again" 1 "$(count)"
check "version 1 state: left as it is" cmp -s "$store/alerts.json" "$T/state.v1"
cp "$T/state.1" "$store/alerts.json"
# Records on stdin (the pipeline of DESIGN.md), same answer.
check_eq "stdin: exits 0" 0 \
    "$(status sh -c 'macstore -d "$1" latest | macalert -d "$1" -' sh "$store")"
check_eq "stdin: sends nothing either" 1 "$(count)"

# --- -n: the whole message on stdout, nothing sent, no state change --------
macalert -n -f -d "$store" > "$T/dry.eml"
check_match "-n prints the message" '^Subject: \[macscan\] Disque critique' \
    "$(grep '^Subject:' "$T/dry.eml")"
check_eq "-n sends nothing" 1 "$(count)"
check "-n changes no state" cmp -s "$store/alerts.json" "$T/state.1"

# --- the server is down: clear error, non-zero, state kept -------------------
scan 9 400 0 | macstore -q -d "$store" -T "$(at 600)" add	# worse: 0.9 GB
stop_server
set +e
macalert -d "$store" 2> "$T/down.err"
rc=$?
set -e
check_eq "server down: exit 1 (a channel failed)" 1 "$rc"
check_match "server down: says so" \
    "^macalert: not sent: smtp://127\.0\.0\.1:$port: cannot connect" \
    "$(cat "$T/down.err")"
check "server down: state unchanged" cmp -s "$store/alerts.json" "$T/state.1"

# --- wrong password: clear error, non-zero, state kept -------------------
check "SMTP server restarts" start_server
set +e
SMTP_PASSWORD_FILE='' SMTP_PASSWORD=wrong macalert -d "$store" 2> "$T/auth.err"
rc=$?
set -e
check_eq "wrong password: exit 1" 1 "$rc"
check_match "wrong password: says so" "refused the login .*535" \
    "$(cat "$T/auth.err")"
check "wrong password: not echoed" sh -c "! grep -q wrong '$T/auth.err'"
check_eq "wrong password: nothing sent" 1 "$(count)"
check "wrong password: state unchanged" cmp -s "$store/alerts.json" \
    "$T/state.1"

# --- the next run sends what was missed, once ---------------------------
check_eq "next run exits 0" 0 "$(status macalert -d "$store")"
check_eq "next run sends" 2 "$(count)"
info=$(mailinfo "$mail/2.eml")
check_eq "worse: subject" "[macscan] Disque critique : mac-alice (900 Mo)" \
    "$(j .subject)"
check_match "worse: marked" 'mac-alice : 900 Mo libres .*\[aggravé\]' \
    "$(j .text)"
check_eq "then nothing" 0 "$(status macalert -d "$store")"
check_eq "then nothing sent" 2 "$(count)"
# -f sends anyway.
check_eq "-f sends anyway" 0 "$(status macalert -f -d "$store")"
check_eq "-f: one more" 3 "$(count)"

# --- recovery: within the margin nothing, then resolved once ---------------
scan 160 400 0 | macstore -q -d "$store" -T "$(at 300)" add
check_eq "16 GB (within margin): nothing" 0 "$(status macalert -d "$store")"
check_eq "16 GB: nothing sent" 3 "$(count)"
scan 250 400 0 | macstore -q -d "$store" -T "$(at 200)" add
MACSCAN_LANG=en macalert -d "$store"
check_eq "25 GB: resolved sent" 4 "$(count)"
info=$(mailinfo "$mail/4.eml")
check_eq "resolved: English subject" "[macscan] Resolved: mac-alice (25 GB free)" \
    "$(j .subject)"
check_match "resolved: English text" '- mac-alice: 25 GB free again' \
    "$(j .text)"
check_eq "resolved once" 0 "$(status macalert -d "$store")"
check_eq "resolved: nothing more" 4 "$(count)"

# --- a French subject is RFC 2047 encoded ------------------------------------
printf '%s\n' '{"serial":"Z1","computer_name":"Ordinateur de Zoé","disk_free_bytes":3000000000,"online":true}' \
    | macalert -n - > "$T/zoe.eml"
check_match "RFC 2047 subject" \
    '^Subject: =\?UTF-8\?Q\?=5Bmacscan=5D_Disque_critique_=3A_Ordinateur_de_Zo=C3=A9' \
    "$(grep '^Subject:' "$T/zoe.eml")"

# --- TLS is required and the certificate verified -----------------------
set +e
SMTP_CA_FILE='' macalert -f -d "$store" 2> "$T/ca.err"
rc=$?
set -e
check_eq "unknown CA: exit 1" 1 "$rc"
check_match "unknown CA: says so" "certificate is not trusted" \
    "$(cat "$T/ca.err")"
plain_port=$(free_port)
"$PY" "$here/smtpd.py" --port "$plain_port" --out "$T/plain" --plain \
    >> "$T/smtpd.log" 2>&1 &
plain_pid=$!
stop_plain() { kill "$plain_pid" 2>/dev/null; wait "$plain_pid" 2>/dev/null; return 0; }
at_exit stop_plain
i=0
while [ ! -f "$T/plain/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
set +e
SMTP_URL=smtp://127.0.0.1:$plain_port macalert -f -d "$store" 2> "$T/plain.err"
rc=$?
set -e
check_eq "no STARTTLS: exit 1" 1 "$rc"
check_match "no STARTTLS: says so" "does not offer STARTTLS" \
    "$(cat "$T/plain.err")"
check_eq "no STARTTLS: nothing sent" 0 \
    "$(ls "$T/plain"/*.eml 2>/dev/null | wc -l | tr -d ' ')"

# --- --demo: the built-in machines, sent --------------------------------------
cp "$store/alerts.json" "$T/state.2"
check_eq "--demo sends" 0 "$(status macalert --demo)"
check_eq "--demo: arrived" 5 "$(count)"
info=$(mailinfo "$mail/5.eml")
check_eq "--demo: subject" \
    "[macscan démo] Disque critique : mac-alice (4,2 Go), mac-bob (12 Go)" \
    "$(j .subject)"
check_match "--demo: every section" 'CLÉ D.HÔTE SSH CHANGÉE.*HORS LIGNE.*BATTERIES FAIBLES.*SECTEUR.*DISQUE EN PANNE.*DEUX MACHINES, UN NUMÉRO.*FILEVAULT DÉSACTIVÉ.*JAMAIS SAUVEGARDÉ.*PAS DE SAUVEGARDE RÉCENTE.*MISES À JOUR EN ATTENTE.*BATTERIES À FAIRE RÉVISER.*NOUVEAUX HÔTES.*RÉSOLU' \
    "$(j .text | tr '\n' ' ')"
check_match "--demo: a posture line in French" '- mac-bob : le disque n.est pas chiffré' "$(j .text)"
check_match "--demo: a rule resolved" '- mac-eve : FileVault désactivé, c.est réglé' "$(j .text)"
check "--demo touches no state" cmp -s "$store/alerts.json" "$T/state.2"

# --- the Date in a French locale --------------------------------------------
loc=""
if locale -a 2>/dev/null | grep -qi '^fr_FR\.utf-\?8$'; then
	loc=fr_FR.UTF-8
else
	mkdir -p "$T/locale"
	if localedef -i fr_FR -f UTF-8 "$T/locale/fr_FR.UTF-8" \
	    > /dev/null 2>&1; then
		loc=fr_FR.UTF-8
		export LOCPATH="$T/locale"
	fi
fi
if [ -n "$loc" ]; then
	check_match "the locale is French" '^(lun|mar|mer|jeu|ven|sam|dim)' \
	    "$(LC_ALL=$loc date -d @1700000000 +%a)"
	# glibc keeps LOCPATH in a buffer it never frees: no leak check
	# there (sanitizer builds).
	d=$(LC_ALL=$loc TZ=Europe/Paris \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    macalert -n --demo | grep '^Date:')
	check_match "Date in English names under LC_ALL=fr_FR" \
	    '^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9:]{8} \+0[12]00$' \
	    "$d"
	unset LOCPATH
else
	fail "no French locale and no localedef (package locales)"
fi

# --- usage and configuration errors ------------------------------------------
check_eq "bad option: exit 2" 2 "$(status macalert -x 2>/dev/null)"
check_eq "two operands: exit 2" 2 "$(status macalert a b 2>/dev/null)"
check_eq "no recipients: exit 2" 2 \
    "$(ALERT_RECIPIENTS='' status macalert -d "$store" 2>/dev/null)"
check_eq "bad recipient: exit 2" 2 \
    "$(ALERT_RECIPIENTS='it@example.com, x y' status macalert -d "$store" 2>/dev/null)"
check_eq "bad language: exit 2" 2 \
    "$(MACSCAN_LANG=de status macalert -d "$store" 2>/dev/null)"
printf '{{#disks}}oops\n' > "$T/bad.html"
check_match "bad template: named with its line" \
    "bad.html:1: unclosed section 'disks'" \
    "$(macalert -T "$T/bad.html" -n -d "$store" 2>&1 || true)"
printf '<p>{{#disks}}{{name}}={{free}};{{/disks}}</p>\n' > "$T/mine.html"
check_match "-T replaces the HTML template" 'mac-alice=25 Go' \
    "$(macalert -T "$T/mine.html" -n -f -d "$store" | "$PY" -c '
import email, sys
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
print(m.get_body(("html",)).get_content())')"
check_eq "missing store: exit 3 (store failure)" 3 \
    "$(status macalert -d "$T/nope/nope" 2>/dev/null)"
printf 'not json\n{"serial":"Q","disk_free_bytes":1000000}\n' > "$T/bad.ndjson"
check_eq "bad input line: exit 1 (the rest handled)" 1 \
    "$(status sh -c 'macalert -n - < "$1" > "$1.eml" 2> "$1.err"' sh \
    "$T/bad.ndjson")"
check_match "bad input line: named" '^macalert: <stdin>:1: ' \
    "$(cat "$T/bad.ndjson.err")"
check_match "bad input line: the rest is sent" '^Subject: .*Q \(1 Mo\)' \
    "$(grep '^Subject:' "$T/bad.ndjson.eml")"

# --- a field that cannot be cut as it is never stops the email --------------
# 120 '1's then "éééé" in os_version: cutting "macOS <version>" at 128
# bytes used to split a character, and every run died "out of memory"
# (exit 4) while the critical Mac was never reported.
os=$(printf '1%.0s' $(seq 120))éééé
printf '{"serial":"X1","computer_name":"mac-long","model_name":"MacBook Air","os_name":"macOS","os_version":"%s","disk_free_bytes":20000000000,"online":true}\n{"serial":"X2","computer_name":"mac-crit","disk_free_bytes":2000000000,"online":true}\n' \
    "$os" > "$T/long.ndjson"
check_eq "a long UTF-8 os_version: exit 0" 0 \
    "$(status sh -c 'macalert -n - < "$1" > "$1.eml" 2> "$1.err"' sh "$T/long.ndjson")"
check_eq "a long UTF-8 os_version: nothing on stderr" "" "$(cat "$T/long.ndjson.err")"
sed 's/$/\r/' "$T/long.ndjson.eml" > "$T/long.eml"	# -n prints LF ends
info=$(mailinfo "$T/long.eml")
check_eq "the critical Mac is reported" "[macscan] Disque critique : mac-crit (2,0 Go)" \
    "$(j .subject)"
check_match "the long one too, its os cut after a whole character" \
    'MacBook Air &middot; macOS 1{120}é</div>' "$(j .html)"

finish
