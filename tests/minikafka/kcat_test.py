"""kcat (librdkafka 2.0.2) against minikafka: metadata listing, produce, consume; the --trace switch
and the admin endpoint's /api while kcat drives the broker."""
import json
import re
import subprocess
import urllib.request
import unittest

import tap
from servers import Server, wait_until


def kcat(port, *args, input=None, timeout=30):
    return subprocess.run(["kcat", "-b", f"127.0.0.1:{port}", *args], input=input, capture_output=True,
                          text=True, timeout=timeout)


class KcatMetadata(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIKAFKA_BIN", "--num.partitions", "3")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_list_metadata_shows_the_broker(self):
        out = kcat(self.server.port, "-L")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"broker 0 at 127.0.0.1:{self.server.port} (controller)", out.stdout)

    def test_asking_for_a_topic_auto_creates_it_with_num_partitions(self):
        out = kcat(self.server.port, "-L", "-t", "auto-created")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('topic "auto-created" with 3 partitions', out.stdout)
        for p in range(3):
            self.assertIn(f"partition {p}, leader 0", out.stdout)
        listing = kcat(self.server.port, "-L").stdout
        self.assertIn('topic "auto-created" with 3 partitions', listing)


class KcatProduceConsume(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIKAFKA_BIN")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def produce(self, topic, lines, *extra):
        out = kcat(self.server.port, "-P", "-t", topic, *extra, input="".join(f"{l}\n" for l in lines))
        self.assertEqual(out.returncode, 0, out.stderr)

    def consume(self, topic, *offset_args):
        out = kcat(self.server.port, "-C", "-t", topic, *offset_args, "-e", "-f", "%p %o %k=%s\n")
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
