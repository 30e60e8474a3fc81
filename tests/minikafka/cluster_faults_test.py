"""CONCEPT: a fault-injection checker (issue 19, "Proof") - replication is only as good as what
survives the crashes nobody planned, so a nemesis crashes the cluster at random moments while
idempotent acks=all producers write, and at the end the log is compared with what was promised.

    producers (acks=all, idempotent)        nemesis (seeded)
      value "p<id>:<seq>" -> partition          kill -9 a partition leader / the active controller /
      every ack recorded with its time          a follower; SIGSTOP a node > replica.lag.time.max.ms;
            |                                   restart; wait until every ISR is full again
            v                                         |
    [node 1] [node 2] [node 3]  <---------------------+   (at most one node down at a time)
            |
            v  at the end, healed:
      every acknowledged record exactly once, in its partition, in produce order per producer;
      every replica's segment files of a partition byte-identical (whole logs: all ISRs are full
      and nothing is written any more, so the high watermark is the log end);
      no node exited unless the nemesis killed it.

A separate case: with two of three nodes down an acks=all produce is never acknowledged.

A consumer group reads along and commits after every poll (GroupCommits): its committed
offsets, asked back from whichever node coordinates it now, never went backwards.

The checker is a library: run_checker() is what benchmarks/soak/cluster_faults.py runs with
--faults 100 (all four faults) for the long mode and its figures (the failover times after each
leader kill: from the kill -9 to the next acknowledged produce on each partition it led).
The CI test runs a short, seeded mode (CLUSTER_FAULTS_SEED=S replays one seed).

READ NEXT: tests/minikafka/replication_test.py (the same steps, one at a time),
docs/minikafka/05-replication-and-the-controller.md
"""
import os
import random
import signal
import subprocess
import threading
import time
import unittest

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import tap
from cluster_test import Cluster, unfenced
from replication_test import log_bytes
from servers import wait_until

TOPIC = "faults"
LAG_MS = 1500  # replica.lag.time.max.ms of the cluster: a SIGSTOP longer than this leaves the ISR
FAULTS = ("leader", "controller", "follower", "pause")


def live(cluster):
    return [n for n in cluster.nodes if n.proc is not None]


def bootstrap(cluster):
    return ",".join(f"127.0.0.1:{n.port}" for n in live(cluster))


def partitions_view(cluster, topic=TOPIC):
    """{partition: (leader id, sorted replicas, sorted isr)} as a live node answers Metadata, or
    None while no node answers or a partition has no leader."""
    for node in live(cluster):
        try:
            md = AdminClient({"bootstrap.servers": f"127.0.0.1:{node.port}"}).list_topics(topic, timeout=3)
        except Exception:  # noqa: BLE001 - a node in the middle of a restart
            continue
        t = md.topics.get(topic)
        if t is None or t.error is not None or not t.partitions:
            continue
        view = {}
        for p, info in t.partitions.items():
            if info.error is not None or info.leader < 0:
                return None
            view[p] = (info.leader, sorted(info.replicas), sorted(info.isrs))
        return view
    return None


def all_isrs_full(cluster, partitions):
    view = partitions_view(cluster)
    if view is None or len(view) != partitions:
        return None
    return view if all(isr == [1, 2, 3] for _, _, isr in view.values()) else None


