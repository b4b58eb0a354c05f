#!/bin/bash
# tests/docker/check.sh (make docker-check) - the image and the compose
# file, built and run against the lab's simulated Macs:
#   - a Docker engine: the one DOCKER_HOST names, or Debian's dockerd
#     started here on a socket, data root and bridge of its own (no NAT,
#     no forwarding: containers reach only what this script wires);
#   - the base image made without a registry (mmdebstrap minbase of
#     bookworm from the host's Debian mirror and apt proxy, docker
#     import), the image built from packaging/docker/Dockerfile on it;
#   - a lab (tests/lab/maclab) and a container holding a network
#     namespace wired into the lab's bridge; compose.yaml's two services,
#     run by Debian's docker-compose with tests/docker/compose.lab.yaml,
#     which only puts the scan service in that namespace (so its sweep
#     stays inside the lab) and mounts the lab's key;
#   - the dashboard, on the host's loopback, lists the lab's Macs with
#     their disk space as `maclab expect` says; the HEALTHCHECK turns
#     healthy and fails where no machttp answers; both containers run as
#     uid 999 with no capability but the scan's NET_RAW bounding set,
#     which only macping's file capability raises.
# Then everything it made goes: containers, volume, images, the lab, the
# engine if it started it. Needs root; the packages: tools/deps.sh docker.
. "$(dirname "$0")/../setup.sh"
need_root
cd "$top"

t0=$(date +%s)
phase() { echo "-- $(($(date +%s) - t0))s: $*"; }
# Names of everything made here: containers, images, compose project.
p=$(printf '%s' "${MACLAB_PREFIX:-}mdock" | tr -cd 'a-z0-9-')
export MACLAB_NAME="${MACLAB_PREFIX:-}docker"
img=$p-macscan:check
base=$p-base:bookworm
uid=999
# Debian's docker client matches Debian's daemon.
docker=/usr/bin/docker
[ -x "$docker" ] || docker=$(command -v docker)
deadline=${DOCKER_CHECK_DEADLINE:-900}

die_now() {
	fail "$*"
	finish
	exit 1
}

# show FILE: the end of a log, indented.
show() { sed 's/^/     | /' "$1" | tail -n "${2:-30}"; }

# ---------------------------------------------------------------- engine

own=0
bridge=""
stop_engine() {
	[ "$own" = 1 ] || return 0
	kill "$dpid" 2>/dev/null
	for _ in $(seq 600); do
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	# Whatever a killed engine left mounted under its data root.
	findmnt -rn -o TARGET | grep "^$T/" | sort -r |
	    while read -r m; do umount -l "$m"; done
	[ -z "$bridge" ] || ip link del "$bridge" 2>/dev/null
	return 0
}
at_exit stop_engine

if [ -n "${DOCKER_HOST:-}" ] && "$docker" version > /dev/null 2>&1; then
	phase "using the engine at $DOCKER_HOST"
else
	own=1
	export DOCKER_HOST="unix://$T/docker.sock"
	# The containers' bridge, in the range for network tests; dockerd
	# neither forwards nor masquerades: nothing leaves this machine.
	bridge=$(printf '%s' "${p}0" | cut -c1-15)
	ip link del "$bridge" 2>/dev/null || true
	ip link add "$bridge" type bridge &&
	    ip addr add 198.19.254.1/24 dev "$bridge" &&
	    ip link set "$bridge" up || die_now "bridge $bridge"
	dockerd --data-root "$T/root" --exec-root "$T/exec" \
	    --pidfile "$T/dockerd.pid" -H "$DOCKER_HOST" --bridge "$bridge" \
	    --iptables=false --ip-forward=false > "$T/dockerd.log" 2>&1 &
	dpid=$!
	end=$(($(date +%s) + 120))
	until "$docker" version > /dev/null 2>&1; do
		if ! kill -0 "$dpid" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]
		then
			show "$T/dockerd.log"
			die_now "dockerd did not start"
		fi
		sleep 0.5
	done
	phase "dockerd $("$docker" version -f '{{.Server.Version}}') started"
fi
pass "a Docker engine answers"

# ------------------------------------------------------------ cleanup

project=$(printf '%s' "$p" | tr -cd 'a-z0-9')
compose=(docker-compose -p "$project" -f packaging/docker/compose.yaml
    -f tests/docker/compose.lab.yaml)
