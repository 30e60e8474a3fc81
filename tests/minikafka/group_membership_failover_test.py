"""A consumer group's *membership* survives its coordinator's death (issue 19, part 5: "kill -9 of
the group coordinator costs a short pause and nothing else"). Two confluent-kafka consumers form a
stable group on three minikafka nodes; the coordinator writes the group's GroupMetadata record
(generation, leader, members, assignments) to __consumer_offsets after the rebalance; the
coordinator is kill -9'd; the new leader of the group's partition replays the record and carries
the group on: the same members in the same generation, no revoke/assign callback in either
consumer, their commits accepted there, and the records produced after the kill consumed by the
member that was assigned their partition before it.

Deterministic: every wait is for an event (an assignment, a record, an accepted commit, a line of
the new coordinator's --trace); the only time limits are generous failure bounds."""
import re
import time
import unittest

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import tap
from cluster_test import Cluster
from group_failover_test import find_coordinator
from replication_test import produce
from servers import wait_until

GROUP = "payroll"
TOPIC = "shifts"


class Member:
    """One consumer of the group, with every rebalance callback it saw and the records it read."""

    def __init__(self, name, nodes):
        self.name = name
        self.events = []  # ("assign" | "revoke", [partitions])
        self.records = {}  # partition -> [values]
        # librdkafka gives up on a coordinator it cannot reach for session.timeout.ms and rejoins
        # on its own: the session must outlast the failover (broker.session.timeout.ms=2000 here).
        self.consumer = Consumer({"bootstrap.servers": ",".join(f"127.0.0.1:{n.port}" for n in nodes),
                                  "group.id": GROUP, "client.id": name, "enable.auto.commit": False,
                                  "auto.offset.reset": "earliest", "session.timeout.ms": 20000,
                                  "heartbeat.interval.ms": 300, "partition.assignment.strategy": "range"})
        self.consumer.subscribe([TOPIC], on_assign=self.on_assign, on_revoke=self.on_revoke)

    def on_assign(self, consumer, partitions):
        self.events.append(("assign", sorted(p.partition for p in partitions)))

    def on_revoke(self, consumer, partitions):
        self.events.append(("revoke", sorted(p.partition for p in partitions)))

    def assigned(self):
        return [e[1] for e in self.events if e[0] == "assign"][-1:] or [None]

    def poll(self):
        m = self.consumer.poll(0.05)
        if m is not None and m.error() is None:
            self.records.setdefault(m.partition(), []).append(m.value().decode())

    def commit(self, partition):
        """A synchronous commit of what was read from `partition`; False while it is refused."""
        try:
            offset = len(self.records.get(partition, []))
            self.consumer.commit(offsets=[TopicPartition(TOPIC, partition, offset)], asynchronous=False)
            return True
        except KafkaException:
            return False


def poll_all(members):
    for m in members:
        m.poll()


