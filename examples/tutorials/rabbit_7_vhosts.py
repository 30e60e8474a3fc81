"""CONCEPT: virtual hosts (notes III). One broker, several isolated namespaces: a queue named
"orders" in vhost shop-a and one in shop-b are different queues, and a user may only open the
vhosts it has permissions on. Vhosts are created through the management HTTP API.
Usage: rabbit_7_vhosts.py [HOST:PORT [ADMIN_HOST:ADMIN_PORT]]   (or RABBITMQ_ADDR, RABBITMQ_ADMIN;
defaults 127.0.0.1:5672 and 127.0.0.1:15672; minirabbit needs --admin-port, RabbitMQ the
rabbitmq_management plugin)
READ NEXT: minirabbit/model/vhost.hpp, minirabbit/model/users.cpp, then rabbit_8_dead_letters.py."""
import base64, json, os, sys, urllib.request, uuid
import pika
from pika.exceptions import ChannelClosedByBroker

host, _, port = (sys.argv[1:] or [os.environ.get("RABBITMQ_ADDR", "127.0.0.1:5672")])[0].rpartition(":")
admin = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("RABBITMQ_ADMIN", "127.0.0.1:15672")
auth = "Basic " + base64.b64encode(b"guest:guest").decode()


def api(method, path, body=None):  # the management API: HTTP + JSON, basic auth
    data = json.dumps(body).encode() if body is not None else None
    urllib.request.urlopen(urllib.request.Request(f"http://{admin}/api/{path}", data, method=method, headers={
        "Authorization": auth, "Content-Type": "application/json"}), timeout=10).close()


suffix = uuid.uuid4().hex[:8]
shops = [f"shop-a-{suffix}", f"shop-b-{suffix}"]
for vhost in shops:
    api("PUT", f"vhosts/{vhost}", {})
    api("PUT", f"permissions/{vhost}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
conn = {v: pika.BlockingConnection(pika.ConnectionParameters(host, int(port), v)) for v in shops}
a, b = conn[shops[0]].channel(), conn[shops[1]].channel()
a.queue_declare("orders")
a.basic_publish("", "orders", "order from shop a")
b.queue_declare("orders")  # same name, other vhost: another queue
in_a = a.queue_declare("orders", passive=True).method.message_count
in_b = b.queue_declare("orders", passive=True).method.message_count
print(f"'orders' in {shops[0]} holds {in_a} message(s), 'orders' in {shops[1]} holds {in_b}")
a.queue_declare("only-in-a")
try:
    b.queue_declare("only-in-a", passive=True)  # does it exist in b? It must not.
    isolated = False
except ChannelClosedByBroker as e:
    isolated = e.reply_code == 404
print(f"a queue declared in {shops[0]} is NOT_FOUND in {shops[1]}: {isolated}")
for v in shops:
    conn[v].close()
    api("DELETE", f"vhosts/{v}")  # deleting a vhost deletes everything in it
ok = in_a == 1 and in_b == 0 and isolated
print("OK" if ok else "FAILED: the vhosts were not isolated")
sys.exit(0 if ok else 1)
