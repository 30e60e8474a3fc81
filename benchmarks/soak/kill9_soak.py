#!/usr/bin/python3
"""CONCEPT: a soak - the same crash, hundreds of times, because a durability bug that shows once in
fifty crashes is still a bug.

    benchmarks/soak/kill9_soak.py miniredis --cycles 100     # long mode: figures for the docs
    benchmarks/soak/kill9_soak.py minikafka --quick          # 4 cycles, TAP: the CI test

One server, one data directory, for the whole run. Each cycle: writers at the strictest durability
record every acknowledgement (tests/powercut/workloads.py: appendfsync always / publisher confirms
on persistent messages / log.flush.interval.messages=1 with acks=all), the server is killed with
SIGKILL after a random number of acknowledgements, restarted on the same directory (recovery runs
on whatever the crash left, including the earlier cycles' recoveries), and every item acknowledged
in that cycle is asked for. At the end miniredis and minikafka are asked again for every cycle's
items (minirabbit's check consumes its messages). Output is TAP: one line per cycle.

kill -9 leaves the page cache alone, so this soak shows what a process crash does (torn writes,
half-finished recoveries, replays); what a power cut does is tests/powercut/powercut_test.py.

READ NEXT: tests/powercut/workloads.py
"""
import argparse
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "tests", d) for d in ("support", "powercut", "miniredis")]

from servers import Server, wait_until  # noqa: E402  (after the path set-up above)
from workloads import WORKLOADS  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description="kill -9 soak: acknowledged writes must survive every crash")
    parser.add_argument("server", choices=sorted(WORKLOADS))
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="4 short cycles (the CI test)")
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    parser.add_argument("--build", default=os.path.join(ROOT, "build"), help="where the servers were built")
    options = parser.parse_args()
    cycles = 4 if options.quick else options.cycles
    most = 400 if options.quick else 5000  # acknowledgements before the kill: random up to this
    rng = random.Random(options.seed)

    kind = WORKLOADS[options.server]
    env_var = kind.env_var
    os.environ.setdefault(env_var, os.path.join(options.build, options.server, options.server))
    print(f"1..{cycles + 1}", flush=True)
    print(f"# {options.server}: {cycles} kill -9 cycles, seed {options.seed}", flush=True)
    started = time.monotonic()
    server = Server(env_var, *kind("setup").args())
    done, acked, lost, failed = [], 0, 0, False
    try:
        for cycle in range(cycles):
            workload = kind(f"k{cycle}")
            target = rng.randint(most // 10, most)
            workload.begin(server)
            wait_until(lambda: workload.count() >= target, timeout=60)
            server.kill9()
            workload.mark_crash()
            workload.end()
            server.start()
            result = workload.verify(server)
            done.append(workload)
            acked += result.acked
            lost += result.lost
            ok = result.lost == 0 and result.holes == 0 and result.acked > 0
            failed |= not ok
            print(f"{'ok' if ok else 'not ok'} {cycle + 1} - cycle {cycle}: {result.acked} acknowledged, "
                  f"{result.lost} lost, {result.holes} holes", flush=True)
        # Everything ever acknowledged, once more (minirabbit's check consumed its messages).
        if options.server == "minirabbit":
            print(f"ok {cycles + 1} - final re-check # SKIP each cycle's check consumed its messages", flush=True)
        else:
            recheck = [w.verify(server) for w in done]
            relost = sum(r.lost for r in recheck)
            failed |= relost > 0
            print(f"{'ok' if relost == 0 else 'not ok'} {cycles + 1} - final re-check: "
                  f"{sum(r.acked for r in recheck)} acknowledged items of all cycles, {relost} lost", flush=True)
    finally:
        server.close()
    print(f"# {options.server}: {cycles} cycles, {acked} acknowledged, {lost} lost, "
          f"{time.monotonic() - started:.0f} s", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
