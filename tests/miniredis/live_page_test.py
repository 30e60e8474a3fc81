"""The admin port's live page and what it polls (issue 23): GET / is the page, /api/overview,
/api/clients, /api/slowlog and /api/keys/<name> answer the JSON it reads, headless Chromium shows
what redis-cli wrote (a key and its TTL, the keyspace), /metrics parses as the Prometheus text
format, and /healthz turns 503 above maxmemory or below disk-free-limit."""
import base64
import json
import re
import subprocess
import unittest
import urllib.error
import urllib.request

import browser
import prometheus
import tap
from servers import Server, wait_until

import redis


def get(port, path, password=None):
    """(status, content type, body) of GET path on the admin port."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if password:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"default:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def get_json(port, path):
    status, ctype, body = get(port, path)
    assert status == 200, (path, status, body)
    assert ctype == "application/json", ctype
    return json.loads(body)


def put_trace(port, on):
    """PUT /api/trace {"trace": on}: the switch the page's trace checkbox flips."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/trace", method="PUT",
                                     data=json.dumps({"trace": on}).encode())
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.status


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10).stdout


class LivePage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIREDIS_BIN", "--admin-port", "0", "--save", "", "--appendonly", "yes")
        cls.admin = cls.server.admin_port
        cls.r = redis.Redis(port=cls.server.port, decode_responses=True)

    @classmethod
    def tearDownClass(cls):
        cls.r.close()
        cls.server.close()

    def test_the_page_is_html_and_names_what_it_polls(self):
        status, ctype, page = get(self.admin, "/")
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/html"), ctype)
        for endpoint in ["/api/overview", "/api/clients", "/api/slowlog", "/api/keys/"]:
            self.assertIn(endpoint, page)
        self.assertNotRegex(page, r"<script[^>]+src=|<link[^>]+href=")  # self-contained: no CDN

    def test_overview_has_what_the_page_reads(self):
        self.r.flushall()
        self.r.set("a", "1")
        self.r.set("b", "2", ex=100)
        self.r.execute_command("SELECT", "3")
        self.r.set("c", "3")
        self.r.execute_command("SELECT", "0")
        o = get_json(self.admin, "/api/overview")
        for field in ["ops_per_sec", "used_memory", "maxmemory", "maxmemory_policy", "connected_clients", "health"]:
            self.assertIn(field, o)
        self.assertEqual(o["keyspace"], [{"db": 0, "keys": 2, "expires": 1}, {"db": 3, "keys": 1, "expires": 0}])
        p = o["persistence"]
        self.assertEqual(p["aof_enabled"], 1)
        self.assertEqual(p["appendfsync"], "everysec")
        for field in ["aof_rewrite_in_progress", "rdb_bgsave_in_progress", "aof_fsyncs", "aof_current_size",
                      "aof_base_size", "rdb_last_save_time", "rdb_changes_since_last_save"]:
            self.assertIsInstance(p[field], int, field)
        self.assertGreater(p["aof_current_size"], 0)

    def test_a_watched_key_shows_its_ttl_and_disappears(self):
        self.r.set("session:42", "x", ex=100)
        k = get_json(self.admin, "/api/keys/session%3A42")
        self.assertEqual(k["exists"], True)
        self.assertEqual(k["type"], "string")
        self.assertTrue(0 < k["ttl_ms"] <= 100000, k)
        self.r.rpush("no ttl", "x")
        self.assertEqual(get_json(self.admin, "/api/keys/no%20ttl")["ttl_ms"], -1)
        self.assertEqual(get_json(self.admin, "/api/keys/no%20ttl")["type"], "list")
        self.assertEqual(get_json(self.admin, "/api/keys/session%3A42?db=1")["exists"], False)
        self.assertEqual(get_json(self.admin, "/api/keys/session%3A42?db=-1")["exists"], False)
        for bad in ["x", "99999999999999999999", "1x"]:
            self.assertEqual(get(self.admin, f"/api/keys/session%3A42?db={bad}")[0], 400)
        self.r.pexpire("session:42", 50)
        self.assertTrue(wait_until(lambda: not get_json(self.admin, "/api/keys/session%3A42")["exists"]))

    def test_clients_show_their_last_command(self):
        c = redis.Redis(port=self.server.port, decode_responses=True)
        c.client_setname("lecturer")
        c.get("anything")
        rows = [x for x in get_json(self.admin, "/api/clients") if x["name"] == "lecturer"]
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["cmd"], "get")
        self.assertRegex(rows[0]["addr"], r"^127\.0\.0\.1:\d+$")
        c.close()

    def test_slowlog_lists_the_commands_it_kept(self):
        self.r.config_set("slowlog-log-slower-than", 0)
        self.r.set("slow-one", "v")
        self.r.config_set("slowlog-log-slower-than", 10000)
        entries = get_json(self.admin, "/api/slowlog")
        self.assertIn(["set", "slow-one", "v"], [[a.lower() if i == 0 else a for i, a in enumerate(e["args"])]
                                                 for e in entries])
        for field in ["id", "time", "duration_us", "client"]:
            self.assertIn(field, entries[0])

    def test_metrics_parse_and_count_keys_per_db(self):
        self.r.flushall()
        self.r.mset({"m1": 1, "m2": 2, "m3": 3})
        families = prometheus.check(self, get(self.admin, "/metrics")[2])
        prometheus.check_process_metrics(self, families)
        self.assertEqual(families["miniredis_db_keys"].value(db="db0"), 3)
        self.assertEqual(families["miniredis_commands_total"].type, "counter")
        self.assertGreaterEqual(families["miniredis_commands_total"].value(cmd="mset"), 1)

    def test_chromium_shows_the_key_counting_down_the_keyspace_and_the_trace(self):
        self.assertEqual(put_trace(self.admin, True), 200)
        try:
            self.r.set("session:42", "x", ex=100)
            dom = browser.render(f"http://127.0.0.1:{self.admin}/#watch=session:42")
        finally:
            put_trace(self.admin, False)
        if dom is None:
            self.skipTest("chromium is not installed (scripts/install-deps.sh)")
        # The shared --trace panel (common/live_page.cpp) shows the command as --trace printed it.
        self.assertRegex(dom, r'<div class="trace-line">SET session:42 x EX 100 -&gt; keyspace db0: \d+ changes?, expires in 100 s')
        self.assertIn('href="/docs/miniredis/06-looking-inside.md"', dom)  # the docs links
        result = re.search(r'id="watch-result"[^>]*>([^<]*)<', dom).group(1)
        self.assertRegex(result, r"^session:42 \(string\): TTL \d+\.\d s$")
        self.assertLess(float(re.search(r"TTL (\S+) s", result).group(1)), 100.0)
        self.assertIn("<td>db0</td>", dom)
        self.r.delete("session:42")
        dom = browser.render(f"http://127.0.0.1:{self.admin}/#watch=session:42")
        self.assertIn("session:42: (gone)", dom)


