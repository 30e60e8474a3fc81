"""A partition leader that lost its leadership while it could not hear about it - frozen by
SIGSTOP past the session timeout, then resumed - must answer, not keep its clients waiting
(issue 19, "Clients unchanged"). While it was frozen the controller fenced it and another ISR
member took over in a higher leader epoch; the resumed node still believes it leads until its
metadata catches up. An idempotent acks=all producer's requests that were sent to it meanwhile
must come back NOT_LEADER_OR_FOLLOWER as soon as it learns the new epoch - not after
request.timeout.ms - so that librdkafka refreshes its metadata and retries on the new leader:
every record delivered, exactly once, in order.

    producer ──▶ leader 1 (SIGSTOP) ··· controller: 1 fenced, leader 2, epoch +1 ··· SIGCONT
                 1 resumes: Produce appended, waits for a HW that never comes (its followers
                 fetch from 2 now) ─▶ image applied: the waiting produce answers error 6 at once
    producer ──▶ Metadata ─▶ leader 2: the retry (same producer id and sequence) appended once

The produce's request.timeout.ms (the time the broker may hold an acks=all produce) is set far
above message.timeout.ms: a produce that sat until request.timeout.ms would fail its delivery
reports with a message timeout, so the test needs no clock of its own. Likewise a consumer whose
Fetch was parked on the frozen leader (fetch.wait.max.ms 100 s) must read the new records within
40 s: only if the parked fetch is answered when leadership moves.
The cluster of this file is shared by its tests (cluster tests are slow to start). It runs with
auto.leader.rebalance.enable=false: otherwise leadership goes home to the resumed node once it is
back in the ISR and the cluster tests' leader.imbalance.check.interval.seconds (1 s) has passed -
and a client that refreshed its metadata only then (a loaded machine) saw the old leader in a new
epoch, never the failover's.

READ NEXT: core/replica_manager.cpp (apply_image: leadership lost), core/delayed_produce.hpp,
docs/minikafka/05-replication-and-the-controller.md "A fenced leader answers".
"""
import os
import signal
import subprocess
import unittest

import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import tap
from cluster_test import Cluster
from replication_test import partition_info
from servers import wait_until

cluster = None


def setUpModule():
    global cluster
    cluster = Cluster("--min.insync.replicas", "2", "--replica.lag.time.max.ms", "1500",
                      "--auto.leader.rebalance.enable", "false")
    if not wait_until(cluster.all_registered, timeout=30):
        cluster.close()
        raise RuntimeError("no controller quorum")


def tearDownModule():
    if cluster is not None:
        cluster.close()


def bootstrap():
    return ",".join(f"127.0.0.1:{n.port}" for n in cluster.nodes if n.proc is not None)


def full_isr(node, topic):
    return (lambda i: i and i[3] == [1, 2, 3] and i)(partition_info(node, topic))


def consume_all(node, topic, count):
    out = subprocess.run(["kcat", "-b", f"127.0.0.1:{node.port}", "-C", "-t", topic, "-p", "0", "-o", "beginning",
                          "-e", "-q", "-c", str(count + 10)], capture_output=True, text=True, timeout=30)
    return out.stdout.split()


