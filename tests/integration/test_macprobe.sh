#!/bin/sh
# tests/integration/test_macprobe.sh - macprobe against the lab: every
# simulated Mac's record must equal what `maclab expect` says; every
# failure variant must give its status within its deadline, without
# delaying the other hosts; host keys are pinned once, a changed key stops
# the session before authentication; key, password and
# keyboard-interactive logins all work; zsh and bash login shells give the
# same record; bad input lines are reported with their numbers. Every
# session starts in the lab's scanner namespace.
. "$(dirname "$0")/../setup.sh"
need_root
for c in jq ssh script; do
	command -v "$c" > /dev/null || { echo "test_macprobe: $c not found" >&2; exit 1; }
done

export MACLAB_NAME=${MACLAB_PREFIX:-}probe
lab=$top/tests/lab/maclab
mp=$O/bin/macprobe
to=30			# the deadline of run 1 (the tarpit), seconds: long
			# enough for 16 simulated Macs on 2 loaded cores
tl=60			# the deadline of the other runs
export MACSCAN_CONF="$T/none.conf"	# no configuration file
unset SSH_KEY SSH_PASSWORD SSH_PASSWORD_FILE SSH_USERNAME SSH_AUTH_SOCK \
    MACSCAN_DIR 2>/dev/null || true

# Checks that need no lab.
set +e
"$mp" -h > /dev/null 2> "$T/usage"; rc=$?
set -e
check_eq "-h: usage, exit 2" 2 "$rc"
check_match "usage names every option" \
    'usage: macprobe \[-hqv\] \[-d dir\] \[-F ssh_config\] \[-i keyfile\]' \
    "$(cat "$T/usage")"
for bad in "-P 0" "-P 1025" "-t 0" "-t 3601" "-p 70000" "-o maybe" "-u" \
    "-x" "extra"; do
	set +e
	# shellcheck disable=SC2086
	"$mp" $bad < /dev/null > "$T/out" 2> "$T/err"; rc=$?
	set -e
	check_eq "usage error $bad: exit 2, no output" "2:" "$rc:$(cat "$T/out")"
done
check_match "-P 0 says why" '^macprobe: -P: parallel sessions is too small: 0' \
    "$("$mp" -P 0 < /dev/null 2>&1 || true)"
set +e
echo 127.0.0.1 | "$mp" -k "$T/no/such/dir/known_hosts" > "$T/out" 2> "$T/err"
rc=$?
set -e
check_eq "unwritable known_hosts: exit 3, no record" "3:" "$rc:$(cat "$T/out")"
check_match "unwritable known_hosts: says which file" \
    "no/such/dir/known_hosts: No such file or directory" "$(cat "$T/err")"
set +e
: | "$mp" -k "$T/empty_kh" > "$T/out" 2> "$T/err"; rc=$?
set -e
check_eq "no input: exit 0, no output" "0::" \
    "$rc:$(cat "$T/out"):$(cat "$T/err")"

# Extra sshds started in a Mac's namespaces: their pid files.
extra_pids=
lab_down() {
	for f in $extra_pids; do
		[ -f "$f" ] && kill "$(cat "$f")" 2> /dev/null
	done
	"$lab" down > /dev/null 2>&1 || true
}
at_exit lab_down
if ! "$lab" up > "$T/up.log" 2>&1; then
	cat "$T/up.log"
	fail "maclab up"
	finish
fi
"$lab" hosts > "$T/hosts"
"$lab" expect > "$T/expect.ndjson"
eval "$("$lab" env)"
key=$SSH_KEY
pwfile=$SSH_PASSWORD_FILE
state=$MACLAB_STATE
unset SSH_KEY SSH_PASSWORD_FILE
export SSH_USERNAME

