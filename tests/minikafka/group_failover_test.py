"""Consumer groups survive a broker's death (issue 19, part 5), driven by confluent-kafka on three
minikafka nodes: committed offsets live in the replicated internal topic __consumer_offsets; a
group's coordinator is the leader of partition abs(java_hash(group)) % partitions of it, which
FindCoordinator names from any node while the others answer NOT_COORDINATOR; the coordinator is
kill -9'd, and the group goes on at its new coordinator from the last committed offset - no
record read again beyond the last commit, none skipped - and commits there in turn."""
import socket
import struct
import time
import unittest

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import tap
from cluster_test import Cluster
from replication_test import partition_info, produce
from servers import wait_until

PARTITIONS = 3  # offsets.topic.num.partitions
GROUP = "billing"
NOT_COORDINATOR = 16


def java_hash(text):
    """Java's String.hashCode over UTF-16 code units, as a signed 32-bit int."""
    h = 0
    for unit in struct.unpack(f">{len(text.encode('utf-16-be')) // 2}H", text.encode("utf-16-be")):
        h = (31 * h + unit) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def kafka_partition_for(group, partitions):
    h = java_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def request(port, api_key, version, body):
    """One raw request (header v1) and the response body after the correlation id."""
    header = struct.pack(">hhih", api_key, version, 7, 4) + b"test"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        frame = header + body
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        data = s.recv(size, socket.MSG_WAITALL)
    return data[4:]


def string(text):
    return struct.pack(">h", len(text)) + text.encode()


def find_coordinator(port, group):
    """FindCoordinator v0: (error, node id)."""
    data = request(port, 10, 0, string(group))
    error, node = struct.unpack(">hi", data[:6])
    return error, node


def heartbeat_error(port, group):
    return struct.unpack(">h", request(port, 12, 0, string(group) + struct.pack(">i", 1) + string("m"))[:2])[0]


def consumer(cluster, alive):
    return Consumer({"bootstrap.servers": ",".join(f"127.0.0.1:{n.port}" for n in alive),
                     "group.id": GROUP, "enable.auto.commit": False, "auto.offset.reset": "earliest",
                     "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})


def read(c, count, timeout=30):
    """The offsets and values of the next `count` records (or fewer if the time runs out)."""
    got = []
    wait_until(lambda: (lambda m: m is not None and m.error() is None and got.append((m.offset(), m.value()))
                        or len(got) >= count)(c.poll(0.2)), timeout=timeout, interval=0)
    return got


def commit(c, offset, timeout=30):
    """A synchronous commit, retried while the group finds its (new) coordinator."""
    def attempt():
        try:
            c.commit(offsets=[TopicPartition("work", 0, offset)], asynchronous=False)
            return True
        except KafkaException:
            c.poll(0.2)
            return False
    return wait_until(attempt, timeout=timeout, interval=0)


class GroupFailover(unittest.TestCase):
    def test_committed_offsets_survive_the_coordinators_death(self):
        cluster = Cluster("--min.insync.replicas", "2", "--offsets.topic.num.partitions", str(PARTITIONS),
                          "--group.initial.rebalance.delay.ms", "0")
        try:
            self.assertIsNotNone(wait_until(cluster.all_registered, timeout=20), "no controller quorum")
            node = cluster.nodes[0]
            admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{node.port}"})
            admin.create_topics([NewTopic("work", 1, 3)])["work"].result(10)
            values = [f"v{i}".encode() for i in range(100)]
            self.assertEqual(produce(node, "work", [v.decode() for v in values]), [None] * 100)

            # The first consumer reads 40 records and commits offset 40 (the next one to read).
            first = consumer(cluster, cluster.nodes)
            first.subscribe(["work"])
            got = read(first, 40)
            self.assertEqual(got, list(enumerate(values[:40])))
            self.assertTrue(commit(first, 40))
            first.close()

            # The commit created __consumer_offsets (RF 3) through the controller; the group's
            # coordinator is the leader of its partition by Kafka's hash, whoever is asked.
            p = kafka_partition_for(GROUP, PARTITIONS)
            info = partition_info(node, "__consumer_offsets", p)
            self.assertIsNotNone(info)
            leader, _, replicas, _ = info
            self.assertEqual(replicas, [1, 2, 3])
            self.assertEqual(len(admin.list_topics("__consumer_offsets", timeout=5).topics["__consumer_offsets"]
                                 .partitions), PARTITIONS)  # offsets.topic.num.partitions
            for n in cluster.nodes:
                self.assertEqual(find_coordinator(n.port, GROUP), (0, leader))
            other = cluster.nodes[leader % 3]  # a node that does not coordinate the group
            self.assertEqual(heartbeat_error(other.port, GROUP), NOT_COORDINATOR)

            # kill -9 of the coordinator: another replica of the partition leads it, loads the
            # group's offsets from its log, and coordinates the group from now on.
            coordinator = cluster.nodes[leader - 1]
            killed_at = time.monotonic()
            coordinator.kill9()
            alive = [n for n in cluster.nodes if n is not coordinator]
            moved = wait_until(lambda: (lambda e, n: n if e == 0 and n != leader else None)(
                *find_coordinator(alive[0].port, GROUP)), timeout=20)
            self.assertIsNotNone(moved, "no new coordinator")
            print(f"# node {moved} coordinates the group {time.monotonic() - killed_at:.2f} s after the kill"
                  " (broker.session.timeout.ms=2000)", flush=True)

            second = consumer(cluster, alive)
            second.subscribe(["work"])
            got = read(second, 30)
            self.assertEqual(got, [(i, values[i]) for i in range(40, 70)],
                             "the group did not go on from its committed offset 40")
            self.assertTrue(commit(second, 70))
            second.close()

            third = consumer(cluster, alive)
            third.subscribe(["work"])
            got = read(third, 30)
            self.assertEqual(got, [(i, values[i]) for i in range(70, 100)],
                             "a commit at the new coordinator was not kept")
            third.close()
        finally:
            cluster.close()


if __name__ == "__main__":
    tap.main()
