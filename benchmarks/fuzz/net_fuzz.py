#!/usr/bin/env python3
"""Network fuzzer: mutated client requests against the running servers, with health and RSS checks.

CONCEPT: the libFuzzer harnesses (tests/fuzz/) test the codecs and handlers in-process; this tests
what they cannot see - the session loop, read buffers, many connections, bytes split across
reads, output that piles up - on the real binaries. It replays the seed corpus captured from the
real clients (tests/fuzz/corpus/), mutated, over real sockets:

    seeds ─► mutate (bit flips, truncation, huge lengths, splices, junk) ─► one connection each,
             sent in random-sized writes; some half-close, some keep reading, some stay open
    every batch:  is the process alive?  does a real client still get an answer
                  (PING / a pika connection / a Metadata request)?  RSS under the bound?

A dead server is a crash: the batch is saved under --save for reproduction and the server is
restarted, so one finding does not end the run. The report gives cases sent, crashes, failed
health checks and peak RSS per server.

    python3 benchmarks/fuzz/net_fuzz.py --server all --seconds 600     long mode (scripts/fuzz.sh --net)
    net_fuzz.py --server miniredis --quick --tap                       CI: ~15 s, TAP for meson

READ NEXT: tests/fuzz/capture_corpus.py (where the seeds come from), tests/support/servers.py
"""
import argparse
import os
import random
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from servers import Server, recv_exactly  # noqa: E402  (ConnectionError, an OSError, on a close)

SERVERS = {
    "miniredis": ("MINIREDIS_BIN", "resp"),
    "minirabbit": ("MINIRABBIT_BIN", "amqp"),
    "minikafka": ("MINIKAFKA_BIN", "kafka"),
}
INTERESTING32 = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x10000000]


# ---- seeds and mutations ------------------------------------------------------------------------

def amqp_handshake():
    """What fuzz_amqp.cpp puts in front of a single-frame seed: header, start-ok, tune-ok, open,
    channel.open."""
    def method(channel, cls, mid, args):
        payload = struct.pack(">HH", cls, mid) + args
        return struct.pack(">BHI", 1, channel, len(payload)) + payload + b"\xce"

    def shortstr(s):
        return bytes([len(s)]) + s

    start_ok = struct.pack(">I", 0) + shortstr(b"PLAIN") + struct.pack(">I", 12) + b"\0guest\0guest" + shortstr(b"en_US")
    return (b"AMQP\x00\x00\x09\x01" + method(0, 10, 11, start_ok)
            + method(0, 10, 31, struct.pack(">HIH", 2047, 131072, 0))
            + method(0, 10, 40, shortstr(b"/") + shortstr(b"") + b"\0")
            + method(1, 20, 10, shortstr(b"")))


def load_seeds(codec):
    d = os.path.join(ROOT, "tests", "fuzz", "corpus", codec)
    seeds = []
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            seeds.append(f.read())
    return seeds


def huge_length(rng, data, codec):
    """Replaces a length with a huge (or negative) one: the classic way to make a server allocate."""
    if codec == "resp":
        spots = [i for i in range(len(data) - 1) if data[i:i + 1] in (b"*", b"$") and data[i + 1:i + 2].isdigit()]
        if spots:
            i = rng.choice(spots) + 1
            j = i
            while j < len(data) and data[j:j + 1].isdigit():
                j += 1
            big = rng.choice([b"2147483647", b"536870912", b"99999999999999999999", b"-5", b"1048576", b"4294967296"])
            return data[:i] + big + data[j:]
        return data
    if len(data) < 4:
        return data
    i = rng.randrange(0, len(data) - 3)
    return data[:i] + struct.pack(">I", rng.choice(INTERESTING32)) + data[i + 4:]