class Producers:
    """`count` idempotent acks=all producers in threads; each sends "p<id>:<seq>" to partition
    seq % partitions and records (partition, seq, ack time) for every acknowledged record."""

    def __init__(self, cluster, count, partitions):
        self.cluster, self.partitions = cluster, partitions
        self.acked = {pid: [] for pid in range(count)}  # pid -> [(partition, seq, monotonic time)]
        self.errors = {}  # error name -> count (not acknowledged: may or may not be in the log)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(pid,), daemon=True) for pid in range(count)]
        for t in self.threads:
            t.start()

    def _run(self, pid):
        producer = Producer({"bootstrap.servers": bootstrap(self.cluster), "acks": "all",
                             "enable.idempotence": True, "message.timeout.ms": 60000,
                             "linger.ms": 5, "reconnect.backoff.max.ms": 200, "log_level": 2})
        seq = 0

        def delivered(err, msg, seq_partition):
            with self.lock:
                if err is None:
                    self.acked[pid].append((*seq_partition, time.monotonic()))
                else:
                    self.errors[err.name()] = self.errors.get(err.name(), 0) + 1

        try:
            while not self.stopping.is_set():
                partition = seq % self.partitions
                try:
                    producer.produce(TOPIC, f"p{pid}:{seq}".encode(), partition=partition,
                                     on_delivery=lambda err, msg, sp=(partition, seq): delivered(err, msg, sp))
                    seq += 1
                except BufferError:
                    pass
                producer.poll(0.002 if len(producer) < 200 else 0.05)
            producer.flush(90)
        except KafkaException as fatal:  # e.g. OUT_OF_ORDER_SEQUENCE_NUMBER: the idempotent producer gives up
            with self.lock:
                self.errors["fatal " + fatal.args[0].name()] = self.errors.get("fatal " + fatal.args[0].name(), 0) + 1

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(120)

    def count(self):
        with self.lock:
            return sum(len(v) for v in self.acked.values())


