"""Flow control: above the memory watermark publishing connections get connection.blocked (and
are not read from) until queues drain; a consumer that stops reading its socket does not make the
broker's memory grow without bound."""
import base64
import json
import socket
import struct
import unittest
import urllib.request

import pika

import tap
from amqp_raw import RawClient, frame, method, shortstr
from servers import Server, wait_until


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class FlowControl(unittest.TestCase):
    def setUp(self):
        self.server = Server("MINIRABBIT_BIN", "--vm-memory-high-watermark", "4mb")

    def tearDown(self):
        self.server.close()

    def connect(self):
        return pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=self.server.port))

    def test_publishers_are_blocked_above_the_watermark_and_unblocked_when_it_drains(self):
        publisher = self.connect()
        events = []
        publisher.add_on_connection_blocked_callback(lambda conn, frame: events.append("blocked"))
        publisher.add_on_connection_unblocked_callback(lambda conn, frame: events.append("unblocked"))
        channel = publisher.channel()
        channel.queue_declare("big")
        # 4.5 MB of bodies: just over the 4 MB watermark. (More would block basic_publish itself once
        # the broker stops reading and the socket buffers fill - which is the point of blocking.)
        for _ in range(45):
            channel.basic_publish("", "big", b"x" * 100_000)
        self.assertTrue(wait_until(lambda: publisher.process_data_events(0.05) or "blocked" in events, timeout=10))
        self.assertTrue(wait_until(lambda: "memory alarm set" in self.server.log(), timeout=5))
        # A consumer-only connection is not blocked: it drains the queue, which clears the alarm.
        consumer = self.connect()
        consumer.channel().queue_purge("big")
        self.assertTrue(wait_until(lambda: publisher.process_data_events(0.05) or "unblocked" in events, timeout=10))
        self.assertEqual(events[:2], ["blocked", "unblocked"])
        consumer.close()
        publisher.close()

    def test_a_consumer_that_never_reads_does_not_grow_broker_memory_without_bound(self):
        # A raw client subscribes with no-ack, then never reads its socket again.
        stalled = RawClient(self.server.port)
        stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sock.sendall(method(1, 20, 10, shortstr(b"")))
        stalled.expect_method(20, 11)
        stalled.sock.sendall(method(1, 50, 10, struct.pack(">H", 0) + shortstr(b"firehose") + b"\x00" +
                                    struct.pack(">I", 0)))
        stalled.expect_method(50, 11)
        stalled.sock.sendall(method(1, 60, 20, struct.pack(">H", 0) + shortstr(b"firehose") + shortstr(b"") +
                                    b"\x02" + struct.pack(">I", 0)))  # no-ack consumer
        stalled.expect_method(60, 21)
        baseline = rss_bytes(self.server.proc.pid)
        # A raw publisher offers up to 100 MB and stops when the broker stops reading it.
        publisher = RawClient(self.server.port)
        publisher.sock.sendall(method(1, 20, 10, shortstr(b"")))
        publisher.expect_method(20, 11)
        body = b"y" * 100_000
        publish = (method(1, 60, 40, struct.pack(">H", 0) + shortstr(b"") + shortstr(b"firehose") + b"\x00") +
                   frame(2, 1, struct.pack(">HHQH", 60, 0, len(body), 0)) + frame(3, 1, body))
        publisher.sock.settimeout(2)
        sent = 0
        try:
            while sent < 1000:
                publisher.sock.sendall(publish)
                sent += 1
        except socket.timeout:
            pass
        self.assertLess(sent, 1000, "the broker never stopped reading the publisher")
        self.assertTrue(wait_until(lambda: "memory alarm set" in self.server.log(), timeout=10))
        grown = rss_bytes(self.server.proc.pid) - baseline
        self.assertLess(grown, 40 * 1024 * 1024, f"broker grew by {grown} bytes")
        publisher.sock.close()
        stalled.sock.close()

    def test_half_sent_bodies_count_towards_the_watermark(self):
        # Big publishes started on many channels and never finished: buffered, counted, blocked.
        client = RawClient(self.server.port)
        chunk = b"z" * 100_000
        client.sock.settimeout(2)
        try:
            for channel in range(1, 61):  # 6 MB in, pipelined; the replies are not read
                client.sock.sendall(method(channel, 20, 10, shortstr(b"")) +
                                    method(channel, 60, 40, struct.pack(">H", 0) + shortstr(b"") + shortstr(b"q") +
                                           b"\x00") +
                                    frame(2, channel, struct.pack(">HHQH", 60, 0, 10_000_000, 0)) +
                                    frame(3, channel, chunk))
        except socket.timeout:
            pass  # blocked: the broker stopped reading us
        self.assertTrue(wait_until(lambda: "memory alarm set" in self.server.log(), timeout=10))
        client.sock.close()  # its channels go, and their buffers with them
        self.assertTrue(wait_until(lambda: "memory alarm cleared" in self.server.log(), timeout=10))

    def test_a_client_that_never_reads_replies_stops_being_read(self):
        client = RawClient(self.server.port)
        client.sock.sendall(method(1, 20, 10, shortstr(b"")))
        client.expect_method(20, 11)
        declare = method(1, 50, 10, struct.pack(">H", 0) + shortstr(b"echo") + b"\x00" + struct.pack(">I", 0))
        batch = declare * 10_000  # 10,000 queue.declare, about 300 KB of replies per batch
        baseline = rss_bytes(self.server.proc.pid)
        client.sock.settimeout(2)
        batches = 0
        try:
            while batches < 300:  # would be 90 MB of replies nobody reads
                client.sock.sendall(batch)
                batches += 1
        except socket.timeout:
            pass
        self.assertLess(batches, 300, "the broker kept reading a client that reads nothing")
        grown = rss_bytes(self.server.proc.pid) - baseline
        self.assertLess(grown, 40 * 1024 * 1024, f"broker grew by {grown} bytes")
        # Everyone else is unaffected.
        other = self.connect()
        other.channel().queue_declare("still-serving")
        other.close()
        client.sock.close()


