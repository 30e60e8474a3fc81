"""minikafka loads Kafka's own server.properties (server_properties.cpp): the KRaft sample next to
this test (tests/minikafka/server.properties, the shape Kafka ships as config/kraft/server.properties)
starts a combined broker+controller node unchanged, with kafka-server-start.sh's `--override
name=value` for what a test must change (ports, directories). Implemented properties take effect,
Kafka-only ones are listed in one warning line, unknown ones are refused naming file:line."""
import os
import shutil
import tempfile
import unittest

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource

import tap
from servers import Server, free_ports, run_to_exit

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server.properties")


class StockFile(unittest.TestCase):
    def test_sample_loads_and_its_properties_take_effect(self):
        tmp = tempfile.mkdtemp(prefix="minibrokers-props-")
        controller = free_ports(1)[0]
        first, second = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        try:
            with Server("MINIKAFKA_BIN",
                        "--override", f"listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:{controller}",
                        "--override", f"controller.quorum.voters=1@127.0.0.1:{controller}",
                        "--override", "advertised.listeners=",  # = the bound PLAINTEXT listener
                        "--override", f"log.dirs={first},{second}",  # after --dir: wins, first dir used
                        "--override", "num.partitions=3",
                        config=SAMPLE) as kafka:
                warnings = [line for line in kafka.log_lines if "not implemented here, ignored" in line]
                self.assertEqual(len(warnings), 1, kafka.log())
                for name in ("num.network.threads", "listener.security.protocol.map",
                             "transaction.state.log.replication.factor", "transaction.state.log.min.isr"):
                    self.assertIn(name, warnings[0])
                self.assertNotIn("log.dirs", warnings[0])
                self.assertNotIn("offsets.topic.replication.factor", warnings[0])  # a real setting now
                bootstrap = f"127.0.0.1:{kafka.port}"
                producer = Producer({"bootstrap.servers": bootstrap})
                producer.produce("auto-made", b"hello")
                self.assertEqual(producer.flush(30), 0)
                admin = AdminClient({"bootstrap.servers": bootstrap})
                topic = admin.list_topics("auto-made", timeout=10).topics["auto-made"]
                self.assertEqual(len(topic.partitions), 3)  # num.partitions
            self.assertTrue(any(name.startswith("auto-made-") for name in os.listdir(first)), os.listdir(first))
            self.assertFalse(os.path.exists(second))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class SingleNode(unittest.TestCase):
    def test_retention_hours_and_listeners_in_single_node_mode(self):
        # Without a quorum (voters emptied) the same file runs one plain broker; its listeners=
        # still names the client port, and log.retention.hours becomes every topic's retention.ms.
        port = free_ports(1)[0]
        with Server("MINIKAFKA_BIN", "--override", "controller.quorum.voters=", "--override", "process.roles=",
                    "--override", f"listeners=PLAINTEXT://127.0.0.1:{port}", "--override", "log.retention.hours=2",
                    config=SAMPLE) as kafka:
            self.assertEqual(kafka.port, port)  # listeners= came after --port 0: it wins
            bootstrap = f"127.0.0.1:{kafka.port}"
            producer = Producer({"bootstrap.servers": bootstrap})
            producer.produce("aging", b"x")
            self.assertEqual(producer.flush(30), 0)
            admin = AdminClient({"bootstrap.servers": bootstrap})
            resource = ConfigResource(ConfigResource.Type.TOPIC, "aging")
            configs = admin.describe_configs([resource])[resource].result(10)
            self.assertEqual(configs["retention.ms"].value, str(2 * 3600 * 1000))
            self.assertEqual(configs["segment.bytes"].value, "1073741824")  # log.segment.bytes


class Refusals(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="minibrokers-props-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_unknown_property_is_refused_naming_file_and_line(self):
        path = os.path.join(self.tmp, "typo.properties")
        with open(path, "w") as f:
            f.write("# retention, misspelt\nlog.retension.ms=1000\n")
        status, output = run_to_exit("MINIKAFKA_BIN", self.tmp, config=path)
        self.assertEqual(status, 2, output)
        self.assertIn(f"{path}:2: unknown option 'log.retension.ms'", output)

    def test_override_needs_name_equals_value(self):
        status, output = run_to_exit("MINIKAFKA_BIN", self.tmp, "--override", "num.partitions")
        self.assertEqual(status, 2, output)
        self.assertIn("expected name=value", output)
        status, output = run_to_exit("MINIKAFKA_BIN", self.tmp, "--override", "no.such.property=1")
        self.assertEqual(status, 2, output)
        self.assertIn("unknown option '--no.such.property'", output)


if __name__ == "__main__":
    tap.main()
