#!/usr/bin/env python3
"""Captures the fuzzers' seed corpus from the real clients: tests/fuzz/corpus/{resp,amqp,kafka}/.

CONCEPT: a mutation fuzzer starts from valid inputs and changes them a little; the closer the
seeds are to what real clients send, the sooner it reaches the deep code (a Produce with a real
record batch, a publish with a real headers table). So the seeds are not written by hand: each
built server runs behind a tiny recording TCP proxy, the real clients from Debian talk to it,
and what they sent is cut into single requests.

    redis-cli, redis-py ──┐
    pika ─────────────────┼──► recording proxy ──► miniredis / minirabbit / minikafka
    kcat, confluent-kafka ┘        │ client → server bytes, per connection
                                   ▼
             RESP: one command a file      AMQP: whole sessions, and each method frame (with its
             Kafka: one request a file           content frames) on its own - fuzz_amqp puts a
                                                 handshake in front of inputs without "AMQP"

Refresh after a protocol change (needs a release build, `scripts/build.sh`):
    python3 tests/fuzz/capture_corpus.py [--build build] [--out tests/fuzz/corpus]

READ NEXT: tests/fuzz/fuzz_resp.cpp, benchmarks/fuzz/net_fuzz.py (which also replays these seeds)
"""
import argparse
import collections
import datetime
import decimal
import hashlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from servers import Server  # noqa: E402


# Kafka clients connect to the address the broker advertises in Metadata, not to the one they
# bootstrapped from. So minikafka advertises 127.0.0.2 (still loopback) with its own port, and the
# proxy listens there: every connection goes through it.
KAFKA_PROXY_HOST = "127.0.0.2"


class RecordingProxy:
    """Listens on a free port; every connection is forwarded to the server, and the bytes the
    client sent are kept, one bytearray per connection."""

    def __init__(self, upstream_port, host="127.0.0.1", port=0):
        self.upstream_port = upstream_port
        self.listener = socket.create_server((host, port))
        self.port = self.listener.getsockname()[1]
        self.streams = []
        self.threads = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            recorded = bytearray()
            self.streams.append(recorded)
            for src, dst, rec in ((client, upstream, recorded), (upstream, client, None)):
                t = threading.Thread(target=self._pipe, args=(src, dst, rec), daemon=True)
                t.start()
                self.threads.append(t)

    @staticmethod
    def _pipe(src, dst, recorded):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if recorded is not None:
                    recorded.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        for s in (dst, src):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.listener.close()
        for t in self.threads:
            t.join(timeout=5)


