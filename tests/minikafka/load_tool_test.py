"""The benchmark's load tool (benchmarks/minikafka/kafka_load) against minikafka, small: each mode
must account for every record - the producer's delivery reports, the consumer reading them all
back from offset 0, the paced latency run - and the log must hold exactly what was produced. The
benchmark's figures are only worth something if this holds."""
import os
import subprocess
import unittest

import tap
from servers import Server


def kafka_load(port, *args):
    out = subprocess.run([os.environ["KAFKA_LOAD_BIN"], args[0], f"127.0.0.1:{port}", *map(str, args[1:])],
                         capture_output=True, text=True, timeout=90)
    lines = [line for line in out.stdout.splitlines() if "=" in line]
    return out.returncode, dict(field.split("=") for field in lines[-1].split()) if lines else {}, out.stderr


class LoadTool(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIKAFKA_BIN")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def end_offset(self, topic):
        out = subprocess.run(["kcat", "-b", f"127.0.0.1:{self.server.port}", "-Q", "-t", f"{topic}:0:-1"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return int(out.stdout.split()[-1])

    def test_produce_then_consume_every_record(self):
        for size, acks in ((100, "1"), (1000, "all")):
            with self.subTest(size=size, acks=acks):
                topic = f"load-{size}-{acks}"
                rc, r, err = kafka_load(self.server.port, "produce", topic, 20000, size, acks)
                self.assertEqual(rc, 0, err)
                self.assertEqual((r["records"], r["failed"]), ("20000", "0"))
                # The warm-up record comes first, so the log holds one more than the measured run.
                self.assertEqual(self.end_offset(topic), 20001)
                rc, r, err = kafka_load(self.server.port, "consume", topic, 20001, 30)
                self.assertEqual(rc, 0, err)
                self.assertEqual(r["records"], "20001")
                # MB/s is records/s times the record size (the figures are printed rounded).
                bytes_per_record = float(r["mb_per_s"]) * 1e6 / float(r["records_per_s"])
                self.assertAlmostEqual(bytes_per_record / size, 1, delta=0.01)

    def test_paced_latency_run_answers_every_record(self):
        rc, r, err = kafka_load(self.server.port, "latency", "paced", 5000, 2, 100, "1")
        self.assertEqual(rc, 0, err)
        self.assertEqual((r["records"], r["failed"]), ("10000", "0"))
        self.assertLessEqual(0, int(r["p50_us"]))
        self.assertLessEqual(int(r["p50_us"]), int(r["p99_us"]))
        self.assertLessEqual(int(r["p99_us"]), int(r["max_us"]))
        self.assertEqual(self.end_offset("paced"), 10001)


if __name__ == "__main__":
    tap.main()
