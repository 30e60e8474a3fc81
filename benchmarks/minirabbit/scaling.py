#!/usr/bin/python3
"""How cost grows: minirabbit against rabbitmq-server, side by side in one run (issue 24).

    benchmarks/minirabbit/scaling.py [--build build] [--quick] [--rounds R] [--svg FILE]
                                     [--backlog N] [--max-bindings N] [--max-queues N]
                                     [--max-connections N]

Both brokers are started by this script: minirabbit (`--port 0`, its own temp dir) and Debian's
rabbitmq-server (tests/support/real_brokers.py: its own node name, ports and temp dirs, no
plugins). Each curve runs on both, one after the other, in the same run; rates come from amqp_load
(C++ on rabbitmq-c, the same client for both), setup from pika (bulk declares and binds are sent
with no-wait, pipelined, so the setup does not measure round trips). Memory is the broker's
resident set from /proc (for RabbitMQ, every process of its session: the Erlang VM and helpers).

  (1) bindings     a topic exchange with B bindings, B = 10, 100, 1k, 10k (full: 100k), on one
                   idle queue ("bench.k<i>.*", every tenth "audit.<i>.#": none matches a published
                   key), then amqp_load --scenario topic --batch 32 (4 producers -> 4 queues ->
                   4 consumers through the same exchange): publish and consume msg/s, and how long
                   adding the step's bindings took.
  (2) queues       Q = 1, 10, 100, 1k (full: 10k) queues declared: memory per queue; then
                   amqp_load --scenario spread --batch 32: one producer cycling through the Q queues;
                   publish msg/s and the broker's own CPU time per message (from /proc).
  (3) connections  C = 1, 10, 100 (full: 1,000) connections opened one by one, each with a channel
                   that publishes 10 messages of 100 B and stays open: memory per connection and
                   the time to open one.
  (4) backlog      N persistent 1 KB messages (quick: 100k; full: 1M) published with confirms onto
                   a durable queue nobody consumes: memory per message.
  (5) restart      both brokers stopped (SIGTERM) and started again on the same data: time until the
                   queue answers with all N messages back, then the memory per message after the
                   restart, the restarted broker's peak memory (VmHWM: what recovery needed), and
                   the consume rate draining the deep queue (amqp_load --scenario drain).
  (6) watermark    minirabbit alone, with vm_memory_high_watermark.absolute set to half the bytes
                   of a backlog of N/2 messages: whether a publisher is blocked. Past
                   --queue-body-budget (default 8 MB) a durable queue keeps persistent bodies only
                   in the journal, so it may outgrow the watermark (before issue 24 it could not).

  (7) deep       with --deep N, minirabbit alone: a backlog of N persistent 1 KB messages (the
                   issue's 10M), restarted and drained, as in (4, 5).

Sizes: full took 6 minutes on the quiet machine (--deep 10000000: 5 more), quick about 2; at load
       average 13-22 on 2 shared cores quick took 2.5-4 minutes and full (--backlog 300000) 28, most
       of it rabbitmq-server. Memory: rabbitmq-server held 1.3 KB per backlog message on the quiet
       machine and 6-7 KB on the busy one (its queues page to disk only when they have the CPU to);
       minirabbit ~190 bytes: the full 1M backlog needs 0.2-7 GB for RabbitMQ.
Disk: the backlog's journal / message store, about 1.2 KB per message per broker (quick 250 MB,
      full 2.5 GB in all; --deep 10000000: 11 GB more), in temp dirs removed at the end.
Prints Markdown tables (for docs/minirabbit/benchmarks.md) and writes an SVG chart.
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
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "comparison"))
import pika  # noqa: E402
import svg_chart  # noqa: E402
from real_brokers import RealRabbitMQ  # noqa: E402
from servers import Server  # noqa: E402

BROKERS = ("rabbitmq-server", "minirabbit")

# --- the brokers and their memory ------------------------------------------------------------


def rss_bytes(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def cpu_seconds(pid):
    """User + system CPU time the process has used so far (its threads included)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def session_pids(sid):
    """The processes of session `sid` (rabbitmq-server: the VM and its helpers)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[3]) == sid:  # after "pid (comm)": state ppid pgrp session ...
            yield int(entry)


def session_cpu(sid):
    """CPU seconds of every process in session `sid`."""
    return sum(cpu_seconds(pid) for pid in session_pids(sid))


def peak_rss(pid):
    """VmHWM: the most RAM the process has held since it started (for a restarted broker: its
    recovery's peak, unless serving later needed more)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def session_peak(sid):
    """The sum of every session process's VmHWM (an upper bound: they need not peak together)."""
    return sum(peak_rss(pid) for pid in session_pids(sid))


def session_rss(sid):
    """Resident bytes of every process in session `sid`."""
    return sum(rss_bytes(pid) for pid in session_pids(sid))


class Brokers:
    """The two brokers; `port[name]` and `memory(name)` for each."""

    def __init__(self, build, with_rabbit=True):
        os.environ.setdefault("MINIRABBIT_BIN", os.path.join(build, "minirabbit", "minirabbit"))
        self.rabbit = None
        if with_rabbit:
            t0 = time.monotonic()
            self.rabbit = RealRabbitMQ()
            print(f"rabbitmq-server up in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        self.mini = Server("MINIRABBIT_BIN")

    def port(self, name):
        return self.rabbit.port if name == "rabbitmq-server" else self.mini.port

    def fresh(self, name):
        """Before a memory curve: a process whose free lists hold nothing from earlier curves.
        minirabbit restarts in milliseconds (empty: nothing durable exists yet); glibc keeps freed
        memory mapped, so without this a curve would fill the holes earlier ones left and measure
        nothing. RabbitMQ's boot takes most of a minute: it gets a few seconds to finish collecting
        garbage from the previous curve instead."""
        if name == "minirabbit":
            self.mini.restart()
        else:
            time.sleep(3)

    def memory(self, name):
        time.sleep(0.5)  # let the broker settle (RabbitMQ's queue processes hibernate, GC runs)
        return session_rss(self.rabbit.proc.pid) if name == "rabbitmq-server" else rss_bytes(self.mini.proc.pid)

    def peak(self, name):
        return session_peak(self.rabbit.proc.pid) if name == "rabbitmq-server" else peak_rss(self.mini.proc.pid)

    def cpu(self, name):
        """The broker's CPU seconds so far: steadier than a rate on a busy machine, since the time
        the scheduler gives to other processes is not in it."""
        return session_cpu(self.rabbit.proc.pid) if name == "rabbitmq-server" else cpu_seconds(self.mini.proc.pid)

    def restart(self, name):
        """Clean stop and start on the same data; returns seconds from the start to the listener."""
        if name == "rabbitmq-server":
            self.rabbit.stop()
            t0 = time.monotonic()
            self.rabbit.start()
        else:
            self.mini.stop()
            t0 = time.monotonic()
            self.mini.start()
        return time.monotonic() - t0

    def close(self):
        self.mini.close()
        if self.rabbit:
            self.rabbit.close()


def connect(port):
    conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port, heartbeat=0,
                                                             blocked_connection_timeout=None))
    return conn, conn.channel()


