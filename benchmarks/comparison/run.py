#!/usr/bin/python3
"""The course's "choosing the right tool" table, measured: one workload per row of the table in the
course notes, run against minikafka, minirabbit and miniredis and against the real redis-server and
rabbitmq-server installed here, written to docs/comparison.md with SVG charts.

    benchmarks/comparison/run.py [--build build] [--quick] [--rounds 3] [--note TEXT] [--out docs]

Every figure is the median of --rounds rounds (3 by default), with the range shown beside it. The
rounds are interleaved: round 1 runs every row on every broker, then round 2 does it all again,
so a slow minute of the machine lands on one round of every broker, not on all rounds of one.

Rows (each figure comes from this run; nothing is typed in):
  Throughput          messages/s and MB/s, one producer and one consumer, by message size
  Latency             end-to-end (or produce-to-ack) percentiles at a paced rate
  Data volume         memory and disk a broker needs to hold N waiting 100-byte messages
  Message ordering    sequence inversions a consumer observes, per key/queue and overall
  Messaging patterns  fan-out: one message to four independent readers
  Persistence         acknowledged messages lost after kill -9, at each durability setting
Load tools: benchmarks/minikafka/kafka_load (librdkafka), benchmarks/minirabbit/amqp_load
(rabbitmq-c), benchmarks/comparison/redis_msg_load (hiredis); the ordering and persistence rows use
the Python clients (confluent-kafka, pika, redis-py). Progress goes to stderr. Run it on a quiet
machine: it measures this machine as much as the brokers.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "benchmarks", "minikafka"))
from brokers import Broker  # noqa: E402  (starts mini or real brokers; shared with tests and examples)
# Every throughput test starts on memory the VM has just backed: benchmarks/minikafka/compare.py says why.
from compare import free_memory_just_now  # noqa: E402
import svg_chart  # noqa: E402

BUILD = "build"
SIZES = [100, 1000, 10000]


def progress(text):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def tool(path, *args, timeout=900):
    out = subprocess.run([os.path.join(BUILD, path), *map(str, args)], capture_output=True, text=True,
                         timeout=timeout)
    lines = [line for line in out.stdout.splitlines() if "=" in line or line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{path} {args} failed: {out.stderr[-400:]}")
    if lines[-1].startswith("{"):  # amqp_load prints JSON
        return json.loads(lines[-1])
    return {k: float(v) for k, v in (field.split("=", 1) for field in lines[-1].split())}


def amqp_load(broker, scenario, *args):
    return tool("benchmarks/minirabbit/amqp_load", "--host", broker.host, "--port", broker.port,
                "--scenario", scenario, *args)


def rss_mb(pid):
    """Resident memory of a process and its children (rabbitmq-server is a shell + an Erlang VM)."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
            with open(f"/proc/{p}/task/{p}/children") as f:
                pids += [int(c) for c in f.read().split()]
        except (OSError, StopIteration):
            pass
    return total / 1024


