# test_probe_flood.sh - Macs that print 100 MB (lab MACLAB_NAME=fail-pf):
# one fake command on each of three Macs is made to print 100 MiB, as one
# line without end (sw_vers), as text lines (system_profiler) and as
# random bytes (ioreg); the lab's garbage host is probed too. The probe
# caps every command on the Mac (ulimit -f): each flood is stopped at its
# section's cap, the record is "ok" with that one section named in
# probe_incomplete and no field read from it, the garbage host is an
# "error" that says no section was recognisable, the other Macs are ok
# and whole, and macprobe's peak RSS stays under 60 MB (x4 with
# AddressSanitizer). The result depends on no timing: the cap, not a time
# bound, stops the floods, so a slow machine gives the same records.
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need_root
need jq
lab_up pf
to=60
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

set +e
env SSH_KEY="$key" "$lab" exec /usr/bin/time -f %M -o "$T/p.time" \
    "$O/bin/macprobe" -v -F none -d "$T/store" -t "$to" \
    < "$T/macs.txt" > "$T/p.ndjson" 2> "$T/p.err"
rc=$?
set -e
no_crash "macprobe" "$rc" "$T/p.err"
check_eq "macprobe: exit 1 (the garbage host failed)" 1 "$rc"
rss_below "macprobe with three 100 MiB outputs" "$kb" "$(tail -n 1 "$T/p.time")"
# NAME:SECTIONS:FIELD - the flooded ioreg is both the battery's and the
# platform's: both sections are named, and the platform UUID (which only
# ioreg gives) is not read.
for v in line:sw_vers:os_version lines:system_profiler:model_name \
    binary:ioreg,platform:platform_uuid; do
	name=${v%%:*} sec=${v#*:} fld=${sec#*:} sec=${sec%%:*}
	eval "ip=\$$name"
	r=$(jq -c --arg ip "$ip" 'select(.ip == $ip) | [.probe, .probe_error, .probe_incomplete]' "$T/p.ndjson")
	echo "     | 100 MiB as $name ($ip): $r"
	check_eq "100 MiB as $name: ok, $sec named incomplete" \
	    "[\"ok\",null,$(echo "$sec" | jq -Rc 'split(",")')]" "$r"
	check_eq "100 MiB as $name: no $fld read from the flood" "" \
	    "$(jq -c --arg ip "$ip" --arg f "$fld" 'select(.ip == $ip and has($f))' "$T/p.ndjson")"
	check_eq "100 MiB as $name: the other sections read (hostname, filevault)" \
	    "true" "$(jq -r --arg ip "$ip" 'select(.ip == $ip) | has("hostname") and has("filevault")' "$T/p.ndjson")"
done
check_eq "the garbage host: error, no recognisable macOS section" \
    'error|probe output unreadable: no recognisable macOS section: uname cut (exit status 0)' \
    "$(jq -r --arg ip "$garbage" 'select(.ip == $ip) | "\(.probe)|\(.probe_error)"' "$T/p.ndjson")"
others=$(grep -vx -e "$line" -e "$lines" -e "$binary" -e "$garbage" "$T/macs.txt")
check_eq "every other Mac ok and whole" "$(echo "$others" | sort)" \
    "$(for ip in $others; do [ "$(field "$T/p.ndjson" "$ip" probe)" = ok ] &&
        [ -z "$(field "$T/p.ndjson" "$ip" probe_incomplete)" ] && echo "$ip"; done | sort)"
check "the records are whole JSON lines, each under 64 KiB" sh -c \
    '[ "$(jq -c . "$1" | wc -l)" = "$(wc -l < "$1")" ] &&
     [ "$(awk "length > 65536" "$1" | wc -l)" = 0 ]' sh "$T/p.ndjson"

finish
