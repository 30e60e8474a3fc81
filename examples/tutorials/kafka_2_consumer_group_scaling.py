"""CONCEPT: consumer groups (notes II, Scalability). Consumers sharing a group.id split a topic's
partitions between them; when a member joins, the group coordinator rebalances, and each partition
then has exactly one owner. Partitions are the unit of parallelism.
Usage: kafka_2_consumer_group_scaling.py [HOST:PORT]   (or KAFKA_ADDR; default 127.0.0.1:9092)
READ NEXT: docs/minikafka/03-consumer-groups.md, then kafka_3_replay_from_offset.py."""
import os, sys, time, uuid
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = (sys.argv[1:] or [os.environ.get("KAFKA_ADDR", "127.0.0.1:9092")])[0]
topic = f"tutorial-clicks-{uuid.uuid4().hex[:8]}"
admin = AdminClient({"bootstrap.servers": bootstrap})
admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])[topic].result(30)
config = {"bootstrap.servers": bootstrap, "group.id": "tutorial-" + topic, "auto.offset.reset": "earliest",
          "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
members, owned, consumed = {}, {}, {}


def join(name):
    members[name] = Consumer(config)
    def on_assign(consumer, partitions):  # called after each rebalance with the member's new share
        owned[name] = sorted(p.partition for p in partitions)
    members[name].subscribe([topic], on_assign=on_assign)


def poll_until(done, seconds=30):
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        for name, consumer in members.items():  # each member must keep polling to take part
            msg = consumer.poll(0.05)
            if msg is not None and not msg.error():
                consumed.setdefault(name, set()).add(msg.value())


join("member-1")
poll_until(lambda: len(owned.get("member-1", [])) == 4)
print(f"one member owns {owned.get('member-1')}")
join("member-2")
poll_until(lambda: len(owned.get("member-1", [])) == 2 and len(owned.get("member-2", [])) == 2)
print(f"after member-2 joined: member-1 owns {owned.get('member-1')}, member-2 owns {owned.get('member-2')}")
producer = Producer({"bootstrap.servers": bootstrap})
for n in range(40):
    producer.produce(topic, key=f"user{n}", value=str(n))
producer.flush(30)
poll_until(lambda: len(set.union(set(), *consumed.values())) == 40)
print("records consumed per member:", {name: len(v) for name, v in sorted(consumed.items())})
for consumer in members.values():
    consumer.close()
split = sorted(owned.get("member-1", []) + owned.get("member-2", [])) == [0, 1, 2, 3]
ok = split and len(set.union(set(), *consumed.values())) == 40 and len(consumed) == 2
print("OK" if ok else "FAILED: the group did not share the partitions")
sys.exit(0 if ok else 1)