def depth(port, queue):
    conn, ch = connect(port)
    try:
        return ch.queue_declare(queue, passive=True).method.message_count
    finally:
        conn.close()


def run_load(load, port, scenario, messages, *extra, timeout=900):
    out = subprocess.run([load, "--port", str(port), "--scenario", scenario, "--messages", str(messages),
                          *map(str, extra)], capture_output=True, text=True, timeout=timeout)
    lines = out.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"amqp_load {scenario} failed: {out.stderr}")
    return json.loads(lines[-1])


# --- the curves, one broker at a time ---------------------------------------------------------


def steps(first, last):
    s, out = first, []
    while s < last:
        out.append(s)
        s *= 10
    return out + [last]


def bindings_curve(brokers, name, args):
    port = brokers.port(name)
    conn, ch = connect(port)
    ch.exchange_declare("bench-topic", "topic")  # amqp_load's exchange (it declares it the same way)
    ch.queue_declare("bench-sink", auto_delete=False)
    rows, have = [], 0
    for size in steps(10, args.max_bindings):
        t0 = time.perf_counter()
        for i in range(have, size):
            key = f"audit.{i}.#" if i % 10 == 0 else f"bench.k{i}.*"
            ch._impl.queue_bind("bench-sink", "bench-topic", key)  # no callback: no-wait, pipelined
        ch.basic_qos(prefetch_count=0)  # a round trip: every bind sent before it is done
        bind_s = time.perf_counter() - t0
        added, have = size - have, size
        r = run_load(args.load, port, "topic", args.topic_messages, "--batch", 32)
        rows.append({"bindings": size, "publish": r["publish_rate"], "consume": r["consume_rate"],
                     "bind_us": bind_s / added * 1e6, "lost": r["lost"] + r["duplicates"]})
        print(f"  {name} bindings {size}: {r['consume_rate']:,.0f} msg/s end to end", file=sys.stderr)
    ch.queue_delete("bench-sink")
    conn.close()
    return rows


