"""minikafka at the byte level: ApiVersions v0 and v3 (with the UNSUPPORTED_VERSION fallback a
newer client relies on), pipelined requests answered in order, and bad input - an oversized or
malformed request, an unknown API - closing only that connection while others keep working."""
import re
import socket
import struct
import time
import unittest
import urllib.request

import tap
from junk_requests import record_batch
from servers import Server, recv_exactly, wait_until


def frame(api_key, version, correlation_id, body=b"", client_id=b"wire-test", flexible=False):
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    if flexible:
        header += b"\x00"  # header v2: empty tagged fields
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def read_response(sock):
    size = struct.unpack(">i", recv_exactly(sock, 4))[0]
    return recv_exactly(sock, size)



def api_versions_v0(payload):
    correlation, error, count = struct.unpack(">ihi", payload[:10])
    apis = {}
    for i in range(count):
        key, lo, hi = struct.unpack(">hhh", payload[10 + 6 * i:16 + 6 * i])
        apis[key] = (lo, hi)
    return correlation, error, apis


class Wire(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIKAFKA_BIN", "--socket.request.max.bytes", "65536", "--admin-port", "0")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        self.addCleanup(sock.close)
        return sock

    def test_api_versions_v0_lists_what_we_speak(self):
        sock = self.connect()
        sock.sendall(frame(18, 0, 1))
        correlation, error, apis = api_versions_v0(read_response(sock))
        self.assertEqual((correlation, error), (1, 0))
        self.assertEqual(apis[18], (0, 3))
        self.assertIn(3, apis)  # Metadata

    def test_api_versions_v3_is_flexible_and_its_response_header_is_v0(self):
        sock = self.connect()
        body = b"\x05kcat\x061.7.1\x00"  # compact strings + tagged fields
        sock.sendall(frame(18, 3, 9, body, flexible=True))
        payload = read_response(sock)
        correlation, error = struct.unpack(">ih", payload[:6])
        self.assertEqual((correlation, error), (9, 0))
        count = payload[6] - 1  # compact array: N+1
        self.assertGreaterEqual(count, 2)
        # each entry: key, min, max (6 bytes) + tagged fields (1 byte); then throttle + tags
        self.assertEqual(len(payload), 7 + 7 * count + 4 + 1)

    def test_newer_api_versions_gets_unsupported_version_in_v0_layout(self):
        sock = self.connect()
        sock.sendall(frame(18, 99, 5, b"whatever", flexible=True))
        correlation, error, apis = api_versions_v0(read_response(sock))
        self.assertEqual((correlation, error), (5, 35))
        self.assertEqual(apis[18], (0, 3))

    def test_pipelined_requests_are_answered_in_order(self):
        sock = self.connect()
        sock.sendall(b"".join(frame(18, i % 3, 100 + i) for i in range(50)))
        for i in range(50):
            self.assertEqual(struct.unpack(">i", read_response(sock)[:4])[0], 100 + i)

    def test_a_metadata_queued_behind_a_parked_fetch_is_answered_at_its_turn(self):
        """Its answer cannot leave before the Fetch's, so it is built when it can: it lists a
        topic created after it came (server.cpp, "answered at its turn")."""
        setup, polling = self.connect(), self.connect()
        setup.sendall(frame(3, 4, 1, struct.pack(">ih", 1, 4) + b"slow" + b"\x01"))  # auto-create
        read_response(setup)
        fetch = struct.pack(">iiiib", -1, 60000, 1, 1 << 20, 0) + struct.pack(">i", 1) + \
            struct.pack(">h", 4) + b"slow" + struct.pack(">iiqi", 1, 0, 0, 1 << 20)
        before = requests_of(self.server, "Metadata")
        polling.sendall(frame(1, 4, 2, fetch) + frame(3, 1, 3, struct.pack(">i", -1)))  # Metadata: all topics
        self.assertTrue(wait_until(lambda: requests_of(self.server, "Metadata") > before))  # it has come
        setup.sendall(frame(3, 4, 4, struct.pack(">ih", 1, 5) + b"later" + b"\x01"))
        self.assertIn(b"later", read_response(setup))
        batch = record_batch(7, 0)  # an append to "slow" wakes the Fetch
        setup.sendall(frame(0, 3, 5, struct.pack(">hhii", -1, 1, 5000, 1) + struct.pack(">h", 4) + b"slow" +
                            struct.pack(">iii", 1, 0, len(batch)) + batch))
        read_response(setup)
        self.assertEqual(struct.unpack(">i", read_response(polling)[:4])[0], 2)
        metadata = read_response(polling)
        self.assertEqual(struct.unpack(">i", metadata[:4])[0], 3)
        self.assertIn(b"later", metadata)

    def assert_closed(self, sock):
        sock.settimeout(10)
        try:
            self.assertEqual(sock.recv(1), b"")
        except ConnectionResetError:
            pass

    def test_oversized_request_closes_only_that_connection(self):
        bad, good = self.connect(), self.connect()
        bad.sendall(struct.pack(">i", 10_000_000) + b"x" * 100)
        self.assert_closed(bad)
        good.sendall(frame(18, 0, 2))
        self.assertEqual(api_versions_v0(read_response(good))[:2], (2, 0))

    def test_truncated_body_and_unknown_api_close_the_connection(self):
        for request in (frame(3, 4, 1, b"\x00\x00\x00\x05\x00"),  # 5 topics announced, none sent
                        frame(999, 0, 1),
                        frame(3, 99, 1),  # Metadata v99
                        struct.pack(">i", -5)):
            sock = self.connect()
            sock.sendall(request)
            self.assert_closed(sock)
        sock = self.connect()
        sock.sendall(frame(18, 0, 3))
        self.assertEqual(api_versions_v0(read_response(sock))[:2], (3, 0))


def requests_of(server, api):
    text = urllib.request.urlopen(f"http://127.0.0.1:{server.admin_port}/metrics").read().decode()
    m = re.search(r'^minikafka_requests_by_api_total\{api="%s"[^}]*\} (\S+)' % api, text, re.M)
    return int(float(m.group(1))) if m else 0


def requests_handled(server):
    text = urllib.request.urlopen(f"http://127.0.0.1:{server.admin_port}/metrics").read().decode()
    return int(float(re.search(r"^minikafka_requests_total (\S+)", text, re.M).group(1)))


def stopped_reading(server):
    """The request count once it stays put for 0.3 s (else None)."""
    count = requests_handled(server)
    time.sleep(0.3)
    return count if count == requests_handled(server) else None


class Backpressure(unittest.TestCase):
    def test_a_client_that_does_not_read_stops_being_read_once_16_mb_of_replies_wait(self):
        server = Server("MINIKAFKA_BIN", "--admin-port", "0")
        self.addCleanup(server.close)
        # 400 topics with 200-character names: each Metadata (all topics) reply is ~100 KB.
        names = [f"{i:04d}".ljust(200, "t") for i in range(400)]
        create = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.addCleanup(create.close)
        body = struct.pack(">i", len(names)) + b"".join(
            struct.pack(">h", len(n)) + n.encode() + struct.pack(">ihii", 1, 1, 0, 0) for n in names)
        create.sendall(frame(19, 0, 1, body + struct.pack(">i", 30000)))  # CreateTopics v0
        read_response(create)

        before = requests_handled(server)
        flood = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.addCleanup(flood.close)
        all_topics = struct.pack(">i", -1)  # Metadata v1: null = every topic
        flood.sendall(b"".join(frame(3, 1, i, all_topics) for i in range(2000)))  # and read nothing
        # The broker takes requests until ~16 MB of replies wait (plus what the socket buffers
        # hold), then stops reading: with 1024 queued replies allowed it took over 100 MB.
        self.assertTrue(wait_until(lambda: requests_handled(server) - before > 100))
        handled = wait_until(lambda: stopped_reading(server), 15) - before
        self.assertGreater(handled, 100)  # 16 MB of ~100 KB replies, each in a 128 KiB buffer
        self.assertLess(handled, 500)

        # Others are served meanwhile; the flooding client gets every reply, in order, once it reads.
        other = self.connect_to(server)
        other.sendall(frame(18, 0, 7))
        self.assertEqual(api_versions_v0(read_response(other))[:2], (7, 0))
        for i in range(2000):
            self.assertEqual(struct.unpack(">i", read_response(flood)[:4])[0], i)

    def test_parked_fetches_count_what_they_hold(self):
        server = Server("MINIKAFKA_BIN", "--admin-port", "0")
        self.addCleanup(server.close)
        setup = self.connect_to(server)
        setup.sendall(frame(3, 4, 1, struct.pack(">ih", 1, 6) + b"parked" + b"\x01"))  # auto-create
        read_response(setup)
        # Fetch v4 at the log end, waiting up to 60 s, naming partition 0 60,000 times (~1 MB).
        partitions = struct.pack(">iqi", 0, 0, 1024) * 60_000
        fetch = struct.pack(">iiiib", -1, 60000, 1, 1 << 20, 0) + struct.pack(">ih", 1, 6) + b"parked" + \
            struct.pack(">i", 60_000) + partitions
        before = requests_handled(server)
        flood = self.connect_to(server)
        flood.settimeout(5)
        try:
            for i in range(60):  # 57 MB; the broker stops reading long before
                flood.sendall(frame(1, 4, i, fetch))
        except socket.timeout:
            pass
        handled = wait_until(lambda: stopped_reading(server), 15) - before
        # Each parked fetch holds its partition list: a few fill the connection's 16 MB.
        self.assertLess(handled, 20)
        other = self.connect_to(server)
        other.sendall(frame(18, 0, 7))
        self.assertEqual(api_versions_v0(read_response(other))[:2], (7, 0))

    def connect_to(self, server):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.addCleanup(sock.close)
        return sock


class Stop(unittest.TestCase):
    def test_sigterm_with_open_connections_and_a_waiting_fetch_exits_0(self):
        server = Server("MINIKAFKA_BIN", "--trace", "true")
        try:
            idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            polling = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            metadata = struct.pack(">i", 1) + struct.pack(">h", 4) + b"stop" + b"\x01"  # v4, auto-create
            polling.sendall(frame(3, 4, 1, metadata))
            read_response(polling)
            # Fetch v4 at the log end with max_wait 30 s: it is held open when SIGTERM arrives.
            fetch = struct.pack(">iiiib", -1, 30000, 1, 1 << 20, 0) + struct.pack(">i", 1) + \
                struct.pack(">h", 4) + b"stop" + struct.pack(">iiqi", 1, 0, 0, 1 << 20)
            polling.sendall(frame(1, 4, 2, fetch))
            self.assertTrue(wait_until(lambda: "waiting up to max_wait_ms=30000" in server.log()), server.log())
            self.assertEqual(server.stop(), 0)
            self.assertIn("stopped", server.log())
            idle.close()
            polling.close()
        finally:
            server.close()


if __name__ == "__main__":
    tap.main()
