#!/usr/bin/python3
"""How cost grows: miniredis against redis-server, side by side in one run (issue 24).

    benchmarks/miniredis/scaling.py [--miniredis build/miniredis/miniredis] [--quick]
                                    [--max-keys N] [--rounds R] [--svg FILE]

Both servers are started by this script on free loopback ports with `save ""` and the AOF off, each
in its own temp dir (removed at the end; nothing is written to disk). Every measurement runs on both
servers in the same round, interleaved (redis, mini, mini, redis, ...); full mode reports the median
of the rounds.

  (a) growth   fill from empty to N keys with pipelined SETs (redis-benchmark -c 50 -P 16 -t set
               -r S -n 2S for S = 1k, 10k, 100k, 1M, ... N: about 86 % of the S names exist after a
               step, 63 % with --quick's -n S; the table shows the real DBSIZE). Per step: SET/s,
               and the p99 and max round trip of a probe client that PINGs every millisecond.
  (b) memory   (used_memory - used_memory when empty) / DBSIZE after each step.
  (c) expiry   1M names (quick: 200k) SET with a 3 s TTL, while a redis-benchmark client GETs/SETs
               other keys: used_memory and the keys with a TTL left, sampled every 100 ms until
               none is left (20 s at most); when that was, the share of their memory back by
               then, and the probe's p99 and max round trip.
  (d) freeing  the probe's max round trip around FLUSHALL SYNC vs ASYNC of the N-key keyspace
               and around DEL vs UNLINK of a 1M-member set (quick: 300k).

Sizes: quick N = 1M keys, 1 round (43 s at load average 2-6 on 2 cores, about 4
       minutes at load 19); full N = 10M keys, 3 rounds (a few minutes).
Memory: about 1.0 GB per server at 10M keys (both run at once, so about 2 GB; 250 MB at 1M).
Disk: none beyond two empty temp dirs. Prints a Markdown table (for docs/miniredis/benchmarks.md)
and writes an SVG chart drawn by hand (no plotting library).
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from real_brokers import RedisProcess, miniredis_argv, redis_server_argv  # noqa: E402  (the tests' harness)

# --- servers -------------------------------------------------------------------------------


def start_servers(mini_bin):
    return [RedisProcess("redis-server", redis_server_argv()), RedisProcess("miniredis", miniredis_argv(mini_bin))]


def bench(port, *args, timeout=900):
    """redis-benchmark -c 50 -P 16 with `args`; returns requests per second of the (single) test."""
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", "50", "-P", "16", "--csv", *args],
                         capture_output=True, text=True, timeout=timeout).stdout
    lines = [ln for ln in out.splitlines() if ln and not ln.startswith('"test"')]
    return float(lines[-1].split(",")[1].strip('"')) if lines else 0.0


# --- the probe: one more client, PING every millisecond, remembers every round trip ----------


class Probe:
    """A thread that PINGs one server over its own connection and records (send time, round trip)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.samples = []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_flag.is_set():
            t0 = time.perf_counter()
            self.sock.sendall(b"PING\r\n")
            buf = b""
            while not buf.endswith(b"\r\n"):
                chunk = self.sock.recv(64)
                if not chunk:
                    return
                buf += chunk
            self.samples.append((t0, time.perf_counter() - t0))
            time.sleep(0.001)

    def window(self, start, end):
        """Round trips of the pings sent in [start, end], plus any ping still in flight at `end`."""
        return [rtt for t, rtt in self.samples if start <= t <= end]

    def close(self):
        self.stop_flag.set()
        self.thread.join(30)
        self.sock.close()


def p99(values):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))]


# --- the four measurements, one server at a time ---------------------------------------------


def steps_up_to(n):
    s, out = 1000, []
    while s < n:
        out.append(s)
        s *= 10
    return out + [n]


