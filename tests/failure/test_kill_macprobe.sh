# test_kill_macprobe.sh - SIGKILL of macprobe while it probes the lab
# (MACLAB_NAME=fail-kp, every address of the default set, a fresh store
# each time, so that it is pinning the 19 host keys when it dies). After
# each kill: the store's known_hosts holds only whole lines
# ("IP ssh-ed25519 KEY"), no host twice; every record written so far is a
# whole JSON line. Then one undisturbed run on the last store: exit 1 (the
# lab's broken hosts), every Mac ok (no key taken for a changed one), one
# line per SSH host, and its peak RSS bounded.
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need_root
need jq
lab_up kp
kb=$(mem_bound 60000)
nkeys=$(awk -F'\t' '$4 ~ /^(mac|stealth|hostkey|badpass|garbage|linux)$/' \
    "$T/hosts" | wc -l)
check_eq "the lab has 19 SSH hosts" 19 "$nkeys"
khline='^198\.18\.[0-9.]+ ssh-ed25519 AAAA[A-Za-z0-9+/=]+$'

# killer PID FILE N: SIGKILL to PID as soon as FILE has N lines (N keys
# pinned, the others being written), or after 10 s.
killer() {
	"$PY" - "$@" <<'EOF2'
import os, signal, sys, time
pid, f, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
end = time.time() + 10
while time.time() < end:
    try:
        with open(f, "rb") as fh:
            if fh.read().count(b"\n") >= n:
                break
    except OSError:
        pass
os.kill(pid, signal.SIGKILL)
EOF2
}

bad="" partial=0 full=0 maxhwm=0
for when in lines:1 lines:3 lines:6 lines:10 lines:14 lines:17 ms:30 ms:150 \
    ms:400 ms:700 ms:1200 ms:2500; do
	store=$T/store.$when
	# env, maclab and ip netns exec all exec: $! is macprobe's pid.
	env SSH_KEY="$key" "$lab" exec "$O/bin/macprobe" -F none -d "$store" \
	    -t 8 -P 32 < "$T/all.txt" > "$T/k.ndjson" 2> "$T/k.err" &
	pid=$!
	case $when in
	lines:*) killer "$pid" "$store/known_hosts" "${when#lines:}" 2> /dev/null ;;
	ms:*)	ms=${when#ms:}
		sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		h=$(vmhwm "$pid")
		[ -n "$h" ] && [ "$h" -gt "$maxhwm" ] && maxhwm=$h
		kill -KILL "$pid" 2> /dev/null || true ;;
	esac
	set +e; wait "$pid" 2> /dev/null; rc=$?; set -e
	[ "$rc" = 137 ] || bad="$bad $when:exit-$rc"
	sanitizer_report "$T/k.err" && bad="$bad $when:sanitizer"
	kh=$store/known_hosts
	n=0
	if [ -f "$kh" ]; then
		n=$(wc -l < "$kh")
		[ "$(grep -cE "$khline" "$kh")" = "$n" ] || bad="$bad $when:broken-line"
		[ ! -s "$kh" ] || [ "$(tail -c 1 "$kh" | od -An -tx1 | tr -d ' ')" = 0a ] ||
		    bad="$bad $when:last-line-cut"
		[ -z "$(cut -d' ' -f1 "$kh" | sort | uniq -d)" ] || bad="$bad $when:duplicate"
	fi
	if [ "$n" -eq "$nkeys" ]; then full=$((full + 1)); elif [ "$n" -gt 0 ]; then partial=$((partial + 1)); fi
	whole_json "$T/k.ndjson" || bad="$bad $when:record-cut"
	echo "     | killed at $when: $n of $nkeys keys pinned, $(wc -l < "$T/k.ndjson") records out"
done
check_eq "every kill: known_hosts whole lines, no duplicate; records whole" "" "$bad"
check "kills fell while the keys were being pinned ($partial partial)" \
    test "$partial" -gt 0
rss_below "macprobe before the kill (max)" "$kb" "$maxhwm"

# The last store, undisturbed now.
store=$T/store.ms:2500
cp "$store/known_hosts" "$T/kh.before" 2> /dev/null || : > "$T/kh.before"
set +e
env SSH_KEY="$key" "$lab" exec /usr/bin/time -f %M -o "$T/final.time" \
    "$O/bin/macprobe" -F none -d "$store" -t 60 < "$T/all.txt" \
    > "$T/final.ndjson" 2> "$T/final.err"
rc=$?
set -e
no_crash "undisturbed run after the kills" "$rc" "$T/final.err"
check_eq "undisturbed run: exit 1 (the lab's broken hosts)" 1 "$rc"
check_match "undisturbed run: one summary line on stderr" \
    '^macprobe: [0-9]+ of 24 hosts failed$' "$(cat "$T/final.err")"
rss_below "undisturbed run" "$kb" "$(tail -n 1 "$T/final.time")"
check_eq "undisturbed run: no hostkey_mismatch" "" \
    "$(jq -r 'select(.probe == "hostkey_mismatch") | .ip' "$T/final.ndjson")"
check_eq "undisturbed run: every Mac ok" \
    "$(ips_of mac; ips_of stealth; ips_of hostkey)" \
    "$(for ip in $(ips_of mac; ips_of stealth; ips_of hostkey); do
        [ "$(field "$T/final.ndjson" "$ip" probe)" = ok ] && echo "$ip"; done)"
check_eq "known_hosts: one whole line per SSH host" "$nkeys" \
    "$(grep -cE "$khline" "$store/known_hosts")"
check_eq "known_hosts: no duplicate" "" \
    "$(cut -d' ' -f1 "$store/known_hosts" | sort | uniq -d)"
check "known_hosts: the lines pinned before the kill are kept" \
    test -z "$(comm -23 <(sort "$T/kh.before") <(sort "$store/known_hosts"))"

finish