class GroupCommits:
    """A consumer group reading the topic while the nemesis works (its coordinator is the leader of
    a __consumer_offsets partition, so it is on the nemesis's path too). It commits its position
    synchronously after every poll and then asks the group's committed offsets back (OffsetFetch,
    from whichever node coordinates the group now): none may be below a commit acknowledged
    before - committed offsets never go backwards."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.acked = {}  # partition -> highest acknowledged commit
        self.backwards = []  # sentences
        self.commits = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        consumer = Consumer({"bootstrap.servers": bootstrap(self.cluster), "group.id": "checker",
                             "enable.auto.commit": False, "auto.offset.reset": "earliest",
                             "session.timeout.ms": 6000, "heartbeat.interval.ms": 500, "log_level": 2})
        consumer.subscribe([TOPIC])
        try:
            while not self.stopping.is_set():
                consumer.consume(num_messages=1000, timeout=0.3)
                try:
                    positions = [tp for tp in consumer.position(consumer.assignment()) if tp.offset >= 0]
                    if positions:
                        consumer.commit(offsets=positions, asynchronous=False)
                        self.commits += 1
                        for tp in positions:
                            self.acked[tp.partition] = max(self.acked.get(tp.partition, 0), tp.offset)
                    asked = [TopicPartition(TOPIC, p) for p in self.acked]
                    for tp in consumer.committed(asked, timeout=5) if asked else []:
                        if tp.error is None and tp.offset < self.acked[tp.partition]:
                            self.backwards.append(f"group commits: partition {tp.partition} committed {tp.offset}"
                                                  f" after commit {self.acked[tp.partition]} was acknowledged")
                except KafkaException:
                    pass  # the coordinator moved (or died): the next round finds the new one
        finally:
            consumer.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(60)


def read_partition(cluster, partition):
    """Every value of a partition, in log order, read with kcat from its leader."""
    out = subprocess.run(["kcat", "-b", bootstrap(cluster), "-C", "-t", TOPIC, "-p", str(partition),
                          "-o", "beginning", "-e", "-q", "-f", "%s\n"], capture_output=True, text=True, timeout=120)
    return out.stdout.split()


def first_difference(logs):
    a, b = logs
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def run_checker(seed, faults, partitions=6, kinds=FAULTS, producers=2, log=print, every_kind=False):
    """Runs the whole check; returns (problems, figures). problems is a list of sentences, empty
    when every promise held. every_kind: the faults go through `kinds` in a seeded order, each
    once per round, instead of drawing each at random (the CI mode: four faults, and every kind
    is among them)."""
    rng = random.Random(seed)
    order = []
    log(f"cluster faults: seed {seed}, {faults} faults from {list(kinds)}, {partitions} partitions")
    cluster = Cluster("--min.insync.replicas", "2", "--replica.lag.time.max.ms", str(LAG_MS))
    problems, figures = [], {"faults": 0, "failover_s": [], "by_kind": {k: 0 for k in kinds}}
    killed = set()  # nodes the nemesis killed (their exit is expected)
    started = time.monotonic()
    try:
        if not wait_until(lambda: (c := cluster.settled_leader(among=3)) and unfenced(c) == [1, 2, 3], timeout=30):
            return ["no controller quorum"], figures
        admin = AdminClient({"bootstrap.servers": bootstrap(cluster)})
        admin.create_topics([NewTopic(TOPIC, partitions, 3)])[TOPIC].result(15)
        if not wait_until(lambda: all_isrs_full(cluster, partitions), timeout=20):
            return ["topic never got full ISRs"], figures
        writers = Producers(cluster, producers, partitions)
        group = GroupCommits(cluster)
        wait_until(lambda: writers.count() > 50, timeout=20)

        for number in range(faults):
            # A node exited that nobody killed: a crash of its own.
            for i, node in enumerate(cluster.nodes):
                if node.proc is not None and node.proc.poll() is not None:
                    problems.append(f"node {i + 1} exited by itself ({node.proc.returncode}):\n{node.log()[-3000:]}")
                    return problems, figures
            time.sleep(rng.uniform(0.3, 2.0))
            if every_kind:
                if not order:
                    order = rng.sample(list(kinds), len(kinds))
                kind = order.pop()
            else:
                kind = rng.choice(kinds)
            # Waited for, not asked once: on a loaded machine one Metadata round can time out (3 s
            # per node) or catch a partition between leaders, and the nemesis only needs a view.
            view = wait_until(lambda: partitions_view(cluster), timeout=10)
            if view is None:
                problems.append(f"fault {number}: no metadata before the fault")
                break
            if kind == "leader":
                victim_id = view[rng.randrange(partitions)][0]
            elif kind == "controller":
                leader = wait_until(lambda: cluster.settled_leader(among=3), timeout=10)
                victim_id = leader["node_id"] if leader else rng.randint(1, 3)
            elif kind == "follower":
                p = rng.randrange(partitions)
                victim_id = rng.choice([r for r in view[p][1] if r != view[p][0]])
            else:
                victim_id = rng.randint(1, 3)
            victim = cluster.nodes[victim_id - 1]
            led = [p for p, (leader, _, _) in view.items() if leader == victim_id]
            at = time.monotonic()
            if kind == "pause":
                pause = rng.uniform(LAG_MS * 1.3, LAG_MS * 2.5) / 1000
                log(f"# fault {number}: SIGSTOP node {victim_id} for {pause:.1f} s (it leads {led})")
                os.kill(victim.proc.pid, signal.SIGSTOP)
                time.sleep(pause)
                os.kill(victim.proc.pid, signal.SIGCONT)
            else:
                log(f"# fault {number}: kill -9 node {victim_id} ({kind}; it leads {led})")
                killed.add(victim_id)
                victim.kill9()
                time.sleep(rng.uniform(0.5, 4.0))
            if kind == "leader" and led:
                # The failover figure: kill -9 to the next acknowledged produce, per partition.
                def next_acks():
                    with writers.lock:
                        firsts = {}
                        for acks in writers.acked.values():
                            for partition, _, when in acks:
                                if partition in led and when > at:
                                    firsts[partition] = min(firsts.get(partition, when), when)
                    return firsts if len(firsts) == len(led) else None
                firsts = wait_until(next_acks, timeout=60)
                if firsts is None:
                    problems.append(f"fault {number}: partitions {led} had no acknowledged produce 60 s after"
                                    f" the kill of their leader {victim_id}")
                else:
                    figures["failover_s"].extend(when - at for when in firsts.values())
            if victim.proc is None:
                victim.start()
            figures["faults"] += 1
            figures["by_kind"][kind] += 1
            if not wait_until(lambda: all_isrs_full(cluster, partitions), timeout=60):
                problems.append(f"fault {number} ({kind} node {victim_id}): ISRs not full 60 s after healing:"
                                f" {partitions_view(cluster)}")
                break

        writers.stop()
        group.stop()
        problems.extend(group.backwards)
        figures["group_commits"] = group.commits
        figures["acknowledged"] = writers.count()
        figures["errors"] = dict(writers.errors)
        if not wait_until(lambda: all_isrs_full(cluster, partitions), timeout=60):
            problems.append(f"ISRs not full at the end: {partitions_view(cluster)}")

        # Every acknowledged record exactly once, in its partition, in produce order per producer.
        lost = duplicated = misplaced = reordered = 0
        for p in range(partitions):
            values = read_partition(cluster, p)
            positions = {}
            for at_index, value in enumerate(values):
                positions.setdefault(value, []).append(at_index)
            duplicates = [v for v, where in positions.items() if len(where) > 1]
            if duplicates:
                duplicated += len(duplicates)
                problems.append(f"partition {p}: duplicated {duplicates[:10]}")
            for pid, acks in writers.acked.items():
                mine = sorted(seq for partition, seq, _ in acks if partition == p)
                missing = [s for s in mine if f"p{pid}:{s}" not in positions]
                if missing:
                    lost += len(missing)
                    problems.append(f"partition {p}: producer {pid} lost {len(missing)} acknowledged records,"
                                    f" first {missing[:10]}")
                order = [positions[f"p{pid}:{s}"][0] for s in mine if f"p{pid}:{s}" in positions]
                if order != sorted(order):
                    reordered += 1
                    problems.append(f"partition {p}: producer {pid}'s records out of produce order")
                strays = [v for v in positions if v.startswith(f"p{pid}:") and int(v.split(":")[1]) % partitions != p]
                if strays:
                    misplaced += len(strays)
                    problems.append(f"partition {p}: records of other partitions {strays[:10]}")
        figures.update(lost=lost, duplicated=duplicated, misplaced=misplaced, reordered=reordered)

        # Every replica byte-identical (nothing is written any more and every ISR is full: the
        # high watermark is the log end on all three). Only TOPIC's logs, whose cleanup.policy is
        # delete: each replica compacts a compacted topic (__consumer_offsets) on its own schedule,
        # as in Kafka, so those agree on the latest value per key, not on bytes
        # (docs/minikafka/02-formats.md "Log compaction"); the group's commits are checked above.
        for p in range(partitions):
            same = wait_until(lambda: len({log_bytes(n, TOPIC, p) for n in cluster.nodes}) == 1, timeout=20)
            if not same:
                logs = [log_bytes(n, TOPIC, p) for n in cluster.nodes]
                problems.append(f"partition {p}: replicas diverge: sizes {[len(x) for x in logs]}, nodes 1 and 2"
                                f" differ from byte {first_difference(logs[:2])}, 1 and 3 from"
                                f" {first_difference([logs[0], logs[2]])}")
        for i, node in enumerate(cluster.nodes):
            if node.proc is None or node.proc.poll() is not None:
                problems.append(f"node {i + 1} is not running at the end:\n{node.log()[-3000:]}")
            else:  # and a clean stop: under the sanitizers a leak or an error report exits non-zero
                code = node.stop()
                if code != 0:
                    problems.append(f"node {i + 1} stopped with {code}:\n{node.log()[-3000:]}")
        figures["seconds"] = time.monotonic() - started
        return problems, figures
    finally:
        for node in cluster.nodes:  # a node left stopped would never exit on SIGTERM
            if node.proc is not None and node.proc.poll() is None:
                os.kill(node.proc.pid, signal.SIGCONT)
        cluster.close()


def summary(figures):
    fail = sorted(figures["failover_s"])
    text = (f"{figures['faults']} faults {figures['by_kind']}, {figures.get('acknowledged', 0)} acknowledged,"
            f" lost {figures.get('lost')}, duplicated {figures.get('duplicated')},"
            f" delivery errors {figures.get('errors')}, group commits {figures.get('group_commits')}")
    if fail:
        text += f"; failover p50 {fail[len(fail) // 2]:.2f} s, max {fail[-1]:.2f} s over {len(fail)} partitions"
    return text


def two_of_three_down():
    """Kills both followers of a one-partition RF 3 topic and sends one acks=all produce to the
    surviving leader. Returns None when it was refused (as it must be: one copy cannot meet
    min.insync.replicas=2, and without a controller majority the ISR cannot even shrink), or a
    sentence saying what was acknowledged."""
    cluster = Cluster("--min.insync.replicas", "2", "--replica.lag.time.max.ms", str(LAG_MS))
    try:
        if not wait_until(lambda: (c := cluster.settled_leader(among=3)) and unfenced(c) == [1, 2, 3], timeout=30):
            return "no controller quorum"
        admin = AdminClient({"bootstrap.servers": bootstrap(cluster)})
        admin.create_topics([NewTopic(TOPIC, 1, 3)])[TOPIC].result(15)
        view = wait_until(lambda: all_isrs_full(cluster, 1), timeout=20)
        if not view:
            return "the topic never got a full ISR"

        def produce(value, timeout_ms):
            results = []
            producer = Producer({"bootstrap.servers": bootstrap(cluster), "acks": "all", "log_level": 2,
                                 "enable.idempotence": True, "message.timeout.ms": timeout_ms})
            producer.produce(TOPIC, value, partition=0,
                             on_delivery=lambda err, msg: results.append((err, msg.offset())))
            producer.flush(timeout_ms / 1000 + 10)
            return results

        before = produce(b"before", 20000)
        if [err for err, _ in before] != [None]:
            return f"the cluster did not work with three nodes: {before}"
        leader_id = view[0][0]
        for i, node in enumerate(cluster.nodes):
            if i + 1 != leader_id:
                node.kill9()
        after = produce(b"after", 6000)
        if len(after) != 1:
            return f"no delivery report: {after}"
        if after[0][0] is None:
            readable = read_partition(cluster, 0)
            sizes = [len(log_bytes(n, TOPIC)) for n in cluster.nodes]
            return (f"acks=all acknowledged at offset {after[0][1]} with both followers of leader {leader_id} dead;"
                    f" readable below the HW: {readable}; log bytes per node {sizes}")
        if cluster.nodes[leader_id - 1].proc.poll() is not None:
            return "the surviving leader exited"
        return None
    finally:
        cluster.close()


class ClusterFaults(unittest.TestCase):
    def test_acknowledged_records_survive_the_nemesis(self):
        # Short mode: four faults, one of each kind in a seeded order - kill -9 of a partition
        # leader, of the active controller, of a follower, and a SIGSTOP past the lag time - on
        # two partitions, so every node leads or follows something that is written. The long mode
        # (benchmarks/soak/cluster_faults.py) draws a hundred at random over six partitions.
        seed = int(os.environ.get("CLUSTER_FAULTS_SEED", random.randrange(1 << 30)))
        kinds = tuple(os.environ.get("CLUSTER_FAULTS_KINDS", ",".join(FAULTS)).split(","))
        problems, figures = run_checker(seed, faults=len(kinds), partitions=2, kinds=kinds, every_kind=True,
                                        log=lambda line: print(line if line.startswith("#") else "# " + line,
                                                               flush=True))
        print("# " + summary(figures), flush=True)
        self.assertEqual(problems, [], f"seed {seed}")
        self.assertGreater(figures["acknowledged"], 0)

    def test_two_of_three_down_acks_all_is_never_acknowledged(self):
        # Both followers killed: the ISR cannot shrink (no controller majority), the HW cannot
        # move, and the produce - and the idempotent producer's retries of it - must time out.
        self.assertIsNone(two_of_three_down())


if __name__ == "__main__":
    tap.main()