class GroupMembershipFailover(unittest.TestCase):
    def test_the_group_goes_on_in_the_same_generation_after_the_coordinators_kill(self):
        cluster = Cluster("--min.insync.replicas", "2", "--offsets.topic.num.partitions", "3",
                          "--group.initial.rebalance.delay.ms", "1000")
        members = []
        try:
            self.assertIsNotNone(wait_until(cluster.all_registered, timeout=20), "no controller quorum")
            first = cluster.nodes[0]
            admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{first.port}"})
            admin.create_topics([NewTopic(TOPIC, 2, 3)])[TOPIC].result(10)
            for p in (0, 1):
                self.assertEqual(produce(first, TOPIC, [f"before-{p}-{i}" for i in range(5)], partition=p), [None] * 5)

            # Two members form generation N: each gets one partition and reads its five records.
            members = [Member("alpha", cluster.nodes), Member("beta", cluster.nodes)]

            def stable():
                poll_all(members)
                shares = [m.assigned()[0] for m in members]
                # The last event of each is a one-partition assignment, and it has read that
                # partition's five records (a member may have read some twice if the group formed in
                # two rebalances: nothing was committed yet).
                return (all(m.events and m.events[-1][0] == "assign" and len(m.events[-1][1]) == 1
                            for m in members) and sorted(sum(shares, [])) == [0, 1] and
                        all(m.records.get(s[0], [])[-5:] == [f"before-{s[0]}-{i}" for i in range(5)]
                            for m, s in zip(members, shares)))
            self.assertTrue(wait_until(stable, timeout=60, interval=0), "the group did not settle: "
                            + repr([m.events for m in members]))
            owner = {m.assigned()[0][0]: m for m in members}  # partition -> its member
            seen = {p: len(m.records[p]) for p, m in owner.items()}
            read_before = [{p: len(v) for p, v in m.records.items()} for m in members]
            for p, m in owner.items():
                self.assertTrue(wait_until(lambda: m.commit(p) or poll_all(members), timeout=20, interval=0))
                self.assertEqual(len(m.records[p]), seen[p])
            events_before = [list(m.events) for m in members]

            # The coordinator, its last generation and the record it wrote of it (--trace).
            error, leader = find_coordinator(first.port, GROUP)
            self.assertEqual(error, 0)
            coordinator = cluster.nodes[leader - 1]
            stored = re.findall(rf"a group metadata record of group {GROUP} appended", coordinator.log())
            self.assertTrue(stored, "the coordinator wrote no GroupMetadata record")
            generations = re.findall(rf"group join group={GROUP} member=\S+ -> generation=(\d+)", coordinator.log())
            generation = int(generations[-1])

            # kill -9 of the coordinator. The new leader of the group's partition replays the
            # record; the members find it and go on: heartbeats, commits, fetches.
            killed_at = time.monotonic()
            coordinator.kill9()
            alive = [n for n in cluster.nodes if n is not coordinator]
            for p in (0, 1):
                self.assertEqual(produce(alive[0], TOPIC, [f"after-{p}-{i}" for i in range(5)], partition=p),
                                 [None] * 5)
            self.assertTrue(wait_until(lambda: poll_all(members) or all(
                len(owner[p].records[p]) >= seen[p] + 5 for p in owner), timeout=60, interval=0),
                "consumption did not go on after the kill")
            resumed = time.monotonic() - killed_at
            # Each member commits at the new coordinator: accepted only with the member id and
            # generation it had - the group there is the restored one, not a new one.
            for p, m in owner.items():
                self.assertTrue(wait_until(lambda: m.commit(p) or poll_all(members), timeout=30, interval=0),
                                f"{m.name}'s commit was never accepted after the kill")
            committed_at = time.monotonic() - killed_at
            # Nothing was rebalanced: no callback fired in either member (a commit is accepted only
            # once a rebalance, had there been one, was through - revoke and assign included), and
            # what each member read after the kill is exactly the new records of its partition.
            self.assertEqual([m.events for m in members], events_before)
            for p, m in owner.items():
                self.assertEqual(m.records[p][seen[p]:], [f"after-{p}-{i}" for i in range(5)])
            for m, lengths in zip(members, read_before):
                for p, values in m.records.items():
                    if owner[p] is not m:
                        self.assertEqual(len(values), lengths.get(p, 0), f"{m.name} read partition {p} too")
            error, moved = find_coordinator(alive[0].port, GROUP)
            self.assertEqual(error, 0)
            self.assertNotEqual(moved, leader)
            new_coordinator = cluster.nodes[moved - 1]
            restored = wait_until(lambda: re.findall(rf"group restored group={GROUP} generation=(\d+) \S+ \S+ "
                                                     r"members=(\d+) -> Stable", new_coordinator.log()), timeout=10)
            self.assertEqual(restored, [(str(generation), "2")], "the new coordinator did not restore the group")
            self.assertNotIn(f"group join group={GROUP}", new_coordinator.log())  # nobody rejoined there
            print(f"# kill -9 of coordinator node {leader}: node {moved} restored generation {generation}; "
                  f"both members consumed again after {resumed:.2f} s, committed after {committed_at:.2f} s",
                  flush=True)
        finally:
            for m in members:
                m.consumer.close()
            cluster.close()


if __name__ == "__main__":
    tap.main()
