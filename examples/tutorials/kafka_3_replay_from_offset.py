"""CONCEPT: replay (notes II, Durability; Q1's auditor). Reading does not remove anything: a
consumer group only stores how far it got (its committed offset), and any consumer may go back to
an older offset and read the same records again - for an audit, or to rebuild a broken view.
Usage: kafka_3_replay_from_offset.py [HOST:PORT]   (or KAFKA_ADDR; default 127.0.0.1:9092)
READ NEXT: minikafka/handlers/offsets.cpp, then kafka_4_retention.py."""
import os, sys, time, uuid
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = (sys.argv[1:] or [os.environ.get("KAFKA_ADDR", "127.0.0.1:9092")])[0]
topic = f"tutorial-ledger-{uuid.uuid4().hex[:8]}"
admin = AdminClient({"bootstrap.servers": bootstrap})
admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
for n in range(10):
    producer.produce(topic, value=f"entry {n}")
producer.flush(30)


def read(start, count):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "tutorial-" + topic, "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, start)])
    got, deadline = [], time.monotonic() + 20
    while len(got) < count and time.monotonic() < deadline:
        msg = c.poll(0.5)
        if msg is not None and not msg.error():
            got.append(msg.offset())
    if got:
        c.commit(offsets=[TopicPartition(topic, 0, got[-1] + 1)], asynchronous=False)  # "done up to here"
    committed = c.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
    c.close()
    return got, committed


first, committed = read(0, 10)
print(f"first pass read offsets {first}; the group committed {committed}")
again, _ = read(4, 6)
print(f"replay from offset 4 read {again}")
audit, _ = read(0, 10)
print(f"an audit from offset 0 reads all {len(audit)} records again")
ok = first == list(range(10)) and committed == 10 and again == list(range(4, 10)) and audit == first
print("OK" if ok else "FAILED: the records could not be read again")
sys.exit(0 if ok else 1)
