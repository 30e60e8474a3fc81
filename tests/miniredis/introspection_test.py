"""Looking inside miniredis (issue 23): MONITOR, SLOWLOG, LATENCY, OBJECT, MEMORY, DEBUG, ROLE, INFO,
CLIENT LIST and /metrics. Where Redis defines the answer, the same commands go to a real
redis-server and the replies must match (as in differential_test.py); where the answer depends on
timing or addresses (MONITOR lines, SLOWLOG entries), the shape is compared."""
import os
import re
import socket
import time
import unittest
import urllib.request

import prometheus
import tap
from differential_test import RealRedis, normalize
from resp_client import Error, RespClient
from servers import Server, wait_until

# Differential scripts: [command...] lists run on both servers from an empty database.
SCRIPTS = {
    "object": [
        ["SET", "int", "12345"], ["SET", "neg", "-7"], ["SET", "lead", "0123"], ["SET", "short", "hello"],
        ["SET", "long", "x" * 45], ["SET", "edge", "y" * 44], ["SET", "huge", "123456789012345678901"],
        ["OBJECT", "ENCODING", "int"], ["OBJECT", "ENCODING", "neg"], ["OBJECT", "ENCODING", "lead"],
        ["OBJECT", "ENCODING", "short"], ["OBJECT", "ENCODING", "long"], ["OBJECT", "ENCODING", "edge"],
        ["OBJECT", "ENCODING", "huge"],
        ["RPUSH", "list", "a", "b"], ["OBJECT", "ENCODING", "list"],
        ["HSET", "h", "f", "v"], ["OBJECT", "ENCODING", "h"],
        ["HSET", "hbig", "f", "v" * 65], ["OBJECT", "ENCODING", "hbig"],
        ["SADD", "ints", "1", "2", "3"], ["OBJECT", "ENCODING", "ints"],
        ["SADD", "words", "a", "b"], ["OBJECT", "ENCODING", "words"],
        ["ZADD", "z", "1", "a"], ["OBJECT", "ENCODING", "z"],
        ["ZADD", "zbig", "1", "m" * 65], ["OBJECT", "ENCODING", "zbig"],
        ["OBJECT", "ENCODING", "missing"], ["OBJECT", "REFCOUNT", "missing"], ["OBJECT", "IDLETIME", "missing"],
        ["OBJECT", "FREQ", "missing"], ["OBJECT", "FREQ", "short"],
        ["OBJECT", "REFCOUNT", "short"], ["OBJECT", "REFCOUNT", "int"], ["OBJECT", "REFCOUNT", "neg"],
        ["OBJECT"], ["OBJECT", "ENCODING"], ["OBJECT", "ENCODING", "a", "b"], ["OBJECT", "NOPE", "x"],
        ["OBJECT", "HELP"], ["OBJECT", "HELP", "extra"],
    ],
    "memory": [
        ["SET", "k", "v"], ["MEMORY", "USAGE", "missing"], ["MEMORY", "USAGE", "k", "SAMPLES"],
        ["MEMORY", "USAGE", "k", "SAMPLES", "x"], ["MEMORY", "USAGE", "k", "BOGUS", "1"], ["MEMORY", "USAGE"],
        ["MEMORY"], ["MEMORY", "NOPE"], ["MEMORY", "HELP"], ["MEMORY", "DOCTOR"],
    ],
    "slowlog": [
        ["SLOWLOG"], ["SLOWLOG", "NOPE"], ["SLOWLOG", "HELP"], ["SLOWLOG", "RESET"], ["SLOWLOG", "LEN"],
        ["SLOWLOG", "GET"], ["SLOWLOG", "GET", "-2"], ["SLOWLOG", "GET", "abc"], ["SLOWLOG", "GET", "1", "2"],
        ["SLOWLOG", "LEN", "x"], ["SLOWLOG", "RESET", "x"],
    ],
    "latency": [
        ["LATENCY"], ["LATENCY", "NOPE"], ["LATENCY", "RESET"], ["LATENCY", "LATEST"],
        ["LATENCY", "HISTORY"], ["LATENCY", "HISTORY", "command"], ["LATENCY", "RESET", "command", "other"],
        ["LATENCY", "DOCTOR"], ["LATENCY", "GRAPH", "command"],
        ["CONFIG", "SET", "latency-monitor-threshold", "100"], ["LATENCY", "DOCTOR"],
        ["CONFIG", "SET", "latency-monitor-threshold", "0"],
    ],
    # Movable keys (issue 20): where the keys are depends on numkeys or the STREAMS keyword.
    "getkeys": [["COMMAND", "GETKEYS"] + c.split() for c in [
        "zunion 2 a b", "zunionstore d 2 a b WEIGHTS 1 2", "zinterstore d 1 a", "zdiff 1 a", "zunion 3 a b",
        "zunion 0 a", "zunion x a", "zunionstore d 0 a", "sintercard 2 a b", "sintercard 0 a",
        "zintercard 2 a b LIMIT 1", "lmpop 2 a b LEFT", "lmpop 3 a b", "lmpop 0 a LEFT", "zmpop 1 a MIN",
        "blmpop 0 2 a b LEFT", "bzmpop 1 2 a b MIN", "xread COUNT 1 STREAMS s1 s2 0 0", "xread STREAMS a b c",
        "xread STREAMS s1", "xread COUNT 1 STREAMS s", "xreadgroup GROUP g c STREAMS s1 0",
        "xreadgroup GROUP g c COUNT 1 STREAMS s", "get k", "mset a 1 b 2", "zrangestore d s 0 1", "ping",
        "nosuchcommand k"]],
    "server": [
        ["ROLE"], ["ROLE", "x"], ["DEBUG"], ["DEBUG", "OBJECT", "k"], ["MONITOR", "x"],
        ["MULTI"], ["MONITOR"], ["DISCARD"],
    ],
}

