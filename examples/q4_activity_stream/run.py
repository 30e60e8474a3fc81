"""Q4 - an activity stream on Kafka: high-volume user events; a consumer group grows from one member
to three and the partitions are rebalanced between them; lag is sampled all along and explained;
one member is killed (kill -9) mid-stream and its partitions move to the others, which resume at
its committed offsets; nothing is lost and each user's events stay in order; then a stream
processor (examples/stream_processing) turns the same events
into analytics: each user's actions per 10 seconds of event time, and the busiest users.
Producer: kafka-python; consumers: confluent-kafka (librdkafka) - both speak to the same broker.
Runs against minikafka by default; `--broker HOST:PORT` for a Kafka cluster."""
import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid

EXAMPLES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(os.path.dirname(EXAMPLES), "tests", "support"), os.path.join(EXAMPLES, "stream_processing")]
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from kafka import KafkaProducer  # noqa: E402  (python3-kafka)

from brokers import Broker, add_broker_argument  # noqa: E402
from harness import Processor, compare_windows, read_topic  # noqa: E402

failures = []
PARTITIONS = 6
WINDOW_MS = 10000  # analytics: counts per user and action per 10 seconds of event time
EVENT_SPACING_MS = 5  # the simulated clock: one event every 5 ms of event time


def expect(condition, what):
    print(f"  [{'ok' if condition else 'FAILED'}] {what}")
    if not condition:
        failures.append(what)


class Member(threading.Thread):
    """One consumer-group member: records what it was assigned and every event it processed."""

    def __init__(self, name, bootstrap, topic, group, processed, lock):
        super().__init__(daemon=True)
        self.name, self.topic, self.processed, self.lock = name, topic, processed, lock
        self.assigned = []
        self.first_offset = {}  # partition -> first offset processed since the last assignment
        self.stop = threading.Event()
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                  "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                                  "heartbeat.interval.ms": 500, "enable.auto.commit": True,
                                  "auto.commit.interval.ms": 200})

    def on_assign(self, consumer, partitions):
        self.assigned = sorted(p.partition for p in partitions)
        self.first_offset = {}
        print(f"  {self.name} is assigned partitions {self.assigned}")

    def run(self):
        self.consumer.subscribe([self.topic], on_assign=self.on_assign)
        while not self.stop.is_set():
            msg = self.consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            event = json.loads(msg.value())
            if "user" not in event:
                continue  # a watermark record for the stream processor of step 5
            self.first_offset.setdefault(msg.partition(), msg.offset())
            with self.lock:
                self.processed.append((event["user"], event["seq"], msg.partition(), self.name))
            time.sleep(0.0002)  # a little work per event, so lag is visible
        self.consumer.close()  # leaves the group: its partitions go to the others


def member_process(bootstrap, topic, group, session_ms):
    """The member that will crash runs as its own process (run.py --member ...), so that it can be
    killed for real: no LeaveGroup, no last commit. It reports on stdout, one line per event."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "session.timeout.ms": int(session_ms), "heartbeat.interval.ms": 300,
                  "enable.auto.commit": True, "auto.commit.interval.ms": 200})
    c.subscribe([topic], on_assign=lambda _, parts: print("assigned", *[p.partition for p in parts], flush=True))
    while True:
        msg = c.poll(0.2)
        if msg is None or msg.error():
            continue
        event = json.loads(msg.value())
        if "user" in event:
            print("event", event["user"], event["seq"], msg.partition(), msg.offset(), flush=True)
            time.sleep(0.0002)


class MemberProcess:
    """The parent's view of that process: what it was assigned, what it processed."""

    def __init__(self, name, args, processed, lock):
        self.name, self.assigned, self.last_offset = name, [], {}
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--member", *args],
                                     stdout=subprocess.PIPE, text=True)

        def read():
            for line in self.proc.stdout:
                words = line.split()
                if words[0] == "assigned":
                    self.assigned = [int(w) for w in words[1:]]
                    print(f"  {name} (a separate process) is assigned partitions {self.assigned}")
                elif words[0] == "event":
                    partition, offset = int(words[3]), int(words[4])
                    self.last_offset[partition] = offset
                    with lock:
                        processed.append((words[1], int(words[2]), partition, name))

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.reader.join(10)


