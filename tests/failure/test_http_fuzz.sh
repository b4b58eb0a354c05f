# test_http_fuzz.sh - malformed HTTP from a fuzzer over a real socket:
# tests/failure/httpfuzz.py sends 8,000 requests (random bytes, mutated
# requests, known bad forms, encoded path traversals, pipelining, Host
# names it does not answer for) to a running machttp on 127.0.0.1 (with
# AddressSanitizer when $O is a sanitizer build). machttp must never die,
# answer every answer with a well-formed status line, never 500, answer
# garbage with 4xx, the known bad forms with their status (414, 431, 505,
# 405, 413, 421...), leak no file outside its directories, serve /healthz
# at the end, keep a bounded RSS and stop cleanly. FUZZ_SEED=K replays a
# run. What is counted is requests, not time: the 600 s bound only ends
# a broken run (8,000 requests take about 12 s on an idle 2-core machine,
# about 100 s under AddressSanitizer with both cores busy: a margin of six).
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need jq curl
kb=$(mem_bound 40000)
seed=${FUZZ_SEED:-$(date +%s)}

store=$T/store
mkrecs 50 | macstore -q -d "$store" add
port=$(free_port)
machttp -q -t 2 -d "$store" -s "$top/share/installers" -l "127.0.0.1:$port" \
    2> "$T/httpd.err" &
hpid=$!
stop_httpd() { [ -z "$hpid" ] || kill "$hpid" 2>/dev/null; return 0; }
at_exit stop_httpd
wait_for 60 curl -fsS "http://127.0.0.1:$port/healthz" ||
    { fail "machttp starts"; finish; }

n=8000
"$PY" "$here/httpfuzz.py" --port "$port" --count "$n" --seconds 600 \
    --seed "$seed" --out "$T/fuzz.json"
s=$(cat "$T/fuzz.json")
j() { printf '%s' "$s" | jq -c "$1"; }
echo "     | seed $seed (FUZZ_SEED=$seed replays it): $(j '{sent, seconds, statuses, no_answer}')"
check_eq "the fuzzer sent all its requests (in $(j .seconds) s)" "$n" "$(j .sent)"
check "machttp is alive" kill -0 "$hpid"
check_eq "machttp never stopped answering /healthz" 0 "$(j .died)"
check_eq "every answer starts with a well-formed status line" 0 \
    "$(j .bad_status_line)"
check_eq "no 500 (internal error) on any input" 0 "$(j .server_error)"
check_eq "random bytes never answered 2xx or 3xx" 0 "$(j .garbage_accepted)"
check_eq "known bad forms get their status (414, 431, 505, 405, 413, 421, 400)" 0 \
    "$(j .expect_mismatch)"
check "names not served were sent (over 20 times) and answered 421" \
    test "$(j '.kinds.bad_host // 0')" -gt 20 -a "$(j '.statuses."421" // 0')" -ge "$(j '.kinds.bad_host // 0')"
check_eq "no file outside the served directories leaked" 0 "$(j .leak)"
check "garbage is answered 400 (over a fifth of the requests)" \
    test "$(j '.statuses."400" // 0')" -gt $((n / 5))
check_eq "problems found (examples)" "[]" "$(j .examples)"
check_eq "/healthz at the end" true "$(j .healthy_at_end)"
check_eq "curl /healthz at the end: 200 ok" "200 ok" \
    "$(curl -sS -w '%{http_code} ' -o "$T/h" "http://127.0.0.1:$port/healthz"; cat "$T/h")"
hwm=$(vmhwm "$hpid")
rss_below "machttp after the fuzzing" "$kb" "${hwm:-0}"
kill "$hpid"
set +e; wait "$hpid"; rc=$?; set -e
hpid=""
no_crash "machttp" "$rc" "$T/httpd.err"
check_eq "machttp exits 0 on SIGTERM" 0 "$rc"

finish
