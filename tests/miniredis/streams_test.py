"""Redis Streams through redis-py, the way applications use them: a producer appending sensor
readings, a reader waiting with XREAD BLOCK, a consumer group of workers that read, acknowledge,
and take over what a crashed colleague left pending (XPENDING, XCLAIM, XAUTOCLAIM), XINFO for
monitoring - and the stream, its groups and pending entries surviving a restart (AOF replay, AOF
rewrite, snapshot)."""
import threading
import time
import unittest

import redis

import tap
from servers import Server


def ids(entries):
    return [e[0] for e in entries]


class Streams(unittest.TestCase):
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

    def test_append_and_range(self):
        first = self.r.xadd("sensors", {"temp": "21", "city": "Oslo"})
        second = self.r.xadd("sensors", {"temp": "22", "city": "Oslo"})
        self.assertLess([int(x) for x in first.split(b"-")], [int(x) for x in second.split(b"-")])
        self.assertEqual(self.r.xlen("sensors"), 2)
        self.assertEqual(self.r.type("sensors"), b"stream")
        self.assertEqual(self.r.xrange("sensors"), [(first, {b"temp": b"21", b"city": b"Oslo"}),
                                                    (second, {b"temp": b"22", b"city": b"Oslo"})])
        self.assertEqual(ids(self.r.xrevrange("sensors", count=1)), [second])
        for i in range(100):
            self.r.xadd("capped", {"i": i}, maxlen=10, approximate=False)
        self.assertEqual(self.r.xlen("capped"), 10)
        self.assertEqual(self.r.xrange("capped", count=1)[0][1], {b"i": b"90"})
        self.assertEqual(self.r.xdel("sensors", first), 1)
        self.assertEqual(ids(self.r.xrange("sensors")), [second])
        self.assertEqual(sorted(self.r.scan_iter(_type="STREAM")), [b"capped", b"sensors"])
        self.assertTrue(self.r.copy("sensors", "copy"))
        self.assertEqual(self.r.xrange("copy"), self.r.xrange("sensors"))
        self.assertTrue(self.r.rename("copy", "renamed"))
        self.assertTrue(self.r.expire("renamed", 100))
        self.assertEqual(self.r.xlen("renamed"), 1)

    def test_xread_blocks_until_an_entry_arrives(self):
        got = []
        reader = redis.Redis(port=self.server.port)

        def read():
            got.append(reader.xread({"events": "$"}, block=5000))

        t = threading.Thread(target=read)
        t.start()
        time.sleep(0.2)
        new_id = self.r.xadd("events", {"type": "click"})
        t.join(10)
        reader.close()
        self.assertEqual(got, [[[b"events", [(new_id, {b"type": b"click"})]]]])
        # A timeout answers "nothing".
        self.assertEqual(self.r.xread({"events": "$"}, block=50), [])

    def test_consumer_group_read_ack_and_takeover(self):
        self.r.xgroup_create("jobs", "workers", id="0", mkstream=True)
        sent = [self.r.xadd("jobs", {"job": str(i)}) for i in range(5)]
        a = self.r.xreadgroup("workers", "alice", {"jobs": ">"}, count=3)
        b = self.r.xreadgroup("workers", "bob", {"jobs": ">"})
        self.assertEqual(ids(a[0][1]), sent[:3])
        self.assertEqual(ids(b[0][1]), sent[3:])
        self.assertEqual(self.r.xreadgroup("workers", "bob", {"jobs": ">"}), [])
        self.assertEqual(self.r.xack("jobs", "workers", sent[0], sent[3]), 2)
        summary = self.r.xpending("jobs", "workers")
        self.assertEqual(summary["pending"], 3)
        self.assertEqual(summary["min"], sent[1])
        self.assertEqual(sorted((c["name"], c["pending"]) for c in summary["consumers"]),
                         [(b"alice", 2), (b"bob", 1)])
        pending = self.r.xpending_range("jobs", "workers", min="-", max="+", count=10, consumername="alice")
        self.assertEqual([p["message_id"] for p in pending], sent[1:3])
        self.assertEqual([p["times_delivered"] for p in pending], [1, 1])
        # alice crashed: bob takes over what has been idle long enough.
        time.sleep(0.05)
        self.assertEqual(self.r.xclaim("jobs", "workers", "bob", 10, [sent[1]], justid=True), [sent[1]])
        cursor, claimed, deleted = self.r.xautoclaim("jobs", "workers", "carol", 0, "0-0", count=10)
        self.assertEqual(cursor, b"0-0")
        self.assertEqual(ids(claimed), [sent[1], sent[2], sent[4]])
        self.assertEqual(deleted, [])
        pending = self.r.xpending_range("jobs", "workers", "-", "+", 10)
        self.assertEqual([(p["consumer"], p["times_delivered"]) for p in pending],
                         [(b"carol", 2), (b"carol", 2), (b"carol", 2)])
        # Monitoring.
        info = self.r.xinfo_stream("jobs")
        self.assertEqual((info["length"], info["groups"], info["last-generated-id"]), (5, 1, sent[-1]))
        self.assertEqual(info["first-entry"][0], sent[0])
        groups = self.r.xinfo_groups("jobs")
        self.assertEqual([(g["name"], g["pending"], g["last-delivered-id"], g["lag"]) for g in groups],
                         [(b"workers", 3, sent[-1], 0)])
        consumers = self.r.xinfo_consumers("jobs", "workers")
        self.assertEqual([(c["name"], c["pending"]) for c in consumers], [(b"alice", 0), (b"bob", 0), (b"carol", 3)])
        full = self.r.xinfo_stream("jobs", full=True)
        self.assertEqual(len(full["entries"]), 5)
        self.assertEqual(full["groups"][0]["pel-count"], 3)

    def test_blocked_group_reader_is_served_by_xadd(self):
        self.r.xgroup_create("q", "g", id="$", mkstream=True)
        got = []
        reader = redis.Redis(port=self.server.port)
        t = threading.Thread(target=lambda: got.append(
            reader.xreadgroup("g", "w", {"q": ">"}, block=5000, count=1)))
        t.start()
        time.sleep(0.2)
        new_id = self.r.xadd("q", {"n": "1"})
        t.join(10)
        reader.close()
        self.assertEqual(got, [[[b"q", [(new_id, {b"n": b"1"})]]]])
        self.assertEqual(self.r.xpending("q", "g")["pending"], 1)

    def test_wrong_type_and_bad_ids(self):
        self.r.set("s", "x")
        with self.assertRaises(redis.ResponseError) as e:
            self.r.xadd("s", {"f": "v"})
        self.assertIn("WRONGTYPE", str(e.exception))
        with self.assertRaises(redis.ResponseError):
            self.r.xadd("new", {"f": "v"}, id="not-an-id")
        self.r.xadd("new", {"f": "v"}, id="5-0")
        with self.assertRaises(redis.ResponseError) as e:
            self.r.xadd("new", {"f": "v"}, id="4-0")
        self.assertIn("equal or smaller", str(e.exception))


