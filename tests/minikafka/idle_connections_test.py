"""minikafka's idle connections hold no buffers: a session gives back its read buffer and its spare
replies when the client goes quiet, and takes them again when bytes arrive (minikafka/server.cpp).
Checked through the minikafka_connection_buffer_bytes gauge on /metrics, which sums what every
session holds: with many connections open and silent it is zero, while a client that sends a
request in pieces (a session in the middle of a frame) keeps its buffer until the frame is whole."""
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

    def buffer_bytes(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.server.admin_port}/metrics", timeout=10) as r:
            families = prometheus.parse(r.read().decode())
        return families["minikafka_connection_buffer_bytes"].value()

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

        # A request cut in two: the session holds the first half (and its buffer) meanwhile...
        sock = socks[0]
        request = api_versions(1000)
        sock.sendall(request[:7])
        self.assertTrue(wait_until(lambda: self.buffer_bytes() > 0, timeout=10))
        # ...and answers when the rest comes; then it is idle again, and holds nothing.
        sock.sendall(request[7:])
        self.assertEqual(struct.unpack(">i", read_response(sock)[:4])[0], 1000)
        self.assertTrue(wait_until(lambda: self.buffer_bytes() == 0, timeout=10))

        # Every idle connection still works.
        for i, sock in enumerate(socks):
            sock.sendall(api_versions(2000 + i))
            self.assertEqual(struct.unpack(">i", read_response(sock)[:4])[0], 2000 + i)


if __name__ == "__main__":
    tap.main()
