"""GET /metrics speaks the Prometheus text exposition format: every sample
has a declared TYPE, names and labels are well-formed, values are numbers,
and the counters move with what was submitted and written."""
import re
import time

from harness import Daemon, Tap

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? (\S+)$')


def parse(text):
    """Return ({name: type}, [(name, labels, value)], [bad lines])."""
    types, samples, bad = {}, [], []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram",
                                                    "summary", "untyped"):
                bad.append(line)
            types[parts[2]] = parts[3]
            continue
        if line.startswith("# HELP ") or line == "":
            continue
        m = SAMPLE.match(line)
        if not m:
            bad.append(line)
            continue
        try:
            value = float(m.group(5))
        except ValueError:
            bad.append(line)
            continue
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"',
                                 m.group(3) or ""))
        samples.append((m.group(1), labels, value))
    return types, samples, bad


def value(samples, name, **labels):
    for n, l, v in samples:
        if n == name and all(l.get(k) == w for k, w in labels.items()):
            return v
    return None


t = Tap(10)
d = Daemon("--step", "10", "--lateness", "1")
try:
    r = d.get("/metrics")
    t.ok(r.status == 200 and r.header("Content-Type").startswith("text/plain; version=0.0.4"),
         "/metrics answers in the text exposition format", r)
    types, samples, bad = parse(r.body.decode())
    t.eq(bad, [], "every line parses")
    undeclared = sorted({n for n, _, _ in samples if n not in types})
    t.eq(undeclared, [], "every sample has a TYPE")
    now = int(time.time()) // 10 * 10
    d.set_clock(now)
    for i in range(3):
        d.post_counts({"source": "m%d.example.com" % i, "time": now, "interval": 10,
                       "counts": {"spam": 10 + i, "ham": 1}})
    d.post_counts({"source": "m0.example.com", "time": now, "counts": {"bogus": 1}})
    d.write_through(now)
    # A late count (its step is written) and one too old to place.
    d.post_counts({"source": "m0.example.com", "time": now, "interval": 10,
                   "counts": {"spam": 100}})
    d.post_counts({"source": "m0.example.com", "time": now - 3 * 86400,
                   "counts": {"spam": 1}})
    d.write_through(now)
    types, samples, bad = parse(d.get("/metrics").body.decode())
    t.eq(value(samples, "spamtrend_submissions_accepted_total"), 4.0,
         "accepted submissions are counted")
    t.ok((value(samples, "spamtrend_http_responses_total", **{"class": "4xx"}) or 0) >= 1,
         "refused requests are counted by status class")
    t.eq(value(samples, "spamtrend_source_messages_total", source="m2.example.com",
               category="spam"), 12.0, "a source's written messages are exported")
    t.eq(value(samples, "spamtrend_source_messages_total", source="_total", category="spam"),
         133.0, "_total's written messages are exported, the late ones included")
    t.ok((value(samples, "spamtrend_journal_syncs_total") or 0) >= 1 and
         (value(samples, "spamtrend_flush_points_total") or 0) >= 1,
         "journal syncs and written steps are counted")
    t.eq((value(samples, "spamtrend_submissions_late_total"),
          value(samples, "spamtrend_flush_late_points_total"),
          value(samples, "spamtrend_submissions_refused_total", reason="too_old")),
         (1.0, 2.0, 1.0),
         "late submissions, the late points they patched (source and _total) and "
         "refusals by reason are counted apart")
    t.eq(bad, [], "the output still parses with sources in it")
finally:
    d.cleanup()
t.done()
