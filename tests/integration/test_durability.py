"""Nothing acknowledged is lost and nothing is counted twice: idempotent
retries, kill -9 at random moments under concurrent reporters, torn and
corrupt journals, corrupt RRD files, and a full disk."""
import os
import shutil
import subprocess
import tempfile
import time

from harness import Daemon, Tap, aligned_now, crash_check, crash_run, rrd_totals

CATS = ("spam", "ham", "virus", "rejected")
t = Tap(39)


def totals(data_dir, source, lo, hi):
    path = os.path.join(data_dir, source + ".rrd")
    if not os.path.exists(path):
        return {c: 0 for c in CATS}
    return rrd_totals(path, lo, hi)


def journal_segments(data_dir):
    jdir = os.path.join(data_dir, "journal")
    return sorted(os.path.join(jdir, f) for f in os.listdir(jdir) if f.endswith(".log"))


# 1. Idempotency keys, also across a kill -9.
d = Daemon()
try:
    T = aligned_now() + 60
    body = {"source": "mx1.example.com", "time": T, "counts": {"spam": 5}, "id": "k-1"}
    r1 = d.post_counts(body)
    r2 = d.post_counts(body)
    t.ok(r1.status == 202 and r2.status == 200 and r2.json().get("duplicate") is True,
         "a repeat with the same id answers 200 duplicate", (r1, r2))
    r3 = d.post_counts(dict(body, counts={"spam": 6}))
    t.ok(r3.status == 422 and r3.json().get("error") == "id_reused" and
         r3.json().get("field") == "id", "the same id with another body is 422", r3)
    h = {"Idempotency-Key": "hdr-1"}
    body2 = {"source": "mx1.example.com", "time": T, "counts": {"ham": 7}}
    r4 = d.post_counts(body2, headers=h)
    d.kill()
    d.start()
    r5 = d.post_counts(body2, headers=h)
    r6 = d.post_counts(body)
    t.ok(r4.status == 202 and r5.status == 200 and r6.status == 200,
         "keys survive a kill -9 (header key and id)", (r4, r5, r6))
    d.write_through(T)
    t.eq(d.stop(), 0, "clean stop after the restart")
    got = totals(d.data_dir, "mx1.example.com", T - 600, T + 600)
    t.eq((got["spam"], got["ham"]), (5, 7), "retries counted once, replay after kill -9 exact")
finally:
    d.cleanup()

# 2. Crash test: concurrent reporters, kill -9 at random moments, retries.
d = Daemon()
try:
    sources = ["crash%d.example.com" % i for i in range(4)]
    res = crash_run(d, sources, kills=5, seed=42, late=2)
    t.eq(res["errors"], [], "reporters saw only 2xx or 503")
    d.write_through(aligned_now() + 60)
    t.eq(d.stop(), 0, "final clean stop")
    diffs = crash_check(d.data_dir, sources, res)
    n_acked = sum(res["acked"].values())
    t.ok(not diffs and n_acked > 0, "after %d kill -9s every source and _total hold exactly "
         "the acknowledged counts (%d messages)" % (res["kills"], n_acked), diffs)
    t.ok(res["retried"] > 0, "some submissions had to be retried (%d)" % res["retried"])
finally:
    d.cleanup()