def queues_curve(brokers, name, args):
    brokers.fresh(name)
    port = brokers.port(name)
    conn, ch = connect(port)
    base = brokers.memory(name)
    sizes, rows, have = steps(1, args.max_queues), [], 0
    for size in sizes:  # first the memory, with nothing published yet
        t0 = time.perf_counter()
        for i in range(have, size):
            ch._impl.queue_declare(f"bench-spread-{i}")
        ch.basic_qos(prefetch_count=0)
        declare_s, added, have = time.perf_counter() - t0, size - have, size
        rows.append({"queues": size, "per_queue": (brokers.memory(name) - base) / size,
                     "declare_us": declare_s / added * 1e6})
    for row in rows:  # then the rate through the first Q of them, emptied after each step
        cpu0 = brokers.cpu(name)
        r = run_load(args.load, port, "spread", args.spread_messages, "--queues", row["queues"], "--batch", 32)
        row["cpu_us"] = (brokers.cpu(name) - cpu0) / args.spread_messages * 1e6  # broker CPU per message
        row["publish"] = r["publish_rate"]
        for i in range(row["queues"]):
            ch._impl.queue_purge(f"bench-spread-{i}")
        ch.basic_qos(prefetch_count=0)
        print(f"  {name} queues {row['queues']}: {r['publish_rate']:,.0f} msg/s, {row['cpu_us']:.2f} µs CPU/msg",
              file=sys.stderr)
    for i in range(have):
        ch._impl.queue_delete(f"bench-spread-{i}")
    ch.basic_qos(prefetch_count=0)
    conn.close()
    return rows


def connections_curve(brokers, name, args):
    brokers.fresh(name)
    port = brokers.port(name)
    setup, ch = connect(port)
    ch.queue_declare("bench-conns")
    base = brokers.memory(name)
    open_, rows = [], []
    try:
        for size in steps(1, args.max_connections):
            t0 = time.perf_counter()
            while len(open_) < size:
                conn, c = connect(port)
                for _ in range(10):
                    c.basic_publish("", "bench-conns", b"x" * 100)
                open_.append(conn)
            took = time.perf_counter() - t0
            added = size - (rows[-1]["connections"] if rows else 0)
            rows.append({"connections": size, "per_connection": (brokers.memory(name) - base) / size,
                         "open_ms": took / added * 1000})
            print(f"  {name} connections {size}: {rows[-1]['per_connection'] / 1024:,.0f} KiB each", file=sys.stderr)
    finally:
        for conn in open_:
            conn.close()
    ch.queue_delete("bench-conns")
    setup.close()
    return rows


