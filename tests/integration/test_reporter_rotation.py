"""spamtrend-logreport across log rotation, against the real spamtrendd:
renamed to a date suffix (postfix logrotate's .YYYYMMDD-HHMMSS, logrotate
dateext's -YYYYMMDD), compressed or not, while the reporter was stopped
and while it runs (a writer still appending to the renamed file); the
old file's tail is never lost and nothing is counted twice."""
import bz2
import gzip
import json
import lzma
import os
import signal
import subprocess
import sys
import time

from harness import Daemon, Tap, aligned_now
from reporters import EXPECTED, LOGREPORT, moved, per_step, report, want_steps

t = Tap(12)


def compress(path, how):
    """Compress path to path.<how> the way logrotate does, removing it."""
    opener = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}[how]
    st = os.stat(path)
    with open(path, "rb") as f, opener(path + "." + how, "wb") as g:
        g.write(f.read())
    os.utime(path + "." + how, (st.st_atime, st.st_mtime))
    os.unlink(path)


def wait_for(cond, what, timeout=30):
    """Poll cond until it is true; False after timeout (the test then fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    print("# timed out waiting for %s" % what, flush=True)
    return False


d = Daemon()
tmp = d.tmp
checks = []
try:
    base = aligned_now()
    lines = moved("postfix-amavis.log", base)
    first, rest = lines[:7], lines[7:]  # the 20:01 lines, the 20:02 lines

    # Rotated while the reporter was stopped, in each shape.
    shapes = [(".20081111-200102", None), (".20081111-200102", "gz"), ("-20081111", "gz"),
              ("-20081111", None), (".1", "bz2"), (".1", "xz")]
    for i, (suffix, how) in enumerate(shapes):
        source = "stopped%d.example.com" % i
        log = os.path.join(tmp, "mail%d.log" % i)
        state = log + ".state"
        # An older rotation that must not be read again.
        with open(log + suffix.replace("2008", "2007").replace(".1", ".2"), "w") as f:
            f.writelines(first)
        os.utime(log + suffix.replace("2008", "2007").replace(".1", ".2"), (1, 1))
        with open(log, "w") as f:
            f.writelines(first[:3])
        r1 = report(d, source, log, state)
        with open(log, "a") as f:
            f.writelines(first[3:])          # written after the last read
        os.rename(log, log + suffix)
        if how:
            compress(log + suffix, how)
        with open(log, "w") as f:
            f.writelines(rest)
        r2 = report(d, source, log, state)
        ok = r1.returncode == 0 and r2.returncode == 0 and "not counted" not in r2.stderr
        t.ok(ok, "rotated to *%s%s while stopped: the reporter finds the old file"
             % (suffix, "." + how if how else ""), r1.stderr + r2.stderr)
        checks.append((source, base, "*%s%s" % (suffix, "." + how if how else "")))

    # Rotated while the reporter runs: the writer appends one more line to
    # the renamed file before it reopens, then logrotate compresses it.
    source = "live.example.com"
    log = os.path.join(tmp, "live.log")
    state = log + ".state"
    with open(log, "w") as f:
        f.writelines(first[:3])
    url = "http://127.0.0.1:%d/api/v1/counts" % d.port
    p = subprocess.Popen([sys.executable, LOGREPORT, "--poll", "0.1", "--url", url,
                          "--source", source, "--state", state, log],
                         stderr=subprocess.PIPE, text=True)

    def read_through(path):
        """True once the reporter's state says it has read path to its end."""
        try:
            with open(state) as f:
                st = json.load(f)["file"]
            fst = os.stat(path)
        except (OSError, ValueError, KeyError):
            return False
        return st["inode"] == fst.st_ino and st["offset"] == fst.st_size

    t.ok(wait_for(lambda: read_through(log), "the first lines"), "live: the first lines are read")
    with open(log, "a") as f:
        f.writelines(first[3:6])
    os.rename(log, log + ".20081111-200102")
    with open(log, "w") as f:
        f.writelines(rest[:2])
    t.ok(wait_for(lambda: read_through(log), "the new file"), "live: the new file is followed")
    with open(log + ".20081111-200102", "a") as f:
        f.writelines(first[6:])             # the writer had not reopened yet
    compress(log + ".20081111-200102", "gz")
    with open(log, "a") as f:
        f.writelines(rest[2:])
    t.ok(wait_for(lambda: read_through(log) and not os.listdir(state + ".spool"),
                  "the last lines to be sent"), "live: every line read and sent")
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    t.eq(rc, 0, "live: the reporter stops on SIGTERM")
    p.stderr.close()
    checks.append((source, base, "live"))
    d.write_through(base + 120)
finally:
    rc = d.stop()
t.eq(rc, 0, "the collector stops cleanly")

want = want_steps("postfix-amavis.log", base)
bad = []
for source, b, what in checks:
    got = per_step(d.data_dir, source, sorted(want))
    if got != want:
        bad.append("%s (%s): got %r" % (what, source, got))
t.ok(not bad, "every rotation: each minute holds exactly the log's counts, once", "\n".join(bad))
d.cleanup()
t.done()
