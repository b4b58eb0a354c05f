#!/usr/bin/python3
"""conns.py - HTTP clients that hurt a server on 127.0.0.1, for the
failure tests of machttp. Each mode prints one JSON summary on stdout (or
--out) when done; --ready FILE is written once its connections are open.

    conns.py idle --port P --n N --hold S [--until-closed K]
        N connections that never send a byte, held S seconds, or until
        the server has closed K of them: how many opened, how many the
        server answered (by status) or closed, and after how long.
    conns.py slowloris --port P --n N --hold S [--interval I]
                                             [--until-closed K]
        N connections that send a request line, then one byte of a header
        field every I seconds, never ending the head: when the server
        answered (status) and cut each one, seconds after it opened, the
        fewest header bytes one of them sent, and the longest it had been
        quiet when it was cut (a timer that each byte restarted would
        leave at least the timeout).
    conns.py load --port P --conc C --seconds S [--path P]...
        C keep-alive clients requesting the paths in turn for S seconds
        (or until SIGTERM): statuses, errors, latencies.

Only 127.0.0.1. Bounded: every mode ends by itself.
"""
import argparse
import json
import os
import selectors
import signal
import socket
import sys
import threading
import time


def q(v, p):
    if not v:
        return None
    v = sorted(v)
    return round(v[min(len(v) - 1, int(p * len(v)))], 3)


def status_of(data):
    # b"HTTP/1.1 503 Service Unavailable\r\n..."
    try:
        return data.split(b" ", 2)[1].decode()
    except Exception:
        return "garbage"


def ready(a, extra=""):
    if a.ready:
        with open(a.ready + ".tmp", "w") as f:
            f.write(extra)
        os.rename(a.ready + ".tmp", a.ready)


def out(a, d):
    s = json.dumps(d, sort_keys=True)
    if a.out:
        with open(a.out + ".tmp", "w") as f:
            f.write(s + "\n")
        os.rename(a.out + ".tmp", a.out)
    else:
        print(s)


def connect(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s


def watch(socks, opened, hold, on_tick=None, tick=None, until=None):
    """Wait up to hold seconds (or until the server closed `until` of
    them) for the server to answer or close each socket. Returns {fd:
    [status or None, eof_after or None, reset, eof_at or None]}."""
    sel = selectors.DefaultSelector()
    res = {}
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
        res[s.fileno()] = [None, None, False, None]
    end = time.monotonic() + hold
    next_tick = time.monotonic() + tick if tick else None
    live = len(socks)
    closed = 0
    while live > 0 and (until is None or closed < until):
        now = time.monotonic()
        if now >= end:
            break
        wait = end - now
        if next_tick is not None:
            if now >= next_tick:
                on_tick(sel)
                next_tick += tick
            wait = min(wait, max(0, next_tick - now))
        for key, _ in sel.select(timeout=wait):
            s = key.fileobj
            r = res[s.fileno()]
            try:
                data = s.recv(65536)
            except (ConnectionResetError, OSError):
                data = b""
                r[2] = True
            if data:
                if r[0] is None:
                    r[0] = status_of(data)
                continue
            r[3] = time.monotonic()
            r[1] = r[3] - opened[s.fileno()]
            sel.unregister(s)
            live -= 1
            closed += 1
    return res


def summary(a, n_open, failed, res, t_open):
    statuses = {}
    eof = []
    resets = 0
    for st, after, reset, _ in res.values():
        if st is not None:
            statuses[st] = statuses.get(st, 0) + 1
        if after is not None:
            eof.append(after)
        resets += reset
    return {
        "mode": a.mode, "asked": a.n, "opened": n_open,
        "connect_failed": failed, "open_seconds": round(t_open, 3),
        "statuses": statuses, "closed_by_server": len(eof),
        "still_open": n_open - len(eof), "resets": resets,
        "closed_after_min": q(eof, 0), "closed_after_median": q(eof, 0.5),
        "closed_after_max": q(eof, 1),
    }


def open_many(a):
    socks, opened, failed = [], {}, 0
    t0 = time.monotonic()
    for _ in range(a.n):
        try:
            s = connect(a.port)
        except OSError:
            failed += 1
            continue
        socks.append(s)
        opened[s.fileno()] = time.monotonic()
    return socks, opened, failed, time.monotonic() - t0


def idle(a):
    socks, opened, failed, t = open_many(a)
    ready(a, "%d\n" % len(socks))
    res = watch(socks, opened, a.hold, until=a.until_closed)
    out(a, summary(a, len(socks), failed, res, t))


def slowloris(a):
    socks, opened, failed, t = open_many(a)
    dead = set()
    for s in socks:
        try:
            s.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        except OSError:
            dead.add(s.fileno())
    ready(a, "%d\n" % len(socks))
    sent = [0]
    per = {s.fileno(): 0 for s in socks}
    last = {s.fileno(): opened[s.fileno()] for s in socks}

    def tick(sel):
        for key in list(sel.get_map().values()):
            try:
                key.fileobj.send(b"a")
                sent[0] += 1
                per[key.fileobj.fileno()] += 1
                last[key.fileobj.fileno()] = time.monotonic()
            except OSError:
                pass
    res = watch(socks, opened, a.hold, tick, a.interval, a.until_closed)
    d = summary(a, len(socks), failed, res, t)
    d["header_bytes_sent"] = sent[0]
    d["min_header_bytes"] = min(per.values()) if per else 0
    quiet = [r[3] - last[fd] for fd, r in res.items() if r[3] is not None]
    d["max_quiet_before_close"] = round(max(quiet), 3) if quiet else None
    out(a, d)


def load(a):
    import http.client
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *x: stop.set())
    lock = threading.Lock()
    st = {"statuses": {}, "errors": 0, "requests": 0, "lat": []}

    def worker(k):
        c = None
        i = k
        while not stop.is_set():
            path = a.path[i % len(a.path)]
            i += 1
            t0 = time.monotonic()
            try:
                if c is None:
                    c = http.client.HTTPConnection("127.0.0.1", a.port,
                                                   timeout=5)
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                code = str(r.status)
                if r.getheader("Connection", "").lower() == "close":
                    c.close()
                    c = None
            except Exception:
                code = None
                if c is not None:
                    c.close()
                c = None
                time.sleep(0.01)
            dt = time.monotonic() - t0
            with lock:
                st["requests"] += 1
                if code is None:
                    st["errors"] += 1
                else:
                    st["statuses"][code] = st["statuses"].get(code, 0) + 1
                    st["lat"].append(dt)
                    st["last_answer_epoch"] = time.time()
    ts = [threading.Thread(target=worker, args=(k,), daemon=True)
          for k in range(a.conc)]
    for t in ts:
        t.start()
    ready(a)
    stop.wait(a.seconds)
    stop.set()
    for t in ts:
        t.join(6)
    lat = st.pop("lat")
    st["latency_p50"] = q(lat, 0.5)
    st["latency_p99"] = q(lat, 0.99)
    st["latency_max"] = q(lat, 1)
    out(a, st)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["idle", "slowloris", "load"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--hold", type=float, default=10)
    ap.add_argument("--interval", type=float, default=1)
    ap.add_argument("--conc", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--path", action="append")
    ap.add_argument("--until-closed", type=int)
    ap.add_argument("--ready")
    ap.add_argument("--out")
    a = ap.parse_args()
    a.path = a.path or ["/healthz"]
    if a.hold > 120 or a.seconds > 120:
        sys.exit("conns.py: at most 120 seconds")
    {"idle": idle, "slowloris": slowloris, "load": load}[a.mode](a)


if __name__ == "__main__":
    main()