def du_mb(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total / 1e6


def targets(kind, quick):
    """The brokers of one kind to measure: the mini server, and the real one where installed."""
    out = ["mini"]
    if kind == "redis" or (kind == "rabbit" and os.path.exists("/usr/lib/rabbitmq/bin/rabbitmq-server")):
        out.append("real")
    return out


def label(kind, choice):
    return {("kafka", "mini"): "minikafka", ("rabbit", "mini"): "minirabbit", ("rabbit", "real"): "rabbitmq-server",
            ("redis", "mini"): "miniredis", ("redis", "real"): "redis-server"}[(kind, choice)]


# --- throughput and latency -----------------------------------------------------------------------
def throughput(quick):
    rows = {}  # broker label -> {size: (produce/s, consume/s, MB/s)}
    n_for = {100: 200_000, 1000: 100_000, 10000: 20_000} if quick else {100: 2_000_000, 1000: 500_000, 10000: 100_000}
    for choice in targets("kafka", quick):
        with Broker("kafka", choice) as b:
            for size in SIZES:
                topic = f"tp-{size}-{uuid.uuid4().hex[:6]}"
                free_memory_just_now()
                # Same shape as the other brokers: the consumer reads while the producer writes
                # (a log would also let it read afterwards; that is not what the row compares).
                # One record first creates the topic, so the consumer has something to subscribe to.
                tool("benchmarks/minikafka/kafka_load", "produce", f"{b.host}:{b.port}", topic, 1, size, 1)
                consumed = {}
                reader = threading.Thread(target=lambda: consumed.update(tool(
                    "benchmarks/minikafka/kafka_load", "consume", f"{b.host}:{b.port}", topic, n_for[size] + 1, 120)))
                reader.start()
                p = tool("benchmarks/minikafka/kafka_load", "produce", f"{b.host}:{b.port}", topic, n_for[size], size, 1)
                reader.join()
                c = consumed
                rows.setdefault(label("kafka", choice), {})[size] = (p["records_per_s"], c["records_per_s"],
                                                                     c["mb_per_s"])
                progress(f"throughput {label('kafka', choice)} {size} B: {p['records_per_s']:,.0f} produced/s, "
                         f"{c['records_per_s']:,.0f} consumed/s")
    for choice in targets("rabbit", quick):
        with Broker("rabbit", choice) as b:
            for size in SIZES:
                free_memory_just_now()
                r = amqp_load(b, "transient", "--messages", n_for[size], "--size", size)
                rows.setdefault(label("rabbit", choice), {})[size] = (r["publish_rate"], r["consume_rate"],
                                                                      r["consume_rate"] * size / 1e6)
                progress(f"throughput {label('rabbit', choice)} {size} B: {r}")
    for choice in targets("redis", quick):
        with Broker("redis", choice) as b:
            for size in SIZES:
                free_memory_just_now()
                r = tool("benchmarks/comparison/redis_msg_load", "queue", b.host, b.port, n_for[size], size)
                rows.setdefault(label("redis", choice), {})[size] = (r["produced_per_s"], r["consumed_per_s"],
                                                                     r["mb_per_s"])
                progress(f"throughput {label('redis', choice)} {size} B: {r}")
    return rows


def latency(quick):
    rate, seconds = 10_000, (3 if quick else 10)
    rows = {}
    for choice in targets("kafka", quick):
        with Broker("kafka", choice) as b:
            r = tool("benchmarks/minikafka/kafka_load", "latency", f"{b.host}:{b.port}", f"lat-{uuid.uuid4().hex[:6]}",
                     rate, seconds, 100, 1)
            rows[label("kafka", choice) + " (produce→ack)"] = (r["p50_us"], r["p99_us"])
    for choice in targets("rabbit", quick):
        with Broker("rabbit", choice) as b:
            r = amqp_load(b, "transient", "--messages", rate * seconds, "--size", 100, "--rate", rate)
            rows[label("rabbit", choice)] = (r["p50_us"], r["p99_us"])
    for choice in targets("redis", quick):
        with Broker("redis", choice) as b:
            r = tool("benchmarks/comparison/redis_msg_load", "latency", b.host, b.port, rate, seconds, 100)
            rows[label("redis", choice)] = (r["p50_us"], r["p99_us"])
    for name, (p50, p99) in rows.items():
        progress(f"latency {name}: p50 {p50:.0f} us, p99 {p99:.0f} us")
    return rows, rate


# --- data volume ------------------------------------------------------------------------------------
def data_volume(quick):
    n = 200_000 if quick else 2_000_000
    rows = {}
    for kind in ("kafka", "rabbit", "redis"):
        for choice in targets(kind, quick):
            with Broker(kind, choice) as b:
                time.sleep(0.5)
                base_rss, base_disk = rss_mb(b.proc.pid), du_mb(b.dir)
                if kind == "kafka":
                    tool("benchmarks/minikafka/kafka_load", "produce", f"{b.host}:{b.port}", "volume", n, 100, 1)
                elif kind == "rabbit":
                    amqp_load(b, "fill", "--messages", n, "--size", 100)
                else:
                    tool("benchmarks/comparison/redis_msg_load", "fill", b.host, b.port, "volume", n, 100)
                time.sleep(1)
                rows[label(kind, choice)] = (rss_mb(b.proc.pid) - base_rss, du_mb(b.dir) - base_disk)
                progress(f"volume {label(kind, choice)}: {rows[label(kind, choice)]}")
    return rows, n


# --- ordering -----------------------------------------------------------------------------------------
def inversions(seqs):
    """How many times a consumer saw a sequence number lower than one it had already seen."""
    count, highest = 0, -1
    for s in seqs:
        if s < highest:
            count += 1
        highest = max(highest, s)
    return count


def ordering_kafka(n):
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
    with Broker("kafka", "mini") as b:
        bootstrap = f"{b.host}:{b.port}"
        admin = AdminClient({"bootstrap.servers": bootstrap})
        admin.create_topics([NewTopic("ordered", num_partitions=4, replication_factor=1)])["ordered"].result(30)
        p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        for i in range(n):
            p.produce("ordered", key=str(i % 16), value=str(i))
            p.poll(0)
        p.flush(60)
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "order-check", "enable.auto.commit": False})
        c.assign([TopicPartition("ordered", part, 0) for part in range(4)])
        seen, per_key = [], {}
        deadline = time.monotonic() + 60
        while len(seen) < n and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None or m.error():
                continue
            seen.append(int(m.value()))
            per_key.setdefault(m.key(), []).append(int(m.value()))
        c.close()
        return sum(inversions(v) for v in per_key.values()), inversions(seen), len(seen)


