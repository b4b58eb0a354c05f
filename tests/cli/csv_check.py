#!/usr/bin/env python3
"""csv_check.py CSV JSON HEADER: read CSV (macstore latest -c) with
Python's csv module and compare it with JSON (macstore latest, one record
a line), cell for cell, as csv.h says: the columns of HEADER's first
line, a text cell a spreadsheet would run prefixed with a single quote,
numbers as numbers, booleans true/false, arrays joined by a space, absent
fields empty. Prints one line per difference; exits 1 if any."""
import csv
import io
import json
import sys

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def expect(rec, col):
    if col == "name":
        for k in ("computer_name", "hostname", "host"):
            if isinstance(rec.get(k), str) and rec[k]:
                return text(rec[k])
        return ""
    v = rec.get(col)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v) if isinstance(v, float) else str(v)
    if isinstance(v, list):
        return text(" ".join(x for x in v if isinstance(x, str)))
    if isinstance(v, str):
        return text(v)
    return ""


def text(s):
    return "'" + s if s[:1] in FORMULA else s


def main():
    raw = open(sys.argv[1], "rb").read()
    bad = []
    if b"\r\n" not in raw:
        bad.append("rows are not ended by CRLF")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
    with open(sys.argv[3], newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    if rows[0] != header:
        bad.append("header: %r" % rows[0])
    if len(rows) - 1 != len(recs):
        bad.append("%d rows for %d machines" % (len(rows) - 1, len(recs)))
    for row, rec in zip(rows[1:], recs):
        if len(row) != len(header):
            bad.append("%s: %d cells" % (rec.get("id"), len(row)))
            continue
        for col, cell in zip(header, row):
            want = expect(rec, col)
            if cell != want:
                bad.append("%s: %s: %r, not %r" % (rec.get("id"), col,
                                                   cell, want))
            if cell[:1] in FORMULA and not (cell[:1] == "-" and
                                            isinstance(rec.get(col),
                                                       (int, float))):
                bad.append("%s: %s: a formula: %r" % (rec.get("id"), col,
                                                      cell))
    for b in bad:
        print(b)
    print("%d rows, %d columns checked" % (len(rows) - 1, len(header)))
    return 1 if bad else 0


sys.exit(main())
