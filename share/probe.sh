# probe.sh - what macprobe runs on every Mac, as `/bin/sh -s`.
#
# Prints marked sections, one per command: a line @@macscan:NONCE:NAME@@,
# the command's output, then a line @@macscan:NONCE:NAME:EXIT:CAP@@ with
# its exit status ("-" when the command is not there) and its size cap in
# bytes. lib/macos.h lists the sections and parses them. Plain POSIX sh:
# it runs under /bin/sh of every macOS (bash 3.2 in POSIX mode, or dash),
# whatever the user's login shell. Nothing runs under sudo.
#
# Bounds. Every command reads /dev/null (nothing can wait for an answer,
# such as csrutil's "Pick a macOS installation (1..2): "), and writes
# into a file of a private temporary directory under `ulimit -f`, so a
# command that prints without end is stopped by SIGXFSZ at its cap on the
# Mac (exit 153) and never costs the shell any memory: no output is ever
# held in a shell variable. One watchdog, ticking once a second, kills
# (SIGKILL, exit 137) a command that outlives its time; it also ends the
# whole probe's leftovers if the shell dies. The sections run in four
# groups at once (the slow ones - system_profiler, softwareupdate,
# osascript, tmutil - in groups of their own); their files are printed in
# the sections' order at the end, and the directory is removed.
#
# MACSCAN_PROBE_PATH replaces the PATH (the tests use it to run the probe
# against fake commands).

LC_ALL=C
LANG=C
PATH=/usr/bin:/bin:/usr/sbin:/sbin:/usr/libexec/ApplicationFirewall
PATH=${MACSCAN_PROBE_PATH:-$PATH}
export LC_ALL LANG PATH
umask 077
# The shell's own messages (a killed job) are no business of macprobe.
# (Its stdin is the script itself: every command here reads /dev/null.)
exec 2>/dev/null

# A fresh nonce, so that no command output can forge a marker.
n=
if [ -r /dev/urandom ] && command -v od >/dev/null 2>&1; then
	# shellcheck disable=SC2046 # split the two words on purpose
	set -- $(od -An -N8 -tx4 /dev/urandom 2>/dev/null </dev/null)
	n=$1$2
fi
case $n in
''|*[!0-9a-fA-F]*) n=p$$ ;;
esac

printf '@@macscan:%s:probe@@\n2\n' "$n"
d=$(mktemp -d "${TMPDIR:-/tmp}/macscan.XXXXXX" </dev/null) || d=
if [ -z "$d" ] || ! mkdir "$d/s" </dev/null; then
	# Without a private directory nothing can be bounded on this side.
	printf '@@macscan:%s:end@@\n' "$n"
	exit 0
fi
trap 'rm -rf "$d"; exit 1' HUP INT TERM

# _run ERR GROUP NUM NAME SECONDS BLOCKS CMD [ARG...]: section NAME, the
# NUM-th of the probe, by CMD, in the files $d/s/NUMa (opening marker),
# NUMb (output, at most BLOCKS x 512 bytes) and NUMc (closing marker).
# ERR 1 keeps CMD's stderr (where it says why it cannot answer). GROUP
# names the file through which the watchdog sees CMD and its bound.
_run() {
	_e=$1 _g=$2 _f=$d/s/$3 _n=$4 _t=$5 _b=$6
	shift 6
	# A group goes no further once the probe's shell is gone.
	kill -0 "$$" 2>/dev/null || exit 0
	printf '@@macscan:%s:%s@@\n' "$n" "$_n" >"${_f}a"
	if ! command -v "$1" >/dev/null 2>&1; then
		printf '\n@@macscan:%s:%s:-:%s@@\n' "$n" "$_n" $((_b * 512)) \
		    >"${_f}c"
		return 0
	fi
	if [ "$_e" = 1 ]; then
		(ulimit -f "$_b"; exec "$@") </dev/null >"${_f}b" 2>&1 &
	else
		(ulimit -f "$_b"; exec "$@") </dev/null >"${_f}b" &
	fi
	_p=$!
	echo "$_p $_t" >"$d/$_g.run"
	wait "$_p"
	_r=$?
	: >"$d/$_g.run"
	printf '\n@@macscan:%s:%s:%s:%s@@\n' "$n" "$_n" "$_r" $((_b * 512)) \
	    >"${_f}c"
}
run() { _run 0 "$@"; }
run2() { _run 1 "$@"; }

