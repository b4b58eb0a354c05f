#!/bin/bash
# The whole cycle in the lab, from macscan to the dashboard, run through
# the systemd units' own ExecStart lines from a `make install DESTDIR=`
# tree: sweep, probe, store, alert email to a real SMTP server, the
# dashboard and its API, the Clean Desk reminder, and a second cycle
# that sends no second email. The fleet's password goes to no Mac whose
# key is not pinned: a password-only Mac (whose PAM stack records every
# password sent to it) is new_host until `macscan enroll -y`, then ok.
# Last, USE_SSH=false: macping's records only. Deadlines are generous
# (SSH_TIMEOUT=120): two loaded cores may be slow, and time is not what is
# tested here; so the lab has no tarpit, which would hold each pass that
# long (test_macprobe tests it).
. "$(dirname "$0")/../setup.sh"
need_root
export MACLAB_NAME=${MACLAB_PREFIX:-}cycle
lab=$top/tests/lab/maclab
down() { "$lab" down >/dev/null 2>&1; }
at_exit down
cd "$top"
root=$T/root
make -s O="$O" install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc \
    UNITDIR=/usr/lib/systemd/system > "$T/install.log" 2>&1 ||
    { cat "$T/install.log"; fail "make install"; finish; }
{ grep -v ' tarpit$' "$top/tests/lab/sets/default.set"; echo "198.18.0.40 pwonly-mba13-m2"; } > "$T/lab.set"
"$lab" up "$T/lab.set" > "$T/up.log" 2>&1 || { cat "$T/up.log"; fail "maclab up"; finish; }
eval "$("$lab" env)"
"$lab" expect > "$T/expect"
ns=$MACLAB_NS
pwonly=198.18.0.40
pwdir=$(dirname "$(grep -lx "IP=$pwonly" "$MACLAB_STATE"/hosts/*/host.env)")
baddir=$(dirname "$(grep -lx "KIND=badpass" "$MACLAB_STATE"/hosts/*/host.env)")
badpass=$(sed -n 's/^IP=//p' "$baddir/host.env")
fp_of() { ssh-keygen -lf "$1/ssh_host_ed25519_key.pub" | cut -d' ' -f2; }

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
for _ in $(seq 600); do [ -e "$T/mail/ready" ] && break; sleep 0.1; done
check "the SMTP server is up" test -e "$T/mail/ready"
[ -e "$T/mail/ready" ] || sed 's/^/     | /' "$T/smtpd.log"
conf=$T/macscan.conf
cat > "$conf" <<CONF
MACSCAN_SUBNETS=$MACLAB_SUBNET
SSH_USERNAME=$SSH_USERNAME
SSH_KEY=$SSH_KEY
SSH_PASSWORD_FILE=$SSH_PASSWORD_FILE
SSH_TIMEOUT=120
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
check_match "and says how to enrol the new hosts" \
    "^macscan: 2 new hosts wait for their key to be pinned: macscan enroll$" "$(cat "$T/scan.err")"
check_eq "one snapshot" 1 "$("$root/usr/bin/macstore" -d "$store" list | grep -c machines-)"
"$root/usr/bin/macstore" -d "$store" latest > "$T/latest"
# stored_ok FILE: the expected Macs stored as ok, their records matching.
stored_ok() {
	while read -r e; do
		ip=$(jq -r .ip <<< "$e")
		want=$(jq -c '{probe: "ok", serial, disk_free_bytes, battery_percent, console_user, os_version}' <<< "$e")
		got=$(jq -c --arg ip "$ip" 'select(.ip == $ip and .online) | {probe, serial, disk_free_bytes, battery_percent, console_user, os_version}' "$1")
		check_eq "$ip: stored record matches the Mac" "$want" "$got"
	done
}
jq -c --arg ip "$pwonly" 'select(.ip != $ip)' "$T/expect" > "$T/expect1"
stored_ok "$T/latest" < "$T/expect1"
check_eq "the password-only Mac is new_host: its key is not pinned" \
    "new_host host key $(fp_of "$pwdir") not pinned; run macscan enroll" \
    "$(jq -r --arg ip "$pwonly" 'select(.ip == $ip) | "\(.probe) \(.probe_error)"' "$T/latest")"
check_eq "so is the Mac whose key is not authorized (the password is all left)" \
    "new_host host key $(fp_of "$baddir") not pinned; run macscan enroll" \
    "$(jq -r --arg ip "$badpass" 'select(.ip == $ip) | "\(.probe) \(.probe_error)"' "$T/latest")"
check "no password reached the password-only Mac's PAM stack" test ! -s "$pwdir/authtok.log"
check_eq "its sshd saw no password attempt" "" \
    "$(grep -E 'password|keyboard-interactive' "$pwdir/sshd.log" || true)"
