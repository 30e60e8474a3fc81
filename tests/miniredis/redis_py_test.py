"""miniredis through redis-py (Debian's python3-redis), the way applications use it: caching with
TTLs, counters, a leaderboard, a job queue with BLPOP, pub/sub, optimistic transactions, pipelines,
and redis-benchmark as a second real client."""
import os
import subprocess
import threading
import time
import unittest

import redis

import tap
from servers import Server, wait_until


class RedisPy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIREDIS_BIN", "--save", "")
        cls.r = redis.Redis(port=cls.server.port)

    @classmethod
    def tearDownClass(cls):
        cls.r.close()
        cls.server.close()

    def setUp(self):
        self.r.flushall()

    def test_cache_with_ttl(self):
        self.assertTrue(self.r.set("page:/home", "<html>", ex=60))
        self.assertEqual(self.r.get("page:/home"), b"<html>")
        self.assertEqual(self.r.ttl("page:/home"), 60)
        self.assertTrue(self.r.set("short", "x", px=50))
        self.assertTrue(wait_until(lambda: self.r.get("short") is None, timeout=5))

    def test_counters_and_sessions(self):
        self.assertEqual(self.r.incr("visits"), 1)
        self.assertEqual(self.r.incrby("visits", 10), 11)
        self.assertAlmostEqual(self.r.incrbyfloat("score", 2.5), 2.5)
        self.r.hset("session:42", mapping={"user": "alice", "cart": "3"})
        self.r.expire("session:42", 1800)
        self.assertEqual(self.r.hgetall("session:42"), {b"user": b"alice", b"cart": b"3"})
        self.assertEqual(self.r.hincrby("session:42", "cart", 1), 4)
        self.assertEqual(self.r.ttl("session:42"), 1800)

    def test_leaderboard(self):
        self.r.zadd("lb", {"alice": 300, "bob": 150, "carol": 450})
        self.r.zincrby("lb", 200, "bob")
        self.assertEqual(self.r.zrevrange("lb", 0, 1, withscores=True), [(b"carol", 450.0), (b"bob", 350.0)])
        self.assertEqual(self.r.zrevrank("lb", "alice"), 2)
        self.assertEqual(self.r.zcount("lb", 200, "+inf"), 3)

    def test_job_queue_with_blocking_pop(self):
        got = []

        def worker():
            w = redis.Redis(port=self.server.port)
            got.append(w.brpop("jobs", timeout=10))
            w.close()

        t = threading.Thread(target=worker)
        t.start()
        # Wait until the worker is really blocked, then push.
        self.assertTrue(wait_until(lambda: self.r.info("clients")["blocked_clients"] == 1))
        self.r.lpush("jobs", "resize-image-7")
        t.join(10)
        self.assertEqual(got, [(b"jobs", b"resize-image-7")])
        self.assertIsNone(self.r.blpop("empty", timeout=0.1))

    def test_blpop_with_a_centuries_long_timeout_sleeps(self):
        # BLPOP q 9300000000 (~300 years) is legal; its deadline, in timer nanoseconds, used to
        # overflow, so the timer fired at once and was re-armed every loop turn: 100 % CPU while
        # the client waited (and a UBSan abort in the sanitizer build).
        w = redis.Redis(port=self.server.port)
        got = []
        t = threading.Thread(target=lambda: got.append(w.blpop("far", timeout=9300000000)))
        t.start()
        self.assertTrue(wait_until(lambda: self.r.info("clients")["blocked_clients"] == 1))

        def cpu_seconds():
            fields = open(f"/proc/{self.server.proc.pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

        before = cpu_seconds()
        time.sleep(1.0)
        self.assertLess(cpu_seconds() - before, 0.5)  # idle: only the periodic ticks (spinning: ~1 s)
        self.r.rpush("far", "x")
        t.join(10)
        self.assertEqual(got, [(b"far", b"x")])
        w.close()

    def test_pubsub(self):
        p = self.r.pubsub()
        p.subscribe("alerts")
        p.psubscribe("user.*")
        self.assertEqual(p.get_message(timeout=5)["type"], "subscribe")
        self.assertEqual(p.get_message(timeout=5)["type"], "psubscribe")
        self.assertEqual(self.r.publish("alerts", "disk full"), 1)
        self.assertEqual(self.r.publish("user.42", "login"), 1)
        m1, m2 = p.get_message(timeout=5), p.get_message(timeout=5)
        self.assertEqual((m1["type"], m1["channel"], m1["data"]), ("message", b"alerts", b"disk full"))
        self.assertEqual((m2["type"], m2["pattern"], m2["data"]), ("pmessage", b"user.*", b"login"))
        self.assertEqual(self.r.pubsub_numsub("alerts"), [(b"alerts", 1)])
        p.close()

    def test_optimistic_transaction(self):
        self.r.set("balance", 100)

        def withdraw(pipe):
            balance = int(pipe.get("balance"))
            pipe.multi()
            pipe.set("balance", balance - 30)

        self.r.transaction(withdraw, "balance")
        self.assertEqual(self.r.get("balance"), b"70")
        # A conflicting write between WATCH and EXEC makes EXEC fail.
        with self.r.pipeline() as pipe:
            pipe.watch("balance")
            self.r.set("balance", 0)
            pipe.multi()
            pipe.set("balance", 999)
            with self.assertRaises(redis.WatchError):
                pipe.execute()
        self.assertEqual(self.r.get("balance"), b"0")

    def test_pipeline_and_errors(self):
        pipe = self.r.pipeline(transaction=False)
        for i in range(100):
            pipe.set(f"k{i}", i)
        pipe.incr("k5")
        self.assertEqual(pipe.execute()[-1], 6)
        self.r.set("text", "abc")
        with self.assertRaises(redis.ResponseError) as e:
            self.r.incr("text")
        self.assertIn("not an integer", str(e.exception))
        with self.assertRaises(redis.ResponseError) as e:
            self.r.lpush("text", "x")
        self.assertTrue(str(e.exception).startswith("WRONGTYPE"))

    def test_scan_iter_and_types(self):
        for i in range(250):
            self.r.set(f"user:{i}", i)
        self.r.sadd("tags", "a", "b")
        self.assertEqual(len(set(self.r.scan_iter(match="user:*", count=50))), 250)
        self.assertEqual(set(self.r.scan_iter(_type="set")), {b"tags"})
        self.assertEqual(self.r.type("tags"), b"set")
        self.assertEqual(self.r.dbsize(), 251)

    def test_client_and_info(self):
        self.r.client_setname("reporter")
        self.assertEqual(self.r.client_getname(), "reporter")
        names = [c["name"] for c in self.r.client_list()]
        self.assertIn("reporter", names)
        info = self.r.info()
        self.assertIn("redis_version", info)
        self.assertIn("used_memory", info)
        self.assertEqual(self.r.config_get("maxmemory-policy"), {"maxmemory-policy": "noeviction"})

    def test_maxmemory_with_lru_eviction_and_noeviction(self):
        with Server("MINIREDIS_BIN", "--save", "") as s:
            r = redis.Redis(port=s.port)
            limit = r.info("memory")["used_memory"] + 2 * 1024 * 1024
            r.config_set("maxmemory", limit)
            r.config_set("maxmemory-policy", "allkeys-lru")
            value = "x" * 1000
            pipe = r.pipeline(transaction=False)
            for i in range(10000):  # ~10 MB into a 2 MB budget
                pipe.set(f"cache:{i}", value)
            pipe.execute()
            info = r.info()
            self.assertGreater(info["evicted_keys"], 5000)
            self.assertLess(r.dbsize(), 5000)
            self.assertLessEqual(info["used_memory"], limit * 1.05)
            r.config_set("maxmemory-policy", "noeviction")
            r.config_set("maxmemory", info["used_memory"] // 2)
            with self.assertRaisesRegex(redis.ResponseError, "^OOM command not allowed"):
                r.set("one-more", value)
            self.assertIsNotNone(r.get("cache:9999"))  # reads still work
            r.close()

    def test_redis_benchmark_short_run(self):
        out = subprocess.run(["redis-benchmark", "-p", str(self.server.port), "-n", "2000", "-c", "10", "-P", "4",
                              "-t", "set,get,incr,lpush,lpop,sadd,hset,zadd", "--csv"],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = [line.split(",")[0].strip('"') for line in out.stdout.splitlines()[1:]]
        self.assertEqual(rows, ["SET", "GET", "INCR", "LPUSH", "LPOP", "SADD", "HSET", "ZADD"])
        # Every INCR went to the same key: the counter proves none was lost or doubled.
        self.assertEqual(self.r.get("counter:__rand_int__"), b"2000")
        self.assertEqual(self.r.llen("mylist"), 0)  # 2000 LPUSH then 2000 LPOP


if __name__ == "__main__":
    tap.main()