def ordering_rabbit(choice, n):
    import pika
    with Broker("rabbit", choice) as b:
        conn = pika.BlockingConnection(pika.ConnectionParameters(host=b.host, port=b.port))
        ch = conn.channel()
        ch.queue_declare("ordered")

        def drain(requeue_every):
            for i in range(n):
                ch.basic_publish("", "ordered", str(i))
            seen, requeued = [], 0
            for method, _, body in ch.consume("ordered", inactivity_timeout=2):
                if method is None:
                    break
                value = int(body)
                if requeue_every and value % requeue_every == 0 and not method.redelivered:
                    # Rejected once and requeued: the message goes back into the queue and comes
                    # again later, so the application sees the sequence out of order.
                    ch.basic_nack(method.delivery_tag, requeue=True)
                    requeued += 1
                    continue
                seen.append(value)
                ch.basic_ack(method.delivery_tag)
            ch.cancel()
            return inversions(seen), len(seen), requeued

        plain = drain(0)
        with_requeues = drain(10)
        conn.close()
        return plain, with_requeues


def ordering_redis(choice, n):
    import redis
    with Broker("redis", choice) as b:
        r = redis.Redis(host=b.host, port=b.port)
        sub = r.pubsub()
        sub.subscribe("ordered")
        sub.get_message(timeout=1)
        pipe = r.pipeline(transaction=False)
        for i in range(n):
            pipe.publish("ordered", i)
        pipe.execute()
        got = []
        while len(got) < n:
            m = sub.get_message(timeout=2)
            if m is None:
                break
            if m["type"] == "message":
                got.append(int(m["data"]))
        return inversions(got), len(got)


