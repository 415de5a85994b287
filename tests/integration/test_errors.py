"""Every way a submission can be wrong, and hostile shapes: each gets the
right status, a JSON error naming the problem and the field, stores
nothing, creates nothing outside the data directory, and the daemon keeps
answering /healthz."""
import gzip
import json
import os
import time

from harness import Daemon, Tap, aligned_now, raw_exchange, rrd_files, status_of

T = aligned_now() + 60
GOOD = {"source": "mx1.example.com", "time": T, "counts": {"spam": 1}}


def with_(**kw):
    b = dict(GOOD)
    b.update(kw)
    return b


big_batch = [with_(source="b%d.example.com" % i) for i in range(1001)]
deep = {"source": "mx1.example.com", "time": T, "counts": {"spam": 1}}
nested = "[" * 50 + "]" * 50

# (name, body bytes or object, headers, status, code, field or None)
CASES = [
    ("malformed JSON", b'{"source": "mx1.example.com",', {}, 400, "bad_json", "body"),
    ("trailing garbage", json.dumps(GOOD).encode() + b" x", {}, 400, "bad_json", "body"),
    ("empty body", b"", {}, 400, "bad_json", "body"),
    ("duplicate JSON keys", b'{"source":"a.example.com","source":"b.example.com","counts":{}}',
     {}, 400, "bad_json", "body"),
    ("invalid UTF-8", b'{"source":"mx1.example.com","counts":{},"id":"\xff\xfe"}', {}, 400,
     "bad_json", "body"),
    ("NUL escape in a string", b'{"source":"mx1\\u0000.example.com","counts":{}}', {}, 400,
     "bad_json", "body"),
    ("1e309", ('{"source":"mx1.example.com","counts":{"spam":1e309}}').encode(), {}, 400,
     "bad_json", "body"),
    ("2^64", ('{"source":"mx1.example.com","counts":{"spam":18446744073709551616}}').encode(),
     {}, 400, "bad_json", "body"),
    ("deep nesting", ('{"source":"mx1.example.com","counts":{"spam":%s}}' % nested).encode(),
     {}, 400, None, None),
    ("not gzip", json.dumps(GOOD).encode(), {"Content-Encoding": "gzip"}, 400, "bad_gzip",
     "Content-Encoding"),
    ("wrong content type", json.dumps(GOOD).encode(), {"Content-Type": "text/plain"}, 415,
     "unsupported_media_type", "Content-Type"),
    ("unknown encoding", json.dumps(GOOD).encode(), {"Content-Encoding": "br"}, 415,
     "unsupported_encoding", "Content-Encoding"),
    ("unknown category", with_(counts={"spam": 1, "phish": 2}), {}, 422, "unknown_category",
     "counts.phish"),
    ("negative count", with_(counts={"spam": -1}), {}, 422, "bad_count", "counts.spam"),
    ("fractional count", with_(counts={"spam": 1.5}), {}, 422, "bad_count", "counts.spam"),
    ("count as string", with_(counts={"spam": "3"}), {}, 422, "bad_count", "counts.spam"),
    ("absurd count", with_(counts={"spam": 10 ** 15}), {}, 422, "bad_count", "counts.spam"),
    ("counts not an object", with_(counts=[1]), {}, 422, None, "counts"),
    ("missing source", {"counts": {"spam": 1}}, {}, 422, "missing_field", "source"),
    ("empty source", with_(source=""), {}, 422, "bad_source", "source"),
    ("source with ..", with_(source="a..example.com"), {}, 422, "bad_source", "source"),
    ("source with /", with_(source="../../etc/passwd"), {}, 422, "bad_source", "source"),
    ("source with space", with_(source="mx1 example.com"), {}, 422, "bad_source", "source"),
    ("source with control byte", with_(source="mx1\x01.example.com"), {}, 422, "bad_source",
     "source"),
    ("source with RRD syntax", with_(source="x:spam:AVERAGE"), {}, 422, "bad_source", "source"),
    ("source _total", with_(source="_total"), {}, 422, "bad_source", "source"),
    ("label over 63", with_(source="a" * 64 + ".example.com"), {}, 422, "bad_source", "source"),
    ("name of 241 bytes (valid DNS, too long for a file name)",
     with_(source=".".join(["a" * 63] * 3) + "." + "b" * 49), {}, 422, "bad_source", "source"),
    ("name over 253", with_(source=".".join(["a" * 63] * 4) + ".com"), {}, 422, "bad_source",
     "source"),
    ("time far in the future", with_(time=int(time.time()) + 86400), {}, 422, "time_in_future",
     "time"),
    ("time as float", with_(time=T + 0.5), {}, 422, "bad_time", "time"),
    ("time negative", with_(time=-5), {}, 422, "bad_time", "time"),
    ("interval zero", with_(interval=0), {}, 422, "bad_interval", "interval"),
    ("interval huge", with_(interval=10 ** 9), {}, 422, "bad_interval", "interval"),
    ("unknown field", with_(sauce=1), {}, 422, "unknown_field", "sauce"),
    ("empty batch", [], {}, 422, "empty_batch", None),
    ("batch over 1000", big_batch, {}, 413, "batch_too_large", None),
    ("bad element names its index", [GOOD, with_(counts={"spam": -4})], {}, 422, "bad_count",
     "[1].counts.spam"),
    ("non-object element", [GOOD, 3], {}, 422, None, "[1]"),
    ("bad id", with_(id="has space"), {}, 422, "bad_id", "id"),
    ("bad Idempotency-Key header", GOOD, {"Idempotency-Key": "x" * 300}, 400, "bad_header",
     "Idempotency-Key"),
    ("X-Spamtrend-Source names another source", GOOD,
     {"X-Spamtrend-Source": "mx9.example.com"}, 422, "source_mismatch", "source"),
    ("X-Spamtrend-Source against a batch element",
     [GOOD, with_(source="mx2.example.com")], {"X-Spamtrend-Source": "mx1.example.com"},
     422, "source_mismatch", "[1].source"),
    ("X-Spamtrend-Source that is not a host name", GOOD,
     {"X-Spamtrend-Source": "not a host"}, 422, "bad_source", "X-Spamtrend-Source"),
    ("time older than the finest archive", with_(time=int(time.time()) - 3 * 86400), {},
     422, "time_too_old", "time"),
    ("body over 1 MiB", b'{"source":"mx1.example.com","counts":{},"id":"' + b"a" * (1 << 20) +
     b'"}', {}, 413, "body_too_large", None),
    ("gzip bomb", gzip.compress(b'{"source":"mx1.example.com","counts":{},"id":"' +
                                b" " * (64 << 20) + b'"}'),
     {"Content-Encoding": "gzip"}, 413, "inflated_too_large", None),
]

