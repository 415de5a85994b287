"""The list of sources answers from the in-memory index: sums, order, first
and last seen equal what was sent and what the files hold, from what the
writer recorded and, after a restart, from what the files were read back
into; late counts after the files were read are in it; a range further
back than the index holds is read from the files, still exact."""
import time

from harness import Daemon, Tap

CATS = ("spam", "ham", "virus", "rejected")
STEP = 60
H = 3600
t = Tap(22)

DAY = (int(time.time()) // 86400 - 1) * 86400
SOURCES = ["mx%02d.example.net" % i for i in range(12)]
sent = {}  # (source, step end) -> {category: n}


def counts_for(source, step):
    k = (step - DAY) // STEP
    h = sum(map(ord, source)) + SOURCES.index(source) * 37
    return {"spam": (k * 7 + h) % 90 + 1, "ham": (k * 3 + h) % 20,
            "virus": k % 3, "rejected": (k + h) % 11}


def post(d, source, step, counts=None, ident=None):
    counts = counts or counts_for(source, step)
    r = d.post_counts({"source": source, "time": step, "interval": STEP,
                       "counts": counts,
                       "id": ident or "%s-%d" % (source, step)})
    if r.status == 202:
        row = sent.setdefault((source, step), {c: 0 for c in CATS})
        for c, n in counts.items():
            row[c] += n
    return r


def sums(source, lo, hi):
    tot = {c: 0 for c in CATS}
    for (s, st), row in sent.items():
        if s == source and lo < st <= hi:
            for c in CATS:
                tot[c] += row[c]
    return tot


def first_last(source):
    steps = sorted(st for (s, st) in sent if s == source)
    return steps[0] - STEP, steps[-1]


def listing(d, lo, hi, sort="-spam", **kw):
    q = "start=%d&end=%d&step=60&sort=%s" % (lo, hi, sort)
    for k, v in kw.items():
        q += "&%s=%s" % (k, v)
    r = d.get("/api/v1/sources?" + q)
    return r.status, r.json()


def wait_index(d, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if d.metric("spamtrend_source_index_state") == 2:
            return True
        time.sleep(0.1)
    return False


def exact(body, lo, hi):
    """Rows whose totals differ from what was sent over (lo, hi]."""
    bad = []
    for row in body["sources"]:
        want = sums(row["name"], lo, hi)
        if any(row["totals"][c] != want[c] for c in CATS):
            bad.append((row["name"], row["totals"], want))
    return bad


def ordered(body, lo, hi):
    """The names the page should hold, sorted by spam descending, then by
    name (the ties' order)."""
    keyed = sorted(SOURCES, key=lambda s: (-sums(s, lo, hi)["spam"], s))
    return keyed[body["offset"]:body["offset"] + len(body["sources"])]


d = Daemon(clock=DAY + 5)
try:
    # Six hours, every source every ten minutes (the later sources start
    # later, so first_seen differs), written hour by hour.
    for hour in range(6):
        end = DAY + (hour + 1) * H
        d.set_clock(end + 5)
        for i, s in enumerate(SOURCES):
            for step in range(end - H + 10 * STEP, end + 1, 10 * STEP):
                if step > DAY + i * 20 * STEP:
                    post(d, s, step)
        d.write_through(end)
    t.ok(wait_index(d), "the index has read the (empty) directory")
    lo, hi = DAY + H, DAY + 6 * H
    st, body = listing(d, lo, hi, limit=5)
    t.eq((st, body["total"], body["partial"]), (200, len(SOURCES), False),
         "every source is listed from the index, nothing partial")
    t.eq([r["name"] for r in body["sources"]], ordered(body, lo, hi),
         "on whole hours, the order by a count is exact")
    t.eq(exact(body, lo, hi), [], "and so are the sums")
    st, body = listing(d, lo, hi, limit=5, offset=5)
    t.eq([r["name"] for r in body["sources"]], ordered(body, lo, hi),
         "the second page follows the first")
    before = {r["name"]: (r["first_seen"], r["last_seen"])
              for r in listing(d, DAY, hi, sort="name")[1]["sources"]}
    t.eq(before, {s: first_last(s) for s in SOURCES},
         "first and last seen are the first step's start and the last "
         "step's end")
    st, body = listing(d, lo + 600, hi - 300)
    t.eq(exact(body, lo + 600, hi - 300), [],
         "a range not on whole hours: every row's sums are exact")
    # Daily rows widen the range to whole days: the index's hours do not
    # answer it, each row is what the export says for the same query.
    q = "start=%d&end=%d&step=86400&sort=-spam&limit=5" % (lo, hi)
    body = d.get("/api/v1/sources?" + q).json()
    bad = []
    for row in body["sources"]:
        r = d.get("/export.csv?source=%s&start=%d&end=%d&step=86400"
                  % (row["name"], lo, hi))
        lines = r.body.decode().splitlines()
        col = lines[0].split(",").index("spam")
        want = sum(int(x.split(",")[col]) for x in lines[1:]
                   if x.split(",")[col] != "")
        if row["totals"]["spam"] != want:
            bad.append((row["name"], row["totals"]["spam"], want))
    t.ok(len(body["sources"]) == 5 and bad == [],
         "with daily rows every row's sums are the export's for the same query",
         bad)
    st, body = listing(d, lo, hi, sort="name", limit=1,
                       source="mx01.example.net")
    t.ok(st == 200 and body["total"] == 1 and
         [r["name"] for r in body["sources"]] == ["mx01.example.net"] and
         body["sources"][0]["totals"] == sums("mx01.example.net", lo, hi),
         "source= gives that one source by its exact name (q=mx0 matches "
         "ten), with its sums", body)
    body = d.get("/api/v1/sources").json()
    t.ok(body["limit"] == 1000 and len(body["sources"]) == len(SOURCES),
         "without limit, a page holds at most 1000 rows (each reads a file)",
         body["limit"])
    st, body = listing(d, lo, hi, sort="name", q="mx1")
    t.eq([r["name"] for r in body["sources"]],
         sorted(s for s in SOURCES if "mx1" in s), "q filters the index")

    # Restart: the files are read back into the index.
    d.stop()
    d.start()
    t.ok(wait_index(d), "after a restart the index reads every file")
    t.eq(d.metric("spamtrend_source_index_files_read_total"),
         float(len(SOURCES)), "each file once")
    t.eq(d.metric("spamtrend_source_index_sources"), float(len(SOURCES)),
         "every source is in it")
    st, body = listing(d, lo, hi)
    t.eq([r["name"] for r in body["sources"]], ordered(body, lo, hi),
         "the order from the files read back is exact")
    t.eq(exact(body, lo, hi), [], "and so are the sums")
    after = {r["name"]: (r["first_seen"], r["last_seen"])
             for r in listing(d, DAY, hi, sort="name")[1]["sources"]}
    t.eq(after, before, "first and last seen are what they were")

    # Late counts for the smallest source: enough to put it first.
    small = ordered(listing(d, lo, hi)[1], lo, hi)[-1]
    t.eq(post(d, small, DAY + 2 * H + STEP, ident="late-1",
              counts={"spam": 100000}).status, 202, "a late report")
    d.write_through(DAY + 6 * H)
    st, body = listing(d, lo, hi, limit=1)
    t.eq([r["name"] for r in body["sources"]], [small],
         "late counts after the files were read move a source up")
    t.eq(exact(body, lo, hi), [], "with its exact sums")

    # Three days back: further than the index holds; read from the files.
    st, body = listing(d, DAY - 2 * 86400, hi, limit=4)
    t.eq(([r["name"] for r in body["sources"]], exact(body, DAY - 2 * 86400, hi)),
         (ordered(body, DAY - 2 * 86400, hi), []),
         "a range further back than the index is read from the files, "
         "exact")

    # A new source after the restart: its file made by this process.
    new = "zz.example.org"
    SOURCES.append(new)
    post(d, new, DAY + 6 * H + STEP, counts={"spam": 3})
    d.write_through(DAY + 6 * H + STEP)
    st, body = listing(d, DAY + 6 * H, DAY + 7 * H, sort="-spam", q="zz")
    t.eq([(r["name"], r["totals"]["spam"], r["first_seen"])
          for r in body["sources"]], [(new, 3, DAY + 6 * H)],
         "a source first seen after the restart is listed with its sums")
finally:
    d.cleanup()
t.done()
