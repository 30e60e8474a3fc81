"""HyperLogLog against the real redis-server: PFCOUNT gives exactly Redis' number for the same
input (up to 1,000,000 elements, sparse and dense), the HYLL strings are byte-for-byte the same, a
value read with GET from one server loads with SET into the other (both ways) and counts the same,
and corrupted values are refused as Redis refuses them - with the same replies, never a crash.
Also: redis-py's pfadd/pfcount/pfmerge, setbit/bitcount/bitfield and geoadd/geosearch calls (the
other replies of those families are compared with redis-server in differential_test.py)."""
import random
import unittest

import redis

import tap
from differential_test import RealRedis
from servers import Server, wait_until


def reply(client, *args):
    try:
        return client.execute_command(*args)
    except redis.ResponseError as e:
        return "error: " + str(e)


class HyperLogLog(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.real = RealRedis()
        cls.mini = Server("MINIREDIS_BIN", "--save", "")
        cls.m = redis.Redis(port=cls.mini.port)
        cls.r = redis.Redis(port=cls.real.port)

    @classmethod
    def tearDownClass(cls):
        cls.m.close()
        cls.r.close()
        cls.mini.close()
        cls.real.close()

    def setUp(self):
        self.m.flushall()
        self.r.flushall()

    def both(self, *args):
        return reply(self.m, *args), reply(self.r, *args)

    def add_in_batches(self, key, elements, checkpoints=()):
        """PFADD `elements` to both servers, 5000 per command; at each checkpoint (element count)
        compare PFCOUNT and the raw bytes."""
        checkpoints = {c for c in checkpoints if c < len(elements)} | {len(elements)}
        # Batches end at every checkpoint, so each is compared exactly there.
        ends = sorted(set(range(5000, len(elements), 5000)) | checkpoints)
        pipes = [c.pipeline(transaction=False) for c in (self.m, self.r)]
        start = 0
        for done in ends:
            for p in pipes:
                p.pfadd(key, *elements[start:done])
            start = done
            if done in checkpoints:
                for p in pipes:
                    p.execute()
                mini, real = self.m.pfcount(key), self.r.pfcount(key)
                self.assertEqual(mini, real, f"{key}: PFCOUNT after {done} elements")
                self.assertEqual(self.m.get(key), self.r.get(key), f"{key}: bytes after {done} elements")
        for p in pipes:
            p.execute()

    def test_exact_count_up_to_a_million(self):
        elements = [str(i) for i in range(1, 1_000_001)]
        self.add_in_batches("seq", elements, checkpoints=(1, 10, 100, 1000, 10_000, 100_000))
        self.assertEqual(self.m.strlen("seq"), 12304)  # dense by now

    def test_exact_count_other_patterns(self):
        rng = random.Random(7)
        patterns = {
            "emails": [f"user{i}@example.com" for i in range(30_000)],
            "binary": [rng.randbytes(rng.randint(0, 24)) for _ in range(20_000)],
            "duplicates": [str(rng.randint(0, 5000)) for _ in range(20_000)],
            "few": [f"page:{i}" for i in range(40)],
        }
        for key, elements in patterns.items():
            self.add_in_batches(key, elements, checkpoints=(1, 5, 50, 200, 700, 2000))
        # Several keys: the union, never written back.
        self.assertEqual(*self.both("PFCOUNT", "emails", "binary", "few", "missing"))
        self.assertEqual(*self.both("PFMERGE", "all", "emails", "duplicates", "few"))
        self.assertEqual(*self.both("GET", "all"))
        self.assertEqual(*self.both("PFMERGE", "sparse-only", "few", "missing"))
        self.assertEqual(*self.both("GET", "sparse-only"))
        self.assertEqual(*self.both("PFCOUNT", "sparse-only"))

    def test_get_set_interop_both_ways(self):
        for n, encoding in ((50, b"\x01"), (5000, b"\x00")):  # sparse, dense
            elements = [f"visitor:{i}" for i in range(n)]
            for source, target in ((self.r, self.m), (self.m, self.r)):
                source.delete("h")
                source.pfadd("h", *elements)
                raw = source.get("h")
                self.assertEqual(raw[4:5], encoding)
                target.set("copy", raw)
                self.assertEqual(target.pfcount("copy"), source.pfcount("h"))
                # and it keeps working there: add more, merge with a native one
                self.assertEqual(target.pfadd("copy", "one-more"), source.pfadd("h", "one-more"))
                self.assertEqual(target.pfcount("copy"), source.pfcount("h"))
                self.assertEqual(target.get("copy"), source.get("h"))

    def test_errors_as_redis(self):
        self.m.set("s", "not an hll")
        self.r.set("s", "not an hll")
        self.m.rpush("l", "x")
        self.r.rpush("l", "x")
        for command in (["PFADD", "s", "x"], ["PFCOUNT", "s"], ["PFCOUNT", "s", "l"], ["PFMERGE", "d", "s"],
                        ["PFADD", "l", "x"], ["PFCOUNT", "l"], ["PFMERGE", "l"], ["PFADD", "new"], ["GET", "new"],
                        ["PFCOUNT"], ["PFMERGE"], ["PFADD"]):
            self.assertEqual(*self.both(*command), command)

    def test_corrupt_values_refused_like_redis(self):
        rng = random.Random(11)
        self.r.pfadd("sparse", *range(300))
        self.r.pfadd("dense", *range(6000))
        bases = [self.r.get("sparse"), self.r.get("dense")]
        for key in ("sparse", "dense"):
            self.m.set(key, self.r.get(key))
        for _ in range(250):
            value = bytearray(rng.choice(bases))
            for _ in range(rng.randint(1, 4)):
                kind = rng.random()
                if kind < 0.6 and len(value) > 16:
                    value[rng.randrange(16, len(value))] = rng.randrange(256)
                elif kind < 0.75:
                    value = value[:rng.randrange(len(value) + 1)]
                elif kind < 0.85:
                    value += bytes(rng.randrange(256) for _ in range(rng.randint(1, 3)))
                elif value:
                    value[rng.randrange(min(16, len(value)))] = rng.randrange(256)
            # Each command on a freshly SET value (PFADD with one element): Redis reads the byte
            # after the string when an opcode is cut in half, which after one write is no longer a
            # NUL - that garbage is the one thing we do not copy.
            for command in (["PFCOUNT", "x"], ["PFCOUNT", "x", "sparse"], ["PFADD", "x", str(rng.random())],
                            ["PFMERGE", "dst", "x", "dense"], ["PFMERGE", "x", "sparse"]):
                for c in (self.m, self.r):
                    c.set("x", bytes(value))
                    c.delete("dst")
                self.assertEqual(*self.both(*command), (command, bytes(value[:24])))
                self.assertEqual(*self.both("GET", command[1]))
        self.assertEqual(self.m.ping(), True)

    def test_aof_replay_and_rewrite_keep_the_bytes(self):
        """HLLs, bitmaps and geo sets come back identical after a restart, from the AOF as logged
        (GEOADD as its ZADD, PFCOUNT when it refreshed the cached count) and after BGREWRITEAOF."""
        server = Server("MINIREDIS_BIN", "--appendonly", "yes", "--appendfsync", "always", "--save", "")
        try:
            r = redis.Redis(port=server.port)
            r.pfadd("h", *range(5000))
            r.pfcount("h")
            r.pfadd("h2", "a", "b")
            r.pfmerge("hm", "h", "h2")
            r.setbit("b", 100, 1)
            r.execute_command("BITFIELD", "bf", "INCRBY", "u8", "0", "300", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300")
            r.geoadd("g", [13.361389, 38.115556, "palermo", 15.087269, 37.502669, "catania"])
            r.geosearchstore("gs", "g", longitude=15, latitude=37, radius=200, unit="km", storedist=True)
            r.zadd("z1", {"a": 1, "b": 2})
            r.zunionstore("zu", ["z1", "g"], aggregate="MAX")

            def snapshot(c):
                return {k: c.get(k) if c.type(k) == b"string" else c.zrange(k, 0, -1, withscores=True)
                        for k in sorted(c.keys())}

            before = snapshot(r)
            r.close()
            server.restart()
            r = redis.Redis(port=server.port)
            self.assertEqual(snapshot(r), before)
            r.execute_command("BGREWRITEAOF")
            wait_until(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, timeout=20)
            r.close()
            server.restart()
            r = redis.Redis(port=server.port)
            self.assertEqual(snapshot(r), before)
            r.close()
        finally:
            server.close()

    def test_redis_py_calls(self):
        m = self.m
        self.assertEqual(m.pfadd("visitors:mon", "alice", "bob", "carol"), 1)
        self.assertEqual(m.pfadd("visitors:mon", "alice"), 0)
        m.pfadd("visitors:tue", "alice", "dave")
        self.assertEqual(m.pfcount("visitors:mon"), 3)
        self.assertEqual(m.pfcount("visitors:mon", "visitors:tue"), 4)
        self.assertTrue(m.pfmerge("visitors:week", "visitors:mon", "visitors:tue"))
        self.assertEqual(m.pfcount("visitors:week"), 4)
        # daily active users as bits
        for user in (1, 7, 1000):
            self.assertEqual(m.setbit("active:today", user, 1), 0)
        self.assertEqual(m.getbit("active:today", 7), 1)
        self.assertEqual(m.bitcount("active:today"), 3)
        self.assertEqual(m.bitpos("active:today", 1), 1)
        bf = m.bitfield("counters")
        self.assertEqual(bf.incrby("u8", "#0", 250).incrby("u8", "#0", 10).execute(), [250, 4])
        bf = m.bitfield("counters", default_overflow="SAT")
        self.assertEqual(bf.incrby("u8", "#1", 300).get("i8", 0).execute(), [255, 4])
        # places
        self.assertEqual(m.geoadd("shops", [13.361389, 38.115556, "palermo", 15.087269, 37.502669, "catania"]), 2)
        self.assertAlmostEqual(m.geodist("shops", "palermo", "catania", unit="km"), 166.2742, places=4)
        found = m.geosearch("shops", longitude=15, latitude=37, radius=200, unit="km", sort="ASC", withdist=True)
        self.assertEqual([(name, round(d, 4)) for name, d in found], [(b"catania", 56.4413), (b"palermo", 190.4424)])
        self.assertEqual(m.geosearch("shops", member="palermo", width=100, height=100, unit="km"), [b"palermo"])
        self.assertEqual(m.geosearchstore("near", "shops", longitude=15, latitude=37, radius=100, unit="km"), 1)
        self.assertEqual(m.zrange("near", 0, -1), [b"catania"])


if __name__ == "__main__":
    tap.main()
