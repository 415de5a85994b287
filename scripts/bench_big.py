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
import asyncio
import http.client
import json
import os
import re
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
                          headers={"Content-Type": "application/json",
                                   "X-Spamtrend-Source": "probe.example.org"})
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
    """Every 0.2 s: each collector's metrics and the resident memory of the
    collectors and rrdcached."""

    def __init__(self, B, collectors, rc_pid):
        super().__init__(daemon=True)
        self.B, self.collectors, self.rc_pid = B, collectors, rc_pid
        self.samples = []  # (time, [metrics], [rss], rss rrdcached)
        self.halt = threading.Event()

    def run(self):
        conns = {}
        while not self.halt.is_set():
            ms = []
            for name, port, pid in self.collectors:
                try:
                    c = conns.get(port) or http.client.HTTPConnection(
                        "127.0.0.1", port, timeout=60)
                    conns[port] = c
                    c.request("GET", "/metrics")
                    r = c.getresponse()
                    ms.append(metrics_of(r.read().decode()))
                except (OSError, http.client.HTTPException):
                    conns.pop(port, None)
                    ms.append({})
            self.samples.append((time.time(), ms,
                                 [self.B.rss_mib(pid) for _, _, pid in self.collectors],
                                 self.B.rss_mib(self.rc_pid)))
            self.halt.wait(0.2)

    def written_at(self, label):
        """(time every collector was first seen with the step labelled label
        written, the longest of their last write times then)."""
        for t, ms, _, _ in self.samples:
            if ms and all(m.get("spamtrend_flush_last_step_seconds", 0) >= label
                          for m in ms):
                return t, max(m.get("spamtrend_flush_last_seconds", 0) for m in ms)
        return None, None


def metrics_of(body):
    out = {}
    for line in body.splitlines():
        m = re.match(r"([a-z_]+) ([-0-9.e+]+)$", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


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


def send_step(B, port, sources, label, each):
    """Every source's counts for the step labelled label: in batches of
    1000 over two connections, or (each) one request per source with its
    X-Spamtrend-Source header, as reporters send through nginx;
    returns the seconds it took."""
    t0 = time.perf_counter()
    if not each:
        bodies = [B.batch_body(sources[i:i + 1000], CATS, t=label)
                  for i in range(0, len(sources), 1000)]
        B.post_all(port, bodies, threads=2)
        return time.perf_counter() - t0
    bad = asyncio.run(send_each(port, sources, label))
    if bad:
        B.log("%d answers were not 2xx (resent)" % bad)
    return time.perf_counter() - t0


async def send_each(port, sources, label, conns=32):
    """One POST per source over conns keep-alive connections (asyncio, so
    that the sender is not what limits); a request that fails or is not
    answered 2xx is sent again (with its id, so never counted twice).
    Returns how many answers were not 2xx."""
    todo = list(enumerate(sources))
    bad = 0

    async def one(reader, writer, i, name):
        body = json.dumps({"source": name, "time": label, "id": "%s-%d" % (name, label),
                           "counts": {c: 1 + (i + k) % 7
                                      for k, c in enumerate(CATS)}}).encode()
        writer.write(b"POST /api/v1/counts HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\n"
                     b"X-Spamtrend-Source: " + name.encode() +
                     b"\r\nContent-Length: " + str(len(body)).encode() +
                     b"\r\n\r\n" + body)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        await reader.readexactly(int(m.group(1)) if m else 0)
        return status

    async def worker():
        nonlocal bad
        reader = writer = None
        while todo:
            i, name = todo.pop()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                if await one(reader, writer, i, name) in (200, 202):
                    continue
                bad += 1
            except (OSError, asyncio.IncompleteReadError, ValueError):
                writer = None
            todo.append((i, name))
            await asyncio.sleep(0.05)
        if writer is not None:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(conns)))
    return bad


def read_int(path):
    with open(path) as f:
        return int(f.read().strip())


def start_single(B, a):
    """One collector on rrdcached; returns the setting of the run."""
    rc, data, sock = start_rrdcached(B, "big")
    st = B.Spamtrendd("big", "--step", str(a.step), "--lateness", "1",
                      "--rrdcached", "unix:" + sock, *a.big_args,
                      data_dir=data).start()

    def restart():
        st.stop()
        t0 = time.perf_counter()
        st.start()
        return time.perf_counter() - t0, st.port

    def stop():
        st.stop()
        B.stop(rc)
    return {"front": st.port, "collectors": [("spamtrendd", st.port, st.proc.pid)],
            "rc_pid": rc.pid, "data": data, "sock": sock, "each": False,
            "restart": restart, "stop": stop,
            "what": "one collector, rrdcached (-w 1800 -z 1800 -t 4)"}


