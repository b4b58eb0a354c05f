#!/bin/bash
# macnotify in the lab: the message reaches osascript byte for byte, run
# as the console user through launchctl asuser; hostile messages run
# nothing; Macs with nobody at the screen are skipped; an unreachable Mac
# fails alone; the French default arrives in UTF-8. The sudo password it
# sends goes only to a Mac whose host key is pinned and matches (a Mac
# that stores its session's input shows it), and the script on the Mac
# follows no link planted in /tmp. Deadlines are generous (-t 60): they
# are not what is tested, and two loaded cores may be slow.
. "$(dirname "$0")/../setup.sh"
need_root
export MACLAB_NAME=${MACLAB_PREFIX:-}notify
lab=$top/tests/lab/maclab
down() { "$lab" down >/dev/null 2>&1; }
at_exit down
# The default set, a Mac that takes the password only and records every
# password sent to it (pwonly), and one whose key changes on every up and
# that stores its input (capture).
{ cat "$top/tests/lab/sets/default.set"
  echo "198.18.0.40 pwonly-mba13-m2"
  echo "198.18.0.41 capture-mbp14-m2"; } > "$T/lab.set"
"$lab" up "$T/lab.set" > "$T/up.log" 2>&1 || { cat "$T/up.log"; fail "maclab up"; finish; }
eval "$("$lab" env)"
pwfile=$SSH_PASSWORD_FILE
unset SSH_PASSWORD_FILE
unset MACSCAN_LANG MACSCAN_CONF || true
export MACSCAN_CONF=$T/none.conf MACSCAN_DIR=$T/store
"$lab" hosts > "$T/hosts"
"$lab" expect | jq -c 'select(.lab_kind != "pwonly" and
    .lab_profile != "capture-mbp14-m2")' > "$T/expect"
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
inlab macnotify -P 8 -t 60 -w 60 -T 'Titre "x"' -m "$msg" < "$T/targets" > "$T/out" 2> "$T/err"
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

# A host listed twice gets one dialog.
before=$(calls "$first")
printf '%s\n%s\n' "$first" "$first" | inlab macnotify -q -t 60 > "$T/twice" 2>/dev/null || true
check_eq "a host listed twice: shown once, skipped once" \
    "$first	$(awk -F'\t' -v ip="$first" '$1 == ip { print $2 }' "$T/users")	shown	-
$first	-	skipped	listed twice in the input" "$(sort -t '	' -k3,3 "$T/twice")"
check_eq "a host listed twice: one osascript call" $((before + 1)) "$(calls "$first")"

# -n connects to nothing.
before=$(calls "$first")
check_eq "-n prints what it would do" "$first	-	would-show	the console user at the time of the run" \
    "$(echo "$first" | inlab macnotify -n -q)"
check_eq "-n showed nothing" "$before" "$(calls "$first")"
check_eq "a bad input line: exit 1 and a message" \
    "macnotify: <stdin>:1: not a host name or address: 'bad;host'" \
    "$(echo 'bad;host' | inlab macnotify -q 2>&1 >/dev/null; true)"

# The sudo password goes only into a session whose host key was pinned
# before it and matches. pwonly: a new host that takes only the password;
# capture: pinned, then re-keyed (as a Mac replaced by an impostor), its
# sshd storing whatever a session sends (ForceCommand cat).
hostdir() { dirname "$(grep -lx "IP=$1" "$MACLAB_STATE"/hosts/*/host.env | head -n 1)"; }
pwonly=198.18.0.40 capture=198.18.0.41
pwdir=$(hostdir "$pwonly") capdir=$(hostdir "$capture")
capfile=$capdir/home/$SSH_USERNAME/stdin.capture
kh=$MACSCAN_DIR/known_hosts
fp_of() { ssh-keygen -lf "$1/ssh_host_ed25519_key.pub" | cut -d' ' -f2; }
# held FILE: FILE holds the lab password.
held() { [ -f "$1" ] && grep -qF "$(cat "$pwfile")" "$1"; }
not_held() { ! held "$1"; }
withpw() { inlab env SSH_PASSWORD_FILE="$pwfile" "$@"; }
echo "$capture" | inlab macprobe -K -y -q > "$T/enrol1" || true
check_eq "the capture Mac's key is enrolled" \
    "$capture	enrolled	ssh-ed25519 $(fp_of "$capdir")	-" "$(cat "$T/enrol1")"
