"""Lazy freeing (core/lazy_free.hpp): UNLINK and FLUSHALL/FLUSHDB ASYNC make the data disappear at
once for every later command, and hand the freeing to a background thread - which INFO memory's
lazyfreed_objects counts, and after which used_memory has dropped. Small values are freed in place
(Redis' 64-element threshold). Whether the server keeps answering while a big free runs is a timing
question: benchmarks/miniredis/scaling.py measures it, not this test."""
import unittest

import redis

import tap
from servers import Server, wait_until

BIG = 20_000  # members: far above the 64-element threshold, small enough for a fast test


class LazyFree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIREDIS_BIN", "--save", "")
        cls.r = redis.Redis(port=cls.server.port)

    @classmethod
    def tearDownClass(cls):
        cls.r.close()
        cls.server.close()

    def setUp(self):
        self.r.config_set("lazyfree-lazy-user-del", "no")
        self.r.config_set("lazyfree-lazy-user-flush", "no")
        self.r.flushall("SYNC")

    def freed(self):
        return int(self.r.info("memory")["lazyfreed_objects"])

    def fill_set(self, key, count):
        for start in range(0, count, 5000):
            self.r.sadd(key, *range(start, min(count, start + 5000)))

    def test_unlink_of_a_big_set_frees_it_in_the_background(self):
        self.fill_set("big", BIG)
        before_free, before_memory = self.freed(), self.r.info("memory")["used_memory"]
        self.assertEqual(self.r.unlink("big", "missing"), 1)
        self.assertEqual(self.r.exists("big"), 0)  # gone at once, for the very next command
        self.assertEqual(self.r.dbsize(), 0)
        self.assertTrue(wait_until(lambda: self.freed() == before_free + 1))
        self.assertEqual(self.r.info("memory")["lazyfree_pending_objects"], 0)
        # 20,000 members are well over 500 KB; all of it comes back.
        self.assertLess(self.r.info("memory")["used_memory"], before_memory - 500_000)

    def test_small_values_are_freed_in_place(self):
        self.r.sadd("small", *range(10))
        self.r.set("text", "x" * 1000)
        before = self.freed()
        self.assertEqual(self.r.unlink("small", "text"), 2)
        self.assertEqual(self.r.dbsize(), 0)
        self.assertEqual(self.freed(), before)

    def test_del_is_lazy_only_when_configured(self):
        self.fill_set("a", BIG)
        before = self.freed()
        self.assertEqual(self.r.delete("a"), 1)
        self.assertEqual(self.freed(), before)
        self.r.config_set("lazyfree-lazy-user-del", "yes")
        self.fill_set("a", BIG)
        self.assertEqual(self.r.delete("a"), 1)
        self.assertEqual(self.r.exists("a"), 0)
        self.assertTrue(wait_until(lambda: self.freed() == before + 1))

    def test_flushall_async_empties_at_once_and_frees_in_the_background(self):
        pipe = self.r.pipeline(transaction=False)
        for i in range(50_000):
            pipe.set(f"key:{i}", "v", ex=1000 if i % 2 else None)
        pipe.execute()
        before = self.freed()
        self.assertTrue(self.r.flushall("ASYNC"))
        self.assertEqual(self.r.dbsize(), 0)
        self.assertIsNone(self.r.get("key:1"))
        self.r.set("key:1", "new")  # the fresh keyspace works at once
        self.assertEqual(self.r.get("key:1"), b"new")
        self.assertEqual(self.r.ttl("key:1"), -1)  # the old TTL went with the old tables
        self.assertTrue(wait_until(lambda: self.freed() > before and self.r.info("memory")["lazyfree_pending_objects"] == 0))

    def test_flushdb_async_touches_only_its_database(self):
        other = redis.Redis(port=self.server.port, db=1)
        try:
            other.set("stays", "1")
            self.r.set("goes", "1")
            before = self.freed()
            self.assertTrue(self.r.flushdb("ASYNC"))
            self.assertEqual(self.r.dbsize(), 0)
            self.assertEqual(other.get("stays"), b"1")
            self.assertTrue(wait_until(lambda: self.freed() > before))
        finally:
            other.close()

    def test_flush_mode_default_follows_lazyfree_lazy_user_flush(self):
        self.r.set("k", "v")
        before = self.freed()
        self.r.execute_command("FLUSHALL")
        self.assertEqual(self.freed(), before)  # default: synchronous
        self.r.config_set("lazyfree-lazy-user-flush", "yes")
        self.r.set("k", "v")
        self.r.execute_command("FLUSHALL")
        self.assertEqual(self.r.dbsize(), 0)
        self.assertTrue(wait_until(lambda: self.freed() > before))
        self.r.set("k", "v")
        now = self.freed()
        self.r.execute_command("FLUSHALL", "SYNC")  # an explicit SYNC wins over the config
        self.assertEqual(self.freed(), now)
        with self.assertRaises(redis.ResponseError):
            self.r.execute_command("FLUSHALL", "LATER")
        with self.assertRaises(redis.ResponseError):
            self.r.execute_command("FLUSHDB", "ASYNC", "SYNC")


if __name__ == "__main__":
    tap.main()