def growth(server, max_keys, per_step):
    """(a) and (b): per step, SET/s, probe p99/max (s), DBSIZE, bytes per key."""
    server.cli("flushall")
    time.sleep(0.3)
    empty = server.used_memory()
    rows = []
    probe = Probe(server.port)
    try:
        for size in steps_up_to(max_keys):
            t0 = time.perf_counter()
            rps = bench(server.port, "-t", "set", "-r", str(size), "-n", str(int(per_step * size)))
            # The last ping may still be in flight when redis-benchmark exits: wait for it.
            time.sleep(0.05)
            rtts = probe.window(t0, time.perf_counter())
            keys = server.dbsize()
            per_key = (server.used_memory() - empty) / max(keys, 1)
            rows.append({"size": size, "keys": keys, "rps": rps, "p99": p99(rtts), "max": max(rtts, default=0),
                         "per_key": per_key})
    finally:
        probe.close()
    return rows


def expiry(server, ttl_keys):
    """(c): memory over time while ttl_keys keys with a 3 s TTL expire under a working client."""
    server.cli("flushall")
    time.sleep(0.3)
    bench(server.port, "-t", "set", "-r", "100000", "-n", "300000")  # the working client's own keys (key:N)
    base = server.used_memory()
    bench(server.port, "-r", str(ttl_keys), "-n", str(2 * ttl_keys), "set", "ttl:__rand_int__", "v", "EX", "3")
    filled = server.used_memory()
    worker = subprocess.Popen(["redis-benchmark", "-p", str(server.port), "-c", "10", "-P", "4", "-r", "100000",
                               "-n", "100000000", "-t", "get,set", "-q"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    probe = Probe(server.port)
    t0 = time.perf_counter()
    series, gone, left = [], None, ttl_keys
    try:
        while time.perf_counter() - t0 < 20:
            time.sleep(0.1)
            now = time.perf_counter() - t0
            series.append((now, server.used_memory()))
            keyspace = server.info_field("keyspace", "db0")  # keys=...,expires=N,...
            left = int(keyspace.split("expires=")[1].split(",")[0]) if "expires=" in keyspace else 0
            if left == 0:
                gone = now
                break
    finally:
        worker.terminate()
        worker.wait()
        probe.close()
    rtts = [rtt for _, rtt in probe.samples]
    # A hash table does not give its bucket array back at once, so memory does not fall all the way
    # to `base`: report the share of the TTL keys' memory that came back by the end.
    reclaimed = (filled - series[-1][1]) / max(filled - base, 1) if series else 0.0
    return {"series": series, "gone": gone, "left": left, "reclaimed": reclaimed, "max": max(rtts, default=0),
            "p99": p99(rtts)}


def stall(server, *command):
    """The probe's max round trip around one command (and the command's own time)."""
    probe = Probe(server.port)
    time.sleep(0.2)
    t0 = time.perf_counter()
    server.cli(*command)
    took = time.perf_counter() - t0
    time.sleep(0.5)  # a background free keeps going after the reply: keep probing
    probe.close()
    return {"max": max((rtt for _, rtt in probe.samples), default=0), "took": took}


def freeing(server, max_keys, set_size, per_step):
    """(d): FLUSHALL SYNC vs ASYNC of the keyspace growth() left, DEL vs UNLINK of a big set."""
    out = {"FLUSHALL SYNC": stall(server, "flushall", "sync")}
    bench(server.port, "-t", "set", "-r", str(max_keys), "-n", str(int(per_step * max_keys)))
    out["FLUSHALL ASYNC"] = stall(server, "flushall", "async")
    for verb in ("DEL", "UNLINK"):
        server.cli("flushall")
        bench(server.port, "-r", str(set_size * 4), "-n", str(set_size), "sadd", "bigset", "__rand_int__")
        out[verb] = stall(server, verb, "bigset")
    return out


# --- the report ------------------------------------------------------------------------------


def median_rows(runs):
    """Per step, the median of each field over the rounds."""
    return [{k: statistics.median(r[i][k] for r in runs) for k in runs[0][i]} for i in range(len(runs[0]))]


def ms(seconds):
    return f"{seconds * 1000:.1f}"


def ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def report(results, args):
    r, m = results["redis-server"], results["miniredis"]
    out = [f"\n### Growth: fill to {args.max_keys:,} keys, `-c 50 -P 16` SETs (median of {args.rounds})\n",
           "| keys (redis / mini) | SET/s redis | SET/s mini | ratio | probe p99 ms redis / mini "
           "| probe max ms redis / mini | max ratio | bytes/key redis | bytes/key mini | ratio |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for a, b in zip(r["growth"], m["growth"]):
        out.append(f"| {a['keys']:,.0f} / {b['keys']:,.0f} | {a['rps']:,.0f} | {b['rps']:,.0f} | "
                   f"{ratio(b['rps'], a['rps'])} | {ms(a['p99'])} / {ms(b['p99'])} | {ms(a['max'])} / {ms(b['max'])} "
                   f"| {ratio(b['max'], a['max'])} | {a['per_key']:.0f} | {b['per_key']:.0f} | "
                   f"{ratio(b['per_key'], a['per_key'])} |")
    out += [f"\n### Expiry: {args.ttl_keys:,} keys with a 3 s TTL while a client works (median of {args.rounds})\n",
            "| | redis-server | miniredis | ratio |", "| --- | ---: | ---: | ---: |"]
    a, b = r["expiry"], m["expiry"]
    gone = lambda e: f"{e['gone']:.1f}" if e["gone"] is not None else f"> 20 ({e['left']:,.0f} left)"
    out.append(f"| every TTL key gone after (s) | {gone(a)} | {gone(b)} | "
               f"{ratio(b['gone'], a['gone']) if a['gone'] and b['gone'] else '-'} |")
    out.append(f"| their memory back by then | {a['reclaimed']:.0%} | {b['reclaimed']:.0%} | - |")
    for key, label in (("p99", "probe p99 (ms)"), ("max", "probe max (ms)")):
        out.append(f"| {label} | {ms(a[key])} | {ms(b[key])} | {ratio(b[key], a[key])} |")
    out += [f"\n### Freeing: probe max round trip (ms) around the command (median of {args.rounds})\n",
            "| command | redis-server | miniredis | ratio | command took (ms) redis / mini |",
            "| --- | ---: | ---: | ---: | ---: |"]
    for key in r["freeing"]:
        a, b = r["freeing"][key], m["freeing"][key]
        what = f"{key} of a {args.set_size:,}-member set" if key in ("DEL", "UNLINK") else f"{key} ({args.max_keys:,} keys)"
        out.append(f"| {what} | {ms(a['max'])} | {ms(b['max'])} | {ratio(b['max'], a['max'])} | "
                   f"{ms(a['took'])} / {ms(b['took'])} |")
    return "\n".join(out)


# --- the chart: four panels, plain SVG ---------------------------------------------------------

COLORS = {"redis-server": "#c0392b", "miniredis": "#2471a3"}


def panel(x0, y0, w, h, title, series, xlabel, ylabel, xlog):
    """One chart: axes, a title and a polyline per server. series: name -> [(x, y)]."""
    import math
    pts = [p for s in series.values() for p in s]
    if not pts:
        return ""
    fx = (lambda v: math.log10(max(v, 1))) if xlog else (lambda v: v)
    xs, ys = [fx(x) for x, _ in pts], [y for _, y in pts]
    xmin, xmax, ymax = min(xs), max(xs), max(ys) * 1.1 or 1
    if xmax == xmin:
        xmax = xmin + 1
    sx = lambda v: x0 + 50 + (fx(v) - xmin) / (xmax - xmin) * (w - 70)
    sy = lambda v: y0 + h - 30 - v / ymax * (h - 60)
    svg = [f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="white" stroke="#ccc"/>',
           f'<text x="{x0 + w / 2}" y="{y0 + 18}" text-anchor="middle" font-size="13">{title}</text>',
           f'<line x1="{x0 + 50}" y1="{y0 + h - 30}" x2="{x0 + w - 20}" y2="{y0 + h - 30}" stroke="black"/>',
           f'<line x1="{x0 + 50}" y1="{y0 + 30}" x2="{x0 + 50}" y2="{y0 + h - 30}" stroke="black"/>',
           f'<text x="{x0 + w / 2}" y="{y0 + h - 6}" text-anchor="middle" font-size="11">{xlabel}</text>',
           f'<text x="{x0 + 4}" y="{y0 + 30}" font-size="10">{ymax:,.3g}</text>',
           f'<text x="{x0 + 4}" y="{y0 + h - 30}" font-size="10">0</text>',
           f'<text x="{x0 + 4}" y="{y0 + 42}" font-size="10">{ylabel}</text>']
    if xlog:
        for e in range(int(math.floor(xmin)), int(math.ceil(xmax)) + 1):
            if xmin <= e <= xmax:
                svg.append(f'<text x="{sx(10 ** e)}" y="{y0 + h - 17}" text-anchor="middle" font-size="10">'
                           f'1e{e}</text>')
    for i, (name, s) in enumerate(series.items()):
        line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s)
        svg.append(f'<polyline fill="none" stroke="{COLORS[name]}" stroke-width="2" points="{line}"/>')
        svg.append(f'<text x="{x0 + w - 110}" y="{y0 + 40 + 14 * i}" font-size="11" fill="{COLORS[name]}">'
                   f'{name}</text>')
    return "\n".join(svg)


def chart(results):
    g = {n: results[n]["growth"] for n in results}
    parts = [
        panel(0, 0, 420, 260, "SET/s while filling (-P 16)", {n: [(r["keys"], r["rps"]) for r in g[n]] for n in g},
              "keys", "SET/s", True),
        panel(430, 0, 420, 260, "probe max round trip during the step (ms)",
              {n: [(r["keys"], r["max"] * 1000) for r in g[n]] for n in g}, "keys", "ms", True),
        panel(0, 270, 420, 260, "bytes per key", {n: [(r["keys"], r["per_key"]) for r in g[n]] for n in g}, "keys",
              "bytes", True),
        panel(430, 270, 420, 260, "used_memory while TTL keys expire (MB)",
              {n: [(t, u / 1e6) for t, u in results[n]["expiry"]["series"]] for n in results}, "seconds", "MB",
              False),
    ]
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="850" height="530" font-family="sans-serif">\n' +
            "\n".join(parts) + "\n</svg>\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--miniredis", default=os.path.join(here, "..", "..", "build", "miniredis", "miniredis"))
    ap.add_argument("--quick", action="store_true", help="1M keys, 1 round, smaller sets: under a minute")
    ap.add_argument("--max-keys", type=int)
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--svg", default="scaling.svg")
    args = ap.parse_args()
    args.max_keys = args.max_keys or (1_000_000 if args.quick else 10_000_000)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.ttl_keys = 200_000 if args.quick else 1_000_000
    args.set_size = 300_000 if args.quick else 1_000_000
    args.per_step = 1 if args.quick else 2  # SETs per name of the step's keyspace

    servers = start_servers(args.miniredis)
    runs = {s.name: {"growth": [], "expiry": [], "freeing": []} for s in servers}
    try:
        for rnd in range(args.rounds):
            for s in (servers if rnd % 2 == 0 else list(reversed(servers))):
                runs[s.name]["growth"].append(growth(s, args.max_keys, args.per_step))
                runs[s.name]["freeing"].append(freeing(s, args.max_keys, args.set_size, args.per_step))
                runs[s.name]["expiry"].append(expiry(s, args.ttl_keys))
                print(f"  round {rnd + 1}/{args.rounds}: {s.name} done", file=sys.stderr)
    finally:
        for s in servers:
            s.close()

    results = {}
    for name, run in runs.items():
        ex = run["expiry"]
        mid = sorted(ex, key=lambda e: e["max"])[len(ex) // 2]  # the median round's time series
        gone = [e["gone"] for e in ex if e["gone"] is not None]
        results[name] = {
            "growth": median_rows(run["growth"]),
            "expiry": {"series": mid["series"], "max": statistics.median(e["max"] for e in ex),
                       "p99": statistics.median(e["p99"] for e in ex),
                       "reclaimed": statistics.median(e["reclaimed"] for e in ex),
                       "left": statistics.median(e["left"] for e in ex),
                       "gone": statistics.median(gone) if len(gone) == len(ex) else None},
            "freeing": {k: {f: statistics.median(fr[k][f] for fr in run["freeing"]) for f in ("max", "took")}
                        for k in run["freeing"][0]},
        }
    print(report(results, args))
    with open(args.svg, "w") as f:
        f.write(chart(results))
    print(f"\nchart written to {args.svg}", file=sys.stderr)


if __name__ == "__main__":
    main()
