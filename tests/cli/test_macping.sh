#!/bin/sh
# tests/cli/test_macping.sh - macping's usage, options and bad targets.
# Every case here fails before anything is sent. To make sure of it, each
# run happens in a new, empty network namespace when the system allows one
# (unshare -rn, no root needed): a bug could reach no network there, and
# that namespace's own counters show that not one packet was even tried.
. "$(dirname "$0")/../setup.sh"

if unshare -rn true 2>/dev/null; then isolate=1; else
	isolate=0
	echo "note: no unshare -rn here: runs are not isolated" >&2
fi

# mp INPUT ARGS...: macping ARGS with INPUT as its standard input; sets
# $rc, $out, $err and $sent (packets tried: IP, ICMP, TCP and UDP
# counters of the namespace; 0 when not isolated).
mp() {
	in=$1; shift
	if [ "$isolate" = 1 ]; then
		unshare -rn sh -c 'd=$1 in=$2; shift 2
			"$@" <"$in" >"$d/out" 2>"$d/err"
			echo $? >"$d/rc"; cat /proc/net/snmp >"$d/snmp"' \
		    sh "$T" "$in" macping "$@"
		sent=$(awk '
			$2 !~ /^[0-9-]+$/ { for (i = 2; i <= NF; i++) col[$1 $i] = i; next }
			{ for (k in col) if (index(k, $1) == 1) v[k] = $(col[k]) }
			END { print v["Ip:OutRequests"] + v["Ip:OutNoRoutes"] + \
			    v["Icmp:OutMsgs"] + v["Tcp:ActiveOpens"] + \
			    v["Udp:OutDatagrams"] }' "$T/snmp")
	else
		set +e
		macping "$@" <"$in" >"$T/out" 2>"$T/err"
		echo $? >"$T/rc"
		set -e
		sent=0
	fi
	rc=$(cat "$T/rc")
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

# refused DESC EXPECTED-STDERR INPUT ARGS...: exit 2, that exact error,
# nothing on stdout, nothing sent.
refused() {
	d=$1 want=$2; shift 2
	mp "$@"
	check_eq "$d: exit 2" 2 "$rc"
	check_eq "$d: message" "$want" "$err"
	check_eq "$d: no output" "" "$out"
	check_eq "$d: nothing sent" 0 "$sent"
}

usage='usage: macping [-aFhjqv] [-f file] [-m methods] [-p ports] [-R retries]
               [-r rate] [-t timeout] [target ...]'

# -h, and the usage is the man page's SYNOPSIS.
mp /dev/null -h
check_eq "-h: exit 0" 0 "$rc"
check_eq "-h: usage on stdout" "$usage" "$out"
check_eq "-h: nothing on stderr" "" "$err"
if command -v mandoc >/dev/null 2>&1; then
	syn=$(mandoc -Tascii "$top/man/macping.1" | sed "s/.\x08//g" |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' '   ' |
	    sed 's/^ *//; s/ *$//')
	use=$(printf '%s\n' "$usage" | sed 's/^usage: //' | tr -s ' \n' '  ' |
	    sed 's/^ *//; s/ *$//')
	check_eq "usage is the man page SYNOPSIS" "$syn" "$use"
fi

# Bad options: the getopt message, then the usage, exit 2.
mp /dev/null -x 127.0.0.1
check_eq "-x: exit 2" 2 "$rc"
check_eq "-x: message and usage" "macping: invalid option -- 'x'
$usage" "$err"
check_eq "-x: nothing sent" 0 "$sent"
mp /dev/null -t
check_eq "-t without value: exit 2" 2 "$rc"
check_eq "-t without value: message" "macping: option requires an argument -- 't'
$usage" "$err"

refused "-t 0" "macping: -t: timeout is too small: 0" /dev/null -t 0 127.0.0.1
refused "-t 60001" "macping: -t: timeout is too large: 60001" /dev/null -t 60001 127.0.0.1
refused "-t 5s" "macping: -t: timeout is invalid: 5s" /dev/null -t 5s 127.0.0.1
refused "-R 11" "macping: -R: retries is too large: 11" /dev/null -R 11 127.0.0.1
refused "-R -1" "macping: -R: retries is too small: -1" /dev/null -R -1 127.0.0.1
refused "-r 0" "macping: -r: rate is too small: 0" /dev/null -r 0 127.0.0.1
refused "-r 100001" "macping: -r: rate is too large: 100001" /dev/null -r 100001 127.0.0.1
refused "-p 0" "macping: -p: port is too small: 0" /dev/null -p 0 127.0.0.1
refused "-p 65536" "macping: -p: port is too large: 65536" /dev/null -p 22,65536 127.0.0.1
refused "-p ssh" "macping: -p: port is invalid: ssh" /dev/null -p ssh 127.0.0.1
refused "-p 22,22" "macping: -p: port 22 given twice" /dev/null -p 22,22 127.0.0.1
refused "-p 22," "macping: -p: empty port in '22,'" /dev/null -p 22, 127.0.0.1
refused "-p 17 ports" "macping: -p: more than 16 ports" /dev/null \
    -p 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17 127.0.0.1
refused "-m udp" "macping: -m: unknown method 'udp': use icmp, tcp or arp, separated by commas" \
    /dev/null -m icmp,udp 127.0.0.1
refused "-m icmp,icmp" "macping: -m: method 'icmp' given twice" /dev/null -m icmp,icmp 127.0.0.1

# Bad targets on the command line: one exact line each, from lib/target.
refused "octet > 255" "macping: '192.168.1.300': octet 4 is larger than 255" \
    /dev/null 192.168.1.300
refused "prefix > 32" "macping: '10.0.0.0/33': prefix length must be 0 to 32" \
    /dev/null 10.0.0.0/33
refused "3 octets" "macping: '1.2.3': 3 octets, an address has 4" /dev/null 1.2.3
refused "leading zero" "macping: '010.1.1.1': octet 1 has a leading zero: leading zeros are ambiguous (octal or decimal?)" \
    /dev/null 010.1.1.1
refused "backwards range" "macping: '1.2.3.4-1': range end 1.2.3.1 is before its start 1.2.3.4" \
    /dev/null 1.2.3.4-1
refused "bad host name" "macping: 'bad_host': bad character '_' at position 4 (a host name has letters, digits, '-' and '.')" \
    /dev/null bad_host
refused "hex name" "macping: '0x7f000001': reads as a number in hex, not a host name; write the address as a dotted quad" \
    /dev/null 0x7f000001
refused "empty label" "macping: 'a..b': label 2 of the host name is empty" /dev/null a..b
refused "empty argument" "macping: empty target" /dev/null ""
refused "two targets in one argument" "macping: '1.2.3.4 5.6.7.8': octet 4 has a bad character ' '" \
    /dev/null "1.2.3.4 5.6.7.8"
# Every bad target is reported, not only the first, and a good one among
# them (a name) is not looked up.
refused "every bad target" "macping: '1.2.3.256': octet 4 is larger than 255
macping: 'x_y': bad character '_' at position 2 (a host name has letters, digits, '-' and '.')" \
    /dev/null 127.0.0.1 1.2.3.256 imac-jean.local x_y
# Terminal escapes in a target reach the terminal inert.
mp /dev/null "$(printf 'a\033[2Jb')"
check_eq "escape: exit 2" 2 "$rc"
check_eq "escape: shown inert" "macping: 'a\\x1b[2Jb': bad character '\\x1b' at position 2 (a host name has letters, digits, '-' and '.')" "$err"

# Bad targets in a file and on stdin: FILE:LINE: 'x': reason.
cat >"$T/targets" <<'EOF'
# office subnets
10.0.0.1 10.0.0.2   # two hosts

10.0.0.999 imac-jean
{"ip":"10.0.0.7","vendor":"Apple"}
{"host":"bad..x"}
{"mac":"aa:bb:cc:dd:ee:ff"}
{"ip":
10.0.1.0/24 10.0.2.0/33
EOF
want_file="macping: $T/targets:4: '10.0.0.999': octet 4 is larger than 255
macping: $T/targets:6: 'bad..x': label 2 of the host name is empty
macping: $T/targets:7: record has no ip or host
macping: $T/targets:8: column 5: '[' or '{' expected near end of file
macping: $T/targets:9: '10.0.2.0/33': prefix length must be 0 to 32"
mp /dev/null -f "$T/targets"
# The JSON parser words its own messages: compare the others exactly.
check_eq "-f: exit 2" 2 "$rc"
check_eq "-f: lines 4, 6, 7, 9" \
    "$(printf '%s\n' "$want_file" | grep -v ':8: ')" \
    "$(printf '%s\n' "$err" | grep -v ':8: ')"
check_match "-f: line 8 named" "^macping: $T/targets:8: column [0-9]+: " "$err"
check_eq "-f: nothing sent" 0 "$sent"
mp "$T/targets"
check_eq "stdin: exit 2" 2 "$rc"
check_eq "stdin: named <stdin>" \
    "$(printf '%s\n' "$want_file" | grep -v ':8: ' | sed "s|$T/targets|<stdin>|")" \
    "$(printf '%s\n' "$err" | grep -v ':8: ')"
check_eq "stdin: nothing sent" 0 "$sent"
mp "$T/targets" -f -
check_eq "-f -: reads stdin" \
    "$(printf '%s\n' "$want_file" | grep -v ':8: ' | sed "s|$T/targets|<stdin>|")" \
    "$(printf '%s\n' "$err" | grep -v ':8: ')"
refused "-f missing" "macping: $T/nope: No such file or directory" /dev/null -f "$T/nope"
# A system failure is exit 3, not 2 (lib/exitcode.h): a target file
# that opens but cannot be read.
mp /dev/null -f /
check_eq "-f /: exit 3" 3 "$rc"
check_eq "-f /: message" "macping: /: read error: Is a directory" "$err"
check_eq "-f /: nothing sent" 0 "$sent"

# A line longer than 64 KiB is one error for that line.
awk 'BEGIN { s = "1"; while (length(s) < 70000) s = s s; print "10.0.0.1"; print s }' \
    >"$T/long"
refused "long line" "macping: <stdin>:2: line longer than 65536 bytes" "$T/long"

# Nothing to sweep on a pipe or file that has no target.
printf '# nothing\n\n' >"$T/empty"
mp "$T/empty"
check_eq "empty input: exit 1" 1 "$rc"
check_eq "empty input: message" "macping: no targets" "$err"
check_eq "empty input: nothing sent" 0 "$sent"

# More than a /16 needs -F; names count as one address each and are not
# looked up before the limit is checked.
refused "/15" "macping: 131070 addresses to sweep: more than a /16 (65536) needs -F" \
    /dev/null 10.0.0.0/15
refused "two /16" "macping: 131068 addresses to sweep: more than a /16 (65536) needs -F" \
    /dev/null 10.0.0.0/16 10.1.0.0/16
refused "a /16 and 3 names" "macping: 65537 addresses to sweep: more than a /16 (65536) needs -F" \
    /dev/null 10.0.0.0/16 a.example b.example c.example
refused "range" "macping: 65537 addresses to sweep: more than a /16 (65536) needs -F" \
    /dev/null 10.0.0.1-10.1.0.1
echo 10.0.0.0/8 >"$T/big"
refused "from a file" "macping: 16777214 addresses to sweep: more than a /16 (65536) needs -F" \
    /dev/null -f "$T/big"

# ICMP named in -m without the privilege for it is an error (a namespace
# where we have no capability and ping_group_range is the default "1 0").
if [ "$isolate" = 1 ] && command -v setpriv >/dev/null 2>&1; then
	unshare -rn setpriv --bounding-set=-all --inh-caps=-all \
	    macping -m icmp 127.0.0.1 </dev/null >"$T/out" 2>"$T/err" &&
	    rc=0 || rc=$?
	check_eq "-m icmp unprivileged: exit 2" 2 "$rc"
	check_eq "-m icmp unprivileged: message" "macping: icmp: Permission denied: needs CAP_NET_RAW, or a group in net.ipv4.ping_group_range; -m tcp,arp works without" \
	    "$(cat "$T/err")"
fi

finish
