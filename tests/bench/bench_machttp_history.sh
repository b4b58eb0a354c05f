#!/bin/sh
# bench_machttp_history.sh - machttp's page of one Mac, /machines/<id>,
# on a store of 2,000 Macs with two years of history in the shape the
# compaction leaves it (every 10 minutes for 2 days, one an hour to 30
# days, one a day to 2 years: 1,660 entries a Mac, 3.3 million lines).
# Measures, for the machttp under test and, when MACHTTP_BEFORE names
# another build, for that one too:
#   - the first /machines/<id> (the store's history index is built) and
#     the median and 90th percentile of BENCH_PAGES more (default 100;
#     20 for MACHTTP_BEFORE, as slow as it may be), on random Macs;
#   - /healthz latency (median, p90 of 100) idle, and while wrk keeps 4
#     connections busy on /machines/<random id> (the event loop is shared:
#     a slow page makes every request wait);
#   - machttp's peak memory before and after (the index's cost).
# Prints the ratios under load / idle, and after / before. The history is
# made here, as compaction leaves it, rather than by two years of scans.
#
# BENCH_MACHINES (default 2000), BENCH_DAYS (default 730), BENCH_SECONDS
# (default 10: the load's duration), BENCH_PAGES (default 100),
# MACHTTP_BEFORE (a machttp binary to compare with). Needs wrk, curl, jq,
# awk: tests/bench/DEPS.
. "$(dirname "$0")/../setup.sh"

n=${BENCH_MACHINES:-2000}
days=${BENCH_DAYS:-730}
secs=${BENCH_SECONDS:-10}
chmod 755 "$T"
umask 022
export MACSCAN_CONF="$T/none.conf"
unset MACHTTP_USER MACHTTP_PASSWORD MACHTTP_PASSWORD_FILE MACHTTP_TOKEN \
    MACHTTP_TOKEN_FILE GATEWAY_INTERFACE 2>/dev/null || true
for c in wrk curl jq awk macstore machttp; do
	command -v "$c" > /dev/null || { echo "bench_machttp_history: $c not found" >&2; exit 1; }
done

S=$T/store
mkdir -p "$S/snapshots"
now=$(date -u +%s)
now=$((now - now % 600))
# The history, oldest first, as scans append it and compaction keeps it.
awk -v n="$n" -v days="$days" -v now="$now" '
# RFC 3339 UTC of seconds since the epoch (any awk: no strftime).
function rfc3339(s,    d, r, y, m, doe, yoe, doy, mp) {
	d = int(s / 86400); r = s - d * 86400
	d += 719468; era = int(d / 146097); doe = d - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153); dd = doy - int((153 * mp + 2) / 5) + 1
	m = mp < 10 ? mp + 3 : mp - 9; if (m <= 2) y++
	return sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, dd,
	    int(r / 3600), int(r % 3600 / 60), r % 60)
}
BEGIN {
	c = 0
	for (a = days * 86400; a > 30 * 86400; a -= 86400) t[c++] = now - a
	for (a = 30 * 86400; a > 2 * 86400; a -= 3600) t[c++] = now - a
	for (a = 2 * 86400; a > 0; a -= 600) t[c++] = now - a
	print "{\"macscan_history\":1,\"compacted_bytes\":0}"
	for (k = 0; k < c; k++) {
		ts = rfc3339(t[k])
		for (i = 0; i < n; i++)
			printf("{\"t\":\"%s\",\"id\":\"C02H%06d\",\"disk_free_bytes\":%d,\"disk_total_bytes\":494384795648,\"battery_percent\":%d,\"battery_health_percent\":%d,\"online\":true}\n",
			    ts, i, 100000000000 + ((i * 7919 + k * 104729) % 300000) * 1000000, (i + k) % 101, 80 + i % 20)
	}
	print c > "/dev/stderr"
}' > "$S/history.ndjson" 2> "$T/steps"
# The header says the file was just compacted, so the next add does not
# compact it.
sz=$(wc -c < "$S/history.ndjson")
sed -i "1s/.*/{\"macscan_history\":1,\"compacted_bytes\":$sz}/" "$S/history.ndjson"
entries=$(cat "$T/steps")
jq -cn --argjson n "$n" 'range($n) | {serial: ("C02H" + ("00000" + tostring | .[-6:])),
    ip: "10.\(. / 250 | floor + 1).\(. % 250 + 1).2", probe: "ok",
    computer_name: "Mac \(.)", disk_total_bytes: 494384795648,
    disk_free_bytes: 100000000000}' |
    macstore -q -d "$S" -T "$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)" add
