"""POST /api/v1/collectd end to end: collectd's write_http JSON and PUTVAL
bodies become counts (deltas of counters, gauges as sent), with the same
auth as /api/v1/counts; the stock rrdtool reads back exactly the deltas.
Counter state is per host and capped, a body refused by ingest does not use
up its growth, absurd gauges are refused, and error bodies stay UTF-8."""
import json
import os
import re
import subprocess

from harness import SPAMTRENDD, SRCDIR

from harness import Daemon, Tap, aligned_now, rrd_totals

t = Tap(36)


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
    r = d.post("/api/v1/collectd", [vl("mx1.example.com", "virus", 1, base, dstype="gauge")],
               headers={"X-Spamtrend-Source": "mx9.example.com"})
    t.ok(r.status == 422 and r.json().get("error") == "source_mismatch",
         "a host other than X-Spamtrend-Source names: 422 source_mismatch", r)

    # Gauges of 2^63 or more once passed the count check (llround overflow).
    for value in (1e300, 9.3e18):
        r = d.post("/api/v1/collectd", [vl("mx4.example.com", "virus", value, base,
                                            dstype="gauge")])
        t.ok(r.status == 422 and r.json().get("error") == "bad_count",
             "a gauge of %g is refused with 422 bad_count" % value, r)
    r = d.request("POST", "/api/v1/collectd",
                  body=b"PUTVAL mx4.example.com/p/mail_counter-spam N:\xff\xfe\n",
                  headers={"Content-Type": "text/plain"})
    try:
        detail = json.loads(r.body.decode("utf-8")).get("detail", "")
    except ValueError:
        detail = None
    t.ok(r.status == 400 and detail is not None and "\ufffd" in detail,
         "bytes that are not UTF-8 come back as U+FFFD in valid JSON", r)

    # A body that ingest refuses (a step long closed) leaves the counter where
    # it was: the next accepted body counts the growth the refused one held.
    old = aligned_now() - 3 * 86400
    r = d.post("/api/v1/collectd", [vl("mx5.example.com", "spam", 100, old)])
    t.eq(r.status, 200, "mx5 primes three days back")
    r = d.post("/api/v1/collectd", [vl("mx5.example.com", "spam", 150, old + 10)])
    t.ok(r.status in (409, 422), "its next sample, three days old, is refused by ingest", r)
    now5 = aligned_now() + 5
    r = d.post("/api/v1/collectd", [vl("mx5.example.com", "spam", 170, now5)])
    t.eq(r.status, 202, "a current sample is accepted")

    d.write_through(max(label, now5 - 5 + 60) + 60)
    t.eq(d.stop(), 0, "a stop after the steps were written is clean")
    tot = rrd_totals(os.path.join(d.data_dir, "mx1.example.com.rrd"), label - 120, label + 60)
    t.eq(tot, {"spam": 16, "ham": 7, "virus": 3, "rejected": 0},
         "mx1 holds the deltas: 12 + 4 (after the reset) spam, 7 ham, 3 virus")
    tot = rrd_totals(os.path.join(d.data_dir, "mx2.example.com.rrd"), label - 120, label + 60)
    t.eq(tot.get("rejected"), 30, "mx2 holds the PUTVAL delta")
    tot = rrd_totals(os.path.join(d.data_dir, "mx5.example.com.rrd"), now5 - 300, now5 + 300)
    t.eq(tot.get("spam"), 70, "mx5 holds 70: the refused body's growth was not used up")

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

# A reporter allowed only mx1 sends ever new plugin instances: its own table
# fills and it is told so; mx2, another reporter, keeps counting.
d = Daemon(wait=False)
try:
    tokens = os.path.join(d.tmp, "tokens")
    with open(tokens, "w") as f:
        f.write("secret-mx1-0123456789abcdef mx1.example.com\n"
                "secret-mx2-0123456789abcdef mx2.example.com\n")
    os.chmod(tokens, 0o600)
    d.args += ["--tokens-file", tokens, "--max-sources", "2"]
    d.start()
    mx1 = {"Authorization": "Bearer secret-mx1-0123456789abcdef"}
    mx2 = {"Authorization": "Bearer secret-mx2-0123456789abcdef"}
    when = aligned_now() + 5
    flood = [dict(vl("mx1.example.com", "spam", i, when), plugin_instance="i%d" % i)
             for i in range(100)]
    r = d.post("/api/v1/collectd", flood, headers=mx1)
    t.ok(r.status == 429 and r.json().get("error") == "too_many_values" and
         r.json().get("field") == "[64].values[0]",
         "100 new values from one host: 429 too_many_values naming the 65th", r)
    r1 = d.post("/api/v1/collectd", [vl("mx2.example.com", "spam", 10, when)], headers=mx2)
    r2 = d.post("/api/v1/collectd", [vl("mx2.example.com", "spam", 25, when + 10)],
                headers=mx2)
    t.ok((r1.status, r2.status) == (200, 202) and r2.json().get("accepted") == 1,
         "mx2's counter primes and then counts, whatever mx1 sent", (r1, r2))
finally:
    d.cleanup()

# A clean restart keeps the counters' previous values: the first sample
# after it counts the growth over the restart instead of priming.  The file
# is used once, so a kill -9 later does not bring old values back (their
# growth is in the journal already); after a kill -9 the first sample primes.
d = Daemon()
try:
    base = aligned_now() + 5
    label = base - 5 + 60
    kept = os.path.join(d.data_dir, "collectd-values")
    r = d.post("/api/v1/collectd", [vl("mx6.example.com", "spam", 100, base + 0.25),
                                     dict(vl("mx6.example.com", "ham", 7, base + 0.25),
                                          plugin_instance="pf 1%")])
    t.eq(r.status, 200, "mx6 primes")
    t.eq(d.stop(), 0, "a clean stop")
    with open(kept) as f:
        text = f.read()
    t.ok(text.startswith("spamtrend-collectd-values 1\n") and
         len(re.findall(r"(?m) 100 mx6\.example\.com tail-postfix/mail_counter-spam:value$",
                        text)) == 1 and
         "tail-pf%201%25/mail_counter-ham:value" in text,
         "the stop keeps the previous values in collectd-values (names escaped)", text)
    d.start()
    t.ok(not os.path.exists(kept) and
         "2 counters' previous values read back" in d.logs(),
         "the start reads them back and removes the file", d.logs()[-500:])
    r = d.post("/api/v1/collectd", [vl("mx6.example.com", "spam", 130, base + 10.25),
                                     dict(vl("mx6.example.com", "ham", 9, base + 10.25),
                                          plugin_instance="pf 1%")])
    t.ok(r.status == 202 and r.json().get("accepted") == 1 and
         r.json().get("primed", 0) == 0,
         "after the restart the next samples count their growth (202, nothing primed)", r)
    d.kill()
    d.start()
    t.ok(not os.path.exists(kept), "a kill -9 leaves no file behind")
    r = d.post("/api/v1/collectd", [vl("mx6.example.com", "spam", 150, base + 20.25)])
    t.eq(r.status, 200, "after a kill -9 the first sample primes (nothing older comes back)")
    d.write_through(label + 60)
    tot = rrd_totals(os.path.join(d.data_dir, "mx6.example.com.rrd"), label - 120, label + 60)
    t.eq((tot.get("spam"), tot.get("ham")), (30, 2),
         "mx6 holds the growth over the clean restart: 30 spam, 2 ham")
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
