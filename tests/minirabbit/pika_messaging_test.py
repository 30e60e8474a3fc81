"""RabbitMQ's messaging model through pika: exchanges and routing, work queues with acks and
prefetch, confirms, mandatory returns, transactions, and the errors RabbitMQ gives.
The comments name the RabbitMQ tutorial or rule each test shows."""

import pika
from pika.exceptions import ChannelClosedByBroker, NackError, UnroutableError

import tap
from cases import PikaChannelTest
from servers import wait_until


def drain(channel, queue, expected, timeout=5, ack=True):
    """Consumes until `expected` messages arrived (or the timeout); returns (method, props, body)s."""
    got = []
    for method, props, body in channel.consume(queue, inactivity_timeout=timeout):
        if method is None:
            break
        got.append((method, props, body))
        if ack:
            channel.basic_ack(method.delivery_tag)
        if len(got) == expected:
            break
    channel.cancel()
    return got


class Messaging(PikaChannelTest):
    def fresh_queue(self, **kwargs):
        return self.channel.queue_declare("", exclusive=True, **kwargs).method.queue

    # -- routing (tutorials 3-5: publish/subscribe, routing, topics) -------------------------------
    def test_fanout_gives_every_subscriber_a_copy(self):
        self.channel.exchange_declare("news", "fanout")
        subscribers = [self.fresh_queue() for _ in range(3)]
        for q in subscribers:
            self.channel.queue_bind(q, "news")
        self.channel.basic_publish("news", "ignored", b"extra!")
        for q in subscribers:
            method, _, body = self.channel.basic_get(q, auto_ack=True)
            self.assertEqual(body, b"extra!")
            self.assertEqual(method.exchange, "news")

    def test_direct_routes_by_key(self):
        self.channel.exchange_declare("logs_direct", "direct")
        errors, infos = self.fresh_queue(), self.fresh_queue()
        self.channel.queue_bind(errors, "logs_direct", "error")
        self.channel.queue_bind(infos, "logs_direct", "info")
        self.channel.queue_bind(infos, "logs_direct", "error")
        self.channel.basic_publish("logs_direct", "error", b"disk full")
        self.channel.basic_publish("logs_direct", "info", b"started")
        self.assertEqual(self.channel.queue_declare(errors, passive=True).method.message_count, 1)
        self.assertEqual(self.channel.queue_declare(infos, passive=True).method.message_count, 2)

    def test_topic_routes_by_pattern(self):
        self.channel.exchange_declare("animals", "topic")
        lazy, orange, rabbits = self.fresh_queue(), self.fresh_queue(), self.fresh_queue()
        self.channel.queue_bind(orange, "animals", "*.orange.*")
        self.channel.queue_bind(rabbits, "animals", "*.*.rabbit")
        self.channel.queue_bind(lazy, "animals", "lazy.#")
        for key in ("quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox",
                    "lazy", "quick.brown.fox", "orange", "quick.orange.male.rabbit"):
            self.channel.basic_publish("animals", key, key.encode())
        count = lambda q: self.channel.queue_declare(q, passive=True).method.message_count
        self.assertEqual(count(orange), 3)
        self.assertEqual(count(rabbits), 1)
        self.assertEqual(count(lazy), 3)

    def test_headers_exchange_matches_all_or_any(self):
        self.channel.exchange_declare("hdrs", "headers")
        both, either = self.fresh_queue(), self.fresh_queue()
        self.channel.queue_bind(both, "hdrs", arguments={"x-match": "all", "format": "pdf", "type": "report"})
        self.channel.queue_bind(either, "hdrs", arguments={"x-match": "any", "format": "pdf", "type": "report"})
        self.channel.basic_publish("hdrs", "", b"1", pika.BasicProperties(headers={"format": "pdf", "type": "report"}))
        self.channel.basic_publish("hdrs", "", b"2", pika.BasicProperties(headers={"format": "pdf"}))
        self.assertEqual(self.channel.queue_declare(both, passive=True).method.message_count, 1)
        self.assertEqual(self.channel.queue_declare(either, passive=True).method.message_count, 2)

    def test_exchange_to_exchange_binding_and_alternate_exchange(self):
        self.channel.exchange_declare("unrouted", "fanout")
        self.channel.exchange_declare("front", "direct", arguments={"alternate-exchange": "unrouted"})
        self.channel.exchange_declare("back", "fanout")
        self.channel.exchange_bind("back", "front", "tasks")
        tasks, leftovers = self.fresh_queue(), self.fresh_queue()
        self.channel.queue_bind(tasks, "back")
        self.channel.queue_bind(leftovers, "unrouted")
        self.channel.basic_publish("front", "tasks", b"a task")
        self.channel.basic_publish("front", "nobody", b"stray")
        self.assertEqual(self.channel.basic_get(tasks, auto_ack=True)[2], b"a task")
        self.assertEqual(self.channel.basic_get(leftovers, auto_ack=True)[2], b"stray")

    # -- work queues (tutorial 2): acks, prefetch, redelivery ---------------------------------------
    def test_prefetch_one_gives_work_to_whoever_is_free(self):
        q = self.fresh_queue()
        worker2 = self.connection.channel()
        seen = []
        for number, ch in ((1, self.channel), (2, worker2)):
            ch.basic_qos(prefetch_count=1)
            ch.basic_consume(q, lambda c, m, p, b, n=number: seen.append((n, c, m, b)))
        for i in range(4):
            self.channel.basic_publish("", q, str(i).encode())

        def wait_for(count):
            return wait_until(lambda: self.connection.process_data_events(0.02) or len(seen) >= count, timeout=5)
        # Round-robin, and each worker holds at most one unacked message.
        self.assertTrue(wait_for(2))
        self.assertEqual([(n, b) for n, _, _, b in seen], [(1, b"0"), (2, b"1")])
        # Worker 2 finishes first: the next message is its, not busy worker 1's.
        _, ch, method, _ = seen[1]
        ch.basic_ack(method.delivery_tag)
        self.assertTrue(wait_for(3))
        self.assertEqual((seen[2][0], seen[2][3]), (2, b"2"))
        _, ch, method, _ = seen[0]
        ch.basic_ack(method.delivery_tag)
        self.assertTrue(wait_for(4))
        self.assertEqual((seen[3][0], seen[3][3]), (1, b"3"))

    def test_closing_a_channel_requeues_its_unacked_messages_in_order(self):
        q = self.channel.queue_declare("requeue-on-close").method.queue
        self.channel.queue_purge(q)
        for i in range(3):
            self.channel.basic_publish("", q, str(i).encode())
        consumer = self.connection.channel()
        got = drain(consumer, q, 3, ack=False)
        self.assertEqual([b for _, _, b in got], [b"0", b"1", b"2"])
        consumer.close()
        again = drain(self.channel, q, 3)
        self.assertEqual([b for _, _, b in again], [b"0", b"1", b"2"])
        self.assertTrue(all(m.redelivered for m, _, _ in again))
        self.channel.queue_delete(q)

    def test_nack_requeue_and_reject_to_dead_letter_exchange(self):
        self.channel.exchange_declare("dlx", "fanout")
        dead = self.fresh_queue()
        self.channel.queue_bind(dead, "dlx")
        q = self.fresh_queue(arguments={"x-dead-letter-exchange": "dlx"})
        self.channel.basic_publish("", q, b"retry me")
        method, _, _ = self.channel.basic_get(q)
        self.channel.basic_nack(method.delivery_tag, requeue=True)
        method, _, body = self.channel.basic_get(q)
        self.assertTrue(method.redelivered)
        self.channel.basic_reject(method.delivery_tag, requeue=False)
        _, props, body = self.channel.basic_get(dead, auto_ack=True)
        self.assertEqual(body, b"retry me")
        death = props.headers["x-death"][0]
        self.assertEqual(death["reason"], "rejected")
        self.assertEqual(death["queue"], q)
        self.assertEqual(death["count"], 1)
        self.assertEqual(death["routing-keys"], [q])

    def test_ack_of_unknown_tag_is_406(self):
        with self.assertRaises(ChannelClosedByBroker) as closed:
            self.channel.basic_ack(99)
            self.channel.queue_declare("", exclusive=True)  # a round trip to see the close
        self.assertEqual(closed.exception.reply_code, 406)
        self.assertEqual(closed.exception.reply_text, "PRECONDITION_FAILED - unknown delivery tag 99")

    def test_basic_recover_redelivers_unacked(self):
        q = self.fresh_queue()
        self.channel.basic_publish("", q, b"m")
        method, _, _ = self.channel.basic_get(q)
        self.channel.basic_recover(requeue=True)
        method, _, body = self.channel.basic_get(q, auto_ack=True)
        self.assertTrue(method.redelivered)

    # -- publisher side: confirms, returns, transactions -------------------------------------------
    def test_confirms_ack_and_mandatory_unroutable_is_returned(self):
        self.channel.confirm_delivery()
        q = self.fresh_queue()
        self.channel.basic_publish("", q, b"ok", mandatory=True)  # raises if nacked
        with self.assertRaises(UnroutableError) as returned:
            self.channel.basic_publish("", "no-such-queue", b"lost", mandatory=True)
        self.assertEqual(returned.exception.messages[0].method.reply_code, 312)
        self.assertEqual(returned.exception.messages[0].body, b"lost")

    def test_reject_publish_overflow_nacks_the_publisher(self):
        self.channel.confirm_delivery()
        q = self.fresh_queue(arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
        self.channel.basic_publish("", q, b"fits")
        with self.assertRaises(NackError):
            self.channel.basic_publish("", q, b"does not fit")
        self.assertEqual(self.channel.queue_declare(q, passive=True).method.message_count, 1)

    def test_transactions_publish_on_commit_only(self):
        q = self.fresh_queue()
        self.channel.tx_select()
        self.channel.basic_publish("", q, b"rolled back")
        self.channel.tx_rollback()
        self.channel.basic_publish("", q, b"committed")
        self.assertEqual(self.channel.queue_declare(q, passive=True).method.message_count, 0)
        self.channel.tx_commit()
        self.assertEqual(self.channel.basic_get(q, auto_ack=True)[2], b"committed")

    # -- queue features ----------------------------------------------------------------------------
    def test_message_ttl_expires_into_the_dead_letter_queue(self):
        dead = self.fresh_queue()
        q = self.fresh_queue(arguments={"x-message-ttl": 50, "x-dead-letter-exchange": "",
                                        "x-dead-letter-routing-key": dead})
        self.channel.basic_publish("", q, b"short-lived")
        self.channel.basic_publish("", q, b"shorter", pika.BasicProperties(expiration="10"))
        count = lambda name: self.channel.queue_declare(name, passive=True).method.message_count
        self.assertTrue(wait_until(lambda: count(dead) == 2, timeout=5))
        self.assertEqual(count(q), 0)
        _, props, body = self.channel.basic_get(dead, auto_ack=True)
        self.assertEqual(body, b"short-lived")
        self.assertEqual(props.headers["x-death"][0]["reason"], "expired")

    def test_queue_expires_when_unused(self):
        q = self.channel.queue_declare("", arguments={"x-expires": 100}).method.queue

        def gone():
            probe = self.connection.channel()
            try:
                probe.queue_declare(q, passive=True)
                probe.close()
                return False
            except ChannelClosedByBroker as closed:
                return closed.reply_code == 404
        self.assertTrue(wait_until(gone, timeout=5))

    def test_priority_queue_delivers_highest_first(self):
        q = self.fresh_queue(arguments={"x-max-priority": 10})
        for priority in (1, 5, 10, 3):
            self.channel.basic_publish("", q, str(priority).encode(), pika.BasicProperties(priority=priority))
        bodies = [self.channel.basic_get(q, auto_ack=True)[2] for _ in range(4)]
        self.assertEqual(bodies, [b"10", b"5", b"3", b"1"])

    def test_exclusive_queue_is_locked_to_its_connection_and_vanishes_with_it(self):
        q = self.fresh_queue()
        other = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=self.server.port))
        with self.assertRaises(ChannelClosedByBroker) as locked:
            other.channel().basic_consume(q, lambda *a: None)
        self.assertEqual(locked.exception.reply_code, 405)
        self.connection.close()
        with self.assertRaises(ChannelClosedByBroker) as gone:
            other.channel().queue_declare(q, passive=True)
        self.assertEqual(gone.exception.reply_code, 404)
        other.close()

    def test_auto_delete_queue_goes_with_its_last_consumer(self):
        q = self.channel.queue_declare("auto-deleted", auto_delete=True).method.queue
        tag = self.channel.basic_consume(q, lambda *a: None)
        self.channel.basic_cancel(tag)
        with self.assertRaises(ChannelClosedByBroker) as gone:
            self.channel.queue_declare(q, passive=True)
        self.assertEqual(gone.exception.reply_code, 404)

    def test_redeclare_with_other_properties_is_406(self):
        self.channel.queue_declare("stable", durable=False)
        with self.assertRaises(ChannelClosedByBroker) as closed:
            self.channel.queue_declare("stable", durable=True)
        self.assertEqual(closed.exception.reply_code, 406)
        self.assertIn("inequivalent arg 'durable' for queue 'stable'", closed.exception.reply_text)
        channel = self.connection.channel()
        channel.exchange_declare("typed", "direct")
        with self.assertRaises(ChannelClosedByBroker) as closed:
            channel.exchange_declare("typed", "fanout")
        self.assertEqual(closed.exception.reply_code, 406)
        channel = self.connection.channel()
        channel.queue_delete("stable")

    def test_purge_and_conditional_delete(self):
        q = self.channel.queue_declare("to-purge").method.queue
        for _ in range(3):
            self.channel.basic_publish("", q, b"x")
        with self.assertRaises(ChannelClosedByBroker) as closed:
            self.channel.queue_delete(q, if_empty=True)
        self.assertEqual(closed.exception.reply_code, 406)
        channel = self.connection.channel()
        self.assertEqual(channel.queue_purge(q).method.message_count, 3)
        self.assertEqual(channel.queue_delete(q, if_empty=True).method.message_count, 0)

    def test_deleting_a_consumed_queue_cancels_the_consumer(self):
        q = self.channel.queue_declare("doomed").method.queue
        cancelled = []
        self.channel.add_on_cancel_callback(lambda frame: cancelled.append(frame.method.consumer_tag))
        tag = self.channel.basic_consume(q, lambda *a: None)
        self.connection.channel().queue_delete(q)
        self.assertTrue(wait_until(lambda: self.connection.process_data_events(0.05) or cancelled, timeout=5))
        self.assertEqual(cancelled, [tag])

    def test_reserved_names_and_the_default_exchange_are_protected(self):
        with self.assertRaises(ChannelClosedByBroker) as closed:
            self.channel.queue_declare("amq.mine")
        self.assertEqual(closed.exception.reply_code, 403)
        channel = self.connection.channel()
        with self.assertRaises(ChannelClosedByBroker) as closed:
            channel.queue_bind(self.connection.channel().queue_declare("", exclusive=True).method.queue, "")
        self.assertEqual(closed.exception.reply_code, 403)

    def test_internal_exchanges_take_no_publishes_and_if_unused_protects_bound_exchanges(self):
        self.channel.exchange_declare("inner", "fanout", internal=True)
        self.channel.exchange_declare("outer", "fanout")
        self.channel.exchange_bind("inner", "outer")
        q = self.fresh_queue()
        self.channel.queue_bind(q, "inner")
        self.channel.basic_publish("outer", "", b"via outer")
        self.assertEqual(self.channel.basic_get(q, auto_ack=True)[2], b"via outer")
        with self.assertRaises(ChannelClosedByBroker) as refused:
            self.channel.basic_publish("inner", "", b"direct")
            self.channel.queue_declare(q, passive=True)
        self.assertEqual(refused.exception.reply_code, 403)
        channel = self.connection.channel()
        with self.assertRaises(ChannelClosedByBroker) as in_use:
            channel.exchange_delete("inner", if_unused=True)
        self.assertEqual(in_use.exception.reply_code, 406)
        channel = self.connection.channel()
        channel.exchange_unbind("inner", "outer")
        channel.queue_unbind(q, "inner")
        channel.exchange_delete("inner", if_unused=True)
        with self.assertRaises(ChannelClosedByBroker) as gone:
            channel.exchange_declare("inner", "fanout", passive=True)
        self.assertEqual(gone.exception.reply_code, 404)

    def test_auto_delete_exchange_goes_with_its_last_binding(self):
        self.channel.exchange_declare("fleeting", "direct", auto_delete=True)
        q = self.fresh_queue()
        self.channel.queue_bind(q, "fleeting", "k")
        self.channel.queue_unbind(q, "fleeting", "k")
        with self.assertRaises(ChannelClosedByBroker) as gone:
            self.channel.exchange_declare("fleeting", "direct", passive=True)
        self.assertEqual(gone.exception.reply_code, 404)

    def test_cancel_keeps_unacked_messages_ackable(self):
        q = self.fresh_queue()
        self.channel.basic_publish("", q, b"m")
        got = []
        tag = self.channel.basic_consume(q, lambda ch, m, p, b: got.append(m), consumer_tag="mine")
        self.assertTrue(wait_until(lambda: self.connection.process_data_events(0.02) or got, timeout=5))
        self.channel.basic_cancel(tag)
        self.channel.basic_ack(got[0].delivery_tag)  # still valid after the cancel
        self.assertEqual(self.channel.queue_declare(q, passive=True).method.message_count, 0)
        self.channel.queue_delete(q)  # and nothing was left unacked to block it


if __name__ == "__main__":
    tap.main()
