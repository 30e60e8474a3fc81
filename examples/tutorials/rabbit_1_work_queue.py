"""CONCEPT: a work queue (notes III, Task Queues). Workers share one queue; prefetch=1 lets each hold
one unacknowledged task at a time, and a task whose worker dies before its ack goes back to the
queue and is delivered again (redelivered=True) - nothing is lost.
Usage: rabbit_1_work_queue.py [HOST:PORT]   (or RABBITMQ_ADDR; default 127.0.0.1:5672)
READ NEXT: minirabbit/core/channel.cpp (prefetch, acks), then rabbit_2_fanout.py."""
import os, sys, time, uuid
import pika

host, _, port = (sys.argv[1:] or [os.environ.get("RABBITMQ_ADDR", "127.0.0.1:5672")])[0].rpartition(":")
conn = pika.BlockingConnection(pika.ConnectionParameters(host=host, port=int(port)))
queue = f"tutorial-tasks-{uuid.uuid4().hex[:8]}"
publisher = conn.channel()
publisher.queue_declare(queue, durable=True)
for n in range(4):
    publisher.basic_publish("", queue, f"task {n}", pika.BasicProperties(delivery_mode=2))  # persistent
held, done, redelivered = {}, [], []


def worker(name, ack):
    ch = conn.channel()
    ch.basic_qos(prefetch_count=1)  # at most one unacknowledged task per worker

    def on_task(ch, method, props, body):
        held[name] = held.get(name, 0) + 1
        redelivered.append(method.redelivered)
        if ack:
            done.append(body.decode())
            ch.basic_ack(method.delivery_tag)  # only now may the broker forget the task
    ch.basic_consume(queue, on_task)
    return ch


crashing = worker("crashing", ack=False)  # takes a task, never acks it
deadline = time.monotonic() + 10
while "crashing" not in held and time.monotonic() < deadline:
    conn.process_data_events(0.1)
steady = worker("steady", ack=True)
while len(done) < 3 and time.monotonic() < deadline:
    conn.process_data_events(0.1)
print(f"the crashing worker holds {held.get('crashing')} task (prefetch 1); steady finished {done}")
crashing.close()  # the worker dies: its unacknowledged task returns to the queue
while len(done) < 4 and time.monotonic() < deadline:
    conn.process_data_events(0.1)
print(f"after the crash steady finished {len(done)} tasks; redelivered flags {redelivered}")
publisher.queue_delete(queue)
conn.close()
ok = held.get("crashing") == 1 and sorted(done) == [f"task {n}" for n in range(4)] and redelivered.count(True) == 1
print("OK" if ok else "FAILED: prefetch or redelivery did not work as expected")
sys.exit(0 if ok else 1)
