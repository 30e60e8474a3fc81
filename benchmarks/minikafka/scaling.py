#!/usr/bin/python3
"""How cost grows: minikafka along the axes Kafka users hit (issue 24), with librdkafka's in-memory
mock cluster as the reference where it applies (Debian has no Kafka broker).

    /usr/bin/python3 benchmarks/minikafka/scaling.py --quick     # well under a minute of load
    /usr/bin/python3 benchmarks/minikafka/scaling.py             # the full curves (see DISK below)

Four curves (and one on request), each on a fresh broker in a temp directory that is removed afterwards:

  partitions   1 -> 10k partitions of one topic: produce rate with the records spread over all
               of them (librdkafka's partitioner), the Metadata answer's size, the broker's open
               file descriptors and memory, and startup time after a clean shutdown
  log size     one partition grown to 20 GB (quick: 256 MB) in small segments: fetch from the
               start and from the tail with the page cache dropped for the log's files
               (posix_fadvise DONTNEED: a log larger than the page cache, without root; median
               of 3 reads: records/s and the broker's CPU per record), and
               startup time after a clean shutdown and after kill -9. A sparse index makes a
               fetch cost the same at any size; a recovery point makes a start cost the same
  group size   a consumer group of 1 -> 100 members (confluent-kafka): time from the last
               subscribe to every member holding its partitions (the rebalance)
  connections  1k -> 10k idle connections (each sent one ApiVersions): memory per connection,
               and an ApiVersions round trip on a new connection while they stay open
  grow         (only with --only grow) CreatePartitions of a topic from 1 to n partitions, and
               the slowest round trip of another client meanwhile: long admin work runs in slices

DISK: the full log curve writes 20 GB (quick: 256 MB). Loopback only. Run it on a quiet machine,
after scripts/build.sh; it prints the tables of docs/minikafka/benchmarks.md and, with --svg,
the chart (docs/minikafka/scaling.svg).
"""
import argparse
import os
import resource
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "tests", "support"), os.path.join(ROOT, "benchmarks", "comparison")]
from servers import Server  # noqa: E402  (the tests' harness: --port 0, a fresh dir, the port from the log)
import svg_chart  # noqa: E402
import process_stats  # noqa: E402


# --- the Kafka wire, just enough to measure ------------------------------------------------


def request(api_key, version, body=b"", correlation=1):
    """A request frame: [size][api_key api_version correlation_id client_id][body]."""
    client = b"scaling"
    header = struct.pack(">hhih", api_key, version, correlation, len(client)) + client
    return struct.pack(">i", len(header) + len(body)) + header + body


def read_frame(sock):
    size = struct.unpack(">i", recv_exactly(sock, 4))[0]
    return recv_exactly(sock, size)


