# test_machttp.sh - machttp against a real store on 127.0.0.1: every route
# and error code with curl, path traversal, a hostile host name, limits
# and timeouts, ETag/304, keep-alive and pipelining, authentication, the
# Host rule against DNS rebinding, no listening beyond loopback without
# authentication, privilege dropping, SIGTERM, CGI mode behind lighttpd,
# /metrics (posture gauges and fleet counts) through promtool, the
# posture on the dashboard, the page of one Mac, the installers' SHA-256
# and their command, the dashboard and a Mac's page in headless Chromium
# (playwright-core), and the two installer scripts against fake macOS
# commands.
#
# No check compares a wall time with a constant unless it states a margin
# that holds on a loaded 2-core machine; other waits are deadlines that
# only bound a broken run.
#
# Needs (tests/integration/DEPS): curl, jq, lighttpd, prometheus
# (promtool), chromium, nodejs/npm (playwright-core from package.json,
# installed with npm ci into $O/npm), shellcheck.
. "$(dirname "$0")/../setup.sh"

here=$(cd "$(dirname "$0")" && pwd)
out=$O/tests-output
mkdir -p "$out"
# The server drops to nobody when run as root: it must read the store.
chmod 755 "$T"
umask 022
export MACSCAN_CONF="$T/none.conf"
unset MACHTTP_USER MACHTTP_PASSWORD MACHTTP_PASSWORD_FILE MACHTTP_TOKEN \
    MACHTTP_TOKEN_FILE MACHTTP_LISTEN MACSCAN_DIR MACHTTP_INSTALLERS \
    GATEWAY_INTERFACE ALERT_DISK_CRITICAL_GB ALERT_DISK_WARN_GB \
    ALERT_BATTERY_LOW_PERCENT 2>/dev/null || true

hostile="<script>alert(1)</script> \"Q\" & 'A'"
# Scan times just before now: the dashboard's trends show recent history.
now=$(date -u +%s)
t1=$(date -u -d "@$((now - 1200))" +%Y-%m-%dT%H:%M:%SZ)
t2=$(date -u -d "@$((now - 600))" +%Y-%m-%dT%H:%M:%SZ)
t3=$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)
ago() { date -u -d "@$((now - $1))" +%Y-%m-%dT%H:%M:%SZ; }

# rec SERIAL NAME IP DISK_GB [JSON fields...]: one record line.
rec() {
	s=$1 n=$2 ip=$3 gb=$4
	shift 4
	extra=""
	for f in "$@"; do extra="$extra,$f"; done
	if [ -n "$s" ]; then
		jq -cn --arg s "$s" --arg n "$n" --arg ip "$ip" --argjson gb "$gb" \
		    "{serial: \$s, ip: \$ip, computer_name: \$n, hostname: (\$n | ascii_downcase | gsub(\"[^a-z0-9]\"; \"-\") + \".local\"),
		      probe: \"ok\", model: \"MacBookPro18,3\", model_name: \"MacBook Pro\", chip: \"Apple M1 Pro\",
		      memory_bytes: 17179869184, os_name: \"macOS\", os_version: \"14.4.1\", os_build: \"23E224\",
		      disk_total_bytes: 500000000000, disk_free_bytes: (\$gb * 1000000000), uptime_s: 93784,
		      scanned_at: \"$t1\" $extra}"
	else
		jq -cn --arg n "$n" --arg ip "$ip" --argjson gb "$gb" \
		    "{mac: \"3c:22:fb:00:00:0b\", ip: \$ip, computer_name: \$n, probe: \"ok\",
		      model_name: \"Mac mini\", os_version: \"13.6.7\", disk_total_bytes: 250000000000,
		      disk_free_bytes: (\$gb * 1000000000) $extra}"
	fi
}

# The posture fields of DESIGN.md's record table: Accounting all well,
# Boardroom without FileVault, firewall or backup, an update waiting for
# a restart and a probe that could not read the SMART section; Design
# with FileVault deferred and a backup 10 days old on a failing disk;
# Lab Mac a new host not yet enrolled; Zeta offline. (Two Macs claiming
# one serial: below, in a store of their own.)
machines() {
	rec C02AAA0001 Accounting 192.0.2.11 10 '"battery_present": true' \
	    '"battery_percent": 100' '"ac_power": true' \
	    '"battery_state": "charged"' '"battery_health_percent": 91' \
	    '"battery_cycles": 312' '"console_user": "bob"' '"rtt_ms": 50.22' \
	    '"filevault": "on"' '"sip": "enabled"' '"ssv": "enabled"' \
	    '"gatekeeper": "enabled"' '"firewall": "on"' '"updates_pending": 0' \
	    '"updates_restart": 0' "\"updates_checked_at\": \"$(ago 7200)\"" \
	    '"xprotect_version": "5287"' '"backup": "ok"' \
	    "\"backup_last_at\": \"$(ago 172800)\"" '"disk_smart": "verified"' \
	    '"memory_pressure": "normal"' '"mdm_enrolled": true' \
	    '"dep_enrolled": true'
	rec C02AAA0002 "Boardroom iMac" 192.0.2.12 120 \
	    '"battery_present": false' '"filevault": "off"' '"sip": "custom"' \
	    '"gatekeeper": "disabled"' '"firewall": "off"' \
	    '"updates_pending": 2' '"updates_restart": 1' \
	    "\"updates_restart_since\": \"$(ago 1728000)\"" '"backup": "never"' \
	    '"memory_pressure": "critical"' '"mdm_enrolled": false' \
	    '"probe_incomplete": ["smart"]'
	rec C02AAA0003 "$hostile" 192.0.2.13 25 '"battery_present": true' \
	    '"battery_percent": 20' '"ac_power": false' \
	    '"probe": "hostkey_mismatch"' \
	    '"probe_error": "host key for 192.0.2.13 changed"'
	rec C02AAA0004 Design 192.0.2.14 300 '"battery_present": true' \
	    '"battery_percent": 80' '"console_user": "alice"' \
	    '"filevault": "deferred"' '"firewall": "block_all"' '"backup": "ok"' \
	    "\"backup_last_at\": \"$(ago 864000)\"" '"disk_smart": "failing"' \
	    '"battery_condition": "Service Recommended"'
	rec "" "Lab Mac" 192.0.2.15 50 '"console_user": "alice"' \
	    '"probe": "new_host"' \
	    '"probe_error": "new host: password authentication only"'
}

# The store: two scans, Zeta only in the first, so it is offline.
{ machines; rec C02AAA0006 Zeta 192.0.2.16 200 '"battery_percent": 60'; } \
    > "$T/scan1.ndjson"
machines > "$T/scan2.ndjson"
{ machines; rec C02AAA0007 Newcomer 192.0.2.17 75 '"console_user": "alice"'; } \
    > "$T/scan3.ndjson"
# mkstore DIR: the two scans, ten minutes apart.
mkstore() {
	mkdir -p "$1"
	macstore -d "$1" -T "$t1" add < "$T/scan1.ndjson" &&
	    macstore -d "$1" -T "$t2" add < "$T/scan2.ndjson" &&
	    chmod -R a+rX "$1"
}
check "macstore: two scans" mkstore "$T/store"

# Installers: the real scripts, plus what must never be served.
inst=$T/installers
mkdir -p "$inst"
cp "$top/share/installers/os_downloader.sh" "$top/share/installers/os_installer.sh" "$inst/"
ln -s /etc/passwd "$inst/passwd-link"
echo secret > "$inst/.hidden"
mkfifo "$inst/fifo.sh"
mkdir "$inst/subdir"
chmod -R a+rX "$inst"

pids=""
stop_all() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	return 0
}
at_exit stop_all

# start NAME ARGS...: machttp on a free port of 127.0.0.1 (port 0: the
# kernel picks it; the -v log tells which); sets $port and $pid.
start() {
	name=$1
	shift
	: > "$T/$name.log"
	machttp -v -l 127.0.0.1:0 -d "$T/store" -s "$inst" "$@" \
	    2> "$T/$name.log" &
	pid=$!
	pids="$pids $pid"
	port=$(listen_port "$T/$name.log" "$pid")
	[ -n "$port" ] || { cat "$T/$name.log"; echo "machttp did not start"; exit 1; }
}

# get URL [curl args]: status in $code, body in $T/body, headers in $T/hdr.
get() {
	u=$1
	shift
	rm -f "$T/body" "$T/hdr"
	: > "$T/body"
	# No answer at all is code 000, for the check that follows to show.
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" "$u") ||
	    true
}

hdr() { sed -n "s/^$1: //Ip" "$T/hdr" | tr -d '\r' | head -n 1; }

# rc_of CMD...: the exit status of CMD, its output dropped.
rc_of() {
	set +e
	"$@" > /dev/null 2>&1
	_r=$?
	set -e
	echo "$_r"
}

# rc_err FILE CMD...: the same, with its standard error kept in FILE.
rc_err() {
	_f=$1
	shift
	set +e
	"$@" > /dev/null 2> "$_f"
	_r=$?
	set -e
	echo "$_r"
}

# raw PORT FORMAT: send bytes (printf format) on one connection, print
# what comes back until the server closes (at most 30 s).
raw() {
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	# shellcheck disable=SC2059
	printf "$2" >&3
	timeout 30 cat <&3 || true
	exec 3<&-
}

start main
base=http://127.0.0.1:$port
mainpid=$pid

