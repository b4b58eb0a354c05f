# test_kill_machttp.sh - SIGKILL of machttp under load (8 keep-alive
# clients of tests/failure/conns.py asking for /machines, /metrics, the
# dashboard and /healthz), then a restart on the same port at once: it
# must listen again (no "address in use"), serve the same /machines,
# /metrics and ETag as before, never answer 5xx, and the store, which it
# only reads, must be as it was. Peak RSS under load is bounded.
# Order, not time, is checked: the load runs until the restarted server
# has answered it (its request log says so), then it is stopped; the
# deadlines (60 s) only end a broken run.
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need jq curl
kb=$(mem_bound 60000)

store=$T/store
for d in 1 2; do
	mkrecs 300 | macstore -q -d "$store" -T "2026-11-2${d}T10:00:00Z" add
done
store_state "$store" "$T/before.state"
port=$(free_port)
url=http://127.0.0.1:$port

hpid=""
start_httpd() {
	machttp -v -d "$store" -s "$top/share/installers" -l "127.0.0.1:$port" \
	    2> "$T/httpd.$1.err" &
	hpid=$!
	wait_for 60 curl -fsS "$url/healthz"
}
# The lines of a server's log that are neither its start nor a request.
complaints() { grep -v 'listening on \|running as \|event loop: \|" [0-9][0-9][0-9] [0-9]* \|rendered in ' "$T/httpd.$1.err" || true; }
# answered_load N: the restarted server answered N of the load's requests.
answered_load() { test "$(grep -c '"GET /machines HTTP/1.1" 200 ' "$T/httpd.2.err")" -ge "$1"; }
stop_httpd() { [ -z "$hpid" ] || kill "$hpid" 2>/dev/null; return 0; }
at_exit stop_httpd
# get PATH: status, ETag and checksum of the body.
get() {
	curl -sS -D "$T/h" -o "$T/b" -w '%{http_code}' "$url$1" > "$T/code"
	printf '%s %s %s\n' "$(cat "$T/code")" \
	    "$(tr -d '\r' < "$T/h" | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')" \
	    "$(sha256sum < "$T/b" | cut -c1-16)"
}

check "machttp starts" start_httpd 1
m0=$(get /machines)
check_match "/machines: 200 with an ETag" '^200 "[^"]+" ' "$m0"
check_eq "/machines: the 300 machines" 300 "$(jq length "$T/b")"
x0=$(get /metrics)

# Load, then SIGKILL after 1.5 s, then restart at once.
"$PY" "$here/conns.py" load --port "$port" --conc 8 --seconds 120 \
    --path /machines --path /metrics --path / --path /healthz \
    --ready "$T/load.ready" --out "$T/load.json" 2> "$T/load.err" &
lpid=$!
wait_for 60 test -f "$T/load.ready"
sleep 1.5
hwm=$(vmhwm "$hpid")
set +e; { kill -KILL "$hpid"; wait "$hpid"; } 2> /dev/null; krc=$?; set -e
check_eq "machttp killed by SIGKILL under load (137)" 137 "$krc"
rss_below "machttp under load" "$kb" "${hwm:-0}"
t0=$(now_ms)
restart_epoch=$(date +%s.%N)
check "restarted on the same port at once (no \"address in use\")" start_httpd 2
echo "     | listening again after $(($(now_ms) - t0)) ms"
check_eq "restart: no error message" "" "$(complaints 2)"
check "the restarted server answers the load (20 requests)" wait_for 60 answered_load 20
kill -TERM "$lpid" 2>/dev/null || true
set +e; wait "$lpid"; set -e
load=$(cat "$T/load.json" 2>/dev/null || echo '{}')
echo "     | load: $load"
check "the load ran (over 200 answers)" \
    test "$(printf '%s' "$load" | jq '.statuses."200" // 0')" -gt 200
check_eq "the load never got anything but 200" '["200"]' \
    "$(printf '%s' "$load" | jq -c '.statuses | keys')"
check "the load was answered after the restart too" awk -v a="$(printf '%s' "$load" | jq '.last_answer_epoch // 0')" \
    -v b="$restart_epoch" 'BEGIN { exit !(a > b) }' 
m1=$(get /machines)
x1=$(get /metrics)
check_eq "after restart: the same /machines (status, ETag, body)" "$m0" "$m1"
check_eq "after restart: the same /metrics" "$x0" "$x1"
check_eq "after restart: If-None-Match gives 304" 304 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $(echo "$m0" | cut -d' ' -f2)" "$url/machines")"
store_state "$store" "$T/after.state"
check "the store is as it was" cmp "$T/before.state" "$T/after.state"
hwm=$(vmhwm "$hpid")
kill "$hpid"
set +e; wait "$hpid"; rc=$?; set -e
hpid=""
no_crash "the restarted machttp, stopped by SIGTERM" "$rc" "$T/httpd.2.err"
check_eq "the restarted machttp exits 0 on SIGTERM" 0 "$rc"

finish