check_eq "nor did the badpass Mac's" "" \
    "$(grep -E 'password|keyboard-interactive' "$baddir/sshd.log" || true)"
check_match "a Linux host is stored as not_macos" '"probe":"not_macos"' "$(cat "$T/latest")"
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
for _ in $(seq 600); do curl -fs "http://127.0.0.1:$hport/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
check_eq "/healthz" ok "$(curl -fs "http://127.0.0.1:$hport/healthz" || sed 's/^/     | /' "$T/http.log")"
check_eq "/machines lists every stored machine" "$(wc -l < "$T/latest")" \
    "$(curl -fs "http://127.0.0.1:$hport/machines" | jq length)"
check_match "/metrics counts them" "^macscan_machines $(wc -l < "$T/latest")$" \
    "$(curl -fs "http://127.0.0.1:$hport/metrics")"
first=$(jq -r '.computer_name' "$T/expect" | head -n 1)
check "the dashboard shows a Mac by name" sh -c \
    "curl -fs http://127.0.0.1:$hport/ | grep -qF \"\$1\"" x "$(printf '%s' "$first" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g; s/'"'"'/\&#39;/g')"

# Enrolment: the two new hosts, listed with their fingerprints, pinned
# with -y (as the store's owner: root here), then probed with the
# password. The PAM capture shows the password arrives now, so it would
# have shown it before.
enroll() {
	ip netns exec "$ns" env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin \
	    MACSCAN_CONF="$conf" MACSCAN_DIR="$store" "$root/usr/bin/macscan" "$@"
}
# On a terminal, each new host is asked about: "n" to both pins nothing.
kh_before=$(cat "$store/known_hosts")
set +e
printf 'n\nn\n' | script -qec "ip netns exec $ns env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin MACSCAN_CONF=$conf MACSCAN_DIR=$store $root/usr/bin/macscan enroll" /dev/null > "$T/ask.out" 2>&1
rc=$?
set -e
check_eq "enroll on a terminal, both declined: exit 1" 1 "$rc"
for d in "$pwdir" "$baddir"; do
	ip=$(sed -n 's/^IP=//p' "$d/host.env")
	check "enroll asks about $ip, showing its fingerprint" \
	    grep -qF "$ip  ssh-ed25519 $(fp_of "$d")  pin? [y/N]" "$T/ask.out"
done
check_eq "declined: nothing pinned" "$kh_before" "$(cat "$store/known_hosts")"
set +e
enroll enroll -y > "$T/enroll.out" 2> "$T/enroll.err"
rc=$?
set -e
check_eq "macscan enroll -y: exit 0" 0 "$rc"
check_eq "it lists and pins the two new hosts, with their fingerprints" \
    "$(printf '%s\tenrolled\tssh-ed25519 %s\n' "$pwonly" "$(fp_of "$pwdir")" "$badpass" "$(fp_of "$baddir")" | sort)" \
    "$(sort "$T/enroll.out")"
check_match "and says so" "^macscan: enrolled 2 of 2 new hosts \([0-9]+ already pinned\)$" "$(cat "$T/enroll.err")"
check_eq "a second enroll finds nothing new: exit 0, no line" "0:" \
    "$(set +e; enroll -q enroll -y; echo "$?:")"
set +e
run_unit macscan.service ip netns exec "$ns" > /dev/null 2> "$T/scan2.err"
set -e
check_eq "two snapshots" 2 "$("$root/usr/bin/macstore" -d "$store" list | grep -c machines-)"
"$root/usr/bin/macstore" -d "$store" latest > "$T/latest2"
stored_ok "$T/latest2" < "$T/expect"
check "the password-only Mac got the password, now that it is enrolled" \
    grep -qxF "$(cat "$SSH_PASSWORD_FILE")" "$pwdir/authtok.log"
check_eq "the wrong-password Mac, enrolled, is auth_failed" auth_failed \
    "$(jq -r --arg ip "$badpass" 'select(.ip == $ip) | .probe' "$T/latest2")"
# The second cycle's news is the enrolment alone: the wrong-password
# Mac, enrolled, is no longer a new host but a failed login (one
# "resolved" word; its failure is the dashboard's and macnotify's); the
# disks and the rest, told already, are listed again without [new] or
# [worse]. (The password-only Mac is identified now, by its serial: the
# record under its MAC stays offline in the view until retention drops
# it.)
check_eq "a second email, for the enrolment only" 2 "$(ls "$T/mail"/*.eml | wc -l)"
/usr/bin/python3 -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.get_content_type() == "text/plain":
        sys.stdout.write(p.get_payload(decode=True).decode("utf-8"))' "$T/mail/2.eml" > "$T/mail2.txt" || true
check_eq "no disk or rule told twice" "" \
    "$(grep -E '\[(new|worse)\]' "$T/mail2.txt" || true)"
