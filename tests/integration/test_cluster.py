"""scripts/cluster: three collectors behind nginx, one data directory, one
rrdcached.  Sixty reporters post through nginx (X-Spamtrend-Source, an id
on every submission) and retry whatever did not get a 2xx; one collector is
killed with SIGKILL mid-stream and brought back with `cluster up`; then
every source's counts and the total, read through nginx and from each
collector directly, equal what was acknowledged: nothing lost, nothing
counted twice.

The collectors share one clock (a faults file): the reporters send counts
for two steps already written (late, patched in) and two still open, and
the test moves the clock on at the end so that everything is written.
Then rrdcached is killed while it holds updates not yet written, and
`cluster up` brings it back with the collectors, before the counts are
read."""
import csv
import ctypes
import http.client
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from harness import CATEGORIES, SRCDIR, Daemon, Tap, aligned_now


def find(name):
    return shutil.which(name) or next(
        (p for p in ("/usr/sbin/" + name, "/usr/bin/" + name)
         if os.access(p, os.X_OK)), None)


missing = [n for n in ("nginx", "rrdcached") if find(n) is None]
if missing:
    print("1..0 # SKIP %s not installed (scripts/deps --test installs them)"
          % " and ".join(missing), flush=True)
    sys.exit(0)

SOURCES = ["mx%02d.example.net" % i for i in range(60)]
T0 = aligned_now()                           # the last step counted
TIMES = [T0 - 180, T0 - 120, T0 - 60, T0]    # two written already, two open
KILLED = 2

# Collectors the cluster script leaves behind become ours when it exits, so
# that a killed one can be reaped (PR_SET_CHILD_SUBREAPER).
try:
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
except (OSError, AttributeError):
    pass

t = Tap(13)
tmp = tempfile.mkdtemp(prefix="spamtrend-cluster-")
cdir = os.path.join(tmp, "cluster")
faults = os.path.join(tmp, "faults")
env = dict(os.environ, SPAMTRENDD_FAULTS=faults)


def set_clock(when):
    with open(faults + ".tmp", "w") as f:
        f.write("clock %d\n" % when)
    os.rename(faults + ".tmp", faults)


def cluster(*args):
    return subprocess.run([sys.executable, os.path.join(SRCDIR, "scripts", "cluster")]
                          + list(args), env=env, capture_output=True, text=True,
                          timeout=600)


def pid_of(k):
    with open(os.path.join(cdir, "collector-%d.pid" % k)) as f:
        return int(f.read())


def port_of(k):
    with open(os.path.join(cdir, "collector-%d.port" % k)) as f:
        return int(f.read())


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def reap():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


class Reporters:
    """One thread per source, posting one submission after another through
    nginx and retrying each until it gets a 2xx."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.acked = {}
        self.in_phase = {}
        self.phase = 0
        self.refused = []
        self.retries = 0
        self.repeats = 0
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(s,)) for s in SOURCES]

    def run(self, source):
        rnd = random.Random(source)
        head = {"Content-Type": "application/json", "X-Spamtrend-Source": source}
        conn, seq, sub = None, 0, None
        while True:
            if sub is None:
                if self.halt.is_set():
                    break
                seq += 1
                sub = {"source": source, "time": TIMES[seq % len(TIMES)],
                       "interval": 60, "id": "%s-%d" % (source, seq),
                       "counts": {c: rnd.randint(0, 50) for c in CATEGORIES}}
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                conn.request("POST", "/api/v1/counts", json.dumps(sub), head)
                r = conn.getresponse()
                body = r.read()
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
                with self.lock:
                    self.retries += 1
                time.sleep(0.05)
                continue
            if r.status in (200, 202):
                with self.lock:
                    for c in CATEGORIES:
                        self.acked[(source, c)] = self.acked.get((source, c), 0) + \
                            sub["counts"][c]
                    key = (source, self.phase)
                    self.in_phase[key] = self.in_phase.get(key, 0) + 1
                    self.repeats += r.status == 200
                sub = None
            elif r.status in (502, 503, 504):
                with self.lock:
                    self.retries += 1
                time.sleep(0.05)
            else:
                with self.lock:
                    self.refused.append((source, r.status, body[:200]))
                sub = None
        if conn is not None:
            conn.close()

    def next_phase(self):
        with self.lock:
            self.phase += 1

    def wait_phase(self, each, timeout=180):
        """Wait until every source had `each` submissions acknowledged in
        the current phase; False when that takes longer than timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if all(self.in_phase.get((s, self.phase), 0) >= each for s in SOURCES):
                    return True
            reap()
            time.sleep(0.05)
        return False


