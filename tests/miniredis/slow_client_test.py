"""Slow and non-reading clients, with the real server process (issue: reliability).

A Redis server is one thread serving everyone, so the one thing it must never do is wait for a
single client. These tests play the clients that tempt it to:
- one that pipelines requests for big replies and never reads them: everyone else keeps being
  served, and once its unsent replies pass `client-output-buffer-limit normal` it is closed;
- one that reads slowly through replies of 1, 4, 16 and 64 MiB: each arrives whole and the
  connection keeps answering afterwards (a PING after each);
- a subscriber that stops reading while a publisher keeps going: closed at the pubsub class's
  hard limit, as Redis does, while the publisher and others carry on;
- the soft limit: over it for longer than its seconds closes the client, under it does not.
No timing is asserted: "served" means "answered within a generous timeout"."""
import os
import socket
import time
import unittest

import tap
from resp_client import RespClient
from servers import Server, wait_until

MiB = 1024 * 1024


def raw_connection(port, receive_buffer=4096):
    """A socket with a small receive buffer, so the kernel cannot absorb much of what we don't read."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    s.connect(("127.0.0.1", port))
    return s


def rss(server):
    with open(f"/proc/{server.proc.pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def client_names(c):
    """The `name=` of every connected client (CLIENT LIST)."""
    listing = c.call("CLIENT", "LIST").decode()
    return [field.split("=", 1)[1] for line in listing.splitlines() for field in line.split()
            if field.startswith("name=")]


def read_reply_of(sock, size):
    """Reads one bulk reply of `size` bytes ($size\\r\\n...\\r\\n) slowly, in small pieces."""
    want = len(b"$%d\r\n" % size) + size + 2
    got = 0
    while got < want:
        chunk = sock.recv(min(256 * 1024, want - got))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (got, want))
        got += len(chunk)
    return got


class SlowClients(unittest.TestCase):
    def test_a_client_that_never_reads_does_not_stall_the_others(self):
        # Unlimited output for normal clients (Redis' default): only back-pressure protects us.
        with Server("MINIREDIS_BIN", "--save", "") as s:
            c = RespClient(s.port, timeout=10)
            c.call("SET", "big", "x" * (256 * 1024))
            hog = raw_connection(s.port)
            before = rss(s)
            hog.sendall(RespClient.encode("GET", "big") * 400)  # 100 MiB of replies it will not read
            time.sleep(0.3)
            # The whole pipeline arrived in one read, but commands stop running at 4 MiB unsent
            # (kOutputPauseBytes): the rest waits as 24-byte requests, not as 100 MiB of replies.
            self.assertLess(rss(s) - before, 32 * MiB)
            for i in range(200):  # every one answered; a server stuck in send() would time out here
                self.assertEqual(c.call("SET", f"k{i}", i), "OK")
                self.assertEqual(c.call("GET", f"k{i}"), str(i).encode())
            other = RespClient(s.port, timeout=10)  # new connections are accepted too
            self.assertEqual(other.call("PING"), "PONG")
            # SIGTERM is heard too (the loop is not parked in a blocking send).
            hog.close()
            other.close()
            c.close()
            self.assertEqual(s.stop(timeout=20), 0)

    def test_big_replies_arrive_whole_and_the_connection_goes_on(self):
        with Server("MINIREDIS_BIN", "--save", "") as s:
            c = RespClient(s.port, timeout=30)
            for size in (1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB):
                with self.subTest(size=size):
                    c.call("SET", "v", "")
                    self.assertEqual(c.call("SETRANGE", "v", size - 1, "z"), size)
                    slow = raw_connection(s.port, receive_buffer=64 * 1024)
                    slow.settimeout(30)
                    slow.sendall(RespClient.encode("GET", "v") + RespClient.encode("PING"))
                    self.assertEqual(read_reply_of(slow, size), len(b"$%d\r\n" % size) + size + 2)
                    self.assertEqual(slow.recv(7), b"+PONG\r\n")
                    slow.sendall(RespClient.encode("PING"))  # and it still answers afterwards
                    self.assertEqual(slow.recv(7), b"+PONG\r\n")
                    slow.close()
            c.close()

    def test_a_normal_client_over_its_hard_limit_is_closed(self):
        with Server("MINIREDIS_BIN", "--save", "", "--client-output-buffer-limit", "normal 512kb 0 0") as s:
            c = RespClient(s.port, timeout=10)
            c.call("SET", "big", "x" * MiB)
            hog = raw_connection(s.port)
            hog.sendall(RespClient.encode("CLIENT", "SETNAME", "hog") + RespClient.encode("GET", "big") * 64)
            self.assertTrue(wait_until(lambda: "hog" not in client_names(c), timeout=10), client_names(c))
            self.assertTrue(wait_until(lambda: "output buffer" in s.log(), timeout=10), s.log())  # read by a thread
            self.assertEqual(c.call("PING"), "PONG")
            hog.close()
            c.close()

    def test_a_subscriber_that_stops_reading_is_closed_at_the_pubsub_hard_limit(self):
        with Server("MINIREDIS_BIN", "--save", "", "--client-output-buffer-limit", "pubsub 4mb 1mb 60") as s:
            publisher = RespClient(s.port, timeout=10)
            sub = raw_connection(s.port)
            sub.sendall(RespClient.encode("CLIENT", "SETNAME", "sub") + RespClient.encode("SUBSCRIBE", "news"))
            self.assertTrue(wait_until(lambda: publisher.call("PUBSUB", "NUMSUB", "news")[1] == 1))
            message = "m" * (64 * 1024)
            receivers = []
            for _ in range(200):  # 12.5 MiB, far past the 4 MiB hard limit
                receivers.append(publisher.call("PUBLISH", "news", message))
            self.assertEqual(receivers[0], 1)
            self.assertEqual(receivers[-1], 0)  # it was closed on the way
            self.assertNotIn("sub", client_names(publisher))
            # A normal client has no limit by default: the same volume as GET replies is fine.
            self.assertEqual(publisher.call("PING"), "PONG")
            sub.close()
            publisher.close()

    def test_the_soft_limit_closes_only_after_its_seconds(self):
        with Server("MINIREDIS_BIN", "--save", "", "--client-output-buffer-limit", "normal 0 256kb 1") as s:
            c = RespClient(s.port, timeout=10)
            c.call("SET", "big", "x" * MiB)
            hog = raw_connection(s.port)
            hog.sendall(RespClient.encode("CLIENT", "SETNAME", "hog") + RespClient.encode("GET", "big") * 16)
            time.sleep(0.3)
            self.assertIn("hog", client_names(c))  # over the soft limit, but not for a second yet
            self.assertTrue(wait_until(lambda: "hog" not in client_names(c), timeout=10))
            self.assertEqual(c.call("CONFIG", "GET", "client-output-buffer-limit"),
                             [b"client-output-buffer-limit",
                              b"normal 0 262144 1 slave 268435456 67108864 60 pubsub 33554432 8388608 60"])
            hog.close()
            c.close()


if __name__ == "__main__":
    tap.main()
