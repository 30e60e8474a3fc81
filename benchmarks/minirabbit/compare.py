#!/usr/bin/python3
"""minirabbit and rabbitmq-server side by side, in one run, with the same load tool (amqp_load, on
rabbitmq-c): the three scenarios of the issue, each run alternately against both brokers,
`--rounds` times; the median of each figure is reported, and the ratio minirabbit / rabbitmq
(for latency: rabbitmq / minirabbit, so > 1 is better for minirabbit too).

    benchmarks/minirabbit/compare.py [--build build] [--messages 200000] [--rounds 3]

Needs a release build (scripts/build.sh). Prints a Markdown table (docs/minirabbit/benchmarks.md).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from real_brokers import RealRabbitMQ  # noqa: E402
from servers import Server  # noqa: E402

SCENARIOS = [
    ("transient", "1 producer, 1 consumer, transient 100 B, auto-ack"),
    ("persistent", "1 producer, 1 consumer, persistent 100 B, durable queue, confirms, manual acks"),
    ("topic", "4 producers, 4 consumers, topic exchange -> 4 queues, transient 100 B"),
]
# Each scenario runs with two publishers: rabbitmq-c's amqp_basic_publish (three sendto per message,
# which caps one producer thread near 120k msg/s on this machine, whatever the broker) and a
# buffered publisher that writes 32 messages per send (as pika's select connection or the Go client
# do when publishes queue up), so that the broker sets the pace.
PUBLISHERS = [("", 1), (" batched", 32)]
FIGURES = [("publish_rate", "publish msg/s", True), ("consume_rate", "consume msg/s", True),
           ("p50_us", "p50 latency us", False), ("p99_us", "p99 latency us", False)]


def run_load(load, port, scenario, messages, batch):
    out = subprocess.run([load, "--port", str(port), "--scenario", scenario, "--messages", str(messages),
                          "--batch", str(batch)],
                         capture_output=True, text=True, timeout=900)
    if not out.stdout.strip():
        raise RuntimeError(f"amqp_load failed: {out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--messages", type=int, default=200000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("MINIRABBIT_BIN", os.path.join(args.build, "minirabbit", "minirabbit"))
    load = os.path.join(args.build, "benchmarks", "minirabbit", "amqp_load")

    runs = [(name + suffix, name, batch) for name, _ in SCENARIOS for suffix, batch in PUBLISHERS]
    results = {run: {"minirabbit": [], "rabbitmq": []} for run, _, _ in runs}
    print("starting rabbitmq-server ...", file=sys.stderr)
    started = time.monotonic()
    with RealRabbitMQ() as rabbit, Server("MINIRABBIT_BIN") as mini:
        print(f"rabbitmq-server up in {time.monotonic() - started:.0f} s", file=sys.stderr)
        for round_ in range(args.rounds):
            for run, name, batch in runs:
                for broker, port in (("minirabbit", mini.port), ("rabbitmq", rabbit.port)):
                    r = run_load(load, port, name, args.messages, batch)
                    print(f"round {round_ + 1} {run:19} {broker:10} {json.dumps(r)}", file=sys.stderr)
                    results[run][broker].append(r)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"Machine: {os.cpu_count()} cores, {cpu}. "
          f"{args.messages} messages per producer, median of {args.rounds} rounds, brokers and load tool on the "
          f"same machine.\n")
    print("| scenario | figure | minirabbit | rabbitmq-server | ratio |")
    print("|---|---|---:|---:|---:|")
    problems = []
    for run, _, _ in runs:
        for key, label, higher_is_better in FIGURES:
            mini = statistics.median(r[key] for r in results[run]["minirabbit"])
            real = statistics.median(r[key] for r in results[run]["rabbitmq"])
            ratio = (mini / real if higher_is_better else real / mini) if mini and real else 0
            print(f"| {run} | {label} | {mini:,.0f} | {real:,.0f} | {ratio:.2f}x |")
        for broker in ("minirabbit", "rabbitmq"):
            for r in results[run][broker]:
                if r["lost"] or r["duplicates"]:
                    problems.append(f"{run} on {broker}: lost {r['lost']}, duplicates {r['duplicates']}")
    print("\nScenarios: " + "; ".join(f"**{n}**: {d}" for n, d in SCENARIOS) + ". **batched**: the same, the "
          "producers writing 32 messages per send instead of rabbitmq-c's three sendto per message.")
    print("Ratios: throughput minirabbit/rabbitmq, latency rabbitmq/minirabbit (above 1 = minirabbit better).")
    print("\nLost or duplicated messages: " + ("; ".join(problems) if problems else "none, in every run."))


if __name__ == "__main__":
    main()
