"""POST /api/v1/collectd end to end: collectd's write_http JSON and PUTVAL
bodies become counts (deltas of counters, gauges as sent), with the same
auth as /api/v1/counts; the stock rrdtool reads back exactly the deltas."""
import os
import re
import subprocess

from harness import SPAMTRENDD, SRCDIR

from harness import Daemon, Tap, aligned_now, rrd_totals

t = Tap(18)


def vl(host, ti, value, when, dstype="derive", interval=10.0, type_="mail_counter"):
    return {"values": [value], "dstypes": [dstype], "dsnames": ["value"],
            "time": when, "interval": interval, "host": host, "plugin": "tail",
            "plugin_instance": "postfix", "type": type_, "type_instance": ti}


tmp = None
d = Daemon()
try:
    base = aligned_now() + 5          # samples inside the minute ending base + 55
    label = base - 5 + 60
    r = d.post("/api/v1/collectd", [vl("MX1.example.com", "spam", 1000, base + 0.25),
                                     vl("mx1.example.com", "ham", 50, base + 0.25),
                                     vl("mx1.example.com", "load", 1, base,
                                        dstype="gauge", type_="load")])
    t.eq(r.status, 200, "first counter samples only prime (200, nothing stored)")
    t.eq(r.json().get("primed"), 2, "the answer says how many values primed")
    r = d.post("/api/v1/collectd", [vl("mx1.example.com", "spam", 1012, base + 10.25),
                                     vl("mx1.example.com", "ham", 57, base + 10.25)])
    t.eq((r.status, r.json().get("accepted")), (202, 1),
         "the next samples are accepted as one submission")
    r = d.post("/api/v1/collectd", [vl("mx1.example.com", "spam", 4, base + 20.25)])
    t.eq(r.status, 202, "a counter that went backwards (collectd restarted) is accepted")
    r = d.post("/api/v1/collectd", [vl("mx1.example.com", "virus", 3, base + 20,
                                        dstype="gauge")])
    t.eq(r.status, 202, "a gauge is counted as sent")

    putval = ("PUTVAL \"mx2.example.com/tail-postfix/mail_counter-rejected\" "
              "interval=10 %d:500\n" % (base + 1))
    r = d.request("POST", "/api/v1/collectd", body=putval,
                  headers={"Content-Type": "text/plain"})
    t.eq(r.status, 200, "a first PUTVAL primes")
    putval = ("PUTVAL \"mx2.example.com/tail-postfix/mail_counter-rejected\" "
              "interval=10 %d:530\n"
              "PUTVAL \"mx2.example.com/cpu-0/cpu-idle\" interval=10 %d:99\n"
              % (base + 11, base + 11))
    r = d.request("POST", "/api/v1/collectd", body=putval,
                  headers={"Content-Type": "text/plain; charset=utf-8"})
    t.eq(r.status, 202, "a second PUTVAL submits the delta, other values ignored")

    r = d.request("POST", "/api/v1/collectd", body="x",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    t.eq(r.status, 415, "another media type is refused with 415")
    r = d.request("POST", "/api/v1/collectd", body="PUTVAL nohost 1:1\n",
                  headers={"Content-Type": "text/plain"})
    t.eq((r.status, r.json().get("error")), (400, "bad_command"),
         "a malformed PUTVAL is refused with 400 bad_command")
    r = d.post("/api/v1/collectd", [vl("bad_host!", "spam", 1, base, dstype="gauge")])
    t.eq((r.status, r.json().get("error")), (422, "bad_source"),
         "a host that is not a DNS name is refused with 422")
    r = d.get("/api/v1/collectd")
    t.eq(r.status, 405, "GET on the endpoint is 405")

    d.write_through(label + 60)
    t.eq(d.stop(), 0, "a stop after the steps were written is clean")
    tot = rrd_totals(os.path.join(d.data_dir, "mx1.example.com.rrd"), label - 120, label + 60)
    t.eq(tot, {"spam": 16, "ham": 7, "virus": 3, "rejected": 0},
         "mx1 holds the deltas: 12 + 4 (after the reset) spam, 7 ham, 3 virus")
    tot = rrd_totals(os.path.join(d.data_dir, "mx2.example.com.rrd"), label - 120, label + 60)
    t.eq(tot.get("rejected"), 30, "mx2 holds the PUTVAL delta")

    # With a tokens file the same reporter tokens apply.
    tokens = os.path.join(d.tmp, "tokens")
    with open(tokens, "w") as f:
        f.write("secret-mx1-0123456789abcdef mx1.example.com\n")
    os.chmod(tokens, 0o600)
    d.args += ["--tokens-file", tokens]
    d.start()
    body = [vl("mx3.example.com", "spam", 1, aligned_now() + 5, dstype="gauge")]
    r = d.post("/api/v1/collectd", body, headers={"Authorization": "Bearer secret-mx1-0123456789abcdef"})
    t.eq(r.status, 403, "a token may not report for another host")
    r = d.post("/api/v1/collectd", body, headers={"Authorization": "Bearer wrong-0123456789abcdef"})
    t.eq(r.status, 401, "an unknown token is refused")
finally:
    d.cleanup()

# The sample config documents every option and is accepted as it ships.
sample = os.path.join(SRCDIR, "dist", "spamtrendd.conf.sample")
with open(sample) as f:
    documented = set(re.findall(r"(?m)^#?([a-z_]+) = ", f.read()))
out = subprocess.run([SPAMTRENDD, "--check-config"], capture_output=True, text=True).stdout
options = set(re.findall(r"(?m)^([a-z_]+) = ", out))
t.eq(sorted(options - documented), [], "the sample config names every option")
r = subprocess.run([SPAMTRENDD, "--check-config", "--config", sample], capture_output=True,
                   text=True)
t.ok(r.returncode == 0 and "data_dir = /var/lib/spamtrend" in r.stdout,
     "the sample config passes --check-config", r.stderr)
t.done()
