"""The same pika scenarios against minirabbit and a real rabbitmq-server started by the test, with
the outcomes compared: error codes and texts, routing, requeue order, dead-letter headers, prefetch,
priorities, overflow, confirms; and the management API's JSON keys (issue 23). One RabbitMQ boot,
with its management plugin, for the whole file (it takes seconds)."""
import base64
import json
import unittest
import urllib.request

import pika
from pika.exceptions import ChannelClosedByBroker, ConnectionClosedByBroker, NackError

import tap
from real_brokers import RealRabbitMQ, rabbitmq_available
from servers import Server, wait_until


def error_of(action):
    """Runs `action`; returns (reply code, reply text) of the exception it raised, or None."""
    try:
        action()
    except (ChannelClosedByBroker, ConnectionClosedByBroker) as e:
        return e.reply_code, e.reply_text
    return None


class Scenarios:
    """Each scenario gets a fresh connection and returns a plain value to compare."""

    def __init__(self, port):
        self.port = port

    def connect(self):
        return pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=self.port))

    def errors(self):
        c = self.connect()
        out = {}
        out["passive_missing_queue"] = error_of(lambda: c.channel().queue_declare("diff-missing", passive=True))
        ch = c.channel()
        ch.queue_declare("diff-q", durable=False)
        out["inequivalent_durable"] = error_of(lambda: ch.queue_declare("diff-q", durable=True))
        out["missing_exchange_bind"] = error_of(lambda: c.channel().queue_bind("diff-q", "diff-no-exchange"))
        out["reserved_queue_name"] = error_of(lambda: c.channel().queue_declare("amq.diff"))
        out["reserved_exchange_name"] = error_of(lambda: c.channel().exchange_declare("amq.diff", "direct"))
        out["bind_default_exchange"] = error_of(lambda: c.channel().queue_bind("diff-q", ""))
        out["passive_missing_exchange"] = error_of(
            lambda: c.channel().exchange_declare("diff-no-exchange", "direct", passive=True))

        def unknown_tag():
            ch = c.channel()
            ch.basic_ack(7)
            ch.queue_declare("diff-q", passive=True)
        out["unknown_delivery_tag"] = error_of(unknown_tag)

        def bad_ttl():
            ch = c.channel()
            ch.queue_declare("diff-bad-ttl", arguments={"x-message-ttl": -5})
        code_text = error_of(bad_ttl)
        out["negative_ttl_code"] = code_text and code_text[0]
        ch = c.channel()
        ch.exchange_declare("diff-typed", "direct")
        out["inequivalent_type_code"] = error_of(lambda: ch.exchange_declare("diff-typed", "fanout"))[0]
        ch = c.channel()
        exclusive = ch.queue_declare("", exclusive=True).method.queue
        other = self.connect()
        out["exclusive_other_connection_code"] = error_of(lambda: other.channel().basic_consume(exclusive, print))[0]
        other.close()
        c.channel().queue_delete("diff-q")
        c.channel().exchange_delete("diff-typed")
        out["unknown_exchange_type"] = error_of(lambda: c.channel().exchange_declare("diff-x", "no-such-type"))
        return out

    def routing(self):
        c = self.connect()
        ch = c.channel()
        ch.exchange_declare("diff-topic", "topic", auto_delete=True)
        patterns = ["#", "*", "a.*", "a.#", "#.b", "a.*.b", "*.*", "", "a..b", "#.#"]
        queues = {}
        for p in patterns:
            q = ch.queue_declare("", exclusive=True).method.queue
            ch.queue_bind(q, "diff-topic", p)
            queues[p] = q
        keys = ["", "a", "a.b", "a.x.b", "a..b", "b", "x.y.z.b", "a.b.c"]
        for k in keys:
            ch.basic_publish("diff-topic", k, k.encode())
        result = {}
        for p, q in queues.items():
            got = []
            while True:
                m, _, body = ch.basic_get(q, auto_ack=True)
                if m is None:
                    break
                got.append(body.decode())
            result[p] = got
        c.close()
        return result

    def requeue_and_dead_letters(self):
        c = self.connect()
        ch = c.channel()
        ch.exchange_declare("diff-dlx", "fanout", auto_delete=True)
        dead = ch.queue_declare("", exclusive=True).method.queue
        ch.queue_bind(dead, "diff-dlx")
        q = ch.queue_declare("", exclusive=True, arguments={"x-dead-letter-exchange": "diff-dlx"}).method.queue
        for i in range(4):
            ch.basic_publish("", q, str(i).encode(), pika.BasicProperties(headers={"n": i}))
        consumer = c.channel()
        got = []
        for m, _, b in consumer.consume(q, inactivity_timeout=5):
            got.append(b)
            if len(got) == 4:
                break
        consumer.close()  # all four requeued, in order, redelivered
        order = []
        for _ in range(4):
            m, _, b = ch.basic_get(q)
            order.append((b.decode(), m.redelivered))
            if b == b"2":
                ch.basic_reject(m.delivery_tag, requeue=False)
            else:
                ch.basic_ack(m.delivery_tag)
        m, props, body = ch.basic_get(dead, auto_ack=True)
        death = dict(props.headers["x-death"][0])
        death.pop("time")
        death["queue"] = death["queue"] == q
        death["routing-keys"] = [k == q for k in death["routing-keys"]]
        c.close()
        return {"order": order, "dead_body": body.decode(), "death": death,
                "first_death_reason": props.headers.get("x-first-death-reason"),
                "dead_exchange": m.exchange, "dead_routing_key_is_queue": m.routing_key == q}

    def prefetch_priority_overflow(self):
        c = self.connect()
        ch = c.channel()
        q = ch.queue_declare("", exclusive=True).method.queue
        for i in range(5):
            ch.basic_publish("", q, str(i).encode())
        ch.basic_qos(prefetch_count=2)
        delivered = []
        ch.basic_consume(q, lambda c_, m, p, b: delivered.append(b))
        wait_until(lambda: c.process_data_events(0.05) or len(delivered) >= 2, timeout=5)
        c.process_data_events(0.2)
        held = len(delivered)
        p = ch.queue_declare("", exclusive=True, arguments={"x-max-priority": 5}).method.queue
        for prio in (0, 9, 3, 5, 1):
            ch.basic_publish("", p, str(prio).encode(), pika.BasicProperties(priority=prio))
        priority_order = [ch.basic_get(p, auto_ack=True)[2].decode() for _ in range(5)]
        d = ch.queue_declare("", exclusive=True, arguments={"x-max-length": 2}).method.queue
        for i in range(5):
            ch.basic_publish("", d, str(i).encode())
        kept = [ch.basic_get(d, auto_ack=True)[2].decode() for _ in range(2)]
        confirm = c.channel()
        confirm.confirm_delivery()
        r = confirm.queue_declare("", exclusive=True,
                                  arguments={"x-max-length": 1, "x-overflow": "reject-publish"}).method.queue
        outcomes = []
        for i in range(3):
            try:
                confirm.basic_publish("", r, b"x")
                outcomes.append("ack")
            except NackError:
                outcomes.append("nack")
        declare_ok = confirm.queue_declare(r, passive=True).method
        c.close()
        return {"held_with_prefetch_2": held, "priority_order": priority_order, "drop_head_kept": kept,
                "reject_publish_confirms": outcomes, "reject_publish_depth": declare_ok.message_count}

    def retry_headers(self):
        c = self.connect()
        ch = c.channel()
        ch.exchange_declare("diff-retry2", "direct", auto_delete=True)
        ch.exchange_declare("diff-work2", "direct", auto_delete=True)
        work = ch.queue_declare("diff-work2-q", exclusive=True,
                                arguments={"x-dead-letter-exchange": "diff-retry2"}).method.queue
        retry = ch.queue_declare("diff-retry2-q", exclusive=True,
                                 arguments={"x-dead-letter-exchange": "diff-work2", "x-message-ttl": 20}).method.queue
        ch.queue_bind(work, "diff-work2", "job")
        ch.queue_bind(retry, "diff-retry2", "job")
        ch.basic_publish("diff-work2", "job", b"flaky")
        got = None
        for _ in range(3):
            got = wait_until(lambda: (lambda r: r if r[0] else None)(ch.basic_get(work)), timeout=5)
            if _ < 2:
                ch.basic_reject(got[0].delivery_tag, requeue=False)
        headers = got[1].headers
        deaths = [(d["queue"], d["reason"], d["count"], d["exchange"], list(d["routing-keys"]))
                  for d in headers["x-death"]]
        c.close()
        return {"deaths": deaths, "first": (headers.get("x-first-death-queue"), headers.get("x-first-death-reason")),
                "redelivered": got[0].redelivered, "exchange": got[0].exchange}

    def ttl(self):
        c = self.connect()
        ch = c.channel()
        q = ch.queue_declare("", exclusive=True, arguments={"x-message-ttl": 30}).method.queue
        ch.basic_publish("", q, b"expires")
        ch.basic_publish("", q, b"per-message", pika.BasicProperties(expiration="10"))
        empty = wait_until(lambda: ch.queue_declare(q, passive=True).method.message_count == 0, timeout=5)
        bad = error_of(lambda: ch.basic_publish("", q, b"x", pika.BasicProperties(expiration="soon")) or
                       ch.queue_declare(q, passive=True))
        c.close()
        return {"expired": bool(empty), "bad_expiration": bad}


