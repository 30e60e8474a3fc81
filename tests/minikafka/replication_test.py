"""Kafka's ISR replication between three minikafka processes (issue 19, part 3), driven by
confluent-kafka and kcat: an RF 3 topic created through the controller (from a node that is not
the controller: the request is forwarded), acks=all produces that every replica's log holds
byte for byte, a kill -9 of a follower that leaves the ISR while acks=all keeps succeeding with
min.insync.replicas=2, NOT_ENOUGH_REPLICAS when an ISR is smaller than a topic's
min.insync.replicas=3, the follower's return to the ISR (AlterPartition), and a kill -9 of the
partition leader after which another ISR member leads (a higher leader epoch) with every
acknowledged record, and the old leader's return as a follower with a byte-identical log."""
import glob
import os
import signal
import time
import subprocess
import unittest

from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic

import tap
from cluster_test import Cluster
from servers import wait_until


def partition_info(node, topic, partition=0):
    """(leader, leader epoch, replicas, isr) of a partition as `node` answers Metadata."""
    admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{node.port}"})
    md = admin.list_topics(topic, timeout=5)
    t = md.topics.get(topic)
    if t is None or t.error is not None or partition not in t.partitions:
        return None
    p = t.partitions[partition]
    if p.error is not None:
        return None
    return p.leader, p.leader_epoch if hasattr(p, "leader_epoch") else None, sorted(p.replicas), sorted(p.isrs)


def produce(node, topic, values, partition=0, **config):
    """acks=all produce; the delivery errors (None for each record that was acknowledged)."""
    producer = Producer({"bootstrap.servers": f"127.0.0.1:{node.port}", "acks": "all",
                         "message.timeout.ms": 20000, **config})
    errors = []
    for value in values:
        producer.produce(topic, value.encode(), partition=partition, on_delivery=lambda err, msg: errors.append(err))
    producer.flush(30)
    return errors


def consume(node, topic, partition=0):
    out = subprocess.run(["kcat", "-b", f"127.0.0.1:{node.port}", "-C", "-t", topic, "-p", str(partition),
                          "-o", "beginning", "-e", "-q", "-m", "10"], capture_output=True, text=True, timeout=30)
    return out.stdout.split()


def log_bytes(node, topic, partition=0):
    return b"".join(open(f, "rb").read() for f in sorted(glob.glob(os.path.join(node.dir, f"{topic}-{partition}",
                                                                                "*.log"))))


