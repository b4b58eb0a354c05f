#!/bin/bash
# The whole cycle in the lab, from macscan to the dashboard, run through
# the systemd units' own ExecStart lines from a `make install DESTDIR=`
# tree: sweep, probe, store, alert email to a real SMTP server, the
# dashboard and its API, the Clean Desk reminder, and a second cycle
# that sends no second email.
. "$(dirname "$0")/../setup.sh"
need_root
export MACLAB_NAME=cycle$$
lab=$top/tests/lab/maclab
down() { "$lab" down >/dev/null 2>&1; }
at_exit down
cd "$top"
root=$T/root
make -s O="$O" install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc \
    UNITDIR=/usr/lib/systemd/system > "$T/install.log" 2>&1 ||
    { cat "$T/install.log"; fail "make install"; finish; }
"$lab" up > "$T/up.log" 2>&1 || { cat "$T/up.log"; fail "maclab up"; finish; }
eval "$("$lab" env)"
"$lab" expect > "$T/expect"
ns=$MACLAB_NS

# A unit's ExecStart, made to run from the DESTDIR tree, and its
# Environment lines, with the state directory moved under $T.
execstart() {
	sed -n 's/^ExecStart=//p' "$root/usr/lib/systemd/system/$1" |
	    sed "s|^/usr/bin/|$root/usr/bin/|; s|/var/lib/macscan|$T/var/lib/macscan|g"
}
unitenv() {
	sed -n 's/^Environment=//p' "$root/usr/lib/systemd/system/$1" |
	    sed "s|/var/lib/macscan|$T/var/lib/macscan|g"
}
store=$T/var/lib/macscan
mkdir -p "$store" "$T/mail"
port=$((20000 + $$ % 20000))
hport=$((port + 1))
# The SMTP server runs in the scanner namespace, where macalert runs.
ip netns exec "$ns" /usr/bin/python3 "$top/tests/integration/smtpd.py" --plain \
    --port "$port" --out "$T/mail" > "$T/smtpd.log" 2>&1 &
smtpd=$!
stop_smtpd() { kill "$smtpd" 2>/dev/null; wait "$smtpd" 2>/dev/null; }
at_exit stop_smtpd
for _ in $(seq 50); do [ -e "$T/mail/ready" ] && break; sleep 0.1; done
check "the SMTP server is up" test -e "$T/mail/ready"
[ -e "$T/mail/ready" ] || sed 's/^/     | /' "$T/smtpd.log"
conf=$T/macscan.conf
cat > "$conf" <<CONF
MACSCAN_SUBNETS=$MACLAB_SUBNET
SSH_USERNAME=$SSH_USERNAME
SSH_KEY=$SSH_KEY
SMTP_URL=smtp://127.0.0.1:$port
SMTP_TLS=off
MAIL_FROM=macscan@lab.invalid
ALERT_RECIPIENTS=it@lab.invalid,boss@lab.invalid
MACSCAN_LANG=en
MACHTTP_LISTEN=127.0.0.1:$hport
CONF
# shellcheck disable=SC2046
run_unit() {
	u=$1; shift
	env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin MACSCAN_CONF="$conf" \
	    $(unitenv "$u") "$@" $(execstart "$u")
}

set +e
run_unit macscan.service ip netns exec "$ns" > "$T/scan.out" 2> "$T/scan.err"
rc=$?
set -e
check_eq "the cycle ran; some lab hosts fail on purpose: exit 1" 1 "$rc"
check_match "the driver logged each stage" "macprobe: [0-9]+ records, [0-9]+ ok" "$(cat "$T/scan.err")"
check_eq "one snapshot" 1 "$("$root/usr/bin/macstore" -d "$store" list | grep -c machines-)"
"$root/usr/bin/macstore" -d "$store" latest > "$T/latest"
ok=$(jq -s --slurpfile e "$T/expect" '[.[] | select(.probe == "ok") | .ip as $ip | select([$e[] | .ip] | index($ip))] | length' "$T/latest")
check_eq "every working Mac was probed ok" "$(wc -l < "$T/expect")" "$ok"
while read -r e; do
	ip=$(jq -r .ip <<< "$e")
	want=$(jq -c '{serial, disk_free_bytes, battery_percent, console_user, os_version}' <<< "$e")
	got=$(jq -c --arg ip "$ip" 'select(.ip == $ip) | {serial, disk_free_bytes, battery_percent, console_user, os_version}' "$T/latest")
	check_eq "$ip: stored record matches the Mac" "$want" "$got"
