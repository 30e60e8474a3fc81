"""Q5 - critical workflow steps through RabbitMQ (persistent messages + publisher confirms, nothing
lost across a broker kill), best-effort notifications over Redis pub/sub (loss allowed, and
counted), and sessions in Redis. Runs against minirabbit + miniredis by default; `--broker real`
runs the very same client code against rabbitmq-server + redis-server."""
import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pika  # noqa: E402  (python3-pika)
import redis  # noqa: E402  (python3-redis)

from brokers import Broker, add_broker_argument  # noqa: E402

failures = []


def expect(condition, what):
    print(f"  [{'ok' if condition else 'FAILED'}] {what}")
    if not condition:
        failures.append(what)


def open_workflow_channel(rabbit):
    conn = pika.BlockingConnection(pika.ConnectionParameters(host=rabbit.host, port=rabbit.port,
                                                             connection_attempts=50, retry_delay=0.2))
    ch = conn.channel()
    ch.queue_declare("workflow", durable=True)  # durable queue + persistent messages = on disk
    ch.confirm_delivery()
    return conn, ch


def critical_workflow(rabbit, steps):
    print(f"\n1. {steps} workflow steps, persistent + confirmed, with a kill -9 of the broker halfway")
    confirmed = []
    conn, ch = open_workflow_channel(rabbit)
    ch.queue_purge("workflow")
    seq = 0
    crashed = False
    while seq < steps:
        if seq == steps // 2 and not crashed and rabbit.can_crash:
            rabbit.kill9()  # the broker dies; nothing confirmed may be lost
            crashed = True
            rabbit.start()
        try:
            ch.basic_publish("", "workflow", json.dumps({"order": seq // 3, "step": seq % 3, "seq": seq}),
                             pika.BasicProperties(delivery_mode=2))
            confirmed.append(seq)  # basic_publish returned: the broker confirmed it (fsynced)
            seq += 1
        except (pika.exceptions.AMQPError, OSError):
            # Not confirmed: the publisher does not know whether the broker has it, so it sends it
            # again after reconnecting (at-least-once; the consumer tolerates a duplicate).
            conn, ch = open_workflow_channel(rabbit)
    conn.close()
    if crashed:
        print(f"  broker killed after {steps // 2} confirmed steps and restarted")

    conn, ch = open_workflow_channel(rabbit)
    seen = []
    for method, _, body in ch.consume("workflow", inactivity_timeout=2):
        if method is None:
            break
        seen.append(json.loads(body)["seq"])
        ch.basic_ack(method.delivery_tag)
    conn.close()
    missing = sorted(set(confirmed) - set(seen))
    print(f"  confirmed {len(confirmed)}, delivered {len(seen)} ({len(seen) - len(set(seen))} duplicates),"
          f" missing {len(missing)}")
    expect(not missing, "every confirmed workflow step was delivered after the crash")
    expect(seen == sorted(seen), "steps came out in the order they were confirmed")


def notifications(redis_broker, count):
    print(f"\n2. {count} best-effort notifications over pub/sub; the subscriber drops out for a moment")
    r = redis.Redis(host=redis_broker.host, port=redis_broker.port)
    received = []
    ready = threading.Event()

    def subscriber(stop_after):
        sub = redis.Redis(host=redis_broker.host, port=redis_broker.port).pubsub()
        sub.subscribe("notifications")
        ready.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            msg = sub.get_message(timeout=0.2)
            if msg and msg["type"] == "message":
                received.append(int(msg["data"]))
                if int(msg["data"]) >= stop_after:
                    break
        sub.close()  # gone: whatever is published now is delivered to nobody

    listener = threading.Thread(target=subscriber, args=(count // 2 - 1,))
    listener.start()
    ready.wait()
    time.sleep(0.2)
    delivered_to = 0
    for i in range(count):
        if i == count // 2:
            listener.join()  # the subscriber is away for the second half...
        if i == count * 3 // 4:
            ready.clear()  # ...and comes back for the last quarter
            listener = threading.Thread(target=subscriber, args=(count - 1,))
            listener.start()
            ready.wait()
            time.sleep(0.2)
        delivered_to += r.publish("notifications", i)  # PUBLISH answers how many received it
        time.sleep(0.001)
    listener.join()
    lost = count - len(received)
    print(f"  sent {count}, received {len(received)}, lost {lost} while nobody was subscribed;"
          f" PUBLISH reported {delivered_to} deliveries")
    expect(lost > 0 and len(received) == delivered_to, "pub/sub keeps nothing for absent subscribers - and says so")


def sessions(redis_broker):
    print("\n3. Sessions in Redis next to the workflow")
    r = redis.Redis(host=redis_broker.host, port=redis_broker.port)
    r.hset("session:alice", mapping={"user": "alice", "last_order": 7})
    r.expire("session:alice", 1800)
    expect(r.hget("session:alice", "last_order") == b"7" and 0 < r.ttl("session:alice") <= 1800,
           "the session is there, with its TTL")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_broker_argument(parser, "rabbit")
    parser.add_argument("--redis-broker", help="for --broker HOST:PORT runs: where Redis is")
    args = parser.parse_args()
    redis_choice = args.redis_broker or ("mini" if args.broker == "mini" else "real")
    with Broker("rabbit", args.broker) as rabbit, Broker("redis", redis_choice) as redis_broker:
        print(f"Q5 against {rabbit.name} ({rabbit.port}) and {redis_broker.name} ({redis_broker.port})")
        critical_workflow(rabbit, 300 if args.quick else 3000)
        notifications(redis_broker, 200 if args.quick else 2000)
        sessions(redis_broker)
    print(f"\n{'all expectations held' if not failures else f'{len(failures)} expectation(s) failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
