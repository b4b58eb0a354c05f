#!/bin/sh
# test_rules_agree.sh - the dashboard, /metrics, the alerts and
# `macstore latest -t` say the same of a machine: each record of the
# boundary table of lib/rules.h (tests/unit/rules/boundaries.json: a disk
# at exactly 15 GB and 30 GB, a battery at 30 %, 100 % on AC power,
# unknown fields, each posture rule and its setting) goes through the
# programs themselves, at the table's "now" (faketime), and each must name
# exactly the rules the table says fire.
#
#   macstore latest -t   the RISKS column, from a store holding the record
#   machttp /metrics     macscan_risk{rule=...} (CGI mode, the same store)
#   machttp /            the rules of the dashboard's row (data-rules)
#   macalert             the webhook payload of a dry run (-n) from the
#                        record on standard input: the rules that are
#                        news, so all but disk_warning, battery_low and
#                        battery_full_plugged, which the email lists and
#                        never announces (macalert(1))
#
# What a store cannot hold is left to the programs that read records on
# standard input: identity_conflict is the store's to set (test_machttp.sh
# and check_store cover it), and an offline machine always has a
# last_seen there. macalert is asked only about online machines, whose
# news is their rules (an offline one is news only as "offline").
. "$(dirname "$0")/../setup.sh"

for c in faketime jq; do
	command -v "$c" > /dev/null ||
	    { fail "$c not installed (tests/integration/DEPS)"; finish; exit 1; }
done
table=$top/tests/unit/rules/boundaries.json
now=$(jq -r .now "$table")
export MACSCAN_CONF="$T/none.conf" TZ=UTC
for v in $(macconf list 2>/dev/null | sed -n 's/^\([A-Z_]*\)[ =].*/\1/p'); do
	unset "$v"
done
unset MACSCAN_DIR GATEWAY_INTERFACE COLUMNS 2>/dev/null || true
ft=$(echo "$now" | sed 's/T/ /; s/Z$//')	# faketime -f: the clock stays
# faketime is preloaded ahead of a sanitizer build's runtime (the
# ASan/UBSan run of .ci/run), which ASan then refuses unless told.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
# One line of text per rule list: "a b c", sorted as the table lists them.
norm() { tr ', ' '\n\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'; }

n=$(jq '.cases | length' "$table")
check "the table has its cases" test "$n" -gt 40
i=0 store_n=0 alert_n=0 skipped="" refused=""
while [ "$i" -lt "$n" ]; do
	jq -c ".cases[$i]" "$table" > "$T/case"
	i=$((i + 1))
	name=$(jq -r .name "$T/case")
	if [ "$(jq -r '.record | type' "$T/case")" != object ]; then
		skipped="$skipped$i "
		continue
	fi
	want=$(jq -r '.firing | join(" ")' "$T/case" | norm)
	# The case's settings in the environment of every program.
	envs=$(jq -r '(.settings // {}) | to_entries | map("\(.key)=\(.value)") | join(" ")' "$T/case")
	id=CASE$i
	jq -c --arg id "$id" '.record | del(.id) | . + {serial: $id}' \
	    "$T/case" > "$T/rec"
	online=$(jq -r 'if has("online") then .online else true end' "$T/rec")
	seen=$(jq -r '.last_seen // empty' "$T/rec")

	# ---- macalert, from the record itself (online machines).
	if [ "$online" = true ]; then
		alert_n=$((alert_n + 1))
		mkdir -p "$T/a$i"
		env $envs MACSCAN_LANG=en \
		    sh -c 'exec "$@"' - faketime -f "$ft" \
		    macalert -n -C webhook -d "$T/a$i" - < "$T/rec" \
		    > "$T/alert.json" 2> "$T/alert.err" || :
		got=$(jq -r '[.events[]? | select(.status == "firing") | .rule] | join(" ")' \
		    "$T/alert.json" 2>/dev/null | norm)
		wnews=$(echo "$want" | tr ' ' '\n' |
		    grep -v -x -e disk_warning -e battery_low -e battery_full_plugged |
		    norm)
		check_eq "macalert: $name" "$wnews" "$got"
	fi

	# ---- the store's programs.
	if jq -e 'has("identity_conflict")' "$T/rec" > /dev/null ||
	    { [ "$online" = false ] && [ -z "$seen" ]; }; then
		continue
	fi
	store_n=$((store_n + 1))
	S=$T/s$i
	jq -c 'del(.online, .last_seen, .first_seen)' "$T/rec" > "$T/add"
	# A record of the wrong types is refused by the store, alone and
	# named (test_macstore.sh): no program reads it from there.
	if ! macstore -d "$S" -T "${seen:-$now}" add < "$T/add" 2> "$T/add.err"
	then
		refused="$refused$i "
		check_match "macstore add refuses $name, naming the field" \
		    'field "[a-z_]*" must be' "$(cat "$T/add.err")"
		continue
	fi
	if [ "$online" = false ]; then
		echo '{"serial":"ZZDUMMY"}' |
		    macstore -d "$S" -T "$now" add 2>> "$T/store.err"
	fi
	got=$(env $envs COLUMNS=400 sh -c 'exec "$@"' - \
	    faketime -f "$ft" \
	    macstore -d "$S" latest -t | awk -v id="$id" '
	    NR > 1 && $0 !~ /^ZZDUMMY/ {
		    if ($NF ~ /^[a-z_,]+$/ && $NF != "online") print $NF
	    }' | norm)
	check_eq "macstore latest -t: $name" "$want" "$got"
	cgi() {
		env $envs MACSCAN_DIR="$S" GATEWAY_INTERFACE=CGI/1.1 \
		    REQUEST_METHOD=GET PATH_INFO="$1" SERVER_NAME=127.0.0.1 \
		    SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 SCRIPT_NAME=/m \
		    sh -c 'exec "$@"' - \
		    faketime -f "$ft" machttp
	}
	got=$(cgi /metrics | sed -n "s/^macscan_risk{id=\"$id\",.*,rule=\"\\([a-z_]*\\)\",.*} 1\$/\\1/p" | norm)
	check_eq "machttp /metrics: $name" "$want" "$got"
	# The dashboard's row lists its rules (data-rules).
	got=$(cgi / | grep -F "data-id=\"$id\"" |
	    sed -n 's/.* data-id="[^"]*" data-rules="\([a-z_ ]*\)".*/\1/p' | norm)
	check_eq "machttp dashboard row: $name" "$want" "$got"
done
check "macalert saw most of the table" test "$alert_n" -gt 40
check "the store's programs saw most of the table" test "$store_n" -gt 40
check_eq "cases that are not records: only those" \
    "$(jq -r '[.cases | to_entries[] | select(.value.record | type != "object") | .key + 1] | map(tostring) | join(" ")' "$table")" \
    "$(echo "$skipped" | sed 's/ $//')"
check_eq "no store complained" "" "$(cat "$T/store.err" 2>/dev/null)"
check_eq "the store refused only records of the wrong types" 4 \
    "$(echo $refused | wc -w)"

finish
