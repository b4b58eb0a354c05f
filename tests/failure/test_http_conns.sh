# test_http_conns.sh - machttp against 10,000 idle connections and a
# slowloris (tests/failure/conns.py on 127.0.0.1), RLIMIT_NOFILE raised to
# 20,000 for both sides. machttp runs with -c 10100 -t 8: while the
# 10,000 idle connections and 50 slowloris clients (one header byte a
# second, never ending the head) are held, curl must still get /healthz
# and /machines (200 within 2 s each); past the cap new connections get
# 503; the slowloris clients are answered 408 and cut by the header
# timeout although they keep sending; the idle ones are closed by it too;
# machttp's peak RSS is bounded and it stops cleanly on SIGTERM.
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need jq curl
ulimit -n 20000 2> /dev/null || { ulimit -Hn 20000 && ulimit -n 20000; } ||
    { fail "cannot raise RLIMIT_NOFILE to 20000"; finish; }
check_eq "RLIMIT_NOFILE raised" 20000 "$(ulimit -n)"
kb=$(mem_bound 150000)
to=8		# header timeout, seconds
cap=10100
nidle=10000
nslow=50

store=$T/store
mkrecs 200 | macstore -q -d "$store" add
macstore -d "$store" latest -a | jq -cS . > "$T/view"
port=$(free_port)
url=http://127.0.0.1:$port
machttp -q -c "$cap" -t "$to" -k 5 -d "$store" -s "$top/share/installers" \
    -l "127.0.0.1:$port" 2> "$T/httpd.err" &
hpid=$!
stop_httpd() { [ -z "$hpid" ] || kill "$hpid" 2>/dev/null; return 0; }
at_exit stop_httpd
cpids=""
stop_clients() { for p in $cpids; do kill "$p" 2>/dev/null; done; return 0; }
at_exit stop_clients
wait_for 10 curl -fsS "$url/healthz" || { fail "machttp starts"; finish; }

# timed PATH: "STATUS SECONDS", and the body in $T/body.
timed() {
	curl -sS -m 10 -o "$T/body" -w '%{http_code} %{time_total}\n' "$url$1" \
	    2>> "$T/curl.err" || echo "000 10"
}
# fast PATH N: N requests, each 200 within 2 s; prints the worst time.
fast() {
	worst=0 bad=""
	for _ in $(seq "$2"); do
		set -- "$1" "$2" $(timed "$1")
		[ "$3" = 200 ] || bad="$bad $3"
		awk -v t="$4" 'BEGIN { exit !(t < 2) }' || bad="$bad slow:$4"
		worst=$(awk -v a="$worst" -v b="$4" 'BEGIN { print (b > a ? b : a) }')
	done
	echo "$worst$bad"
}

# --- 10,000 idle connections, then 50 slowloris clients ----------------------
t0=$(now_ms)
"$PY" "$here/conns.py" idle --port "$port" --n "$nidle" --hold 25 \
    --ready "$T/idle.ready" --out "$T/idle.json" 2> "$T/idle.err" &
cpids="$cpids $!"
wait_for 20 test -f "$T/idle.ready" || { fail "10,000 connections opened"; finish; }
check_eq "10,000 idle connections open in $(($(now_ms) - t0)) ms" "$nidle" \
    "$(cat "$T/idle.ready")"
"$PY" "$here/conns.py" slowloris --port "$port" --n "$nslow" --hold 20 \
    --interval 1 --ready "$T/slow.ready" --out "$T/slow.json" \
    2> "$T/slow.err" &
cpids="$cpids $!"
wait_for 10 test -f "$T/slow.ready"
sleep 1
nfd=$(ls "/proc/$hpid/fd" | wc -l)
check "machttp holds them all ($nfd descriptors)" \
    test "$nfd" -ge $((nidle + nslow))

r=$(fast /healthz 5)
check_match "under 10,050 held connections: /healthz 200 within 2 s (worst $r s)" \
    '^[0-9.]+$' "$r"
r=$(fast /machines 5)
check_match "under 10,050 held connections: /machines 200 within 2 s (worst $r s)" \
    '^[0-9.]+$' "$r"
check_eq "/machines is the merged view" "$(cat "$T/view")" \
    "$(jq -cS . "$T/body")"

# Past the cap: 200 more connections, 150 of them beyond 10,100.
"$PY" "$here/conns.py" idle --port "$port" --n 200 --hold 3 \
    --out "$T/over.json" 2> "$T/over.err"
over=$(cat "$T/over.json")
echo "     | past the cap: $over"
n503=$(printf '%s' "$over" | jq '.statuses."503" // 0')
check "past the cap: new connections get 503 ($n503 of 200)" \
    test "$n503" -ge 100 -a "$n503" -le 200
check_eq "past the cap: nothing but 503 is answered" '["503"]' \
    "$(printf '%s' "$over" | jq -c '.statuses | keys')"
check_eq "past the cap: those answered are closed" "$n503" \
    "$(printf '%s' "$over" | jq '.closed_by_server')"
hwm=$(vmhwm "$hpid")
rss_below "machttp with 10,250 connections" "$kb" "${hwm:-0}"

# --- the header timeout cuts them all --------------------------------------
set +e; wait $cpids; set -e
cpids=""
idle=$(cat "$T/idle.json" 2>/dev/null || echo '{}')
slow=$(cat "$T/slow.json" 2>/dev/null || echo '{}')
echo "     | idle: $idle"
echo "     | slowloris: $slow"
check_eq "idle: all 10,000 closed by machttp" "$nidle" \
    "$(printf '%s' "$idle" | jq .closed_by_server)"
check "idle: closed by the header timeout ($to s): between $((to - 1)) and $((to + 3)) s" \
    awk -v a="$(printf '%s' "$idle" | jq .closed_after_min)" \
    -v b="$(printf '%s' "$idle" | jq .closed_after_max)" -v t="$to" \
    'BEGIN { exit !(a >= t - 1 && b <= t + 3) }'
check_eq "slowloris: every client answered 408" "{\"408\":$nslow}" \
    "$(printf '%s' "$slow" | jq -c .statuses)"
check_eq "slowloris: every client cut" "$nslow" \
    "$(printf '%s' "$slow" | jq .closed_by_server)"
check "slowloris: cut at the header timeout although it kept sending ($(printf '%s' "$slow" | jq .closed_after_max) s <= $((to + 2)) s)" \
    awk -v b="$(printf '%s' "$slow" | jq .closed_after_max)" -v t="$to" \
    'BEGIN { exit !(b <= t + 2) }'
check "slowloris: it did keep sending (over $((nslow * (to - 2))) header bytes)" \
    test "$(printf '%s' "$slow" | jq .header_bytes_sent)" -gt $((nslow * (to - 2)))

r=$(fast /healthz 3)
check_match "afterwards: /healthz 200 within 2 s" '^[0-9.]+$' "$r"
check "afterwards: machttp is back to a few descriptors" \
    test "$(ls "/proc/$hpid/fd" | wc -l)" -lt 50
hwm=$(vmhwm "$hpid")
rss_below "machttp, peak over the whole test" "$kb" "${hwm:-0}"
kill "$hpid"
set +e; wait "$hpid"; rc=$?; set -e
hpid=""
no_crash "machttp" "$rc" "$T/httpd.err"
check_eq "machttp exits 0 on SIGTERM" 0 "$rc"

finish
