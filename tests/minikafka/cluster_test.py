"""The KRaft controller quorum between three minikafka processes (issue 19, part 2): a leader is
elected over Kafka's Vote/BeginQuorumEpoch RPCs, followers replicate the metadata log by Fetch,
every broker registers and is unfenced (BrokerRegistration/BrokerHeartbeat) and kcat -L lists
all three and the active controller; a kill -9 of the active controller gets another one
elected in a higher epoch with every committed record kept, the dead broker is fenced after the
session timeout, and the killed node rejoins as a follower with the same log and registers
again. Also: the KRaft options refuse what is not supported, and a node without
controller.quorum.voters is the single node it always was.

What is watched is GET /api/quorum on each node's admin port (core/controller.cpp, quorum_json)."""
import json
import os
import re
import socket
import struct
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

import tap
from servers import Server, free_ports, wait_until

# Short quorum timeouts keep the test short; generous enough for the sanitizer build.
TIMEOUTS = ["--quorum.election.timeout.ms", "500", "--quorum.fetch.timeout.ms", "1500",
            "--quorum.request.timeout.ms", "500", "--broker.heartbeat.interval.ms", "300",
            "--broker.session.timeout.ms", "2000", "--leader.imbalance.check.interval.seconds", "1"]


def unfenced(view):
    return sorted(b["id"] for b in view["brokers"] if not b["fenced"])


def kcat_brokers(port):
    """kcat -L: (the broker ids listed, the one marked as controller)."""
    out = subprocess.run(["kcat", "-b", f"127.0.0.1:{port}", "-L", "-m", "5"], capture_output=True, text=True,
                         timeout=30).stdout
    ids = [int(i) for i in re.findall(r"broker (\d+) at", out)]
    controller = re.findall(r"broker (\d+) at \S+ \(controller\)", out)
    return sorted(ids), int(controller[0]) if controller else None


def describe_quorum(port):
    """DescribeQuorum (API 55) v1 on the wire, as kafka-metadata-quorum.sh would send it:
    (leader id, leader epoch, high watermark, {voter id: log end offset})."""
    topic = b"__cluster_metadata"
    body = bytes([2, len(topic) + 1]) + topic + bytes([2]) + struct.pack(">i", 0) + bytes([0, 0, 0])
    header = struct.pack(">hhih", 55, 1, 7, 4) + b"test" + bytes([0])  # header v2: empty tags
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
        size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        data = s.recv(size, socket.MSG_WAITALL)
    correlation_id, _tags, error = struct.unpack(">ibh", data[:7])
    at = 7 + 1 + 1 + len(topic) + 1  # topics: 1, name, partitions: 1
    _index, partition_error, leader, epoch, high_watermark = struct.unpack(">ihiiq", data[at:at + 22])
    at += 22
    voters = {}
    for _ in range(data[at] - 1):
        voter, end, _fetch, _caught_up = struct.unpack(">iqqq", data[at + 1:at + 29])
        voters[voter] = end
        at += 29  # the struct and its empty tags
    assert correlation_id == 7 and error == 0 and partition_error == 0, (correlation_id, error, partition_error)
    return leader, epoch, high_watermark, voters


def logged(server, text, timeout=10):
    """True once `text` is in the server's log. A line the node wrote before it answered the HTTP
    request that told the test to look may still be in the pipe, not yet read by the reader
    thread of servers.py: on a loaded machine that thread runs late."""
    return wait_until(lambda: text in server.log(), timeout=timeout)


def quorum(server):
    """This node's /api/quorum, or None while it is down or not answering."""
    if server.proc is None:
        return None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.admin_port}/api/quorum", timeout=2) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


class Cluster:
    def __init__(self, *extra, trace=True):
        self.controller_ports = free_ports(3)
        voters = ",".join(f"{i + 1}@127.0.0.1:{port}" for i, port in enumerate(self.controller_ports))
        self.nodes = []
        for i, port in enumerate(self.controller_ports):
            self.nodes.append(Server("MINIKAFKA_BIN", "--admin-port", "0", "--trace", "true" if trace else "false",
                                     "--node.id", str(i + 1), "--process.roles", "broker,controller",
                                     "--controller.quorum.voters", voters,
                                     "--listeners", f"CONTROLLER://127.0.0.1:{port}", *TIMEOUTS, *extra))

    def views(self):
        return [quorum(node) for node in self.nodes]

    def settled_leader(self, among=None, min_epoch=0):
        """The leader's view, once every running node agrees on it, the leader has committed all it
        holds, and every node has applied up to that; None until then."""
        views = [v for v in self.views() if v is not None]
        if among is not None and len(views) < among:
            return None
        leaders = [v for v in views if v["role"] == "leader" and v["epoch"] >= min_epoch]
        if len(leaders) != 1:
            return None
        leader = leaders[0]
        # Committed in its own epoch (its LeaderChange record first of all): until then a new
        # leader still shows the high watermark it inherited.
        if leader["high_watermark"] != leader["log_end_offset"]:
            return None
        for v in views:
            if (v["leader_id"] != leader["node_id"] or v["epoch"] != leader["epoch"]
                    or v["applied_offset"] != leader["high_watermark"]):
                return None
        # The leader's own broker is registered and unfenced: the epoch has records of its own.
        if not any(b["id"] == leader["node_id"] and not b["fenced"] for b in leader["brokers"]):
            return None
        return leader

    def all_registered(self, brokers=(1, 2, 3)):
        """The settled leader's view once `brokers` are all registered and unfenced, else None:
        the moment a test of a formed cluster can start."""
        leader = self.settled_leader(among=3)
        return leader if leader and unfenced(leader) == list(brokers) else None

    def close(self):
        for node in self.nodes:
            node.close()