# HELP replies: the same lines for the subcommands we implement (LATENCY's, which lists
# HISTOGRAM in Redis, only by shape).
HELP_SHAPE_ONLY = {("LATENCY", "HELP")}


def is_help(command):
    return len(command) == 2 and command[1].upper() == "HELP"


class Introspection(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.real = RealRedis()
        cls.mini = Server("MINIREDIS_BIN", "--save", "", "--admin-port", "0")

    @classmethod
    def tearDownClass(cls):
        cls.mini.close()
        cls.real.close()

    def run_script(self, name, protocol=2):
        mini, real = RespClient(self.mini.port), RespClient(self.real.port)
        try:
            for c in (mini, real):
                c.call("FLUSHALL")
                if protocol == 3:
                    c.call("HELLO", "3")
            for command in SCRIPTS[name]:
                got, want = mini.call(*command), real.call(*command)
                if (command[0].upper(), command[-1].upper()) in HELP_SHAPE_ONLY:
                    self.assertEqual(got[0], want[0])
                    self.assertTrue(all(isinstance(line, str) for line in got), got)
                    continue
                self.assertEqual(normalize(command, got), normalize(command, want),
                                 f"{name}: {' '.join(command)}\n  miniredis: {got!r}\n  redis:     {want!r}")
        finally:
            mini.close()
            real.close()

    def test_object_encodings_and_errors(self):
        self.run_script("object")

    def test_command_getkeys_finds_movable_keys_as_redis_does(self):
        self.run_script("getkeys")

    def test_object_in_resp3(self):
        self.run_script("object", protocol=3)

    def test_memory_errors_and_help(self):
        self.run_script("memory")

    def test_slowlog_errors_and_help(self):
        self.run_script("slowlog")

    def test_latency_errors_and_help(self):
        self.run_script("latency")

    def test_role_debug_monitor_errors(self):
        self.run_script("server")

    def test_large_containers_switch_encoding_like_redis(self):
        for port in (self.mini.port, self.real.port):
            c = RespClient(port)
            c.call("FLUSHALL")
            c.call("HSET", "h", *[x for i in range(129) for x in (f"f{i}", "v")])
            c.call("SADD", "s", *[str(i) for i in range(513)])
            c.call("ZADD", "z", *[x for i in range(129) for x in (str(i), f"m{i}")])
            c.call("RPUSH", "l", *[str(i) for i in range(1000)])
            c.close()
        for key in ("h", "s", "z", "l"):
            mini, real = RespClient(self.mini.port), RespClient(self.real.port)
            self.assertEqual(mini.call("OBJECT", "ENCODING", key), real.call("OBJECT", "ENCODING", key), key)
            mini.close()
            real.close()

    def test_lfu_frequency_with_an_lfu_policy(self):
        for port in (self.mini.port, self.real.port):
            c = RespClient(port)
            c.call("FLUSHALL")
            c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
            try:
                # (not integers: Redis shares small integer objects, and their counter with them)
                c.call("SET", "cold", "v")
                c.call("SET", "hot", "v")
                self.assertEqual(c.call("OBJECT", "FREQ", "cold"), 5)  # LFU_INIT_VAL, untouched since SET
                for _ in range(300):
                    c.call("GET", "hot")
                freq = c.call("OBJECT", "FREQ", "hot")
                self.assertGreater(freq, 5)
                self.assertLess(freq, 40)  # logarithmic: 300 hits are far from 300
                self.assertEqual(c.call("OBJECT", "IDLETIME", "hot").prefix(), "ERR")
            finally:
                c.call("CONFIG", "SET", "maxmemory-policy", "noeviction")
                c.close()

    def test_slowlog_records_trims_and_redacts(self):
        c = RespClient(self.mini.port)
        try:
            c.call("CLIENT", "SETNAME", "lecturer")
            c.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
            c.call("SLOWLOG", "RESET")
            c.call("SET", "k", "v" * 200)
            c.call("RPUSH", "many", *[str(i) for i in range(40)])
            c.call("AUTH", "secret-password")
            entries = c.call("SLOWLOG", "GET", "-1")
            c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
            by_name = {e[3][0].lower(): e for e in entries}
            set_entry = by_name[b"set"]
            self.assertEqual(len(set_entry), 6)
            self.assertEqual(set_entry[3][2], b"v" * 128 + b"... (72 more bytes)")
            self.assertEqual(set_entry[5], b"lecturer")
            self.assertRegex(set_entry[4].decode(), r"^127\.0\.0\.1:\d+$")
            self.assertGreaterEqual(set_entry[2], 0)
            self.assertAlmostEqual(set_entry[1], time.time(), delta=60)
            push = by_name[b"rpush"][3]
            self.assertEqual(len(push), 32)
            self.assertEqual(push[-1], b"... (11 more arguments)")
            self.assertEqual(by_name[b"auth"][3], [b"AUTH", b"(redacted)"])
            ids = [e[0] for e in entries]
            self.assertEqual(ids, sorted(ids, reverse=True))  # newest first
            c.call("CONFIG", "SET", "slowlog-max-len", "2")
            c.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
            c.call("PING")
            self.assertEqual(c.call("SLOWLOG", "LEN"), 2)
        finally:
            c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
            c.call("CONFIG", "SET", "slowlog-max-len", "128")
            c.close()

    def test_latency_monitor_sees_a_slow_command(self):
        slow = Server("MINIREDIS_BIN", "--save", "", "--enable-debug-command", "yes",
                      "--latency-monitor-threshold", "1", "--slowlog-log-slower-than", "5000")
        try:
            c = RespClient(slow.port)
            self.assertEqual(c.call("DEBUG", "SLEEP", "0.02"), "OK")
            latest = c.call("LATENCY", "LATEST")
            self.assertEqual(len(latest), 1)
            event, when, last, worst = latest[0]
            self.assertEqual(event, b"command")
            self.assertGreaterEqual(last, 20)
            self.assertEqual(worst, last)
            self.assertEqual(len(c.call("LATENCY", "HISTORY", "command")), 1)
            doctor = c.call("LATENCY", "DOCTOR")
            self.assertIn(b"command", doctor)
            self.assertEqual(c.call("SLOWLOG", "GET", "1")[0][3], [b"DEBUG", b"SLEEP", b"0.02"])
            # DEBUG OBJECT describes the value; other DEBUG subcommands are refused cleanly
            c.call("SET", "k", "12")
            self.assertRegex(c.call("DEBUG", "OBJECT", "k"), r"^Value at:\S+ refcount:\d+ encoding:int ")
            self.assertEqual(c.call("DEBUG", "OBJECT", "nokey"), Error("ERR no such key"))
            self.assertEqual(c.call("DEBUG", "SEGFAULT").prefix(), "ERR")
            self.assertEqual(c.call("PING"), "PONG")
            self.assertEqual(c.call("LATENCY", "RESET"), 1)
            self.assertEqual(c.call("LATENCY", "LATEST"), [])
            c.close()
        finally:
            slow.close()

    def test_monitor_shows_commands_as_redis_does(self):
        lines = {}
        for name, port in (("mini", self.mini.port), ("real", self.real.port)):
            monitor, other = RespClient(port), RespClient(port)
            try:
                self.assertEqual(monitor.call("MONITOR"), "OK")
                other.call("SELECT", "1")
                other.call("set", "k", 'a\n"\x01')
                other.call("AUTH", "user", "pass")
                other.call("HELLO", "2", "AUTH", "user", "pass")
                other.call("CONFIG", "GET", "maxmemory")  # admin: never shown
                other.call("NOSUCHCOMMAND")               # rejected: not shown
                other.call("MULTI")
                other.call("INCR", "n")
                other.call("EXEC")
                other.call("SELECT", "0")
                other.call("PING", "last")
                got = []
                while not got or got[-1] != '"PING" "last"':
                    line = monitor.read()
                    m = re.match(r'^(\d+)\.(\d{6}) \[(\d+) 127\.0\.0\.1:(\d+)\] (.*)$', line)
                    self.assertIsNotNone(m, line)
                    self.assertAlmostEqual(int(m.group(1)), time.time(), delta=60)
                    got.append(f"[{m.group(3)}] {m.group(5)}" if m.group(5) != '"PING" "last"' else m.group(5))
                # A monitor is an audience: keys are off limits, PING is fine, RESET leaves the mode.
                self.assertEqual(monitor.call("GET", "k"), Error("ERR Replica can't interact with the keyspace"))
                self.assertEqual(monitor.call("PING"), "PONG")
                monitor.read()  # its own PING, shown to itself
                self.assertEqual(monitor.call("RESET"), "RESET")
                self.assertEqual(monitor.call("GET", "nothing"), None)
                lines[name] = got
            finally:
                monitor.close()
                other.close()
        self.assertEqual(lines["mini"], lines["real"])
        self.assertIn('[1] "set" "k" "a\\n\\"\\x01"', lines["mini"])
        self.assertIn('[1] "AUTH" "(redacted)" "(redacted)"', lines["mini"])

    def test_a_monitor_that_stops_reading_is_closed_by_the_output_limit(self):
        server = Server("MINIREDIS_BIN", "--save", "", "--client-output-buffer-limit", "pubsub 64kb 32kb 60")
        try:
            monitor = socket.create_connection(("127.0.0.1", server.port))
            monitor.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            monitor.sendall(b"MONITOR\r\n")
            writer = RespClient(server.port)
            value = "x" * 10000
            wait_until(lambda: b"flags=O" in writer.call("CLIENT", "LIST"))
            for _ in range(1000):  # ~10 MB of MONITOR lines: beyond the socket buffers and the 64 KB limit
                writer.call("SET", "k", value)
            wait_until(lambda: b"flags=O" not in writer.call("CLIENT", "LIST"))
            self.assertIn("closed for overcoming of output buffer limits", server.log())
            writer.close()
            monitor.close()
        finally:
            server.close()

    def test_info_has_the_fields_tools_read(self):
        c, r = RespClient(self.mini.port), RespClient(self.real.port)
        try:
            for x in (c, r):
                x.call("SET", "a", "1")
                x.call("GET", "a")
                x.call("GET")
                x.call("LPUSH", "a", "x")
            mini = parse_info(c.call("INFO", "everything"))
            real = parse_info(r.call("INFO", "everything"))
            # Every field of these sections Redis 7.0 writes, we write too (same names).
            for section in ("clients", "cpu", "replication", "cluster", "keyspace", "errorstats"):
                missing = set(real[section]) - set(mini[section])
                self.assertFalse(missing, f"{section}: {sorted(missing)}")
            for section in ("server", "memory", "stats"):
                shared = set(real[section]) & set(mini[section])
                self.assertGreater(len(shared) / len(real[section]), 0.5, section)
            for field in ("loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
                          "rdb_last_bgsave_status", "aof_enabled", "aof_rewrite_in_progress",
                          "aof_last_bgrewrite_status", "aof_last_write_status"):
                self.assertIn(field, mini["persistence"])
            self.assertEqual(mini["replication"]["role"], "master")
            self.assertEqual(mini["replication"]["connected_slaves"], "0")
            self.assertGreater(float(mini["cpu"]["used_cpu_user"]) + float(mini["cpu"]["used_cpu_sys"]), 0)
            for info in (mini, real):
                stats = info["commandstats"]
                self.assertRegex(stats["cmdstat_get"],
                                 r"^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0$")
                self.assertRegex(stats["cmdstat_lpush"], r"calls=1,.*,rejected_calls=0,failed_calls=1$")
                self.assertIn("errorstat_WRONGTYPE", info["errorstats"])
            self.assertEqual(set(parse_info(c.call("INFO"))), set(parse_info(r.call("INFO"))) - {"latencystats"})
            self.assertEqual(list(parse_info(c.call("INFO", "cpu", "CLIENTS"))), ["clients", "cpu"])
            c.call("CONFIG", "RESETSTAT")
            self.assertNotIn("cmdstat_get", parse_info(c.call("INFO", "commandstats"))["commandstats"])
        finally:
            c.close()
            r.close()

    def test_client_list_shows_the_real_descriptor(self):
        c = RespClient(self.mini.port)
        try:
            line = c.call("CLIENT", "INFO")
            line = line[1].decode() if isinstance(line, tuple) else line.decode()
            fd = int(re.search(r" fd=(\d+) ", line).group(1))
            self.assertGreater(fd, 2)
            self.assertTrue(os.readlink(f"/proc/{self.mini.proc.pid}/fd/{fd}").startswith("socket:"))
        finally:
            c.close()

    def test_metrics_are_typed_labelled_and_well_formed(self):
        c = RespClient(self.mini.port)
        c.call("SET", "m", "1")
        c.call("GET", "m")
        c.call("GET", "m")
        c.close()
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.mini.admin_port}/metrics", timeout=10).read().decode()
        prometheus.promtool_check(self, text)  # Prometheus' own linter, then our line-by-line reading
        families = check_exposition_format(self, text)
        self.assertEqual(families["miniredis_commands_processed_total"], "counter")
        self.assertEqual(families["miniredis_commands_total"], "counter")
        self.assertEqual(families["process_cpu_seconds_total"], "counter")
        for gauge in ("process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds",
                      "miniredis_connected_clients", "miniredis_memory_used_bytes", "miniredis_db_keys"):
            self.assertEqual(families[gauge], "gauge", gauge)
        get_calls = re.search(r'^miniredis_commands_total\{cmd="get"\} (\S+)$', text, re.M)
        self.assertIsNotNone(get_calls)
        self.assertGreaterEqual(float(get_calls.group(1)), 2)
        self.assertRegex(text, r'(?m)^miniredis_db_keys\{db="db0"\} [1-9]')
        self.assertAlmostEqual(float(re.search(r"(?m)^process_start_time_seconds (\S+)$", text).group(1)),
                               time.time(), delta=3600)


