#!/bin/sh
# tests/integration/test_macping.sh - macping against the lab: it must find
# exactly the live hosts of the lab's /24 (the stealth Mac too), with the
# right MAC addresses and vendors, through every method and input, with and
# without privileges. Every run happens in the lab's scanner namespace.
. "$(dirname "$0")/../setup.sh"
need_root

export MACLAB_NAME=${MACLAB_PREFIX:-}ping
lab=$top/tests/lab/maclab
# Every sweep here waits 3 s for answers (-t 3000; a test that needs
# less says so with its own -t): a lab host answers within milliseconds,
# but on a loaded 2-core machine the kernel's ARP timers and the lab's
# namespaces wait for the CPU, and macping's default half second then
# loses hosts. The margin: six times the default, twice with the retry.
chmod 711 "$T"
mp=$T/macping
printf '#!/bin/sh\nexec "%s" -t 3000 "$@"\n' "$O/bin/macping" > "$mp"
chmod 755 "$mp"
scanner=198.18.0.1
scanner_mac=02:00:c6:12:00:01
net=198.18.0.0/24

lab_down() { "$lab" down >/dev/null 2>&1 || true; }
at_exit lab_down
if ! "$lab" up >"$T/up.log" 2>&1; then
	cat "$T/up.log"
	fail "maclab up"
	finish
fi
"$lab" hosts >"$T/hosts"

# in_lab CMD...: CMD in the scanner namespace, no standard input.
in_lab() { "$lab" exec "$@" </dev/null; }

# run CMD...: stdout in $T/out, stderr in $T/err, exit status in $rc.
run() {
	set +e
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}

# The vendor macping should name for MAC: "private" for a locally
# administered address, else the IEEE registry's owner, shortened the way
# macping does for Apple ("Apple, Inc." -> "Apple").
vendor_of() {
	first=${1%%:*}
	if [ $((0x$first & 2)) -ne 0 ]; then echo private; return; fi
	oui=$(printf '%s' "$1" | cut -c1-8 | tr 'a-f:' 'A-F-')
	org=$(grep -m1 "^$oui " /usr/share/ieee-data/oui.txt 2>/dev/null |
	    sed 's/.*(hex)[[:space:]]*//; s/[[:space:]]*$//')
	case $org in
	"Apple, Inc.") echo Apple ;;
	"") echo - ;;
	*) echo "$org" ;;
	esac
}

# What the lab says: every address with a KIND is alive, plus the scanner.
# expect.tsv: IP MAC VENDOR KIND, sorted by IP.
{
	printf '%s\t%s\tprivate\tscanner\n' "$scanner" "$scanner_mac"
	awk -F'\t' '$4 != "" { print $1 "\t" $2 "\t" $4 }' "$T/hosts" |
	while IFS='	' read -r ip mac kind; do
		printf '%s\t%s\t%s\t%s\n' "$ip" "$mac" "$(vendor_of "$mac")" "$kind"
	done
} | sort -t. -k4,4n >"$T/expect.tsv"
cut -f1 "$T/expect.tsv" >"$T/expect.ips"
awk -F'\t' '$4 == "" { print $1 }' "$T/hosts" >"$T/empty.ips"
stealth=$(awk -F'\t' '$4 == "stealth" { print $1; exit }' "$T/hosts")
check "the lab has live hosts, empty addresses and a stealth Mac" \
    test -s "$T/expect.ips" -a -s "$T/empty.ips" -a -n "$stealth"

sorted_ips() { cut -f1 "$1" | sort -t. -k4,4n; }

# 1. The /24, text output.
run in_lab "$mp" "$net"
check_eq "sweep: exit 0" 0 "$rc"
check_eq "sweep: no message" "" "$(cat "$T/err")"
check_eq "sweep: exactly the live hosts" "$(cat "$T/expect.ips")" \
    "$(sorted_ips "$T/out")"
check_eq "sweep: each host once" "$(wc -l <"$T/expect.ips")" \
    "$(wc -l <"$T/out")"
check_eq "sweep: 5 tab-separated fields" "" \
    "$(awk -F'\t' 'NF != 5' "$T/out")"
