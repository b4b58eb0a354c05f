# test_diskfull.sh - macstore add on a full disk: the store on a small
# tmpfs (in a mount namespace of this test's own, gone with it), filled
# up, then a scan added. It must fail with exit 3 and one line saying "No
# space left on device", leave every earlier snapshot, the merged view and
# the history as they were, and leave no temporary file behind. Then the
# disk is filled to leave 0 to 60 pages free, so that the write fails in
# the snapshot, in the history or not at all: whatever the point, nothing
# already stored is lost and the next add, with room, works. Last, the
# inodes run out instead of the blocks.
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need_root
need jq unshare mount
private_mounts "$@"

fs=$T/fs
mount_tmpfs "$fs" size=4m,mode=755
check_eq "the store is on a tmpfs of our own" tmpfs \
    "$(stat -f -c %T "$fs")"
kb=$(mem_bound 20000)

# fill DIR PAGES: fill the file system of DIR until PAGES pages (4 KiB)
# are left.
fill() {
	rm -f "$1/fill"
	avail=$(($(stat -f -c '%a * %S' "$1")))
	want=$((avail - $2 * 4096))
	[ "$want" -gt 0 ] || return 0
	head -c "$want" /dev/zero > "$1/fill" 2> /dev/null || true
}

# A store with three scans of 50 Macs.
pristine=$T/pristine
for d in 1 2 3; do
	mkrecs 50 | macstore -q -d "$pristine" -T "2026-11-2${d}T10:00:00Z" add
done
check_eq "pristine store: three snapshots" 3 \
    "$(macstore -d "$pristine" list | wc -l)"
# The scan to add: 300 Macs, 250 of them new (a snapshot of about 150 KB).
mkrecs 300 > "$T/scan.ndjson"
# What a successful add gives, on a disk with room.
cp -a "$pristine" "$T/ref"
macstore -q -d "$T/ref" -T 2026-11-24T10:00:00Z add < "$T/scan.ndjson"
macstore -d "$T/ref" latest > "$T/ref.latest"
macstore -d "$pristine" latest > "$T/before.latest"
check_eq "reference: 300 machines after the add" 300 \
    "$(wc -l < "$T/ref.latest")"

# --- 1. the disk is full: add fails, nothing changes ------------------------
cp -a "$pristine" "$fs/store"
store_state "$fs/store" "$T/state.before"
fill "$fs" 0
check_eq "the disk is full" 0 "$(stat -f -c %a "$fs")"
run full macstore -d "$fs/store" -T 2026-11-24T10:00:00Z add < "$T/scan.ndjson"
no_crash_run "full disk: add" full
check_eq "full disk: add exits 3 (store error)" 3 "$(rc_of full)"
one_line "full disk: one clear line" \
    '^macstore: .*: No space left on device$' "$T/full.err"
rss_below "full disk: add" "$kb" full
store_state "$fs/store" "$T/state.after"
check "full disk: list, latest, snapshots and history unchanged" \
    cmp "$T/state.before" "$T/state.after"
no_tmp "full disk: no temporary file left" "$fs/store"
run full_latest macstore -d "$fs/store" latest
check_eq "full disk: latest still works (exit 0)" 0 "$(rc_of full_latest)"
check "full disk: latest is the view before" \
    cmp "$T/before.latest" "$T/full_latest.out"
run full_list macstore -d "$fs/store" list
check_eq "full disk: list still works (3 snapshots)" "0 3" \
    "$(rc_of full_list) $(wc -l < "$T/full_list.out")"
# Room again: the same add works.
rm -f "$fs/fill"
run room macstore -q -d "$fs/store" -T 2026-11-24T10:00:00Z add \
    < "$T/scan.ndjson"
check_eq "room again: add exits 0" 0 "$(rc_of room)"
check "room again: latest is the reference view" \
    cmp "$T/ref.latest" <(macstore -d "$fs/store" latest)

