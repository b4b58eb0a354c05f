# test_probe_flood.sh - Macs that print 100 MB (lab MACLAB_NAME=fail-pf):
# one fake command on each of three Macs is made to print 100 MiB, as one
# line without end (sw_vers), as text lines (system_profiler) and as
# random bytes (ioreg); the lab's garbage host (5 MB) is probed too.
# macprobe must stop reading at its 1 MiB cap: those records say "error"
# with "output larger than 1 MiB", within the deadline, the other Macs are
# ok, and macprobe's peak RSS stays under 60 MB (x4 with AddressSanitizer).
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need_root
need jq
lab_up pf
to=20
kb=$(mem_bound 60000)
ips_of mac > "$T/macs.txt"
ips_of garbage >> "$T/macs.txt"
line=$(sed -n 1p "$T/macs.txt")
lines=$(sed -n 2p "$T/macs.txt")
binary=$(sed -n 3p "$T/macs.txt")
garbage=$(ips_of garbage)
big=104857600
inject "$line" "case \${0##*/} in sw_vers) head -c $big /dev/zero | tr '\\0' A; exit 0 ;; esac"
inject "$lines" "case \${0##*/} in system_profiler) yes '      Model Name: MacBook Pro' | head -c $big; exit 0 ;; esac"
inject "$binary" "case \${0##*/} in ioreg) head -c $big /dev/urandom; exit 0 ;; esac"
check_eq "the injected sw_vers prints 100 MiB of A, no newline" "$big 0 AAAA" \
    "$("$lab" hostexec "$line" sw_vers | wc -c) $("$lab" hostexec "$line" sw_vers | wc -l) $("$lab" hostexec "$line" sw_vers | head -c 4)"

t0=$(now_ms)
set +e
env SSH_KEY="$key" "$lab" exec /usr/bin/time -f %M -o "$T/p.time" \
    "$O/bin/macprobe" -v -F none -d "$T/store" -t "$to" \
    < "$T/macs.txt" > "$T/p.ndjson" 2> "$T/p.err"
rc=$?
set -e
wall=$(($(now_ms) - t0))
no_crash "macprobe" "$rc" "$T/p.err"
check_eq "macprobe: exit 1 (the flooding hosts failed)" 1 "$rc"
rss_below "macprobe with three 100 MiB outputs" "$kb" "$(tail -n 1 "$T/p.time")"
check "done within the deadline ($wall ms <= $to s)" test "$wall" -le $((to * 1000))
for v in line lines binary; do
	eval "ip=\$$v"
	r=$(jq -c --arg ip "$ip" 'select(.ip == $ip) | [.probe, .probe_error]' "$T/p.ndjson")
	s=$(secs_of "$T/p.err" "$ip")
	echo "     | 100 MiB as $v ($ip): $r in $s s"
	check_eq "100 MiB as $v: error, output larger than 1 MiB" \
	    '["error","output larger than 1 MiB"]' "$r"
	check "100 MiB as $v: cut early ($s s < 10 s)" le "$s" 10
	check_eq "100 MiB as $v: no probe field from the flood" "" \
	    "$(jq -c --arg ip "$ip" 'select(.ip == $ip and (has("os_version") or has("model_name")))' "$T/p.ndjson")"
done
check_match "the garbage host (5 MB): ok, or error with the cap message" \
    '^(ok|error output larger than 1 MiB)$' \
    "$(jq -r --arg ip "$garbage" 'select(.ip == $ip) | [.probe, .probe_error // empty] | join(" ")' "$T/p.ndjson")"
others=$(grep -vx -e "$line" -e "$lines" -e "$binary" -e "$garbage" "$T/macs.txt")
check_eq "every other Mac ok" "$(echo "$others" | sort)" \
    "$(for ip in $others; do [ "$(field "$T/p.ndjson" "$ip" probe)" = ok ] &&
        echo "$ip"; done | sort)"
check "the records are whole JSON lines, each under 64 KiB" sh -c \
    '[ "$(jq -c . "$1" | wc -l)" = "$(wc -l < "$1")" ] &&
     [ "$(awk "length > 65536" "$1" | wc -l)" = 0 ]' sh "$T/p.ndjson"

finish
