#!/bin/bash
# macconf: check, get, show, example; errors with their line numbers.
. "$(dirname "$0")/../setup.sh"
unset MACSCAN_CONF MACSCAN_DIR SSH_PASSWORD || true

cat > "$T/a.conf" <<'CONF'
# a comment
export MACSCAN_DIR="/srv/mac scan"
SSH_PASSWORD=hunter2
GMAIL_APP_PASSWORD="abcd efgh ijkl mnop"
ALERT_RECIPIENTS=it@example.com,boss@example.com   # two
X_CUSTOM='$(touch pwned)'
CONF

check_eq "check prints path and count" "$T/a.conf: ok, 5 variables" \
    "$(macconf -c "$T/a.conf" check)"
check_eq "get a quoted value with a space" "/srv/mac scan" \
    "$(macconf -c "$T/a.conf" get MACSCAN_DIR)"
check_eq "get strips the inline comment" "it@example.com,boss@example.com" \
    "$(macconf -c "$T/a.conf" get ALERT_RECIPIENTS)"
check_eq "single quotes are literal, nothing runs" '$(touch pwned)' \
    "$(macconf -c "$T/a.conf" get X_CUSTOM)"
check "nothing was run by reading" test ! -e pwned
check_eq "unset without default: exit 1" 1 \
    "$(status macconf -c "$T/a.conf" get NOPE)"
check_eq "unset with default" "dflt" "$(macconf -c "$T/a.conf" get NOPE dflt)"
check_eq "the environment wins" "/env" \
    "$(MACSCAN_DIR=/env macconf -c "$T/a.conf" get MACSCAN_DIR)"
check_eq "MACSCAN_CONF names the file" "/srv/mac scan" \
    "$(MACSCAN_CONF=$T/a.conf macconf get MACSCAN_DIR)"
check_eq "a secret is never printed: exit 2" 2 \
    "$(status macconf -c "$T/a.conf" get SSH_PASSWORD 2>/dev/null)"
out=$(macconf -c "$T/a.conf" show)
check_match "show hides secrets" '^SSH_PASSWORD=\(secret, file\)$' "$out"
check "show never prints a secret value" \
    sh -c "! printf '%s' \"\$1\" | grep -Eq 'hunter2|abcd efgh'" x "$out"
check_match "show names the source" '^MACSCAN_DIR=/srv/mac scan \(file\)$' "$out"
check_match "show lists defaults" '^ALERT_DISK_CRITICAL_GB=15 \(default\)$' "$out"
check_match "show lists the file's own keys" "^X_CUSTOM=" "$out"

printf 'A=1\nB=2\nBROKEN LINE\n' > "$T/b.conf"
err=$(macconf -c "$T/b.conf" check 2>&1 || true)
check_eq "error names the file and line" \
    "macconf: $T/b.conf:3: no '=' in this line (expected KEY=VALUE)" "$err"
check_eq "broken file: exit 2 (configuration)" 2 "$(status macconf -c "$T/b.conf" check 2>/dev/null)"
printf 'A="open\n' > "$T/c.conf"
check_match "unterminated quote" "c.conf:1: .*quote" \
    "$(macconf -c "$T/c.conf" check 2>&1 || true)"
check_eq "-c of a missing file: exit 2" 2 \
    "$(status macconf -c "$T/none.conf" check 2>/dev/null)"
check_eq "a missing default file is fine" "$T/none.conf: ok, 0 variables" \
    "$(MACSCAN_CONF=$T/none.conf macconf check)"

macconf example > "$T/example.conf"
check "the example config parses" macconf -c "$T/example.conf" check
check_eq "the example sets nothing by default" \
    "$T/example.conf: ok, 0 variables" "$(macconf -c "$T/example.conf" check)"
# Every variable of the example, uncommented, parses and reads back.
sed -n 's/^#\([A-Z_]*=.*\)/\1/p' "$T/example.conf" > "$T/all.conf"
check "the example's variables, uncommented, parse" \
    macconf -c "$T/all.conf" check
check_eq "an uncommented example value reads back" "192.168.1.0/24 192.168.2.10-200" \
    "$(macconf -c "$T/all.conf" get MACSCAN_SUBNETS)"
check_eq "usage error: exit 2" 2 "$(status macconf 2>/dev/null)"

# Values are checked against the one table, the same way in every program.
printf 'ALERT_REPEAT_HOURS=9999\n' > "$T/d.conf"
check_eq "a number out of range names file, line and range" \
    "macconf: $T/d.conf:1: ALERT_REPEAT_HOURS is too large: '9999' (expected 1 to 8760)" \
    "$(macconf -c "$T/d.conf" check 2>&1 || true)"
printf 'ALERT_DISK_CRITICAL_GB=40\n' > "$T/e.conf"
check_eq "warn below critical is refused" \
    "macconf: environment: ALERT_DISK_WARN_GB (30) is below ALERT_DISK_CRITICAL_GB (40)" \
    "$(macconf -c "$T/e.conf" check 2>&1 || true)"
check_eq "MACSCAN_LANG as a locale is fine" "$T/a.conf: ok, 5 variables" \
    "$(MACSCAN_LANG=en_US.UTF-8 macconf -c "$T/a.conf" check)"
