# probe.sh - what macprobe runs on every Mac, as `/bin/sh -s`.
#
# Prints marked sections, one per command: a line @@macscan:NONCE:NAME@@
# and then the command's output (cmd/macprobe/macos.h lists them and parses them).
# Plain POSIX sh: it runs under /bin/sh of every macOS (bash 3.2 in POSIX
# mode, or dash), whatever the user's login shell.
#
# Every command reads /dev/null, has its stderr thrown away and is killed
# when it outlives its time; a command that is missing, fails or is killed
# gives an empty section. Nothing is written on the Mac.
#
# MACSCAN_PROBE_PATH replaces the PATH (the tests use it to run the probe
# against fake commands).

LC_ALL=C
LANG=C
PATH=${MACSCAN_PROBE_PATH:-/usr/bin:/bin:/usr/sbin:/sbin}
export LC_ALL LANG PATH
umask 077
# The shell's own messages (a killed job) are no business of macprobe.
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

sec() {
	printf '@@macscan:%s:%s@@\n' "$n" "$1"
}

# bounded SECONDS CMD [ARG...]: CMD, killed after SECONDS. The watchdog
# counts whole seconds rather than waiting on one long sleep: a shell
# cannot wait for "the first of two" children, and a trap that interrupts
# wait races with the signal. It is simply killed when CMD is done.
bounded() {
	_t=$1
	shift
	"$@" </dev/null 2>/dev/null &
	_p=$!
	(
		_i=0
		while [ "$_i" -lt "$_t" ]; do
			sleep 1
			_i=$((_i + 1))
		done
		kill -9 "$_p"
	) </dev/null >/dev/null 2>&1 &
	_w=$!
	wait "$_p"
	_r=$?
	kill "$_w"
	return "$_r"
}

# run SECONDS CMD [ARG...]: print CMD's output when it succeeds; the
# output is also left in $out.
run() {
	out=
	command -v "$2" >/dev/null 2>&1 || return 0
	out=$(bounded "$@") || out=
	[ -z "$out" ] || printf '%s\n' "$out"
	return 0
}

sec probe
echo 1

sec uname
run 5 uname -sm
case $out in
Darwin*|'') ;;
*)
	sec end
	exit 0
	;;
esac

sec hostname
run 5 hostname
sec computer_name
run 5 scutil --get ComputerName
sec hw_model
run 5 sysctl -n hw.model
sec hw_memsize
run 5 sysctl -n hw.memsize
sec boottime
run 5 sysctl -n kern.boottime
sec cpu_brand
run 5 sysctl -n machdep.cpu.brand_string
sec now
run 5 date +%s
sec sw_vers
run 5 sw_vers
sec pmset
run 10 pmset -g batt
batt=$out
sec ioreg
run 10 ioreg -rn AppleSmartBattery -w0
batt=$batt$out

# SPPowerDataType, for the battery's condition, only where there is a
# battery (pmset or ioreg saw it), and in the same run as
# SPHardwareDataType: system_profiler costs about a second per start.
sec system_profiler
case $batt in
*InternalBattery*|*AppleSmartBattery*)
	run 30 system_profiler SPHardwareDataType SPPowerDataType ;;
*)
	run 30 system_profiler SPHardwareDataType ;;
esac

# The data volume: /System/Volumes/Data from macOS 10.15, else /.
vol=/System/Volumes/Data
sec df
run 10 df -k "$vol"
if [ -z "$out" ]; then
	vol=/
	run 10 df -k "$vol"
fi

# What Finder calls available: free space plus what macOS can purge.
sec disk_available
run 15 osascript -l JavaScript -e '
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

sec console_user
run 5 stat -f%Su /dev/console
sec end
exit 0
