# bench_machttp.sh - machttp against nginx serving the same /machines JSON
# of 1,000 machines: wrk, keep-alive, loopback, bounded duration (10 s
# each, 2 threads, 50 connections). Prints requests per second and p99
# latency of both and their ratios (goal: >= 0.7x nginx's requests per
# second, p99 <= 2x nginx's), and the time to render the dashboard of
# 1,000 machines. Then the installers: requests per second for a small
# one beside nginx, and the memory each server takes while 24 clients
# that never read ask for a 16 MiB one (goal: machttp holds one copy, not
# one per client; nginx sends from the page cache).
#
# BENCH_SECONDS (default 10), BENCH_ROUNDS (default 3: the medians are
# compared), BENCH_MACHINES (default 1000), NGINX_WORKERS (default 1, as
# machttp is one thread), BENCH_VERBOSE (print wrk's output). Needs wrk,
# nginx (nginx-light), jq, curl: tests/bench/DEPS.
. "$(dirname "$0")/../setup.sh"

secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
n=${BENCH_MACHINES:-1000}
chmod 755 "$T"
umask 022
export MACSCAN_CONF="$T/none.conf"
unset MACHTTP_USER MACHTTP_PASSWORD MACHTTP_PASSWORD_FILE MACHTTP_TOKEN \
    MACHTTP_TOKEN_FILE GATEWAY_INTERFACE 2>/dev/null || true
for c in wrk nginx jq curl macstore machttp; do
	command -v "$c" > /dev/null || { echo "bench_machttp: $c not found" >&2; exit 1; }
done

# A fleet of n Macs, realistic records, two scans for the trends.
fleet() {
	jq -cn --argjson n "$n" --argjson shift "$1" 'range($n) | . as $i | {
	    serial: ("C02BENCH" + ($i | tostring)),
	    ip: ("10.\(($i / 250 | floor) + 1).\($i % 250 + 1).\($i % 7 + 2)"),
	    mac: ("3c:22:fb:%02x:%02x:%02x" | sub("%02x"; ($i / 65536 | floor | tostring))
	        | sub("%02x"; (($i / 256 | floor) % 256 | tostring)) | sub("%02x"; ($i % 256 | tostring))),
	    vendor: "Apple", seen_by: "icmp", rtt_ms: 1.25, probe: "ok",
	    hostname: ("mac-\($i).local"), computer_name: ("MacBook of user \($i)"),
	    model: "MacBookPro18,3", model_name: "MacBook Pro", chip: "Apple M1 Pro",
	    memory_bytes: 17179869184, os_name: "macOS",
	    os_version: (["14.4.1", "13.6.7", "15.1"][$i % 3]), os_build: "23E224", arch: "arm64",
	    disk_total_bytes: 494384795648,
	    disk_free_bytes: ((($i * 7919) % 400 + 5) * 1000000000 + $shift),
	    disk_available_bytes: ((($i * 7919) % 400 + 25) * 1000000000),
	    battery_present: true, battery_percent: ($i % 101),
	    battery_state: "discharging", ac_power: ($i % 2 == 0),
	    battery_cycles: ($i % 900), battery_health_percent: (80 + $i % 20),
	    battery_condition: "Normal", uptime_s: ($i * 3671),
	    console_user: ("user\($i)"), scanned_at: "2026-11-24T16:00:00Z" }'
}
mkdir -p "$T/store"
fleet 0 | macstore -d "$T/store" -T 2026-11-24T16:00:00Z add
fleet 1000000 | macstore -d "$T/store" -T 2026-11-24T16:10:00Z add
chmod -R a+rX "$T/store"

mkdir -p "$T/www/installers"
cp "$top/share/installers/os_installer.sh" "$T/www/installers/"
head -c 16777216 /dev/urandom > "$T/www/installers/big.sh"
chmod -R a+rX "$T/www"
machttp -v -l 127.0.0.1:0 -d "$T/store" -s "$T/www/installers" 2> "$T/machttp.log" &
mpid=$!
mport=$(listen_port "$T/machttp.log" "$mpid")