def sums(port, source):
    """{category: messages} of a source's export between the first and the
    last step counted."""
    d = Daemon.attach(port, faults)
    r = d.get("/export.csv?source=%s&start=%d&end=%d&step=60"
              % (source, T0 - 600, T0 + 120))
    if r.status != 200:
        return {"status": r.status}
    rows = list(csv.reader(io.StringIO(r.body.decode())))
    cols = {name: i for i, name in enumerate(rows[0])}
    out = {c: 0 for c in CATEGORIES}
    for row in rows[1:]:
        for c in CATEGORIES:
            if row[cols[c]] not in ("", "nan", "NaN"):
                out[c] += int(float(row[cols[c]]))
    return out


def compare(port, acked):
    """Every difference between what port answers and what was acknowledged."""
    diffs = []
    total = {c: 0 for c in CATEGORIES}
    for s in SOURCES:
        want = {c: acked.get((s, c), 0) for c in CATEGORIES}
        for c in CATEGORIES:
            total[c] += want[c]
        got = sums(port, s)
        if got != want:
            diffs.append((s, got, want))
    got = sums(port, "_total")
    if got != total:
        diffs.append(("_total", got, total))
    return diffs


def write_all(colls, clock):
    """Move the clock to clock and wait until every collector has written
    every step.  A source that moved has counts for the same steps at two
    collectors, which write its file in the same cycle: the one that finds
    the file moved on keeps its points for its next cycle (a step later),
    so the clock moves on a step at a time until no collector keeps any.
    Returns (clock, True or the error, cycles, points kept)."""
    rounds, parked = 0, None
    try:
        while rounds < 6:
            rounds += 1
            cycles = {k: d.metrics().get("spamtrend_flush_cycles_total", 0)
                      for k, d in colls.items()}
            set_clock(clock)
            for k, d in colls.items():
                d.wait_written(T0, cycles[k], timeout=120)
            parked = {k: d.metric("spamtrend_flush_parked_points")
                      for k, d in colls.items()}
            if not any(parked.values()):
                return clock, True, rounds, parked
            clock += 60
        return clock, "points still kept", rounds, parked
    except RuntimeError as e:
        return clock, e, rounds, parked


