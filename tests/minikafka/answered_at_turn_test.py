"""Answered at its turn: a request queued behind a reply that waits is answered from the broker's
state when its answer leaves, not when it came (issue 19, the failover's tail; server.cpp,
run_postponed). Kafka gets this for free by reading one request per connection at a time;
minikafka pipelines, so the requests whose answers only read state wait for their turn.

The failover as a client lives it, made deterministic. Node 2 leads `parked-0`, node 1 leads
`moved-0`; on one connection to node 2:

    Fetch parked-0 (a consumer's long poll: parks)       ─┐ the answers leave in this order,
    Produce moved-0 (node 2 does not lead it: yet)        │ so the last two cannot leave
    Metadata moved                                        ─┘ before the Fetch's
    kill -9 node 1 ─▶ fence, moved-0 led by node 2 ─▶ an append to parked-0 wakes the Fetch

Before, the Produce was refused NOT_LEADER_OR_FOLLOWER and the Metadata named node 1 - both
built when the requests came, both sent after node 2 had become the leader: librdkafka then
asked for metadata again and waited for its next round (up to a second, and a second refusal
in the slow kills of benchmarks/minikafka/cluster_bench.py). Now the Produce is taken and the
Metadata names node 2. Which request came when is made sure through node 2's request counters,
not through sleeps.

READ NEXT: minikafka/server.cpp ("answered at its turn"), handlers/produce.cpp, handlers/metadata.cpp.
"""
import re
import socket
import struct
import unittest
import urllib.request

from confluent_kafka.admin import AdminClient, NewTopic

import tap
from cluster_test import Cluster
from replication_test import partition_info
from junk_requests import record_batch  # one valid v2 batch, CRC32C and all
from servers import recv_exactly, wait_until

NOT_LEADER_OR_FOLLOWER = 6


def s16(text):
    return struct.pack(">h", len(text)) + text


def frame(api_key, version, correlation_id, body):
    payload = struct.pack(">hhih", api_key, version, correlation_id, 4) + b"test" + body
    return struct.pack(">i", len(payload)) + payload


def read_response(sock):
    size = struct.unpack(">i", recv_exactly(sock, 4))[0]
    return recv_exactly(sock, size)


def fetch_v4(topic, partition, offset, max_wait_ms):
    """A consumer's Fetch v4 (replica -1, min_bytes 1): parks until records are readable."""
    return (struct.pack(">iiiib", -1, max_wait_ms, 1, 1 << 20, 0) + struct.pack(">i", 1) + s16(topic) +
            struct.pack(">iiqi", 1, partition, offset, 1 << 20))


def produce_v3(topic, partition, batch, acks=-1):
    return (struct.pack(">hhii", -1, acks, 60000, 1) + s16(topic) + struct.pack(">i", 1) +
            struct.pack(">ii", partition, len(batch)) + batch)


def produce_error(payload):
    """The first partition's error code in a Produce v3 response."""
    r = 4 + 4  # correlation id, topic count
    r += 2 + struct.unpack(">h", payload[r:r + 2])[0] + 4  # topic name, partition count
    return struct.unpack(">ih", payload[r:r + 6])[1]


def metadata_leaders(payload):
    """{(topic, partition): leader} from a Metadata v1 response."""
    r = 4
    (brokers,) = struct.unpack(">i", payload[r:r + 4])
    r += 4
    for _ in range(brokers):
        r += 4
        r += 2 + struct.unpack(">h", payload[r:r + 2])[0] + 4  # host, port
        (rack,) = struct.unpack(">h", payload[r:r + 2])
        r += 2 + max(rack, 0)
    r += 4  # controller id
    leaders = {}
    (topics,) = struct.unpack(">i", payload[r:r + 4])
    r += 4
    for _ in range(topics):
        r += 2
        (length,) = struct.unpack(">h", payload[r:r + 2])
        name = payload[r + 2:r + 2 + length].decode()
        r += 2 + length + 1  # is_internal
        (partitions,) = struct.unpack(">i", payload[r:r + 4])
        r += 4
        for _ in range(partitions):
            _, index, leader = struct.unpack(">hii", payload[r:r + 10])
            r += 10
            for _ in range(2):  # replicas, isr
                r += 4 + 4 * struct.unpack(">i", payload[r:r + 4])[0]
            leaders[(name, index)] = leader
    return leaders


