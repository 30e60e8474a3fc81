"""Adding a broker to a running 3-node cluster (issue 19, part 6): a fourth node with
process.roles=broker (an observer of the controller quorum) registers and takes replicas of new
topics; AlterPartitionReassignments (API 45, raw on the wire, sent to a node that is not the
controller: forwarded) moves a partition onto it while an acks=all producer keeps going - the new
replica catches up by follower fetch, joins the ISR, and the removed one leaves and deletes its
log; no acknowledged record is lost and the new replica's log is byte-identical to the leader's.
ListPartitionReassignments (API 46) shows a move that cannot finish (its new replica is stopped)
and a cancellation (null replicas) takes it back. AlterConfigs on a non-controller node goes
through the controller (a ConfigRecord) and DescribeConfigs shows it on every node, also where the
topic has no replica. No broker keeps a log for a partition it does not replicate."""
import os
import signal
import socket
import struct
import sys
import threading
import unittest

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

import tap
from cluster_test import TIMEOUTS, Cluster, quorum, unfenced
from replication_test import consume, log_bytes, partition_info
from servers import Server, wait_until


def uvarint(n):
    out = b""
    while True:
        if n < 0x80:
            return out + bytes([n])
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7


def compact_string(s):
    return uvarint(len(s) + 1) + s.encode()


def request(port, api_key, body):
    """A flexible v0 request (header v2) and its answer's body (after the v1 response header)."""
    header = struct.pack(">hhih", api_key, 0, 11, 4) + b"test" + bytes([0])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
        size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        data = s.recv(size, socket.MSG_WAITALL)
    assert struct.unpack(">i", data[:4])[0] == 11 and data[4] == 0, data[:8]
    return data[5:]


class Reader:
    """Just enough of Kafka's flexible encoding to read the two answers."""
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, fmt):
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def uvarint(self):
        n, shift = 0, 0
        while True:
            byte = self.data[self.at]
            self.at += 1
            n |= (byte & 0x7F) << shift
            if byte < 0x80:
                return n
            shift += 7

    def string(self):
        n = self.uvarint()
        if n == 0:
            return None
        value = self.data[self.at:self.at + n - 1].decode()
        self.at += n - 1
        return value

    def ids(self):
        return [self.take(">i") for _ in range(self.uvarint() - 1)]

    def tags(self):
        assert self.uvarint() == 0


def reassign(port, topic, partition, replicas):
    """AlterPartitionReassignments v0: (top-level error, the partition's error). replicas None = cancel."""
    ids = uvarint(0) if replicas is None else uvarint(len(replicas) + 1) + b"".join(struct.pack(">i", r)
                                                                                  for r in replicas)
    body = (struct.pack(">i", 30000) + uvarint(2) + compact_string(topic) + uvarint(2) + struct.pack(">i", partition)
            + ids + b"\0" + b"\0" + b"\0")
    r = Reader(request(port, 45, body))
    _throttle, error = r.take(">ih")
    r.string()
    assert r.uvarint() == 2 and r.string() == topic and r.uvarint() == 2
    index, partition_error = r.take(">ih")
    assert index == partition
    return error, partition_error


def list_reassignments(port):
    """ListPartitionReassignments v0 for every topic: {(topic, partition): (replicas, adding, removing)}."""
    r = Reader(request(port, 46, struct.pack(">i", 30000) + uvarint(0) + b"\0"))
    _throttle, error = r.take(">ih")
    assert error == 0 and r.string() is None
    out = {}
    for _ in range(r.uvarint() - 1):
        name = r.string()
        for _ in range(r.uvarint() - 1):
            index = r.take(">i")
            out[(name, index)] = (r.ids(), r.ids(), r.ids())
            r.tags()
        r.tags()
    r.tags()
    return out


def dirs_of(node, topic):
    return sorted(int(d.rsplit("-", 1)[1]) for d in os.listdir(node.dir)
                  if d.startswith(topic + "-") and d.rsplit("-", 1)[1].isdigit())


def topic_config(node, topic, name):
    admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{node.port}"})
    try:
        described = admin.describe_configs([ConfigResource("topic", topic)])
        return list(described.values())[0].result(10)[name].value
    except Exception:  # not known on this node yet
        return None


