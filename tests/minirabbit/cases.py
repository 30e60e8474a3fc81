"""The set-ups minirabbit's client tests share: one server per test class (starting one costs more
than most tests), and for pika tests a fresh connection and channel per test, so a test whose
channel the broker closes cannot spoil the next."""
import unittest

import pika

from servers import Server


class MinirabbitTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIRABBIT_BIN")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()


class PikaChannelTest(MinirabbitTest):
    def setUp(self):
        self.connection = pika.BlockingConnection(
            pika.ConnectionParameters(host="127.0.0.1", port=self.server.port))
        self.channel = self.connection.channel()

    def tearDown(self):
        if self.connection.is_open:
            self.connection.close()
