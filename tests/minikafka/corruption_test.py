"""Corruption is never mistaken for a torn tail: records produced with confluent-kafka, the broker
stopped, one byte flipped in the middle of the segment - the next start exits 1 naming the file
and the byte, and changes nothing; `minikafka --repair` keeps a backup and cuts there, after which
the broker starts and a consumer reads exactly the records before the damaged batch. A torn tail
(half a batch appended after a kill -9) is still cut by the start itself."""
import os
import struct
import subprocess
import time
import unittest

from confluent_kafka import Consumer, Producer, TopicPartition

import tap
from servers import Server

BATCHES, PER_BATCH = 8, 10


def produce_batches(bootstrap, topic, batches, first=0):
    """`batches` batches of PER_BATCH records each (one flush per batch)."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1000, "acks": "all"})
    for b in range(batches):
        for i in range(PER_BATCH):
            producer.produce(topic, value=f"record-{first + b * PER_BATCH + i}")
        assert producer.flush(10) == 0


def read_all(bootstrap, topic, timeout=20):
    """Every record of partition 0, from the start to the high watermark."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "enable.auto.commit": False})
    _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    consumer.assign([TopicPartition(topic, 0, 0)])
    values = []
    deadline = time.monotonic() + timeout
    while len(values) < high and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and not message.error():
            values.append(message.value().decode())
    consumer.close()
    return high, values


def batch_positions(path):
    """(byte position, base offset) of each batch in a .log file: baseOffset INT64, length INT32."""
    with open(path, "rb") as f:
        data = f.read()
    at, batches = 0, []
    while at + 12 <= len(data):
        base, length = struct.unpack(">qi", data[at:at + 12])
        batches.append((at, base))
        at += 12 + length
    return batches


class Corruption(unittest.TestCase):
    def setUp(self):
        self.server = Server("MINIKAFKA_BIN")
        self.binary = self.server.binary
        self.segment = os.path.join(self.server.dir, "events-0", "00000000000000000000.log")

    def tearDown(self):
        self.server.close()

    def run_broker(self, *args):
        return subprocess.run([self.binary, "--port", "0", "--dir", self.server.dir, *args],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)

    def test_a_flip_in_the_middle_refuses_to_start_and_repair_keeps_the_records_before_it(self):
        produce_batches(f"127.0.0.1:{self.server.port}", "events", BATCHES)
        self.assertEqual(self.server.stop(), 0)
        # The client decides how records group into batches: damage one in the middle.
        batches = batch_positions(self.segment)
        self.assertGreaterEqual(len(batches), 3)
        damaged_index = len(batches) // 2
        position, base = batches[damaged_index]
        records_after = BATCHES * PER_BATCH - batches[damaged_index + 1][1]
        with open(self.segment, "r+b") as f:
            f.seek(position + 70)  # inside the records, under the CRC
            byte = f.read(1)
            f.seek(position + 70)
            f.write(bytes([byte[0] ^ 0x5A]))
        with open(self.segment, "rb") as f:
            damaged = f.read()

        refused = self.run_broker()
        self.assertEqual(refused.returncode, 1, refused.stdout)
        self.assertIn(f"{self.segment}: corrupt at byte {position}: CRC mismatch", refused.stdout)
        self.assertIn("--repair", refused.stdout)
        with open(self.segment, "rb") as f:
            self.assertEqual(f.read(), damaged)  # the evidence stays

        repaired = subprocess.run([self.binary, "--repair", "--dir", self.server.dir], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=30)
        self.assertEqual(repaired.returncode, 0, repaired.stdout)
        self.assertIn(f"cut {self.segment} at byte {position}: {len(damaged) - position} bytes, {records_after} records",
                      repaired.stdout)
        with open(self.segment + ".corrupt", "rb") as f:
            self.assertEqual(f.read(), damaged)

        self.server.start()
        high, values = read_all(f"127.0.0.1:{self.server.port}", "events")
        self.assertEqual(high, base)
        self.assertEqual(values, [f"record-{i}" for i in range(base)])

    def test_a_torn_tail_recovers_by_itself(self):
        bootstrap = f"127.0.0.1:{self.server.port}"
        produce_batches(bootstrap, "events", 3)
        self.server.kill9()
        with open(self.segment, "rb") as f:
            first_batch = f.read(batch_positions(self.segment)[1][0])
        with open(self.segment, "ab") as f:
            f.write(first_batch[: len(first_batch) // 2])  # an append a crash cut in half
        self.server.start()
        self.assertIn(f"{self.segment}: torn tail at byte", self.server.log())
        bootstrap = f"127.0.0.1:{self.server.port}"
        produce_batches(bootstrap, "events", 1, first=3 * PER_BATCH)
        high, values = read_all(bootstrap, "events")
        self.assertEqual(high, 4 * PER_BATCH)
        self.assertEqual(values, [f"record-{i}" for i in range(4 * PER_BATCH)])

    def test_repair_without_a_usable_directory_is_a_usage_error(self):
        result = subprocess.run([self.binary, "--repair", "--dir", os.path.join(self.server.dir, "missing")],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        self.assertEqual(result.returncode, 2, result.stdout)
        result = subprocess.run([self.binary, "--repair"], cwd=self.server.dir, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=30)
        self.assertEqual(result.returncode, 2, result.stdout)  # no default directory for cutting files
        self.assertIn("--dir", result.stdout)


if __name__ == "__main__":
    tap.main()
