#!/bin/sh
# tools/demo.sh - what `make demo` runs after building (README.md).
#
# As root: bring up the lab of simulated Macs (tests/lab), run one full
# scan cycle in it with macscan, deliver the alert email to a local SMTP
# sink, then serve the dashboard on http://127.0.0.1:8000 until Ctrl-C,
# and take the lab down. Without root: say why, and serve the dashboard
# on the bundled sample data.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
O=${O:-build}
case $O in /*) ;; *) O=$top/$O ;; esac
listen=${DEMO_LISTEN:-127.0.0.1:8000}
missing=""
for p in macconf macping macprobe macstore macalert machttp macnotify macscan; do
	[ -x "$O/bin/$p" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "demo: not built:$missing; nothing was run" >&2
	exit 1
fi
PATH=$O/bin:$PATH
export PATH
D=$(mktemp -d "${TMPDIR:-/tmp}/macscan-demo.XXXXXX")
chmod 755 "$D"
lab=tests/lab/maclab
export MACLAB_NAME=macscan-demo
pids=""
cleanup() {
	set +e
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$(id -u)" = 0 ]; then
		echo "demo: taking the lab down" >&2
		"$lab" down >/dev/null 2>&1
	fi
	echo "demo: files kept in $D" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

serve() {
	echo
	echo "demo: the dashboard is on http://$listen/  (JSON: /machines, metrics: /metrics)"
	echo "demo: press Ctrl-C to stop"
	machttp -l "$listen" -d "$D/store" -s "$top/share/installers" &
	pids="$pids $!"
	wait
}

if [ "$(id -u)" != 0 ]; then
	echo "demo: not root, so no lab: the lab of simulated Macs needs network" >&2
	echo "demo: namespaces (run 'make demo' as root for the full cycle)." >&2
	echo "demo: serving the dashboard on the bundled sample data instead." >&2
	macstore -q -d "$D/store" add < tools/demo/sample.ndjson
	chmod -R a+rX "$D"
	serve
	exit 0
fi

echo "demo: bringing up the lab of simulated Macs (tests/lab)" >&2
"$lab" up
# The client credentials the lab made: SSH_USERNAME, SSH_KEY, ...
eval "$("$lab" env)"
ns=$MACLAB_NS

# A local SMTP sink inside the scanner namespace, where macalert runs; it
# stores each message as a file in a maildir.
mkdir -p "$D/mail"
ip netns exec "$ns" /usr/bin/python3 tests/integration/smtpd.py --plain \
    --port 2525 --out "$D/mail" >"$D/smtp.log" 2>&1 &
pids="$pids $!"
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e "$D/mail/ready" ] && break; sleep 0.5; done

cat > "$D/macscan.conf" <<CONF
# The demo's configuration: the lab's subnet, its SSH login, a local sink.
MACSCAN_SUBNETS=198.18.0.0/24
MACSCAN_DIR=$D/store
SSH_USERNAME=$SSH_USERNAME
SSH_KEY=$SSH_KEY
SSH_PASSWORD_FILE=$SSH_PASSWORD_FILE
SMTP_URL=smtp://127.0.0.1:2525
SMTP_TLS=off
MAIL_FROM=macscan@demo.invalid
ALERT_RECIPIENTS=it@demo.invalid
MACSCAN_LANG=${MACSCAN_LANG:-en}
CONF
echo "demo: one scan cycle in the lab: macscan -v (config $D/macscan.conf)" >&2
set +e
ip netns exec "$ns" env MACSCAN_CONF="$D/macscan.conf" PATH="$PATH" \
    macscan -v scan
rc=$?
set -e
chmod -R a+rX "$D"
echo "demo: macscan exited $rc (1: some simulated hosts are broken on purpose)" >&2
echo
macstore -d "$D/store" latest -t || true
mails=$(ls "$D/mail"/*.eml 2>/dev/null | head -n 5)
echo
if [ -n "$mails" ]; then
	echo "demo: the alert email was delivered to the local sink; read it with:"
	for m in $mails; do echo "  less $m"; done
else
	echo "demo: no alert email was delivered (see $D/smtp.log)"
fi
serve
