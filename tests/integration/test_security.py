"""Who may write and read, and what a hostile client cannot do: reporter
tokens (401/403, SIGHUP reload, never logged), loopback-only default, read
password, HTTPS, slow-drip and connection limits, planted symlinks."""
import base64
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

from harness import Daemon, Tap, aligned_now, status_of

t = Tap(27)
tmp = tempfile.mkdtemp(prefix="spamtrend-sec-")
TOKEN_A = "a" * 8 + "1f3e5d7c9b2a4f6e"
TOKEN_B = "b" * 8 + "0e2d4c6b8a1f3e5d"
tokens = os.path.join(tmp, "tokens")


def write_tokens(text, mode=0o600):
    with open(tokens, "w") as f:
        f.write(text)
    os.chmod(tokens, mode)


T = aligned_now() + 60


def sub(source, n=1):
    return {"source": source, "time": T, "counts": {"spam": n}}


# Tokens file: 401 without or with an unknown token, 403 outside the patterns.
write_tokens("# comment\n%s mx1.example.com *.relay.example.net\n" % TOKEN_A)
d = Daemon("--tokens-file", tokens)
try:
    auth = lambda tok: {"Authorization": "Bearer " + tok}
    r = d.post_counts(sub("mx1.example.com"))
    t.ok(r.status == 401 and r.json()["field"] == "Authorization",
         "no token: 401 naming Authorization", r)
    r = d.post_counts(sub("mx1.example.com"), headers=auth(TOKEN_B))
    t.eq(r.status, 401, "an unknown token: 401")
    r = d.post_counts(sub("mx9.example.com"), headers=auth(TOKEN_A))
    t.ok(r.status == 403 and r.json()["field"] == "source", "a source outside the token: 403", r)
    r = d.post_counts([sub("a.relay.example.net"), sub("evil.example.org")],
                      headers=auth(TOKEN_A))
    t.ok(r.status == 403 and r.json()["field"] == "[1].source",
         "in a batch the 403 names the element", r)
    r = d.post_counts([sub("mx1.example.com"), sub("b.c.relay.example.net")],
                      headers=auth(TOKEN_A))
    t.eq(r.status, 202, "exact names and *.domain patterns are accepted")
    r = d.post_counts("not json at all", headers={"Content-Type": "application/json"})
    t.eq(r.status, 401, "without a token the body is not even parsed")
    # SIGHUP reloads the tokens file.
    write_tokens("%s mx9.example.com\n" % TOKEN_B)
    d.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    r1 = d.post_counts(sub("mx9.example.com"), headers=auth(TOKEN_B))
    r2 = d.post_counts(sub("mx1.example.com"), headers=auth(TOKEN_A))
    t.ok(r1.status == 202 and r2.status == 401, "SIGHUP reloads the tokens file", (r1, r2))
    # A tokens file readable by others is refused on reload; old tokens stay.
    os.chmod(tokens, 0o644)
    d.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    r = d.post_counts(sub("mx9.example.com"), headers=auth(TOKEN_B))
    t.ok(r.status == 202 and "chmod 600" in d.logs(),
         "a tokens file readable by others is refused; the old tokens stay", d.logs()[-400:])
    d.stop()
    t.ok(TOKEN_A not in d.logs() and TOKEN_B not in d.logs(), "tokens never reach the log")
finally:
    d.cleanup()

# Start-up refuses a tokens file that others can read.
write_tokens("%s mx1.example.com\n" % TOKEN_A, mode=0o644)
try:
    Daemon("--tokens-file", tokens)
    started = True
except RuntimeError as e:
    started = False
t.ok(not started, "start-up refuses a tokens file with mode 0644")

# Read password: HTTP basic auth on every read, but not on /healthz.
d = Daemon("--read-password", "s3cret-pass")
try:
    r = d.get("/api/v1/sources")
    t.ok(r.status == 401 and "Basic" in (r.header("WWW-Authenticate") or ""),
         "reading without the password: 401 with WWW-Authenticate", r)
    good = {"Authorization": "Basic " + base64.b64encode(b"any:s3cret-pass").decode()}
    bad = {"Authorization": "Basic " + base64.b64encode(b"any:wrong").decode()}
    t.eq(d.get("/api/v1/sources", headers=bad).status, 401, "a wrong password: 401")
    t.eq(d.get("/api/v1/sources", headers=good).status, 200, "the right password reads")
    t.eq(d.get("/").status, 401, "the UI is private too")
    t.eq(d.get("/healthz").status, 200, "/healthz stays open for monitoring")
finally:
    d.cleanup()

