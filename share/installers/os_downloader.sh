#!/bin/sh
# os_downloader.sh - list the full macOS installers Apple offers this Mac
# and download one into /Applications ("Install macOS NAME.app").
#
#   curl -fsS http://SERVER:8000/installers/os_downloader.sh | sh -s -- -l
#   curl -fsS http://SERVER:8000/installers/os_downloader.sh | sudo sh -s -- 14.4.1
#
# POSIX sh (macOS /bin/sh, bash 3.2). Exit status: 0 done (or listed),
# 1 the version is not offered (or nothing is), 2 usage, 3 softwareupdate
# failed.
set -u

prog=os_downloader.sh

usage() {
	cat <<USAGE
usage: $prog [-hln] [VERSION | latest]
  -h         this help
  -l         list the offered installers (also without VERSION)
  -n         dry run: check the version and show the command, fetch nothing
  VERSION    e.g. 14.4.1: fetch that full installer; latest: the newest
USAGE
}

err() { printf '%s: %s\n' "$prog" "$*" >&2; }

# The offered installers, one per line: VERSION<TAB>TITLE<TAB>BUILD<TAB>SIZE,
# from lines such as
# * Title: macOS Sonoma, Version: 14.4.1, Size: 13329305KiB, Build: 23E224, Deferred: NO
offered() {
	softwareupdate --list-full-installers 2>/dev/null |
	    sed -n 's/^[*[:space:]]*Title: \(.*\), Version: \([0-9][0-9.]*\), Size: \([^,]*\), Build: \([^,]*\).*$/\2	\1	\4	\3/p'
}

# Highest version first.
by_version() {
	sort -t . -k 1,1nr -k 2,2nr -k 3,3nr
}

list=0
dry=0
while getopts hln opt; do
	case $opt in
	h) usage; exit 0 ;;
	l) list=1 ;;
	n) dry=1 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -gt 1 ]; then
	usage >&2
	exit 2
fi
want=${1:-}

if ! command -v softwareupdate >/dev/null 2>&1; then
	err "softwareupdate not found: this runs on macOS"
	exit 3
fi
avail=$(offered)
if [ -z "$avail" ]; then
	err "softwareupdate --list-full-installers offers no installer"
	exit 1
fi

if [ "$list" = 1 ] || [ -z "$want" ]; then
	printf 'VERSION\tTITLE\tBUILD\tSIZE\n'
	printf '%s\n' "$avail" | by_version
	exit 0
fi

case $want in
latest)
	want=$(printf '%s\n' "$avail" | by_version | head -n 1 | cut -f 1)
	;;
*[!0-9.]* | .* | *. | *..*)
	err "bad version: $want (expected e.g. 14.4.1 or latest)"
	exit 2
	;;
esac
if ! printf '%s\n' "$avail" | cut -f 1 | grep -qx -- "$want"; then
	err "macOS $want is not offered; offered: $(printf '%s\n' "$avail" | cut -f 1 | tr '\n' ' ')"
	exit 1
fi
title=$(printf '%s\n' "$avail" | awk -F '\t' -v v="$want" '$1 == v { print $2; exit }')

if [ "$dry" = 1 ]; then
	echo "would run: softwareupdate --fetch-full-installer --full-installer-version $want  # $title"
	exit 0
fi
echo "$prog: fetching $title $want into /Applications"
if ! softwareupdate --fetch-full-installer --full-installer-version "$want"; then
	err "softwareupdate --fetch-full-installer $want failed"
	exit 3
fi
echo "$prog: done; install it with os_installer.sh"
