"""Redis's RDB format both ways (issue 21), against the real redis-server 7.0 and redis-check-rdb:

- miniredis -> redis: fill miniredis with every type at both sides of every encoding boundary
  (listpack/hashtable hashes, intset/hashtable sets, listpack/skiplist zsets, multi-node lists,
  int-encoded and LZF-compressed strings, expiries, several databases, a stream with groups,
  consumers and pending entries), SAVE; `redis-check-rdb` must say OK; a redis-server started on
  a copy of the file must hold the same keys, types, values and TTLs (within a second).
- redis -> miniredis: the same dataset written by redis-server's SAVE is loaded by miniredis.
- the file miniredis writes at SHUTDOWN is named dump.rdb, as Redis's."""
import os
import shutil
import subprocess
import tempfile
import unittest

import redis

import real_brokers
import tap
from servers import Server

DATABASES = (0, 1, 9)


def fill(r):
    """The same dataset on any server: r is a redis-py client on db 0."""
    p = r.pipeline(transaction=False)
    # strings: every integer width (int8/16/32, and 64-bit kept as text), non-canonical numbers,
    # short and long, compressible (LZF) and not, binary, empty.
    for i, v in enumerate([0, -1, 127, 128, -129, 32767, 40000, 2**31 - 1, 2**31, -(2**63), 2**63 - 1]):
        p.set(f"int:{i}", v)
    p.set("text:leading-zero", "007")
    p.set("text:plus", "+5")
    p.set("text:short", "hello")
    p.set("text:empty", "")
    p.set("text:binary", b"\x00\xff\r\n" * 3)
    p.set("text:compressible", "abcdefgh" * 500)
    p.set("text:incompressible", bytes((i * 7919 + 13) % 251 for i in range(400)))
    # lists: small, several 8 KB nodes, and one element bigger than a node
    p.rpush("list:small", "a", 1, -5, "x" * 70, 100000)
    p.rpush("list:big", *[f"element-{i}" for i in range(3000)])
    p.rpush("list:huge-element", "head", "y" * 20000, "tail")
    # hashes: listpack, one value too long (65 bytes), too many fields
    p.hset("hash:small", mapping={"f": "v", "n": 42, "neg": -4097})
    p.hset("hash:long-value", mapping={"f": "v" * 65, "g": "w"})
    p.hset("hash:many", mapping={f"field:{i}": i * 3 for i in range(600)})
    # sets: intset (16, 32 and 64-bit), too many integers, strings
    p.sadd("set:int16", 1, 2, 3, -300)
    p.sadd("set:int64", 1, 5000000000, -(2**63))
    p.sadd("set:many-ints", *range(600))
    p.sadd("set:strings", "a", "b", "10")
    # sorted sets: listpack (integer, fractional, infinite scores), too many members, long member
    p.zadd("zset:small", {"a": 1, "b": 2.5, "c": -0.1, "d": float("inf"), "e": float("-inf"), "f": 1e300})
    p.zadd("zset:many", {f"m{i}": i / 7 for i in range(200)})
    p.zadd("zset:long-member", {"m" * 65: 1, "n": 2})
    # expiries
    p.set("ttl:px", "v", px=500000)
    p.set("ttl:ex", "v", ex=86400)
    p.hset("ttl:hash", "f", "v")
    p.pexpire("ttl:hash", 300000)
    p.execute()
    # a stream: the same fields (SAMEFIELDS entries) and other fields, several nodes, a deleted
    # entry, two groups - one with consumers and pending entries - and a group created at "$"
    for i in range(250):
        r.xadd("stream", {"f": i} if i % 5 else {"f": i, "g": "other"}, id=f"1000-{i}")
    r.xdel("stream", "1000-3")
    r.xgroup_create("stream", "workers", id="0")
    r.xreadgroup("workers", "alice", {"stream": ">"}, count=5)
    r.xreadgroup("workers", "bob", {"stream": ">"}, count=3)
    r.xack("stream", "workers", "1000-1")
    r.xgroup_create("stream", "late", id="$")
    r.xgroup_createconsumer("stream", "late", "carol")
    r.xgroup_create("stream:empty", "g", id="$", mkstream=True)  # a stream with no entries
    for i in range(3):
        r.xadd("stream:auto", {"n": i})  # real clock IDs: large ms deltas inside a node
    r.xtrim("stream:auto", maxlen=2)
    for db in DATABASES[1:]:
        c = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=db)
        c.set(f"in-db-{db}", db)
        c.rpush(f"list-db-{db}", "a", "b")
        c.set(f"ttl-db-{db}", "v", ex=1000)
        c.close()