# The lab's addresses by kind ("" = nobody there).
ips_of() { awk -F'\t' -v k="$1" '$4 == k { print $1 }' "$T/hosts"; }
first_of() { ips_of "$1" | head -n 1; }
cut -f1 "$T/hosts" > "$T/all.txt"
jq -r .ip "$T/expect.ndjson" > "$T/macs.txt"
mac1=$(first_of mac)
mac2=$(ips_of mac | sed -n 2p)
nossh=$(first_of nossh)
tarpit=$(first_of tarpit)
badpass=$(first_of badpass)
linux=$(first_of linux)
garbage=$(first_of garbage)
stealth=$(first_of stealth)
hostkey=$(first_of hostkey)
empty=$(first_of "")
check "the lab has every variant" test -n "$mac1" -a -n "$mac2" \
    -a -n "$nossh" -a -n "$tarpit" -a -n "$badpass" -a -n "$linux" \
    -a -n "$garbage" -a -n "$stealth" -a -n "$hostkey" -a -n "$empty"
check "maclab expect lists the Macs" test "$(wc -l < "$T/macs.txt")" -ge 14

# in_lab CMD...: CMD in the scanner namespace (stdin passed through).
in_lab() { "$lab" exec "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# secs_of ERRFILE IP: the seconds macprobe -v says IP took.
secs_of() {
	sed -n "s/^macprobe: $2: [a-z_]* in \([0-9.]*\) s.*/\1/p" "$1" | head -n 1
}
# le A B: A <= B, for decimal numbers.
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }
# rec FILE IP: the record of IP.
rec() { jq -c --arg ip "$2" 'select(.ip == $ip)' "$1"; }
field() { rec "$1" "$2" | jq -r ".$3 // empty"; }