done < "$T/expect"
check_match "a Linux host is stored as not_macos" '"probe":"not_macos"' "$(cat "$T/latest")"
check_match "the wrong-password Mac as auth_failed" '"probe":"auth_failed"' "$(cat "$T/latest")"
check_match "the SSH-less host as refused" '"probe":"refused"' "$(cat "$T/latest")"

n=$(ls "$T/mail"/*.eml 2>/dev/null | wc -l)
check_eq "one alert email for the low disks" 1 "$n"
subj=$(grep -m1 '^Subject:' "$T/mail"/1.eml || true)
crit=$(jq -r 'select(.disk_free_bytes != null and .disk_free_bytes <= 15000000000) | .computer_name // .hostname' "$T/expect" | head -n 1)
check_match "the subject says a disk is critical" "Subject: .*[Dd]isk" "$subj"
check_eq "sent to both recipients" '["it@lab.invalid","boss@lab.invalid"]' \
    "$(jq -c .rcpt_tos "$T/mail/1.json" 2>/dev/null || jq -c .rcpt "$T/mail/1.json")"
/usr/bin/python3 -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.get_content_type() == "text/plain":
        sys.stdout.write(p.get_payload(decode=True).decode("utf-8"))' "$T/mail/1.eml" > "$T/mail.txt" || true
check "the email names a critical Mac ($crit)" grep -qF "$crit" "$T/mail.txt"

# The dashboard, from machttp.service's ExecStart, on the store. Run by
# root, machttp drops to nobody, who must be able to read the store.
chmod 755 "$T"
chmod -R a+rX "$T/var"
# exec: $! is then machttp itself, not a subshell that would outlive it.
(exec env -i PATH=/usr/bin:/bin MACSCAN_CONF="$conf" $(unitenv machttp.service) \
    $(execstart machttp.service)) > "$T/http.log" 2>&1 &
httpd=$!
stop_httpd() { kill "$httpd" 2>/dev/null; wait "$httpd" 2>/dev/null; }
at_exit stop_httpd
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$hport/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
check_eq "/healthz" ok "$(curl -fs "http://127.0.0.1:$hport/healthz" || sed 's/^/     | /' "$T/http.log")"
check_eq "/machines lists every stored machine" "$(wc -l < "$T/latest")" \
    "$(curl -fs "http://127.0.0.1:$hport/machines" | jq length)"
check_match "/metrics counts them" "^macscan_machines $(wc -l < "$T/latest")$" \
    "$(curl -fs "http://127.0.0.1:$hport/metrics")"
first=$(jq -r '.computer_name' "$T/expect" | head -n 1)
check "the dashboard shows a Mac by name" sh -c \
    "curl -fs http://127.0.0.1:$hport/ | grep -qF \"\$1\"" x "$(printf '%s' "$first" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g; s/'"'"'/\&#39;/g')"

# The Clean Desk cycle, from macnotify.service's ExecStart.
set +e
run_unit macnotify.service ip netns exec "$ns" > "$T/notify.out" 2> "$T/notify.err"
rc=$?
set -e
users=$(jq -r 'select(.console_user != null) | .ip' "$T/expect" | wc -l)
check_eq "the reminder was shown on every Mac with a user" "$users" \
    "$(grep -c '	shown	' "$T/notify.out" || true)"
check_eq "macnotify exit 1: the wrong-password Mac failed" 1 "$rc"

# A second cycle: a second snapshot, and no second email.
set +e
run_unit macscan.service ip netns exec "$ns" > /dev/null 2>&1
set -e
check_eq "two snapshots" 2 "$("$root/usr/bin/macstore" -d "$store" list | grep -c machines-)"
check_eq "no second email for the same disks" 1 "$(ls "$T/mail"/*.eml | wc -l)"
finish