## /healthz
get "$base/healthz"
check_eq "/healthz status" 200 "$code"
check_eq "/healthz body" "ok" "$(cat "$T/body")"
check_eq "/healthz type" "text/plain; charset=utf-8" "$(hdr Content-Type)"

## /machines
get "$base/machines"
check_eq "/machines status" 200 "$code"
check_eq "/machines type" "application/json" "$(hdr Content-Type)"
check_eq "/machines count" 6 "$(jq length "$T/body")"
check_eq "/machines ids, sorted" \
    '["3c:22:fb:00:00:0b","C02AAA0001","C02AAA0002","C02AAA0003","C02AAA0004","C02AAA0006"]' \
    "$(jq -c 'map(.id)' "$T/body")"
check_eq "/machines online flags" '[true,true,true,true,true,false]' \
    "$(jq -c 'map(.online)' "$T/body")"
check_eq "hostile name exact in JSON" "$hostile" \
    "$(jq -r '.[] | select(.id == "C02AAA0003") | .computer_name' "$T/body")"
check_eq "/machines equals macstore latest" \
    "$(macstore -d "$T/store" latest | jq -cs .)" "$(jq -c . "$T/body")"
etag=$(hdr ETag)
check_match "/machines ETag" '^"m-[^"]+"$' "$etag"
check_eq "/machines length header" "$(wc -c < "$T/body" | tr -d ' ')" \
    "$(hdr Content-Length)"
get "$base/machines" -H "If-None-Match: $etag"
check_eq "/machines If-None-Match: 304" 304 "$code"
check_eq "304 has no body" 0 "$(wc -c < "$T/body" | tr -d ' ')"
check_eq "304 keeps the ETag" "$etag" "$(hdr ETag)"
get "$base/machines" -H 'If-None-Match: "m-other"'
check_eq "/machines other ETag: 200" 200 "$code"
r=$(raw "$port" 'HEAD /machines HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
check_match "HEAD /machines status" '^HTTP/1.1 200 OK' "$r"
check_eq "HEAD has no body" "" "$(printf '%s' "$r" | sed '1,/^\r$/d')"
check_eq "HEAD Content-Length as GET" \
    "$(curl -s "$base/machines" | wc -c | tr -d ' ')" \
    "$(printf '%s\n' "$r" | sed -n 's/^Content-Length: //p' | tr -d '\r')"

## Numbers as the store has them (15 significant digits, as records)
get "$base/machines"
check_eq "/machines: rtt_ms as stored (50.22)" '"rtt_ms":50.22' \
    "$(grep -o '"rtt_ms":[0-9.e+-]*' "$T/body")"
check_eq "the snapshot says 50.22 too" '"rtt_ms":50.22' \
    "$(cat "$T"/store/snapshots/*.json | grep -o '"rtt_ms":[0-9.e+-]*' | sort -u)"
get "$base/machines/C02AAA0001"
check_eq "/machines/ID: rtt_ms as stored" '"rtt_ms":50.22' \
    "$(grep -o '"rtt_ms":[0-9.e+-]*' "$T/body")"

## /machines/ID
get "$base/machines/C02AAA0004"
check_eq "/machines/ID status" 200 "$code"
check_eq "/machines/ID machine" "Design" "$(jq -r .machine.computer_name "$T/body")"
check_eq "/machines/ID history" '[300000000000,300000000000]' \
    "$(jq -c '[.history[].disk_free_bytes]' "$T/body")"
get "$base/machines/3c%3A22%3afb%3A00%3A00%3A0b"
check_eq "/machines/ID percent-decoded" "Lab Mac" \
    "$(jq -r .machine.computer_name "$T/body")"
get "$base/machines/C02AAA0006"
check_eq "offline machine still listed" false "$(jq .machine.online "$T/body")"
get "$base/machines/NOPE"
check_eq "/machines/unknown: 404" 404 "$code"
check_eq "/machines/unknown body" "404 Not Found: no such machine" "$(cat "$T/body")"
get "$base/machines/"
check_eq "/machines/ (empty id): 404" 404 "$code"

## /machines.csv (lib/csv.h, as `macstore latest -c`)
get "$base/machines.csv"
check_eq "/machines.csv status and type" \
    "200 text/csv; charset=utf-8; header=present" "$code $(hdr Content-Type)"
check_eq "/machines.csv: a download" 'attachment; filename="machines.csv"' \
    "$(hdr Content-Disposition)"
check_eq "/machines.csv = macstore latest -c, byte for byte" \
    "$(macstore -d "$T/store" latest -c | od -c)" "$(od -c < "$T/body")"
# Read by Python's csv module, each row's id, name, ip and free bytes
# equal /machines' (the hostile name as text, its quotes kept).
curl -s "$base/machines" > "$T/machines.json"
check_eq "/machines.csv read by a real CSV reader = /machines" \
    "$(jq -r '.[] | [.id, (.computer_name // .hostname // .host // ""), .ip, (.disk_free_bytes // "" | tostring)] | @tsv' "$T/machines.json")" \
    "$(python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
for r in rows:
    print("\t".join([r["id"], r["name"], r["ip"], r["disk_free_bytes"]]))
' "$T/body")"
etag=$(hdr ETag)
get "$base/machines.csv" -H "If-None-Match: $etag"
check_eq "/machines.csv: 304 for the same store version" 304 "$code"

## /metrics
get "$base/metrics"
check_eq "/metrics status" 200 "$code"
check_eq "/metrics type" "text/plain; version=0.0.4; charset=utf-8" "$(hdr Content-Type)"
cp "$T/body" "$out/machttp-metrics.txt"
check_match "macscan_machines" '^macscan_machines 6$' "$(grep '^macscan_machines ' "$T/body")"
check_eq "fleet counts" "6 5 1 1 1 1 1" "$(awk '
    $1 == "macscan_machines" { a = $2 } $1 == "macscan_machines_online" { b = $2 }
    $1 == "macscan_disk_critical_machines" { c = $2 }
    $1 == "macscan_disk_warning_machines" { d = $2 }
    $1 == "macscan_battery_low_machines" { e = $2 }
    $1 == "macscan_battery_full_plugged_machines" { f = $2 }
    $1 == "macscan_hostkey_mismatch_machines" { g = $2 }
    END { print a, b, c, d, e, f, g }' "$T/body")"
check_eq "disk free sample" \
    'macscan_disk_free_bytes{id="C02AAA0001",name="Accounting",ip="192.0.2.11"} 10000000000' \
    "$(grep '^macscan_disk_free_bytes{id="C02AAA0001"' "$T/body")"
check_eq "battery ratio sample" \
    'macscan_battery_charge_ratio{id="C02AAA0001",name="Accounting",ip="192.0.2.11"} 1' \
    "$(grep '^macscan_battery_charge_ratio{id="C02AAA0001"' "$T/body")"
check_eq "hostile label escaped" \
    'macscan_online{id="C02AAA0003",name="<script>alert(1)</script> \"Q\" & '"'A'"'",ip="192.0.2.13"} 1' \
    "$(grep '^macscan_online{id="C02AAA0003"' "$T/body")"
check_eq "offline sample" 0 \
    "$(grep '^macscan_online{id="C02AAA0006"' "$T/body" | awk '{ print $NF }')"
check_match "HELP and TYPE lines" '^# TYPE macscan_uptime_seconds gauge$' \
    "$(grep '^# TYPE macscan_uptime_seconds' "$T/body")"
# The posture: fleet counts, then every posture gauge as "id name value"
# (a machine whose field is unknown has no sample at all).
check_eq "posture fleet counts" \
    "filevault_off 2 firewall_off 0 backup_stale 2 smart_failing 1 updates_restart 1 identity_conflict 0 probe_incomplete 1 new_host 1" \
    "$(for f in filevault_off firewall_off backup_stale smart_failing \
    updates_restart identity_conflict probe_incomplete new_host; do
	printf '%s %s ' "$f" "$(sed -n "s/^macscan_${f}_machines //p" "$T/body")"
    done | sed 's/ $//')"
sed -n 's/^macscan_\([a-z_]*\){id="\([^"]*\)".*} \(.*\)$/\2 \1 \3/p' "$T/body" |
    grep -E ' (filevault_enabled|filevault_encrypting|sip_enabled|ssv_enabled|gatekeeper_enabled|firewall_enabled|updates_pending|updates_restart|backup_configured|disk_smart_failing|memory_pressure_level|mdm_enrolled|identity_conflict|probe_incomplete_sections) ' |
    sort > "$T/posture.got"
check "posture gauges, only where the field is known" \
    diff -u "$here/machttp/posture_gauges.txt" "$T/posture.got"
check_eq "backup and update check times" \
    "$((now - 172800)) $((now - 7200)) $((now - 864000))" \
    "$(sed -n 's/^macscan_backup_last_timestamp_seconds{id="C02AAA0001".* //p' "$T/body") $(sed -n 's/^macscan_updates_checked_timestamp_seconds{id="C02AAA0001".* //p' "$T/body") $(sed -n 's/^macscan_backup_last_timestamp_seconds{id="C02AAA0004".* //p' "$T/body")"
