"""Collectors sharing one data directory (collector_id): each keeps its own
journal, state and partial total; reads sum the partial totals, so any
collector answers the whole _total; a retry that reaches another collector
after the one that acknowledged it died is known as a repeat; a request
holds one source."""
import csv
import io
import os
import shutil
import tempfile

from harness import Daemon, Tap, aligned_now

t = Tap(22)
tmp = tempfile.mkdtemp(prefix="spamtrend-shared-")
data = os.path.join(tmp, "data")
T = aligned_now() + 60
a = b = c = None
try:
    a = Daemon("--collector-id", "c1", data_dir=data, clock=T - 30)
    b = Daemon("--collector-id", "c2", data_dir=data, clock=T - 30)
    t.ok(a.healthy() and b.healthy(), "two collectors run on one data directory")
    try:
        Daemon("--collector-id", "c1", data_dir=data)
        second = True
    except RuntimeError:
        second = False
    t.ok(not second, "a second collector with the same id is refused")
    try:
        Daemon(data_dir=data)
        alone = True
    except RuntimeError:
        alone = False
    t.ok(not alone, "so is one that would run alone there")

    h = {"X-Spamtrend-Source": "mx1.example.com"}
    r1 = a.post_counts({"source": "mx1.example.com", "time": T, "counts": {"spam": 5},
                        "id": "k1"}, headers=h)
    r2 = b.post_counts({"source": "mx2.example.com", "time": T, "counts": {"spam": 7}},
                       headers={"X-Spamtrend-Source": "mx2.example.com"})
    t.ok(r1.status == 202 and r2.status == 202, "each takes its own sources")
    r = a.post_counts([{"source": "mx1.example.com", "time": T, "counts": {}},
                       {"source": "mx3.example.com", "time": T, "counts": {}}])
    t.ok(r.status == 422 and r.json().get("error") == "mixed_sources",
         "a collector of several refuses a batch of two sources", r)
    r = a.post_counts({"source": "mx1.example.com", "time": T, "counts": {}},
                      headers={"X-Spamtrend-Source": "MX1.Example.com."})
    t.ok(r.status == 422 and r.json().get("error") == "bad_source" and
         r.json().get("field") == "X-Spamtrend-Source" and
         "'mx1.example.com'" in r.json().get("detail", ""),
         "and a routing header that is not the name as stored (nginx would "
         "send its spellings to different collectors)", r)

    # c1 dies; its source's retry of what c1 acknowledged reaches c2.
    a.kill()
    r = b.post_counts({"source": "mx1.example.com", "time": T, "counts": {"spam": 5},
                       "id": "k1"}, headers=h)
    t.ok(r.status == 200 and r.json().get("duplicate") is True,
         "a retry at another collector of what a dead one acknowledged is a repeat", r)
    r = b.post_counts({"source": "mx1.example.com", "time": T + 60,
                       "counts": {"spam": 3}, "id": "k2"}, headers=h)
    t.eq(r.status, 202, "and the source goes on at the survivor")
    b.write_through(T + 60)
    a.start()
    a.write_through(T + 60)

    t.ok(os.path.isdir(os.path.join(data, "journal.c1")) and
         os.path.isdir(os.path.join(data, "journal.c2")) and
         os.path.exists(os.path.join(data, "_total.c1.rrd")) and
         os.path.exists(os.path.join(data, "_total.c2.rrd")) and
         not os.path.exists(os.path.join(data, "_total.rrd")),
         "each has its own journal and partial total", sorted(os.listdir(data)))

    for d, name in ((a, "c1"), (b, "c2")):
        r = d.get("/export.csv?source=_total&start=%d&end=%d&step=60&categories=spam"
                  % (T - 120, T + 60))
        rows = list(csv.reader(io.StringIO(r.body.decode())))
        got = {int(x[0]): x[2] for x in rows[1:]}
        t.ok(got.get(T) == "12" and got.get(T + 60) == "3",
             "%s answers _total as the sum of the partial totals" % name, rows)
    r = b.get("/export.json?source=_total&start=%d&end=%d&step=60" % (T - 60, T))
    row = [x for x in r.json()["rows"] if x["time"] == T][0]
    t.ok(abs(row["coverage"] - 2) < 1e-6, "its coverage counts the sources of both", row)
    r = a.get("/graph.png?source=_total&start=%d&end=%d" % (T - 3600, T + 600))
    t.ok(r.status == 200 and r.body[:4] == b"\x89PNG" and
         "spam=15," in (r.header("X-Graph-Totals") or ""),
         "a graph of _total sums the partial totals too",
         (r.status, r.header("X-Graph-Totals")))
    r = a.get("/api/v1/config")
    t.ok(r.json().get("data_end") == T + 60,
         "the end of the stored data is the latest partial's", r.json().get("data_end"))

    # A source another collector starts after this one read the directory.
    r = b.post_counts({"source": "mx9.example.com", "time": T + 120,
                       "counts": {"spam": 4}},
                      headers={"X-Spamtrend-Source": "mx9.example.com"})
    b.write_through(T + 120)
    q = "/api/v1/sources?start=%d&end=%d&step=60&sort=-spam" % (T - 3600, T + 3600)
    got = {x["name"]: (x["totals"]["spam"], x["last_seen"])
           for x in a.get(q).json()["sources"]}
    t.eq(got, {"mx1.example.com": (8, T + 60), "mx2.example.com": (7, T),
               "mx9.example.com": (4, T + 120)},
         "any collector lists every source with the others' counts")
    t.eq(a.get(q + "&q=mx9").json()["total"], 1,
         "including one another collector made after it read the directory")

    # mx1 moves back to c1, which acknowledges k3 and (as far as the
    # reporter knows) dies before answering; the retry reaches c2, where
    # mx1 was before: still a repeat.
    r1 = a.post_counts({"source": "mx1.example.com", "time": T + 120,
                        "counts": {"spam": 4}, "id": "k3"}, headers=h)
    r = b.post_counts({"source": "mx1.example.com", "time": T + 120,
                       "counts": {"spam": 4}, "id": "k3"}, headers=h)
    t.ok(r1.status == 202 and r.status == 200 and r.json().get("duplicate") is True,
         "a retry at a collector the source was on before, of what another acknowledged, is a repeat", (r1, r))

    # collectd counters' previous values are not kept over a clean restart
    # of a collector of several: its hosts went to another meanwhile.
    r = a.post("/api/v1/collectd", [{"values": [100], "dstypes": ["derive"],
                                     "dsnames": ["value"], "time": T + 100,
                                     "interval": 10, "host": "mx1.example.com",
                                     "plugin": "tail", "plugin_instance": "pf",
                                     "type": "derive", "type_instance": "spam"}],
               headers=h)
    a.stop()
    t.ok(r.status == 200 and not any(f.startswith("collectd-values")
                                     for f in os.listdir(data)),
         "a collector of several keeps no collectd values over a stop",
         (r, sorted(os.listdir(data))))
    a.start()

    # Events: one list, whichever collector changes or shows it.
    e1 = a.post("/api/v1/events", {"time": T, "text": "added at c1"})
    e2 = b.post("/api/v1/events", {"time": T + 60, "text": "added at c2"})
    la = a.get("/api/v1/events?start=%d&end=%d" % (T - 60, T + 120)).json()
    lb = b.get("/api/v1/events?start=%d&end=%d" % (T - 60, T + 120)).json()
    texts = lambda l: sorted(x["text"] for x in l)
    t.ok(e1.status == 201 and e2.status == 201 and
         e1.json()["id"] != e2.json()["id"] and
         texts(la) == texts(lb) == ["added at c1", "added at c2"],
         "an event added at one collector is listed by the other, ids apart",
         (e1, e2, la, lb))
    r = a.request("DELETE", "/api/v1/events/%d" % e2.json()["id"])
    lb = b.get("/api/v1/events?start=%d&end=%d" % (T - 60, T + 120)).json()
    t.ok(r.status in (200, 204) and texts(lb) == ["added at c1"],
         "and one deleted at one is gone at the other", (r, lb))

    # A third collector joins while the clock stands still: the others
    # follow its journal from its first record on.
    c = Daemon("--collector-id", "c3", data_dir=data, clock=a.now())
    h5 = {"X-Spamtrend-Source": "mx5.example.com"}
    r1 = c.post_counts({"source": "mx5.example.com", "time": T + 120,
                        "counts": {"spam": 2}, "id": "k5"}, headers=h5)
    r = a.post_counts({"source": "mx5.example.com", "time": T + 120,
                       "counts": {"spam": 2}, "id": "k5"}, headers=h5)
    t.ok(r1.status == 202 and r.status == 200 and r.json().get("duplicate") is True,
         "a collector that joined later is followed at once", (r1, r))

    # A batch reusing k5 (acknowledged at c3) with other content is refused
    # whole, as admission refuses it: nothing of it is journaled, so the
    # reporter may correct it and send it again without counting twice.
    before = b.metrics().get("spamtrend_submissions_accepted_total")
    r = b.post_counts([{"source": "mx5.example.com", "time": T + 120,
                        "counts": {"spam": 9}, "id": "k5"},
                       {"source": "mx5.example.com", "time": T + 120,
                        "counts": {"spam": 100}}], headers=h5)
    after = b.metrics().get("spamtrend_submissions_accepted_total")
    t.ok(r.status == 422 and r.json().get("error") == "id_reused" and
         before == after,
         "a batch with an id another collector used for other content is "
         "refused whole, nothing of it counted", (r, before, after))
finally:
    for d in (a, b, c):
        if d is not None:
            d.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
