# test_kill_macalert.sh - SIGKILL of macalert while it sends: a slow SMTP
# server (tests/failure/smtp_fail.py: STARTTLS, then it holds the 250
# after the message for 30 s) has the whole message when macalert is
# killed. The alert must not be marked as sent, the store lock must be
# free, and the next run with a good server sends it, once. Then kills at
# random instants against a good server: whenever the state says sent,
# the server did get the message.
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need jq openssl
smtp_setup
kb=$(mem_bound 30000)
check_eq "no alert sent yet" none "$(alert_state)"

# --- killed while the server holds its answer to DATA -------------------
start_smtp slow slow --slow 30
env SMTP_URL="smtp://127.0.0.1:$smtp_port" macalert -d "$store" \
    > "$T/k.out" 2> "$T/k.err" &
apid=$!
if wait_for 20 grep -q '^data-end' "$T/slow/events"; then
	pass "the slow server has the whole message"
else
	fail "the slow server never got the message: $(cat "$T/slow/events" 2>/dev/null)"
fi
sleep 0.2
hwm=$(vmhwm "$apid")
kill -KILL "$apid"
set +e; wait "$apid" 2> /dev/null; krc=$?; set -e
check_eq "macalert was killed by SIGKILL (137)" 137 "$krc"
rss_below "macalert while sending" "$kb" "${hwm:-0}"
check_eq "killed: nothing delivered" 0 "$(mails slow)"
check_eq "killed: nothing marked as sent" none "$(alert_state)"
stop_smtp

start_smtp good good
t0=$(now_ms)
run next env SMTP_URL="smtp://127.0.0.1:$smtp_port" macalert -d "$store"
dt=$(($(now_ms) - t0))
no_crash_run "next run: macalert" next
check_eq "next run: exit 0, quiet" "0:" "$(rc_of next):$(err_of next)"
# The killed run's locks went with it: both are free now.
check "the store's lock is free" flock -n "$store/lock" true
check "macalert's lock is free" flock -n "$store/alert.lock" true
check_eq "next run: the message is delivered" 1 "$(mails good)"
check_match "next run: it is the alert" \
    '^Subject: \[macscan\] Disk critical: mac-alice' \
    "$(grep '^Subject:' "$T/good/1.eml")"
check "next run: marked as sent" test "$(alert_state)" != none
run again env SMTP_URL="smtp://127.0.0.1:$smtp_port" macalert -d "$store"
check_eq "the run after: exit 0, nothing more" "0 1" \
    "$(rc_of again) $(mails good)"
no_tmp "no temporary file left in the store" "$store"

# --- killed at random instants: marked sent => delivered --------------------
# Kill instants spread over a whole run (dt ms above): 10 % to 130 %.
bad=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
	ms=$((dt * i / 10))
	rm -f "$store/alerts.json"
	n0=$(mails good)
	env SMTP_URL="smtp://127.0.0.1:$smtp_port" macalert -d "$store" \
	    > /dev/null 2> "$T/r.err" &
	apid=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -KILL "$apid" 2> /dev/null || true
	set +e; wait "$apid" 2> /dev/null; rc=$?; set -e
	n1=$(mails good)
	st=$(alert_state)
	echo "     | kill after $ms ms: exit $rc, delivered $((n1 - n0)), state $( [ "$st" = none ] && echo unmarked || echo marked)"
	if [ "$st" != none ] && [ "$n1" = "$n0" ]; then
		bad="$bad $i:marked-but-not-delivered"
	fi
	[ "$rc" = 137 ] || [ "$rc" = 0 ] || bad="$bad $i:exit-$rc"
	sanitizer_report "$T/r.err" && bad="$bad $i:sanitizer"
	# The next run, untouched, must leave it sent.
	run r2 env SMTP_URL="smtp://127.0.0.1:$smtp_port" macalert -d "$store"
	[ "$(rc_of r2)" = 0 ] || bad="$bad $i:next-exit-$(rc_of r2)($(head -n 1 "$T/r2.err"))"
	[ "$(alert_state)" != none ] || bad="$bad $i:next-not-marked"
	[ "$(mails good)" -gt "$n0" ] || bad="$bad $i:never-delivered"
done
check_eq "random kills: marked sent only when delivered; the next run sends" \
    "" "$bad"

finish
