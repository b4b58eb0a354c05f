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
check_eq "broken file: exit 3" 3 "$(status macconf -c "$T/b.conf" check 2>/dev/null)"
printf 'A="open\n' > "$T/c.conf"
check_match "unterminated quote" "c.conf:1: .*quote" \
    "$(macconf -c "$T/c.conf" check 2>&1 || true)"
check_eq "-c of a missing file: exit 3" 3 \
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
finish
