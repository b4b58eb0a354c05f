# test_kill_macstore.sh - SIGKILL of macstore add in the middle of a large
# scan (20,000 records, about 6 MB): once while it reads its input (half
# of it sent through a FIFO), at 11 instants spread over the whole run
# (11 % to 122 % of the time an undisturbed add took), and 3 times just as
# the new snapshot appears: while it reads, writes the snapshot, appends
# the history. The kills that must fall before and after the snapshot
# (the first and the last three) are placed by what happens, not by the
# clock, so a slow or loaded machine only moves the timed ones. Each
# time the store must stay readable and consistent: every snapshot whole
# (it parses, the new one holds all 20,000 records or is absent), the
# merged view either the old or the new one, no history entry read
# before lost, and the next add works and cleans up what the killed one
# left (temporary files, a history line cut short).
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need jq
kb=$(mem_bound 120000)

pristine=$T/pristine
for d in 1 2; do
	mkrecs 1000 | macstore -q -d "$pristine" -T "2026-11-2${d}T10:00:00Z" add
done
mkrecs 20000 > "$T/big.ndjson"
check "a large scan: 20,000 records, $(($(wc -c < "$T/big.ndjson") / 1000000)) MB" \
    test "$(wc -l < "$T/big.ndjson")" = 20000
macstore -d "$pristine" latest > "$T/old.latest"
macstore -d "$pristine" latest | jq -r .id | sed -n '1,3p;$p' > "$T/ids"
store_state "$pristine" "$T/old.state" "$T/ids"

# The whole add, undisturbed: the reference, its time and memory.
cp -a "$pristine" "$T/ref"
t0=$(now_ms)
run ref macstore -d "$T/ref" -T 2026-11-24T10:00:00Z add < "$T/big.ndjson"
dt=$(($(now_ms) - t0))
no_crash_run "undisturbed add of 20,000 records ($dt ms)" ref
check_eq "undisturbed add: exit 0" 0 "$(rc_of ref)"
rss_below "undisturbed add of 20,000 records" "$kb" ref
macstore -d "$T/ref" latest > "$T/new.latest"
check_eq "undisturbed add: 20,000 machines in the view" 20000 \
    "$(wc -l < "$T/new.latest")"

# killer DIR PID: SIGKILL to PID as soon as the new snapshot is in DIR,
# that is while the history is being appended.
killer() {
	"$PY" - "$1" "$2" <<'EOF2'
import os, signal, sys, time
d, pid = sys.argv[1] + "/snapshots", int(sys.argv[2])
end = time.time() + 300
while time.time() < end:
    if any(n.startswith("machines-20261124T") for n in os.listdir(d)):
        break
os.kill(pid, signal.SIGKILL)
EOF2
}

bad="" seen_old=0 seen_new=0 seen_tmp=0 seen_cut=0
s=$T/s
mkfifo "$T/fifo"
for i in r 1 2 3 4 5 6 7 8 9 10 11 h h h; do
	rm -rf "$s"
	cp -a "$pristine" "$s"
	if [ "$i" = r ]; then
		# While it reads its input: half of it sent, the rest to come
		# (whatever the machine's speed, nothing is written yet).
		macstore -d "$s" -T 2026-11-24T10:00:00Z add < "$T/fifo" \
		    > /dev/null 2> "$T/k.err" &
		pid=$!
		exec 3> "$T/fifo"
		head -n 10000 "$T/big.ndjson" >&3
	else
		macstore -d "$s" -T 2026-11-24T10:00:00Z add < "$T/big.ndjson" \
		    > /dev/null 2> "$T/k.err" &
		pid=$!
	fi
	if [ "$i" = r ]; then
		ms=reading
		kill -KILL "$pid"
		exec 3>&-
	elif [ "$i" = h ]; then
		ms=snapshot+0
		killer "$s" "$pid" 2> /dev/null
	else
		ms=$((dt * i / 9))
		sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		kill -KILL "$pid" 2> /dev/null || true
	fi
	set +e; wait "$pid" 2> /dev/null; rc=$?; set -e
	[ "$rc" = 137 ] || [ "$rc" = 0 ] || bad="$bad $ms:exit-$rc"
	sanitizer_report "$T/k.err" && bad="$bad $ms:sanitizer"
	[ -n "$(find "$s" -name '.tmp-*')" ] && seen_tmp=$((seen_tmp + 1))
	[ -s "$s/history.ndjson" ] && [ "$(tail -c 1 "$s/history.ndjson" | od -An -c | tr -d ' ')" != '\n' ] &&
	    seen_cut=$((seen_cut + 1))
	# What a reader sees now.
	if ! macstore -d "$s" latest > "$T/k.latest" 2> "$T/k.lerr"; then
		bad="$bad $ms:latest-fails($(head -n 1 "$T/k.lerr"))"
	elif cmp -s "$T/k.latest" "$T/old.latest"; then
		seen_old=$((seen_old + 1))
	elif cmp -s "$T/k.latest" "$T/new.latest"; then
		seen_new=$((seen_new + 1))
	else
		bad="$bad $ms:view-neither-old-nor-new($(wc -l < "$T/k.latest"))"
	fi
	macstore -d "$s" list > "$T/k.list" 2>&1 || bad="$bad $ms:list-fails"
	(cd "$s/snapshots" && sha256sum -c --quiet) \
	    < <(sed -n '/^# snapshots/,/^# history/p' "$T/old.state" | grep machines-) \
	    > /dev/null 2>&1 || bad="$bad $ms:old-snapshot-changed"
	for f in "$s"/snapshots/machines-20261124T*.json; do
		[ -f "$f" ] || continue
		n=$(jq length "$f" 2> /dev/null) || { bad="$bad $ms:unparsable-${f##*/}"; continue; }
		[ "$n" = 20000 ] || bad="$bad $ms:new-snapshot-has-$n"
	done
	[ "$(ls "$s/snapshots" | grep -c '^machines-')" -le 3 ] || bad="$bad $ms:extra-snapshot"
	store_state "$s" "$T/k.state" "$T/ids"
	sed -n '/^# history/,$p' "$T/old.state" | grep '^{' | sort > "$T/h0"
	sed -n '/^# history/,$p' "$T/k.state" | grep '^{' | sort > "$T/h1"
	[ -z "$(comm -23 "$T/h0" "$T/h1")" ] || bad="$bad $ms:history-lost"
	# The next writer: works, and cleans up.
	mkrecs 10 Z | macstore -q -d "$s" -T 2026-11-25T10:00:00Z add 2> "$T/k.next" ||
	    bad="$bad $ms:next-add-fails($(head -n 1 "$T/k.next"))"
	[ -z "$(find "$s" -name '.tmp-*')" ] || bad="$bad $ms:tmp-left-after-next-add"
	jq -c . "$s/history.ndjson" > /dev/null 2>&1 || bad="$bad $ms:history-unparsable-after-next-add"
	n=$(macstore -d "$s" latest | wc -l)
	[ "$n" -ge 1010 ] || bad="$bad $ms:next-view-has-$n"
done
echo "     | 15 kills: view old $seen_old, new $seen_new; temporary file left $seen_tmp, history line cut $seen_cut"
check_eq "every kill: store readable, snapshots whole, view old or new, no history lost, next add cleans up" \
    "" "$bad"
check "kills fell both before and after the snapshot was in place" \
    test "$seen_old" -gt 0 -a "$seen_new" -gt 0

finish