# HTTPS with a certificate and key.
cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
try:
    rc = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                         "1", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                        capture_output=True).returncode
except OSError:
    rc = 1
if rc == 0:
    d = Daemon("--tls-cert", cert, "--tls-key", key)
    try:
        ctx = ssl.create_default_context(cafile=cert)
        ctx.check_hostname = False
        c = http.client.HTTPSConnection("127.0.0.1", d.port, context=ctx, timeout=10)
        c.request("GET", "/healthz")
        r = c.getresponse()
        t.ok(r.status == 200 and b"ok" in r.read(), "HTTPS serves with the given certificate")
        c.close()
    finally:
        d.cleanup()
else:
    t.ok(True, "# SKIP openssl could not make a certificate")

# Slow drip: a body that trickles in is ended by request_timeout.
d = Daemon("--request-timeout", "2", "--idle-timeout", "10", "--max-per-ip", "0")
try:
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    s.sendall(b"POST /api/v1/counts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\n\r\n{")
    got = b""
    t0 = time.time()
    try:
        for _ in range(8):
            time.sleep(0.5)
            s.sendall(b" ")
        got = s.recv(4096)
    except OSError:
        pass
    s.close()
    t.ok(status_of(got) == 408 or (got == b"" and time.time() - t0 < 8),
         "a slow drip is ended by request_timeout", got[:100])
    t.ok(d.healthy(), "the daemon still serves")

    # More connections than select() could handle (epoll).
    socks = []
    try:
        for _ in range(1100):
            socks.append(socket.create_connection(("127.0.0.1", d.port), timeout=10))
        r = d.get("/healthz")
        t.ok(r.status == 200, "with 1100 open connections the daemon still answers", r)
    finally:
        for s in socks:
            s.close()
finally:
    d.cleanup()

# Per-address connection limit.
d = Daemon("--max-per-ip", "4")
try:
    # Four connections the daemon has surely accepted: each has had an
    # answer, and stays open (keep-alive).
    socks = []
    for _ in range(4):
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
        c.request("GET", "/healthz")
        c.getresponse().read()
        socks.append(c)
    try:
        refused = False
        try:
            r = d.get("/healthz", timeout=3)
        except OSError:
            refused = True
        t.ok(refused, "the fifth connection from one address is refused")
    finally:
        for s in socks:
            s.close()
    time.sleep(0.3)
    t.ok(d.healthy(), "after they close, connections are accepted again")
finally:
    d.cleanup()

# Cardinality: caps on sources, on new sources per minute, and a disk guard.
d = Daemon("--max-sources", "3", "--new-sources-per-minute", "2")
try:
    r1 = d.post_counts([sub("c1.example.com"), sub("c2.example.com")])
    r2 = d.post_counts(sub("c3.example.com"))
    t.ok(r1.status == 202 and r2.status == 429 and
         r2.json()["error"] == "too_many_new_sources" and r2.json()["field"] == "source",
         "a new source past new_sources_per_minute gets 429", (r1, r2))
    r3 = d.post_counts(sub("c1.example.com", 2))
    t.eq(r3.status, 202, "existing sources are unaffected")
finally:
    d.cleanup()
d = Daemon("--max-sources", "1")
try:
    r1 = d.post_counts(sub("only.example.com"))
    r2 = d.post_counts(sub("second.example.com"))
    t.ok(r1.status == 202 and r2.status == 429 and
         r2.json()["error"] == "too_many_sources", "a source past max_sources gets 429", r2)
finally:
    d.cleanup()
d = Daemon("--min-free-disk", "1000000G")
try:
    r = d.post_counts(sub("new.example.com"))
    t.ok(r.status == 507 and r.json()["error"] == "insufficient_storage",
         "below min_free_disk a new source gets 507", r)
finally:
    d.cleanup()

# A symlink planted in the data directory is not followed.
outside = os.path.join(tmp, "outside.rrd")
with open(outside, "wb") as f:
    f.write(b"precious")
d = Daemon(wait=False)
try:
    os.makedirs(d.data_dir)
    os.symlink(outside, os.path.join(d.data_dir, "planted.example.com.rrd"))
    d.start()
    r = d.post_counts(sub("planted.example.com", 3))
    d.stop()
    with open(outside, "rb") as f:
        t.eq(f.read(), b"precious", "a planted symlink is not followed")
    t.ok(os.path.islink(os.path.join(d.data_dir, "planted.example.com.rrd")) or
         not os.path.exists(os.path.join(d.data_dir, "planted.example.com.rrd")),
         "and nothing was written through it")
finally:
    d.cleanup()
shutil.rmtree(tmp, ignore_errors=True)
t.done()
