"""CONCEPT: stream processing on Kafka (notes II, Use Cases): consume -> transform -> produce.
Counts events per key in tumbling windows of *event time* (the time written into each event, not
the time it arrives), closes a window once the watermark has passed it, sends events that arrive
after their window closed to a side topic instead of silently dropping them, and commits its input
offsets only after the output they produced is acknowledged - so a crash anywhere loses nothing
(at-least-once) and at worst repeats some output.

    input topic ──poll──▶ [ per partition: watermark, open windows ] ──window closed──▶ output
     (events)                    │                                   ──too late────────▶ late
                                 └── after the output is flushed: commit input offset + checkpoint

Windows. An event at time ts belongs to the window [ts - ts % W, ts - ts % W + W).
Watermark. "No event older than this will still come": the highest event time seen in the
partition minus the allowed lateness L. A window closes when its end <= watermark; its count goes
to the output topic then, once. An event whose window is already closed is *late*.
Commit. The committed offset of a partition is where a restarted processor must start reading so
that it can rebuild the windows still open: the first offset that went into an open window (or
the next unread offset when none is open). Next to it, in the commit's metadata, the processor
stores its watermark and how far it had read: on restart, a re-read event whose window is closed
by that watermark and whose offset is below that position was already handled (counted into an
emitted window, or sent to the late topic) and is skipped; every other event is processed again.
A crash between producing a window and committing makes the restarted processor produce that
window again, with the same count: a duplicate the reader recognises by its (key, window) id.

State is kept per input partition, which is right only when every event of a key is in one
partition: count by the key the topic is partitioned by (or by that key and more fields). Counting
by another field would give one partial count per partition; Kafka Streams first *repartitions*
(re-keys the events into an intermediate topic) for that.

Exactly-once would need Kafka transactions: the output records and the input offsets committed
in one atomic transaction (a transactional producer, sendOffsetsToTransaction, and readers with
isolation.level=read_committed), so that a crash either publishes both or neither. minikafka
leaves transactions out (docs/minikafka/04-left-out-and-exercises.md), so this processor is
at-least-once, and says so.

Usage: windowed_counts.py --bootstrap HOST:PORT --input T --output T --late T --group G
                          [--partitions N] [--window-ms W] [--lateness-ms L]
                          [--key-field key] [--time-field ts] [--crash-before-commit]
Events are JSON: {"key": ..., "ts": event time in ms} (or {"watermark": ts} to move the watermark
of an idle partition: real systems do that with idle timeouts). Output values are JSON
{"key", "window_start", "window_end", "count"} with key "<key>@<window_start>".
READ NEXT: run.py (the crash test), docs/minikafka/03-consumer-groups.md (committed offsets)."""
import argparse
import json
import os
import signal
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # python3-kafka
from kafka.structs import OffsetAndMetadata


class PartitionState:
    """What one input partition's processing has in memory; rebuilt from the log after a crash."""

    def __init__(self, checkpoint):
        self.watermark = checkpoint.get("watermark", -1)
        self.replay_until = checkpoint.get("read", -1)  # offsets below this were handled once
        self.windows = {}  # (key, window_start) -> [count, first offset counted into it]
        self.next_offset = None


class WindowedCounts:
    def __init__(self, args):
        self.args = args
        self.consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, group_id=args.group,
                                      enable_auto_commit=False, auto_offset_reset="earliest")
        # acks=all: "produced" means the broker has it; flush() waits for every ack.
        self.producer = KafkaProducer(bootstrap_servers=args.bootstrap, acks="all", linger_ms=5)
        self.partitions = [TopicPartition(args.input, p) for p in range(args.partitions)]
        # assign(), not subscribe(): one instance owns every partition, so a restart resumes at
        # once instead of waiting for the dead member's session to time out. With subscribe()
        # several instances would split the partitions, each with the state of its own.
        self.consumer.assign(self.partitions)
        self.state = {}
        for tp in self.partitions:
            committed = self.consumer.committed(tp, metadata=True)
            checkpoint = json.loads(committed.metadata) if committed and committed.metadata else {}
            self.state[tp] = PartitionState(checkpoint)
            if committed is not None:
                self.consumer.seek(tp, committed.offset)
        self.emitted = self.late = 0

    def handle(self, tp, offset, event):
        """The transform: one input event into the state of its partition."""
        st = self.state[tp]
        st.next_offset = offset + 1
        if "watermark" in event:  # a heartbeat for an idle partition: moves time, counts nothing
            st.watermark = max(st.watermark, event["watermark"] - self.args.lateness_ms)
            return
        key = "/".join(str(event[field]) for field in self.args.key_field.split(","))
        ts, w = event[self.args.time_field], self.args.window_ms
        start = ts - ts % w
        if start + w <= st.watermark:  # its window has closed already
            if offset >= st.replay_until:  # a first sighting, not a re-read after a restart
                self.late += 1
                self.producer.send(self.args.late, key=key.encode(),
                                   value=json.dumps(dict(event, offset=offset, partition=tp.partition)).encode())
        else:
            cell = st.windows.setdefault((key, start), [0, offset])
            cell[0] += 1
        st.watermark = max(st.watermark, ts - self.args.lateness_ms)

    def close_windows(self, tp):
        st = self.state[tp]
        for (key, start), (count, _) in sorted(st.windows.items(), key=lambda kv: kv[0][1]):
            if start + self.args.window_ms <= st.watermark:
                value = {"key": key, "window_start": start, "window_end": start + self.args.window_ms, "count": count}
                self.producer.send(self.args.output, key=f"{key}@{start}".encode(), value=json.dumps(value).encode())
                del st.windows[(key, start)]
                self.emitted += 1

    def commit(self):
        """Only after flush(): every output record so far is acknowledged by the broker."""
        self.producer.flush()
        if self.args.crash_before_commit and self.emitted:
            # Fault injection for the demo: the worst moment to die - output out, offsets not.
            print(f"windows emitted {self.emitted}, late events {self.late}: crashing before the commit", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        offsets = {}
        for tp, st in self.state.items():
            if st.next_offset is None:
                continue  # nothing read from it since the start: its commit stands
            resume = min([first for _, first in st.windows.values()] + [st.next_offset])
            checkpoint = json.dumps({"watermark": st.watermark, "read": max(st.next_offset, st.replay_until)})
            offsets[tp] = OffsetAndMetadata(resume, checkpoint)
        if offsets:
            self.consumer.commit(offsets)

    def run(self):
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
        print(f"processing {self.args.input} -> {self.args.output} (late: {self.args.late})", flush=True)
        while not stop:
            batch = self.consumer.poll(timeout_ms=200, max_records=500)
            if not batch:
                continue
            for tp, records in batch.items():
                for record in records:
                    self.handle(tp, record.offset, json.loads(record.value))
                self.close_windows(tp)
            self.commit()
            print(f"windows emitted {self.emitted}, late events {self.late}", flush=True)
        self.commit()
        self.consumer.close(autocommit=False)
        self.producer.close()


def main():
    parser = argparse.ArgumentParser(description="windowed counts per key over event time")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--late", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--window-ms", type=int, default=10000)
    parser.add_argument("--lateness-ms", type=int, default=2000)
    parser.add_argument("--key-field", default="key",
                        help="the event field(s) to count by, comma-separated; the first must be the partition key")
    parser.add_argument("--time-field", default="ts", help="the event field with the event time (ms)")
    parser.add_argument("--crash-before-commit", action="store_true",
                        help="kill -9 itself after producing the first windows, before committing them")
    WindowedCounts(parser.parse_args()).run()
    sys.exit(0)


if __name__ == "__main__":
    main()