# --- 2. every point of failure: 0 to 60 pages left -------------------------
okn=0 failn=0 bad="" hpart="" hexit="" hmsg=""
for pages in 0 1 2 4 8 16 24 26 28 29 30 31 32 33 34 35 36 38 40 48 60; do
	rm -rf "$fs/store" "$fs/fill"
	cp -a "$pristine" "$fs/store"
	macstore -d "$fs/store" latest | jq -r .id | sed -n '1,3p;$p' > "$T/p.ids"
	store_state "$fs/store" "$T/p.before" "$T/p.ids"
	fill "$fs" "$pages"
	run p macstore -d "$fs/store" -T 2026-11-24T10:00:00Z add \
	    < "$T/scan.ndjson"
	rc=$(rc_of p)
	[ "$rc" -lt 128 ] && ! sanitizer_report "$T/p.err" ||
	    bad="$bad $pages:crash($rc)"
	[ "$(rss_of p)" -lt "$kb" ] || bad="$bad $pages:rss($(rss_of p))"
	macstore -d "$fs/store" latest > "$T/p.latest" 2> "$T/p.lerr" ||
	    bad="$bad $pages:latest-fails"
	[ -s "$T/p.lerr" ] && bad="$bad $pages:latest-warns($(head -n 1 "$T/p.lerr"))"
	# The history holds the scan for all 300 machines, or for none.
	h=$(grep -c '"t":"2026-11-24T10:00:00Z"' "$fs/store/history.ndjson" || true)
	[ "$h" = 0 ] || [ "$h" = 300 ] || hpart="$hpart $pages:$h/300"
	if [ "$rc" = 0 ]; then
		okn=$((okn + 1))
		cmp -s "$T/p.latest" "$T/ref.latest" || bad="$bad $pages:ok-but-view-differs"
		[ "$h" = 300 ] || { hexit="$hexit $pages"; hmsg=$(head -n 1 "$T/p.err"); }
	else
		failn=$((failn + 1))
		[ "$rc" = 3 ] || bad="$bad $pages:exit-$rc"
		[ "$(wc -l < "$T/p.err")" = 1 ] &&
		    grep -q '^macstore: .*: No space left on device$' "$T/p.err" ||
		    bad="$bad $pages:message($(head -n 3 "$T/p.err" | tr '\n' '|'))"
		# The view is the old one, or the new one when only the
		# history could not be written.
		cmp -s "$T/p.latest" "$T/before.latest" ||
		    cmp -s "$T/p.latest" "$T/ref.latest" ||
		    bad="$bad $pages:view-neither-old-nor-new"
	fi
	# Nothing stored lost: the old snapshots, byte for byte, and every
	# history entry read before.
	(cd "$fs/store/snapshots" && sha256sum -c --quiet) \
	    < <(sed -n '/^# snapshots/,/^# history/p' "$T/p.before" | grep machines-) \
	    > /dev/null 2>&1 || bad="$bad $pages:snapshot-changed"
	sed -n '/^# history/,$p' "$T/p.before" | grep '^{' | sort > "$T/p.h0"
	store_state "$fs/store" "$T/p.after" "$T/p.ids"
	sed -n '/^# history/,$p' "$T/p.after" | grep '^{' | sort > "$T/p.h1"
	[ -z "$(comm -23 "$T/p.h0" "$T/p.h1")" ] || bad="$bad $pages:history-lost"
	[ -z "$(find "$fs/store" -name '.tmp-*')" ] || bad="$bad $pages:tmp-left"
	# Then room: the next add works and the view is complete.
	rm -f "$fs/fill"
	mkrecs 300 N | macstore -q -d "$fs/store" -T 2026-11-25T10:00:00Z add \
	    2> "$T/p.next" || bad="$bad $pages:next-add-fails($(head -n 1 "$T/p.next"))"
	n=$(macstore -d "$fs/store" latest | wc -l)
	[ "$n" -ge 350 ] || bad="$bad $pages:next-view-$n"
	for f in "$fs/store"/snapshots/machines-*.json; do
		jq -e 'type == "array"' "$f" > /dev/null 2>&1 ||
		    bad="$bad $pages:bad-snapshot-${f##*/}"
	done
done
echo "     | points: $okn succeeded, $failn failed cleanly"
check_eq "every fill level: no crash, exit 0 or 3 with one 'No space' line, nothing lost" \
    "" "$bad"
check_eq "every fill level: the history gets all 300 entries of the scan or none" \
    "" "$hpart"
check_eq "every fill level: an add that could not write the history exits 3, not 0" \
    "" "$hexit${hmsg:+ pages free, exit 0 with: $hmsg}"
check "some fill levels fail and some succeed" test "$okn" -gt 0 -a "$failn" -gt 0

# --- 3. no inode left -----------------------------------------------------
ifs=$T/ifs
mount_tmpfs "$ifs" size=4m,nr_inodes=64,mode=755
cp -a "$pristine" "$ifs/store"
store_state "$ifs/store" "$T/i.before"
i=0
while touch "$ifs/f$i" 2> /dev/null; do i=$((i + 1)); done
check_eq "no inode left" 0 "$(stat -f -c %d "$ifs")"
run ino macstore -d "$ifs/store" -T 2026-11-24T10:00:00Z add < "$T/scan.ndjson"
no_crash_run "no inode: add" ino
check_eq "no inode: add exits 3" 3 "$(rc_of ino)"
one_line "no inode: one clear line" '^macstore: .*: No space left on device$' \
    "$T/ino.err"
store_state "$ifs/store" "$T/i.after"
check "no inode: list, latest, snapshots and history unchanged" \
    cmp "$T/i.before" "$T/i.after"
no_tmp "no inode: no temporary file left" "$ifs/store"

finish
