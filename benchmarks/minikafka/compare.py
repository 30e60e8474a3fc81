#!/usr/bin/python3
"""minikafka side by side with librdkafka's in-memory mock cluster, Redis Streams on redis-server and
this machine's own limits, in one run. Prints the Markdown table of docs/minikafka/benchmarks.md.

    benchmarks/minikafka/compare.py [--build build] [--rounds 3] [--quick]

Each measurement is the median of interleaved rounds (minikafka, mock, minikafka, mock, ...), so
a burst of load from elsewhere on the machine hits both. Clients: librdkafka 2.0.2 through
kafka_load (producer batching with linger.ms=5 and 1 MB batches; the latency run uses
linger.ms=0 and a paced rate). Durable = log.flush.interval.messages=1 (an fsync covers every
acknowledged batch) with acks=all. Before each test the script calls sync(), so that writeback of
the previous test's gigabytes does not land in the next one's measurement, waits 3 s for the disk
to settle, and populates and releases 1 GB of memory, so that every test of every broker finds the
kernel's free memory in the same state; one extra row measures the other state (see the comment
in main). Broker CPU = utime+stime of the
broker process (from /proc/PID/stat) during the run, per million records.
"""
import argparse
import mmap
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from real_brokers import RealRedis  # noqa: E402  (the tests' harness)

KAFKA_PUBLISHED = (821_557, 78.3)  # LinkedIn 2014: one producer thread, 100-byte records, no replication
COLD = "produce 1 KB acks=1, memory not used for 30 s"
# The same test with the client's allocator told to keep what it frees: glibc gives the top of a
# heap back to the kernel once more than its trim threshold (dynamic: 2x the largest freed
# block, here ~2 MB) lies free there, and the next batch buffers fault those pages in again.
# Fixed thresholds (no trimming below 256 MB, no mmap below 32 MB) keep the memory in the heap.
KEPT = "produce 1 KB acks=1, client keeps its freed memory ³"
CLIENT_KEEPS_MEMORY = {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432"}


def parse(line):
    return {k: float(v) for k, v in (field.split("=") for field in line.split())}


class Process:
    def __init__(self, argv, ready):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.bootstrap = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            found = ready(line)
            if found:
                self.bootstrap = found
                break
        if not self.bootstrap:
            raise RuntimeError(f"{argv[0]} did not start")
        # Keep draining its output so that it never blocks on a full pipe.
        import threading
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self):
        self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait(30)


def start_minikafka(build, data_dir, *extra):
    def ready(line):
        if "listening on" in line and "admin" not in line:
            return "127.0.0.1:" + line.rsplit(":", 1)[1].strip()
    return Process([f"{build}/minikafka/minikafka", "--port", "0", "--dir", data_dir, *extra], ready)


def start_mock(build, topics):
    args = [x for t in topics for x in (t, "1")]
    return Process([f"{build}/benchmarks/minikafka/mock_cluster", *args],
                   lambda line: line.split()[1] if line.startswith("BOOTSTRAP") else None)


def free_memory_just_now(size=1 << 30):
    """Touches and releases `size` bytes (1 GB) of this process's memory, so that the kernel's free memory is, for a few
    seconds, memory the VM has just backed (see machine_limits: recycled_gb_per_s). Anonymous
    memory, not a file: deleting a written file makes the file system free (and, mounted with
    discard, trim) its blocks while the next test runs, which stalled durable tests' fsyncs.
    In 2 MB pages: the page cache allocates large folios (ext4), which released 4 KB pages cannot
    serve once the kernel's free memory is fragmented (after a build, say) - the appends then
    landed in memory the host had to back again, run after run (0.7 against 6.4-7.2 GB/s)."""
    block = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    block.madvise(mmap.MADV_HUGEPAGE)
    for offset in range(0, len(block), 4096):  # every page, in case no huge page is to be had
        block[offset] = 1
    block.close()