# The rules of lib/rules.h with the default settings (the firewall rule
# is off): exactly what macalert would say of each machine.
check_eq "risk: the rules that fire, per machine" \
"3c:22:fb:00:00:0b new_host info
C02AAA0001 disk_critical critical
C02AAA0001 battery_full_plugged info
C02AAA0002 filevault_off warning
C02AAA0002 backup_never warning
C02AAA0002 updates_restart warning
C02AAA0003 disk_warning warning
C02AAA0003 battery_low warning
C02AAA0003 hostkey_mismatch critical
C02AAA0004 battery_condition warning
C02AAA0004 filevault_off warning
C02AAA0004 backup_old warning
C02AAA0004 smart_failing critical" \
    "$(sed -n 's/^macscan_risk{id="\([^"]*\)",.*,rule="\([a-z_]*\)",severity="\([a-z]*\)"} 1$/\1 \2 \3/p' "$T/body")"
if command -v promtool > /dev/null; then
	check "promtool check metrics" sh -c "promtool check metrics < '$T/body'"
	check_eq "promtool: no lint message" "" \
	    "$(promtool check metrics < "$T/body" 2>&1)"
else
	fail "promtool not installed (apt-get install prometheus)"
fi

## / (the dashboard)
get "$base/"
check_eq "/ status" 200 "$code"
check_eq "/ type" "text/html; charset=utf-8" "$(hdr Content-Type)"
csp=$(hdr Content-Security-Policy)
check_match "CSP forbids external loads" "^default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'" "$csp"
check_eq "nosniff" nosniff "$(hdr X-Content-Type-Options)"
check "hostile name escaped in HTML" grep -qF \
    '&lt;script&gt;alert(1)&lt;/script&gt; &quot;Q&quot; &amp; &#39;A&#39;' "$T/body"
check_eq "no raw hostile markup in HTML" 0 \
    "$(grep -c '<script>alert' "$T/body" || true)"
check_eq "one row per machine" 6 "$(grep -c '<tr class=' "$T/body")"
check_match "counters" '<b>6</b> Macs.*<b>5</b> online.*<b>1</b> disk critical.*<b>1</b> disk warning.*<b>1</b> battery low.*<b>1</b> full and plugged.*<b>1</b> host key problems' \
    "$(tr -d '\n' < "$T/body")"
check_match "posture tiles" '<b>2</b> without FileVault.*<b>0</b> firewall off.*<b>1</b> backup older than 7 days.*<b>1</b> never backed up.*<b>1</b> SMART failing.*<b>1</b> updates waiting for a restart.*<b>1</b> incomplete probes.*<b>1</b> new hosts to enrol' \
    "$(tr -d '\n' < "$T/body")"
# row ID: the dashboard's row of machine ID.
row() { grep -F "data-id=\"$1\"" "$T/body"; }
check_match "Accounting: posture badges" \
    'class="badge ok"[^>]*>FileVault</span> <span class="badge ok">SIP</span> <span class="badge ok">Gatekeeper</span> <span class="badge ok">Firewall</span> <span class="badge ok"[^>]*>up to date</span> <span class="badge ok"[^>]*>backup 2 d ago</span> <span class="badge ok"[^>]*>SMART</span> <span class="badge ok">MDM \(DEP\)</span><span class="sub">XProtect 5287</span>' \
    "$(row C02AAA0001)"
check_match "Boardroom: FileVault off, firewall off, never backed up" \
    'class="badge warn"[^>]*>FileVault off</span> <span class="badge info">SIP custom</span> <span class="badge info">Gatekeeper off</span> <span class="badge info">Firewall off</span> <span class="badge warn"[^>]*>2 updates, 1 needs a restart</span> <span class="badge warn">never backed up</span> <span class="badge info">memory pressure: critical</span> <span class="badge info">no MDM</span>' \
    "$(row C02AAA0002)"
check_match "Boardroom: the incomplete probe says which section" \
    'class="badge warn" title="these sections of the probe were cut[^"]*">incomplete: smart</span>' \
    "$(row C02AAA0002)"
check_match "Design: deferred FileVault, old backup, failing SMART" \
    'FileVault deferred</span>.*Firewall: block all</span>.*class="badge warn"[^>]*>backup 10 d ago</span>.*class="badge bad">SMART failing</span>' \
    "$(row C02AAA0004)"
check_match "Design: battery condition" 'class="badge warn">Service Recommended</span>' \
    "$(row C02AAA0004)"
check_match "Lab Mac: shown as a new host" 'class="badge info" title="its SSH host key is not pinned[^"]*">new host: not enrolled</span>' \
    "$(row 3c:22:fb:00:00:0b)"
# Two Macs claiming one serial in one scan: the store flags both, and the
# dashboard and the metrics show it (machttp as a CGI program here).
tw=$T/twins
mkdir -p "$tw"
printf '%s\n' \
    '{"serial":"C02TWIN","ip":"192.0.2.30","computer_name":"Twin A","probe":"ok","platform_uuid":"UUID-A"}' \
    '{"serial":"C02TWIN","ip":"192.0.2.31","computer_name":"Twin B","probe":"ok","platform_uuid":"UUID-B"}' |
    macstore -d "$tw" -T "$t2" add 2> "$T/twins.err"
chmod -R a+rX "$tw"
cgi_get() {
	env MACSCAN_DIR="$tw" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	    PATH_INFO="$1" SERVER_NAME=127.0.0.1 SERVER_PORT=80 \
	    REMOTE_ADDR=127.0.0.1 SCRIPT_NAME=/m machttp
}
cgi_get / > "$T/twins.html"
check_eq "twins: both flagged, as their own rows" 2 \
    "$(grep -c 'class="badge bad"[^>]*>identity conflict</span>' "$T/twins.html")"
check_eq "twins: the risk metric of the rules module" \
    'macscan_risk{id="C02TWIN@UUID-A",name="Twin A",ip="192.0.2.30",rule="identity_conflict",severity="critical"} 1
macscan_risk{id="C02TWIN@UUID-B",name="Twin B",ip="192.0.2.31",rule="identity_conflict",severity="critical"} 1' \
    "$(cgi_get /metrics | grep '^macscan_risk')"
check_eq "hostile machine: no posture badge (none known)" '<td class="posture" data-v="0"></td>' \
    "$(row C02AAA0003 | grep -o '<td class="posture"[^>]*>[^<]*</td>')"
check_match "posture sorts by its problems" 'class="posture" data-v="120"' "$(row C02AAA0004)"
check_match "each name links to its page" '<a class="n" href="/mac/3c%3A22%3Afb%3A00%3A00%3A0b">Lab Mac</a>' \
    "$(row 3c:22:fb:00:00:0b)"
check_match "disk critical row" 'class="disk crit" data-v="10000000000"' "$(cat "$T/body")"
check_match "disk warning row" 'class="disk warn" data-v="25000000000"' "$(cat "$T/body")"
check_match "sparkline" '<svg class="spark' "$(cat "$T/body")"
check_match "host key badge" 'host key changed' "$(cat "$T/body")"
check_eq "no external URL in the page" "" \
    "$(grep -Eo '(src|href)="(https?:)?//[^"]*"' "$T/body" || true)"
detag=$(hdr ETag)
get "$base/" -H "If-None-Match: $detag"
check_eq "/ If-None-Match: 304" 304 "$code"
get "$base/static/dashboard.js"
check_eq "dashboard.js" "200 text/javascript; charset=utf-8" "$code $(hdr Content-Type)"
get "$base/static/dashboard.css"
check_eq "dashboard.css" "200 text/css; charset=utf-8" "$code $(hdr Content-Type)"

## Installers and path traversal
get "$base/installers/os_downloader.sh"
check_eq "installer status" 200 "$code"
check_eq "installer type" "text/x-shellscript; charset=utf-8" "$(hdr Content-Type)"
check "installer body" cmp "$T/body" "$top/share/installers/os_downloader.sh"
get "$base/installers/os_installer.sh"
check "second installer body" cmp "$T/body" "$top/share/installers/os_installer.sh"
for p in '/installers/../../../../etc/passwd' \
    '/installers/%2e%2e/%2e%2e/%2e%2e/etc/passwd' \
    '/installers/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd' \
    '/installers/%252e%252e%252f%252e%252e%252fetc%252fpasswd' \
    '/installers/..%2f..%2fetc%2fpasswd' \
    '/installers//etc/passwd' '/installers/%2fetc%2fpasswd' \
    '/installers/passwd-link' '/installers/.hidden' '/installers/%2ehidden' \
    '/installers/..' '/installers/.' '/installers/' '/installers/subdir' \
    '/installers/fifo.sh' '/installers/os_installer.sh/' \
    '/installers/os_installer.sh%2f..%2f..%2fetc%2fpasswd' \
    '/etc/passwd' '/../etc/passwd' '/installers/os%5finstaller.sh%3f' \
    '/installers/a%5cb'; do
	get "$base$p" --path-as-is
	check_eq "refused: $p" 404 "$code"
	check_eq "nothing leaked: $p" 0 "$(grep -c 'root:' "$T/body" || true)"
done
get "$base/installers/os_installer.sh%00.txt" --path-as-is
check_eq "refused: NUL (%00)" "400 400 Bad Request: NUL byte in the path" \
    "$code $(cat "$T/body")"