class Replication(unittest.TestCase):
    def test_acks_all_replicates_survives_a_follower_and_a_leader_kill(self):
        cluster = Cluster("--min.insync.replicas", "2")
        try:
            controller = wait_until(cluster.all_registered, timeout=20)
            self.assertIsNotNone(controller, "no controller quorum")
            # Created on a node that is not the active controller: forwarded to it.
            asked = cluster.nodes[controller["node_id"] % 3]
            admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{asked.port}"})
            admin.create_topics([NewTopic("orders", 1, 3)])["orders"].result(10)
            too_many = admin.create_topics([NewTopic("wide", 1, 4)])["wide"]
            with self.assertRaises(Exception) as refused:
                too_many.result(10)
            self.assertEqual(refused.exception.args[0].code(), KafkaError.INVALID_REPLICATION_FACTOR)

            info = wait_until(lambda: partition_info(asked, "orders"), timeout=10)
            self.assertIsNotNone(info)
            leader_id, epoch, replicas, isr = info
            self.assertEqual((replicas, isr), ([1, 2, 3], [1, 2, 3]))
            leader = cluster.nodes[leader_id - 1]
            followers = [n for n in cluster.nodes if n is not leader]

            strict = NewTopic("strict", 1, replica_assignment=[[leader_id] + [
                cluster.nodes.index(n) + 1 for n in followers]], config={"min.insync.replicas": "3"})
            admin.create_topics([strict])["strict"].result(10)
            self.assertEqual(produce(asked, "strict", ["all three"]), [None])  # ISR 3 >= 3

            first = [f"r{i}" for i in range(100)]
            self.assertEqual(produce(asked, "orders", first), [None] * 100)
            # acks=all answered: every replica holds the same batches, byte for byte.
            self.assertTrue(wait_until(lambda: len({log_bytes(n, "orders") for n in cluster.nodes}) == 1
                                       and log_bytes(leader, "orders"), timeout=10))
            self.assertEqual(consume(leader, "orders"), first)
            self.assertIn("follower", followers[0].log())  # --trace narrated the follower fetches

            # A follower dies: fenced after the session timeout, it leaves the ISR, and acks=all
            # still succeeds with two in-sync replicas (min.insync.replicas=2).
            followers[0].kill9()
            second = [f"s{i}" for i in range(10)]
            self.assertEqual(produce(leader, "orders", second), [None] * 10)
            ids = {id(n): cluster.nodes.index(n) + 1 for n in cluster.nodes}
            dead_id, survivor_id = ids[id(followers[0])], ids[id(followers[1])]
            shrunk = wait_until(lambda: (partition_info(leader, "orders") or (0, 0, 0, []))[3] ==
                                sorted([leader_id, survivor_id]), timeout=10)
            self.assertTrue(shrunk, partition_info(leader, "orders"))

            # A topic that asks for min.insync.replicas=3 (a topic config, a ConfigRecord in the
            # metadata log): its ISR is 2 now, so acks=all is refused.
            self.assertTrue(wait_until(lambda: (partition_info(leader, "strict") or (0, 0, 0, []))[3] ==
                                       sorted([leader_id, survivor_id]), timeout=10), partition_info(leader, "strict"))
            errors = produce(leader, "strict", ["x"], retries=0, **{"message.timeout.ms": 5000})
            self.assertEqual([e.code() if e else None for e in errors], [KafkaError.NOT_ENOUGH_REPLICAS],
                             "\n".join(l for l in leader.log().splitlines() if "strict" in l))

            # The dead follower comes back: it catches up by fetching and the leader asks the
            # controller to take it back into the ISR (AlterPartition).
            followers[0].start()
            back = wait_until(lambda: (lambda i: i and i[3] == [1, 2, 3] and i)(partition_info(leader, "orders")),
                              timeout=20)
            self.assertTrue(back, partition_info(leader, "orders"))
            self.assertIn("AlterPartition", leader.log())
            # Then the partition leader dies: another ISR member leads (fenced broker -> new leader,
            # new leader epoch) with every acknowledged record.
            leader.kill9()
            alive = [n for n in cluster.nodes if n is not leader]

            def new_leader():
                info = partition_info(alive[0], "orders")
                return info if info and info[0] in (ids[id(alive[0])], ids[id(alive[1])]) else None
            new = wait_until(new_leader, timeout=20)
            self.assertIsNotNone(new, partition_info(alive[0], "orders"))
            self.assertEqual(consume(cluster.nodes[new[0] - 1], "orders"), first + second)
            third = [f"t{i}" for i in range(10)]
            self.assertEqual(produce(alive[0], "orders", third), [None] * 10)  # ISR of 2 left: acks=all works
            self.assertEqual(consume(cluster.nodes[new[0] - 1], "orders"), first + second + third)

            # The old leader restarts as a follower of the new one: it cuts its log back to the
            # start of its last leader epoch, fetches, rejoins the ISR, and the three logs are
            # byte-identical again - the batches written in the new epoch carry the new leader's
            # epoch stamp on every replica (followers append them as they came).
            leader.start()
            new_leader_node = cluster.nodes[new[0] - 1]
            self.assertTrue(wait_until(lambda: (partition_info(new_leader_node, "orders") or (0, 0, 0, []))[3]
                                       == [1, 2, 3], timeout=20), partition_info(new_leader_node, "orders"))
            self.assertTrue(wait_until(lambda: len({log_bytes(n, "orders") for n in cluster.nodes}) == 1,
                                       timeout=10), [len(log_bytes(n, "orders")) for n in cluster.nodes])
            self.assertEqual(consume(leader, "orders"), first + second + third)
        finally:
            cluster.close()

    def test_an_idempotent_retry_is_not_acknowledged_before_it_is_replicated(self):
        """acks=all with both followers frozen: the first attempt times out on the broker (its
        records wait for a HW that cannot move), librdkafka retries the same batch (same producer
        id and sequence), the leader recognises the duplicate - and must still wait for the HW,
        as Kafka's delayed produce does, not acknowledge it because the leader has the batch."""
        cluster = Cluster("--min.insync.replicas", "2")
        stopped = []
        try:
            self.assertIsNotNone(wait_until(cluster.all_registered, timeout=20), "no controller quorum")
            node = cluster.nodes[0]
            admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{node.port}"})
            admin.create_topics([NewTopic("retried", 1, 3)])["retried"].result(10)
            info = wait_until(lambda: (lambda i: i and i[3] == [1, 2, 3] and i)(partition_info(node, "retried")),
                              timeout=10)
            self.assertTrue(info)
            leader = cluster.nodes[info[0] - 1]
            self.assertEqual(produce(leader, "retried", ["before"], **{"enable.idempotence": True}), [None])
            for n in cluster.nodes:
                if n is not leader:
                    os.kill(n.proc.pid, signal.SIGSTOP)
                    stopped.append(n)
            started = time.monotonic()
            errors = produce(leader, "retried", ["while frozen"], **{"enable.idempotence": True,
                             "request.timeout.ms": 1000, "message.timeout.ms": 4500})
            self.assertEqual(len(errors), 1)
            self.assertIsNotNone(errors[0], f"acknowledged after {time.monotonic() - started:.1f} s with both "
                                 "followers frozen: the retry's duplicate was answered before replication")
        finally:
            for n in stopped:
                os.kill(n.proc.pid, signal.SIGCONT)
            cluster.close()


if __name__ == "__main__":
    tap.main()
