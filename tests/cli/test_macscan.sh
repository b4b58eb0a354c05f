#!/bin/bash
# The macscan driver without a network: -n, schedule (the Clean Desk
# timer, the scan interval for systemd, launchd and the compose loop),
# USE_SSH=false, enroll's checks, config errors, lock.
. "$(dirname "$0")/../setup.sh"
unset MACSCAN_DIR MACSCAN_SUBNETS CLEANUP_SCHEDULE_DAY CLEANUP_SCHEDULE_TIME \
    MACSCAN_INTERVAL USE_SSH || true
export MACSCAN_CONF=$T/m.conf
cat > "$MACSCAN_CONF" <<CONF
MACSCAN_DIR=$T/store
MACSCAN_SUBNETS="198.18.0.0/24 198.18.1.5"
CLEANUP_SCHEDULE_DAY=Wednesday
CLEANUP_SCHEDULE_TIME=09:30
CONF

check_eq "-n prints the scan pipeline" \
"macping -aj 198.18.0.0/24 198.18.1.5 | macprobe -d $T/store | macstore -d $T/store add
macalert -d $T/store" "$(macscan -n)"
check_eq "-n notify" "macstore -d $T/store latest | macnotify" "$(macscan -n notify)"
check "-n ran nothing (no store created)" test ! -e "$T/store"
check_eq "-d overrides the config" \
    "macalert -d $T/other" "$(macscan -n -d "$T/other" | tail -n 1)"
check_eq "schedule from the config: both timers' drop-ins" "# macnotify.timer.d/schedule.conf
[Timer]
OnCalendar=
OnCalendar=Wed *-*-* 09:30:00

# macscan.timer.d/interval.conf
[Timer]
OnUnitActiveSec=
OnBootSec=2min
OnUnitActiveSec=10min" "$(macscan schedule)"
check_eq "schedule default is Friday 16:00" "OnCalendar=Fri *-*-* 16:00:00" \
    "$(MACSCAN_CONF=$T/none macscan schedule | sed -n 4p)"
check_eq "MACSCAN_INTERVAL sets the scan timer" "OnUnitActiveSec=15min" \
    "$(MACSCAN_INTERVAL=15 macscan schedule | tail -n 1)"
check_eq "schedule -s: the scan interval in seconds (default 10 min)" 600 \
    "$(macscan schedule -s)"
check_eq "schedule -s with MACSCAN_INTERVAL=15" 900 \
    "$(MACSCAN_INTERVAL=15 macscan schedule -s)"
for bad in "0:too small" "1441:too large" "abc:invalid" "-5:too small" \
    "5 min:invalid"; do
	v=${bad%%:*}
	check_eq "MACSCAN_INTERVAL='$v' is refused: exit 2, one line" \
	    "2:macconf: environment: MACSCAN_INTERVAL is ${bad#*:}: '$v' (expected 1 to 1440)" \
	    "$(MACSCAN_INTERVAL=$v status macscan schedule -s 2> "$T/err"):$(cat "$T/err")"
done
check_eq "MACSCAN_INTERVAL=010 is 10 minutes, not octal" 600 \
    "$(MACSCAN_INTERVAL=010 macscan schedule -s)"
check_eq "MACSCAN_INTERVAL=1440 (a day) is the largest" 86400 \
    "$(MACSCAN_INTERVAL=1440 macscan schedule -s)"
check_eq "schedule with an unknown flag: usage, exit 2" 2 \
    "$(status macscan schedule -x 2>/dev/null)"
# -w writes the systemd drop-ins, and the launchd job's StartInterval when
# that job is installed.
mkdir -p "$T/launchd"
cp "$top/packaging/launchd/org.macscan.scan.plist" "$T/launchd/"
MACSCAN_INTERVAL=15 SYSTEMD_UNIT_DIR=$T/units LAUNCHD_DIR=$T/launchd \
    macscan -q schedule -w
check_eq "schedule -w writes the Clean Desk drop-in" "# Written by macscan schedule from the configuration.
[Timer]
OnCalendar=
OnCalendar=Wed *-*-* 09:30:00" "$(cat "$T/units/macnotify.timer.d/schedule.conf")"
check_eq "schedule -w writes the scan interval drop-in" "# Written by macscan schedule from the configuration.
[Timer]
OnUnitActiveSec=
OnBootSec=2min
OnUnitActiveSec=15min" "$(cat "$T/units/macscan.timer.d/interval.conf")"
check_eq "schedule -w sets the launchd job's StartInterval" "<integer>900</integer>" \
    "$(sed -n '/<key>StartInterval<\/key>/{n;s/^[[:space:]]*//;p;}' "$T/launchd/org.macscan.scan.plist")"
