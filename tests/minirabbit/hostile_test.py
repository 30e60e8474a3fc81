"""Topologies and values a fuzzer found that crashed or stalled minirabbit, driven with pika:
auto-delete chains, dead letters delivered back to the channel that rejected them, extreme TTLs
and death counts, long exchange-to-exchange and dead-letter chains, a dead-letter cascade, topic
keys of many '#', and acks held by a transaction. Each must be routed, refused or bounded."""

import pika
from pika.exceptions import ChannelClosedByBroker

import tap
from cases import PikaChannelTest
from servers import wait_until


class Hostile(PikaChannelTest):
    def test_deleting_an_exchange_cascades_through_chained_auto_delete_exchanges(self):
        ch = self.channel
        ch.exchange_declare("hub", "fanout")
        ch.exchange_declare("ad-a", "fanout", auto_delete=True)
        ch.exchange_declare("ad-b", "fanout", auto_delete=True)
        ch.exchange_bind(destination="hub", source="ad-a")
        ch.exchange_bind(destination="hub", source="ad-b")
        ch.exchange_bind(destination="ad-a", source="ad-b")
        # hub goes: ad-a loses its last binding and goes, which takes ad-b's last binding too.
        ch.exchange_delete("hub")
        for name in ("ad-a", "ad-b"):
            probe = self.connection.channel()
            with self.assertRaises(ChannelClosedByBroker) as gone:
                probe.exchange_declare(name, "fanout", passive=True)
            self.assertEqual(gone.exception.reply_code, 404)

    def test_nack_all_dead_lettering_back_to_a_consumer_on_the_same_channel(self):
        ch = self.channel
        ch.exchange_declare("dlx-same", "fanout")
        ch.queue_declare("dead-same")
        ch.queue_bind("dead-same", "dlx-same")
        ch.queue_declare("live-same", arguments={"x-dead-letter-exchange": "dlx-same"})
        live, dead = [], []
        ch.basic_consume("live-same", lambda c, m, p, b: live.append(m.delivery_tag))
        ch.basic_consume("dead-same", lambda c, m, p, b: dead.append(m.delivery_tag))
        for _ in range(300):
            ch.basic_publish("", "live-same", b"x")
        self.assertTrue(wait_until(lambda: self.connection.process_data_events(0.05) or len(live) == 300))
        # Each rejected message is dead-lettered and delivered straight back to this channel while
        # the broker is still walking the channel's unacked list.
        ch.basic_nack(0, multiple=True, requeue=False)
        self.assertTrue(wait_until(lambda: self.connection.process_data_events(0.05) or len(dead) == 300))
        ch.basic_ack(0, multiple=True)  # the 300 new deliveries were not swept up by the nack
        self.assertEqual(ch.queue_declare("dead-same", passive=True).method.message_count, 0)

    def test_extreme_ttl_and_death_count_saturate_instead_of_overflowing(self):
        ch = self.channel
        ch.exchange_declare("dlx-count", "fanout")
        ch.queue_declare("dead-count")
        ch.queue_bind("dead-count", "dlx-count")
        ch.queue_declare("live-count", arguments={"x-dead-letter-exchange": "dlx-count"})
        forged = {"x-death": [{"queue": "live-count", "reason": "rejected", "count": 2**63 - 1}]}
        ch.basic_publish("", "live-count", b"old", pika.BasicProperties(headers=forged, expiration=str(2**63 - 1)))
        method, _, body = ch.basic_get("live-count")
        self.assertEqual(body, b"old")  # a TTL past the end of time has not expired
        ch.basic_reject(method.delivery_tag, requeue=False)
        _, props, _ = ch.basic_get("dead-count", auto_ack=True)
        self.assertEqual(props.headers["x-death"][0]["count"], 2**63 - 1)

    def test_a_long_exchange_to_exchange_chain_routes_without_recursion(self):
        ch = self.channel
        hops = 3000
        for i in range(hops + 1):
            ch.exchange_declare(f"hop{i}", "fanout", arguments=None)
        for i in range(hops):
            ch.exchange_bind(destination=f"hop{i + 1}", source=f"hop{i}")
        ch.exchange_bind(destination="hop0", source=f"hop{hops}")  # and a cycle back to the start
        ch.queue_declare("end-of-chain")
        ch.queue_bind("end-of-chain", f"hop{hops}")
        ch.basic_publish("hop0", "", b"far")
        self.assertTrue(wait_until(lambda: ch.queue_declare("end-of-chain", passive=True).method.message_count == 1))

    def test_a_binding_key_of_many_hashes_matches_once_and_quickly(self):
        ch = self.channel
        ch.queue_declare("hashes")
        ch.queue_bind("hashes", "amq.topic", ".".join(["#"] * 12))
        ch.basic_publish("amq.topic", ".".join(["w"] * 60), b"deep")  # was ~C(72,12) paths
        self.assertTrue(wait_until(lambda: ch.queue_declare("hashes", passive=True).method.message_count == 1))

    def test_a_long_chain_of_dead_letter_queues_delivers_without_recursion(self):
        ch = self.channel
        length = 2000
        for i in range(length):  # each queue drops everything (max-length 0) into the next
            ch.queue_declare(f"dl-chain-{i}", arguments={
                "x-max-length": 0, "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": f"dl-chain-{i + 1}"})
        ch.queue_declare(f"dl-chain-{length}")
        ch.basic_publish("", "dl-chain-0", b"passed along")
        _, props, body = ch.basic_get(f"dl-chain-{length}", auto_ack=True)
        self.assertEqual(body, b"passed along")
        self.assertEqual(len(props.headers["x-death"]), length)

    def test_a_dead_letter_cascade_is_bounded(self):
        ch = self.channel
        ch.exchange_declare("cascade", "fanout")
        for i in range(9):  # each drops into a fanout bound to all nine: e*9! (~1M) letters
            ch.queue_declare(f"cascade-{i}", arguments={"x-max-length": 0, "x-dead-letter-exchange": "cascade"})
            ch.queue_bind(f"cascade-{i}", "cascade")
        ch.basic_publish("", "cascade-0", b"x")
        self.assertTrue(wait_until(lambda: "dead-letter cascade made" in self.server.log()))
        ch.queue_declare("cascade-0", passive=True)  # and the broker answers as before

    def test_acks_held_by_a_transaction_are_checked_when_they_arrive(self):
        ch = self.channel
        ch.queue_declare("tx-acks")
        ch.basic_publish("", "tx-acks", b"one")
        ch.tx_select()
        method, _, _ = ch.basic_get("tx-acks")
        ch.basic_ack(method.delivery_tag)
        ch.basic_ack(method.delivery_tag)  # a second ack of the same delivery: RabbitMQ says 406
        with self.assertRaises(ChannelClosedByBroker) as refused:
            ch.tx_commit()
        self.assertEqual(refused.exception.reply_code, 406)


if __name__ == "__main__":
    tap.main()
