"""kafka-python 2.0.2 (pure Python, its own protocol code) against minikafka: producer, consumer
group with commit and resume, offsets for times, and the admin client (topics, configs, groups).
Registered twice: against one node and (MINIKAFKA_NODES=3) against a 3-node cluster whose topics
have three replicas (kafka_target.py)."""
import os
import time
import unittest

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import GroupIdNotFoundError, InvalidRequestError, NonEmptyGroupError, NoError

import kafka_target
import tap
from servers import wait_until


class KafkaPython(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = kafka_target.start("--group.initial.rebalance.delay.ms", "0",
                                        "--log.retention.check.interval.ms", "200")
        cls.bootstrap = cls.server.bootstrap.split(",")
        cls.rf = cls.server.replication_factor

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_it_speaks_record_batches_not_the_old_message_format(self):
        producer = KafkaProducer(bootstrap_servers=self.bootstrap)
        # kafka-python infers the broker's version from ApiVersions (Produce v8 -> 2.4); anything
        # below 0.11 would make it fall back to the old MessageSet format (magic 0/1).
        self.assertGreaterEqual(producer.config["api_version"], (2, 1))
        producer.close()

    def test_producer_then_group_consumer_commits_and_a_new_consumer_resumes(self):
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all", compression_type="gzip")
        futures = [producer.send("events", key=f"k{i}".encode(), value=f"v{i}".encode()) for i in range(50)]
        producer.flush()
        self.assertEqual([f.get(10).offset for f in futures], list(range(50)))
        producer.close()

        first = KafkaConsumer("events", bootstrap_servers=self.bootstrap, group_id="resumers",
                              auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=10000)
        seen = []
        for message in first:
            seen.append((message.offset, message.key, message.value))
            if len(seen) == 30:
                break
        first.commit()
        first.close()
        self.assertEqual(seen, [(i, f"k{i}".encode(), f"v{i}".encode()) for i in range(30)])

        second = KafkaConsumer("events", bootstrap_servers=self.bootstrap, group_id="resumers",
                               auto_offset_reset="earliest", consumer_timeout_ms=3000)
        rest = [message.offset for message in second]
        second.close()
        self.assertEqual(rest, list(range(30, 50)))

    def test_offsets_for_times_and_beginning_end(self):
        # acks=all: on a cluster, acks=1 (kafka-python's default) answers before the followers
        # have the records, and end_offsets (the high watermark) may not count them yet.
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        base = int(time.time() * 1000) - 100_000
        for i in range(10):
            producer.send("timed", value=b"x", timestamp_ms=base + i * 1000)
        producer.flush()
        producer.close()
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap)
        tp = TopicPartition("timed", 0)
        self.assertEqual(consumer.beginning_offsets([tp])[tp], 0)
        self.assertEqual(consumer.end_offsets([tp])[tp], 10)
        found = consumer.offsets_for_times({tp: base + 4500})[tp]
        self.assertEqual(found.offset, 5)
        # Kafka answers the found record's own timestamp, not the one asked for.
        self.assertEqual(found.timestamp, base + 5000)
        self.assertIsNone(consumer.offsets_for_times({tp: base + 60_000})[tp])
        consumer.close()

    def test_describe_and_list_groups_show_members_and_their_partitions(self):
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        admin.create_topics([NewTopic("described", num_partitions=2, replication_factor=self.rf)])
        consumer = KafkaConsumer("described", bootstrap_servers=self.bootstrap, group_id="describers",
                                 client_id="describer-1")
        deadline = time.monotonic() + 30
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(timeout_ms=200)
        self.assertEqual({tp.partition for tp in consumer.assignment()}, {0, 1})
        self.assertIn(("describers", "consumer"), admin.list_consumer_groups())
        [group] = admin.describe_consumer_groups(["describers"])
        self.assertEqual(group.state, "Stable")
        self.assertEqual(group.protocol_type, "consumer")
        [member] = group.members
        self.assertEqual(member.client_id, "describer-1")
        self.assertEqual(member.client_host, "/127.0.0.1")
        self.assertEqual(sorted(member.member_assignment.assignment), [("described", [0, 1])])
        consumer.close()
        admin.close()

    def test_admin_client_creates_and_deletes_through_the_controller(self):
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        admin.create_topics([NewTopic("py-admin", num_partitions=3, replication_factor=self.rf)])
        self.assertIn("py-admin", admin.list_topics())
        described = admin.describe_topics(["py-admin"])
        self.assertEqual(len(described[0]["partitions"]), 3)
        admin.delete_topics(["py-admin"])
        self.assertNotIn("py-admin", admin.list_topics())
        groups = admin.list_consumer_groups()
        self.assertIsInstance(groups, list)
        # One name twice in a request: INVALID_REQUEST (42), and neither is created (as Kafka).
        with self.assertRaises(InvalidRequestError):
            admin.create_topics([NewTopic("twice", 1, self.rf), NewTopic("twice", 2, self.rf)])
        self.assertNotIn("twice", admin.list_topics())
        admin.close()

    def test_alter_configs_lowers_retention_and_a_finished_group_is_deleted(self):
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        admin.create_topics([NewTopic("aging", 1, self.rf, topic_configs={"segment.bytes": "1024"})])
        producer = KafkaProducer(bootstrap_servers=self.bootstrap)
        for i in range(30):  # one batch per send: 200-byte records fill a 1 KB segment in four
            producer.send("aging", f"{i:03d}".encode() * 66).get(10)
        producer.close()
        consumer = KafkaConsumer("aging", bootstrap_servers=self.bootstrap, group_id="agers",
                                 auto_offset_reset="earliest", enable_auto_commit=False)
        read = 0
        deadline = time.monotonic() + 30
        while read < 30 and time.monotonic() < deadline:
            read += sum(len(records) for records in consumer.poll(timeout_ms=200).values())
        self.assertEqual(read, 30)
        consumer.commit()
        consumer.close()

        # AlterConfigs is not incremental: segment.bytes is sent again, or it would go back to
        # the default.
        response = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "aging",
                                                       configs={"retention.ms": "1", "segment.bytes": "1024"})])
        self.assertEqual([r[0] for r in response.resources], [0])
        [described] = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "aging",
                                                             configs={"retention.ms": None})])
        [(_, _, _, _, entries)] = described.resources
        self.assertEqual([(e[0], e[1], e[3]) for e in entries], [("retention.ms", "1", 1)])  # 1 = dynamic topic
        # The next retention run deletes every segment, the active one too (a new empty one takes
        # its place): the log is empty and starts where it ended.
        tp = TopicPartition("aging", 0)
        reader = KafkaConsumer(bootstrap_servers=self.bootstrap)
        deadline = time.monotonic() + 30
        while reader.beginning_offsets([tp])[tp] < 30 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual((reader.beginning_offsets([tp])[tp], reader.end_offsets([tp])[tp]), (30, 30))
        reader.close()
        refused = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "aging",
                                                      configs={"retention.ms": "soon"})])
        self.assertEqual(refused.resources[0][0], 40)  # INVALID_CONFIG

        # A group with a member may not be deleted; one whose consumers are gone may.
        busy = KafkaConsumer("aging", bootstrap_servers=self.bootstrap, group_id="busy")
        deadline = time.monotonic() + 30
        while not busy.assignment() and time.monotonic() < deadline:
            busy.poll(timeout_ms=200)
        self.assertEqual(admin.delete_consumer_groups(["agers", "never-existed", "busy"]),
                         [("agers", NoError), ("never-existed", GroupIdNotFoundError), ("busy", NonEmptyGroupError)])
        busy.close()
        self.assertNotIn("agers", [group for group, _ in admin.list_consumer_groups()])
        self.assertEqual(admin.list_consumer_group_offsets("agers"), {})
        admin.close()


