"""redis-cli's own inspection modes against miniredis (issue 23): --stat, --bigkeys, --memkeys,
--hotkeys, --latency and monitor. Each runs the real redis-cli and checks that what it prints
describes what the test did - the biggest key of each type it created, a SET another client ran."""
import subprocess
import time
import unittest

import tap
from resp_client import RespClient
from servers import Server


def cli(port, *args, timeout=30):
    done = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=timeout)
    return done.stdout + done.stderr


class RedisCliTools(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIREDIS_BIN", "--save", "", "--maxmemory-policy", "allkeys-lfu")
        c = RespClient(cls.server.port)
        c.call("SET", "small:string", "x")
        c.call("SET", "big:string", "y" * 5000)
        c.call("RPUSH", "big:list", *[str(i) for i in range(300)])
        c.call("RPUSH", "small:list", "a")
        c.call("HSET", "big:hash", *[x for i in range(50) for x in (f"f{i}", "v")])
        c.call("SADD", "big:set", *[str(i) for i in range(70)])
        c.call("ZADD", "big:zset", *[x for i in range(40) for x in (str(i), f"m{i}")])
        for _ in range(200):
            c.call("GET", "small:string")  # the hot key
        c.close()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_bigkeys_names_the_biggest_key_of_each_type(self):
        out = cli(self.server.port, "--bigkeys")
        for line in ("Biggest string found '\"big:string\"' has 5000 bytes",
                     "Biggest   list found '\"big:list\"' has 300 items",
                     "Biggest   hash found '\"big:hash\"' has 50 fields",
                     "Biggest    set found '\"big:set\"' has 70 members",
                     "Biggest   zset found '\"big:zset\"' has 40 members"):
            self.assertIn(line.replace("'\"", "'").replace("\"'", "'"), out.replace("'\"", "'").replace("\"'", "'"))
        self.assertNotIn("ERR", out)

    def test_memkeys_measures_every_key(self):
        out = cli(self.server.port, "--memkeys")
        self.assertNotIn("ERR", out)
        self.assertNotIn("Warning", out)
        self.assertRegex(out, r"Biggest string found '\"?big:string\"?' has \d{4,} bytes")
        self.assertRegex(out, r"Biggest   list found '\"?big:list\"?' has \d+ bytes")

    def test_hotkeys_finds_the_most_used_key(self):
        out = cli(self.server.port, "--hotkeys")
        self.assertNotIn("ERR", out)
        self.assertRegex(out, r"hot key found with counter: \d+\s+keyname: \"?small:string\"?")
        first = [line for line in out.splitlines() if "hot key found" in line][0]
        self.assertIn("small:string", first)  # the summary lists the hottest first

    def test_stat_shows_keys_and_requests(self):
        # stdbuf: redis-cli's stdout is a pipe here, and it is stopped by a signal - line buffering
        # makes what it printed reach us.
        proc = subprocess.Popen(["stdbuf", "-oL", "redis-cli", "-p", str(self.server.port), "--stat", "-i", "0.2"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(0.9)
        finally:
            proc.terminate()
            out = proc.communicate(timeout=10)[0]
        self.assertIn("------- data ------", out)
        rows = [line.split() for line in out.splitlines() if line[:1].isdigit()]
        self.assertTrue(rows, out)
        c = RespClient(self.server.port)
        self.assertEqual(int(rows[0][0]), c.call("DBSIZE"))  # keys
        c.close()
        self.assertEqual(rows[0][3], "0")  # blocked clients

    def test_latency_measures_round_trips(self):
        proc = subprocess.Popen(["redis-cli", "-p", str(self.server.port), "--latency", "--raw"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(1.3)
        finally:
            proc.terminate()
            out = proc.communicate(timeout=10)[0]
        # --raw prints "min max avg samples" when stopped... or per second; accept either, but it
        # must be numbers and a positive number of samples.
        numbers = [line.split() for line in out.strip().splitlines() if line.strip()]
        self.assertTrue(numbers, out)
        last = numbers[-1]
        self.assertEqual(len(last), 4, out)
        self.assertGreater(int(last[3]), 0)

    def test_monitor_shows_a_set_another_client_ran(self):
        proc = subprocess.Popen(["redis-cli", "-p", str(self.server.port), "monitor"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        try:
            self.assertEqual(proc.stdout.readline().strip(), "OK")
            c = RespClient(self.server.port)
            c.call("SET", "watched", "value")
            c.close()
            line = proc.stdout.readline()
            self.assertRegex(line, r'^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "watched" "value"$')
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    tap.main()