# A free port for nginx (nothing answers there).
for p in $(seq 20000 13 60000 | shuf -n 50); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		nport=$p
		break
	fi
done
mkdir -p "$T/www" "$T/nginx/logs"
curl -s "http://127.0.0.1:$mport/machines" > "$T/www/machines"
chmod -R a+rX "$T/www"
cat > "$T/nginx/nginx.conf" <<EOF
worker_processes ${NGINX_WORKERS:-1};
error_log $T/nginx/logs/error.log;
pid $T/nginx/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server {
		listen 127.0.0.1:$nport;
		root $T/www;
		location = /machines { default_type application/json; etag on; }
		location /installers/ { default_type text/x-shellscript; }
	}
}
EOF
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' 2> "$T/nginx/logs/stderr" &
npid=$!
stop() {
	kill "$mpid" "$npid" 2>/dev/null
	wait "$mpid" "$npid" 2>/dev/null
	return 0
}
at_exit stop
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$nport/machines" && break
	sleep 0.1
done
mbody=$(curl -s "http://127.0.0.1:$mport/machines" | cksum)
nbody=$(curl -s "http://127.0.0.1:$nport/machines" | cksum)
check_eq "same /machines body from both" "$mbody" "$nbody"
size=$(wc -c < "$T/www/machines" | tr -d ' ')
check_eq "/machines holds $n machines" "$n" "$(jq length "$T/www/machines")"

# wrk URL: "RPS P99_MS"
bench() {
	wrk -t2 -c50 -d"${secs}s" --latency "$1" > "$T/wrk.out" 2>&1
	[ -z "${BENCH_VERBOSE:-}" ] || cat "$T/wrk.out" >&2
	awk '
	function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /s$/) return v * 1000
		return v
	}
	/^Requests\/sec:/ { rps = $2 }
	$1 == "99%" { p99 = ms($2) }
	/Non-2xx|Socket errors/ { err = err $0 }
	END { printf "%.0f %.3f %s\n", rps, p99, (err == "" ? "" : "ERR") }' "$T/wrk.out"
}

echo "bench_machttp: /machines of $n machines ($size bytes), wrk -t2 -c50 -d${secs}s, keep-alive, 127.0.0.1, $rounds rounds"
# Rounds alternate between the two servers, so that whatever else the
# machine is doing weighs on both alike; the medians are compared.
: > "$T/n.res"
: > "$T/m.res"
for r in $(seq "$rounds"); do
	bench "http://127.0.0.1:$nport/machines" >> "$T/n.res"
	bench "http://127.0.0.1:$mport/machines" >> "$T/m.res"
	printf '  round %s: nginx %s, machttp %s (requests/s p99-ms)\n' "$r" \
	    "$(tail -n 1 "$T/n.res" | cut -d ' ' -f 1,2)" \
	    "$(tail -n 1 "$T/m.res" | cut -d ' ' -f 1,2)"
