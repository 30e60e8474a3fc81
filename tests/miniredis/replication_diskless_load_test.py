"""miniredis as a replica with repl-diskless-load (issue 21), Redis 7.0's three modes:
- swapdb: the master's RDB is parsed as it arrives (storage/rdb_loader.hpp, RdbStreamLoader),
  the old dataset is served meanwhile (INFO async_loading:1) and replaced only when the new one is
  complete - from a miniredis master ($EOF:<mark>) and from a real redis-server master, diskless
  ($EOF:<mark>) and disk-based ($<len>), each compared key by key with the master;
- a transfer cut off half-way leaves the old dataset in place; a corrupt record is refused as
  soon as it arrives, not after the whole transfer (a fake master that never ends it);
- on-empty-db parses as it arrives only when the replica holds no data; disabled never does."""
import os
import socket
import tempfile
import threading
import unittest

import tap
from replication_modes_test import RealRedis
from replication_test import QUICK, dataset, in_sync, info, write_every_type
from resp_client import RespClient
from servers import Server, wait_until

STREAMED = "parsed as it arrived"


def fill(c):
    write_every_type(c, "a")
    for i in range(3000):  # a few hundred KB: records cut at the ends of many reads
        c.send("SET", f"key:{i}", f"value-{i}-" + "x" * 100)
    for _ in range(3000):
        c.read()
    c.call("SET", "big", os.urandom(300_000))  # one record over ~20 reads: parsed again as it grows


class FakeMaster:
    """Answers a replica's handshake, then sends what `script` says, one connection at a time."""

    def __init__(self, scripts):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = []
        self.thread = threading.Thread(target=self.serve, args=(scripts,), daemon=True)
        self.thread.start()

    def serve(self, scripts):
        for script in scripts:
            conn, _ = self.listener.accept()
            self.connections.append(conn)
            while True:  # one request, one reply, until PSYNC
                request = conn.recv(4096)
                if not request or b"PSYNC" in request:
                    break
                conn.sendall(b"+PONG\r\n" if b"PING" in request else b"+OK\r\n")
            script(conn)

    def close(self):
        self.listener.close()
        for conn in self.connections:
            conn.close()


MARK = b"0123456789abcdef0123456789abcdef01234567"
# REDIS0010, an AUX field, then one string key "k" = "v" (type 0).
RDB_START = b"REDIS0010" + b"\xfa\x03foo\x03bar" + b"\x00\x01k\x01v"


class DisklessLoad(unittest.TestCase):
    def full_sync(self, master_client, master_port, *replica_args, old_data=True):
        """A replica with data of its own follows the master: (its log, whether it streamed)."""
        with Server("MINIREDIS_BIN", *QUICK, *replica_args) as r:
            rc = RespClient(r.port)
            if old_data:
                rc.call("SET", "old", "1")
            rc.call("REPLICAOF", "127.0.0.1", str(master_port))
            self.assertTrue(wait_until(lambda: in_sync(master_client, rc), timeout=30))
            self.assertEqual(dataset(rc), dataset(master_client))  # "old" is gone: the master's data only
            return r.log()

    def test_swapdb_loads_from_miniredis_and_redis_server_masters(self):
        with Server("MINIREDIS_BIN", *QUICK) as m:
            fill(RespClient(m.port))
            log = self.full_sync(RespClient(m.port), m.port, "--repl-diskless-load", "swapdb")
            self.assertIn(f"diskless $EOF:<mark> transfer, {STREAMED}", log)
            # disabled (the default): the whole transfer first, then one load, as before
            self.assertNotIn(STREAMED, self.full_sync(RespClient(m.port), m.port))
            # on-empty-db: only a replica with nothing to lose parses as it arrives
            self.assertNotIn(STREAMED, self.full_sync(RespClient(m.port), m.port, "--repl-diskless-load",
                                                      "on-empty-db"))
            self.assertIn(STREAMED, self.full_sync(RespClient(m.port), m.port, "--repl-diskless-load",
                                                   "on-empty-db", old_data=False))
        for sync, framing in (("yes", "diskless $EOF:<mark>"), ("no", "$<len>")):
            with tempfile.TemporaryDirectory() as tmp, \
                    RealRedis(tmp, "--repl-diskless-sync", sync, "--repl-diskless-sync-delay", "0") as real:
                fill(real.client)
                log = self.full_sync(real.client, real.port, "--repl-diskless-load", "swapdb")
                self.assertIn(f"{framing} transfer, {STREAMED}", log)

    def test_swapdb_keeps_the_old_data_when_the_transfer_fails(self):
        replica = {}  # the replica's port, and what the fake master saw half-way
        seen = []

        def cut_off(conn):  # a valid start, then the master goes away
            conn.sendall(b"+FULLRESYNC " + MARK + b" 0\r\n$EOF:" + MARK + b"\r\n" + RDB_START)
            c = RespClient(replica["port"])
            wait_until(lambda: info(c, "persistence")["async_loading"] == "1")
            seen.append((info(c, "persistence")["async_loading"], c.call("GET", "old")))  # parsing; old data served
            conn.close()

        def corrupt(conn):  # a record of an unknown type, and no end: only a streaming parser sees it
            conn.sendall(b"+FULLRESYNC " + MARK + b" 0\r\n$EOF:" + MARK + b"\r\n" + RDB_START +
                         b"\x63\x02kk" + b"junk" * 20)  # (more than the 40 bytes held back as a possible mark)
            conn.recv(1)  # the replica gives up and closes the link (the fake master never would)

        fake = FakeMaster([cut_off, corrupt])
        try:
            with Server("MINIREDIS_BIN", *QUICK, "--repl-diskless-load", "swapdb") as r:
                rc = RespClient(r.port)
                replica["port"] = r.port
                rc.call("SET", "old", "1")
                rc.call("REPLICAOF", "127.0.0.1", str(fake.port))
                self.assertTrue(wait_until(lambda: len(fake.connections) == 2, timeout=15))  # cut off, back
                self.assertEqual(seen, [("1", b"1")])
                self.assertTrue(wait_until(lambda: "unknown value type 99" in r.log(), timeout=15), r.log())
                self.assertEqual(info(rc, "persistence")["async_loading"], "0")
                self.assertEqual(rc.call("GET", "old"), b"1")  # both failures: the old dataset stays
                self.assertIsNone(rc.call("GET", "k"))  # and nothing of the half-loaded one
                fake.thread.join(10)
                self.assertFalse(fake.thread.is_alive())
        finally:
            fake.close()


if __name__ == "__main__":
    tap.main()