# The watchdog: once a second, the command each group is running and its
# bound; a command first seen at tick T with bound S is killed at tick
# T + S (so after S to S + 1 seconds). It stops with the probe, and after
# 600 ticks whatever happens.
watchdog() {
	_i=0
	while [ "$_i" -lt 600 ] && kill -0 "$$" 2>/dev/null; do
		sleep 1
		_i=$((_i + 1))
		for _g in g0 g1 g2 g3; do
			_p='' _s='' _w=''
			read -r _p _s <"$d/$_g.run" 2>/dev/null
			case $_p in ''|*[!0-9]*) continue ;; esac
			case $_s in ''|*[!0-9]*) continue ;; esac
			eval "_w=\${w_$_g:-}"
			case $_w in
			"$_p":*) _dl=${_w#*:} ;;
			*) _dl=$((_i + _s)); eval "w_$_g=$_p:$_dl" ;;
			esac
			[ "$_i" -lt "$_dl" ] || kill -9 "$_p" 2>/dev/null
		done
	done
	# The shell was killed: nobody else will clean up.
	kill -0 "$$" 2>/dev/null || rm -rf "$d"
}
watchdog </dev/null >/dev/null 2>&1 &
wd=$!

run2 g0 02 uname 5 16 uname -sm
sys=
read -r sys _ <"$d/s/02b"
case $sys in
Darwin|'') ;;
*)
	printf '@@macscan:%s:end@@\n' "$n" >"$d/s/99a"
	kill "$wd"
	cat "$d"/s/* </dev/null
	rm -rf "$d"
	exit 0
	;;
esac

# The data volume: /System/Volumes/Data from macOS 10.15, else /.
vol=/System/Volumes/Data
[ -d "$vol" ] || vol=/

# Four groups of about equal length, the slow commands (system_profiler,
# softwareupdate, osascript, tmutil) each in its own. Group 1: the
# battery, then system_profiler (about a second per start;
# SPPowerDataType only where there is a battery, in the same run).
(
	run g1 09 ioreg 10 256 ioreg -rn AppleSmartBattery -w0
	if [ -s "$d/s/09b" ]; then
		run g1 10 system_profiler 30 256 system_profiler \
		    SPHardwareDataType SPPowerDataType
	else
		run g1 10 system_profiler 30 256 system_profiler \
		    SPHardwareDataType
	fi
	run g1 07 sw_vers 5 32 sw_vers
	run g1 08 pmset 10 32 pmset -g batt
	run g1 14 platform 10 256 ioreg -rd1 -c IOPlatformExpertDevice
) </dev/null &
g1=$!

# Group 2: what macOS knows of updates, without a network scan; SIP.
(
	run2 g2 21 updates 20 64 softwareupdate --list --no-scan
	run g2 22 updates_prefs 10 32 defaults read \
	    /Library/Preferences/com.apple.SoftwareUpdate
	x=/Library/Apple/System/Library/CoreServices/XProtect.bundle
	[ -d "$x" ] || x=/System/Library/CoreServices/XProtect.bundle
	run g2 23 xprotect 10 16 defaults read "$x/Contents/Info.plist" \
	    CFBundleShortVersionString
	run2 g2 27 enrollment 10 32 profiles status -type enrollment
	run2 g2 17 sip 5 32 csrutil status
	run2 g2 18 ssv 5 16 csrutil authenticated-root status
) </dev/null &
g2=$!

# Group 3: the data volume, Time Machine, the disk, the network ports.
(
	run g3 11 df 10 32 df -k "$vol"
	run g3 12 disk_available 15 16 osascript -l JavaScript -e '
function run(argv) {
	var k = "NSURLVolumeAvailableCapacityForImportantUsageKey";
	var u = $.NSURL.fileURLWithPath(argv[0]);
	var r = u.resourceValuesForKeysError([k], null);
	if (!r) return "";
	var v = r.objectForKey(k);
	if (!v) return "";
	var x = ObjC.unwrap(v);
	return (typeof x === "number" && isFinite(x) && x >= 0) ?
	    Math.floor(x).toFixed(0) : "";
}' "$vol"
	run2 g3 24 tm_destinations 10 32 tmutil destinationinfo
	run2 g3 25 tm_latest 10 32 tmutil latestbackup
	run g3 26 smart 10 64 diskutil info disk0
	run g3 15 ports 10 32 networksetup -listallhardwareports
) </dev/null &
g3=$!

# The quick ones, here.
run g0 03 hostname 5 16 hostname
run g0 04 computer_name 5 16 scutil --get ComputerName
run g0 05 sysctl 5 32 sysctl hw.model hw.memsize kern.boottime \
    machdep.cpu.brand_string kern.memorystatus_vm_pressure_level
run g0 06 now 5 16 date '+%s %z'
run g0 13 console_user 5 16 stat -f%Su /dev/console
run2 g0 16 filevault 10 16 fdesetup status
run2 g0 19 gatekeeper 5 16 spctl --status
run2 g0 20 firewall 5 16 socketfilterfw --getglobalstate

wait "$g1" "$g2" "$g3"
kill "$wd"
printf '@@macscan:%s:end@@\n' "$n" >"$d/s/99a"
cat "$d"/s/* </dev/null
rm -rf "$d"
exit 0
