"""Leader epochs end to end: batches stamped with the partition's leader epoch on disk, the
leader-epoch-checkpoint file, OffsetsForLeaderEpoch (API 23) on the wire in v0, v3 and the
flexible v4, and the real clients still consuming a partition whose leader epoch was bumped.

A single broker is never re-elected, so the bumped epoch is made the way a log from a cluster
would look: the epoch field of the later batches is rewritten in the stopped broker's segment
file (it sits outside the batch CRC, as in Kafka, so the batches stay valid) - exactly what a
follower's log holds after a leader change. The checkpoint is removed too, so the
restart must rebuild it from the batches, answer API 23 from the log, and advertise the new epoch.

No client packaged in Debian sends API 23 by itself (librdkafka 2.0 predates its KIP-320 offset
validation, kafka-python 2.0 never sends it), so the request is built here byte by byte.
"""
import glob
import os
import struct
import unittest

from confluent_kafka import Consumer, Producer
from kafka import KafkaConsumer, TopicPartition

import tap
from servers import Server, recv_exactly, wait_until

FENCED_LEADER_EPOCH = 74
UNKNOWN_LEADER_EPOCH = 75
UNKNOWN_TOPIC_OR_PARTITION = 3


def frame(api_key, version, correlation_id, body, flexible):
    client_id = b"epoch-test"
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    if flexible:
        header += b"\x00"  # request header v2: empty tagged fields
    return struct.pack(">i", len(header) + len(body)) + header + body



def uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7F | 0x80])
        n >>= 7
    return out + bytes([n])


def offsets_for_leader_epoch(port, version, topic, partition, leader_epoch, current_epoch=-1, replica_id=-1):
    """One request for one partition; returns (error, leader_epoch or None in v0, end_offset)."""
    import socket
    flexible = version >= 4
    name = topic.encode()
    body = struct.pack(">i", replica_id) if version >= 3 else b""
    if flexible:
        body += uvarint(2) + uvarint(len(name) + 1) + name + uvarint(2)
    else:
        body += struct.pack(">ih", 1, len(name)) + name + struct.pack(">i", 1)
    body += struct.pack(">i", partition)
    if version >= 2:
        body += struct.pack(">i", current_epoch)
    body += struct.pack(">i", leader_epoch)
    if flexible:
        body += b"\x00\x00\x00"  # tagged fields: partition, topic, request
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(frame(23, version, 7, body, flexible))
        size = struct.unpack(">i", recv_exactly(sock, 4))[0]
        payload = recv_exactly(sock, size)
    at = 4  # correlation id
    assert struct.unpack(">i", payload[:4])[0] == 7
    if flexible:
        at += 1  # response header v1: tagged fields
    if version >= 2:
        at += 4  # throttle_time_ms
    if flexible:
        assert payload[at] == 2  # one topic (compact: N+1)
        at += 1
        length = payload[at] - 1
        at += 1
        assert payload[at:at + length] == name
        at += length
        assert payload[at] == 2  # one partition
        at += 1
    else:
        assert struct.unpack(">i", payload[at:at + 4])[0] == 1
        length = struct.unpack(">h", payload[at + 4:at + 6])[0]
        at += 6
        assert payload[at:at + length] == name
        at += length
        assert struct.unpack(">i", payload[at:at + 4])[0] == 1
        at += 4
    error, index = struct.unpack(">hi", payload[at:at + 6])
    at += 6
    assert index == partition
    epoch = None
    if version >= 1:
        epoch = struct.unpack(">i", payload[at:at + 4])[0]
        at += 4
    end_offset = struct.unpack(">q", payload[at:at + 8])[0]
    at += 8
    if flexible:
        at += 3  # tagged fields: partition, topic, response
    assert at == len(payload), (at, len(payload))
    return error, epoch, end_offset


def stored_batches(segment):
    """(position, base offset, epoch) of each batch in a .log file."""
    with open(segment, "rb") as f:
        data = f.read()
    batches, at = [], 0
    while at + 12 <= len(data):
        base, length, epoch = struct.unpack(">qii", data[at:at + 16])
        batches.append((at, base, epoch))
        at += 12 + length
    return batches


