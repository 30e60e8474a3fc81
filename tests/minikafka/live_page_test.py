"""The admin port's live page and what it polls (issue 23): GET / is the page, /api/overview,
/api/topics and /api/groups answer the JSON it reads, headless Chromium shows the group, its
assignment and its lag after kcat produced and a confluent-kafka consumer committed, /metrics
parses and its lag series equal produced - committed, and /healthz turns 503 below
disk-free-limit."""
import glob
import json
import os
import re
import subprocess
import unittest
import urllib.error
import urllib.request

import browser
import prometheus
import tap
from servers import Server, wait_until

from confluent_kafka import Consumer, TopicPartition

PRODUCED = {0: 6, 1: 4}   # records per partition
COMMITTED = {0: 2, 1: 1}  # the group's committed offsets


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def get_json(port, path):
    status, ctype, body = get(port, path)
    assert status == 200 and ctype == "application/json", (path, status, ctype, body)
    return json.loads(body)


def put_trace(port, on):
    """PUT /api/trace {"trace": on}: the switch the page's trace checkbox flips."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/trace", method="PUT",
                                     data=json.dumps({"trace": on}).encode())
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.status


class LivePage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIKAFKA_BIN", "--admin-port", "0", "--num.partitions", "2",
                            "--group.initial.rebalance.delay.ms", "0")
        cls.admin = cls.server.admin_port
        broker = f"127.0.0.1:{cls.server.port}"
        for partition, count in PRODUCED.items():
            subprocess.run(["kcat", "-P", "-b", broker, "-t", "payments", "-p", str(partition)],
                           input="".join(f"p{partition}-{i}\n" for i in range(count)), text=True, check=True,
                           timeout=30)
        # A member that stays in the group while the test looks: it joins, gets both partitions,
        # and commits offsets short of the end, so the lag is known.
        cls.consumer = Consumer({"bootstrap.servers": broker, "group.id": "billing", "client.id": "lecture-demo",
                                 "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        cls.consumer.subscribe(["payments"])
        assert wait_until(lambda: cls.consumer.poll(0.2) is not None and len(cls.consumer.assignment()) == 2, 30)
        cls.consumer.commit(offsets=[TopicPartition("payments", p, o) for p, o in COMMITTED.items()],
                            asynchronous=False)

    @classmethod
    def tearDownClass(cls):
        cls.consumer.close()
        cls.server.close()

    def test_the_page_is_html_and_names_what_it_polls(self):
        status, ctype, page = get(self.admin, "/")
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/html"), ctype)
        for endpoint in ["/api/overview", "/api/topics", "/api/groups", "/api/quorum"]:
            self.assertIn(endpoint, page)
        self.assertNotRegex(page, r"<script[^>]+src=|<link[^>]+href=")  # self-contained: no CDN

    def test_overview(self):
        o = get_json(self.admin, "/api/overview")
        self.assertEqual((o["topics"], o["groups"], o["clustered"], o["health"]), (1, 1, False, ""))
        for field in ["requests_total", "bytes_in_total", "node_id"]:
            self.assertIsInstance(o[field], int)
        self.assertEqual(get(self.admin, "/api/quorum")[0], 404)  # single node: the page hides the section

    def test_topics_show_offsets_and_the_segments_on_disk(self):
        [topic] = get_json(self.admin, "/api/topics")
        self.assertEqual(topic["name"], "payments")
        for p in topic["partitions"]:
            n = p["partition"]
            self.assertEqual((p["log_start_offset"], p["high_watermark"], p["log_end_offset"]), (0, PRODUCED[n],
                                                                                                  PRODUCED[n]))
            on_disk = glob.glob(os.path.join(self.server.dir, f"payments-{n}", "*.log"))
            self.assertEqual(p["segments"], len(on_disk))

    def test_groups_show_members_assignments_and_lag(self):
        [group] = get_json(self.admin, "/api/groups")
        self.assertEqual((group["group"], group["state"], group["protocol_type"]), ("billing", "Stable", "consumer"))
        [member] = group["members"]
        self.assertEqual(member["client_id"], "lecture-demo")
        self.assertEqual(member["member_id"], group["leader"])
        self.assertEqual(member["assignment"], [{"topic": "payments", "partitions": [0, 1]}])
        offsets = {o["partition"]: o for o in group["offsets"]}
        for p in PRODUCED:
            self.assertEqual((offsets[p]["committed"], offsets[p]["high_watermark"], offsets[p]["lag"]),
                             (COMMITTED[p], PRODUCED[p], PRODUCED[p] - COMMITTED[p]))

    def test_metrics_lag_is_produced_minus_committed(self):
        families = prometheus.check(self, get(self.admin, "/metrics")[2])
        prometheus.check_process_metrics(self, families)
        for p in PRODUCED:
            labels = {"topic": "payments", "partition": str(p)}
            self.assertEqual(families["minikafka_partition_log_end_offset"].value(**labels), PRODUCED[p])
            self.assertEqual(families["minikafka_partition_high_watermark"].value(**labels), PRODUCED[p])
            self.assertEqual(families["minikafka_group_committed_offset"].value(group="billing", **labels),
                             COMMITTED[p])
            self.assertEqual(families["minikafka_group_lag"].value(group="billing", **labels),
                             PRODUCED[p] - COMMITTED[p])
        requests = families["minikafka_requests_by_api_total"]
        self.assertEqual(requests.type, "counter")
        # kcat may split its input into several batches: at least one Produce per run.
        self.assertGreaterEqual(requests.value(api="Produce", api_key="0"), len(PRODUCED))
        # Every request is counted under its API, and only once.
        self.assertEqual(sum(requests.series().values()), families["minikafka_requests_total"].value())
        self.assertGreaterEqual(requests.value(api="OffsetCommit", api_key="8"), 1)
        self.assertEqual(families["minikafka_group_members"].value(group="billing"), 1)

    def test_chromium_shows_the_group_its_assignment_lag_and_the_trace(self):
        self.assertEqual(put_trace(self.admin, True), 200)
        try:  # the same offsets again: a commit the trace panel must show
            self.consumer.commit(offsets=[TopicPartition("payments", p, o) for p, o in COMMITTED.items()],
                                 asynchronous=False)
            dom = browser.render(f"http://127.0.0.1:{self.admin}/")
        finally:
            put_trace(self.admin, False)
        if dom is None:
            self.skipTest("chromium is not installed (scripts/install-deps.sh)")
        # The shared --trace panel (common/live_page.cpp) shows the commit as --trace printed it.
        self.assertIn('<div class="trace-line">offset commit group=billing topic=payments partition=0 offset=2', dom)
        self.assertIn('href="/docs/minikafka/03-consumer-groups.md"', dom)  # the docs links
        self.assertIn("<h3>billing - Stable, generation 1, range</h3>", dom)
        self.assertIn("<td>payments: 0,1</td>", dom)
        # One row per committed partition: topic, partition, committed, high watermark, lag.
        for p in PRODUCED:
            self.assertIn(f"<td>payments</td><td>{p}</td><td>{COMMITTED[p]}</td><td>{PRODUCED[p]}</td>"
                          f'<td class="lag">{PRODUCED[p] - COMMITTED[p]}</td>', dom)
        self.assertRegex(dom, r'id="ntopics">1<')
        # The group catches up: after committing the ends, the page's lag column falls to 0.
        self.consumer.commit(offsets=[TopicPartition("payments", p, o) for p, o in PRODUCED.items()],
                             asynchronous=False)
        try:
            dom = browser.render(f"http://127.0.0.1:{self.admin}/")
            for p in PRODUCED:
                self.assertIn(f"<td>{PRODUCED[p]}</td><td>{PRODUCED[p]}</td><td class=\"lag\">0</td>", dom)
        finally:  # the other cases expect the offsets of COMMITTED
            self.consumer.commit(offsets=[TopicPartition("payments", p, o) for p, o in COMMITTED.items()],
                                 asynchronous=False)


class Health(unittest.TestCase):
    def test_ok_then_503_when_the_disk_has_less_free_than_disk_free_limit(self):
        with Server("MINIKAFKA_BIN", "--admin-port", "0") as s:
            self.assertEqual(get(s.admin_port, "/healthz"), (200, "text/plain", "ok\n"))
        # No test can fill a disk; a limit above any disk's size has the same effect.
        with Server("MINIKAFKA_BIN", "--admin-port", "0", "--disk-free-limit", "1000000gb") as s:
            status, _, body = get(s.admin_port, "/healthz")
            self.assertEqual(status, 503)
            self.assertRegex(body, rf"^disk: \d+ bytes free under {re.escape(s.dir)}, limit \d+\n$")


if __name__ == "__main__":
    tap.main()
