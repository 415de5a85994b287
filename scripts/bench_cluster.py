"""bench_cluster -- the cluster section of scripts/bench: one collector
direct, one behind nginx and three behind nginx (scripts/cluster) under
the same single-submission and batch loads, then a collector killed with
kill -9 under 30 reporters and brought back with `cluster up`.

Imported by scripts/bench, whose helpers (B) it uses.
"""
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time


def cluster_cmd(B, *args):
    """Run scripts/cluster with the daemon measured; returns its output."""
    env = dict(os.environ, SPAMTRENDD=B.DAEMON)
    r = subprocess.run([os.path.join(B.TOP, "scripts", "cluster")] + list(args),
                       env=env, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        sys.exit("bench: scripts/cluster %s failed:\n%s%s"
                 % (" ".join(args), r.stdout, r.stderr))
    return r.stdout


def cluster_start(B, n, name, extra=()):
    """scripts/cluster up n in TMP/name, with the limits of Spamtrendd;
    returns (base URL without the slash, directory)."""
    d = os.path.join(B.TMP, name)
    B.CLUSTERS.append(d)
    out = cluster_cmd(B, "up", str(n), d, "--", "--max-per-ip", "0",
                      "--new-sources-per-minute", "10000000",
                      "--max-sources", "10000000", *extra)
    return out.strip().splitlines()[-1].rstrip("/"), d


def cluster_failover(B, url, d):
    """30 reporters through nginx; collector 2 killed; returns figures."""
    port = int(url.rsplit(":", 1)[1])
    with open(os.path.join(d, "collector-2.port")) as f:
        victim = "127.0.0.1:%d" % int(f.read())
    with open(os.path.join(d, "collector-2.pid")) as f:
        pid = int(f.read())
    sources = ["fo%02d.example.net" % i for i in range(30)]
    acks = {s: [] for s in sources}
    errors, refused = [], []  # times
    lock = threading.Lock()
    halt = threading.Event()

    def reporter(s):
        c, seq, body = None, 0, None
        head = {"Content-Type": "application/json", "X-Spamtrend-Source": s}
        while not halt.is_set():
            if body is None:
                seq += 1
                body = json.dumps({"source": s, "counts": {"spam": 1},
                                   "id": "%s-%d" % (s, seq)})
            try:
                if c is None:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                c.request("POST", "/api/v1/counts", body, head)
                r = c.getresponse()
                r.read()
            except (OSError, http.client.HTTPException):
                if c is not None:
                    c.close()
                c = None
                with lock:
                    errors.append(time.time())
                time.sleep(0.01)
                continue
            if r.status in (200, 202):
                by = (r.getheader("X-Spamtrend-Collector") or "").split(", ")[-1]
                acks[s].append((time.time(), by))
                body = None
            else:
                with lock:
                    refused.append(time.time())
                time.sleep(0.01)
            time.sleep(0.005)

    ts = [threading.Thread(target=reporter, args=(s,), daemon=True) for s in sources]
    for t in ts:
        t.start()
    time.sleep(3)
    t_kill = time.time()
    os.kill(pid, signal.SIGKILL)
    time.sleep(3)
    mine = [s for s in sources
            if [b for t, b in acks[s] if t < t_kill][-1:] == [victim]]
    moved, gaps = [], []
    for s in mine:
        after = [t for t, b in acks[s] if t >= t_kill]
        before = [t for t, b in acks[s] if t < t_kill]
        if after:
            moved.append(after[0] - t_kill)
            gaps.append(after[0] - before[-1])
    t_up = time.time()
    out = cluster_cmd(B, "up", "3", d)
    up_took = time.time() - t_up
    deadline = time.time() + 60
    back = {}
    while time.time() < deadline and len(back) < len(mine):
        for s in mine:
            got = [t for t, b in acks[s] if t >= t_up and b == victim]
            if got and s not in back:
                back[s] = got[0] - t_up
        time.sleep(0.05)
    halt.set()
    for t in ts:
        t.join(60)
    return {"sources": len(sources), "mine": len(mine), "moved": moved,
            "gaps": gaps,
            "errors": len([t for t in errors if t < t_up]),
            "refused": len([t for t in refused if t < t_up]),
            "errors_up": len([t for t in errors if t >= t_up]),
            "refused_up": len([t for t in refused if t >= t_up]),
            "up": up_took, "back": list(back.values()), "out": out,
            "acked": sum(len(v) for v in acks.values())}


def run(B, a):
    B.need("nginx", "nginx")
    B.need("rrdcached", "rrdcached")
    one = B.Spamtrendd("cluster-direct").start()
    url1, d1 = cluster_start(B, 1, "cluster-1")
    url3, d3 = cluster_start(B, 3, "cluster-3")
    for name, args, conns, per in (("single submissions", [], 64, 1),
                                   ("one-source batches of 1000", ["1000"], 16, 1000)):
        runs = []
        for i in range(a.runs):
            order = [("direct", one.url), ("nginx1", url1), ("nginx3", url3)]
            if i % 2:
                order.reverse()
            runs.append({who: B.wrk(u + "/", "source.lua", conns, a.duration, args=args)
                         for who, u in order})
        b = B.best_of(runs, lambda r: r["nginx3"]["rate"])
        B.say("[7] %s, %d conns: 3 collectors behind nginx %s submissions/s (%s) | "
            "1 behind nginx %s (%s) | 1 direct %s (%s) | 3 behind nginx / direct "
            "%.0f%%%s"
            % (name, conns, B.fmt_rate(b["nginx3"]["rate"] * per), B.lat(b["nginx3"]),
               B.fmt_rate(b["nginx1"]["rate"] * per), B.lat(b["nginx1"]),
               B.fmt_rate(b["direct"]["rate"] * per), B.lat(b["direct"]),
               100 * b["nginx3"]["rate"] / b["direct"]["rate"],
               B.bad_note(b["nginx3"], b["nginx1"], b["direct"])))
        B.say("    runs (3 behind nginx/1 behind nginx/1 direct): " + ", ".join(
            "%s/%s/%s" % (B.fmt_rate(r["nginx3"]["rate"] * per),
                          B.fmt_rate(r["nginx1"]["rate"] * per),
                          B.fmt_rate(r["direct"]["rate"] * per)) for r in runs))
    one.stop()
    cluster_cmd(B, "down", d1)
    # A restart replays the journal and reads the others' (what the last
    # idempotency_ttl took): after the loads above, millions of records.
    # The failover is measured on a fresh cluster.
    cluster_cmd(B, "down", d3)
    url3, d3 = cluster_start(B, 3, "cluster-failover")
    f = cluster_failover(B, url3, d3)

    def ms(xs):
        if not xs:
            return "none"
        return "median %.0f ms, max %.0f ms" % (1000 * statistics.median(xs),
                                                1000 * max(xs))
    B.say("[7] collector killed (SIGKILL) under 30 reporters through nginx: its %d of "
        "%d sources answered again after %s (gap between acks %s); reporters "
        "saw %d connection errors and %d non-2xx answers (%s acknowledged)"
        % (f["mine"], f["sources"], ms(f["moved"]), ms(f["gaps"]), f["errors"],
           f["refused"], B.fmt_rate(f["acked"])))
    B.say("    cluster up brought it back in %.2f s; its sources were on it again "
        "%s after up began (%d of %d); reporters saw %d connection errors "
        "(nginx's reload closes idle keep-alive connections) and %d non-2xx "
        "answers meanwhile"
        % (f["up"], ms(f["back"]), len(f["back"]), f["mine"], f["errors_up"],
           f["refused_up"]))
    cluster_cmd(B, "down", d3)


