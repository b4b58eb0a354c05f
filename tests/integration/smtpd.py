#!/usr/bin/python3
"""smtpd.py - a real SMTP server on loopback for test_macalert.sh.

    smtpd.py --port N --out DIR [--cert C --key K --user U --password-file F]
             [--plain]

With a certificate: STARTTLS required before anything else, AUTH (PLAIN,
LOGIN) required, only after TLS, and only U with the password in F. With
--plain: no TLS and no AUTH at all (to check that macalert refuses a
server without STARTTLS). Every message accepted is saved as DIR/N.eml
(the bytes received) and DIR/N.json (envelope sender, recipients, whether
the session was TLS, the login). DIR/ready appears once the server
listens. Runs until SIGTERM or SIGINT. Binds 127.0.0.1 only.
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError:
    sys.stderr.write("smtpd.py: needs python3-aiosmtpd\n")
    sys.exit(3)


class Saver:
    def __init__(self, out):
        self.out = out
        # A restarted server goes on numbering after what is there.
        self.n = len([f for f in os.listdir(out) if f.endswith(".eml")])
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        base = os.path.join(self.out, "%d" % n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        login = None
        if getattr(session, "auth_data", None) is not None:
            ad = session.auth_data
            if isinstance(ad, LoginPassword):
                login = ad.login.decode("utf-8", "replace")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": session.ssl is not None,
            "login": login,
        }
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.tmp", base + ".json")
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK saved as %d" % n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--user")
    ap.add_argument("--password-file")
    ap.add_argument("--plain", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    kw = {}
    if not a.plain:
        with open(a.password_file, "rb") as f:
            want = f.read().split(b"\n")[0]
        user = a.user.encode()

        def authenticator(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and data.login == user
                  and data.password == want)
            return AuthResult(success=ok, handled=False, auth_data=data)

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kw = dict(tls_context=ctx, require_starttls=True,
                  auth_required=True, auth_require_tls=True,
                  authenticator=authenticator)
    else:
        kw = dict(auth_require_tls=False)
    ctl = Controller(Saver(a.out), hostname="127.0.0.1", port=a.port,
                     server_hostname="localhost", ready_timeout=10, **kw)
    ctl.start()
    with open(os.path.join(a.out, "ready"), "w") as f:
        f.write("%d\n" % os.getpid())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *x: stop.set())
    signal.signal(signal.SIGINT, lambda *x: stop.set())
    while not stop.wait(0.5):
        pass
    ctl.stop()


if __name__ == "__main__":
    main()