class FencedLeader(unittest.TestCase):
    def test_a_resumed_leader_answers_its_waiting_produces_and_the_retry_lands_once(self):
        admin = AdminClient({"bootstrap.servers": bootstrap()})
        admin.create_topics([NewTopic("paused", 1, 3)])["paused"].result(10)
        info = wait_until(lambda: full_isr(cluster.nodes[0], "paused"), timeout=20)
        self.assertTrue(info, partition_info(cluster.nodes[0], "paused"))
        old_leader_id = info[0]
        old_leader = cluster.nodes[old_leader_id - 1]
        other = next(n for n in cluster.nodes if n is not old_leader)

        delivered, errors = [], []

        def report(err, msg):
            (errors if err else delivered).append(err or msg.value().decode())

        producer = Producer({"bootstrap.servers": bootstrap(), "acks": "all", "enable.idempotence": True,
                             "linger.ms": 5, "request.timeout.ms": 120000, "message.timeout.ms": 40000})
        before = [f"b{i}" for i in range(20)]
        for value in before:
            producer.produce("paused", value.encode(), partition=0, on_delivery=report)
        producer.flush(30)
        self.assertEqual((delivered, errors), (before, []))
        # A consumer that has read them all: its next Fetch parks on the leader in a long poll of
        # 100 s (librdkafka wants socket.timeout.ms at least 1 s longer).
        consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": "fenced", "enable.auto.commit": False,
                             "fetch.wait.max.ms": 100000, "socket.timeout.ms": 110000})
        consumer.assign([TopicPartition("paused", 0, 0)])
        consumed = []

        def consume_until(count, seconds):
            deadline = time.monotonic() + seconds
            while len(consumed) < count and time.monotonic() < deadline:
                message = consumer.poll(0.2)
                if message is not None and message.error() is None:
                    consumed.append(message.value().decode())

        consume_until(len(before), 20)
        self.assertEqual(consumed, before)
        time.sleep(0.5)  # its next Fetch is parked on the leader now

        os.kill(old_leader.proc.pid, signal.SIGSTOP)
        try:
            # Sent while the leader is frozen: these requests wait in its socket.
            during = [f"d{i}" for i in range(20)]
            for value in during:
                producer.produce("paused", value.encode(), partition=0, on_delivery=report)
            producer.poll(0.5)
            # The controller fences the silent broker and moves the leadership.
            moved = wait_until(lambda: (lambda i: i and i[0] not in (-1, old_leader_id) and i)(
                partition_info(other, "paused")), timeout=20)
            self.assertTrue(moved, partition_info(other, "paused"))
        finally:
            os.kill(old_leader.proc.pid, signal.SIGCONT)
        after = [f"a{i}" for i in range(10)]
        for value in after:
            producer.produce("paused", value.encode(), partition=0, on_delivery=report)
        left = producer.flush(60)
        self.assertEqual(left, 0)
        self.assertEqual(errors, [], "\n".join(l for l in old_leader.log().splitlines() if "paused" in l)[-4000:])
        self.assertEqual(sorted(delivered), sorted(before + during + after))
        # Nothing lost, nothing twice, in produce order: read from the new leader.
        new_leader = wait_until(lambda: full_isr(other, "paused"), timeout=30) or partition_info(other, "paused")
        self.assertEqual(consume_all(cluster.nodes[new_leader[0] - 1], "paused", 50), before + during + after)
        # The consumer's parked fetch was answered (NOT_LEADER_OR_FOLLOWER), not left to its
        # 100 s: it found the new leader and read on - every record once, in order.
        consume_until(len(before + during + after), 40)
        consumer.close()
        self.assertEqual(consumed, before + during + after)
        # The resumed node learnt that it no longer leads, and said so to what waited there.
        self.assertIn("not by this node", old_leader.log())

    def test_b_resumed_leader_answers_a_parked_fetch_on_an_idle_partition(self):
        """Nothing is written after the failover, so no append or high-watermark move wakes the
        consumer's Fetch parked on the frozen leader (fetch.wait.max.ms 100 s): only leadership
        moving away does. The consumer learns of the new leader (librdkafka refreshes its metadata
        on NOT_LEADER_OR_FOLLOWER), seen in its statistics, long before its 100 s are over.
        Its metadata refresh after the error waits 1 s (topic.metadata.refresh.fast.interval.ms,
        librdkafka's default 250 ms): later than the resumed node takes to rejoin the ISR (about
        0.6 s), so if leadership went home (auto.leader.rebalance.enable) the consumer would find
        the old leader in a new epoch, as it did now and then on a loaded machine - it must find
        the failover's leader."""
        import json
        admin = AdminClient({"bootstrap.servers": bootstrap()})
        admin.create_topics([NewTopic("idle", 1, 3)])["idle"].result(10)
        info = wait_until(lambda: full_isr(cluster.nodes[0], "idle"), timeout=20)
        self.assertTrue(info, partition_info(cluster.nodes[0], "idle"))
        old_leader = cluster.nodes[info[0] - 1]
        other = next(n for n in cluster.nodes if n is not old_leader)
        leaders = []

        def stats(text):
            partition = json.loads(text).get("topics", {}).get("idle", {}).get("partitions", {}).get("0")
            if partition:
                leaders.append(partition["leader"])

        consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": "idle", "enable.auto.commit": False,
                             "fetch.wait.max.ms": 100000, "socket.timeout.ms": 110000,
                             "statistics.interval.ms": 100, "stats_cb": stats,
                             "topic.metadata.refresh.fast.interval.ms": 1000})
        try:
            consumer.assign([TopicPartition("idle", 0, 0)])
            self.assertTrue(wait_until(lambda: consumer.poll(0.1) is None and leaders and leaders[-1] == info[0],
                                       timeout=20), leaders[-5:])
            time.sleep(0.5)  # its Fetch is parked on the leader
            os.kill(old_leader.proc.pid, signal.SIGSTOP)
            try:
                moved = wait_until(lambda: (lambda i: i and i[0] not in (-1, info[0]) and i)(
                    partition_info(other, "idle")), timeout=20)
                self.assertTrue(moved, partition_info(other, "idle"))
            finally:
                os.kill(old_leader.proc.pid, signal.SIGCONT)
            found = wait_until(lambda: consumer.poll(0.1) is None and leaders and leaders[-1] == moved[0],
                               timeout=40)
            self.assertTrue(found, f"the consumer still sees leader {leaders[-1:]}, not {moved[0]}: its parked "
                            "fetch was not answered when leadership moved")
        finally:
            consumer.close()
        self.assertIn("replica: idle-0 is led by", old_leader.log())


if __name__ == "__main__":
    tap.main()
