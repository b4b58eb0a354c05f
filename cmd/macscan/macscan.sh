#!/bin/sh
# macscan - run one scan cycle, or the Clean Desk cycle, from the
# configuration; enrol new hosts' SSH keys; apply the schedules. See
# macscan(1).
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
	echo "usage: $prog [-nqvV] [-c conf] [-d dir] [scan | notify]" >&2
	echo "       $prog [-nqv] [-c conf] [-d dir] enroll [-y] [fingerprint ...]" >&2
	echo "       $prog [-q] [-c conf] schedule [-s | -w]" >&2
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

# USE_SSH=false (the old service's setting): sweep only, no SSH at all.
case $(conf USE_SSH true | tr '[:upper:]' '[:lower:]') in
true|yes|on|1|"") use_ssh=1 ;;
false|no|off|0) use_ssh=0 ;;
*) err "USE_SSH: not true or false: '$(conf USE_SSH)'"; exit 2 ;;
esac

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
		if [ "$use_ssh" -eq 1 ]; then
			echo "macping -aj${subnets:+ $subnets} | macprobe -d $dir | macstore -d $dir add"
		else
			echo "macping -aj${subnets:+ $subnets} | macstore -d $dir add"
		fi
		echo "macalert -d $dir"
		return 0
	fi
	[ -d "$dir" ] || mkdir -p "$dir" || { err "cannot create $dir"; exit 3; }
	lock
	trap unlock EXIT
	trap 'exit 130' INT TERM
	need macping macstore macalert
	[ "$use_ssh" -eq 1 ] && need macprobe
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/macscan.XXXXXX") || exit 3
	trap 'rm -rf "$tmp"; unlock' EXIT
	t0=$(now)
	# Each stage leaves its exit status in a file, as POSIX sh has no
	# PIPESTATUS; tee keeps counts without stopping the stream. Without
	# SSH, macping's records (address, MAC, vendor) are what is stored.
	# shellcheck disable=SC2086
	{ macping -aj $vflag $subnets; echo $? > "$tmp/ping.rc"; } |
	    tee "$tmp/ping.ndjson" |
	    if [ "$use_ssh" -eq 1 ]; then
		{ macprobe $vflag -d "$dir"; echo $? > "$tmp/probe.rc"; }
	    else
		{ cat; echo 0 > "$tmp/probe.rc"; }
	    fi |
	    tee "$tmp/probe.ndjson" |
	    { macstore $vflag -d "$dir" add; echo $? > "$tmp/store.rc"; }
	t1=$(now)
	ping_rc=$(cat "$tmp/ping.rc"); probe_rc=$(cat "$tmp/probe.rc")
	store_rc=$(cat "$tmp/store.rc")
	hosts=$(grep -c . "$tmp/ping.ndjson" || true)
	records=$(grep -c . "$tmp/probe.ndjson" || true)
	ok=$(grep -c '"probe":"ok"' "$tmp/probe.ndjson" || true)
	fresh=$(grep -c '"probe":"new_host"' "$tmp/probe.ndjson" || true)
	log "macping: $hosts hosts (exit $ping_rc)"
	if [ "$use_ssh" -eq 1 ]; then
		log "macprobe: $records records, $ok ok, $((records - ok)) failed (exit $probe_rc)"
		[ "$fresh" -gt 0 ] &&
		    log "$fresh new hosts wait for their key to be pinned: macscan enroll"
	else
		log "USE_SSH=false: no probe, macping's $records records stored"
	fi
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
	if [ "$use_ssh" -eq 0 ]; then
		log "USE_SSH=false: no reminder (it needs SSH)"
		return 0
	fi
	if [ "$dry" -eq 1 ]; then
		echo "macstore -d $dir latest | macnotify"
		return 0
	fi
	need macstore macnotify
	# shellcheck disable=SC2086
	macstore -d "$dir" latest | macnotify $vflag
}

