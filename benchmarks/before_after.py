#!/usr/bin/python3
"""Did a change make a server slower? Two builds of this project side by side, in one run.

    benchmarks/before_after.py --before OLD_BUILD [--after build] [--rounds 3] [--quick]

A refactoring must not change speed (one shape in three servers, a split file, a renamed class). The
side-by-side scripts answer "how do we compare with the original", and their ratios move by
+-15 % between runs on a 2-core machine, which hides a 5 % regression. This script asks the
narrower question directly: the same load tool (always the --after build's) against the old and
the new binary of each server, rounds interleaved (old, new, new, old, ...), so that a burst of
load from elsewhere hits both. Besides the rate it reports each server's CPU per request
(the scheduler's run time of its threads), which is steadier than the rate: the load tool shares the cores with
the server, so two builds can tie on rate while one of them does the work with less CPU.

Make the old build from a detached worktree, for example:
    git worktree add --detach ../before <commit> && cd ../before && meson setup build -Dbuildtype=release \
        && ninja -C build
Workloads (the short modes of the side-by-side scripts): redis-benchmark -c 50 SET/GET/INCR/LPUSH at
-P 1 and -P 16; amqp_load transient (batched publisher) and persistent with confirms; kafka_load
produce 100 B and 1 KB acks=1 and consume 100 B. Prints a Markdown table; ratio = new / old
(rates: above 1 = faster; CPU: below 1 = cheaper).

    benchmarks/before_after.py --before OLD_BUILD --only minirabbit-spread [--rounds 3]

runs instead (never by default; 5-10 seconds a round) amqp_load --scenario spread, one
publisher cycling through 100 / 1,000 / 10,000 queues, with queue names of three lengths: 2-5 bytes,
the benchmark's "bench-spread-N" (14-17 bytes: from 1,000 queues on most are longer than the 15
characters std::string keeps without a heap block) and 33-36 bytes. The broker's CPU per message
there is what a lookup by name and a cold queue cost (docs/minirabbit/benchmarks.md, "Names in
the slot"). The load average is printed before and after: other work on the machine shows in it.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests", "support"), os.path.join(ROOT, "benchmarks", "comparison")]
import process_stats  # noqa: E402
from real_brokers import RedisProcess, miniredis_argv  # noqa: E402
from servers import Server  # noqa: E402


def cpu_seconds(pid):
    return process_stats.cpu_ns(pid) / 1e9


def redis_workloads(quick):
    n1, n16 = (50_000, 300_000) if quick else (200_000, 2_000_000)
    tests = "set,get,incr,lpush"

    def run(build, load_build):
        results = {}
        with RedisProcess("miniredis", miniredis_argv(os.path.join(build, "miniredis", "miniredis"))) as server:
            for pipeline, n in ((1, n1), (16, n16)):
                before = cpu_seconds(server.proc.pid)
                out = subprocess.run(["redis-benchmark", "-p", str(server.port), "-c", "50", "-P", str(pipeline),
                                      "-n", str(n), "-t", tests, "--csv"], capture_output=True, text=True,
                                     timeout=600).stdout
                cpu_per_request = (cpu_seconds(server.proc.pid) - before) / (n * len(tests.split(",")))
                for line in out.splitlines()[1:]:
                    fields = [f.strip('"') for f in line.split(",")]
                    results[f"miniredis {fields[0]} -P {pipeline}"] = (float(fields[1]), cpu_per_request * 1e9)
        return results
    return run


def rabbit_workloads(quick):
    messages = 20_000 if quick else 200_000

    def run(build, load_build):
        results = {}
        os.environ["MINIRABBIT_AB_BIN"] = os.path.join(build, "minirabbit", "minirabbit")
        with Server("MINIRABBIT_AB_BIN") as server:
            for scenario, batch in (("transient", 32), ("persistent", 1)):
                before = cpu_seconds(server.proc.pid)
                out = subprocess.run([os.path.join(load_build, "benchmarks", "minirabbit", "amqp_load"), "--port",
                                      str(server.port), "--scenario", scenario, "--messages", str(messages),
                                      "--batch", str(batch)], capture_output=True, text=True, timeout=900).stdout
                r = json.loads(out.strip().splitlines()[-1])
                cpu = (cpu_seconds(server.proc.pid) - before) / messages * 1e9
                results[f"minirabbit {scenario} publish"] = (r["publish_rate"], cpu)
                results[f"minirabbit {scenario} consume"] = (r["consume_rate"], cpu)
        return results
    return run


def spread_workloads(quick):
    messages = 50_000 if quick else 300_000
    sizes = (100, 1_000, 10_000)
    prefixes = ("q", "bench-spread-", "bench-spread-with-a-longer-name-")

    def run(build, load_build):
        import pika  # only this suite needs it (Debian's python3-pika)
        results = {}
        os.environ["MINIRABBIT_AB_BIN"] = os.path.join(build, "minirabbit", "minirabbit")
        with Server("MINIRABBIT_AB_BIN") as server:
            conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", server.port, heartbeat=0))
            ch = conn.channel()
            for prefix in prefixes:  # no-wait declares, pipelined; basic.qos waits for all of them
                for i in range(max(sizes)):
                    ch._impl.queue_declare(f"{prefix}{i}")
            ch.basic_qos(prefetch_count=0)

            def spread(size, prefix):
                before = cpu_seconds(server.proc.pid)
                out = subprocess.run([os.path.join(load_build, "benchmarks", "minirabbit", "amqp_load"), "--port",
                                      str(server.port), "--scenario", "spread", "--messages", str(messages),
                                      "--queues", str(size), "--prefix", prefix, "--batch", "32"],
                                     capture_output=True, text=True, timeout=900).stdout
                cpu = (cpu_seconds(server.proc.pid) - before) / messages * 1e9
                for i in range(size):  # empty them for the next run
                    ch._impl.queue_purge(f"{prefix}{i}")
                ch.basic_qos(prefetch_count=0)
                return json.loads(out.strip().splitlines()[-1])["publish_rate"], cpu

            spread(max(sizes), prefixes[0])  # not counted: the first run also grows the process's heap
            for prefix in prefixes:
                for size in sizes:
                    names = f"{len(prefix) + 1}-{len(prefix) + len(str(size - 1))} B"
                    results[f"minirabbit spread {size:,} queues, names {names}"] = spread(size, prefix)
            conn.close()
        return results
    return run


def kafka_workloads(quick):
    n100, n1k = (200_000, 50_000) if quick else (2_000_000, 500_000)

    def run(build, load_build):
        results = {}
        data = tempfile.mkdtemp(prefix="minibrokers-ab-")
        os.environ["MINIKAFKA_AB_BIN"] = os.path.join(build, "minikafka", "minikafka")
        try:
            with Server("MINIKAFKA_AB_BIN", dir=data) as server:
                load = os.path.join(load_build, "benchmarks", "minikafka", "kafka_load")
                bootstrap = f"127.0.0.1:{server.port}"
                for name, n, args in (("produce 100 B", n100, ["produce", bootstrap, "ab100", n100, 100, "1"]),
                                      ("produce 1 KB", n1k, ["produce", bootstrap, "ab1k", n1k, 1000, "1"]),
                                      ("consume 100 B", n100, ["consume", bootstrap, "ab100", n100, 120])):
                    os.sync()
                    before = cpu_seconds(server.proc.pid)
                    out = subprocess.run([load, *map(str, args)], capture_output=True, text=True, timeout=600).stdout
                    line = [l for l in out.splitlines() if "=" in l][-1]
                    fields = {k: float(v) for k, v in (f.split("=") for f in line.split())}
                    rate = fields.get("records_per_s") or fields.get("msgs_per_s") or next(iter(fields.values()))
                    results[f"minikafka {name}"] = (rate, (cpu_seconds(server.proc.pid) - before) / n * 1e9)
        finally:
            shutil.rmtree(data, ignore_errors=True)
        return results
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", required=True, help="the old build directory")
    ap.add_argument("--after", default=os.path.join(ROOT, "build"), help="the new build directory (default: build)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="the side-by-side scripts' short-mode sizes")
    ap.add_argument("--only", choices=["miniredis", "minirabbit", "minikafka", "minirabbit-spread"])
    opts = ap.parse_args()
    suites = {"miniredis": redis_workloads, "minirabbit": rabbit_workloads, "minikafka": kafka_workloads,
              "minirabbit-spread": spread_workloads}
    by_default = ("miniredis", "minirabbit", "minikafka")
    print(f"load average at the start: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    samples = {}  # (workload, which) -> [(rate, cpu ns per request)]
    for round_no in range(opts.rounds):
        order = ["before", "after"] if round_no % 2 == 0 else ["after", "before"]
        for name, suite in suites.items():
            if name != opts.only and (opts.only or name not in by_default):
                continue
            for which in order:
                build = opts.before if which == "before" else opts.after
                for workload, value in suite(opts.quick)(build, opts.after).items():
                    samples.setdefault((workload, which), []).append(value)
            print(f"round {round_no + 1}/{opts.rounds}: {name} done", file=sys.stderr)
    print(f"Median of {opts.rounds} interleaved rounds; load tools from the new build; ratio = new / old; "
          f"load average at the end {os.getloadavg()[0]:.1f}.\n")
    print("| workload | old /s | new /s | rate ratio | old CPU ns/req | new CPU ns/req | CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for workload in dict.fromkeys(w for w, _ in samples):
        old, new = samples[(workload, "before")], samples[(workload, "after")]
        rate_old, rate_new = statistics.median(r for r, _ in old), statistics.median(r for r, _ in new)
        cpu_old, cpu_new = statistics.median(c for _, c in old), statistics.median(c for _, c in new)
        print(f"| {workload} | {rate_old:,.0f} | {rate_new:,.0f} | {rate_new / rate_old:.2f} | {cpu_old:,.0f} | "
              f"{cpu_new:,.0f} | {cpu_new / cpu_old:.2f} |")


if __name__ == "__main__":
    main()