def dump(port):
    """Every key of every database: {(db, key): (type, value, ttl_ms)}."""
    out = {}
    for db in range(16):
        r = redis.Redis(port=port, db=db)
        for key in r.keys("*"):
            t = r.type(key).decode()
            if t == "string":
                v = r.get(key)
            elif t == "list":
                v = r.lrange(key, 0, -1)
            elif t == "hash":
                v = r.hgetall(key)
            elif t == "set":
                v = sorted(r.smembers(key))
            elif t == "zset":
                v = r.zrange(key, 0, -1, withscores=True)
            else:
                info = r.xinfo_stream(key)
                groups = []
                for g in r.xinfo_groups(key):
                    pending = r.xpending_range(key, g["name"], "-", "+", 1000)
                    consumers = [(c["name"], c["pending"]) for c in r.xinfo_consumers(key, g["name"])]
                    groups.append((g["name"], g["last-delivered-id"], g.get("entries-read"), g.get("lag"), g["pending"], consumers,
                                   [(e["message_id"], e["consumer"], e["times_delivered"]) for e in pending]))
                v = (r.xrange(key), info["length"], info["last-generated-id"], info.get("max-deleted-entry-id"),
                     info.get("entries-added"), groups)
            out[(db, key)] = (t, v, r.pttl(key))
        r.close()
    return out


def assert_same_dataset(test, ours, theirs):
    """Two dump() results hold the same keys, types and values, and TTLs within a second."""
    test.assertEqual(sorted(ours), sorted(theirs), "the same keys")
    for k in ours:
        t1, v1, ttl1 = ours[k]
        t2, v2, ttl2 = theirs[k]
        test.assertEqual((t1, v1), (t2, v2), k)
        test.assertEqual(ttl1 < 0, ttl2 < 0, k)
        if ttl1 >= 0:
            test.assertLess(abs(ttl1 - ttl2), 1000, k)


def RealRedis(data_dir, *args):
    """redis-server with its dump.rdb in `data_dir` (SAVE writes it there), checking every
    listpack and stream node it loads deeply (sanitize-dump-payload)."""
    return real_brokers.RealRedis("--dbfilename", "dump.rdb", "--sanitize-dump-payload", "yes", *args, dir=data_dir)


def check_rdb(path):
    done = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


class RdbInterop(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="minibrokers-rdb-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def assert_same(self, ours, theirs):
        assert_same_dataset(self, ours, theirs)

    def test_miniredis_writes_what_redis_check_rdb_and_redis_server_load(self):
        with Server("MINIREDIS_BIN", "--save", "") as mini:
            fill(redis.Redis(port=mini.port))
            ours = dump(mini.port)
            self.assertTrue(redis.Redis(port=mini.port).save())
            source = os.path.join(mini.dir, "dump.rdb")
            code, report = check_rdb(source)
            self.assertEqual(code, 0, report)
            self.assertIn("RDB looks OK", report)
            shutil.copy(source, os.path.join(self.tmp, "dump.rdb"))
        real = RealRedis(self.tmp)
        try:
            self.assert_same(ours, dump(real.port))
        finally:
            real.close()

    def test_redis_server_writes_what_miniredis_loads(self):
        real = RealRedis(self.tmp)
        try:
            fill(redis.Redis(port=real.port))
            theirs = dump(real.port)
            self.assertTrue(redis.Redis(port=real.port).save())
        finally:
            real.close()
        code, report = check_rdb(os.path.join(self.tmp, "dump.rdb"))
        self.assertEqual(code, 0, report)
        with Server("MINIREDIS_BIN", "--save", "", dir=self.tmp) as mini:
            self.assertIn("DB loaded from snapshot", mini.log())
            self.assert_same(dump(mini.port), theirs)

    def test_shutdown_writes_dump_rdb_and_a_restart_loads_it(self):
        with Server("MINIREDIS_BIN", "--save", "3600 1") as mini:
            fill(redis.Redis(port=mini.port))
            before = dump(mini.port)
            mini.stop()  # SIGTERM with a save rule: the snapshot is written
            code, report = check_rdb(os.path.join(mini.dir, "dump.rdb"))
            self.assertEqual(code, 0, report)
            mini.start()
            self.assert_same(dump(mini.port), before)


if __name__ == "__main__":
    tap.main()
