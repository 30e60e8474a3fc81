"""The set-up most pika tests share: one minirabbit per test class, a fresh pika connection and
channel per test (so a test that gets its channel closed by the broker cannot spoil the next)."""
import unittest

import pika

from servers import Server


class PikaChannelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIRABBIT_BIN")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.connection = pika.BlockingConnection(
            pika.ConnectionParameters(host="127.0.0.1", port=self.server.port))
        self.channel = self.connection.channel()

    def tearDown(self):
        if self.connection.is_open:
            self.connection.close()
