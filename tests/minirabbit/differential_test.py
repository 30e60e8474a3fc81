"""The same pika scenarios against minirabbit and a real rabbitmq-server started by the test, with
the outcomes compared: error codes and texts, routing, requeue order, dead-letter headers, prefetch,
priorities, overflow, confirms. One RabbitMQ boot for the whole file (it takes seconds)."""
import unittest

import pika
from pika.exceptions import ChannelClosedByBroker, ConnectionClosedByBroker, NackError

import real_rabbitmq
import tap
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


@unittest.skipUnless(real_rabbitmq.available(), "rabbitmq-server is not installed")
class SameAsRabbitMQ(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rabbit = real_rabbitmq.RealRabbitMQ()
        cls.mini = Server("MINIRABBIT_BIN")

    @classmethod
    def tearDownClass(cls):
        cls.mini.close()
        cls.rabbit.stop()

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


if __name__ == "__main__":
    tap.main()