def backlog_and_restart(brokers, name, args, messages=None):
    """(4) and (5): fill, memory per message, restart, memory again, drain."""
    brokers.fresh(name)
    port = brokers.port(name)
    base = brokers.memory(name)
    t0 = time.perf_counter()
    fill = run_load(args.load, port, "backlog", messages or args.backlog, "--size", 1024, "--batch", 32,
                    timeout=3600)
    fill_s = time.perf_counter() - t0
    out = {"messages": depth(port, "bench-backlog"), "publish": fill["publish_rate"], "fill_s": fill_s}
    out["per_message"] = (brokers.memory(name) - base) / max(out["messages"], 1)
    restart_s = brokers.restart(name)
    port = brokers.port(name)
    t0 = time.monotonic()
    back = 0
    while back < out["messages"] and time.monotonic() - t0 < 300:  # queues may come back after the listener
        try:
            back = depth(port, "bench-backlog")
        except Exception:
            time.sleep(0.1)
    out["restart_s"] = restart_s + (time.monotonic() - t0)
    out["recovered"] = back
    out["per_message_after"] = brokers.memory(name) / max(back, 1)
    out["peak_after_mb"] = brokers.peak(name) / 1e6  # the restarted broker's peak: recovery's footprint
    drain = run_load(args.load, port, "drain", back, timeout=3600)
    out["drain"] = drain["consume_rate"]
    out["drained"] = drain["received"]
    print(f"  {name} backlog {out['messages']}: {out['per_message']:,.0f} B/msg, restart {out['restart_s']:.1f} s, "
          f"drain {drain['consume_rate']:,.0f} msg/s", file=sys.stderr)
    return out


