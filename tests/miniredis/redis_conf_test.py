"""miniredis loads Redis' own config file (core/redis_conf.cpp): Debian's stock
/etc/redis/redis.conf as installed by redis-server, read at run time (skipped where it is absent).
The directives we implement take effect, the ones Redis knows but we do not are listed in one
warning line, unknown ones are refused with Redis' FATAL CONFIG FILE ERROR naming file and line,
and command-line options given after the file win over it, as with redis-server."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import tap
from resp_client import RespClient
from servers import Server, free_ports, run_to_exit

STOCK = "/etc/redis/redis.conf"
# The stock file daemonizes and logs to /var/log/redis; both original and copy are told not to.
FOREGROUND = ["--daemonize", "no", "--logfile", ""]


def config_get(port, name):
    c = RespClient(port)
    try:
        reply = c.call("CONFIG", "GET", name)
    finally:
        c.close()
    return dict(zip(reply[::2], reply[1::2])).get(name.encode())


class StockFile(unittest.TestCase):
    @unittest.skipUnless(os.path.exists(STOCK), "no " + STOCK + " (apt-get install redis-server)")
    def test_stock_file_loads_and_matches_redis_server(self):
        names = ["bind", "databases", "appendfilename", "dbfilename", "hz", "timeout", "appendfsync",
                 "client-output-buffer-limit", "slowlog-max-len", "auto-aof-rewrite-min-size", "hll-sparse-max-bytes"]
        with Server("MINIREDIS_BIN", *FOREGROUND, config=STOCK) as mini:
            ours = {n: config_get(mini.port, n) for n in names}
            warnings = [line for line in mini.log_lines if "not implemented here, ignored" in line]
            self.assertEqual(len(warnings), 1, mini.log())  # ONE summary line, not one per directive
            for directive in ("protected-mode", "tcp-backlog", "daemonize", "lazyfree-lazy-eviction"):
                self.assertIn(directive, warnings[0])
            self.assertNotIn("databases", warnings[0])  # implemented: not in the list
            c = RespClient(mini.port)
            info = c.call("INFO", "server")
            c.close()
            self.assertIn(f"config_file:{STOCK}\r\n".encode(), info)
        if not shutil.which("redis-server"):
            self.skipTest("no redis-server for the differential half")
        data = tempfile.mkdtemp(prefix="minibrokers-redis-")
        port = free_ports(1)[0]
        real = subprocess.Popen(["redis-server", STOCK, "--port", str(port), "--dir", data, *FOREGROUND,
                                 "--pidfile", os.path.join(data, "pid")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    theirs = {n: config_get(port, n) for n in names}
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            real.terminate()
            real.wait(10)
            shutil.rmtree(data, ignore_errors=True)
        self.assertEqual(ours, theirs)


class Directives(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="minibrokers-conf-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_directives_take_effect_and_the_command_line_wins(self):
        self.write("base.conf", "maxmemory 100mb\nappendonly yes\ndatabases 4\n")
        conf = self.write("main.conf", f"""# a comment
include {self.tmp}/base.conf
bind 127.0.0.1 -::1
save 900 1
save 300 10
appendfilename "log.aof"
maxmemory-policy allkeys-lru
client-output-buffer-limit normal 0 0 0
client-output-buffer-limit replica 256mb 64mb 60
client-output-buffer-limit pubsub 4mb 1mb 30
io-threads 4
tls-port 0
""")
        with Server("MINIREDIS_BIN", "--databases", "8", config=conf) as mini:
            got = {n: config_get(mini.port, n) for n in
                   ("maxmemory", "appendonly", "databases", "save", "appendfilename", "maxmemory-policy",
                    "client-output-buffer-limit", "bind")}
            warning = [line for line in mini.log_lines if "ignored" in line]
        self.assertEqual(got["maxmemory"], b"104857600")  # from the included file, units applied
        self.assertEqual(got["appendonly"], b"yes")
        self.assertEqual(got["databases"], b"8")  # the command line after the file wins
        self.assertEqual(got["save"], b"900 1 300 10")  # save lines add up
        self.assertEqual(got["appendfilename"], b"log.aof")  # quotes removed
        self.assertEqual(got["maxmemory-policy"], b"allkeys-lru")
        # every class line applies, not just the last one
        self.assertEqual(got["client-output-buffer-limit"],
                         b"normal 0 0 0 slave 268435456 67108864 60 pubsub 4194304 1048576 30")
        self.assertEqual(got["bind"], b"127.0.0.1 -::1")
        self.assertEqual(len(warning), 1)
        self.assertIn("io-threads, tls-port", warning[0])

    def test_save_empty_string_disables_snapshots(self):
        conf = self.write("s.conf", 'save 900 1\nsave ""\n')
        with Server("MINIREDIS_BIN", config=conf) as mini:
            self.assertEqual(config_get(mini.port, "save"), b"")

    def test_unknown_directive_is_refused_naming_file_and_line(self):
        conf = self.write("bad.conf", "port 0\n# fine so far\nmaxmemroy 1gb\n")
        status, output = run_to_exit("MINIREDIS_BIN", self.tmp, config=conf)
        self.assertEqual(status, 2, output)
        self.assertIn("*** FATAL CONFIG FILE ERROR", output)
        self.assertIn(f"Reading the configuration file {conf}, at line 3", output)
        self.assertIn(">>> 'maxmemroy 1gb'", output)

    def test_unknown_directive_in_an_included_file_names_that_file(self):
        inner = self.write("inner.conf", "\nnot-a-directive yes\n")
        conf = self.write("outer.conf", f"include {inner}\n")
        status, output = run_to_exit("MINIREDIS_BIN", self.tmp, config=conf)
        self.assertEqual(status, 2, output)
        self.assertIn(f"{inner}, at line 2", output)

    def test_bad_value_is_refused(self):
        conf = self.write("bad.conf", "appendonly maybe\n")
        status, output = run_to_exit("MINIREDIS_BIN", self.tmp, config=conf)
        self.assertEqual(status, 2, output)
        self.assertIn("at line 1", output)


if __name__ == "__main__":
    tap.main()
