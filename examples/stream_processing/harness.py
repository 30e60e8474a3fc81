"""CONCEPT: checking a stream processor from the outside - start it as its own process (so that it
can be killed like a real crash), read its output topics back to the end, and compare the windows
it produced with the counts computed directly from the events that were sent. Used by run.py and
by the Q4 scenario.
READ NEXT: windowed_counts.py (the processor), run.py (the crash test)."""
import os
import re
import subprocess
import sys
import threading
import time

from confluent_kafka import Consumer, TopicPartition

PROCESSOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "windowed_counts.py")
_PROGRESS = re.compile(r"windows emitted (\d+), late events (\d+)")


class Processor:
    """windowed_counts.py in a child process; .emitted follows its progress lines."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, PROCESSOR, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.emitted = self.late = 0
        self.output = []
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)
            if m := _PROGRESS.search(line):
                self.emitted, self.late = int(m.group(1)), int(m.group(2))

    def wait_for(self, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while not predicate() and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return predicate()

    def wait_exit(self, timeout=60):
        """Waits for the process to end and for its last lines to be read (they may still be in
        the pipe when it exits)."""
        code = self.proc.wait(timeout)
        self.reader.join(10)
        return code

    def kill9(self):
        self.proc.kill()
        self.wait_exit()

    def stop(self):
        self.proc.terminate()
        try:
            return self.wait_exit(30)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None


def read_topic(bootstrap, topic, partitions, timeout=30):
    """Every record of the topic, from offset 0 to the current end: [(partition, offset, value)]."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader-" + topic, "enable.auto.commit": False})
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    records, done = [], {p: ends[p] == 0 for p in ends}
    deadline = time.monotonic() + timeout
    while not all(done.values()) and time.monotonic() < deadline:
        msg = consumer.poll(0.2)
        if msg is None or msg.error():
            continue
        records.append((msg.partition(), msg.offset(), msg.value()))
        done[msg.partition()] = msg.offset() + 1 >= ends[msg.partition()]
    consumer.close()
    return records


def compare_windows(records, expected):
    """records: output values (dicts); expected: {(key, window_start): count}.
    Returns (wrong windows, missing windows, duplicates): a repeated window is fine (at-least-once)
    only if it repeats the same count."""
    seen = {}
    for r in records:
        seen.setdefault((r["key"], r["window_start"]), []).append(r["count"])
    wrong = {w: counts for w, counts in seen.items() if any(c != expected.get(w) for c in counts)}
    missing = [w for w in expected if w not in seen]
    duplicates = len(records) - len(seen)
    return wrong, missing, duplicates
