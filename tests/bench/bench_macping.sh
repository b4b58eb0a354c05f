#!/bin/sh
# tests/bench/bench_macping.sh - macping beside fping and nmap on the same
# sweep of the lab set "sweep" (BENCH_SET): a /24 of about 40 live Macs, a stealth Mac that ignores ping,
# addresses with nobody behind them), with the same timeout and retries:
#
#   macping -t T -R R                    ICMP + TCP/22 + neighbour table
#   fping -a -g -t T -r R                default interval (10 ms)
#   fping -a -g -t T -r R -i 1           its fastest interval
#   nmap -sn --max-retries R --max-rtt-timeout T          (ARP ping on a LAN)
#   nmap -sn -T5 --max-retries R --max-rtt-timeout T
#
# Each runs BENCH_RUNS times (default 3) from a cold neighbour table; the
# median wall time is kept. The floor is what any sweep that waits for
# its timeouts needs: (R + 1) x T plus the time to send the first round
# at macping's rate. Goals: macping finds every live host (the stealth Mac
# too), within 15% of the floor, faster than fping's and nmap's fastest
# settings, and at most half of fping's default time.
. "$(dirname "$0")/../setup.sh"
need_root

export MACLAB_NAME=${MACLAB_PREFIX:-}pingbench
lab=$top/tests/lab/maclab
mp=$O/bin/macping
net=198.18.0.0/24
timeout_ms=${BENCH_TIMEOUT:-500}
retries=${BENCH_RETRIES:-1}
runs=${BENCH_RUNS:-3}
rate=2000		# macping's default, packets per second

for t in fping nmap; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "bench_macping: $t is missing (tests/bench/DEPS)" >&2
		exit 1
	}
done
[ -x "$mp" ] || { echo "bench_macping: build $mp first" >&2; exit 1; }

lab_down() { "$lab" down >/dev/null 2>&1 || true; }
at_exit lab_down
"$lab" up "${BENCH_SET:-sweep}" >"$T/up.log" 2>&1 || { cat "$T/up.log" >&2; exit 1; }
"$lab" hosts >"$T/hosts"
# Live: every address with a KIND, and the scanner itself (198.18.0.1).
live=$(awk -F'\t' '$4 != ""' "$T/hosts" | wc -l)
live=$((live + 1))
stealth=$(awk -F'\t' '$4 == "stealth" { print $1; exit }' "$T/hosts")
addrs=254

# time_ms NAME CMD...: median wall time of CMD in the lab, in ms; the hosts
# it found (198.18.0.x addresses in its output) go to $T/NAME.found.
time_ms() {
	name=$1; shift
	: >"$T/$name.times"
	i=0
	while [ "$i" -lt "$runs" ]; do
		"$lab" exec ip neigh flush all >/dev/null 2>&1 || true
		t0=$(date +%s%N)
		"$lab" exec "$@" </dev/null >"$T/$name.out" 2>/dev/null || true
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000)) >>"$T/$name.times"
		i=$((i + 1))
	done
	grep -oE '198\.18\.0\.[0-9]+' "$T/$name.out" | sort -u >"$T/$name.found"
	sort -n "$T/$name.times" | sed -n "$(((runs + 1) / 2))p"
}

m_mp=$(time_ms macping "$mp" -q -t "$timeout_ms" -R "$retries" "$net")
m_fd=$(time_ms fping fping -a -q -g "$net" -t "$timeout_ms" -r "$retries")
m_f1=$(time_ms fping_i1 fping -a -q -g "$net" -t "$timeout_ms" -r "$retries" -i 1)
m_nm=$(time_ms nmap nmap -sn -n --max-retries "$retries" \
    --max-rtt-timeout "${timeout_ms}ms" "$net")
m_n5=$(time_ms nmap_t5 nmap -sn -n -T5 --max-retries "$retries" \
    --max-rtt-timeout "${timeout_ms}ms" "$net")

# The floor: (R + 1) timeouts, plus the first round (an echo and a
# connection request per address) at macping's rate.
send_ms=$((addrs * 2 * 1000 / rate))
floor=$(((retries + 1) * timeout_ms + send_ms))

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
found() { wc -l <"$T/$1.found" | tr -d ' '; }
has_stealth() { grep -qx "$stealth" "$T/$1.found" && echo yes || echo no; }

echo "sweep of $net: $addrs addresses, $live live (1 stealth), timeout ${timeout_ms} ms, retries $retries, median of $runs"
echo "floor: ($retries + 1) x $timeout_ms ms + $send_ms ms to send = $floor ms"
printf '%-34s %8s %6s %8s %9s %11s\n' tool wall_ms found stealth "x floor" "macping/it"
row() {
	printf '%-34s %8s %6s %8s %9s %11s\n' "$1" "$2" "$(found "$3")" \
	    "$(has_stealth "$3")" "$(ratio "$2" "$floor")" "$(ratio "$m_mp" "$2")"
}
row "macping" "$m_mp" macping
row "fping -a -g (default -i 10)" "$m_fd" fping
row "fping -a -g -i 1" "$m_f1" fping_i1
row "nmap -sn" "$m_nm" nmap
row "nmap -sn -T5" "$m_n5" nmap_t5

fastest=$m_f1
for v in $m_fd $m_nm $m_n5; do [ "$v" -lt "$fastest" ] && fastest=$v; done
goal() { if eval "$2"; then echo "goal met:    $1"; else echo "goal MISSED: $1"; fi; }
goal "macping finds every live host, stealth included ($(found macping)/$live)" \
    '[ "$(found macping)" -eq "$live" ] && [ "$(has_stealth macping)" = yes ]'
goal "macping within 15% of the floor ($(ratio "$m_mp" "$floor") x)" \
    '[ $((m_mp * 100)) -le $((floor * 115)) ]'
goal "macping below the fastest other ($m_mp < $fastest ms)" \
    '[ "$m_mp" -lt "$fastest" ]'
goal "macping at most half of fping's default ($(ratio "$m_mp" "$m_fd") x)" \
    '[ $((m_mp * 2)) -le "$m_fd" ]'

# Only what macping finds is a pass or a failure; times depend on the
# machine and are for reading.
check_eq "macping: every live host" "$live" "$(found macping)"
check_eq "macping: the stealth Mac" yes "$(has_stealth macping)"
finish
