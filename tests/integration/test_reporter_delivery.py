"""How the reporters deliver, against the real spamtrendd where it can
answer what is tested (and a stub collector for 503 and for a request that
never gets an answer): two reporters share one source, a batch refused for
one element is split and the rest stored, the spool is kept on 5xx and
dropped on a permanent 4xx, every request names its source, SIGTERM ends a
reporter at once, and spamtrend-rspamd cuts a reading into one submission
per step."""
import http.server
import importlib.machinery
import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

from harness import Daemon, Tap, aligned_now
from reporters import EXPECTED, LOGREPORT, RSPAMD, SCRIPTS, moved, per_step, report, want_steps

t = Tap(22)


class Stub:
    """A collector stand-in on a free loopback port: answers POSTs with
    `status` (or never, with status None) and records what it was sent."""

    def __init__(self, status):
        self.status = status
        self.requests = []  # (headers, body)
        self.release = threading.Event()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n) or b"null")
                stub.requests.append((dict(self.headers), body))
                if stub.status is None:
                    stub.release.wait(60)
                    return
                out = json.dumps({"error": "journal_unavailable", "field": "",
                                  "detail": "stub"} if stub.status >= 300 else
                                 {"accepted": len(body), "duplicates": 0}).encode()
                self.send_response(stub.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_GET(self):  # rspamd's /stat
                out = json.dumps(stub.stat).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        self.stat = {}
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.srv.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.srv.shutdown()
        self.srv.server_close()


def wait_for(cond, timeout=30):
    """Poll cond until true, or give up after timeout (the check then fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def stops_promptly(p, limit=10):
    """SIGTERM p; its exit status if it ended within limit seconds, else None."""
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(limit)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


def write_log(path, lines):
    with open(path, "w") as f:
        f.writelines(lines)


d = Daemon()
tmp = d.tmp
stubs = []
try:
    base = aligned_now()

    # Two reporters (a Postfix+amavis log and rspamd's own log) report for
    # one source; their ids differ by instance, so both are stored.
    a, b = os.path.join(tmp, "mail.log"), os.path.join(tmp, "rspamd.log")
    write_log(a, moved("postfix-amavis.log", base))
    write_log(b, moved("rspamd.log", base))
    ra = report(d, "shared.example.com", a, a + ".state")
    rb = report(d, "shared.example.com", b, b + ".state")
    t.ok(ra.returncode == 0 and rb.returncode == 0 and "refused" not in ra.stderr + rb.stderr
         and not os.listdir(a + ".state.spool") and not os.listdir(b + ".state.spool"),
         "two reporters on one source: both accepted", ra.stderr + rb.stderr)
    two_reporters_base = base

    # A batch with elements the collector refuses (a clock-skewed log line
    # 15 minutes ahead): the batch is split, the good minutes stored, the
    # refused ones dropped with the reason.
    c = os.path.join(tmp, "skew.log")
    lines = moved("postfix-spamd.log", base)
    ahead = [l.replace(l[:19], time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + s)), 1)
             .replace("+01:00", "+00:00", 1) for l, s in ((lines[2], 900), (lines[7], 960))]
    write_log(c, lines + ahead)
    rc = report(d, "skew.example.com", c, c + ".state")
    t.ok(rc.returncode == 0 and "time_in_future" in rc.stderr and "dropped" in rc.stderr
         and not os.listdir(c + ".state.spool"),
         "a refused element is dropped with its reason, the spool emptied", rc.stderr)
    skew_base = base

    # 503: everything stays in the spool, each request names its source.
    stub = Stub(503)
    stubs.append(stub)
    e = os.path.join(tmp, "later.log")
    write_log(e, moved("postfix-amavis.log", base))
    r = report(d, "Later.Example.com.", e, e + ".state", port=int(stub.url.rsplit(":", 1)[1]))
    spooled = os.listdir(e + ".state.spool")
    t.ok(r.returncode == 0 and spooled and "kept in the spool" in r.stderr,
         "503: the minutes stay in the spool", r.stderr)
    t.ok(stub.requests and all(h.get("X-Spamtrend-Source") == "later.example.com"
                               for h, _ in stub.requests),
         "every request carries X-Spamtrend-Source, the name as stored (--source "
         "Later.Example.com.)", [h for h, _ in stub.requests])
    r = report(d, "later.example.com", e, e + ".state")
    t.ok(r.returncode == 0 and not os.listdir(e + ".state.spool"),
         "the collector back: the spool is sent and emptied", r.stderr)

    # A permanent refusal (422 bad_source from the real collector): dropped
    # and logged, not retried for ever.
    f = os.path.join(tmp, "bad.log")
    write_log(f, moved("postfix-amavis.log", base))
    r = report(d, "bad_source!", f, f + ".state")
    t.ok(r.returncode == 0 and "bad_source" in r.stderr and "dropped" in r.stderr
         and not os.listdir(f + ".state.spool"),
         "422: dropped with the reason in the log", r.stderr)

    # SIGTERM while waiting for the next poll (10 minutes away).
    g = os.path.join(tmp, "idle.log")
    write_log(g, moved("postfix-amavis.log", base))
    p = subprocess.Popen([sys.executable, LOGREPORT, "--poll", "600", "--url",
                          "http://127.0.0.1:%d/api/v1/counts" % d.port, "--source",
                          "idle.example.com", "--state", g + ".state", g],
                         stderr=subprocess.PIPE, text=True)
    t.ok(wait_for(lambda: os.path.exists(g + ".state")), "logreport: the first poll is done")
    t.eq(stops_promptly(p), 0, "logreport: SIGTERM while it waits ends it at once")
    p.stderr.close()

    # SIGTERM while a request hangs (a collector that never answers): the
    # reporter ends at once and the report stays in the spool.
    hang = Stub(None)
    stubs.append(hang)
    h = os.path.join(tmp, "hang.log")
    write_log(h, moved("postfix-amavis.log", base))
    p = subprocess.Popen([sys.executable, LOGREPORT, "--poll", "600", "--url",
                          hang.url + "/api/v1/counts", "--source", "hang.example.com",
                          "--state", h + ".state", h], stderr=subprocess.PIPE, text=True)
    t.ok(wait_for(lambda: hang.requests), "logreport: a request is in flight")
    t.eq(stops_promptly(p), 0, "logreport: SIGTERM during a request ends it at once")
    t.ok(os.listdir(h + ".state.spool"), "the report it was sending stays in the spool")
    p.stderr.close()

    # spamtrend-rspamd: SIGTERM between readings.
    sink = Stub(202)
    stubs.append(sink)
    sink.stat = {"actions": {"reject": 5, "add header": 4, "rewrite subject": 1,
                             "greylist": 2, "no action": 88, "soft reject": 3}}
    st = os.path.join(tmp, "rspamd.state")
    p = subprocess.Popen([sys.executable, RSPAMD, "--interval", "600", "--url",
                          sink.url + "/api/v1/counts", "--controller", sink.url,
                          "--source", "rs.example.com", "--state", st],
                         stderr=subprocess.PIPE, text=True)
    t.ok(wait_for(lambda: os.path.exists(st)), "rspamd: the first reading is done")
    t.eq(stops_promptly(p), 0, "rspamd: SIGTERM between readings ends it at once")
    p.stderr.close()

    # A reading 150 s after the last one is cut at step boundaries.
    with open(st) as fh:
        prev = json.load(fh)
    prev["time"] -= 150
    then = prev["time"]
    with open(st, "w") as fh:
        json.dump(prev, fh)
    sink.stat["actions"].update({"reject": 50, "add header": 14, "no action": 188,
                                 "soft reject": 9, "review": 7})
    sink.requests.clear()
    r = subprocess.run([sys.executable, RSPAMD, "--once", "--url", sink.url + "/api/v1/counts",
                        "--controller", sink.url, "--source", "rs.example.com", "--state", st],
                       capture_output=True, text=True, timeout=60)
    subs = [s for _, body in sink.requests for s in body]
    now = json.load(open(st))["time"]
    t.ok(r.returncode == 0 and len(subs) in (3, 4), "rspamd: 150 s become one submission per step",
         (r.stderr, subs))
    t.eq((sum(s["counts"]["spam"] for s in subs), sum(s["counts"]["ham"] for s in subs)),
         (45 + 10 + 7, 100),
         "rspamd: the parts sum exactly to the growth (custom action as spam, soft reject not counted)")
    t.ok(all(s["interval"] <= 60 and (s["time"] % 60 == 0 or s["time"] == now) and
             s["time"] - s["interval"] >= then for s in subs) and
         sum(s["interval"] for s in subs) == now - then,
         "rspamd: each part lies inside one step and together they cover the span", subs)
    t.ok(len({s["id"] for s in subs}) == len(subs) and
         all(s["id"].startswith("rspamd:" + sink.url) for s in subs),
         "rspamd: each part has its own id, naming the instance", [s["id"] for s in subs])
    sink.stat["actions"]["reject"] += 1
    with open(st) as fh:
        prev = json.load(fh)
    prev["time"] -= 60
    with open(st, "w") as fh:
        json.dump(prev, fh)
    r = subprocess.run([sys.executable, RSPAMD, "--once", "--url", stub.url + "/api/v1/counts",
                        "--controller", sink.url, "--source", "rs.example.com", "--state", st],
                       capture_output=True, text=True, timeout=60)
    t.ok("spamtrend-rspamd: collector unavailable (503" in r.stderr and
         "spamtrend-logreport" not in r.stderr,
         "rspamd: its log lines name spamtrend-rspamd", r.stderr)

    # spread() itself: any counts over any span sum exactly.
    loader = importlib.machinery.SourceFileLoader("rs", RSPAMD)
    spec = importlib.util.spec_from_loader("rs", loader)
    rs = importlib.util.module_from_spec(spec)
    loader.exec_module(rs)
    rnd = random.Random(7)
    bad = []
    for _ in range(500):
        start = rnd.randint(0, 10 ** 6)
        end = start + rnd.randint(1, 7200)
        counts = {"spam": rnd.randint(0, 10 ** 6), "ham": rnd.randint(0, 5)}
        parts = rs.spread(start, end, counts, 60)
        if any(sum(p[2][k] for p in parts) != v for k, v in counts.items()) or \
                sum(p[1] for p in parts) != end - start or \
                any((p[0] - p[1]) // 60 != (p[0] - 1) // 60 for p in parts):
            bad.append((start, end, counts))
    t.ok(not bad, "spread: 500 random spans sum exactly, one step per part", bad[:3])
    d.write_through(base + 120)
finally:
    for s in stubs:
        s.close()
    rc = d.stop()
t.eq(rc, 0, "the collector stops cleanly")

want = want_steps("postfix-amavis.log", two_reporters_base)
for label, counts in want_steps("rspamd.log", two_reporters_base).items():
    for k, v in counts.items():
        want[label][k] += v
t.eq(per_step(d.data_dir, "shared.example.com", sorted(want)), want,
     "two reporters on one source: each minute holds the sum of both logs")
want = want_steps("postfix-spamd.log", skew_base)
t.eq(per_step(d.data_dir, "skew.example.com", sorted(want)), want,
     "the batch with a refused element: the good minutes are stored")
d.cleanup()
t.done()
