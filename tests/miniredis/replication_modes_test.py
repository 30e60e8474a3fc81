"""miniredis replication, the settings around it (issue 21), each against its Redis 7.0 meaning:
- repl-diskless-sync yes: the full resync's RDB goes straight to the replica, framed $EOF:<mark>,
  and no file is written on the master; `no` writes dump.rdb first and sends $<len>;
- the diskless transfer streams from a forked child: a replica that reads slowly holds the master's
  output buffer to a few hundred KB (INFO state=send_bulk), the master serves meanwhile, and the
  writes made during the transfer come after the snapshot, exactly once;
- repl-diskless-sync-delay / -max-replicas: replicas wait (INFO state=wait_bgsave) and share one
  transfer;
- min-replicas-to-write / min-replicas-max-lag: writes refused with -NOREPLICAS while too few
  replicas ACKed within the lag (a stopped replica stops ACKing) - the same error as redis-server;
- replica-serve-stale-data no: -MASTERDOWN for data commands while the master link is down, as
  redis-server answers;
- the old slave-* names Redis 7 still accepts (slaveof, slave-read-only, slave-serve-stale-data,
  min-slaves-to-write, min-slaves-max-lag) are the same options in a config file, CONFIG SET and
  CONFIG GET, as redis-server answers;
- a replica's own SAVE keeps repl-id / repl-offset / repl-stream-db: restarted from that file it
  continues with +CONTINUE instead of a full resync; a replica of a replica starts in the database
  its master's stream is in."""
import os
import signal
import socket
import subprocess
import tempfile

import unittest

import tap
from replication_test import QUICK, dataset, in_sync, info, stats
from resp_client import Error, RespClient
from servers import Server, free_ports, wait_until

NOREPLICAS = Error("NOREPLICAS Not enough good replicas to write.")
MASTERDOWN = Error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")


