#!/bin/sh
# bench_macstore.sh - `macstore latest` against `jq -s` doing the same
# merge (the newest record of each id over the snapshots, with
# first_seen, last_seen and online) on 5 snapshots of 5,000 realistic
# machines: wall time (best of BENCH_ROUNDS) and peak memory (max RSS,
# /usr/bin/time -f %M) of each, and their ratios. Goals: >= 10x faster,
# <= 0.2x the memory. Also the wall time of `macstore add` of 5,000
# records. Both outputs are checked to be the same records.
#
# BENCH_MACHINES (default 5000), BENCH_SNAPSHOTS (default 5),
# BENCH_ROUNDS (default 5). Needs jq and time (tests/cli/DEPS).
. "$(dirname "$0")/../setup.sh"

n=${BENCH_MACHINES:-5000}
k=${BENCH_SNAPSHOTS:-5}
rounds=${BENCH_ROUNDS:-5}
export MACSCAN_CONF="$T/none.conf"
for c in jq macstore /usr/bin/time; do
	command -v "$c" > /dev/null || { echo "bench_macstore: $c not found" >&2; exit 1; }
done

# Scan number s of the fleet: about 3% of the Macs miss each scan, 1%
# appear only in the later ones, 5% change address (DHCP), 1 in 37
# refuses the probe (no serial: keyed by MAC).
scan() {
	awk -v snap="$1" -v n="$n" '
	function hex2(x) { return sprintf("%02x", x % 256) }
	BEGIN {
		split("MacBookPro18,3 MacBookPro18,1 Mac14,2 Mac14,7 Mac15,3 MacBookAir10,1 Macmini9,1 iMac21,1 Mac13,1 MacBookPro16,1", models, " ")
		split("MacBook Pro|MacBook Pro|MacBook Air|MacBook Pro|MacBook Pro|MacBook Air|Mac mini|iMac|Mac Studio|MacBook Pro", names, "|")
		split("Apple M1 Pro|Apple M1 Max|Apple M2|Apple M2|Apple M3|Apple M1|Apple M1|Apple M1|Apple M1 Max|Intel Core i9", chips, "|")
		split("14.4.1 14.5 13.6.7 15.0.1 12.7.5", vers, " ")
		split("23E224 23F79 22G720 24A348 21H1222", builds, " ")
		split("alice bob chloé david élodie farid gaëlle hugo inès jules", users, " ")
		for (i = 0; i < n; i++) {
			if ((i * 31 + snap * 17) % 33 == 0) continue
			if (i >= n - n / 100 && snap < 3) continue
			m = i % 10 + 1
			mac = sprintf("3c:22:fb:%s:%s:%s", hex2(int(i / 65536)), hex2(int(i / 256)), hex2(i))
			ip = sprintf("10.%d.%d.%d", 1 + int(i / 62500), int(i / 250) % 250, i % 250 + 2)
			if (i % 20 == 0) ip = sprintf("10.9.%d.%d", (snap * 13 + i) % 250, i % 250 + 2)
			u = users[i % 10 + 1]
			total = (m % 3 == 0 ? 994662584320 : 494384795648)
			free = int(total * (0.05 + ((i * 13 + snap) % 90) / 100.0))
			batt = (m == 7 || m == 8 || m == 9) ? 0 : 1
			if (i % 37 == 5) {
				printf("{\"ip\":\"%s\",\"mac\":\"%s\",\"vendor\":\"Apple\",\"rtt_ms\":%.2f,\"seen_by\":\"tcp\",\"probe\":\"auth_failed\",\"probe_error\":\"authentication failed for user admin\",\"scanned_at\":\"2026-11-24T1%d:00:00Z\"}\n", ip, mac, (i % 97) / 10.0, snap)
				continue
			}
			printf("{\"ip\":\"%s\",\"mac\":\"%s\",\"vendor\":\"Apple\",\"rtt_ms\":%.2f,\"seen_by\":\"icmp\",\"probe\":\"ok\",\"hostname\":\"mac-%s-%d.local\",\"computer_name\":\"Mac de %s %d\",\"serial\":\"C02%09d\",\"model\":\"%s\",\"model_name\":\"%s\",\"chip\":\"%s\",\"memory_bytes\":%.0f,\"os_name\":\"macOS\",\"os_version\":\"%s\",\"os_build\":\"%s\",\"arch\":\"%s\",\"disk_total_bytes\":%.0f,\"disk_free_bytes\":%.0f,\"disk_available_bytes\":%.0f,\"battery_present\":%s,",
			    ip, mac, (i % 97) / 10.0, u, i, u, i, i * 7 + 1000, models[m], names[m], chips[m], (m % 2 ? 17179869184 : 34359738368), vers[i % 5 + 1], builds[i % 5 + 1], (m == 10 ? "x86_64" : "arm64"), total, free, free + 20000000000, batt ? "true" : "false")
			if (batt)
				printf("\"battery_percent\":%d,\"battery_state\":\"%s\",\"ac_power\":%s,\"battery_cycles\":%d,\"battery_health_percent\":%d,\"battery_condition\":\"Normal\",",
				    (i * 7 + snap * 11) % 101, (i + snap) % 2 ? "charging" : "discharging", (i + snap) % 2 ? "true" : "false", i % 900, 80 + i % 21)
			else
				printf("\"ac_power\":true,")
			printf("\"uptime_s\":%d,\"console_user\":\"%s\",\"scanned_at\":\"2026-11-24T1%d:00:%02dZ\"}\n", 3600 * (i % 300) + snap * 600, u, snap, i % 60)
		}
	}'
}

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

