"""CONCEPT: "nothing acknowledged is lost" as a check a program can make - one writer per server
that records every acknowledgement the real client received, and a verifier that, after a crash
and a restart, asks the server for each of them.

    workload = WORKLOADS["miniredis"](tag="c7", strict=True)
    server = Server(workload.env_var, *workload.args())
    workload.begin(server)        # writer threads: every acknowledged item -> workload.acked
    ...crash: kill -9 or a power cut...
    workload.end()
    server.start()
    result = workload.verify(server)   # result.lost: acknowledged items the server no longer has

What counts as acknowledged is each protocol's own promise, at the strictest durability:
  miniredis   +OK to SET with `appendonly yes, appendfsync always`
  minirabbit  the publisher confirm (basic.ack) for a persistent message on a durable queue
  minikafka   the produce response with acks=all and `log.flush.interval.messages=1`
With strict=False the same writers run at the default, weaker settings (everysec, no confirms,
no flush before the ack); verify() then reports what was lost and when it had been acknowledged,
and checks that the survivors are a prefix of each writer's sequence (a crash may cut the end off
a log, it must never punch holes in it or change a value).

Used by tests/powercut/powercut_test.py (power cuts) and benchmarks/soak/kill9_soak.py (kill -9).
READ NEXT: tests/powercut/powercut_test.py
"""
import importlib.util
import os
import threading
import time

import pika
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from resp_client import RespClient  # tests/miniredis


def _from_tests(path, name):
    # Two servers' tests are both called crash_test.py: load the one we mean by its path.
    spec = importlib.util.spec_from_file_location(name, os.path.join(os.path.dirname(__file__), "..", path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


read_partition = _from_tests("minikafka/crash_test.py", "minikafka_crash_test").read_partition


class Result:
    def __init__(self, acked, lost, lost_ages=(), holes=0, note=""):
        self.acked = acked          # acknowledged items checked
        self.lost = lost            # of those, missing or changed after the restart
        self.lost_ages = list(lost_ages)  # seconds between each lost item's ack and the crash
        self.holes = holes          # survivors that follow a lost item of the same writer
        self.note = note


class Workload:
    env_var = ""
    verify_consumes = False  # True: verify() takes the items away (minirabbit consumes its queue)

    def __init__(self, tag, strict=True):
        self.tag = tag
        self.strict = strict
        self.stop_event = threading.Event()
        self.threads = []
        self.crashed_at = None

    def begin(self, server):
        self.stop_event.clear()
        self.threads = [threading.Thread(target=self._write, args=(server, n), daemon=True)
                        for n in range(self.writers)]
        for t in self.threads:
            t.start()

    def end(self):
        """After the crash: the writers see their connection fail and stop."""
        self.crashed_at = self.crashed_at or time.monotonic()
        self.stop_event.set()
        for t in self.threads:
            t.join(30)

    def mark_crash(self):
        self.crashed_at = time.monotonic()

    def count(self):
        return sum(len(a) for a in self.acked)


def _losses(expected, survived, crashed_at):
    """expected: [(item, ack time)] of one writer in order; survived: parallel list of bools."""
    lost = [(item, t) for (item, t), ok in zip(expected, survived) if not ok]
    # A hole: a survivor after the first lost item.
    first_lost = survived.index(False) if False in survived else len(survived)
    holes = sum(1 for ok in survived[first_lost:] if ok)
    return lost, [crashed_at - t for _, t in lost], holes


class Redis(Workload):
    env_var = "MINIREDIS_BIN"
    writers = 4

    def __init__(self, tag, strict=True):
        super().__init__(tag, strict)
        self.acked = [[] for _ in range(self.writers)]  # per writer: [(key, ack time)]

    def args(self):
        # A small rewrite threshold: the AOF is rewritten (fork, temp file, rename) every time it
        # doubles, so crashes also land in the middle of rewrites and their swaps.
        return ["--appendonly", "yes", "--appendfsync", "always" if self.strict else "everysec", "--save", "",
                "--auto-aof-rewrite-min-size", "65536"]

    def _write(self, server, n):
        try:
            c = RespClient(server.port)
            i = 0
            while not self.stop_event.is_set():
                key = f"{self.tag}:w{n}:{i}"
                if c.call("SET", key, key) != "OK":
                    return
                self.acked[n].append((key, time.monotonic()))
                i += 1
        except (OSError, ConnectionError):
            pass  # the server died under us: that write was never acknowledged

    def verify(self, server):
        c = RespClient(server.port)
        result = Result(0, 0)
        for expected in self.acked:
            survived = []
            for i in range(0, len(expected), 500):
                keys = [k for k, _ in expected[i:i + 500]]
                survived += [v == k.encode() for k, v in zip(keys, c.call("MGET", *keys))]
            lost, ages, holes = _losses(expected, survived, self.crashed_at)
            result.acked += len(expected)
            result.lost += len(lost)
            result.lost_ages += ages
            result.holes += holes
        c.close()
        return result


class Rabbit(Workload):
    env_var = "MINIRABBIT_BIN"
    verify_consumes = True
    writers = 1

    def __init__(self, tag, strict=True):
        super().__init__(tag, strict)
        self.acked = [[]]  # [(body, ack time)]: confirmed (strict) or merely sent (not strict)
        self.queue = f"ledger-{tag}"

    def args(self):
        return []

    def _write(self, server, n):
        try:
            connection = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=server.port))
            channel = connection.channel()
            channel.queue_declare(self.queue, durable=True)
            if self.strict:
                channel.confirm_delivery()  # basic_publish now returns once the broker confirmed
            persistent = pika.BasicProperties(delivery_mode=2)
            i = 0
            while not self.stop_event.is_set():
                body = f"{self.tag}:{i}".encode()
                channel.basic_publish("", self.queue, body, persistent)
                self.acked[0].append((body, time.monotonic()))
                i += 1
                if not self.strict and i % 200 == 0:
                    connection.process_data_events(0)  # keep heartbeats and flow control going
        except (pika.exceptions.AMQPError, OSError):
            pass

    def verify(self, server):
        connection = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=server.port))
        channel = connection.channel()
        # Not passive: a lost queue shows as 0 messages.
        count = channel.queue_declare(self.queue, durable=True).method.message_count
        got = []
        # A consumer rather than basic.get: tens of thousands of messages, not one round trip each.
        for method, _, body in channel.consume(self.queue, auto_ack=True, inactivity_timeout=5):
            if method is None:
                break
            got.append(body)
            if len(got) == count:
                break
        channel.cancel()
        connection.close()
        expected = self.acked[0]
        # In publish order; a message sent but not yet confirmed at the crash may follow.
        survived = [i < len(got) and got[i] == body for i, (body, _) in enumerate(expected)]
        lost, ages, holes = _losses(expected, survived, self.crashed_at)
        extra = len(got) - sum(survived)
        return Result(len(expected), len(lost), ages, holes, note=f"{extra} more than acknowledged")