class RealRedis:
    """A throwaway redis-server for differential checks (no files, a free port)."""

    def __init__(self, tmp, *args):
        self.port = free_ports(1)[0]
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", tmp, *args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            try:
                return RespClient(self.port).call("ECHO", "up") == b"up"  # PING may be refused (MASTERDOWN)
            except OSError:
                return False

        if not wait_until(up):
            self.close()
            raise RuntimeError("redis-server did not start")
        self.client = RespClient(self.port)

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ReplicationModes(unittest.TestCase):
    def full_resync(self, *master_args):
        """A master with some data, a replica attached: (master's log, replica's log, master dir)."""
        with Server("MINIREDIS_BIN", *QUICK, *master_args) as m, Server("MINIREDIS_BIN", *QUICK) as r:
            mc, rc = RespClient(m.port), RespClient(r.port)
            for i in range(200):
                mc.call("HSET", f"h{i}", "f", "v" * 50)
            self.assertEqual(rc.call("REPLICAOF", "127.0.0.1", str(m.port)), "OK")
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            mc.call("SET", "after", "1")  # the stream starts after the transfer
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            self.assertEqual(dataset(rc), dataset(mc))
            return m.log(), r.log(), os.listdir(m.dir)

    def test_diskless_sync_streams_the_rdb_and_writes_no_file(self):
        master_log, replica_log, files = self.full_resync()  # repl-diskless-sync yes: the default
        self.assertIn("(diskless $EOF:<mark> transfer)", replica_log)
        self.assertIn("diskless full resync:", master_log)
        self.assertNotIn("dump.rdb", files)

    def test_disk_based_sync_writes_the_file_and_sends_its_length(self):
        master_log, replica_log, files = self.full_resync("--repl-diskless-sync", "no")
        self.assertIn("($<len> transfer)", replica_log)
        self.assertIn("(disk-based, dump.rdb)", master_log)
        self.assertIn("dump.rdb", files)

    def test_diskless_sync_streams_while_the_master_serves(self):
        # 20 MB of incompressible values: far more than the kernel buffers between master and a
        # replica that reads nothing (its receive buffer set to 128 KB before it connects: shrunk
        # later, TCP would be left probing a closed window once it reads again).
        with Server("MINIREDIS_BIN", *QUICK) as m:
            mc = RespClient(m.port)
            for i in range(2500):
                mc.send("SET", f"blob:{i}", os.urandom(8000))
            for _ in range(2500):
                mc.read()
            mc.call("SET", "counter", "0")
            fake = socket.socket()
            fake.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 128 * 1024)
            fake.settimeout(10)
            fake.connect(("127.0.0.1", m.port))
            fake.sendall(RespClient.encode("REPLCONF", "capa", "eof"))
            self.assertEqual(fake.recv(5), b"+OK\r\n")
            fake.sendall(RespClient.encode("PSYNC", "?", "-1"))
            # The snapshot is still flowing and only a bounded part of it waits in our buffer:
            # the rest is in the child's pipe or not encoded yet (encoded in place, all 20 MB
            # would sit in the replica's output buffer, and the replica would be listed online).
            self.assertTrue(wait_until(lambda: "state=send_bulk" in info(mc).get("slave0", "")))
            replica_line = [line for line in mc.call("CLIENT", "LIST").decode().splitlines() if "flags=S" in line]
            unsent = int(replica_line[0].split("obl=")[1].split()[0])  # (obl: the bytes in its buffer)
            self.assertLess(unsent, 2 * 1024 * 1024)
            self.assertEqual(info(mc, "persistence")["rdb_bgsave_in_progress"], "1")
            for i in range(100):  # served during the transfer; after the snapshot's offset
                self.assertEqual(mc.call("INCR", "counter"), i + 1)
            mc.call("SET", "after", "1")
            # Now read it all: +FULLRESYNC, $EOF:<mark>, the RDB, the mark - and nothing more
            # until our first ACK.
            data = b""
            while b"\r\n" not in data or data.count(b"\r\n") < 2:
                data += fake.recv(65536)
            fullresync, eof, first = data.split(b"\r\n", 2)
            offset = int(fullresync.split()[2])
            mark = eof[len(b"$EOF:"):]
            self.assertEqual(len(mark), 40)
            rdb = bytearray(first)
            while not rdb.endswith(mark):
                rdb += fake.recv(1 << 20)
            rdb = bytes(rdb[:-len(mark)])
            self.assertEqual(info(mc)["slave0"].split("state=")[1].split(",")[0], "online")
            fake.sendall(RespClient.encode("REPLCONF", "ACK", str(offset)))
            held = int(info(mc)["master_repl_offset"]) - offset
            stream = b""
            while len(stream) < held:
                stream += fake.recv(65536)
            fake.close()
            # The snapshot plus the stream after it rebuild the master exactly: counter is 100,
            # not 100 + whatever INCRs the snapshot had already seen.
            with tempfile.TemporaryDirectory() as tmp:
                with open(os.path.join(tmp, "dump.rdb"), "wb") as f:
                    f.write(rdb)
                with Server("MINIREDIS_BIN", "--save", "", dir=tmp) as copy:
                    cc = RespClient(copy.port)
                    self.assertEqual(cc.call("GET", "counter"), b"0")  # the snapshot's moment
                    cc.sock.sendall(stream + RespClient.encode("ECHO", "end"))
                    while cc.read() != b"end":
                        pass
                    self.assertEqual(cc.call("GET", "counter"), b"100")
                    self.assertEqual(cc.call("GET", "after"), b"1")
                    self.assertEqual(cc.call("DBSIZE"), mc.call("DBSIZE"))
                    self.assertEqual(cc.call("GET", "blob:7"), mc.call("GET", "blob:7"))

    def test_diskless_delay_lets_replicas_share_one_transfer(self):
        # A long delay, but two replicas are enough to start: the first one waits for the second.
        with Server("MINIREDIS_BIN", "--save", "", "--repl-diskless-sync-delay", "60",
                    "--repl-diskless-sync-max-replicas", "2") as m:
            mc = RespClient(m.port)
            mc.call("SET", "k", "v")
            with Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {m.port}") as r1:
                self.assertTrue(wait_until(lambda: "state=wait_bgsave" in info(mc).get("slave0", "")))
                self.assertEqual(info(RespClient(r1.port))["master_link_status"], "down")
                with Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {m.port}") as r2:
                    for r in (r1, r2):
                        rc = RespClient(r.port)
                        self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
                        self.assertEqual(rc.call("GET", "k"), b"v")
                    self.assertIn("to 2 replica(s)", m.log())
                    self.assertEqual(stats(mc), (2, 0, 0))

    def test_min_replicas_to_write_refuses_writes_without_good_replicas(self):
        args = ("--min-replicas-to-write", "1", "--min-replicas-max-lag", "1")
        with Server("MINIREDIS_BIN", *QUICK, *args) as m, RealRedis(m.dir, *args) as real:
            mc = RespClient(m.port)
            for c in (mc, real.client):  # no replica at all: the same refusal as redis-server
                self.assertEqual(c.call("SET", "k", "v"), NOREPLICAS)
                self.assertEqual(c.call("GET", "k"), None)  # reads are fine
                self.assertEqual(info(c)["min_slaves_good_slaves"], "0")
                c.call("MULTI")
                self.assertEqual(c.call("SET", "k", "v"), NOREPLICAS)
                self.assertIsInstance(c.call("EXEC"), Error)  # EXECABORT
            with Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {m.port}") as r:
                self.assertTrue(wait_until(lambda: mc.call("SET", "k", "v") == "OK"))
                self.assertEqual(info(mc)["min_slaves_good_slaves"], "1")
                # A replica that hangs keeps its connection but stops ACKing: out of the lag, it
                # no longer counts.
                os.kill(r.proc.pid, signal.SIGSTOP)
                try:
                    self.assertTrue(wait_until(lambda: mc.call("SET", "k", "v2") == NOREPLICAS))
                    self.assertEqual(info(mc)["connected_slaves"], "1")
                finally:
                    os.kill(r.proc.pid, signal.SIGCONT)
                self.assertTrue(wait_until(lambda: mc.call("SET", "k", "v3") == "OK"))
                self.assertTrue(wait_until(lambda: RespClient(r.port).call("GET", "k") == b"v3"))
            self.assertTrue(wait_until(lambda: mc.call("SET", "k", "v4") == NOREPLICAS))  # gone
            self.assertEqual(mc.call("CONFIG", "SET", "min-replicas-to-write", "0"), "OK")
            self.assertEqual(mc.call("SET", "k", "v4"), "OK")

    def test_old_slave_names_are_aliases_as_in_redis(self):
        old = {"slave-read-only": "no", "slave-serve-stale-data": "no", "min-slaves-to-write": "2",
               "min-slaves-max-lag": "7"}
        new = {"replica-read-only": "no", "replica-serve-stale-data": "no", "min-replicas-to-write": "2",
               "min-replicas-max-lag": "7"}
        with tempfile.TemporaryDirectory() as tmp:
            conf = os.path.join(tmp, "old-names.conf")
            with open(conf, "w") as f:
                f.writelines(f"{k} {v}\n" for k, v in old.items())
            with Server("MINIREDIS_BIN", *QUICK, config=conf) as m, \
                    RealRedis(tmp, *[a for k, v in old.items() for a in (f"--{k}", v)]) as real:
                for c in (RespClient(m.port), real.client):
                    for name, value in {**old, **new}.items():  # each name answers under itself
                        self.assertEqual(c.call("CONFIG", "GET", name), [name.encode(), value.encode()])
                    self.assertEqual(c.call("SET", "k", "v"), NOREPLICAS)  # min-slaves-to-write 2 took effect
                    self.assertEqual(c.call("CONFIG", "SET", "min-slaves-to-write", "0"), "OK")
                    self.assertEqual(c.call("CONFIG", "GET", "min-replicas-to-write"), [b"min-replicas-to-write", b"0"])
                    self.assertEqual(c.call("SET", "k", "v"), "OK")
                    self.assertEqual(c.call("CONFIG", "SET", "slave-read-only", "yes"), "OK")
                    self.assertEqual(c.call("CONFIG", "GET", "replica-read-only"), [b"replica-read-only", b"yes"])
            # slaveof in a file makes a replica, as replicaof does.
            with Server("MINIREDIS_BIN", *QUICK) as m:
                with open(conf, "w") as f:
                    f.write(f"slaveof 127.0.0.1 {m.port}\n")
                with Server("MINIREDIS_BIN", *QUICK, config=conf) as r:
                    mc, rc = RespClient(m.port), RespClient(r.port)
                    mc.call("SET", "k", "v")
                    self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
                    self.assertEqual(rc.call("GET", "k"), b"v")

    def test_replica_serve_stale_data_no_answers_masterdown(self):
        with Server("MINIREDIS_BIN", *QUICK) as m, \
                Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {m.port}",
                       "--replica-serve-stale-data", "no") as r:
            mc, rc = RespClient(m.port), RespClient(r.port)
            mc.call("SET", "k", "v")
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            self.assertEqual(rc.call("GET", "k"), b"v")  # link up: served
            m.stop()
            self.assertTrue(wait_until(lambda: info(rc)["master_link_status"] == "down"))
            # redis-server answers the same (a replica of a port nobody listens on): data commands
            # and PING refused, the commands flagged stale-safe (ECHO, INFO, CONFIG...) served.
            with RealRedis(r.dir, "--replicaof", "127.0.0.1", str(free_ports(1)[0]),
                           "--replica-serve-stale-data", "no") as real:
                for c in (rc, real.client):
                    self.assertEqual(c.call("GET", "k"), MASTERDOWN)
                    self.assertEqual(c.call("DBSIZE"), MASTERDOWN)
                    self.assertEqual(c.call("PING"), MASTERDOWN)
                    self.assertEqual(c.call("ECHO", "x"), b"x")
                    self.assertEqual(info(c)["master_link_status"], "down")
            self.assertEqual(rc.call("CONFIG", "SET", "replica-serve-stale-data", "yes"), "OK")
            self.assertEqual(rc.call("GET", "k"), b"v")  # the default: the old data is served

    def test_replica_of_a_replica_continues_in_the_streams_database(self):
        # r2 gets its snapshot from r1 while m's stream is in database 2; m then writes there
        # again without a SELECT. r1 passes m's bytes on verbatim, so r2 must start in database 2
        # (the repl-stream-db of r1's snapshot) - and get the stream only after its first ACK.
        with Server("MINIREDIS_BIN", *QUICK) as m, \
                Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {m.port}") as r1:
            mc, r1c = RespClient(m.port), RespClient(r1.port)
            self.assertTrue(wait_until(lambda: in_sync(mc, r1c)))
            mc.call("SELECT", "2")
            mc.call("SET", "a", "1")  # in the stream: SELECT 2, SET a
            self.assertTrue(wait_until(lambda: in_sync(mc, r1c)))
            with Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {r1.port}") as r2:
                r2c = RespClient(r2.port)
                self.assertTrue(wait_until(lambda: in_sync(r1c, r2c)))
                mc.call("SET", "b", "2")
                self.assertTrue(wait_until(lambda: in_sync(mc, r2c)))
                self.assertEqual(dataset(r2c), dataset(mc))
                self.assertIn("diskless full resync:", r1.log())

    def test_replica_restarted_from_its_own_save_continues(self):
        with Server("MINIREDIS_BIN", *QUICK) as m, \
                Server("MINIREDIS_BIN", *QUICK, "--replicaof", f"127.0.0.1 {m.port}") as r:
            mc, rc = RespClient(m.port), RespClient(r.port)
            mc.call("SET", "a", "1")
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            mc.call("SELECT", "3")  # the stream is in database 3 when the replica saves
            mc.call("RPUSH", "l", "x", "y")
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            self.assertEqual(rc.call("SAVE"), "OK")  # its own file, after the transferred one
            rc.close()
            r.kill9()
            mc.call("RPUSH", "l", "z")  # still database 3, and no SELECT: the stream goes on there
            mc.call("SELECT", "0")
            mc.call("SET", "b", "2")
            r.start()
            rc = RespClient(r.port)
            self.assertTrue(wait_until(lambda: in_sync(mc, rc)))
            self.assertEqual(stats(mc), (1, 1, 0))  # +CONTINUE, not a second full resync
            self.assertEqual(dataset(rc), dataset(mc))


if __name__ == "__main__":
    tap.main()
