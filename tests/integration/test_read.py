"""test_read -- the read API against the real daemon: graphs, exports, the
sources and series JSON, and parameter validation.

Counts are posted for the two most recent closed-or-open steps, the daemon is
stopped with SIGTERM (which writes every open step) and started again on the
same data directory, and everything is then read back.
"""
import csv
import io
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

from harness import Daemon, Tap, aligned_now, rrd_totals

PLAN = 62


def png_size(body):
    """Width and height from a PNG's IHDR chunk, or None."""
    if body[:8] != b"\x89PNG\r\n\x1a\n" or body[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", body[16:24])


def main():
    t = Tap(PLAN)
    d = Daemon()
    try:
        run(t, d)
    finally:
        d.cleanup()
    with_rrdcached(t)
    t.done()


def with_rrdcached(t):
    """Writes through an rrdcached that holds them for an hour still reach
    the reads and, after shutdown, the files."""
    if shutil.which("rrdcached") is None:
        for _ in range(3):
            print("ok %d # SKIP rrdcached not installed" % (t.n + 1))
            t.n += 1
        return
    tmp = tempfile.mkdtemp(prefix="spamtrend-rrdc-")
    data = os.path.join(tmp, "data")
    os.makedirs(os.path.join(tmp, "journal"))
    os.makedirs(data)
    sock = os.path.join(tmp, "sock")
    pidfile = os.path.join(tmp, "pid")
    subprocess.run(["rrdcached", "-l", "unix:" + sock, "-p", pidfile,
                    "-j", os.path.join(tmp, "journal"), "-w", "3600",
                    "-f", "7200", "-b", data, "-B"], check=True)
    for _ in range(50):
        if os.path.exists(sock):
            break
        time.sleep(0.1)
    d = d2 = None
    try:
        d = Daemon("--rrdcached", "unix:" + sock, data_dir=data)
        now = aligned_now()
        r = d.post_counts({"source": "cached.example.com", "time": now,
                           "interval": 60, "counts": {"spam": 4242}})
        d.write_through(now)
        d.stop()
        d2 = Daemon("--rrdcached", "unix:" + sock, data_dir=data)
        r = d2.get("/export.csv?source=cached.example.com&start=%d&end=%d"
                   "&categories=spam" % (now - 300, now))
        got = sum(int(row[2]) for row in list(csv.reader(
            io.StringIO(r.body.decode())))[1:] if row[2] != "")
        t.eq(got, 4242, "with rrdcached, the export reads what was posted")
        r = d2.get("/graph.png?source=cached.example.com&start=-1h")
        t.eq(r.status, 200, "with rrdcached, graphs render")
        tot = rrd_totals(os.path.join(data, "cached.example.com.rrd"),
                         now - 300, now)
        t.eq(tot.get("spam"), 4242, "after shutdown the file on disk holds "
             "the step (rrdcached was flushed)")
    finally:
        for x in (d, d2):
            if x is not None:
                x.cleanup()
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.05)
        except (OSError, ValueError):
            pass
        shutil.rmtree(tmp, ignore_errors=True)


def post(d, source, when, counts):
    r = d.post_counts({"source": source, "time": when, "interval": 60,
                       "counts": counts})
    return r.status == 202


def run(t, d):
    now = aligned_now()
    posted = {"mx1.example.com": {}, "mx2.example.com": {}}
    steps = [now - 60, now]
    data = {
        "mx1.example.com": [{"spam": 1234, "ham": 56, "virus": 1},
                            {"spam": 999999937, "ham": 0, "rejected": 17}],
        "mx2.example.com": [{"spam": 7, "ham": 300}, {"spam": 0, "ham": 301}],
    }
    accepted_now = True
    for src, rows in data.items():
        for when, counts in zip(steps, rows):
            ok = post(d, src, when, counts)
            if when == now:
                accepted_now = accepted_now and ok
            if ok:
                for k, v in counts.items():
                    posted[src][k] = posted[src].get(k, 0) + v
    t.ok(accepted_now, "counts for the current step are accepted")
    d.write_through(now)
    rc = d.stop()
    t.eq(rc, 0, "SIGTERM stops the daemon cleanly")
    d2 = Daemon(data_dir=d.data_dir)
    try:
        checks(t, d2, now, posted)
    finally:
        d2.cleanup()


def totals_from_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    tot = {h: 0 for h in header[2:] if h != "coverage"}
    for r in rows[1:]:
        for h, v in zip(header[2:], r[2:]):
            if v != "" and h != "coverage":
                tot[h] += int(v)
    return header, rows[1:], tot


