"""kombu (the messaging library under celery) and a real celery worker against minirabbit:
tasks routed by type to different queues, results returned through the rpc:// backend."""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

import kombu

import tap
from cases import MinirabbitTest
from servers import Server

TASKS_MODULE = textwrap.dedent('''
    import os
    from celery import Celery

    app = Celery("tasks", broker=os.environ["BROKER_URL"], backend="rpc://")
    # Routing by task type: arithmetic goes to the "math" queue, text to "text".
    app.conf.task_routes = {"tasks.add": {"queue": "math"}, "tasks.shout": {"queue": "text"}}
    app.conf.broker_connection_retry_on_startup = False

    @app.task(bind=True)
    def add(self, x, y):
        return [x + y, self.request.delivery_info["routing_key"]]

    @app.task(bind=True)
    def shout(self, text):
        return [text.upper(), self.request.delivery_info["routing_key"]]
''')


class Kombu(MinirabbitTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.url = f"amqp://guest:guest@127.0.0.1:{cls.server.port}//"

    def test_simple_queue_put_and_get(self):
        with kombu.Connection(self.url) as connection:
            queue = connection.SimpleQueue("kombu-simple")
            queue.put({"hello": "world"}, serializer="json")
            message = queue.get(block=True, timeout=5)
            self.assertEqual(message.payload, {"hello": "world"})
            message.ack()
            queue.close()

    def test_producer_and_consumer_through_a_topic_exchange(self):
        exchange = kombu.Exchange("kombu-events", type="topic", durable=True)
        queue = kombu.Queue("kombu-errors", exchange, routing_key="*.error", durable=True)
        received = []
        with kombu.Connection(self.url) as connection:
            with connection.Consumer(queue, callbacks=[lambda body, message: (received.append(body), message.ack())]):
                producer = connection.Producer()
                producer.publish({"n": 1}, exchange=exchange, routing_key="db.error", declare=[queue])
                producer.publish({"n": 2}, exchange=exchange, routing_key="db.info")
                producer.publish({"n": 3}, exchange=exchange, routing_key="web.error")
                while len(received) < 2:
                    connection.drain_events(timeout=5)
        self.assertEqual(received, [{"n": 1}, {"n": 3}])


class CeleryWorker(unittest.TestCase):
    def setUp(self):
        self.server = Server("MINIRABBIT_BIN")
        self.workdir = tempfile.mkdtemp(prefix="minirabbit-celery-")
        with open(os.path.join(self.workdir, "tasks.py"), "w") as f:
            f.write(TASKS_MODULE)
        self.env = dict(os.environ, BROKER_URL=f"amqp://guest:guest@127.0.0.1:{self.server.port}//",
                        PYTHONPATH=self.workdir)
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tasks", "worker", "-Q", "math,text", "--pool", "solo",
             "--without-mingle", "--without-gossip", "--loglevel", "INFO"],
            cwd=self.workdir, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def tearDown(self):
        self.worker.terminate()
        try:
            output, _ = self.worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            output, _ = self.worker.communicate()
        self.worker_output = output  # kept for a debugger; the worker's log is verbose
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.server.close()

    def test_tasks_are_routed_by_type_and_return_results(self):
        client = subprocess.run(
            [sys.executable, "-c", textwrap.dedent('''
                from tasks import add, shout
                print(add.delay(2, 3).get(timeout=30))
                print(shout.delay("hello").get(timeout=30))
                print([r.get(timeout=30)[0] for r in [add.delay(i, i) for i in range(10)]])
            ''')],
            cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=90)
        self.assertEqual(client.returncode, 0, client.stderr)
        lines = client.stdout.splitlines()
        self.assertEqual(lines[0], "[5, 'math']")
        self.assertEqual(lines[1], "['HELLO', 'text']")
        self.assertEqual(lines[2], str([2 * i for i in range(10)]))

    def test_remote_control_broadcast_reaches_the_worker(self):
        # `celery inspect ping` broadcasts through the celery.pidbox fanout exchange and collects
        # replies on a temporary queue: pub/sub plus reply queues with TTLs, all through minirabbit.
        # First a task, so the worker is surely consuming (a broadcast reaches only bound queues).
        warm = subprocess.run([sys.executable, "-c", "from tasks import add; print(add.delay(1, 1).get(timeout=30))"],
                              cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=90)
        self.assertEqual(warm.stdout.strip(), "[2, 'math']", warm.stderr)
        ping = subprocess.run([sys.executable, "-m", "celery", "-A", "tasks", "inspect", "ping", "--timeout", "20"],
                              cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=90)
        self.assertEqual(ping.returncode, 0, ping.stdout + ping.stderr)
        self.assertIn("pong", ping.stdout)


if __name__ == "__main__":
    tap.main()