rep = None
try:
    set_clock(T0 + 30)
    r = cluster("up", "3", cdir)
    lines = r.stdout.strip().splitlines()
    url = lines[-1] if lines else ""
    t.ok(r.returncode == 0 and url.startswith("http://127.0.0.1:") and
         all(os.path.exists(os.path.join(cdir, "collector-%d.pid" % k)) for k in (1, 2, 3))
         and "started rrdcached" in r.stdout and "started nginx" in r.stdout,
         "cluster up starts rrdcached, three collectors and nginx, and prints the URL last",
         r.stdout + r.stderr)
    if r.returncode != 0:
        raise SystemExit
    nginx_port = int(url.rstrip("/").rsplit(":", 1)[1])
    colls = {k: Daemon.attach(port_of(k), faults,
                              log_path=os.path.join(cdir, "collector-%d.log" % k))
             for k in (1, 2, 3)}

    rep = Reporters(nginx_port)
    for th in rep.threads:
        th.start()
    ok = rep.wait_phase(3)
    before = colls[KILLED].metric("spamtrend_submissions_accepted_total") or 0
    t.ok(ok and before > 0, "sixty sources post through nginx; c%d takes its share" % KILLED,
         "accepted by c%d: %s" % (KILLED, before))

    victim = pid_of(KILLED)
    rep.next_phase()
    os.kill(victim, signal.SIGKILL)
    while alive(victim):
        reap()
        time.sleep(0.01)
    t.ok(rep.wait_phase(3),
         "with c%d killed every source goes on: nginx moves its sources to the others"
         % KILLED, (rep.in_phase, rep.retries))

    r = cluster("up", "3", cdir)
    lines = r.stdout.strip().splitlines()
    rep.next_phase()
    back = pid_of(KILLED)
    t.ok(r.returncode == 0 and lines and lines[-1] == url and back != victim and
         alive(back) and "started collector c%d " % KILLED in r.stdout and
         "started rrdcached" not in r.stdout and "started nginx" not in r.stdout and
         r.stdout.count("started collector") == 1 and "reloaded nginx" in r.stdout,
         "cluster up again brings back c%d alone (same port, same id) and reloads nginx"
         % KILLED, r.stdout + r.stderr)
    colls[KILLED].port = port_of(KILLED)
    deadline = time.time() + 60
    while (colls[KILLED].metric("spamtrend_submissions_accepted_total") or 0) == 0 \
            and time.time() < deadline:
        time.sleep(0.05)
    ok = rep.wait_phase(3)
    rep.halt.set()
    for th in rep.threads:
        th.join(120)
    again = colls[KILLED].metric("spamtrend_submissions_accepted_total") or 0
    t.ok(ok and again > 0, "c%d takes its sources again" % KILLED,
         "accepted since its return: %s" % again)
    with rep.lock:
        acked = dict(rep.acked)
        print("# %d submissions acknowledged (%d as repeats), %d retries"
              % (sum(rep.in_phase.values()), rep.repeats, rep.retries), flush=True)
    t.ok(not rep.refused, "nothing was refused", rep.refused[:5])

    # Every collector writes every step, late ones included.
    clock, written, rounds, parked = write_all(colls, T0 + 600)
    print("# written in %d cycle(s)" % rounds, flush=True)
    t.ok(written is True, "each collector writes every step", (written, parked))

    # rrdcached dies holding what the last cycles appended (unless a sync
    # came first); cluster up starts it and restarts the collectors, which
    # write again from their journals what the files lack.
    with open(os.path.join(cdir, "rrdcached.pid")) as f:
        rrdc = int(f.read())
    os.kill(rrdc, signal.SIGKILL)
    while alive(rrdc):
        reap()
        time.sleep(0.01)
    r = cluster("up", "3", cdir)
    reap()
    clock, rewritten, rounds, parked = write_all(colls, clock + 60)
    t.ok(r.returncode == 0 and "started rrdcached" in r.stdout and
         r.stdout.count("stopped collector") == 3 and
         r.stdout.count("started collector") == 3 and rewritten is True,
         "rrdcached killed: cluster up starts it and restarts the collectors, "
         "which write again what it lost", (r.stdout + r.stderr, rewritten))

    for name, port in [("nginx", nginx_port)] + [("c%d" % k, colls[k].port)
                                                 for k in (1, 2, 3)]:
        diffs = compare(port, acked)
        t.ok(not diffs, "read through %s, every source and the total equal what was "
             "acknowledged" % name, "\n".join(map(str, diffs[:10])))

    pids = [pid_of(k) for k in (1, 2, 3)]
    r = cluster("down", cdir)
    reap()
    t.ok(r.returncode == 0 and not any(alive(p) for p in pids) and
         cluster("status", cdir).returncode != 0,
         "cluster down stops them all", r.stdout + r.stderr)
except SystemExit:
    pass
finally:
    if rep is not None:
        rep.halt.set()
    if os.path.isdir(cdir):
        cluster("down", cdir)
    reap()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