class LeaderEpochs(unittest.TestCase):
    appended = 0  # records the client test added after the restart (tests run in any order)

    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIKAFKA_BIN", "--trace", "true", "--group.initial.rebalance.delay.ms", "0")
        bootstrap = f"127.0.0.1:{cls.server.port}"
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
        for i in range(5):  # one batch each: flushed one by one
            producer.produce("epochs", value=str(i).encode())
            assert producer.flush(10) == 0
        cls.server.stop()
        # Offsets 3 and 4 become the writes of a leader elected in epoch 3.
        directory = os.path.join(cls.server.dir, "epochs-0")
        segment = sorted(glob.glob(os.path.join(directory, "*.log")))[-1]
        cls.before = stored_batches(segment)
        with open(segment, "r+b") as f:
            for position, base, _ in cls.before:
                if base >= 3:
                    f.seek(position + 12)
                    f.write(struct.pack(">i", 3))
        # As when a follower's directory is copied without it: the start rebuilds it from the log.
        checkpoint = os.path.join(directory, "leader-epoch-checkpoint")
        cls.checkpoint_before = open(checkpoint).read()
        os.remove(checkpoint)
        cls.server.start()
        cls.checkpoint_after = open(os.path.join(directory, "leader-epoch-checkpoint")).read()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_the_broker_stamps_its_epoch_and_checkpoints_it(self):
        # Producers send -1 (kafka-python, Java) or 0; the leader stores its own epoch, 0 here.
        self.assertEqual([(base, epoch) for _, base, epoch in self.before], [(i, 0) for i in range(5)])
        self.assertEqual(self.checkpoint_before, "0\n1\n0 0\n")
        # The restart read the bumped epoch back from the log (Kafka's format: version, count, lines).
        self.assertEqual(self.checkpoint_after, "0\n2\n0 0\n3 3\n")

    def test_each_version_answers_where_an_epoch_ended(self):
        port = self.server.port
        for version in (0, 1, 2, 3, 4):
            error, epoch, end = offsets_for_leader_epoch(port, version, "epochs", 0, 0)
            self.assertEqual((error, end), (0, 3), f"v{version}")  # epoch 0 ended where epoch 3 began
            self.assertEqual(epoch, None if version == 0 else 0)
            error, epoch, end = offsets_for_leader_epoch(port, version, "epochs", 0, 3)
            self.assertEqual((error, end), (0, 5 + self.appended), f"v{version}")  # the current epoch: the log end
        # Epochs the log never saw: the last one before it; newer than all: UNDEFINED.
        self.assertEqual(offsets_for_leader_epoch(port, 4, "epochs", 0, 2), (0, 0, 3))
        self.assertEqual(offsets_for_leader_epoch(port, 4, "epochs", 0, 9), (0, -1, -1))
        # A follower's question (replica_id 2) gets the same answer.
        self.assertEqual(offsets_for_leader_epoch(port, 3, "epochs", 0, 0, 3, replica_id=2), (0, 0, 3))
        self.assertTrue(wait_until(lambda: "epoch=0 from replica 2 -> epoch 0 ends at 3" in self.server.log()))

    def test_fencing_by_the_callers_current_epoch(self):
        port = self.server.port
        self.assertEqual(offsets_for_leader_epoch(port, 3, "epochs", 0, 0, current_epoch=3)[0], 0)
        self.assertEqual(offsets_for_leader_epoch(port, 3, "epochs", 0, 0, current_epoch=0)[0], FENCED_LEADER_EPOCH)
        self.assertEqual(offsets_for_leader_epoch(port, 4, "epochs", 0, 0, current_epoch=4)[0], UNKNOWN_LEADER_EPOCH)
        self.assertEqual(offsets_for_leader_epoch(port, 4, "nothing", 0, 0)[0], UNKNOWN_TOPIC_OR_PARTITION)
        self.assertEqual(offsets_for_leader_epoch(port, 2, "epochs", 5, 0)[0], UNKNOWN_TOPIC_OR_PARTITION)

    def test_clients_read_across_the_epoch_change_and_new_appends_get_the_new_epoch(self):
        bootstrap = f"127.0.0.1:{self.server.port}"
        producer = Producer({"bootstrap.servers": bootstrap})
        producer.produce("epochs", value=b"5")
        self.assertEqual(producer.flush(10), 0)
        LeaderEpochs.appended = 1
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "epochs-rdkafka",
                             "auto.offset.reset": "earliest"})
        consumer.subscribe(["epochs"])
        values = []
        for _ in range(60):
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                values.append(message.value())
            if len(values) == 6:
                break
        consumer.close()
        self.assertEqual(values, [str(i).encode() for i in range(6)])

        python = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                               consumer_timeout_ms=10000, api_version_auto_timeout_ms=10000)
        python.assign([TopicPartition("epochs", 0)])
        got = []
        for message in python:
            got.append(message.value)
            if len(got) == 6:
                break
        python.close()
        self.assertEqual(got, [str(i).encode() for i in range(6)])
        # The new record was stamped with the epoch the log is in now, and the epoch did not move.
        self.assertEqual(offsets_for_leader_epoch(self.server.port, 4, "epochs", 0, 3), (0, 3, 6))


if __name__ == "__main__":
    tap.main()