check_eq "sweep: MAC and vendor of every host" \
    "$(cut -f1-3 "$T/expect.tsv")" \
    "$(sort -t. -k4,4n "$T/out" | cut -f1-3)"
check_eq "sweep: no empty address" "" \
    "$(grep -Fxf "$T/empty.ips" "$T/out" || true)"
check_eq "sweep: the stealth Mac, by tcp" "tcp" \
    "$(awk -F'\t' -v ip="$stealth" '$1 == ip { print $5 }' "$T/out")"
# Which answer comes first is a race (TCP may beat ICMP on a busy
# machine): most hosts by icmp, every one by icmp or tcp.
most_icmp() {
	awk -F'\t' '$5 == "icmp" { n++ } END { print (n * 2 >= NR) ? "yes" : n "/" NR }' "$1"
}
check_eq "sweep: most hosts by icmp" yes "$(most_icmp "$T/out")"
check_eq "sweep: every host by icmp or tcp" "" \
    "$(awk -F'\t' '$5 != "icmp" && $5 != "tcp"' "$T/out")"
check_eq "sweep: RTTs in ms, 2 decimals" "" \
    "$(awk -F'\t' '$4 !~ /^[0-9]+\.[0-9][0-9]$/' "$T/out")"
check_eq "sweep: Apple vendors" \
    "$(awk -F'\t' '$3 == "Apple"' "$T/expect.tsv" | wc -l)" \
    "$(awk -F'\t' '$3 == "Apple"' "$T/out" | wc -l)"
check_match "sweep: private MACs named private" \
    "^198\.18\.0\.[0-9]+	[0-9a-f:]+	private	" "$(cat "$T/out")"

# 2. No target: the subnet of the scanner's interface, named first.
run in_lab "$mp"
check_eq "local subnets: exit 0" 0 "$rc"
check_eq "local subnets: named on stderr" \
    "macping: sweeping 198.18.0.0/24 on eth0" "$(cat "$T/err")"
check_eq "local subnets: the same hosts" "$(cat "$T/expect.ips")" \
    "$(sorted_ips "$T/out")"

# 3. -j: records with the fields of DESIGN.md.
run in_lab "$mp" -j "$net"
check_eq "-j: exit 0" 0 "$rc"
check_eq "-j: one valid record per host" "$(wc -l <"$T/expect.ips")" \
    "$(jq -c . "$T/out" | wc -l)"
jq -r '[.ip, (.mac // "-"), (.vendor // "private"), .seen_by] | @tsv' \
    "$T/out" | sort -t. -k4,4n >"$T/json.tsv"
check_eq "-j: ip, mac, vendor (absent when private)" \
    "$(cut -f1-3 "$T/expect.tsv")" "$(cut -f1-3 "$T/json.tsv")"
check_eq "-j: only known fields" "" \
    "$(jq -c 'keys - ["ip","mac","vendor","rtt_ms","seen_by"] | select(length > 0)' "$T/out")"
check_eq "-j: rtt_ms is a number, seen_by icmp or tcp" "" \
    "$(jq -c 'select((.rtt_ms | type) != "number" or (.seen_by | IN("icmp","tcp") | not))' "$T/out")"
check_eq "-j: the stealth Mac seen by tcp" tcp \
    "$(jq -r --arg ip "$stealth" 'select(.ip == $ip) | .seen_by' "$T/out")"
check_eq "-j: no vendor for private MACs" "" \
    "$(jq -c 'select(.vendor != null and ((.mac[1:2] | test("[2367abef]"))))' "$T/out")"

# 4. -a: Apple's vendor or SSH. With tcp, everything that answers SSH stays
# (private-MAC Macs, the Linux server) and the scanner (no sshd) goes; the
# Mac without SSH stays for its Apple MAC.
run in_lab "$mp" -a "$net"
check_eq "-a: exit 0" 0 "$rc"
check_eq "-a: every lab host but the scanner" \
    "$(grep -vx "$scanner" "$T/expect.ips")" "$(sorted_ips "$T/out")"