def mutate(rng, seeds, codec):
    data = bytearray(rng.choice(seeds))
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        if op == 0 and data:  # bit flips
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(data))
                data[i] ^= 1 << rng.randrange(8)
        elif op == 1 and data:  # truncation
            del data[rng.randrange(len(data)):]
        elif op == 2:
            data = bytearray(huge_length(rng, bytes(data), codec))
        elif op == 3:  # splice with another seed
            other = rng.choice(seeds)
            data = data[:rng.randint(0, len(data))] + other[rng.randint(0, len(other)):]
        elif op == 4:  # random junk inserted
            i = rng.randint(0, len(data))
            data[i:i] = os.urandom(rng.randint(1, 32))
        elif op == 5 and data:  # an interesting byte
            data[rng.randrange(len(data))] = rng.choice([0, 0xFF, 0x7F, 0x80, 0x0D, 0x0A, 0xCE])
        elif op == 6:  # the same request many times (pipelining)
            data = data * rng.randint(2, 20)
        elif op == 7 and len(data) > 2:  # a chunk duplicated in place
            i = rng.randrange(len(data))
            j = min(len(data), i + rng.randint(1, 64))
            data[i:i] = data[i:j]
    data = bytes(data)
    if codec == "amqp" and not data.startswith(b"AMQP") and rng.random() < 0.9:
        data = amqp_handshake() + data
    return data


# ---- sending ------------------------------------------------------------------------------------

