"""minirabbit driven by pika, the most used Python client for RabbitMQ (Debian's python3-pika).
Each test starts from a fresh broker on a free port."""
import unittest

import pika

import tap
from servers import Server


class PikaBlockingConnection(unittest.TestCase):
    def setUp(self):
        self.server = Server("MINIRABBIT_BIN")
        self.params = pika.ConnectionParameters(host="127.0.0.1", port=self.server.port)

    def tearDown(self):
        self.server.close()

    def test_connection_opens_a_channel_and_closes(self):
        connection = pika.BlockingConnection(self.params)
        self.assertTrue(connection.is_open)
        channel = connection.channel()
        self.assertTrue(channel.is_open)
        capabilities = connection._impl.server_properties["capabilities"]
        for name in ("publisher_confirms", "basic.nack", "consumer_cancel_notify", "connection.blocked"):
            self.assertTrue(capabilities[name], name)
        channel.close()
        self.assertTrue(channel.is_closed)
        connection.close()
        self.assertTrue(connection.is_closed)
        self.assertEqual(self.server.stop(), 0)

    def test_wrong_password_is_refused(self):
        params = pika.ConnectionParameters(host="127.0.0.1", port=self.server.port,
                                           credentials=pika.PlainCredentials("guest", "wrong"))
        with self.assertRaises(pika.exceptions.ProbableAuthenticationError) as refused:
            pika.BlockingConnection(params)
        self.assertIn("ACCESS_REFUSED", str(refused.exception))

    def test_unknown_vhost_is_refused(self):
        params = pika.ConnectionParameters(host="127.0.0.1", port=self.server.port, virtual_host="nope")
        # pika reports a close during connection.open as "probable access denied".
        with self.assertRaises(pika.exceptions.ProbableAccessDeniedError) as refused:
            pika.BlockingConnection(params)
        self.assertIn("(530) 'NOT_ALLOWED - vhost nope not found'", str(refused.exception))

    def test_publish_then_get_through_the_default_exchange(self):
        connection = pika.BlockingConnection(self.params)
        channel = connection.channel()
        channel.queue_declare("hello")
        channel.basic_publish("", "hello", b"world", pika.BasicProperties(content_type="text/plain"))
        method, properties, body = channel.basic_get("hello", auto_ack=True)
        self.assertEqual(body, b"world")
        self.assertEqual(properties.content_type, "text/plain")
        self.assertEqual(method.routing_key, "hello")
        self.assertEqual(channel.basic_get("hello"), (None, None, None))
        connection.close()

    def test_missing_queue_closes_only_the_channel_with_404(self):
        connection = pika.BlockingConnection(self.params)
        channel = connection.channel()
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as closed:
            channel.queue_declare("missing", passive=True)
        self.assertEqual(closed.exception.reply_code, 404)
        self.assertEqual(closed.exception.reply_text, "NOT_FOUND - no queue 'missing' in vhost '/'")
        self.assertTrue(connection.is_open)
        other = connection.channel()
        other.queue_declare("present")
        connection.close()


if __name__ == "__main__":
    tap.main()
