# tests/failure/lib.sh - sourced by the failure tests after ../setup.sh.
#
# Every failure test proves four things about each program it hurts: no
# crash (exit status below 128, no sanitizer report on stderr), bounded
# memory (peak RSS from /usr/bin/time or /proc/PID/status VmHWM), nothing
# stored lost (the store compared before and after with macstore list and
# latest) and one clear error line (the message text asserted). These are
# the helpers for that.

here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
unset MACSCAN_DIR MACSCAN_KEEP SMTP_URL SMTP_USER SMTP_PASSWORD \
    SMTP_PASSWORD_FILE SMTP_CA_FILE SMTP_TLS GMAIL_USER GMAIL_APP_PASSWORD \
    MAIL_FROM ALERT_RECIPIENTS MACSCAN_LANG SSH_KEY SSH_PASSWORD \
    SSH_PASSWORD_FILE SSH_USERNAME SSH_AUTH_SOCK MACHTTP_USER \
    MACHTTP_PASSWORD MACHTTP_TOKEN 2>/dev/null || true
export MACSCAN_CONF="$T/none.conf"	# no configuration file unless a test writes one
# machttp started as root runs as nobody: it must go through $T.
chmod 711 "$T"

# need CMD...: every command must exist (tests/failure/DEPS), else the
# test cannot prove anything: exit 1 under CI, SKIP (77) otherwise.
need() {
	_miss=""
	for _c in "$@"; do
		case $_c in
		py:*) "$PY" -c "import ${_c#py:}" 2>/dev/null ||
		    _miss="$_miss ${_c#py:}" ;;
		*) command -v "$_c" > /dev/null 2>&1 || _miss="$_miss $_c" ;;
		esac
	done
	[ -z "$_miss" ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "$_name: missing:$_miss (CI=true forbids skipping)" >&2
		exit 1
	fi
	echo "SKIP $_name: missing:$_miss (tests/failure/DEPS)" >&2
	exit 77
}

# sanitized: the programs were built with AddressSanitizer.
sanitized() { grep -qa __asan_init "$O/bin/macstore"; }
# mem_bound KB: KB, times 4 under AddressSanitizer (its shadow memory and
# quarantine), for peak RSS assertions.
mem_bound() { if sanitized; then echo $(($1 * 4)); else echo "$1"; fi; }
# AddressSanitizer keeps up to 256 MB of freed memory in quarantine to
# catch uses after free; 32 MB still catches them and lets an RSS bound
# tell a leak or an unbounded buffer from the quarantine filling up.
case ${ASAN_OPTIONS:-} in
*quarantine_size_mb*) ;;
*) ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=32
   export ASAN_OPTIONS ;;
esac

# run NAME CMD...: CMD with stdout in $T/NAME.out, stderr in $T/NAME.err,
# exit status in $T/NAME.rc and peak RSS (KB) in $T/NAME.rss. Stdin is
# the caller's.
run() {
	_n=$1; shift
	set +e
	/usr/bin/time -f '%M' -o "$T/$_n.time" "$@" > "$T/$_n.out" \
	    2> "$T/$_n.err"
	echo $? > "$T/$_n.rc"
	set -e
	# time(1) writes "Command exited with non-zero status N" first.
	tail -n 1 "$T/$_n.time" > "$T/$_n.rss"
}
rc_of() { cat "$T/$1.rc"; }
rss_of() { cat "$T/$1.rss"; }
err_of() { cat "$T/$1.err"; }

# sanitizer_report FILE: true when FILE holds a report of ASan, UBSan or
# LeakSanitizer (or a glibc abort message).
sanitizer_report() {
	grep -Eq 'ERROR: (Address|Leak|Undefined|Memory|Thread)Sanitizer|runtime error:|SUMMARY: .*Sanitizer|malloc\(\): |free\(\): |double free|stack smashing' "$1"
}

# no_crash DESC RC ERRFILE: exit status < 128 and no sanitizer report.
no_crash() {
	if [ "$2" -lt 128 ] && ! sanitizer_report "$3"; then
		pass "$1: no crash (exit $2)"
	else
		fail "$1: crashed (exit $2)"
		sed 's/^/     | /' "$3" | head -n 30
	fi
}
# no_crash_run DESC NAME: no_crash on a run's files.
no_crash_run() { no_crash "$1" "$(rc_of "$2")" "$T/$2.err"; }

