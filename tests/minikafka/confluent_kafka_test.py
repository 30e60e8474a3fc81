"""confluent-kafka (librdkafka 2.0.2) against minikafka: a producer with acks=all, keys, headers and
every compression codec; an idempotent producer; a consumer group of several members splitting
the partitions and taking over from a member that leaves; the admin client creating, listing,
growing and deleting topics, describing and altering their configs. Registered twice: against one
node and (MINIKAFKA_NODES=3) against a 3-node cluster whose topics have three replicas
(kafka_target.py)."""
import threading
import time
import unittest

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

import kafka_target
import tap
from servers import wait_until


class ConfluentKafka(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = kafka_target.start("--group.initial.rebalance.delay.ms", "0",
                                        "--group.min.session.timeout.ms", "1000")
        cls.bootstrap = cls.server.bootstrap
        cls.rf = cls.server.replication_factor
        cls.admin = AdminClient({"bootstrap.servers": cls.bootstrap})

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def create_topic(self, name, partitions, config=None):
        futures = self.admin.create_topics([NewTopic(name, partitions, self.rf, config=config or {})])
        futures[name].result(10)

    def producer(self, **config):
        return Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 5, **config})

    def consume_all(self, topic, count, group="reader", timeout=30):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe([topic])
        messages = []
        deadline = time.monotonic() + timeout
        while len(messages) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                messages.append(message)
        consumer.close()
        return messages

    def test_acks_all_keys_headers_and_every_codec_round_trip(self):
        self.create_topic("codecs", 1)
        expected = []
        for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
            producer = self.producer(**{"acks": "all", "compression.type": codec})
            reports = []
            for i in range(20):
                key, value = f"{codec}-{i}".encode(), (f"{codec} value {i} " * 20).encode()
                producer.produce("codecs", key=key, value=value, headers=[("codec", codec.encode()), ("i", str(i))],
                                 on_delivery=lambda err, msg: reports.append((err, msg.offset())))
                expected.append((key, value, codec))
            self.assertEqual(producer.flush(10), 0)
            self.assertTrue(all(err is None for err, _ in reports), reports)
        messages = self.consume_all("codecs", len(expected))
        self.assertEqual([m.offset() for m in messages], list(range(len(expected))))
        self.assertEqual([(m.key(), m.value(), dict(m.headers())["codec"].decode()) for m in messages], expected)

    def test_idempotent_producer_gets_a_producer_id_and_appends_in_order(self):
        producer = self.producer(**{"enable.idempotence": True})
        offsets = []
        for i in range(200):
            producer.produce("idempotent", value=str(i), on_delivery=lambda err, msg: offsets.append(msg.offset()))
        self.assertEqual(producer.flush(10), 0)
        self.assertEqual(sorted(offsets), list(range(200)))
        self.assertEqual([m.value() for m in self.consume_all("idempotent", 200)],
                         [str(i).encode() for i in range(200)])

    @kafka_target.not_on_a_cluster_yet(kafka_target.STABLE_COORDINATOR)
    def test_consumer_group_members_split_partitions_and_take_over_on_leave(self):
        self.create_topic("work", 4)
        received, assignments, lock = {}, {}, threading.Lock()
        stop, go = threading.Event(), threading.Event()

        def member(name, limit):
            consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "workers",
                                 "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                                 "heartbeat.interval.ms": 200, "enable.auto.commit": False})
            consumer.subscribe(["work"], on_assign=lambda c, parts: assignments.__setitem__(
                name, sorted(p.partition for p in parts)))
            count = 0
            while not stop.is_set() and count < limit:
                message = consumer.poll(0.2)
                if message is None or message.error():
                    continue
                with lock:
                    received.setdefault(message.value(), []).append((name, message.partition()))
                consumer.commit(message=message, asynchronous=False)
                count += 1
            consumer.close()  # LeaveGroup: the others rebalance at once

        # Three members split the four partitions; "brief" leaves after 20 records and the others
        # must take over its partition.
        threads = [threading.Thread(target=member, args=(name, limit))
                   for name, limit in [("a", 10**6), ("b", 10**6), ("brief", 20)]]
        for t in threads:
            t.start()
        try:
            split = wait_until(lambda: len(assignments) == 3 and all(assignments.values())
                               and sum(len(v) for v in assignments.values()) == 4, timeout=30)
            self.assertTrue(split, assignments)
            brief_partition = assignments["brief"][0]
            self.assertFalse(set(assignments["a"]) & set(assignments["b"]))
            producer = self.producer()
            for i in range(400):  # 100 per partition, so every member has more than 20 to read
                producer.produce("work", value=str(i), partition=i % 4)
            self.assertEqual(producer.flush(10), 0)
            self.assertTrue(wait_until(lambda: len(received) == 400, timeout=60),
                            f"received {len(received)} of 400")
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        self.assertEqual(sorted(received), sorted(str(i).encode() for i in range(400)))
        readers = [name for values in received.values() for name, p in values if p == brief_partition]
        self.assertEqual(readers.count("brief"), 20)
        self.assertEqual(len(readers), 100)  # the rest by whoever took over, none twice
        # Every partition's committed offset is its end: the group consumed everything.
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "workers"})
        committed = consumer.committed([TopicPartition("work", p) for p in range(4)], timeout=10)
        ends = [consumer.get_watermark_offsets(TopicPartition("work", p), timeout=10)[1] for p in range(4)]
        consumer.close()
        self.assertEqual([tp.offset for tp in committed], ends)
        self.assertEqual(sum(ends), 400)

    def test_admin_creates_grows_describes_and_deletes_topics(self):
        self.create_topic("admin-made", 2, {"retention.ms": "60000", "segment.bytes": "1048576"})
        duplicate = self.admin.create_topics([NewTopic("admin-made", 1, self.rf)])["admin-made"]
        with self.assertRaises(Exception) as exists:
            duplicate.result(10)
        self.assertEqual(exists.exception.args[0].code(), KafkaError.TOPIC_ALREADY_EXISTS)
        with self.assertRaises(Exception) as too_many_replicas:
            # One replica more than there are brokers.
            self.admin.create_topics([NewTopic("replicated", 1, len(self.server.nodes) + 1)])["replicated"].result(10)
        self.assertEqual(too_many_replicas.exception.args[0].code(), KafkaError.INVALID_REPLICATION_FACTOR)

        self.admin.create_partitions([NewPartitions("admin-made", 5)])["admin-made"].result(10)
        metadata = self.admin.list_topics(timeout=10)
        self.assertEqual(len(metadata.topics["admin-made"].partitions), 5)

        resource = ConfigResource(ConfigResource.Type.TOPIC, "admin-made")
        configs = self.admin.describe_configs([resource])[resource].result(10)
        self.assertEqual(configs["retention.ms"].value, "60000")
        self.assertEqual(configs["segment.bytes"].value, "1048576")
        self.assertEqual(configs["cleanup.policy"].value, "delete")

        # AlterConfigs replaces the whole set of overrides: segment.bytes goes back to its default.
        altered = ConfigResource(ConfigResource.Type.TOPIC, "admin-made", set_config={"retention.ms": "120000"})
        self.admin.alter_configs([altered])[altered].result(10)
        # On a cluster the change is a metadata record every broker applies when it replicates it:
        # the broker asked may show it a moment later (so does Kafka's metadata cache).
        def described():
            found = self.admin.describe_configs([resource])[resource].result(10)
            return found if found["retention.ms"].value == "120000" else None
        configs = wait_until(described, timeout=10) or self.admin.describe_configs([resource])[resource].result(10)
        self.assertEqual((configs["retention.ms"].value, configs["retention.ms"].is_default), ("120000", False))
        self.assertEqual((configs["segment.bytes"].value, configs["segment.bytes"].is_default), ("1073741824", True))
        bad = ConfigResource(ConfigResource.Type.TOPIC, "admin-made", set_config={"retention.ms": "soon"})
        with self.assertRaises(Exception) as invalid:
            self.admin.alter_configs([bad])[bad].result(10)
        self.assertEqual(invalid.exception.args[0].code(), KafkaError.INVALID_CONFIG)

        self.admin.delete_topics(["admin-made"])["admin-made"].result(10)
        self.assertNotIn("admin-made", self.admin.list_topics(timeout=10).topics)
        with self.assertRaises(Exception) as missing:
            self.admin.delete_topics(["admin-made"])["admin-made"].result(10)
        self.assertEqual(missing.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART)


if __name__ == "__main__":
    tap.main()