def start_cluster(B, a):
    """a.big_cluster collectors behind nginx (scripts/cluster)."""
    cl = B.load("bench_cluster")
    url, d = cl.cluster_start(B, a.big_cluster, "big-cluster",
                              ("--step", str(a.step), "--lateness", "1") +
                              tuple(a.big_args))
    ks = range(1, a.big_cluster + 1)

    def collectors():
        return [("c%d" % k, read_int(os.path.join(d, "collector-%d.port" % k)),
                 read_int(os.path.join(d, "collector-%d.pid" % k))) for k in ks]

    def restart():
        pid = read_int(os.path.join(d, "collector-1.pid"))
        os.kill(pid, B.signal.SIGTERM)
        while os.path.exists("/proc/%d" % pid):
            time.sleep(0.1)
        t0 = time.perf_counter()
        cl.cluster_cmd(B, "up", str(a.big_cluster), d)
        return time.perf_counter() - t0, collectors()[0][1]

    return {"front": int(url.rsplit(":", 1)[1]), "collectors": collectors(),
            "rc_pid": read_int(os.path.join(d, "rrdcached.pid")),
            "data": os.path.join(d, "data"),
            "sock": os.path.join(d, "rrdcached.sock"), "each": True,
            "restart": restart, "stop": lambda: cl.cluster_cmd(B, "down", d),
            "what": "%d collectors behind nginx, one rrdcached (scripts/cluster), "
                    "one request per source" % a.big_cluster}


def run(B, a):
    n, step, nsteps = a.big, a.step, a.big_steps
    need_gb = n * 0.08 / 1000 + 5
    free = B.shutil.disk_usage(B.TMP).free / 1e9
    if free < need_gb:
        B.say("[big] %d sources: skipped, needs about %.0f GB and %.0f GB "
              "are free" % (n, need_gb, free))
        return
    # With reserve_disk (the default) every file takes its full 1.5 MB when
    # it is made; where the disk cannot hold that, files stay sparse.
    full_gb = n * 1.5 / 1000 + 5
    a.big_args = []
    if free < full_gb:
        a.big_args = ["--reserve-disk", "0"]
        B.say("[big] reserve_disk 0: the files' full size (%.0f GB) is more "
              "than the %.0f GB free" % (full_gb, free))
    run_one(B, a, start_single(B, a))
    if a.big_cluster:
        run_one(B, a, start_cluster(B, a))


