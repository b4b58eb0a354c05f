# test_prometheus.sh - real Prometheus servers scrape real machttp
# servers on 127.0.0.1, with packaging/prometheus's configuration and
# rules: the values stored for each machine equal what /machines says,
# the recording rules compute from them, an alert rule evaluates on them;
# and the multi-site setup of macscan(7): two sites, one federated by a
# central Prometheus and one remote-writing to it, where one machine id
# exists at both sites and stays two machines by their site label.
#
# Nothing is compared with a wall time: every wait polls the HTTP API
# until the answer is there, within a generous deadline.
#
# Needs (tests/integration/DEPS): prometheus, curl, jq, python3 (a free
# port).
. "$(dirname "$0")/../setup.sh"

pk=$top/packaging/prometheus
prof=$top/tests/lab/profiles
# machttp drops to nobody when run as root: it must read the store.
chmod 755 "$T"
umask 022
export MACSCAN_CONF="$T/none.conf"
unset MACHTTP_USER MACHTTP_PASSWORD MACHTTP_PASSWORD_FILE MACHTTP_TOKEN \
    MACHTTP_TOKEN_FILE MACHTTP_LISTEN MACSCAN_DIR MACHTTP_INSTALLERS \
    ALERT_DISK_CRITICAL_GB ALERT_DISK_WARN_GB ALERT_BATTERY_LOW_PERCENT \
    2>/dev/null || true
# Generous: Prometheus starts, scrapes every second and evaluates every
# second, but two loaded cores may make each step slow.
deadline=${PROM_DEADLINE:-180}

for t in prometheus promtool curl jq python3; do
	command -v "$t" > /dev/null || { fail "$t is missing"; finish; exit 1; }
done

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date -u +%s)

# profile FILE IP SCANNED_AT: the record macprobe makes of a lab profile
# (tests/lab/profiles), its disk and battery in the record's units.
profile() {
	(
		# shellcheck disable=SC1090
		. "$1"
		jq -cn --arg ip "$2" --arg at "$3" --arg serial "$SERIAL" \
		    --arg name "$COMPUTER_NAME" --arg model "$MODEL" \
		    --argjson free "$((DISK_FREE_KB * 1024))" \
		    --argjson total "$((DISK_TOTAL_KB * 1024))" \
		    --argjson batt "${BATTERY:-0}" \
		    --argjson pct "${BATT_PERCENT:-0}" \
		    --argjson cyc "${BATT_CYCLES:-0}" \
		    --argjson health "${BATT_HEALTH:-0}" '
		    {ip: $ip, serial: $serial, computer_name: $name,
		     model: $model, probe: "ok", scanned_at: $at,
		     disk_free_bytes: $free, disk_total_bytes: $total,
		     uptime_s: 93784, battery_present: ($batt == 1)}
		    + if $batt == 1 then {battery_percent: $pct,
		      battery_cycles: $cyc, battery_health_percent: $health}
		      else {} end'
	)
}
# bare IP FREE SCANNED_AT: a host known only by its address (no serial,
# UUID or MAC): its id is the IP, which another site may use as well.
bare() {
	jq -cn --arg ip "$1" --argjson free "$2" --arg at "$3" '
	    {ip: $ip, computer_name: "Front desk", probe: "ok",
	     scanned_at: $at, disk_free_bytes: $free,
	     disk_total_bytes: 250000000000}'
}

