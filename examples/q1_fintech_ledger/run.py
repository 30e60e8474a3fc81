"""Q1 - a fintech ledger on Kafka (confluent-kafka / librdkafka): transactions keyed by account, so
each account's transactions share a partition and keep their order even with many producers; a
consumer computes balances; an auditor replays the log from offset 0 and gets the same balances;
the broker is killed mid-stream and restarted, and nothing acknowledged is lost. Runs against
minikafka by default; `--broker HOST:PORT` runs the same client code against a Kafka cluster.
`--cluster`: three minikafka nodes, the topic replicated three times (min.insync.replicas=2); the
leader of partition 0 is killed mid-stream and NOT restarted until the producers are done - the
other two elect new leaders, the producers carry on, and nothing acknowledged is lost."""
import argparse
import concurrent.futures
import json
import logging
import os
import random
import sys
import threading
import time
import uuid

# tests/support/brokers.py starts the mini or the real broker (the same harness the tests use).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from brokers import Broker, KafkaCluster, add_broker_argument  # noqa: E402

failures = []
PARTITIONS = 4


def expect(condition, what):
    print(f"  [{'ok' if condition else 'FAILED'}] {what}")
    if not condition:
        failures.append(what)


class ClientLog(logging.Handler):
    """librdkafka's own log, collected instead of printed to stderr. When a broker dies, every
    client writes a few lines per connection, and the first one reads "Disconnected: verify that
    security.protocol is correctly configured, broker might require SASL authentication" - its
    guess for any connection closed without a word, which here just means "the broker is gone".
    The demo counts these lines and tells that story in one sentence instead."""

    def __init__(self):
        super().__init__()
        self.disconnected = self.refused = self.other = 0
        self.logger = logging.getLogger("librdkafka")
        self.logger.addHandler(self)
        self.logger.setLevel(logging.INFO)  # "Disconnected" comes at librdkafka's level 6 (info)
        self.logger.propagate = False  # nothing from here reaches the terminal

    def emit(self, record):
        text = record.getMessage()
        if "Disconnected" in text:
            self.disconnected += 1
        elif "Connection refused" in text:
            self.refused += 1
        else:
            self.other += 1


CLIENT_LOG = ClientLog()


def create_topic(bootstrap, topic, replication_factor=1, config=None):
    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": CLIENT_LOG.logger})
    # A cluster that has just formed may still count a broker out (its registration or first
    # heartbeat not yet committed): INVALID_REPLICATION_FACTOR then, as Kafka answers. And a
    # request sent while the controller changes may go unanswered until the client's timeout.
    # Ask again; if an earlier request did create the topic, the answer is TOPIC_ALREADY_EXISTS.
    deadline = time.monotonic() + 60
    while True:
        futures = admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS,
                                                replication_factor=replication_factor, config=config or {})])
        try:
            for f in futures.values():
                f.result(15)
            return
        except KafkaException as e:
            if "TOPIC_ALREADY_EXISTS" in str(e):
                return
            if "INVALID_REPLICATION_FACTOR" not in str(e) or time.monotonic() > deadline:
                raise
            print(f"  (CreateTopics refused while the cluster forms: {e.args[0].str()}; asking again)")
        except concurrent.futures.TimeoutError:
            if time.monotonic() > deadline:
                raise
            print("  (CreateTopics unanswered for 15 s; asking again)")
        time.sleep(0.5)