def send_case(rng, port, data, held):
    """One connection: `data` in random-sized writes, then half-close, read, or keep it open."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:
        return False
    try:
        s.settimeout(0.5)
        i = 0
        while i < len(data):
            n = rng.choice([1, 2, 7, 64, 512, 4096, len(data)])
            s.sendall(data[i:i + n])
            i += n
        style = rng.random()
        if style < 0.05 and len(held) < 200:  # many connections: keep this one open until the batch ends
            held.append(s)
            return True
        if style < 0.5:
            s.shutdown(socket.SHUT_WR)
        s.settimeout(0.02)
        got = 0
        while got < (1 << 22):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += len(chunk)
    except OSError:
        pass  # reset by the server, or no answer within the timeout: both fine
    s.close()
    return True


# ---- health -------------------------------------------------------------------------------------

def healthy(name, port):
    try:
        if name == "miniredis":
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                return recv_exactly(s, 7) == b"+PONG\r\n"
        if name == "minikafka":
            # Metadata v1 for all topics: the reply carries our correlation id.
            body = struct.pack(">hhi", 3, 1, 4242) + struct.pack(">h", 3) + b"net" + struct.pack(">i", -1)
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(struct.pack(">i", len(body)) + body)
                size, correlation = struct.unpack(">ii", recv_exactly(s, 8))
                return correlation == 4242 and size > 4
        import pika
        params = pika.ConnectionParameters(host="127.0.0.1", port=port, socket_timeout=5,
                                           blocked_connection_timeout=5,
                                           credentials=pika.PlainCredentials("guest", "guest"))
        conn = pika.BlockingConnection(params)
        ch = conn.channel()
        ch.queue_declare("", exclusive=True)
        conn.close()
        return True
    except Exception:  # noqa: BLE001 - any failure to get an answer is the finding
        return False


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def under_asan(pid):
    try:
        with open(f"/proc/{pid}/maps") as f:
            return "libasan" in f.read()
    except OSError:
        return False


# ---- one server ---------------------------------------------------------------------------------

def fuzz_server(name, seconds, max_cases, seed, rss_limit_mb, save_dir, log):
    env_var, codec = SERVERS[name]
    seeds = load_seeds(codec)
    rng = random.Random(seed)
    stats = {"cases": 0, "crashes": 0, "unhealthy": 0, "peak_rss_mb": 0.0, "batches": 0}
    with Server(env_var) as server:
        limit = rss_limit_mb * (2 if under_asan(server.proc.pid) else 1)  # ASan's shadow + quarantine
        stats["rss_limit_mb"] = limit
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and stats["cases"] < max_cases:
            batch, held = [], []
            for _ in range(100):
                data = mutate(rng, seeds, codec)
                batch.append(data)
                send_case(rng, server.port, data, held)
                stats["cases"] += 1
            for s in held:
                s.close()
            stats["batches"] += 1
            stats["peak_rss_mb"] = max(stats["peak_rss_mb"], rss_mb(server.proc.pid))
            alive = server.proc.poll() is None
            ok = alive and healthy(name, server.port)
            if not ok:
                kind = "crash" if not alive else "unhealthy"
                stats["crashes" if not alive else "unhealthy"] += 1
                where = os.path.join(save_dir, f"{name}-{kind}-{stats['batches']}")
                os.makedirs(where, exist_ok=True)
                for i, data in enumerate(batch):
                    with open(os.path.join(where, f"case-{i:03d}"), "wb") as f:
                        f.write(data)
                with open(os.path.join(where, "server.log"), "w") as f:
                    f.write(server.log())
                log(f"{name}: {kind} after batch {stats['batches']} - cases and log in {where}")
                server.kill9()
                server.start()
        stats["peak_rss_mb"] = max(stats["peak_rss_mb"], rss_mb(server.proc.pid))
        stats["seconds"] = round(seconds - max(0.0, deadline - time.monotonic()), 1)
        # A clean SIGTERM shutdown exits 0; a sanitizer report at exit (a leak) does not.
        stats["exit_code"] = server.stop()
        if stats["exit_code"] != 0:
            log(f"{name}: exit status {stats['exit_code']} at shutdown:\n" + server.log()[-4000:])
    stats["rss_ok"] = stats["peak_rss_mb"] <= limit
    return stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="all", choices=["all", *SERVERS])
    ap.add_argument("--seconds", type=float, default=600, help="per server")
    ap.add_argument("--cases", type=int, default=10**9, help="at most this many cases per server")
    ap.add_argument("--quick", action="store_true", help="CI: 15 s per server")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rss-limit-mb", type=int, default=512)
    ap.add_argument("--save", default=None, help="where failing batches go (default: a temp dir)")
    ap.add_argument("--tap", action="store_true", help="report as TAP (meson protocol 'tap')")
    a = ap.parse_args()
    if a.quick:
        a.seconds = 15
    build = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
    for var, exe in (("MINIREDIS_BIN", "miniredis"), ("MINIRABBIT_BIN", "minirabbit"), ("MINIKAFKA_BIN", "minikafka")):
        os.environ.setdefault(var, os.path.join(build, exe, exe))
    # glibc fills every allocation with this byte, so a page the server reserves but never writes
    # counts in its RSS too: the bound is on what a client can make it allocate, not just on
    # what it has written so far (meson sets it for every test as well).
    os.environ.setdefault("MALLOC_PERTURB_", "165")
    import tempfile
    save_dir = a.save or tempfile.mkdtemp(prefix="net_fuzz.")
    names = list(SERVERS) if a.server == "all" else [a.server]
    log = (lambda m: print("# " + m, flush=True)) if a.tap else (lambda m: print(m, flush=True))
    if a.tap:
        print(f"1..{len(names)}", flush=True)
    failed = 0
    for n, name in enumerate(names, 1):
        st = fuzz_server(name, a.seconds, a.cases, a.seed, a.rss_limit_mb, save_dir, log)
        ok = st["crashes"] == 0 and st["unhealthy"] == 0 and st["rss_ok"] and st["exit_code"] == 0
        failed += 0 if ok else 1
        line = (f"{name}: {st['cases']} cases in {st['seconds']} s, {st['crashes']} crashes, "
                f"{st['unhealthy']} failed health checks, peak RSS {st['peak_rss_mb']:.0f} MB "
                f"(limit {st['rss_limit_mb']} MB)")
        if a.tap:
            print(f"{'ok' if ok else 'not ok'} {n} - {line}", flush=True)
        else:
            print(("OK   " if ok else "FAIL ") + line, flush=True)
    if not failed and not a.save:
        import shutil
        shutil.rmtree(save_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
