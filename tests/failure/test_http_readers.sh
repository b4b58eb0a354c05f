# test_http_readers.sh - installers sent to clients that never read.
# 24 connections each ask for a 16 MiB installer (the largest served)
# and read nothing: machttp must hold one copy of the file for all of
# them, not one each (which took it from 2 MB to 396 MB). Then the file
# is replaced while those clients still wait: new requests get the new
# version, a waiting client still gets the old one whole, and the memory
# stays that of the two versions. The bound is about copies, not time:
# fewer than 4 copies of the file (64 MiB) plus 16 MiB for the rest,
# where one copy per client would be 24 copies (384 MiB); 4 times that
# under AddressSanitizer. No deadline here is what is tested: waits are
# generous (60 s) and only bound a broken run.
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need curl sha256sum
size=16777216	# MACHTTP_MAX_INSTALLER
nclients=24
kb=$(mem_bound $((4 * size / 1024 + 16384)))

store=$T/store
mkrecs 5 | macstore -q -d "$store" add
inst=$T/installers
mkdir -p "$inst"
head -c "$size" /dev/urandom > "$inst/big.sh"
sum1=$(sha256sum < "$inst/big.sh" | cut -d' ' -f1)
chmod -R a+rX "$inst" "$store"
port=$(free_port)
url=http://127.0.0.1:$port
machttp -v -d "$store" -s "$inst" -l "127.0.0.1:$port" 2> "$T/httpd.err" &
hpid=$!
fds=""
stop_all() {
	for f in $fds; do eval "exec $f<&-"; done
	[ -z "$hpid" ] || kill "$hpid" 2>/dev/null
	return 0
}
at_exit stop_all
wait_for 60 curl -fsS "$url/healthz" || { fail "machttp starts"; finish; }
check_eq "a 16 MiB installer is served whole" "$sum1" \
    "$(curl -fsS "$url/installers/big.sh" | sha256sum | cut -d' ' -f1)"

# answered N: at least N requests for big.sh were answered 200 (the
# request log of -v), the body being sent or queued.
answered() {
	test "$(grep -c '"GET /installers/big.sh HTTP/1.1" 200 ' "$T/httpd.err")" \
	    -ge "$1"
}
# stall N: N more connections ask for big.sh and never read.
stall() {
	for _ in $(seq "$1"); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$port"
		printf 'GET /installers/big.sh HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&"$fd"
		fds="$fds $fd"
	done
}
# drain FD: read the answer on FD to its end; the body's SHA-256.
drain() {
	timeout 60 cat <&"$1" | tail -c "$size" | sha256sum | cut -d' ' -f1
	eval "exec $1<&-"
	fds=$(echo "$fds" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

stall "$nclients"
check "$nclients clients that never read are all answered" \
    wait_for 60 answered $((nclients + 1))
hwm1=$(vmhwm "$hpid")
rss_below "$nclients stalled clients of a 16 MiB installer" "$kb" "${hwm1:-0}"
check "machttp still answers /healthz" curl -fsS "$url/healthz"

# A new version of the file, renamed over the old one (as an upgrade
# does), while the clients still wait.
head -c "$size" /dev/urandom > "$inst/.big.new"
sum2=$(sha256sum < "$inst/.big.new" | cut -d' ' -f1)
chmod a+r "$inst/.big.new"
mv "$inst/.big.new" "$inst/big.sh"
check_eq "after the change: the new version is served" "$sum2" \
    "$(curl -fsS "$url/installers/big.sh" | sha256sum | cut -d' ' -f1)"
stall 8
check "8 more stalled clients of the new version are answered" \
    wait_for 60 answered $((nclients + 10))
first=$(echo "$fds" | awk '{ print $1 }')
last=$(echo "$fds" | awk '{ print $NF }')
check_eq "a client that waited from before gets the old version whole" \
    "$sum1" "$(drain "$first")"
check_eq "a client that waited since the change gets the new one whole" \
    "$sum2" "$(drain "$last")"
hwm2=$(vmhwm "$hpid")
rss_below "two versions, $((nclients + 8)) stalled clients" "$kb" "${hwm2:-0}"

# The clients go away without reading: their connections close, and
# the server goes on.
for f in $fds; do eval "exec $f<&-"; done
fds=""
check_eq "/healthz after the clients left" ok "$(curl -fsS "$url/healthz")"
kill "$hpid"
set +e; wait "$hpid"; rc=$?; set -e
hpid=""
no_crash "machttp" "$rc" "$T/httpd.err"
check_eq "machttp exits 0 on SIGTERM" 0 "$rc"

finish
