"""IncrementalAlterConfigs (API 44, KIP-339) on a 3-node cluster: SET / DELETE / APPEND / SUBTRACT
change only the configs they name, through the active controller (ConfigRecords in the metadata
log), sent to the controller itself and to a node that forwards it; every node's DescribeConfigs
(confluent-kafka's admin client) shows the result. Debian's clients predate the API
(confluent-kafka 1.7 and kafka-python 2.0.2 have no incremental_alter_configs), so the request is
built here on the wire, v0 (classic) and v1 (flexible), as Kafka's schema has it.

READ NEXT: handlers/admin.cpp (handle_incremental_alter_configs), protocol/admin.cpp,
docs/minikafka/05-replication-and-the-controller.md "Topics belong to the controller".
"""
import socket
import struct
import unittest

from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

import tap
from cluster_test import Cluster
from servers import wait_until

SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
TOPIC = 2


def uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7F | 0x80])
        n >>= 7
    return out + bytes([n])


def read_uvarint(data, at):
    shift = value = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def incremental_alter(port, name, ops, version=1, kind=TOPIC):
    """One resource; ops: [(config, operation, value or None)]. Returns (error code, message)."""
    flexible = version >= 1

    def string(s):
        b = s.encode()
        return uvarint(len(b) + 1) + b if flexible else struct.pack(">h", len(b)) + b

    def nullable(s):
        if s is not None:
            return string(s)
        return uvarint(0) if flexible else struct.pack(">h", -1)

    def array(n):
        return uvarint(n + 1) if flexible else struct.pack(">i", n)

    tags = b"\x00" if flexible else b""
    body = array(1) + struct.pack(">b", kind) + string(name) + array(len(ops))
    for config, op, value in ops:
        body += string(config) + struct.pack(">b", op) + nullable(value) + tags
    body += tags + b"\x00" + tags  # resource tags, validate_only false, request tags
    header = struct.pack(">hhih", 44, version, 11, 4) + b"test" + tags
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
        size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        data = s.recv(size, socket.MSG_WAITALL)
    assert struct.unpack(">i", data[:4])[0] == 11
    at = 4 + len(tags) + 4  # correlation id, header tags, throttle
    if flexible:
        count, at = read_uvarint(data, at)
        count -= 1
    else:
        count, at = struct.unpack(">i", data[at:at + 4])[0], at + 4
    assert count == 1, count
    error = struct.unpack(">h", data[at:at + 2])[0]
    at += 2
    if flexible:
        length, at = read_uvarint(data, at)
        length -= 1
    else:
        length, at = struct.unpack(">h", data[at:at + 2])[0], at + 2
    message = data[at:at + length].decode() if length > 0 else None
    return error, message


def overrides(node, topic):
    """{name: value} of the topic's dynamic (overridden) configs, as `node` describes them."""
    admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{node.port}"})
    configs = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
    entries = list(configs.values())[0].result(10)
    return {name: e.value for name, e in entries.items() if not e.is_default}


class IncrementalAlterConfigs(unittest.TestCase):
    def test_only_the_named_configs_change_through_the_controller(self):
        cluster = Cluster(trace=False)
        try:
            leader = wait_until(cluster.all_registered, timeout=30)
            self.assertIsNotNone(leader, "no controller quorum")
            controller = cluster.nodes[leader["node_id"] - 1]
            other = cluster.nodes[leader["node_id"] % 3]  # not the controller: it forwards
            admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{other.port}"})
            admin.create_topics([NewTopic("cfg", 1, 3, config={"retention.ms": "100000",
                                                                "segment.bytes": "1000000"})])["cfg"].result(10)
            self.assertTrue(wait_until(lambda: all(overrides(n, "cfg") == {"retention.ms": "100000",
                                                                           "segment.bytes": "1000000"}
                                                   for n in cluster.nodes), timeout=10))

            # Forwarded (v1, flexible): SET one, DELETE another - nothing else changes.
            self.assertEqual(incremental_alter(other.port, "cfg", [("retention.ms", SET, "60000"),
                                                                   ("segment.bytes", DELETE, None)]), (0, None))
            want = {"retention.ms": "60000"}
            self.assertEqual(overrides(other, "cfg"), want)  # answered once visible on that node
            self.assertTrue(wait_until(lambda: all(overrides(n, "cfg") == want for n in cluster.nodes), timeout=10),
                            [overrides(n, "cfg") for n in cluster.nodes])

            # On the controller (v0): APPEND to a list config, SET the replication setting.
            self.assertEqual(incremental_alter(controller.port, "cfg", [("cleanup.policy", APPEND, "delete"),
                                                                        ("min.insync.replicas", SET, "2")],
                                               version=0), (0, None))
            want = {"retention.ms": "60000", "cleanup.policy": "delete", "min.insync.replicas": "2"}
            self.assertTrue(wait_until(lambda: all(overrides(n, "cfg") == want for n in cluster.nodes), timeout=10),
                            [overrides(n, "cfg") for n in cluster.nodes])

            # Refused as a whole: APPEND to a config that is not a list (INVALID_CONFIG, 40); an
            # unknown topic (3); a bad value (40) - and the configs are as they were.
            error, message = incremental_alter(other.port, "cfg", [("retention.ms", SUBTRACT, "1"),
                                                                   ("segment.ms", SET, "5000")])
            self.assertEqual(error, 40, message)
            self.assertIn("not a list", message)
            self.assertEqual(incremental_alter(other.port, "nope", [("retention.ms", SET, "1")])[0], 3)
            self.assertEqual(incremental_alter(controller.port, "cfg", [("segment.bytes", SET, "3")])[0], 40)
            self.assertEqual(overrides(controller, "cfg"), want)
            # Broker configs are command-line options here (Kafka's answer for a static config).
            self.assertEqual(incremental_alter(other.port, "1", [("log.retention.ms", SET, "1")], kind=4)[0], 42)
        finally:
            cluster.close()


if __name__ == "__main__":
    tap.main()
