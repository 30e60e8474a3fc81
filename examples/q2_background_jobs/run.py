"""Q2 - background jobs on RabbitMQ (pika): tasks routed by type through a topic exchange to worker
queues; a worker killed mid-task has its task redelivered; order within a queue; prefetch keeps a
slow worker from hoarding. Runs against minirabbit by default; `--broker real` runs the very same
client code against Debian's rabbitmq-server. Exits non-zero if an expectation does not hold."""
import argparse
import json
import os
import subprocess
import sys
import time

# tests/support/brokers.py starts the mini or the real broker (the same harness the tests use).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
import pika  # noqa: E402  (python3-pika)

from brokers import Broker, add_broker_argument  # noqa: E402

failures = []
QUEUES = {"emails": "email.*", "images": "image.*", "reports": "report.*"}


def expect(condition, what):
    print(f"  [{'ok' if condition else 'FAILED'}] {what}")
    if not condition:
        failures.append(what)


def connect(host, port):
    return pika.BlockingConnection(pika.ConnectionParameters(host=host, port=port, heartbeat=30))


def declare_topology(channel):
    # Durable exchange and queues, so the jobs survive a broker restart as well.
    channel.exchange_declare("tasks", exchange_type="topic", durable=True)
    for queue, pattern in QUEUES.items():
        channel.queue_declare(queue, durable=True)
        channel.queue_bind(queue, "tasks", routing_key=pattern)


def publish_jobs(channel, jobs):
    channel.confirm_delivery()  # each basic_publish returns once the broker confirmed it
    for routing_key, body in jobs:
        channel.basic_publish("tasks", routing_key, json.dumps(body),
                              pika.BasicProperties(delivery_mode=2, content_type="application/json"),
                              mandatory=True)


# --- the worker: a separate process, so that it can be killed like a real one -----------------
def worker(host, port, queue, name, delay_ms, prefetch, die_on, log_path):
    conn = connect(host, port)
    ch = conn.channel()
    if prefetch:
        ch.basic_qos(prefetch_count=prefetch)  # at most this many unacknowledged tasks at a time
    with open(log_path, "a") as log:
        for method, properties, body in ch.consume(queue, inactivity_timeout=3):
            if method is None:
                break  # idle: the queue is drained
            job = json.loads(body)
            if job["seq"] == die_on and not method.redelivered:
                os._exit(1)  # crash mid-task: no ack was sent, so the broker still owns the task
            time.sleep(delay_ms / 1000)
            log.write(json.dumps({"worker": name, "queue": queue, "seq": job["seq"], "type": job["type"],
                                  "redelivered": method.redelivered}) + "\n")
            log.flush()
            ch.basic_ack(method.delivery_tag)  # only now is the task done
    conn.close()


def start_worker(broker, queue, name, log_path, delay_ms=0, prefetch=1, die_on=-1):
    return subprocess.Popen([sys.executable, __file__, "--worker", queue, name, str(delay_ms), str(prefetch),
                             str(die_on), log_path, "--broker", f"{broker.host}:{broker.port}"])


def read_log(log_path):
    with open(log_path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_broker_argument(parser, "rabbit")
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        host, _, port = args.broker.rpartition(":")
        queue, name, delay, prefetch, die_on, log_path = args.worker
        worker(host, int(port), queue, name, int(delay), int(prefetch), int(die_on), log_path)
        return

    with Broker("rabbit", args.broker) as broker:
        print(f"Q2 against {broker.name} on {broker.host}:{broker.port}")
        conn = connect(broker.host, broker.port)
        ch = conn.channel()
        declare_topology(ch)
        for queue in QUEUES:
            ch.queue_purge(queue)
        log_path = os.path.join(broker.dir or "/tmp", f"q2-{os.getpid()}.log")
        open(log_path, "w").close()
        scale = 1 if args.quick else 5

        print("\n1. Routing by task type through the 'tasks' topic exchange")
        jobs = [("email.send", {"type": "email", "seq": i}) for i in range(20 * scale)]
        jobs += [("image.resize", {"type": "image", "seq": i}) for i in range(10 * scale)]
        jobs += [("report.monthly", {"type": "report", "seq": i}) for i in range(10 * scale)]
        publish_jobs(ch, jobs)
        depths = {q: ch.queue_declare(q, passive=True).method.message_count for q in QUEUES}
        print(f"  queue depths after publishing: {depths}")
        expect(depths == {"emails": 20 * scale, "images": 10 * scale, "reports": 10 * scale},
               "each task landed in its type's queue only")

        print("\n2. Order within a queue: one worker drains 'reports'")
        start_worker(broker, "reports", "report-worker", log_path).wait()
        reports = [e["seq"] for e in read_log(log_path) if e["queue"] == "reports"]
        print(f"  processed in order: {reports[:10]}...")
        expect(reports == list(range(10 * scale)), "reports were processed in publish order (FIFO queue)")

        print("\n3. A worker crashes mid-task: the unacknowledged task is delivered again")
        crasher = start_worker(broker, "images", "crashing-worker", log_path, die_on=3)
        crasher.wait()
        print(f"  crashing-worker exited with status {crasher.returncode} while holding task 3")
        start_worker(broker, "images", "rescue-worker", log_path).wait()
        images = [e for e in read_log(log_path) if e["queue"] == "images"]
        seqs = sorted(e["seq"] for e in images)
        redelivered = [e["seq"] for e in images if e["redelivered"]]
        print(f"  tasks redelivered to rescue-worker: {redelivered}")
        expect(seqs == list(range(10 * scale)), "every image task was done exactly once")
        expect(3 in redelivered, "task 3 came back flagged redelivered")

        print("\n4. Prefetch: a fast and a slow worker share 'emails'")
        fast = start_worker(broker, "emails", "fast", log_path, delay_ms=2, prefetch=1)
        slow = start_worker(broker, "emails", "slow", log_path, delay_ms=100, prefetch=1)
        fast.wait()
        slow.wait()
        emails = [e for e in read_log(log_path) if e["queue"] == "emails"]
        share = {w: sum(1 for e in emails if e["worker"] == w) for w in ("fast", "slow")}
        print(f"  with prefetch=1: {share}")
        expect(sorted(e["seq"] for e in emails) == list(range(20 * scale)), "every email task was done once")
        expect(share["fast"] > share["slow"], "the fast worker did most of the work: nobody hoards tasks")
        conn.close()
        os.remove(log_path)

    print(f"\n{'all expectations held' if not failures else f'{len(failures)} expectation(s) failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
