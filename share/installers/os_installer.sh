#!/bin/sh
# os_installer.sh - upgrade macOS with a downloaded "Install macOS *.app"
# (see os_downloader.sh), after checking that the upgrade can go through:
# enough free disk space, AC power, and a version that is not a downgrade.
#
#   curl -fsS http://SERVER:8000/installers/os_installer.sh | sudo sh -s -- -n
#   curl -fsS http://SERVER:8000/installers/os_installer.sh | sudo sh -s
#
# On Apple silicon, startosinstall asks for a volume owner: give -u USER
# and the password on standard input (it is passed with --stdinpass).
#
# POSIX sh (macOS /bin/sh, bash 3.2). Exit status: 0 the installer was
# started (or, with -n, would be), 1 a check refused, 2 usage, 3
# startosinstall failed.
set -u

prog=os_installer.sh

usage() {
	cat <<USAGE
usage: $prog [-fhn] [-a app] [-d dir] [-m gigabytes] [-u user] [-V version]
           [-- startosinstall-argument ...]
  -a app     the installer (default: the newest "Install macOS *.app" in dir)
  -d dir     where to look for it (default /Applications)
  -f         skip the version check (reinstall or unknown version)
  -h         this help
  -m GB      free disk space needed, decimal GB (default 35)
  -n         dry run: check everything, show the command, start nothing
  -u user    volume owner for startosinstall (Apple silicon), password on stdin
  -V version the version the installer holds, when it cannot be read from it
USAGE
}

err() { printf '%s: %s\n' "$prog" "$*" >&2; }

# Compare dotted versions: prints -1, 0 or 1.
vercmp() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		na = split(a, x, "."); nb = split(b, y, ".")
		n = na > nb ? na : nb
		for (i = 1; i <= n; i++) {
			if (x[i] + 0 < y[i] + 0) { print -1; exit }
			if (x[i] + 0 > y[i] + 0) { print 1; exit }
		}
		print 0
	}'
}

# The macOS version an installer app holds, read from the asset list in
# its SharedSupport.dmg (the app's own Info.plist gives the SDK's).
app_version() {
	dmg="$1/Contents/SharedSupport/SharedSupport.dmg"
	[ -f "$dmg" ] || return 1
	mnt=$(mktemp -d "${TMPDIR:-/tmp}/os_installer.XXXXXX") || return 1
	if ! hdiutil attach -nobrowse -readonly -noverify -mountpoint "$mnt" \
	    "$dmg" >/dev/null 2>&1; then
		rmdir "$mnt" 2>/dev/null
		return 1
	fi
	xml="$mnt/com_apple_MobileAsset_MacSoftwareUpdate/com_apple_MobileAsset_MacSoftwareUpdate.xml"
	v=$(plutil -extract Assets.0.OSVersion raw -o - "$xml" 2>/dev/null)
	hdiutil detach "$mnt" -quiet >/dev/null 2>&1
	rmdir "$mnt" 2>/dev/null
	case $v in
	[0-9]*) printf '%s\n' "$v" ;;
	*) return 1 ;;
	esac
}

app=""
dir=/Applications
force=0
need_gb=35
dry=0
owner=""
version=""
while getopts a:d:fhm:nu:V: opt; do
	case $opt in
	a) app=$OPTARG ;;
	d) dir=$OPTARG ;;
	f) force=1 ;;
	h) usage; exit 0 ;;
	m) need_gb=$OPTARG ;;
	n) dry=1 ;;
	u) owner=$OPTARG ;;
	V) version=$OPTARG ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $need_gb in
'' | *[!0-9]*) err "-m: not a number of GB: $need_gb"; exit 2 ;;
esac
case $version in
*[!0-9.]*) err "-V: bad version: $version"; exit 2 ;;
esac

# The installer: the given one, else the newest in dir.
if [ -z "$app" ]; then
	# The most recently downloaded one (names hold no newline).
	# shellcheck disable=SC2012
	app=$(ls -dt "$dir"/Install\ macOS\ *.app 2>/dev/null | head -n 1)
	if [ -z "$app" ] || [ ! -d "$app" ]; then
		err "no \"Install macOS *.app\" in $dir; fetch one with os_downloader.sh"
		exit 1
	fi
fi
tool="$app/Contents/Resources/startosinstall"
if [ ! -x "$tool" ]; then
	err "$app: no Contents/Resources/startosinstall: not a macOS installer"
	exit 1
fi
echo "$prog: installer: $app"
fail=0

# Disk: what df says the user can write, in KiB, against decimal GB.
avail_kb=$(df -Pk / | awk 'NR == 2 { print $4 }')
case $avail_kb in
'' | *[!0-9]*)
	err "cannot read the free disk space from df"
	fail=1
	;;
*)
	free_gb=$((avail_kb * 1024 / 1000000000))
	if [ $((avail_kb * 1024)) -lt $((need_gb * 1000000000)) ]; then
		err "only $free_gb GB free on /, $need_gb GB needed"
		fail=1
	else
		echo "$prog: disk: $free_gb GB free, $need_gb GB needed: ok"
	fi
	;;
esac

# Power: an upgrade must not run out of battery halfway.
src=$(pmset -g batt 2>/dev/null | sed -n "1s/.*drawing from '\\([^']*\\)'.*/\\1/p")
if [ "$src" = "AC Power" ]; then
	echo "$prog: power: AC: ok"
else
	err "not on AC power (${src:-unknown}): plug the Mac in"
	fail=1
fi

# Version: never a downgrade.
current=$(sw_vers -productVersion 2>/dev/null)
if [ -z "$version" ]; then
	version=$(app_version "$app") || version=""
fi
if [ "$force" = 1 ]; then
	echo "$prog: version: ${version:-unknown} over ${current:-unknown}: not checked (-f)"
elif [ -z "$version" ] || [ -z "$current" ]; then
	err "cannot tell the versions (installer ${version:-?}, running ${current:-?}); give -V VERSION or -f"
	fail=1
else
	case $(vercmp "$version" "$current") in
	-1)
		err "the installer holds macOS $version, older than the running $current: no downgrade"
		fail=1
		;;
	0) echo "$prog: version: $version, the running one: reinstall" ;;
	*) echo "$prog: version: $current -> $version: ok" ;;
	esac
fi
[ "$fail" = 0 ] || exit 1

set -- --agreetolicense --nointeraction --forcequitapps "$@"
if [ -n "$owner" ]; then
	set -- "$@" --user "$owner" --stdinpass
fi
if [ "$dry" = 1 ]; then
	printf 'would run: %s' "'$tool'"
	printf ' %s' "$@"
	printf '\n'
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	err "startosinstall needs root: run it with sudo"
	exit 1
fi
echo "$prog: starting the upgrade; the Mac restarts when it is ready"
"$tool" "$@" || {
	err "startosinstall failed"
	exit 3
}