# Site paris: two scans ten minutes ago and now; the MacBook Pro 16 is
# only in the first, so it is offline.
p1=$(iso $((now - 600))) p2=$(iso "$now")
{
	profile "$prof/mbp14-m1pro-charged.env" 192.0.2.11 "$p1"
	profile "$prof/imac24-m1-desktop.env" 192.0.2.12 "$p1"
	profile "$prof/mba15-m2-low.env" 192.0.2.13 "$p1"
	profile "$prof/mbp16-intel-finishing.env" 192.0.2.14 "$p1"
	bare 192.0.2.50 30000000000 "$p1"
} > "$T/paris1.ndjson"
{
	profile "$prof/mbp14-m1pro-charged.env" 192.0.2.11 "$p2"
	profile "$prof/imac24-m1-desktop.env" 192.0.2.12 "$p2"
	profile "$prof/mba15-m2-low.env" 192.0.2.13 "$p2"
	bare 192.0.2.50 29000000000 "$p2"
} > "$T/paris2.ndjson"
# Site lyon: its scanner stopped two hours ago; the same address
# 192.0.2.50 is another machine there.
l1=$(iso $((now - 7800))) l2=$(iso $((now - 7200)))
{
	profile "$prof/mbp14-m3pro-discharging.env" 192.0.2.21 "$l1"
	bare 192.0.2.50 100000000000 "$l1"
} > "$T/lyon1.ndjson"
{
	profile "$prof/mbp14-m3pro-discharging.env" 192.0.2.21 "$l2"
	bare 192.0.2.50 99000000000 "$l2"
} > "$T/lyon2.ndjson"

mkstore() {
	mkdir -p "$T/$1" &&
	    macstore -d "$T/$1" -T "$2" add < "$T/${1}1.ndjson" &&
	    macstore -d "$T/$1" -T "$3" add < "$T/${1}2.ndjson" &&
	    chmod -R a+rX "$T/$1"
}
check "macstore: paris's store" mkstore paris "$p1" "$p2"
check "macstore: lyon's store" mkstore lyon "$l1" "$l2"

pids=""
stop_all() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	return 0
}
at_exit stop_all

# machttp SITE: machttp on a port the kernel picks; sets $port.
machttp_start() {
	: > "$T/machttp-$1.log"
	machttp -v -l 127.0.0.1:0 -d "$T/$1" 2> "$T/machttp-$1.log" &
	pids="$pids $!"
	port=$(listen_port "$T/machttp-$1.log" "$!")
	[ -n "$port" ] && return 0
	cat "$T/machttp-$1.log"
	echo "machttp did not start"
	exit 1
}
machttp_start paris
mh_paris=127.0.0.1:$port
machttp_start lyon
mh_lyon=127.0.0.1:$port

# Prometheus cannot be given port 0 and then tell its port: take a free
# one from the kernel, and try again if another process took it since.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# prom NAME CONFIG PORT [FLAGS...]: a Prometheus on 127.0.0.1:PORT (a free
# one if PORT is empty) with its own storage; sets $prom_port once it
# answers /-/ready.
prom_start() {
	name=$1 conf=$2 want=$3
	shift 3
	for _ in 1 2 3; do
		prom_port=${want:-$(free_port)}
		prometheus --config.file="$conf" \
		    --storage.tsdb.path="$T/tsdb-$name" \
		    --web.listen-address="127.0.0.1:$prom_port" "$@" \
		    > "$T/prom-$name.log" 2>&1 &
		ppid=$!
		pids="$pids $ppid"
		end=$(($(date +%s) + deadline))
		while kill -0 "$ppid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do
			if curl -fs "http://127.0.0.1:$prom_port/-/ready" > /dev/null 2>&1
			then
				return 0
			fi
			sleep 0.2
		done
		if [ -n "$want" ] ||
		    ! grep -q 'address already in use' "$T/prom-$name.log"; then
			break
		fi
	done
	sed 's/^/     | /' "$T/prom-$name.log" | tail -n 20
	fail "prometheus $name did not start"
	finish
	exit 1
}

