#!/usr/bin/python3
"""webhookd.py - an HTTPS receiver on 127.0.0.1 standing in for Slack,
Microsoft Teams and any webhook, for test_macalert_chat.sh.

    webhookd.py --out DIR [--port N] [--cert C --key K | --plain]

A POST to /NAME/anything is receiver NAME's (slack, teams, hook...). Each
request is recorded as DIR/NAME/N.json: {"path", "headers", "body"} (the
body as text; "json" too when it parses), whatever the answer. How NAME
answers is the word in DIR/NAME.mode, read on each request (default ok):

    ok              Slack: 200 "ok"; teams: 202 (as a Workflows trigger);
                    others: 200 "{}"
    500             500 "internal_error"
    invalid_payload 400 "invalid_payload" (Slack's words)
    no_service      404 "no_service"
    timeout         read the request, never answer (until the client goes)
    reset           read the request, then reset the connection (RST)

DIR/ready holds the port once it listens; DIR/NAME.count how many
requests NAME got. Plain Python, no third-party module. Runs until
SIGTERM.
"""
import argparse
import json
import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

A = None
LOCK = threading.Lock()


def record(name, path, headers, body):
    d = os.path.join(A.out, name)
    with LOCK:
        os.makedirs(d, exist_ok=True)
        n = len([f for f in os.listdir(d) if f.endswith(".json")]) + 1
        doc = {"path": path, "headers": headers,
               "body": body.decode("utf-8", "replace")}
        try:
            doc["json"] = json.loads(body)
        except ValueError:
            pass
        tmp = os.path.join(d, "%d.tmp" % n)
        with open(tmp, "w") as f:
            json.dump(doc, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(d, "%d.json" % n))
        with open(os.path.join(A.out, name + ".count"), "w") as f:
            f.write("%d\n" % n)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("webhookd: " + (fmt % args) + "\n")

    def answer(self, code, text, ctype="text/plain"):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        name = self.path.strip("/").split("/")[0] or "root"
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n > 0 else b""
        record(name, self.path, {k.lower(): v for k, v in
                                 self.headers.items()}, body)
        try:
            with open(os.path.join(A.out, name + ".mode")) as f:
                mode = f.read().strip()
        except OSError:
            mode = "ok"
        if mode == "timeout":
            # Hold the connection until the client gives up.
            self.connection.settimeout(600)
            try:
                while self.connection.recv(1):
                    pass
            except OSError:
                pass
            self.close_connection = True
            return
        if mode == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if mode == "500":
            self.answer(500, "internal_error")
        elif mode == "invalid_payload":
            self.answer(400, "invalid_payload")
        elif mode == "no_service":
            self.answer(404, "no_service")
        elif name == "slack":
            self.answer(200, "ok")
        elif name == "teams":
            self.answer(202, "")
        else:
            self.answer(200, "{}", "application/json")


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--plain", action="store_true")
    A = ap.parse_args()
    os.makedirs(A.out, exist_ok=True)
    srv = ThreadingHTTPServer(("127.0.0.1", A.port), Handler)
    srv.daemon_threads = True
    if not A.plain:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(A.cert, A.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *x: sys.exit(0))
    with open(os.path.join(A.out, "ready.tmp"), "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(os.path.join(A.out, "ready.tmp"), os.path.join(A.out, "ready"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
