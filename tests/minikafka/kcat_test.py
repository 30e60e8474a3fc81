"""kcat (librdkafka 2.0.2) against minikafka: metadata listing, produce, consume."""
import subprocess
import unittest

import tap
from servers import Server


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


if __name__ == "__main__":
    tap.main()