def fill(path):
    """Write zeros to path until the file system is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    for size in (65536, 4096, 512, 64, 1):
        try:
            while True:
                os.write(fd, b"\0" * size)
        except OSError:
            pass
    os.close(fd)


def post_and_kill(d, source, spam, times=3):
    """POST the same counts a few times, kill -9, return (step, newest segment)."""
    T = aligned_now() + 60
    for _ in range(times):
        d.post_counts({"source": source, "time": T, "counts": {"spam": spam}})
    d.kill()
    return T, journal_segments(d.data_dir)[-1]


# 3. A torn tail is cut with a warning; records before it are kept.
d = Daemon()
try:
    T, seg = post_and_kill(d, "torn.example.com", 10)
    size = os.path.getsize(seg)
    with open(seg, "ab") as f:
        f.write(b"STJ1\x40\x00\x00\x00garbage")
    d.start()
    t.ok("torn tail" in d.logs(), "a torn tail is reported at start-up", d.logs())
    t.eq(os.path.getsize(seg), size, "the torn tail is cut off")
    d.write_through(T)
    t.eq(d.stop(), 0, "and the daemon runs and stops cleanly")
    t.eq(totals(d.data_dir, "torn.example.com", T - 600, T + 600)["spam"], 30,
         "every whole record before the tear was replayed")
finally:
    d.cleanup()

# 4. Corruption before the end stops start-up, naming file and offset.
d = Daemon()
try:
    T, seg = post_and_kill(d, "bad.example.com", 1)
    with open(seg, "r+b") as f:
        data = f.read()
        off = data.index(b"STJ1")
        f.seek(off + 20)
        f.write(b"\xff\xff\xff\xff")
    try:
        d.start()
        started = True
    except RuntimeError:
        started = False
    log = d.logs()
    t.ok(not started and os.path.basename(seg) in log and ("offset %d" % off) in log and
         "--journal-recover" in log, "corruption before the end refuses to start, naming the "
         "file, the offset and the way out", log[-600:])
    d.start("--journal-recover")
    t.ok(os.path.exists(seg + ".damaged"), "--journal-recover keeps the rest aside")
    t.eq(d.stop(), 0, "and then starts and stops cleanly")
finally:
    d.cleanup()

# 5. A corrupt or foreign .rrd file is moved aside and recreated.
d = Daemon(wait=False)
try:
    os.makedirs(d.data_dir)
    with open(os.path.join(d.data_dir, "junk.example.com.rrd"), "wb") as f:
        f.write(b"this is not an rrd file" * 100)
    d.start()
    T = aligned_now() + 60
    r1 = d.post_counts({"source": "junk.example.com", "time": T, "counts": {"spam": 4}})
    r2 = d.post_counts({"source": "fine.example.com", "time": T, "counts": {"spam": 6}})
    d.write_through(T)
    t.eq(d.stop(), 0, "the daemon writes past a corrupt file")
    t.ok(os.path.exists(os.path.join(d.data_dir, "junk.example.com.rrd.corrupt")),
         "the corrupt file is moved aside to .corrupt", os.listdir(d.data_dir))
    t.eq(totals(d.data_dir, "junk.example.com", T - 600, T + 600)["spam"], 4,
         "and recreated with the new counts")
    t.eq(totals(d.data_dir, "fine.example.com", T - 600, T + 600)["spam"], 6,
         "other sources keep working")
finally:
    d.cleanup()

# 6. Disk full (injected, so no root is needed): 507, nothing acknowledged
# that is not durable, recovery by itself.
d = Daemon("--min-free-disk", "0")
try:
    T = aligned_now() + 60
    d.set_clock(T - 30)
    acked_spam = 0
    r = d.post_counts({"source": "full.example.com", "time": T, "counts": {"spam": 1}})
    acked_spam += 1 if r.status == 202 else 0
    d.fault("journal_write", "ENOSPC")
    statuses = []
    for i in range(5):
        r = d.post_counts({"source": "full.example.com", "time": T,
                           "counts": {"spam": 1}, "id": "full-%d" % i})
        statuses.append(r.status)
        acked_spam += 1 if r.status == 202 else 0
    t.ok(statuses == [507] * 5 and r.json().get("error") == "insufficient_storage",
         "a full disk answers 507 insufficient_storage", statuses)
    h = d.get("/healthz")
    t.eq(h.status, 503, "/healthz says degraded while the journal cannot be written")
    d.fault("journal_write")
    r = d.post_counts({"source": "full.example.com", "time": T, "counts": {"spam": 1},
                       "id": "full-0"})
    acked_spam += 1 if r.status == 202 else 0
    t.eq(r.status, 202, "when space returns, submissions are accepted again by themselves "
         "(a refused id may be sent again)")
    t.eq(d.get("/healthz").status, 200, "and /healthz is ok again")
    t.ok(d.logs().count("refusing submissions") == 1, "the condition is logged once",
         d.logs())
    d.fault("journal_sync", "EIO")
    r = d.post_counts({"source": "full.example.com", "time": T, "counts": {"spam": 100}})
    t.eq(r.status, 503, "a failing fdatasync answers 503 and counts nothing")
    d.fault("journal_sync")
    d.write_through(T)
    t.eq(d.stop(), 0, "clean stop")
    t.eq(totals(d.data_dir, "full.example.com", T - 600, T + 600)["spam"], acked_spam,
         "exactly the acknowledged submissions are stored (%d)" % acked_spam)
finally:
    d.cleanup()


# 7. A file that cannot be written never holds back another; its counts wait,
# also across a restart, and are written once it works again.
d = Daemon()
try:
    T = aligned_now() + 60
    d.set_clock(T - 30)
    d.fault("store_write", "EIO bad.example.com")
    evil = os.path.join(d.data_dir, "evil.example.com.rrd")
    os.symlink("/tmp/spamtrend-should-not-exist", evil)
    for src, n in (("bad.example.com", 5), ("good.example.com", 7),
                   ("evil.example.com", 1)):
        r = d.post_counts({"source": src, "time": T, "counts": {"spam": n}})
    d.write_through(T)
    h = d.get("/healthz")
    t.ok(h.status == 200 and h.json().get("status") == "degraded" and
         sorted(f["file"] for f in h.json().get("failing", [])) ==
         ["bad.example.com.rrd", "evil.example.com.rrd"] and
         not os.path.exists("/tmp/spamtrend-should-not-exist"),
         "/healthz names the files that cannot be written (an I/O error, a planted "
         "symlink, never followed)", h)
    os.unlink(evil)
    t.ok('spamtrend_file_failing{file="bad.example.com.rrd"} 1' in
         d.get("/metrics").body.decode() and
         "cannot write bad.example.com" in d.logs(),
         "and so do /metrics and the log")
    t.eq(totals(d.data_dir, "good.example.com", T - 600, T + 600)["spam"], 7,
         "every other file is written meanwhile")
    r = d.post_counts({"source": "bad.example.com", "time": T + 60, "counts": {"spam": 2}})
    d.write_through(T + 60)
    t.eq(d.stop(), 0, "a stop while a file fails is clean")
    d.start()
    d.fault("store_write")
    d.write_through(T + 120)
    t.eq(totals(d.data_dir, "bad.example.com", T - 600, T + 600)["spam"], 7,
         "once the file works, every count that waited is in it, across a restart")
    t.eq(totals(d.data_dir, "_total", T - 600, T + 600)["spam"], 15, "and in _total")
    t.eq(d.get("/healthz").json().get("status"), "ok", "and /healthz is ok again")
finally:
    d.cleanup()


# 8. When every file fails (a disk gone read-only, rrdcached started anew),
# /healthz and /metrics name a few and count them all: a health check
# polled every few seconds stays small with 100,000 sources.
d = Daemon()
try:
    T = aligned_now() + 60
    d.set_clock(T - 30)
    d.fault("store_write", "EIO")
    names = ["f%02d.example.com" % i for i in range(30)]
    r = d.post_counts([{"source": n, "time": T, "counts": {"spam": 1}} for n in names])
    t.eq(r.status, 202, "thirty sources accepted")
    d.write_through(T)
    h = d.get("/healthz").json()
    shown = [f["file"] for f in h.get("failing", [])]
    t.ok(h.get("status") == "degraded" and h.get("failing_count") == 31 and
         len(shown) == 20 and len(set(shown)) == 20 and
         set(shown) <= set(n + ".rrd" for n in names) | {"_total.rrd"},
         "/healthz names 20 of the 31 failing files and counts them all", h)
    m = d.get("/metrics").body.decode()
    t.ok(m.count("spamtrend_file_failing{") == 20 and
         "\nspamtrend_flush_failing_files 31\n" in m,
         "/metrics labels 20 of them and counts all 31",
         [l for l in m.splitlines() if "failing" in l])
    d.fault("store_write")
    d.write_through(T + 60)
    h = d.get("/healthz").json()
    t.ok(h.get("status") == "ok" and
         totals(d.data_dir, "_total", T - 600, T + 600)["spam"] == 30,
         "once writing works, every count is in _total and /healthz is ok", h)
finally:
    d.cleanup()
t.done()
