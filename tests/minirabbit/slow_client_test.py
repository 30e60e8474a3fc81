"""Back-pressure on a client that does not read: whatever it asks for (basic.get of big messages,
deliveries to a consumer without prefetch), the broker stops reading it once its unsent output
piles up, its memory stays bounded, and everybody else keeps being served meanwhile."""
import os
import socket
import struct
import threading
import unittest

import pika

import tap
from amqp_raw import RawClient, method, shortstr
from servers import Server, wait_until

MIB = 1 << 20

# In the sanitizer build, freed memory sits in ASan's quarantine (256 MB by default) and the
# bodies passed through a queue would look like growth: keep it small for the broker we start.
# (No effect on a release build.)
os.environ["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=8"]))


def peak_rss(pid):
    """VmHWM: the most resident memory the process ever had (its high-water mark)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def stalled_client(port):
    """A raw client with a tiny receive buffer that will never read again after its set-up."""
    client = RawClient(port)
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.sock.sendall(method(1, 20, 10, shortstr(b"")))  # channel.open
    client.expect_method(20, 11)
    return client


def send_until_refused(sock, data, times):
    """Sends `data` up to `times` times; stops early when the broker stops reading us. Returns the count."""
    sock.settimeout(3)
    sent = 0
    try:
        while sent < times:
            sock.sendall(data)
            sent += 1
    except socket.timeout:
        pass
    return sent


class SlowClients(unittest.TestCase):
    def setUp(self):
        self.server = Server("MINIRABBIT_BIN")
        self.pika = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=self.server.port))
        self.channel = self.pika.channel()

    def tearDown(self):
        if self.pika.is_open:
            self.pika.close()
        self.server.close()

    def others_are_served(self, queue):
        """A normal pika client publishes and consumes 50 messages (generous timeouts)."""
        ch = self.channel
        ch.queue_declare(queue)
        for i in range(50):
            ch.basic_publish("", queue, f"m{i}".encode())
        got = []
        ch.basic_consume(queue, lambda c, m, p, body: got.append(body), auto_ack=True)
        self.assertTrue(wait_until(lambda: self.pika.process_data_events(0.05) or len(got) == 50, timeout=30))
        self.assertEqual(got, [f"m{i}".encode() for i in range(50)])

    def test_basic_get_of_big_messages_without_reading_stops_being_read(self):
        self.channel.queue_declare("big")
        self.channel.basic_publish("", "big", b"b" * MIB)
        baseline = peak_rss(self.server.proc.pid)
        hostile = stalled_client(self.server.port)
        # basic.get (ack mode) + basic.recover(requeue): each pair asks for the same 1 MiB message
        # again. 600 pairs are 24 KB on the wire - the broker reads them in one go - and 600 MiB
        # of get-ok if it answered them all into memory.
        get = method(1, 60, 70, struct.pack(">H", 0) + shortstr(b"big") + b"\x00")
        recover = method(1, 60, 110, b"\x01")
        sender = threading.Thread(target=send_until_refused, args=(hostile.sock, (get + recover) * 600, 1))
        sender.start()
        self.others_are_served("others-get")
        sender.join()
        grown = peak_rss(self.server.proc.pid) - baseline
        self.assertLess(grown, 120 * MIB, f"broker peaked {grown} bytes above its baseline")
        hostile.sock.close()

    def test_a_consumer_without_prefetch_that_never_reads_leaves_messages_to_others(self):
        ch = self.channel
        ch.queue_declare("shared")
        hostile = stalled_client(self.server.port)
        # basic.consume, ack mode, no basic.qos: nothing but the socket limits what it gets.
        hostile.sock.sendall(method(1, 60, 20, struct.pack(">H", 0) + shortstr(b"shared") + shortstr(b"stalled") +
                                    b"\x00" + struct.pack(">I", 0)))
        hostile.expect_method(60, 21)
        baseline = peak_rss(self.server.proc.pid)
        got = []
        ch.basic_consume("shared", lambda c, m, p, body: got.append(len(body)), auto_ack=True)
        body = b"c" * (256 * 1024)
        for _ in range(200):  # 50 MiB offered to two consumers, one of which reads nothing
            ch.basic_publish("", "shared", body)
        # Round-robin would give the stalled consumer half; its full socket sends them to the other.
        self.assertTrue(wait_until(lambda: self.pika.process_data_events(0.05) or len(got) >= 150, timeout=60),
                        f"the reading consumer got only {len(got)} of 200")
        grown = peak_rss(self.server.proc.pid) - baseline
        self.assertLess(grown, 120 * MIB, f"broker peaked {grown} bytes above its baseline")
        self.others_are_served("others-consume")
        hostile.sock.close()


if __name__ == "__main__":
    tap.main()
