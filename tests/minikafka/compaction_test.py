"""Log compaction (cleanup.policy=compact, minikafka/storage/log_cleaner.hpp) seen by real clients:
confluent-kafka creates a compacted topic and produces keyed records and a tombstone; kcat
(librdkafka) reads it back after the cleaner ran - only the latest value of each key, at the
offsets the records were given, with holes between them, and the deleted key gone. Then the reason
Kafka compacts __consumer_offsets: on a 3-node cluster whose retention.ms is one second, a group
that committed and went idle for longer keeps its offset through the cleaner and a coordinator's
kill -9 - with delete retention the segment holding its commit would be gone."""
import os
import subprocess
import time
import unittest

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

import tap
from cluster_test import Cluster
from group_failover_test import commit
from group_failover_test import read as read_records
from replication_test import partition_info, produce
from servers import Server, wait_until


def kcat_records(bootstrap, topic):
    """(offset, key, value) of every record of partition 0, from the beginning to the end."""
    out = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q",
                          "-f", "%o %k %s\n"], capture_output=True, text=True, timeout=30)
    records = []
    for line in out.stdout.splitlines():
        offset, key, value = line.split(" ")
        records.append((int(offset), key, value))
    return records


class CompactedTopic(unittest.TestCase):
    def test_only_the_latest_value_of_each_key_stays_at_its_offset(self):
        with Server("MINIKAFKA_BIN", "--log.cleaner.backoff.ms", "100") as server:
            bootstrap = f"127.0.0.1:{server.port}"
            admin = AdminClient({"bootstrap.servers": bootstrap})
            # segment.bytes=100: every batch gets a segment of its own, so all but the last record
            # are in sealed segments the cleaner may rewrite. delete.retention.ms=0: a tombstone
            # goes at the first cleaning after it.
            config = {"cleanup.policy": "compact", "segment.bytes": "100", "min.cleanable.dirty.ratio": "0.01",
                      "delete.retention.ms": "0"}
            admin.create_topics([NewTopic("table", 1, 1, config=config)])["table"].result(10)
            described = admin.describe_configs([ConfigResource("topic", "table")])
            configs = list(described.values())[0].result(10)
            self.assertEqual(configs["cleanup.policy"].value, "compact")
            self.assertEqual(configs["min.cleanable.dirty.ratio"].value, "0.01")
            self.assertEqual(configs["delete.retention.ms"].value, "0")

            producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})

            def send(key, value):
                got = []
                producer.produce("table", value, key=key, partition=0,
                                 on_delivery=lambda err, msg: got.append((err, msg.offset())))
                producer.flush(10)
                self.assertIsNone(got[0][0])
                return got[0][1]

            latest = {}
            for version in range(4):
                for key in ("k0", "k1", "k2", "k3"):
                    value = f"{key}-v{version}"
                    latest[key] = (send(key.encode(), value.encode()), value)
            send(b"k0", None)  # the tombstone: k0 is deleted
            del latest["k0"]
            end = send(b"end", b"x")  # the active segment: never cleaned
            want = sorted([(offset, key, value) for key, (offset, value) in latest.items()] + [(end, "end", "x")])

            got = wait_until(lambda: (lambda r: r if r == want else None)(kcat_records(bootstrap, "table")),
                             timeout=30)
            self.assertEqual(got, want, f"read back: {kcat_records(bootstrap, 'table')}")
            offsets = [offset for offset, _, _ in want]
            self.assertNotEqual(offsets, list(range(offsets[0], offsets[0] + len(offsets))), "no holes?")
            # Segments merged: far fewer files than the 18 segments rolled.
            logs = [f for f in os.listdir(os.path.join(server.dir, "table-0")) if f.endswith(".log")]
            self.assertLess(len(logs), 18)


def group_consumer(bootstrap, group):
    return Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})


def read(c, count, timeout=30):
    """The offsets of the next `count` records (group_failover_test.read keeps the values too)."""
    return [offset for offset, _ in read_records(c, count, timeout)]


class CompactedOffsetsTopic(unittest.TestCase):
    def test_an_idle_groups_offset_outlives_retention_and_its_coordinator(self):
        # One __consumer_offsets partition (both groups share it); retention.ms one second and
        # segments rolled after 300 ms for every topic that does not say otherwise.
        cluster = Cluster("--min.insync.replicas", "2", "--offsets.topic.num.partitions", "1",
                          "--log.retention.ms", "1000", "--log.retention.check.interval.ms", "100",
                          "--log.roll.ms", "300", "--log.cleaner.backoff.ms", "100",
                          "--group.initial.rebalance.delay.ms", "0")
        try:
            self.assertIsNotNone(wait_until(cluster.all_registered, timeout=20), "no controller quorum")
            node = cluster.nodes[0]
            bootstrap = ",".join(f"127.0.0.1:{n.port}" for n in cluster.nodes)
            admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{node.port}"})
            admin.create_topics([NewTopic("work", 1, 3, config={"retention.ms": "-1"})])["work"].result(10)
            self.assertEqual(produce(node, "work", [f"v{i}" for i in range(100)]), [None] * 100)

            idle = group_consumer(bootstrap, "idle")
            idle.subscribe(["work"])
            self.assertEqual(read(idle, 40), list(range(40)))
            self.assertTrue(commit(idle, 40))
            idle.close()
            self.assertEqual(partition_info(node, "__consumer_offsets", 0)[2], [1, 2, 3])

            # The idle group's commit becomes older than retention.ms; another group's commits
            # roll __consumer_offsets-0, so the segment holding it is sealed - the one retention
            # would delete. Compacted, it is cleaned instead, on every replica.
            time.sleep(1.5)
            busy = group_consumer(bootstrap, "busy")
            busy.subscribe(["work"])
            self.assertEqual(len(read(busy, 5)), 5)
            self.assertTrue(commit(busy, 5))
            time.sleep(0.4)
            self.assertTrue(commit(busy, 6))
            busy.close()
            checkpoints = [os.path.join(n.dir, "__consumer_offsets-0", "cleaner-offset-checkpoint")
                           for n in cluster.nodes]
            self.assertTrue(wait_until(lambda: all(os.path.exists(p) for p in checkpoints), timeout=30),
                            "the cleaner did not run on every replica")

            # kill -9 of the coordinator: the new one replays the compacted partition.
            leader = partition_info(node, "__consumer_offsets", 0)[0]
            coordinator = cluster.nodes[leader - 1]
            coordinator.kill9()
            alive = [n for n in cluster.nodes if n is not coordinator]
            again = group_consumer(",".join(f"127.0.0.1:{n.port}" for n in alive), "idle")
            again.subscribe(["work"])
            self.assertEqual(read(again, 10), list(range(40, 50)),
                             "the idle group did not go on from its committed offset 40")
            again.close()
        finally:
            cluster.close()


if __name__ == "__main__":
    tap.main()