remove_all() {
	"${compose[@]}" down -v --remove-orphans > /dev/null 2>&1
	"$docker" rm -f "$p-labnet" > /dev/null 2>&1
	"$docker" rmi -f "$img" "$base" > /dev/null 2>&1
	# The build stage, left untagged.
	"$docker" image prune -f > /dev/null 2>&1
	return 0
}
at_exit remove_all

# --------------------------------------------------------- base image

# The host's Debian mirror for bookworm (main), and its apt proxy and
# validity settings: the same apt inside as outside.
sources=()
while read -r uri rel; do
	sources+=("deb $uri $rel main")
done < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
    'Identifier: Packages' 2>/dev/null |
    awk '$2 ~ /^bookworm(-updates|-security)?$/ && $3 == "main" { print $1, $2 }' |
    sort -u)
[ "${#sources[@]}" -gt 0 ] || sources=("deb http://deb.debian.org/debian bookworm main")
aptopts=()
buildargs=()
for o in Acquire::http::Proxy Acquire::https::Proxy Acquire::Check-Valid-Until; do
	v=$(apt-config dump "$o" | sed -n "s/^$o \"\\(.*\\)\";\$/\\1/p")
	[ -n "$v" ] && aptopts+=("--aptopt=$o \"$v\";")
done
for v in http_proxy https_proxy no_proxy; do
	[ -n "${!v:-}" ] && buildargs+=(--build-arg "$v=${!v}")
done
phase "mmdebstrap bookworm from: ${sources[*]}"
if mmdebstrap --variant=minbase "${aptopts[@]}" bookworm - "${sources[@]}" \
    2> "$T/mmdebstrap.log" | "$docker" import - "$base" > /dev/null; then
	pass "base image $base from mmdebstrap"
else
	show "$T/mmdebstrap.log"
	die_now "mmdebstrap | docker import"
fi

# -------------------------------------------------------------- image

phase "docker build"
# The build's RUN steps use the host's network, as apt on the host does.
if DOCKER_BUILDKIT=0 "$docker" build --network host --build-arg "BASE=$base" \
    "${buildargs[@]}" -f packaging/docker/Dockerfile -t "$img" . \
    > "$T/build.log" 2>&1; then
	pass "docker build -f packaging/docker/Dockerfile"
else
	show "$T/build.log" 40
	die_now "docker build"
fi
check_eq "the Dockerfile's base stays debian:12-slim for registries" \
    "ARG BASE=debian:12-slim" "$(grep '^ARG BASE=' packaging/docker/Dockerfile)"
check_eq "the image's user" macscan "$("$docker" inspect -f '{{.Config.User}}' "$img")"
check_eq "macping's file capability" "/usr/local/bin/macping cap_net_raw=ep" \
    "$("$docker" run --rm --network none --entrypoint getcap "$img" \
    /usr/local/bin/macping)"
check_match "the image has a HEALTHCHECK on /healthz" '/healthz' \
    "$("$docker" inspect -f '{{json .Config.Healthcheck.Test}}' "$img")"

# ---------------------------------------------------------------- lab

lab_down() { tests/lab/maclab down > /dev/null 2>&1; return 0; }
at_exit lab_down
phase "maclab up ($MACLAB_NAME)"
tests/lab/maclab up > "$T/lab.log" 2>&1 || { show "$T/lab.log"; die_now "maclab up"; }
eval "$(tests/lab/maclab env)"
tests/lab/maclab expect > "$T/expect.ndjson"
pass "lab up: $(grep -c . "$T/expect.ndjson") Macs expected"

# A container whose only job is to hold a network namespace, wired into
# the lab's bridge by a veth created inside the lab's and its namespace
# (nothing appears in the host's), at an address nobody in the lab has.
addr=198.18.0.2
if tests/lab/maclab hosts | cut -f1 | grep -qx "$addr" ||
    [ "$addr" = "$MACLAB_SCANNER_IP" ]; then
	die_now "$addr is taken in the lab"
fi
"$docker" run -d --name "$p-labnet" --network none --no-healthcheck \
    --cap-drop ALL --read-only "$img" sleep infinity > /dev/null ||
    die_now "the lab network's container"
npid=$("$docker" inspect -f '{{.State.Pid}}' "$p-labnet")
brns=$MACLAB_NAME-br
if ip -n "$brns" link add dock0 type veth peer name eth0 netns "$npid" &&
    ip -n "$brns" link set dock0 master br0 up &&
    nsenter -t "$npid" -n ip addr add "$addr/${MACLAB_SUBNET#*/}" dev eth0 &&
    nsenter -t "$npid" -n ip link set eth0 up; then
	pass "the scan's namespace is on the lab's bridge at $addr"
