#!/usr/bin/env bash
# test_lab.sh - tests of the maclab lab itself (tests/lab/maclab).
#
# Brings up its own instance (MACLAB_NAME=mlt<pid>, so it never clashes with
# a developer's lab), checks it with real logins, pings and the fake macOS
# commands against the profiles, checks that a second `up` is idempotent,
# that the host-key variant changes key, that `down` leaves nothing behind
# (also after a crash), then takes it down. One line per check, then
# "N passed, M failed". Needs root: without it, SKIP (exit 77), except
# with CI=true where it fails. About a minute.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
MACLAB=$HERE/maclab
export MACLAB_NAME=mlt$$
NAME2=mlt$$b
STATE=/run/$MACLAB_NAME
pass=0 fail=0
TMP=$(mktemp -d)

ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) - $*"; }
nok() { fail=$((fail + 1)); echo "not ok $((pass + fail)) - $*"; }
check() { # check DESCRIPTION CMD...
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		echo "not ok 1 - $1 (CI=true: not skipping)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP: test_lab.sh: $1" >&2
	echo "SKIP: test_lab.sh: $1"
	exit 77
}

if [ "$(id -u)" != 0 ]; then
	skip_or_fail "needs root (network namespaces, mounts); run it as root"
fi
missing=
for t in ip sshd ssh ssh-keygen ssh-keyscan socat jq fping ping openssl unshare nsenter flock zsh; do
	command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || missing="$missing $t"
done
[ -z "$missing" ] || skip_or_fail "missing tools:$missing (make deps: tests/lab/DEPS)"

cleanup() {
	MACLAB_NAME=$NAME2 "$MACLAB" down >/dev/null 2>&1 || true
	"$MACLAB" down >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT

lab() { "$MACLAB" "$@"; }
SSHO=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o LogLevel=ERROR -o ConnectTimeout=5)
kssh() { # kssh IP CMD: key login from the scanner namespace
	local ip=$1
	shift
	lab exec ssh "${SSHO[@]}" -i "$SSH_KEY" -o BatchMode=yes -o PasswordAuthentication=no \
		-o KbdInteractiveAuthentication=no "$SSH_USERNAME@$ip" "$@" </dev/null
}
pssh() { # pssh IP CMD: password login (SSH_ASKPASS, no key)
	local ip=$1
	shift
	SSH_ASKPASS=$MACLAB_ASKPASS SSH_ASKPASS_REQUIRE=force \
		lab exec ssh "${SSHO[@]}" -o PubkeyAuthentication=no -o IdentitiesOnly=yes \
		-o PreferredAuthentications=keyboard-interactive,password \
		-o NumberOfPasswordPrompts=1 "$SSH_USERNAME@$ip" "$@" </dev/null
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ------------------------------------------------------------------ up
t0=$(now_ms)
if lab up >"$TMP/up.log" 2>&1; then
	t1=$(now_ms)
	ok "maclab up (default set) in $(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100)) s"
else
	nok "maclab up (default set)"
	cat "$TMP/up.log"
	finish
	exit 1
fi
# A budget, not a speed test (speed is for make bench): 1-15 s here when
# idle, and 120 s holds with both cores of a 2-core machine busy.
check "up within its 120 s budget" [ $((t1 - t0)) -lt 120000 ]
eval "$(lab env)"
check "env: SSH_USERNAME, SSH_KEY, SSH_PASSWORD_FILE, MACLAB_NS" \
	test "$SSH_USERNAME" = macadmin -a -s "$SSH_KEY" -a -s "$SSH_PASSWORD_FILE" -a "$MACLAB_NS" = "$MACLAB_NAME-scan"

lab hosts >"$TMP/hosts.tsv"
lab expect >"$TMP/expect.ndjson"
check "hosts: 24 addresses, 4 tab-separated columns" \
	awk -F'\t' 'NF != 4 { bad = 1 } END { exit bad || NR != 24 }' "$TMP/hosts.tsv"
check "hosts: 3 addresses with nobody (KIND empty)" \
	test "$(awk -F'\t' '$4 == ""' "$TMP/hosts.tsv" | wc -l)" = 3
kinds=$(cut -f4 "$TMP/hosts.tsv" | sort -u | tr '\n' ' ')
check "hosts: every kind is there ($kinds)" \
	test "$kinds" = " badpass garbage hostkey linux mac nossh stealth tarpit "
check "expect: one record per working Mac (16), valid JSON" \
	test "$(jq -c . "$TMP/expect.ndjson" | wc -l)" = 16
check "expect: the Mac of nobody has no console_user, the others have one" \
	test "$(jq -r 'select(.console_user == null) | .lab_profile' "$TMP/expect.ndjson" | sort | tr '\n' ' ')" = \
	"hostkey-studio-m1max mba13-m1-noestimate mini-m2-ups "

apple_ouis_ok() {
	local mac oui prof kind bad=0 style
	[ -r /usr/share/ieee-data/oui.txt ] || return 0
	while IFS=$'\t' read -r _ mac prof kind; do
		[ -n "$prof" ] || continue
		style=$(sed -n 's/^MAC_STYLE=//p' "$HERE/profiles/$prof.env")
		oui=$(echo "${mac:0:8}" | tr -d : | tr a-f A-F)
		case $style in
		apple) grep -q "^$oui .*Apple, Inc" /usr/share/ieee-data/oui.txt || { echo "  $mac ($prof) is not Apple" >&2; bad=1; } ;;
		private) [ $((0x${mac:0:2} & 3)) = 2 ] || { echo "  $mac ($prof) is not locally administered" >&2; bad=1; } ;;
		esac
	done <"$TMP/hosts.tsv"
	return $bad
}
check "MAC addresses: Apple OUIs (ieee-data), private ones locally administered" apple_ouis_ok

