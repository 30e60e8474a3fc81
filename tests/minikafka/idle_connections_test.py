"""minikafka's idle connections hold no buffers and no coroutines: a session gives back its read
buffer and its spare replies when the client goes quiet, and its two coroutines end (it
hibernates, minikafka/server.cpp); bytes arriving start them again. Checked through two gauges on
/metrics: minikafka_connection_buffer_bytes, the sum of what every session holds, is zero with many
connections open and silent, and minikafka_connections_hibernating counts every one of them; a
client that sends a request in pieces (a session in the middle of a frame) keeps its buffer and
its coroutines until the frame is whole."""
import socket
import struct
import unittest
import urllib.request

import prometheus
import tap
from servers import Server, recv_exactly, wait_until

CONNECTIONS = 50


def api_versions(correlation):
    client = b"idle-test"
    header = struct.pack(">hhih", 18, 0, correlation, len(client)) + client
    return struct.pack(">i", len(header)) + header


def read_response(sock):
    size = struct.unpack(">i", recv_exactly(sock, 4))[0]
    return recv_exactly(sock, size)



class IdleConnections(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIKAFKA_BIN", "--admin-port", "0")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def gauge(self, name):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.server.admin_port}/metrics", timeout=10) as r:
            families = prometheus.parse(r.read().decode())
        return families[name].value()

    def buffer_bytes(self):
        return self.gauge("minikafka_connection_buffer_bytes")

    def hibernating(self):
        return self.gauge("minikafka_connections_hibernating")

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.server.port))
        self.addCleanup(sock.close)
        return sock

    def test_idle_connections_hold_no_buffers(self):
        socks = [self.connect() for _ in range(CONNECTIONS)]
        for i, sock in enumerate(socks):  # every session has read a request and written a reply
            sock.sendall(api_versions(i))
            self.assertEqual(struct.unpack(">i", read_response(sock)[:4])[0], i)
        # The writer lets go of its spare reply just after the send the client has already read:
        # wait for that, rather than for a time.
        released = wait_until(lambda: self.buffer_bytes() == 0, timeout=10)
        self.assertTrue(released, f"idle sessions still hold {self.buffer_bytes():.0f} bytes")
        # ...and every silent session hibernates (the /metrics connection itself is another port).
        asleep = wait_until(lambda: self.hibernating() == CONNECTIONS, timeout=10)
        self.assertTrue(asleep, f"{self.hibernating():.0f} of {CONNECTIONS} idle sessions hibernate")

        # A request cut in two: the session holds the first half (and its buffer) meanwhile...
        sock = socks[0]
        request = api_versions(1000)
        sock.sendall(request[:7])
        self.assertTrue(wait_until(lambda: self.buffer_bytes() > 0, timeout=10))
        self.assertTrue(wait_until(lambda: self.hibernating() == CONNECTIONS - 1, timeout=10))
        # ...and answers when the rest comes; then it is idle again, and holds nothing.
        sock.sendall(request[7:])
        self.assertEqual(struct.unpack(">i", read_response(sock)[:4])[0], 1000)
        self.assertTrue(wait_until(lambda: self.buffer_bytes() == 0, timeout=10))
        self.assertTrue(wait_until(lambda: self.hibernating() == CONNECTIONS, timeout=10))

        # Every idle connection still works, pipelined requests included (a woken session reads
        # everything that arrived while it slept).
        for i, sock in enumerate(socks):
            sock.sendall(api_versions(2000 + i) + api_versions(3000 + i))
            self.assertEqual(struct.unpack(">i", read_response(sock)[:4])[0], 2000 + i)
            self.assertEqual(struct.unpack(">i", read_response(sock)[:4])[0], 3000 + i)

        # A client that closes a hibernating connection ends its session (the wait sees the FIN).
        for sock in socks[:10]:
            sock.close()
        self.assertTrue(wait_until(lambda: self.hibernating() == CONNECTIONS - 10, timeout=10),
                        f"{self.hibernating():.0f} hibernating after 10 of {CONNECTIONS} closed")


if __name__ == "__main__":
    tap.main()