def parse_info(reply):
    text = reply[1] if isinstance(reply, tuple) else reply
    sections, current = {}, None
    for line in text.decode().split("\r\n"):
        if line.startswith("# "):
            current = sections.setdefault(line[2:].lower(), {})
        elif line and current is not None:
            key, _, value = line.partition(":")
            current[key] = value
    return sections


# The Prometheus text exposition format, checked line by line (what `promtool check metrics`
# parses): HELP and TYPE once per family, before its samples; names and labels well formed;
# counters end in _total; values are numbers.
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf'^({_NAME})(\{{({_NAME}="(?:[^"\\\n]|\\.)*"(?:,{_NAME}="(?:[^"\\\n]|\\.)*")*)?\}})? (\S+)$')


def check_exposition_format(test, text):
    families, helped = {}, set()
    test.assertTrue(text.endswith("\n"))
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            test.assertNotIn(name, helped, f"HELP twice for {name}")
            helped.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            test.assertNotIn(name, families, f"TYPE twice for {name}")
            test.assertIn(kind, ("counter", "gauge", "histogram", "summary", "untyped"))
            if kind == "counter":
                test.assertTrue(name.endswith("_total"), f"counter {name} should end in _total")
            families[name] = kind
        else:
            m = _SAMPLE.match(line)
            test.assertIsNotNone(m, f"bad sample line: {line!r}")
            name = m.group(1)
            family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in families else name
            test.assertIn(family, families, f"sample before its TYPE: {line!r}")
            float(m.group(4))
    return families


if __name__ == "__main__":
    tap.main()