def ordering(quick):
    n = 20_000 if quick else 100_000
    progress("ordering: minikafka")
    k_key, k_all, k_n = ordering_kafka(n)
    out = {"minikafka": f"{k_key} inversions within a key (partition) of {k_n}; {k_all:,} across the 4 partitions"}
    for choice in targets("rabbit", quick):
        progress(f"ordering: {label('rabbit', choice)}")
        (inv0, got0, _), (inv, got, requeued) = ordering_rabbit(choice, n // 4)
        out[label("rabbit", choice)] = (f"{inv0} inversions of {got0} with plain acks; {inv} of {got} when "
                                        f"{requeued} were rejected once and requeued (basic.nack)")
    for choice in targets("redis", quick):
        progress(f"ordering: {label('redis', choice)}")
        inv, got = ordering_redis(choice, n)
        out[label("redis", choice)] = f"{inv} inversions of {got} on one pub/sub connection"
    return out


# --- messaging patterns: fan-out ----------------------------------------------------------------------
def fanout(quick):
    n = 100_000 if quick else 500_000
    rows = {}
    for choice in targets("kafka", quick):
        with Broker("kafka", choice) as b:
            bootstrap = f"{b.host}:{b.port}"
            tool("benchmarks/minikafka/kafka_load", "produce", bootstrap, "fanout", n, 100, 1)
            start = time.monotonic()
            # Four independent readers = four consumers each reading the whole log on its own.
            procs = [subprocess.Popen([os.path.join(BUILD, "benchmarks/minikafka/kafka_load"), "consume", bootstrap,
                                       "fanout", str(n), "120"], stdout=subprocess.PIPE, text=True)
                     for _ in range(4)]
            for p in procs:
                p.wait()
            rows[label("kafka", choice)] = 4 * n / (time.monotonic() - start)
    for choice in targets("rabbit", quick):
        with Broker("rabbit", choice) as b:
            r = amqp_load(b, "fanout", "--messages", n, "--size", 100)
            rows[label("rabbit", choice)] = r["consume_rate"]
    for choice in targets("redis", quick):
        with Broker("redis", choice) as b:
            r = tool("benchmarks/comparison/redis_msg_load", "pubsub", b.host, b.port, n, 100, 4)
            rows[label("redis", choice)] = r["delivered_per_s"]
    for name, v in rows.items():
        progress(f"fan-out {name}: {v:,.0f} deliveries/s")
    return rows


# --- persistence: acknowledged writes lost after kill -9 --------------------------------------------------
def crash_redis(choice, args, seconds):
    import redis
    with Broker("redis", choice, mini_args=args, real_args=args) as b:
        acked = 0
        stop = threading.Event()

        def writer():
            nonlocal acked
            c = redis.Redis(host=b.host, port=b.port)
            try:
                while not stop.is_set():
                    c.rpush("log", acked)
                    acked += 1
            except redis.exceptions.ConnectionError:
                pass

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(seconds)
        b.kill9()
        stop.set()
        t.join()
        b.start()
        return acked, redis.Redis(host=b.host, port=b.port).llen("log")


def crash_rabbit(choice, durable, persistent, confirms, seconds):
    import pika
    with Broker("rabbit", choice) as b:
        conn = pika.BlockingConnection(pika.ConnectionParameters(host=b.host, port=b.port))
        ch = conn.channel()
        ch.queue_declare("log", durable=durable)
        if confirms:
            ch.confirm_delivery()
        acked = 0
        end = time.monotonic() + seconds
        props = pika.BasicProperties(delivery_mode=2 if persistent else 1)
        while time.monotonic() < end:
            ch.basic_publish("", "log", str(acked), props)  # with confirms: returns once confirmed
            acked += 1
        b.kill9()
        b.start()
        conn = pika.BlockingConnection(pika.ConnectionParameters(host=b.host, port=b.port, connection_attempts=20,
                                                                 retry_delay=0.5))
        try:
            left = conn.channel().queue_declare("log", passive=True).method.message_count
        except pika.exceptions.ChannelClosedByBroker:
            left = 0  # the queue itself is gone
        conn.close()
        return acked, left


def crash_kafka(args, acks, seconds):
    from confluent_kafka import Consumer, Producer, TopicPartition
    with Broker("kafka", "mini", mini_args=args) as b:
        bootstrap = f"{b.host}:{b.port}"
        acked = 0

        def on_delivery(err, _):
            nonlocal acked
            if err is None:
                acked += 1

        p = Producer({"bootstrap.servers": bootstrap, "acks": acks, "linger.ms": 1, "message.timeout.ms": 3000})
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                p.produce("log", value=b"x" * 100, on_delivery=on_delivery)
            except BufferError:
                pass
            p.poll(0)
        p.poll(0.5)
        b.kill9()
        p.flush(5)  # what was not acknowledged before the kill fails now
        b.start()
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "count"})
        _, high = c.get_watermark_offsets(TopicPartition("log", 0), timeout=20)
        c.close()
        return acked, high


def persistence(quick):
    seconds = 1.5 if quick else 4
    rows = []  # (broker, setting, acknowledged, still there)
    redis_settings = [("no persistence", ["--appendonly", "no", "--save", ""]),
                      ("AOF, appendfsync no", ["--appendonly", "yes", "--appendfsync", "no"]),
                      ("AOF, appendfsync everysec", ["--appendonly", "yes", "--appendfsync", "everysec"]),
                      ("AOF, appendfsync always", ["--appendonly", "yes", "--appendfsync", "always"])]
    for choice in targets("redis", quick):
        for setting, args in redis_settings:
            acked, left = crash_redis(choice, args, seconds)
            rows.append((label("redis", choice), setting, acked, left))
            progress(f"persistence {rows[-1]}")
    rabbit_settings = [("transient messages, non-durable queue", False, False, False),
                       ("persistent messages, durable queue", True, True, False),
                       ("persistent + publisher confirms", True, True, True)]
    for choice in targets("rabbit", quick):
        for setting, durable, persistent, confirms in rabbit_settings:
            acked, left = crash_rabbit(choice, durable, persistent, confirms, seconds)
            rows.append((label("rabbit", choice), setting, acked, left))
            progress(f"persistence {rows[-1]}")
    for setting, args, acks in [("default flush (page cache), acks=1", [], "1"),
                                ("flush every append, acks=all", ["--log.flush.interval.messages", "1"], "all")]:
        acked, left = crash_kafka(args, acks, seconds)
        rows.append(("minikafka", setting, acked, left))
        progress(f"persistence {rows[-1]}")
    return rows


