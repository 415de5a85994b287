"""`spamtrendd import`: export -> import into a new data dir -> export gives
the same numbers (1-minute and 1-hour rows), bad rows are reported with
their line numbers and nothing is written, and a data dir a daemon holds is
refused."""
import csv
import hashlib
import io
import os
import random
import shutil
import subprocess
import tempfile
import time

from harness import SPAMTRENDD, Daemon, Tap, rrd_files

SRC = "mx1.example.com"
CATS = ("spam", "ham", "virus", "rejected")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def run_import(data_dir, *pairs, extra=()):
    cmd = [SPAMTRENDD, "import", "--data-dir", data_dir] + list(extra)
    for name, path in pairs:
        cmd += ["--source", name, path]
    return subprocess.run(cmd, capture_output=True, text=True)


def rows_of(text):
    """CSV text -> (header, [row tuples])."""
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [tuple(r) for r in rows[1:]]


def export(d, source, start, end, step):
    r = d.get("/export.csv?source=%s&start=%d&end=%d&step=%d" % (source, start, end, step))
    return r.status, r.body.decode()


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


t = Tap(25)
tmp = tempfile.mkdtemp(prefix="spamtrend-import-")
daemons = []
try:
    # 30 hours of 1-minute rows ending on an hour boundary in the past, with
    # an unknown stretch in the middle.
    end = int(time.time()) // 3600 * 3600 - 3600
    start = end - 30 * 3600
    rng = random.Random(7)
    lines = ["time,iso8601," + ",".join(CATS)]
    for ts in range(start + 60, end + 60, 60):
        if start + 10 * 3600 < ts <= start + 10 * 3600 + 300:
            lines.append("%d,%s,,,," % (ts, iso(ts)))
        else:
            lines.append("%d,%s,%d,%d,%d,%d" % (ts, iso(ts), rng.randint(0, 5000),
                                               rng.randint(0, 900), rng.randint(0, 3),
                                               rng.randint(0, 20000)))
    src_csv = os.path.join(tmp, "source.csv")
    with open(src_csv, "w") as f:
        f.write("\n".join(lines) + "\n")

    a = os.path.join(tmp, "a")
    r = run_import(a, (SRC, src_csv))
    t.eq(r.returncode, 0, "a 1-minute CSV is imported (exit 0)")
    t.eq(rrd_files(a), ["_total.rrd", SRC + ".rrd"], "the source and _total are written")
    t.ok(not [f for f in os.listdir(a) if f.startswith(".import")],
         "no temporary directory is left behind")

    d = Daemon(data_dir=a)
    daemons.append(d)
    st, e1 = export(d, SRC, start, end, 60)
    t.eq(st, 200, "the imported source exports")
    got = rows_of(e1)
    t.eq((got[0][:-1], [r[:-1] for r in got[1]]), rows_of("\n".join(lines) + "\n"),
         "exporting it gives back the imported rows exactly (unknown stays unknown)")
    t.ok(got[0][-1] == "coverage" and
         all((r[-1] == "1") == (r[2] != "") for r in got[1]) and
         all(r[-1] == "0" for r in got[1] if r[2] == ""),
         "imported rows are covered in full, unknown rows not at all")
    st, tot = export(d, "_total", start, end, 60)
    t.eq(rows_of(tot)[1], rows_of(e1)[1], "_total holds the same counts")
    st, e60 = export(d, SRC, start, end, 3600)
    h, hrows = rows_of(e60)
    t.ok(st == 200 and len(hrows) == 30, "the hourly export has 30 rows", e60[:300])
    d.stop()

    # Round trip of the 1-minute export.
    e1_csv = os.path.join(tmp, "e1.csv")
    with open(e1_csv, "w") as f:
        f.write(e1)
    b = os.path.join(tmp, "b")
    r = run_import(b, (SRC, e1_csv))
    t.eq(r.returncode, 0, "the 1-minute export imports into a new data dir")
    d = Daemon(data_dir=b)
    daemons.append(d)
    st, again = export(d, SRC, start, end, 60)
    t.eq(rows_of(again), rows_of(e1), "1-minute round trip: identical numbers")
    d.stop()

    # Round trip of the 1-hour export.
    e60_csv = os.path.join(tmp, "e60.csv")
    with open(e60_csv, "w") as f:
        f.write(e60)
    c = os.path.join(tmp, "c")
    r = run_import(c, (SRC, e60_csv))
    t.eq(r.returncode, 0, "the 1-hour export imports into a new data dir")
    d = Daemon(data_dir=c)
    daemons.append(d)
    st, again = export(d, SRC, start, end, 3600)
    t.eq(rows_of(again), rows_of(e60), "1-hour round trip: identical numbers")
    st, minutes = export(d, SRC, start, end, 60)
    _, mrows = rows_of(minutes)
    sums = {}
    for row in mrows:
        if row[2] != "":
            hour = (int(row[0]) - 60) // 3600 * 3600 + 3600
            sums[hour] = sums.get(hour, 0) + int(row[2])
    want = {int(row[0]): int(row[2]) for row in hrows if row[2] != ""}
    t.eq(sums, want, "hourly rows are spread over minutes that add up exactly")
    d.stop()

    # Importing rows the source already has is refused, and changes nothing.
    before = digest(os.path.join(b, SRC + ".rrd"))
    r = run_import(b, (SRC, e1_csv))
    t.ok(r.returncode != 0 and "overlaps data already stored" in r.stderr,
         "rows at or before the last update are refused", r.stderr[:500])
    t.eq(digest(os.path.join(b, SRC + ".rrd")), before, "and the file is unchanged")

    # Bad rows: each reported with its line number; nothing written.
    bad = list(lines[:12])
    bad[2] = "abc," + bad[2].split(",", 1)[1]                  # line 3
    bad[4] = bad[4].rsplit(",", 1)[0] + ",-5"                  # line 5
    bad[6] = bad[6] + ",1"                                     # line 7
    parts = bad[8].split(",")                                  # line 9
    bad[8] = ",".join(parts[:3] + ["", ""] + parts[5:])
    bad[10] = bad[10].replace("Z,", "X,", 1)                   # line 11
    bad_csv = os.path.join(tmp, "bad.csv")
    with open(bad_csv, "w") as f:
        f.write("\n".join(bad) + "\n")
    e = os.path.join(tmp, "e")
    r = run_import(e, ("mx2.example.com", src_csv), (SRC, bad_csv))
    t.ok(r.returncode != 0, "a file with bad rows is refused (exit %d)" % r.returncode)
    t.ok(all("bad.csv:%d:" % n in r.stderr for n in (3, 5, 7, 9, 11)),
         "every bad row is reported with its line number", r.stderr)
    t.ok(not any("bad.csv:%d:" % n in r.stderr for n in (2, 4, 6, 8, 10, 12)),
         "good rows are not reported", r.stderr)
    t.eq(rrd_files(e), [], "nothing is written, not even the good file's source")

    # An unknown category column.
    unk = os.path.join(tmp, "unknown.csv")
    with open(unk, "w") as f:
        f.write("time,iso8601,spam,phish\n%d,%s,1,2\n" % (end, iso(end)))
    r = run_import(e, (SRC, unk))
    t.ok(r.returncode != 0 and "phish" in r.stderr and "unknown.csv:1:" in r.stderr,
         "an unknown category column is an error", r.stderr)
    t.eq(rrd_files(e), [], "and nothing is written")

    # A data dir held by a running daemon.
    d = Daemon()
    daemons.append(d)
    r = run_import(d.data_dir, (SRC, src_csv))
    t.ok(r.returncode != 0 and "in use" in r.stderr,
         "import is refused while a daemon runs on the data dir", r.stderr)
    t.ok(SRC + ".rrd" not in rrd_files(d.data_dir), "and writes nothing there")
    t.ok(d.healthy(), "the daemon is unaffected")
    d.stop()
    r = run_import(d.data_dir, (SRC, src_csv))
    t.eq(r.returncode, 0, "once the daemon has stopped the import runs")
finally:
    for d in daemons:
        d.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
