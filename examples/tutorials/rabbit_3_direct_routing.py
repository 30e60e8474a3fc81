"""CONCEPT: routing (notes III, Bindings). A direct exchange delivers a message to the queues bound
with exactly its routing key; one queue may have several bindings, and a message no binding
matches is dropped (or returned, with mandatory=True).
Usage: rabbit_3_direct_routing.py [HOST:PORT]   (or RABBITMQ_ADDR; default 127.0.0.1:5672)
READ NEXT: minirabbit/model/direct_exchange.cpp, then rabbit_4_topics.py."""
import os, sys, uuid
import pika

host, _, port = (sys.argv[1:] or [os.environ.get("RABBITMQ_ADDR", "127.0.0.1:5672")])[0].rpartition(":")
conn = pika.BlockingConnection(pika.ConnectionParameters(host=host, port=int(port)))
ch = conn.channel()
exchange = f"tutorial-tasks-{uuid.uuid4().hex[:8]}"
ch.exchange_declare(exchange, "direct", auto_delete=True)
bindings = {"email-workers": ["email"], "image-workers": ["image.resize", "image.thumbnail"]}
queues = {}
for name, keys in bindings.items():
    queues[name] = ch.queue_declare("", exclusive=True).method.queue
    for key in keys:
        ch.queue_bind(queues[name], exchange, routing_key=key)
jobs = [("email", "welcome alice"), ("image.resize", "cat.jpg"), ("image.thumbnail", "dog.png"),
        ("pdf", "report.pdf")]  # nobody is bound to "pdf"
for key, body in jobs:
    ch.basic_publish(exchange, key, body)
got = {}
for name, q in queues.items():
    got[name] = []
    while (m := ch.basic_get(q, auto_ack=True))[0] is not None:
        got[name].append(m[2].decode())
    print(f"{name:14} (bound to {bindings[name]}) got {got[name]}")
conn.close()
ok = got == {"email-workers": ["welcome alice"], "image-workers": ["cat.jpg", "dog.png"]}
print("the 'pdf' job matched no binding and was dropped")
print("OK" if ok else "FAILED: messages were not routed by their key")
sys.exit(0 if ok else 1)