"$lab" up "$T/lab.set" > "$T/up2.log" 2>&1 || { cat "$T/up2.log"; fail "maclab up (re-key)"; }
check "its key changed" test "$(fp_of "$capdir")" != "$(cut -f3 "$T/enrol1" | cut -d' ' -f2)"
rm -f "$capfile"
set +e
echo "$capture" | withpw macnotify -q -t 60 -o no > "$T/out3" 2>/dev/null
rc=$?
set -e
check_eq "-o no, changed key: exit 1" 1 "$rc"
check_match "-o no, changed key: failed, the secret not sent" \
    "^$capture	-	failed	host key of $capture changed: ssh-ed25519 SHA256:[A-Za-z0-9+/]+ is not the key pinned in $kh; the input holds a secret: not sent$" \
    "$(cat "$T/out3")"
check "-o no, changed key: the Mac got no password" not_held "$capfile"
echo "$capture" | withpw macnotify -q -t 60 > "$T/out4" 2>/dev/null || true
check_match "accept-new, changed key: failed before any login" \
    "^$capture	-	failed	host key of $capture changed: " "$(cat "$T/out4")"
check "accept-new, changed key: the Mac got no password" not_held "$capfile"
set +e
echo "$pwonly" | withpw macnotify -q -t 60 > "$T/out5" 2>/dev/null
rc=$?
set -e
check_eq "a new password-only Mac: failed, its key not pinned" \
    "$pwonly	-	failed	host key $(fp_of "$pwdir") not pinned; run macscan enroll" \
    "$(cat "$T/out5")"
check_eq "a new password-only Mac: exit 1" 1 "$rc"
check "a new password-only Mac: no password reached its PAM stack" \
    test ! -s "$pwdir/authtok.log"
check_eq "a new password-only Mac: sshd saw no password attempt" "" \
    "$(grep -E 'password|keyboard-interactive' "$pwdir/sshd.log" || true)"
check "a new password-only Mac: not pinned" sh -c '! grep -q "^$1 " "$2"' x "$pwonly" "$kh"
# The same Macs once their keys are enrolled (by fingerprint): the
# password goes, which the captures show, so they could have shown a leak.
ssh-keygen -R "$capture" -f "$kh" > /dev/null 2>&1
printf '%s\n%s\n' "$capture" "$pwonly" |
    inlab macprobe -K -q "$(fp_of "$capdir")" "$(fp_of "$pwdir")" > "$T/enrol2" || true
check_eq "both keys enrolled by fingerprint" "enrolled enrolled" \
    "$(cut -f2 "$T/enrol2" | tr '\n' ' ' | sed 's/ $//')"
echo "$capture" | withpw macnotify -q -t 60 > /dev/null 2>&1 || true
check "enrolled: the capture Mac got the sudo password" held "$capfile"
echo "$pwonly" | withpw macnotify -q -t 60 > "$T/out6" 2>/dev/null || true
check_eq "enrolled: the password-only Mac shows the reminder" \
    "$pwonly	lucie	shown	-" "$(cat "$T/out6")"
check "enrolled: its PAM stack got the password" held "$pwdir/authtok.log"

# The script on the Mac writes only in a directory of its own: a link a
# local user planted where the old script wrote ($TMP/macnotify.X.err)
# is not followed. The lab's mktemp plants it (as a racing user would).
mac=$(head -n 1 "$T/users" | cut -f1) macuser=$(head -n 1 "$T/users" | cut -f2)
macdir=$(hostdir "$mac")
victim=$MACLAB_STATE/host/home/$SSH_USERNAME/victim
printf 'precious\n' > "$macdir/home/$SSH_USERNAME/victim"
chown --reference="$macdir/home/$SSH_USERNAME" "$macdir/home/$SSH_USERNAME/victim"
printf '%s\n' "$victim" > "$macdir/mktemp.plant"
: > "$macdir/mktemp.log"
chmod 666 "$macdir/mktemp.log"
echo "$mac" | inlab macnotify -q -t 60 > "$T/out7" 2>/dev/null || true
rm -f "$macdir/mktemp.plant"
check_eq "a planted link: the reminder is still shown" "$mac	$macuser	shown	-" "$(cat "$T/out7")"
check_eq "a planted link: the file it points to is untouched" precious \
    "$(cat "$macdir/home/$SSH_USERNAME/victim")"
made=$(head -n 1 "$macdir/mktemp.log")
check_match "the script made a private directory in TMPDIR" \
    "^$MACLAB_STATE/host/tmp//macnotify\.[A-Za-z0-9]{8}$" "$made"
check "and removed it when done" "$lab" hostexec "$mac" test ! -e "$made"
"$lab" hostexec "$mac" rm -f "$made.err"
finish
