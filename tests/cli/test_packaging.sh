#!/bin/bash
# make install into a DESTDIR: the installed programs work from that tree,
# the units verify, the example config parses and is never overwritten;
# every man page is mandoc-lint clean.
. "$(dirname "$0")/../setup.sh"
cd "$top"
root=$T/root
make -s O="$O" install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc \
    UNITDIR=/usr/lib/systemd/system > "$T/install.log" 2>&1 ||
    { cat "$T/install.log"; fail "make install"; finish; }
pass "make install DESTDIR=..."

for b in "$O"/bin/*; do
	n=${b##*/}
	check "installed $n is executable" test -x "$root/usr/bin/$n"
	check "man page of $n installed" test -f "$root/usr/share/man/man1/$n.1"
done
check "macscan.conf(5) installed" test -f "$root/usr/share/man/man5/macscan.conf.5"
check "macscan(7) installed" test -f "$root/usr/share/man/man7/macscan.7"
check "the example config is installed" test -f "$root/etc/macscan/macscan.conf"
check_eq "the installed config is not readable by others (it holds secrets)" 640 \
    "$(stat -c %a "$root/etc/macscan/macscan.conf")"
check_eq "the installed config parses" "$root/etc/macscan/macscan.conf: ok, 0 variables" \
    "$("$root/usr/bin/macconf" -c "$root/etc/macscan/macscan.conf" check)"
check "share files installed" test -f "$root/usr/share/macscan/macscan.conf.example"
check "sysusers file installed" test -f "$root/usr/lib/sysusers.d/macscan.conf"
check "the driver finds its programs in the tree" \
    env -i PATH=/usr/bin:/bin MACSCAN_CONF=/nonexistent "$root/usr/bin/macscan" -n

echo "MACSCAN_DIR=/mine" > "$root/etc/macscan/macscan.conf"
make -s O="$O" install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc \
    UNITDIR=/usr/lib/systemd/system > "$T/install2.log" 2>&1
check_eq "a second install keeps the existing config" "MACSCAN_DIR=/mine" \
    "$(cat "$root/etc/macscan/macscan.conf")"

units="macscan.service macscan.timer machttp.service macnotify.service macnotify.timer"
for u in $units; do
	check "unit $u installed" test -f "$root/usr/lib/systemd/system/$u"
done
check_match "units name the installed programs" "^ExecStart=/usr/bin/macscan scan$" \
    "$(cat "$root/usr/lib/systemd/system/macscan.service")"
if command -v systemd-analyze >/dev/null; then
	# Verify the units against the installed tree: ExecStart must point
	# at programs that exist, so rewrite /usr/bin to the DESTDIR.
	mkdir -p "$T/units"
	for u in $units; do
		sed "s|=/usr/bin/|=$root/usr/bin/|" \
		    "$root/usr/lib/systemd/system/$u" > "$T/units/$u"
	done
	(cd "$T/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify \
	    --man=no $units) > "$T/verify.log" 2>&1 || true
	if [ -s "$T/verify.log" ]; then
		fail "systemd-analyze verify"; sed 's/^/     | /' "$T/verify.log"
	else
		pass "systemd-analyze verify passes on every unit"
	fi
else
	fail "systemd-analyze is missing"
fi
check_match "the scan timer has a boot anchor" "^OnBootSec=" \
    "$(cat packaging/systemd/macscan.timer)"
check_match "CAP_NET_RAW only for the scan" "^CapabilityBoundingSet=CAP_NET_RAW$" \
    "$(cat packaging/systemd/macscan.service)"
check_match "machttp has no capability" "^CapabilityBoundingSet=$" \
    "$(cat packaging/systemd/machttp.service)"

for m in man/*.[157]; do
	check "mandoc -Tlint $m" mandoc -Tlint -Wwarning "$m"
done
if command -v xmllint >/dev/null; then
	for p in packaging/launchd/*.plist; do
		check "plist $p is well-formed" xmllint --noout "$p"
	done
fi

make -s O="$O" uninstall DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc \
    UNITDIR=/usr/lib/systemd/system > /dev/null 2>&1
check_eq "uninstall removes the programs" "" "$(ls "$root/usr/bin")"
check "uninstall keeps the config" test -f "$root/etc/macscan/macscan.conf"
finish