def watermark_demo(args):
    """(6): where minirabbit blocks a publisher when a backlog outgrows its watermark."""
    messages = args.backlog // 2
    watermark = messages * 1024 // 2
    with Server("MINIRABBIT_BIN", "--vm-memory-high-watermark.absolute", str(watermark)) as mini:
        proc = subprocess.Popen([args.load, "--port", str(mini.port), "--scenario", "backlog", "--messages",
                                 str(messages), "--size", "1024", "--batch", "32"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        last, still_since = -1, time.monotonic()
        while proc.poll() is None and time.monotonic() - still_since < 3:  # no progress for 3 s: blocked
            time.sleep(0.5)
            now = depth(mini.port, "bench-backlog")
            if now != last:
                last, still_since = now, time.monotonic()
        blocked = proc.poll() is None
        if blocked:
            proc.kill()
        proc.wait()
        held = depth(mini.port, "bench-backlog")
        return {"watermark": watermark, "offered": messages, "held": held, "blocked": blocked,
                "rss": rss_bytes(mini.proc.pid)}


# --- the report ------------------------------------------------------------------------------


def median_rows(runs):
    return [{k: statistics.median(r[i][k] for r in runs) for k in runs[0][i]} for i in range(len(runs[0]))]


def median_dict(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def ratio(a, b):
    # A negative "memory per unit" is noise (the broker gave memory back between two samples).
    return f"{a / b:.2f}x" if a > 0 and b > 0 else "-"


def flatness(rows, key, first, last):
    """Worst rate from `first` to `last` bindings (inclusive) relative to the rate at `first`."""
    pick = [r[key] for r in rows if first <= r["bindings"] <= last]
    return min(pick) / pick[0] if pick and pick[0] else 0


def report(res, args):
    r, m, out = res.get("rabbitmq-server", {}), res["minirabbit"], []
    if "bindings" in r:
        out += [f"\n### (1) Topic exchange: messages/s as bindings grow (amqp_load topic, 4 x {args.topic_messages:,} "
                f"msgs, batched)\n",
                "| bindings | end-to-end msg/s rabbit | end-to-end msg/s mini | ratio | publish msg/s rabbit / mini "
                "| bind µs rabbit / mini |", "| ---: | ---: | ---: | ---: | ---: | ---: |"]
        for a, b in zip(r["bindings"], m["bindings"]):
            out.append(f"| {a['bindings']:,.0f} | {a['consume']:,.0f} | {b['consume']:,.0f} | "
                       f"{ratio(b['consume'], a['consume'])} | {a['publish']:,.0f} / {b['publish']:,.0f} | "
                       f"{a['bind_us']:.0f} / {b['bind_us']:.0f} |")
        for n in BROKERS:
            rows = res[n]["bindings"]
            upto = min(10_000, rows[-1]["bindings"])
            out.append(f"\n{n}: worst end-to-end rate from 10 to {upto:,} bindings = "
                       f"{flatness(rows, 'consume', 10, upto):.0%} of the rate at 10 (goal: >= 80 %).")
    if "queues" in r:
        out += [f"\n### (2) Queues: memory per queue, and one producer cycling through them "
                f"({args.spread_messages:,} msgs, batched, confirms)\n",
                "| queues | bytes/queue rabbit | bytes/queue mini | ratio (rabbit/mini) | declare µs rabbit / mini "
                "| publish msg/s rabbit | publish msg/s mini | ratio | broker CPU µs/msg rabbit / mini |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for a, b in zip(r["queues"], m["queues"]):
            out.append(f"| {a['queues']:,.0f} | {a['per_queue']:,.0f} | {b['per_queue']:,.0f} | "
                       f"{ratio(a['per_queue'], b['per_queue'])} | {a['declare_us']:.0f} / {b['declare_us']:.0f} | "
                       f"{a['publish']:,.0f} | {b['publish']:,.0f} | {ratio(b['publish'], a['publish'])} | "
                       f"{a['cpu_us']:.1f} / {b['cpu_us']:.2f} |")
    if "connections" in r:
        out += ["\n### (3) Connections, each with a channel that published 10 messages and stays open\n",
                "| connections | KiB/connection rabbit | KiB/connection mini | ratio (rabbit/mini) "
                "| open ms rabbit / mini |", "| ---: | ---: | ---: | ---: | ---: |"]
        for a, b in zip(r["connections"], m["connections"]):
            out.append(f"| {a['connections']:,.0f} | {a['per_connection'] / 1024:,.1f} | "
                       f"{b['per_connection'] / 1024:,.1f} | {ratio(a['per_connection'], b['per_connection'])} | "
                       f"{a['open_ms']:.1f} / {b['open_ms']:.1f} |")
    if res.get("deep"):
        d = res["deep"]
        out += [f"\n### (7) minirabbit alone: a backlog of {d['messages']:,} persistent 1 KB messages\n",
                "| fill msg/s (confirms) | fill s | bytes/msg filled | restart s | back | bytes/msg after restart "
                "| peak MB after restart | drain msg/s | drained |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: "
                "| ---: | ---: |",
                f"| {d['publish']:,.0f} | {d['fill_s']:.0f} | {d['per_message']:,.0f} | {d['restart_s']:.1f} | "
                f"{d['recovered']:,} | {d['per_message_after']:,.0f} | {d['peak_after_mb']:,.0f} | {d['drain']:,.0f} | "
                f"{d['drained']:,} |"]
    if "backlog" in r:
        a, b = r["backlog"], m["backlog"]
        out += [f"\n### (4, 5) A backlog of {args.backlog:,} persistent 1 KB messages, restart, drain\n",
                "| | rabbitmq-server | minirabbit | ratio |", "| --- | ---: | ---: | ---: |"]
        rows = [("messages in the queue", "messages", None), ("fill: publish msg/s (confirms)", "publish", True),
                ("memory per message, filled (bytes)", "per_message", False),
                ("restart until every message is back (s)", "restart_s", False),
                ("messages back after the restart", "recovered", None),
                ("memory per message after the restart (bytes, whole process)", "per_message_after", False),
                ("peak memory of the restarted broker, recovery included (MB)", "peak_after_mb", False),
                ("drain: consume msg/s from the deep queue", "drain", True)]
        for label, key, higher in rows:
            rt = "-" if higher is None else ratio(b[key], a[key]) if higher else ratio(a[key], b[key])
            out.append(f"| {label} | {a[key]:,.1f} | {b[key]:,.1f} | {rt} |".replace(".0 |", " |"))
        w = res["watermark"]
        out.append(f"\n(6) minirabbit with vm_memory_high_watermark.absolute = {w['watermark'] / 1e6:.0f} MB, "
                   f"offered {w['offered']:,} persistent 1 KB messages: "
                   f"{'publisher blocked' if w['blocked'] else 'all accepted'} with {w['held']:,} in the queue "
                   f"(RSS {w['rss'] / 1e6:.0f} MB).")
    out.append("\nRatios: above 1 means minirabbit did better (rates mini/rabbit; memory and time rabbit/mini).")
    return "\n".join(out)


def chart(res):
    def series(curve, x, y):
        return {n: [(row[x], row[y]) for row in res[n].get(curve, [])] for n in BROKERS}

    charts = [
        svg_chart.line_chart("(1) end-to-end msg/s through a topic exchange", "bindings", "msg/s",
                             series("bindings", "bindings", "consume")),
        svg_chart.line_chart("(2) bytes per queue", "queues", "bytes", series("queues", "queues", "per_queue")),
        svg_chart.line_chart("(2) msg/s spread over the queues (confirmed)", "queues", "msg/s",
                             series("queues", "queues", "publish")),
        svg_chart.line_chart("(3) bytes per connection", "connections", "bytes",
                             series("connections", "connections", "per_connection")),
    ]
    w, h = svg_chart.W, svg_chart.H
    parts = [c.replace("<svg ", f'<svg x="{(i % 2) * w}" y="{(i // 2) * h}" ', 1) for i, c in enumerate(charts)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * w}" height="{2 * h}">\n' + "".join(parts) +
            "</svg>\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--quick", action="store_true", help="smaller steps and backlog: about 2 minutes")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--backlog", type=int)
    ap.add_argument("--max-bindings", type=int)
    ap.add_argument("--max-queues", type=int)
    ap.add_argument("--max-connections", type=int)
    ap.add_argument("--svg", default="minirabbit-scaling.svg")
    ap.add_argument("--only", default="connections,queues,bindings,backlog",
                    help="which curves, comma-separated (backlog includes the restart; default: all)")
    ap.add_argument("--deep", type=int, help="then (7): minirabbit alone with a backlog of N persistent 1 KB "
                    "messages, restarted and drained (the issue's 10M: ~11 GB of journal, ~1.8 GB of RAM, ~5 "
                    "minutes quiet). --only deep runs only this")
    args = ap.parse_args()
    args.backlog = args.backlog or (100_000 if args.quick else 1_000_000)
    args.max_bindings = args.max_bindings or (10_000 if args.quick else 100_000)
    args.max_queues = args.max_queues or (1_000 if args.quick else 10_000)
    args.max_connections = args.max_connections or (300 if args.quick else 1_000)
    args.topic_messages = 20_000 if args.quick else 50_000
    args.spread_messages = 50_000 if args.quick else 100_000
    args.load = os.path.join(args.build, "benchmarks", "minirabbit", "amqp_load")

    started = time.monotonic()
    brokers = Brokers(args.build, with_rabbit=args.only != "deep")
    runs = {n: {"bindings": [], "queues": [], "connections": [], "backlog": []} for n in BROKERS}
    try:
        for rnd in range(args.rounds):
            order = BROKERS if rnd % 2 == 0 else tuple(reversed(BROKERS))
            for curve in (connections_curve, queues_curve, bindings_curve, backlog_and_restart):
                if curve.__name__.split("_")[0] in args.only:
                    for n in order:
                        runs[n][curve.__name__.split("_")[0]].append(curve(brokers, n, args))
        watermark = watermark_demo(args) if "backlog" in args.only else None
        deep = backlog_and_restart(brokers, "minirabbit", args, args.deep) if args.deep else None
    finally:
        brokers.close()
    res = {n: {k: (median_dict(v) if k == "backlog" else median_rows(v)) for k, v in runs[n].items() if v}
           for n in BROKERS}
    res["watermark"], res["deep"] = watermark, deep
    print(f"{'quick' if args.quick else 'full'} run, {args.rounds} round(s), {time.monotonic() - started:.0f} s, "
          f"load average before/after: {os.getloadavg()[0]:.1f}")
    print(report(res, args))
    if brokers.rabbit:
        with open(args.svg, "w") as f:
            f.write(chart(res))
        print(f"\nchart written to {args.svg}", file=sys.stderr)


if __name__ == "__main__":
    main()
