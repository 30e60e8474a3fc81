"""CONCEPT: topic routing (notes III, Bindings with patterns). Routing keys are dot-separated words;
a binding pattern's `*` matches exactly one word and `#` matches zero or more, so one message may
reach several queues and a queue may subscribe to a whole family of keys.
Usage: rabbit_4_topics.py [HOST:PORT]   (or RABBITMQ_ADDR; default 127.0.0.1:5672)
READ NEXT: minirabbit/model/topic_exchange.cpp (the trie), then rabbit_5_rpc.py."""
import os, sys, uuid
import pika

host, _, port = (sys.argv[1:] or [os.environ.get("RABBITMQ_ADDR", "127.0.0.1:5672")])[0].rpartition(":")
conn = pika.BlockingConnection(pika.ConnectionParameters(host=host, port=int(port)))
ch = conn.channel()
exchange = f"tutorial-events-{uuid.uuid4().hex[:8]}"
ch.exchange_declare(exchange, "topic", auto_delete=True)
patterns = ["order.*.eu", "order.#", "*.failed.*"]
queues = {}
for p in patterns:
    queues[p] = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(queues[p], exchange, routing_key=p)
for key in ("order.created.eu", "order.failed.us", "payment.failed.eu", "order", "order.created.eu.vip"):
    ch.basic_publish(exchange, key, key)
got = {}
for p, q in queues.items():
    got[p] = []
    while (m := ch.basic_get(q, auto_ack=True))[0] is not None:
        got[p].append(m[2].decode())
    print(f"{p:12} got {got[p]}")
conn.close()
ok = got == {"order.*.eu": ["order.created.eu"],
             "order.#": ["order.created.eu", "order.failed.us", "order", "order.created.eu.vip"],
             "*.failed.*": ["order.failed.us", "payment.failed.eu"]}
print("OK" if ok else "FAILED: the patterns did not match as expected")
sys.exit(0 if ok else 1)