# --- rounds: medians with their range ----------------------------------------------------------------
class Median(float):
    """The median of one figure over the rounds; lo/hi are the smallest and largest round."""

    def __new__(cls, values):
        ordered = sorted(values)
        middle = len(ordered) // 2
        value = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        self = super().__new__(cls, value)
        self.lo, self.hi, self.n = ordered[0], ordered[-1], len(ordered)
        return self


def combine(rounds):
    """Turns the results of N rounds (same shape each) into one result whose numbers are Medians."""
    first = rounds[0]
    if isinstance(first, bool) or first is None:
        return first
    if isinstance(first, (int, float)):
        return first if all(r == first for r in rounds) else Median(rounds)
    if isinstance(first, str):
        distinct = list(dict.fromkeys(rounds))
        return distinct[0] if len(distinct) == 1 else " / ".join(f"round {i + 1}: {r}" for i, r in enumerate(rounds))
    if isinstance(first, dict):
        return {k: combine([r[k] for r in rounds if k in r]) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(combine([r[i] for r in rounds]) for i in range(len(first)))
    return first


def spread(v, fmt=lambda x: f"{x:,.0f}"):
    """ " (lo–hi)" for a Median measured more than once, else nothing."""
    return f" ({fmt(v.lo)}–{fmt(v.hi)})" if isinstance(v, Median) and v.n > 1 else ""


# --- complexity: counted, not judged ------------------------------------------------------------------
def code_lines(folder):
    """(code, comment) lines of C++ under `folder`: blank lines not counted, a line that is only a
    comment counted as comment."""
    code = comment = 0
    for root, _, files in os.walk(os.path.join(REPO, folder)):
        for name in files:
            if name.endswith((".cpp", ".hpp")):
                with open(os.path.join(root, name), errors="replace") as f:
                    for line in f:
                        text = line.strip()
                        if text.startswith(("//", "/*", "*")):
                            comment += 1
                        elif text:
                            code += 1
    return code, comment


# What each broker needs set to lose no acknowledged message even in a power cut - the settings the
# persistence row runs with (persistence() below uses the same ones).
DURABLE_SETUP = {
    "kafka": ["producer acks=all", "broker log.flush.interval.messages=1 (or replicas on other machines)"],
    "rabbit": ["durable queue", "persistent messages (delivery_mode=2)", "publisher confirms, and resend the "
               "unconfirmed"],
    "redis": ["appendonly yes", "appendfsync always"],
}


# The same job in each broker's client code: workers sharing one stream of tasks (Kafka: a consumer
# group whose partitions are rebalanced when a member joins - a member leaving or dying is the same
# rebalance; RabbitMQ: prefetch and acks, a dead worker's unacked task is requeued; Redis: LMOVE into
# a processing list, a reaper puts a dead worker's task back). Each tutorial checks what it claims
# against the mini and the real broker (tests/tutorials_test.py).
SAME_JOB = {"kafka": "kafka_2_consumer_group_scaling.py", "rabbit": "rabbit_1_work_queue.py",
            "redis": "redis_7_work_queue.py"}


def client_lines(tutorial):
    """Non-blank lines of a tutorial without its docstring: the code a user writes for the job."""
    with open(os.path.join(REPO, "examples", "tutorials", tutorial)) as f:
        text = f.read()
    if text.startswith('"""'):
        text = text[text.index('"""', 3) + 3:]
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def complexity_row():
    """The Complexity row: measured here as things that can be counted."""
    common, _ = code_lines("common")
    cells = []
    for kind, folder in (("kafka", "minikafka"), ("rabbit", "minirabbit"), ("redis", "miniredis")):
        code, comment = code_lines(folder)
        setup = DURABLE_SETUP[kind]
        cells.append(f"{folder}: {code:,} lines of C++ code (+{comment:,} comment lines; +{common:,} shared in "
                     f"common/); 1 process. To lose nothing acknowledged: {len(setup)} settings "
                     f"({', '.join(setup)}). Workers sharing one stream of tasks: "
                     f"{client_lines(SAME_JOB[kind])} lines of Python (examples/tutorials/{SAME_JOB[kind]})")
    return ("| Complexity: what can be counted (the real brokers' sources are not here, so no line count for "
            "them; rabbitmq-server runs an Erlang VM plus epmd, redis-server one process) | "
            + " | ".join(cells) + " |")


# --- the report ----------------------------------------------------------------------------------------
def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    versions = []
    for cmd in (["redis-server", "--version"], ["dpkg-query", "-W", "-f=${Version}", "rabbitmq-server"]):
        try:
            versions.append(subprocess.run(cmd, capture_output=True, text=True).stdout.split("\n")[0][:40])
        except OSError:
            pass
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Linux {platform.release()}; "
            f"redis-server: {versions[0] if versions else '-'}; rabbitmq-server: "
            f"{versions[1] if len(versions) > 1 else '-'}")


