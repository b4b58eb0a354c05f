# test_readonly.sh - a store that cannot be written: first every
# directory 555 and file 444 with macstore run as nobody (setpriv), then a
# read-only bind mount (in a mount namespace of this test's own) that
# even root cannot write. add and prune fail with exit 3 and one line
# naming the cause; the snapshots, the merged view and the history are as
# they were; latest, list and history still work, and machttp still
# serves the read-only store.
. "$(dirname "$0")/../setup.sh"
. "$(dirname "$0")/lib.sh"
need_root
need jq setpriv unshare mount curl
private_mounts "$@"

store=$T/store
for d in 1 2 3; do
	mkrecs 40 | macstore -q -d "$store" -T "2026-11-2${d}T10:00:00Z" add
done
mkrecs 60 > "$T/scan.ndjson"
kb=$(mem_bound 20000)
asnobody="setpriv --reuid=nobody --regid=nogroup --clear-groups"

# --- 1. chmod: directories 555, files 444, as nobody -----------------------
chmod -R a-w "$store"
check_eq "store directories are 555" "555 555" \
    "$(stat -c %a "$store" "$store/snapshots" | tr '\n' ' ' | sed 's/ $//')"
store_state "$store" "$T/s.before"
run add1 $asnobody macstore -d "$store" -T 2026-11-24T10:00:00Z add \
    < "$T/scan.ndjson"
no_crash_run "chmod 555, nobody: add" add1
check_eq "chmod 555, nobody: add exits 3" 3 "$(rc_of add1)"
one_line "chmod 555, nobody: one clear line" \
    "^macstore: .*$store.*: Permission denied$" "$T/add1.err"
rss_below "chmod 555, nobody: add" "$kb" add1
run prune1 $asnobody macstore -d "$store" -k 1 prune
check_eq "chmod 555, nobody: prune exits 3" 3 "$(rc_of prune1)"
one_line "chmod 555, nobody: prune, one clear line" \
    "^macstore: .*: Permission denied$" "$T/prune1.err"
store_state "$store" "$T/s.after"
check "chmod 555: list, latest, snapshots and history unchanged" \
    cmp "$T/s.before" "$T/s.after"
run lat1 $asnobody macstore -d "$store" latest
no_crash_run "chmod 555, nobody: latest" lat1
check_eq "chmod 555, nobody: latest exits 0, quiet" "0:" \
    "$(rc_of lat1):$(err_of lat1)"
check "chmod 555, nobody: latest is the view" \
    cmp "$T/lat1.out" <(sed -n '/^# latest/,/^# snapshots/p' "$T/s.before" |
    sed '1d;$d')
run list1 $asnobody macstore -d "$store" list
check_eq "chmod 555, nobody: list shows the 3 snapshots" "0 3" \
    "$(rc_of list1) $(wc -l < "$T/list1.out")"
run hist1 $asnobody macstore -d "$store" history S000001
check_eq "chmod 555, nobody: history works" "0 3" \
    "$(rc_of hist1) $(wc -l < "$T/hist1.out")"
no_tmp "chmod 555: no temporary file" "$store"
chmod -R u+w,go-w "$store"

# --- 2. a read-only bind mount: root cannot write either -------------------
mount --bind "$store" "$store"
at_exit ro_umount
ro_umount() { umount -l "$store" 2>/dev/null; return 0; }
mount -o remount,bind,ro "$store"
check_match "the store is mounted read-only" '(^|,)ro(,|$)' \
    "$(findmnt -n -o OPTIONS "$store")"
store_state "$store" "$T/r.before"
run add2 macstore -d "$store" -T 2026-11-24T10:00:00Z add < "$T/scan.ndjson"
no_crash_run "read-only mount, root: add" add2
check_eq "read-only mount, root: add exits 3" 3 "$(rc_of add2)"
one_line "read-only mount, root: one clear line" \
    "^macstore: .*$store.*: Read-only file system$" "$T/add2.err"
rss_below "read-only mount, root: add" "$kb" add2
run imp2 macstore -d "$store" import "$here/../fixtures/old/$(ls "$here/../fixtures/old" | grep -m1 '\.json$')"
no_crash_run "read-only mount, root: import" imp2
check_eq "read-only mount, root: import exits 3" 3 "$(rc_of imp2)"
check_match "read-only mount, root: import says why" \
    "Read-only file system" "$(err_of imp2)"
store_state "$store" "$T/r.after"
check "read-only mount: list, latest, snapshots and history unchanged" \
    cmp "$T/r.before" "$T/r.after"
run lat2 macstore -d "$store" latest
check_eq "read-only mount: latest exits 0, quiet" "0:" \
    "$(rc_of lat2):$(err_of lat2)"

# machttp serves the read-only store (as nobody, its default user).
port=$(free_port)
machttp -q -d "$store" -s "$T" -l "127.0.0.1:$port" 2> "$T/httpd.err" &
hpid=$!
stop_httpd() { kill "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null; return 0; }
at_exit stop_httpd
wait_for 60 curl -fsS "http://127.0.0.1:$port/healthz" ||
    { fail "machttp starts"; cat "$T/httpd.err"; finish; }
check_eq "read-only mount: machttp serves /machines, the merged view" \
    "$(jq -cS . "$T/lat2.out")" \
    "$(curl -fsS "http://127.0.0.1:$port/machines" | jq -cS '.[]')"
kill "$hpid"
set +e; wait "$hpid"; hrc=$?; set -e
check_eq "read-only mount: machttp stops with exit 0 on SIGTERM" 0 "$hrc"
no_crash "read-only mount: machttp" "$hrc" "$T/httpd.err"

finish