no_route_out() {
	local ns
	for ns in $(ip netns list | awk '{print $1}' | grep -E "^$MACLAB_NAME-"); do
		[ -z "$(ip -n "$ns" route show default)" ] || return 1
		[ -z "$(ip -n "$ns" -6 route show default 2>/dev/null)" ] || return 1
		ip -n "$ns" route get 192.0.2.1 >/dev/null 2>&1 && return 1
	done
	return 0
}
check "no lab namespace has a route out (no default route, TEST-NET unroutable)" no_route_out
no_root_links() {
	! ip -o link show | grep -E "link-netns $MACLAB_NAME-|: (h[0-9]+|scan0|br0)[@:]"
}
check "no lab interface in the root namespace" no_root_links

# ------------------------------------------------------------ ping
MACS=$(jq -r '.ip' "$TMP/expect.ndjson")
alive=$(lab exec fping -a -r 1 -t 300 $(cut -f1 "$TMP/hosts.tsv") 2>/dev/null | sort -V | tr '\n' ' ' || true)
want=$(awk -F'\t' '$4 != "" && $4 != "stealth" {print $1}' "$TMP/hosts.tsv" | sort -V | tr '\n' ' ')
check "fping answers: every host but the stealth one and the empty addresses" test "$alive" = "$want"
stealth_ip=$(awk -F'\t' '$4 == "stealth" {print $1}' "$TMP/hosts.tsv")
first_ip=$(awk -F'\t' '$4 == "mac" {print $1; exit}' "$TMP/hosts.tsv")
check "ping reaches a Mac ($first_ip)" bash -c '"$0" exec ping -c 1 -W 2 "$1" >/dev/null' "$MACLAB" "$first_ip"
check "ping gets no answer from the stealth Mac ($stealth_ip)" \
	bash -c '! "$0" exec ping -c 1 -W 1 "$1" >/dev/null 2>&1' "$MACLAB" "$stealth_ip"

