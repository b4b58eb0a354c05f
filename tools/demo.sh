#!/bin/sh
# tools/demo.sh - what `make demo` runs after building (see README.md).
set -eu
cd "$(dirname "$0")/.."
O=${O:-build}
missing=""
for p in macping macprobe macstore macalert machttp macscan; do
	[ -x "$O/bin/$p" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "demo: not built yet:$missing" >&2
	echo "demo: the demo needs every program of the pipeline; nothing was run" >&2
	exit 1
fi
