"""minikafka when file descriptors run short (ulimit -n): every segment file and connection holds
one. A topic the broker cannot open is refused whole with KAFKA_STORAGE_ERROR, leaving nothing
half-made on disk; old segments keep one descriptor each (their .log) and so does a partition, so a log of many small
segments or many partitions fits; and the broker keeps serving everyone, before and after a restart."""
import os
import socket
import unittest

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

import tap
from servers import Server, wait_until

LIMIT = 200  # descriptors the server may hold (soft and hard limit)


class Descriptors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIKAFKA_BIN", "--log.segment.bytes", "1024", open_files=LIMIT)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def bootstrap(self):
        return f"127.0.0.1:{self.server.port}"

    def admin(self):
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap(), request_timeout_ms=10000)
        self.addCleanup(admin.close)
        return admin

    def test_a_topic_too_big_for_the_descriptors_is_refused_whole(self):
        admin = self.admin()
        # One open file per partition (its active .log; the indexes are written at roll and
        # shutdown, sparse_index.hpp): 250 partitions cannot fit in 200.
        with self.assertRaises(Exception) as refused:
            admin.create_topics([NewTopic("too-big", 250, 1)])
        self.assertIn("error_code=56", str(refused.exception))  # KAFKA_STORAGE_ERROR
        self.assertIn("Too many open files", str(refused.exception))
        self.assertEqual([d for d in os.listdir(self.server.dir) if d.startswith("too-big")], [])
        self.assertNotIn("too-big", admin.list_topics())

        # The same connection and broker go on: a topic that fits is created and works.
        admin.create_topics([NewTopic("fits", 3, 1)])
        producer = KafkaProducer(bootstrap_servers=self.bootstrap(), acks="all")
        sent = producer.send("fits", value=b"still here", partition=2).get(10)
        producer.close()
        self.assertEqual((sent.partition, sent.offset), (2, 0))

    def test_old_segments_hold_one_descriptor_each(self):
        # 1 KB segments and one ~900-byte batch each: 150 segments, which at three files each
        # (450 descriptors) would not fit in 200.
        producer = KafkaProducer(bootstrap_servers=self.bootstrap(), acks=1, linger_ms=0)
        for i in range(150):
            producer.send("many-segments", value=f"{i:04d}".encode() * 220).get(10)
        producer.close()
        segments = [f for f in os.listdir(os.path.join(self.server.dir, "many-segments-0")) if f.endswith(".log")]
        self.assertEqual(len(segments), 150)

        def open_indexes():
            return [f for f in self.server.open_files() if "many-segments-0" in f and "index" in f]

        for _ in range(2):  # now, and after a restart that reopens every segment
            # No index file stays open (once the rolled ones' background fsync is done): their
            # entries live in memory; each segment keeps its .log for fetches.
            self.assertTrue(wait_until(lambda: len(open_indexes()) == 0), open_indexes())
            logs = [f for f in self.server.open_files() if "many-segments-0" in f and f.endswith(".log")]
            self.assertEqual(len(logs), 150)
            consumer = KafkaConsumer(bootstrap_servers=self.bootstrap(), auto_offset_reset="earliest",
                                     consumer_timeout_ms=5000)
            partition = TopicPartition("many-segments", 0)
            consumer.assign([partition])
            consumer.seek_to_beginning(partition)
            values = [m.value[:4] for m in consumer]
            consumer.close()
            self.assertEqual(values, [f"{i:04d}".encode() for i in range(150)])
            self.server.restart()

    def test_a_produce_that_needs_a_new_segment_gets_a_storage_error_and_the_log_stays(self):
        producer = KafkaProducer(bootstrap_servers=self.bootstrap(), acks=1, linger_ms=0, retries=0)
        self.addCleanup(producer.close)
        record = b"r" * 900  # one per 1 KB segment: the next append must roll
        self.assertEqual(producer.send("edge", value=record).get(10).offset, 0)
        # Use up the descriptors but one with idle connections: a roll needs three at once.
        hogs = []
        self.addCleanup(lambda: [h.close() for h in hogs])
        while LIMIT - len(self.server.open_files()) > 1:
            count = len(self.server.open_files())
            hogs.append(socket.create_connection(("127.0.0.1", self.server.port)))
            self.assertTrue(wait_until(lambda: len(self.server.open_files()) > count))
        with self.assertRaises(Exception):  # kafka-python 2.0.2 has no name for error 56
            producer.send("edge", value=record).get(10)
        self.assertTrue(wait_until(lambda: "produce to edge-0 failed" in self.server.log()))

        for h in hogs:
            h.close()
        # The failed append left no trace: the next record takes offset 1, and both read back.
        self.assertTrue(wait_until(lambda: LIMIT - len(self.server.open_files()) > 10))
        self.assertEqual(producer.send("edge", value=record).get(10).offset, 1)
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap(), auto_offset_reset="earliest",
                                 consumer_timeout_ms=3000)
        consumer.assign([TopicPartition("edge", 0)])
        self.assertEqual([(m.offset, m.value) for m in consumer], [(0, record), (1, record)])
        consumer.close()


if __name__ == "__main__":
    tap.main()