check_eq "MACSCAN_LANG=de is refused: exit 2" 2 \
    "$(MACSCAN_LANG=de status macconf -c "$T/a.conf" check 2>/dev/null)"
check_match "a bad day names the choices" "CLEANUP_SCHEDULE_DAY: expected one of: monday" \
    "$(CLEANUP_SCHEDULE_DAY=someday macconf -c "$T/a.conf" check 2>&1 || true)"
check_match "a bad subnet says what is wrong" "MACSCAN_SUBNETS: .*octet 4" \
    "$(MACSCAN_SUBNETS='10.0.0.0/8 10.1.2.300' macconf -c "$T/a.conf" check 2>&1 || true)"
check_eq "a URL of another scheme is refused" "macconf: environment: SMTP_URL: the scheme is not one of those expected: 'http://x'" \
    "$(SMTP_URL=http://x macconf -c "$T/a.conf" check 2>&1 || true)"
check_eq "get: the table's default" 15 "$(macconf -c "$T/a.conf" get ALERT_DISK_CRITICAL_GB)"
check_eq "get: an empty value counts as unset" friday \
    "$(CLEANUP_SCHEDULE_DAY= macconf -c "$T/a.conf" get CLEANUP_SCHEDULE_DAY)"

# check warns about typos and about secrets others can read.
printf 'SSH_PASWORD=x\nSMTP_PASSWORD=s3cret\n' > "$T/w.conf"
chmod 0644 "$T/w.conf"
out=$(macconf -c "$T/w.conf" check 2>&1)
check_match "an unknown variable is named with its line" \
    "w.conf:1: SSH_PASWORD is not a macscan variable" "$out"
check_match "a secret in a file others can read" \
    "w.conf holds SMTP_PASSWORD and others can read it \(mode 0644\)" "$out"
chmod 0640 "$T/w.conf"
check "no warning at mode 0640" sh -c "! macconf -c '$T/w.conf' check 2>&1 | grep -q 'others can read'"
printf 'x\n' > "$T/pw"; chmod 0604 "$T/pw"
check_match "a NAME_FILE others can read" "pw \(SSH_PASSWORD_FILE\) can be read by others \(mode 0604\)" \
    "$(SSH_PASSWORD_FILE=$T/pw macconf -c "$T/w.conf" check 2>&1)"

# The table, the example file and macscan.conf(5) agree: every variable
# in all three, and the same default.
macconf list > "$T/list"
check "the table lists the variables" test "$(wc -l < "$T/list")" -ge 25
mandoc -Tascii -O width=400 "$top/man/macscan.conf.5" | sed 's/.\x08//g' > "$T/man.txt"
awk '/^     [A-Z][A-Z0-9_]*$/ { name = $1; next }
     name != "" && /Default: / { sub(/.*Default: /, ""); sub(/\.$/, "");
	print name "\t" $0; name = "" }' "$T/man.txt" > "$T/man.defaults"
awk '/^     [A-Z][A-Z0-9_]*$/ { print $1 }' "$T/man.txt" | sort > "$T/man.names"
# A secret may be shown as NAME_FILE only.
awk -F '\t' '$4 == "secret" { print $1 "_FILE\t" $1 }' "$T/list" > "$T/secret.files"
sed -n 's/^#\{0,1\}\([A-Z][A-Z0-9_]*\)=.*/\1/p' "$T/example.conf" |
    awk -F '\t' 'NR == FNR { f[$1] = $2; next } { print ($1 in f) ? f[$1] : $1 }' \
    "$T/secret.files" - | sort -u > "$T/ex.names"
cut -f1 "$T/list" | sort > "$T/table.names"
check_eq "the man page documents exactly the table's variables" "" \
    "$(comm -3 "$T/table.names" "$T/man.names" | tr '\n' ' ')"
check_eq "the example file has exactly the table's variables" "" \
    "$(comm -3 "$T/table.names" "$T/ex.names" | tr '\n' ' ')"
check_eq "each variable once in the example file" "" \
    "$(sed -n 's/^#\{0,1\}\([A-Z][A-Z0-9_]*\)=.*/\1/p' "$T/example.conf" | sort | uniq -d | tr '\n' ' ')"
bad=
while IFS="$(printf '\t')" read -r name type def secret doc; do
	[ "$def" = - ] && continue
	man=$(awk -F '\t' -v n="$name" '$1 == n { print $2 }' "$T/man.defaults")
	[ "$man" = "$def" ] || bad="$bad $name(man: '$man', table: '$def')"
	ex=$(sed -n "s/^#\{0,1\}$name=\"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" "$T/example.conf" | head -n 1)
	[ "$ex" = "$def" ] || bad="$bad $name(example: '$ex', table: '$def')"
	[ "$(macconf -c /dev/null get "$name")" = "$def" ] ||
	    bad="$bad $name(get)"
done < "$T/list"
check_eq "the same default in the table, the man page and the example" "" "$bad"
while IFS="$(printf '\t')" read -r name type def secret doc; do
	[ "$secret" = secret ] || continue
	check_eq "$name: a secret is never printed" 2 \
	    "$(env "$name=x" sh -c 'status() { "$@"; echo $?; }; macconf -c /dev/null get "$1" 2>/dev/null; echo $?' x "$name" | tail -n 1)"
done < "$T/list"
finish