# enroll [-y] [fingerprint ...]: pin the SSH host keys of the hosts not
# pinned yet, so that the password may go to them: each new host is
# listed with its key's fingerprint and, on a terminal, the admin is
# asked; -y takes every key listed, and fingerprints (SHA256:..., as
# `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints on the Mac)
# take those keys. What is pinned is what was listed: the second macprobe
# run pins only keys whose fingerprint was approved.
enroll() {
	yes=0
	OPTIND=1
	while getopts y opt; do
		case $opt in y) yes=1 ;; *) usage ;; esac
	done
	shift $((OPTIND - 1))
	if [ "$use_ssh" -eq 0 ]; then
		err "USE_SSH=false: no SSH, so no host key to enrol"
		exit 2
	fi
	for f in "$@"; do
		case $f in SHA256:?*) ;; *) err "not a SHA256 fingerprint: '$f'"; exit 2 ;; esac
	done
	if [ "$dry" -eq 1 ]; then
		echo "macping -aj${subnets:+ $subnets} | macprobe -K -d $dir"
		echo "macprobe -K -d $dir FINGERPRINT... < the new hosts"
		return 0
	fi
	need macping macprobe
	[ -d "$dir" ] || mkdir -p "$dir" || { err "cannot create $dir"; exit 3; }
	# A root-owned known_hosts would lock the service's user out.
	# shellcheck disable=SC2012
	owner=$(ls -ldn "$dir" | awk '{ print $3 }')
	if [ "$(id -u)" = 0 ] && [ "$owner" != 0 ]; then
		err "run it as the owner of $dir: sudo -u '#$owner' $prog enroll"
		exit 2
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/macscan.XXXXXX") || exit 3
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT TERM
	# shellcheck disable=SC2086
	macping -aj $vflag $subnets > "$tmp/hosts"
	rc=$?
	[ "$rc" -ge 2 ] && { err "macping failed (exit $rc)"; exit 3; }
	macprobe -K -q -d "$dir" < "$tmp/hosts" > "$tmp/keys"
	rc=$?
	[ "$rc" -ge 2 ] && { err "macprobe -K failed (exit $rc)"; exit 3; }
	awk -F'\t' -v p="$prog" -v kh="$dir/known_hosts" '$2 == "changed" {
	    print p ": " $1 ": its key changed (" $3 "): not enrolled; if the Mac was reinstalled, remove the old key: ssh-keygen -R " $1 " -f " kh }' \
	    "$tmp/keys" >&2
	awk -F'\t' '$2 == "new"' "$tmp/keys" > "$tmp/new"
	pinned=$(awk -F'\t' '$2 == "pinned"' "$tmp/keys" | grep -c . || true)
	n=$(grep -c . "$tmp/new" || true)
	if [ "$n" -eq 0 ]; then
		log "no new host key ($pinned hosts already pinned)"
		return 0
	fi
	: > "$tmp/fps"
	if [ "$yes" -eq 1 ]; then
		cut -f3 "$tmp/new" | cut -d' ' -f2 > "$tmp/fps"
	elif [ $# -gt 0 ]; then
		printf '%s\n' "$@" > "$tmp/fps"
	elif [ -t 0 ]; then
		echo "$n new hosts; pin the keys you trust (compare with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the Mac):" >&2
		while IFS='	' read -r h _ key _; do
			printf '%s  %s  pin? [y/N] ' "$h" "$key" >&2
			read -r a < /dev/tty || a=
			case $a in [yY]|[yY][eE][sS]) echo "${key#* }" >> "$tmp/fps" ;; esac
		done < "$tmp/new"
	else
		cut -f1,3 "$tmp/new"
		err "$n new host keys not pinned: give -y, or the fingerprints you trust"
		return 1
	fi
	if [ -s "$tmp/fps" ]; then
		# shellcheck disable=SC2046
		cut -f1 "$tmp/new" | macprobe -K -q -d "$dir" $(cat "$tmp/fps") > "$tmp/done"
		rc=$?
		[ "$rc" -ge 2 ] && { err "macprobe -K failed (exit $rc)"; exit 3; }
	else
		cp "$tmp/new" "$tmp/done"
	fi
	cut -f1-3 "$tmp/done"
	got=$(awk -F'\t' '$2 == "enrolled"' "$tmp/done" | grep -c . || true)
	log "enrolled $got of $n new hosts ($pinned already pinned)"
	[ "$got" -eq "$n" ] || return 1
}

