#!/usr/bin/python3
"""PFADD and SETBIT: miniredis against redis-server, side by side in one run (the method of
compare.py: the same redis-benchmark flags against both servers, interleaved rounds, medians).

    benchmarks/miniredis/compare_sketches.py [--miniredis build/miniredis/miniredis] [--rounds 5] [--quick]

redis-benchmark has no built-in PFADD/SETBIT test, so it runs them as custom commands with a random
part from -r (a 12-digit zero-padded number, which is not a valid bit offset - Redis refuses
leading zeros - so SETBIT randomises the key instead):
    PFADD hll __rand_int__              one HyperLogLog, dense after the first few thousand elements
    PFCOUNT hll                         mostly the cached cardinality, recounted whenever a PFADD
                                        in between grew a register
    SETBIT day:__rand_int__ 8191 1      1,000 bitmaps of 1 KB (-r 1000)
Prints a Markdown table for docs/miniredis/benchmarks.md.
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from compare import geomean  # noqa: E402
from real_brokers import RedisProcess, miniredis_argv, redis_server_argv  # noqa: E402

COMMANDS = {
    "PFADD": (["PFADD", "hll", "__rand_int__"], 1000000),
    "PFCOUNT": (["PFCOUNT", "hll"], 1000000),
    "SETBIT": (["SETBIT", "day:__rand_int__", "8191", "1"], 1000),
}


def run(port, command, pipeline, requests):
    command, keyspace = command
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", "50", "-P", str(pipeline), "-n", str(requests),
                          "-r", str(keyspace), "--csv", *command], capture_output=True, text=True, timeout=600)
    lines = out.stdout.splitlines()
    if len(lines) < 2:
        raise RuntimeError(f"redis-benchmark {command}: {out.stdout!r} {out.stderr!r}")
    line = lines[1]
    return float(line.split(",")[1].strip('"'))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--miniredis", default=os.path.join(here, "..", "..", "build", "miniredis", "miniredis"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    lines = [f"{os.cpu_count()} cores, load average before: {os.getloadavg()[0]:.2f}"]
    for pipeline, requests in ((1, 20000 if args.quick else 200000), (16, 100000 if args.quick else 1000000)):
        servers = [RedisProcess("redis-server", redis_server_argv()), RedisProcess("miniredis", miniredis_argv(args.miniredis))]
        samples = {s.name: {c: [] for c in COMMANDS} for s in servers}
        cpu = {s.name: {c: [] for c in COMMANDS} for s in servers}  # server CPU ns per request
        try:
            for r in range(args.rounds):
                for s in (servers if r % 2 == 0 else list(reversed(servers))):
                    s.cli("flushall")
                    for name, command in COMMANDS.items():
                        before = s.cpu_seconds()
                        samples[s.name][name].append(run(s.port, command, pipeline, requests))
                        cpu[s.name][name].append((s.cpu_seconds() - before) / requests * 1e9)
                print(f"  round {r + 1}/{args.rounds} of -P {pipeline} done", file=sys.stderr)
        finally:
            for s in servers:
                s.close()
        med = {n: {c: statistics.median(v) for c, v in per.items()} for n, per in samples.items()}
        cpu_med = {n: {c: statistics.median(v) for c, v in per.items()} for n, per in cpu.items()}
        ratios = [med["miniredis"][c] / med["redis-server"][c] for c in COMMANDS]
        lines.append(f"\n### -c 50 -P {pipeline} (median of {args.rounds} interleaved rounds, "
                     f"{requests:,} requests each)\n")
        lines += ["| command | redis-server req/s | miniredis req/s | ratio | server CPU ns/request, redis-server / "
                  "miniredis |", "| --- | ---: | ---: | ---: | ---: |"]
        for c, ratio in zip(COMMANDS, ratios):
            lines.append(f"| `{' '.join(COMMANDS[c][0])}` | {med['redis-server'][c]:,.0f} | "
                         f"{med['miniredis'][c]:,.0f} | {ratio:.2f} | {cpu_med['redis-server'][c]:,.0f} / "
                         f"{cpu_med['miniredis'][c]:,.0f} |")
        lines.append(f"| **geometric mean** | | | **{geomean(ratios):.2f}** | |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
