"""Q4 on Redis Streams: the same activity stream as run.py, but the log is a Redis stream and the
consumers a stream consumer group (redis-py). What is the same as Kafka: an append-only log with
positions, a group that shares the work and remembers how far it got, retention by trimming. What
is not: no partitions (any consumer takes the next entries - so no per-user order across
consumers), an ack per entry and a pending list, and a crashed consumer's entries are taken over by
another consumer (XAUTOCLAIM), not by a rebalance. Runs against miniredis by default;
`--broker real` for redis-server, `--broker HOST:PORT` for one already running."""
import argparse
import os
import sys
import threading
import time

# tests/support/brokers.py starts the mini or the real broker (the same harness the tests use).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
import redis  # noqa: E402  (python3-redis)

from brokers import Broker, add_broker_argument  # noqa: E402

failures = []
STREAM, GROUP = "activity", "analytics"


def expect(condition, what):
    print(f"  [{'ok' if condition else 'FAILED'}] {what}")
    if not condition:
        failures.append(what)


def lag(r):
    return r.xinfo_groups(STREAM)[0]["lag"]


class Member(threading.Thread):
    """One consumer of the group: reads 50 entries at a time, 'processes' them, acknowledges them."""

    def __init__(self, name, port, processed, lock, ack=True):
        super().__init__(daemon=True)
        self.name, self.processed, self.lock, self.ack = name, processed, lock, ack
        self.r = redis.Redis(port=port)
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            reply = self.r.xreadgroup(GROUP, self.name, {STREAM: ">"}, count=50, block=200)
            if not reply:
                continue
            entries = reply[0][1]
            with self.lock:
                for entry_id, fields in entries:
                    self.processed.append((fields[b"user"], int(fields[b"seq"]), entry_id, self.name))
            time.sleep(0.002)  # a little work per batch, so lag is visible
            if self.ack:
                self.r.xack(STREAM, GROUP, *[e[0] for e in entries])
        self.r.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_broker_argument(parser, "redis")
    args = parser.parse_args()
    with Broker("redis", args.broker, mini_args=["--appendonly", "yes", "--appendfsync", "always"],
                real_args=["--appendonly", "yes", "--appendfsync", "always"]) as broker:
        r = redis.Redis(host=broker.host, port=broker.port)
        r.delete(STREAM)
        print(f"Q4 on Redis Streams against {broker.name} on {broker.host}:{broker.port}")
        r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        users = [f"user{i}" for i in range(60)]
        total = 6000 if args.quick else 60000
        seq = {u: 0 for u in users}
        processed, lock = [], threading.Lock()

        print(f"\n1. {total} events, one consumer in group '{GROUP}'; retention: MAXLEN ~ {total * 2}")
        members = [Member("member-1", broker.port, processed, lock)]
        members[0].start()
        pipe = r.pipeline(transaction=False)
        for i in range(total):
            user = users[i % len(users)]
            # The ID is the server's clock: no key, no partition - one ordered log.
            pipe.xadd(STREAM, {"user": user, "seq": seq[user], "action": "click"}, maxlen=total * 2,
                      approximate=True)
            seq[user] += 1
            if i % 500 == 499:
                pipe.execute()
            if i == total // 3:
                pipe.execute()
                print(f"  lag of the group with one consumer: {lag(r)} entries not delivered yet")
                print("\n2. Two more consumers join: no rebalance, they simply read the next entries")
                for n in (2, 3):
                    members.append(Member(f"member-{n}", broker.port, processed, lock))
                    members[-1].start()
        pipe.execute()
        deadline = time.monotonic() + 120
        while (lag(r) != 0 or r.xpending(STREAM, GROUP)["pending"]) and time.monotonic() < deadline:
            time.sleep(0.2)
        for m in members:
            m.stop.set()
        for m in members:
            m.join(30)
        with lock:
            events = list(processed)
        per_member = {m.name: sum(1 for e in events if e[3] == m.name) for m in members}
        print(f"  entries per consumer: {per_member}")
        expect(len(events) == total and len({e[2] for e in events}) == total,
               "every entry was delivered exactly once in the group (no rebalance, no repeats)")
        expect(lag(r) == 0 and r.xpending(STREAM, GROUP)["pending"] == 0,
               "the group caught up and acknowledged everything: lag 0, nothing pending")
        # Per-user order holds in the log, but not across consumers: member-2 may process user7's
        # event 41 while member-3 still works on event 40. Kafka keys + partitions give per-key
        # order; a stream would need one stream (or one consumer) per key for that.
        mixed = sum(1 for u in users if len({e[3] for e in events if e[0] == u.encode()}) > 1)
        print(f"  users whose events were spread over more than one consumer: {mixed} of {len(users)}")
        expect(mixed > 0, "without partitions one user's events go to several consumers")

        print("\n3. A consumer crashes with entries in hand; another takes them over")
        for i in range(10):
            r.xadd(STREAM, {"user": "late", "seq": i, "action": "view"})
        crashed = r.xreadgroup(GROUP, "crashed", {STREAM: ">"}, count=10)  # read, never acked
        in_hand = [e[0] for e in crashed[0][1]]
        pending = r.xpending_range(STREAM, GROUP, "-", "+", 100, consumername="crashed")
        expect([p["message_id"] for p in pending] == in_hand, "its 10 entries are pending, owned by 'crashed'")
        time.sleep(0.2)
        _, claimed, _ = r.xautoclaim(STREAM, GROUP, "rescuer", min_idle_time=100, start_id="0-0", count=100)
        expect([e[0] for e in claimed] == in_hand, "XAUTOCLAIM moved the idle entries to 'rescuer'")
        counts = [p["times_delivered"] for p in r.xpending_range(STREAM, GROUP, "-", "+", 100)]
        expect(counts == [2] * 10, "each shows delivery count 2: a poison message would show a growing count")

        if broker.can_crash:
            print("\n4. kill -9 and restart (appendfsync always): the pending list is durable")
            r.xack(STREAM, GROUP, *in_hand[:4])
            r.close()
            broker.kill9()
            broker.restart()
            r = redis.Redis(host=broker.host, port=broker.port)
            for _ in range(300):  # redis-server answers LOADING while it replays the AOF
                try:
                    r.ping()
                    break
                except redis.exceptions.BusyLoadingError:
                    time.sleep(0.1)
            after = r.xpending_range(STREAM, GROUP, "-", "+", 100)
            expect([p["message_id"] for p in after] == in_hand[4:],
                   "the 4 acknowledged entries stayed acknowledged, the other 6 are still pending")
            expect(all(p["consumer"] == b"rescuer" and p["times_delivered"] == 2 for p in after),
                   "with their consumer and delivery count")
        r.close()
    print(f"\n{'all expectations held' if not failures else f'{len(failures)} expectation(s) failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
