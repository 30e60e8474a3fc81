"""Durability: with log.flush.interval.messages=1 every acknowledged record has been fsynced, so a
kill -9 in the middle of a produce stream loses nothing that was acknowledged - after the restart
each acknowledged record is at the offset it was acknowledged with, in order. Also: topics,
committed offsets and configs survive a clean restart."""
import threading
import time
import unittest

from confluent_kafka import Consumer, Producer, TopicPartition

import tap
from servers import Server, wait_until


def read_partition(bootstrap, topic, partition, end, timeout=30):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "checker", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, partition, 0)])
    records = {}
    deadline = time.monotonic() + timeout
    while len(records) < end and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and not message.error():
            records[message.offset()] = message.value()
    consumer.close()
    return records


class Crash(unittest.TestCase):
    def test_kill_9_loses_no_acknowledged_record(self):
        with Server("MINIKAFKA_BIN", "--log.flush.interval.messages", "1", "--num.partitions", "2") as server:
            bootstrap = f"127.0.0.1:{server.port}"
            acknowledged = {}  # (partition, offset) -> value
            lock = threading.Lock()
            stop = threading.Event()

            def on_delivery(err, message):
                if err is None:
                    with lock:
                        acknowledged[(message.partition(), message.offset())] = message.value()

            def produce():
                producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 1,
                                     "message.timeout.ms": 3000, "retries": 0})
                i = 0
                while not stop.is_set():
                    try:
                        producer.produce("ledger", key=str(i % 7), value=f"entry-{i}", on_delivery=on_delivery)
                        i += 1
                    except BufferError:
                        pass
                    producer.poll(0)
                producer.flush(5)

            thread = threading.Thread(target=produce)
            thread.start()
            self.assertTrue(wait_until(lambda: len(acknowledged) >= 2000, timeout=60), len(acknowledged))
            server.kill9()  # mid-stream: no flush, no goodbye
            stop.set()
            thread.join(30)
            with lock:
                acked = dict(acknowledged)

            server.start()  # same data directory: recovery scans and truncates torn tails
            bootstrap = f"127.0.0.1:{server.port}"
            for partition in (0, 1):
                mine = {offset: value for (p, offset), value in acked.items() if p == partition}
                if not mine:
                    continue
                stored = read_partition(bootstrap, "ledger", partition, max(mine) + 1)
                for offset, value in mine.items():
                    self.assertEqual(stored.get(offset), value, f"partition {partition} offset {offset}")
                # In order, with no holes, up to the last acknowledged offset.
                self.assertEqual(sorted(stored)[: max(mine) + 1], list(range(max(mine) + 1)))

    def test_topics_and_committed_offsets_survive_a_restart(self):
        with Server("MINIKAFKA_BIN", "--group.initial.rebalance.delay.ms", "0") as server:
            bootstrap = f"127.0.0.1:{server.port}"
            producer = Producer({"bootstrap.servers": bootstrap})
            for i in range(10):
                producer.produce("kept", value=str(i))
            self.assertEqual(producer.flush(10), 0)
            consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "keeper"})
            consumer.commit(offsets=[TopicPartition("kept", 0, 7)], asynchronous=False)
            consumer.close()

            server.kill9()
            server.start()
            bootstrap = f"127.0.0.1:{server.port}"
            consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "keeper", "enable.auto.commit": False})
            committed = consumer.committed([TopicPartition("kept", 0)], timeout=10)
            self.assertEqual(committed[0].offset, 7)
            consumer.subscribe(["kept"])
            values = []
            deadline = time.monotonic() + 30
            while len(values) < 3 and time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is not None and not message.error():
                    values.append(message.value())
            consumer.close()
            self.assertEqual(values, [b"7", b"8", b"9"])


if __name__ == "__main__":
    tap.main()