# ------------------------------------------------- every Mac, by key and by password
# mac_checks IP: logs into one Mac by key and by password and compares what
# the fake commands print with its expect record; writes one word per
# problem to $TMP/res.IP (run for all Macs in parallel).
mac_checks() {
	local ip=$1 rec all out v free total want boot io raw des cyc r=$TMP/res.$1
	: >"$r"
	rec=$(jq -c --arg ip "$ip" 'select(.ip == $ip)' "$TMP/expect.ndjson")
	# One key login runs everything; "@@N" lines separate the parts.
	if ! all=$(kssh "$ip" 'sw_vers; pmset -g batt; df -k /; echo @@2
		hostname; scutil --get ComputerName; sysctl -n hw.model hw.memsize; uname -m; sw_vers -buildVersion
		stat -f%Su /dev/console; sysctl -n kern.boottime
		system_profiler SPHardwareDataType | sed -n "s/^ *Serial Number (system): //p"
		osascript -l JavaScript -e "ObjC.import(\"Foundation\"); \$.NSURL.fileURLWithPath(\"/\").resourceValuesForKeysError([\"NSURLVolumeAvailableCapacityForImportantUsageKey\"], null)"
		echo @@3; ioreg -rn AppleSmartBattery; system_profiler SPPowerDataType' 2>&1); then
		echo "key" >>"$r"
		return 0
	fi
	out=$(sed '/^@@2$/,$d' <<<"$all")
	v=$(jq -r .os_version <<<"$rec")
	free=$(jq -r .disk_free_bytes <<<"$rec")
	total=$(jq -r .disk_total_bytes <<<"$rec")
	grep -qE "^ProductVersion:	+$v\$" <<<"$out" || echo "out:sw_vers" >>"$r"
	grep -q "^ProductName:	*$(jq -r .os_name <<<"$rec")\$" <<<"$out" || echo "out:name" >>"$r"
	if [ "$(jq -r .battery_present <<<"$rec")" = true ]; then
		grep -qP "^ -InternalBattery-0 \(id=\d+\)\t$(jq -r .battery_percent <<<"$rec")%; " <<<"$out" || echo "out:pmset" >>"$r"
	else
		{ grep -q "^Now drawing from '" <<<"$out" && ! grep -q InternalBattery <<<"$out"; } || echo "out:pmset" >>"$r"
	fi
	awk -v f="$free" -v t="$total" '$NF == "/" { if ($4 * 1024 == f && $2 * 1024 == t) ok = 1 } END { exit !ok }' <<<"$out" ||
		echo "out:df" >>"$r"
	pssh "$ip" 'echo pw-ok' 2>/dev/null | grep -qx pw-ok || echo "password" >>"$r"

	out=$(sed -n '/^@@2$/,/^@@3$/p' <<<"$all" | sed '1d;$d')
	want=$(jq -r '.hostname, .computer_name, .model, .memory_bytes, .arch, .os_build, (.console_user // "root")' <<<"$rec")
	[ "$(head -7 <<<"$out")" = "$want" ] || echo "fake:ids" >>"$r"
	boot=$(sed -n 8p <<<"$out" | sed -n 's/^{ sec = \([0-9]*\), usec = [0-9]* } [A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\} [0-9]\{4\}$/\1/p')
	[ "$boot" = "$(jq -r .lab_boot_time <<<"$rec")" ] || echo "fake:boottime" >>"$r"
	[ "$(sed -n 9p <<<"$out")" = "$(jq -r .serial <<<"$rec")" ] || echo "fake:serial" >>"$r"
	[ "$(sed -n 10p <<<"$out")" = "$(jq -r .disk_available_bytes <<<"$rec")" ] || echo "fake:jxa" >>"$r"
	if [ "$(jq -r .battery_present <<<"$rec")" = true ]; then
		io=$(sed -n '/^@@3$/,$p' <<<"$all")
		raw=$(sed -n 's/^      "AppleRawMaxCapacity" = //p' <<<"$io")
		des=$(sed -n 's/^      "DesignCapacity" = //p' <<<"$io")
		cyc=$(sed -n 's/^      "CycleCount" = //p' <<<"$io")
		if [ -n "$raw" ] && [ -n "$des" ] && [ "$des" -gt 0 ] &&
			[ "$((raw * 100 / des))" = "$(jq -r .battery_health_percent <<<"$rec")" ] &&
			[ "$((raw * 100 % des))" = 0 ]; then :; else echo "fake:health" >>"$r"; fi
		[ "$cyc" = "$(jq -r .battery_cycles <<<"$rec")" ] || echo "fake:cycles" >>"$r"
		grep -qx "          Condition: $(jq -r .battery_condition <<<"$rec")" <<<"$io" || echo "fake:condition" >>"$r"
	fi
}
# posture_checks IP: the posture fakes print the profile's values, in
# the wordings the probe reads, and the session has the Mac's UTC offset.
posture_checks() {
	local ip=$1 rec out want r=$TMP/res.$1
	rec=$(jq -c --arg ip "$ip" 'select(.ip == $ip)' "$TMP/expect.ndjson")
	out=$(kssh "$ip" 'fdesetup status | head -n 1; csrutil status | head -n 1
		spctl --status; /usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate
		diskutil info disk0 | sed -n "s/^ *SMART Status: *//p"
		sysctl -n kern.memorystatus_vm_pressure_level
		networksetup -listallhardwareports | sed -n "s/^Ethernet Address: //p" | head -n 1
		date +%z' 2>/dev/null) || { echo "posture:ssh" >>"$r"; return 0; }
	want=$(jq -r '
		(if .filevault == "on" or .filevault == "encrypting" then "FileVault is On." else "FileVault is Off." end),
		({"enabled": "System Integrity Protection status: enabled.",
		  "disabled": "System Integrity Protection status: disabled.",
		  "custom": "System Integrity Protection status: unknown (Custom Configuration)."}[.sip]),
		"assessments \(.gatekeeper)",
		(.firewall as $f | {"off": "(State = 0)", "on": "(State = 1)", "block_all": "(State = 2)"}[$f]),
		({"verified": "Verified", "failing": "Failing", "not_supported": "Not Supported"}[.disk_smart]),
		({"normal": "1", "warn": "2", "critical": "4"}[.memory_pressure])' <<<"$rec")
	[ "$(sed -n '1,3p;5,6p' <<<"$out")" = "$(sed -n '1,3p;5,6p' <<<"$want")" ] || echo "posture:values" >>"$r"
	case $(sed -n 4p <<<"$out") in *"$(sed -n 4p <<<"$want")") ;; *) echo "posture:firewall" >>"$r" ;; esac
	[ "$(jq -r '.hw_macs[0]' <<<"$rec")" = "$(sed -n 7p <<<"$out")" ] || echo "posture:ports" >>"$r"
	[ "$(sed -n 8p <<<"$out")" = "$(TZ=$(awk -F= '$1 == "TIMEZONE" { v = $2 } END { print v }' \
		"$STATE/hosts/$(jq -r .lab_id <<<"$rec")/host.env") date +%z)" ] || echo "posture:tz" >>"$r"
}
for ip in $MACS; do { mac_checks "$ip"; posture_checks "$ip"; } & done
wait
fails() { # fails PATTERN: "ip:what ..." for the result lines matching PATTERN
	local ip f l
	for ip in $MACS; do
		f=$TMP/res.$ip
		[ -f "$f" ] || { printf ' %s:no-result' "$ip"; continue; }
		while read -r l; do
			case $l in $1) printf ' %s:%s' "$ip" "$l" ;; esac
		done <"$f"
	done
}
keyfail=$(fails key)
outfail=$(fails 'out:*')
pwfail=$(fails password)
fakefail=$(fails 'fake:*')
posturefail=$(fails 'posture:*')
check "fdesetup, csrutil, spctl, socketfilterfw, diskutil, sysctl, networksetup and the session's date print each profile's posture${posturefail:+ (wrong:$posturefail)}" test -z "$posturefail"
check "ssh by key into all 16 Macs${keyfail:+ (failed:$keyfail)}" test -z "$keyfail"
check "sw_vers, pmset -g batt, df -k / print each profile's values${outfail:+ (wrong:$outfail)}" test -z "$outfail"
check "ssh by password (SSH_ASKPASS) into all 16 Macs${pwfail:+ (failed:$pwfail)}" test -z "$pwfail"

