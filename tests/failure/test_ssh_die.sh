# test_ssh_die.sh - an SSH server dies in the middle of a probe (lab
# MACLAB_NAME=fail-sd). Two Macs get a system_profiler that hangs (a line
# added to their host.env); once both probes are inside it, the first
# Mac's whole sshd (listener and session processes, by pid) gets SIGKILL,
# and the second Mac's network link goes down (no FIN, no RST: silence).
# macprobe -t 30 must give the first an error (or timeout) and the second
# a timeout, both within the deadline, one line each in probe_error,
# while every other Mac is ok; exit 1, no crash, bounded memory.
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need_root
need jq
lab_up sd
to=30
kb=$(mem_bound 60000)
ips_of mac > "$T/macs.txt"
ips_of stealth >> "$T/macs.txt"
ips_of hostkey >> "$T/macs.txt"
dead=$(sed -n 1p "$T/macs.txt")
cut=$(sed -n 2p "$T/macs.txt")
mkdir -p "$T/flags"
chmod 1777 "$T/flags"
for ip in "$dead" "$cut"; do
	inject "$ip" "case \${0##*/} in system_profiler) : > $T/flags/$ip; sleep 90 ;; esac"
done

# desc PID: the descendants of PID.
desc() { for c in $(ps -o pid= --ppid "$1"); do echo "$c"; desc "$c"; done; }

t0=$(now_ms)
env SSH_KEY="$key" "$lab" exec /usr/bin/time -f %M -o "$T/p.time" \
    "$O/bin/macprobe" -v -F none -d "$T/store" -t "$to" \
    < "$T/macs.txt" > "$T/p.ndjson" 2> "$T/p.err" &
ppid=$!
if wait_for 60 test -f "$T/flags/$dead" -a -f "$T/flags/$cut"; then
	pass "both probes are inside system_profiler ($(($(now_ms) - t0)) ms)"
else
	fail "the probes never reached system_profiler"
fi
sshd=$(cat "$(hostdir "$dead")/sshd.pid")
victims="$sshd $(desc "$sshd")"
check_match "the dying Mac's sshd has session processes" '[0-9]+ [0-9]+' "$victims"
# shellcheck disable=SC2086
kill -KILL $victims
"$lab" hostexec "$cut" ip link set eth0 down
tk=$(now_ms)
set +e; wait "$ppid"; rc=$?; set -e
wall=$(($(now_ms) - t0))
echo "     | sshd killed and link cut $((tk - t0)) ms after the start; macprobe done after $wall ms"
no_crash "macprobe" "$rc" "$T/p.err"
check_eq "macprobe: exit 1 (two hosts failed)" 1 "$rc"
rss_below "macprobe" "$kb" "$(tail -n 1 "$T/p.time")"
# The deadline is the point: the run ends by it, with a 10 s margin for
# a loaded 2-core machine (the hanging commands would take 90 s).
check "all done within the deadline + 10 s ($wall ms)" test "$wall" -le $(((to + 10) * 1000))

p=$(field "$T/p.ndjson" "$dead" probe)
e=$(field "$T/p.ndjson" "$dead" probe_error)
s=$(secs_of "$T/p.err" "$dead")
echo "     | sshd killed: $p in $s s: $e"
check_match "sshd killed: error or timeout" '^(error|timeout)$' "$p"
check_match "sshd killed: probe_error says the connection went" \
    '(closed|lost|reset|EOF|end of file|disconnect|timed out)' "$e"
check_eq "sshd killed: probe_error is one line" 1 "$(printf '%s\n' "$e" | wc -l)"
check "sshd killed: within the deadline + 5 s ($s s <= $((to + 5)) s; the margin for a loaded machine)" \
    le "$s" $((to + 5))
p=$(field "$T/p.ndjson" "$cut" probe)
e=$(field "$T/p.ndjson" "$cut" probe_error)
s=$(secs_of "$T/p.err" "$cut")
echo "     | link down: $p in $s s: $e"
check_eq "link down: timeout" timeout "$p"
check_match "link down: probe_error says so" "timed out after $to s" "$e"
check "link down: not before the deadline ($s s >= $((to - 1)) s)" \
    le "$((to - 1))" "$s"
check "link down: not past the deadline + 5 s (margin for a loaded machine)" \
    le "$s" $((to + 5))
others=$(grep -vx -e "$dead" -e "$cut" "$T/macs.txt")
check_eq "every other Mac ok" "$(echo "$others" | sort)" \
    "$(for ip in $others; do [ "$(field "$T/p.ndjson" "$ip" probe)" = ok ] &&
        echo "$ip"; done | sort)"
check_eq "one record per Mac" "$(wc -l < "$T/macs.txt")" "$(wc -l < "$T/p.ndjson")"
check "the records are whole JSON lines" whole_json "$T/p.ndjson"

finish
