# test_smtp_drop.sh - the SMTP server fails in the middle of DATA:
# closes the connection (FIN) once part of the message has come, resets it
# (RST), or refuses the message with 554 once it has it all
# (tests/failure/smtp_fail.py, STARTTLS on 127.0.0.1 with a test CA).
# macalert must exit 1 (a channel failed) with one line saying the
# message was not sent, mark nothing as sent, stay within bounded memory
# and not crash; then a good server gets the message on the next run,
# once.
#
# Then a slow server (it holds its answer to DATA until the test lets it
# go): while macalert waits on it, `macstore add` takes the store's lock
# and adds a scan (no mail is sent under the store's lock), and a second
# macalert waits for the first (DIR/alert.lock) instead of sending the
# same news; once the server answers, one message was delivered, the
# state says so, and the second run sent nothing.
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need jq openssl
smtp_setup
kb=$(mem_bound 30000)
st0=$(alert_state)
check_eq "no alert sent yet" none "$st0"

for mode in drop rst reject; do
	start_smtp "$mode" "$mode" --after 300
	run "$mode" env SMTP_URL="smtp://127.0.0.1:$smtp_port" macalert -d "$store"
	no_crash_run "$mode: macalert" "$mode"
	check_eq "$mode: exit 1 (the email channel failed)" 1 "$(rc_of "$mode")"
	case $mode in
	reject) why='the server rejected the message \(SMTP 554\)' ;;
	*) why='(closed the connection before the message was accepted|Failure when receiving data from the peer|Send failure|Connection reset|Recv failure|[Cc]onnection .*closed|Server returned nothing)' ;;
	esac
	one_line "$mode: one clear line" \
	    "^macalert: not sent: smtp://127\.0\.0\.1:$smtp_port: .*$why" \
	    "$T/$mode.err"
	rss_below "$mode: macalert" "$kb" "$mode"
	case $mode in
	reject) check_match "$mode: the server had the whole message" \
	    '^data-end [0-9]+$' "$(cat "$T/$mode/events")" ;;
	*) check_match "$mode: the server cut the session in DATA" \
	    '^dropped [0-9]+$' "$(cat "$T/$mode/events")" ;;
	esac
	check_eq "$mode: nothing delivered" 0 "$(mails "$mode")"
	check_eq "$mode: nothing marked as sent" "$st0" "$(alert_state)"
	stop_smtp
done

# The next run, with a good server, sends; the one after sends nothing.
start_smtp good good
run next env SMTP_URL="smtp://127.0.0.1:$smtp_port" macalert -d "$store"
no_crash_run "good server: macalert" next
check_eq "good server: exit 0" 0 "$(rc_of next)"
check_eq "good server: one message delivered" 1 "$(mails good)"
check_match "good server: the message is the alert" \
    '^Subject: \[macscan\] Disk critical: mac-alice' \
    "$(grep '^Subject:' "$T/good/1.eml")"
check "good server: now marked as sent" test "$(alert_state)" != none
run again env SMTP_URL="smtp://127.0.0.1:$smtp_port" macalert -d "$store"
check_eq "then: exit 0, nothing more sent" "0 1" \
    "$(rc_of again) $(mails good)"

# --- a slow server: macstore add goes on, a second macalert waits -------------
rm -f "$store/alerts.json"
st0=$(alert_state)
start_smtp held slow --slow 100 --release "$T/release"
env SMTP_URL="smtp://127.0.0.1:$smtp_port" macalert -d "$store" \
    > "$T/a.out" 2> "$T/a.err" &
apid=$!
if wait_for 60 grep -q '^data-end' "$T/held/events"; then
	pass "the held server has the whole message"
else
	fail "the held server never got the message: $(cat "$T/held/events" 2>/dev/null)"
fi
n0=$(macstore -d "$store" list | grep -c machines- || true)
# The next scan: the same two Macs (nothing new for macalert) and one more.
macstore -d "$store" latest | jq -c 'del(.first_seen, .last_seen, .online)' \
    > "$T/scan.ndjson"
printf '%s\n' '{"serial":"S3","ip":"192.0.2.3","computer_name":"mac-carl","probe":"ok","disk_free_bytes":90000000000}' \
    >> "$T/scan.ndjson"
run add macstore -q -d "$store" add < "$T/scan.ndjson"
check_eq "macstore add while macalert sends: exit 0" "0:" "$(rc_of add):$(err_of add)"
check "macalert was still waiting on the server then" kill -0 "$apid"
check_eq "the scan is stored" "$((n0 + 1))" \
    "$(macstore -d "$store" list | grep -c machines-)"
# A second run now waits for the first one's lock.
env SMTP_URL="smtp://127.0.0.1:$smtp_port" macalert -v -d "$store" \
    > "$T/b.out" 2> "$T/b.err" &
bpid=$!
if wait_for 60 grep -q 'another macalert is running: waiting' "$T/b.err"; then
	pass "the second macalert waits for the first"
else
	fail "the second macalert did not wait: $(cat "$T/b.err")"
fi
check_eq "it has not connected to the server" 1 \
    "$(grep -c '^connect' "$T/held/events")"
: > "$T/release"
set +e; wait "$apid"; arc=$?; wait "$bpid"; brc=$?; set -e
check_eq "first macalert: exit 0, quiet" "0:" "$arc:$(cat "$T/a.err")"
check_eq "second macalert: exit 0" 0 "$brc"
check_match "second macalert: nothing to send once the first was done" \
    'email: nothing to send' "$(cat "$T/b.err")"
check_eq "one message delivered" 1 "$(mails held)"
check_eq "the second run sent nothing" 1 "$(grep -c '^connect' "$T/held/events")"
check "the state says it was sent" test "$(alert_state)" != "$st0"
check_match "the email channel's state holds mac-alice" '"level":3' \
    "$(jq -c '.channels.email.machines.S1' "$store/alerts.json")"
no_tmp "no temporary file left in the store" "$store"
stop_smtp

finish