# cmp_expect FILE: "IP PROFILE ok", or what differs, for every expected Mac.
cmp_expect() {
	jq -rn --slurpfile got "$1" --slurpfile exp "$T/expect.ndjson" \
	    --argjson now "$(date +%s)" '
	def keys_: ["hostname", "computer_name", "serial", "model",
	    "model_name", "chip", "memory_bytes", "os_name", "os_version",
	    "os_build", "arch", "disk_total_bytes", "disk_free_bytes",
	    "disk_available_bytes", "battery_present", "battery_percent",
	    "battery_state", "ac_power", "battery_cycles",
	    "battery_health_percent", "battery_condition", "console_user",
	    "filevault", "filevault_percent", "sip", "ssv", "gatekeeper",
	    "firewall", "updates_pending", "updates_restart",
	    "updates_checked_at", "xprotect_version", "backup",
	    "backup_last_at", "disk_smart", "memory_pressure", "platform_uuid",
	    "hw_macs", "mdm_enrolled", "dep_enrolled", "probe_incomplete"];
	def abs_: if . < 0 then -. else . end;
	$exp[] as $e
	| ([$got[] | select(.ip == $e.ip)] | first) as $r
	| if $r == null then "\($e.ip) \($e.lab_profile) no record"
	  else
	    ([keys_[] as $k
	      | select(($e | has($k)) or ($r | has($k)))
	      | select($e[$k] != $r[$k])
	      | "\($k): expected \($e[$k] | tojson), got \($r[$k] | tojson)"]
	     + (if $r.probe != "ok" then
	          ["probe: \($r.probe): \($r.probe_error)"] else [] end)
	     + (if $e.lab_boot_time != null and
	          ((($now - $e.lab_boot_time) - ($r.uptime_s // -1e9)) | abs_)
	          > 120 then
	          ["uptime_s: expected about \($now - $e.lab_boot_time), got \($r.uptime_s)"]
	        else [] end)) as $d
	    | "\($e.ip) \($e.lab_profile) " +
	      (if ($d | length) == 0 then "ok" else ($d | join("; ")) end)
	  end'
}

# Run 1: every address of the lab, key only, 32 at once, $to s each.
kh=$T/known_hosts
t0=$(now_ms)
set +e
env SSH_KEY="$key" "$lab" exec "$mp" -v -F none -k "$kh" -t "$to" \
    < "$T/all.txt" > "$T/run1.ndjson" 2> "$T/run1.err"
rc=$?
set -e
wall=$(($(now_ms) - t0))
check_eq "run 1: exit 1 (some hosts fail)" 1 "$rc"
check_eq "run 1: one record per input address" \
    "$(sort "$T/all.txt")" "$(jq -r '.ip // .host' "$T/run1.ndjson" | sort)"
check_eq "run 1: every record is valid JSON with probe and scanned_at" \
    "$(wc -l < "$T/all.txt")" \
    "$(jq -c 'select((.probe | type) == "string" and
        (.scanned_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")))' \
        "$T/run1.ndjson" | wc -l)"
# The tarpit costs no more than the deadline: the whole run ends within
# it plus a margin of 10 s for starting sessions and writing records on
# a loaded machine (the tarpit alone would take far longer without -t).
check "run 1: the tarpit did not hold the run past its deadline (wall $wall ms <= $((to + 10)) s)" \
    test "$wall" -le $(((to + 10) * 1000))
check_match "run 1: summary on stderr" "^macprobe: [0-9]+ of 24 hosts failed$" \
    "$(tail -n 1 "$T/run1.err")"
cmp_expect "$T/run1.ndjson" > "$T/cmp1"
while read -r ip prof res; do
	check_eq "run 1: $ip ($prof) equals maclab expect" ok "$res"
done < "$T/cmp1"
n=0
for ip in $(cat "$T/macs.txt"); do
	grep -q "^macprobe: $ip: ok in [0-9.]* s (publickey)$" "$T/run1.err" &&
	    n=$((n + 1))
done
check_eq "run 1: every Mac logged in with its key" "$(wc -l < "$T/macs.txt")" "$n"
# Order, not time: every Mac's record is out before the tarpit's, which
# waits for the deadline (how long the Macs take measures the lab's CPU).
check_eq "run 1: every Mac's record before the tarpit's" "" \
    "$(awk -v t="$tarpit" 'index($0, "\"ip\":\"" t "\"") { seen = 1; next }
        seen && /"probe":"ok"/' "$T/run1.ndjson")"
check_eq "stealth Mac (no ping): ok over ssh" ok "$(field "$T/run1.ndjson" "$stealth" probe)"
check_eq "nossh: refused" refused "$(field "$T/run1.ndjson" "$nossh" probe)"
check_match "nossh: probe_error" "port 22: Connection refused" \
    "$(field "$T/run1.ndjson" "$nossh" probe_error)"
check_eq "tarpit: timeout" timeout "$(field "$T/run1.ndjson" "$tarpit" probe)"
check_match "tarpit: probe_error" "timed out after $to s waiting for the SSH banner" \
    "$(field "$T/run1.ndjson" "$tarpit" probe_error)"
s=$(secs_of "$T/run1.err" "$tarpit")
# The deadline is the point here: not before it, and within it plus a
# 5 s margin that holds on a loaded 2-core machine.
check "tarpit: within the deadline + 5 s ($s s)" le "$s" $((to + 5))
check "tarpit: not before the deadline ($s s)" le "$to" "$s"
check_eq "tarpit: the last record out (completion order)" "$tarpit" \
    "$(tail -n 1 "$T/run1.ndjson" | jq -r .ip)"
check_eq "badpass: auth_failed" auth_failed "$(field "$T/run1.ndjson" "$badpass" probe)"
check_match "badpass: probe_error" "^permission denied \(tried publickey;" \
    "$(field "$T/run1.ndjson" "$badpass" probe_error)"
check_eq "linux: not_macos" not_macos "$(field "$T/run1.ndjson" "$linux" probe)"
check_eq "linux: probe_error" "not macOS: Linux x86_64" \
    "$(field "$T/run1.ndjson" "$linux" probe_error)"
# The garbage host: its uname prints binary noise, cut at its cap on the
# Mac; no section gives anything of macOS, and the record says so.
check_eq "garbage: error, no recognisable macOS section" \
    'error|probe output unreadable: no recognisable macOS section: uname cut (exit status 0)' \
    "$(rec "$T/run1.ndjson" "$garbage" | jq -r '"\(.probe)|\(.probe_error)"')"
check_eq "garbage: no field of a Mac" "" \
    "$(rec "$T/run1.ndjson" "$garbage" | jq -c 'select(has("hostname") or has("os_version") or has("arch"))')"
for ip in $(ips_of ""); do
	check_match "empty $ip: unreachable or timeout" '^(unreachable|timeout)$' \
	    "$(field "$T/run1.ndjson" "$ip" probe)"
	s=$(secs_of "$T/run1.err" "$ip")
	check "empty $ip: within the deadline + 5 s ($s s)" le "$s" $((to + 5))
done
check_eq "run 1: no Mac's record is incomplete" "" \
    "$(jq -c 'select(.probe == "ok" and has("probe_incomplete")) | [.ip, .probe_incomplete]' "$T/run1.ndjson")"
check_eq "failed hosts carry no probe fields" "" \
    "$(jq -c 'select(.probe != "ok" and .probe != "not_macos" and
        (has("hostname") or has("disk_free_bytes")))' "$T/run1.ndjson")"

# Host keys pinned once each, whole lines, by 19 parallel sessions.
nkeys=$(awk -F'\t' '$4 ~ /^(mac|stealth|hostkey|badpass|garbage|linux)$/' \
    "$T/hosts" | wc -l)
check_eq "known_hosts: one line per SSH host" "$nkeys" "$(wc -l < "$kh")"
check_eq "known_hosts: no duplicate host" "" "$(cut -d' ' -f1 "$kh" | sort | uniq -d)"
check_eq "known_hosts: every line whole (host ssh-ed25519 key)" "$nkeys" \
    "$(grep -cE '^198\.18\.[0-9.]+ ssh-ed25519 AAAA[A-Za-z0-9+/=]+$' "$kh")"
cp "$kh" "$T/kh.run1"

# Run 2: the Macs again with the pinned keys: exit 0, no new line.
set +e
env SSH_KEY="$key" "$lab" exec "$mp" -q -F none -k "$kh" -t "$tl" \
    < "$T/macs.txt" > "$T/run2.ndjson" 2> "$T/run2.err"
rc=$?
set -e
check_eq "run 2 (Macs only): exit 0, quiet" "0:" "$rc:$(cat "$T/run2.err")"
check_eq "run 2: all ok" "$(wc -l < "$T/macs.txt")" \
    "$(jq -c 'select(.probe == "ok")' "$T/run2.ndjson" | wc -l)"
check "run 2: known_hosts unchanged" cmp -s "$kh" "$T/kh.run1"

# The configuration file gives the user, key and store (known_hosts in
# the store, created on first use).
printf 'SSH_USERNAME=%s\nSSH_KEY=%s\nMACSCAN_DIR=%s\n' "$SSH_USERNAME" \
    "$key" "$T/store" > "$T/macscan.conf"
set +e
echo "$mac1" | env -u SSH_USERNAME MACSCAN_CONF="$T/macscan.conf" \
    "$lab" exec "$mp" -F none -t "$tl" > "$T/conf.ndjson" 2> "$T/conf.err"
rc=$?
set -e
check_eq "configuration file: exit 0, ok" "0 ok" "$rc $(jq -r .probe "$T/conf.ndjson")"
check_eq "configuration file: the store's known_hosts pins the key" \
    "$mac1 ssh-ed25519" "$(cut -d' ' -f1,2 "$T/store/known_hosts" 2> /dev/null)"
set +e
echo "$mac1" | env SSH_KEY="$key" "$lab" exec "$mp" -F none -d "$T/store2" \
    -t "$tl" > "$T/d.ndjson" 2> /dev/null
set -e
check_eq "-d: ok, known_hosts in that store" "ok 1" \
    "$(jq -r .probe "$T/d.ndjson") $(wc -l < "$T/store2/known_hosts" 2> /dev/null)"

# Run 3: password only (no key anywhere): "password" authentication.
set +e
env SSH_PASSWORD_FILE="$pwfile" HOME="$T" "$lab" exec "$mp" -v -F none \
    -k "$kh" -t "$tl" < "$T/macs.txt" > "$T/run3.ndjson" 2> "$T/run3.err"
rc=$?
set -e
check_eq "run 3 (password only): exit 0" 0 "$rc"
check_eq "run 3: every Mac logged in with the password" \
    "$(wc -l < "$T/macs.txt")" \
    "$(grep -c ': ok in [0-9.]* s (password)$' "$T/run3.err")"
cmp_expect "$T/run3.ndjson" > "$T/cmp3"
check_eq "run 3: every record equals maclab expect" \
    "$(sed 's/ .*//; s/$/ ok/' "$T/macs.txt" | sort)" \
    "$(awk '{ print $1, $3 }' "$T/cmp3" | sort)"
check_eq "run 3: the password is in no record and no message" "" \
    "$(grep -F "$(cat "$pwfile")" "$T/run3.ndjson" "$T/run3.err" || true)"
set +e
echo "$badpass" | env SSH_PASSWORD_FILE="$pwfile" "$lab" exec "$mp" -F none \
    -k "$kh" -t "$tl" > "$T/bad.ndjson" 2> /dev/null
set -e
check_match "badpass with the password: auth_failed" \
    '^auth_failed permission denied \(tried (publickey,)?password,keyboard-interactive;' \
    "$(jq -r '"\(.probe) \(.probe_error)"' "$T/bad.ndjson")"

# extra_sshd NAME PORT PASSWD SED...: a second sshd in the first Mac's
# namespaces, on PORT, its sshd_config edited by the sed expressions, with
# PASSWD bind-mounted on /etc/passwd in a mount namespace of its own (the
# lab's accounts stay as they are).
extra_sshd() {
	name=$1 port=$2 pw=$3
	shift 3
	sed -e "s/^Port 22$/Port $port/" -e "s|^PidFile .*|PidFile $T/$name.pid|" \
	    "$@" "$h1/sshd_config" > "$T/$name.config"
	extra_pids="$extra_pids $T/$name.pid"
	"$lab" hostexec "$mac1" unshare -m --propagation private sh -c \
	    'mount --bind "$1" /etc/passwd && exec /usr/sbin/sshd -f "$2" -E "$3"' \
	    sh "$pw" "$T/$name.config" "$T/$name.log"
	for _ in $(seq 50); do [ -s "$T/$name.pid" ] && break; sleep 0.1; done
	check "extra sshd $name on port $port" test -s "$T/$name.pid"
}
stop_sshd() { kill "$(cat "$T/$1.pid")" 2> /dev/null || true; }
h1=$(dirname "$(grep -lx "IP=$mac1" "$state"/hosts/*/host.env | head -n 1)")
"$lab" hostexec "$mac1" cat /etc/passwd > "$T/passwd.zsh"
sed "s|^\($SSH_USERNAME:.*\):/bin/zsh$|\1:/bin/bash|" "$T/passwd.zsh" \
    > "$T/passwd.bash"
check "the first Mac's user has zsh, and a bash variant" \
    test -n "$(grep "^$SSH_USERNAME:.*:/bin/bash$" "$T/passwd.bash")"

# Keyboard-interactive only, as macOS sshd asks: PasswordAuthentication
# off on port 2222.
extra_sshd kbd 2222 "$T/passwd.zsh" \
    -e 's/^PasswordAuthentication yes$/PasswordAuthentication no/'
set +e
echo "$mac1" | env SSH_PASSWORD_FILE="$pwfile" "$lab" exec "$mp" -v -F none \
    -p 2222 -k "$T/kh2222" -t "$tl" > "$T/kbd.ndjson" 2> "$T/kbd.err"
rc=$?
set -e
check_eq "keyboard-interactive only: exit 0" 0 "$rc"
check_match "keyboard-interactive only: that method" \
    ": ok in [0-9.]* s \(keyboard-interactive\)$" "$(cat "$T/kbd.err")"
check_eq "keyboard-interactive: known_hosts names the port" \
    "[$mac1]:2222" "$(cut -d' ' -f1 "$T/kh2222")"
check_eq "keyboard-interactive: same record as run 1" \
    "$(rec "$T/run1.ndjson" "$mac1" | jq -c 'del(.uptime_s, .scanned_at)')" \
    "$(jq -c 'del(.uptime_s, .scanned_at)' "$T/kbd.ndjson")"
stop_sshd kbd

# zsh and bash as the login shell give the same record: the same Mac
# with bash, on port 2223.
extra_sshd bash 2223 "$T/passwd.bash"
shell_of() {
	in_lab ssh -o BatchMode=yes -o UserKnownHostsFile=/dev/null \
	    -o StrictHostKeyChecking=no -o LogLevel=ERROR -i "$key" -p "$1" \
	    -l "$SSH_USERNAME" "$mac1" \
	    'echo ${BASH_VERSION:+bash}${ZSH_VERSION:+zsh}' < /dev/null 2> /dev/null
}
check_eq "port 22: the login shell is zsh" zsh "$(shell_of 22)"
check_eq "port 2223: the login shell is bash" bash "$(shell_of 2223)"
set +e
echo "$mac1" | env SSH_KEY="$key" "$lab" exec "$mp" -F none -p 2223 \
    -k "$T/kh2223" -t "$tl" > "$T/bash.ndjson" 2> /dev/null
set -e
check_eq "bash login shell: the same record as zsh" \
    "$(rec "$T/run1.ndjson" "$mac1" | jq -c 'del(.uptime_s, .scanned_at)')" \
    "$(jq -c 'del(.uptime_s, .scanned_at)' "$T/bash.ndjson")"
stop_sshd bash

# The ssh configuration is honoured: a Host alias with HostName and User.
printf 'Host alias-one\n\tHostName %s\n\tUser %s\n' "$mac1" "$SSH_USERNAME" \
    > "$T/ssh_config"
set +e
echo alias-one | env -u SSH_USERNAME SSH_KEY="$key" "$lab" exec "$mp" \
    -F "$T/ssh_config" -k "$kh" -t "$tl" > "$T/alias.ndjson" 2> /dev/null
set -e
check_eq "ssh_config alias: ok, host kept, ip resolved" "ok alias-one $mac1" \
    "$(jq -r '"\(.probe) \(.host) \(.ip)\(.probe_error // "")"' "$T/alias.ndjson")"

# A changed key in known_hosts: hostkey_mismatch, and no authentication
# reaches the host (its sshd logs no user).
other=$(awk -v ip="$mac2" '$1 == ip { print $3 }' "$kh")
awk -v ip="$mac1" -v k="$other" '$1 == ip { $3 = k } { print }' "$kh" > "$T/kh.changed"
cp "$T/kh.changed" "$T/kh.changed.orig"
lines_before=$(grep -c macadmin "$h1/sshd.log" || true)
set +e
echo "$mac1" | env SSH_KEY="$key" SSH_PASSWORD_FILE="$pwfile" "$lab" exec \
    "$mp" -F none -k "$T/kh.changed" -t "$tl" > "$T/mm.ndjson" 2> /dev/null
rc=$?
set -e
check_eq "changed key line: hostkey_mismatch, exit 1" "hostkey_mismatch 1" \
    "$(jq -r .probe "$T/mm.ndjson") $rc"
check_match "changed key line: probe_error names the file" \
    "^host key of $mac1 changed: ssh-ed25519 SHA256:[A-Za-z0-9+/]+ is not the key pinned in $T/kh.changed$" \
    "$(jq -r .probe_error "$T/mm.ndjson")"
sleep 0.5
check_eq "changed key line: no login attempted" "$lines_before" \
    "$(grep -c macadmin "$h1/sshd.log" || true)"
check "changed key line: known_hosts left alone" \
    cmp -s "$T/kh.changed" "$T/kh.changed.orig"
set +e
echo "$mac1" | env SSH_KEY="$key" "$lab" exec "$mp" -F none -o no \
    -k "$T/kh.changed" -t "$tl" > "$T/mmno.ndjson" 2> /dev/null
set -e
check_eq "-o no: a changed key logs in with the key" ok \
    "$(jq -r .probe "$T/mmno.ndjson")"
check "-o no: known_hosts left alone" cmp -s "$T/kh.changed" "$T/kh.changed.orig"
: > "$T/kh.empty"
set +e
echo "$mac1" | env SSH_KEY="$key" "$lab" exec "$mp" -F none -o yes \
    -k "$T/kh.empty" -t "$tl" > "$T/yes.ndjson" 2> /dev/null
set -e
check_match "-o yes: an unknown host is refused" \
    "^error host key of $mac1 \(ssh-ed25519 SHA256:.*\) is not in $T/kh.empty and strict checking is on$" \
    "$(jq -r '"\(.probe) \(.probe_error)"' "$T/yes.ndjson")"
check_eq "-o yes: known_hosts not written" 0 "$(wc -c < "$T/kh.empty")"

# The hostkey variant gets a new key on every `maclab up`.
"$lab" up > "$T/up2.log" 2>&1 || { cat "$T/up2.log"; fail "maclab up (re-key)"; }
set +e
echo "$hostkey" | env SSH_KEY="$key" "$lab" exec "$mp" -F none -k "$kh" \
    -t "$tl" > "$T/hk.ndjson" 2> /dev/null
set -e
check_eq "hostkey variant after a re-key: hostkey_mismatch" hostkey_mismatch \
    "$(jq -r .probe "$T/hk.ndjson")"

# Records in, records out: fields kept, probe fields refreshed; a failed
# host keeps what it had; bad lines are reported by number.
cat > "$T/mixed.in" <<EOF
# a comment, then a record with fields of other stages
{"ip":"$mac1","mac":"3c:22:fb:00:00:01","seen_by":"icmp","custom":"kept","disk_free_bytes":1,"console_user":"old"}
<not a host>
{"mac":"aa:bb:cc:dd:ee:ff"}
{"ip":"$nossh","serial":"OLDSERIAL"}
{broken json

$mac2
EOF
set +e
env SSH_KEY="$key" "$lab" exec "$mp" -F none -k "$kh" -t "$tl" \
    < "$T/mixed.in" > "$T/mixed.ndjson" 2> "$T/mixed.err"
rc=$?
set -e
check_eq "mixed input: exit 1, three records" "1 3" \
    "$rc $(wc -l < "$T/mixed.ndjson")"
check_match "mixed input: line 3 reported" '^macprobe: <stdin>:3: ' "$(cat "$T/mixed.err")"
check_match "mixed input: line 4 reported" \
    '^macprobe: <stdin>:4: record has no ip or host$' "$(cat "$T/mixed.err")"
check_match "mixed input: line 6 reported" '^macprobe: <stdin>:6: ' "$(cat "$T/mixed.err")"
check_eq "mixed input: other stages' fields kept" \
    "3c:22:fb:00:00:01 icmp kept ok" \
    "$(rec "$T/mixed.ndjson" "$mac1" | jq -r '"\(.mac) \(.seen_by) \(.custom) \(.probe)"')"
check_eq "mixed input: probe fields refreshed" \
    "$(rec "$T/run1.ndjson" "$mac1" | jq -c '[.disk_free_bytes, .console_user]')" \
    "$(rec "$T/mixed.ndjson" "$mac1" | jq -c '[.disk_free_bytes, .console_user]')"
check_eq "mixed input: a failed host keeps its fields" "refused OLDSERIAL" \
    "$(rec "$T/mixed.ndjson" "$nossh" | jq -r '"\(.probe) \(.serial)"')"
check_eq "mixed input: a plain line after the bad ones" ok \
    "$(field "$T/mixed.ndjson" "$mac2" probe)"

# Bounded memory on the host that prints megabytes; -P 1 works too.
set +e
echo "$garbage" | env SSH_KEY="$key" "$lab" exec /usr/bin/time -f '%M' -o "$T/garbage.time" \
    "$mp" -F none -P 1 -k "$kh" -t "$tl" > "$T/garbage.ndjson" 2> /dev/null
set -e
kb=$(tail -n 1 "$T/garbage.time")
check "garbage host: peak memory bounded ($kb KB < 200 MB)" test "$kb" -lt 200000
check_eq "garbage host alone: the same error" \
    'error|probe output unreadable: no recognisable macOS section: uname cut (exit status 0)' \
    "$(jq -r '"\(.probe)|\(.probe_error)"' "$T/garbage.ndjson")"

# Progress on a terminal: done/total, ok/failed.
printf '%s\n%s\n%s\n' "$mac1" "$mac2" "$nossh" > "$T/three.txt"
env SSH_KEY="$key" script -qec "$lab exec $mp -F none -k $kh -t $tl \
    < $T/three.txt > $T/three.ndjson" "$T/typescript" > /dev/null 2>&1 || true
check_match "progress line on a terminal" '3/3 done, 2 ok, 1 failed' \
    "$(tr '\r' '\n' < "$T/typescript")"
check_eq "progress: the records still go to stdout" 3 "$(wc -l < "$T/three.ndjson")"

finish
