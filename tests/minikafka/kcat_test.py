"""kcat (librdkafka 2.0.2) against minikafka: metadata listing, produce, consume; the --trace switch
and the admin endpoint's /api while kcat drives the broker. Registered twice: against one node and
(MINIKAFKA_NODES=3) against a 3-node cluster whose topics have three replicas (kafka_target.py)."""
import json
import re
import subprocess
import urllib.request
import unittest

import kafka_target
import tap
from servers import Server, wait_until


def kcat(bootstrap, *args, input=None, timeout=30):
    """bootstrap: a port, or "host:port,host:port" (a cluster)."""
    if isinstance(bootstrap, int):
        bootstrap = f"127.0.0.1:{bootstrap}"
    return subprocess.run(["kcat", "-b", bootstrap, *args], input=input, capture_output=True,
                          text=True, timeout=timeout)


class KcatMetadata(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = kafka_target.start("--num.partitions", "3")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_list_metadata_shows_the_broker(self):
        out = kcat(self.server.bootstrap, "-L")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"{len(self.server.nodes)} brokers:", out.stdout)
        for node_id, node in zip(self.server.broker_ids, self.server.nodes):
            self.assertIn(f"broker {node_id} at 127.0.0.1:{node.port}", out.stdout)
        controllers = re.findall(r"broker (\d+) at \S+ \(controller\)", out.stdout)
        self.assertEqual(len(controllers), 1, out.stdout)
        self.assertIn(int(controllers[0]), self.server.broker_ids)

    def test_asking_for_a_topic_auto_creates_it_with_num_partitions(self):
        # A cluster's first answer may be LEADER_NOT_AVAILABLE (the controller is still
        # committing the topic), as Kafka answers it; kcat prints it, a producer would retry.
        out = wait_until(lambda: (o := kcat(self.server.bootstrap, "-L", "-t", "auto-created")) and
                         "Leader not available" not in o.stdout and o, timeout=10)
        self.assertIsNotNone(out)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('topic "auto-created" with 3 partitions', out.stdout)
        rf = self.server.replication_factor
        for p in range(3):
            # Every partition is led and fully replicated (default.replication.factor).
            line = re.search(rf"partition {p}, leader (\d+), replicas: ([\d,]+), isrs: ([\d,]+)", out.stdout)
            self.assertIsNotNone(line, out.stdout)
            self.assertIn(int(line.group(1)), self.server.broker_ids)
            self.assertEqual(sorted(int(r) for r in line.group(2).split(",")), self.server.broker_ids)
            self.assertEqual(len(line.group(3).split(",")), rf)
        listing = kcat(self.server.bootstrap, "-L").stdout
        self.assertIn('topic "auto-created" with 3 partitions', listing)


class KcatProduceConsume(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = kafka_target.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def produce(self, topic, lines, *extra):
        out = kcat(self.server.bootstrap, "-P", "-t", topic, "-X", "acks=all", *extra, input="".join(f"{l}\n" for l in lines))
        self.assertEqual(out.returncode, 0, out.stderr)

    def consume(self, topic, *offset_args):
        out = kcat(self.server.bootstrap, "-C", "-t", topic, *offset_args, "-e", "-f", "%p %o %k=%s\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.splitlines()

    def test_produce_then_consume_from_beginning_and_from_the_end(self):
        self.produce("lines", [f"line{i}" for i in range(10)])
        self.assertEqual(self.consume("lines", "-o", "beginning"), [f"0 {i} =line{i}" for i in range(10)])
        self.assertEqual(self.consume("lines", "-o", "-3"), [f"0 {i} =line{i}" for i in range(7, 10)])
        self.assertEqual(self.consume("lines", "-o", "end"), [])
        self.assertEqual(self.consume("lines", "-o", "4", "-c", "2"), ["0 4 =line4", "0 5 =line5"])

    def test_keyed_and_compressed_batches_come_back_verbatim(self):
        for i, codec in enumerate(["none", "gzip", "snappy", "lz4", "zstd"]):
            self.produce("codecs", [f"{codec}:value{i}"], "-K", ":", "-z", codec)
        self.assertEqual(self.consume("codecs", "-o", "beginning"),
                         ["0 0 none=value0", "0 1 gzip=value1", "0 2 snappy=value2", "0 3 lz4=value3",
                          "0 4 zstd=value4"])


@unittest.skipIf(kafka_target.NODES > 1, "the trace lines and /api/topics of one node")
class TraceAndAdminApi(unittest.TestCase):
    def test_trace_is_off_by_default_and_toggles_at_runtime(self):
        with Server("MINIKAFKA_BIN", "--admin-port", "0") as server:
            base = f"http://127.0.0.1:{server.admin_port}/api"

            def call(path, body=None):
                request = urllib.request.Request(base + path, data=body, method="PUT" if body else "GET")
                with urllib.request.urlopen(request, timeout=10) as response:
                    return json.loads(response.read())

            self.assertEqual(call("/trace"), {"trace": False})
            kcat(server.port, "-P", "-t", "quiet", input="one\n")
            self.assertNotIn("trace:", server.log())
            self.assertEqual(call("/trace", b'{"trace":true}'), {"trace": True})
            kcat(server.port, "-P", "-t", "quiet", input="two\n")
            line = re.compile(r"produce topic=quiet partition=0 records=1 -> segment 00000000000000000000.log "
                              r"@ (\d+) -> offset 1")
            found = wait_until(lambda: line.search(server.log()))
            self.assertTrue(found, server.log())
            position = int(found.group(1))  # the second batch starts where the first one ends
            kcat(server.port, "-C", "-t", "quiet", "-o", "1", "-e")
            self.assertTrue(wait_until(lambda: "fetch topic=quiet partition=0 offset=1 -> segment "
                                                f"00000000000000000000.log @ {position}" in server.log()),
                            server.log())
            self.assertEqual(call("/trace", b'{"trace":false}'), {"trace": False})
            [topic] = call("/topics")
            self.assertEqual(topic["name"], "quiet")
            [partition] = topic["partitions"]
            self.assertEqual((partition["log_start_offset"], partition["log_end_offset"], partition["segments"]),
                             (0, 2, 1))
            self.assertGreater(partition["bytes"], position)

    def test_trace_option_on_the_command_line(self):
        with Server("MINIKAFKA_BIN", "--trace", "true") as server:
            kcat(server.port, "-L")
            self.assertTrue(wait_until(lambda: "trace: Metadata v4" in server.log()), server.log())


if __name__ == "__main__":
    tap.main()
