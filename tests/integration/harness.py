"""harness -- start the real spamtrendd on a free port with a temp data dir,
talk HTTP to it, and report results as TAP.

Used by every tests/integration/test_*.py; no third-party packages.
"""
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SPAMTRENDD = os.environ.get("SPAMTRENDD", "spamtrendd")
SRCDIR = os.environ.get("ST_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))


class Tap:
    """A TAP producer: plan up front, one line per check."""

    def __init__(self, plan):
        self.plan = plan
        self.n = 0
        self.failed = 0
        print("1..%d" % plan, flush=True)

    def ok(self, cond, name, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name), flush=True)
        if not cond and diag is not None:
            for line in str(diag).splitlines()[:40]:
                print("#   " + line, flush=True)
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got %r, want %r" % (got, want))

    def skip_rest(self, why):
        while self.n < self.plan:
            self.n += 1
            print("ok %d # SKIP %s" % (self.n, why), flush=True)

    def done(self):
        if self.n != self.plan:
            print("# planned %d, ran %d" % (self.plan, self.n), flush=True)
            sys.exit(1)
        sys.exit(1 if self.failed else 0)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


class Daemon:
    """One spamtrendd process on 127.0.0.1:<free port> with its own data dir."""

    def __init__(self, *args, data_dir=None, env=None, wait=True, clock=None):
        self.tmp = tempfile.mkdtemp(prefix="spamtrend-test-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.args = list(args)
        self.env = dict(os.environ)
        if env:
            self.env.update(env)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.tmp, "daemon.log")
        # Faults and the clock, for daemons built with fault injection
        # (scripts/check builds them so): see lib/fault.h.
        self.faults_path = os.path.join(self.tmp, "faults")
        self.fault_lines = {}
        self.env["SPAMTRENDD_FAULTS"] = self.faults_path
        open(self.faults_path, "w").close()
        if clock is not None:
            self.set_clock(clock)
        if wait:
            try:
                self.start()
            except Exception:
                # A daemon that does not start leaves nothing behind.
                self.cleanup()
                raise

    def option(self, name, default):
        """The value of --name among the daemon's arguments, or default."""
        args = self.args
        for i, a in enumerate(args):
            if a == "--" + name and i + 1 < len(args):
                return args[i + 1]
            if a.startswith("--" + name + "="):
                return a.split("=", 1)[1]
        return default

    def fault(self, point, value=None):
        """Set (or, with value None, clear) one line of the faults file:
        fault("journal_write", "ENOSPC"), fault("clock", 1226448060)."""
        if value is None:
            self.fault_lines.pop(point, None)
        else:
            self.fault_lines[point] = "%s %s" % (point, value)
        tmp = self.faults_path + ".tmp"
        with open(tmp, "w") as f:
            f.write("".join(l + "\n" for l in self.fault_lines.values()))
        os.rename(tmp, self.faults_path)

    def set_clock(self, t):
        """Give the daemon the time t (unix seconds) until changed again."""
        self.clock = int(t)
        self.fault("clock", self.clock)

    def now(self):
        """The daemon's time: the clock set, or the real one."""
        return getattr(self, "clock", None) or int(time.time())

    def metrics(self):
        """Every unlabelled metric of /metrics as {name: value}."""
        body = self.get("/metrics").body.decode()
        return {m.group(1): float(m.group(2)) for m in
                re.finditer(r"(?m)^([a-z_]+) ([-0-9.e+]+)$", body)}

    def metric(self, name):
        """The value of an unlabelled metric from /metrics, or None."""
        body = self.get("/metrics").body.decode()
        m = re.search(r"(?m)^%s ([-0-9.e+]+)$" % re.escape(name), body)
        return float(m.group(1)) if m else None

    @classmethod
    def attach(cls, port, faults_path, *args, log_path=None):
        """A Daemon for a spamtrendd started elsewhere (scripts/cluster) on
        port, whose clock is in faults_path and whose options are args:
        requests, metrics, the clock and write_through, never start nor
        stop."""
        d = cls.__new__(cls)
        d.tmp = None
        d.data_dir = None
        d.args = list(args)
        d.env = None
        d.proc = None
        d.port = port
        d.log_path = log_path or os.devnull
        d.faults_path = faults_path
        d.fault_lines = {}
        return d

    def write_through(self, step_end, timeout=30):
        """Move the daemon's clock so that every step up to step_end is due,
        and wait until the writer has written them (late ones included)."""
        step = int(self.option("step", 60))
        lateness = int(self.option("lateness", 2))
        # At least one step on, so that one more cycle runs (and retries
        # what waits for a failing file).
        start = self.metrics().get("spamtrend_flush_cycles_total", 0)
        self.set_clock(max(step_end + (lateness + 1) * step,
                           self.now() // step * step + step))
        return self.wait_written(step_end, start, timeout)

    def wait_written(self, step_end, cycles_before, timeout=30):
        """Wait until the writer has written every step up to step_end (late
        ones included) in cycles after the first cycles_before."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.metrics()
            if (m.get("spamtrend_open_window_start_seconds", 0) >= step_end
                    and m.get("spamtrend_late_waiting") == 0
                    and m.get("spamtrend_flush_cycles_total", 0) > cycles_before
                    and m.get("spamtrend_flush_cycles_total") ==
                    m.get("spamtrend_flush_cycles_queued_total")):
                return True
            time.sleep(0.1)
        raise RuntimeError("steps up to %d were not written in %d s\n%s\n%s" %
                           (step_end, timeout, {k: v for k, v in m.items()
                                                if "flush" in k or "late" in k or
                                                "window" in k}, self.logs()[-3000:]))

    def start(self, *extra):
        os.makedirs(self.data_dir, exist_ok=True)
        cmd = [SPAMTRENDD, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir,
               "--web-dir", os.path.join(SRCDIR, "web")] + self.args + list(extra)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log,
                                     env=self.env)
        deadline = time.time() + 30
        line = b""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(rb"listening on https?://[^ ]*:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                return self
        self.proc.wait(5)
        raise RuntimeError("spamtrendd did not start: %s\n%s" % (line, self.logs()))

    def logs(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def request(self, method, path, body=None, headers=None, timeout=30):
        h = {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode()
        if headers:
            h.update(headers)
        # Send from a thread while the response is read here, so that an early
        # answer (413 before the body is sent) is read rather than lost in a
        # broken pipe.
        import socket
        import threading
        body = body or b""
        if "Content-Length" not in h and (body or method in ("POST", "PUT")):
            h["Content-Length"] = str(len(body))
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n" % (
            method, path, self.port)
        head += "".join("%s: %s\r\n" % (k, v) for k, v in h.items()) + "\r\n"
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

        def send():
            try:
                sock.sendall(head.encode("latin-1") + body)
            except OSError:
                pass

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        try:
            r = http.client.HTTPResponse(sock, method=method)
            r.begin()
            data = r.read()
            return Response(r.status, r.getheaders(), data)
        finally:
            sender.join(timeout)
            sock.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, headers=None, gz=False):
        h = {"Content-Type": "application/json"}
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        if gz:
            body = gzip.compress(body)
            h["Content-Encoding"] = "gzip"
        if headers:
            h.update(headers)
        return self.request("POST", path, body=body, headers=h)

    def post_counts(self, body, **kw):
        return self.post("/api/v1/counts", body, **kw)

    def healthy(self):
        try:
            return self.get("/healthz").status == 200
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Stop the daemon; returns its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def rrd_fetch(path, start, end, cf="AVERAGE", resolution=60):
    """Run the stock rrdtool fetch; return (names, [(t, [values...])])."""
    out = subprocess.run(["rrdtool", "fetch", path, cf, "-r", str(resolution),
                          "-s", str(start), "-e", str(end)],
                         check=True, capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if l.strip()]
    names = lines[0].split()
    rows = []
    for l in lines[1:]:
        t, vals = l.split(":", 1)
        rows.append((int(t), [float(v) if "nan" not in v.lower() else None
                              for v in vals.split()]))
    return names, rows


def rrd_totals(path, start, end, step=60, coverage=False):
    """Sum of messages per category between start and end, from rrdtool
    fetch (and, with coverage, the seconds reported as "_cov")."""
    names, rows = rrd_fetch(path, start, end, resolution=step)
    tot = {n: 0 for n in names}
    for _, vals in rows:
        for n, v in zip(names, vals):
            if v is not None:
                tot[n] += round(v * step)
    if not coverage:
        tot.pop("_cov", None)
    return tot


def aligned_now(step=60):
    """The current time rounded down to a step boundary."""
    return int(time.time()) // step * step


def raw_exchange(port, data, timeout=5):
    """Send raw bytes on a fresh connection; return everything read back."""
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
            if b"\r\n\r\n" in b"".join(chunks) and len(b"".join(chunks)) > 0:
                # Stop once a whole response with a JSON body has arrived.
                whole = b"".join(chunks)
                head, _, body = whole.partition(b"\r\n\r\n")
                m = re.search(rb"(?i)content-length:\s*(\d+)", head)
                if m and len(body) >= int(m.group(1)):
                    break
        return b"".join(chunks)
    finally:
        s.close()


def status_of(raw):
    """The status code of a raw HTTP response, or None."""
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(m.group(1)) if m else None


def rrd_files(data_dir):
    """The .rrd files in a data directory."""
    try:
        return sorted(f for f in os.listdir(data_dir) if f.endswith(".rrd"))
    except FileNotFoundError:
        return []


CATEGORIES = ("spam", "ham", "virus", "rejected")


def crash_run(d, sources, kills, seed, pause=(0.5, 2.5), late=0):
    """Concurrent reporters with idempotency ids post to daemon d while it is
    killed with SIGKILL `kills` times at random moments and restarted; every
    unacknowledged submission is retried until it gets a 2xx.  The first
    `late` sources report minutes already written (up to ten minutes back,
    over one to five minutes), so late counts are patched in between kills.
    Returns {"acked": {(source, category): n}, "errors": [...], "kills": k,
    "retried": r}."""
    import random
    import threading
    acked, errors = {}, []
    counters = {"retried": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def reporter(source, is_late):
        seq, pending = 0, None
        rnd = random.Random("%s-%d" % (source, seed))
        while True:
            if pending is None:
                if stop.is_set():
                    return
                seq += 1
                when, span = int(time.time()), 60
                if is_late:
                    when -= rnd.randint(180, 600)
                    span = 60 * rnd.randint(1, 5)
                pending = {"source": source, "time": when, "interval": span,
                           "id": "%s-%d" % (source, seq),
                           "counts": {c: rnd.randint(0, 40) for c in CATEGORIES}}
            try:
                r = d.post_counts(pending)
            except OSError:
                with lock:
                    counters["retried"] += 1
                time.sleep(0.05)
                continue
            if r.status in (200, 202):
                with lock:
                    for c in CATEGORIES:
                        acked[(source, c)] = acked.get((source, c), 0) + pending["counts"][c]
                pending = None
            elif r.status == 503:
                with lock:
                    counters["retried"] += 1
                time.sleep(0.05)
            else:
                errors.append(r)
                pending = None

    threads = [threading.Thread(target=reporter, args=(s, i < late))
               for i, s in enumerate(sources)]
    rnd = random.Random(seed)
    done = 0
    try:
        for th in threads:
            th.start()
        for _ in range(kills):
            time.sleep(rnd.uniform(*pause))
            d.kill()
            done += 1
            time.sleep(rnd.uniform(0, 0.3))
            d.start()
        time.sleep(1)
    finally:
        stop.set()
        for th in threads:
            th.join(120)
    return {"acked": acked, "errors": errors, "kills": done,
            "retried": counters["retried"]}


def crash_check(data_dir, sources, res, lo=None, hi=None):
    """Compare the stored totals with what crash_run saw acknowledged; returns
    a list of (file, category, stored, acknowledged) that differ."""
    lo = lo or int(time.time()) - 86400
    hi = hi or int(time.time()) + 86400
    diffs = []
    want_total = {c: 0 for c in CATEGORIES}
    for s in sources + [None]:
        name = s or "_total"
        path = os.path.join(data_dir, name + ".rrd")
        got = rrd_totals(path, lo, hi) if os.path.exists(path) else {}
        for c in CATEGORIES:
            want = (res["acked"].get((s, c), 0) if s else want_total[c])
            if s:
                want_total[c] += want
            if got.get(c, 0) != want:
                diffs.append((name, c, got.get(c, 0), want))
    return diffs
