"""CONCEPT: retention (notes II, Message Persistence). Consuming deletes nothing; instead the broker
deletes whole old segments while the partition is larger than retention.bytes (or when they
are older than retention.ms). The log start offset then moves up and older offsets can no longer be read.
Usage: kafka_4_retention.py [HOST:PORT]   (or KAFKA_ADDR; default 127.0.0.1:9092). Retention runs
every log.retention.check.interval.ms (5 minutes by default): start the broker with e.g. 200.
READ NEXT: minikafka/storage/partition_log.hpp (enforce_retention), then docs/minirabbit/."""
import os, sys, time, uuid
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

bootstrap = (sys.argv[1:] or [os.environ.get("KAFKA_ADDR", "127.0.0.1:9092")])[0]
topic = f"tutorial-metrics-{uuid.uuid4().hex[:8]}"
admin = AdminClient({"bootstrap.servers": bootstrap})
# Tiny segments (and below a tiny size limit), so that the demo does not need gigabytes or a week.
admin.create_topics([NewTopic(topic, 1, 1, config={"segment.bytes": "1024"})])[topic].result(30)
producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
for n in range(40):
    producer.produce(topic, value=f"reading {n} ".ljust(100, "."))
    if n % 5 == 4:
        producer.flush(30)  # one small batch at a time: several segments
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "tutorial-" + topic,
                     "auto.offset.reset": "earliest"})  # what to do when an offset no longer exists
partition = TopicPartition(topic, 0)
start, end = consumer.get_watermark_offsets(partition, timeout=10)
print(f"produced 40 records: offsets {start}..{end - 1}")
# Now limit the partition to ~2 KB (AlterConfigs sets a topic's whole config: repeat segment.bytes).
limit = ConfigResource(ConfigResource.Type.TOPIC, topic,
                       set_config={"segment.bytes": "1024", "retention.bytes": "2048"})
admin.alter_configs([limit])[limit].result(30)
deadline = time.monotonic() + 20
while start == 0 and time.monotonic() < deadline:  # wait for a retention run
    time.sleep(0.2)
    start, end = consumer.get_watermark_offsets(partition, timeout=10)
print(f"after retention.bytes: the log starts at offset {start}; offsets 0..{start - 1} are gone")
consumer.assign([TopicPartition(topic, 0, 0)])  # ask for offset 0: it no longer exists
first = None
while first is None and time.monotonic() < deadline:
    msg = consumer.poll(0.5)
    if msg is not None and not msg.error():
        first = msg.offset()
consumer.close()
print(f"a consumer asking for offset 0 is moved to the earliest offset left: {first}")
ok = 0 < start < end == 40 and first == start
print("OK" if ok else "FAILED: retention did not delete the old segments")
sys.exit(0 if ok else 1)
