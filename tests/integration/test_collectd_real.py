"""The documented collectd examples against the real collectd 5.12 and the
real spamtrendd: the tail plugin counting a Postfix+amavis log with the
stock types.db ("derive" with type instances), and the exec plugin running
spamtrend-rspamd --putval; write_http posts them in both formats (JSON to
one collector, PUTVAL commands to another) with FlushInterval 1, and both
collectors store exactly what the log and rspamd's counters grew by.
Skipped when collectd (Debian package collectd-core) is not installed."""
import http.server
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.request

from harness import SRCDIR, Daemon, Tap, aligned_now, rrd_totals

COLLECTD = shutil.which("collectd") or "/usr/sbin/collectd"
TYPES_DB = "/usr/share/collectd/types.db"
EXAMPLE = os.path.join(SRCDIR, "dist", "collectd-spamtrend.conf")

t = Tap(7)
if not os.access(COLLECTD, os.X_OK) or not os.path.exists(TYPES_DB):
    t.skip_rest("collectd is not installed (Debian package collectd-core)")
    t.done()


def accepted(d):
    """The collector's count of accepted submissions, from /metrics."""
    m = re.search(r'^spamtrend_submissions_accepted_total (\d+)$',
                  d.get("/metrics").body.decode(), re.M)
    return int(m.group(1)) if m else 0


def wait_for(cond, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


class Stat(http.server.BaseHTTPRequestHandler):
    """rspamd's controller: GET /stat with the counters below."""
    actions = {"reject": 10, "add header": 3, "rewrite subject": 0, "greylist": 4,
               "no action": 50, "soft reject": 1}

    def do_GET(self):
        body = json.dumps({"actions": Stat.actions}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


json_d = Daemon()
cmd_d = Daemon()
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stat)
threading.Thread(target=srv.serve_forever, daemon=True).start()
collectd = None
tmp = json_d.tmp
try:
    # collectd runs exec programs as an unprivileged user: give it a copy
    # of the reporters in a directory it can read.
    pub = os.path.join(tmp, "pub")
    os.makedirs(pub)
    os.chmod(tmp, 0o755)
    os.chmod(pub, 0o755)
    for name in ("spamtrend-logreport", "spamtrend-rspamd", "spamtrend_rules.py"):
        shutil.copy(os.path.join(SRCDIR, "scripts", name), pub)
        os.chmod(os.path.join(pub, name), 0o644 if name.endswith(".py") else 0o755)
    mail_log = os.path.join(tmp, "mail.log")
    open(mail_log, "w").close()
    os.chmod(mail_log, 0o644)

    # The documented example, with this test's paths and ports.
    with open(EXAMPLE) as f:
        example = f.read()
    example = example.replace("/var/log/mail.log", mail_log) \
        .replace("/usr/bin/spamtrend-rspamd", os.path.join(pub, "spamtrend-rspamd")) \
        .replace("http://127.0.0.1:11334", "http://127.0.0.1:%d" % srv.server_address[1]) \
        .replace("FlushInterval 10", "FlushInterval 1") \
        .replace('"nobody:nogroup"', '"nobody:nogroup"') \
        .replace("http://collector.example.net:8080/api/v1/collectd",
                 "http://127.0.0.1:%d/api/v1/collectd" % json_d.port)
    # A second node posting PUTVAL commands to the other collector.
    node = re.search(r'(?s)  <Node "spamtrend">.*?</Node>\n', example).group(0)
    example = example.replace(node, node + node.replace('"spamtrend"', '"spamtrend-cmd"')
                              .replace('Format "JSON"', 'Format "Command"')
                              .replace(str(json_d.port), str(cmd_d.port)))
    conf = os.path.join(tmp, "collectd.conf")
    with open(conf, "w") as f:
        f.write('Hostname "mx1.example.com"\nFQDNLookup false\nBaseDir "%s"\n'
                'PIDFile "%s/collectd.pid"\nTypesDB "%s"\nInterval 1\n'
                'LoadPlugin logfile\n<Plugin logfile>\n  LogLevel info\n'
                '  File "%s/collectd.log"\n</Plugin>\n%s'
                % (tmp, tmp, TYPES_DB, tmp, example))
    collectd = subprocess.Popen([COLLECTD, "-f", "-C", conf], stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT)

    # Wait until both collectors have had the first (priming) bodies and
    # accepted later ones, so what follows is growth.
    t.ok(wait_for(lambda: accepted(json_d) >= 2 and accepted(cmd_d) >= 2),
         "write_http posts to both collectors within seconds (FlushInterval 1)",
         open(os.path.join(tmp, "collectd.log")).read() if os.path.exists(
             os.path.join(tmp, "collectd.log")) else "no collectd.log")

    base = aligned_now()
    now = time.strftime("%b %e %H:%M:%S", time.localtime())
    with open(os.path.join(SRCDIR, "tests", "fixtures", "postfix-amavis.log")) as f:
        lines = [now + l[15:] for l in f]
    with open(mail_log, "a") as f:
        f.writelines(lines)
    Stat.actions = dict(Stat.actions, **{"reject": 15, "add header": 4, "greylist": 9,
                                         "no action": 52})
    seen = (accepted(json_d), accepted(cmd_d))
    t.ok(wait_for(lambda: accepted(json_d) >= seen[0] + 3 and
                  accepted(cmd_d) >= seen[1] + 3),
         "the growth is posted")
    collectd.send_signal(signal.SIGTERM)
    t.eq(collectd.wait(30), 0, "collectd stops cleanly")
    collectd = None
    json_d.write_through(aligned_now() + 60)
    cmd_d.write_through(aligned_now() + 60)
finally:
    if collectd is not None:
        collectd.kill()
        collectd.wait()
    srv.shutdown()
    rc1, rc2 = json_d.stop(), cmd_d.stop()
t.eq((rc1, rc2), (0, 0), "the collectors stop cleanly")

# The log: amavis 2 spam, 2 ham, 1 virus; Postfix 3 rejects.  rspamd:
# reject +5, add header +1 -> spam 6; no action +2 -> ham 2; greylist not counted.
want = {"spam": 2 + 6, "ham": 2 + 2, "virus": 1, "rejected": 3}
lo, hi = aligned_now() - 900, aligned_now() + 300
for d, fmt in ((json_d, "JSON"), (cmd_d, "Command")):
    got = rrd_totals(os.path.join(d.data_dir, "mx1.example.com.rrd"), lo, hi)
    t.eq(got, want, "Format %s: stored exactly the log's and rspamd's growth" % fmt)
t.ok("Dataset not found" not in open(os.path.join(tmp, "collectd.log")).read(),
     "collectd finds every type in its stock types.db")
json_d.cleanup()
cmd_d.cleanup()
t.done()
