"""The --trace tells the consumer group story (issue 22): a rebalance and why, each member's
JoinGroup answer (who leads), the partitions each member got from SyncGroup, and each offset
commit - with confluent-kafka (librdkafka) as the client."""
import time
import unittest

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

import tap
from servers import Server
from traces import assert_trace_in_order


class GroupTrace(unittest.TestCase):
    def setUp(self):
        self.server = Server("MINIKAFKA_BIN", "--trace", "true", "--group.initial.rebalance.delay.ms", "0",
                             "--group.min.session.timeout.ms", "1000")
        self.bootstrap = f"127.0.0.1:{self.server.port}"

    def tearDown(self):
        self.server.close()

    def consumer(self):
        return Consumer({"bootstrap.servers": self.bootstrap, "group.id": "billing", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "session.timeout.ms": 6000,
                         "partition.assignment.strategy": "range"})

    def test_join_sync_assignment_commit_and_rebalance(self):
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic("events", 2, 1)])["events"].result(10)
        producer = Producer({"bootstrap.servers": self.bootstrap})
        for partition in (0, 1):
            producer.produce("events", value=b"e", partition=partition)
        self.assertEqual(producer.flush(10), 0)

        first = self.consumer()
        first.subscribe(["events"])
        message, deadline = None, time.monotonic() + 30
        while message is None and time.monotonic() < deadline:
            polled = first.poll(0.2)
            message = polled if polled is not None and not polled.error() else None
        self.assertIsNotNone(message)
        first.commit(message=message, asynchronous=False)  # offset = the message's + 1

        # A second member: the group rebalances and the two partitions are split between them.
        second = self.consumer()
        second.subscribe(["events"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (first.assignment() and second.assignment()
                                                     and len(first.assignment()) == 1):
            first.poll(0.1)
            second.poll(0.1)
        self.assertEqual(sorted(p.partition for c in (first, second) for p in c.assignment()), [0, 1])
        second.close()
        first.close()

        assert_trace_in_order(self, self.server, [
            r'^group rebalance group=billing generation=0 reason="a member joined"',
            r"^group join group=billing member=\S+ -> generation=1 protocol=range leader: it assigns partitions to all 1",
            r"^group sync group=billing member=\S+ generation=1 -> assigned events\[0,1\]",
            r"^offset commit group=billing topic=events partition=[01] offset=1 -> offset store",
            r'^group rebalance group=billing generation=1 reason="a member joined"',
            r"^group join group=billing member=\S+ -> generation=2 protocol=range",
            r"^group join group=billing member=\S+ -> generation=2 protocol=range",
            r"^group sync group=billing member=\S+ generation=2 -> assigned events\[[01]\]$",
            r"^group sync group=billing member=\S+ generation=2 -> assigned events\[[01]\]$",
        ], timeout=20)


if __name__ == "__main__":
    tap.main()
