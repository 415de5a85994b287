"""Change detection end to end, through the real daemon.

The McColo replay's data is generated and imported: the daemon must find the
11 November 2008 fall once on both sources and on _total (start within an
hour, size within 3 points), nothing else but the learning of the new
sources, and the same numbers whatever range is asked.  A second data
directory is imported from hourly CSVs: a fall that comes back (ended, its
return drawn on the graph), and a sum of three reporters whose biggest is
silent for a day (an outage, not a fall)."""
import calendar
import csv
import io
import json
import math
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader

from harness import SPAMTRENDD, SRCDIR, Daemon, Tap

FIELDS = ("source", "category", "kind", "state", "start", "start_iso8601",
          "confirmed", "confirmed_iso8601", "end", "end_iso8601", "return",
          "return_iso8601", "baseline", "level", "change_pct", "recovered_pct",
          "threshold_pct")


def load_replay():
    path = os.path.join(SRCDIR, "scripts", "replay-mccolo")
    loader = SourceFileLoader("replay_mccolo", path)
    mod = module_from_spec(spec_from_loader("replay_mccolo", loader))
    loader.exec_module(mod)
    return mod


def export_totals(d, source, start, end):
    """Sum of each category's counts in the hourly CSV export of (start, end]."""
    r = d.get("/export.csv?source=%s&start=%d&end=%d&step=3600" % (source, start, end))
    rows = list(csv.reader(io.StringIO(r.body.decode())))
    head = rows[0]
    cats = [c for c in head[2:] if c != "coverage"]
    tot = {c: 0 for c in cats}
    for row in rows[1:]:
        for c, v in zip(head[2:], row[2:]):
            if c in tot and v != "":
                tot[c] += int(v)
    return r.status, tot, len(rows) - 1


def drops(d, query):
    r = d.get("/api/v1/drops?" + query)
    return r.status, (r.json() if r.status == 200 else r.body)


def shifts(found, category=None):
    """The falls and rises (not learning, outages or coverage) of a list."""
    return [f for f in found if f["kind"] in ("fall", "rise") and
            (category is None or f["category"] == category)]


def drop_rules(d, query):
    """How many more black vertical rules the SVG graph has with drops drawn
    than without (librrd draws a drop's mark as a black VRULE)."""
    n = []
    for extra in ("", "&drops=0"):
        r = d.get("/graph.svg?" + query + extra)
        if r.status != 200:
            return -1
        n.append(len(re.findall(rb'stroke:rgb\(0%,0%,0%\);[^"]*" d="M ([0-9.]+) [0-9.]+ '
                                rb'L \1 [0-9.]+ "', r.body)))
    return n[0] - n[1]