@unittest.skipUnless(rabbitmq_available(), "rabbitmq-server is not installed")
class SameAsRabbitMQ(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rabbit = RealRabbitMQ(management=True)
        cls.mini = Server("MINIRABBIT_BIN", "--admin-port", "0")

    @classmethod
    def tearDownClass(cls):
        cls.mini.close()
        cls.rabbit.close()

    def compare(self, scenario):
        expected = getattr(Scenarios(self.rabbit.port), scenario)()
        actual = getattr(Scenarios(self.mini.port), scenario)()
        self.maxDiff = None
        self.assertEqual(actual, expected)

    def test_errors(self):
        self.compare("errors")

    def test_topic_routing(self):
        self.compare("routing")

    def test_requeue_order_and_dead_letter_headers(self):
        self.compare("requeue_and_dead_letters")

    def test_prefetch_priority_and_overflow(self):
        self.compare("prefetch_priority_overflow")

    def test_retry_loop_x_death_counts(self):
        self.compare("retry_headers")

    def test_ttl(self):
        self.compare("ttl")

    def test_management_api_has_rabbitmqs_keys(self):
        """Every key RabbitMQ's management API answers (the UI and rabbitmqadmin read them), minus
        the ones minirabbit leaves out on purpose (MANAGEMENT_LEFT_OUT says why)."""
        real = management_keys(self.rabbit.port, self.rabbit.management_port)
        mini = management_keys(self.mini.port, self.mini.admin_port)
        self.maxDiff = None
        missing = {path: sorted(keys - mini[path] - MANAGEMENT_LEFT_OUT.get(path, set()))
                   for path, keys in real.items()}
        self.assertEqual({path: keys for path, keys in missing.items() if keys}, {})


# What minirabbit's management API does not answer, and why: Erlang VM internals (garbage
# collection, reductions, mnesia, Raft), TLS details (no TLS listener), byte counters per socket
# and per-node I/O statistics it does not keep, RabbitMQ's per-kind message accounting (it answers
# messages_ram / messages_paged_out, the paging figures, but not persistent or unacked RAM splits).
_COUNTERS = {"channel_closed", "channel_created", "connection_closed", "connection_created", "context_switches",
             "gc_bytes_reclaimed", "gc_num", "io_read_avg_time", "io_read_bytes", "io_read_count", "io_reopen_count",
             "io_seek_avg_time", "io_seek_count", "io_sync_avg_time", "io_sync_count", "io_write_avg_time",
             "io_write_bytes", "io_write_count", "mnesia_disk_tx_count", "mnesia_ram_tx_count",
             "msg_store_read_count", "msg_store_write_count", "queue_created", "queue_declared", "queue_deleted",
             "queue_index_read_count", "queue_index_write_count"}
MANAGEMENT_LEFT_OUT = {
    "/nodes": _COUNTERS | {c + "_details" for c in _COUNTERS} | {"metrics_gc_queue_length", "ra_open_file_metrics"},
    "/connections": {"garbage_collection", "reductions", "reductions_details", "recv_cnt", "recv_oct", "send_cnt",
                     "send_oct", "send_pend", "peer_cert_issuer", "peer_cert_subject", "peer_cert_validity",
                     "ssl_cipher", "ssl_hash", "ssl_key_exchange", "ssl_protocol"},
    "/channels": {"garbage_collection", "reductions", "reductions_details", "pending_raft_commands", "idle_since"},
    "/queues": {"backing_queue_status", "consumer_capacity", "consumer_utilisation", "garbage_collection",
                "idle_since", "memory", "message_bytes", "message_bytes_persistent",
                "message_bytes_unacknowledged", "messages_persistent",
                "messages_ready_ram", "messages_unacknowledged_ram", "recoverable_slaves",
                "reductions", "reductions_details"},
    "/exchanges": {"user_who_performed_action"},
    "/vhosts": {"recv_oct", "recv_oct_details", "send_oct", "send_oct_details"},
}
MANAGEMENT_PATHS = ["/overview", "/nodes", "/connections", "/channels", "/consumers", "/queues", "/exchanges",
                    "/bindings", "/policies", "/vhosts", "/users", "/whoami", "/auth", "/extensions"]


def management_keys(amqp_port, http_port):
    """A connection, a channel, a consumer, a queue and a policy, then the keys of the first item
    of each list. RabbitMQ fills in connection and channel statistics a few seconds later."""
    def get(path, method="GET", body=None):
        request = urllib.request.Request(f"http://127.0.0.1:{http_port}/api{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return json.loads(text) if text else None

    get("/policies/%2F/diff-policy", "PUT", {"pattern": "^diff-", "apply-to": "queues",
                                              "definition": {"message-ttl": 60000}})
    connection = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=amqp_port))
    channel = connection.channel()
    channel.queue_declare("diff-keys")
    channel.basic_consume("diff-keys", lambda *args: None, consumer_tag="diff-tag")

    def first_items():
        connection.process_data_events(0)
        items = {path: get(path) for path in MANAGEMENT_PATHS}
        items = {path: (v[0] if v else {}) if isinstance(v, list) else v for path, v in items.items()}
        # Ready once the statistics arrived: a channel listed, a connection with its client_properties.
        return items if items["/channels"] and "client_properties" in items["/connections"] and \
            "fd_used" in items["/nodes"] else None

    items = wait_until(first_items, timeout=30, interval=0.5)
    connection.close()
    if not items:
        raise AssertionError(f"port {http_port}: no channel, connection or node statistics after 30 s")
    get("/policies/%2F/diff-policy", "DELETE")
    return {path: set(v.keys()) for path, v in items.items()}


if __name__ == "__main__":
    tap.main()