def run_one(B, a, x):
    n, step, nsteps = a.big, a.step, a.big_steps
    front, data, sock = x["front"], x["data"], x["sock"]
    sources = ["s%06d.example.net" % i for i in range(n)]
    probe = Probe(front)
    sampler = Sampler(B, x["collectors"], x["rc_pid"])
    probe.start()
    sampler.start()
    B.say("[big] %d sources x %d categories, step %d s, lateness 1: %s; %d "
          "steps, every source in each" % (n, len(CATS), step, x["what"], nsteps))
    first = (int(time.time()) // step + 1) * step
    labels = [first + k * step for k in range(nsteps)]
    sent = []
    for label in labels:
        # Reporters send at the end of their minute: here at its start
        # (times are explicit, max_future allows it), so that the whole
        # step is in before it closes.
        time.sleep(max(0, label - step + 1 - time.time()))
        sent.append(send_step(B, front, sources, label, x["each"]))
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
    rss = max(max(s[2]) for s in sampler.samples)
    rss_rc = max(s[3] for s in sampler.samples)
    B.say("    RSS: each collector max %.0f MiB  target < 512 MiB %s | rrdcached "
          "max %.0f MiB" % (rss, B.verdict(rss < 512), rss_rc))

    # Read side, with the data in.
    now = int(time.time())
    day = "start=%d&end=%d&step=%d&categories=%s" % (now - 86400, now, step,
                                                    ",".join(CATS))
    med, mx, body = get_ms(front, "/api/v1/sources?%s&sort=-spam&limit=25"
                           % day, 10)
    total = json.loads(body)["total"]
    B.say("    /api/v1/sources, a page of 25 of %d sorted by spam: median "
          "%.0f ms, max %.0f ms  target < 200 ms %s"
          % (total, med, mx, B.verdict(mx < 200)))
    med2, mx2, _ = get_ms(front, "/api/v1/sources?%s&sort=name&q=s0999"
                          "&limit=25" % day, 10)
    B.say("    /api/v1/sources filtered (q=s0999) by name: median %.0f ms, max "
          "%.0f ms" % (med2, mx2))
    parts = []
    for p in overview_paths(now, step):
        parts.append(get_ms(front, p, 5)[0])
    B.say("    overview page's requests (config, _total day, events, drops, "
          "sources page): %s ms; %.0f ms together  target < 200 ms %s"
          % (" + ".join("%.0f" % x for x in parts), sum(parts),
             B.verdict(sum(parts) < 200)))
    graph = "/graph.png?source=_total&start=%d&end=%d" % (now - 86400, now)
    cold = get_ms(front, graph)[0]
    warm = get_ms(front, graph, 5)[0]
    B.say("    graph of _total (a day): %.0f ms drawn, %.0f ms from the cache"
          % (cold, warm))

    # Exact: what the files hold is what was sent (ham, which the probe
    # does not send), in _total and in a sample of sources.
    def sent_ham(i):
        return 1 + ((i if x["each"] else i % 1000) + 1) % 7
    q = "start=%d&end=%d&step=%d&categories=ham" % (labels[0] - step, labels[-1], step)
    got = sum(int(r.split(",")[2]) for r in get_ms(
        front, "/export.csv?source=_total&" + q)[2].decode().splitlines()[1:]
        if r.split(",")[2] not in ("", "ham"))
    want = nsteps * sum(sent_ham(i) for i in range(n))
    wrong = 0
    for i in range(0, n, max(1, n // 50)):
        rows = get_ms(front, "/export.csv?source=%s&%s" % (sources[i], q))[2]
        have = sum(int(r.split(",")[2]) for r in rows.decode().splitlines()[1:]
                   if r.split(",")[2] not in ("", "ham"))
        wrong += have != nsteps * sent_ham(i)
    B.say("    exact: _total holds %d ham of the %d sent; %d of %d sources "
          "sampled differ  %s" % (got, want, wrong, len(range(0, n, max(1, n // 50))),
                                  B.verdict(got == want and wrong == 0)))

    # Disk, once rrdcached has written everything it holds.  The journals
    # are the collectors' (journal/ alone, journal.<id>/ in a cluster).
    t0 = time.perf_counter()
    flushed = rrdcached_flush_all(sock)
    flush_s = time.perf_counter() - t0
    files = [e for e in os.scandir(data) if e.name.endswith(".rrd")]
    used = sum(e.stat().st_blocks * 512 for e in files)
    apparent = sum(e.stat().st_size for e in files)
    jbytes = sum(f.stat().st_size for e in os.scandir(data)
                 if e.is_dir() and e.name.startswith("journal")
                 for f in os.scandir(e.path) if f.is_file())
    B.say("    disk: %d files, %.0f KB used per source (%.2f MB apparent, the "
          "files are sparse), %.0f MB in all; journal %.0f MB; rrdcached "
          "wrote what it held in %.0f s%s"
          % (len(files), used / len(files) / 1e3, apparent / len(files) / 1e6,
             used / 1e6, jbytes / 1e6, flush_s,
             "" if flushed else " (its queue did not empty)"))

    # Restart (of the first collector): the index reads every file back.
    up, port = x["restart"]()
    t0 = time.perf_counter() - up
    partial = []
    ready = None
    deadline = time.time() + 1800
    while time.time() < deadline:
        _, _, body = get_ms(port, "/metrics")
        if metrics_of(body.decode()).get("spamtrend_source_index_state") == 2:
            ready = time.perf_counter() - t0
            break
        if len(partial) < 5:
            partial.append(get_ms(port, "/api/v1/sources?%s&sort=-spam&limit=25"
                                  % day)[0])
        time.sleep(1)
    B.say("    restart: listening after %.1f s, every file read into the "
          "index after %s s (a page of sources meanwhile: %s ms)"
          % (up, "%.0f" % ready if ready else "more than 1800",
             ", ".join("%.0f" % x for x in partial)))
    x["stop"]()
