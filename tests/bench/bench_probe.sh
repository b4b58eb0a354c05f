#!/bin/sh
# bench_probe.sh - the probe itself on one simulated Mac, before and
# after: tests/bench/probe-v1.sh (the probe as it was: one command after
# the other, each with a sleep-loop watchdog and its output held in a
# shell variable) against share/probe.sh (more commands, four groups at
# once, one watchdog, outputs capped in files). For each, run inside the
# Mac's namespaces in a PID namespace of its own (so the last PID given
# there is the number of processes started):
#   - wall time, the median of BENCH_RUNS runs (default 9), on the lab's
#     fake macOS commands (shell scripts: they cost more than the real
#     ones, and start processes of their own);
#   - processes started, with those fakes;
#   - processes the probe itself starts, with every macOS command replaced
#     by true(1) (the watchdogs, subshells and helpers only).
# Prints the figures and the ratios after / before. Needs root (the lab).
. "$(dirname "$0")/../setup.sh"
need_root
export MACLAB_NAME=${MACLAB_PREFIX:-}probe1bench
lab=$top/tests/lab/maclab
runs=${BENCH_RUNS:-9}
lab_down() { "$lab" down > /dev/null 2>&1 || true; }
at_exit lab_down
if ! "$lab" up > "$T/up.log" 2>&1; then
	cat "$T/up.log"
	fail "maclab up"
	finish
fi
mac=$("$lab" hosts | awk -F'\t' '$4 == "mac" { print $1; exit }')
cp "$top/tests/bench/probe-v1.sh" "$T/before.sh"
cp "$top/share/probe.sh" "$T/after.sh"
# A PATH where every macOS command is true(1), the shell's helpers real.
mkdir -p "$T/null"
for c in uname hostname scutil sysctl date sw_vers pmset ioreg system_profiler \
    df osascript stat networksetup fdesetup csrutil spctl socketfilterfw \
    softwareupdate defaults tmutil diskutil profiles; do
	ln -s /bin/true "$T/null/$c"
done
for c in od mktemp cat rm mkdir sleep; do ln -s "$(command -v "$c")" "$T/null/$c"; done
chmod -R a+rX "$T"

# one SCRIPT [PATH]: "wall_ms processes" of one run in the Mac's
# namespaces, in a new PID namespace.
one() {
	"$lab" hostexec "$mac" unshare -pf --kill-child sh -c '
		t0=$(date +%s%N)
		MACSCAN_PROBE_PATH=$2 sh -s < "$1" > /dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000)) $(cat /proc/sys/kernel/ns_last_pid)
	' sh "$1" "${2:-}"
}
# The runs alternate, before and after, so that a change in the
# machine's load (other work on the same cores) weighs on both alike.
: > "$T/before.runs"
: > "$T/after.runs"
i=0
while [ "$i" -lt "$runs" ]; do
	one "$T/before.sh" >> "$T/before.runs"
	one "$T/after.sh" >> "$T/after.runs"
	i=$((i + 1))
done
med() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# NAME SCRIPT: median wall, processes with the fakes and with true(1).
# Not counted: the shell that runs the probe, and the measure's own
# processes (the outer sh, its two dates and its cat): 5.
summary() {
	w=$(cut -d' ' -f1 "$T/$1.runs" | med)
	p=$(cut -d' ' -f2 "$T/$1.runs" | med)
	q=$(one "$2" "$T/null" | cut -d' ' -f2)
	echo "$w $((p - 5)) $((q - 5))" > "$T/$1.m"
}
summary before "$T/before.sh"
summary after "$T/after.sh"
set -- $(cat "$T/before.m") $(cat "$T/after.m")
bw=$1 bp=$2 bq=$3 aw=$4 ap=$5 aq=$6
check "the probe after prints every section" sh -c \
    "\"$lab\" hostexec \"$mac\" sh -s < \"$T/after.sh\" | grep -q ':enrollment:'"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf '\n%-44s %10s %10s %8s\n' "one simulated Mac ($mac), median of $runs" before after ratio
printf '%-44s %10s %10s %7sx\n' "wall time, ms (lab fakes)" "$bw" "$aw" "$(ratio "$aw" "$bw")"
printf '%-44s %10s %10s %7sx\n' "processes started (with the fakes' own)" "$bp" "$ap" "$(ratio "$ap" "$bp")"
printf '%-44s %10s %10s %7sx\n' "processes the probe starts (commands: true)" "$bq" "$aq" "$(ratio "$aq" "$bq")"
printf '%-44s %10s %10s\n' "commands run" 16 27
awk -v r="$(ratio "$aw" "$bw")" 'BEGIN { exit !(r <= 1.0) }' &&
    pass "wall time no slower than before ($(ratio "$aw" "$bw")x)" ||
    fail "wall time no slower than before ($(ratio "$aw" "$bw")x)"
finish