class Kafka(Workload):
    env_var = "MINIKAFKA_BIN"
    writers = 1
    partitions = 2

    def __init__(self, tag, strict=True):
        super().__init__(tag, strict)
        self.acked = [[]]  # [((partition, offset, value), ack time)]
        self.topic = f"ledger-{tag}"
        self.lock = threading.Lock()

    def args(self):
        flush = ["--log.flush.interval.messages", "1"] if self.strict else []
        return flush + ["--num.partitions", str(self.partitions)]

    def _write(self, server, n):
        def on_delivery(err, message):
            if err is None:
                with self.lock:
                    self.acked[0].append(((message.partition(), message.offset(), message.value()), time.monotonic()))

        producer = Producer({"bootstrap.servers": f"127.0.0.1:{server.port}", "acks": "all", "linger.ms": 1,
                             "message.timeout.ms": 3000, "retries": 0})
        i = 0
        while not self.stop_event.is_set():
            try:
                producer.produce(self.topic, key=str(i % 7), value=f"{self.tag}:{i}", on_delivery=on_delivery)
                i += 1
            except BufferError:
                pass
            producer.poll(0.001 if i % 100 == 0 else 0)
        producer.flush(1)  # after the crash: what is still in flight will never be acknowledged

    def count(self):
        with self.lock:
            return len(self.acked[0])

    def verify(self, server):
        bootstrap = f"127.0.0.1:{server.port}"
        result = Result(0, 0)
        with self.lock:
            acked = list(self.acked[0])
        for partition in range(self.partitions):
            expected = sorted(((off, value), t) for (p, off, value), t in acked if p == partition)
            if not expected:
                continue
            end = expected[-1][0][0] + 1
            consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "checker"})
            try:
                _, high = consumer.get_watermark_offsets(TopicPartition(self.topic, partition), timeout=10)
            except KafkaException:  # the topic itself is gone: everything in it is lost
                high = 0
            consumer.close()
            stored = read_partition(bootstrap, self.topic, partition, min(end, max(high, 0))) if high > 0 else {}
            survived = [stored.get(off) == value for (off, value), _ in expected]
            lost, ages, holes = _losses(expected, survived, self.crashed_at)
            result.acked += len(expected)
            result.lost += len(lost)
            result.lost_ages += ages
            result.holes += holes
        return result


WORKLOADS = {"miniredis": Redis, "minirabbit": Rabbit, "minikafka": Kafka}
