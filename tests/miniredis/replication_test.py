"""miniredis replication (issue 21), master and replica as two real server processes:
- writes of every type, before and after the replica attaches, end up the same on the replica;
- a replica refuses writes (READONLY), and INFO replication / ROLE describe both ends;
- a replica killed with SIGKILL and restarted continues with +CONTINUE (the master counts
  sync_partial_ok), unless the master's backlog no longer reaches back (then a full resync);
- REPLICAOF NO ONE promotes a replica, and its old master can follow it without a full resync
  (PSYNC2: the old replication ID stays valid up to the promotion);
- WAIT answers how many replicas acknowledged; a replica that stops reading is cut off by its
  output buffer limit instead of stalling the master; redis-cli --replica can follow a miniredis."""
import socket
import subprocess
import unittest

import tap
from resp_client import Error, RespClient
from servers import Server, wait_until

# No snapshot rules; a diskless full resync starts at once (Redis' default waits 5 s for more
# replicas to share it - tests/miniredis/replication_modes_test.py tests that wait).
QUICK = ("--save", "", "--repl-diskless-sync-delay", "0")


def info(client, section="replication"):
    fields = {}
    for line in client.call("INFO", section).decode().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k] = v
    return fields


def dataset(c):
    """Every key of every database as comparable Python values, read with ordinary commands."""
    out = {}
    for db in range(16):
        c.call("SELECT", str(db))
        for key in c.call("KEYS", "*"):
            kind = c.call("TYPE", key)
            if kind == "string":
                value = c.call("GET", key)
            elif kind == "list":
                value = c.call("LRANGE", key, "0", "-1")
            elif kind == "hash":
                value = sorted(c.call("HGETALL", key))
            elif kind == "set":
                value = sorted(c.call("SMEMBERS", key))
            elif kind == "zset":
                value = c.call("ZRANGE", key, "0", "-1", "WITHSCORES")
            elif kind == "stream":
                value = (c.call("XRANGE", key, "-", "+"), c.call("XINFO", "GROUPS", key))
            else:
                value = None
            has_ttl = c.call("PTTL", key) > 0
            out[(db, key)] = (kind, value, has_ttl)
    c.call("SELECT", "0")
    return out


def write_every_type(c, tag):
    c.call("SET", f"s{tag}", "v")
    c.call("SET", f"ttl{tag}", "v", "EX", "1000")
    c.call("INCRBY", f"n{tag}", "5")
    c.call("APPEND", f"s{tag}", "-more")
    c.call("RPUSH", f"l{tag}", "a", "b", "c")
    c.call("LPOP", f"l{tag}")
    c.call("HSET", f"h{tag}", "f1", "1", "f2", "2")
    c.call("HINCRBY", f"h{tag}", "f1", "10")
    c.call("SADD", f"set{tag}", "x", "y", "z")
    c.call("SREM", f"set{tag}", "y")
    c.call("ZADD", f"z{tag}", "1", "one", "2.5", "two")
    c.call("ZINCRBY", f"z{tag}", "3", "one")
    c.call("XADD", f"x{tag}", "1-1", "k", "v")
    c.call("XADD", f"x{tag}", "2-1", "k", "w")
    c.call("XGROUP", "CREATE", f"x{tag}", "g", "0")
    c.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", f"x{tag}", ">")
    c.call("PFADD", f"hll{tag}", "a", "b", "c")
    c.call("SETBIT", f"bits{tag}", "100", "1")
    c.call("MULTI")
    c.call("SET", f"tx{tag}", "1")
    c.call("INCR", f"tx{tag}")
    c.call("EXEC")
    c.call("SELECT", "5")
    c.call("SET", f"db5{tag}", "five")
    c.call("SELECT", "0")
    c.call("SET", f"gone{tag}", "x")
    c.call("DEL", f"gone{tag}")