def checks(t, d, now, posted):
    start, end = now - 600, now + 60
    mx1 = posted["mx1.example.com"]
    mx2 = posted["mx2.example.com"]

    # CSV export of one source.
    r = d.get("/export.csv?source=mx1.example.com&start=%d&end=%d&step=60"
              "&categories=spam,ham,virus,rejected" % (start, end))
    t.eq(r.status, 200, "export.csv answers 200")
    t.ok((r.header("Content-Type") or "").startswith("text/csv"),
         "export.csv is text/csv", r.header("Content-Type"))
    t.eq(r.header("Content-Disposition"),
         'attachment; filename="spamtrend-mx1.example.com-%d-%d.csv"'
         % (start, end), "Content-Disposition names source and range")
    text = r.body.decode()
    header, rows, tot = totals_from_csv(text)
    t.eq(header, ["time", "iso8601", "spam", "ham", "virus", "rejected", "coverage"],
         "CSV header")
    for cat in ("spam", "ham", "virus", "rejected"):
        t.eq(tot[cat], mx1.get(cat, 0), "CSV %s total equals what was posted"
             % cat)
    times = [int(r_[0]) for r_ in rows]
    t.ok(all(b - a == 60 for a, b in zip(times, times[1:])),
         "one CSV row per step")
    t.ok(times and times[0] > start and times[-1] <= end,
         "rows lie in (start, end]", times[:2])
    t.ok(any(r_[2] == "" for r_ in rows), "steps without data are empty "
         "cells, not zero")
    t.ok(not any(c[:1] in ("=", "+", "@") for r_ in rows for c in r_),
         "no cell can start a formula")
    t.ok(all(r_[1].endswith("Z") and r_[1][:4].isdigit() for r_ in rows),
         "iso8601 column is UTC")

    # The total series is the sum over sources.
    r = d.get("/export.csv?start=%d&end=%d&categories=spam,ham" % (start, end))
    t.eq(r.status, 200, "export.csv of _total")
    _, _, tot = totals_from_csv(r.body.decode())
    t.eq(tot["spam"], mx1.get("spam", 0) + mx2.get("spam", 0),
         "_total spam is the sum over sources")
    t.eq(tot["ham"], mx1.get("ham", 0) + mx2.get("ham", 0),
         "_total ham is the sum over sources")

    # Case variants are the same source.
    r2 = d.get("/export.csv?source=MX1.Example.COM&start=%d&end=%d&step=60"
               "&categories=spam,ham,virus,rejected" % (start, end))
    t.eq(r2.body.decode(), text, "an upper-case source reads the same file")

    # JSON export.
    r = d.get("/export.json?source=mx2.example.com&start=%d&end=%d"
              % (start, end))
    t.eq(r.status, 200, "export.json answers 200")
    t.ok((r.header("Content-Type") or "").startswith("application/json"),
         "export.json is JSON")
    try:
        j = r.json()
    except ValueError as e:
        j = None
        t.ok(False, "export.json parses", e)
    else:
        t.ok(True, "export.json parses")
    if j:
        t.eq(j["source"], "mx2.example.com", "JSON names the source")
        t.eq(j["categories"], ["spam", "ham", "virus", "rejected"],
             "JSON lists the categories")
        jt = sum(row["ham"] or 0 for row in j["rows"])
        t.eq(jt, mx2.get("ham", 0), "JSON ham total equals what was posted")
        t.ok(any(row["spam"] is None for row in j["rows"]),
             "unknown steps are null")
        row = [x for x in j["rows"] if x["time"] == now]
        t.ok(len(row) == 1 and row[0]["iso8601"].endswith("Z"),
             "rows carry time and iso8601", row)
    else:
        for _ in range(5):
            t.ok(False, "export.json rows (no JSON to check)")

    # Series with the previous period.
    r = d.get("/api/v1/series?source=mx1.example.com&start=%d&end=%d"
              "&categories=spam,ham" % (start, end))
    t.eq(r.status, 200, "series answers 200")
    j = r.json()
    t.eq(j["categories"], ["spam", "ham"], "series categories as asked")
    t.eq(j["totals"], {"spam": mx1.get("spam", 0), "ham": mx1.get("ham", 0)},
         "series totals equal what was posted")
    t.eq(j["previous"]["end"], start, "the previous period ends at start")
    t.eq(j["previous"]["start"], start - (end - start),
         "the previous period is as long")
    t.eq(j["change_pct"], {"spam": None, "ham": None},
         "no change is given against an empty period")
    t.eq(sum(row[1] or 0 for row in j["rows"]), mx1.get("spam", 0),
         "series rows add up to the totals")

    r = d.get("/api/v1/series?source=mx2.example.com&start=%d&end=%d"
              "&categories=ham" % (now - 60, now))
    want = 0.3 if mx2.get("ham") == 601 else None
    t.eq(r.json().get("change_pct"), {"ham": want},
         "change against the step before: 300 -> 301 is +0.3%")

    # Sources.
    r = d.get("/api/v1/sources")
    t.eq(r.status, 200, "sources answers 200")
    j = r.json()
    names = [s["name"] for s in j["sources"]]
    t.eq(names, ["mx1.example.com", "mx2.example.com"],
         "sources lists both, sorted, without _total")
    s1 = j["sources"][0] if j["sources"] else {}
    t.eq(s1.get("last_seen"), now, "last_seen is the last step written")
    t.eq(s1.get("stale"), False, "a fresh source is not stale")
    t.eq(s1.get("last_day", {}).get("spam"), mx1.get("spam", 0),
         "last_day counts the posted spam")
    t.ok(0 < s1.get("first_seen", 0) <= now - 60,
         "first_seen is before the first step's end", s1)

    # Graphs.
    r = d.get("/graph.png?source=mx1.example.com&start=-2h&width=500"
              "&height=200")
    t.eq(r.status, 200, "graph.png answers 200")
    t.eq(r.header("Content-Type"), "image/png", "graph.png is image/png")
    t.eq(png_size(r.body), (500, 200), "the PNG is the size asked")
    again = d.get("/graph.png?source=mx1.example.com&start=-2h&width=500"
                  "&height=200")
    t.eq(again.body, r.body, "the same graph asked again is the same image")
    area = [int(x) for x in (r.header("X-Graph-Area") or "0,0,0,0").split(",")]
    t.ok(area[0] > 0 and area[2] > 300 and area[0] + area[2] < 500 and
         area[1] + area[3] < 200, "X-Graph-Area gives the plot area inside the image",
         r.header("X-Graph-Area"))
    t.eq(again.header("X-Graph-Area"), r.header("X-Graph-Area"),
         "a cached graph carries the same plot area")
    rng = [int(x) for x in (r.header("X-Graph-Range") or "0,0").split(",")]
    t.ok(rng[1] - rng[0] >= 7000 and rng[1] - rng[0] <= 7400,
         "X-Graph-Range gives the time span drawn", rng)
    r = d.get("/graph.png?width=5&height=99999")
    t.eq(png_size(r.body), (200, 1000), "sizes are clamped, not refused")
    for q in ("view=stacked&compare=1w", "view=ratio", "compare=1d",
              "start=-1y"):
        r = d.get("/graph.png?source=mx1.example.com&" + q)
        t.ok(r.status == 200 and png_size(r.body) is not None,
             "graph.png with %s" % q, r)
    r = d.get("/graph.svg?start=-1d")
    t.eq(r.header("Content-Type"), "image/svg+xml", "graph.svg is SVG")
    try:
        root = ET.fromstring(r.body)
        t.ok(root.tag.endswith("svg"), "graph.svg is an SVG document")
    except ET.ParseError as e:
        t.ok(False, "graph.svg is an SVG document", e)

    # Unknown sources and bad parameters.
    r = d.get("/graph.png?source=nobody.example.com")
    t.eq((r.status, r.json().get("error")), (404, "unknown_source"),
         "a source without data is a 404")
    bad = [
        ("source=..%2Fetc", "source"),
        ("categories=spam,eggs", "categories"),
        ("start=yesterday", "start"),
        ("end=soon", "end"),
        ("start=%d&end=%d" % (now, now - 60), "start"),
        ("step=0", "step"),
        ("width=wide", "width"),
        ("compare=2d", "compare"),
        ("view=pie", "view"),
        ("drops=2", "drops"),
        ("colour=red", "colour"),
    ]
    results = []
    for q, field in bad:
        for path in ("/graph.png", "/export.csv"):
            r = d.get(path + "?" + q)
            try:
                e = r.json()
            except ValueError:
                e = {}
            results.append((path, q, r.status, e.get("error"),
                            e.get("field"), field))
    wrong = [x for x in results if x[2:5] != (400, "bad_parameter", x[5])]
    t.ok(not wrong, "every bad parameter is a 400 bad_parameter naming the "
         "parameter (%d cases)" % len(results), wrong)
    r = d.get("/export.json?source=a.example&source=b.example")
    t.eq((r.status, r.json().get("field")), (400, "source"),
         "a repeated parameter is refused")
    r = d.get("/api/v1/series?start=-1d&step=1&start=-1y")
    t.eq(r.status, 400, "series validates like the others")


if __name__ == "__main__":
    main()
