"""minirabbit's /metrics per queue and /healthz's alarms (issue 23): messages ready / unacked and
consumers carry vhost and queue labels and follow what pika did, process_* are there, the whole
page parses as the Prometheus text format, and /healthz is 503 with the reason on the memory
alarm (vm_memory_high_watermark) or below disk-free-limit (RabbitMQ's disk_free_limit)."""
import re
import unittest
import urllib.error
import urllib.request

import pika

import prometheus
import tap
from servers import Server, wait_until


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class QueueMetrics(unittest.TestCase):
    def test_per_queue_series_follow_publishes_deliveries_and_acks(self):
        with Server("MINIRABBIT_BIN", "--admin-port", "0") as s:
            connection = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=s.port))
            channel = connection.channel()
            channel.queue_declare("tasks")
            channel.queue_declare("quiet \"one\"")  # a name the text format must escape
            for i in range(5):
                channel.basic_publish("", "tasks", f"job {i}".encode())
            channel.basic_qos(prefetch_count=2)
            held = []
            channel.basic_consume("tasks", lambda ch, method, props, body: held.append(method.delivery_tag))
            connection.process_data_events(time_limit=0)
            wait_until(lambda: connection.process_data_events(time_limit=0.05) or len(held) == 2)

            def scrape():
                return prometheus.check(self, get(s.admin_port, "/metrics")[1])

            families = scrape()
            prometheus.check_process_metrics(self, families)
            tasks = {"vhost": "/", "queue": "tasks"}
            self.assertEqual(families["minirabbit_queue_messages_ready"].value(**tasks), 3)
            self.assertEqual(families["minirabbit_queue_messages_unacked"].value(**tasks), 2)
            self.assertEqual(families["minirabbit_queue_consumers"].value(**tasks), 1)
            self.assertEqual(families["minirabbit_queue_messages_ready"].value(vhost="/", queue='quiet "one"'), 0)
            for tag in held:
                channel.basic_ack(tag)
            held.clear()
            connection.process_data_events(time_limit=0.1)
            self.assertTrue(wait_until(
                lambda: scrape()["minirabbit_queue_messages_ready"].value(**tasks) == 1))
            connection.close()
            self.assertTrue(wait_until(lambda: scrape()["minirabbit_queue_consumers"].value(**tasks) == 0))


class Health(unittest.TestCase):
    def test_ok_by_default(self):
        with Server("MINIRABBIT_BIN", "--admin-port", "0") as s:
            self.assertEqual(get(s.admin_port, "/healthz"), (200, "ok\n"))

    def test_503_on_the_memory_alarm(self):
        with Server("MINIRABBIT_BIN", "--admin-port", "0", "--vm-memory-high-watermark.absolute", "1kb") as s:
            status, body = get(s.admin_port, "/healthz")
            self.assertEqual(status, 503)
            self.assertRegex(body, r"^memory: \d+ bytes used, limit 1024\n$")

    def test_503_when_the_disk_has_less_free_than_disk_free_limit(self):
        # No test can fill a disk; a limit above any disk's size has the same effect.
        with Server("MINIRABBIT_BIN", "--admin-port", "0", "--disk-free-limit", "1000000gb") as s:
            status, body = get(s.admin_port, "/healthz")
            self.assertEqual(status, 503)
            self.assertRegex(body, rf"^disk: \d+ bytes free under {re.escape(s.dir)}, limit \d+\n$")


if __name__ == "__main__":
    tap.main()