def produce_transactions(bootstrap, topic, producers, per_producer, accounts, crash):
    """Several producers write transactions; returns {txn_id: txn} for every acknowledged one."""
    acknowledged = {}
    produced = [0]
    lock = threading.Lock()

    def producer_thread(index):
        p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                      "message.timeout.ms": 60000, "retry.backoff.ms": 100, "logger": CLIENT_LOG.logger})
        rng = random.Random(index)

        def on_delivery(err, msg):
            if err is None:  # the broker acknowledged it: from now on it must never be lost
                txn = json.loads(msg.value())
                with lock:
                    acknowledged[txn["id"]] = txn

        for i in range(per_producer):
            account = rng.choice(accounts)
            amount = rng.choice([100, 250, -50, -75, 1000, -300])
            txn = {"id": str(uuid.UUID(int=rng.getrandbits(128))), "account": account, "amount": amount,
                   "producer": index, "n": i}
            # The key decides the partition: one account -> one partition -> one order.
            p.produce(topic, key=account, value=json.dumps(txn), on_delivery=on_delivery)
            with lock:
                produced[0] += 1
            p.poll(0)
            if i % 10 == 0:
                time.sleep(0.002)  # a steady stream rather than one burst, so the crash lands mid-stream
        p.flush(120)

    threads = [threading.Thread(target=producer_thread, args=(i,)) for i in range(producers)]
    for t in threads:
        t.start()
    killed_at = None
    if crash is not None:
        total = producers * per_producer
        # A third of the stream handed to the producers: two thirds are still to be sent, so the
        # crash lands mid-stream. (Counting acknowledgements would not do: delivery reports reach
        # the application late on a busy machine, when the broker may have answered everything.)
        while produced[0] < total // 3:
            time.sleep(0.001)
        with lock:
            killed_at = len(acknowledged)
        what = crash()  # mid-stream: producers see errors and retry
        print(f"  {what}, with {killed_at} of {total} transactions acknowledged")
    for t in threads:
        t.join()
    if killed_at is not None:
        print(f"  a broker gone, producers retrying: librdkafka logged {CLIENT_LOG.disconnected} 'Disconnected'"
              f" and {CLIENT_LOG.refused} 'Connection refused' lines (kept off the terminal)\n"
              "  (its hint 'broker might require SASL authentication' is a guess for any connection closed"
              " without a word: here the broker had simply died)")
        expect(CLIENT_LOG.disconnected + CLIENT_LOG.refused > 0,
               "the producers noticed the broker go away and reconnected")
        expect(killed_at < producers * per_producer, "the broker was killed while transactions were in flight")
    return acknowledged


def check_balances(bootstrap, topic, acknowledged, during):
    """Reads the topic in a consumer group and checks it against what was acknowledged: nothing
    missing, per-account order, the same balances. Returns the balances read."""
    balances, seen, in_order = read_balances(bootstrap, topic, f"balances-{topic}")
    lost = set(acknowledged) - seen
    print(f"  read {len(seen)} distinct transactions; {len(lost)} acknowledged ones missing")
    expect(not lost, f"nothing acknowledged was lost {during}")
    expect(in_order, "each account's transactions arrived in the order they were sent")
    expected = {}
    for txn in acknowledged.values():
        expected[txn["account"]] = expected.get(txn["account"], 0) + txn["amount"]
    expect(balances == expected, "balances match the acknowledged transactions")
    return balances


def read_balances(bootstrap, topic, group, from_start_by_assignment=False):
    """Consumes the whole topic; returns balances, records seen and whether per-account order held."""
    conf = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": True, "logger": CLIENT_LOG.logger}
    c = Consumer(conf)
    if from_start_by_assignment:
        # The auditor: no group offsets at all, just "every partition from offset 0".
        c.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    else:
        c.subscribe([topic])
    balances, seen, last_n = {}, set(), {}
    in_order = True
    # Up to 60 s for the first record (joining a group takes a coordinator first: on a cluster the
    # __consumer_offsets topic is created and its partition loaded, then the group's first
    # rebalance waits group.initial.rebalance.delay.ms), then done after 5 s without one.
    idle_since, patience = time.monotonic(), 60
    while time.monotonic() - idle_since < patience:
        msg = c.poll(0.5)
        if msg is None or msg.error():
            continue
        idle_since, patience = time.monotonic(), 5
        txn = json.loads(msg.value())
        if txn["id"] in seen:
            continue  # a retried send written twice: apply each transaction once
        seen.add(txn["id"])
        balances[txn["account"]] = balances.get(txn["account"], 0) + txn["amount"]
        # Order check: within one producer, an account's transactions must appear in send order.
        key = (txn["account"], txn["producer"])
        if last_n.get(key, -1) > txn["n"]:
            in_order = False
        last_n[key] = txn["n"]
    c.close()
    return balances, seen, in_order


def restart_broker(broker):
    """One broker: kill -9, and start it again on the same data half a second later."""
    def crash():
        broker.kill9()
        time.sleep(0.5)
        broker.start()
        return "the broker was killed (kill -9) and restarted"
    return crash


def leaders(bootstrap, topic):
    md = AdminClient({"bootstrap.servers": bootstrap, "logger": CLIENT_LOG.logger}).list_topics(topic, timeout=10)
    return {p: info.leader for p, info in sorted(md.topics[topic].partitions.items())}


def kill_a_leader(cluster, topic, killed):
    """A cluster: kill -9 the node leading partition 0, and leave it dead."""
    def crash():
        before = leaders(cluster.bootstrap, topic)
        victim = before[0]
        cluster.node(victim).kill9()
        killed.append((victim, before))
        led = [p for p, leader in before.items() if leader == victim]
        return f"node {victim}, leader of partitions {led}, was killed (kill -9) and stays down"
    return crash


