"""Issue 23: the rate history behind RabbitMQ's management UI charts. With a chart range
(?msg_rates_age=&msg_rates_incr=, ?lengths_age=&lengths_incr=, seconds) every counter's and queue
length's "_details" carries RabbitMQ 3.10's {"rate", "samples": [{"sample", "timestamp"}, ...] newest
first, "avg_rate", "avg"}; without one only the rate. A pika client publishes for a while and the
rate and samples of the queue, the exchange and the overview follow it, then fall flat when it
stops. --collect-statistics-interval 200 (rabbitmq.conf collect_statistics_interval) samples every
200 ms instead of 5 s so this takes seconds."""
import base64
import json
import unittest
import urllib.request

import pika

import tap
from servers import Server, wait_until

AGE, INCR = 2, 1  # seconds: points at t0, t0 - 1 s, t0 - 2 s
RANGE = f"?lengths_age={AGE}&lengths_incr={INCR}&msg_rates_age={AGE}&msg_rates_incr={INCR}"


def get_json(port, path):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api{path}")
    request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


class RateHistory(unittest.TestCase):
    def check_format(self, details):
        """RabbitMQ's shape: newest first, one point per incr, avg and avg_rate over the points."""
        samples = details["samples"]
        self.assertEqual(set(details), {"rate", "samples", "avg_rate", "avg"})
        stamps = [p["timestamp"] for p in samples]
        self.assertEqual([a - b for a, b in zip(stamps, stamps[1:])], [INCR * 1000] * (len(stamps) - 1))
        values = [p["sample"] for p in samples]
        self.assertEqual(details["rate"], (values[0] - values[1]) * 1000 / (stamps[0] - stamps[1]))
        self.assertEqual(details["avg_rate"], (values[0] - values[-1]) * 1000 / (stamps[0] - stamps[-1]))
        self.assertAlmostEqual(details["avg"], sum(values) / len(values))
        return values

    def test_rates_and_samples_follow_a_publisher(self):
        with Server("MINIRABBIT_BIN", "--admin-port", "0", "--collect-statistics-interval", "200") as s:
            connection = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=s.port))
            channel = connection.channel()
            channel.exchange_declare("rates-x", "fanout")
            channel.exchange_declare("rates-nowhere", "fanout")  # no binding: publish_in without publish_out
            channel.queue_declare("rates")
            channel.queue_bind("rates", "rates-x")
            published = 0

            def publishing_and_charted():
                nonlocal published
                for _ in range(20):
                    channel.basic_publish("rates-x", "", b"tick")
                published += 20
                connection.process_data_events(time_limit=0)
                queue = get_json(s.admin_port, "/queues/%2F/rates" + RANGE)
                d = queue["message_stats"]["publish_details"]
                # The whole range charted (age / incr + 1 points), rising from point to point.
                values = [p["sample"] for p in d["samples"]]
                rising = bool(values) and all(a > b for a, b in zip(values, values[1:])) and values[-1] > 0
                return queue if len(values) == AGE // INCR + 1 and rising else None

            queue = wait_until(publishing_and_charted, timeout=20, interval=0.05)
            self.assertIsNotNone(queue, "no full, rising publish chart while publishing")
            stats = queue["message_stats"]
            values = self.check_format(stats["publish_details"])
            self.assertGreater(stats["publish_details"]["rate"], 0)
            self.assertLessEqual(values[0], stats["publish"])  # samples trail the live counter
            # Nobody consumes: the ready length is the publish count at every point.
            for name in ["messages_ready_details", "messages_details"]:
                self.assertEqual(self.check_format(queue[name]), values, name)
            self.assertEqual([p["sample"] for p in queue["messages_unacknowledged_details"]["samples"]], [0, 0, 0])

            exchange = get_json(s.admin_port, "/exchanges/%2F/rates-x" + RANGE)["message_stats"]
            self.assertGreater(self.check_format(exchange["publish_in_details"])[0], 0)
            self.assertGreater(exchange["publish_out_details"]["rate"], 0)
            overview = get_json(s.admin_port, "/overview" + RANGE)
            self.assertGreater(self.check_format(overview["message_stats"]["publish_details"])[0], 0)
            self.assertGreater(self.check_format(overview["queue_totals"]["messages_ready_details"])[0], 0)
            self.assertEqual(overview["sample_retention_policies"]["basic"], [60])

            # Without a range, RabbitMQ answers the rate alone.
            plain = get_json(s.admin_port, "/queues/%2F/rates")
            self.assertEqual(set(plain["message_stats"]["publish_details"]), {"rate"})

            channel.basic_publish("rates-nowhere", "", b"lost")
            connection.process_data_events(time_limit=0)

            # The publisher stops: once the range holds only quiet samples, the line is flat at the total.
            def flat():
                d = get_json(s.admin_port, "/queues/%2F/rates" + RANGE)["message_stats"]["publish_details"]
                return d if [p["sample"] for p in d["samples"]] == [published] * (AGE // INCR + 1) else None

            d = wait_until(flat, timeout=20, interval=0.1)
            self.assertIsNotNone(d, "the chart did not settle at the published total")
            self.assertEqual((d["rate"], d["avg_rate"], d["avg"]), (0, 0, published))

            exchanges = {e["name"]: e["message_stats"] for e in get_json(s.admin_port, "/exchanges/%2F")}
            self.assertEqual((exchanges["rates-x"]["publish_in"], exchanges["rates-x"]["publish_out"]),
                             (published, published))
            self.assertEqual((exchanges["rates-nowhere"]["publish_in"], exchanges["rates-nowhere"]["publish_out"]),
                             (1, 0))
            connection.close()

    def test_a_bad_or_missing_range_gives_the_rate_alone(self):
        with Server("MINIRABBIT_BIN", "--admin-port", "0") as s:
            for query in ["", "?msg_rates_age=60", "?msg_rates_age=60&msg_rates_incr=0",
                          "?msg_rates_age=x&msg_rates_incr=5"]:
                overview = get_json(s.admin_port, "/overview" + query)
                self.assertEqual(set(overview["message_stats"]["publish_details"]), {"rate"}, query)


if __name__ == "__main__":
    tap.main()
