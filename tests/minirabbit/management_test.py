"""Issue 23: what rabbitmqadmin and RabbitMQ's management UI call beyond queues and exchanges -
channels, consumers, nodes, policies (stored, listed and applied to matching queues), paging,
and DELETE of a connection, which closes it with 320 CONNECTION_FORCED and the X-Reason text."""
import base64
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

import pika
from pika.exceptions import ConnectionClosedByBroker

import tap
from servers import Server, wait_until

RABBITMQADMIN = "/usr/bin/rabbitmqadmin"


class Management(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIRABBIT_BIN", "--admin-port", "0")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def api(self, method, path, body=None, headers=None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.server.admin_port}/api{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
        request.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            request.add_header(k, v)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            return e.code, None

    def admin(self, *args):
        out = subprocess.run([sys.executable, RABBITMQADMIN, "-H", "127.0.0.1", "-P", str(self.server.admin_port),
                              "-u", "guest", "-p", "guest", "-f", "raw_json", *args],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return json.loads(out.stdout) if out.stdout.strip().startswith("[") else out.stdout

    def connect(self):
        return pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=self.server.port))

    @unittest.skipUnless(os.path.exists(RABBITMQADMIN), "rabbitmqadmin is not installed")
    def test_rabbitmqadmin_lists_channels_consumers_nodes(self):
        connection = self.connect()
        channel = connection.channel()
        channel.basic_qos(prefetch_count=7)
        channel.queue_declare("mgmt-consumed")
        channel.basic_consume("mgmt-consumed", lambda *a: None, consumer_tag="mgmt-tag")
        try:
            channels = self.admin("list", "channels")
            mine = [c for c in channels if c["consumer_count"] == 1]
            self.assertEqual(len(mine), 1, channels)
            self.assertEqual(mine[0]["prefetch_count"], 7)
            self.assertTrue(mine[0]["name"].endswith(" (1)"), mine[0]["name"])
            consumers = self.admin("list", "consumers")
            self.assertEqual([(c["consumer_tag"], c["queue"]["name"], c["ack_required"], c["prefetch_count"])
                              for c in consumers], [("mgmt-tag", "mgmt-consumed", True, 7)])
            self.assertEqual(consumers[0]["channel_details"]["name"], mine[0]["name"])
            nodes = self.admin("list", "nodes")
            self.assertEqual([n["name"] for n in nodes], ["minirabbit@localhost"])
            self.assertTrue(nodes[0]["running"])
        finally:
            connection.close()
        self.assertEqual(self.admin("list", "consumers"), [])

    @unittest.skipUnless(os.path.exists(RABBITMQADMIN), "rabbitmqadmin is not installed")
    def test_declare_policy_applies_ttl_and_max_length(self):
        self.admin("declare", "policy", "name=short", "pattern=^short\\.", "apply-to=queues", "priority=1",
                   'definition={"message-ttl": 100, "max-length": 2}')
        policies = self.admin("list", "policies")
        self.assertEqual([(p["name"], p["pattern"], p["apply-to"], p["definition"]) for p in policies],
                         [("short", "^short\\.", "queues", {"message-ttl": 100, "max-length": 2})])
        connection = self.connect()
        channel = connection.channel()
        channel.queue_declare("short.lived")
        channel.queue_declare("long.lived")
        for i in range(3):
            channel.basic_publish("", "short.lived", b"m%d" % i)
            channel.basic_publish("", "long.lived", b"m%d" % i)
        connection.process_data_events(0)
        status, queue = self.api("GET", "/queues/%2F/short.lived")
        self.assertEqual(queue["policy"], "short")
        self.assertEqual(queue["effective_policy_definition"], {"message-ttl": 100, "max-length": 2})
        # max-length 2 (drop-head) keeps the last two; message-ttl 100 ms then empties the queue.
        self.assertLessEqual(queue["messages"], 2)
        self.assertTrue(wait_until(lambda: self.api("GET", "/queues/%2F/short.lived")[1]["messages"] == 0))
        self.assertEqual(self.api("GET", "/queues/%2F/long.lived")[1]["messages"], 3)
        self.assertEqual(self.api("GET", "/queues/%2F/long.lived")[1]["policy"], "")
        # Deleting the policy lifts the limits from the queue.
        self.admin("delete", "policy", "name=short")
        self.assertEqual(self.admin("list", "policies"), [])
        for i in range(3):
            channel.basic_publish("", "short.lived", b"again")
        connection.process_data_events(0)
        time.sleep(0.3)  # longer than the old TTL: the messages must still be there
        self.assertEqual(self.api("GET", "/queues/%2F/short.lived")[1]["messages"], 3)
        channel.queue_delete("short.lived")
        channel.queue_delete("long.lived")
        connection.close()

    def test_policy_dead_letter_exchange_and_bad_policies(self):
        status, _ = self.api("PUT", "/policies/%2F/dlx", {"pattern": "^work$", "definition": {
            "dead-letter-exchange": "", "dead-letter-routing-key": "work.dead", "expires": 600000}})
        self.assertEqual(status, 201)
        connection = self.connect()
        channel = connection.channel()
        channel.queue_declare("work.dead")
        channel.queue_declare("work")
        channel.basic_publish("", "work", b"to be rejected")
        method, _, _ = next(channel.consume("work", inactivity_timeout=5))
        channel.basic_reject(method.delivery_tag, requeue=False)
        channel.cancel()
        self.assertTrue(wait_until(lambda: self.api("GET", "/queues/%2F/work.dead")[1]["messages"] == 1))
        # Refused: a bad regex, an unknown apply-to, a negative TTL, an empty definition.
        for body in ({"pattern": "(", "definition": {"message-ttl": 1}},
                     {"pattern": "x", "apply-to": "topics", "definition": {"message-ttl": 1}},
                     {"pattern": "x", "definition": {"message-ttl": -1}},
                     {"pattern": "x", "definition": {}}):
            self.assertEqual(self.api("PUT", "/policies/%2F/bad", body)[0], 400, body)
        self.assertEqual(self.api("DELETE", "/policies/%2F/dlx")[0], 204)
        self.assertEqual(self.api("DELETE", "/policies/%2F/dlx")[0], 404)
        channel.queue_delete("work")
        channel.queue_delete("work.dead")
        connection.close()

    def test_policies_are_definitions_and_survive_a_restart(self):
        self.assertEqual(self.api("PUT", "/policies/%2F/kept", {"pattern": "^kept\\.", "apply-to": "queues",
                                                                "priority": 3, "definition": {"max-length": 1}})[0], 201)
        connection = self.connect()
        connection.channel().queue_declare("kept.q", durable=True)
        connection.close()
        exported = self.api("GET", "/definitions")[1]
        self.assertIn({"vhost": "/", "name": "kept", "pattern": "^kept\\.", "apply-to": "queues",
                       "definition": {"max-length": 1}, "priority": 3}, exported["policies"])
        self.server.restart()
        self.assertEqual(self.api("GET", "/policies/%2F/kept")[1]["priority"], 3)
        self.assertEqual(self.api("GET", "/queues/%2F/kept.q")[1]["policy"], "kept")
        connection = self.connect()
        channel = connection.channel()
        for i in range(3):
            channel.basic_publish("", "kept.q", b"m")
        connection.process_data_events(0)
        self.assertTrue(wait_until(lambda: self.api("GET", "/queues/%2F/kept.q")[1]["messages"] == 1))
        channel.queue_delete("kept.q")
        connection.close()
        self.assertEqual(self.api("DELETE", "/policies/%2F/kept")[0], 204)

    def test_delete_connection_closes_it_with_320_and_the_reason(self):
        connection = self.connect()
        connection.channel()
        status, connections = self.api("GET", "/connections")
        self.assertEqual(len(connections), 1)
        name = connections[0]["name"]
        self.assertEqual(self.api("DELETE", "/connections/" + urllib.request.quote(name, safe=""),
                                  headers={"X-Reason": "maintenance window"})[0], 204)
        with self.assertRaises(ConnectionClosedByBroker) as closed:
            for _ in range(50):
                connection.process_data_events(0.1)
        self.assertEqual(closed.exception.reply_code, 320)
        self.assertIn("maintenance window", closed.exception.reply_text)
        self.assertTrue(wait_until(lambda: self.api("GET", "/connections")[1] == []))
        self.assertEqual(self.api("DELETE", "/connections/127.0.0.1%3A1")[0], 404)

    def test_paged_lists_as_the_ui_asks_for_them(self):
        connection = self.connect()
        channel = connection.channel()
        for name in ("page-a", "page-b", "page-c"):
            channel.queue_declare(name)
        channel.basic_publish("", "page-b", b"x")
        connection.process_data_events(0)
        status, page = self.api("GET", "/queues?page=1&page_size=2&name=page-&use_regex=false"
                                       "&sort=messages&sort_reverse=true")
        self.assertEqual(status, 200)
        self.assertEqual((page["filtered_count"], page["item_count"], page["page_count"]), (3, 2, 2))
        self.assertEqual(page["items"][0]["name"], "page-b")
        status, page = self.api("GET", "/queues?page=2&page_size=2&name=%5Epage-&use_regex=true")
        self.assertEqual([q["name"] for q in page["items"]], ["page-c"])
        self.assertEqual(self.api("GET", "/queues?page=9&page_size=2")[0], 400)
        for name in ("page-a", "page-b", "page-c"):
            channel.queue_delete(name)
        connection.close()

    def test_overview_and_login_documents(self):
        status, overview = self.api("GET", "/overview")
        self.assertEqual(sorted(t["name"] for t in overview["exchange_types"]), ["direct", "fanout", "headers", "topic"])
        self.assertEqual([l["protocol"] for l in overview["listeners"]], ["amqp", "http"])
        self.assertEqual(overview["listeners"][0]["port"], self.server.port)
        for key in ("object_totals", "queue_totals", "message_stats", "contexts", "node", "cluster_name"):
            self.assertIn(key, overview)
        # /api/auth answers before login (the UI asks it to choose its login form).
        with urllib.request.urlopen(f"http://127.0.0.1:{self.server.admin_port}/api/auth", timeout=10) as r:
            self.assertEqual(json.loads(r.read())["enable_uaa"], False)
        self.assertEqual(self.api("GET", "/extensions")[1], [{"javascript": "dispatcher.js"}])
        self.assertEqual(self.api("GET", "/whoami")[1]["tags"], ["administrator"])

    def test_ui_directory_serves_files_and_nothing_outside_it(self):
        import http.client
        import tempfile
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "www", "js"))
            with open(os.path.join(root, "www", "index.html"), "w") as f:
                f.write("<html>the ui</html>")
            with open(os.path.join(root, "www", "js", "main.js"), "w") as f:
                f.write("var x = 1;")
            with open(os.path.join(root, "secret.txt"), "w") as f:
                f.write("outside")
            with Server("MINIRABBIT_BIN", "--admin-port", "0", "--management-ui", os.path.join(root, "www")) as ui:
                def get(path):
                    connection = http.client.HTTPConnection("127.0.0.1", ui.admin_port, timeout=10)
                    connection.request("GET", path)  # sent as is: no client-side ".." folding
                    response = connection.getresponse()
                    result = response.status, response.getheader("Content-Type"), response.read().decode()
                    connection.close()
                    return result
                self.assertEqual(get("/"), (200, "text/html; charset=utf-8", "<html>the ui</html>"))
                self.assertEqual(get("/js/main.js")[:2], (200, "text/javascript; charset=utf-8"))
                for path in ("/../secret.txt", "/js/../../secret.txt", "/%2E%2E/secret.txt", "/js", "/nope.js"):
                    self.assertEqual(get(path)[0], 404, path)

    def test_without_the_ui_root_is_the_live_page_and_index_html_says_how_to_get_the_ui(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.server.admin_port}/", timeout=10) as r:
            page = r.read().decode()
        self.assertIn("/api/bindings", page)  # the live page (live_page_test.py)
        self.assertIn('href="/index.html"', page)
        with urllib.request.urlopen(f"http://127.0.0.1:{self.server.admin_port}/index.html", timeout=10) as r:
            page = r.read().decode()
        self.assertIn("--management-ui", page)
        self.assertIn("rabbitmq-server", page)


if __name__ == "__main__":
    tap.main()