class MemoryAlarm(unittest.TestCase):
    """The alarm measures the process's memory, not only message bodies (vm_memory_high_watermark)."""

    def setUp(self):
        self.server = Server("MINIRABBIT_BIN", "--vm-memory-high-watermark", "8mb", "--admin-port", "0")

    def tearDown(self):
        self.server.close()

    def node(self):
        request = urllib.request.Request(f"http://127.0.0.1:{self.server.admin_port}/api/nodes")
        request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)[0]

    def test_many_small_messages_raise_the_alarm_on_what_they_really_cost(self):
        publisher = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=self.server.port))
        events = []
        publisher.add_on_connection_blocked_callback(lambda conn, frame: events.append("blocked"))
        publisher.add_on_connection_unblocked_callback(lambda conn, frame: events.append("unblocked"))
        channel = publisher.channel()
        channel.exchange_declare("many", "fanout")
        queues = [f"small-{i}" for i in range(8)]
        for queue in queues:
            channel.queue_declare(queue)
            channel.queue_bind(queue, "many")
        # Each 1-byte message is one Message (about 50 bytes: all the old alarm counted) and an
        # entry in eight queues. 60,000 of them are 3 MB of messages - under the 8 MB watermark -
        # and several times that in memory really used.
        published = 0
        while published < 60_000 and "blocked" not in events:
            for _ in range(1000):
                channel.basic_publish("many", "", b"x")
            published += 1000
            publisher.process_data_events(0)
        self.assertTrue(wait_until(lambda: publisher.process_data_events(0.05) or "blocked" in events, timeout=10),
                        f"not blocked after {published} messages")
        self.assertTrue(wait_until(lambda: "memory alarm set" in self.server.log(), timeout=5))
        node = self.node()
        self.assertTrue(node["mem_alarm"])
        self.assertGreater(node["mem_used"], node["mem_limit"])
        self.assertLess(node["message_memory_bytes"], node["mem_limit"])  # the bodies alone are under it
        # A consumer-only connection is not blocked: emptying the queues clears the alarm.
        consumer = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=self.server.port))
        for queue in queues:
            consumer.channel().queue_purge(queue)
        self.assertTrue(wait_until(lambda: publisher.process_data_events(0.05) or "unblocked" in events, timeout=10))
        self.assertEqual(events[:2], ["blocked", "unblocked"])

        # Publishes the client sent while blocked were waiting unread in the socket; unblocked, the
        # broker reads and routes them, which can raise the alarm once more. Purge until it stays down.
        def drained():
            for queue in queues:
                consumer.channel().queue_purge(queue)
            publisher.process_data_events(0.05)
            return not self.node()["mem_alarm"]

        self.assertTrue(wait_until(drained, timeout=20, interval=0.2))
        check = consumer.channel()
        check.queue_declare("after")
        channel.basic_publish("", "after", b"publishing goes on")
        self.assertTrue(wait_until(lambda: publisher.process_data_events(0.05) or
                                   check.queue_declare("after", passive=True).method.message_count == 1))
        consumer.close()
        publisher.close()


if __name__ == "__main__":
    tap.main()