chmod -R a+rX "$S"
lines=$(wc -l < "$S/history.ndjson")
mb=$(($(wc -c < "$S/history.ndjson") / 1000000))
echo "bench_machttp_history: $n Macs, $entries history entries each, $lines lines, $mb MB"

cat > "$T/ids.lua" <<EOF
request = function()
	return wrk.format("GET", string.format("/machines/C02H%06d", math.random(0, $n - 1)))
end
EOF

# measure NAME BINARY: the figures of one machttp, into $T/NAME.*
measure() {
	"$2" -v -l 127.0.0.1:0 -d "$S" -s "$T" 2> "$T/$1.log" &
	pid=$!
	port=$(listen_port "$T/$1.log" "$pid")
	if [ -z "$port" ]; then
		fail "$1: machttp starts"
		sed 's/^/     | /' "$T/$1.log" | head -n 5
		kill "$pid" 2>/dev/null
		finish
		exit 1
	fi
	u=http://127.0.0.1:$port
	curl -fsS -o /dev/null "$u/machines"
	kb0=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	first=$(curl -fsS -o "$T/$1.first" -w '%{time_total}' "$u/machines/C02H000042")
	: > "$T/$1.page"
	for i in $(seq "$3"); do
		curl -fsS -o /dev/null -w '%{time_total}\n' \
		    "$u/machines/$(printf 'C02H%06d' $(( (i * 7919) % n )))" >> "$T/$1.page"
	done
	: > "$T/$1.idle"
	for i in $(seq 100); do
		curl -fsS -o /dev/null -w '%{time_total}\n' "$u/healthz" >> "$T/$1.idle"
	done
	wrk -t2 -c4 -d"${secs}s" -s "$T/ids.lua" "$u" > "$T/$1.wrk" 2>&1 &
	wpid=$!
	sleep 1
	: > "$T/$1.load"
	while kill -0 "$wpid" 2>/dev/null; do
		curl -fsS -o /dev/null -w '%{time_total}\n' "$u/healthz" >> "$T/$1.load" || break
	done
	wait "$wpid" || true
	kb1=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	echo "$kb0 $kb1" > "$T/$1.kb"
	echo "$first" > "$T/$1.t1"
}

# q FILE P: the P-th percentile (0-100) of a file of seconds, in ms
q() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int((NR - 1) * p / 100) + 1; printf "%.2f", v[i] * 1000 }'; }
rps() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }

report() {
	read -r kb0 kb1 < "$T/$1.kb"
	printf '%-10s first page %8.1f ms; page median %7s p90 %7s ms; /healthz idle %6s p90 %6s, under load %7s p90 %7s ms (%s pages/s); peak RSS %s -> %s KB\n' \
	    "$1" "$(awk -v t="$(cat "$T/$1.t1")" 'BEGIN { print t * 1000 }')" \
	    "$(q "$T/$1.page" 50)" "$(q "$T/$1.page" 90)" \
	    "$(q "$T/$1.idle" 50)" "$(q "$T/$1.idle" 90)" \
	    "$(q "$T/$1.load" 50)" "$(q "$T/$1.load" 90)" "$(rps "$T/$1.wrk")" \
	    "$kb0" "$kb1"
}

pages=${BENCH_PAGES:-100}
measure after "$(command -v machttp)" "$pages"
check_eq "the page holds the Mac and its whole history" "C02H000042 $((entries + 1))" \
    "$(jq -r '"\(.machine.id) \(.history | length)"' "$T/after.first")"
check "wrk got answers" grep -q 'Requests/sec' "$T/after.wrk"
report after
read -r kb0 kb1 < "$T/after.kb"
printf '  the index costs about %s bytes a Mac (peak RSS growth / %s Macs)\n' \
    "$(( (kb1 - kb0) * 1024 / n ))" "$n"
printf '  /healthz under load / idle: median %sx\n' \
    "$(awk -v a="$(q "$T/after.load" 50)" -v b="$(q "$T/after.idle" 50)" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 0.01) }')"
if [ -n "${MACHTTP_BEFORE:-}" ]; then
	measure before "$MACHTTP_BEFORE" $((pages < 20 ? pages : 20))
	report before
	for k in page load; do
		printf '  %s median after / before: %sx\n' "$([ $k = page ] && echo '/machines/<id>' || echo '/healthz under load')" \
		    "$(awk -v a="$(q "$T/after.$k" 50)" -v b="$(q "$T/before.$k" 50)" 'BEGIN { printf "%.3f", a / b }')"
	done
fi
finish