def recv_exactly(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return bytes(data)


API_VERSIONS = request(18, 0)
METADATA_ALL_TOPICS = request(3, 1, struct.pack(">i", -1))  # v1: a null topic array = every topic


def metadata_bytes(port):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(METADATA_ALL_TOPICS)
        return len(read_frame(s)) + 4


def round_trip_us(port, n=200):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            s.sendall(API_VERSIONS)
            read_frame(s)
            times.append((time.perf_counter() - t) * 1e6)
    return statistics.median(times)


# --- processes ------------------------------------------------------------------------------


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def minikafka(data_dir=None, *args):
    return Server("MINIKAFKA_BIN", "--group.initial.rebalance.delay.ms", "0", *args, dir=data_dir, ready_timeout=600)


class Mock:
    """librdkafka's mock cluster (benchmarks/minikafka/mock_cluster.cpp) with one topic."""

    def __init__(self, build, topic, partitions):
        self.proc = subprocess.Popen([f"{build}/benchmarks/minikafka/mock_cluster", topic, str(partitions)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("BOOTSTRAP"):
            raise RuntimeError("mock_cluster did not start")
        self.bootstrap = line.split()[1]
        self.port = int(self.bootstrap.rsplit(":", 1)[1])

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(30)


def kafka_load(build, *args):
    out = subprocess.run([f"{build}/benchmarks/minikafka/kafka_load", *map(str, args)], capture_output=True,
                         text=True, timeout=1800)
    lines = [line for line in out.stdout.splitlines() if "=" in line]
    if not lines:
        raise RuntimeError(f"kafka_load {args}: {out.stderr[-500:]}")
    return {k: float(v) for k, v in (field.split("=") for field in lines[-1].split())}


def create_topic(port, topic, partitions):
    from confluent_kafka.admin import AdminClient, NewTopic
    # Creating thousands of partitions takes the broker a while (a directory and a file each):
    # wait up to librdkafka's longest socket timeout (300 s), not its default 60 s. Returns the seconds it took.
    admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{port}", "socket.timeout.ms": 300_000})
    t = time.monotonic()
    admin.create_topics([NewTopic(topic, partitions, 1)], request_timeout=900)[topic].result(900)
    return time.monotonic() - t


def create_partitions(port, topic, total):
    from confluent_kafka.admin import AdminClient, NewPartitions
    admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{port}", "socket.timeout.ms": 300_000})
    t = time.monotonic()
    admin.create_partitions([NewPartitions(topic, total)], request_timeout=900)[topic].result(900)
    return time.monotonic() - t


def create_topic_probed(port, topic, partitions, create=create_topic):
    """create(port, topic, partitions) while another connection does ApiVersions round trips, one
    after the other: (seconds the creation took, the slowest round trip in ms) - how long other
    clients stall."""
    stop = threading.Event()
    worst = [0.0]

    def probe():
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while not stop.is_set():
                t = time.perf_counter()
                s.sendall(API_VERSIONS)
                read_frame(s)
                worst[0] = max(worst[0], time.perf_counter() - t)
                time.sleep(0.001)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    try:
        seconds = create(port, topic, partitions)
    finally:
        stop.set()
        thread.join()
    return seconds, worst[0] * 1000


def timed_start(server):
    t = time.monotonic()
    server.start()
    return time.monotonic() - t


# --- the curves -----------------------------------------------------------------------------


def partitions_curve(build, counts, records):
    rows = []
    for n in counts:
        row = {"partitions": n}
        with minikafka() as broker:
            row["create_s"], row["create_stall_ms"] = create_topic_probed(broker.port, "spread", n)
            row["mini_rate"] = kafka_load(build, "produce", f"127.0.0.1:{broker.port}", "spread", records, 100,
                                          "1")["records_per_s"]
            row["metadata_bytes"] = metadata_bytes(broker.port)
            row["fds"] = open_fds(broker.proc.pid)
            row["rss_mb"] = rss_bytes(broker.proc.pid) / 2**20
            broker.stop()
            row["startup_s"] = timed_start(broker)
        mock = Mock(build, "spread", n)
        try:
            row["mock_rate"] = kafka_load(build, "produce", mock.bootstrap, "spread", records, 100,
                                          "1")["records_per_s"]
            row["mock_metadata_bytes"] = metadata_bytes(mock.port)
        finally:
            mock.close()
        print(f"partitions {row}", file=sys.stderr)
        rows.append(row)
    return rows


def grow_curve(counts):
    """CreatePartitions from 1 to n partitions while another client does round trips."""
    rows = []
    for n in counts:
        with minikafka() as broker:
            create_topic(broker.port, "grow", 1)
            seconds, stall_ms = create_topic_probed(broker.port, "grow", n, create=create_partitions)
            rows.append({"partitions": n, "grow_s": seconds, "grow_stall_ms": stall_ms})
        print(f"grow {rows[-1]}", file=sys.stderr)
    return rows


def drop_from_page_cache(directory):
    """Evicts the log's files from the page cache, as if the log were larger than memory."""
    for root, _, files in os.walk(directory):
        for name in files:
            try:
                fd = os.open(os.path.join(root, name), os.O_RDONLY)
            except FileNotFoundError:
                continue  # a checkpoint's temp file, renamed meanwhile
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def read_rate(port, topic, offset, count):
    """Records/s of `count` records read with kcat from `offset` (a cold start of the client included)."""
    t = time.monotonic()
    out = subprocess.run(["kcat", "-C", "-b", f"127.0.0.1:{port}", "-t", topic, "-p", "0", "-o", str(offset), "-c",
                          str(count), "-e", "-q", "-f", "%o\n"], capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - t
    got = len(out.stdout.splitlines())
    if got != count:
        raise RuntimeError(f"kcat read {got} of {count} records from {offset}: {out.stderr[-300:]}")
    return count / elapsed


def cold_reads(broker, data, offset, count, rounds=3):
    """Medians over `rounds` reads, each after evicting the log from the page cache: records/s as kcat
    saw it (its own start and the disk included) and the broker's CPU per record in µs (the cost the
    log's size could make grow: finding the offset, reading, sending)."""
    rates, cpu = [], []
    for _ in range(rounds):
        drop_from_page_cache(data)
        before = process_stats.cpu_ns(broker.proc.pid)
        rates.append(read_rate(broker.port, "big", offset, count))
        cpu.append((process_stats.cpu_ns(broker.proc.pid) - before) / 1e3 / count)
    return statistics.median(rates), statistics.median(cpu)


def log_curve(build, sizes_mb, segment_bytes, read_count):
    rows = []
    record = 1000
    data = tempfile.mkdtemp(prefix="scaling-log-")
    written = 0
    try:
        broker = minikafka(data, "--log.segment.bytes", str(segment_bytes))
        create_topic(broker.port, "big", 1)
        for size_mb in sizes_mb:
            target = size_mb * 2**20 // (record + 70)  # a record in a batch costs ~70 bytes of framing
            if target > written:
                kafka_load(build, "produce", f"127.0.0.1:{broker.port}", "big", target - written, record, "1")
                written = target
            segments = sum(f.endswith(".log") for f in os.listdir(os.path.join(data, "big-0")))
            row = {"log_mb": size_mb, "segments": segments}
            count = min(read_count, written)  # the smallest logs hold fewer records than a read takes
            row["head_rate"], row["head_cpu_us"] = cold_reads(broker, data, 0, count)
            row["tail_rate"], row["tail_cpu_us"] = cold_reads(broker, data, written - count, count)
            broker.stop()
            drop_from_page_cache(data)
            row["clean_start_s"] = timed_start(broker)
            broker.kill9()
            drop_from_page_cache(data)
            row["crash_start_s"] = timed_start(broker)
            print(f"log {row}", file=sys.stderr)
            rows.append(row)
        broker.close()
    finally:
        subprocess.run(["rm", "-rf", data])
    return rows


def rebalance_seconds(bootstrap, members, topic):
    """Starts `members` consumers of one group at once; seconds until every member has partitions."""
    from confluent_kafka import Consumer
    group = f"g{members}-{time.monotonic_ns()}"
    consumers = [Consumer({"bootstrap.servers": bootstrap, "group.id": group, "session.timeout.ms": 30000,
                           "heartbeat.interval.ms": 500, "enable.auto.commit": False}) for _ in range(members)]
    assigned = set()
    lock = threading.Lock()

    def on_assign(i):
        def callback(consumer, partitions):
            if partitions:
                with lock:
                    assigned.add(i)
        return callback

    start = time.monotonic()
    for i, c in enumerate(consumers):
        c.subscribe([topic], on_assign=on_assign(i))
    stop = threading.Event()

    def poll(c):
        while not stop.is_set():
            c.poll(0.05)

    threads = [threading.Thread(target=poll, args=(c,), daemon=True) for c in consumers]
    for t in threads:
        t.start()
    deadline = start + 300
    # A member that joins late may take partitions from one that had them: wait until all hold some.
    while len(assigned) < members and time.monotonic() < deadline:
        time.sleep(0.01)
    elapsed = time.monotonic() - start
    stop.set()
    for t in threads:
        t.join()
    for c in consumers:
        c.close()
    if len(assigned) < members:
        raise RuntimeError(f"{members - len(assigned)} of {members} members got no partition in 300 s")
    return elapsed


def group_curve(build, sizes, with_mock=True):
    rows = []
    top = max(sizes)
    with minikafka() as broker:
        create_topic(broker.port, "work", top)
        mock = Mock(build, "work", top) if with_mock else None
        try:
            for n in sizes:
                row = {"members": n, "mini_s": rebalance_seconds(f"127.0.0.1:{broker.port}", n, "work"),
                       "mock_s": rebalance_seconds(mock.bootstrap, n, "work") if mock else float("nan")}
                print(f"group {row}", file=sys.stderr)
                rows.append(row)
        finally:
            if mock:
                mock.close()
    return rows


def connections_curve(build, counts, with_mock=True):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rows = []
    limit = hard - 200
    targets = [("mini", lambda: minikafka()), ("mock", lambda: Mock(build, "t", 1))]
    for target_name, start in targets[:2 if with_mock else 1]:
        server = start()
        try:
            pid = server.proc.pid
            base = rss_bytes(pid)
            socks = []
            for n in counts:
                n = min(n, limit)
                while len(socks) < n:
                    s = socket.create_connection(("127.0.0.1", server.port))
                    s.sendall(API_VERSIONS)
                    read_frame(s)
                    socks.append(s)
                row = {"target": target_name, "connections": n,
                       "kb_per_conn": (rss_bytes(pid) - base) / n / 1024, "rtt_us": round_trip_us(server.port)}
                print(f"connections {row}", file=sys.stderr)
                rows.append(row)
            for s in socks:
                s.close()
        finally:
            server.close()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return rows


# --- report ---------------------------------------------------------------------------------


def report(results, quick):
    p, lg, g, c = results["partitions"], results["log"], results["group"], results["connections"]
    out = [f"minikafka scaling{' (--quick)' if quick else ''}, {os.cpu_count()} cores; the mock is librdkafka's "
           "in-memory mock cluster (no disk, no fsync).", "",
           "| partitions | produce rec/s mini | mock | ratio | Metadata bytes mini / mock | open fds | RSS MB "
           "| clean start s | CreateTopics s | others' worst round trip meanwhile ms |",
           "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in p:
        out.append(f"| {r['partitions']:,} | {r['mini_rate']:,.0f} | {r['mock_rate']:,.0f} | "
                   f"{r['mini_rate'] / r['mock_rate']:.2f} | {r['metadata_bytes']:,} / {r['mock_metadata_bytes']:,} | "
                   f"{r['fds']:,} | {r['rss_mb']:.1f} | {r['startup_s']:.2f} | {r['create_s']:.2f} | "
                   f"{r['create_stall_ms']:.0f} |")
    if results.get("grow"):
        out += ["", "| CreatePartitions 1 -> n | seconds | others' worst round trip meanwhile ms |",
                "| ---: | ---: | ---: |"]
        for r in results["grow"]:
            out.append(f"| {r['partitions']:,} | {r['grow_s']:.2f} | {r['grow_stall_ms']:.0f} |")
    out += ["", "| log size | segments | read from start rec/s (cold) | broker CPU µs/record | from tail rec/s (cold) "
            "| broker CPU µs/record | start after clean shutdown s | after kill -9 s |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in lg:
        size = f"{r['log_mb'] / 1024:.0f} GB" if r["log_mb"] >= 1024 else f"{r['log_mb']} MB"
        out.append(f"| {size} | {r['segments']:,} | {r['head_rate']:,.0f} | {r['head_cpu_us']:.2f} | "
                   f"{r['tail_rate']:,.0f} | {r['tail_cpu_us']:.2f} | {r['clean_start_s']:.2f} | "
                   f"{r['crash_start_s']:.2f} |")
    out += ["", "| group members | rebalance s mini | mock |", "| ---: | ---: | ---: |"]
    for r in g:
        out.append(f"| {r['members']} | {r['mini_s']:.2f} | {r['mock_s']:.2f} |")
    out += ["", "| idle connections | KB per connection mini | mock | ApiVersions round trip us mini | mock |",
            "| ---: | ---: | ---: | ---: | ---: |"]
    mini = [r for r in c if r["target"] == "mini"]
    mock = {r["connections"]: r for r in c if r["target"] == "mock"}
    for r in mini:
        m = mock.get(r["connections"], {})
        out.append(f"| {r['connections']:,} | {r['kb_per_conn']:.1f} | {m.get('kb_per_conn', 0):.1f} | "
                   f"{r['rtt_us']:.0f} | {m.get('rtt_us', 0):.0f} |")
    return "\n".join(out)


def chart(results, path):
    """One SVG, two charts a row: the curves that ran (docs/minikafka/scaling.svg)."""
    p, lg, c = results["partitions"], results["log"], results["connections"]
    charts = []
    if p:
        charts.append(svg_chart.line_chart("Produce rate as partitions grow (records/s)", "partitions", "records/s", {
            "minikafka": [(r["partitions"], r["mini_rate"]) for r in p],
            "librdkafka mock": [(r["partitions"], r["mock_rate"]) for r in p]}))
    if lg:
        charts.append(svg_chart.line_chart("Broker CPU per record read, cold (µs)", "log size (MB)", "µs/record", {
            "from the start": [(r["log_mb"], r["head_cpu_us"]) for r in lg],
            "from the tail": [(r["log_mb"], r["tail_cpu_us"]) for r in lg]}))
    if c:
        charts.append(svg_chart.line_chart("Memory per idle connection (KB)", "connections", "KB", {
            name: [(r["connections"], r["kb_per_conn"]) for r in c if r["target"] == target]
            for name, target in (("minikafka", "mini"), ("librdkafka mock", "mock"))}))
    w, h = svg_chart.W, svg_chart.H
    parts = [c.replace("<svg ", f'<svg x="{(i % 2) * w}" y="{(i // 2) * h}" ', 1) for i, c in enumerate(charts)]
    with open(path, "w") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * w}" height="{(len(charts) + 1) // 2 * h}">\n'
                + "".join(parts) + "</svg>\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: well under a minute of load")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--only", default="partitions,log,group,connections",
                        help="a comma list of partitions, grow (CreatePartitions; not run by default), log, "
                             "group, connections")
    parser.add_argument("--partition-counts", help="e.g. 10000: only these rows of the partitions curve")
    parser.add_argument("--connection-counts", help="e.g. 1000,10000: only these rows of the connections curve")
    parser.add_argument("--group-sizes", help="e.g. 100: only these rows of the group curve")
    parser.add_argument("--no-mock", action="store_true",
                        help="the group and connections curves without the mock (a before/after of minikafka "
                             "alone: the mock's 100-member rebalance and 10,000 connections take minutes)")
    parser.add_argument("--svg", help="write the curves that ran as a chart here (docs/minikafka/scaling.svg)")
    parser.add_argument("--log-sizes-mb", help="e.g. 16,1024,19073: the log curve's sizes in MiB (19073 = 20 GB)")
    args = parser.parse_args()
    os.environ.setdefault("MINIKAFKA_BIN", os.path.join(args.build, "minikafka", "minikafka"))
    only = set(args.only.split(","))
    q = args.quick
    results = {"partitions": [], "log": [], "group": [], "connections": []}
    if "partitions" in only:
        counts = [1, 10, 100, 1000] if q else [1, 10, 100, 1000, 10000]
        if args.partition_counts:
            counts = [int(n) for n in args.partition_counts.split(",")]
        results["partitions"] = partitions_curve(args.build, counts, 50_000 if q else 500_000)
    if "grow" in only:
        counts = [1000, 10000]
        if args.partition_counts:
            counts = [int(n) for n in args.partition_counts.split(",")]
        results["grow"] = grow_curve(counts)
    if "log" in only:
        sizes = [16, 64, 256] if q else [16, 256, 1024, 4096, 20480]
        if args.log_sizes_mb:
            sizes = [int(n) for n in args.log_sizes_mb.split(",")]
        results["log"] = log_curve(args.build, sizes, 256 * 1024 if q else 2 * 2**20, 5_000 if q else 200_000)
    if "group" in only:
        sizes = [1, 10, 30] if q else [1, 10, 50, 100]
        if args.group_sizes:
            sizes = [int(n) for n in args.group_sizes.split(",")]
        results["group"] = group_curve(args.build, sizes, not args.no_mock)
    if "connections" in only:
        counts = [100, 1000] if q else [1000, 5000, 10000]
        if args.connection_counts:
            counts = [int(n) for n in args.connection_counts.split(",")]
        results["connections"] = connections_curve(args.build, counts, not args.no_mock)
    print(report(results, q))
    if args.svg:
        chart(results, args.svg)


if __name__ == "__main__":
    main()
