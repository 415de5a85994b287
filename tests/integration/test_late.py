"""No count is lost: late reports, a reporter's outage and its spooled
backlog, interval reports over written steps, out-of-order arrival and a
collector restart all end with every count in its own step, _total exact,
and every export row at every resolution summing exactly what was
submitted for it, with the coverage it says.  The daemon's clock is set by
the test, so an hour passes in seconds."""
import csv
import io
import os
import subprocess

from harness import Daemon, Tap, rrd_fetch, rrd_totals

CATS = ("spam", "ham", "virus", "rejected")
STEP = 60
t = Tap(22)

# Yesterday 00:00 UTC: a day row, 24 hour rows and 288 five-minute rows of
# our own, with nothing else in them.
DAY = (int(__import__("time").time()) // 86400 - 1) * 86400


class Sent:
    """What was acknowledged: {(source, step): {category: n}}."""

    def __init__(self):
        self.steps = {}

    def add(self, source, step, counts):
        row = self.steps.setdefault((source, step), {c: 0 for c in CATS})
        for c, n in counts.items():
            row[c] += n

    def sum(self, source, lo, hi):
        """Counts of source (None: every source) in steps (lo, hi]."""
        tot = {c: 0 for c in CATS}
        for (s, st), row in self.steps.items():
            if (source is None or s == source) and lo < st <= hi:
                for c in CATS:
                    tot[c] += row[c]
        return tot

    def covered(self, source, lo, hi):
        """Steps of (lo, hi] that source (None: any source, summed)
        reported."""
        return sum(1 for (s, st) in self.steps
                   if (source is None or s == source) and lo < st <= hi)


sent = Sent()


def counts_for(source, step):
    """A deterministic, different count for every source and minute."""
    k = (step - DAY) // STEP
    h = sum(map(ord, source))
    return {"spam": (k * 7 + h) % 50 + 1, "ham": (k * 3 + h) % 20, "virus": k % 3,
            "rejected": (k + h) % 11}


def post(d, source, step, interval=STEP, counts=None, ident=None):
    counts = counts or counts_for(source, step)
    body = {"source": source, "time": step, "interval": interval, "counts": counts,
            "id": ident or "%s-%d" % (source, step)}
    r = d.post_counts(body)
    if r.status == 202:
        if interval == STEP:
            sent.add(source, step, counts)
    return r


def export(d, source, lo, hi, res):
    r = d.get("/export.csv?source=%s&start=%d&end=%d&step=%d" % (source, lo, hi, res))
    rows = list(csv.reader(io.StringIO(r.body.decode())))
    return r.status, rows[0], rows[1:]


def rows_exact(d, source, lo, hi, res):
    """Every row of the export at res equals what was sent for its span, and
    its coverage is the share of the span reported.  Returns the rows that
    differ."""
    st, head, rows = export(d, source, lo, hi, res)
    bad = []
    if st != 200:
        return ["status %d" % st]
    for r in rows:
        label = int(r[0])
        want = sent.sum(None if source == "_total" else source, label - res, label)
        cov = sent.covered(None if source == "_total" else source, label - res, label)
        got = {c: (int(v) if v != "" else None) for c, v in zip(head[2:-1], r[2:-1])}
        if cov == 0:
            ok = all(v is None for v in got.values()) and float(r[-1] or 0) == 0
        else:
            ok = got == want and abs(float(r[-1]) - cov * STEP / res) < 1e-5
        if not ok:
            bad.append((label, got, want, r[-1], cov * STEP / res))
    return bad


d = Daemon(clock=DAY + 3600)
try:
    # 1. A reporter goes away for ten minutes while another reports on; its
    # spool then sends the backlog, oldest first.
    clock = DAY + 3600
    for k in range(1, 31):
        step = DAY + 3600 + k * STEP
        d.set_clock(step + 5)
        post(d, "steady.example.com", step)
        if k <= 5 or k > 15:
            if k == 16:
                for back in range(6, 16):
                    r = post(d, "away.example.com", DAY + 3600 + back * STEP)
                    if r.status != 202:
                        break
                t.eq(r.status, 202, "a spooled backlog of ten written minutes is accepted")
            post(d, "away.example.com", step)
        if k % 5 == 0:
            d.write_through(step - 3 * STEP)
    end = DAY + 3600 + 30 * STEP
    d.write_through(end)
    f = lambda n: os.path.join(d.data_dir, n + ".rrd")
    names, rows = rrd_fetch(f("away.example.com"), DAY + 3600, end)
    by = {ts: dict(zip(names, v)) for ts, v in rows}
    wrong = [s for s in range(DAY + 3660, end + 1, STEP)
             if round(by[s]["spam"] * STEP) != counts_for("away.example.com", s)["spam"]]
    t.eq(wrong, [], "every minute of the backlog is in its own step")
    t.eq(rrd_totals(f("_total"), DAY + 3600, end),
         sent.sum(None, DAY + 3600, end), "_total holds every count, the backlog's too")
    wrong = []
    for s in range(DAY + 3660, end + 1, STEP):
        names, rows = rrd_fetch(f("_total"), s - STEP, s)
        got = {n: round(v * STEP) for n, v in zip(names, dict(rows)[s])}
        if {c: got[c] for c in CATS} != sent.sum(None, s - STEP, s):
            wrong.append(s)
    t.eq(wrong, [], "and _total holds each minute's counts in that minute")

    # 2. One interval report over five minutes, three of them written.
    d.set_clock(end + 5)
    span = {"spam": 500, "ham": 5, "virus": 0, "rejected": 50}
    r = post(d, "batch.example.com", end, interval=300, counts=span)
    t.eq(r.status, 202, "an interval report over written steps is accepted")
    for i in range(5):
        sent.add("batch.example.com", end - 240 + 60 * i,
                 {c: n // 5 for c, n in span.items()})
    d.write_through(end + STEP)
    names, rows = rrd_fetch(f("batch.example.com"), end - 300, end)
    t.eq([round(dict(zip(names, v))["spam"] * STEP) for _, v in rows[:5]], [100] * 5,
         "it is spread exactly over its five steps")

    # 3. Out of order: the current minute first, then the minute before.
    s1, s2 = end + 2 * STEP, end + 3 * STEP
    d.set_clock(s2 + 5)
    post(d, "order.example.com", s2)
    d.write_through(s2 + STEP)
    r = post(d, "order.example.com", s1)
    d.write_through(s2 + STEP)
    names, rows = rrd_fetch(f("order.example.com"), s1 - STEP, s2)
    by = {ts: dict(zip(names, v)) for ts, v in rows}
    t.ok(r.status == 202 and
         round(by[s1]["spam"] * STEP) == counts_for("order.example.com", s1)["spam"] and
         round(by[s2]["spam"] * STEP) == counts_for("order.example.com", s2)["spam"] and
         by[s1]["_cov"] == 1.0,
         "a minute older than its file's last update is patched into its own step",
         (by.get(s1), by.get(s2)))

    m = d.metrics()
    t.ok(m.get("spamtrend_submissions_late_total", 0) >= 10 and
         m.get("spamtrend_flush_late_points_total", 0) >= 10,
         "late submissions and the points patched are counted", m)

    # 4. A restart while reporters keep reporting: what they sent while the
    # collector was down comes in afterwards, and open steps were not written.
    s3 = d.now() // STEP * STEP + STEP
    post(d, "steady.example.com", s3)
    t.eq(d.stop(), 0, "a stop with an open step is clean")
    names, rows = rrd_fetch(f("steady.example.com"), s3 - STEP, s3)
    t.ok(dict(rows).get(s3, [None])[0] is None or dict(rows)[s3][-1] == 0,
         "a stop does not write a step that is not due")
    d.start()
    for k in range(1, 4):
        r = post(d, "away.example.com", s3 + k * STEP - STEP)
    r2 = post(d, "steady.example.com", s3, ident="steady.example.com-%d" % s3)
    t.ok(r.status == 202 and r2.status == 200,
         "after the restart the reporters' spooled minutes are taken, and a repeat "
         "is known", (r, r2))
    final = s3 + 3 * STEP
    d.write_through(final)

    # 5. Exports: every row at every resolution is exact, gaps included.
    lo, hi = DAY, DAY + 86400
    for src in ("away.example.com", "steady.example.com", "batch.example.com", "_total"):
        for res in (60, 300, 3600, 86400):
            bad = rows_exact(d, src, lo if res != 60 else DAY + 3000,
                             hi if res != 60 else final + 600, res)
            if bad:
                break
        t.eq(bad, [], "%s: every export row at 60, 300, 3600 and 86400 s is exact, with "
             "its coverage" % src)
    st, head, rows = export(d, "away.example.com", DAY, DAY + 86400, 3600)
    hour = [r for r in rows if int(r[0]) == DAY + 7200][0]
    want = sent.sum("away.example.com", DAY + 3600, DAY + 7200)
    t.ok(int(hour[2]) == want["spam"] and
         abs(float(hour[-1]) - sent.covered("away.example.com", DAY + 3600,
                                            DAY + 7200) / 60) < 1e-5,
         "an hour reported in part sums its counts exactly and says how much was "
         "covered (not scaled up, not empty)", hour)
    r = d.get("/export.json?source=_total&start=%d&end=%d&step=86400" % (lo, hi))
    js = r.json()
    day = [row for row in js["rows"] if row["time"] == hi][0]
    t.ok(day["spam"] == sent.sum(None, lo, hi)["spam"] and
         js["complete_through"] >= final - 86400,
         "/export.json: the day row of _total is exact, complete_through is given",
         (day, sent.sum(None, lo, hi)))
    # 6. Nothing that can be placed is refused; what cannot be is, clearly.
    r = post(d, "away.example.com", d.now() - 2 * 86400 + 600)
    t.eq(r.status, 202, "a count almost two days late is still taken")
    r = post(d, "away.example.com", d.now() - 2 * 86400 - 600)
    t.ok(r.status == 422 and r.json()["error"] == "time_too_old",
         "a count older than two days is refused as too old", r)
finally:
    d.cleanup()

# 7. A data directory of the earlier layout (no coverage, gaps unknown) is
# brought up to date as it is written, and takes late counts.
base = DAY + 7200
d = Daemon(wait=False, clock=base - 200)
try:
    os.makedirs(d.data_dir)
    old = os.path.join(d.data_dir, "old.example.com.rrd")
    subprocess.run(["rrdtool", "create", old, "--start", str(base - 600), "--step", "60"] +
                   ["DS:%s:GAUGE:120:0:U" % c for c in CATS] +
                   ["RRA:AVERAGE:0.5:1:2880", "RRA:AVERAGE:0.5:5:4032",
                    "RRA:AVERAGE:0.5:60:9480", "RRA:AVERAGE:0.5:1440:3660",
                    "RRA:MAX:0.5:5:4032", "RRA:MAX:0.5:60:9480",
                    "RRA:MAX:0.5:1440:3660"], check=True)
    subprocess.run(["rrdtool", "update", old, "%d:1:0:0:0" % (base - 300),
                    "%d:2:0:0:0" % (base - 240)], check=True)
    d.start()
    d.set_clock(base + 5)
    r1 = d.post_counts({"source": "old.example.com", "time": base, "counts": {"spam": 60}})
    d.write_through(base)
    r2 = d.post_counts({"source": "old.example.com", "time": base - 60,
                        "counts": {"spam": 120}})
    d.write_through(base)
    info = subprocess.run(["rrdtool", "info", old], capture_output=True, text=True).stdout
    names, rows = rrd_fetch(old, base - 360, base)
    by = {ts: dict(zip(names, v)) for ts, v in rows}
    t.ok(r1.status == 202 and "ds[_cov].type" in info and
         "ds[spam].minimal_heartbeat = 316224000" in info,
         "an older file gains the coverage data source and the long heartbeat", info[:300])
    t.ok(round(by[base - 240]["spam"] * 60) == 120 and round(by[base]["spam"] * 60) == 60 and
         round(by[base - 60]["spam"] * 60) == 120,
         "its history is kept, and new and late counts land in their steps",
         {k: v.get("spam") for k, v in by.items()})
    t.ok("brought up to the current layout" in d.logs(), "the upgrade is logged")
finally:
    d.cleanup()
t.done()
