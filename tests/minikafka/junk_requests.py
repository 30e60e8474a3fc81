"""Junk Kafka requests on many connections, for minikafka's memory bound (junk_test.py) and for
longer runs by hand:

    python3 tests/minikafka/junk_requests.py PORT [--seconds 60] [--connections 50] [--seed 1] [--pid PID]

Each connection sends a mix of: random bytes under a random API key and version; plausible
requests with random names and ids (Metadata that auto-creates topics, JoinGroup of groups that
never complete, InitProducerId, Produce of valid batches from random producer ids, OffsetCommit
of random groups) cut short at a random point; frames whose size field lies. Replies are read
and thrown away, and a connection the broker closed is replaced by a new one. With --pid, the
broker's RSS is printed every second, and its peak at the end."""
import argparse
import os
import random
import selectors
import socket
import struct
import time


def crc32c(data, _table=[]):
    if not _table:
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            _table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = _table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def s16(text):
    return struct.pack(">h", len(text)) + text


def name(rng, prefix):
    return (prefix + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))).encode()


def record_batch(producer_id, sequence):
    """One valid v2 record batch holding one small record, from an idempotent producer."""
    record = b"\x00" + b"\x00" + b"\x00" + b"\x01" + b"\x02" + b"v" + b"\x00"  # attrs, ts, off, null key, "v", no headers
    record = bytes([len(record) << 1]) + record
    after_crc = struct.pack(">hiqqqhii", 0, 0, 0, 0, producer_id, 0, sequence, 1) + record
    crc = crc32c(after_crc)
    batch = struct.pack(">qiiBI", 0, 4 + 1 + 4 + len(after_crc), 0, 2, crc) + after_crc
    return batch


KINDS = ["metadata", "join", "init-producer", "produce", "commit", "api-versions"]


def plausible(rng, topics, kinds):
    """(api_key, version, body) of a request that decodes, with random names and ids."""
    kind = KINDS.index(rng.choice(kinds))
    if kind == 0:  # Metadata v1: auto-creates the topics it names (from a small pool: disk is not the test)
        names = [b"junk-%d" % rng.randrange(8) for _ in range(rng.randrange(1, 3))]
        topics.extend(n for n in names if n not in topics)
        return 3, 1, struct.pack(">i", len(names)) + b"".join(s16(n) for n in names)
    if kind == 1:  # JoinGroup v0 for a group that never syncs
        timeout = rng.choice([100, 1000, 30000])  # under group.min.session.timeout.ms too
        return 11, 0, (s16(name(rng, "g-")) + struct.pack(">i", timeout) + s16(b"") + s16(b"consumer") +
                       struct.pack(">i", 1) + s16(b"range") + struct.pack(">i", 4) + b"\x00\x00\x00\x00")
    if kind == 2:  # InitProducerId v0, no transactional id
        return 22, 0, struct.pack(">hi", -1, 60000)
    if kind == 3 and topics:  # Produce v3 acks=1 from a random idempotent producer id
        batch = record_batch(rng.randrange(1, 1 << 62), 0)
        return 0, 3, (struct.pack(">hhii", -1, 1, 5000, 1) + s16(rng.choice(topics)) + struct.pack(">i", 1) +
                      struct.pack(">ii", 0, len(batch)) + batch)
    if kind == 4:  # OffsetCommit v2 for a random group (simple consumer: generation -1)
        topic = rng.choice(topics) if topics else b"none"
        return 8, 2, (s16(name(rng, "c-")) + struct.pack(">i", -1) + s16(b"") + struct.pack(">q", -1) +
                      struct.pack(">i", 1) + s16(topic) + struct.pack(">iiq", 1, 0, 0) + s16(b""))
    return 18, 0, b""  # ApiVersions


def junk_frame(rng, topics, correlation, kinds, random_share):
    if rng.random() < random_share:
        api, version, body = rng.randrange(0, 70), rng.randrange(0, 14), rng.randbytes(rng.randrange(0, 300))
    else:
        api, version, body = plausible(rng, topics, kinds)
        if rng.random() < 0.3:
            body = body[:rng.randrange(0, len(body) + 1)]  # cut short
    payload = struct.pack(">hhih", api, version, correlation, 4) + b"junk" + body
    if rng.random() < 0.02:  # a size field that lies: bigger than what follows
        return struct.pack(">i", len(payload) + rng.randrange(1, 1 << 20)) + payload
    return struct.pack(">i", len(payload)) + payload


def rss(pid):
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


def run(port, seconds, connections=50, seed=1, pid=None, report=print, kinds=KINDS, random_share=0.35):
    """Sends junk for `seconds`; returns how many requests were sent."""
    rng = random.Random(seed)
    topics = []
    selector = selectors.DefaultSelector()

    def connect():
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, bytearray())

    for _ in range(connections):
        connect()
    sent = 0
    deadline = time.monotonic() + seconds
    next_report = time.monotonic() + 1
    while time.monotonic() < deadline:
        for key, events in selector.select(timeout=0.1):
            sock, pending = key.fileobj, key.data
            closed = False
            if events & selectors.EVENT_READ:
                try:
                    closed = not sock.recv(1 << 16)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    closed = True
            if not closed and events & selectors.EVENT_WRITE:
                if not pending:
                    pending += junk_frame(rng, topics, sent, kinds, random_share)
                    sent += 1
                try:
                    del pending[:sock.send(pending)]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    closed = True
            if closed:
                selector.unregister(sock)
                sock.close()
                connect()
        if pid and time.monotonic() >= next_report:
            next_report += 1
            now, peak = rss(pid)
            report(f"{sent} requests, broker RSS {now >> 20} MiB (peak {peak >> 20} MiB)")
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    selector.close()
    return sent


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--kinds", default=",".join(KINDS), help="plausible requests to send: " + ",".join(KINDS))
    parser.add_argument("--random-share", type=float, default=0.35, help="share of requests that are random bytes")
    args = parser.parse_args()
    count = run(args.port, args.seconds, args.connections, args.seed, args.pid, print, args.kinds.split(","),
                args.random_share)
    print(f"sent {count} requests")
    if args.pid and os.path.exists(f"/proc/{args.pid}"):
        print(f"broker peak RSS {rss(args.pid)[1] >> 20} MiB")
