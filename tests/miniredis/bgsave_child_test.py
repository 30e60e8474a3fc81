"""A BGSAVE child whose picture must never become dump.rdb (core/persistence.cpp,
kill_snapshot_child): the same three sequences run against miniredis and against the real
redis-server, and both must end the same way.

- FLUSHALL during a BGSAVE: the child is killed and its temp file removed; with save rules the empty
  dataset is saved at once - restarted after a crash, the server has no keys (not the old ones the
  child would have renamed into place a moment later);
- SHUTDOWN during a BGSAVE: "There is a child saving an .rdb. Killing it!", no temp file left, and
  dump.rdb is the final save (it has the write made after the BGSAVE started);
- REPLICAOF during a BGSAVE: when the replica loads its master's snapshot it kills the child first
  ("... there is a pending RDB child running. Killing process ..."): restarted without the master,
  it holds exactly the master's keys, not its own old ones.
In each, INFO persistence afterwards says rdb_bgsave_in_progress:0 and rdb_last_bgsave_status:ok - a
child killed on purpose is not a failed save. rdb-key-save-delay (microseconds of sleep per key in
the child, Redis's test knob) makes each BGSAVE last seconds, so the event surely comes while it
runs; the kill makes each test take about a second."""
import os
import shutil
import unittest

import redis

import tap
from real_brokers import RealRedis
from servers import Server, wait_until

KEYS = 200
SLOW = ("--rdb-key-save-delay", "20000")  # 200 keys x 20 ms: a BGSAVE of at least 4 s
QUICK_MASTER = ("--repl-diskless-sync-delay", "0")  # a full resync starts at once (both servers)


def temp_files(directory):
    """The snapshot temp files in a data dir: ours are dump.rdb.tmp-<pid>, redis-server's
    temp-<pid>.rdb (and temp-<time>.<pid>.rdb for a replica's transfer)."""
    return sorted(n for n in os.listdir(directory) if n.startswith("temp-") or ".tmp-" in n)


def fill(r, prefix, count):
    r.mset({f"{prefix}:{i}": str(i) for i in range(count)})


class Sequences:
    """The three sequences; a subclass says which server runs them (start)."""

    def client(self, server):
        r = redis.Redis(port=server.port)
        self.addCleanup(r.close)
        return r

    def started(self, *args):
        server = self.start(*args)
        self.addCleanup(server.close)
        return server, self.client(server)

    def after_crash(self, server):
        """Killed as a crash would (no save at exit), started again on the same dir: what dump.rdb
        holds is what the server has."""
        server.kill9()
        server.start()
        return self.client(server)

    def start_slow_bgsave(self, r, server):
        r.bgsave()
        self.assertEqual(r.info("persistence")["rdb_bgsave_in_progress"], 1)
        # The child streams the file as it encodes: its temp file is on disk while it runs.
        self.assertTrue(wait_until(lambda: temp_files(server.dir)), "no temp file while the BGSAVE runs")

    def bgsave_over(self, r):
        return r.info("persistence")["rdb_bgsave_in_progress"] == 0

    def test_flushall_kills_the_bgsave_and_saves_the_empty_dataset(self):
        server, r = self.started(*SLOW)
        fill(r, "old", KEYS)
        r.config_set("save", "3600 1")
        self.start_slow_bgsave(r, server)
        self.assertTrue(r.flushall())
        self.assertTrue(wait_until(lambda: self.bgsave_over(r), timeout=30))
        p = r.info("persistence")
        self.assertEqual(p["rdb_last_bgsave_status"], "ok")
        self.assertEqual(p["rdb_changes_since_last_save"], 0)  # FLUSHALL's own save covers it
        self.assertEqual(temp_files(server.dir), [])
        # The child is gone (reaped): nothing can rename the old keys over dump.rdb any more.
        r = self.after_crash(server)
        self.assertEqual(r.dbsize(), 0)

    def test_shutdown_kills_the_bgsave_and_its_temp_file_and_saves_last(self):
        server, r = self.started(*SLOW)
        fill(r, "old", KEYS)
        r.config_set("save", "3600 1")
        self.start_slow_bgsave(r, server)
        r.set("final", "after the fork")
        r.shutdown()  # saves: save rules are set
        server.stop()
        self.assertEqual(temp_files(server.dir), [])
        self.assertIn("There is a child saving an .rdb. Killing it!", server.log())
        server.start()
        r = self.client(server)
        self.assertEqual(r.get("final"), b"after the fork")
        self.assertEqual(r.dbsize(), KEYS + 1)

    def test_replica_kills_its_old_bgsave_before_loading_the_masters_data(self):
        master, m = self.started(*QUICK_MASTER)
        fill(m, "master", 20)
        replica, r = self.started(*SLOW)
        fill(r, "old", KEYS)
        self.start_slow_bgsave(r, replica)
        r.replicaof("127.0.0.1", master.port)
        self.assertTrue(
            wait_until(lambda: r.info("replication")["master_link_status"] == "up" and self.bgsave_over(r),
                       timeout=30))
        self.assertEqual(sorted(r.keys()), sorted(m.keys()))
        self.assertEqual(r.info("persistence")["rdb_last_bgsave_status"], "ok")
        self.assertEqual(temp_files(replica.dir), [])
        # Restarted on its own (REPLICAOF was a command, not config): dump.rdb is the master's.
        r = self.after_crash(replica)
        self.assertEqual(sorted(r.keys()), sorted(m.keys()))
        self.assertIn("there is a pending RDB child running. Killing process", replica.log())


class Miniredis(Sequences, unittest.TestCase):
    def start(self, *args):
        return Server("MINIREDIS_BIN", "--save", "", *args)


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class RedisServer(Sequences, unittest.TestCase):
    """The reference: the same sequences against redis-server 7.0."""

    def start(self, *args):
        return RealRedis(*args)


if __name__ == "__main__":
    tap.main()