def cell(values, kind, fmt):
    """One cell of the summary: the mini server's figure, then the real broker's where measured."""
    names = {"kafka": ["minikafka"], "rabbit": ["minirabbit", "rabbitmq-server"],
             "redis": ["miniredis", "redis-server"]}[kind]
    parts = [f"{fmt(values[n])} ({n})" for n in names if n in values]
    return "<br>".join(parts) or "not measured"


def write_report(out_dir, results, quick, rounds, note):
    tp, (lat, rate), (vol, n_vol), order, fan, crash = results
    charts = os.path.join(out_dir, "comparison")
    os.makedirs(charts, exist_ok=True)
    with open(os.path.join(charts, "throughput.svg"), "w") as f:
        f.write(svg_chart.line_chart("Consumed messages/s, one producer and one consumer", "message size (bytes)",
                                     "messages per second", {name: [(s, v[1]) for s, v in by_size.items()]
                                                             for name, by_size in tp.items()}))
    with open(os.path.join(charts, "latency.svg"), "w") as f:
        f.write(svg_chart.bar_chart(f"Latency at {rate:,} messages/s, 100 bytes (microseconds)", "microseconds",
                                    {name.split(" ")[0]: list(v) for name, v in lat.items()}, ["p50", "p99"]))
    lat_by = {name.split(" ")[0]: v for name, v in lat.items()}
    lost_by = {}
    for name, setting, acked, left, lost in crash:
        lost_by.setdefault(name, []).append(f"{setting}: {lost:,.0f}{spread(lost)} of {acked:,.0f}")
    command = f"benchmarks/comparison/run.py{' --quick' if quick else ''} --rounds {rounds}"
    L = ["# Choosing the right tool, measured\n",
         f"Generated by `{command}` on {datetime.date.today():%Y-%m-%d}. Machine: {machine()}."
         + (f" **{note}**" if note else "") + "\n",
         f"**How to read a cell.** Each figure is the median of {rounds} round{'s' if rounds > 1 else ''}, with "
         "the smallest and largest round in brackets. The rounds are interleaved (round 1 measures every row "
         "on every broker, then round 2 starts over), so a slow minute of the machine falls on one round of "
         "each broker rather than on every round of one. Brokers and load generators share this machine: "
         "the figures compare brokers on equal terms, not their limits on dedicated hardware.\n",
         "**The Kafka column is minikafka, not Kafka.** Kafka itself is not packaged for Debian, so no Apache "
         "Kafka broker was measured here. Its column shows minikafka; beside it, for scale, Kafka's published "
         "figure (LinkedIn's 2014 benchmark: 0.82 M records/s of 100 B from one producer, on its own hardware) "
         "and, in [docs/minikafka/benchmarks.md](minikafka/benchmarks.md), minikafka side by side with librdkafka's mock "
         "cluster (benchmarks/minikafka/compare.py). The RabbitMQ and Redis columns do have the real broker.\n",
         "## The course table, with measured figures\n",
         "| Feature | Kafka → minikafka (vs librdkafka's mock / published figures) | RabbitMQ | Redis |",
         "| --- | --- | --- | --- |"]
    rows = [
        ("Throughput: 100-byte messages consumed/s, 1 producer → 1 consumer, running at the same time",
         {n: v[100][1] for n, v in tp.items()}, lambda v: f"{v:,.0f}/s{spread(v)}",
         "published Kafka: 0.82 M/s produced (2014, one producer, no consumer)"),
        (f"Latency at {rate:,} msg/s, p50 / p99 (**Kafka: produce→ack**; others end to end)",
         lat_by, lambda v: f"{v[0]:,.0f} / {v[1]:,.0f} µs{spread(v[1])}", ""),
        (f"Data volume: memory + disk to hold {n_vol:,} waiting 100-byte messages",
         vol, lambda v: f"+{v[0]:,.0f} MB RAM, +{v[1]:,.0f} MB disk", ""),
        ("Message ordering: inversions a consumer saw", order, lambda v: v, ""),
        ("Messaging patterns: fan-out of one stream to 4 readers, deliveries/s", fan,
         lambda v: f"{v:,.0f}/s{spread(v)}", ""),
        ("Persistence: acknowledged messages lost after `kill -9`, per setting (what \"acknowledged\" means "
         "differs: [below](#persistence-in-detail))", lost_by, lambda v: "; ".join(v), ""),
    ]
    for title, values, fmt, kafka_note in rows:
        kafka = cell(values, "kafka", fmt) + (f"<br>{kafka_note}" if kafka_note else "")
        L.append(f"| {title} | {kafka} | {cell(values, 'rabbit', fmt)} | {cell(values, 'redis', fmt)} |")
    L.append(complexity_row())
    L.append("\n## Throughput by message size\n")
    L.append("One producer and one consumer running at the same time, for every broker (minikafka's consumer "
             "subscribes before the producer starts). Medians of the rounds; the consumed rate's range in "
             "brackets.\n")
    L.append("| broker | " + " | ".join(f"{s} B: produced/s, consumed/s, MB/s" for s in SIZES) + " |")
    L.append("| --- |" + " --- |" * len(SIZES))
    for name, by_size in tp.items():
        L.append(f"| {name} | " + " | ".join(f"{v[0]:,.0f}, {v[1]:,.0f}{spread(v[1])}, {v[2]:,.0f}"
                                             for v in by_size.values()) + " |")
    L.append("\nEach test starts with free memory the machine has just used (1 GB populated and released):"
             " on this virtual machine, memory left idle must be backed again by the host, which made page-cache"
             " appends several times slower depending on what ran before.")
    L.append("\n![throughput by message size](comparison/throughput.svg)\n")
    L.append("![latency percentiles](comparison/latency.svg)\n")
    L.append(open(os.path.join(HERE, "persistence.md")).read())
    L.append("| broker | setting | acknowledged | still there after restart | lost |\n| --- | --- | --- | --- | --- |")
    for name, setting, acked, left, lost in crash:
        L.append(f"| {name} | {setting} | {acked:,.0f} | {left:,.0f} | {lost:,.0f}{spread(lost)} |")
    L.append("")
    L.append(open(os.path.join(HERE, "reading.md")).read())
    with open(os.path.join(out_dir, "comparison.md"), "w") as f:
        f.write("\n".join(L))


