# lib.sh - sourced first by every fake macOS command of a maclab host.
#
# POSIX sh (runs under the host's real /bin/sh, dash). @STATE@ is replaced
# by the lab's state directory (/run/$MACLAB_NAME) when `maclab up`
# installs the fakes. Inside a host's mount namespace:
#   @STATE@/host        this host's own state dir (bind mount): host.env...
#   @STATE@/real/bin    copies of the real id, stat, getent, df, uname,
#                       hostname (the fakes are overlaid on /usr/bin, /usr/sbin)

# The fakes only use commands they do not shadow (cat, sed, awk, date, tr,
# head, mkdir, printf...), and reach the real id/stat/df/uname via $REAL.

MACLAB_STATE=@STATE@
MH=$MACLAB_STATE/host
REAL=$MACLAB_STATE/real
if [ ! -r "$MH/host.env" ]; then
	echo "${0##*/}: maclab: no host profile at $MH" >&2
	exit 127
fi
. "$MH/host.env"
. "$MACLAB_STATE/fakes/derive.sh"
PROG=${0##*/}

# The garbage host: every command prints 5 MB of text or binary noise.
if [ "${GARBAGE:-0}" = 1 ]; then
	case $PROG in
	pmset|ioreg|scutil|stat|hostname|uname|osascript)
		cat "$MH/garbage.bin" ;;
	*)	cat "$MH/garbage.txt" ;;
	esac
	exit 0
fi

# ctime(3) style date of an epoch in the Mac's time zone, English names.
ctime() {
	TZ=$TIMEZONE LC_ALL=C date -d "@$1" '+%a %b %e %H:%M:%S %Y'
}

# Append one call to this host's call log: a directory per call under
# $MH/calls holding prog, argv.N (each argument, bytes unchanged), stdin
# (when the command read it), user and uid (who the call runs as).
# Sets LOGDIR.
log_call() {
	_seq=$(date +%s%N)
	LOGDIR=$MH/calls/$_seq-$$-$PROG
	mkdir -p "$LOGDIR" || return 0
	printf '%s' "$PROG" >"$LOGDIR/prog"
	_i=0
	for _a in "$@"; do
		printf '%s' "$_a" >"$LOGDIR/argv.$_i"
		_i=$((_i + 1))
	done
	printf '%s' "$_i" >"$LOGDIR/argc"
	_uid=${MACLAB_AS_UID:-$("$REAL/bin/id" -u)}
	_user=${MACLAB_AS_USER:-}
	if [ -z "$_user" ]; then
		if [ -n "$CONSOLE_USER" ] && [ "$_uid" = "$CONSOLE_UID" ]; then
			_user=$CONSOLE_USER
		else
			_user=$("$REAL/bin/id" -un "$_uid" 2>/dev/null || echo "$_uid")
		fi
	fi
	printf '%s' "$_user" >"$LOGDIR/user"
	printf '%s' "$_uid" >"$LOGDIR/uid"
	date -u '+%Y-%m-%dT%H:%M:%SZ' >"$LOGDIR/time"
}