def hourly_csv(path, start, hours, volume, seed, shape=None, coverage=False):
    """Write an hourly CSV of spam and ham (daily and weekly cycles, noise).

    shape(t) gives the share of normal volume at hour t, or None for an
    hour that was not reported (empty cells)."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write("time,iso8601,spam,ham,virus,rejected%s\n" %
                (",coverage" if coverage else ""))
        for i in range(hours):
            t = start + i * 3600
            share = 1.0 if shape is None else shape(t)
            end = t + 3600
            iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end))
            if share is None:
                f.write("%d,%s,,,,%s\n" % (end, iso, ",0" if coverage else ""))
                continue
            tm = time.gmtime(t)
            day = 1.0 + 0.15 * math.sin(2 * math.pi * (tm.tm_hour - 9) / 24.0)
            week = 0.85 if tm.tm_wday >= 5 else 1.0
            spam = volume * day * week * share * math.exp(rng.gauss(0, 0.06))
            ham = volume * 0.3 * day * week * math.exp(rng.gauss(0, 0.06))
            f.write("%d,%s,%d,%d,0,%d%s\n" % (end, iso, round(spam), round(ham),
                                               round(spam * 2),
                                               ",1" if coverage else ""))


def import_csvs(data_dir, files):
    cmd = [SPAMTRENDD, "import", "--data-dir", data_dir]
    for name, path in files:
        cmd += ["--source", name, path]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


rp = load_replay()
t = Tap(42)
tmp = tempfile.mkdtemp(prefix="spamtrend-drops-")
d = d2 = d3 = None
try:
    data_dir = os.path.join(tmp, "data")
    out = rp.import_dataset(SPAMTRENDD, data_dir, tmp)
    t.ok("_total: 132480 steps added" in out, "the replay's two sources are imported", out)
    d = Daemon(data_dir=data_dir)
    rng = "start=2008-10-01&end=2009-01-01"
    fall = rp.FALL_TIME

    findings = {}
    for name in list(rp.SOURCES) + ["_total"]:
        st, body = drops(d, "source=%s&category=spam&%s" % (name, rng))
        findings[name] = body if st == 200 else []
        t.eq(st, 200, "drops of %s answer 200" % name)
    for name, pct in rp.FALLS.items():
        falls = [f for f in shifts(findings[name]) if f["kind"] == "fall"]
        t.eq(len(falls), 1, "one spam fall found for %s" % name)
        f = falls[0] if falls else {"start": 0, "change_pct": 0}
        t.ok(abs(f["start"] - fall) <= 3600, "%s: the fall starts within an hour of "
             "2008-11-11 21:00 UTC" % name, f)
        t.ok(abs(f["change_pct"] - pct) <= 3.0, "%s: change %.1f%% is within 3 points "
             "of the generated %.1f%%" % (name, f["change_pct"], pct), f)
    # _total: the two sources' spam weighted by volume.
    left = sum(v[0] * v[3] for v in rp.SOURCES.values()) / sum(v[0] for v in rp.SOURCES.values())
    tf = shifts(findings["_total"])
    t.ok(len(tf) == 1 and tf[0]["kind"] == "fall" and
         abs(tf[0]["change_pct"] - (left - 1) * 100) <= 3.0 and
         abs(tf[0]["start"] - fall) <= 3600,
         "_total's fall is the volume-weighted fall of both", tf)
    f = tf[0] if tf else {}
    t.ok(all(k in f for k in FIELDS), "a finding has %s" % ", ".join(FIELDS),
         sorted(set(FIELDS) - set(f)))
    t.ok(f.get("baseline", 0) > f.get("level", 0) > 0 and f.get("start", 1) % 3600 == 0,
         "baseline above level, start on the hour", f)
    t.ok(f.get("confirmed", 0) - f.get("start", 0) == 8 * 3600,
         "it was sure of it 8 hours after the start", f)
    t.ok(f.get("state") == "settled" and f.get("end") == f.get("start", 0) + 28 * 86400
         and f.get("return") is None,
         "four weeks on, never back, it settled: the new normal", f)
    t.ok(f.get("recovered_pct") is not None and 15 <= f["recovered_pct"] <= 60,
         "a partial recovery is measured", f)
    t.ok(f.get("threshold_pct") is not None and -30 <= f["threshold_pct"] <= -20,
         "the smallest fall this series could show is 20 to 30 %", f)

    # Every category of every source: no other fall or rise; the new
    # sources were learnt for three to six days from their first data.
    others, learning = [], []
    for name in list(rp.SOURCES) + ["_total"]:
        st, body = drops(d, "source=%s&%s" % (name, rng))
        for g in body:
            if g["kind"] == "learning":
                learning.append(g)
            elif not (g["kind"] == "fall" and g["category"] in ("spam", "rejected")
                      and abs(g["start"] - fall) <= 3600):
                others.append(g)
    t.eq(others, [], "nothing else: no other fall, no rise, nothing in ham or virus")
    t.ok(len(learning) == 12 and all(
        g["start"] == rp.START and g["state"] == "ended" and
        3 * 86400 <= g["end"] - g["start"] <= 6 * 86400 and g["change_pct"] is None
        for g in learning),
        "each new series was learning for three to six days from 2008-10-01",
        learning[:2])

    # The same finding whatever range is asked.
    ranges = ["start=2008-11-11&end=2008-11-12", "start=2008-11-01&end=2008-11-30",
              "start=2008-10-01&end=2009-01-01", "start=2008-11-11T21:00&end=2008-11-11T22:00",
              "start=2008-12-01&end=2008-12-31"]
    seen = []
    for q in ranges:
        st, body = drops(d, "source=_total&category=spam&" + q)
        seen.append([g for g in body if g["kind"] == "fall"] if st == 200 else body)
    t.ok(all(s == seen[0] for s in seen) and len(seen[0]) == 1,
         "the fall is listed the same, to the digit, for every range that holds it",
         [s[0].get("change_pct") if s else None for s in seen])
    st, body = drops(d, "source=_total&category=spam&start=2008-12-20&end=2009-01-01")
    t.ok(st == 200 and shifts(body) == [],
         "a range after it settled does not list it", body)

    # The graph marks the fall (one rule: it has not come back).
    n = drop_rules(d, "source=_total&categories=spam&" + rng)
    t.eq(n, 1, "the graph marks the fall with one rule")

    # /api/v1/series: the week after against the week before, as the CSV says.
    name = "senderbase.example.net"
    week = 7 * 86400
    r = d.get("/api/v1/series?source=%s&categories=spam&start=%d&end=%d&step=3600"
              % (name, fall, fall + week))
    t.eq(r.status, 200, "the series of the week after the fall answers 200")
    js = r.json() if r.status == 200 else {}
    st1, after, n1 = export_totals(d, name, fall, fall + week)
    st2, before, n2 = export_totals(d, name, fall - week, fall)
    t.ok(st1 == 200 and st2 == 200 and n1 == n2 == 168,
         "the hourly export has 168 rows per week", (st1, st2, n1, n2))
    t.eq(js.get("totals", {}).get("spam"), after["spam"],
         "the series total equals the export's total for the week after")
    t.eq(js.get("previous", {}).get("totals", {}).get("spam"), before["spam"],
         "and for the week before")
    want = round(100.0 * (after["spam"] - before["spam"]) / before["spam"], 1)
    t.ok(abs(js.get("change_pct", {}).get("spam", 1e9) - want) < 0.051,
         "series change_pct %s agrees with the export totals (%.1f)" %
         (js.get("change_pct", {}).get("spam"), want))
    gen = rp.generate(name)
    g_after = sum(row[1] for row in gen if fall < row[0] <= fall + week)
    t.eq(after["spam"], g_after, "the exported week equals the generated counts")

    # Parameters.
    r = d.get("/api/v1/drops")
    t.ok(r.status == 200 and r.json() == [], "the default range (last 90 days) "
         "holds no 2008 finding", r)
    r = d.get("/api/v1/drops?start=yesterdayish")
    t.ok(r.status == 400 and r.json().get("field") == "start" and "detail" in r.json(),
         "a bad start is a 400 naming the field", r)
    r = d.get("/api/v1/drops?category=eggs")
    t.ok(r.status == 400 and r.json().get("field") in ("categories", "category"),
         "an unknown category is a 400", r)
    r = d.get("/api/v1/drops?source=nowhere.example.org&%s" % rng)
    t.eq(r.status, 404, "an unknown source is a 404")
    d.cleanup()
    d = None

    # A second directory from hourly CSVs: ten weeks from a Monday.
    start = calendar.timegm((2011, 1, 3, 0, 0, 0))
    hours = 10 * 168
    back_fall = start + 7 * 168 * 3600 + 14 * 3600          # week 8, Monday 14:00
    back_ret = back_fall + 5 * 86400
    silent = start + 8 * 168 * 3600 + 2 * 86400              # week 9, Wednesday
    data2 = os.path.join(tmp, "data2")
    files = []

    def comes_back(ts):
        return 0.5 if back_fall <= ts < back_ret else 1.0

    def away_a_day(ts):
        return None if silent <= ts < silent + 86400 else 1.0

    for name, volume, shape in (("back.example.net", 20000, comes_back),
                                ("big.example.net", 30000, away_a_day),
                                ("mid.example.net", 15000, None),
                                ("small.example.net", 8000, None)):
        path = os.path.join(tmp, name + ".csv")
        hourly_csv(path, start, hours, volume, name, shape, coverage=True)
        files.append((name, path))
    rc, out = import_csvs(data2, files)
    t.ok(rc == 0, "four hourly sources are imported", out)
    d2 = Daemon(data_dir=data2)
    rng2 = "start=%d&end=%d" % (start, start + hours * 3600)

    st, body = drops(d2, "source=back.example.net&category=spam&" + rng2)
    sh = shifts(body)
    t.ok(st == 200 and len(sh) == 1 and sh[0]["kind"] == "fall" and
         abs(sh[0]["change_pct"] + 50) <= 5 and abs(sh[0]["start"] - back_fall) <= 3600,
         "a five-day -50 %% fall is one fall of about -50 %%", body)
    f = sh[0] if sh else {}
    t.ok(f.get("state") == "ended" and f.get("end") == f.get("return") and
         abs((f.get("return") or 0) - back_ret) <= 3600,
         "it ended with its return, within an hour of it", f)
    t.ok(f.get("recovered_pct") is not None and 85 <= f["recovered_pct"] <= 115,
         "recovered about 100 %", f)
    n = drop_rules(d2, "source=back.example.net&categories=spam&" + rng2)
    t.eq(n, 2, "the graph marks its start and its return")

    st, body = drops(d2, "source=_total&category=spam&" + rng2)
    kinds = [(g["kind"], g["start"]) for g in body if g["kind"] != "learning"]
    t.ok(st == 200 and any(k == "outage" and abs(s - silent) <= 3600 for k, s in kinds),
         "_total: the biggest reporter silent for a day is an outage", body)
    t.ok(not any(k == "fall" and abs(s - silent) <= 86400 for k, s in kinds),
         "and not a fall", kinds)
    st, body = drops(d2, "source=big.example.net&category=spam&" + rng2)
    t.ok(st == 200 and not any(g["kind"] == "fall" for g in body),
         "the silent reporter's own series shows no fall either", body)
    st, body = drops(d2, "source=mid.example.net&" + rng2)
    t.ok(st == 200 and shifts(body) == [], "a steady reporter: nothing", body)
    d2.cleanup()
    d2 = None

    # The notifier through the daemon, on the daemon's clock: the hour
    # after the data ends, every source has gone stale; the fall that came
    # back weeks ago is old news and is not told.
    told = os.path.join(tmp, "told")
    end = start + hours * 3600
    d3 = Daemon("--notify-command", "cat >> '%s'" % told, "--notify-sources",
                "_total,back.example.net", data_dir=data2, wait=False)
    d3.set_clock(end + 300)
    d3.start()
    d3.set_clock(end + 3600 + 300)
    lines = []
    for _ in range(300):
        if os.path.exists(told):
            with open(told) as f:
                lines = [json.loads(l) for l in f if l.strip()]
        if len(lines) >= 4:
            break
        time.sleep(0.1)
    t.ok(sorted((m["event"], m["source"]) for m in lines) ==
         [("stale", n) for n, _ in sorted(files)] and
         all(m["last"] == end and m["time"] >= end + 3600 for m in lines),
         "the command is told, once each, that the four sources went stale",
         lines)
finally:
    for x in (d, d2, d3):
        if x is not None:
            x.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
