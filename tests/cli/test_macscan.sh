#!/bin/bash
# The macscan driver without a network: -n, schedule, config errors, lock.
. "$(dirname "$0")/../setup.sh"
unset MACSCAN_DIR MACSCAN_SUBNETS CLEANUP_SCHEDULE_DAY CLEANUP_SCHEDULE_TIME || true
export MACSCAN_CONF=$T/m.conf
cat > "$MACSCAN_CONF" <<CONF
MACSCAN_DIR=$T/store
MACSCAN_SUBNETS="198.18.0.0/24 198.18.1.5"
CLEANUP_SCHEDULE_DAY=Wednesday
CLEANUP_SCHEDULE_TIME=9:30
CONF

check_eq "-n prints the scan pipeline" \
"macping -aj 198.18.0.0/24 198.18.1.5 | macprobe -d $T/store | macstore -d $T/store add
macalert -d $T/store" "$(macscan -n)"
check_eq "-n notify" "macstore -d $T/store latest | macnotify" "$(macscan -n notify)"
check "-n ran nothing (no store created)" test ! -e "$T/store"
check_eq "-d overrides the config" \
    "macalert -d $T/other" "$(macscan -n -d "$T/other" | tail -n 1)"
check_eq "schedule from the config" "[Timer]
OnCalendar=
OnCalendar=Wed *-*-* 09:30:00" "$(macscan schedule)"
check_eq "schedule default is Friday 16:00" "OnCalendar=Fri *-*-* 16:00:00" \
    "$(MACSCAN_CONF=$T/none macscan schedule | tail -n 1)"
SYSTEMD_UNIT_DIR=$T/units macscan -q schedule -w
check_eq "schedule -w writes the drop-in" "# Written by macscan schedule from the configuration.
[Timer]
OnCalendar=
OnCalendar=Wed *-*-* 09:30:00" "$(cat "$T/units/macnotify.timer.d/schedule.conf")"
check_match "a bad day is refused, by the one configuration table" \
    "CLEANUP_SCHEDULE_DAY: expected one of: monday .*: 'someday'" \
    "$(CLEANUP_SCHEDULE_DAY=someday macscan schedule 2>&1; true)"
check_eq "a bad time is refused" 2 \
    "$(status env CLEANUP_SCHEDULE_TIME=25:00 macscan schedule 2>/dev/null)"
if command -v systemd-analyze >/dev/null; then
	check "the drop-in's calendar is valid for systemd" \
	    systemd-analyze calendar "Wed *-*-* 09:30:00"
fi
printf 'BROKEN\n' > "$T/broken.conf"
check_eq "a broken config stops the cycle: exit 2" 2 \
    "$(MACSCAN_CONF=$T/broken.conf status macscan scan 2>/dev/null)"
check_match "and says where" "broken.conf:1:" \
    "$(MACSCAN_CONF=$T/broken.conf macscan scan 2>&1 || true)"
check_eq "unknown command: usage, exit 2" 2 "$(status macscan frobnicate 2>/dev/null)"

# The lock: a live holder makes a second run exit 4 before any stage.
mkdir -p "$T/store/macscan.run"
sleep 30 & holder=$!
echo "$holder" > "$T/store/macscan.run/pid"
check_eq "an overlapping run exits 4" 4 "$(status macscan -q scan 2>/dev/null)"
kill "$holder"; wait "$holder" 2>/dev/null || true
check "the lock of the other run is left alone" test -d "$T/store/macscan.run"
if command -v shellcheck >/dev/null; then
	check "macscan is shellcheck-clean" shellcheck -s sh "$top/cmd/macscan/macscan.sh"
fi
finish