# Without tcp, nothing is known about SSH: only Apple's MACs stay.
run in_lab "$mp" -a -m icmp,arp "$net"
check_eq "-a -m icmp,arp: Apple MACs only" \
    "$(awk -F'\t' '$3 == "Apple" { print $1 }' "$T/expect.tsv")" \
    "$(sorted_ips "$T/out")"
check_eq "-a -m icmp,arp: vendor column" "Apple" \
    "$(cut -f3 "$T/out" | sort -u)"

# 5. Targets from stdin and from a file; comments, records, duplicates.
first=$(sed -n 2p "$T/expect.ips")
empty=$(head -n1 "$T/empty.ips")
printf '# a comment\n%s %s\n\n{"ip":"%s","vendor":"x"}\n%s # again\n' \
    "$first" "$empty" "$stealth" "$first" >"$T/targets"
run sh -c 'exec "$0" exec "$1" <"$2"' "$lab" "$mp" "$T/targets"
check_eq "stdin: exit 0" 0 "$rc"
check_eq "stdin: the live ones, once" \
    "$(printf '%s\n%s\n' "$first" "$stealth" | sort -t. -k4,4n)" \
    "$(sorted_ips "$T/out")"
run in_lab "$mp" -f "$T/targets"
check_eq "-f: exit 0 (read before privileges are dropped)" 0 "$rc"
check_eq "-f: the live ones, once" \
    "$(printf '%s\n%s\n' "$first" "$stealth" | sort -t. -k4,4n)" \
    "$(sorted_ips "$T/out")"
run in_lab "$mp" localhost "$first"
check_eq "host name: resolved" "$(printf '127.0.0.1\n%s' "$first")" \
    "$(sorted_ips "$T/out" | sort)"

# A write error stops the sweep: exit 3 (a system failure), one line.
run in_lab sh -c 'exec "$0" "$1" >/dev/full' "$mp" "$first"
check_eq "stdout full: exit 3" 3 "$rc"
check_eq "stdout full: one line" \
    "macping: write error: No space left on device" "$(cat "$T/err")"
run in_lab sh -c 'exec "$0" -j "$1" >/dev/full' "$mp" "$first"
check_eq "stdout full, -j: exit 3" 3 "$rc"
check_match "stdout full, -j: one line" '^macping: .*No space left on device$' \
    "$(cat "$T/err")"

# 6. Nobody there: exit 1, nothing printed.
run in_lab "$mp" -R 0 -t 200 -f "$T/empty.ips"
check_eq "empty addresses: exit 1" 1 "$rc"
check_eq "empty addresses: no output" "" "$(cat "$T/out")"

# 7. -m tcp only: every host has a TCP stack, and a refused connection
# counts; no ICMP socket is even opened.
run in_lab "$mp" -v -m tcp "$net"
check_eq "-m tcp: exit 0" 0 "$rc"
check_eq "-m tcp: every live host" "$(cat "$T/expect.ips")" \
    "$(sorted_ips "$T/out")"
check_eq "-m tcp: all by tcp" tcp "$(cut -f5 "$T/out" | sort -u)"
check_match "-m tcp: methods" "^macping: methods: tcp $" "$(cat "$T/err")"
run in_lab "$mp" -m tcp -p 2222,5900 "$net"
check_eq "-m tcp -p closed ports: resets count" "$(cat "$T/expect.ips")" \
    "$(sorted_ips "$T/out")"

# 8. -m arp only: the neighbour table alone (the kernel resolves the
# addresses for an empty UDP datagram). Our own address has no entry.
in_lab ip neigh flush all >/dev/null 2>&1 || true
run in_lab "$mp" -m arp "$net"
check_eq "-m arp: exit 0" 0 "$rc"
check_eq "-m arp: every lab host" "$(grep -vx "$scanner" "$T/expect.ips")" \
    "$(sorted_ips "$T/out")"
check_eq "-m arp: seen by arp, no RTT" "-	arp" \
    "$(cut -f4,5 "$T/out" | sort -u)"
check_eq "-m arp: MACs" "$(grep -v "^$scanner	" "$T/expect.tsv" | cut -f1-3)" \
    "$(sort -t. -k4,4n "$T/out" | cut -f1-3)"

