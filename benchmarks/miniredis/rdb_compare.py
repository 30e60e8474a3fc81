#!/usr/bin/python3
"""RDB snapshots: miniredis against redis-server, side by side in one run (the method of compare.py).

    benchmarks/miniredis/rdb_compare.py [--miniredis build/miniredis/miniredis] [--keys 1000000] [--rounds 3]

1. SAVE: the same N keys (strings "key:<i>" -> a 16-byte value, and every 10th key a 5-field hash)
   loaded with redis-cli --pipe into each server; the time SAVE takes, and the file's size.
2. Restart: redis-server's dump.rdb copied into a fresh directory, each server started on it; the
   time from exec to the first PONG (redis-server answers -LOADING meanwhile; miniredis listens only
   after loading). Interleaved rounds, medians.
Prints a Markdown table for docs/miniredis/benchmarks.md (goal: miniredis <= 1.0x redis-server's time).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from real_brokers import RedisProcess, free_port, miniredis_argv, redis_server_argv  # noqa: E402


def load(port, keys):
    lines = []
    for i in range(keys):
        v = f"value-{i:010d}"
        lines.append(f"*3\r\n$3\r\nSET\r\n${len(f'key:{i}')}\r\nkey:{i}\r\n${len(v)}\r\n{v}\r\n")
        if i % 10 == 0:
            args = ["HSET", f"hash:{i}"] + [x for f in range(5) for x in (f"f{f}", str(i + f))]
            lines.append(f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args))
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input="".join(lines), capture_output=True, text=True,
                   check=True)


def timed_save(server):
    start = time.monotonic()
    out = server.cli("save").strip()
    elapsed = time.monotonic() - start
    if out != "OK":
        raise RuntimeError(f"{server.name} SAVE: {out}")
    return elapsed, os.path.getsize(os.path.join(server.dir, "dump.rdb"))


def timed_start(argv_fn, rdb):
    d = tempfile.mkdtemp(prefix="bench-rdb-")
    shutil.copy(rdb, os.path.join(d, "dump.rdb"))
    port = free_port()
    start = time.monotonic()
    proc = subprocess.Popen(argv_fn(port, d), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                             text=True).stdout.strip() != "PONG":
            if proc.poll() is not None:
                raise RuntimeError("server exited")
            time.sleep(0.01)
        elapsed = time.monotonic() - start
        keys = int(subprocess.run(["redis-cli", "-p", str(port), "dbsize"], capture_output=True, text=True).stdout)
        return elapsed, keys
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--miniredis", default="build/miniredis/miniredis")
    p.add_argument("--keys", type=int, default=1000000)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    servers = [RedisProcess("redis-server", redis_server_argv()), RedisProcess("miniredis", miniredis_argv(a.miniredis))]
    saves = {}
    try:
        for s in servers:
            load(s.port, a.keys)
            saves[s.name] = [timed_save(s) for _ in range(a.rounds)]
        rdb = os.path.join(tempfile.mkdtemp(prefix="bench-rdb-src-"), "dump.rdb")
        shutil.copy(os.path.join(servers[0].dir, "dump.rdb"), rdb)
    finally:
        for s in servers:
            s.close()
    starts = {"redis-server": [], "miniredis": []}
    argvs = {"redis-server": redis_server_argv(), "miniredis": miniredis_argv(a.miniredis)}
    expected = a.keys + (a.keys + 9) // 10
    for r in range(a.rounds):
        for name in (["redis-server", "miniredis"] if r % 2 == 0 else ["miniredis", "redis-server"]):
            elapsed, keys = timed_start(argvs[name], rdb)
            if keys != expected:
                raise RuntimeError(f"{name} loaded {keys} keys, not {expected}")
            starts[name].append(elapsed)
        print(f"  round {r + 1}/{a.rounds} done", file=sys.stderr)
    shutil.rmtree(os.path.dirname(rdb), ignore_errors=True)
    med = {n: statistics.median(t for t, _ in v) for n, v in saves.items()}
    size = {n: v[0][1] for n, v in saves.items()}
    st = {n: statistics.median(v) for n, v in starts.items()}
    print(f"| {expected:,} keys (strings + hashes) | redis-server | miniredis | miniredis / redis |")
    print("|---|---|---|---|")
    print(f"| SAVE (s, median of {a.rounds}) | {med['redis-server']:.2f} | {med['miniredis']:.2f} | "
          f"{med['miniredis'] / med['redis-server']:.2f}x |")
    print(f"| dump.rdb size (bytes) | {size['redis-server']:,} | {size['miniredis']:,} | "
          f"{size['miniredis'] / size['redis-server']:.2f}x |")
    print(f"| restart from redis-server's dump.rdb to first PONG (s) | {st['redis-server']:.2f} | "
          f"{st['miniredis']:.2f} | {st['miniredis'] / st['redis-server']:.2f}x |")


if __name__ == "__main__":
    main()
