"""CONCEPT: producers, consumers, keys and ordering (notes II). A topic is split into partitions;
the producer hashes each record's key to pick one, so all records of one key land in one partition,
and a partition is an ordered log: per key, consumers see the order the producer wrote. Across
partitions there is no order at all.
Usage: kafka_1_keys_and_ordering.py [HOST:PORT]   (or KAFKA_ADDR; default 127.0.0.1:9092)
READ NEXT: docs/minikafka/01-follow-a-produce-and-fetch.md, then kafka_2_consumer_group_scaling.py."""
import os, sys, time, uuid
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = (sys.argv[1:] or [os.environ.get("KAFKA_ADDR", "127.0.0.1:9092")])[0]
topic = f"tutorial-payments-{uuid.uuid4().hex[:8]}"
admin = AdminClient({"bootstrap.servers": bootstrap})
admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[topic].result(30)
# murmur2 is the Java client's partitioner: the same key lands in the same partition from any client.
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "partitioner": "murmur2_random"})
accounts = ["alice", "bob", "carol", "dave", "erin"]
for seq in range(10):
    for account in accounts:
        producer.produce(topic, key=account, value=str(seq))  # payment number seq of this account
producer.flush(30)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "tutorial-" + topic})
consumer.assign([TopicPartition(topic, p, 0) for p in range(3)])  # read every partition from offset 0
order, partitions = {}, {}
deadline = time.monotonic() + 30
while sum(map(len, order.values())) < 50 and time.monotonic() < deadline:
    msg = consumer.poll(0.5)
    if msg is None or msg.error():
        continue
    key = msg.key().decode()
    order.setdefault(key, []).append(int(msg.value()))
    partitions.setdefault(key, set()).add(msg.partition())
consumer.close()
for account in accounts:
    print(f"{account:6} partition {sorted(partitions.get(account, []))}, payments in order {order.get(account)}")
ok = all(len(partitions.get(a, ())) == 1 and order.get(a) == list(range(10)) for a in accounts)
print("OK" if ok else "FAILED: a key's records were split across partitions or reordered")
sys.exit(0 if ok else 1)