class LongestTopicName(unittest.TestCase):
    def test_a_249_character_topic_with_overrides_is_created_used_deleted_and_stays_deleted(self):
        # 249 is Kafka's limit so that "<topic>-<partition>" and the deletion name fit in a
        # 255-byte file name; the overrides file must fit too.
        name = "L" * 249
        server = kafka_target.start()
        try:
            bootstrap = server.bootstrap.split(",")
            admin = KafkaAdminClient(bootstrap_servers=bootstrap)
            admin.create_topics([NewTopic(name, 12, server.replication_factor,
                                          topic_configs={"retention.ms": "3600000"})])
            producer = KafkaProducer(bootstrap_servers=bootstrap)
            self.assertEqual(producer.send(name, b"x", partition=11).get(10).offset, 0)
            producer.close()
            admin.delete_topics([name])
            admin.close()
            server.restart()

            def connected():  # the listeners are up a moment after the quorum has settled
                try:
                    return KafkaAdminClient(bootstrap_servers=server.bootstrap.split(","))
                except Exception:  # noqa: BLE001 - NoBrokersAvailable while they come up
                    return None

            admin = wait_until(connected, timeout=30, interval=0.5)
            self.assertIsNotNone(admin, "no broker reachable 30 s after the restart")
            self.assertNotIn(name, admin.list_topics())
            admin.close()
            # A restarted node removes a deleted topic's logs once it has caught up on the
            # metadata (at its first unfencing: ReplicaManager::remove_strays) - soon, not at once.
            for node in server.nodes:
                left = lambda: sorted(f for f in os.listdir(node.dir) if f.startswith("L"))  # noqa: E731
                wait_until(lambda: not left(), timeout=15)
                self.assertEqual(left(), [])
        finally:
            server.close()


if __name__ == "__main__":
    tap.main()
