"""The reporters against the real spamtrendd: spamtrend-logreport reads
the fixture logs (time stamps moved to now), survives rotation, spools
while the collector is down and resends without counting twice;
spamtrend-rspamd turns a stat server's counters into deltas, across a
counter reset.  The stock rrdtool reads back the counts."""
import datetime
import http.server
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

from harness import Daemon, Tap, aligned_now, rrd_fetch
from reporters import (CATS, EXPECTED, FIXTURES, LOGREPORT, RSPAMD, moved, per_step,
                       report, want_steps)

t = Tap(27)

d = Daemon()
tmp = d.tmp
checks = []  # (name, source, base, extra) verified after the daemon stops
try:
    # Every fixture, each as its own source.
    base = aligned_now()
    for i, name in enumerate(sorted(EXPECTED)):
        log = os.path.join(tmp, name)
        with open(log, "w") as f:
            f.writelines(moved(name, base))
        source = "fx%d.example.com" % i
        r = report(d, source, log, os.path.join(tmp, name + ".state"))
        t.ok(r.returncode == 0 and not os.listdir(os.path.join(tmp, name + ".state.spool")),
             "%s: reported, nothing left in the spool" % name, r.stderr)
        checks.append((name, source, base, None))

    # Rotation: read half, the log is renamed and a new one started while
    # the writer still appends a last line to the old file.
    log = os.path.join(tmp, "rot.log")
    state = os.path.join(tmp, "rot.state")
    lines = moved("postfix-amavis.log", base)
    first = lines[:7]  # the fixture's 20:01 lines
    rest = lines[len(first):]
    with open(log, "w") as f:
        f.writelines(first[:3])
    r1 = report(d, "rot.example.com", log, state)
    with open(log, "a") as f:
        f.writelines(first[3:])
    os.rename(log, log + ".1")
    with open(log + ".1", "a") as f:
        f.write(time.strftime("%b %e %H:%M:%S", time.localtime(base + 58)) +
                " mx1 amavis[2125]: (02125-01) Passed CLEAN {RelayedInbound}, [192.0.2.40]:1 "
                "[192.0.2.40] <late@example.org> -> <bob@example.com>, Hits: 0.0, size: 100\n")
    with open(log, "w") as f:
        f.writelines(rest)
    r2 = report(d, "rot.example.com", log, state)
    r3 = report(d, "rot.example.com", log, state)
    t.ok(r1.returncode == 0 and r2.returncode == 0 and r3.returncode == 0,
         "the reporter runs across the rotation", r1.stderr + r2.stderr + r3.stderr)
    checks.append(("postfix-amavis.log", "rot.example.com", base, {"ham": 1}))

    # Back-fill to CSV.
    old = os.path.join(tmp, "old.log")
    with open(old, "w") as f:
        f.writelines(moved("exim-mainlog", 1226430000))
    csv = os.path.join(tmp, "old.csv")
    r = subprocess.run([sys.executable, LOGREPORT, "--backfill", old, "--csv", csv],
                       capture_output=True, text=True, timeout=60)
    with open(csv) as f:
        rows = f.read().splitlines()
    e = EXPECTED["exim-mainlog"]
    t.eq(rows[:3], ["time,iso8601,spam,ham,virus,rejected",
                    "1226430060,2008-11-11T19:01:00Z,%s" % ",".join(str(e[0][c]) for c in CATS),
                    "1226430120,2008-11-11T19:02:00Z,%s" % ",".join(str(e[1][c]) for c in CATS)],
         "--backfill --csv writes the export format, labelled by the minute's end")

    # Time stamps without a year.
    loader = importlib.machinery.SourceFileLoader("lr", LOGREPORT)
    spec = importlib.util.spec_from_loader("lr", loader)
    lr = importlib.util.module_from_spec(spec)
    loader.exec_module(lr)
    jan = time.mktime((2009, 1, 1, 0, 0, 30, 0, 0, -1))
    t.eq(lr.rules.parse_time("Dec 31 23:59:50 mx1 x: y", jan),
         time.mktime((2008, 12, 31, 23, 59, 50, 0, 0, -1)),
         "a December line read in January belongs to last year")
    t.eq(lr.rules.parse_time("2008-11-11T20:01:02.5Z mx1 x: y", jan), 1226433662.5,
         "an RFC 3339 time stamp is read with its zone")

    # rspamd: a fake controller (the peer) serves /stat.
    stat = {"scanned": 100, "spam_count": 10, "ham_count": 90,
            "actions": {"reject": 5, "add header": 4, "rewrite subject": 1, "greylist": 2,
                        "no action": 88, "soft reject": 0}}

    class Stat(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(stat).encode() if self.path == "/stat" else b"{}"
            self.send_response(200 if self.path == "/stat" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Stat)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    rstate = os.path.join(tmp, "rspamd.state")

    def poll():
        time.sleep(1.1)  # readings are at least a second apart
        return subprocess.run([sys.executable, RSPAMD, "--once", "--url",
                               "http://127.0.0.1:%d/api/v1/counts" % d.port, "--controller",
                               "http://127.0.0.1:%d" % srv.server_address[1],
                               "--source", "rspamd.example.com", "--state", rstate],
                              capture_output=True, text=True, timeout=60)

    r = poll()
    t.ok(r.returncode == 0 and not os.listdir(rstate + ".spool") and
         not os.path.exists(os.path.join(d.data_dir, "rspamd.example.com.rrd")) and
         json.load(open(rstate))["values"]["reject"] == 5,
         "the first reading only sets the starting point", r.stderr)
    stat["actions"].update({"reject": 10, "add header": 7, "rewrite subject": 2,
                            "greylist": 9, "no action": 108})
    r = poll()
    t.ok(r.returncode == 0, "the second reading reports the growth", r.stderr)
    # rspamd restarted: every counter starts again from zero.
    stat["actions"].update({"reject": 2, "add header": 0, "rewrite subject": 0,
                            "greylist": 1, "no action": 4})
    r = poll()
    t.ok(r.returncode == 0 and "restarted" in r.stderr, "a counter reset is noticed", r.stderr)
    srv.shutdown()
    d.write_through(aligned_now() + 120)
finally:
    rc = d.stop()
t.eq(rc, 0, "the collector stops cleanly")

for name, source, base, extra in checks:
    want = want_steps(name, base, extra)
    got = per_step(d.data_dir, source, sorted(want))
    t.eq(got, want, "%s: each minute holds exactly the fixture's counts (%s)" % (name, source))
names, rows = rrd_fetch(os.path.join(d.data_dir, "rspamd.example.com.rrd"),
                        aligned_now() - 600, aligned_now() + 120)
tot = {n: sum(round(v[i] * 60) for _, v in rows if v[i] is not None) for i, n in enumerate(names)}
t.eq((tot["spam"], tot["ham"], tot["virus"], tot["rejected"]), (9 + 2, 20 + 4, 0, 0),
     "rspamd: spam = reject + add header + rewrite subject, ham = no action, "
     "the reset counted from zero, no negative count")

# Spool and resend: the collector is down, then back on the same data dir.
d2 = Daemon()
try:
    port = d2.port
    d2.stop()
    base = aligned_now()
    log = os.path.join(d2.tmp, "spool.log")
    state = os.path.join(d2.tmp, "spool.state")
    with open(log, "w") as f:
        f.writelines(moved("postfix-spamd.log", base))
    r = report(d2, "spool.example.com", log, state, port=port)
    spooled = sorted(os.listdir(state + ".spool"))
    t.ok(r.returncode == 0 and len(spooled) >= 1,
         "with the collector down the minutes wait in the spool", r.stderr)
    keep = os.path.join(d2.tmp, "copy.json")
    shutil.copy(os.path.join(state + ".spool", spooled[0]), keep)
    d2.start()
    r = report(d2, "spool.example.com", log, state)
    t.ok(r.returncode == 0 and not os.listdir(state + ".spool"),
         "back up: the spool is sent and emptied", r.stderr)
    # The same batch again (as after a crash before the spool file was removed).
    shutil.copy(keep, os.path.join(state + ".spool", "00000000000000000000-000000.json"))
    r = report(d2, "spool.example.com", log, state)
    t.ok(r.returncode == 0 and not os.listdir(state + ".spool") and "refused" not in r.stderr,
         "a resent batch is taken as a duplicate", r.stderr)
    d2.write_through(aligned_now() + 120)
    t.eq(d2.stop(), 0, "the collector stops cleanly")
    want = want_steps("postfix-spamd.log", base)
    t.eq(per_step(d2.data_dir, "spool.example.com", sorted(want)), want,
         "after spool and resend each minute holds the counts once")
finally:
    d2.cleanup()
    d.cleanup()
t.done()
