#!/usr/bin/python3
"""CONCEPT: what replication costs, and how long a leader's death is felt (issue 19's two figures).

    benchmarks/minikafka/cluster_bench.py [--quick] [--build build] [--rounds 5] [--kills 20]
        [--only throughput|failover] [--record-sizes 100,1000]

1. Throughput. The same client (kafka_load: librdkafka, linger.ms=5, 1 MB batches, acks=all) into
   one node (replication factor 1) and into a 3-node KRaft cluster (replication factor 3,
   min.insync.replicas=2), in interleaved rounds (single, cluster, single, cluster, ...), medians.
   Under acks=all the cluster answers once both followers have fetched the records (the high
   watermark), so every byte crosses loopback twice more and is written three times - by three
   processes that share the machine's cores with the client. Each round also reports the CPU the
   brokers used per record (every thread of every node, from /proc/PID/task/*/schedstat) and the
   client's, with the load average: on a shared machine records/s follows the neighbours' load,
   CPU per record much less, so that is the figure to judge a change to the replication path by.
   Before each round the same memory step as compare.py (free_memory_just_now).

2. Failover. A paced acks=all producer (confluent-kafka, librdkafka's defaults) writes to
   every partition of an RF 3 topic; a broker that leads partitions is killed with kill -9; the
   figure is the time from the kill to the next acknowledged produce on each partition it led. The
   nodes run with --trace, so each failover is cut into its phases from their log lines:

     kill ──▶ fenced ──▶ new leader chosen ──▶ new leader serving ──▶ next ack
        detection   election     commit, propagation     client: metadata refresh, retry
     (broker.session.timeout.ms)  (controller tick)  (metadata log)   (librdkafka backoffs)

   The victim is restarted and the cluster healed (full ISRs, preferred leaders back) before the
   next kill, and the producer is acknowledged on every partition again (it reconnects to the
   restarted broker only after its reconnect backoff, up to 10 s: a kill before that would time
   that wait, not the failover; the script prints how long it took). By default the victim is never the active controller; --controller-kills N adds kills
   of a leader that is also the controller (the quorum must elect a new one first).

The producer is not idempotent (--client enable.idempotence=true makes it so): in one run an
idempotent producer got no acknowledgement at all for 60 s after the 8th kill, which is the
producer-state-after-truncation problem of docs/minikafka/05's fault-checker section, not failover.

--quick: fewer records, 2 rounds, 5 kills - a smoke run of a minute or two. The timeouts are
tests/minikafka/cluster_test.py's (broker.session.timeout.ms=2000, heartbeats every 300 ms).

READ NEXT: docs/minikafka/benchmarks.md ("Replication"), core/topic_control.cpp (the election).
"""
import argparse
import datetime
import os
import resource
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "tests", d) for d in ("support", "minikafka")] + [os.path.join(ROOT, "benchmarks", "comparison")]

from cluster_test import TIMEOUTS, Cluster, unfenced  # noqa: E402  (after the path set-up)
from servers import Server, wait_until  # noqa: E402
import process_stats  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import free_memory_just_now  # noqa: E402  (the same starting state as compare.py's tests)

TOPIC = "failover"


def bootstrap(nodes):
    return ",".join(f"127.0.0.1:{n.port}" for n in nodes if n.proc is not None)


def kafka_load(tool, *args):
    out = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"kafka_load {args}: {out.stderr}{out.stdout}")
    return {k: float(v) for k, v in (f.split("=") for f in out.stdout.split())}


def cpu_ns(servers):
    """CPU time (ns) the servers' processes have used so far, every thread counted. On a machine
    shared with other work, records/s follows the load; CPU per record does not (much), so it is
    the figure to compare changes by."""
    return sum(process_stats.cpu_ns(s.proc.pid) for s in servers if s.proc is not None)