# rss_below DESC KB NAME|VALUE: the peak RSS of a run (or a number of KB)
# is below KB (already scaled by the caller if it wants).
rss_below() {
	if [ -f "$T/$3.rss" ]; then _v=$(rss_of "$3"); else _v=$3; fi
	case $_v in
	''|*[!0-9]*) fail "$1: no peak RSS measured ($_v)"; return ;;
	esac
	if [ "$_v" -lt "$2" ]; then pass "$1: peak RSS $_v KB < $2 KB"
	else fail "$1: peak RSS $_v KB >= $2 KB"; fi
}

# vmhwm PID: the peak RSS (KB) of a running process.
vmhwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# one_line DESC REGEX FILE: FILE (stderr) holds exactly one line, and it
# matches REGEX: the clear one-line error.
one_line() {
	_l=$(grep -cv '^$' "$3" || true)
	if [ "$_l" = 1 ] && grep -Eq -- "$2" "$3"; then
		pass "$1: \"$(head -n 1 "$3")\""
	else
		fail "$1: expected one line matching $2, got $_l:"
		sed 's/^/     | /' "$3" | head -n 10
	fi
}

# store_state DIR OUT [IDS]: what a reader sees of the store: macstore list,
# macstore latest, the snapshots' checksums, and the history of every id.
store_state() {
	{
		echo "# list"
		macstore -d "$1" list
		echo "# latest"
		macstore -d "$1" latest
		echo "# snapshots"
		(cd "$1/snapshots" && sha256sum machines-*.json)
		echo "# history"
		# The history of the first and last three machines (all of
		# them would take a run of macstore each), or of the ids in
		# the file $3.
		if [ -n "${3:-}" ]; then _ids=$(cat "$3"); else
			_ids=$(macstore -d "$1" latest | jq -r .id |
			    sed -n '1,3p;$p'); fi
		for _id in $_ids; do
			macstore -d "$1" history "$_id" || true
		done
	} > "$2" 2>&1
}

# no_tmp DESC DIR: no temporary file left where readers look.
no_tmp() {
	_t=$(find "$2" -name '.tmp-*' 2>/dev/null)
	check_eq "$1" "" "$_t"
}

# mount_tmpfs DIR OPTIONS: a tmpfs on DIR, unmounted at exit (the mount
# namespace of private_mounts goes with the test anyway).
_mounts=""
_umount_all() { for _m in $_mounts; do umount -l "$_m" 2>/dev/null; done; return 0; }
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "$2" macscan-fail "$1" || return 1
	[ -n "$_mounts" ] || at_exit _umount_all
	_mounts="$1 $_mounts"
}

# free_port: a free TCP port on 127.0.0.1.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS CMD...: poll CMD every 0.05 s until it succeeds.
wait_for() {
	_end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	while ! "$@" > /dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# mkrecs N [PREFIX]: N records of distinct Macs (NDJSON).
mkrecs() {
	awk -v n="$1" -v p="${2:-S}" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"serial\":\"%s%06d\",\"ip\":\"10.%d.%d.%d\",\"probe\":\"ok\",\"hostname\":\"mac-%d.local\",\"computer_name\":\"Mac %d\",\"model\":\"MacBookPro18,3\",\"os_version\":\"14.4.1\",\"disk_total_bytes\":500000000000,\"disk_free_bytes\":%.0f,\"battery_present\":true,\"battery_percent\":%d,\"scanned_at\":\"2026-11-24T10:00:00Z\"}\n",
			    p, i, int(i / 65536) % 256, int(i / 256) % 256, i % 256,
			    i, i, 1000000000 * (i % 400 + 1), i % 101
	}'
}

# private_mounts: rerun this test in a mount namespace of its own, so that
# the tmpfs and bind mounts it makes vanish with it, whatever happens.
# Call right after sourcing this file (and need_root).
private_mounts() {
	if [ "${MACSCAN_FAIL_MNTNS:-}" != "$$" ]; then
		rm -rf "$T"
		trap - EXIT
		# unshare execs in this very process: $$ stays the same.
		exec env MACSCAN_FAIL_MNTNS=$$ unshare -m --propagation private \
		    bash ${MACSCAN_FAIL_X:+-x} "$0" "$@"
	fi
}

# --- SMTP (test_smtp_drop.sh, test_kill_macalert.sh) -------------------------

# smtp_setup: a test CA and the server's certificate for 127.0.0.1 (in
# $T/pki), a store ($store) whose one Mac has a critical disk, and the
# configuration of macalert (STARTTLS required, no login).
smtp_setup() {
	pki=$T/pki
	. "$here/../integration/pki.sh"
	test_pki "$pki" "macscan failure test CA"
	store=$T/store
	printf '%s\n' \
	    '{"serial":"S1","ip":"192.0.2.1","computer_name":"mac-alice","probe":"ok","disk_total_bytes":250000000000,"disk_free_bytes":4200000000}' \
	    '{"serial":"S2","ip":"192.0.2.2","computer_name":"mac-bob","probe":"ok","disk_total_bytes":250000000000,"disk_free_bytes":90000000000}' \
	    | macstore -q -d "$store" add
	cat > "$T/macscan.conf" <<EOF2
SMTP_CA_FILE=$pki/ca.pem
MAIL_FROM=macscan@example.com
ALERT_RECIPIENTS=it@example.com
MACSCAN_LANG=en
EOF2
	export MACSCAN_CONF="$T/macscan.conf"
}

