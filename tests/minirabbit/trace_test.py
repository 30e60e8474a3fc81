"""The --trace narrates a message's whole life, in order (issue 22): publish -> journal write and
fsync -> publisher confirm -> delivery -> consumer ack (-> the journal forgets it); a nack with
requeue, a reject that dead-letters, a TTL that expires."""
import unittest

import pika

import tap
from servers import Server
from traces import assert_trace_in_order


class Trace(unittest.TestCase):
    def setUp(self):
        self.server = Server("MINIRABBIT_BIN", "--trace", "yes")
        self.connection = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=self.server.port))
        self.channel = self.connection.channel()

    def tearDown(self):
        self.connection.close()
        self.server.close()

    def test_a_confirmed_persistent_message_from_publish_to_ack(self):
        channel = self.channel
        channel.queue_declare("orders", durable=True)
        channel.confirm_delivery()
        channel.basic_publish("", "orders", b"order 1", pika.BasicProperties(delivery_mode=2))  # waits for the confirm
        method, _, body = channel.basic_get("orders")
        self.assertEqual(body, b"order 1")
        channel.basic_ack(method.delivery_tag)
        channel.queue_declare("orders", durable=True, passive=True)  # a round trip: the ack was handled
        assert_trace_in_order(self, self.server, [
            r"^basic\.publish exchange=\(default\)\(direct\) key=orders -> by name -> queue orders",
            # The confirm waits for the fsync that covers the message: the journal line comes first.
            r"^journal write publishes=1 removes=0 bytes=\d+ -> fdatasync covering 1 record",
            r"^confirm basic\.ack channel=1 delivery_tag=1 multiple=false -> publisher: 1 publish safe",
            r"^basic\.get-ok channel=1 queue=orders delivery_tag=1",
            r"^basic\.ack channel=1 delivery_tag=1 multiple=false -> acked",
            r"^journal write publishes=0 removes=1 ",
        ])

    def test_a_consumer_delivery_nack_requeue_then_reject_to_the_dead_letter_exchange(self):
        channel = self.channel
        channel.exchange_declare("dlx", "fanout")
        channel.queue_declare("poison")
        channel.queue_bind("poison", "dlx")
        channel.queue_declare("work", arguments={"x-dead-letter-exchange": "dlx"})
        channel.basic_publish("", "work", b"bad")
        deliveries = []
        channel.basic_consume("work", lambda ch, method, props, body: deliveries.append(method.delivery_tag))
        self.connection.process_data_events(time_limit=0)
        while len(deliveries) < 1:
            self.connection.process_data_events(time_limit=1)
        channel.basic_nack(deliveries[0], requeue=True)
        while len(deliveries) < 2:
            self.connection.process_data_events(time_limit=1)
        channel.basic_reject(deliveries[1], requeue=False)
        self.assertEqual(channel.queue_declare("poison", passive=True).method.message_count, 1)
        assert_trace_in_order(self, self.server, [
            r"^basic\.publish exchange=\(default\)\(direct\) key=work",
            r"^basic\.deliver channel=1 consumer=\S+ queue=work delivery_tag=1 redelivered=false",
            r"^basic\.nack channel=1 delivery_tag=1 multiple=false requeue=true -> back to its queue",
            r"^requeue queue=work seq=\d+ -> back at its original position",
            r"^basic\.deliver channel=1 consumer=\S+ queue=work delivery_tag=2 redelivered=true",
            r"^basic\.reject channel=1 delivery_tag=2 multiple=false requeue=false",
            r"^dead-letter queue=work seq=\d+ reason=rejected -> exchange dlx key=work -> queue poison",
        ])

    def test_ttl_expiry_is_traced(self):
        channel = self.channel
        channel.queue_declare("short-lived", arguments={"x-message-ttl": 1})
        channel.basic_publish("", "short-lived", b"stale")
        # Expired messages leave on the broker's tick (or when a consumer would get them).
        assert_trace_in_order(self, self.server, [
            r"^basic\.publish exchange=\(default\)\(direct\) key=short-lived",
            r"^drop queue=short-lived seq=\d+ reason=expired -> discarded",
        ])


if __name__ == "__main__":
    tap.main()