def committed_offsets(bootstrap, topic, group):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    committed = c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
    c.close()
    return {tp.partition: tp.offset for tp in committed}


class LagSampler(threading.Thread):
    """Samples the group's total lag (log end - committed, all partitions) every 0.25 s, so the
    curve across the rebalances can be printed and explained afterwards."""

    def __init__(self, bootstrap, topic, group):
        super().__init__(daemon=True)
        self.samples, self.marks, self.stop = [], {}, threading.Event()
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
        self.partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        self.t0 = time.monotonic()

    def mark(self, what):
        self.marks[what] = time.monotonic() - self.t0

    def run(self):
        while not self.stop.wait(0.25):
            committed = self.consumer.committed(self.partitions, timeout=10)
            lag = sum(self.consumer.get_watermark_offsets(tp, timeout=10)[1] - max(tp.offset, 0) for tp in committed)
            self.samples.append((time.monotonic() - self.t0, lag))
        self.consumer.close()

    def explain(self):
        """The curve, then what it means: lag goes *up* right after the group grows."""
        grow, kill = self.marks["grow"], self.marks.get("kill", float("inf"))
        print(f"  lag over time (seconds: events behind; members 2 and 3 join at {grow:.1f} s, member-3"
              f" is killed at {kill:.1f} s):")
        print("   " + "  ".join(f"{t:.1f}:{lag}" for t, lag in self.samples[::2]))

        def peak(lo, hi):
            inside = [s for s in self.samples if lo < s[0] <= hi]
            return max(inside, key=lambda s: s[1], default=(lo, 0))

        at_grow = next((lag for t, lag in reversed(self.samples) if t <= grow), 0)
        grow_peak_t, grow_peak = peak(grow, kill)
        kill_peak_t, kill_peak = peak(kill, float("inf"))
        print(f"  why: {at_grow} behind when the group grew, {grow_peak} at the top {grow_peak_t - grow:.1f} s"
              f" later, {self.samples[-1][1]} at the end. A rebalance first *stops* consumption: every member"
              f" gives up its partitions and waits for the new assignment (JoinGroup, SyncGroup), new owners"
              f" start from the last committed offsets, and the producer does not pause - so lag rises"
              f" before three members drain it faster than one.")
        if kill != float("inf"):
            print(f"  after the kill: {kill_peak} behind at the top, {kill_peak_t - kill:.1f} s later - member-3's"
                  f" partitions are read by nobody until its session times out and the group rebalances.")


