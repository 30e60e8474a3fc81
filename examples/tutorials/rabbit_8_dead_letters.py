"""CONCEPT: poison messages and a dead-letter exchange (notes III, Reliable Delivery). A message
the consumer cannot process would be redelivered forever; after MAX_ATTEMPTS the consumer rejects
it with requeue=False, and the queue's x-dead-letter-exchange republishes it to a dead-letter queue,
with an x-death header that says where it died and why. The healthy messages flow on.
    tasks --nack(requeue=False)--> x-dead-letter-exchange "tutorial-dlx-*" --> tasks.dead
Usage: rabbit_8_dead_letters.py [HOST:PORT]   (or RABBITMQ_ADDR; default 127.0.0.1:5672)
READ NEXT: minirabbit/model/vhost.cpp (Vhost::dead_letter, x-death), then docs/minikafka/."""
import collections, os, sys, uuid
import pika

MAX_ATTEMPTS = 3
host, _, port = (sys.argv[1:] or [os.environ.get("RABBITMQ_ADDR", "127.0.0.1:5672")])[0].rpartition(":")
ch = pika.BlockingConnection(pika.ConnectionParameters(host=host, port=int(port))).channel()
tag = uuid.uuid4().hex[:8]
dlx, tasks, dead = f"tutorial-dlx-{tag}", f"tutorial-tasks-{tag}", f"tutorial-tasks-{tag}.dead"
ch.exchange_declare(dlx, "fanout", auto_delete=True)
ch.queue_declare(dead, exclusive=True)
ch.queue_bind(dead, dlx)
ch.queue_declare(tasks, exclusive=True, arguments={"x-dead-letter-exchange": dlx})
for body in ["order 1", "order 2 <corrupt>", "order 3"]:
    ch.basic_publish("", tasks, body, pika.BasicProperties(message_id=body.split()[1]))
attempts, done = collections.Counter(), []  # deliveries per message id (a quorum queue counts them
for method, props, body in ch.consume(tasks, inactivity_timeout=1):  # for you: x-delivery-count)
    if method is None:
        break
    attempts[props.message_id] += 1
    if b"corrupt" not in body:
        done.append(body.decode())
        ch.basic_ack(method.delivery_tag)
    elif attempts[props.message_id] < MAX_ATTEMPTS:  # maybe a passing fault: try again
        ch.basic_nack(method.delivery_tag, requeue=True)
    else:  # poison: stop retrying, hand it to the dead-letter exchange
        print(f"giving up on {body.decode()!r} after {attempts[props.message_id]} deliveries")
        ch.basic_nack(method.delivery_tag, requeue=False)
ch.cancel()
method, props, body = ch.basic_get(dead, auto_ack=True)
death = (props.headers or {}).get("x-death", [{}])[0] if method else {}
print(f"processed: {done}")
print(f"dead-letter queue holds {body!r}: died in queue {death.get('queue')!r},"
      f" reason {death.get('reason')!r}, count {death.get('count')}")
ok = done == ["order 1", "order 3"] and attempts["2"] == MAX_ATTEMPTS and death.get("reason") == "rejected" \
    and death.get("queue") == tasks and body == b"order 2 <corrupt>"
print("OK" if ok else "FAILED: the poison message did not reach the dead-letter queue as expected")
sys.exit(0 if ok else 1)