def run(cmd, **kw):
    subprocess.run(cmd, check=False, timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


# ---- splitting streams into requests ------------------------------------------------------------

def split_resp(stream):
    """RESP arrays of bulk strings (what redis-cli and redis-py send) and inline lines."""
    out, i = [], 0
    while i < len(stream):
        start = i
        if stream[i:i + 1] != b"*":
            j = stream.find(b"\r\n", i)
            if j < 0:
                break
            i = j + 2
            out.append(bytes(stream[start:i]))
            continue
        j = stream.find(b"\r\n", i)
        count = int(stream[i + 1:j])
        i = j + 2
        for _ in range(count):
            j = stream.find(b"\r\n", i)
            length = int(stream[i + 1:j])
            i = j + 2 + length + 2
        out.append(bytes(stream[start:i]))
    return out


def split_kafka(stream):
    out, i = [], 0
    while i + 4 <= len(stream):
        (size,) = struct.unpack(">i", stream[i:i + 4])
        out.append(bytes(stream[i:i + 4 + size]))
        i += 4 + size
    return out


def split_amqp(stream):
    """(method id, bytes) per method frame after connection.open, content frames attached."""
    if not stream.startswith(b"AMQP"):
        return []
    frames, i = [], 8
    while i + 7 <= len(stream):
        ftype, channel, size = struct.unpack(">BHI", stream[i:i + 7])
        frames.append((ftype, bytes(stream[i:i + 8 + size]), stream[i + 7:i + 7 + size]))
        i += 8 + size
    out, opened = [], False
    for ftype, raw, payload in frames:
        if ftype == 1:
            method = struct.unpack(">I", payload[:4])[0]
            if opened:
                out.append([method, bytearray(raw)])
            if method == (10 << 16 | 40):  # connection.open: the handshake is over
                opened = True
        elif ftype in (2, 3) and out:
            out[-1][1].extend(raw)
    return [(m, bytes(b)) for m, b in out]


def save(out_dir, name, data, seen):
    digest = hashlib.sha1(data).hexdigest()
    if digest in seen:
        return
    seen.add(digest)
    with open(os.path.join(out_dir, f"{name}-{digest[:12]}"), "wb") as f:
        f.write(data)


# ---- the clients --------------------------------------------------------------------------------

def capture_redis(port):
    cli = ["redis-cli", "-p", str(port)]
    for args in (["PING"], ["SET", "greeting", "hello world"], ["GET", "greeting"], ["INCRBY", "n", "5"],
                 ["EXPIRE", "greeting", "100"], ["TTL", "greeting"], ["LPUSH", "list", "a", "b", "c"],
                 ["LRANGE", "list", "0", "-1"], ["HSET", "h", "f1", "v1", "f2", "v2"], ["HGETALL", "h"],
                 ["SADD", "s", "x", "y"], ["SINTER", "s", "s"], ["ZADD", "z", "1.5", "m1", "2", "m2"],
                 ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["SCAN", "0", "MATCH", "*", "COUNT", "10"],
                 ["KEYS", "*"], ["TYPE", "z"], ["INFO", "server"], ["CONFIG", "GET", "maxmemory"],
                 ["CLIENT", "SETNAME", "fuzzseed"], ["DBSIZE"], ["DEL", "n"]):
        run(cli + args)
    run(cli, input=b"SET inline value\r\nGET inline\r\n")  # redis-cli reads stdin as lines
    import redis
    r = redis.Redis(port=port, protocol=3) if "protocol" in redis.Redis.__init__.__code__.co_varnames \
        else redis.Redis(port=port)
    r.set("k", b"\x00\xffbinary\r\n", ex=60)
    r.mset({"a": 1, "b": 2})
    r.mget("a", "b", "missing")
    with r.pipeline(transaction=True) as p:
        p.incr("counter").rpush("q", "job1", "job2").lpop("q").execute()
    r.blpop(["q", "q2"], timeout=0.1)
    r.zincrby("z", 3, "m3")
    r.zrangebyscore("z", "-inf", "+inf", start=0, num=2)
    r.hincrbyfloat("h", "f3", 1.25)
    r.setrange("k", 3, "xyz")
    r.getrange("k", 0, 4)
    r.rename("a", "a2")
    r.copy("a2", "a3")
    r.publish("news", "hi")
    p = r.pubsub()
    p.subscribe("news")
    p.psubscribe("n*")
    p.get_message(timeout=0.1)
    p.close()
    r.watch("k")
    r.unwatch()
    r.close()


def capture_rabbit(port):
    import pika
    params = pika.ConnectionParameters(host="127.0.0.1", port=port,
                                       credentials=pika.PlainCredentials("guest", "guest"))
    conn = pika.BlockingConnection(params)
    ch = conn.channel()
    ch.exchange_declare("fx.direct", "direct", durable=True)
    ch.exchange_declare("fx.topic", "topic")
    ch.exchange_declare("fx.headers", "headers", arguments={"alternate-exchange": "fx.direct"})
    ch.exchange_bind("fx.topic", "fx.direct", routing_key="rk")
    q = ch.queue_declare("fq", durable=True, arguments={"x-max-length": 100, "x-message-ttl": 60000,
                                                         "x-queue-type": "classic"}).method.queue
    ch.queue_declare("", exclusive=True)
    ch.queue_bind(q, "fx.direct", routing_key="rk")
    ch.queue_bind(q, "fx.headers", arguments={"x-match": "any", "kind": "a", "n": 3})
    ch.basic_qos(prefetch_count=10)
    ch.confirm_delivery()
    props = pika.BasicProperties(content_type="text/plain", delivery_mode=2, priority=3,
                                 correlation_id="c1", reply_to="r", expiration="60000", message_id="m1",
                                 timestamp=1700000000, type="t", app_id="fuzz",
                                 headers={"s": "text", "i": 42, "d": decimal.Decimal("1.5"), "ts": datetime.datetime(2024, 1, 2), "b": True, "l": [1, "two"],
                                          "t": {"nested": 1}, "n": None})
    ch.basic_publish("fx.direct", "rk", b"hello", props)
    ch.basic_publish("", q, b"x" * 300)
    ch.basic_publish("fx.headers", "", b"h", pika.BasicProperties(headers={"kind": "a"}))
    method, _, _ = ch.basic_get(q)
    if method:
        ch.basic_ack(method.delivery_tag)
    method, _, _ = ch.basic_get(q)
    if method:
        ch.basic_nack(method.delivery_tag, requeue=True)
    method, _, _ = ch.basic_get(q)
    if method:
        ch.basic_reject(method.delivery_tag, requeue=False)
    tag = ch.basic_consume(q, lambda *a: None, auto_ack=False)
    conn.process_data_events(time_limit=0.1)
    ch.basic_recover(requeue=True)
    ch.basic_cancel(tag)
    ch2 = conn.channel()
    ch2.tx_select()
    ch2.basic_publish("", q, b"in tx")
    ch2.tx_commit()
    ch2.basic_publish("", q, b"rolled back")
    ch2.tx_rollback()
    ch2.flow(True)
    ch2.close()
    ch.queue_unbind(q, "fx.direct", routing_key="rk")
    ch.exchange_unbind("fx.topic", "fx.direct", routing_key="rk")
    ch.queue_purge(q)
    ch.queue_delete(q)
    ch.exchange_delete("fx.headers")
    conn.close()


def capture_kafka(port):
    broker = f"{KAFKA_PROXY_HOST}:{port}"
    run(["kcat", "-b", broker, "-L"])
    run(["kcat", "-b", broker, "-P", "-t", "seeds", "-K:", "-H", "h1=v1"], input=b"k1:v1\nk2:v2\n")
    run(["kcat", "-b", broker, "-P", "-t", "seeds", "-z", "gzip"], input=b"compressed\n")
    run(["kcat", "-b", broker, "-C", "-t", "seeds", "-o", "beginning", "-e"])
    run(["kcat", "-b", broker, "-Q", "-t", "seeds:0:-1"])
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import (AdminClient, ConfigResource, NewPartitions, NewTopic)
    p = Producer({"bootstrap.servers": broker, "enable.idempotence": True, "compression.type": "lz4"})
    for i in range(5):
        p.produce("seeds", key=b"k%d" % i, value=b"v" * i, headers={"n": str(i)})
    p.flush(10)
    c = Consumer({"bootstrap.servers": broker, "group.id": "fuzz-group", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "session.timeout.ms": 6000})
    c.subscribe(["seeds"])
    deadline = time.time() + 10
    got = 0
    while time.time() < deadline and got < 3:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got += 1
    c.commit(asynchronous=False)
    c.committed([TopicPartition("seeds", 0)], timeout=5)
    c.close()
    a = AdminClient({"bootstrap.servers": broker})
    for f in a.create_topics([NewTopic("adm", num_partitions=1, replication_factor=1,
                                       config={"retention.ms": "60000"})]).values():
        f.result(10)
    for f in a.create_partitions([NewPartitions("adm", 2)]).values():
        f.result(10)
    for f in a.describe_configs([ConfigResource("topic", "adm")]).values():
        f.result(10)
    for f in a.alter_configs([ConfigResource("topic", "adm", set_config={"retention.ms": "120000"})]).values():
        f.result(10)
    a.list_groups(timeout=10)  # ListGroups + DescribeGroups (confluent-kafka 1.7's admin API)
    # kafka-python speaks older versions of the same APIs (and v0 message sets are not ours).
    import kafka
    kp = kafka.KafkaProducer(bootstrap_servers=broker, acks="all")
    kp.send("seeds", key=b"kp", value=b"from kafka-python").get(timeout=10)
    kp.close()
    kc = kafka.KafkaConsumer("seeds", bootstrap_servers=broker, group_id="kp-group", auto_offset_reset="earliest",
                             consumer_timeout_ms=3000, enable_auto_commit=False)
    for _ in kc:
        kc.commit()
        break
    kc.close()
    for f in a.delete_topics(["adm"]).values():
        f.result(10)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--out", default=os.path.join(root, "tests", "fuzz", "corpus"))
    a = ap.parse_args()
    for var, exe in (("MINIREDIS_BIN", "miniredis"), ("MINIRABBIT_BIN", "minirabbit"), ("MINIKAFKA_BIN", "minikafka")):
        os.environ.setdefault(var, os.path.join(a.build, exe, exe))

    plan = [("resp", "MINIREDIS_BIN", capture_redis, []), ("amqp", "MINIRABBIT_BIN", capture_rabbit, []),
            ("kafka", "MINIKAFKA_BIN", capture_kafka, ["--advertised.host.name", KAFKA_PROXY_HOST])]
    for codec, var, capture, args in plan:
        with Server(var, *args) as server:
            if codec == "kafka":
                proxy = RecordingProxy(server.port, KAFKA_PROXY_HOST, server.port)
            else:
                proxy = RecordingProxy(server.port)
            capture(proxy.port)
            time.sleep(0.5)
            proxy.close()
        out_dir = os.path.join(a.out, codec)
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(out_dir)
        seen = set()
        per_kind = collections.Counter()
        streams = [bytes(s) for s in proxy.streams]
        if codec == "resp":
            for s in streams:
                for req in split_resp(s):
                    kind = req.split(b"\r\n")[2 if req.startswith(b"*") else 0].split(b" ")[0].lower()
                    kind = kind.decode("ascii", "replace")
                    if per_kind[kind] < 2:
                        per_kind[kind] += 1
                        save(out_dir, kind, req, seen)
            # One pipelined batch: several commands in one read.
            save(out_dir, "pipeline", b"".join(split_resp(streams[-1])[:12]), seen)
        elif codec == "amqp":
            for s in streams:
                if len(s) <= 16384:
                    save(out_dir, "session", s, seen)
                for method, req in split_amqp(s):
                    kind = f"m{method >> 16}.{method & 0xffff}"
                    if per_kind[kind] < 2:
                        per_kind[kind] += 1
                        save(out_dir, kind, req, seen)
        else:
            for s in streams:
                for req in split_kafka(s):
                    key, version = struct.unpack(">hh", req[4:8])
                    kind = f"api{key}v{version}"
                    if per_kind[kind] < 3:
                        per_kind[kind] += 1
                        save(out_dir, kind, req, seen)
        print(f"{codec}: {len(seen)} seeds from {len(streams)} connections, {sum(map(len, streams))} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
