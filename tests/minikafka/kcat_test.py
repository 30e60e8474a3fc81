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


if __name__ == "__main__":
    tap.main()
