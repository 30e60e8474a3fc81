"""miniredis's disk-based full resync (repl-diskless-sync no, issue 21), done as Redis does it:
- the snapshot is a BGSAVE in a forked child; while it runs the master answers its clients (their
  replies come while INFO still shows rdb_bgsave_in_progress:1 and the replica in wait_bgsave,
  before the replica has received a byte of the file), and the writes made meanwhile reach the
  replica exactly once, after the file;
- the file goes out a piece at a time: a replica that reads nothing leaves a bounded output buffer
  (state=send_bulk) and the master goes on serving;
- a replica that asks while a BGSAVE for replicas runs joins it (the same +FULLRESYNC offset, the
  same bytes); one that asks during a user's BGSAVE waits for it, then gets a BGSAVE of its own.
A fake replica (a raw socket speaking PSYNC) lets the test decide when the replica reads.
rdb-key-save-delay (Redis' test knob: microseconds of sleep per key in the child) makes the BGSAVE
last long enough to act during it."""
import os
import socket
import tempfile
import unittest

import tap
from replication_test import info
from resp_client import RespClient
from servers import Server, wait_until


class FakeReplica:
    """The replica's side of the protocol by hand: PSYNC, then the transfer read when we say."""

    def __init__(self, port, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:  # before connect: shrunk later, TCP would probe a closed window once it reads
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""

    def psync(self):
        """PSYNC ? -1: the +FULLRESYNC line's (replid, offset) - sent at the BGSAVE's fork."""
        self.sock.sendall(RespClient.encode("PSYNC", "?", "-1"))
        _, replid, offset = self.line().split()
        return replid.decode(), int(offset)

    def line(self):
        while True:
            self.buf = self.buf.lstrip(b"\n")  # keep-alive newlines while the BGSAVE runs
            if b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                return line
            self.fill()

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def arrived(self):
        """What has arrived so far, without waiting (newlines dropped)."""
        try:
            self.buf += self.sock.recv(1 << 20, socket.MSG_DONTWAIT)
        except BlockingIOError:
            pass
        return self.buf.replace(b"\n", b"")

    def fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("master closed the connection")
        self.buf += chunk

    def transfer(self, master, offset):
        """$<len>, the file, then the stream held since `offset` (no ACK needed: the length says
        where the RDB ends)."""
        header = self.line()
        assert header.startswith(b"$"), header
        rdb = self.exactly(int(header[1:]))
        stream = self.exactly(int(info(master)["master_repl_offset"]) - offset)
        return rdb, stream

    def close(self):
        self.sock.close()


def replay(rdb, stream, *queries):
    """What a replica holds after loading `rdb` and executing `stream`: a fresh miniredis started
    from the file, then sent the stream. Returns counter's value before the stream, then the
    answers to `queries` after it."""
    with tempfile.TemporaryDirectory(prefix="minibrokers-disk-sync-") as tmp:
        with open(os.path.join(tmp, "dump.rdb"), "wb") as f:
            f.write(rdb)
        with Server("MINIREDIS_BIN", "--save", "", dir=tmp) as copy:
            cc = RespClient(copy.port)
            before = cc.call("GET", "counter")
            cc.sock.sendall(stream + RespClient.encode("ECHO", "end"))
            while cc.read() != b"end":
                pass
            return [before] + [cc.call(*q) for q in queries]


class DiskSync(unittest.TestCase):
    def test_master_serves_during_the_bgsave_and_the_file_transfer(self):
        # 1500 × 8 KB of random bytes (12 MB, LZF cannot shrink them): more than the kernel
        # buffers hold between us and a replica that reads nothing. 1 ms a key in the child: a
        # BGSAVE of at least 1.5 s, which our commands below easily fall within.
        with Server("MINIREDIS_BIN", "--save", "", "--repl-diskless-sync", "no", "--rdb-key-save-delay",
                    "1000") as m:
            mc = RespClient(m.port)
            for i in range(1500):
                mc.send("SET", f"blob:{i}", os.urandom(8000))
            for _ in range(1500):
                mc.read()
            mc.call("SET", "counter", "0")
            fake = FakeReplica(m.port, rcvbuf=128 * 1024)
            try:
                replid, offset = fake.psync()
                self.assertEqual(replid, info(mc)["master_replid"])
                # The BGSAVE runs: the master answers - these replies come before it ended (INFO
                # says so after them), and before the replica got a byte of the file.
                for i in range(20):
                    self.assertEqual(mc.call("INCR", "counter"), i + 1)
                self.assertEqual(mc.call("PING"), "PONG")
                self.assertEqual(info(mc, "persistence")["rdb_bgsave_in_progress"], "1")
                self.assertIn("state=wait_bgsave", info(mc)["slave0"])
                self.assertEqual(fake.arrived(), b"")  # not even the $<len> line
                # The child done, the file flows a piece at a time: the replica reads nothing,
                # and only a bounded part of 12 MB waits in its output buffer.
                self.assertTrue(wait_until(lambda: "state=send_bulk" in info(mc)["slave0"], timeout=60))
                replica_line = [line for line in mc.call("CLIENT", "LIST").decode().splitlines() if "flags=S" in line]
                self.assertLess(int(replica_line[0].split("obl=")[1].split()[0]), 2 * 1024 * 1024)
                for i in range(20, 50):  # still served, still after the snapshot's offset
                    self.assertEqual(mc.call("INCR", "counter"), i + 1)
                mc.call("SET", "after", "1")
                rdb, stream = fake.transfer(mc, offset)
                self.assertTrue(rdb.startswith(b"REDIS0010"))
                self.assertIn(b"repl-offset", rdb)
                self.assertTrue(wait_until(lambda: "state=online" in info(mc)["slave0"]))
            finally:
                fake.close()
            # The file is the fork's instant (counter 0); the stream brings every INCR made
            # during the BGSAVE and the transfer exactly once.
            before, counter, after, size, blob = replay(rdb, stream, ("GET", "counter"), ("GET", "after"),
                                                        ("DBSIZE",), ("GET", "blob:7"))
            self.assertEqual(before, b"0")
            self.assertEqual(counter, b"50")
            self.assertEqual(after, b"1")
            self.assertEqual(size, mc.call("DBSIZE"))
            self.assertEqual(blob, mc.call("GET", "blob:7"))

    def test_replicas_share_a_bgsave_for_replication_but_wait_out_a_users(self):
        # 500 keys at 2 ms each: every BGSAVE here lasts at least a second.
        with Server("MINIREDIS_BIN", "--save", "", "--repl-diskless-sync", "no", "--rdb-key-save-delay",
                    "2000") as m:
            mc = RespClient(m.port)
            for i in range(500):
                mc.send("SET", f"k{i}", str(i))
            for _ in range(500):
                mc.read()
            a, b, c = FakeReplica(m.port), FakeReplica(m.port), FakeReplica(m.port)
            try:
                _, offset_a = a.psync()
                mc.call("SET", "between", "1")  # after the fork: in the stream, not in the file
                moved = int(info(mc)["master_repl_offset"])
                self.assertGreater(moved, offset_a)
                _, offset_b = b.psync()
                # B joined A's BGSAVE: the same start point, though the stream had moved on (a
                # BGSAVE of its own would have said `moved`).
                self.assertEqual(offset_b, offset_a)
                mc.call("SET", "later", "1")
                got_a, got_b = a.transfer(mc, offset_a), b.transfer(mc, offset_b)
                self.assertEqual(got_a, got_b)
                self.assertEqual(got_a[1].count(b"between"), 1)
                self.assertEqual(m.log().count("BGSAVE for replication started"), 1)

                # A user's BGSAVE: nobody kept the writes since its fork, so C waits for it to
                # end (listed as wait_bgsave, no +FULLRESYNC yet), then gets a BGSAVE of its own.
                self.assertEqual(mc.call("BGSAVE"), "Background saving started")
                c.sock.sendall(RespClient.encode("PSYNC", "?", "-1"))
                self.assertTrue(wait_until(lambda: "state=wait_bgsave" in info(mc).get("slave2", "")))
                mc.call("SET", "during-users-bgsave", "1")
                moved = int(info(mc)["master_repl_offset"])
                _, offset_c = c.line().split()[1:]
                self.assertEqual(int(offset_c), moved)
                rdb, stream = c.transfer(mc, int(offset_c))
                self.assertIn(b"during-users-bgsave", rdb)
                self.assertNotIn(b"during-users-bgsave", stream)
                self.assertEqual(m.log().count("BGSAVE for replication started"), 2)
            finally:
                for fake in (a, b, c):
                    fake.close()


if __name__ == "__main__":
    tap.main()