def print_lag(bootstrap, topic, group):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    committed = c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
    total = 0
    cells = []
    for tp in committed:
        _, high = c.get_watermark_offsets(tp, timeout=10)
        lag = high - max(tp.offset, 0)
        total += lag
        cells.append(f"p{tp.partition}:{lag}")
    c.close()
    print(f"  lag per partition {' '.join(cells)} (total {total})")
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_broker_argument(parser, "kafka")
    parser.add_argument("--member", nargs=4, metavar=("BOOTSTRAP", "TOPIC", "GROUP", "SESSION_MS"),
                        help=argparse.SUPPRESS)  # the member that gets killed runs as run.py --member
    args = parser.parse_args()
    if args.member:
        return member_process(*args.member)
    # A killed member is noticed after its session timeout; a short one (2 s, allowed by a lower
    # group.min.session.timeout.ms) keeps the demo short. Kafka's defaults are 45 s and 6 s.
    session_ms = 2000 if args.broker == "mini" else 6000
    with Broker("kafka", args.broker, mini_args=["--group.min.session.timeout.ms", "1000"]) as broker:
        bootstrap = f"{broker.host}:{broker.port}"
        topic = f"activity-{uuid.uuid4().hex[:6]}"
        group = f"analytics-{topic}"
        print(f"Q4 against {broker.name} on {bootstrap}, topic {topic} with {PARTITIONS} partitions")
        admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 3})  # must outlive the request
        admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])[topic].result(30)

        users = [f"user{i}" for i in range(60)]
        total = 20000 if args.quick else 300000
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=5, batch_size=65536)
        seq = {u: 0 for u in users}
        actions, rng = ["view"] * 6 + ["click"] * 3 + ["login"], random.Random(4)
        start_ms = int(time.time() * 1000)
        weights = [8 if n < 3 else 1 for n in range(len(users))]  # three very active users
        expected = {}  # ("user/action", window start) -> count: what the stream processor must find
        processed, lock = [], threading.Lock()

        print(f"\n1. {total} events keyed by user, one group member consuming")
        lag = LagSampler(bootstrap, topic, group)
        lag.start()
        members = [Member("member-1", bootstrap, topic, group, processed, lock)]
        members[0].start()
        while not members[0].assigned:  # joining a group takes a moment: JoinGroup, SyncGroup
            time.sleep(0.05)
        start = time.monotonic()
        for i in range(total):
            user, action = rng.choices(users, weights)[0], rng.choice(actions)
            ts = start_ms + i * EVENT_SPACING_MS
            window = (f"{user}/{action}", ts - ts % WINDOW_MS)
            expected[window] = expected.get(window, 0) + 1
            producer.send(topic, key=user.encode(), value=json.dumps({"user": user, "seq": seq[user],
                                                                        "action": action, "ts": ts}).encode())
            seq[user] += 1
            if i == total // 3:
                producer.flush()
                time.sleep(1)
                print_lag(bootstrap, topic, group)  # one member alone: is it keeping up?
                print("\n2. The group grows to three members: the partitions are rebalanced")
                lag.mark("grow")
                members.append(Member("member-2", bootstrap, topic, group, processed, lock))
                members[-1].start()
                victim = MemberProcess("member-3", [bootstrap, topic, group, str(session_ms)], processed, lock)
            if i == total * 2 // 3:
                producer.flush()
                deadline = time.monotonic() + 30
                while not victim.last_offset and time.monotonic() < deadline:
                    time.sleep(0.05)  # the crash must land while member-3 is at work
                time.sleep(0.5)
                print(f"\n3. kill -9 of member-3 mid-stream, while it owns partitions {victim.assigned}")
                lag.mark("kill")
                victim.kill9()
                crashed = {p: victim.last_offset.get(p, -1) for p in victim.assigned}
                committed = committed_offsets(bootstrap, topic, group)
                print("  it had processed up to " + ", ".join(f"p{p}:{o}" for p, o in crashed.items())
                      + "; its last commits: " + ", ".join(f"p{p}:{committed[p]}" for p in crashed))
                print(f"  the group notices after the session timeout ({session_ms} ms) and rebalances:")
        producer.flush()
        elapsed = time.monotonic() - start
        print(f"  produced {total} events in {elapsed:.1f} s ({total / elapsed:,.0f}/s from kafka-python)")
        print_lag(bootstrap, topic, group)

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with lock:
                distinct = len({(u, s) for u, s, _, _ in processed})
            if distinct >= total:
                break
            time.sleep(0.5)
        time.sleep(1)  # let the last auto-commit happen
        remaining = print_lag(bootstrap, topic, group)
        lag.stop.set()
        lag.join(15)
        # Read the assignment now: stopping the members is itself a rebalance (each one leaving
        # hands its partitions to those still running).
        shares = [len(m.assigned) for m in members]
        resumed = {p: m.first_offset.get(p) for m in members for p in crashed if p in m.assigned}
        print("  the survivors resumed member-3's partitions at " + ", ".join(
            f"p{p}:{o}" for p, o in resumed.items()) + f" - its committed offsets, so the "
            f"{sum(max(0, crashed[p] + 1 - committed[p]) for p in crashed)} events it had processed after its last"
            f" commit were processed again (at-least-once)")
        lag.explain()
        for m in members:
            m.stop.set()
        for m in members:
            m.join(30)

        print("\n4. What the group did")
        with lock:
            events = list(processed)
        per_member = {m.name: sum(1 for e in events if e[3] == m.name) for m in members + [victim]}
        print(f"  events per member: {per_member}")
        expect(len({(u, s) for u, s, _, _ in events}) == total, "every event was processed")
        expect(shares == [PARTITIONS // 2] * 2,
               "after the crash each of the two survivors owns three partitions")
        expect(resumed == {p: committed[p] for p in crashed},
               "the survivors resumed each of member-3's partitions exactly at its committed offset")
        # Per-user order: within each user's events, sequence numbers never go backwards - except
        # that a rebalance may hand a partition over before its last progress was committed, so
        # the new owner re-reads a few events (at-least-once); those repeats are not reorderings.
        in_order = True
        seen, highest = set(), {}
        for user, s, _, _ in events:
            if (user, s) not in seen and s < highest.get(user, -1):
                in_order = False  # a new event arrived after a later one of the same user
            seen.add((user, s))
            highest[user] = max(highest.get(user, -1), s)
        expect(in_order, "each user's events were processed in order (repeats after a rebalance aside)")
        expect(remaining == 0, "the group caught up: no lag left")

        print("\n5. Analytics: a stream processor counts each user's actions per 10 s of event time")
        # The same topic, read by another consumer group: the processor does not take anything
        # away from the members above (Kafka keeps the log; each group has its own offsets).
        # It counts by user (and action): the key the topic is partitioned by, so each count lives
        # in one partition. Every partition then gets a watermark record, so the last windows close.
        counts_topic = f"activity-counts-{topic}"
        admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1)
                             for t in (counts_topic, counts_topic + "-late")])[counts_topic].result(30)
        processor = Processor("--bootstrap", bootstrap, "--input", topic, "--output", counts_topic,
                              "--late", counts_topic + "-late", "--group", f"counts-{topic}",
                              "--partitions", str(PARTITIONS), "--window-ms", str(WINDOW_MS),
                              "--lateness-ms", "200", "--key-field", "user,action")
        end_ms = start_ms + total * EVENT_SPACING_MS + WINDOW_MS + 200
        for p in range(PARTITIONS):
            producer.send(topic, value=json.dumps({"watermark": end_ms}).encode(), partition=p)
        producer.flush()
        processor.wait_for(lambda: processor.emitted >= len(expected), timeout=120)
        processor.stop()
        windows = [json.loads(v) for _, _, v in read_topic(bootstrap, counts_topic, 1)]
        wrong, missing, duplicates = compare_windows(windows, expected)
        per_window = {}  # window start -> {user: {action: count}}; a duplicate overwrites its twin
        for w in windows:
            user, action = w["key"].split("/")
            per_window.setdefault(w["window_start"], {}).setdefault(user, {})[action] = w["count"]
        for n, start in enumerate(sorted(per_window)[:4]):
            users_in = per_window[start]
            top = sorted(users_in, key=lambda u: -sum(users_in[u].values()))[:3]
            actions_total = {a: sum(c.get(a, 0) for c in users_in.values()) for a in ("view", "click", "login")}
            print(f"  window {n}: {actions_total}; busiest users "
                  + ", ".join(f"{u} {sum(users_in[u].values())}" for u in top))
        print(f"  ... {len(per_window)} windows of {WINDOW_MS // 1000} s, {len(windows)} (user, action, window) counts")
        expect(not missing and not wrong, f"the per-window counts match what was produced "
                                          f"({len(windows)} window records, {duplicates} duplicates)")
    print(f"\n{'all expectations held' if not failures else f'{len(failures)} expectation(s) failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