def requests_of(node, api):
    text = urllib.request.urlopen(f"http://127.0.0.1:{node.admin_port}/metrics", timeout=5).read().decode()
    m = re.search(r'^minikafka_requests_by_api_total\{api="%s"[^}]*\} (\S+)' % api, text, re.M)
    return int(float(m.group(1))) if m else 0


class AnsweredAtItsTurn(unittest.TestCase):
    def test_a_new_leader_takes_the_produce_that_waited_behind_a_parked_reply(self):
        cluster = Cluster("--min.insync.replicas", "2")
        self.addCleanup(cluster.close)
        self.assertTrue(wait_until(cluster.all_registered, timeout=30), "no controller quorum")
        node1, node2 = cluster.nodes[0], cluster.nodes[1]
        admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{node2.port}"})
        for topic in admin.create_topics([NewTopic("moved", 1, replica_assignment=[[1, 2, 3]]),
                                          NewTopic("parked", 1, replica_assignment=[[2, 3, 1]])]).values():
            topic.result(15)
        for topic, leader in (("moved", 1), ("parked", 2)):
            info = wait_until(lambda: (lambda i: i and i[0] == leader and i[3] == [1, 2, 3] and i)(
                partition_info(node2, topic)), timeout=30)
            self.assertTrue(info, partition_info(node2, topic))
        del admin  # it would keep reconnecting to node 1 once it is killed

        sock = socket.create_connection(("127.0.0.1", node2.port), timeout=60)
        self.addCleanup(sock.close)
        fetches = requests_of(node2, "Fetch")
        sock.sendall(frame(1, 4, 1, fetch_v4(b"parked", 0, 0, 120000)))
        self.assertTrue(wait_until(lambda: "waiting up to max_wait_ms=120000" in node2.log(), timeout=10))
        self.assertGreater(requests_of(node2, "Fetch"), fetches)
        produces, metadatas = requests_of(node2, "Produce"), requests_of(node2, "Metadata")
        sock.sendall(frame(0, 3, 2, produce_v3(b"moved", 0, record_batch(1, 0))) +
                     frame(3, 1, 3, struct.pack(">i", 1) + s16(b"moved")))
        # Both are in node 2 (counted as they are read), while node 1 still leads moved-0.
        self.assertTrue(wait_until(lambda: requests_of(node2, "Produce") > produces and
                                   requests_of(node2, "Metadata") > metadatas, timeout=10))
        self.assertEqual(partition_info(node2, "moved")[0], 1)

        node1.kill9()
        elected = re.compile(r"moved-0 leader 2 epoch \d+: this node \(node 2\) is the leader")
        self.assertTrue(wait_until(lambda: elected.search(node2.log()), timeout=30), node2.log()[-3000:])
        # An append to parked-0 (on another connection) wakes the Fetch once its followers have it.
        other = socket.create_connection(("127.0.0.1", node2.port), timeout=60)
        self.addCleanup(other.close)
        other.sendall(frame(0, 3, 9, produce_v3(b"parked", 0, record_batch(2, 0))))
        self.assertEqual(produce_error(read_response(other)), 0)

        self.assertEqual(struct.unpack(">i", read_response(sock)[:4])[0], 1)  # the Fetch
        produced = read_response(sock)
        self.assertEqual(struct.unpack(">i", produced[:4])[0], 2)
        # Run at its turn, node 2 leads moved-0: taken, not NOT_LEADER_OR_FOLLOWER (6).
        self.assertEqual(produce_error(produced), 0, node2.log()[-3000:])
        metadata = read_response(sock)
        self.assertEqual(struct.unpack(">i", metadata[:4])[0], 3)
        # ... and the Metadata queued behind it names the leader of the moment it left.
        self.assertEqual(metadata_leaders(metadata), {("moved", 0): 2})


if __name__ == "__main__":
    tap.main()
