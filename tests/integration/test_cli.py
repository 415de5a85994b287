"""The daemon's command line and config file: --help, bad options, config
lines, port 0, and the data-directory lock."""
import os
import shutil
import subprocess
import tempfile

from harness import SPAMTRENDD, Daemon, Tap

t = Tap(18)
tmp = tempfile.mkdtemp(prefix="spamtrend-cli-")


def run(*args):
    p = subprocess.run([SPAMTRENDD] + list(args), capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stdout + p.stderr


rc, out = run("--help")
t.eq(rc, 0, "--help exits 0")
t.ok(all(o in out for o in ("--listen", "--data-dir", "--config", "--categories",
                            "--max-body", "--tokens-file", "--rrdcached")),
     "--help lists the options", out)

rc, out = run("--no-such-option", "1")
t.ok(rc != 0 and "no-such-option" in out, "an unknown option stops start-up and is named", out)

rc, out = run("--step", "abc")
t.ok(rc != 0 and "step" in out, "a bad value stops start-up and names the option", out)

conf = os.path.join(tmp, "bad.conf")
with open(conf, "w") as f:
    f.write("# comment\n\nlisten = 127.0.0.1:0\nbogus_key = 3\n")
rc, out = run("--config", conf)
t.ok(rc != 0 and "bad.conf:4" in out and "bogus_key" in out,
     "an unknown key in the config file names file and line", out)

with open(conf, "w") as f:
    f.write("max_batch = 0\n")
rc, out = run("--config", conf)
t.ok(rc != 0 and "bad.conf:1" in out, "a bad value in the config file names the line", out)

with open(conf, "w") as f:
    f.write("categories = spam, ham, Bad-Name\n")
rc, out = run("--config", conf, "--check-config")
t.ok(rc != 0 and "categories" in out, "invalid category names are refused", out)

good = os.path.join(tmp, "good.conf")
with open(good, "w") as f:
    f.write("step = 60\nmax_batch = 50\ncategories = \"spam,ham\"\n")
rc, out = run("--config", good, "--check-config", "--max-batch", "70")
t.eq(rc, 0, "--check-config accepts a good file")
t.ok("max_batch = 70" in out, "the command line wins over the config file", out)
t.ok("categories = spam,ham" in out, "quoted values are unquoted", out)

# Port 0: the daemon prints the port it got, and serves on it.
d = Daemon()
try:
    t.ok(d.port is not None and d.port > 0, "port 0 picks a free port and prints it")
    t.ok(d.healthy(), "the daemon answers /healthz on the printed port")
    # A second daemon on the same data directory must refuse to start.
    rc, out = run("--listen", "127.0.0.1:0", "--data-dir", d.data_dir)
    t.ok(rc != 0 and "in use" in out, "a second daemon on the same data dir refuses", out)
    t.ok("loopback" in d.logs(), "without a tokens file the daemon says only loopback may submit",
         d.logs())
    t.eq(d.stop(), 0, "SIGTERM exits 0")
finally:
    d.cleanup()

# A port is digits only: a sign or a space is not read past (strtol did).
p = subprocess.Popen([SPAMTRENDD, "--listen", "127.0.0.1:+0", "--data-dir",
                      os.path.join(tmp, "data-sign")], stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, text=True)
line = p.stdout.readline()
started = "listening on" in line
if started:
    p.terminate()
out = line + p.communicate(timeout=30)[0]
t.ok(not started and p.returncode != 0 and "listen" in out,
     "a port written with a sign is refused", out)

# The config file sets the listen address and data dir too.
data = os.path.join(tmp, "data2")
with open(good, "w") as f:
    f.write("listen = 127.0.0.1:0\ndata_dir = %s\n" % data)
p = subprocess.Popen([SPAMTRENDD, "--config", good], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
line = p.stdout.readline()
p.terminate()
p.wait(30)
t.ok("listening on http://127.0.0.1:" in line and data in line,
     "listen and data_dir come from the config file", line)
t.ok(os.path.isdir(os.path.join(data, "journal")), "the data directory and journal are created")
shutil.rmtree(tmp, ignore_errors=True)
t.done()
