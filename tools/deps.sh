#!/bin/sh
# deps.sh build|test|demo|fuzz|docker - install what macscan needs for that
# job.
#
# Debian/Ubuntu: missing packages through apt-get as root, otherwise the
# exact command to run is printed. macOS: Homebrew. Elsewhere: the names.
# The test and demo lists add the packages named in tests/*/DEPS files;
# docker (make docker-check) is packaging/docker/DEPS and the lab's.
set -eu
cd "$(dirname "$0")/.."
what=${1:-build}

deb_build="gcc make pkg-config libc6-dev libssh-dev libjansson-dev libcurl4-openssl-dev"
deb_test="check valgrind mandoc"
deb_fuzz="clang libclang-rt-14-dev"
brew_build="pkg-config libssh jansson curl check"

# deb_list FILE...: one Debian package a line, # comments.
deb_list() {
	for f in "$@"; do
		[ -f "$f" ] || continue
		sed 's/#.*//' "$f"
	done | tr -s ' \t\n' '   '
}
# tests/<area>/DEPS
deb_extra() { deb_list tests/*/DEPS tests/*/DEPS.*; }

case $what in
build) deb="$deb_build" ;;
test) deb="$deb_build $deb_test $(deb_extra)" ;;
demo) deb="$deb_build $(deb_extra)" ;;
fuzz) deb="$deb_build $deb_fuzz" ;;
docker) deb="$(deb_list packaging/docker/DEPS tests/lab/DEPS)" ;;
*) echo "deps.sh: unknown set: $what (build, test, demo, fuzz or docker)" >&2; exit 2 ;;
esac

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
	missing=""
	for p in $deb; do
		s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case $s in *" installed") ;; *) missing="$missing $p" ;; esac
	done
	[ -n "$missing" ] || exit 0
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing packages; run as root:" >&2
		echo "  apt-get install -y$missing" >&2
		exit 1
	fi
	echo "deps.sh: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2 || { echo "deps.sh: apt-get update failed" >&2; exit 1; }
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >&2 || {
		echo "deps.sh: apt-get install failed:$missing" >&2; exit 1; }
elif [ "$(uname -s)" = Darwin ]; then
	if ! command -v brew >/dev/null 2>&1; then
		echo "deps.sh: install Homebrew, then: brew install $brew_build" >&2
		exit 1
	fi
	# shellcheck disable=SC2086
	brew list $brew_build >/dev/null 2>&1 || brew install $brew_build
else
	echo "deps.sh: install these (Debian names; use your system's):" >&2
	echo "  $deb" >&2
	pkg-config --exists libssh jansson libcurl || exit 1
fi
