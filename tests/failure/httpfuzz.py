#!/usr/bin/python3
"""httpfuzz.py - a fuzzer of machttp over a real socket on 127.0.0.1.

    httpfuzz.py --port P [--count N] [--seconds S] [--seed K] [--out FILE]

Sends N requests (default 20,000), unless S seconds (default 25, at most
900) run out first,
one connection each (some of them pipelining several requests): random
bytes, valid requests mutated (bit flips, bytes inserted, deleted,
repeated, spliced), and known bad forms (long request lines, huge header
blocks, bad versions and methods, bodies, control bytes, bare LF, path
traversal encoded every way, NUL bytes, Host names the server does not
answer for). Each is sent in one or several
writes; the client then half-closes (or waits a moment first) and reads
the answer until the server closes.

Checks, counted in the JSON summary (stdout or --out):
    bad_status_line   an answer that does not start "HTTP/1.1 NNN "
    server_error      a 500 (an internal error on outside input)
    garbage_accepted  random bytes answered 2xx/3xx
    expect_mismatch   a known bad form answered otherwise than expected
    leak              a body holding /etc/passwd or a private key
    died              /healthz (checked every 500 cases) not answered
Plus counts per status and per kind, requests sent, seconds. Bounded in
count and time; only 127.0.0.1.
"""
import argparse
import json
import random
import socket
import time

PATHS = ["/", "/healthz", "/machines", "/machines/S000001", "/metrics",
         "/installers/os_installer.sh", "/installers/os_downloader.sh",
         "/static/dashboard.css", "/static/dashboard.js", "/nope",
         "/machines/%2e%2e%2f", "/installers/"]
HEADERS = ["User-Agent: httpfuzz", "Accept: */*",
           "Connection: keep-alive", "Connection: close",
           'If-None-Match: "abc"', "Authorization: Bearer x",
           "Accept-Encoding: gzip", "X-Forwarded-For: 10.0.0.1"]
TRAVERSAL = ["/installers/../../../../etc/passwd",
             "/installers/..%2f..%2f..%2f..%2fetc%2fpasswd",
             "/installers/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
             "/installers/%252e%252e%252fetc%252fpasswd",
             "/installers/..%5c..%5cetc%5cpasswd",
             "/installers/.%2e/.%2e/.%2e/etc/passwd",
             "/installers/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
             "/installers//etc/passwd", "/installers/.htaccess",
             "/installers/os_installer.sh%00.txt",
             "/installers/os_installer.sh/../../../etc/passwd",
             "//etc/passwd", "/../../etc/passwd", "/static/../../etc/passwd",
             "/machines/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd"]


def valid(r):
    m = r.choice(["GET", "HEAD", "GET", "GET"])
    p = r.choice(PATHS)
    h = r.sample(HEADERS, r.randint(0, 4))
    v = r.choice(["HTTP/1.1", "HTTP/1.0"])
    if r.random() < 0.9:
        h.insert(r.randint(0, len(h)), "Host: 127.0.0.1")
    return ("%s %s %s\r\n" % (m, p, v) + "".join(x + "\r\n" for x in h)
            + "\r\n").encode()


def mutate(r, b):
    b = bytearray(b)
    for _ in range(r.randint(1, 8)):
        op = r.randrange(7)
        i = r.randrange(len(b) + 1)
        if op == 0 and b:                       # bit flip
            i = min(i, len(b) - 1)
            b[i] ^= 1 << r.randrange(8)
        elif op == 1:                           # insert random bytes
            b[i:i] = bytes(r.randrange(256) for _ in range(r.randint(1, 8)))
        elif op == 2 and b:                     # delete
            del b[i:i + r.randint(1, 8)]
        elif op == 3 and b:                     # repeat a chunk
            j = min(len(b), i + r.randint(1, 64))
            b[i:i] = b[i:j] * r.randint(1, 50)
        elif op == 4:                           # interesting bytes
            b[i:i] = r.choice([b"\0", b"\r", b"\n", b"\r\n", b" ", b":",
                               b"%", b"%00", b"\xff", b"\x7f", b"\t",
                               b"%%", b"%2", b"\xc0\xae", b"\r\n ",
                               b"\r\n\r\n"])
        elif op == 5:                           # splice another request
            o = valid(r)
            b[i:] = o[r.randrange(len(o)):]
        elif op == 6 and b:                     # replace a byte
            i = min(i, len(b) - 1)
            b[i] = r.choice(b"\0\r\n :%/?#\x80\xff\tA")
    return bytes(b)


