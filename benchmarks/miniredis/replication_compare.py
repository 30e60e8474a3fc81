#!/usr/bin/python3
"""Replication: miniredis against redis-server, side by side in one run (the method of compare.py).

    benchmarks/miniredis/replication_compare.py [--miniredis build/miniredis/miniredis]
                                                [--requests 200000] [--keys 1000000] [--rounds 3]

1. A master with one replica attached (each server replicating to its own kind): redis-benchmark
   -c 50 -P 1 SET, INCR, LPUSH (the writes the issue names) and GET against the master, interleaved
   rounds, medians and the ratio. Every write is also sent down the replication stream; after each
   test the replica must catch up.
2. Full sync of N keys (strings "key:<i>" -> 16-byte value, every 10th key a 5-field hash, as
   rdb_compare.py): a fresh, empty replica process; the time from REPLICAOF to its
   `master_link_status:up`, polled every 10 ms - diskless (Redis 7.0's default) and disk-based,
   repl-diskless-sync-delay 0 on both servers so that the wait for more replicas is not measured.
   --diskless-load swapdb (or on-empty-db) gives both replicas that repl-diskless-load: they parse
   the RDB as it arrives instead of after the transfer (Redis' default, and ours: disabled).
   Meanwhile a probe client PINGs the master back to back (1 ms apart): its longest round trip is
   how long the master made its other clients wait during the sync (a snapshot encoded in the
   event loop shows as seconds; a forked child's, as the fork's milliseconds).
Prints the Markdown table of docs/miniredis/benchmarks.md (goals: throughput >= 1.0x, sync time
<= 1.0x of redis-server's).
"""
import argparse
import os
import socket
import statistics
import sys
import threading
import time

from compare import benchmark

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from real_brokers import RedisProcess, miniredis_argv, redis_server_argv  # noqa: E402  (the tests' harness)
from rdb_compare import load  # noqa: E402

KINDS = {
    "redis-server": lambda mini, extra: redis_server_argv("--repl-diskless-sync-delay", "0", *extra),
    "miniredis": lambda mini, extra: miniredis_argv(mini, "--repl-diskless-sync-delay", "0", *extra),
}


def info(server, section="replication"):
    fields = {}
    for line in server.cli("info", section).splitlines():
        if ":" in line:
            k, v = line.strip().split(":", 1)
            fields[k] = v
    return fields