else
	die_now "wiring the lab network"
fi
check_eq "the scan's namespace has no route out of the lab" \
    "$MACLAB_SUBNET dev eth0" \
    "$(nsenter -t "$npid" -n ip -4 route | awk '{ print $1, $2, $3 }')"

# ------------------------------------------------------------ compose

# The configuration the scan reads: the lab's subnet and key. No SMTP:
# macalert has nowhere to send, and no route to try.
cat > "$T/macscan.conf" <<EOF
MACSCAN_SUBNETS=$MACLAB_SUBNET
SSH_USERNAME=$SSH_USERNAME
SSH_KEY=/etc/macscan/lab_key
MACSCAN_INTERVAL=1
EOF
chmod 644 "$T/macscan.conf"
install -m 600 -o "$uid" -g "$uid" "$SSH_KEY" "$T/lab_key"
chmod 755 "$T"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export MACSCAN_IMAGE=$img MACHTTP_PORT=$port \
    MACSCAN_CONF_FILE=$T/macscan.conf MACSCAN_LABNET=$p-labnet \
    MACSCAN_LAB_KEY=$T/lab_key
check "docker-compose config: compose.yaml with the lab's override" \
    "${compose[@]}" config -q
phase "docker-compose up (scan, dashboard)"
if "${compose[@]}" up -d --no-build > "$T/compose.log" 2>&1; then
	pass "docker-compose up -d"
else
	show "$T/compose.log"
	die_now "docker-compose up"
fi
scan=$("${compose[@]}" ps -q scan)
dash=$("${compose[@]}" ps -q dashboard)
[ -n "$scan" ] && [ -n "$dash" ] || die_now "the two services are not running"

# The scan's loop runs its first cycle; the dashboard lists what it
# stored. Wait until the Macs it knows by serial are the lab's (the lab's
# other hosts are listed too, by MAC: a Linux server, a wrong password,
# a tarpit, a Mac that prints garbage). On loaded cores a probe may miss
# its deadline: after a cycle without every Mac, the scan service is
# restarted, so its loop runs the next cycle now rather than after its
# interval (the store keeps what each cycle found).
base_url=http://127.0.0.1:$port
want=$(jq -r .serial "$T/expect.ndjson" | sort)
got=""
cycles=0
end=$(($(date +%s) + deadline))
while [ "$(date +%s)" -lt "$end" ]; do
	if curl -fs "$base_url/machines" > "$T/machines.json" 2>/dev/null; then
		got=$(jq -r '.[] | select(.serial != null) | .id' \
		    "$T/machines.json" | sort)
		[ "$got" = "$want" ] && break
	fi
	n=$("$docker" logs "$scan" 2>&1 | grep -c 'cycle done' || true)
	if [ "$n" -gt "$cycles" ]; then
		cycles=$n
		phase "cycle $n: $(printf '%s\n' "$got" | grep -c . || true) Macs of $(printf '%s\n' "$want" | grep -c .) so far"
		"${compose[@]}" restart scan > /dev/null 2>&1
	fi
	sleep 2
done
phase "the dashboard lists $(jq length "$T/machines.json" 2>/dev/null) machines"
check_eq "the dashboard lists the lab's Macs (maclab expect)" "$want" "$got"
check_eq "with the free space of each, as the lab's profiles say" \
    "$(jq -sc 'map({id: .serial, free: .disk_free_bytes}) | sort_by(.id)' \
    "$T/expect.ndjson")" \
    "$(jq -c 'map(select(.serial != null) | {id, free: .disk_free_bytes}) |
    sort_by(.id)' "$T/machines.json")"
check_match "the stealth Mac (no ICMP) was found too" '"probe":"ok"' \
    "$(jq -c --arg ip "$(tests/lab/maclab hosts | awk -F'\t' '$4 == "stealth" { print $1; exit }')" \
    '.[] | select(.ip == $ip)' "$T/machines.json")"
"$docker" logs "$scan" > "$T/scan.log" 2>&1
check_match "the scan's log: macping and macprobe ran" \
    'macprobe: [0-9]+ records, [0-9]+ ok' "$(cat "$T/scan.log")"
check_match "/metrics counts the machines" "^macscan_machines $(jq length "$T/machines.json")\$" \
    "$(curl -fs "$base_url/metrics")"

