"""Q5 - critical workflow steps through RabbitMQ (persistent messages + publisher confirms, nothing
lost across a broker kill), best-effort notifications over Redis pub/sub (loss allowed, and
counted), and sessions in Redis. Runs against minirabbit + miniredis by default; `--broker real`
runs the very same client code against rabbitmq-server + redis-server."""
import argparse
import json
import os
import socket
import sys
import threading
import time

# tests/support/brokers.py starts the mini or the real broker (the same harness the tests use).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
import amqp  # noqa: E402  (python3-amqp, the client under kombu: asynchronous confirms)
import pika  # noqa: E402  (python3-pika)
import redis  # noqa: E402  (python3-redis)

from brokers import Broker, add_broker_argument  # noqa: E402

failures = []


def expect(condition, what):
    print(f"  [{'ok' if condition else 'FAILED'}] {what}")
    if not condition:
        failures.append(what)


class WindowedPublisher:
    """A publisher with many confirms outstanding at once - a window, not one round trip per
    message - which is how a fast publisher works, and why a crash catches some publishes in
    flight. py-amqp (kombu's client) hands each basic.ack / basic.nack to a callback.

        publish(seq) -> unconfirmed[tag] = seq      basic.ack(tag, multiple) -> confirmed.add(seq)
        the broker dies -> whatever is still in `unconfirmed` must be sent again"""

    def __init__(self, rabbit):
        self.rabbit = rabbit
        self.confirmed = set()
        self.sent = 0
        self.connect()

    def connect(self):
        deadline = time.monotonic() + 30
        while True:
            try:
                self.conn = amqp.Connection(f"{self.rabbit.host}:{self.rabbit.port}", connect_timeout=2)
                self.conn.connect()
                break
            except (OSError, amqp.exceptions.AMQPError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.ch = self.conn.channel()
        self.ch.queue_declare("workflow", durable=True, auto_delete=False)  # durable + persistent = on disk
        self.ch.confirm_select()
        self.ch.events["basic_ack"].add(self.on_ack)
        self.ch.events["basic_nack"].add(self.on_nack)
        self.next_tag = 1  # confirm mode numbers this channel's publishes 1, 2, 3, ...
        self.unconfirmed = {}  # delivery tag -> seq
        self.nacked = []

    def publish(self, seq):
        body = json.dumps({"order": seq // 3, "step": seq % 3, "seq": seq})
        # message_id is what makes the consumer idempotent: a resend carries the same id.
        self.ch.basic_publish(amqp.Message(body, delivery_mode=2, message_id=f"step-{seq}"), "", "workflow")
        self.unconfirmed[self.next_tag] = seq
        self.next_tag += 1
        self.sent += 1

    def _settle(self, tag, multiple):
        tags = [t for t in self.unconfirmed if t <= tag] if multiple else [tag]
        return [self.unconfirmed.pop(t) for t in tags if t in self.unconfirmed]

    def on_ack(self, tag, multiple):
        self.confirmed.update(self._settle(tag, multiple))

    def on_nack(self, tag, multiple):
        self.nacked += self._settle(tag, multiple)  # the broker refused: send again

    def pump(self, timeout=0.05):
        try:
            self.conn.drain_events(timeout=timeout)
        except socket.timeout:
            pass


def critical_workflow(rabbit, steps, window=64):
    print(f"\n1. {steps} workflow steps, persistent + confirmed, up to {window} confirms outstanding;"
          f" kill -9 of the broker with publishes in flight")
    pub = WindowedPublisher(rabbit)
    pub.ch.queue_purge("workflow")
    todo = list(range(steps))
    crash = None
    while todo or pub.unconfirmed or pub.nacked:
        todo[:0], pub.nacked = sorted(pub.nacked), []
        while todo and len(pub.unconfirmed) < window:
            pub.publish(todo.pop(0))
        if crash is None and rabbit.can_crash and len(pub.confirmed) >= steps // 2:
            time.sleep(0.0005)  # let the broker read (and journal) part of the window...
            crash = {"confirmed": len(pub.confirmed), "in_flight": sorted(pub.unconfirmed.values())}
            rabbit.kill9()  # ...and die before it confirms the rest: no flush, no goodbye
            print(f"  broker killed: {crash['confirmed']} steps confirmed,"
                  f" {len(crash['in_flight'])} published but not yet confirmed")
            rabbit.start()
            # Unconfirmed means "don't know": the broker may or may not have written it. The only
            # safe move is to send it again (at-least-once) - and let the consumer spot duplicates.
            todo[:0] = crash["in_flight"]
            pub.connect()
            print(f"  restarted; the publisher resends the {len(crash['in_flight'])} unconfirmed steps")
            continue
        try:
            pub.pump()
        except (OSError, amqp.exceptions.AMQPError):  # a lost connection we did not cause
            todo[:0] = sorted(pub.unconfirmed.values())
            pub.connect()
    pub.conn.close()

    # The consumer: idempotent by message id. A step it has already done is acknowledged and
    # skipped - it is a duplicate from the resend, not new work.
    conn = pika.BlockingConnection(pika.ConnectionParameters(host=rabbit.host, port=rabbit.port))
    ch = conn.channel()
    done, order, duplicates, deliveries = set(), [], 0, 0
    for method, props, body in ch.consume("workflow", inactivity_timeout=2):
        if method is None:
            break
        deliveries += 1
        if props.message_id in done:
            duplicates += 1
        else:
            done.add(props.message_id)
            order.append(json.loads(body)["seq"])
        ch.basic_ack(method.delivery_tag)
    conn.close()
    lost = sorted(s for s in pub.confirmed if f"step-{s}" not in done)
    resent = len(crash["in_flight"]) if crash else 0
    print(f"  published {steps} steps in {pub.sent} publishes; confirmed before the kill"
          f" {crash['confirmed'] if crash else '-'}; resent {resent}; confirmed in the end {len(pub.confirmed)}")
    print(f"  consumer: {deliveries} deliveries, {duplicates} duplicates seen and skipped,"
          f" {len(done)} distinct steps processed, lost {len(lost)}")
    if crash:
        print(f"  the {duplicates} duplicates are resent steps the broker had already written before it"
              f" died - it just never got to confirm them; the other {resent - duplicates} had not reached it")
        expect(resent > 0, "the kill caught publishes in flight (unconfirmed), and they were resent")
    expect(len(pub.confirmed) == steps, "every step was confirmed in the end")
    expect(not lost, "nothing confirmed was lost")
    expect(len(done) == steps and deliveries == steps + duplicates,
           "each step processed exactly once: the consumer skipped every duplicate by message id")
    expect(order == sorted(order), "first deliveries came in publish order")


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
