#!/bin/bash
# macnotify in the lab: the message reaches osascript byte for byte, run
# as the console user through launchctl asuser; hostile messages run
# nothing; Macs with nobody at the screen are skipped; an unreachable Mac
# fails alone; the French default arrives in UTF-8.
. "$(dirname "$0")/../setup.sh"
need_root
export MACLAB_NAME=notify$$
lab=$top/tests/lab/maclab
down() { "$lab" down >/dev/null 2>&1; }
at_exit down
"$lab" up > "$T/up.log" 2>&1 || { cat "$T/up.log"; fail "maclab up"; finish; }
eval "$("$lab" env)"
unset MACSCAN_LANG MACSCAN_CONF || true
export MACSCAN_CONF=$T/none.conf MACSCAN_DIR=$T/store
"$lab" hosts > "$T/hosts"
"$lab" expect > "$T/expect"
inlab() { "$lab" exec env PATH="$PATH" MACSCAN_CONF="$MACSCAN_CONF" \
    MACSCAN_DIR="$MACSCAN_DIR" SSH_USERNAME="$SSH_USERNAME" \
    SSH_KEY="$SSH_KEY" ${MACSCAN_LANG:+MACSCAN_LANG=$MACSCAN_LANG} "$@"; }

# The working Macs, with and without someone at the screen.
jq -r 'select(.console_user != null) | .ip + "\t" + .console_user' \
    "$T/expect" > "$T/users"
jq -r 'select(.console_user == null) | .ip' "$T/expect" > "$T/nobody"
check "some Macs have a console user" test -s "$T/users"
check "some Macs have nobody at the screen" test -s "$T/nobody"
ip_of() { awk -v k="$1" '$4 == k { print $1; exit }' "$T/hosts"; }
nossh=$(ip_of nossh) badpass=$(ip_of badpass) empty=$(awk '$4 == "" || $4 == "empty" { print $1; exit }' "$T/hosts")

# Count the osascript calls a host logged so far.
calls() { "$lab" log "$1" | jq -s '[.[] | select(.prog == "osascript")] | length'; }

msg=$(printf '%s\n%s' "Rangez \"tout\" l'écran \\ \$(touch /tmp/pwned-$$) \`id\` ; rm -rf / #" 'ligne 2 — ünïcødé ✓')
printf '%s' "$msg" > "$T/msg"
{ cut -f1 "$T/users"; cat "$T/nobody"; echo "$nossh"; echo "$empty"; } > "$T/targets"
set +e
inlab macnotify -P 8 -t 8 -w 60 -T 'Titre "x"' -m "$msg" < "$T/targets" > "$T/out" 2> "$T/err"
rc=$?
set -e
check_eq "exit 0: every reachable Mac showed it or was skipped" 0 "$rc"
check_eq "one result line per host" "$(wc -l < "$T/targets")" "$(wc -l < "$T/out")"
while IFS=$'\t' read -r ip user; do
	line=$(awk -F'\t' -v ip="$ip" '$1 == ip' "$T/out")
	check_eq "$ip: shown to $user" "$ip	$user	shown	-" "$line"
	"$lab" log "$ip" | jq -c 'select(.prog == "osascript")' | tail -n 1 > "$T/call"
	check_eq "$ip: osascript ran as the console user" "$user" "$(jq -r .user < "$T/call")"
	check_eq "$ip: osascript ran JavaScript" '["-l","JavaScript","-e"]' \
	    "$(jq -c '.argv[0:3]' < "$T/call")"
	jq -j '.stdin | fromjson | .message' < "$T/call" > "$T/got"
	check "$ip: the message arrived byte for byte" cmp "$T/msg" "$T/got"
	check_eq "$ip: the title too" 'Titre "x"' "$(jq -r '.stdin | fromjson | .title' < "$T/call")"
	check_eq "$ip: no message in argv" 0 \
	    "$(jq '[.argv[] | select(contains("Rangez"))] | length' < "$T/call")"
	uid=$("$lab" log "$ip" | jq -r 'select(.prog == "launchctl") | .argv[1]' | tail -n 1)
	check_eq "$ip: launchctl asuser with the console uid" \
	    "asuser $(jq -r .uid < "$T/call")" \
	    "$("$lab" log "$ip" | jq -r 'select(.prog == "launchctl") | .argv[0:2] | join(" ")' | tail -n 1)"
	check_match "$ip: then sudo -u the console user" "\"-u\",\"$user\"" \
	    "$("$lab" log "$ip" | jq -c 'select(.prog == "sudo" and (.argv | index("-u"))) | .argv' | tail -n 1)"
	: "$uid"
