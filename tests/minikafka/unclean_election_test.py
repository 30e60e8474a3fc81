"""Why unclean leader election loses data (issue 19; docs/minikafka/05): the same failure, two topics.

Three nodes; the active controller C leads no partition. Two topics of one partition, replicas
[A, B], min.insync.replicas=1: "clean" (unclean.leader.election.enable=false, Kafka's default) and
"unclean" (true). Then:

    1. "before" records, acks=all: on A and B.
    2. B is frozen (SIGSTOP): fenced after the session timeout, it leaves both ISRs -> [A].
    3. "during" records, acks=all: acknowledged by the ISR [A] alone - on A only.
    4. A is killed (kill -9), B thawed (SIGCONT): no ISR member is alive.
         clean:   no leader (-1) - the partition is unavailable, and nothing is lost
         unclean: B leads, ISR [B] - available at once, but its log lacks the "during" records
    5. "after" records to the unclean topic: acknowledged.
    6. A restarts. clean: A, the last ISR member, leads again with every record.
       unclean: A follows B, cuts its "during" records to agree with B's log - gone for good.

READ NEXT: core/topic_control.cpp (Controller::tick_partitions), replication_test.py."""
import os
import signal
import subprocess
import unittest

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

import tap
from cluster_test import Cluster, unfenced
from servers import wait_until


def leader_and_isr(node, topic):
    """(leader, sorted isr) of partition 0 as `node` answers Metadata; leader -1 when offline."""
    try:
        md = AdminClient({"bootstrap.servers": f"127.0.0.1:{node.port}"}).list_topics(topic, timeout=3)
    except Exception:  # noqa: BLE001 - the node is busy or restarting
        return None
    t = md.topics.get(topic)
    if t is None or 0 not in t.partitions:
        return None
    p = t.partitions[0]
    return p.leader, sorted(p.isrs)


def produce(bootstrap, topic, values, timeout_ms=20000):
    """acks=all; the values that were acknowledged."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "message.timeout.ms": timeout_ms,
                         "log_level": 2})
    acked = []
    for value in values:
        producer.produce(topic, value.encode(), partition=0,
                         on_delivery=lambda err, msg: err is None and acked.append(msg.value().decode()))
    producer.flush(timeout_ms / 1000 + 10)
    return acked


def read_all(bootstrap, topic):
    out = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"],
                         capture_output=True, text=True, timeout=60)
    return out.stdout.split()


class UncleanLeaderElection(unittest.TestCase):
    def test_unclean_election_trades_acknowledged_records_for_availability(self):
        cluster = Cluster("--min.insync.replicas", "1", trace=False)
        try:
            controller = wait_until(lambda: (c := cluster.settled_leader(among=3)) and unfenced(c) == [1, 2, 3] and c,
                                    timeout=30)
            self.assertIsNotNone(controller, "no controller quorum")
            c_id = controller["node_id"]
            a_id, b_id = sorted({1, 2, 3} - {c_id})
            a, b, c = (cluster.nodes[i - 1] for i in (a_id, b_id, c_id))
            everyone = ",".join(f"127.0.0.1:{n.port}" for n in cluster.nodes)
            admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{c.port}"})
            for name, unclean in (("clean", "false"), ("unclean", "true")):
                admin.create_topics([NewTopic(name, 1, replica_assignment=[[a_id, b_id]],
                                              config={"unclean.leader.election.enable": unclean})])[name].result(15)
                self.assertEqual(wait_until(lambda: leader_and_isr(c, name) == (a_id, [a_id, b_id]), timeout=15),
                                 True, leader_and_isr(c, name))

            # 1. On both replicas.
            for name in ("clean", "unclean"):
                self.assertEqual(produce(everyone, name, [f"before{i}" for i in range(5)]),
                                 [f"before{i}" for i in range(5)])
            # 2. B frozen: fenced, out of both ISRs.
            os.kill(b.proc.pid, signal.SIGSTOP)
            try:
                for name in ("clean", "unclean"):
                    self.assertTrue(wait_until(lambda: leader_and_isr(c, name) == (a_id, [a_id]), timeout=20),
                                    leader_and_isr(c, name))
                # 3. Acknowledged by an ISR of one: only A has them.
                for name in ("clean", "unclean"):
                    self.assertEqual(produce(f"127.0.0.1:{a.port}", name, [f"during{i}" for i in range(5)]),
                                     [f"during{i}" for i in range(5)])
                # 4. The last ISR member dies; the replica outside the ISR comes back.
                a.kill9()
            finally:
                os.kill(b.proc.pid, signal.SIGCONT)
            survivors = f"127.0.0.1:{b.port},127.0.0.1:{c.port}"
            # unclean: B is elected from outside the ISR, and the ISR becomes just B.
            self.assertTrue(wait_until(lambda: leader_and_isr(c, "unclean") == (b_id, [b_id]), timeout=30),
                            leader_and_isr(c, "unclean"))
            self.assertIn(f"unclean leader election: unclean-0 leader {a_id} -> {b_id}", c.log())
            # clean: by then A is fenced too, and nobody leads: unavailable, not wrong.
            self.assertEqual(leader_and_isr(c, "clean"), (-1, [a_id]))
            self.assertEqual(produce(survivors, "clean", ["refused"], timeout_ms=3000), [])
            self.assertNotIn("unclean leader election: clean-0", c.log())
            # 5. The unclean topic takes writes at once - on top of a log without "during".
            self.assertEqual(produce(survivors, "unclean", ["after0", "after1"]), ["after0", "after1"])
            lost = [v for v in read_all(survivors, "unclean") if v.startswith("during")]
            self.assertEqual(lost, [])

            # 6. A returns. The clean topic: every acknowledged record, "during" too.
            a.start()
            self.assertTrue(wait_until(lambda: (leader_and_isr(c, "clean") or (0,))[0] == a_id, timeout=30),
                            leader_and_isr(c, "clean"))
            before, during = [f"before{i}" for i in range(5)], [f"during{i}" for i in range(5)]
            self.assertEqual(read_all(everyone, "clean"), before + during)
            # The unclean topic: A follows B and cuts its "during" records; once A is back in the
            # ISR (and leads again, as the preferred replica) they are nowhere.
            self.assertTrue(wait_until(lambda: leader_and_isr(c, "unclean") == (a_id, [a_id, b_id]), timeout=30),
                            leader_and_isr(c, "unclean"))
            self.assertEqual(read_all(everyone, "unclean"), before + ["after0", "after1"])
        finally:
            cluster.close()


if __name__ == "__main__":
    tap.main()