done
median() { cut -d ' ' -f "$2" "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
n_rps=$(median "$T/n.res" 1)
n_p99=$(median "$T/n.res" 2)
m_rps=$(median "$T/m.res" 1)
m_p99=$(median "$T/m.res" 2)
check_eq "wrk: no error from nginx" 0 "$(grep -c ERR "$T/n.res" || true)"
check_eq "wrk: no error from machttp" 0 "$(grep -c ERR "$T/m.res" || true)"
rps_ratio=$(awk -v a="$m_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }')
p99_ratio=$(awk -v a="$m_p99" -v b="$n_p99" 'BEGIN { printf "%.2f", a / b }')
printf '%-28s %12s %12s\n' "median of $rounds" "requests/s" "p99 ms"
printf '%-28s %12s %12s\n' "nginx (${NGINX_WORKERS:-1} worker)" "$n_rps" "$n_p99"
printf '%-28s %12s %12s\n' "machttp (1 thread, epoll)" "$m_rps" "$m_p99"
printf '%-28s %12s %12s\n' "machttp / nginx" "${rps_ratio}x" "${p99_ratio}x"
awk -v r="$rps_ratio" 'BEGIN { exit !(r >= 0.7) }' &&
    pass "requests/s >= 0.7x nginx's (${rps_ratio}x)" ||
    fail "requests/s >= 0.7x nginx's (${rps_ratio}x)"
awk -v r="$p99_ratio" 'BEGIN { exit !(r <= 2) }' &&
    pass "p99 <= 2x nginx's (${p99_ratio}x)" ||
    fail "p99 <= 2x nginx's (${p99_ratio}x)"

# The dashboard: the first request renders (store read included), the
# next ones are served from the cache; CGI renders on every run.
t_cold=$(curl -s -o "$T/dash.html" -w '%{time_total}' "http://127.0.0.1:$mport/")
t_warm=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$mport/")
render=$(sed -n "s/.*dashboard of $n machines rendered in \\([0-9.]*\\) ms/\\1/p" "$T/machttp.log" | tail -n 1)
t0=$(date +%s%N)
GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET PATH_INFO=/ MACSCAN_DIR="$T/store" \
    machttp > "$T/cgi.html"
t_cgi=$(( ($(date +%s%N) - t0) / 1000 ))
check_eq "dashboard rows" "$n" "$(grep -c '<tr class=' "$T/dash.html")"
printf 'dashboard of %s machines: %s bytes; render %s ms (store read, rows, sparklines)\n' \
    "$n" "$(wc -c < "$T/dash.html" | tr -d ' ')" "${render:-?}"
awk -v c="$t_cold" -v w="$t_warm" -v g="$t_cgi" 'BEGIN {
	printf "  first GET / %.1f ms, cached GET / %.1f ms, CGI run %.1f ms\n",
	    c * 1000, w * 1000, g / 1000 }'
set -- $(bench "http://127.0.0.1:$mport/")
printf '  cached dashboard under wrk: %s requests/s, p99 %s ms\n' "$1" "$2"
set -- $(bench "http://127.0.0.1:$mport/metrics")
printf '  cached /metrics under wrk: %s requests/s, p99 %s ms\n' "$1" "$2"

# Installers: a small one under wrk, beside nginx.
set -- $(bench "http://127.0.0.1:$nport/installers/os_installer.sh")
n_i=$1
set -- $(bench "http://127.0.0.1:$mport/installers/os_installer.sh")
m_i=$1
printf 'installer of %s bytes under wrk: nginx %s, machttp %s requests/s (%sx)\n' \
    "$(wc -c < "$T/www/installers/os_installer.sh" | tr -d ' ')" "$n_i" "$m_i" \
    "$(awk -v a="$m_i" -v b="$n_i" 'BEGIN { printf "%.2f", a / b }')"

# 24 clients that never read a 16 MiB installer: each server's RSS
# before and after (nginx: its worker).
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
nworker=$(pgrep -P "$npid" | head -n 1)
stall() {
	_p=$1
	for _ in $(seq 24); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$_p"
		printf 'GET /installers/big.sh HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&"$fd"
		fds="$fds $fd"
	done
}
unstall() { for f in $fds; do eval "exec $f<&-"; done; fds=""; }
fds=""
m0=$(rss "$mpid")
n0=$(rss "$nworker")
stall "$mport"
for _ in $(seq 600); do
	[ "$(grep -c '"GET /installers/big.sh HTTP/1.1" 200' "$T/machttp.log")" -ge 24 ] && break
	sleep 0.1
done
m1=$(rss "$mpid")
unstall
stall "$nport"
sleep 2
n1=$(rss "$nworker")
unstall
printf '24 clients that never read a 16 MiB installer: RSS nginx %s -> %s KB, machttp %s -> %s KB (+%s KB, %.1f copies)\n' \
    "$n0" "$n1" "$m0" "$m1" "$((m1 - m0))" "$(awk -v d="$((m1 - m0))" 'BEGIN { print d / 16384 }')"
check "machttp: at most 2 copies of the file for 24 clients (+$((m1 - m0)) KB)" \
    test "$((m1 - m0))" -lt $((2 * 16384 + 4096))

finish
