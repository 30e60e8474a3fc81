"""The --trace shows the group commit (issue 22): every write of an event-loop turn goes to the AOF
in one write() and, with appendfsync always, one fdatasync - before any of their replies leave.
The trace says how many commands from how many clients one write covered; rewrites are traced too."""
import socket
import unittest

import tap
from servers import Server
from traces import assert_trace_in_order, trace_lines


def send_and_read(sock, data, replies):
    """Sends `data` in one send() and reads until `replies` lines (simple replies) arrived."""
    sock.sendall(data)
    received = b""
    while received.count(b"\r\n") < replies:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


class GroupCommitTrace(unittest.TestCase):
    def setUp(self):
        self.server = Server("MINIREDIS_BIN", "--trace", "yes", "--appendonly", "yes", "--appendfsync", "always",
                             "--save", "")
        self.sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)

    def tearDown(self):
        self.sock.close()
        self.server.close()

    def test_one_write_and_fsync_covers_a_pipeline_and_comes_before_the_replies(self):
        # One send: the server reads the three commands in one turn; the GET writes nothing.
        pipeline = b"SET a 1\r\nINCR n\r\nGET a\r\nRPUSH q x\r\n"
        self.assertEqual(send_and_read(self.sock, pipeline, 4), b"+OK\r\n:1\r\n$1\r\n1\r\n:1\r\n")
        assert_trace_in_order(self, self.server, [
            r"^SET a 1 -> keyspace db0: 1 change -> AOF \+\d+ bytes -> reply \+OK",
            r"^INCR n -> .* -> AOF \+\d+ bytes",
            r"^GET a -> keyspace db0: 1 hit -> reply \$1",
            r"^RPUSH q x -> .* -> AOF \+\d+ bytes",
            r"^aof write commands=3 clients=1 bytes=\d+ -> write\(\) -> fdatasync \(appendfsync always\) -> replies",
        ])

    def test_a_turn_without_writes_has_no_aof_write(self):
        self.assertEqual(send_and_read(self.sock, b"SET k v\r\n", 1), b"+OK\r\n")
        self.assertEqual(send_and_read(self.sock, b"GET k\r\n", 2), b"$1\r\nv\r\n")
        self.assertEqual(send_and_read(self.sock, b"SET k w\r\n", 1), b"+OK\r\n")
        assert_trace_in_order(self, self.server, [
            r"^SET k v", r"^aof write commands=1 clients=1", r"^GET k", r"^SET k w", r"^aof write commands=1 clients=1",
        ])
        # The GET's turn wrote nothing, so no AOF write is reported between it and the next SET.
        lines = trace_lines(self.server)
        get = next(i for i, line in enumerate(lines) if line.startswith("GET k"))
        self.assertTrue(lines[get + 1].startswith("SET k w"), lines)

    def test_a_rewrite_is_traced_from_fork_to_rename(self):
        self.assertEqual(send_and_read(self.sock, b"SET k v\r\n", 1), b"+OK\r\n")
        self.assertTrue(send_and_read(self.sock, b"BGREWRITEAOF\r\n", 1).startswith(b"+"))
        assert_trace_in_order(self, self.server, [
            # The fork is traced while BGREWRITEAOF runs, so before the command's own line.
            r"^aof rewrite pid=\d+ -> child writes a snapshot",
            r"^BGREWRITEAOF -> reply \+Background",
            r"^aof rewrite done bytes=\d+ -> rewrite buffer appended, fsync, rename over the AOF",
        ], timeout=20)


if __name__ == "__main__":
    tap.main()
