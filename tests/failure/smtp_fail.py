#!/usr/bin/python3
"""smtp_fail.py - an SMTP server on 127.0.0.1 that fails on purpose, for
the failure tests of macalert.

    smtp_fail.py --out DIR [--port N] [--cert C --key K]
                 [--mode good|slow|drop|rst|reject] [--slow S] [--after B]
                 [--release FILE]

With a certificate, STARTTLS is offered and required before MAIL (as
macalert requires it). The modes, for the message's DATA:

    good    accept it: 250, saved as DIR/N.eml
    slow    read it all, then wait S seconds before the 250 (or until
            FILE exists, with --release)
    drop    close the connection (FIN, no TLS close_notify) once B bytes of
            the message have come
    rst     the same with a reset (SO_LINGER 0)
    reject  read it all, then 554

DIR/ready holds the port once the server listens; DIR/events gets one
line per step (connect, starttls, mail, rcpt, data, dropped N, data-end N,
accepted N, rejected), flushed at once, so a test knows where a session
is. Runs until SIGTERM. Plain Python, no third-party module.
"""
import argparse
import os
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time

A = None
CTX = None
LOCK = threading.Lock()


def event(msg):
    with LOCK:
        with open(os.path.join(A.out, "events"), "a") as f:
            f.write(msg + "\n")


def save(data):
    with LOCK:
        n = len([f for f in os.listdir(A.out) if f.endswith(".eml")]) + 1
        p = os.path.join(A.out, "%d.eml" % n)
        with open(p + ".tmp", "wb") as f:
            f.write(data)
        os.rename(p + ".tmp", p)
    return n


class Handler(socketserver.BaseRequestHandler):
    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def handle(self):
        self.sock = self.request
        self.sock.settimeout(60)
        rf = self.sock.makefile("rb")
        tls = False
        event("connect")
        self.send("220 localhost ESMTP macscan failure test")
        while True:
            line = rf.readline(4096)
            if not line:
                return
            verb = line.strip().split(b" ", 1)[0].upper()
            if verb in (b"EHLO", b"HELO"):
                ext = ["localhost", "8BITMIME", "SIZE 10000000"]
                if CTX is not None and not tls:
                    ext.append("STARTTLS")
                for e in ext[:-1]:
                    self.send("250-" + e)
                self.send("250 " + ext[-1])
            elif verb == b"STARTTLS" and CTX is not None and not tls:
                self.send("220 go ahead")
                self.sock = CTX.wrap_socket(self.sock, server_side=True)
                rf = self.sock.makefile("rb")
                tls = True
                event("starttls")
            elif verb in (b"MAIL", b"RCPT", b"DATA") and CTX is not None \
                    and not tls:
                self.send("530 5.7.0 Must issue a STARTTLS command first")
            elif verb == b"MAIL":
                event("mail")
                self.send("250 2.1.0 OK")
            elif verb == b"RCPT":
                event("rcpt")
                self.send("250 2.1.5 OK")
            elif verb == b"DATA":
                event("data")
                self.send("354 End data with <CR><LF>.<CR><LF>")
                if not self.data(rf):
                    return
            elif verb == b"RSET" or verb == b"NOOP":
                self.send("250 OK")
            elif verb == b"QUIT":
                self.send("221 bye")
                return
            else:
                self.send("502 5.5.2 not implemented")

    def data(self, rf):
        buf = []
        got = 0
        while True:
            line = rf.readline(65536)
            if not line:
                return False
            got += len(line)
            if A.mode in ("drop", "rst") and got >= A.after:
                event("dropped %d" % got)
                if A.mode == "rst":
                    self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                         struct.pack("ii", 1, 0))
                # No close_notify: the connection just goes.
                if A.mode == "drop":
                    try:
                        self.sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                self.sock.close()
                return False
            if line == b".\r\n":
                break
            buf.append(line[1:] if line.startswith(b"..") else line)
        event("data-end %d" % got)
        if A.mode == "slow":
            end = time.monotonic() + A.slow
            while time.monotonic() < end and not (
                    A.release and os.path.exists(A.release)):
                time.sleep(0.05)
        if A.mode == "reject":
            event("rejected")
            self.send("554 5.6.0 message refused by the failure test")
            return True
        n = save(b"".join(buf))
        event("accepted %d" % n)
        self.send("250 2.0.0 OK saved as %d" % n)
        return True


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global A, CTX
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--mode", default="good",
                    choices=["good", "slow", "drop", "rst", "reject"])
    ap.add_argument("--slow", type=float, default=30)
    ap.add_argument("--after", type=int, default=256)
    ap.add_argument("--release")
    A = ap.parse_args()
    os.makedirs(A.out, exist_ok=True)
    if A.cert:
        CTX = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        CTX.load_cert_chain(A.cert, A.key)
    srv = Server(("127.0.0.1", A.port), Handler)
    signal.signal(signal.SIGTERM, lambda *x: sys.exit(0))
    with open(os.path.join(A.out, "ready.tmp"), "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(os.path.join(A.out, "ready.tmp"), os.path.join(A.out, "ready"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