def client_cpu_s():
    """CPU seconds (user + system) of the finished child processes: kafka_load's share."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Before each run: compare.py's free_memory_just_now (its docstring says why, in full). On this
# virtual machine memory left free for a few seconds goes back to the host, which must back every
# page again on its first write - appending into the page cache then costs 5-10 times more CPU per
# byte. Three replicas append three times the bytes, so without this step the RF 3 rounds measured
# mostly the host's page faults (perf: 51 % of the three brokers' samples in
# copy_folio_from_iter_atomic, against 7 % after it). Recycled memory is the like-for-like state:
# a broker whose page cache has filled the machine recycles old log pages for new ones.


def wait_cluster(cluster):
    ready = wait_until(lambda: (c := cluster.settled_leader(among=3)) and unfenced(c) == [1, 2, 3] and c, timeout=60)
    if not ready:
        raise RuntimeError("the cluster did not form")
    return ready


def throughput(options, tool):
    single = Server("MINIKAFKA_BIN")
    cluster = Cluster("--default.replication.factor", "3", "--min.insync.replicas", "2", trace=False)
    try:
        wait_cluster(cluster)
        results, cpu, client = {}, {}, {}
        loads = []
        for size, records in options.sizes:
            for r in range(options.rounds):
                targets = [("RF 1, one node", f"127.0.0.1:{single.port}", [single]),
                           ("RF 3, three nodes", bootstrap(cluster.nodes), cluster.nodes)]
                for name, target, servers in (targets if r % 2 == 0 else reversed(targets)):
                    topic = f"load-{size}-{r}"
                    # Every run starts from the same state: the previous run's gigabytes written
                    # back, the disk settled, and free memory the VM has just backed - what the
                    # three replicas will append, and a margin. Without this a single node's 1 KB
                    # rounds moved by 3x (310 to 1009 MB/s) in one quiet run.
                    os.sync()
                    time.sleep(3)
                    free_memory_just_now(min(4 << 30, max(1 << 30, int(3.3 * records * (size + 70)))))
                    before, client_before = cpu_ns(servers), client_cpu_s()
                    got = kafka_load(tool, "produce", target, topic, records, size, "all")
                    # Broker CPU per record: every thread of every node of this setup, in us.
                    used = (cpu_ns(servers) - before) / 1e3 / records
                    used_client = (client_cpu_s() - client_before) * 1e6 / records
                    loads.append(os.getloadavg()[0])
                    results.setdefault((size, name), []).append(got["mb_per_s"])
                    cpu.setdefault((size, name), []).append(used)
                    client.setdefault((size, name), []).append(used_client)
                    print(f"  {size} B round {r + 1} {name}: {got['mb_per_s']:.1f} MB/s "
                          f"({got['records_per_s'] / 1e3:.0f}k records/s), brokers {used:.2f} us CPU/record, "
                          f"client {used_client:.2f}, load {loads[-1]:.1f}", flush=True)
        print(f"\nload average (1 min) during the rounds: {min(loads):.1f}-{max(loads):.1f} "
              f"on {os.cpu_count()} cores")
        print("| acks=all produce, kafka_load | RF 1, one node | RF 3, three nodes | RF 3 / RF 1 "
              "| broker CPU us/record, RF 1 | RF 3 (3 nodes) | client CPU us/record, RF 1 / RF 3 |")
        print("|---|---|---|---|---|---|---|")
        for size, records in options.sizes:
            one = statistics.median(results[(size, "RF 1, one node")])
            three = statistics.median(results[(size, "RF 3, three nodes")])
            ratios = [t / o for o, t in zip(results[(size, "RF 1, one node")], results[(size, "RF 3, three nodes")])]
            cpu_one = statistics.median(cpu[(size, "RF 1, one node")])
            cpu_three = statistics.median(cpu[(size, "RF 3, three nodes")])
            client_one = statistics.median(client[(size, "RF 1, one node")])
            client_three = statistics.median(client[(size, "RF 3, three nodes")])
            print(f"| {records:,} x {size} B, median of {options.rounds} | {one:.0f} MB/s | {three:.0f} MB/s "
                  f"| {three / one:.2f}x (rounds {min(ratios):.2f}-{max(ratios):.2f}) "
                  f"| {cpu_one:.2f} | {cpu_three:.2f} ({cpu_three / cpu_one:.1f}x) "
                  f"| {client_one:.2f} / {client_three:.2f} |")
    finally:
        single.close()
        cluster.close()


def log_time(line):
    """The wall-clock time of a log line ("2026-12-07T14:55:01.123Z minikafka ...")."""
    stamp = line.split(" ", 1)[0]
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def first_line(node, needle, after, also=""):
    """The time of the node's first log line since `after` holding `needle` (and `also`)."""
    for line in list(node.log_lines):
        if needle in line and also in line:
            try:
                t = log_time(line)
            except ValueError:
                continue
            if t >= after:
                return t
    return None


def leaders(node, partitions):
    """{partition: leader} from the node's Metadata (confluent-kafka), or None."""
    from confluent_kafka.admin import AdminClient
    try:
        md = AdminClient({"bootstrap.servers": f"127.0.0.1:{node.port}"}).list_topics(TOPIC, timeout=3)
    except Exception:  # noqa: BLE001 - busy or restarting
        return None
    t = md.topics.get(TOPIC)
    if t is None or len(t.partitions) != partitions:
        return None
    out = {}
    for p, info in t.partitions.items():
        if info.leader < 0 or sorted(info.isrs) != [1, 2, 3] or info.leader != info.replicas[0]:
            return None  # not healed yet: an ISR short, or leadership not back home
        out[p] = info.leader
    return out