check_eq "and changes nothing else in it" \
    "$(grep -v '<integer>600</integer>' "$top/packaging/launchd/org.macscan.scan.plist")" \
    "$(grep -v '<integer>900</integer>' "$T/launchd/org.macscan.scan.plist")"
if command -v xmllint >/dev/null; then
	check "the launchd job is still well-formed XML" xmllint --noout "$T/launchd/org.macscan.scan.plist"
fi
if command -v systemd-analyze >/dev/null; then
	# The installed timer with the drop-in: systemd reads both, and an
	# empty OnUnitActiveSec= alone would leave the timer with none.
	mkdir -p "$T/sd/macscan.timer.d"
	cp "$top/packaging/systemd/macscan.timer" "$T/sd/"
	sed 's|@PREFIX@|/usr|' "$top/packaging/systemd/macscan.service" > "$T/sd/macscan.service"
	cp "$T/units/macscan.timer.d/interval.conf" "$T/sd/macscan.timer.d/" 2>/dev/null || true
	check "the scan timer with its drop-in is valid for systemd" \
	    env SYSTEMD_UNIT_PATH="$T/sd:" systemd-analyze verify --man=no "$T/sd/macscan.timer"
fi
# The compose file's scan loop sleeps MACSCAN_INTERVAL: its command line
# is run with a macscan that records the scans and a sleep that records
# its argument, then stops the loop.
loop=$(sed -n 's/^ *command: \["sh", "-c", "\(while .*\)"\]$/\1/p' \
    "$top/packaging/docker/compose.yaml" | sed 's/\$\$/$/g')
check_match "the compose file has the scan loop" "macscan scan" "$loop"
mkdir -p "$T/stub"
cat > "$T/stub/macscan" <<EOF
#!/bin/sh
[ "\$1" = scan ] && { echo scan >> "$T/loop.log"; exit 1; }
exec "$O/bin/macscan" "\$@"
EOF
cat > "$T/stub/sleep" <<EOF
#!/bin/sh
echo "sleep \$*" >> "$T/loop.log"
kill "\$PPID"
EOF
chmod +x "$T/stub/macscan" "$T/stub/sleep"
: > "$T/loop.log"
(MACSCAN_INTERVAL=15 PATH="$T/stub:$PATH" sh -c "$loop" || true) 2>/dev/null
check_eq "the compose loop scans, then sleeps MACSCAN_INTERVAL (15 min)" \
    "scan
sleep 900" "$(cat "$T/loop.log")"
: > "$T/loop.log"
(MACSCAN_INTERVAL=abc PATH="$T/stub:$PATH" sh -c "$loop" || true) 2>/dev/null
check_eq "a bad MACSCAN_INTERVAL: the loop still sleeps 10 min, never spins" \
    "scan
sleep 600" "$(cat "$T/loop.log")"
check_match "a bad day is refused, by the one configuration table" \
    "CLEANUP_SCHEDULE_DAY: expected one of: monday .*: 'someday'" \
    "$(CLEANUP_SCHEDULE_DAY=someday macscan schedule 2>&1; true)"
check_eq "a bad time is refused" 2 \
    "$(status env CLEANUP_SCHEDULE_TIME=25:00 macscan schedule 2>/dev/null)"
if command -v systemd-analyze >/dev/null; then
	check "the drop-in's calendar is valid for systemd" \
	    systemd-analyze calendar "Wed *-*-* 09:30:00"
fi
# USE_SSH=false: the old service's ping-only mode.
check_eq "USE_SSH=false: -n sweeps and stores, no probe" \
"macping -aj 198.18.0.0/24 198.18.1.5 | macstore -d $T/store add
macalert -d $T/store" "$(USE_SSH=false macscan -n)"
check_eq "USE_SSH=FALSE and 0 too" "macping -aj 198.18.0.0/24 198.18.1.5 | macstore -d $T/store add
macping -aj 198.18.0.0/24 198.18.1.5 | macstore -d $T/store add" \
    "$(USE_SSH=FALSE macscan -n | head -n 1; USE_SSH=0 macscan -n | head -n 1)"
check_eq "USE_SSH=true: the probe" \
    "macping -aj 198.18.0.0/24 198.18.1.5 | macprobe -d $T/store | macstore -d $T/store add" \
    "$(USE_SSH=true macscan -n | head -n 1)"
