"""Change detection end to end: the McColo replay's data is generated and
imported, and the daemon must find the 11 November 2008 fall on both
sources (start within an hour, size within 3 points), no other fall, and
series totals that agree with the CSV export."""
import csv
import io
import os
import shutil
import tempfile
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader

from harness import SPAMTRENDD, SRCDIR, Daemon, Tap


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
    tot = {c: 0 for c in head[2:]}
    for row in rows[1:]:
        for c, v in zip(head[2:], row[2:]):
            if v != "":
                tot[c] += int(v)
    return r.status, tot, len(rows) - 1


rp = load_replay()
t = Tap(25)
tmp = tempfile.mkdtemp(prefix="spamtrend-drops-")
d = None
try:
    data_dir = os.path.join(tmp, "data")
    out = rp.import_dataset(SPAMTRENDD, data_dir, tmp)
    t.ok("_total: 132480 steps added" in out, "the replay's two sources are imported", out)
    d = Daemon(data_dir=data_dir)
    rng = "start=2008-10-01&end=2009-01-01"
    fall = rp.FALL_TIME

    findings = {}
    for name in list(rp.SOURCES) + ["_total"]:
        r = d.get("/api/v1/drops?source=%s&category=spam&%s" % (name, rng))
        findings[name] = r.json() if r.status == 200 else []
        t.eq(r.status, 200, "drops of %s answer 200" % name)
    for name, pct in rp.FALLS.items():
        falls = [f for f in findings[name] if f["change_pct"] < 0]
        t.eq(len(falls), 1, "one spam fall found for %s" % name)
        f = falls[0] if falls else {"start": 0, "change_pct": 0}
        t.ok(abs(f["start"] - fall) <= 3600, "%s: the fall starts within an hour of "
             "2008-11-11 21:00 UTC" % name, f)
        t.ok(abs(f["change_pct"] - pct) <= 3.0, "%s: change %.1f%% is within 3 points "
             "of the generated %.1f%%" % (name, f["change_pct"], pct), f)
    # _total: the two sources' spam weighted by volume.
    left = sum(v[0] * v[3] for v in rp.SOURCES.values()) / sum(v[0] for v in rp.SOURCES.values())
    tf = [f for f in findings["_total"] if f["change_pct"] < 0]
    t.ok(len(tf) == 1 and abs(tf[0]["change_pct"] - (left - 1) * 100) <= 3.0 and
         abs(tf[0]["start"] - fall) <= 3600,
         "_total's fall is the volume-weighted fall of both", tf)
    f = tf[0] if tf else {}
    t.ok(all(k in f for k in ("source", "category", "start", "baseline", "level",
                              "change_pct", "recovered_pct")),
         "a finding has source, category, start, baseline, level, change_pct, "
         "recovered_pct", f)
    t.ok(f.get("baseline", 0) > f.get("level", 0) > 0 and f.get("start", 1) % 3600 == 0,
         "baseline above level, start on the hour", f)
    t.ok(f.get("recovered_pct") is not None and 15 <= f["recovered_pct"] <= 60,
         "a partial recovery is measured", f)

    # Every category of every source: no other fall of 40 % or more.
    others = []
    for name in list(rp.SOURCES) + ["_total"]:
        r = d.get("/api/v1/drops?source=%s&%s" % (name, rng))
        for f in r.json():
            if f["change_pct"] <= -40 and abs(f["start"] - fall) > 3600:
                others.append(f)
            if f["category"] in ("ham", "virus"):
                others.append(f)
    t.eq(others, [], "no other fall (and nothing in ham or virus)")

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
    # The same totals from the generated minutes.
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
finally:
    if d is not None:
        d.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