class AddingABroker(unittest.TestCase):
    def test_a_fourth_broker_takes_new_topics_and_a_reassigned_replica(self):
        cluster = Cluster()
        fourth = None
        stop = threading.Event()
        try:
            controller = wait_until(cluster.all_registered, timeout=20)
            self.assertIsNotNone(controller, "no controller quorum")
            asked = cluster.nodes[controller["node_id"] % 3]  # not the active controller
            admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{asked.port}"})
            admin.create_topics([NewTopic("moving", 1, 3)])["moving"].result(10)
            self.assertTrue(wait_until(lambda: partition_info(asked, "moving"), timeout=10))

            # An acks=all producer that keeps going through everything below.
            acked = []

            def keep_producing():
                producer = Producer({"bootstrap.servers": f"127.0.0.1:{asked.port}", "acks": "all",
                                     "linger.ms": 5, "message.timeout.ms": 30000})
                n = 0
                while not stop.is_set():
                    value = f"m{n}"
                    producer.produce("moving", value.encode(), partition=0,
                                     on_delivery=lambda err, msg: err is None and acked.append(msg.value().decode()))
                    producer.poll(0.005)
                    n += 1
                producer.flush(30)
            writer = threading.Thread(target=keep_producing)
            writer.start()
            self.assertTrue(wait_until(lambda: len(acked) > 20, timeout=10), "the producer got no acks")

            # Node 4 joins: a broker outside the quorum, pointed at the three voters.
            voters = ",".join(f"{i + 1}@127.0.0.1:{p}" for i, p in enumerate(cluster.controller_ports))
            fourth = Server("MINIKAFKA_BIN", "--admin-port", "0", "--trace", "true", "--node.id", "4",
                            "--process.roles", "broker", "--controller.quorum.voters", voters, *TIMEOUTS)
            joined = wait_until(lambda: (lambda v: v and unfenced(v) == [1, 2, 3, 4] and v)(quorum(fourth)),
                                timeout=20)
            self.assertTrue(joined, quorum(fourth))
            self.assertEqual(quorum(fourth)["role"], "follower")  # of the metadata log; never a voter

            # New topics are placed on four brokers; each broker has logs only where it is a replica.
            admin.create_topics([NewTopic("fresh", 4, 2)])["fresh"].result(10)
            everyone = cluster.nodes + [fourth]
            placed = wait_until(lambda: all(partition_info(fourth, "fresh", p) for p in range(4))
                                and [partition_info(fourth, "fresh", p)[2] for p in range(4)], timeout=10)
            self.assertTrue(placed)
            self.assertTrue(any(4 in replicas for replicas in placed), placed)
            for node_id, node in enumerate(everyone, start=1):
                mine = [p for p in range(4) if node_id in placed[p]]
                self.assertTrue(wait_until(lambda: dirs_of(node, "fresh") == mine, timeout=10),
                                (node_id, dirs_of(node, "fresh"), placed))

            # Move "moving" onto node 4 and off its current leader, asked of a non-controller node.
            leader_id, _epoch, replicas, _isr = partition_info(asked, "moving")
            target = [r for r in replicas if r != leader_id] + [4]
            self.assertEqual(reassign(asked.port, "moving", 0, target), (0, 0))
            moved = wait_until(lambda: (lambda i: i and i[2] == sorted(target) and i[3] == sorted(target) and i)(
                partition_info(asked, "moving")), timeout=30)
            self.assertTrue(moved, partition_info(asked, "moving"))
            self.assertEqual(list_reassignments(asked.port), {})
            removed = cluster.nodes[leader_id - 1]
            self.assertTrue(wait_until(lambda: dirs_of(removed, "moving") == [], timeout=10))  # its log is gone
            count = len(acked)
            self.assertTrue(wait_until(lambda: len(acked) > count + 50, timeout=10), "acks=all stopped after the move")

            # The producer stops: nothing acknowledged is lost, and node 4 holds what the leader holds.
            stop.set()
            writer.join(60)
            new_leader = everyone[partition_info(asked, "moving")[0] - 1]
            self.assertTrue(wait_until(lambda: log_bytes(fourth, "moving") == log_bytes(new_leader, "moving"),
                                       timeout=15), (len(log_bytes(fourth, "moving")),
                                                     len(log_bytes(new_leader, "moving"))))
            read = set(consume(fourth, "moving"))  # kcat, from the new leader
            missing = [v for v in acked if v not in read]
            self.assertEqual(missing, [], f"{len(acked)} acknowledged")
            print(f"# {len(acked)} records acknowledged over the run (before, during and after the move), {len(log_bytes(fourth, 'moving'))} bytes "
                  "on node 4, identical to the leader's", file=sys.stderr)
            # --trace narrated both steps on the controller, and the new replica's arrival on node 4.
            traces = "".join(n.log() for n in cluster.nodes)
            self.assertIn("metadata: reassignment of moving-0", traces)
            self.assertIn("adding [4]", traces)
            self.assertIn("reassignment of moving-0 complete", traces)

            # A move that cannot finish: node 4 is stopped, so it never catches up. The list shows
            # it in progress; a cancellation takes the partition back to where it was.
            admin.create_topics([NewTopic("stuck", 1, replica_assignment=[[1, 2]])])["stuck"].result(10)
            self.assertTrue(wait_until(lambda: partition_info(asked, "stuck"), timeout=10))
            before = partition_info(asked, "stuck")[2]
            os.kill(fourth.proc.pid, signal.SIGSTOP)
            try:
                self.assertEqual(reassign(asked.port, "stuck", 0, [1, 4]), (0, 0))
                ongoing = wait_until(lambda: list_reassignments(asked.port).get(("stuck", 0)), timeout=10)
                self.assertEqual(ongoing, ([1, 4, 2], [4], [2]))  # (replicas, adding, removing)
                self.assertEqual(reassign(asked.port, "stuck", 0, None), (0, 0))  # cancel
                self.assertTrue(wait_until(lambda: list_reassignments(asked.port) == {}, timeout=10))
                self.assertEqual(partition_info(asked, "stuck")[2], before)
                self.assertEqual(reassign(asked.port, "stuck", 0, None), (0, 85))  # NO_REASSIGNMENT_IN_PROGRESS
                self.assertEqual(reassign(asked.port, "stuck", 0, [1, 9]), (0, 39))  # INVALID_REPLICA_ASSIGNMENT
            finally:
                os.kill(fourth.proc.pid, signal.SIGCONT)

            # AlterConfigs on a node that is not the controller: a ConfigRecord every broker applies.
            resource = ConfigResource("topic", "moving", set_config={"retention.ms": "7654321",
                                                                     "min.insync.replicas": "2"})
            list(admin.alter_configs([resource]).values())[0].result(10)
            for node in everyone:
                self.assertTrue(wait_until(lambda: topic_config(node, "moving", "retention.ms") == "7654321",
                                           timeout=10), node.port)
                self.assertEqual(topic_config(node, "moving", "min.insync.replicas"), "2")
        finally:
            stop.set()
            if fourth:
                fourth.close()
            cluster.close()


if __name__ == "__main__":
    tap.main()