def chunked(body, size=65536):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


RAW = [
    ("a chunked body over 1 MiB",
     b"POST /api/v1/counts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n" +
     chunked(b'{"source":"mx1.example.com","counts":{},"id":"' + b"a" * (2 << 20) + b'"}'),
     413),
    ("two Content-Length headers",
     b"POST /api/v1/counts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}", 400),
    ("Content-Length with chunked",
     b"POST /api/v1/counts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("unknown Transfer-Encoding",
     b"POST /api/v1/counts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Transfer-Encoding: gzip\r\n\r\n", 501),
]

t = Tap(len(CASES) * 2 + len(RAW) + 8)
d = Daemon()
try:
    before = set(os.listdir(os.path.dirname(d.data_dir)))
    for name, body, headers, status, code, field in CASES:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        h = {"Content-Type": "application/json"}
        h.update(headers)
        r = d.request("POST", "/api/v1/counts", body=body, headers=h)
        try:
            j = r.json()
        except ValueError:
            j = {}
        ok = r.status == status and "detail" in j and "field" in j
        if code is not None:
            ok = ok and j.get("error") == code
        if field is not None:
            ok = ok and j.get("field") == field
        t.ok(ok, "%s: %d %s %s" % (name, status, code or "", field or ""), r)
        t.ok(d.healthy(), "%s: the daemon still answers /healthz" % name)

    for name, data, status in RAW:
        got = status_of(raw_exchange(d.port, data))
        t.eq(got, status, "%s is refused with %d" % (name, status))

    r = d.request("GET", "/no/such/path")
    t.ok(r.status == 404 and r.json().get("error") == "not_found", "an unknown path is 404", r)
    r = d.request("DELETE", "/api/v1/counts")
    t.ok(r.status == 405 and "POST" in (r.header("Allow") or ""),
         "a wrong method is 405 with Allow", (r, r.headers))
    r = d.request("GET", "/api/v1/counts")
    t.eq(r.status, 405, "GET on the ingest path is 405")
    t.ok(r.header("X-Content-Type-Options") == "nosniff" and
         "frame-ancestors 'none'" in (r.header("Content-Security-Policy") or ""),
         "security headers are on error responses too", r.headers)

    t.eq(d.stop(), 0, "the daemon stops cleanly after all of that")
    t.eq(rrd_files(d.data_dir), [], "nothing at all was stored")
    after = set(os.listdir(os.path.dirname(d.data_dir)))
    t.eq(after - before, set(["daemon.log"]) - before, "nothing was created outside the data dir")
    jdir = os.path.join(d.data_dir, "journal")
    size = sum(os.path.getsize(os.path.join(jdir, f)) for f in os.listdir(jdir))
    t.ok(size == 0, "nothing reached the journal", size)
finally:
    d.cleanup()
t.done()
