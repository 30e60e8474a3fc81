#!/usr/bin/python3
"""Streams: miniredis against redis-server, side by side in one run (the method of compare.py).

    benchmarks/miniredis/streams_compare.py [--miniredis build/miniredis/miniredis] [--rounds 5] [--quick]

1. Throughput: `redis-benchmark -c 50 -P 1|16 XADD s * f v` (a custom command: redis-benchmark's -t
   has no XADD), interleaved rounds, medians; then a group consumer: XREADGROUP COUNT 10 + XACK of what it
   read, driven by a small pipelined load loop (redis-benchmark can not feed IDs from one reply to the
   next command), entries per second.
2. Memory: 1,000,000 entries of 2 fields with 16-byte values (XADD s * f1 <16 bytes> f2 <16 bytes>),
   loaded with redis-cli --pipe; each server's own used_memory and the process RSS.
Prints a Markdown table for docs/miniredis/benchmarks.md.
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from real_brokers import RedisProcess, miniredis_argv, redis_server_argv  # noqa: E402  (the tests' harness)


def xadd_benchmark(port, pipeline, requests):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", "50", "-P", str(pipeline), "-n", str(requests),
                          "--csv", "XADD", "s", "*", "f", "v"], capture_output=True, text=True, timeout=600)
    line = out.stdout.splitlines()[1]
    return float(line.split(",")[1].strip('"'))


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """Just enough RESP to count entries in XREADGROUP replies without a client library's overhead."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(1 << 20)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read(self):
        line = self.line()
        if line[:1] == b"$":
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 20)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if line[:1] == b"*":
            n = int(line[1:])
            return None if n < 0 else [self.read() for _ in range(n)]
        if line[:1] == b"-":
            raise RuntimeError(line)
        return line


def group_consume(port, entries):
    """Preloads `entries`, then reads them as a group consumer, 10 per XREADGROUP, acknowledging each
    batch; 4 readers pipelined in one connection. Returns entries per second."""
    c = Conn(port)
    c.sock.sendall(resp("XGROUP", "CREATE", "q", "g", "0", "MKSTREAM"))
    c.read()
    batch = b"".join(resp("XADD", "q", "*", "f", "v") for _ in range(1000))
    for _ in range(entries // 1000):
        c.sock.sendall(batch)
        for _ in range(1000):
            c.read()
    done = 0
    start = time.monotonic()
    read = resp("XREADGROUP", "GROUP", "g", "w", "COUNT", "10", "STREAMS", "q", ">")
    while done < entries:
        c.sock.sendall(read * 4)
        acks = []
        for _ in range(4):
            reply = c.read()
            if reply:
                acks += [e[0] for e in reply[0][1]]
        if not acks:
            break
        c.sock.sendall(resp("XACK", "q", "g", *acks))
        c.read()
        done += len(acks)
    return done / (time.monotonic() - start)


def throughput(mini_bin, rounds, quick):
    lines = ["\n### Streams throughput (-c 50, median of interleaved rounds)\n",
             "| test | redis-server | miniredis | ratio | server CPU ns per entry, redis-server / miniredis |",
             "| --- | ---: | ---: | ---: | ---: |"]
    servers = [RedisProcess("redis-server", redis_server_argv()), RedisProcess("miniredis", miniredis_argv(mini_bin))]
    p1, p16, group = (30000, 200000, 20000) if quick else (200000, 2000000, 200000)
    try:
        cases = [("XADD s * f v, -P 1", p1, lambda s: xadd_benchmark(s.port, 1, p1)),
                 ("XADD s * f v, -P 16", p16, lambda s: xadd_benchmark(s.port, 16, p16)),
                 ("XREADGROUP COUNT 10 + XACK (entries/s)", group, lambda s: group_consume(s.port, group))]
        for title, count, run in cases:
            samples = {s.name: [] for s in servers}
            cpu = {s.name: [] for s in servers}  # the load tool shares the cores: CPU per entry tells more
            for r in range(rounds):
                for s in (servers if r % 2 == 0 else list(reversed(servers))):
                    s.cli("flushall")
                    before = s.cpu_seconds()
                    samples[s.name].append(run(s))
                    cpu[s.name].append((s.cpu_seconds() - before) / count * 1e9)
            print(f"  {title} done", file=sys.stderr)
            red, mini = statistics.median(samples["redis-server"]), statistics.median(samples["miniredis"])
            lines.append(f"| {title} | {red:,.0f} | {mini:,.0f} | {mini / red:.2f} | "
                         f"{statistics.median(cpu['redis-server']):,.0f} / {statistics.median(cpu['miniredis']):,.0f} |")
    finally:
        for s in servers:
            s.close()
    return lines


def memory(mini_bin, quick):
    count = 100000 if quick else 1000000
    data = b"".join(resp("XADD", "s", "*", "f1", b"%016d" % i, "f2", b"%016d" % (i * 7)) for i in range(count))
    results = {}
    for name, argv in (("redis-server", redis_server_argv()), ("miniredis", miniredis_argv(mini_bin))):
        s = RedisProcess(name, argv)
        try:
            before = s.used_memory()
            out = subprocess.run(["redis-cli", "-p", str(s.port), "--pipe"], input=data, capture_output=True,
                                 timeout=600)
            if b"errors: 0" not in out.stdout:
                raise RuntimeError(f"loading into {name} failed: {out.stdout[-200:]!r}")
            assert int(s.cli("xlen", "s").strip()) == count
            time.sleep(1)
            results[name] = (s.used_memory() - before, s.rss_bytes())
        finally:
            s.close()
    mb = 1024 * 1024
    r, m = results["redis-server"], results["miniredis"]
    return [f"\n### Memory: one stream of {count:,} entries, 2 fields with 16-byte values\n",
            "| measure | redis-server | miniredis | ratio |", "| --- | ---: | ---: | ---: |",
            f"| used_memory growth (INFO) | {r[0] / mb:.1f} MB | {m[0] / mb:.1f} MB | {m[0] / r[0]:.2f} |",
            f"| RSS of the process | {r[1] / mb:.1f} MB | {m[1] / mb:.1f} MB | {m[1] / r[1]:.2f} |"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--miniredis", default=os.path.join(here, "..", "..", "build", "miniredis", "miniredis"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["throughput", "memory"])
    args = parser.parse_args()
    lines = [f"{os.cpu_count()} cores, load average before: {os.getloadavg()[0]:.2f}"]
    if args.only in (None, "throughput"):
        lines += throughput(args.miniredis, args.rounds, args.quick)
    if args.only in (None, "memory"):
        lines += memory(args.miniredis, args.quick)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
