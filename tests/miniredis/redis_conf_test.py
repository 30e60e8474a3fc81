"""miniredis loads Redis' own config file (core/redis_conf.cpp): Debian's stock
/etc/redis/redis.conf as installed by redis-server, read at run time (skipped where it is absent).
The directives we implement take effect, the ones Redis knows but we do not are listed in one
warning line, unknown ones are refused with Redis' FATAL CONFIG FILE ERROR naming file and line,
and command-line options given after the file win over it, as with redis-server."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import tap
from resp_client import RespClient
from servers import Server, free_ports, run_to_exit, wait_until

STOCK = "/etc/redis/redis.conf"
# The stock file daemonizes, logs to /var/log/redis and writes a pid file under /run/redis; both
# original and copy are told not to (miniredis does all three, as redis-server: test Process).
FOREGROUND = ["--daemonize", "no", "--logfile", "", "--pidfile", ""]


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
            for directive in ("protected-mode", "tcp-backlog", "tcp-keepalive", "lazyfree-lazy-eviction"):
                self.assertIn(directive, warnings[0])
            self.assertNotIn("databases", warnings[0])  # implemented: not in the list
            self.assertNotIn("daemonize", warnings[0])
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


class AcceptedButIgnored(unittest.TestCase):
    def test_config_get_answers_ignored_directives_with_their_value(self):
        """redis-server answers CONFIG GET for every directive it has; miniredis, for the ones it
        accepts but ignores, answers with the value given (file or command line)."""
        with tempfile.TemporaryDirectory(prefix="minibrokers-conf-") as tmp:
            conf = os.path.join(tmp, "r.conf")
            with open(conf, "w") as f:
                f.write('io-threads 4\nprotected-mode yes\ntcp-backlog 511\nsupervised "no"\n')
            with Server("MINIREDIS_BIN", "--tcp-backlog", "128", config=conf) as mini:
                self.assertEqual(config_get(mini.port, "io-threads"), b"4")
                self.assertEqual(config_get(mini.port, "protected-mode"), b"yes")
                self.assertEqual(config_get(mini.port, "tcp-backlog"), b"128")  # the command line wins
                self.assertEqual(config_get(mini.port, "supervised"), b"no")  # quotes removed
                c = RespClient(mini.port)
                try:
                    pairs = c.call("CONFIG", "GET", "tcp-*")
                    self.assertEqual(dict(zip(pairs[::2], pairs[1::2]))[b"tcp-backlog"], b"128")
                    self.assertEqual(c.call("CONFIG", "GET", "lazyfree-lazy-eviction"), [])  # not given: absent
                finally:
                    c.close()


class Process(unittest.TestCase):
    """daemonize, pidfile and logfile work as in redis-server (miniredis/main.cpp)."""

    def test_daemonize_writes_the_pid_file_and_logs_to_the_log_file(self):
        with tempfile.TemporaryDirectory(prefix="minibrokers-daemon-") as tmp:
            pidfile, logfile = os.path.join(tmp, "r.pid"), os.path.join(tmp, "r.log")
            started = subprocess.run([os.environ["MINIREDIS_BIN"], "--port", "0", "--dir", tmp, "--save", "",
                                      "--daemonize", "yes", "--pidfile", pidfile, "--logfile", logfile],
                                     capture_output=True, text=True, timeout=30)
            # The command returns at once, as redis-server's does: the server lives on in the background.
            self.assertEqual((started.returncode, started.stdout, started.stderr), (0, "", ""))
            self.assertTrue(wait_until(lambda: os.path.exists(pidfile) and "listening on" in read(logfile)),
                            read(logfile))
            pid = int(read(pidfile))
            self.assertTrue(os.path.exists(f"/proc/{pid}"))
            try:
                port = int(re.search(r"listening on [0-9.]+:([0-9]+)", read(logfile)).group(1))
                self.assertEqual(config_get(port, "daemonize"), b"yes")
                self.assertEqual(config_get(port, "pidfile"), pidfile.encode())
                self.assertEqual(config_get(port, "logfile"), logfile.encode())
                c = RespClient(port)
                try:
                    refused = c.call("CONFIG", "SET", "logfile", os.path.join(tmp, "other.log"))
                    self.assertIn("immutable", refused.text)
                finally:
                    c.close()
            finally:
                os.kill(pid, signal.SIGTERM)
            # A clean stop removes the pid file and says so in the log.
            self.assertTrue(wait_until(lambda: not os.path.exists(f"/proc/{pid}") or is_zombie(pid), 20))
            self.assertFalse(os.path.exists(pidfile))
            self.assertIn("INFO stopped", read(logfile))

    def test_an_unwritable_log_file_stops_the_start_and_a_pid_file_only_warns(self):
        with tempfile.TemporaryDirectory(prefix="minibrokers-daemon-") as tmp:
            status, output = run_to_exit("MINIREDIS_BIN", tmp, "--logfile", os.path.join(tmp, "no", "such.log"))
            self.assertEqual(status, 1, output)
            self.assertIn("Can't open the log file", output)
            with Server("MINIREDIS_BIN", "--pidfile", os.path.join(tmp, "no", "such.pid")) as mini:
                self.assertTrue(any("Failed to write PID file" in line for line in mini.log_lines), mini.log())


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def is_zombie(pid):
    return " Z " in read(f"/proc/{pid}/stat")


if __name__ == "__main__":
    tap.main()
