#!/usr/bin/python3
"""miniredis against redis-server, side by side in one run, on this machine.

    benchmarks/miniredis/compare.py [--miniredis build/miniredis/miniredis] [--rounds 5] [--quick]

1. Throughput: redis-benchmark with the same flags against both servers, interleaved
   (redis, miniredis, redis, miniredis, ...), -c 50, -P 1 and -P 16, tests
   set,get,incr,lpush,lpop,sadd,hset,zadd. Reports the median of the rounds per test, the ratio
   miniredis / redis-server, and the geometric mean of the ratios.
2. Durability: SET with appendonly yes and appendfsync always / everysec, both servers configured
   the same way, interleaved rounds.
3. Memory: 1,000,000 keys key:N -> 16-byte values, loaded with redis-cli --pipe into each server
   started empty; reports each server's own used_memory (INFO) and the RSS of both processes
   (/proc/PID/status VmRSS), and the ratios.
Nothing else should run meanwhile; identical servers differ by up to +-15 % per test here, which is
why medians of interleaved rounds are reported. Prints a Markdown table (docs/miniredis/benchmarks.md).
"""
import argparse
import math
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from real_brokers import RedisProcess, miniredis_argv, redis_server_argv  # noqa: E402  (the tests' harness)

TESTS = ["set", "get", "incr", "lpush", "lpop", "sadd", "hset", "zadd"]


def benchmark(port, tests, pipeline, requests, clients=50):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", str(clients), "-P", str(pipeline), "-n",
                          str(requests), "-t", ",".join(tests), "--csv"], capture_output=True, text=True, timeout=600)
    results = {}
    for line in out.stdout.splitlines()[1:]:
        fields = [f.strip('"') for f in line.split(",")]
        results[fields[0].lower()] = float(fields[1])
    return results


def interleaved(servers, tests, pipeline, requests, rounds):
    samples = {s.name: {t: [] for t in tests} for s in servers}
    for r in range(rounds):
        order = servers if r % 2 == 0 else list(reversed(servers))
        for s in order:
            s.cli("flushall")
            for test, rps in benchmark(s.port, tests, pipeline, requests).items():
                if test in samples[s.name]:
                    samples[s.name][test].append(rps)
        print(f"  round {r + 1}/{rounds} of -P {pipeline} done", file=sys.stderr)
    return {name: {t: statistics.median(v) for t, v in per.items()} for name, per in samples.items()}


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def throughput_table(mini_bin, rounds, quick):
    lines = []
    for pipeline, requests in ((1, 30000 if quick else 200000), (16, 200000 if quick else 2000000)):
        servers = [RedisProcess("redis-server", redis_server_argv()), RedisProcess("miniredis", miniredis_argv(mini_bin))]
        try:
            med = interleaved(servers, TESTS, pipeline, requests, rounds)
        finally:
            for s in servers:
                s.close()
        ratios = [med["miniredis"][t] / med["redis-server"][t] for t in TESTS]
        lines.append(f"\n### -c 50 -P {pipeline} (median of {rounds} interleaved rounds, {requests} requests each)\n")
        lines.append("| test | redis-server req/s | miniredis req/s | ratio |")
        lines.append("| --- | ---: | ---: | ---: |")
        for t, ratio in zip(TESTS, ratios):
            lines.append(f"| {t.upper()} | {med['redis-server'][t]:,.0f} | {med['miniredis'][t]:,.0f} | {ratio:.2f} |")
        lines.append(f"| **geometric mean** | | | **{geomean(ratios):.2f}** |")
    return lines


def durability_table(mini_bin, rounds, quick):
    lines = ["\n### SET with the AOF on (-c 50 -P 1, median of interleaved rounds)\n",
             "| appendfsync | redis-server req/s | miniredis req/s | ratio |", "| --- | ---: | ---: | ---: |"]
    for policy in ("always", "everysec"):
        extra = ["--appendonly", "yes", "--appendfsync", policy]
        # [:-2] drops the "--appendonly no" both command lines end with.
        servers = [RedisProcess("redis-server", lambda p, d: redis_server_argv()(p, d)[:-2] + extra),
                   RedisProcess("miniredis", lambda p, d: miniredis_argv(mini_bin)(p, d)[:-2] + extra)]
        try:
            med = interleaved(servers, ["set"], 1, 20000 if quick else 100000, rounds)
        finally:
            for s in servers:
                s.close()
        r, m = med["redis-server"]["set"], med["miniredis"]["set"]
        lines.append(f"| {policy} | {r:,.0f} | {m:,.0f} | {m / r:.2f} |")
    return lines


def load_keys(server, count):
    """key:N -> a 16-byte value, streamed through redis-cli --pipe (one RESP SET per key)."""
    value = b"v" * 16
    chunks = []
    for i in range(count):
        key = b"key:%d" % i
        chunks.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n" % (len(key), key, value))
    data = b"".join(chunks)
    out = subprocess.run(["redis-cli", "-p", str(server.port), "--pipe"], input=data, capture_output=True,
                         timeout=600)
    if b"errors: 0" not in out.stdout:
        raise RuntimeError(f"loading into {server.name} failed: {out.stdout[-200:]!r}")


def memory_table(mini_bin, quick):
    count = 100000 if quick else 1000000
    results = {}
    for name, argv in (("redis-server", redis_server_argv()), ("miniredis", miniredis_argv(mini_bin))):
        s = RedisProcess(name, argv)
        try:
            empty_rss = s.rss_bytes()
            load_keys(s, count)
            keys = int(s.cli("dbsize").strip())
            assert keys == count, f"{name} holds {keys} keys"
            time.sleep(1)  # let the allocator settle
            results[name] = (s.used_memory(), s.rss_bytes(), empty_rss)
        finally:
            s.close()
    mb = 1024 * 1024
    r, m = results["redis-server"], results["miniredis"]
    return [f"\n### Memory: {count:,} keys key:N -> 16-byte values\n",
            "| measure | redis-server | miniredis | ratio |", "| --- | ---: | ---: | ---: |",
            f"| used_memory (each server's own INFO count) | {r[0] / mb:.1f} MB | {m[0] / mb:.1f} MB | {m[0] / r[0]:.2f} |",
            f"| RSS of the process (/proc VmRSS) | {r[1] / mb:.1f} MB | {m[1] / mb:.1f} MB | {m[1] / r[1]:.2f} |",
            f"| RSS of the empty process | {r[2] / mb:.1f} MB | {m[2] / mb:.1f} MB | |"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--miniredis", default=os.path.join(here, "..", "..", "build", "miniredis", "miniredis"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="fewer requests and keys (a smoke run)")
    parser.add_argument("--only", choices=["throughput", "durability", "memory"])
    args = parser.parse_args()
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    lines = [f"redis-server {version.removeprefix('v=')}, {os.cpu_count()} cores, "
             f"load average before: {os.getloadavg()[0]:.2f}"]
    if args.only in (None, "throughput"):
        lines += throughput_table(args.miniredis, args.rounds, args.quick)
    if args.only in (None, "durability"):
        lines += durability_table(args.miniredis, args.rounds, args.quick)
    if args.only in (None, "memory"):
        lines += memory_table(args.miniredis, args.quick)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
