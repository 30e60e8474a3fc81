"""The benchmark's load tool (benchmarks/minirabbit/amqp_load) against minirabbit, small: every
scenario, with rabbitmq-c's publish and with the batched publisher (frames encoded by the tool
itself), must deliver every message exactly once and in order. The benchmark's figures are only
worth something if this holds."""
import json
import os
import subprocess

import pika
import tap
from cases import MinirabbitTest


class LoadTool(MinirabbitTest):
    def run_load(self, scenario, batch, messages=3000):
        out = subprocess.run([os.environ["AMQP_LOAD_BIN"], "--port", str(self.server.port), "--scenario", scenario,
                              "--messages", str(messages), "--batch", str(batch)],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def check_scenario(self, scenario, producers):
        for batch in (1, 32):
            with self.subTest(batch=batch):
                r = self.run_load(scenario, batch)
                self.assertEqual(r["received"], 3000 * producers)
                self.assertEqual((r["lost"], r["duplicates"], r["out_of_order"]), (0, 0, 0))

    def test_transient(self):
        self.check_scenario("transient", 1)

    def test_persistent_with_confirms(self):
        self.check_scenario("persistent", 1)

    def test_topic_four_producers(self):
        self.check_scenario("topic", 4)

    def test_batched_publishes_arrive_as_published_messages(self):
        # The tool's own frame encoder must produce what rabbitmq-c would: a message basic.get finds
        # with the declared delivery mode and body size.
        self.run_load("fill", 32, messages=100)
        with pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", self.server.port)) as connection:
            channel = connection.channel()
            method, properties, body = channel.basic_get("bench-fill", auto_ack=True)
            self.assertEqual(method.routing_key, "bench-fill")
            self.assertEqual(properties.delivery_mode, 1)
            self.assertEqual(len(body), 100)
            self.assertEqual(int.from_bytes(body[4:12], "little"), 0)  # sequence number of the first message
            self.assertEqual(channel.queue_declare("bench-fill", passive=True).method.message_count, 99)


if __name__ == "__main__":
    tap.main()
