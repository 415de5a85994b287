"""bench_big -- the many-sources run of scripts/bench (--big N): N sources x
4 categories reporting every step for several steps, written through
rrdcached, with the read side measured beside it.

Figures: for every step, the seconds the writer took and how long after
the step was due it was on disk; the latency of single submissions sent
all along (so a stall of durable ingest while 100,000 files are created
shows); the daemon's and rrdcached's resident memory; disk per source
(blocks really used, the files being sparse); the time of a page of
/api/v1/sources, of the requests the overview page makes on load and of
a graph of _total; and after a restart, the time until the index of
sources has read every file again.

Imported by scripts/bench, whose helpers (B) it uses.
"""
import http.client
import json
import os
import socket
import statistics
import threading
import time

CATS = ["spam", "ham", "virus", "rejected"]


class Probe(threading.Thread):
    """One submission every 20 ms for a source of its own; keeps the
    latency of each, by the time it was sent."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.samples = []  # (time sent, seconds, status)
        self.halt = threading.Event()

    def run(self):
        c = None
        body = json.dumps({"source": "probe.example.org",
                           "counts": {"spam": 1}}).encode()
        while not self.halt.is_set():
            t0 = time.time()
            try:
                if c is None:
                    c = http.client.HTTPConnection("127.0.0.1", self.port,
                                                   timeout=120)
                c.request("POST", "/api/v1/counts", body=body,
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                self.samples.append((t0, time.time() - t0, r.status))
            except (OSError, http.client.HTTPException):
                c = None
                self.samples.append((t0, time.time() - t0, 0))
            self.halt.wait(max(0, 0.02 - (time.time() - t0)))

    def between(self, t0, t1):
        return [s for s in self.samples if t0 <= s[0] <= t1]


class Sampler(threading.Thread):
    """Every 0.2 s: the daemon's metrics and the resident memory of the
    daemon and rrdcached."""

    def __init__(self, B, st, rc):
        super().__init__(daemon=True)
        self.B, self.st, self.rc = B, st, rc
        self.samples = []  # (time, metrics, rss daemon, rss rrdcached)
        self.halt = threading.Event()

    def run(self):
        c = http.client.HTTPConnection("127.0.0.1", self.st.port, timeout=60)
        while not self.halt.is_set():
            try:
                m = self.st.metrics(c)
            except (OSError, http.client.HTTPException):
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", self.st.port,
                                               timeout=60)
                continue
            self.samples.append((time.time(), m, self.B.rss_mib(self.st.proc.pid),
                                 self.B.rss_mib(self.rc.pid)))
            self.halt.wait(0.2)
        c.close()

    def written_at(self, label):
        """(time first seen written, the writer's seconds for it)."""
        for t, m, _, _ in self.samples:
            if m.get("spamtrend_flush_last_step_seconds", 0) >= label:
                return t, m.get("spamtrend_flush_last_seconds", 0)
        return None, None


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def get_ms(port, path, tries=1):
    """Milliseconds per GET (the median of tries), and the last body."""
    times, body = [], b""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    for _ in range(tries):
        t0 = time.perf_counter()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        times.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            raise SystemExit("bench: GET %s: %d %s" % (path, r.status, body[:200]))
    c.close()
    return statistics.median(times), max(times), body


def overview_paths(now, step):
    """What the overview page asks for when it opens: the configuration,
    the day of _total, its events and drops, the first page of sources."""
    day = "start=%d&end=%d" % (now - 86400, now)
    return ["/api/v1/config",
            "/api/v1/series?source=_total&%s&categories=%s" % (day, ",".join(CATS)),
            "/api/v1/events?%s" % day,
            "/api/v1/drops?source=_total&%s" % day,
            "/api/v1/sources?%s&step=%d&categories=%s&sort=-spam&limit=25"
            % (day, step, ",".join(CATS))]


def start_rrdcached(B, name):
    B.need("rrdcached", "rrdcached")
    data = os.path.join(B.TMP, name)
    os.makedirs(data, exist_ok=True)
    sock = os.path.join(B.TMP, name + "-rrdcached.sock")
    jdir = os.path.join(B.TMP, name + "-rrdcached-journal")
    os.makedirs(jdir, exist_ok=True)
    # As an operator would run it for many files: updates kept in memory
    # (and in its own journal) for up to 30 minutes, written by 4 threads.
    rc = B.spawn(name + "-rrdcached",
                 ["rrdcached", "-g", "-l", "unix:" + sock, "-B", "-b", data,
                  "-j", jdir, "-w", "1800", "-z", "1800", "-f", "3600",
                  "-t", "4", "-p", os.path.join(B.TMP, name + "-rrdcached.pid")])
    deadline = time.time() + 30
    while not os.path.exists(sock) and time.time() < deadline:
        time.sleep(0.05)
    return rc, data, sock


def rrdcached_cmd(sock, line):
    """One command to rrdcached; its answer's lines."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(600)
    s.connect(sock)
    s.sendall(line.encode() + b"\n")
    f = s.makefile("rb")
    head = f.readline().decode()
    n = int(head.split()[0]) if head.split() and head.split()[0].lstrip("-").isdigit() else 0
    lines = [head] + [f.readline().decode() for _ in range(max(0, n))]
    s.close()
    return lines


def rrdcached_flush_all(sock, timeout=1800):
    """Have rrdcached write every pending update; True once its queue is
    empty and it has stopped writing."""
    rrdcached_cmd(sock, "FLUSHALL")
    deadline = time.time() + timeout
    written = None
    while time.time() < deadline:
        time.sleep(1)
        stats = {}
        for line in rrdcached_cmd(sock, "STATS")[1:]:
            k, _, v = line.partition(":")
            stats[k.strip()] = v.strip()
        if stats.get("QueueLength") == "0" and \
                stats.get("DataSetsWritten") == written:
            return True
        written = stats.get("DataSetsWritten")
    return False


def send_step(B, port, sources, label):
    """Every source's counts for the step labelled label, in batches of
    1000 over two connections; returns the seconds it took."""
    bodies = [B.batch_body(sources[i:i + 1000], CATS, t=label)
              for i in range(0, len(sources), 1000)]
    t0 = time.perf_counter()
    B.post_all(port, bodies, threads=2)
    return time.perf_counter() - t0


def run(B, a):
    n, step, nsteps = a.big, a.step, a.big_steps
    need_gb = n * 0.08 / 1000 + 5
    free = B.shutil.disk_usage(B.TMP).free / 1e9
    if free < need_gb:
        B.say("[big] %d sources: skipped, needs about %.0f GB and %.0f GB "
              "are free" % (n, need_gb, free))
        return
    rc, data, sock = start_rrdcached(B, "big")
    st = B.Spamtrendd("big", "--step", str(step), "--lateness", "1",
                      "--rrdcached", "unix:" + sock, data_dir=data).start()
    sources = ["s%06d.example.net" % i for i in range(n)]
    probe = Probe(st.port)
    sampler = Sampler(B, st, rc)
    probe.start()
    sampler.start()
    B.say("[big] %d sources x %d categories, step %d s, lateness 1, through "
          "rrdcached (-w 1800 -z 1800 -t 4); %d steps, every source in each"
          % (n, len(CATS), step, nsteps))
    first = (int(time.time()) // step + 1) * step
    labels = [first + k * step for k in range(nsteps)]
    sent = []
    for label in labels:
        # Reporters send at the end of their minute: here at its start
        # (times are explicit, max_future allows it), so that the whole
        # step is in before it closes.
        time.sleep(max(0, label - step + 1 - time.time()))
        sent.append(send_step(B, st.port, sources, label))
    last_due = labels[-1] + step
    deadline = last_due + 900
    while time.time() < deadline and sampler.written_at(labels[-1])[0] is None:
        time.sleep(0.5)
    time.sleep(1)
    probe.halt.set()
    sampler.halt.set()
    probe.join(10)
    sampler.join(10)

    rows = []
    for k, label in enumerate(labels):
        when, secs = sampler.written_at(label)
        due = label + step
        lat = [s[1] for s in probe.between(due, when or due)]
        rows.append((k, label, secs, (when - due) if when else None,
                     sent[k], pct(lat, 99) * 1000 if lat else float("nan"),
                     max(lat) * 1000 if lat else float("nan")))
    for k, label, secs, lag, snd, p99, mx in rows:
        B.say("    step %d%s: written in %s s, on disk %s s after it was due; "
              "sent in %.1f s; single submissions meanwhile p99 %.0f ms, "
              "max %.0f ms" % (k + 1, " (creates the files)" if k == 0 else "",
                               "%.1f" % secs if secs is not None else "?",
                               "%.1f" % lag if lag is not None else "never",
                               snd, p99, mx))
    steady = [r for r in rows[1:] if r[2] is not None]
    ok = all(r[3] is not None and r[3] < step for r in rows)
    B.say("    every step on disk before the next was due: %s"
          % B.verdict(ok))
    if steady:
        B.say("    steady step write: median %.1f s, max %.1f s  target < %d s %s"
              % (statistics.median(r[2] for r in steady),
                 max(r[2] for r in steady), step,
                 B.verdict(max(r[2] for r in steady) < step)))
    lat = [s[1] for s in probe.samples if s[2] == 202]
    refused = sum(1 for s in probe.samples if s[2] != 202)
    B.say("    single submissions over the whole run: %d, p50 %.1f ms, p99 "
          "%.1f ms, max %.0f ms, %d not 202"
          % (len(probe.samples), pct(lat, 50) * 1000, pct(lat, 99) * 1000,
             max(lat) * 1000 if lat else float("nan"), refused))
    rss = max(s[2] for s in sampler.samples)
    rss_rc = max(s[3] for s in sampler.samples)
    B.say("    RSS: spamtrendd max %.0f MiB  target < 512 MiB %s | rrdcached "
          "max %.0f MiB" % (rss, B.verdict(rss < 512), rss_rc))

    # Read side, with the data in.
    now = int(time.time())
    day = "start=%d&end=%d&step=%d&categories=%s" % (now - 86400, now, step,
                                                    ",".join(CATS))
    med, mx, body = get_ms(st.port, "/api/v1/sources?%s&sort=-spam&limit=25"
                           % day, 10)
    total = json.loads(body)["total"]
    B.say("    /api/v1/sources, a page of 25 of %d sorted by spam: median "
          "%.0f ms, max %.0f ms  target < 200 ms %s"
          % (total, med, mx, B.verdict(mx < 200)))
    med2, mx2, _ = get_ms(st.port, "/api/v1/sources?%s&sort=name&q=s0999"
                          "&limit=25" % day, 10)
    B.say("    /api/v1/sources filtered (q=s0999) by name: median %.0f ms, max "
          "%.0f ms" % (med2, mx2))
    parts = []
    for p in overview_paths(now, step):
        parts.append(get_ms(st.port, p, 5)[0])
    B.say("    overview page's requests (config, _total day, events, drops, "
          "sources page): %s ms; %.0f ms together  target < 200 ms %s"
          % (" + ".join("%.0f" % x for x in parts), sum(parts),
             B.verdict(sum(parts) < 200)))
    graph = "/graph.png?source=_total&start=%d&end=%d" % (now - 86400, now)
    cold = get_ms(st.port, graph)[0]
    warm = get_ms(st.port, graph, 5)[0]
    B.say("    graph of _total (a day): %.0f ms drawn, %.0f ms from the cache"
          % (cold, warm))

    # Disk, once rrdcached has written everything it holds.
    t0 = time.perf_counter()
    flushed = rrdcached_flush_all(sock)
    flush_s = time.perf_counter() - t0
    files = [e for e in os.scandir(data) if e.name.endswith(".rrd")]
    used = sum(e.stat().st_blocks * 512 for e in files)
    apparent = sum(e.stat().st_size for e in files)
    jbytes = sum(e.stat().st_size for e in os.scandir(os.path.join(data, "journal"))
                 if e.is_file()) if os.path.isdir(os.path.join(data, "journal")) else 0
    B.say("    disk: %d files, %.0f KB used per source (%.2f MB apparent, the "
          "files are sparse), %.0f MB in all; journal %.0f MB; rrdcached "
          "wrote what it held in %.0f s%s"
          % (len(files), used / len(files) / 1e3, apparent / len(files) / 1e6,
             used / 1e6, jbytes / 1e6, flush_s,
             "" if flushed else " (its queue did not empty)"))

    # Restart: the index reads every file back.
    t0 = time.perf_counter()
    st.stop()
    stop_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    st.start()
    up = time.perf_counter() - t0
    partial = []
    ready = None
    deadline = time.time() + 1800
    while time.time() < deadline:
        m = st.metrics()
        if m.get("spamtrend_source_index_state") == 2:
            ready = time.perf_counter() - t0
            break
        if len(partial) < 5:
            partial.append(get_ms(st.port, "/api/v1/sources?%s&sort=-spam&limit=25"
                                  % day)[0])
        time.sleep(1)
    B.say("    restart: clean stop %.1f s, listening after %.1f s, every file "
          "read into the index after %s s (a page of sources meanwhile: %s ms)"
          % (stop_s, up, "%.0f" % ready if ready else "more than 1800",
             ", ".join("%.0f" % x for x in partial)))
    st.stop()
    B.stop(rc)
