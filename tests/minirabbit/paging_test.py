"""A durable queue longer than its body budget (issue 24, model/queue.hpp "paging"): bodies of
persistent messages past --queue-body-budget stay only in the journal, so the broker's message
memory stays near the budget while the queue holds many times more, and a consumer still gets every
body, in order, read back from the journal. And a restart on such a journal does not need the
journal's size in RAM either: recovery maps the file and keeps only a window of it resident."""
import base64
import json
import re
import unittest
import urllib.request

import pika

import tap
from servers import Server, wait_until

MESSAGES = 1500
SIZE = 32 * 1024  # 1,500 x 32 KB = 48 MB of bodies against a 1 MB budget


def body_of(i):
    prefix = f"{i}:".encode()
    return prefix + bytes([65 + i % 26]) * (SIZE - len(prefix))


def api(port, path):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
        return json.loads(text) if path.startswith("/api") else text


def peak_resident(pid):
    """VmHWM: the most RAM the process ever held (kB -> bytes)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def message_memory(port):
    """The broker's own count of bytes held by messages (what the memory alarm adds up)."""
    metrics = api(port, "/metrics")
    return float(re.search(r"^minirabbit_message_memory_bytes (\S+)$", metrics, re.M).group(1))


class Paging(unittest.TestCase):
    def setUp(self):
        self.server = Server("MINIRABBIT_BIN", "--queue-body-budget", "1mb", "--admin-port", "0")

    def tearDown(self):
        self.server.close()

    def test_a_backlog_past_the_budget_stays_on_disk_and_drains_in_order(self):
        connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", self.server.port))
        channel = connection.channel()
        channel.queue_declare("deep", durable=True)
        persistent = pika.BasicProperties(delivery_mode=2)
        for i in range(MESSAGES):
            channel.basic_publish("", "deep", body_of(i), persistent)
        # A round trip on the same channel: every publish before it has been enqueued.
        self.assertEqual(channel.queue_declare("deep", durable=True, passive=True).method.message_count, MESSAGES)

        # Bodies leave RAM once the journal's fsync has covered them (the broker pages after each sync).
        def queue():
            return api(self.server.admin_port, "/api/queues/%2F/deep")
        self.assertTrue(wait_until(lambda: queue()["messages_paged_out"] >= MESSAGES - 40, timeout=30), queue())
        q = queue()
        self.assertEqual(q["messages_ready"], MESSAGES)
        self.assertEqual(q["message_bytes_ready"], MESSAGES * SIZE)  # still counted, wherever they are
        self.assertLessEqual(q["message_bytes_ram"], 1024 * 1024)
        self.assertEqual(q["message_bytes_paged_out"] + q["message_bytes_ram"], MESSAGES * SIZE)
        # 48 MB of bodies in the queue, a few MB at most in RAM (the budget, headers, a last batch).
        self.assertLess(message_memory(self.server.admin_port), 8 * 1024 * 1024)

        channel.basic_qos(prefetch_count=50)
        got = []

        def on_message(ch, deliver, properties, body):
            got.append(body)
            ch.basic_ack(deliver.delivery_tag)
            if len(got) == MESSAGES:
                ch.stop_consuming()
        channel.basic_consume("deep", on_message)
        connection.call_later(60, channel.stop_consuming)  # never hang the suite
        channel.start_consuming()
        self.assertEqual(len(got), MESSAGES)
        for i, body in enumerate(got):  # in order, every body intact
            self.assertEqual(body, body_of(i), f"message {i}")
        self.assertTrue(wait_until(lambda: queue()["messages"] == 0, timeout=10))
        self.assertEqual(queue()["messages_paged_out"], 0)
        connection.close()

    def test_a_restart_does_not_hold_the_whole_journal_in_ram(self):
        connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", self.server.port))
        channel = connection.channel()
        channel.queue_declare("deep", durable=True)
        channel.confirm_delivery()  # every publish on disk before the restart
        persistent = pika.BasicProperties(delivery_mode=2)
        for i in range(MESSAGES):
            channel.basic_publish("", "deep", body_of(i), persistent)
        connection.close()
        # The same binary with nothing to recover: what the process needs anyway (more under ASan).
        with Server("MINIRABBIT_BIN", "--queue-body-budget", "1mb") as empty:
            baseline = peak_resident(empty.proc.pid)
        self.server.restart()
        connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", self.server.port))
        channel = connection.channel()
        self.assertEqual(channel.queue_declare("deep", durable=True, passive=True).method.message_count, MESSAGES)
        # Recovery read a 48 MB journal. Read into a string it held all 48 MB at once (peak above
        # baseline + 48 MB); mapped, with the pages behind the scan let go every 8 MB, it peaks at
        # a window, the 1 MB budget of bodies and ~100 bytes per message.
        grew = peak_resident(self.server.proc.pid) - baseline
        self.assertLess(grew, 24 * 1024 * 1024, f"recovery peaked {grew / 2**20:.0f} MB above an empty broker")
        method, _, body = channel.basic_get("deep", auto_ack=True)  # and the bodies are all still there
        self.assertEqual(body, body_of(0))
        channel.queue_purge("deep")
        connection.close()


if __name__ == "__main__":
    tap.main()
