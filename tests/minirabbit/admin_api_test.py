"""The management API (RabbitMQ's /api shape) with plain HTTP, and what it changes seen through
pika: vhosts, users and permissions (403 ACCESS_REFUSED), queues, exchanges, bindings, trace."""
import base64
import json
import struct
import unittest
import urllib.error
import urllib.request

import pika
from pika.exceptions import ChannelClosedByBroker

import tap
from amqp_raw import RawClient, method, shortstr
from servers import Server, wait_until


class AdminApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIRABBIT_BIN", "--admin-port", "0")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def api(self, method, path, body=None, user="guest", password="guest"):
        request = urllib.request.Request(f"http://127.0.0.1:{self.server.admin_port}/api{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode())
        if user:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            return e.code, None

    def connect(self, vhost="/", user="guest", password="guest"):
        return pika.BlockingConnection(pika.ConnectionParameters(
            host="127.0.0.1", port=self.server.port, virtual_host=vhost,
            credentials=pika.PlainCredentials(user, password)))

    def test_requests_need_an_administrator(self):
        self.assertEqual(self.api("GET", "/overview", user=None)[0], 401)
        self.assertEqual(self.api("GET", "/overview", password="wrong")[0], 401)
        self.api("PUT", "/users/plain", {"password": "pw", "tags": ""})
        self.assertEqual(self.api("GET", "/overview", user="plain", password="pw")[0], 401)
        status, overview = self.api("GET", "/overview")
        self.assertEqual(status, 200)
        self.assertEqual(overview["product_name"], "minirabbit")

    def test_vhost_user_and_permissions_control_amqp_access(self):
        self.assertEqual(self.api("PUT", "/vhosts/billing")[0], 204)
        self.assertEqual(self.api("PUT", "/users/clerk", {"password": "s3cret", "tags": ""})[0], 204)
        # No permission on the vhost yet: connection.open is refused.
        with self.assertRaises(pika.exceptions.ProbableAccessDeniedError):
            self.connect("billing", "clerk", "s3cret")
        self.assertEqual(self.api("PUT", "/permissions/billing/clerk",
                                  {"configure": "^clerk-.*", "write": ".*", "read": ".*"})[0], 204)
        connection = self.connect("billing", "clerk", "s3cret")
        channel = connection.channel()
        channel.queue_declare("clerk-inbox")
        with self.assertRaises(ChannelClosedByBroker) as refused:
            channel.queue_declare("ledger")
        self.assertEqual(refused.exception.reply_code, 403)
        self.assertEqual(refused.exception.reply_text,
                         "ACCESS_REFUSED - access to queue 'ledger' in vhost 'billing' refused for user 'clerk'")
        connection.close()
        status, queues = self.api("GET", "/queues/billing")
        self.assertEqual([q["name"] for q in queues], ["clerk-inbox"])
        status, permission = self.api("GET", "/permissions/billing/clerk")
        self.assertEqual(permission["configure"], "^clerk-.*")

    def test_deleting_a_vhost_closes_its_connections(self):
        self.api("PUT", "/vhosts/doomed")
        self.api("PUT", "/permissions/doomed/guest", {"configure": ".*", "write": ".*", "read": ".*"})
        connection = self.connect("doomed")
        channel = connection.channel()
        channel.queue_declare("q")
        self.assertEqual(self.api("DELETE", "/vhosts/doomed")[0], 204)
        with self.assertRaises(pika.exceptions.ConnectionClosedByBroker) as closed:
            connection.process_data_events(time_limit=5)
            channel.queue_declare("q", passive=True)
        self.assertEqual(closed.exception.reply_code, 320)
        self.assertEqual(self.api("GET", "/vhosts/doomed")[0], 404)

    def test_deleting_a_user_closes_their_connections(self):
        self.api("PUT", "/users/leaver", {"password": "pw", "tags": ""})
        self.api("PUT", "/permissions/%2F/leaver", {"configure": ".*", "write": ".*", "read": ".*"})
        connection = self.connect("/", "leaver", "pw")
        channel = connection.channel()
        other = self.connect()  # guest's connection is not touched
        self.assertEqual(self.api("DELETE", "/users/leaver")[0], 204)
        with self.assertRaises(pika.exceptions.ConnectionClosedByBroker) as closed:
            connection.process_data_events(time_limit=5)
            channel.queue_declare("", exclusive=True)
        self.assertEqual(closed.exception.reply_code, 320)
        other.channel().queue_declare("", exclusive=True)
        other.close()

    def test_queues_exchanges_and_bindings_made_over_http_route_amqp_messages(self):
        self.assertEqual(self.api("PUT", "/exchanges/%2F/http-topic", {"type": "topic", "durable": True})[0], 201)
        self.assertEqual(self.api("PUT", "/queues/%2F/http-queue", {"durable": True})[0], 201)
        self.assertEqual(self.api("POST", "/bindings/%2F/e/http-topic/q/http-queue", {"routing_key": "a.*"})[0], 201)
        connection = self.connect()
        channel = connection.channel()
        channel.basic_publish("http-topic", "a.b", b"via http topology")
        status, queue = self.api("GET", "/queues/%2F/http-queue")
        self.assertEqual(queue["messages_ready"], 1)
        self.assertEqual(queue["message_stats"]["publish"], 1)
        status, bindings = self.api("GET", "/bindings/%2F")
        self.assertIn({"source": "http-topic", "destination": "http-queue", "routing_key": "a.*"},
                      [{k: b[k] for k in ("source", "destination", "routing_key")} for b in bindings])
        self.assertEqual(self.api("DELETE", "/bindings/%2F/e/http-topic/q/http-queue/a.*")[0], 204)
        channel.basic_publish("http-topic", "a.b", b"no longer routed")
        self.assertEqual(self.api("DELETE", "/queues/%2F/http-queue/contents")[0], 204)
        self.assertEqual(self.api("GET", "/queues/%2F/http-queue")[1]["messages_ready"], 0)
        status, connections = self.api("GET", "/connections")
        self.assertGreaterEqual(len(connections), 1)
        connection.close()
        self.assertEqual(self.api("DELETE", "/queues/%2F/http-queue")[0], 204)
        self.assertEqual(self.api("GET", "/queues/%2F/http-queue")[0], 404)

    def test_trace_toggles_at_runtime_and_logs_the_route(self):
        # The switch shows everyone's traffic: it takes an administrator, like the rest of /api.
        self.assertEqual(self.api("PUT", "/trace", {"trace": True}, user=None)[0], 401)
        self.assertEqual(self.api("PUT", "/trace", {"trace": True}, password="wrong")[0], 401)
        self.assertEqual(self.api("GET", "/trace"), (200, {"trace": False}))
        self.assertEqual(self.api("PUT", "/trace", {"trace": True}), (200, {"trace": True}))
        connection = self.connect()
        channel = connection.channel()
        channel.exchange_declare("tasks", "topic")
        channel.queue_declare("emails")
        channel.queue_bind("emails", "tasks", "email.*")
        channel.basic_publish("tasks", "email.send", b"hi")
        channel.queue_declare("emails", passive=True)  # a round trip: the publish was handled
        connection.close()
        line = "basic.publish exchange=tasks(topic) key=email.send -> binding email.* -> queue emails depth=1"
        # The log is read by a thread of the test harness: poll for the line, do not assume it is there.
        self.assertTrue(wait_until(lambda: line in self.server.log(), timeout=10), self.server.log())
        self.assertEqual(self.api("PUT", "/trace", {"trace": False}), (200, {"trace": False}))
        self.assertEqual(self.api("PUT", "/trace", {"bogus": 1})[0], 400)


class NamesThatAreNotUtf8(unittest.TestCase):
    """AMQP names are any bytes; the management API's JSON must stay valid UTF-8 all the same."""

    def setUp(self):
        self.server = Server("MINIRABBIT_BIN", "--admin-port", "0")

    def tearDown(self):
        self.server.close()

    def get(self, path):
        request = urllib.request.Request(f"http://127.0.0.1:{self.server.admin_port}/api{path}")
        request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())  # UnicodeDecodeError on bytes that are not UTF-8

    def put(self, path, body):
        request = urllib.request.Request(f"http://127.0.0.1:{self.server.admin_port}/api{path}", method="PUT",
                                         data=json.dumps(body).encode())
        request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    def declare_with_raw_frames(self):
        client = RawClient(self.server.port)
        client.sock.sendall(method(1, 20, 10, shortstr(b"")))
        client.expect_method(20, 11)
        # A durable queue (an invalid lead byte, a stray continuation), an exchange (an overlong
        # '/'), a binding key (an encoded surrogate).
        client.sock.sendall(method(1, 50, 10, struct.pack(">H", 0) + shortstr(b"q-\xff\xbfend") + b"\x02" +
                                   struct.pack(">I", 0)))
        client.expect_method(50, 11)
        client.sock.sendall(method(1, 40, 10, struct.pack(">H", 0) + shortstr(b"x-\xc0\xaf") + shortstr(b"direct") +
                                   b"\x02" + struct.pack(">I", 0)))
        client.expect_method(40, 11)
        client.sock.sendall(method(1, 50, 20, struct.pack(">H", 0) + shortstr(b"q-\xff\xbfend") +
                                   shortstr(b"x-\xc0\xaf") + shortstr(b"rk-\xed\xa0\x80") + b"\x00" +
                                   struct.pack(">I", 0)))
        client.expect_method(50, 21)
        return client

    def test_every_endpoint_that_echoes_a_name_stays_valid_json(self):
        client = self.declare_with_raw_frames()
        self.assertEqual(self.put("/vhosts/v-%FF", {}), 204)  # percent-decoded: the byte 0xFF
        self.assertEqual(self.put("/users/u-%FE", {"password": "p", "tags": ""}), 204)
        self.assertEqual(self.put("/permissions/v-%FF/u-%FE", {"configure": ".*", "write": ".*", "read": ".*"}), 204)
        queues = [q["name"] for q in self.get("/queues")]
        self.assertIn("q-\ufffd\ufffdend", queues)  # one U+FFFD per invalid sequence
        self.assertIn("q-\ufffd\ufffdend", [q["name"] for q in self.get("/queues?columns=name")])
        self.assertIn("x-\ufffd\ufffd", [x["name"] for x in self.get("/exchanges")])
        self.assertIn("rk-\ufffd\ufffd\ufffd", [b["routing_key"] for b in self.get("/bindings")])
        self.assertIn("v-\ufffd", [v["name"] for v in self.get("/vhosts")])
        self.assertIn("u-\ufffd", [u["name"] for u in self.get("/users")])
        self.assertIn("u-\ufffd", [p["user"] for p in self.get("/permissions")])
        self.assertIn("q-\ufffd\ufffdend", [q["name"] for q in self.get("/definitions")["queues"]])
        self.assertIsInstance(self.get("/connections"), list)
        client.sock.close()

    def test_the_broker_keeps_the_bytes_across_a_restart(self):
        self.declare_with_raw_frames().sock.close()
        self.server.restart()  # the durable queue comes back from the definitions file
        client = RawClient(self.server.port)
        client.sock.sendall(method(1, 20, 10, shortstr(b"")))
        client.expect_method(20, 11)
        # passive declare of the exact bytes: declare-ok, not 404
        client.sock.sendall(method(1, 50, 10, struct.pack(">H", 0) + shortstr(b"q-\xff\xbfend") + b"\x01" +
                                   struct.pack(">I", 0)))
        client.expect_method(50, 11)
        self.assertIn("q-\ufffd\ufffdend", [q["name"] for q in self.get("/queues")])
        client.sock.close()


if __name__ == "__main__":
    tap.main()
