"""The wire itself, with a raw socket: bad protocol headers, garbage, oversized frames, frames out of
order, and heartbeats. A broken client gets a clear error and is disconnected; others carry on."""
import socket
import struct
import time

import pika

import tap
from cases import MinirabbitTest
from servers import wait_until

from amqp_raw import HEADER, RawClient, frame, method, shortstr


class ProtocolEdges(MinirabbitTest):
    def pika(self):
        return pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=self.server.port))

    def test_wrong_protocol_header_gets_ours_back_and_a_close(self):
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
        self.assertEqual(sock.recv(100), HEADER)
        self.assertEqual(sock.recv(100), b"")

    def test_garbage_frames_close_that_connection_only(self):
        bystander = self.pika()
        channel = bystander.channel()
        channel.queue_declare("bystander")
        client = RawClient(self.server.port)
        client.sock.sendall(b"\x07garbage garbage garbage")
        code, text = client.expect_close()
        self.assertEqual(code, 501)
        self.assertIn("FRAME_ERROR", text)
        self.assertTrue(client.closed_by_peer())
        channel.basic_publish("", "bystander", b"still here")
        self.assertEqual(channel.basic_get("bystander", auto_ack=True)[2], b"still here")
        bystander.close()

    def test_a_frame_above_frame_max_is_refused_without_reading_it(self):
        client = RawClient(self.server.port)
        client.sock.sendall(struct.pack(">BHI", 1, 1, 200_000_000))  # 200 MB announced, never sent
        code, _ = client.expect_close()
        self.assertEqual(code, 501)
        self.assertTrue(client.closed_by_peer())

    def test_unknown_method_is_540_and_orphan_content_is_505(self):
        client = RawClient(self.server.port)
        client.sock.sendall(method(1, 20, 10, shortstr(b"")))
        client.expect_method(20, 11)  # channel.open-ok
        client.sock.sendall(method(1, 60, 999))
        self.assertEqual(client.expect_close()[0], 540)
        client = RawClient(self.server.port)
        client.sock.sendall(method(1, 20, 10, shortstr(b"")))
        client.expect_method(20, 11)
        client.sock.sendall(frame(3, 1, b"a body without a publish"))
        self.assertEqual(client.expect_close()[0], 505)

    def test_opening_a_channel_twice_is_504(self):
        client = RawClient(self.server.port)
        client.sock.sendall(method(1, 20, 10, shortstr(b"")))
        client.expect_method(20, 11)
        client.sock.sendall(method(1, 20, 10, shortstr(b"")))
        self.assertEqual(client.expect_close()[0], 504)

    def test_reusing_a_consumer_tag_on_a_channel_is_530(self):
        client = RawClient(self.server.port)
        client.sock.sendall(method(1, 20, 10, shortstr(b"")))
        client.expect_method(20, 11)
        client.sock.sendall(method(1, 50, 10, struct.pack(">H", 0) + shortstr(b"tags") + b"\x00" +
                                   struct.pack(">I", 0)))
        client.expect_method(50, 11)
        consume = method(1, 60, 20, struct.pack(">H", 0) + shortstr(b"tags") + shortstr(b"dup") + b"\x00" +
                         struct.pack(">I", 0))
        client.sock.sendall(consume)
        client.expect_method(60, 21)
        client.sock.sendall(consume)
        code, text = client.expect_close()
        self.assertEqual((code, text), (530, "NOT_ALLOWED - attempt to reuse consumer tag 'dup'"))

    def test_truncated_method_arguments_are_502(self):
        client = RawClient(self.server.port)
        client.sock.sendall(method(1, 20, 10, shortstr(b"")))
        client.expect_method(20, 11)
        client.sock.sendall(method(1, 50, 10, b"\x00\x00\x40queue"))  # queue name claims 64 bytes
        code, text = client.expect_close()
        self.assertEqual(code, 502)

    def test_the_broker_sends_heartbeats_when_idle(self):
        client = RawClient(self.server.port, heartbeat=1)
        started = time.monotonic()
        kind, channel, payload = client.read_frame(timeout=5)
        self.assertEqual((kind, channel, payload), (8, 0, b""))
        self.assertLess(time.monotonic() - started, 5)

    def test_a_silent_peer_is_dropped_and_its_unacked_messages_requeued(self):
        connection = self.pika()
        channel = connection.channel()
        channel.queue_declare("heartbeat-q")
        channel.basic_publish("", "heartbeat-q", b"in flight")
        client = RawClient(self.server.port, heartbeat=1)
        client.sock.sendall(method(1, 20, 10, shortstr(b"")))
        client.expect_method(20, 11)
        client.sock.sendall(method(1, 60, 70, struct.pack(">H", 0) + shortstr(b"heartbeat-q") + b"\x00"))
        client.expect_method(60, 71)  # basic.get-ok: the message is now unacked by the silent client
        self.assertEqual(channel.queue_declare("heartbeat-q", passive=True).method.message_count, 0)
        # The client never sends a heartbeat: after two intervals the broker hangs up.
        self.assertTrue(client.closed_by_peer(timeout=10))
        count = lambda: channel.queue_declare("heartbeat-q", passive=True).method.message_count
        self.assertTrue(wait_until(lambda: count() == 1, timeout=5))
        method_frame, _, body = channel.basic_get("heartbeat-q", auto_ack=True)
        self.assertTrue(method_frame.redelivered)
        connection.close()


if __name__ == "__main__":
    tap.main()