check_eq "USE_SSH=maybe is refused: exit 2, one line" \
    "2:macconf: environment: USE_SSH: expected true or false (yes/no, on/off, 1/0): 'maybe'" \
    "$(USE_SSH=maybe status macscan -n 2> "$T/err"):$(cat "$T/err")"
check_eq "USE_SSH=false: no reminder (it needs SSH), exit 0, no program run" \
    "0:macscan: USE_SSH=false: no reminder (it needs SSH)" \
    "$(USE_SSH=false PATH="$O/bin:/usr/bin:/bin" status macscan notify 2> "$T/err"):$(cat "$T/err")"
# enroll: what it runs, and what it refuses before connecting anywhere.
check_eq "-n enroll" "macping -aj 198.18.0.0/24 198.18.1.5 | macprobe -K -d $T/store
macprobe -K -d $T/store FINGERPRINT... < the new hosts" "$(macscan -n enroll)"
check_eq "enroll with a bad fingerprint: exit 2" \
    "2:macscan: not a SHA256 fingerprint: 'MD5:aa:bb'" \
    "$(status macscan enroll MD5:aa:bb 2> "$T/err"):$(cat "$T/err")"
check_eq "enroll with USE_SSH=false: exit 2" \
    "2:macscan: USE_SSH=false: no SSH, so no host key to enrol" \
    "$(USE_SSH=false status macscan enroll -y 2> "$T/err"):$(cat "$T/err")"
check_eq "enroll -x: usage, exit 2" 2 "$(status macscan enroll -x 2>/dev/null)"
check "enroll -n ran nothing (no store created)" test ! -e "$T/store"
# What enroll runs, macprobe -K, refuses before connecting anywhere.
check_eq "macprobe -y without -K: usage, exit 2" 2 \
    "$(status macprobe -y -k "$T/kh" < /dev/null 2>/dev/null)"
check_eq "macprobe with an operand but no -K: usage, exit 2" 2 \
    "$(status macprobe -k "$T/kh" SHA256:x < /dev/null 2>/dev/null)"
check_eq "macprobe -K -y with fingerprints too: usage, exit 2" 2 \
    "$(status macprobe -K -y -k "$T/kh" "SHA256:$(printf 'A%.0s' $(seq 43))" < /dev/null 2>/dev/null)"
check_eq "macprobe -K with a bad fingerprint: exit 2, one line" \
    "2:macprobe: not a SHA256 fingerprint: 'SHA256:short' (expected SHA256: and 43 base64 characters, as ssh-keygen -l prints)" \
    "$(status macprobe -K -k "$T/kh" SHA256:short < /dev/null 2> "$T/err"):$(cat "$T/err")"
check_eq "macprobe -K with no host: exit 0, no line" "0:" \
    "$(status macprobe -K -k "$T/kh" "SHA256:$(printf 'A%.0s' $(seq 43))=" < /dev/null 2>/dev/null):"
check_eq "macprobe -K wrote no key" 0 "$(wc -c < "$T/kh")"
printf 'BROKEN\n' > "$T/broken.conf"
check_eq "a broken config stops the cycle: exit 2" 2 \
    "$(MACSCAN_CONF=$T/broken.conf status macscan scan 2>/dev/null)"
check_match "and says where" "broken.conf:1:" \
    "$(MACSCAN_CONF=$T/broken.conf macscan scan 2>&1 || true)"
check_eq "unknown command: usage, exit 2" 2 "$(status macscan frobnicate 2>/dev/null)"
if command -v mandoc >/dev/null 2>&1; then
	syn=$(mandoc -Tascii "$top/man/macscan.1" | sed "s/.\x08//g" |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' '   ' |
	    sed 's/^ *//; s/ *$//')
	use=$(macscan frobnicate 2>&1 | sed 's/^usage: //' | tr -s ' \n' '  ' |
	    sed 's/^ *//; s/ *$//')
	check_eq "usage is the man page SYNOPSIS" "$syn" "$use"
fi

# The lock: a live holder makes a second run exit 4 before any stage.
# The holder outlives any slow machine; it is killed right after.
mkdir -p "$T/store/macscan.run"
sleep 3600 & holder=$!
echo "$holder" > "$T/store/macscan.run/pid"
check_eq "an overlapping run exits 4" 4 "$(status macscan -q scan 2>/dev/null)"
kill "$holder"; wait "$holder" 2>/dev/null || true
check "the lock of the other run is left alone" test -d "$T/store/macscan.run"
if command -v shellcheck >/dev/null; then
	check "macscan is shellcheck-clean" shellcheck -s sh "$top/cmd/macscan/macscan.sh"
fi
finish
