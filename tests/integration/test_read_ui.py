"""test_read_ui -- the read endpoints the web UI builds on, against the real
daemon: /api/v1/config, /api/v1/sources with pages, sorting, filtering and
totals of any range, /api/v1/series with its comparison, and the graphs'
exact legend totals, UTF-8 event text, fixed plot size under many events and
times librrd would read as dates (issue 12, item 4).

Data comes from `spamtrendd import` (three hours of minute rows for three
sources in a custom category set), so nothing waits for steps to close.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

from harness import SPAMTRENDD, Daemon, Tap

PLAN = 43
CATS = ["spam", "ham", "phish", "greylisted"]
NOW = int(time.time())
LAST = NOW // 60 * 60 - 300
ROWS = 180
SOURCES = {"mx1.example.com": 3, "mx2.example.net": 1, "relay.example.org": 2}


def history(seed):
    """Three hours of minute rows ending at LAST: {time: [counts]}."""
    rows = {}
    for i in range(ROWS):
        t = LAST - i * 60
        rows[t] = [100 * seed + (i * 7) % 53, 20 * seed + (i * 3) % 11,
                   seed + i % 5, (i * 13) % 29]
    return rows


def import_all(data_dir, tmp):
    cmd = [SPAMTRENDD, "import", "--data-dir", data_dir, "--categories",
           ",".join(CATS)]
    for name, seed in SOURCES.items():
        path = os.path.join(tmp, name + ".csv")
        with open(path, "w") as f:
            f.write("time,iso8601,%s\n" % ",".join(CATS))
            for t, v in sorted(history(seed).items()):
                f.write("%d,%s,%s\n" % (t, time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
                    ",".join(str(x) for x in v)))
        cmd += ["--source", name, path]
    return subprocess.run(cmd, capture_output=True, text=True)


def total(name, cat, start, end):
    """The sum of a category over rows labelled in (start, end]."""
    k = CATS.index(cat)
    return sum(v[k] for t, v in history(SOURCES[name]).items()
               if start < t <= end)


def plot_height(r):
    area = (r.header("X-Graph-Area") or "0,0,0,0").split(",")
    return int(area[3])


def main():
    t = Tap(PLAN)
    tmp = tempfile.mkdtemp(prefix="spamtrend-readui-")
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    r = import_all(data, tmp)
    t.eq(r.returncode, 0, "three sources are imported")
    try:
        d = Daemon("--categories", ",".join(CATS), data_dir=data)
        try:
            run(t, d)
        finally:
            d.cleanup()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t.done()


def run(t, d):
    start, end = LAST - 7200, LAST

    # The configuration the page builds itself from.
    r = d.get("/api/v1/config")
    t.eq(r.status, 200, "config answers 200")
    c = r.json()
    t.eq([x["name"] for x in c["categories"]], CATS,
         "config lists the configured categories in order")
    t.ok(all(re.fullmatch(r"#[0-9A-F]{6}", x["colour"]) for x in c["categories"])
         and len({x["colour"] for x in c["categories"]}) == 4,
         "each category has its own colour", c["categories"])
    t.eq([a["resolution"] for a in c["archives"]], [60, 300, 3600, 86400],
         "config lists the archives' resolutions")
    t.ok(c["step"] == 60 and c["stale_after"] == 600 and c["data_end"] == LAST
         and c["events"]["write"] == "loopback" and c["version"],
         "config gives step, stale_after, the end of the data, who may "
         "change events and the version", c)
    r = d.get("/api/v1/config?source=x.example")
    t.eq((r.status, r.json().get("field")), (400, "source"),
         "config takes no parameters")

    # Sources: pages, sort, filter, totals of a range.
    base = "/api/v1/sources?start=%d&end=%d&step=60" % (start, end)
    r = d.get(base + "&sort=-spam&limit=2")
    j = r.json()
    t.eq([s["name"] for s in j["sources"]], ["mx1.example.com",
                                             "relay.example.org"],
         "sort=-spam&limit=2 gives the two largest")
    t.eq(j["total"], 3, "total says how many matched")
    t.eq(j["sources"][0]["totals"]["phish"],
         total("mx1.example.com", "phish", start, end),
         "a source's totals are those of the range asked for")
    t.eq(j["all"]["spam"], sum(total(n, "spam", start, end) for n in SOURCES),
         "all holds the total of every source (the share's denominator)")
    t.ok("last_day" not in j["sources"][0],
         "last_day only comes with the default range")
    r = d.get(base + "&sort=-spam&limit=2&offset=2")
    t.eq([s["name"] for s in r.json()["sources"]], ["mx2.example.net"],
         "offset gives the next page")
    r = d.get(base + "&q=EXAMPLE.NET")
    t.eq([s["name"] for s in r.json()["sources"]], ["mx2.example.net"],
         "q filters by a part of the name, in any case")
    r = d.get(base + "&sort=name")
    t.eq([s["name"] for s in r.json()["sources"]], sorted(SOURCES),
         "sort=name")
    r = d.get("/api/v1/sources")
    j = r.json()
    t.ok(len(j["sources"]) == 3 and all(
        s["last_day"] == s["totals"] for s in j["sources"]) and
        j["sources"][0]["last_day"]["spam"] > 0,
        "without parameters the answer still has last_day (the first "
        "version's shape)", j["sources"][:1])
    for q, field in (("limit=0", "limit"), ("limit=5000", "limit"),
                     ("offset=x", "offset"), ("sort=eggs", "sort"),
                     ("q=%7F", "q")):
        r = d.get("/api/v1/sources?" + q)
        t.eq((r.status, r.json().get("field")), (400, field),
             "sources refuses %s" % q)
    r = d.get("/graph.png?limit=3")
    t.eq((r.status, r.json().get("field")), (400, "limit"),
         "limit is not a graph parameter")

    # Series: the comparison, the end of the data, complete rows.
    r = d.get("/api/v1/series?source=mx1.example.com&categories=spam,phish"
              "&start=%d&end=%d&compare=1h" % (start, end))
    j = r.json()
    t.eq(j["totals"]["phish"], total("mx1.example.com", "phish", start, end),
         "series totals")
    t.eq((j["previous"]["start"], j["previous"]["end"], j["previous"]["shift"]),
         (start - 3600, end - 3600, 3600),
         "compare=1h moves the earlier period back an hour")
    t.eq(j["previous"]["totals"]["spam"],
         total("mx1.example.com", "spam", start - 3600, end - 3600),
         "the earlier period's totals")
    prow = j["previous"]["rows"]
    t.ok(len(prow) == len(j["rows"]) and prow[0][0] == j["rows"][0][0] and
         j["previous"]["step"] == j["step"],
         "with compare the earlier rows come, moved onto the range's times")
    r = d.get("/api/v1/series?source=mx1.example.com&start=%d&end=%d"
              "&step=60&compare=1w" % (end - 86400, end))
    j = r.json()
    p = j["previous"]
    t.ok(j["step"] == 60 and p["step"] == 300 and p["rows"] and
         all(row[0] % 300 == 0 for row in p["rows"]) and
         abs(p["rows"][-1][0] - j["rows"][-1][0]) < 300,
         "a week back only 5-minute rows are kept: previous says its step, "
         "its rows on that grid", (j["step"], p["step"], p["rows"][:2]))
    t.ok(j["data_end"] == LAST and j["complete_through"] == LAST,
         "series says where the data ends and which rows are complete", j)
    r = d.get("/api/v1/series?source=mx1.example.com&start=%d&end=%d"
              % (LAST - 86400 * 2, LAST - 86400))
    j = r.json()
    t.ok(all(v is None for v in j["change_pct"].values()) and
         all(v == 0 for v in j["previous"]["known_rows"].values()),
         "no change against a period without data", j["change_pct"])
    r = d.get("/api/v1/series?start=-15m")
    t.eq((r.status, r.json()["end"] - r.json()["start"]), (200, 900),
         "-15m is a quarter of an hour")

    # Graphs: exact totals in the legend (and in X-Graph-Totals for tools).
    r = d.get("/graph.svg?source=mx1.example.com&categories=spam,phish"
              "&start=%d&end=%d" % (start, end))
    t.eq(r.header("X-Graph-Totals"), "spam=%d,phish=%d" % (
        total("mx1.example.com", "spam", start, end),
        total("mx1.example.com", "phish", start, end)),
        "the legend's totals are the exact sums of the range")
    r = d.get("/export.csv?source=mx1.example.com&categories=spam,phish"
              "&start=%d&end=%d" % (start, end))
    csv_spam = sum(int(x.split(",")[2]) for x in r.body.decode().split()[1:]
                   if x.split(",")[2])
    r = d.get("/graph.png?source=mx1.example.com&categories=spam,phish"
              "&start=%d&end=%d" % (start, end))
    t.eq(r.header("X-Graph-Totals").split(",")[0], "spam=%d" % csv_spam,
         "and they are the export's column sums")
    r = d.get("/graph.png?view=ratio&start=%d&end=%d" % (start, end))
    t.eq(r.header("X-Graph-Totals"), "spam=%d,ham=%d" % (
        sum(total(n, "spam", start, end) for n in SOURCES),
        sum(total(n, "ham", start, end) for n in SOURCES)),
        "the ratio view's legend counts spam and ham of every source")

    # Events: text survives, the plot keeps its height.
    q = "/graph.png?start=%d&end=%d&width=700&height=300" % (start, end)
    h0 = plot_height(d.get(q))
    r = d.post("/api/v1/events", {"time": LAST - 600,
                                  "text": "C&C moved: caf\u00e9 \u00e9t\u00e9"})
    t.eq(r.status, 201, "an event with '&' and accents is stored")
    r = d.get("/graph.svg?start=%d&end=%d&width=900" % (start, end))
    t.ok(r.status == 200 and r.body.startswith(b"<?xml"),
         "a graph with that event is drawn")
    h1 = plot_height(d.get(q + "&drops=1"))
    for i in range(14):
        d.post("/api/v1/events", {"time": LAST - 300 - 420 * i,
                                  "text": "event %d" % i})
    r = d.get(q + "&drops=0")
    t.eq(r.status, 200, "a graph with 15 events is drawn")
    t.ok(h0 > 150 and h1 == h0 and plot_height(r) == h0,
         "0, 1 or 15 events leave the plot its height", (h0, h1, plot_height(r)))
    r = d.get(q + "&scale=2")
    t.ok(r.body[16:24] == bytes.fromhex("000005780000" "0258"),
         "scale=2 draws twice the pixels (1400 x 600)", r.body[16:24].hex())

    # Times librrd would read as dates: refused, naming the parameter.
    for q in ("start=1&end=86400", "start=20000101&end=20000201"):
        r = d.get("/graph.png?" + q)
        t.eq((r.status, r.json().get("field")), (400, "start"),
             "graph.png?%s is a 400 naming start" % q)
        r = d.get("/export.csv?" + q)
        t.eq(r.status, 200, "export.csv?%s still answers" % q)
    r = d.get("/graph.png?start=%d&end=%d&compare=1y" % (330000000, 330086400))
    t.eq((r.status, r.json().get("field")), (400, "compare"),
         "a comparison reaching before 1980 is a 400 naming compare")


if __name__ == "__main__":
    main()