def main():
    global BUILD
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--quick", action="store_true", help="smaller counts: a smoke run")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; each figure is their median")
    ap.add_argument("--note", default="", help='said at the top, e.g. "not a quiet machine"')
    ap.add_argument("--out", default=os.path.join(REPO, "docs"))
    args = ap.parse_args()
    BUILD = args.build
    for name in ("miniredis", "minirabbit", "minikafka"):
        os.environ.setdefault(f"{name.upper()}_BIN", os.path.join(BUILD, name, name))
    tempfile.tempdir = None
    steps = [("throughput", throughput), ("latency", latency), ("data volume", data_volume),
             ("ordering", ordering), ("fan-out", fanout), ("persistence", persistence)]
    per_step = [[] for _ in steps]
    for round_number in range(1, args.rounds + 1):
        for index, (name, step) in enumerate(steps):
            progress(f"== round {round_number}/{args.rounds}: {name}")
            result = step(args.quick)
            if name == "persistence":  # the loss of each round, so that its median is a median of losses
                result = [(n, setting, acked, left, max(acked - left, 0)) for n, setting, acked, left in result]
            per_step[index].append(result)
    results = [combine(rounds) for rounds in per_step]
    write_report(args.out, results, args.quick, args.rounds, args.note)
    progress(f"wrote {os.path.join(args.out, 'comparison.md')}")


if __name__ == "__main__":
    main()