get "$base/installers/%00" --path-as-is
check_eq "refused: bare %00" 400 "$code"
r=$(raw "$port" 'GET http://127.0.0.1/../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
check_match "absolute-form traversal refused" '^HTTP/1.1 404 Not Found' "$r"
r=$(raw "$port" 'GET /installers/../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
check_match "raw .. traversal refused" '^HTTP/1.1 404 Not Found' "$r"
check_eq "raw .. traversal leaks nothing" 0 "$(printf '%s' "$r" | grep -c 'root:' || true)"

## The installers on the dashboard: SHA-256 and a command that checks it
get "$base/"
for f in os_downloader.sh os_installer.sh; do
	sum=$(sha256sum < "$inst/$f" | cut -d' ' -f1)
	check_match "dashboard: SHA-256 of $f" \
	    "<li data-name=\"$f\">.*<code class=\"sha\">$sum</code>" "$(cat "$T/body")"
	check "dashboard: the command for $f" grep -qF \
	    "<code class=\"cmd\">curl -fsSO http://127.0.0.1:$port/installers/$f &amp;&amp; echo \"$sum  $f\" | shasum -a 256 -c &amp;&amp; sudo sh $f</code>" \
	    "$T/body"
done
check_eq "no link to what is not an installer" "os_downloader.sh os_installer.sh" \
    "$(grep -o '<li data-name="[^"]*"' "$T/body" | sed 's/.*="//; s/"$//' | tr '\n' ' ' | sed 's/ $//')"
# The command as a Mac would run it (shasum is perl's, as on macOS), with
# "sudo sh" replaced by a marker: it fetches, checks, and only then runs.
cmd=$(sed -n 's/.*data-name="os_installer.sh".*<code class="cmd">\([^<]*\)<\/code>.*/\1/p' "$T/body" |
    sed 's/&amp;/\&/g; s/&quot;/"/g' | sed 's/sudo sh /echo would-run /')
mkdir -p "$T/mac"
r=$(cd "$T/mac" && sh -c "$cmd" 2>&1 || true)
check_match "the command checks the checksum, then runs" 'os_installer.sh: OK.*would-run os_installer.sh' \
    "$(printf '%s\n' "$r" | tr '\n' ' ')"
check "the command fetched the installer" cmp "$T/mac/os_installer.sh" "$inst/os_installer.sh"
# A changed installer does not run with the checksum read before.
cp "$inst/os_installer.sh" "$T/os_installer.sh.orig"
echo 'echo tampered' >> "$inst/os_installer.sh"
rm -f "$T/mac/os_installer.sh"
r=$(cd "$T/mac" && sh -c "$cmd" 2>&1 || true)
check_match "a changed file fails the check" 'FAILED' "$r"
check_eq "and is not run" 0 "$(printf '%s\n' "$r" | grep -c would-run || true)"
get "$base/"
check_match "the dashboard shows the new checksum" \
    "<code class=\"sha\">$(sha256sum < "$inst/os_installer.sh" | cut -d' ' -f1)</code>" "$(cat "$T/body")"
cp "$T/os_installer.sh.orig" "$inst/os_installer.sh"
get "$base/" -H "Host: localhost:$port"
check_match "the command names the host the page was read at" \
    "curl -fsSO http://localhost:$port/installers/os_installer.sh" "$(cat "$T/body")"

# SHA-256 on every size around its 64-byte blocks, computed once from a
# download (odd sizes) and once while listing (even ones): as sha256sum.
mkdir -p "$T/sizes"
for n in 0 1 55 56 57 63 64 65 119 120 121 1000 65535 65536 65537 200003; do
	head -c "$n" /dev/urandom > "$T/sizes/f$n.sh"
done
chmod -R a+rX "$T/sizes"
sport=$port
start sizes -s "$T/sizes"
for n in 1 55 57 63 65 119 121 1000 65535 65537 200003; do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/installers/f$n.sh"
done
get "http://127.0.0.1:$port/"
check_eq "SHA-256 of 16 sizes as sha256sum says" \
    "$(cd "$T/sizes" && sha256sum f*.sh | awk '{ print $2, $1 }' | sort)" \
    "$(grep -o '<li data-name="[^"]*"><a [^>]*>[^<]*</a> <span class="sub">[^<]*<code class="sha">[0-9a-f]*' "$T/body" |
    sed 's/<li data-name="\([^"]*\)".*<code class="sha">/\1 /' | sort)"
kill "$pid"
port=$sport

## The page of one Mac (/mac/ID)
get "$base/mac/C02AAA0004"
check_eq "page: status and type" "200 text/html; charset=utf-8" "$code $(hdr Content-Type)"
check_match "page: same CSP" "^default-src 'none'; script-src 'self'" "$(hdr Content-Security-Policy)"
check_match "page: ETag from the store's version" '^"h-[^"]+"$' "$(hdr ETag)"
check_match "page: name" '<h1 id="name">Design</h1>' "$(cat "$T/body")"
check_eq "page: no script at all" 0 "$(grep -c '<script' "$T/body" || true)"
check_eq "page: the rules that fire" \
    "battery_condition=warning filevault_off=warning backup_old=warning smart_failing=critical" \
    "$(grep -o '<li class="sev-[a-z]*" data-rule="[a-z_]*"' "$T/body" | sed 's/.*sev-\([a-z]*\)" data-rule="\([a-z_]*\)"/\2=\1/' | tr '\n' ' ' | sed 's/ $//')"
check_match "page: posture rows" '<tr data-field="filevault"><th>FileVault</th><td>deferred</td>.*<tr data-field="disk_smart"><th>SMART \(internal disk\)</th><td>failing</td>.*<tr data-field="mdm_enrolled"><th>MDM enrolled</th><td><span class="na">not known</span>' \
    "$(cat "$T/body")"
check_match "page: every field" '<tr><th>serial</th><td>C02AAA0004</td></tr>.*<tr><th>disk_free_bytes</th><td>300000000000 <span class="sub">300 GB</span></td></tr>' \
    "$(cat "$T/body")"
check_match "page: disk history as an SVG chart" '<figure id="chart-disk"><figcaption>Disk free</figcaption><svg class="chart"[^>]*role="img"><title>Disk free, 2 points' \
    "$(cat "$T/body")"
check_match "page: battery health without history says so" '<figure id="chart-health"><figcaption>Battery health</figcaption><p class="na">No history of this yet.</p>' \
    "$(cat "$T/body")"
check_match "page: no alert state yet" '<li class="none">No alert is outstanding for this Mac.</li>' \
    "$(cat "$T/body")"
# The alert state as macalert writes it (alertrules.h).
cat > "$T/store/alerts.json" <<EOF
{"version": 1, "last_sent": "$t2", "machines": {
 "C02AAA0001": {"name": "Accounting", "level": 2, "free": 10000000000, "sent_at": "$t2"},
 "C02AAA0003": {"name": "x", "hostkey": true}}}
EOF
chmod a+r "$T/store/alerts.json"
get "$base/mac/C02AAA0001"
check_match "page: the alert sent" "<li data-alert=\"disk\">Disk critical, level 2, 10.0 GB free, sent <time datetime=\"$t2\">" \
    "$(cat "$T/body")"
check_match "page: when the latest email went" 'The latest alert email was sent <time' "$(cat "$T/body")"
get "$base/mac/C02AAA0003"
check_match "page: the host key alert" '<li data-alert="hostkey">Host key change reported</li>' "$(cat "$T/body")"
check "page: hostile name escaped" grep -qF \
    '<h1 id="name">&lt;script&gt;alert(1)&lt;/script&gt; &quot;Q&quot; &amp; &#39;A&#39;</h1>' "$T/body"
check_eq "page: no raw hostile markup" 0 "$(grep -c '<script>alert' "$T/body" || true)"
check_match "page: the host key badge" 'host key changed' "$(cat "$T/body")"
get "$base/mac/3c%3A22%3Afb%3A00%3A00%3A0b"
check_match "page: percent-encoded id" '<h1 id="name">Lab Mac</h1>' "$(cat "$T/body")"
check_match "page: links back and to its JSON" '<a href="/machines/3c%3A22%3Afb%3A00%3A00%3A0b">JSON</a>' "$(cat "$T/body")"
get "$base/mac/C02AAA0002"
check_match "page: incomplete sections said" 'incomplete: smart</span>' "$(cat "$T/body")"
check_match "page: a field the probe could not read" '<tr data-field="disk_smart"><th>SMART \(internal disk\)</th><td><span class="na">not known</span>' \
    "$(cat "$T/body")"
get "$base/mac/NOPE"
check_eq "page: unknown machine: 404" "404 404 Not Found: no such machine" "$code $(cat "$T/body")"
get "$base/mac/"
check_eq "page: empty id: 404" 404 "$code"
petag=$(curl -sI "$base/mac/C02AAA0004" | sed -n 's/^ETag: //p' | tr -d '\r')
get "$base/mac/C02AAA0004" -H "If-None-Match: $petag"
check_eq "page: If-None-Match: 304" 304 "$code"
get "$base/mac/C02AAA0004" -X POST
check_eq "page: POST: 405" 405 "$code"

## The Host rule: without authentication, only the names listened as
for h in "127.0.0.1:$port" "127.0.0.1" "localhost:$port" "LOCALHOST:$port" "localhost.:$port"; do
	get "$base/machines" -H "Host: $h"
	check_eq "Host $h: served" 200 "$code"
done
for h in "evil.example:$port" "evil.example" "127.0.0.1.nip.io:$port" "127.0.0.1:1" \
    "[::1]:$port" "10.0.0.1:$port" "localhost:$port.evil" "user@127.0.0.1:$port" "127.1:$port"; do
	get "$base/machines" -H "Host: $h"
	check_eq "Host $h: 421" 421 "$code"
done
get "$base/" -H "Host: rebound.example:$port"
check_eq "421: one line saying why" "421 Misdirected Request: this server does not answer for that name (MACHTTP_HOSTS lists the names it answers for without authentication)" \
    "$(cat "$T/body")"
check_eq "421 is not cached" no-store "$(hdr Cache-Control)"
for p in / /metrics /mac/C02AAA0001 /installers/os_installer.sh /static/dashboard.js /nope; do
	get "$base$p" -H "Host: rebound.example:$port"
	check_eq "Host rule on $p" 421 "$code"
	check_eq "nothing of the fleet on $p" 0 "$(grep -c 'C02AAA\|Accounting' "$T/body" || true)"
done
get "$base/healthz" -H "Host: rebound.example:$port"
check_eq "/healthz answers any name" 200 "$code"
r=$(raw "$port" 'GET http://rebound.example/machines HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
check_match "absolute-form: its authority is the Host" '^HTTP/1.1 421 ' "$r"
r=$(raw "$port" 'GET /machines HTTP/1.0\r\n\r\n')
check_match "HTTP/1.0 without Host (no browser sends it): served" '^HTTP/1.1 200 ' "$r"
mport=$port
MACHTTP_HOSTS="Dash.Example, mac-scanner.lan" start hosts
get "http://127.0.0.1:$port/machines" -H "Host: dash.example:$port"
check_eq "MACHTTP_HOSTS: a configured name" 200 "$code"
get "http://127.0.0.1:$port/machines" -H "Host: mac-scanner.lan"
check_eq "MACHTTP_HOSTS: the second one, no port" 200 "$code"
get "http://127.0.0.1:$port/machines" -H "Host: other.example:$port"
check_eq "MACHTTP_HOSTS: another name: 421" 421 "$code"
kill "$pid"
port=$mport
# (timeout: a server that started anyway would not stop by itself)
st=$(MACHTTP_HOSTS="ok.example, bad name" rc_err "$T/err" timeout 30 machttp -l 127.0.0.1:0 -s "$inst")
check_eq "MACHTTP_HOSTS: a bad name: exit 2" 2 "$st"
check_eq "MACHTTP_HOSTS: says which" "machttp: MACHTTP_HOSTS: not a host name or address: bad name" "$(cat "$T/err")"
st=$(MACHTTP_HOSTS="ok.example:8000" rc_err "$T/err" timeout 30 machttp -l 127.0.0.1:0 -s "$inst")
check_eq "MACHTTP_HOSTS: with a port: exit 2" 2 "$st"
check_eq "MACHTTP_HOSTS: no port there" "machttp: MACHTTP_HOSTS: a name without port: ok.example:8000" "$(cat "$T/err")"

## Beyond loopback: refused without authentication unless allowed
# In a network namespace of its own with only a loopback device, so that
# listening on every address opens nothing to the network.
netns() {
	if [ "$(id -u)" = 0 ]; then unshare -n "$@"; else unshare -rn "$@"; fi
}
if netns true 2> /dev/null; then
	st=$(rc_err "$T/err" netns timeout 30 machttp -l 0.0.0.0:0 -s "$inst")
	check_eq "0.0.0.0 without auth: exit 2" 2 "$st"
	check_eq "0.0.0.0 without auth: says why and how" \
	    "machttp: listen address 0.0.0.0:0 (0.0.0.0) is beyond loopback and no authentication is set: set MACHTTP_USER and MACHTTP_PASSWORD or MACHTTP_TOKEN, or allow it with -A or MACHTTP_ALLOW_OPEN=yes" \
	    "$(cat "$T/err")"
	st=$(rc_err "$T/err" netns timeout 30 machttp -l '[::]:0')
	check_eq "[::] without auth: exit 2" 2 "$st"
	st=$(MACHTTP_ALLOW_OPEN=maybe rc_err "$T/err" netns timeout 30 machttp -l 0.0.0.0:0 -s "$inst")
	check_eq "MACHTTP_ALLOW_OPEN=maybe: exit 2" "2 machttp: environment: MACHTTP_ALLOW_OPEN: expected true or false (yes/no, on/off, 1/0): 'maybe'" "$st $(cat "$T/err")"
	# open ENV... ARGS: machttp in the namespace on every address, asked
	# for /machines with the Host values given, from inside it.
	open_probe() {
		cat > "$T/open.sh" <<'EOF'
lo=$1; shift
ip link set lo up 2>/dev/null || true
# Emptied first: the last call's port must not be read before the new
# server has opened (and so truncated) LOG.
: > "$LOG"
"$@" -v -l "$lo" -d "$STORE" 2> "$LOG" &
p=$!
port=""
for _ in $(seq 1200); do
	port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$LOG" 2>/dev/null)
	[ -n "$port" ] && break
	kill -0 $p 2>/dev/null || break
	sleep 0.05
done
for h in $HOSTS; do
	curl -s -o /dev/null -w "%{http_code} " -H "Host: $(echo "$h" | sed "s/PORT/$port/")" "http://127.0.0.1:$port/machines"
done
kill $p
wait $p
echo "exit $?"
EOF
		netns sh "$T/open.sh" "$@"
	}
	export STORE="$T/store" LOG="$T/open.log" HOSTS="127.0.0.1:PORT 10.1.2.3:PORT [::1]:PORT evil.example:PORT localhost:PORT"
	check_eq "-A on every address: any address served, names refused" "200 200 200 421 200 exit 0" \
	    "$(open_probe '*:0' machttp -A)"
	check_match "-A: listening" 'listening on 0\.0\.0\.0:' "$(cat "$LOG")"
	check_eq "MACHTTP_ALLOW_OPEN=yes: the same" "200 200 200 421 200 exit 0" \
	    "$(MACHTTP_ALLOW_OPEN=yes open_probe '0.0.0.0:0' machttp)"
	check_eq "with a token: any Host (401 without it)" "401 401 401 401 401 exit 0" \
	    "$(MACHTTP_TOKEN=t0k3n open_probe '0.0.0.0:0' machttp)"
else
	fail "cannot make a network namespace (unshare -n) to listen beyond loopback"
fi
export HOSTS=""

## Errors
get "$base/nope"
check_eq "404 unknown route" "404 404 Not Found" "$code $(cat "$T/body")"
get "$base/machines" -X POST
check_eq "405 POST" "405 405 Method Not Allowed" "$code $(cat "$T/body")"
check_eq "405 Allow" "GET, HEAD" "$(hdr Allow)"
get "$base/healthz" -X DELETE
check_eq "405 DELETE /healthz" 405 "$code"
get "$base/machines" -X GET --data hello
check_eq "413 body on GET" 413 "$code"
check_eq "413 body text" "413 Content Too Large: a request body is not accepted here" "$(cat "$T/body")"
check_eq "413 closes" close "$(hdr Connection)"
r=$(raw "$port" 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999999999\r\n\r\n')
check_match "413 huge Content-Length" '^HTTP/1.1 413 ' "$r"
long=$(head -c 9000 /dev/zero | tr '\0' a)
get "$base/$long"
check_eq "414 URI too long" "414 414 URI Too Long: request line too long" "$code $(cat "$T/body")"
get "$base/healthz" -H "X-Big: $(head -c 8200 /dev/zero | tr '\0' b)"
check_eq "431 headers too large" "431 431 Request Header Fields Too Large: request head too large" \
    "$code $(cat "$T/body")"
r=$(raw "$port" 'GARBAGE\r\n\r\n')
check_match "400 garbage" '^HTTP/1.1 400 Bad Request' "$r"
check_match "400 says why" 'invalid character in the method$' "$r"
r=$(raw "$port" 'GET / HTTP/1.1\r\n\r\n')
check_match "400 no Host" '400 Bad Request: no Host header' "$r"
r=$(raw "$port" 'GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n')
check_match "505 HTTP/2.0" '^HTTP/1.1 505 HTTP Version Not Supported' "$r"
r=$(raw "$port" '\026\003\001\002\000\001\000\001\374\003\003\r\n')
check_match "400 TLS hello" '^HTTP/1.1 400 ' "$r"

## Keep-alive, pipelining, HTTP/1.0
check_eq "keep-alive: one connection for two requests" "1 0" \
    "$(curl -s -o /dev/null -o /dev/null -w '%{num_connects} ' \
    "$base/healthz" "$base/machines" | sed 's/ $//')"
r=$(raw "$port" 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nHEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
check_eq "pipelined answers in order" "200 404 200" \
    "$(printf '%s\n' "$r" | sed -n 's/^HTTP\/1.1 \([0-9]*\) .*/\1/p' | tr '\n' ' ' | sed 's/ $//')"
r=$(raw "$port" 'GET /healthz HTTP/1.0\r\n\r\n')
check_match "HTTP/1.0 answered and closed" 'Connection: close' "$r"
r=$(raw "$port" 'GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n')
check_eq "HTTP/1.0 keep-alive" 2 "$(printf '%s\n' "$r" | grep -c '^HTTP/1.1 200')"

## The cache follows the store
get "$base/machines"
old_etag=$(hdr ETag)
check "macstore add (third scan)" macstore -d "$T/store" -T "$t3" add < "$T/scan3.ndjson"
chmod -R a+rX "$T/store"
get "$base/machines" -H "If-None-Match: $old_etag"
check_eq "new scan: 200, not 304" 200 "$code"
check_eq "new scan: new machine" 7 "$(jq length "$T/body")"
if [ "$(hdr ETag)" != "$old_etag" ]; then pass "new scan: new ETag"; else fail "new scan: new ETag"; fi

## Logging and privileges
check_match "one log line per request" '"GET /healthz HTTP/1.1" 200 3 ' "$(cat "$T/main.log")"
check_match "log escapes the target" '"GET /installers/\.\./\.\./etc/passwd HTTP/1.1" 404' "$(cat "$T/main.log")"
if [ "$(id -u)" = 0 ]; then
	check_eq "dropped to nobody" nobody "$(ps -o user= -p "$mainpid" | tr -d ' ')"
	st=$(status machttp -l 127.0.0.1:0 -u no-such-user-xyz)
	check_eq "-u unknown user: exit 2" 2 "$st"
fi

## SIGTERM
kill -TERM "$mainpid"
st=0
wait "$mainpid" || st=$?
check_eq "SIGTERM: exit 0" 0 "$st"
check_match "SIGTERM: stopped" 'stopped$' "$(tail -n 1 "$T/main.log")"

## Usage
check_eq "bad option: exit 2" 2 "$(status machttp -Z 2>/dev/null)"
check_eq "-c 0: exit 2" 2 "$(status machttp -c 0 2>/dev/null)"
check_match "-c 0 message" '^machttp: -c: the connection cap is too small: 0$' \
    "$(machttp -c 0 2>&1 || true)"

## Timeouts against slowloris (1 s header and idle timeouts)
# What is checked is that the timeouts fire, and not before their time:
# a timer on the monotonic clock cannot fire early, so "at least 0.5 s"
# holds however loaded the machine is (the half second left is for the
# moment between the server's accept and our clock starting). The upper
# side is only the 60 s bound of the read, far from the 1 s timeout.
start slow -t 1 -k 1
exec 4<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHo' >&4
t0=$(date +%s%N)
r=$(timeout 60 cat <&4 || true)
exec 4<&-
el=$(( ($(date +%s%N) - t0) / 1000000 ))
check_match "slow head: 408" '^HTTP/1.1 408 Request Timeout' "$r"
[ "$el" -ge 500 ] && pass "slow head: closed by the timeout, not before ($el ms)" || \
    fail "slow head: closed after only $el ms"
exec 4<>"/dev/tcp/127.0.0.1/$port"
t0=$(date +%s%N)
r=$(timeout 60 cat <&4 || true)
exec 4<&-
el=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "silent connection: closed without answer" "" "$r"
[ "$el" -ge 500 ] && [ "$el" -lt 59000 ] && pass "silent connection: closed by the timeout ($el ms)" || \
    fail "silent connection: $el ms"
exec 4<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&4
t0=$(date +%s%N)
r=$(timeout 60 cat <&4 || true)
exec 4<&-
el=$(( ($(date +%s%N) - t0) / 1000000 ))
check_match "idle keep-alive: answered" '^HTTP/1.1 200 OK' "$r"
[ "$el" -ge 500 ] && [ "$el" -lt 59000 ] && pass "idle keep-alive: closed by the idle timeout ($el ms)" || \
    fail "idle keep-alive: $el ms"

## Connection cap (-c 2): the third gets 503
start cap -c 2
exec 5<>"/dev/tcp/127.0.0.1/$port"
exec 6<>"/dev/tcp/127.0.0.1/$port"
# Both accepted (the server's log says so at -vv only): ask /healthz on
# them, which also proves they are being served.
printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&5
printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&6
read -r -t 60 l5 <&5 || l5=""
read -r -t 60 l6 <&6 || l6=""
check_eq "two connections at the cap are served" "HTTP/1.1 200 OK HTTP/1.1 200 OK" \
    "$(printf '%s %s' "$l5" "$l6" | tr -d '\r')"
get "http://127.0.0.1:$port/healthz"
check_eq "past the cap: 503" "503 503 Service Unavailable: too many connections" "$code $(cat "$T/body")"
exec 5<&- 6<&-
# The server sees the two close in its own time: try until it has.
below() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ]; }
for _ in $(seq 600); do below && break; sleep 0.1; done
get "http://127.0.0.1:$port/healthz"
check_eq "below the cap again: 200" 200 "$code"

## Authentication
printf 's3cr3t token\n' > "$T/token"
chmod 644 "$T/token"
MACHTTP_USER=admin MACHTTP_PASSWORD='pa:ss w0rd' MACHTTP_TOKEN_FILE=$T/token start auth
abase=http://127.0.0.1:$port
get "$abase/machines"
check_eq "auth: none: 401" 401 "$code"
check_match "auth: challenge" '^Basic realm="macscan"' "$(hdr WWW-Authenticate)"
get "$abase/machines" -u 'admin:pa:ss w0rd'
check_eq "auth: Basic: 200" 200 "$code"
get "$abase/machines" -u 'admin:pa:ss w0rD'
check_eq "auth: wrong password: 401" 401 "$code"
get "$abase/machines" -u 'Admin:pa:ss w0rd'
check_eq "auth: wrong user: 401" 401 "$code"
get "$abase/metrics" -H 'Authorization: Bearer s3cr3t token'
check_eq "auth: Bearer from _FILE: 200" 200 "$code"
get "$abase/metrics" -H 'Authorization: Bearer s3cr3t'
check_eq "auth: wrong token: 401" 401 "$code"
get "$abase/installers/os_installer.sh"
check_eq "auth: installers protected" 401 "$code"
get "$abase/healthz"
check_eq "auth: /healthz open" 200 "$code"
check_eq "auth: no secret in the log" 0 "$(grep -c 's3cr3t\|pa:ss' "$T/auth.log" || true)"

## CGI mode behind lighttpd
# lighttpd cannot listen on port 0 and tell which port it got. Try free
# ports below the kernel's ephemeral range (32768 up), where no client's
# port can take one, and another port if something else binds it first.
cgi_port() {
	for p in $(shuf -i 20000-32000 -n 50); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}
# start_lighttpd: lighttpd serving $T/www, its port in $lport; fails
# after five ports, each given 60 s to start.
start_lighttpd() {
	for _try in 1 2 3 4 5; do
		lport=$(cgi_port)
		cat > "$T/lighttpd.conf" <<EOF
server.document-root = "$T/www"
server.bind = "127.0.0.1"
server.port = $lport
server.modules = ( "mod_cgi" )
server.errorlog = "$T/lighttpd.log"
cgi.assign = ( "/machttp" => "" )
EOF
		: > "$T/lighttpd.log"
		lighttpd -D -f "$T/lighttpd.conf" 2>> "$T/lighttpd.log" &
		lpid=$!
		pids="$pids $lpid"
		for _ in $(seq 1200); do
			kill -0 "$lpid" 2>/dev/null || break
			if grep -q 'server started' "$T/lighttpd.log" &&
			    curl -s -o /dev/null "http://127.0.0.1:$lport/"; then
				return 0
			fi
			sleep 0.05
		done
		kill "$lpid" 2>/dev/null || true
		wait "$lpid" 2>/dev/null || true
		echo "     | lighttpd on port $lport: $(tail -n 1 "$T/lighttpd.log")"
	done
	return 1
}
if command -v lighttpd > /dev/null; then
	mkdir -p "$T/www/cgi-bin"
	cat > "$T/www/cgi-bin/machttp" <<EOF
#!/bin/sh
MACSCAN_DIR='$T/store' MACHTTP_INSTALLERS='$inst' MACSCAN_CONF='$T/none.conf' exec '$O/bin/machttp'
EOF
	chmod 755 "$T/www/cgi-bin/machttp"
	chmod -R a+rX "$T/www"
	check "lighttpd starts" start_lighttpd
	cgi=http://127.0.0.1:$lport/cgi-bin/machttp
	start again
	base=http://127.0.0.1:$port
	get "$cgi/healthz"
	check_eq "CGI /healthz" "200 ok" "$code $(cat "$T/body")"
	get "$cgi/machines"
	check_eq "CGI /machines status" 200 "$code"
	check_eq "CGI /machines = server's" "$(curl -s "$base/machines")" "$(cat "$T/body")"
	cetag=$(hdr ETag)
	check_eq "CGI ETag = server's" "$(curl -sI "$base/machines" | sed -n 's/^ETag: //p' | tr -d '\r')" "$cetag"
	get "$cgi/machines" -H "If-None-Match: $cetag"
	check_eq "CGI 304" 304 "$code"
	get "$cgi/metrics"
	check_eq "CGI /metrics = server's" "$(curl -s "$base/metrics")" "$(cat "$T/body")"
	get "$cgi/machines/C02AAA0004"
	check_eq "CGI /machines/ID" "Design" "$(jq -r .machine.computer_name "$T/body")"
	get "$cgi/machines/NOPE"
	check_eq "CGI 404" 404 "$code"
	get "$cgi/"
	check_eq "CGI dashboard" 200 "$code"
	check_match "CGI links under SCRIPT_NAME" 'href="/cgi-bin/machttp/static/dashboard.css"' "$(cat "$T/body")"
	check_eq "CGI dashboard rows = server's (links under SCRIPT_NAME)" \
	    "$(curl -s "$base/" | sed -n '/<tbody>/,/<\/tbody>/p')" \
	    "$(sed -n '/<tbody>/,/<\/tbody>/p' "$T/body" | sed 's|href="/cgi-bin/machttp/mac/|href="/mac/|g')"
	check "CGI hostile name escaped" grep -qF '&lt;script&gt;alert(1)' "$T/body"
	check "CGI: the installer's command names the script's URL" grep -qF \
	    "curl -fsSO http://127.0.0.1:$lport/cgi-bin/machttp/installers/os_installer.sh &amp;&amp;" "$T/body"
	get "$cgi/mac/C02AAA0004"
	check_eq "CGI page of one Mac" 200 "$code"
	check_match "CGI page: links under SCRIPT_NAME" '<a href="/cgi-bin/machttp/machines/C02AAA0004">JSON</a>' \
	    "$(cat "$T/body")"
	check_eq "CGI page = server's (but the links)" \
	    "$(curl -s "$base/mac/C02AAA0004" | sed -n '/<main>/,/<\/main>/p')" \
	    "$(sed -n '/<main>/,/<\/main>/p' "$T/body")"
	get "$cgi/static/dashboard.js"
	check_eq "CGI asset" 200 "$code"
	get "$cgi/installers/os_downloader.sh"
	check "CGI installer" cmp "$T/body" "$top/share/installers/os_downloader.sh"
	for p in '/installers/%2e%2e/%2e%2e/etc/passwd' \
	    '/installers/%252e%252e%252fetc%252fpasswd' '/installers/passwd-link' \
	    '/installers/.hidden'; do
		get "$cgi$p" --path-as-is
		check_match "CGI refused: $p" '^40[034]$' "$code"
		check_eq "CGI nothing leaked: $p" 0 "$(grep -c 'root:' "$T/body" || true)"
	done
	get "$cgi/machines" -X POST --data x
	check_eq "CGI POST: 405" 405 "$code"
else
	fail "lighttpd not installed (apt-get install lighttpd)"
	start again
	base=http://127.0.0.1:$port
fi

## CGI mode run directly, as any server would
cgirun() {
	env GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
	    MACSCAN_DIR="$T/store" MACHTTP_INSTALLERS="$inst" \
	    SCRIPT_NAME=/m "$@" machttp -v -d /nonexistent ignored-args
}
r=$(cgirun REQUEST_METHOD=GET PATH_INFO=/healthz)
check_eq "CGI direct: /healthz" "$(printf 'Status: 200 OK\nContent-Type: text/plain; charset=utf-8\nContent-Length: 3')" \
    "$(printf '%s\n' "$r" | head -n 3 | tr -d '\r')"
check_eq "CGI direct: body" ok "$(printf '%s\n' "$r" | tail -n 1)"
r=$(cgirun REQUEST_METHOD=HEAD PATH_INFO=/machines)
check_match "CGI direct: HEAD" '^Status: 200 OK' "$r"
check_eq "CGI direct: HEAD has no body" "" "$(printf '%s' "$r" | sed '1,/^\r$/d')"
r=$(cgirun REQUEST_METHOD=GET PATH_INFO=/machines CONTENT_LENGTH=5)
check_match "CGI direct: body on GET: 413" '^Status: 413 Content Too Large' "$r"
r=$(cgirun REQUEST_METHOD=GET PATH_INFO=relative)
check_match "CGI direct: bad PATH_INFO: 400" '^Status: 400 Bad Request' "$r"
r=$(cgirun REQUEST_METHOD=GET)
check_match "CGI direct: no PATH_INFO is the dashboard" '^Content-Type: text/html' "$r"
check_match "CGI direct: links under SCRIPT_NAME" 'href="/m/static/dashboard.css"' "$r"
r=$(cgirun REQUEST_METHOD=GET PATH_INFO=/machines MACHTTP_TOKEN=tok)
check_match "CGI direct: auth: 401" '^Status: 401 Unauthorized' "$r"
r=$(cgirun REQUEST_METHOD=GET PATH_INFO=/machines MACHTTP_TOKEN=tok HTTP_AUTHORIZATION='Bearer tok')
check_match "CGI direct: auth: 200" '^Status: 200 OK' "$r"
# The web server routes by name; MACHTTP_HOSTS, when set, is checked too.
r=$(cgirun REQUEST_METHOD=GET PATH_INFO=/machines HTTP_HOST=rebound.example)
check_match "CGI direct: no MACHTTP_HOSTS: the web server decides" '^Status: 200 OK' "$r"
r=$(cgirun REQUEST_METHOD=GET PATH_INFO=/machines HTTP_HOST=rebound.example MACHTTP_HOSTS=dash.example)
check_match "CGI direct: MACHTTP_HOSTS: another name: 421" '^Status: 421 Misdirected Request' "$r"
r=$(cgirun REQUEST_METHOD=GET PATH_INFO=/machines HTTP_HOST=DASH.example:8080 MACHTTP_HOSTS=dash.example)
check_match "CGI direct: MACHTTP_HOSTS: its name: 200" '^Status: 200 OK' "$r"
r=$(cgirun REQUEST_METHOD=GET PATH_INFO=/machines HTTP_HOST=rebound.example MACHTTP_HOSTS=dash.example MACHTTP_TOKEN=tok)
check_match "CGI direct: with auth, any name (401 without it)" '^Status: 401 ' "$r"
r=$(cgirun REQUEST_METHOD=GET PATH_INFO=/ HTTP_HOST=dash.example HTTPS=on)
check_match "CGI direct: HTTPS=on: the command says https" 'curl -fsSO https://dash\.example/m/installers/os_installer\.sh' "$r"

## The dashboard in headless Chromium
if command -v chromium > /dev/null && command -v npm > /dev/null; then
	npmdir=$O/npm
	if [ ! -d "$npmdir/node_modules/playwright-core" ] ||
	    ! cmp -s "$here/package-lock.json" "$npmdir/package-lock.json"; then
		mkdir -p "$npmdir"
		cp "$here/package.json" "$here/package-lock.json" "$npmdir/"
		(cd "$npmdir" && npm ci --no-audit --no-fund --loglevel=error) > "$T/npm.log" 2>&1 || {
			cat "$T/npm.log"; fail "npm ci playwright-core"; }
	fi
	# A two-scan store of its own; the browser adds the third.
	mkstore "$T/bstore"
	start browser -d "$T/bstore"
	bbase=http://127.0.0.1:$port
	export EXPECT
	EXPECT=$(jq -cn --arg h "$hostile" '{
	    ids: ["3c:22:fb:00:00:0b","C02AAA0001","C02AAA0002","C02AAA0003","C02AAA0004","C02AAA0006"],
	    counters: [6,5,1,1,1,1,1,2,0,1,1,1,1,1,1],
	    hostileId: "C02AAA0003", hostile: $h,
	    diskAsc: ["C02AAA0001","C02AAA0003","3c:22:fb:00:00:0b","C02AAA0002","C02AAA0006","C02AAA0004"],
	    nameAsc: ["C02AAA0003","C02AAA0001","C02AAA0002","C02AAA0004","3c:22:fb:00:00:0b","C02AAA0006"],
	    filter: "alice", filterIds: ["C02AAA0004","3c:22:fb:00:00:0b"],
	    addedId: "C02AAA0007"}')
	export ADD_CMD="macstore -d '$T/bstore' -T '$t3' add < '$T/scan3.ndjson' && chmod -R a+rX '$T/bstore'"
	# A Mac with five days of history, its disk filling up and its
	# battery wearing, for the charts of its page.
	for d in 4 3 2 1 0; do
		jq -cn --argjson gb "$(echo "4 300 3 280 2 240 1 180 0 100" | awk -v d=$d '{ for (i = 1; i < NF; i += 2) if ($i == d) print $(i + 1) }')" \
		    --argjson h "$(echo "4 97 3 95 2 93 1 90 0 88" | awk -v d=$d '{ for (i = 1; i < NF; i += 2) if ($i == d) print $(i + 1) }')" \
		    '{serial: "C02HIST0001", ip: "192.0.2.31", computer_name: "History Mac",
		      probe: "ok", disk_total_bytes: 500000000000, disk_free_bytes: ($gb * 1000000000),
		      battery_present: true, battery_percent: 80, battery_health_percent: $h,
		      filevault: "off"}' > "$T/hist.ndjson"
		# The hostile Mac too, in the latest scan.
		[ "$d" != 0 ] || grep -F '"C02AAA0003"' "$T/scan2.ndjson" >> "$T/hist.ndjson"
		macstore -q -d "$T/pstore" -T "$(ago $((d * 86400 + 3600)))" add < "$T/hist.ndjson"
	done
	chmod -R a+rX "$T/pstore"
	start pages -d "$T/pstore"
	export PAGE
	PAGE=$(jq -cn --arg u "http://127.0.0.1:$port/mac/C02HIST0001" \
	    --arg hu "http://127.0.0.1:$port/mac/C02AAA0003" --arg h "$hostile" '{
	    url: $u, name: "History Mac", rules: ["filevault_off"],
	    disk: {points: 5, colour: "rgb(11, 98, 214)"},
	    health: {points: 5, colour: "rgb(142, 68, 173)"},
	    hostileUrl: $hu, hostile: $h}')
	mkdir -p "$T/browser"
	NODE_PATH=$npmdir/node_modules timeout 300 node "$here/machttp_browser.js" \
	    "$bbase/" "$T/browser" > "$T/browser.out" 2>&1 || true
	while IFS= read -r line; do
		case $line in
		"ok   "*) pass "browser: ${line#ok   }" ;;
		"FAIL "*) fail "browser: ${line#FAIL }" ;;
		*) printf '     | %s\n' "$line" ;;
		esac
	done < "$T/browser.out"
	grep -q '^ok   ' "$T/browser.out" || fail "browser: no check ran"
	cp "$T"/browser/*.png "$out/" 2>/dev/null || true
	check "screenshot kept" test -s "$out/machttp-dashboard.png"
	check "screenshot of a Mac's page kept" test -s "$out/machttp-mac.png"
else
	fail "chromium or npm not installed"
fi

## The installer scripts against fake macOS commands
if command -v shellcheck > /dev/null; then
	check "shellcheck os_downloader.sh" shellcheck -s sh "$top/share/installers/os_downloader.sh"
	check "shellcheck os_installer.sh" shellcheck -s sh "$top/share/installers/os_installer.sh"
fi
fake=$T/fake
mkdir -p "$fake"
cat > "$fake/softwareupdate" <<'EOF'
#!/bin/sh
echo "softwareupdate $*" >> "$FAKE_LOG"
case $1 in
--list-full-installers)
	echo "Finding available software"
	echo "Software Update found the following full installers:"
	echo "* Title: macOS Sonoma, Version: 14.4.1, Size: 13329305KiB, Build: 23E224, Deferred: NO"
	echo "* Title: macOS Sequoia, Version: 15.1, Size: 14887291KiB, Build: 24B83, Deferred: NO"
	echo "* Title: macOS Ventura, Version: 13.6.7, Size: 11916526KiB, Build: 22G720, Deferred: NO"
	;;
--fetch-full-installer)
	echo "Installing: 100.0%"
	echo "Install finished successfully"
	;;
esac
EOF
cat > "$fake/pmset" <<'EOF'
#!/bin/sh
echo "Now drawing from '${FAKE_POWER:-AC Power}'"
echo " -InternalBattery-0 (id=1234)	100%; charged; 0:00 remaining present: true"
EOF
cat > "$fake/df" <<'EOF'
#!/bin/sh
echo "Filesystem     1024-blocks      Used Available Capacity  Mounted on"
echo "/dev/disk3s5     494384792 400000000 ${FAKE_FREE_KB:-48828125}    90%    /System/Volumes/Data"
EOF
cat > "$fake/sw_vers" <<'EOF'
#!/bin/sh
echo "${FAKE_OS:-14.4.1}"
EOF
cat > "$fake/hdiutil" <<'EOF'
#!/bin/sh
# attach ... -mountpoint DIR DMG: "mount" the fixture; detach DIR: empty
# DIR again, as an unmount does.
if [ "$1" = attach ]; then
	while [ $# -gt 1 ]; do
		[ "$1" = -mountpoint ] && mnt=$2
		shift
	done
	mkdir -p "$mnt/com_apple_MobileAsset_MacSoftwareUpdate"
	cp "$1" "$mnt/com_apple_MobileAsset_MacSoftwareUpdate/com_apple_MobileAsset_MacSoftwareUpdate.xml"
elif [ "$1" = detach ]; then
	rm -r "$2/com_apple_MobileAsset_MacSoftwareUpdate"
fi
EOF
cat > "$fake/plutil" <<'EOF'
#!/bin/sh
# plutil -extract Assets.0.OSVersion raw -o - FILE
for f; do :; done
sed -n 's:.*<key>OSVersion</key><string>\(.*\)</string>.*:\1:p' "$f" | head -n 1
EOF
chmod 755 "$fake"/*
app="$T/Applications/Install macOS Sequoia.app"
mkdir -p "$app/Contents/Resources" "$app/Contents/SharedSupport"
printf '<plist><dict><key>Assets</key><array><dict><key>OSVersion</key><string>15.1</string></dict></array></dict></plist>\n' \
    > "$app/Contents/SharedSupport/SharedSupport.dmg"
cat > "$app/Contents/Resources/startosinstall" <<'EOF'
#!/bin/sh
echo "startosinstall $*" >> "$FAKE_LOG"
EOF
chmod 755 "$app/Contents/Resources/startosinstall"
export FAKE_LOG=$T/fake.log
: > "$FAKE_LOG"
dl() { sh "$top/share/installers/os_downloader.sh" "$@"; }
# The installer's mount points go in $T/osi-tmp, checked empty at the end.
mkdir -p "$T/osi-tmp"
osi() { TMPDIR=$T/osi-tmp sh "$top/share/installers/os_installer.sh" "$@"; }
fp="$fake:$PATH"

check_eq "downloader -h" 0 "$(rc_of dl -h)"
r=$(PATH=$fp dl -l)
check_eq "downloader list, newest first" "$(printf 'VERSION\tTITLE\tBUILD\tSIZE\n15.1\tmacOS Sequoia\t24B83\t14887291KiB\n14.4.1\tmacOS Sonoma\t23E224\t13329305KiB\n13.6.7\tmacOS Ventura\t22G720\t11916526KiB')" "$r"
r=$(PATH=$fp dl -n 14.4.1)
check_eq "downloader -n" "would run: softwareupdate --fetch-full-installer --full-installer-version 14.4.1  # macOS Sonoma" "$r"
check_eq "downloader -n fetched nothing" 0 "$(grep -c fetch "$FAKE_LOG" || true)"
r=$(PATH=$fp dl -n latest)
check_match "downloader latest = 15.1" 'version 15\.1 ' "$r"
st=$(PATH=$fp rc_err "$T/err" dl 12.0)
check_eq "downloader: unknown version: exit 1" 1 "$st"
check_match "downloader: says what is offered" 'not offered; offered: 14.4.1 15.1 13.6.7' "$(cat "$T/err")"
check_eq "downloader: bad version: exit 2" 2 "$(PATH=$fp rc_of dl '1;rm')"
check_eq "downloader: bad option: exit 2" 2 "$(PATH=$fp rc_of dl -x)"
PATH=$fp dl 14.4.1 > /dev/null
check_eq "downloader fetches" "softwareupdate --fetch-full-installer --full-installer-version 14.4.1" \
    "$(grep fetch "$FAKE_LOG")"

: > "$FAKE_LOG"
check_eq "installer -h" 0 "$(rc_of osi -h)"
r=$(PATH=$fp osi -n -d "$T/Applications" 2>&1)
check_match "installer -n: checks pass" "disk: 50 GB free, 35 GB needed: ok" "$r"
check_match "installer -n: power" "power: AC: ok" "$r"
check_match "installer -n: version from the app" "version: 14.4.1 -> 15.1: ok" "$r"
check_match "installer -n: command" "would run: '$app/Contents/Resources/startosinstall' --agreetolicense --nointeraction --forcequitapps$" "$r"
check_eq "installer -n ran nothing" "" "$(cat "$FAKE_LOG")"
r=$(PATH=$fp osi -n -d "$T/Applications" -u alice 2>&1)
check_match "installer -u: volume owner" '--user alice --stdinpass$' "$r"
st=$(FAKE_FREE_KB=20000000 PATH=$fp rc_err "$T/err" osi -n -d "$T/Applications")
check_eq "installer: low disk: exit 1" 1 "$st"
check_match "installer: low disk says so" 'only 20 GB free on /, 35 GB needed' "$(cat "$T/err")"
st=$(FAKE_POWER="Battery Power" PATH=$fp rc_err "$T/err" osi -n -d "$T/Applications")
check_eq "installer: on battery: exit 1" 1 "$st"
check_match "installer: on battery says so" "not on AC power \\(Battery Power\\)" "$(cat "$T/err")"
st=$(FAKE_OS=15.2 PATH=$fp rc_err "$T/err" osi -n -d "$T/Applications")
check_eq "installer: downgrade: exit 1" 1 "$st"
check_match "installer: downgrade says so" 'holds macOS 15.1, older than the running 15.2: no downgrade' "$(cat "$T/err")"
st=$(FAKE_OS=15.2 PATH=$fp rc_of osi -n -f -d "$T/Applications")
check_eq "installer: -f skips the version check" 0 "$st"
st=$(FAKE_OS=14.6 PATH=$fp rc_of osi -n -V 14.5 -d "$T/Applications")
check_eq "installer: -V older than running: exit 1" 1 "$st"
check_eq "installer: -m 60: exit 1" 1 "$(PATH=$fp rc_of osi -n -m 60 -d "$T/Applications")"
check_eq "installer: no app: exit 1" 1 "$(PATH=$fp rc_of osi -n -d "$T/nowhere")"
check_eq "installer: bad -m: exit 2" 2 "$(PATH=$fp rc_of osi -m lots)"
if [ "$(id -u)" = 0 ]; then
	PATH=$fp osi -d "$T/Applications" -- --rebootdelay 30 > /dev/null 2>&1
	check_eq "installer runs startosinstall" \
	    "startosinstall --agreetolicense --nointeraction --forcequitapps --rebootdelay 30" \
	    "$(cat "$FAKE_LOG")"
fi
check_eq "installer: no mount point left behind" "" "$(ls -A "$T/osi-tmp")"

## Every server stopped cleanly, and no sanitizer complained
for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
for p in $pids; do wait "$p" 2>/dev/null || true; done
pids=""
check_eq "no sanitizer report in the logs" "" \
    "$(grep -l 'Sanitizer\|runtime error' "$T"/*.log 2>/dev/null || true)"

finish