# The site's configuration is packaging/prometheus/prometheus.yml itself,
# with the test's intervals, target, site and no Alertmanager; its rule
# files beside it.
site_conf() {
	mkdir -p "$T/$1"
	cp "$pk/macscan.rules.yml" "$pk/macscan.alerts.yml" "$T/$1/"
	sed -e 's/^\(  *\)scrape_interval: 1m$/\1scrape_interval: 1s/' \
	    -e 's/^\(  *\)evaluation_interval: 1m$/\1evaluation_interval: 1s/' \
	    -e "s/\"127\\.0\\.0\\.1:8000\"/\"$2\"/" \
	    -e "s/^    site: paris$/    site: $1/" \
	    -e '/^alerting:$/,/^$/d' \
	    "$pk/prometheus.yml" > "$T/$1/prometheus.yml"
	printf '%s\n' "$3" >> "$T/$1/prometheus.yml"
}

# The central Prometheus's port first: lyon writes to it (and retries
# until it is up).
central_port=$(free_port)
site_conf paris "$mh_paris" ""
site_conf lyon "$mh_lyon" "remote_write:
  - url: http://127.0.0.1:$central_port/api/v1/write
    queue_config:
      batch_send_deadline: 1s"
check "promtool check config: paris, as the test runs it" \
    promtool check config "$T/paris/prometheus.yml"
check "promtool check config: lyon, remote-writing" \
    promtool check config "$T/lyon/prometheus.yml"
check_match "the test's paris config differs from the shipped one only in its test values" \
    '^[<>] *(scrape_interval: 1s|evaluation_interval: 1s|site: paris|- targets: \["127\.0\.0\.1:[0-9]+"\]|alerting:|alertmanagers:|- static_configs:|- targets: \["127\.0\.0\.1:9093"\]|)$' \
    "$(diff "$pk/prometheus.yml" "$T/paris/prometheus.yml" | grep '^[<>]')"

prom_start paris "$T/paris/prometheus.yml" ""
paris=http://127.0.0.1:$prom_port
prom_start lyon "$T/lyon/prometheus.yml" ""
lyon=http://127.0.0.1:$prom_port

# The central one, federating paris and receiving lyon's writes, from
# central.yml with its targets replaced.
mkdir -p "$T/central"
sed -e 's/^\(  *\)scrape_interval: 1m$/\1scrape_interval: 1s/' \
    -e 's/^\(  *\)evaluation_interval: 1m$/\1evaluation_interval: 1s/' \
    -e "s/prometheus\\.paris\\.example\\.org:9090/127.0.0.1:${paris##*:}/" \
    -e '/prometheus\.lyon\.example\.org/d' \
    "$pk/central.yml" > "$T/central/central.yml"
check "promtool check config: central, as the test runs it" \
    promtool check config "$T/central/central.yml"
prom_start central "$T/central/central.yml" "$central_port" \
    --web.enable-remote-write-receiver
central=http://127.0.0.1:$central_port

# query URL PROMQL: the instant vector as JSON lines
# {"labels": {...}, "value": number}, sorted; "" when the query fails.
query() {
	curl -fsG "$1/api/v1/query" --data-urlencode "query=$2" 2>/dev/null |
	    jq -c 'select(.status == "success") | .data.result |
	        map({labels: (.metric | del(.__name__)),
	             value: (.value[1] | tonumber)}) | sort_by(.labels) | .[]'
}

# wait_for DESC URL PROMQL N: poll until the query returns N series.
wait_for() {
	end=$(($(date +%s) + deadline))
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$(query "$2" "$3" | grep -c . || true)
		if [ "$n" = "$4" ]; then
			pass "$1"
			return 0
		fi
		sleep 0.5
	done
	fail "$1: $n series, not $4, after ${deadline}s"
	return 1
}

paris_n=$(curl -fs "http://$mh_paris/machines" | jq length)
lyon_n=$(curl -fs "http://$mh_lyon/machines" | jq length)
check_eq "machttp paris lists its machines" 5 "$paris_n"
check_eq "machttp lyon lists its machines" 2 "$lyon_n"

wait_for "paris: machttp's target is up" "$paris" \
    'up{job="macscan"} == 1' 1
wait_for "paris: every machine's free space is stored" "$paris" \
    'macscan_disk_free_bytes' "$paris_n"
