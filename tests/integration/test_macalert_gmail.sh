#!/bin/bash
# The Gmail shortcut for real, without leaving the machine: in a network
# namespace of its own (only loopback) and a mount namespace where
# /etc/hosts says smtp.gmail.com is 127.0.0.1, a STARTTLS + AUTH server
# with a certificate for smtp.gmail.com listens on port 587. GMAIL_USER
# and GMAIL_APP_PASSWORD alone must make macalert use it: STARTTLS
# required, the app password's blanks dropped, the certificate checked.
. "$(dirname "$0")/../setup.sh"
need_root
PY=/usr/bin/python3
here=$top/tests/integration
pki=$T/pki
mkdir -p "$pki" "$T/mail"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" \
    -out "$pki/ca.pem" -days 2 -subj "/CN=macscan test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2> "$pki/log"
openssl req -newkey rsa:2048 -nodes -keyout "$pki/srv.key" \
    -out "$pki/srv.csr" -subj "/CN=smtp.gmail.com" 2>> "$pki/log"
printf '%s\n' 'subjectAltName=DNS:smtp.gmail.com' 'basicConstraints=CA:FALSE' \
    'extendedKeyUsage=serverAuth' > "$pki/ext"
openssl x509 -req -in "$pki/srv.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
    -CAcreateserial -out "$pki/srv.pem" -days 2 -extfile "$pki/ext" 2>> "$pki/log"
check "a certificate for smtp.gmail.com from a test CA" test -s "$pki/srv.pem"
printf '%s\n' abcdefghijklmnop > "$T/server_password"
printf '127.0.0.1 localhost\n127.0.0.1 smtp.gmail.com\n' > "$T/hosts"

# Everything below runs in the private namespaces: nothing can leave.
cat > "$T/inside.sh" <<'IN'
set -eu
ip link set lo up
mount --bind "$T/hosts" /etc/hosts
"$PY" "$here/smtpd.py" --port 587 --out "$T/mail" --cert "$pki/srv.pem" \
    --key "$pki/srv.key" --user it@example.com \
    --password-file "$T/server_password" > "$T/smtpd.log" 2>&1 &
srv=$!
i=0
while [ ! -f "$T/mail/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
run() {
	set +e
	env -i PATH=/usr/bin:/bin MACSCAN_CONF=/nonexistent \
	    GMAIL_USER=it@example.com ALERT_RECIPIENTS=boss@example.com "$@" \
	    "$O/bin/macalert" --demo > /dev/null 2>> "$T/macalert.err"
	echo $?
	set -e
}
run GMAIL_APP_PASSWORD="abcd efgh ijkl mnop" SMTP_CA_FILE="$pki/ca.pem" > "$T/rc.good"
run GMAIL_APP_PASSWORD="abcd efgh ijkl mnop" > "$T/rc.untrusted"
run GMAIL_APP_PASSWORD="wxyz wxyz wxyz wxyz" SMTP_CA_FILE="$pki/ca.pem" > "$T/rc.badpw"
getent hosts smtp.gmail.com > "$T/resolved" || true
kill "$srv"
wait "$srv" 2>/dev/null || true
IN
T=$T PY=$PY here=$here pki=$pki O=$O unshare -n -m bash "$T/inside.sh"

check_eq "smtp.gmail.com was 127.0.0.1 inside" "127.0.0.1       smtp.gmail.com" \
    "$(cat "$T/resolved")"
check_eq "GMAIL_USER and GMAIL_APP_PASSWORD alone: sent, exit 0" 0 "$(cat "$T/rc.good")"
check_eq "exactly one message arrived" 1 "$(ls "$T/mail"/*.eml 2>/dev/null | wc -l)"
check_eq "over STARTTLS, logged in as the Gmail user" '{"tls":true,"login":"it@example.com"}' \
    "$(jq -c '{tls, login}' "$T/mail/1.json")"
check_eq "from the Gmail user, to the recipient" '"it@example.com" ["boss@example.com"]' \
    "$(jq -c '.mail_from, .rcpt_tos' "$T/mail/1.json" | paste -sd' ')"
check_eq "a certificate not trusted: not sent, exit 1" 1 "$(cat "$T/rc.untrusted")"
check_eq "a wrong app password: not sent, exit 1" 1 "$(cat "$T/rc.badpw")"
check_match "and says the login was refused" "smtp://smtp.gmail.com:587: the server refused the login" \
    "$(cat "$T/macalert.err")"
check_eq "nothing else arrived" 1 "$(ls "$T/mail"/*.eml | wc -l)"
finish