class StreamsPersistence(unittest.TestCase):
    def check_state(self, r, sent):
        self.assertEqual(r.xlen("jobs"), 4)
        pending = r.xpending_range("jobs", "g", "-", "+", 10)
        self.assertEqual([(p["message_id"], p["consumer"], p["times_delivered"]) for p in pending],
                         [(sent[1], b"alice", 2), (sent[2], b"bob", 1)])
        groups = r.xinfo_groups("jobs")
        self.assertEqual([(g["name"], g["last-delivered-id"], g["entries-read"]) for g in groups],
                         [(b"g", sent[2], 3)])
        # dave only ever read his (empty) history: he exists all the same.
        consumers = [c["name"] for c in r.xinfo_consumers("jobs", "g")]
        self.assertEqual(consumers, [b"alice", b"bob", b"dave"])
        # The next ">" read continues after the last delivered entry, not from the start.
        nxt = r.xreadgroup("g", "carol", {"jobs": ">"})
        self.assertEqual(ids(nxt[0][1]), [sent[3]])

    def make_state(self, r):
        r.xgroup_create("jobs", "g", id="0", mkstream=True)
        sent = [r.xadd("jobs", {"n": str(i)}) for i in range(4)]
        r.xreadgroup("g", "alice", {"jobs": ">"}, count=2)
        r.xreadgroup("g", "bob", {"jobs": ">"}, count=1)
        r.xack("jobs", "g", sent[0])
        r.xreadgroup("g", "alice", {"jobs": "0"})  # a redelivery: sent[1] now delivered twice
        r.xreadgroup("g", "dave", {"jobs": "0"})  # creates consumer dave, delivers nothing
        return sent

    def test_aof_replay_rewrite_and_snapshot(self):
        with Server("MINIREDIS_BIN", "--appendonly", "yes", "--appendfsync", "always", "--save", "") as s:
            r = redis.Redis(port=s.port)
            sent = self.make_state(r)
            r.close()
            s.kill9()
            s.start()
            r = redis.Redis(port=s.port)
            # The AOF holds XADD with concrete IDs and the XCLAIM/XGROUP SETID of each delivery.
            self.check_state(r, sent)
            r.flushall()
            sent = self.make_state(r)
            r.bgrewriteaof()
            deadline = time.monotonic() + 20
            while r.info("persistence")["aof_rewrite_in_progress"] and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)
            r.close()
            s.kill9()
            s.start()
            r = redis.Redis(port=s.port)
            self.check_state(r, sent)
            r.close()
        with Server("MINIREDIS_BIN", "--save", "") as s:
            r = redis.Redis(port=s.port)
            sent = self.make_state(r)
            r.save()
            r.close()
            s.kill9()
            s.start()
            r = redis.Redis(port=s.port)
            self.check_state(r, sent)
            r.close()


if __name__ == "__main__":
    tap.main()