# ----------------------------------------------------------- security

caps() { "$docker" inspect -f "{{json .HostConfig.$2}}" "$1" | tr -d '"' |
    sed 's/CAP_//g'; }
check_eq "scan: cap_drop ALL" "[ALL]" "$(caps "$scan" CapDrop)"
check_eq "scan: cap_add NET_RAW" "[NET_RAW]" "$(caps "$scan" CapAdd)"
check_eq "dashboard: cap_drop ALL" "[ALL]" "$(caps "$dash" CapDrop)"
check_eq "dashboard: no capability added" "null" "$(caps "$dash" CapAdd)"
check_eq "dashboard: read-only root" true \
    "$("$docker" inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$dash")"
# status CONTAINER FIELD: a line of /proc/1/status inside.
st() { "$docker" exec "$1" cat /proc/1/status | awk -v f="$2:" '$1 == f { print $2 }'; }
for c in scan dash; do
	eval "id=\$$c"
	check_eq "$c: pid 1 runs as uid $uid" "$uid" "$(st "$id" Uid)"
	check_eq "$c: pid 1 has no effective capability" 0000000000000000 \
	    "$(st "$id" CapEff)"
	check_eq "$c: pid 1 has no permitted capability" 0000000000000000 \
	    "$(st "$id" CapPrm)"
done
check_eq "scan: the bounding set is NET_RAW alone" 0000000000002000 \
    "$(st "$scan" CapBnd)"
check_eq "dashboard: the bounding set is empty" 0000000000000000 \
    "$(st "$dash" CapBnd)"
check_eq "dashboard: no new privileges" 1 "$(st "$dash" NoNewPrivs)"
# macping raises NET_RAW from its file capability, then drops it: its
# sweep used the raw ICMP socket.
mac1=$(jq -r .ip "$T/expect.ndjson" | head -n 1)
"$docker" exec "$scan" macping -v -j "$mac1" > "$T/macping.out" 2> "$T/macping.log" || true
check_match "macping in the scan container opens a raw ICMP socket" \
    'methods: icmp \(raw socket\)' "$(cat "$T/macping.log")"
check_eq "and finds $mac1 by ICMP" "$mac1 icmp" \
    "$(jq -r '"\(.ip) \(.seen_by)"' "$T/macping.out")"

# The dashboard is published on the host's loopback only.
check_eq "dashboard: published on 127.0.0.1 only" \
    "[{HostIp:127.0.0.1,HostPort:$port}]" \
    "$("$docker" inspect -f "{{json (index .HostConfig.PortBindings \"$port/tcp\")}}" "$dash" |
    tr -d '"')"
check_eq "the host listens on 127.0.0.1:$port, nowhere else" "127.0.0.1:$port" \
    "$(ss -Hltn "sport = :$port" | awk '{ print $4 }' | sort -u | tr '\n' ' ' |
    sed 's/ $//')"
check_eq "the dashboard answers a browser's request on that port" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$base_url/")"
check_eq "compose tells machttp it may listen open (MACHTTP_ALLOW_OPEN)" \
    "MACHTTP_ALLOW_OPEN=yes" \
    "$("$docker" inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$dash" |
    grep '^MACHTTP_ALLOW_OPEN=')"

# ---------------------------------------------------------- healthcheck

end=$(($(date +%s) + 180))
health=""
while [ "$(date +%s)" -lt "$end" ]; do
	health=$("$docker" inspect -f '{{.State.Health.Status}}' "$dash")
	[ "$health" = healthy ] && break
	sleep 2
done
check_eq "dashboard: the HEALTHCHECK says healthy" healthy "$health"
check_eq "its last probe exited 0" 0 \
    "$("$docker" inspect -f '{{json .State.Health}}' "$dash" | jq '.Log[-1].ExitCode')"
# The same command where no machttp listens (the scan's namespace): it
# must fail, or it would say healthy of anything.
hc=$("$docker" inspect -f '{{json .Config.Healthcheck.Test}}' "$img" |
    jq -r '.[1:] | @sh')
check_eq "the healthcheck fails where no machttp answers" 1 \
    "$(status eval "$docker exec $scan $hc" 2>/dev/null)"
check_eq "scan: the image's healthcheck is off (it is the dashboard's)" \
    '["NONE"]' "$("$docker" inspect -f '{{json .Config.Healthcheck.Test}}' "$scan")"

phase "checks done"
finish
