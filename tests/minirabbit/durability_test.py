"""Durability with pika: durable definitions survive a restart, persistent messages survive kill -9,
and every publisher-confirmed message comes back, in order. A torn journal tail is dropped."""
import os
import socket
import threading
import unittest

import pika

import tap
from servers import Server, wait_until


def connect(server):
    return pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=server.port))


class Durability(unittest.TestCase):
    def setUp(self):
        self.server = Server("MINIRABBIT_BIN")

    def tearDown(self):
        self.server.close()

    def test_durable_topology_survives_a_restart_and_transient_does_not(self):
        connection = connect(self.server)
        channel = connection.channel()
        channel.exchange_declare("orders", "topic", durable=True)
        channel.queue_declare("eu-orders", durable=True, arguments={"x-max-length": 100})
        channel.queue_bind("eu-orders", "orders", "order.eu.*")
        channel.queue_declare("scratch", durable=False)
        channel.basic_publish("orders", "order.eu.fr", b"persistent", pika.BasicProperties(delivery_mode=2))
        channel.basic_publish("orders", "order.eu.de", b"transient", pika.BasicProperties(delivery_mode=1))
        connection.close()
        self.server.restart()

        connection = connect(self.server)
        channel = connection.channel()
        # Same arguments: an equivalent redeclaration; different ones would be 406.
        declared = channel.queue_declare("eu-orders", durable=True, arguments={"x-max-length": 100})
        self.assertEqual(declared.method.message_count, 1)
        self.assertEqual(channel.basic_get("eu-orders", auto_ack=True)[2], b"persistent")
        channel.basic_publish("orders", "order.eu.it", b"routed after restart")
        self.assertEqual(channel.basic_get("eu-orders", auto_ack=True)[2], b"routed after restart")
        with self.assertRaises(pika.exceptions.ChannelClosedByBroker) as gone:
            channel.queue_declare("scratch", passive=True)
        self.assertEqual(gone.exception.reply_code, 404)
        connection.close()

    def test_acked_messages_stay_acked_after_restart(self):
        connection = connect(self.server)
        channel = connection.channel()
        channel.queue_declare("jobs", durable=True)
        for i in range(10):
            channel.basic_publish("", "jobs", str(i).encode(), pika.BasicProperties(delivery_mode=2))
        for _ in range(4):
            method, _, _ = channel.basic_get("jobs")
            channel.basic_ack(method.delivery_tag)
        unacked, _, _ = channel.basic_get("jobs")  # delivered, never acked: must come back
        connection.close()
        self.server.restart()
        connection = connect(self.server)
        channel = connection.channel()
        bodies = []
        while True:
            method, _, body = channel.basic_get("jobs", auto_ack=True)
            if method is None:
                break
            bodies.append(body)
        self.assertEqual(bodies, [str(i).encode() for i in range(4, 10)])
        connection.close()

    def test_every_confirmed_message_survives_kill_9_in_order(self):
        connection = connect(self.server)
        channel = connection.channel()
        channel.queue_declare("ledger", durable=True)
        channel.confirm_delivery()
        confirmed = []
        killed = threading.Event()

        def kill_soon():
            # Kill the broker while the publisher is mid-stream, after a few hundred confirms.
            while len(confirmed) < 300:
                if killed.wait(0.005):
                    return
            self.server.kill9()
            killed.set()
        killer = threading.Thread(target=kill_soon)
        killer.start()
        try:
            for i in range(100000):
                channel.basic_publish("", "ledger", str(i).encode(), pika.BasicProperties(delivery_mode=2))
                confirmed.append(i)  # basic_publish returned: the broker confirmed it
        except (pika.exceptions.AMQPError, OSError):
            pass
        killed.set()
        killer.join()
        self.assertGreaterEqual(len(confirmed), 300)

        self.server.start()
        connection = connect(self.server)
        channel = connection.channel()
        got = []
        while True:
            method, _, body = channel.basic_get("ledger", auto_ack=True)
            if method is None:
                break
            got.append(int(body))
        # Every confirmed message, in publish order; at most the one in flight may follow.
        self.assertEqual(got[:len(confirmed)], confirmed)
        self.assertLessEqual(len(got), len(confirmed) + 1)
        connection.close()

    def test_a_torn_journal_tail_is_dropped_on_recovery(self):
        connection = connect(self.server)
        channel = connection.channel()
        channel.queue_declare("q", durable=True)
        channel.confirm_delivery()
        for i in range(5):
            channel.basic_publish("", "q", str(i).encode(), pika.BasicProperties(delivery_mode=2))
        connection.close()
        self.server.kill9()
        # A crash in the middle of a write: half a record at the end of the file.
        torn = b"\x00\x00\x01\x00\xde\xad\xbe\xefhalf a rec"  # claims 256 bytes, has 10
        with open(os.path.join(self.server.dir, "journal.log"), "ab") as journal:
            journal.write(torn)
        self.server.start()
        self.assertIn(f"dropped a torn tail of {len(torn)} bytes", self.server.log())
        connection = connect(self.server)
        channel = connection.channel()
        self.assertEqual(channel.queue_declare("q", durable=True).method.message_count, 5)
        connection.close()


class DiskRefuses(unittest.TestCase):
    """When definitions.json cannot be written (here: no file descriptor left), a durable
    declare is not confirmed: that connection closes with 541 INTERNAL_ERROR, as RabbitMQ does,
    the broker keeps serving, and the save is retried until it works."""
    LIMIT = 64

    def test_a_durable_declare_the_disk_refuses_is_not_confirmed(self):
        server = Server("MINIRABBIT_BIN", open_files=self.LIMIT)
        self.addCleanup(server.close)
        connection = connect(server)
        channel = connection.channel()
        hogs = []
        self.addCleanup(lambda: [h.close() for h in hogs])
        while self.LIMIT - len(server.open_files()) > 0:  # idle connections take the rest
            count = len(server.open_files())
            hogs.append(socket.create_connection(("127.0.0.1", server.port)))
            self.assertTrue(wait_until(lambda: len(server.open_files()) > count))
        with self.assertRaises(pika.exceptions.ConnectionClosedByBroker) as closed:
            channel.queue_declare("kept", durable=True)
        self.assertEqual(closed.exception.reply_code, 541, server.log())

        for h in hogs:
            h.close()
        definitions = os.path.join(server.dir, "definitions.json")
        self.assertTrue(wait_until(lambda: os.path.exists(definitions) and "kept" in open(definitions).read()))
        server.restart()
        connection = connect(server)
        connection.channel().queue_declare("kept", passive=True)  # 404 would close the channel
        connection.close()


if __name__ == "__main__":
    tap.main()