wait_for "lyon: every machine's free space is stored" "$lyon" \
    'macscan_disk_free_bytes' "$lyon_n"

# compare MACHTTP URL JQ_FIELD_EXPR METRIC: the series of METRIC equal, one
# for one, the machines of /machines where the field is known, by id,
# with the labels name and ip.
compare() {
	curl -fs "http://$1/machines" > "$T/machines.json"
	query "$2" "$4" > "$T/got.ndjson"
	want=$(jq -c --arg m "$4" '
	    map(select(('"$3"') != null) |
	        {labels: {id, name: (.computer_name // ""), ip: (.ip // "")},
	         value: ('"$3"')}) | sort_by(.labels.id) | .[]' \
	    "$T/machines.json")
	got=$(jq -c '{labels: (.labels | {id, name, ip}), value}' "$T/got.ndjson" |
	    jq -sc 'sort_by(.labels.id) | .[]')
	check_eq "$s: $4 equals /machines" "$want" "$got"
}
for s in paris lyon; do
	case $s in
	paris) mh=$mh_paris url=$paris ;;
	lyon) mh=$mh_lyon url=$lyon ;;
	esac
	compare "$mh" "$url" '.disk_free_bytes' macscan_disk_free_bytes
	compare "$mh" "$url" '.disk_total_bytes' macscan_disk_total_bytes
	compare "$mh" "$url" '.battery_percent | if . == null then null else . / 100 end' \
	    macscan_battery_charge_ratio
	compare "$mh" "$url" '.battery_health_percent | if . == null then null else . / 100 end' \
	    macscan_battery_health_ratio
	compare "$mh" "$url" '.battery_cycles' macscan_battery_cycles
	compare "$mh" "$url" '.uptime_s' macscan_uptime_seconds
	compare "$mh" "$url" 'if .online then 1 else 0 end' macscan_online
	compare "$mh" "$url" '.last_seen | fromdateiso8601' \
	    macscan_last_seen_timestamp_seconds
done
# Not only equal to machttp: equal to the profiles the records came from.
check_eq "paris: the offline MacBook Pro 16 has online 0" 0 \
    "$(query "$paris" 'macscan_online{id="C02ZK1ABMD6N"}' | jq .value)"
check_eq "paris: Alice's free space is the profile's 390625000 KiB" \
    400000000000 \
    "$(query "$paris" 'macscan_disk_free_bytes{id="FVFGK0AAQ6L4"}' | jq .value)"
check_eq "paris: the iMac's name, with <, & and quotes, is its label" \
    'iMac <Accueil> & "Réception"' \
    "$(query "$paris" 'macscan_disk_free_bytes{id="C02FL4ABQ05F"}' |
    jq -r .labels.name)"
check_eq "paris: the fleet count" 5 \
    "$(query "$paris" 'macscan_machines' | jq .value)"

# The recording rules, on the stored series.
wait_for "paris: the free ratio is recorded for every machine" "$paris" \
    'machine:macscan_disk_free:ratio' "$paris_n"
check_eq "paris: the recorded ratio is free / total" \
    "$(curl -fs "http://$mh_paris/machines" |
    jq -c 'map({id, r: (.disk_free_bytes / .disk_total_bytes)}) | sort_by(.id)')" \
    "$(query "$paris" 'machine:macscan_disk_free:ratio' |
    jq -sc 'map({id: .labels.id, r: .value}) | sort_by(.id)')"