# start_smtp NAME MODE [ARG...]: smtp_fail.py in MODE, its files in
# $T/NAME; sets smtp_port and smtp_pid (stopped at exit).
_smtp_pids=""
_smtp_stop_all() { for _p in $_smtp_pids; do kill "$_p" 2>/dev/null; done; return 0; }
start_smtp() {
	_d=$T/$1; _m=$2; shift 2
	rm -rf "$_d"; mkdir -p "$_d"
	"$PY" "$here/smtp_fail.py" --out "$_d" --mode "$_m" \
	    --cert "$pki/srv.pem" --key "$pki/srv.key" "$@" \
	    >> "$T/smtp.log" 2>&1 &
	smtp_pid=$!
	[ -n "$_smtp_pids" ] || at_exit _smtp_stop_all
	_smtp_pids="$_smtp_pids $smtp_pid"
	wait_for 10 test -f "$_d/ready" || return 1
	smtp_port=$(cat "$_d/ready")
}
stop_smtp() { kill "$smtp_pid" 2>/dev/null; wait "$smtp_pid" 2>/dev/null; return 0; }
# mails NAME: how many messages the server NAME accepted.
mails() { ls "$T/$1"/*.eml 2>/dev/null | wc -l | tr -d ' '; }
# alert_state: the alert state as a reader sees it ("none" when absent).
alert_state() {
	if [ -f "$store/alerts.json" ]; then jq -cS . "$store/alerts.json"
	else echo none; fi
}

# --- the lab (test_kill_macprobe.sh, test_ssh_die.sh, test_probe_flood.sh) ---

# lab_up ID: a lab of our own (MACLAB_NAME=fail-ID, the default set),
# torn down at exit. Sets lab, key, state, and the files $T/hosts (maclab
# hosts) and $T/all.txt (every address). SSH_USERNAME is exported.
lab=$top/tests/lab/maclab
_lab_down() { "$lab" down > /dev/null 2>&1 || true; }
lab_up() {
	export MACLAB_NAME="${MACLAB_PREFIX:-}fail-$1"
	at_exit _lab_down
	if ! "$lab" up > "$T/lab-up.log" 2>&1; then
		cat "$T/lab-up.log"
		fail "maclab up"
		finish
		exit 1
	fi
	"$lab" hosts > "$T/hosts"
	eval "$("$lab" env)"
	key=$SSH_KEY
	state=$MACLAB_STATE
	unset SSH_KEY SSH_PASSWORD_FILE
	export SSH_USERNAME
	cut -f1 "$T/hosts" > "$T/all.txt"
}
# ips_of KIND: the lab's addresses of that kind.
ips_of() { awk -F'\t' -v k="$1" '$4 == k { print $1 }' "$T/hosts"; }
# hostdir IP: the state directory of the lab host at IP.
hostdir() { dirname "$(grep -lx "IP=$1" "$state"/hosts/*/host.env | head -n 1)"; }
# inject IP SHELLCODE: run SHELLCODE first in every fake macOS command of
# that host (appended to the host.env the fakes source; $0 is the fake).
inject() { printf '%s\n' "$2" >> "$(hostdir "$1")/host.env"; }
# probe_in_lab ARGS...: macprobe in the scanner namespace, with the key.
probe_in_lab() { env SSH_KEY="$key" "$lab" exec "$O/bin/macprobe" -F none "$@"; }
# secs_of ERRFILE IP: the seconds macprobe -v says IP took.
secs_of() {
	sed -n "s/^macprobe: $2: [a-z_]* in \([0-9.]*\) s.*/\1/p" "$1" | head -n 1
}
# le A B: A <= B (decimal numbers).
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }
# field FILE IP NAME: a field of IP's record.
field() { jq -r --arg ip "$2" "select(.ip == \$ip) | .$3 // empty" "$1"; }
# whole_json FILE: every line of FILE is one JSON object.
whole_json() {
	[ ! -s "$1" ] && return 0
	[ "$(jq -c . "$1" 2>/dev/null | wc -l)" = "$(wc -l < "$1")" ] &&
	    [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" = 0a ]
}