badpass_ip=$(awk -F'\t' '$4 == "badpass" {print $1}' "$TMP/hosts.tsv")
if pssh "$badpass_ip" true >/dev/null 2>&1; then nok "badpass: password refused"; else ok "badpass: password refused"; fi
if kssh "$badpass_ip" true >/dev/null 2>&1; then nok "badpass: key refused"; else ok "badpass: key refused"; fi

linux_ip=$(awk -F'\t' '$4 == "linux" {print $1}' "$TMP/hosts.tsv")
check "Linux host: uname says Linux" test "$(kssh "$linux_ip" uname -s 2>/dev/null)" = Linux

garbage_ip=$(awk -F'\t' '$4 == "garbage" {print $1}' "$TMP/hosts.tsv")
gsize=$(kssh "$garbage_ip" 'sw_vers | wc -c; pmset -g batt | wc -c' 2>/dev/null | tr '\n' ' ')
check "garbage host: sw_vers prints 5 MB, pmset 1 MiB of binary ($gsize)" \
	test "$gsize" = "5242918 1048576 "

tarpit_ip=$(awk -F'\t' '$4 == "tarpit" {print $1}' "$TMP/hosts.tsv")
tp=$(lab exec timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/22" || exit 9; if read -t 2 -r l <&3; then echo "banner $l"; else echo silent; fi' "$tarpit_ip" 2>&1 || true)
check "tarpit accepts TCP on 22 and sends no banner within 2 s ($tp)" test "$tp" = silent
held=$(lab exec timeout 20 bash -c 'n=0; for i in $(seq 100); do exec {fd}<>"/dev/tcp/$0/22" && n=$((n + 1)); done; sleep 0.5; echo $n' "$tarpit_ip" 2>/dev/null || true)
check "tarpit holds 100 connections at once ($held)" test "$held" = 100
nossh_ip=$(awk -F'\t' '$4 == "nossh" {print $1}' "$TMP/hosts.tsv")
check "SSH-closed host: port 22 refused" \
	bash -c '! "$0" exec timeout 3 bash -c "exec 3<>/dev/tcp/$1/22" 2>/dev/null' "$MACLAB" "$nossh_ip"

# --------------------------------------------------- the fakes, against expect
elodie=$(jq -r 'select(.console_user == "élodie") | .ip' "$TMP/expect.ndjson")
msg=$(printf 'Rangez vos bureaux ! $(touch /tmp/pwned) `id` "double" '\''single'\'' \\back\\slash\nsecond line: élodie 🧹 ; rm -rf / &')
# The message goes as data on stdin; the remote shell passes it as one argument.
lab exec ssh "${SSHO[@]}" -i "$SSH_KEY" -o BatchMode=yes "$SSH_USERNAME@$elodie" \
	'm=$(cat); launchctl asuser 501 sudo -u élodie osascript -e "$m"; echo rc=$?' <<<"$msg" >"$TMP/osa.out" 2>&1 || true
check "osascript via launchctl asuser + sudo -u prints nothing, exits 0" test "$(cat "$TMP/osa.out")" = rc=0
lab log "$elodie" >"$TMP/log.ndjson"
logged=$(jq -rj 'select(.prog == "osascript" and .argv[0] == "-e") | .argv[1]' "$TMP/log.ndjson"; printf x)
check "osascript call logged byte for byte (\$(...), quotes, backslash, newline, UTF-8)" \
	test "${logged%x}" = "$msg"
check "osascript call logged as user élodie, uid 501" \
	test "$(jq -r 'select(.prog == "osascript" and .argv[0] == "-e") | "\(.user) \(.uid)"' "$TMP/log.ndjson")" = "élodie 501"
check "launchctl and sudo calls logged too (argv)" \
	test "$(jq -r 'select(.prog != "osascript" or .argv[0] == "-e") | .prog' "$TMP/log.ndjson" | tr '\n' ' ')" = "launchctl sudo osascript "

check "no \$(...) ran on the Mac" "$MACLAB" hostexec "$elodie" sh -c 'test ! -e /tmp/pwned'


check "hostname, scutil, sysctl, uname, stat, kern.boottime, serial, JXA, ioreg health, cycles, condition match expect${fakefail:+ (wrong:$fakefail)}" test -z "$fakefail"

up_m1max=$(jq -r 'select(.lab_profile == "mbp16-m1max-notcharging") | .ip' "$TMP/expect.ndjson")
check "Apple silicon battery: ioreg MaxCapacity reads 100" \
	test "$(kssh "$up_m1max" 'ioreg -rc AppleSmartBattery' | sed -n 's/^      "MaxCapacity" = //p')" = 100
ups_ip=$(jq -r 'select(.lab_profile == "mini-m2-ups") | .ip' "$TMP/expect.ndjson")
check "UPS desktop: pmset says 'UPS Power' and lists the UPS" \
	test "$(kssh "$ups_ip" 'pmset -g batt' | cut -c1-40)" = "$(printf "Now drawing from 'UPS Power'\n -Back-UPS ES 700G (id=3080195)\t87%%; dis")"
cat_ip=$(jq -r 'select(.os_version == "10.15.7") | .ip' "$TMP/expect.ndjson")
check "Catalina: sw_vers says 'Mac OS X' with single tabs" \
	test "$(kssh "$cat_ip" sw_vers)" = "$(printf 'ProductName:\tMac OS X\nProductVersion:\t10.15.7\nBuildVersion:\t19H2026')"
bash_ip=$(jq -r 'select(.lab_profile == "mbp13-intel-bigsur-bash") | .ip' "$TMP/expect.ndjson")
check "login shells: zsh on the Macs, bash on one" \
	test "$(kssh "$first_ip" 'echo $0') $(kssh "$bash_ip" 'echo $0')" = "zsh bash"

# ------------------------------------------------------------ idempotent up
hk_ip=$(awk -F'\t' '$4 == "hostkey" {print $1}' "$TMP/hosts.tsv")
hk_id=$(jq -r 'select(.lab_kind == "hostkey") | .lab_id' "$TMP/expect.ndjson")
snapshot() { # pids and host keys of every host but the host-key one, namespaces, hosts
	local d
	for d in "$STATE"/hosts/h*; do
		[ "${d##*/}" = "$hk_id" ] && continue
		cat "$d/sshd.pid" "$d/tarpit.pid" "$d/ssh_host_ed25519_key.pub" 2>/dev/null || true
	done
	ip netns list | awk '{print $1}' | grep -E "^$MACLAB_NAME-" | sort
	lab hosts
	lab expect | jq -c 'del(.lab_boot_time)'
	lab expect | jq -r .lab_boot_time
}
hostkey_of() { lab exec ssh-keyscan -T 3 -t ed25519 "$1" 2>/dev/null | awk '{print $3}'; }
snapshot >"$TMP/snap1"
k1=$(hostkey_of "$hk_ip")
t0=$(now_ms)
t1=$((t0 + 999999))
if lab up >"$TMP/up2.log" 2>&1; then
	t1=$(now_ms)
	ok "second up succeeds in $(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100)) s"
else
	nok "second up"
fi

# Order of magnitude rather than speed: a second up rebuilds nothing, so
# it stays well inside the first up's budget even on a loaded machine.
check "second up rebuilds nothing (within 60 s)" [ $((t1 - t0)) -lt 60000 ]
snapshot >"$TMP/snap2"
check "second up changes nothing (pids, host keys, namespaces, hosts, expect)" cmp -s "$TMP/snap1" "$TMP/snap2"
k2=$(hostkey_of "$hk_ip")
check "host-key host: a new key after the second up" test -n "$k1" -a -n "$k2" -a "$k1" != "$k2"
check "status: every host up" bash -c '"$0" status >/dev/null' "$MACLAB"

# ------------------------------------------------------------ a second lab at once
printf 'prefix 24\n198.18.0.10 mini-intel-catalina\n198.18.0.11 -\n' >"$TMP/two.set"
MACLAB_NAME=$NAME2 "$MACLAB" up "$TMP/two.set" >/dev/null 2>&1 && ok "a second lab ($NAME2) up beside the first" || nok "second lab up"
v1=$(kssh "$first_ip" 'sw_vers -productVersion' 2>/dev/null)
v2=$(MACLAB_NAME=$NAME2 "$MACLAB" exec ssh "${SSHO[@]}" -i "/run/$NAME2/client/id_ed25519" -o BatchMode=yes "macadmin@198.18.0.10" 'sw_vers -productVersion' </dev/null 2>/dev/null)
check "same address, two labs, two Macs ($v1 / $v2)" test "$v1 $v2" = "14.4.1 10.15.7"

# A crash: the second lab loses its state dir; down must still clean it.
rm -rf "/run/$NAME2"
MACLAB_NAME=$NAME2 "$MACLAB" down >/dev/null 2>&1 || true
left2=$(ip netns list | awk '{print $1}' | grep -cE "^$NAME2-" || true)
procs2=$(grep -l -a -E "/run/${NAME2}[/]" /proc/[0-9]*/cmdline 2>/dev/null | wc -l || true)
check "down after a crash (state dir gone): no namespace ($left2), no process ($procs2)" test "$left2:$procs2" = 0:0

# ------------------------------------------------------------ down, up, down
lab down >/dev/null 2>&1 && ok "down" || nok "down"
lab up >/dev/null 2>&1 && ok "up again after down" || nok "up again"
k3=$(hostkey_of "$hk_ip")
check "host-key host: key changed across down + up" test -n "$k3" -a "$k3" != "$k2"
check "after down + up: ssh by key still works" test "$(kssh "$first_ip" 'sw_vers -productVersion' 2>/dev/null)" = 14.4.1
lab down >/dev/null 2>&1 && ok "final down" || nok "final down"
left=$(ip netns list | awk '{print $1}' | grep -cE "^$MACLAB_NAME-" || true)
check "down leaves no namespace ($left)" test "$left" = 0
procs=$(grep -l -a -E "${STATE}[/]" /proc/[0-9]*/cmdline 2>/dev/null | wc -l || true)

check "down leaves no process ($procs)" test "$procs" = 0
check "down leaves no /run state" test ! -e "$STATE" -a ! -e "/run/$MACLAB_NAME.lock"
check "down leaves no link" no_root_links
check "status says down" test "$(lab status)" = "maclab '$MACLAB_NAME': down"

finish
