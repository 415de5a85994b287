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
t = Tap(31)


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
    t.eq(d.stop(), 0, "clean stop after the restart")
    got = totals(d.data_dir, "mx1.example.com", T - 600, T + 600)
    t.eq((got["spam"], got["ham"]), (5, 7), "retries counted once, replay after kill -9 exact")
finally:
    d.cleanup()

# 2. Crash test: concurrent reporters, kill -9 at random moments, retries.
d = Daemon()
try:
    sources = ["crash%d.example.com" % i for i in range(4)]
    res = crash_run(d, sources, kills=5, seed=42)
    t.eq(res["errors"], [], "reporters saw only 2xx, 409 or 503")
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
    t.eq(d.stop(), 0, "the daemon writes past a corrupt file")
    t.ok(os.path.exists(os.path.join(d.data_dir, "junk.example.com.rrd.corrupt")),
         "the corrupt file is moved aside to .corrupt", os.listdir(d.data_dir))
    t.eq(totals(d.data_dir, "junk.example.com", T - 600, T + 600)["spam"], 4,
         "and recreated with the new counts")
    t.eq(totals(d.data_dir, "fine.example.com", T - 600, T + 600)["spam"], 6,
         "other sources keep working")
finally:
    d.cleanup()

# 6. Disk full: 507, nothing acknowledged that is not durable, recovery.
mnt = None
try:
    import tempfile
    mnt = tempfile.mkdtemp(prefix="spamtrend-full-")
    rc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt],
                        capture_output=True).returncode if os.geteuid() == 0 else 1
except OSError:
    rc = 1
if rc != 0:
    t.skip_rest("cannot mount a small tmpfs here (needs root)")
    if mnt:
        shutil.rmtree(mnt, ignore_errors=True)
    t.done()

d = Daemon("--min-free-disk", "0", data_dir=os.path.join(mnt, "data"))
try:
    T = aligned_now() + 60
    acked_spam = 0
    r = d.post_counts({"source": "full.example.com", "time": T, "counts": {"spam": 1}})
    acked_spam += 1 if r.status == 202 else 0
    filler = os.path.join(mnt, "filler")
    fill(filler)
    statuses = []
    for i in range(200):
        r = d.post_counts({"source": "full.example.com", "time": T,
                           "counts": {"spam": 1}, "id": "full-%d" % i})
        statuses.append(r.status)
        if r.status == 202:
            acked_spam += 1
        if r.status == 507:
            break
    t.ok(statuses and statuses[-1] == 507 and
         r.json().get("error") == "insufficient_storage",
         "a full disk answers 507 insufficient_storage", statuses[-5:])
    h = d.get("/healthz")
    t.eq(h.status, 503, "/healthz says degraded while the journal cannot be written")
    os.unlink(filler)
    r = d.post_counts({"source": "full.example.com", "time": T, "counts": {"spam": 1},
                       "id": "full-after"})
    acked_spam += 1 if r.status == 202 else 0
    t.eq(r.status, 202, "when space returns, submissions are accepted again by themselves")
    t.eq(d.get("/healthz").status, 200, "and /healthz is ok again")
    t.ok(d.logs().count("refusing submissions") == 1, "the condition is logged once",
         d.logs())
    t.eq(d.stop(), 0, "clean stop")
    t.eq(totals(d.data_dir, "full.example.com", T - 600, T + 600)["spam"], acked_spam,
         "exactly the acknowledged submissions are stored")
finally:
    d.cleanup()
    subprocess.run(["umount", mnt], capture_output=True)
    shutil.rmtree(mnt, ignore_errors=True)


# 7. An RRD file that cannot be written (no space to create it): the step is
# retried, in order, until space returns; nothing acknowledged is lost.
mnt = tempfile.mkdtemp(prefix="spamtrend-full2-")
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt], check=True,
               capture_output=True)
d = Daemon("--min-free-disk", "0", "--step", "10", "--lateness", "1",
           data_dir=os.path.join(mnt, "data"))
try:
    now = int(time.time())
    r1 = d.post_counts({"source": "late.example.com", "time": now, "interval": 10,
                        "counts": {"spam": 5}})
    filler = os.path.join(mnt, "filler")
    fill(filler)
    r2 = d.post_counts({"source": "late.example.com", "time": now, "interval": 10,
                        "counts": {"spam": 7}})
    acked = (5 if r1.status == 202 else 0) + (7 if r2.status == 202 else 0)
    deadline = time.time() + 40
    while time.time() < deadline and "could not be written" not in d.logs():
        time.sleep(0.5)
    t.ok("could not be written in full; retrying" in d.logs(),
         "a step that cannot be written is reported and retried", d.logs()[-500:])
    os.unlink(filler)
    deadline = time.time() + 60
    while time.time() < deadline and "written after all" not in d.logs():
        time.sleep(0.5)
    t.ok("written after all" in d.logs(), "once space returns the step is written by itself",
         d.logs()[-500:])
    t.eq(d.stop(), 0, "clean stop")
    got = rrd_totals(os.path.join(d.data_dir, "late.example.com.rrd"), now - 600, now + 600,
                     step=10)
    t.ok(acked > 0 and got["spam"] == acked,
         "exactly the acknowledged counts are stored (%d)" % acked, got)
finally:
    d.cleanup()
    subprocess.run(["umount", mnt], capture_output=True)
    shutil.rmtree(mnt, ignore_errors=True)
t.done()