class Health(unittest.TestCase):
    def test_503_above_maxmemory_then_ok_again(self):
        with Server("MINIREDIS_BIN", "--admin-port", "0", "--save", "") as s:
            self.assertEqual(get(s.admin_port, "/healthz")[:1], (200,))
            cli(s.port, "config", "set", "maxmemory", "1")
            status, _, body = get(s.admin_port, "/healthz")
            self.assertEqual(status, 503)
            self.assertRegex(body, r"^memory: \d+ bytes used, limit 1\n$")
            cli(s.port, "config", "set", "maxmemory", "0")
            self.assertEqual(get(s.admin_port, "/healthz"), (200, "text/plain", "ok\n"))

    def test_503_when_the_disk_has_less_free_than_disk_free_limit(self):
        # No test can fill a disk; a limit above any disk's size has the same effect.
        with Server("MINIREDIS_BIN", "--admin-port", "0", "--save", "", "--disk-free-limit", "1000000gb") as s:
            status, _, body = get(s.admin_port, "/healthz")
            self.assertEqual(status, 503)
            self.assertTrue(body.startswith("disk: "), body)
            self.assertIn(f" bytes free under {s.dir}, limit ", body)
            self.assertIn("disk:", get_json(s.admin_port, "/api/overview")["health"])

    def test_api_needs_the_password_when_requirepass_is_set(self):
        with Server("MINIREDIS_BIN", "--admin-port", "0", "--save", "", "--requirepass", "s3cret") as s:
            self.assertEqual(get(s.admin_port, "/api/overview")[0], 401)
            self.assertEqual(get(s.admin_port, "/api/keys/k", "wrong")[0], 401)
            self.assertEqual(get(s.admin_port, "/api/overview", "s3cret")[0], 200)
            self.assertEqual(get(s.admin_port, "/")[0], 200)  # the page itself holds no data


if __name__ == "__main__":
    tap.main()
