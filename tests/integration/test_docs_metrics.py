"""docs/API.md lists exactly the metrics GET /metrics exports: none that
does not exist, none left out."""
import os
import re

from harness import SRCDIR, Daemon, Tap

t = Tap(2)
with open(os.path.join(SRCDIR, "docs", "API.md")) as f:
    documented = set(re.findall(r"^  \| `(spamtrend_[a-z_]+)", f.read(), re.M))
d = Daemon()
try:
    body = d.get("/metrics").body.decode()
finally:
    d.cleanup()
exported = set(re.findall(r"^# TYPE (spamtrend_[a-z_]+) ", body, re.M))
t.eq(sorted(documented - exported), [], "API.md lists no metric that /metrics lacks")
t.eq(sorted(exported - documented), [], "every metric of /metrics is in API.md")
t.done()