def wait_in_sync(master, replica, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = info(replica)
        if r.get("master_link_status") == "up" and r.get("slave_repl_offset") == info(master)["master_repl_offset"]:
            return
        time.sleep(0.01)
    raise RuntimeError(f"{replica.name} did not catch up")


TESTS = ("set", "incr", "lpush", "get")


def throughput(mini, requests, rounds):
    pairs = {}
    for name, argv in KINDS.items():
        master = RedisProcess(name, argv(mini, []))
        replica = RedisProcess(name, argv(mini, ["--replicaof", f"127.0.0.1 {master.port}"]))
        wait_in_sync(master, replica)
        pairs[name] = (master, replica)
    samples = {name: {t: [] for t in TESTS} for name in KINDS}
    cpu = {name: {t: [] for t in TESTS} for name in KINDS}  # master CPU ns per request
    try:
        for r in range(rounds):
            for name in (KINDS if r % 2 == 0 else reversed(list(KINDS))):
                master, replica = pairs[name]
                for test in TESTS:
                    before = master.cpu_seconds()
                    samples[name][test].append(benchmark(master.port, [test], 1, requests)[test])
                    cpu[name][test].append((master.cpu_seconds() - before) / requests * 1e9)
                    # A replica still applying the SETs would compete for the 2 cores during GET.
                    wait_in_sync(master, replica)
            print(f"  throughput round {r + 1}/{rounds} done", file=sys.stderr)
    finally:
        for master, replica in pairs.values():
            replica.close()
            master.close()
    return ({name: {t: statistics.median(v) for t, v in per.items()} for name, per in samples.items()},
            {name: {t: statistics.median(v) for t, v in per.items()} for name, per in cpu.items()})


class Probe(threading.Thread):
    """PING, wait for +PONG, 1 ms pause, again - until stopped; keeps the longest round trip."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.halt = threading.Event()
        self.longest = 0.0

    def run(self):
        while not self.halt.is_set():
            start = time.monotonic()
            self.sock.sendall(b"PING\r\n")
            reply = b""
            while not reply.endswith(b"\r\n"):
                reply += self.sock.recv(64)
            self.longest = max(self.longest, time.monotonic() - start)
            time.sleep(0.001)

    def finish(self):
        self.halt.set()
        self.join()
        self.sock.close()
        return self.longest


def full_sync(mini, keys, rounds, diskless, diskless_load="disabled"):
    flag = ["--repl-diskless-sync", "yes" if diskless else "no"]
    masters = {name: RedisProcess(name, argv(mini, flag)) for name, argv in KINDS.items()}
    times = {name: [] for name in KINDS}
    probes = {name: [] for name in KINDS}
    try:
        for m in masters.values():
            load(m.port, keys)
        for r in range(rounds):
            for name in (KINDS if r % 2 == 0 else reversed(list(KINDS))):
                # fresh and empty: a full resync
                replica = RedisProcess(name, KINDS[name](mini, ["--repl-diskless-load", diskless_load]))
                probe = Probe(masters[name].port)
                probe.start()
                try:
                    start = time.monotonic()
                    replica.cli("replicaof", "127.0.0.1", str(masters[name].port))
                    while info(replica).get("master_link_status") != "up":
                        time.sleep(0.01)
                    times[name].append(time.monotonic() - start)
                    probes[name].append(probe.finish())
                    got = int(replica.cli("dbsize"))
                    if got != int(masters[name].cli("dbsize")):
                        raise RuntimeError(f"{name} replica has {got} keys")
                finally:
                    probe.finish()
                    replica.close()
            print(f"  full sync ({'diskless' if diskless else 'disk-based'}) round {r + 1}/{rounds} done",
                  file=sys.stderr)
    finally:
        for m in masters.values():
            m.close()
    return ({name: statistics.median(v) for name, v in times.items()},
            {name: statistics.median(v) for name, v in probes.items()})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--miniredis", default="build/miniredis/miniredis")
    p.add_argument("--requests", type=int, default=200000)
    p.add_argument("--keys", type=int, default=1000000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", choices=["throughput", "sync"])
    p.add_argument("--transfer", default="both", choices=["both", "diskless", "disk-based"],
                   help="which full sync transfers to measure")
    p.add_argument("--diskless-load", default="disabled", choices=["disabled", "on-empty-db", "swapdb"],
                   help="the replicas' repl-diskless-load in the full sync test")
    a = p.parse_args()
    if a.only != "sync":
        print_throughput(a)
    if a.only != "throughput":
        print_sync(a)


def print_throughput(a):
    med, cpu = throughput(a.miniredis, a.requests, a.rounds)
    print(f"\n### A master with one replica: redis-benchmark -c 50 -P 1, {a.requests} requests "
          f"(median of {a.rounds} interleaved rounds)\n")
    print("| test | redis-server req/s | miniredis req/s | ratio | master CPU ns/req, redis-server / miniredis |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for t in TESTS:
        rs, mr = med["redis-server"][t], med["miniredis"][t]
        print(f"| {t.upper()} | {rs:,.0f} | {mr:,.0f} | {mr / rs:.2f} | "
              f"{cpu['redis-server'][t]:,.0f} / {cpu['miniredis'][t]:,.0f} |")


def print_sync(a):
    keys = a.keys + (a.keys + 9) // 10  # every 10th key also has a hash (rdb_compare.load)
    print(f"\n### Full sync of {keys:,} keys: REPLICAOF to master_link_status:up "
          f"(median of {a.rounds} interleaved rounds, replicas with repl-diskless-load {a.diskless_load})\n")
    print("| transfer | redis-server s | miniredis s | ratio (time, lower is better) "
          "| probe's longest PING, redis-server ms | miniredis ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for diskless in {"both": (True, False), "diskless": (True,), "disk-based": (False,)}[a.transfer]:
        t, probe = full_sync(a.miniredis, a.keys, a.rounds, diskless, a.diskless_load)
        rs, mr = t["redis-server"], t["miniredis"]
        print(f"| {'diskless ($EOF:<mark>)' if diskless else 'disk-based ($<len>)'} | {rs:.2f} | {mr:.2f} | "
              f"{mr / rs:.2f} | {probe['redis-server'] * 1000:.1f} | {probe['miniredis'] * 1000:.1f} |")


if __name__ == "__main__":
    main()
