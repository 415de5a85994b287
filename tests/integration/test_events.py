"""Event annotations: create, list, delete, validation, persistence across a
restart, the admin rules, and texts that must not break the graph."""
import json
import os
import re
import socket

from harness import Daemon, Tap, aligned_now, status_of

T = 1226437200  # 2008-11-11 21:00 UTC


def non_loopback_address():
    """An address of this host that is not loopback, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))
        addr = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if addr.startswith("127.") else addr


t = Tap(39)
d = Daemon()
d2 = None
d3 = None
try:
    r = d.post("/api/v1/events", {"time": T, "text": "McColo depeered"})
    t.eq(r.status, 201, "POST an event answers 201")
    ev = r.json() if r.status == 201 else {}
    t.ok(isinstance(ev.get("id"), int) and ev.get("time") == T and
         ev.get("text") == "McColo depeered" and ev.get("source") is None,
         "the answer holds the id, time, text and a null source", ev)
    t.eq(r.header("Location"), "/api/v1/events/%s" % ev.get("id"), "with its Location")
    r = d.post("/api/v1/events", {"time": T + 86400, "text": "mx1 moved",
                                  "source": "MX1.Example.COM."})
    t.eq((r.status, r.json().get("source")), (201, "mx1.example.com"),
         "a source is normalised")
    ev2 = r.json()

    r = d.get("/api/v1/events")
    t.eq([e["id"] for e in r.json()], [ev["id"], ev2["id"]], "GET lists both, by time")
    r = d.get("/api/v1/events?start=%d&end=%d" % (T - 10, T + 10))
    t.eq([e["id"] for e in r.json()], [ev["id"]], "start and end filter by time")
    r = d.get("/api/v1/events?source=mx2.example.com")
    t.eq([e["id"] for e in r.json()], [ev["id"]],
         "a source filter keeps that source's events and those for every source")
    r = d.get("/api/v1/events?start=soon")
    t.ok(r.status == 400 and r.json().get("field") == "start", "a bad start is a 400", r)
    r = d.get("/api/v1/events?colour=red")
    t.eq(r.status, 400, "an unknown parameter is a 400")

    # Validation.
    bad = [
        ({"time": T, "text": ""}, 422, "text", "an empty text"),
        ({"time": T, "text": "x" * 201}, 422, "text", "a text of 201 characters"),
        ({"time": T, "text": "two\nlines"}, 422, "text", "a line break"),
        ({"time": T, "text": "bell\u0007"}, 422, "text", "a control character"),
        ({"time": "yesterday", "text": "x"}, 422, "time", "a time that is a string"),
        ({"time": 1.5, "text": "x"}, 422, "time", "a time that is not an integer"),
        ({"text": "x"}, 422, "time", "no time"),
        ({"time": T, "text": "x", "source": "bad_host!"}, 422, "source", "a bad source"),
        ({"time": T, "text": "x", "colour": "red"}, 422, "colour", "an unknown field"),
        ({"time": T, "text": "invoice\u202efdp.exe"}, 422, "text",
         "a right-to-left override (U+202E)"),
        ({"time": T, "text": "a\u2066b\u2069"}, 422, "text", "an isolate (U+2066)"),
    ]
    results = []
    for body, status, field, what in bad:
        r = d.post("/api/v1/events", body)
        try:
            j = r.json()
        except ValueError:
            j = {}
        results.append((what, r.status, j.get("field")))
        if (r.status, j.get("field")) != (status, field) or "detail" not in j:
            break
    t.ok(all(s == 422 for _, s, _ in results) and len(results) == len(bad) and
         all(f == b[2] for (_, _, f), b in zip(results, bad)),
         "bad events are refused with 422 naming the field", results)
    r = d.post("/api/v1/events", '{"time": 1, "time": 2, "text": "x"}')
    t.eq(r.status, 400, "repeated keys are a 400")
    r = d.post("/api/v1/events", {"time": T, "text": "\u00e9" * 200})
    t.eq(r.status, 201, "200 characters of UTF-8 are fine")
    ev3 = r.json()
    t.eq(len(d.get("/api/v1/events").json()), 3, "refused events were not stored")

    # Delete.
    r = d.request("DELETE", "/api/v1/events/%d" % ev3["id"])
    t.eq(r.status, 204, "DELETE answers 204")
    r = d.request("DELETE", "/api/v1/events/%d" % ev3["id"])
    t.eq(r.status, 404, "deleting it again answers 404")
    r = d.request("DELETE", "/api/v1/events/abc")
    t.eq(r.status, 404, "a malformed id answers 404")

    # Graph: texts with markup and rrdgraph syntax do not change the graph.
    now = aligned_now()
    r = d.post_counts({"source": "mx1.example.com", "time": now, "counts": {"spam": 5}})
    t.eq(r.status, 202, "some counts for a graph")
    for text in ("<script>x</script>", "a:b COMMENT:evil\\l HRULE:1#ff0000",
                 "100% \\g back\\slash 'quote\" end"):
        r = d.post("/api/v1/events", {"time": now - 600, "text": text})
        t.eq(r.status, 201, "an event with the text %r is stored" % text)
        if text.startswith("<"):
            t.ok(r.json().get("text") == text and not set(b"<>&") & set(r.body),
                 "the answer escapes < > & and reads back the same text", r)
    r = d.get("/api/v1/events")
    t.ok(not set(b"<>&") & set(r.body) and
         "<script>x</script>" in [e["text"] for e in r.json()],
         "GET /api/v1/events escapes < > & (the texts read back unchanged)", r.body)
    for fmt, magic in (("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<?xml")):
        r = d.get("/graph.%s?source=_total&start=-1h" % fmt)
        t.ok(r.status == 200 and r.body.startswith(magic),
             "the graph (%s) is still drawn" % fmt, r)
        if fmt == "svg":
            # The event colour (555555) on vertical paths: one rule per event.
            rules = re.findall(rb'stroke:rgb\(33\.333333%,33\.333333%,33\.333333%\)[^>]*'
                               rb'd="M ([\d.]+) [\d.]+ L ([\d.]+) [\d.]+ "', r.body)
            t.eq(len([x for x in rules if x[0] == x[1]]), 3,
                 "each event is one vertical rule in the SVG")
            t.ok(b"<script" not in r.body and b"rgb(100%,0%,0%)" not in r.body,
                 "no markup and no rule from an event's text", r.body[-2000:])
    r = d.get("/graph.png?source=_total&start=-1h&drops=0")
    t.ok(r.status == 200 and r.body.startswith(b"\x89PNG"), "drops=0 draws too", r)

    # GET changes nothing; events survive a restart, ids are not reused.
    listed = d.get("/api/v1/events").json()
    t.eq(d.get("/api/v1/events").json(), listed, "GET changes nothing")
    with open(os.path.join(d.data_dir, "events.json")) as f:
        t.ok(len(json.load(f)["events"]) == len(listed), "events.json holds them")
    t.eq(d.stop(), 0, "the daemon stops")
    # A file written before bidirectional controls were refused still loads.
    path = os.path.join(d.data_dir, "events.json")
    with open(path, encoding="utf-8") as f:
        stored = json.load(f)
    stored["events"][0]["text"] = "\u202e" + stored["events"][0]["text"]
    with open(path, "w", encoding="utf-8") as f:
        json.dump(stored, f, ensure_ascii=False)
    d.start()
    t.eq(d.get("/api/v1/events").json(), listed,
         "the events survive a restart (a stored U+202E is dropped on load)")
    t.ok("bidirectional" in d.logs(), "and the dropping is logged", d.logs())
    r = d.post("/api/v1/events", {"time": T, "text": "after restart"})
    t.ok(r.status == 201 and r.json()["id"] > max(e["id"] for e in listed) and
         r.json()["id"] > ev3["id"], "ids are not reused", r)

    # With an admin token: required for changes, not for reading.
    d2 = Daemon("--admin-token", "s3cret-admin-token")
    r = d2.post("/api/v1/events", {"time": T, "text": "x"})
    t.eq(r.status, 401, "without the admin token POST is a 401")
    r = d2.post("/api/v1/events", {"time": T, "text": "x"},
                headers={"Authorization": "Bearer wrong"})
    t.eq(r.status, 401, "a wrong token is a 401")
    r = d2.post("/api/v1/events", {"time": T, "text": "x"},
                headers={"Authorization": "Bearer s3cret-admin-token"})
    t.eq(r.status, 201, "the admin token may add")
    eid = r.json().get("id")
    r = d2.request("DELETE", "/api/v1/events/%s" % eid)
    t.eq(r.status, 401, "and DELETE without it is a 401")
    t.eq(d2.get("/api/v1/events").status, 200, "reading needs no token")

    # Without an admin token, only loopback clients may change events.
    addr = non_loopback_address()
    if addr is None:
        t.skip_rest("no non-loopback address on this host")
    else:
        d3 = Daemon("--listen", "0.0.0.0:0")
        body = json.dumps({"time": T, "text": "from afar"}).encode()
        raw = None
        s = socket.create_connection((addr, d3.port), timeout=5)
        try:
            s.sendall(b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                      % len(body) + body)
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
            raw = b"".join(chunks)
        finally:
            s.close()
        t.eq(status_of(raw), 403, "a non-loopback client without an admin token gets 403")
finally:
    for x in (d, d2, d3):
        if x is not None:
            x.cleanup()
t.done()
