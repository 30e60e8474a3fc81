"""minirabbit's live page on the admin port (issue 23): GET / (and /live) is the page, headless
Chromium draws the exchange -> binding -> queue graph with the binding pika made and the queue's
depth moving as pika publishes and takes messages, and the --trace panel shows the publish's
route. /api/trace/lines (shared by all three servers) keeps a bounded ring, and /docs/ serves
the chapters the page links to."""
import base64
import json
import re
import unittest
import urllib.error
import urllib.request

import pika

import browser
import tap
from servers import Server

GUEST = "Basic " + base64.b64encode(b"guest:guest").decode()


def request(port, path, method="GET", body=None, auth=GUEST):
    """(status, content type, body) of one request to the admin port."""
    r = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                               data=json.dumps(body).encode() if body is not None else None)
    if auth:
        r.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(r, timeout=10) as response:
            return response.status, response.headers.get("Content-Type"), response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def binding_in(dom, source, destination, key):
    """Whether the page's SVG has the <g class="binding"> for that edge (attributes in any order)."""
    for g in re.findall(r'<g class="binding"[^>]*>', dom):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', g))
        if (attrs.get("data-source"), attrs.get("data-destination"), attrs.get("data-key")) == (source, destination,
                                                                                                key):
            return True
    return False


def queue_box(dom, name):
    """The data-* attributes of the queue's box in the graph, or None."""
    for g in re.findall(r'<g class="queue"[^>]*>', dom):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', g))
        if attrs.get("data-name") == name:
            return attrs
    return None


class LivePage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIRABBIT_BIN", "--admin-port", "0")
        cls.admin = cls.server.admin_port
        cls.amqp = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=cls.server.port))
        cls.channel = cls.amqp.channel()

    @classmethod
    def tearDownClass(cls):
        cls.amqp.close()
        cls.server.close()

    def test_the_page_is_on_slash_and_live_and_self_contained(self):
        for path in ["/", "/live"]:
            status, ctype, page = request(self.admin, path, auth=None)  # the page holds no data: no login
            self.assertEqual(status, 200)
            self.assertTrue(ctype.startswith("text/html"), ctype)
            for endpoint in ["/api/exchanges", "/api/bindings", "/api/queues", "/api/channels", "/api/trace/lines"]:
                self.assertIn(endpoint, page)
            self.assertNotRegex(page, r"<script[^>]+src=|<link[^>]+href=")  # self-contained: no CDN

    def test_chromium_draws_the_binding_and_the_depth_moves(self):
        self.channel.exchange_declare("orders", "topic")
        self.channel.queue_declare("eu-orders")
        self.channel.queue_bind("eu-orders", "orders", "eu.*")
        self.assertEqual(request(self.admin, "/api/trace", "PUT", {"trace": True})[0], 200)
        try:
            for i in range(3):
                self.channel.basic_publish("orders", "eu.new", b"order %d" % i)
            self.amqp.process_data_events(0)
            dom = browser.render(f"http://127.0.0.1:{self.admin}/")
            if dom is None:
                self.skipTest("chromium is not installed (scripts/install-deps.sh)")
            self.assertTrue(binding_in(dom, "orders", "eu-orders", "eu.*"), dom[:3000])
            self.assertEqual(queue_box(dom, "eu-orders")["data-ready"], "3")
            self.assertIn(">ready 3  unacked 0  consumers 0<", dom)
            # The trace panel: the publish's route, as --trace printed it.
            self.assertIn('<div class="trace-line">basic.publish exchange=orders(topic) key=eu.new -&gt; binding eu.* '
                          '-&gt; queue eu-orders depth=3</div>', dom)
            # Two messages taken and not yet acked: ready falls, unacked rises.
            for _ in range(2):
                method, _, _ = self.channel.basic_get("eu-orders", auto_ack=False)
                self.assertIsNotNone(method)
            dom = browser.render(f"http://127.0.0.1:{self.admin}/")
            box = queue_box(dom, "eu-orders")
            self.assertEqual((box["data-ready"], box["data-unacked"]), ("1", "2"))
            self.assertRegex(dom, r"<td>eu-orders</td><td>1</td><td>2</td><td>0</td>")
        finally:
            request(self.admin, "/api/trace", "PUT", {"trace": False})
            self.channel.basic_recover(requeue=True)

    def test_trace_lines_are_a_bounded_ring(self):
        status, _, body = request(self.admin, "/api/trace/lines?after=0", auth=None)
        self.assertEqual(status, 401)  # a trace shows everyone's traffic: administrators only
        start = json.loads(request(self.admin, "/api/trace/lines?after=999999999")[2])["next"]
        self.channel.queue_declare("ring")
        request(self.admin, "/api/trace", "PUT", {"trace": True})
        try:
            for i in range(600):  # more lines than the ring keeps (512)
                self.channel.basic_publish("", "ring", b"x")
            self.amqp.process_data_events(0)
            self.channel.queue_declare("ring", passive=True)  # a round trip: every publish was handled
        finally:
            request(self.admin, "/api/trace", "PUT", {"trace": False})
        first = json.loads(request(self.admin, f"/api/trace/lines?after={start}")[2])
        self.assertGreater(first["skipped"], 0)  # the oldest were overwritten, and the reader is told
        self.assertEqual(len(first["lines"]), 200)  # at most 200 per answer
        self.assertEqual(first["next"], start + first["skipped"] + 200)
        rest = json.loads(request(self.admin, f"/api/trace/lines?after={first['next']}")[2])
        self.assertEqual(rest["skipped"], 0)
        self.assertLessEqual(first["skipped"] + 200 + len(rest["lines"]), 600 + 50)
        self.assertGreaterEqual(200 + len(rest["lines"]), 300)
        self.assertTrue(all("queue ring" in line or "ring" in line for line in rest["lines"]), rest["lines"][:3])
        for bad in ["x", "-1", "99999999999999999999999"]:
            self.assertEqual(request(self.admin, f"/api/trace/lines?after={bad}")[0], 400)

    def test_docs_the_page_links_to_are_served(self):
        _, _, page = request(self.admin, "/", auth=None)
        for chapter in set(re.findall(r'data-doc="([^"]+)"', page)):
            status, ctype, text = request(self.admin, "/docs/" + chapter, auth=None)
            self.assertEqual(status, 200, chapter)
            self.assertEqual(ctype, "text/plain; charset=utf-8")
            self.assertTrue(text.startswith("#"), chapter)
        for bad in ["/docs/../README.md", "/docs/minirabbit/../../README.md", "/docs/%2e%2e/README.md",
                    "/docs/minirabbit/nothing.md", "/docs/minirabbit/01-follow-a-publish.txt"]:
            self.assertEqual(request(self.admin, bad, auth=None)[0], 404, bad)


class WithManagementUi(unittest.TestCase):
    def test_rabbitmqs_ui_takes_slash_and_the_live_page_stays_on_live(self):
        with Server("MINIRABBIT_BIN", "--admin-port", "0", "--management-ui", "/nonexistent-ui-dir") as s:
            self.assertEqual(request(s.admin_port, "/", auth=None)[0], 404)  # the UI's index.html: not there
            status, _, page = request(s.admin_port, "/live", auth=None)
            self.assertEqual(status, 200)
            self.assertIn("/api/bindings", page)


if __name__ == "__main__":
    tap.main()