check_eq "the enrolled Mac's wait is resolved, once" \
    "- $badpass: New hosts waiting for enrolment, now fixed" \
    "$(sed -n '/^RESOLVED/,/^$/p' "$T/mail2.txt" | grep '^- ')"

# The Clean Desk cycle, from macnotify.service's ExecStart.
set +e
run_unit macnotify.service ip netns exec "$ns" > "$T/notify.out" 2> "$T/notify.err"
rc=$?
set -e
users=$(jq -r 'select(.console_user != null) | .ip' "$T/expect" | wc -l)
check_eq "the reminder was shown on every Mac with a user" "$users" \
    "$(grep -c '	shown	' "$T/notify.out" || true)"
check_eq "once each, even where the store lists a Mac twice" "" \
    "$(awk -F'\t' '$3 == "shown" { print $1 }' "$T/notify.out" | sort | uniq -d)"
check_eq "macnotify exit 1: the wrong-password Mac failed" 1 "$rc"

# USE_SSH=false, the old service's ping-only mode: no SSH session at all;
# the store and the dashboard hold macping's records.
pstore=$T/pingonly
logins() { cat "$MACLAB_STATE"/hosts/*/sshd.log | grep -c Accepted || true; }
before=$(logins)
set +e
ip netns exec "$ns" env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin MACSCAN_CONF="$conf" \
    MACSCAN_DIR="$pstore" USE_SSH=false "$root/usr/bin/macscan" scan \
    > /dev/null 2> "$T/ping.err"
rc=$?
set -e
check_eq "USE_SSH=false: the cycle ran, exit 0" 0 "$rc"
check_match "and said it stored macping's records" \
    "^macscan: USE_SSH=false: no probe, macping's [0-9]+ records stored$" "$(cat "$T/ping.err")"
"$root/usr/bin/macstore" -d "$pstore" latest > "$T/plain"
check "USE_SSH=false: records stored" test -s "$T/plain"
check_eq "USE_SSH=false: no record has a probe field" 0 \
    "$(jq -s '[.[] | select(has("probe") or has("hostname"))] | length' "$T/plain")"
check_eq "USE_SSH=false: each has macping's address, MAC and how it was seen" 0 \
    "$(jq -s '[.[] | select((.ip | type) != "string" or (.mac | type) != "string" or (.seen_by | type) != "string")] | length' "$T/plain")"
for e in $(jq -r 'select(.lab_vendor == "Apple") | .ip + "," + .mac' "$T/expect" | head -n 3); do
	check_eq "USE_SSH=false: ${e%,*} stored with its MAC and vendor" "${e#*,} Apple" \
	    "$(jq -r --arg ip "${e%,*}" 'select(.ip == $ip) | "\(.mac) \(.vendor)"' "$T/plain")"
done
check_eq "USE_SSH=false: no Mac saw a login" "$before" "$(logins)"
cgi() {
	env -i GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET PATH_INFO="$1" \
	    SCRIPT_NAME=/m SERVER_NAME=localhost SERVER_PORT=80 \
	    MACSCAN_CONF="$conf" MACSCAN_DIR="$pstore" "$root/usr/bin/machttp" |
	    sed '1,/^\r\{0,1\}$/d'
}
check_eq "USE_SSH=false: /machines lists them" "$(jq -r .ip "$T/plain" | sort)" \
    "$(cgi /machines | jq -r '.[].ip' | sort)"
first_ip=$(jq -r .ip "$T/plain" | head -n 1)
check "USE_SSH=false: the dashboard shows them" sh -c \
    'grep -qF "$1"' x "$first_ip" <<< "$(cgi /)"

# A Mac whose key changed (the lab's hostkey Mac, re-keyed by a second
# up): enroll reports it and never replaces the pinned key.
hkdir=$(dirname "$(grep -lx "KIND=hostkey" "$MACLAB_STATE"/hosts/*/host.env)")
hk=$(sed -n 's/^IP=//p' "$hkdir/host.env")
"$lab" up "$T/lab.set" > "$T/up2.log" 2>&1 || { cat "$T/up2.log"; fail "maclab up (re-key)"; }
kh_before=$(cat "$store/known_hosts")
set +e
enroll enroll -y > "$T/enroll3.out" 2> "$T/enroll3.err"
rc=$?
set -e
check_eq "enroll with a changed key and nothing new: exit 0, no line" "0:" "$rc:$(cat "$T/enroll3.out")"
check "it says the key changed, and how to clear it" grep -qF \
    "macscan: $hk: its key changed (ssh-ed25519 $(fp_of "$hkdir")): not enrolled; if the Mac was reinstalled, remove the old key: ssh-keygen -R $hk -f $store/known_hosts" \
    "$T/enroll3.err"
check_eq "the pinned key is left as it was" "$kh_before" "$(cat "$store/known_hosts")"
finish