def structured(r):
    """A known bad (or odd) form: (kind, bytes, acceptable statuses)."""
    k = r.randrange(15)
    if k == 0:
        return ("long_line", b"GET /" + b"a" * r.randint(8200, 20000)
                + b" HTTP/1.1\r\n\r\n", {"414"})
    if k == 1:
        h = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(90))
        return ("huge_head", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + h + b"\r\n", {"431"})
    if k == 2:
        v = r.choice([b"HTTP/2.0", b"HTTP/0.9", b"HTTP/1.2", b"HTTP/9.9"])
        return ("bad_version", b"GET / " + v + b"\r\n\r\n", {"505", "400"})
    if k == 3:
        m = r.choice([b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS",
                      b"TRACE", b"CONNECT", b"BREW"])
        return ("bad_method", m + b" / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", {"405", "400", "501"})
    if k == 4:
        return ("body", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello",
                {"413", "400"})
    if k == 5:
        return ("chunked", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked"
                b"\r\n\r\n5\r\nhello\r\n0\r\n\r\n", {"413", "400", "501"})
    if k == 6:
        return ("traversal", b"GET " + r.choice(TRAVERSAL).encode()
                + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", {"400", "403", "404"})
    if k == 7:
        return ("nul", b"GET /\0 HTTP/1.1\r\n\r\n", {"400", "404"})
    if k == 8:
        return ("ctl_header", b"GET / HTTP/1.1\r\nX\x01Y: z\r\n\r\n", {"400"})
    if k == 9:
        return ("no_colon", b"GET / HTTP/1.1\r\nNoColonHere\r\n\r\n", {"400"})
    if k == 10:
        return ("obs_fold", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b\r\n  folded\r\n\r\n",
                {"400", "200"})
    if k == 11:
        return ("bare_lf", b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n",
                {"400", "200"})
    if k == 12:
        n = r.randint(2, 6)
        return ("pipelined", b"".join(valid(r) for _ in range(n)), None)
    if k == 13:
        # A name rebound to the server (DNS rebinding): 421 on any
        # route but /healthz, in the Host field or an absolute-form
        # target.
        name = r.choice([b"evil.example", b"127.0.0.1.nip.io",
                         b"localhost.evil", b"attacker", b"EVIL.EXAMPLE"])
        if r.random() < 0.5:
            name += b":%d" % r.randint(1, 65535)
        path = r.choice([b"/", b"/machines", b"/metrics", b"/mac/S000001",
                         b"/installers/os_installer.sh"])
        if r.random() < 0.5:
            req = b"GET " + path + b" HTTP/1.1\r\nHost: " + name + b"\r\n\r\n"
        else:
            req = (b"GET http://" + name + path +
                   b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return ("bad_host", req, {"421"})
    return ("cl_huge", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
            b"99999999999999999999999\r\n\r\n", {"400", "413"})


def statuses(data):
    """The status codes of every answer in data, and whether one was bad.
    Only answers at the start or after a complete previous answer are
    found: bodies are skipped by Content-Length."""
    out = []
    bad = False
    while data:
        if not data.startswith(b"HTTP/1.1 ") or len(data) < 13 or \
                not data[9:12].isdigit() or data[12:13] != b" ":
            bad = True
            break
        code = data[9:12].decode()
        out.append(code)
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        head = data[:end].lower()
        cl = 0
        for line in head.split(b"\r\n"):
            if line.startswith(b"content-length:"):
                try:
                    cl = int(line.split(b":", 1)[1])
                except ValueError:
                    bad = True
        # A HEAD or 304 answer has a Content-Length and no body.
        for nxt in (end + 4 + cl, end + 4):
            rest = data[nxt:]
            if not rest or rest.startswith(b"HTTP/1.1 "):
                break
        else:
            # Not an answer after this one either way: a body cut short
            # is fine (the server may close), anything else is bad.
            if len(data) - (end + 4) >= cl:
                bad = True
            break
        data = rest
    return out, bad


def exchange(port, payload, r):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    try:
        # One write, or several small ones.
        if r.random() < 0.2 and len(payload) > 1:
            i = 0
            while i < len(payload):
                n = r.randint(1, max(1, len(payload) // 3))
                s.sendall(payload[i:i + n])
                i += n
        else:
            s.sendall(payload)
        if r.random() < 0.3:
            s.settimeout(0.05)
            try:
                first = s.recv(65536)
            except socket.timeout:
                first = b""
            s.settimeout(3)
        else:
            first = b""
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        chunks = [first]
        end = time.monotonic() + 3
        while time.monotonic() < end:
            try:
                c = s.recv(65536)
            except socket.timeout:
                return b"".join(chunks), "timeout"
            except ConnectionResetError:
                return b"".join(chunks), "reset"
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks), "closed"
    except (BrokenPipeError, ConnectionResetError):
        return b"", "reset"
    finally:
        s.close()


def healthy(port):
    try:
        data, _ = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                           random.Random(0))
        return data.startswith(b"HTTP/1.1 200 ") and b"\r\n\r\nok" in data
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--seconds", type=float, default=25)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--out")
    a = ap.parse_args()
    a.seconds = min(a.seconds, 900)
    r = random.Random(a.seed)
    S = {"seed": a.seed, "sent": 0, "bytes": 0, "statuses": {}, "kinds": {},
         "no_answer": 0, "timeouts": 0, "resets": 0, "bad_status_line": 0,
         "server_error": 0, "garbage_accepted": 0, "expect_mismatch": 0,
         "leak": 0, "died": 0, "examples": []}
    t0 = time.monotonic()
    for i in range(a.count):
        if time.monotonic() - t0 > a.seconds:
            break
        x = r.random()
        if x < 0.25:
            kind, expect = "random", None
            p = bytes(r.randrange(256) for _ in range(r.randint(1, 600)))
            if r.random() < 0.7:
                p += b"\r\n\r\n"
        elif x < 0.75:
            kind, expect = "mutated", None
            p = mutate(r, valid(r))
        else:
            kind, p, expect = structured(r)
        S["kinds"][kind] = S["kinds"].get(kind, 0) + 1
        try:
            data, how = exchange(a.port, p, r)
        except OSError as e:
            data, how = b"", "connect:" + e.__class__.__name__
        S["sent"] += 1
        S["bytes"] += len(p)
        if how == "timeout":
            S["timeouts"] += 1
        elif how != "closed":
            S["resets"] += 1
        codes, bad = statuses(data)
        if not codes:
            S["no_answer"] += 1
        for c in codes:
            S["statuses"][c] = S["statuses"].get(c, 0) + 1
        problem = None
        if bad:
            S["bad_status_line"] += 1
            problem = "bad_status_line"
        if "500" in codes:
            S["server_error"] += 1
            problem = "server_error"
        if kind == "random" and not p[:4].isalpha() and \
                any(c[0] in "23" for c in codes):
            S["garbage_accepted"] += 1
            problem = "garbage_accepted"
        if expect is not None and codes and codes[0] not in expect:
            S["expect_mismatch"] += 1
            problem = "expect_mismatch %s got %s" % (kind, codes[0])
        if b"root:x:0:0" in data or b"PRIVATE KEY" in data:
            S["leak"] += 1
            problem = "leak"
        if problem and len(S["examples"]) < 10:
            S["examples"].append({"problem": problem, "request":
                                  p[:300].decode("latin-1"), "answer":
                                  data[:200].decode("latin-1")})
        if (i + 1) % 500 == 0 and not healthy(a.port):
            S["died"] += 1
            break
    S["seconds"] = round(time.monotonic() - t0, 2)
    S["healthy_at_end"] = healthy(a.port)
    s = json.dumps(S, sort_keys=True)
    if a.out:
        with open(a.out, "w") as f:
            f.write(s + "\n")
    else:
        print(s)


if __name__ == "__main__":
    main()
