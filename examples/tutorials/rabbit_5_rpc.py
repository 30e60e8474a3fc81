"""CONCEPT: request/reply over queues (RPC; notes III, Routing). The client sends a request with
reply_to (its own exclusive queue) and a correlation_id; the server answers into reply_to and the
client matches each answer to its request by the id, so replies may come in any order.
Usage: rabbit_5_rpc.py [HOST:PORT]   (or RABBITMQ_ADDR; default 127.0.0.1:5672)
READ NEXT: minirabbit/handlers/basic_class.cpp (properties travel untouched), then rabbit_6_publisher_confirms.py."""
import os, sys, time, uuid
import pika

host, _, port = (sys.argv[1:] or [os.environ.get("RABBITMQ_ADDR", "127.0.0.1:5672")])[0].rpartition(":")
conn = pika.BlockingConnection(pika.ConnectionParameters(host=host, port=int(port)))
rpc_queue = f"tutorial-rpc-{uuid.uuid4().hex[:8]}"
server = conn.channel()  # the server side: in real life another process
server.queue_declare(rpc_queue, exclusive=True)


def on_request(ch, method, props, body):
    answer = str(sum(int(x) for x in body.split()))
    ch.basic_publish("", props.reply_to, answer, pika.BasicProperties(correlation_id=props.correlation_id))
    ch.basic_ack(method.delivery_tag)


server.basic_consume(rpc_queue, on_request)
client = conn.channel()
reply_queue = client.queue_declare("", exclusive=True).method.queue
answers = {}
client.basic_consume(reply_queue, lambda ch, m, props, body: answers.__setitem__(props.correlation_id, body.decode()),
                     auto_ack=True)
requests = {str(uuid.uuid4()): q for q in ("1 2 3", "40 2", "7")}
for cid, question in requests.items():
    client.basic_publish("", rpc_queue, question, pika.BasicProperties(reply_to=reply_queue, correlation_id=cid))
deadline = time.monotonic() + 10
while len(answers) < len(requests) and time.monotonic() < deadline:
    conn.process_data_events(0.1)
for cid, question in requests.items():
    print(f"sum of {question!r} = {answers.get(cid)}  (correlation id {cid[:8]})")
conn.close()
ok = [answers.get(cid) for cid in requests] == ["6", "42", "7"]
print("OK" if ok else "FAILED: not every request got its own answer")
sys.exit(0 if ok else 1)
