"""reporters -- what the reporter tests share: the fixture logs moved to
the present, running spamtrend-logreport once, and reading back the
counts per minute."""
import json
import os
import re
import subprocess
import sys
import time

from harness import SRCDIR, rrd_fetch

SCRIPTS = os.path.join(SRCDIR, "scripts")
FIXTURES = os.path.join(SRCDIR, "tests", "fixtures")
LOGREPORT = os.path.join(SCRIPTS, "spamtrend-logreport")
RSPAMD = os.path.join(SCRIPTS, "spamtrend-rspamd")
CATS = ("spam", "ham", "virus", "rejected")

with open(os.path.join(FIXTURES, "expected.json")) as f:
    EXPECTED = json.load(f)

RE_SYSLOG = re.compile(r"^[A-Z][a-z]{2} +\d+ \d\d:(\d\d):(\d\d)")
RE_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:(\d\d):(\d\d)(\.\d+)?[+-]\d\d:\d\d")
RE_EXIM = re.compile(r"^\d{4}-\d\d-\d\d \d\d:(\d\d):(\d\d)")


def moved(name, base):
    """The fixture's lines with 20:01:SS moved to base + SS (20:02 to base + 60 + SS ...),
    each in its own time stamp format."""
    out = []
    with open(os.path.join(FIXTURES, name)) as f:
        for line in f:
            for rx, fmt in ((RE_SYSLOG, "syslog"), (RE_RFC3339, "rfc3339"), (RE_EXIM, "exim")):
                m = rx.match(line)
                if m:
                    break
            when = base + (int(m.group(1)) - 1) * 60 + int(m.group(2))
            if fmt == "syslog":
                stamp = time.strftime("%b %e %H:%M:%S", time.localtime(when))
            elif fmt == "exim":
                stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
            else:
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)) + \
                    (m.group(3) or "") + "+00:00"
            out.append(stamp + line[m.end():])
    return out


def report(d, source, log, state, *extra, port=None):
    url = "http://127.0.0.1:%d/api/v1/counts" % (port or d.port)
    return subprocess.run([sys.executable, LOGREPORT, "--once", "--url", url, "--source",
                           source, "--state", state, log] + list(extra),
                          capture_output=True, text=True, timeout=60)


def per_step(data_dir, source, labels):
    """{label: {category: count}} from rrdtool fetch of a source's file."""
    names, rows = rrd_fetch(os.path.join(data_dir, source + ".rrd"), labels[0] - 60, labels[-1])
    got = {}
    for ts, vals in rows:
        if ts in labels:
            got[ts] = {n: (None if v is None else round(v * 60)) for n, v in zip(names, vals)
                       if n != "_cov"}
    return got


def want_steps(name, base, extra=None):
    exp = EXPECTED[name]
    w = {base + 60: dict(exp[0]), base + 120: dict(exp[1])}
    for cat, n in (extra or {}).items():
        w[base + 60][cat] += n
    return w
