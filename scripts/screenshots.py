#!/usr/bin/python3
"""Screenshots of the three live pages (issue 23), for slides and for a look without running
anything: starts the built servers on free ports with fresh data directories, gives each something
to show (keys with TTLs; an exchange graph with bindings and messages; a topic and a consumer
group with lag), switches --trace on so the trace panel has lines, and has headless Chromium write
one PNG per page:

    scripts/screenshots.py [OUT_DIR] [--build-dir build]     (OUT_DIR default: build/screenshots)

Run it with Debian's /usr/bin/python3 (the shebang): python3-redis, pika and confluent-kafka live there.

    OUT_DIR/miniredis.png   OUT_DIR/minirabbit.png   OUT_DIR/minikafka.png

Needs Debian's chromium, redis-py, pika and kcat (scripts/install-deps.sh installs them). Not a
test: nothing is asserted (tests/*/live_page_test.py do that); this only takes the pictures."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from servers import Server  # noqa: E402


def put_trace(admin_port, auth=None):
    request = urllib.request.Request(f"http://127.0.0.1:{admin_port}/api/trace", method="PUT",
                                     data=json.dumps({"trace": True}).encode())
    if auth:
        request.add_header("Authorization", auth)
    urllib.request.urlopen(request, timeout=10).close()


def screenshot(url, path, profile):
    subprocess.run(["chromium", "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
                    f"--user-data-dir={profile}", "--hide-scrollbars", "--window-size=1400,1100",
                    "--virtual-time-budget=3000", f"--screenshot={path}", url],
                   check=True, capture_output=True, timeout=60)
    print(path)


def redis_scene(server):
    import redis
    r = redis.Redis(port=server.port)
    put_trace(server.admin_port)
    r.set("session:42", "alice", ex=300)
    r.rpush("jobs", *[f"job-{i}" for i in range(20)])
    r.hset("user:1", mapping={"name": "alice", "plan": "pro"})
    r.zadd("leaderboard", {"alice": 30, "bob": 20})
    return "/#watch=session:42"


def rabbit_scene(server):
    import base64
    import pika
    auth = "Basic " + base64.b64encode(b"guest:guest").decode()
    put_trace(server.admin_port, auth)
    connection = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=server.port))
    channel = connection.channel()
    channel.exchange_declare("orders", "topic")
    channel.exchange_declare("audit", "fanout")
    for queue, exchange, key in [("eu-orders", "orders", "eu.*"), ("us-orders", "orders", "us.*"),
                                 ("all-orders", "orders", "#"), ("audit-log", "audit", "")]:
        channel.queue_declare(queue)
        channel.queue_bind(queue, exchange, key)
    channel.exchange_bind("audit", "orders", "#")
    for i in range(30):
        channel.basic_publish("orders", "eu.new" if i % 3 else "us.new", b"order %d" % i)
    worker = connection.channel()
    worker.basic_qos(prefetch_count=5)
    worker.basic_consume("eu-orders", lambda *a: None)  # takes 5, acks none: unacked 5
    connection.process_data_events(0.2)
    return "/", connection


def kafka_scene(server):
    broker = f"127.0.0.1:{server.port}"
    put_trace(server.admin_port)
    subprocess.run(["kcat", "-P", "-b", broker, "-t", "payments"], input="".join(f"p{i}\n" for i in range(50)),
                   text=True, check=True, timeout=30)
    from confluent_kafka import Consumer
    consumer = Consumer({"bootstrap.servers": broker, "group.id": "billing", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe(["payments"])
    for _ in range(50):
        if consumer.poll(0.2) is not None:
            break
    consumer.commit(asynchronous=False)
    return "/", consumer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=os.path.join(ROOT, "build", "screenshots"))
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in ("miniredis", "minirabbit", "minikafka"):
        os.environ[name.upper() + "_BIN"] = os.path.join(args.build_dir, name, name)
    extra = {"miniredis": ["--save", ""], "minirabbit": [],
             "minikafka": ["--num.partitions", "2", "--group.initial.rebalance.delay.ms", "0"]}
    scenes = {"miniredis": redis_scene, "minirabbit": rabbit_scene, "minikafka": kafka_scene}
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        for name, scene in scenes.items():
            with Server(name.upper() + "_BIN", "--admin-port", "0", *extra[name]) as server:
                result = scene(server)
                path, keep = (result, None) if isinstance(result, str) else result
                screenshot(f"http://127.0.0.1:{server.admin_port}{path}", os.path.join(args.out, name + ".png"),
                           profile)
                if keep is not None:
                    keep.close()


if __name__ == "__main__":
    main()
