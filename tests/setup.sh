# tests/setup.sh - sourced by every shell test (command-line, lab and
# integration). It sets a strict shell, a C locale, a temporary directory
# removed on exit, the built programs first on PATH, and small assertion
# helpers that count checks. A test ends with "finish", which prints the
# closing "N passed, M failed" line and sets the exit status.
set -eu
export LC_ALL=C.UTF-8
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build}
case $O in /*) ;; *) O=$top/$O ;; esac
PATH=$O/bin:$PATH
export PATH
T=$(mktemp -d "${TMPDIR:-/tmp}/macscan-test.XXXXXX")
_cleanup_hooks=""
_cleanup() {
	rc=$?
	set +e
	for h in $_cleanup_hooks; do "$h"; done
	rm -rf "$T"
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM
at_exit() { _cleanup_hooks="$1 $_cleanup_hooks"; }
_pass=0
_fail=0
_name=${0##*/}

pass() { _pass=$((_pass + 1)); printf 'ok   %s\n' "$*"; }
fail() { _fail=$((_fail + 1)); printf 'FAIL %s\n' "$*"; }

# check DESC CMD...: pass if CMD succeeds.
check() {
	d=$1; shift
	if "$@" > "$T/.out" 2>&1; then pass "$d"; else
		fail "$d"; sed 's/^/     | /' "$T/.out" | head -n 20; fi
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else
		fail "$1"
		printf '     | expected: %s\n     | actual:   %s\n' "$2" "$3"
	fi
}

# check_match DESC REGEX ACTUAL (grep -E on the text)
check_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"; else
		fail "$1"
		printf '     | no match for: %s\n     | in: %s\n' "$2" "$3" | head -n 20
	fi
}

# status CMD...: the exit status of CMD, without tripping set -e.
status() { set +e; "$@"; _rc=$?; set -e; echo "$_rc"; }

# listen_port LOG PID: the port a machttp started with -v -l ADDR:0 says
# it listens on in LOG, waiting up to 60 s (a sanitizer build beside a
# busy CPU starts slowly); empty when PID ended first. LOG may not exist
# yet when the background job has not opened it; empty it before starting
# the server when it may hold an earlier run's port.
listen_port() {
	_lp=""
	for _ in $(seq 1200); do
		_lp=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$1" \
		    2>/dev/null || true)
		[ -n "$_lp" ] && break
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	echo "$_lp"
}

# need_root: tests that need the lab run only as root; CI must not skip.
need_root() {
	if [ "$(id -u)" != 0 ]; then
		if [ "${CI:-}" = true ]; then
			echo "$_name: needs root, and CI=true forbids skipping" >&2
			exit 1
		fi
		echo "SKIP $_name: needs root (network namespaces)" >&2
		exit 77
	fi
}

finish() {
	echo "$_name: $_pass passed, $_fail failed"
	[ "$_fail" -eq 0 ]
}