def load(build, *args, env=None):
    out = subprocess.run([f"{build}/benchmarks/minikafka/kafka_load", *map(str, args)], capture_output=True, text=True,
                         timeout=600, env={**os.environ, **env} if env else None)
    lines = [l for l in out.stdout.splitlines() if "=" in l]
    if not lines:
        raise RuntimeError(f"kafka_load {args}: {out.stderr[-500:]}")
    return parse(lines[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="fewer records (a smoke run, not for the table)")
    opts = ap.parse_args()
    build = opts.build
    n100, n1k = (200_000, 50_000) if opts.quick else (2_000_000, 500_000)
    tmp = tempfile.mkdtemp(prefix="minikafka-bench-")
    results = {}  # (target, test) -> list of dicts
    cpu = {}      # test -> list of broker CPU seconds per million records

    def record(target, test, value):
        results.setdefault((target, test), []).append(value)

    limits = parse(subprocess.run([f"{build}/benchmarks/minikafka/machine_limits", tmp], capture_output=True,
                                  text=True).stdout)
    print(f"machine: {limits}", file=sys.stderr)

    tests = [  # (name, records, kafka_load arguments after the bootstrap: "{t}" = this test's topic,
               #  "@name" = the topic another test wrote, i.e. what the consume tests read back)
        ("produce 100 B acks=1", n100, ["produce", "{t}", n100, 100, "1"]),
        ("produce 1 KB acks=1", n1k, ["produce", "{t}", n1k, 1000, "1"]),
        (KEPT, n1k, ["produce", "{t}", n1k, 1000, "1"]),
        (COLD, n1k, ["produce", "{t}", n1k, 1000, "1"]),
        ("produce 100 B acks=all", n100, ["produce", "{t}", n100, 100, "all"]),
        ("produce 1 KB acks=all", n1k, ["produce", "{t}", n1k, 1000, "all"]),
        ("consume 100 B", n100, ["consume", "@produce 100 B acks=all", n100]),
        ("consume 1 KB", n1k, ["consume", "@produce 1 KB acks=all", n1k]),
        ("latency 100 B @100k/s", 500_000, ["latency", "{t}", 100_000, 5, 100]),
    ]

    def topic(name, round_no):
        return "t" + str(abs(hash((name, round_no))) % 10**9)

    for round_no in range(opts.rounds):
        # All three brokers run for the whole round and take turns test by test (in an order that
        # rotates per round), so a burst of load from elsewhere hits all of them alike.
        topics = [topic(name, round_no) for name, _, _ in tests]
        data = {t: tempfile.mkdtemp(dir=tmp) for t in ("minikafka", "minikafka-durable")}
        servers = {"minikafka": start_minikafka(build, data["minikafka"]),
                   "mock": start_mock(build, topics),
                   "minikafka-durable": start_minikafka(build, data["minikafka-durable"],
                                                        "--log.flush.interval.messages", "1")}
        order = ["minikafka", "mock", "minikafka-durable"]
        order = order[round_no % 3:] + order[:round_no % 3]
        try:
            for name, records, args in tests:
                for target in order:
                    durable = target == "minikafka-durable"
                    if durable and "acks=1" in name:
                        continue  # the durable broker is measured as it is meant to be used: acks=all
                    def resolve(arg):
                        if arg == "{t}":
                            return topic(name, round_no)
                        if isinstance(arg, str) and arg.startswith("@"):
                            return topic(arg[1:], round_no)
                        return arg
                    argv = [resolve(a) for a in args]
                    argv.insert(1, servers[target].bootstrap)
                    if argv[0] == "consume":
                        argv.append(20 if target == "mock" else 120)
                    if argv[0] == "latency":
                        argv.append("all" if durable else "1")
                    server = servers[target]
                    # Start every test from the same state. The earlier tests' data is written back
                    # (otherwise the kernel's writeback of gigabytes competes with this test for
                    # the 2 cores and the disk), and the page cache has memory it used a moment
                    # ago to give out. On this virtual machine memory left free for several
                    # seconds goes back to the host and costs a host fault per page when used
                    # again (machine_limits: 8x slower appends); without this step a test ran
                    # fast or slow depending on whether the test before it had freed memory. The
                    # mock recycles its own memory (it keeps 5 MB per partition) and a broker
                    # whose page cache has filled the machine's memory recycles old log pages, so
                    # recycled memory is the like-for-like state; the COLD row measures the other.
                    # The 3 s after sync() matter too: without them the durable latency test's
                    # fsyncs waited on the disk still busy with the previous test (p99 20-50 ms).
                    os.sync()
                    if name == COLD:
                        time.sleep(30)  # nothing freed for 30 s: the free memory is back with the host
                    else:
                        time.sleep(3)
                        free_memory_just_now()
                    before = server.cpu_seconds()
                    value = load(build, *argv, env=CLIENT_KEEPS_MEMORY if name == KEPT else None)
                    if target != "mock":
                        cpu.setdefault((target, name), []).append((server.cpu_seconds() - before) / records * 1e6)
                    record(target, name, value)
                    print(f"round {round_no} {target} {name}: {value}", file=sys.stderr)
        finally:
            for server in servers.values():
                server.close()
            for d in data.values():
                shutil.rmtree(d, ignore_errors=True)

        redis = RealRedis(dir=tmp)
        try:
            for size, n in ((100, n100 // 2), (1000, n1k // 2)):
                out = subprocess.run([f"{build}/benchmarks/minikafka/redis_streams", str(redis.port), str(n), str(size)],
                                     capture_output=True, text=True, timeout=600).stdout
                record("redis", f"streams {size}", parse(out.strip().splitlines()[-1]))
                print(f"round {round_no} redis {size}: {out.strip()}", file=sys.stderr)
        finally:
            redis.close()
    shutil.rmtree(tmp, ignore_errors=True)

    def med(target, test, key):
        values = [r[key] for r in results.get((target, test), []) if key in r]
        return statistics.median(values) if values else None

    def fmt_rate(target, test):
        r, mb = med(target, test, "records_per_s"), med(target, test, "mb_per_s")
        if r is None:
            return "-"
        return f"{r / 1e6:.2f} M/s ({mb:.0f} MB/s)" if r >= 10_000 else f"{r / 1e3:.2f} k/s ({mb:.1f} MB/s)"

    def ratio(a, b):
        return "-" if not a or not b else f"{a / b:.2f}x"

    print("| test | minikafka | minikafka durable (fsync per ack, acks=all) | librdkafka mock (memory) | minikafka / mock | durable / mock | broker CPU s per 1M records |")
    print("|---|---|---|---|---|---|---|")
    for test in ("produce 100 B acks=1", "produce 1 KB acks=1", KEPT, COLD,
                 "produce 100 B acks=all", "produce 1 KB acks=all", "consume 100 B", "consume 1 KB"):
        mk, du, mo = (med(t, test, "records_per_s") for t in ("minikafka", "minikafka-durable", "mock"))
        c = cpu.get(("minikafka", test)) or cpu.get(("minikafka-durable", test))
        print(f"| {test} | {fmt_rate('minikafka', test)} | {fmt_rate('minikafka-durable', test)} | "
              f"{fmt_rate('mock', test)} | {ratio(mk, mo)} | {ratio(du, mo)} | "
              f"{statistics.median(c):.2f} |" if c else "| - |")
    print()
    print("| paced 100k records/s, 100 B, linger.ms=0 | p50 | p99 | max | achieved |")
    print("|---|---|---|---|---|")
    for target, acks in (("minikafka", "acks=1"), ("mock", "acks=1"), ("minikafka-durable", "acks=all")):
        test = "latency 100 B @100k/s"
        p50, p99, mx, got = (med(target, test, k) for k in ("p50_us", "p99_us", "max_us", "achieved_per_s"))
        if p50 is not None:
            print(f"| {target} ({acks}) | {p50 / 1000:.2f} ms | {p99 / 1000:.2f} ms | {mx / 1000:.1f} ms | {got / 1000:.0f}k/s |")
    print()
    print("| reference | produce | consume |")
    print("|---|---|---|")
    for size in (100, 1000):
        t = f"streams {size}"
        print(f"| Redis Streams {size} B (XADD pipelined 1000, XRANGE 1000) | "
              f"{med('redis', t, 'produce_records_per_s') / 1e6:.2f} M/s ({med('redis', t, 'produce_mb_per_s'):.0f} MB/s) | "
              f"{med('redis', t, 'consume_records_per_s') / 1e6:.2f} M/s ({med('redis', t, 'consume_mb_per_s'):.0f} MB/s) |")
    print(f"| Kafka, published (LinkedIn 2014), 100 B, one producer | {KAFKA_PUBLISHED[0] / 1e6:.2f} M/s "
          f"({KAFKA_PUBLISHED[1]:.0f} MB/s) | - |")
    print()
    print(f"Machine, same run: loopback TCP {limits['loopback_gb_per_s']:.2f} GB/s; appending 1 MB writes through the "
          f"page cache {limits['page_cache_gb_per_s']:.2f} GB/s into memory not used for 30 s, "
          f"{limits['recycled_gb_per_s']:.2f} GB/s into memory just freed; the disk's sequential bandwidth "
          f"(8 MB O_DIRECT writes) {limits['disk_gb_per_s']:.2f} GB/s; 4 KB append + fdatasync "
          f"{limits['fsyncs_per_s']:.0f}/s; 1 MB append + fdatasync {limits['synced_gb_per_s']:.2f} GB/s; 1 MB appends "
          f"with a second thread fsyncing behind them (group commit) {limits['group_commit_gb_per_s']:.2f} GB/s.")


if __name__ == "__main__":
    main()