# The alert rules evaluated on real data. Each machine's alerts are the
# rules machttp says fire on it (macscan_risk, lib/rules.h), but the two
# info rules, which are not alerts (battery_full_plugged, new_host):
# pending, as their "for:" has not passed. lyon's machines were last seen
# two hours ago, so MacscanNoScan is pending there too, not at paris,
# whose scan is recent.
# risks MACHTTP: "rule id" of each firing rule that is an alert, sorted.
risks() {
	curl -fs "http://$1/metrics" |
	    sed -n 's/^macscan_risk{id="\([^"]*\)",.*,rule="\([a-z_]*\)",.*} 1$/\2 \1/p' |
	    grep -v -e '^battery_full_plugged ' -e '^new_host ' | sort
}
# alerts PROM: "rule id" of each pending per-machine alert, sorted, and
# "ALERTNAME instance" of the others.
alerts() {
	curl -fs "$1/api/v1/alerts" | jq -r '.data.alerts[] | select(.state == "pending") |
	    if .labels.rule then "\(.labels.rule) \(.labels.id)"
	    else "\(.labels.alertname) \(.labels.instance)" end' | sort
}
want_paris=$(risks "$mh_paris")
want_lyon=$(printf '%s\n%s\n' "$(risks "$mh_lyon")" "MacscanNoScan $mh_lyon" | sed '/^$/d' | sort)
check_eq "paris: machttp reports risks (a critical disk among them)" yes \
    "$(echo "$want_paris" | grep -q '^disk_critical ' && echo yes)"
end=$(($(date +%s) + deadline))
while [ "$(date +%s)" -lt "$end" ]; do
	[ "$(alerts "$paris")" = "$want_paris" ] &&
	    [ "$(alerts "$lyon")" = "$want_lyon" ] && break
	sleep 0.5
done
check_eq "paris: an alert pending for each risk machttp reports" \
    "$want_paris" "$(alerts "$paris")"
check_eq "lyon: the same, and MacscanNoScan for its machttp" \
    "$want_lyon" "$(alerts "$lyon")"
check_eq "paris: no alert firing yet (for: has not passed)" 0 \
    "$(curl -fs "$paris/api/v1/alerts" | jq '[.data.alerts[] | select(.state == "firing")] | length')"
check_eq "paris: every rule loaded and healthy" "ok" \
    "$(curl -fs "$paris/api/v1/rules" | jq -r '[.data.groups[].rules[] |
    .health] | unique | join(",")')"
check_eq "paris: the rules of both files" \
    "$(grep -cE '^ *- (alert|record):' "$pk/macscan.rules.yml" "$pk/macscan.alerts.yml" |
    awk -F: '{ n += $2 } END { print n }')" \
    "$(curl -fs "$paris/api/v1/rules" | jq '[.data.groups[].rules[]] | length')"

# Multi-site at the central Prometheus: paris by federation, lyon by
# remote write; the machine 192.0.2.50 of each site stays apart by site.
wait_for "central: both sites' machines" "$central" \
    'macscan_disk_free_bytes' $((paris_n + lyon_n))
check_eq "central: 192.0.2.50 is two machines, one per site" \
    '[{"site":"lyon","v":99000000000},{"site":"paris","v":29000000000}]' \
    "$(query "$central" 'macscan_disk_free_bytes{id="192.0.2.50"}' |
    jq -sc 'map({site: .labels.site, v: .value}) | sort_by(.site)')"
check_eq "central: machines per site" '[{"site":"lyon","n":2},{"site":"paris","n":5}]' \
    "$(query "$central" 'count by (site) (macscan_disk_free_bytes)' |
    jq -sc 'map({site: .labels.site, n: .value}) | sort_by(.site)')"
check_eq "central: (site, id) is unique" 0 \
    "$(query "$central" 'count by (site, id) (macscan_disk_free_bytes) > 1' |
    grep -c . || true)"
check_eq "central: job and instance kept as each site scraped them" \
    "$(printf '%s\n' "macscan $mh_lyon lyon" "macscan $mh_paris paris" | sort)" \
    "$(query "$central" 'macscan_machines' |
    jq -r '"\(.labels.job) \(.labels.instance) \(.labels.site)"' | sort)"
wait_for "central: paris's recorded series federated" "$central" \
    'machine:macscan_disk_free:ratio{site="paris"}' "$paris_n"

finish