# The scan interval in minutes (MACSCAN_INTERVAL), checked as macconf
# does; leading zeros dropped (sh arithmetic reads 010 as octal).
interval() {
	iv=$(conf MACSCAN_INTERVAL 10)
	while :; do case $iv in 0?*) iv=${iv#0} ;; *) break ;; esac; done
	case $iv in
	[1-9]|[1-9][0-9]|[1-9][0-9][0-9]|1[0-3][0-9][0-9]|14[0-3][0-9]|1440) ;;
	*) err "MACSCAN_INTERVAL: minutes between scans, 1 to 1440: '$iv'"; exit 2 ;;
	esac
	echo "$iv"
}

# write_file PATH TEXT: PATH replaced in one rename.
write_file() {
	mkdir -p "$(dirname "$1")" || exit 3
	printf '%s\n' "# Written by macscan schedule from the configuration." \
	    "$2" > "$1.tmp" && mv "$1.tmp" "$1" || exit 3
}

# schedule [-s | -w]: the timers from the configuration. Prints the
# systemd drop-ins of macnotify.timer (OnCalendar, from
# CLEANUP_SCHEDULE_DAY and CLEANUP_SCHEDULE_TIME) and of macscan.timer
# (OnUnitActiveSec, from MACSCAN_INTERVAL); -w writes them, and sets
# StartInterval in the launchd job when it is installed; -s prints the
# scan interval in seconds (for a loop: the compose file's).
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
	*) err "CLEANUP_SCHEDULE_TIME: not HH:MM: '$time'"; exit 2 ;;
	esac
	iv=$(interval) || exit 2
	notify_dropin="[Timer]
OnCalendar=
OnCalendar=$d *-*-* $time:00"
	# An empty OnUnitActiveSec= clears every timer of the unit, so the
	# boot anchor of macscan.timer is set again.
	scan_dropin="[Timer]
OnUnitActiveSec=
OnBootSec=2min
OnUnitActiveSec=${iv}min"
	case ${1:-} in
	-s)
		echo $((iv * 60)) ;;
	-w)
		units=${SYSTEMD_UNIT_DIR:-/etc/systemd/system}
		write_file "$units/macnotify.timer.d/schedule.conf" "$notify_dropin"
		log "wrote $units/macnotify.timer.d/schedule.conf (OnCalendar=$d *-*-* $time:00)"
		write_file "$units/macscan.timer.d/interval.conf" "$scan_dropin"
		log "wrote $units/macscan.timer.d/interval.conf (every $iv min)"
		log "run: systemctl daemon-reload && systemctl restart macnotify.timer macscan.timer"
		plist=${LAUNCHD_DIR:-/Library/LaunchDaemons}/org.macscan.scan.plist
		if [ -f "$plist" ]; then
			awk -v s=$((iv * 60)) '
			    set { sub(/<integer>[0-9]*<\/integer>/, "<integer>" s "</integer>"); set = 0 }
			    /<key>StartInterval<\/key>/ { set = 1 }
			    { print }' "$plist" > "$plist.tmp" && mv "$plist.tmp" "$plist" || exit 3
			log "wrote $plist (StartInterval $((iv * 60)))"
			log "run: launchctl bootout system/org.macscan.scan; launchctl bootstrap system $plist"
		fi ;;
	"")
		printf '%s\n' "# macnotify.timer.d/schedule.conf" "$notify_dropin" "" \
		    "# macscan.timer.d/interval.conf" "$scan_dropin" ;;
	*) usage ;;
	esac
}

case $cmd in
scan) scan ;;
notify) notify ;;
enroll) enroll "$@" ;;
schedule) [ $# -le 1 ] || usage; schedule "$@" ;;
*) usage ;;
esac