class ControllerQuorum(unittest.TestCase):
    def test_leader_killed_another_elected_old_one_rejoins_with_the_same_log(self):
        cluster = Cluster()
        try:
            first = wait_until(cluster.all_registered, timeout=20)
            self.assertIsNotNone(first, "no leader elected: " + json.dumps(cluster.views()))
            # Kafka's clients see it: Metadata on any node lists every broker and the controller.
            other = cluster.nodes[first["node_id"] % 3]
            self.assertEqual(kcat_brokers(other.port), ([1, 2, 3], first["node_id"]))
            # DescribeQuorum on Kafka's wire, asked of the leader.
            leader, epoch, high_watermark, voters = describe_quorum(cluster.nodes[first["node_id"] - 1].port)
            self.assertEqual((leader, epoch), (first["node_id"], first["epoch"]))
            self.assertGreaterEqual(high_watermark, first["high_watermark"])
            self.assertEqual(sorted(voters), [1, 2, 3])
            self.assertGreaterEqual(first["high_watermark"], 2)  # LeaderChange + RegisterBrokerRecord
            for voter in first["voters"]:  # the leader sees every voter's log end and lag
                self.assertIsNotNone(voter["log_end_offset"], first)
                self.assertIsNotNone(voter["lag"], first)
            old = cluster.nodes[first["node_id"] - 1]
            committed_records = first["applied_records"]
            committed_end = first["high_watermark"]

            old.kill9()
            second = wait_until(lambda: cluster.settled_leader(min_epoch=first["epoch"] + 1), timeout=20)
            self.assertIsNotNone(second, "no new leader after the kill: " + json.dumps(cluster.views()))
            self.assertNotEqual(second["node_id"], first["node_id"])
            self.assertGreater(second["epoch"], first["epoch"])
            # Everything committed before the kill is still there, and applied (the new leader's
            # LeaderChange record comes on top).
            self.assertGreater(second["high_watermark"], committed_end)
            self.assertGreaterEqual(second["applied_records"], committed_records)
            self.assertIn(first["node_id"], [b["id"] for b in second["brokers"]])
            leader_node = cluster.nodes[second["node_id"] - 1]
            self.assertTrue(logged(leader_node, f"quorum: node {second['node_id']} leads epoch {second['epoch']}"),
                            leader_node.log()[-3000:])
            # The dead broker misses its heartbeats: fenced after the session timeout.
            survivors = sorted({1, 2, 3} - {first["node_id"]})
            fenced = wait_until(lambda: (v := quorum(leader_node)) and unfenced(v) == survivors and v, timeout=20)
            self.assertIsNotNone(fenced, json.dumps(quorum(leader_node)))
            self.assertTrue(logged(leader_node, f"FenceBrokerRecord broker={first['node_id']}"),
                            leader_node.log()[-3000:])
            self.assertEqual(kcat_brokers(leader_node.port), (survivors, second["node_id"]))
            old_broker_epoch = [b for b in first["brokers"] if b["id"] == first["node_id"]][0]["broker_epoch"]

            old.start()  # same data directory: its metadata log and quorum-state file

            def rejoined():
                leader = cluster.settled_leader(among=3, min_epoch=second["epoch"])
                view = quorum(old)
                if leader is None or view is None or view["role"] != "follower":
                    return None
                if view["log_end_offset"] != leader["log_end_offset"] or unfenced(leader) != [1, 2, 3]:
                    return None
                return leader, view

            result = wait_until(rejoined, timeout=20)
            self.assertIsNotNone(result, "old leader did not rejoin: " + json.dumps(cluster.views()))
            leader, view = result
            self.assertEqual(view["leader_id"], second["node_id"])
            self.assertEqual(view["applied_records"], leader["applied_records"])
            self.assertEqual(view["brokers"], leader["brokers"])
            # A new process, a new registration: a new broker epoch (the old one is stale).
            rejoined_epoch = [b for b in view["brokers"] if b["id"] == first["node_id"]][0]["broker_epoch"]
            self.assertGreater(rejoined_epoch, old_broker_epoch)
            # A graceful stop of the leader hands over: it resigns with EndQuorumEpoch (API 54) on
            # the wire, and a follower stands for election at once.
            leader_node = cluster.nodes[leader["node_id"] - 1]
            self.assertEqual(leader_node.stop(), 0, leader_node.log()[-3000:])
            self.assertIn(f"controller: node {leader['node_id']} resigns epoch {leader['epoch']}", leader_node.log())
            followers = [n for n in cluster.nodes if n is not leader_node]
            # Best effort, as in Kafka: a follower whose link from the leader is still reconnecting
            # (the one that just restarted) may not get it; one is enough to hand over at once.
            handed = wait_until(lambda: any("EndQuorumEpoch v0" in n.log() for n in followers), timeout=10)
            self.assertTrue(handed, [n.log()[-2000:] for n in followers])
            third = wait_until(lambda: cluster.settled_leader(min_epoch=leader["epoch"] + 1), timeout=20)
            self.assertIsNotNone(third, json.dumps(cluster.views()))
            # A clean stop everywhere (under the sanitizers: no leak, no error report either).
            for node in followers:
                self.assertEqual(node.stop(), 0, node.log()[-3000:])
        finally:
            cluster.close()

    def test_a_topic_the_quorum_cannot_commit_is_not_reported_created(self):
        # Both followers die; the leader still leads until check-quorum (1.5 x the fetch timeout)
        # and takes the CreateTopics, but no majority can commit it. The answer must not be
        # "created": it was REQUEST_TIMED_OUT's job (it used to say success after 3 s).
        from confluent_kafka import KafkaError
        from confluent_kafka.admin import AdminClient, NewTopic
        cluster = Cluster(trace=False)
        try:
            leader = wait_until(lambda: (v := cluster.settled_leader(among=3)) and unfenced(v) == [1, 2, 3] and v,
                                timeout=30)
            self.assertIsNotNone(leader, json.dumps(cluster.views()))
            node = cluster.nodes[leader["node_id"] - 1]
            for other in cluster.nodes:
                if other is not node:
                    other.kill9()
            admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{node.port}"})
            future = admin.create_topics([NewTopic("never", 1, 1)], request_timeout=15)["never"]
            with self.assertRaises(Exception) as refused:
                future.result(20)
            self.assertIn(refused.exception.args[0].code(), (KafkaError.REQUEST_TIMED_OUT, KafkaError.NOT_CONTROLLER))
            self.assertNotIn("never", admin.list_topics(timeout=10).topics)
            # No quorum, so no active controller: once the node has given up leading and stands
            # for election (leader -1, for good without a majority), Metadata still names a broker
            # the client can reach as the controller (this one, which forwards admin requests and
            # answers NOT_CONTROLLER meanwhile), as Kafka's KRaft brokers do; -1 left librdkafka
            # holding a CreateTopics until its own timeout.
            self.assertTrue(wait_until(lambda: (quorum(node) or {}).get("leader_id") == -1, timeout=20),
                            json.dumps(quorum(node)))
            metadata = admin.list_topics(timeout=10)
            self.assertIn(metadata.controller_id, metadata.brokers)
        finally:
            cluster.close()

    def test_unsupported_roles_and_bad_voters_are_refused(self):
        binary = os.environ["MINIKAFKA_BIN"]
        with tempfile.TemporaryDirectory() as directory:
            def run(*args):
                return subprocess.run([binary, "--port", "0", "--dir", directory, *args], capture_output=True,
                                      text=True, timeout=30)

            voters = "1@127.0.0.1:1,2@127.0.0.1:2,3@127.0.0.1:3"
            result = run("--node.id", "1", "--process.roles", "broker", "--controller.quorum.voters", voters)
            self.assertEqual(result.returncode, 2)
            self.assertIn("node.id=1 is a voter", result.stderr)  # a broker-only node is not a voter
            result = run("--node.id", "4", "--process.roles", "controller", "--controller.quorum.voters", voters)
            self.assertEqual(result.returncode, 2)
            self.assertIn("process.roles=controller", result.stderr)  # a controller alone: not supported
            result = run("--node.id", "4", "--process.roles", "broker,controller", "--controller.quorum.voters",
                         voters)
            self.assertEqual(result.returncode, 2)
            self.assertIn("node.id=4 is not in controller.quorum.voters", result.stderr)
            result = run("--node.id", "1", "--process.roles", "broker,controller", "--controller.quorum.voters",
                         "1@127.0.0.1")
            self.assertEqual(result.returncode, 2)
            self.assertIn("is not id@host:port", result.stderr)

    def test_without_voters_a_node_is_the_single_node_it_was(self):
        with Server("MINIKAFKA_BIN", "--admin-port", "0") as server:
            with self.assertRaises(urllib.error.HTTPError) as raised:
                urllib.request.urlopen(f"http://127.0.0.1:{server.admin_port}/api/quorum", timeout=5)
            self.assertEqual(raised.exception.code, 404)
            self.assertNotIn("controller", server.log())


if __name__ == "__main__":
    tap.main()