# 9. Few descriptors: TCP probes wait for a free socket, nothing is lost.
run in_lab sh -c 'ulimit -n 90; exec "$0" -m tcp "$1"' "$mp" "$net"
check_eq "ulimit -n 90: exit 0" 0 "$rc"
check_eq "ulimit -n 90: every live host" "$(cat "$T/expect.ips")" \
    "$(sorted_ips "$T/out")"

# 10. Unprivileged: nobody, no capability, and ping_group_range excluding
# every group: no ICMP at all, the SSH hosts are still found by tcp.
unpriv() {
	in_lab sh -c 'sysctl -qw net.ipv4.ping_group_range="$0" &&
	    exec setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    --inh-caps=-all --bounding-set=-all "$@"' "$@"
}
restore_pgr() {
	in_lab sysctl -qw net.ipv4.ping_group_range="0 2147483647" || true
}
at_exit restore_pgr
run unpriv "1 0" "$mp" -v "$net"
check_eq "unprivileged: exit 0" 0 "$rc"
check_match "unprivileged: icmp skipped" \
    "^macping: icmp: Permission denied: sweeping without it$" "$(cat "$T/err")"
check_match "unprivileged: tcp and arp" "^macping: methods: tcp arp$" \
    "$(cat "$T/err")"
check_eq "unprivileged: every live host" "$(cat "$T/expect.ips")" \
    "$(sorted_ips "$T/out")"
check_eq "unprivileged: by tcp" tcp "$(cut -f5 "$T/out" | sort -u)"
check_eq "unprivileged: MACs still known" "$(cut -f1-3 "$T/expect.tsv")" \
    "$(sort -t. -k4,4n "$T/out" | cut -f1-3)"
run unpriv "1 0" "$mp" -m icmp "$net"
check_eq "unprivileged -m icmp: exit 2" 2 "$rc"
# With ping_group_range allowing nogroup: ICMP datagram sockets.
run unpriv "0 2147483647" "$mp" -v "$net"
check_eq "datagram icmp: exit 0" 0 "$rc"
check_match "datagram icmp: in use" \
    "^macping: methods: icmp \(datagram socket\) tcp arp$" "$(cat "$T/err")"
check_eq "datagram icmp: every live host" "$(cat "$T/expect.ips")" \
    "$(sorted_ips "$T/out")"
check_eq "datagram icmp: the stealth Mac by tcp" tcp \
    "$(awk -F'\t' -v ip="$stealth" '$1 == ip { print $5 }' "$T/out")"
check_eq "datagram icmp: most hosts by icmp" yes "$(most_icmp "$T/out")"
restore_pgr

# 11. Root gives its privileges up: the process runs as nobody.
run in_lab "$mp" -vv "$first"
check_match "root: privileges dropped" \
    "^macping: privileges dropped: uid 65534, gid 65534$" "$(cat "$T/err")"

# 12. Without the registry, Apple's prefixes are still known.
run in_lab env MACPING_OUI=/nonexistent "$mp" "$net"
check_eq "no registry: Apple from the built-in list" \
    "$(awk -F'\t' '$3 == "Apple" || $3 == "private" { print $1 "\t" $3 }' "$T/expect.tsv")" \
    "$(sort -t. -k4,4n "$T/out" | awk -F'\t' '$3 != "-" { print $1 "\t" $3 }')"
# A damaged registry: bad lines are skipped, good ones used.
{
	printf 'garbage\n\0\001\002\n3C-22-FB   (hex)\n'
	head -c 3000 /dev/urandom | tr -d '\n'
	printf '\n3C-22-FB   (hex)\t\tExample Vendor, Inc.\nA4-83-E7 (hex) Other Corp\n'
} >"$T/oui.txt"
chmod 644 "$T/oui.txt"
run in_lab env MACPING_OUI="$T/oui.txt" "$mp" -m icmp,arp \
    198.18.0.10-11
check_eq "damaged registry: names from its good lines" \
    "$(printf 'Example Vendor\nOther')" "$(sort -t. -k4,4n "$T/out" | cut -f3)"

finish
