"""CONCEPT: stream processing, crash included (the test of windowed_counts.py). Page views with
event times (a little out of order, a few deliberately late) go to a 3-partition topic;
windowed_counts.py counts views per page in 1-second tumbling windows of event time. It dies
between producing and committing, is restarted, is killed with SIGKILL again, is restarted; at the
end every window must be in the output with the right count (duplicates allowed and counted:
at-least-once) and every late event in the late topic. Runs against minikafka by default,
`--broker HOST:PORT` for a Kafka cluster.
READ NEXT: README.md (what exactly-once would need), ../q4_activity_stream/ (the processor as analytics)."""
import argparse
import json
import os
import random
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))  # brokers.py: the tests' harness
sys.path.insert(0, HERE)
from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from brokers import Broker, add_broker_argument  # noqa: E402
from harness import Processor, compare_windows, read_topic  # noqa: E402

PARTITIONS, WINDOW_MS, LATENESS_MS = 3, 1000, 300
PAGES = ["home", "search", "cart", "checkout", "help", "about"]  # page i lives in partition i % 3
failures = []


def expect(condition, what):
    print(f"  [{'ok' if condition else 'FAILED'}] {what}")
    if not condition:
        failures.append(what)


def generate(count, rng):
    """Per partition, event time moves on ~20 ms per event, jitters back by up to 250 ms (less than
    the allowed lateness: never late) and every 97th event is 2.1 s older than the newest one so
    far (its window has closed, whatever the jitter: late). Returns the events and what the output must contain."""
    events, expected, late, newest = [], {}, set(), [1_000_000] * PARTITIONS
    for n in range(count):
        page = rng.choice(PAGES)
        p = PAGES.index(page) % PARTITIONS
        newest[p] += 20
        if n % 97 == 96:
            ts = newest[p] - (WINDOW_MS + LATENESS_MS + 800)
            late.add(n)
        else:
            ts = newest[p] - rng.randrange(250)
            start = ts - ts % WINDOW_MS
            expected[(page, start)] = expected.get((page, start), 0) + 1
        events.append((p, {"id": n, "key": page, "ts": ts}))
    return events, expected, late, max(newest)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_broker_argument(parser, "kafka")
    args = parser.parse_args()
    with Broker("kafka", args.broker) as broker:
        bootstrap = f"{broker.host}:{broker.port}"
        run = uuid.uuid4().hex[:6]
        topics = {name: f"{name}-{run}" for name in ("pageviews", "view-counts", "late-views")}
        print(f"stream processing against {broker.name} on {bootstrap}: {topics['pageviews']} -> "
              f"{topics['view-counts']} (late: {topics['late-views']})")
        admin = AdminClient({"bootstrap.servers": bootstrap})
        for t in admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics.values()]).values():
            t.result(30)
        events, expected, late, end_of_time = generate(3000 if args.quick else 60000, random.Random(7))
        producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})

        def send(batch):
            for p, event in batch:
                producer.produce(topics["pageviews"], key=event.get("key", ""), value=json.dumps(event), partition=p)
            producer.flush(30)

        processor_args = ["--bootstrap", bootstrap, "--input", topics["pageviews"], "--output", topics["view-counts"],
                          "--late", topics["late-views"], "--group", "counts-" + run, "--partitions", str(PARTITIONS),
                          "--window-ms", str(WINDOW_MS), "--lateness-ms", str(LATENESS_MS)]
        half = len(events) // 2
        print(f"\n1. {half} events; the processor dies (SIGKILL) after producing windows, before committing")
        processor = Processor(*processor_args, "--crash-before-commit")
        send(events[:half])
        processor.wait_exit(60)
        crashed_with = processor.emitted
        print(f"  it died having produced {crashed_with} windows whose input offsets are not committed")
        expect(crashed_with > 0 and processor.proc.returncode == -9, "the processor crashed between output and commit")

        print("\n2. restart: it re-reads from the committed offsets; kill -9 it again while it works")
        processor = Processor(*processor_args)
        processor.wait_for(lambda: processor.emitted > 0)
        processor.kill9()
        print(f"  killed after it had (re)produced {processor.emitted} windows and {processor.late} late events")

        print(f"\n3. restart; the other {len(events) - half} events, then a watermark for every partition")
        processor = Processor(*processor_args)
        send(events[half:])
        send([(p, {"watermark": end_of_time + WINDOW_MS + LATENESS_MS}) for p in range(PARTITIONS)])
        processor.wait_for(lambda: processor.emitted >= len(expected) // 2 and processor.late > 0)
        outputs = []
        for _ in range(120):  # until every expected window is in the output (or a minute passes)
            outputs = [json.loads(v) for _, _, v in read_topic(bootstrap, topics["view-counts"], PARTITIONS)]
            if not compare_windows(outputs, expected)[1]:
                break
            processor.wait_for(lambda: False, timeout=0.5)
        expect(processor.stop() == 0, "the restarted processor stopped cleanly on SIGTERM")

        print("\n4. The output")
        wrong, missing, duplicates = compare_windows(outputs, expected)
        late_seen = [json.loads(v)["id"] for _, _, v in read_topic(bootstrap, topics["late-views"], PARTITIONS)]
        totals = {}
        for (page, _), count in expected.items():
            totals[page] = totals.get(page, 0) + count
        print("  views per page:", ", ".join(f"{p} {c}" for p, c in sorted(totals.items(), key=lambda x: -x[1])))
        print(f"  {len(outputs)} window records for {len(expected)} windows: {duplicates} duplicates "
              f"(produced before the crash, not yet committed); {len(late_seen)} late-event records "
              f"for {len(late)} late events")
        expect(not missing, f"every window is in the output ({len(missing)} missing)")
        expect(not wrong, f"every window has the right count, duplicates included ({len(wrong)} wrong)")
        expect(duplicates > 0, "the windows produced before the crash were produced again (at-least-once)")
        expect(set(late_seen) == late, "every late event went to the late topic, and nothing else did")
    print(f"\n{'all expectations held' if not failures else f'{len(failures)} expectation(s) failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
