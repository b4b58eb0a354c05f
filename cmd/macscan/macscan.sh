#!/bin/sh
# macscan - run one scan cycle, or the Clean Desk cycle, from the
# configuration. See macscan(1).
#
#   macping -aj $MACSCAN_SUBNETS | macprobe | macstore add
#   macalert -d $MACSCAN_DIR
#
# Each stage's count and duration is logged on stderr (the journal under
# systemd); the exit status says which stage failed.
set -u
LC_ALL=C
export LC_ALL
prog=macscan
version=@VERSION@

usage() {
	echo "usage: $prog [-nqv] [-c conf] [-d dir] [scan | notify | schedule [-w]]" >&2
	exit 2
}

log() { [ "$verbose" -ge 1 ] && echo "$prog: $*" >&2; return 0; }
err() { echo "$prog: $*" >&2; }

dry=0
verbose=1
while getopts c:d:hnqvV opt; do
	case $opt in
	c) MACSCAN_CONF=$OPTARG; export MACSCAN_CONF ;;
	d) MACSCAN_DIR=$OPTARG; export MACSCAN_DIR ;;
	n) dry=1 ;;
	q) verbose=0 ;;
	v) verbose=2 ;;
	V) echo "$prog $version"; exit 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
cmd=${1:-scan}
[ $# -gt 0 ] && shift

# The programs are found beside this script first, then on PATH.
here=$(cd "$(dirname "$0")" && pwd)
PATH=$here:$PATH
export PATH

need() {
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 ||
		    { err "$p: not found on PATH"; exit 3; }
	done
}
need macconf

# The configuration is parsed by macconf, never sourced: a dotenv value
# may hold spaces, quotes or '$' that a shell would run.
if ! macconf check >/dev/null; then
	exit 2
fi
conf() { macconf get "$1" "${2-}"; }
dir=$(conf MACSCAN_DIR /var/lib/macscan)
subnets=$(conf MACSCAN_SUBNETS "")
vflag=""
[ "$verbose" -eq 0 ] && vflag=-q
[ "$verbose" -eq 2 ] && vflag=-v

now() { date +%s; }

# One run at a time: mkdir is atomic; a lock left by a dead run is taken
# over (its pid is no longer alive).
lockdir=$dir/macscan.run
lock() {
	if mkdir "$lockdir" 2>/dev/null; then
		echo $$ > "$lockdir/pid"
		return 0
	fi
	pid=$(cat "$lockdir/pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		err "another run (pid $pid) holds $lockdir"
		exit 4
	fi
	err "removing a stale lock of pid ${pid:-?}"
	rm -rf "$lockdir"
	mkdir "$lockdir" 2>/dev/null || { err "cannot lock $lockdir"; exit 4; }
	echo $$ > "$lockdir/pid"
}
unlock() { rm -rf "$lockdir"; }

scan() {
	# shellcheck disable=SC2086
	if [ "$dry" -eq 1 ]; then
		echo "macping -aj${subnets:+ $subnets} | macprobe -d $dir | macstore -d $dir add"
		echo "macalert -d $dir"
		return 0
	fi
	[ -d "$dir" ] || mkdir -p "$dir" || { err "cannot create $dir"; exit 3; }
	lock
	trap unlock EXIT
	trap 'exit 130' INT TERM
	need macping macprobe macstore macalert
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/macscan.XXXXXX") || exit 3
	trap 'rm -rf "$tmp"; unlock' EXIT
	t0=$(now)
	# Each stage leaves its exit status in a file, as POSIX sh has no
	# PIPESTATUS; tee keeps counts without stopping the stream.
	# shellcheck disable=SC2086
	{ macping -aj $vflag $subnets; echo $? > "$tmp/ping.rc"; } |
	    tee "$tmp/ping.ndjson" |
	    { macprobe $vflag -d "$dir"; echo $? > "$tmp/probe.rc"; } |
	    tee "$tmp/probe.ndjson" |
	    { macstore $vflag -d "$dir" add; echo $? > "$tmp/store.rc"; }
	t1=$(now)
	ping_rc=$(cat "$tmp/ping.rc"); probe_rc=$(cat "$tmp/probe.rc")
	store_rc=$(cat "$tmp/store.rc")
	hosts=$(grep -c . "$tmp/ping.ndjson" || true)
	records=$(grep -c . "$tmp/probe.ndjson" || true)
	ok=$(grep -c '"probe":"ok"' "$tmp/probe.ndjson" || true)
	log "macping: $hosts hosts (exit $ping_rc)"
	log "macprobe: $records records, $ok ok, $((records - ok)) failed (exit $probe_rc)"
	log "macstore add: exit $store_rc; scan took $((t1 - t0))s"
	rc=0
	if [ "$ping_rc" -ge 2 ]; then
		err "macping failed (exit $ping_rc)"; rc=3
	elif [ "$ping_rc" -eq 1 ]; then
		err "macping found no host: no snapshot written"; rc=3
	fi
	if [ "$store_rc" -ne 0 ] && [ "$rc" -eq 0 ]; then
		err "macstore add failed (exit $store_rc)"; rc=3
	fi
	[ "$probe_rc" -ge 2 ] && { err "macprobe failed (exit $probe_rc)"; rc=3; }
	t2=$(now)
	macalert $vflag -d "$dir"
	alert_rc=$?
	log "macalert: exit $alert_rc in $(($(now) - t2))s"
	if [ "$alert_rc" -ge 2 ]; then
		err "macalert failed (exit $alert_rc)"; rc=3
	fi
	# 1: a channel (email, Slack...) was not told; the next run retries.
	if [ "$rc" -eq 0 ] && { [ "$probe_rc" -eq 1 ] || [ "$alert_rc" -eq 1 ]; }; then
		rc=1
	fi
	log "cycle done in $(($(now) - t0))s, exit $rc"
	return "$rc"
}

notify() {
	if [ "$dry" -eq 1 ]; then
		echo "macstore -d $dir latest | macnotify"
		return 0
	fi
	need macstore macnotify
	# shellcheck disable=SC2086
	macstore -d "$dir" latest | macnotify $vflag
}

# schedule [-w]: the systemd OnCalendar of the Clean Desk timer, from
# CLEANUP_SCHEDULE_DAY and CLEANUP_SCHEDULE_TIME; -w writes the drop-in.
schedule() {
	day=$(conf CLEANUP_SCHEDULE_DAY friday | tr '[:upper:]' '[:lower:]')
	time=$(conf CLEANUP_SCHEDULE_TIME 16:00)
	case $day in
	mon|monday) d=Mon ;; tue|tuesday) d=Tue ;; wed|wednesday) d=Wed ;;
	thu|thursday) d=Thu ;; fri|friday) d=Fri ;; sat|saturday) d=Sat ;;
	sun|sunday) d=Sun ;;
	*) err "CLEANUP_SCHEDULE_DAY: not a day of the week: '$day'"; exit 2 ;;
	esac
	case $time in
	[01][0-9]:[0-5][0-9]|2[0-3]:[0-5][0-9]) ;;
	[0-9]:[0-5][0-9]) time=0$time ;;
	*) err "CLEANUP_SCHEDULE_TIME: not HH:MM: '$time'"; exit 2 ;;
	esac
	dropin="[Timer]
OnCalendar=
OnCalendar=$d *-*-* $time:00"
	if [ "${1:-}" = -w ]; then
		ddir=${SYSTEMD_UNIT_DIR:-/etc/systemd/system}/macnotify.timer.d
		mkdir -p "$ddir" || exit 3
		printf '%s\n' "# Written by macscan schedule from the configuration." \
		    "$dropin" > "$ddir/schedule.conf.tmp" &&
		    mv "$ddir/schedule.conf.tmp" "$ddir/schedule.conf" || exit 3
		log "wrote $ddir/schedule.conf (OnCalendar=$d *-*-* $time:00)"
		log "run: systemctl daemon-reload && systemctl restart macnotify.timer"
	else
		printf '%s\n' "$dropin"
	fi
}

case $cmd in
scan) scan ;;
notify) notify ;;
schedule) schedule "$@" ;;
*) usage ;;
esac