def in_sync(master, replica):
    """The replica has applied everything the master sent so far."""
    m, r = info(master), info(replica)
    return r.get("master_link_status") == "up" and r["slave_repl_offset"] == m["master_repl_offset"]


def stats(client):
    s = info(client, "stats")
    return int(s["sync_full"]), int(s["sync_partial_ok"]), int(s["sync_partial_err"])


class Replication(unittest.TestCase):
    def test_writes_of_every_type_reach_the_replica(self):
        with Server("MINIREDIS_BIN", *QUICK) as m, Server("MINIREDIS_BIN", *QUICK) as r:
            mc, rc = RespClient(m.port), RespClient(r.port)
            write_every_type(mc, "before")  # travels in the snapshot of the full resync
            self.assertEqual(rc.call("REPLICAOF", "127.0.0.1", str(m.port)), "OK")
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            write_every_type(mc, "after")  # travels in the command stream
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            expected = dataset(mc)
            self.assertGreater(len(expected), 20)
            self.assertEqual(dataset(rc), expected)

    def test_replica_is_read_only_and_described_by_info_and_role(self):
        with Server("MINIREDIS_BIN", *QUICK) as m, \
                Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {m.port}") as r:
            mc, rc = RespClient(m.port), RespClient(r.port)
            mc.call("SET", "k", "v")
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            self.assertEqual(rc.call("SET", "k", "other"), Error("READONLY You can't write against a read only replica."))
            self.assertEqual(rc.call("GET", "k"), b"v")

            ri, mi = info(rc), info(mc)
            self.assertEqual(ri["role"], "slave")
            self.assertEqual((ri["master_host"], ri["master_port"]), ("127.0.0.1", str(m.port)))
            self.assertEqual(ri["master_replid"], mi["master_replid"])
            self.assertEqual(mi["role"], "master")
            self.assertEqual(mi["connected_slaves"], "1")
            self.assertTrue(mi["slave0"].startswith(f"ip=127.0.0.1,port={r.port},state=online,offset="))
            self.assertEqual(stats(mc), (1, 0, 0))

            role = rc.call("ROLE")
            self.assertEqual(role[:4], [b"slave", b"127.0.0.1", m.port, b"connected"])
            self.assertEqual(role[4], int(mi["master_repl_offset"]))
            master_role = mc.call("ROLE")
            self.assertEqual(master_role[0], b"master")
            self.assertEqual(master_role[2][0][:2], [b"127.0.0.1", str(r.port).encode()])

    def test_killed_replica_continues_where_it_stopped(self):
        with Server("MINIREDIS_BIN", *QUICK) as m, \
                Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {m.port}") as r:
            mc = RespClient(m.port)
            for i in range(100):
                mc.call("SET", f"k{i}", str(i))
            rc = RespClient(r.port)
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            for i in range(100, 200):
                mc.call("RPUSH", "list", str(i))
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            rc.close()
            r.kill9()
            mc.call("HSET", "while-down", "f", "v")  # missed: must come from the backlog
            r.start()
            rc = RespClient(r.port)
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            self.assertEqual(stats(mc), (1, 1, 0))  # one full resync at first, then +CONTINUE
            self.assertEqual(dataset(rc), dataset(mc))

    def test_backlog_too_small_means_a_full_resync(self):
        with Server("MINIREDIS_BIN", *QUICK, "--repl-backlog-size", "16kb") as m, \
                Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {m.port}") as r:
            mc, rc = RespClient(m.port), RespClient(r.port)
            mc.call("SET", "a", "1")
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            rc.close()
            r.kill9()
            for i in range(100):  # 100 x 1 KB: the bytes the replica missed left the 16 KB ring
                mc.call("SET", f"big{i}", "x" * 1000)
            r.start()
            rc = RespClient(r.port)
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            self.assertEqual(stats(mc), (2, 0, 1))  # it asked to continue, and could not
            self.assertEqual(dataset(rc), dataset(mc))

    def test_promotion_and_the_old_master_follows_without_full_resync(self):
        with Server("MINIREDIS_BIN", *QUICK) as m, \
                Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {m.port}") as r:
            mc, rc = RespClient(m.port), RespClient(r.port)
            mc.call("SET", "k", "1")
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            old_id = info(mc)["master_replid"]
            self.assertEqual(rc.call("REPLICAOF", "NO", "ONE"), "OK")
            ri = info(rc)
            self.assertEqual(ri["role"], "master")
            self.assertNotEqual(ri["master_replid"], old_id)
            self.assertEqual(ri["master_replid2"], old_id)
            self.assertEqual(rc.call("SET", "k", "2"), "OK")  # writable now
            # The old master becomes a replica of the promoted one: same history up to the
            # promotion, so it continues (+CONTINUE) and gets the new write.
            self.assertEqual(mc.call("REPLICAOF", "127.0.0.1", str(r.port)), "OK")
            self.assertTrue(wait_until(lambda: in_sync(rc, mc)))
            self.assertEqual(mc.call("GET", "k"), b"2")
            self.assertEqual(stats(rc), (0, 1, 0))

    def test_wait_counts_the_replicas_that_acknowledged(self):
        with Server("MINIREDIS_BIN", *QUICK) as m:
            mc = RespClient(m.port)
            mc.call("SET", "k", "v")
            self.assertEqual(mc.call("WAIT", "1", "50"), 0)  # no replica: the timeout answers 0
            with Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {m.port}") as r:
                rc = RespClient(r.port)
                self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
                mc.call("SET", "k", "v2")
                self.assertEqual(mc.call("WAIT", "1", "0"), 1)  # blocks until the ACK, no timeout
                self.assertEqual(mc.call("WAIT", "2", "100"), 1)  # only one exists: timeout, 1
                gone = RespClient(m.port)  # blocked forever in WAIT, then disconnects: forgotten
                gone.send("WAIT", "5", "0")
                self.assertTrue(wait_until(lambda: "blocked_clients:1" in mc.call("INFO", "clients").decode()))
                gone.close()
                mc.call("SET", "k", "v3")
                self.assertEqual(mc.call("WAIT", "1", "0"), 1)  # the next ACKs find no stale waiter
                self.assertIsInstance(rc.call("WAIT", "1", "10"), Error)  # a replica has nobody to wait for

    def test_a_replica_that_does_not_read_is_cut_off(self):
        with Server("MINIREDIS_BIN", *QUICK, "--client-output-buffer-limit", "replica 1mb 256kb 1") as m:
            mc = RespClient(m.port)
            fake = socket.create_connection(("127.0.0.1", m.port))
            fake.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            fake.sendall(b"PSYNC ? -1\r\n")  # then never reads
            self.assertTrue(wait_until(lambda: info(mc)["connected_slaves"] == "1"))
            value = "x" * 20000
            for i in range(500):  # 10 MB of stream: past the hard limit and the kernel's buffers
                mc.call("SET", f"k{i}", value)
            self.assertTrue(wait_until(lambda: info(mc)["connected_slaves"] == "0"))
            self.assertEqual(mc.call("GET", "k499"), value.encode())  # the master kept serving
            fake.close()

    def test_redis_cli_replica_follows_miniredis(self):
        with Server("MINIREDIS_BIN", *QUICK) as m:
            mc = RespClient(m.port)
            mc.call("SET", "before", "1")
            cli = subprocess.Popen(["redis-cli", "-p", str(m.port), "--replica"], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
            try:
                self.assertTrue(wait_until(lambda: info(mc)["connected_slaves"] == "1"))
                mc.call("SET", "streamed-key", "42")
                lines = []
                for line in cli.stdout:
                    lines.append(line)
                    if "streamed-key" in line:
                        break
                text = "".join(lines)
                self.assertIn("SYNC done", text)
                self.assertIn('"SET","streamed-key","42"', text)
            finally:
                cli.kill()
                cli.wait()


if __name__ == "__main__":
    tap.main()