class PacedProducer:
    """One acks=all record to every partition every `interval` seconds; keeps the
    wall-clock time of every acknowledgement per partition."""

    def __init__(self, cluster, partitions, interval=0.01, **config):
        from confluent_kafka import Producer
        self.acks = {p: [] for p in range(partitions)}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.producer = Producer({"bootstrap.servers": bootstrap(cluster.nodes), "acks": "all", "linger.ms": 0, "message.timeout.ms": 60000,
                                  "log_level": 2, **config})
        self.partitions, self.interval = partitions, interval
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def delivered(self, err, msg, sent):
        if err is None:
            with self.lock:
                self.acks[msg.partition()].append((sent, time.time()))

    def run(self):
        while not self.stopping.is_set():
            for p in range(self.partitions):
                try:
                    self.producer.produce(TOPIC, b"x" * 100, partition=p,
                                          on_delivery=lambda err, msg, sent=time.time(): self.delivered(err, msg, sent))
                except BufferError:
                    pass
            self.producer.poll(self.interval)
        self.producer.flush(30)

    def first_ack_after(self, partition, t):
        """The first acknowledgement of a record sent after `t` (one in flight at the kill, its
        answer already on its way, says nothing about the failover)."""
        with self.lock:
            return min((acked for sent, acked in self.acks[partition] if sent > t), default=None)

    def stop(self):
        self.stopping.set()
        self.thread.join(60)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def failover(options):
    from confluent_kafka.admin import AdminClient, NewTopic
    partitions = 3
    cluster = Cluster("--min.insync.replicas", "2", trace=True)
    rows = []  # (kind, partition, total, detection, election, propagation, client)
    resumed = []  # per kill: from the heal to an ack on every partition (the client reconnecting)
    producer = None
    try:
        wait_cluster(cluster)
        admin = AdminClient({"bootstrap.servers": bootstrap(cluster.nodes)})  # alive until the result
        admin.create_topics([NewTopic(TOPIC, partitions, 3)])[TOPIC].result(15)
        debug = {}
        if options.client_debug:
            import logging
            logger = logging.getLogger("librdkafka")
            handler = logging.FileHandler(options.client_debug, mode="w")
            handler.setFormatter(logging.Formatter("%(created).3f %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
            debug = {"debug": "broker,topic,metadata", "log_level": 7, "logger": logger}
        producer = PacedProducer(cluster, partitions, **{**options.client, **debug})
        kinds = ["leader"] * options.kills + ["controller"] * options.controller_kills
        for number, kind in enumerate(kinds):
            controller = wait_cluster(cluster)
            view = wait_until(lambda: leaders(cluster.nodes[controller["node_id"] - 1], partitions), timeout=60)
            if view is None:
                raise RuntimeError("the cluster did not heal")
            # A steady stream of acks on every partition before the kill. The heal moved the
            # previous victim's partitions back to it (the preferred leader), and librdkafka
            # reaches a restarted broker only at its next reconnect attempt - they back off up to
            # reconnect.backoff.max.ms (10 s) while the broker was down - so for seconds after the
            # heal a partition may get no acks at all; a kill then would time that wait, not the
            # failover.
            healed = time.time()
            if not wait_until(lambda: all(producer.first_ack_after(p, healed) for p in range(partitions)) or None,
                              timeout=60):
                raise RuntimeError("the producer got no acks on some partition 60 s after the heal")
            resumed.append(max(producer.first_ack_after(p, healed) for p in range(partitions)) - healed)
            time.sleep(1.0)
            c_id = controller["node_id"]
            candidates = sorted({lead for lead in view.values() if (lead == c_id) == (kind == "controller")})
            if not candidates:
                # e.g. the controller leads nothing: move on to a leader that is not
                candidates = sorted(set(view.values()))
            victim_id = candidates[number % len(candidates)]
            led = [p for p, lead in view.items() if lead == victim_id]
            victim = cluster.nodes[victim_id - 1]
            at = time.time()
            victim.kill9()
            if options.client_debug:
                import logging
                logging.getLogger("librdkafka").info(f"BENCH kill {number + 1}: node {victim_id} (led {led}) at {at:.3f}")
            got = wait_until(lambda: all(producer.first_ack_after(p, at) for p in led) or None, timeout=60)
            if not got:
                raise RuntimeError(f"no ack on {led} 60 s after killing node {victim_id}")
            others = [n for n in cluster.nodes if n is not victim]
            fenced = min(filter(None, (first_line(n, f"FenceBrokerRecord broker={victim_id}", at) for n in others)),
                         default=None)
            for p in led:
                ack = producer.first_ack_after(p, at)
                chosen = min(filter(None, (first_line(n, f"topic={TOPIC} partition={p} isr", at, f"leader {victim_id} -> ")
                                           for n in others)), default=None)
                serving = min(filter(None, (first_line(n, f"{TOPIC}-{p} leader", at,
                                                       f"this node (node {cluster.nodes.index(n) + 1}) is the leader")
                                            for n in others)), default=None)
                rows.append((kind, p, ack - at, fenced and fenced - at, chosen and fenced and chosen - fenced,
                             serving and chosen and serving - chosen, serving and ack - serving))
                print(f"  kill {number + 1} ({kind}, node {victim_id}) {TOPIC}-{p}: next ack after {ack - at:.2f} s"
                      + (f" (fenced +{fenced - at:.2f}, chosen +{chosen - at:.2f}, serving +{serving - at:.2f})"
                         if fenced and chosen and serving else ""), flush=True)
            victim.start()
    finally:
        if producer:
            producer.stop()
        if options.keep_logs:
            os.makedirs(options.keep_logs, exist_ok=True)
            for i, node in enumerate(cluster.nodes):
                with open(os.path.join(options.keep_logs, f"node-{i + 1}.log"), "w") as out:
                    out.writelines(node.log_lines)
        cluster.close()
    session = TIMEOUTS[TIMEOUTS.index("--broker.session.timeout.ms") + 1]
    heartbeat = TIMEOUTS[TIMEOUTS.index("--broker.heartbeat.interval.ms") + 1]
    print(f"\nbroker.session.timeout.ms={session}, broker.heartbeat.interval.ms={heartbeat}; client: "
          f"{options.client or 'librdkafka defaults'}")
    if resumed:
        print(f"before each kill, heal -> acks on every partition again: p50 {pct(resumed, 0.5):.2f} s, "
              f"max {max(resumed):.2f} s")
    print("| kills of | partitions | kill -> next ack p50 | max | detection p50 | election p50 | "
          "propagation p50 | client p50 | client max |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in ("leader", "controller"):
        mine = [r for r in rows if r[0] == kind]
        if not mine:
            continue
        cols = [[r[i] for r in mine if r[i] is not None] for i in range(2, 7)]
        cells = [f"{pct(c, 0.5):.2f} s" if c else "-" for c in cols]
        label = "a leader" if kind == "leader" else "a leader that is the active controller"
        client_max = f"{max(cols[4]):.2f} s" if cols[4] else "-"
        print(f"| {label} | {len(mine)} | {cells[0]} | {max(cols[0]):.2f} s | {cells[1]} | {cells[2]} | {cells[3]} "
              f"| {cells[4]} | {client_max} |")


def main():
    parser = argparse.ArgumentParser(description="minikafka replication: RF 3 vs RF 1 throughput, failover time")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--controller-kills", type=int, default=0)
    parser.add_argument("--only", choices=["throughput", "failover"])
    parser.add_argument("--record-sizes", default="100,1000",
                        help="record sizes (bytes) of the throughput test, comma-separated: 100, 1000 or both")
    parser.add_argument("--client", action="append", default=[],
                        help="a librdkafka setting for the failover producer, name=value (repeatable)")
    parser.add_argument("--client-debug", metavar="FILE",
                        help="write the failover producer's librdkafka debug log (broker, topic, metadata: its "
                             "leader lookups; msg and protocol would slow it down), each line with its wall-clock time, "
                             "to FILE; the kill times go there too")
    parser.add_argument("--keep-logs", metavar="DIR",
                        help="write each node's log (--trace: fences, elections, produces) to DIR/node-N.log")
    options = parser.parse_args()
    options.client = dict(c.split("=", 1) for c in options.client)
    options.sizes = [(100, 1_000_000), (1000, 300_000)]
    if options.quick:
        options.rounds, options.kills = 2, min(options.kills, 5)
        options.sizes = [(100, 200_000), (1000, 50_000)]
    wanted = {int(size) for size in options.record_sizes.split(",")}
    options.sizes = [(size, records) for size, records in options.sizes if size in wanted]
    os.environ.setdefault("MINIKAFKA_BIN", os.path.join(options.build, "minikafka", "minikafka"))
    tool = os.path.join(options.build, "benchmarks", "minikafka", "kafka_load")
    if options.only != "failover":
        print("## RF 3 acks=all on three nodes vs RF 1 acks=all on one node", flush=True)
        throughput(options, tool)
    if options.only != "throughput":
        print("\n## Failover: kill -9 of a partition leader to the next acknowledged produce", flush=True)
        failover(options)


if __name__ == "__main__":
    main()
