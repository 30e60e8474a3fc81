"""CONCEPT: publisher confirms (notes III, Reliable Delivery). In confirm mode the broker answers
each publish with basic.ack once it has taken responsibility (for a persistent message to a durable
queue: written to disk), and a mandatory message no queue would take comes back instead. Without
confirms a publisher never knows whether a message arrived.
Usage: rabbit_6_publisher_confirms.py [HOST:PORT]   (or RABBITMQ_ADDR; default 127.0.0.1:5672)
READ NEXT: docs/minirabbit/01-follow-a-publish.md (confirms after fsync), then rabbit_7_vhosts.py."""
import os, sys, uuid
import pika
from pika.exceptions import UnroutableError

host, _, port = (sys.argv[1:] or [os.environ.get("RABBITMQ_ADDR", "127.0.0.1:5672")])[0].rpartition(":")
conn = pika.BlockingConnection(pika.ConnectionParameters(host=host, port=int(port)))
ch = conn.channel()
queue = f"tutorial-payments-{uuid.uuid4().hex[:8]}"
ch.queue_declare(queue, durable=True)
ch.confirm_delivery()  # confirm.select: from now on every publish is acknowledged by the broker
persistent = pika.BasicProperties(delivery_mode=2)
for n in range(5):
    ch.basic_publish("", queue, f"payment {n}", persistent, mandatory=True)  # returns once confirmed
print("5 persistent messages published, each confirmed by the broker")
try:
    ch.basic_publish("", "no-such-queue-" + queue, "lost?", persistent, mandatory=True)
    returned = False
except UnroutableError:
    returned = True
print(f"a mandatory message that no queue takes came back to the publisher: {returned}")
stored = ch.queue_declare(queue, durable=True, passive=True).method.message_count
print(f"the queue holds {stored} messages")
ch.queue_delete(queue)
conn.close()
ok = returned and stored == 5
print("OK" if ok else "FAILED: confirms or returns did not behave as expected")
sys.exit(0 if ok else 1)
