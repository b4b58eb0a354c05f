# tests/integration/pki.sh - sourced by the tests that need TLS on
# loopback (test_macalert.sh, test_macalert_chat.sh, tests/failure/lib.sh).
#
# test_pki DIR NAME: a test CA called NAME (DIR/ca.pem, DIR/ca.key) and a
# certificate for 127.0.0.1 and localhost signed by it (DIR/srv.pem,
# DIR/srv.key), valid two days; openssl's chatter goes to DIR/log.
test_pki() {
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$1/ca.key" -out "$1/ca.pem" -days 2 \
	    -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2> "$1/log"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$1/srv.key" -out "$1/srv.csr" -subj "/CN=localhost" \
	    2>> "$1/log"
	printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
	    'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth' \
	    > "$1/ext"
	openssl x509 -req -in "$1/srv.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" \
	    -CAcreateserial -out "$1/srv.pem" -days 2 -extfile "$1/ext" \
	    2>> "$1/log"
}
