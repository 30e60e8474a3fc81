"""pika's asynchronous SelectConnection (callbacks on an I/O loop, the style of pika's asynchronous
publisher/consumer examples): confirms arrive as callbacks, deliveries stream to a consumer."""
import unittest

import pika

import tap
from servers import Server


class AsyncPublisherConsumer:
    """Opens a connection and a channel, declares a queue, enables confirms, publishes `count`
    messages, consumes them back with acks, then closes - all driven by callbacks."""

    def __init__(self, port, count):
        self.count = count
        self.confirmed = set()
        self.received = []
        self.closed_cleanly = False
        self.connection = pika.SelectConnection(
            pika.ConnectionParameters(host="127.0.0.1", port=port),
            on_open_callback=self.on_connection_open,
            on_close_callback=lambda conn, reason: conn.ioloop.stop())

    def on_connection_open(self, connection):
        connection.channel(on_open_callback=self.on_channel_open)

    def on_channel_open(self, channel):
        self.channel = channel
        channel.queue_declare("select-queue", callback=self.on_declared)

    def on_declared(self, frame):
        self.channel.confirm_delivery(self.on_confirm, callback=self.on_confirm_mode)

    def on_confirm_mode(self, frame):
        for i in range(self.count):
            self.channel.basic_publish("", "select-queue", str(i).encode())

    def on_confirm(self, frame):
        method = frame.method
        assert isinstance(method, pika.spec.Basic.Ack), method
        last = method.delivery_tag
        tags = range(min(self.confirmed, default=0) + 1, last + 1) if method.multiple else [last]
        self.confirmed.update(tags)
        if len(self.confirmed) == self.count:
            self.channel.basic_qos(prefetch_count=50, callback=lambda f: self.channel.basic_consume(
                "select-queue", self.on_message))

    def on_message(self, channel, method, properties, body):
        self.received.append(int(body))
        channel.basic_ack(method.delivery_tag)
        if len(self.received) == self.count:
            self.closed_cleanly = True
            self.connection.close()

    def run(self):
        self.connection.ioloop.call_later(20, self.connection.ioloop.stop)  # a safety net, not a timing
        self.connection.ioloop.start()


class PikaSelectConnection(unittest.TestCase):
    def test_confirms_and_consumption_through_callbacks(self):
        with Server("MINIRABBIT_BIN") as server:
            client = AsyncPublisherConsumer(server.port, 2000)
            client.run()
            self.assertTrue(client.closed_cleanly)
            self.assertEqual(client.confirmed, set(range(1, 2001)))
            self.assertEqual(client.received, list(range(2000)))


if __name__ == "__main__":
    tap.main()
