"""rabbitmqadmin - the command-line tool that ships with RabbitMQ's management plugin (Debian's
/usr/bin/rabbitmqadmin) - managing minirabbit through its management-API-shaped admin endpoint:
the proof that "tools that know that API work"."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import pika

import tap
from servers import Server

RABBITMQADMIN = "/usr/bin/rabbitmqadmin"


@unittest.skipUnless(os.path.exists(RABBITMQADMIN), "rabbitmqadmin is not installed")
class RabbitmqAdmin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIRABBIT_BIN", "--admin-port", "0")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def admin(self, *args):
        out = subprocess.run([sys.executable, RABBITMQADMIN, "-H", "127.0.0.1", "-P", str(self.server.admin_port),
                              "-u", "guest", "-p", "guest", "-f", "raw_json", *args],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out.stdout

    def test_declare_publish_get_list_delete(self):
        self.admin("declare", "exchange", "name=admin-topic", "type=topic")
        self.admin("declare", "queue", "name=admin-queue", "durable=true")
        self.admin("declare", "binding", "source=admin-topic", "destination=admin-queue", "routing_key=orders.#")
        self.admin("publish", "exchange=admin-topic", "routing_key=orders.eu", "payload=from rabbitmqadmin")
        queues = json.loads(self.admin("list", "queues", "name", "messages"))
        self.assertIn({"name": "admin-queue", "messages": 1}, queues)
        got = json.loads(self.admin("get", "queue=admin-queue", "ackmode=ack_requeue_false"))
        self.assertEqual(got[0]["payload"], "from rabbitmqadmin")
        self.assertEqual(got[0]["routing_key"], "orders.eu")
        bindings = json.loads(self.admin("list", "bindings", "source", "destination", "routing_key"))
        self.assertIn({"source": "admin-topic", "destination": "admin-queue", "routing_key": "orders.#"}, bindings)
        self.admin("delete", "queue", "name=admin-queue")
        self.assertNotIn("admin-queue", [q["name"] for q in json.loads(self.admin("list", "queues", "name"))])

    def test_users_and_permissions_then_amqp_login(self):
        self.admin("declare", "vhost", "name=team")
        self.admin("declare", "user", "name=ops", "password=opspw", "tags=")
        self.admin("declare", "permission", "vhost=team", "user=ops", "configure=.*", "write=.*", "read=.*")
        connection = pika.BlockingConnection(pika.ConnectionParameters(
            host="127.0.0.1", port=self.server.port, virtual_host="team",
            credentials=pika.PlainCredentials("ops", "opspw")))
        connection.channel().queue_declare("ops-queue")
        connection.close()
        self.assertIn("ops-queue", [q["name"] for q in json.loads(self.admin("list", "queues", "name"))])

    def test_export_and_import_definitions(self):
        self.admin("declare", "exchange", "name=exported", "type=fanout", "durable=true")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "definitions.json")
            self.admin("export", path)
            with open(path) as f:
                definitions = json.load(f)
            self.assertIn("exported", [e["name"] for e in definitions["exchanges"]])
            definitions["queues"].append({"name": "imported", "vhost": "/", "durable": True,
                                          "auto_delete": False, "arguments": {"x-max-length": 10}})
            with open(path, "w") as f:
                json.dump(definitions, f)
            self.admin("import", path)
        queues = json.loads(self.admin("list", "queues", "name", "arguments"))
        self.assertIn({"name": "imported", "arguments": {"x-max-length": 10}}, queues)


if __name__ == "__main__":
    tap.main()
