"""CONCEPT: publish/subscribe (notes III). A fanout exchange copies every message into each queue
bound to it; each subscriber has its own queue, so each gets every message. A queue bound later
gets only what is published after it was bound - the exchange stores nothing.
Usage: rabbit_2_fanout.py [HOST:PORT]   (or RABBITMQ_ADDR; default 127.0.0.1:5672)
READ NEXT: minirabbit/model/fanout_exchange.cpp, then rabbit_3_direct_routing.py."""
import os, sys, uuid
import pika

host, _, port = (sys.argv[1:] or [os.environ.get("RABBITMQ_ADDR", "127.0.0.1:5672")])[0].rpartition(":")
conn = pika.BlockingConnection(pika.ConnectionParameters(host=host, port=int(port)))
ch = conn.channel()
exchange = f"tutorial-logs-{uuid.uuid4().hex[:8]}"
ch.exchange_declare(exchange, "fanout", auto_delete=True)


def subscriber():
    q = ch.queue_declare("", exclusive=True).method.queue  # a server-named queue of our own
    ch.queue_bind(q, exchange)  # fanout ignores the routing key
    return q


def drain(q):
    out = []
    while (got := ch.basic_get(q, auto_ack=True))[0] is not None:
        out.append(got[2].decode())
    return out


screen, archive = subscriber(), subscriber()
for line in ("boot", "disk 91% full", "user alice logged in"):
    ch.basic_publish(exchange, "", line)
late = subscriber()
ch.basic_publish(exchange, "", "shutdown")
got = {"screen": drain(screen), "archive": drain(archive), "late": drain(late)}
for name, lines in got.items():
    print(f"{name:8} got {lines}")
conn.close()
everything = ["boot", "disk 91% full", "user alice logged in", "shutdown"]
ok = got["screen"] == everything and got["archive"] == everything and got["late"] == ["shutdown"]
print("OK" if ok else "FAILED: fanout did not copy every message to every bound queue")
sys.exit(0 if ok else 1)
