# test_smtp_drop.sh - the SMTP server fails in the middle of DATA:
# closes the connection (FIN) once part of the message has come, resets it
# (RST), or refuses the message with 554 once it has it all
# (tests/failure/smtp_fail.py, STARTTLS on 127.0.0.1 with a test CA).
# macalert must exit 3 with one line saying the message was not sent,
# mark nothing as sent, stay within bounded memory and not crash; then a
# good server gets the message on the next run, once.
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
	check_eq "$mode: exit 3 (not sent)" 3 "$(rc_of "$mode")"
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

finish