done < "$T/users"
while read -r ip; do
	check_match "$ip: nobody at the screen is skipped" \
	    "^$ip	-	skipped	(nobody is logged in|only the login window)" \
	    "$(awk -F'\t' -v ip="$ip" '$1 == ip' "$T/out")"
	check_eq "$ip: no dialog where nobody is" 0 "$(calls "$ip")"
done < "$T/nobody"
check_match "the Mac without SSH fails alone" "^$nossh	-	unreachable	" "$(cat "$T/out")"
check_match "the empty address fails alone" "^$empty	-	unreachable	" "$(cat "$T/out")"
check "nothing in the message ran" "$lab" exec test ! -e /tmp/pwned-$$
for ip in $(cut -f1 "$T/users"); do
	check "nothing ran on $ip" "$lab" hostexec "$ip" test ! -e /tmp/pwned-$$
done

# The French default, byte for byte, and English with MACSCAN_LANG=en.
first=$(head -n 1 "$T/users" | cut -f1)
echo "$first" | inlab macnotify -q > "$T/out-fr"
"$lab" log "$first" | jq -c 'select(.prog == "osascript")' | tail -n 1 > "$T/call"
jq -j '.stdin | fromjson | .message' < "$T/call" > "$T/got"
printf '%s' "$(cat "$top/share/notify/message.fr.txt")" > "$T/want"
check "the French reminder arrives byte for byte in UTF-8" cmp "$T/want" "$T/got"
check_eq "with its French title" "$(cat "$top/share/notify/title.fr.txt")" \
    "$(jq -r '.stdin | fromjson | .title' < "$T/call")"
check_match "the reminder says: dry cloth only" "chiffon sec uniquement" "$(cat "$T/got")"
echo "$first" | MACSCAN_LANG=en inlab macnotify -q > /dev/null
"$lab" log "$first" | jq -c 'select(.prog == "osascript")' | tail -n 1 > "$T/call"
check_match "English with MACSCAN_LANG=en" "^Time for Clean Desk" \
    "$(jq -r '.stdin | fromjson | .message' < "$T/call")"

# A failure that is not the network: the wrong password fails, exit 1.
before=$(calls "$first")
set +e
printf '%s\n%s\n' "$first" "$badpass" | inlab macnotify -q > "$T/out2" 2>/dev/null
rc=$?
set -e
check_eq "a Mac refusing the login makes exit 1" 1 "$rc"
check_match "and its line says failed" "^$badpass	-	failed	permission denied" "$(cat "$T/out2")"
check_match "while the other Mac still showed it" "^$first	.*	shown	" "$(cat "$T/out2")"

# -n connects to nothing.
before=$(calls "$first")
check_eq "-n prints what it would do" "$first	-	would-show	the console user at the time of the run" \
    "$(echo "$first" | inlab macnotify -n -q)"
check_eq "-n showed nothing" "$before" "$(calls "$first")"
check_eq "a bad input line: exit 1 and a message" \
    "macnotify: <stdin>:1: not a host name or address: 'bad;host'" \
    "$(echo 'bad;host' | inlab macnotify -q 2>&1 >/dev/null; true)"
finish