S=$T/store
i=1
best_add=
while [ "$i" -le "$k" ]; do
	scan "$i" > "$T/scan$i"
	t0=$(date +%s%N)
	macstore -d "$S" -k "$k" -T "2026-11-24T1$((i - 1)):00:00Z" add < "$T/scan$i"
	a=$(ms "$t0")
	[ -z "$best_add" ] || [ "$a" -lt "$best_add" ] && best_add=$a
	i=$((i + 1))
done
files=$(macstore -d "$S" list | cut -f 1 | sed "s|^|$S/snapshots/|")
times=$(macstore -d "$S" list | cut -f 2 | jq -R . | jq -sc .)
bytes=$(cat $files | wc -c)
records=$(macstore -d "$S" list | awk '{ s += $3 } END { print s }')

# The same merge in jq: every snapshot slurped, grouped by id, the
# newest record of each with first_seen (the earliest of the records'
# first_seen and the snapshots' times), last_seen and online.
cat > "$T/merge.jq" <<'EOF'
($t | length) as $n
| [ to_entries[] | .key as $i | .value[] | {i: $i, r: .} ]
| group_by(.r.id)
| map( max_by(.i) as $new
    | ([ .[] | (.r.first_seen // $t[.i]) ] | min) as $first
    | $new.r + {first_seen: $first, last_seen: $t[$new.i], online: ($new.i == $n - 1)})
| .[]
EOF

# run NAME ROUNDS CMD...: the best wall time (ms) and CPU time (user +
# system, ms) over the rounds, and the largest peak RSS (KB); the output
# of the last round in $T/NAME.out. The best of several rounds, as other
# work on the machine only ever adds time.
run() {
	name=$1; n=$2; shift 2
	best= cpu= kb=0
	r=0
	while [ "$r" -lt "$n" ]; do
		t0=$(date +%s%N)
		/usr/bin/time -f '%M %U %S' -o "$T/$name.rss" "$@" > "$T/$name.out"
		d=$(ms "$t0")
		[ -z "$best" ] || [ "$d" -lt "$best" ] && best=$d
		read -r m u s < "$T/$name.rss"
		c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf("%d", (u + s) * 1000) }')
		[ -z "$cpu" ] || [ "$c" -lt "$cpu" ] && cpu=$c
		[ "$m" -gt "$kb" ] && kb=$m
		r=$((r + 1))
	done
	eval "${name}_ms=\$best ${name}_cpu=\$cpu ${name}_kb=\$kb"
}
# shellcheck disable=SC2086
run jq "$rounds" jq -s -c --argjson t "$times" -f "$T/merge.jq" $files
# macstore's runs are short: more of them for the same confidence.
run ms $((rounds * 3)) macstore -d "$S" latest

same=no
if [ "$(jq -c . "$T/ms.out" | md5sum)" = "$(jq -c . "$T/jq.out" | md5sum)" ]; then
	same=yes
fi
ids=$(wc -l < "$T/ms.out")
speed=$(awk -v a="$jq_ms" -v b="$ms_ms" 'BEGIN { printf("%.1f", a / (b > 0 ? b : 1)) }')
mem=$(awk -v a="$ms_kb" -v b="$jq_kb" 'BEGIN { printf("%.3f", a / b) }')
printf 'bench_macstore: %d snapshots, %d records, %d machines, %d bytes\n' \
    "$k" "$records" "$ids" "$bytes"
cpuspeed=$(awk -v a="$jq_cpu" -v b="$ms_cpu" 'BEGIN { printf("%.1f", a / (b > 0 ? b : 10)) }')
printf '                    wall ms   cpu ms   peak KB\n'
printf '  jq -s merge       %7d  %7d  %8d\n' "$jq_ms" "$jq_cpu" "$jq_kb"
printf '  macstore latest   %7d  %7d  %8d\n' "$ms_ms" "$ms_cpu" "$ms_kb"
printf '  speed: macstore is %sx faster (goal >= 10); in CPU time %sx\n' \
    "$speed" "$cpuspeed"
printf '  memory: macstore uses %sx of jq'"'"'s peak (goal <= 0.2)\n' "$mem"
printf '  same records as jq: %s\n' "$same"
printf '  macstore add of %d records: %d ms (best of %d)\n' \
    "$(wc -l < "$T/scan$k")" "$best_add" "$k"
ok=$(awk -v s="$speed" -v m="$mem" 'BEGIN { print (s >= 10 && m <= 0.2) ? 1 : 0 }')
[ "$same" = yes ] && [ "$ok" = 1 ]
