"""The ingest path end to end: POST (plain, gzip, single, batch, in and out
of order, spread over steps, late), the writer, then the stock rrdtool reads
back exactly what was submitted, per source and in _total.  The daemon's
clock is set by the test, so nothing waits for a minute boundary."""
import json
import os
import subprocess
import time

from harness import Daemon, Tap, aligned_now, rrd_fetch, rrd_totals

t = Tap(29)
d = Daemon()
try:
    T = aligned_now() + 60
    d.set_clock(T - 30)
    s1, s2, s3, s4 = T - 120, T - 60, T, T

    def sub(source, label, counts, interval=60, **kw):
        b = {"source": source, "time": label, "interval": interval, "counts": counts}
        b.update(kw)
        return b

    r = d.post_counts(sub("mx1.example.com", s2, {"spam": 120, "ham": 300, "virus": 1,
                                                   "rejected": 900}))
    t.eq(r.status, 202, "a single submission is accepted with 202")
    t.eq(r.json(), {"accepted": 1, "duplicates": 0}, "the answer counts what was accepted")
    t.eq(r.header("Content-Type"), "application/json", "answers are JSON")

    # Out of order: an earlier step after a later one still counts.
    r = d.post_counts(sub("mx1.example.com", s1, {"spam": 10}))
    t.eq(r.status, 202, "an out-of-order submission inside the window is accepted")

    # gzip body.
    r = d.post_counts(sub("MX2.Example.COM.", s2, {"spam": 7, "virus": 2}), gz=True)
    t.eq(r.status, 202, "a gzip body is accepted")

    # A batch of three.
    batch = [sub("mx3.example.com", s1, {"spam": 1}),
             sub("mx3.example.com", s2, {"spam": 2}),
             sub("mx2.example.com", s3, {"ham": 5})]
    r = d.post_counts(batch)
    t.eq((r.status, r.json()), (202, {"accepted": 3, "duplicates": 0}),
         "a batch is accepted and counted")

    # gzip batch.
    r = d.post_counts([sub("mx4.example.com", s1, {"rejected": 4})], gz=True)
    t.eq(r.status, 202, "a gzip batch is accepted")

    # 121 messages over two whole steps: 60 and 61.
    r = d.post_counts(sub("spread.example.com", s3, {"spam": 121}, interval=120))
    t.eq(r.status, 202, "a two-step interval is accepted")

    # A live source that counted nothing writes zeros; a gap stays unknown.
    r = d.post_counts(sub("quiet.example.com", s1, {}))
    t.eq(r.status, 202, "an empty counts object is accepted")
    r = d.post_counts(sub("quiet.example.com", s3, {"spam": 3}))
    t.eq(r.status, 202, "a later step of the same source is accepted")

    d.write_through(s4)
    t.eq(d.stop(), 0, "SIGTERM after the steps were written exits 0")

    f = lambda name: os.path.join(d.data_dir, name + ".rrd")
    info = subprocess.run(["rrdtool", "info", f("mx1.example.com")], capture_output=True,
                          text=True).stdout
    t.ok("step = 60" in info, "the RRD step is 60 s", info[:400])
    for cat in ("spam", "ham", "virus", "rejected", "_cov"):
        if "ds[%s].type = \"GAUGE\"" % cat not in info:
            break
    else:
        cat = None
    t.ok(cat is None, "one data source per category, and the coverage", info[:2000])
    rras = {}
    for line in info.splitlines():
        if ".pdp_per_row" in line:
            i = line.split("[")[1].split("]")[0]
            rras.setdefault(i, {})["pdp"] = int(line.split("=")[1])
        elif ".rows" in line and line.startswith("rra["):
            i = line.split("[")[1].split("]")[0]
            rras.setdefault(i, {})["rows"] = int(line.split("=")[1])
        elif ".cf" in line and line.startswith("rra["):
            i = line.split("[")[1].split("]")[0]
            rras.setdefault(i, {})["cf"] = line.split("=")[1].strip().strip('"')
    spans = {(v["cf"], v["pdp"]): v["pdp"] * 60 * v["rows"] for v in rras.values()}
    t.ok(spans.get(("AVERAGE", 1), 0) >= 2 * 86400 and
         spans.get(("AVERAGE", 5), 0) >= 14 * 86400 and
         spans.get(("AVERAGE", 60), 0) >= 395 * 86400 and
         spans.get(("AVERAGE", 1440), 0) >= 3650 * 86400 and
         spans.get(("MAX", 1440), 0) >= 3650 * 86400,
         "retention: 1 min for 2 days, 5 min for 2 weeks, 1 h for 13 months, "
         "1 day for 10 years", spans)

    lo, hi = s1 - 300, s4 + 300
    t.eq(rrd_totals(f("mx1.example.com"), lo, hi),
         {"spam": 130, "ham": 300, "virus": 1, "rejected": 900},
         "mx1: rrdtool fetch gives back exactly what was submitted")
    t.eq(rrd_totals(f("mx2.example.com"), lo, hi),
         {"spam": 7, "ham": 5, "virus": 2, "rejected": 0},
         "mx2: names are normalised (case, trailing dot) and summed")
    t.eq(rrd_totals(f("mx3.example.com"), lo, hi)["spam"], 3, "mx3: batch totals exact")
    t.eq(rrd_totals(f("mx4.example.com"), lo, hi)["rejected"], 4, "mx4: gzip batch exact")
    names, rows = rrd_fetch(f("spread.example.com"), lo, hi)
    per_step = {ts: round(v[0] * 60) for ts, v in rows if v[0] is not None}
    t.eq((per_step.get(s2), per_step.get(s3)), (60, 61),
         "121 over two steps is stored as 60 and 61")
    names, rows = rrd_fetch(f("quiet.example.com"), lo, hi)
    by = {ts: v for ts, v in rows}
    t.ok(by.get(s1) == [0.0, 0.0, 0.0, 0.0, 1.0],
         "a live source with nothing counted stores zeros, fully covered", by.get(s1))
    t.ok(by.get(s2) == [0.0, 0.0, 0.0, 0.0, 0.0],
         "a step without a report is stored as zeros covered by nothing", by.get(s2))
    t.ok(by.get(s3, [0])[0] is not None and round(by[s3][0] * 60) == 3,
         "the step after the gap holds its count", by.get(s3))
    total = rrd_totals(f("_total"), lo, hi, coverage=True)
    cov = total.pop("_cov")
    t.eq(total, {"spam": 130 + 7 + 3 + 121 + 3, "ham": 305, "virus": 3, "rejected": 904},
         "_total is exactly the sum over all sources")
    t.eq(cov, 60 * 11, "_total's coverage adds up the source-steps reported (11)")
    t.ok(not [n for n in os.listdir(d.data_dir) if n.endswith(".rrd") and
              n not in ("mx1.example.com.rrd", "mx2.example.com.rrd", "mx3.example.com.rrd",
                        "mx4.example.com.rrd", "spread.example.com.rrd",
                        "quiet.example.com.rrd", "_total.rrd")],
         "no other files were created", os.listdir(d.data_dir))

    # A restart keeps the data; a late count still lands in its own step.
    d.start()
    r = d.post_counts(sub("mx1.example.com", s1, {"spam": 1}))
    t.eq(r.status, 202, "after a restart, a count for a written step is accepted")
    d.write_through(s4)
    d.stop()
    names, rows = rrd_fetch(f("mx1.example.com"), lo, hi)
    by = {ts: v for ts, v in rows}
    t.ok(by.get(s1) and round(by[s1][0] * 60) == 11,
         "and is added to that step (10 + 1)", by.get(s1))
    t.eq(rrd_totals(f("_total"), lo, hi)["spam"], 130 + 7 + 3 + 121 + 3 + 1,
         "and to _total")
    d.start()
    old = T - 3 * 86400
    r = d.post_counts(sub("mx1.example.com", old, {"spam": 1}))
    t.ok(r.status == 422 and r.json().get("error") == "time_too_old" and
         r.json().get("field") == "time",
         "a count older than the finest archive is refused with 422 time_too_old",
         r.json())
finally:
    d.cleanup()
t.done()