def run_cluster(args):
    """--cluster: the ledger on three replicating nodes; a partition leader dies mid-stream."""
    with KafkaCluster() as cluster:
        bootstrap = cluster.bootstrap
        topic = f"transactions-{uuid.uuid4().hex[:6]}"
        print(f"Q1 against a 3-node minikafka cluster ({bootstrap}), topic {topic}: {PARTITIONS} partitions,"
              " 3 replicas each, min.insync.replicas=2")
        # No fsync per append here: an acks=all record is acknowledged once all three replicas hold
        # it (two at least); a dead node loses nothing the others have.
        create_topic(bootstrap, topic, replication_factor=3, config={"min.insync.replicas": "2"})
        accounts = [f"acct-{i:03}" for i in range(40)]
        producers, per_producer = (3, 1000) if args.quick else (6, 20000)
        print(f"  leaders: {leaders(bootstrap, topic)} (partition: node)")

        print(f"\n1. {producers} producers write transactions keyed by account (acks=all)")
        start = time.monotonic()
        killed = []
        acknowledged = produce_transactions(bootstrap, topic, producers, per_producer, accounts,
                                            kill_a_leader(cluster, topic, killed))
        print(f"  {len(acknowledged)} acknowledged in {time.monotonic() - start:.1f} s, one node down")
        expect(len(acknowledged) == producers * per_producer, "every transaction was eventually acknowledged")
        victim, before = killed[0]
        # The producers retried until the new leaders took their records; metadata from a broker
        # may still be a moment behind the controller: ask until it names the new leaders.
        deadline = time.monotonic() + 30
        after = leaders(bootstrap, topic)
        while any(leader in (victim, -1) for leader in after.values()) and time.monotonic() < deadline:
            time.sleep(0.2)
            after = leaders(bootstrap, topic)
        print(f"  leaders: {before} before the kill, {after} after")
        expect(all(leader != victim and leader >= 0 for leader in after.values()),
               f"every partition node {victim} led has a new leader among the survivors")

        print("\n2. A consumer group computes balances (from the two survivors)")
        balances = check_balances(bootstrap, topic, acknowledged, "when a partition leader died")

        print(f"\n3. Node {victim} restarts, catches up from the new leaders; the auditor replays from offset 0")
        cluster.node(victim).start()
        expect(cluster.wait_for_brokers(3), f"node {victim} registered again")
        audit, _, _ = read_balances(bootstrap, topic, f"audit-{topic}", from_start_by_assignment=True)
        expect(audit == balances, "replaying from offset 0 gives exactly the same balances")
    print(f"\n{'all expectations held' if not failures else f'{len(failures)} expectation(s) failed'}")
    sys.exit(1 if failures else 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_broker_argument(parser, "kafka")
    parser.add_argument("--cluster", action="store_true",
                        help="three minikafka nodes, RF 3; a partition leader is killed mid-stream")
    args = parser.parse_args()
    if args.cluster:
        run_cluster(args)
    # Flush every append before acknowledging it: acks=all then means "on disk", as the
    # durability this ledger needs. (A Kafka cluster gets the same from replication.)
    durable = ["--log.flush.interval.messages", "1"]
    with Broker("kafka", args.broker, mini_args=durable) as broker:
        bootstrap = f"{broker.host}:{broker.port}"
        topic = f"transactions-{uuid.uuid4().hex[:6]}"
        print(f"Q1 against {broker.name} on {bootstrap}, topic {topic} with {PARTITIONS} partitions")
        create_topic(bootstrap, topic)
        accounts = [f"acct-{i:03}" for i in range(40)]
        producers, per_producer = (3, 1000) if args.quick else (6, 20000)

        print(f"\n1. {producers} producers write transactions keyed by account (acks=all)")
        start = time.monotonic()
        acknowledged = produce_transactions(bootstrap, topic, producers, per_producer, accounts,
                                            restart_broker(broker) if broker.can_crash else None)
        print(f"  {len(acknowledged)} acknowledged in {time.monotonic() - start:.1f} s")
        expect(len(acknowledged) == producers * per_producer, "every transaction was eventually acknowledged")

        print("\n2. A consumer group computes balances")
        balances = check_balances(bootstrap, topic, acknowledged, "across the broker crash")

        print("\n3. The auditor replays the log from offset 0")
        audit, _, _ = read_balances(bootstrap, topic, f"audit-{topic}", from_start_by_assignment=True)
        expect(audit == balances, "replaying from offset 0 gives exactly the same balances")
        for account in accounts[:3]:
            print(f"  {account}: {balances.get(account, 0):>8}")
    print(f"\n{'all expectations held' if not failures else f'{len(failures)} expectation(s) failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
