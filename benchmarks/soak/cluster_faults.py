#!/usr/bin/python3
"""CONCEPT: the long mode of the minikafka cluster's fault-injection checker - a hundred random
faults (kill -9 of a partition leader, of the active controller, of a follower; SIGSTOP past
replica.lag.time.max.ms) under idempotent acks=all producers, then the same end checks as the CI
test: every acknowledged record exactly once and in order, replicas byte-identical, no node dead
by itself. It prints the figures for the docs, among them issue 19's failover benchmark: from the
kill -9 of a leader to the next acknowledged produce on each partition it led (p50, max).

    benchmarks/soak/cluster_faults.py --faults 100                  # all four faults, 6 partitions
    benchmarks/soak/cluster_faults.py --faults 20 --kinds leader --seed 7
    benchmarks/soak/cluster_faults.py --faults 0 --two-down 5       # only the two-of-three-down case

The checker itself is tests/minikafka/cluster_faults_test.py (run_checker); the session timeout
of the cluster is tests/minikafka/cluster_test.py's TIMEOUTS (broker.session.timeout.ms=2000).

READ NEXT: tests/minikafka/cluster_faults_test.py
"""
import argparse
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "tests", d) for d in ("support", "minikafka")]

from cluster_faults_test import FAULTS, run_checker, summary, two_of_three_down  # noqa: E402  (after the path set-up)


def main():
    parser = argparse.ArgumentParser(description="minikafka cluster under a nemesis: nothing acknowledged is lost")
    parser.add_argument("--faults", type=int, default=100)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--kinds", default=",".join(FAULTS), help=f"comma-separated, of {','.join(FAULTS)}")
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    parser.add_argument("--two-down", type=int, default=3, help="times to run the two-of-three-down case")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"), help="where minikafka was built")
    options = parser.parse_args()
    os.environ.setdefault("MINIKAFKA_BIN", os.path.join(options.build, "minikafka", "minikafka"))
    problems, figures = run_checker(options.seed, options.faults, options.partitions,
                                    tuple(options.kinds.split(",")), log=lambda line: print(line, flush=True))
    print(summary(figures), flush=True)
    for problem in problems:
        print("PROBLEM:", problem, flush=True)
    # With two of three nodes down an acks=all produce must never be acknowledged
    # (tests/minikafka/cluster_faults_test.py, two_of_three_down; CI runs it once).
    for attempt in range(options.two_down):
        problem = two_of_three_down()
        print(f"two of three down, run {attempt + 1}: {problem or 'refused, as it must be'}", flush=True)
        if problem:
            problems.append(problem)
    print(f"seed {options.seed}: {'FAILED' if problems else 'passed'} in {figures.get('seconds', 0):.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
