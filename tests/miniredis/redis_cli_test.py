"""miniredis driven by the real redis-cli and raw sockets: the first thing a user tries
(`redis-cli -p PORT ping`), inline commands typed as into telnet, and a broken client that gets a
protocol error and is disconnected while everybody else keeps going."""
import base64
import json
import os
import random
import socket
import subprocess
import unittest
import urllib.error
import urllib.request

import tap
from servers import Server, wait_until


def cli(port, *args, stdin=None):
    out = subprocess.run(["redis-cli", "-p", str(port), *args], input=stdin, capture_output=True, text=True,
                         timeout=30)
    return out.stdout.rstrip("\n")


def raw(port, data, expect_close=False):
    """Sends bytes, returns everything received until the reply stops (or the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        if expect_close:
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        s.settimeout(0.5)
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except socket.timeout:
            pass
        return b"".join(chunks)


class RedisCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("MINIREDIS_BIN")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_ping_answers_pong(self):
        self.assertEqual(cli(self.server.port, "ping"), "PONG")

    def test_set_get_incr_and_ttl(self):
        p = self.server.port
        self.assertEqual(cli(p, "set", "greeting", "hello world"), "OK")
        self.assertEqual(cli(p, "get", "greeting"), "hello world")
        self.assertEqual(cli(p, "incr", "visits"), "1")
        self.assertEqual(cli(p, "incrby", "visits", "9"), "10")
        self.assertEqual(cli(p, "set", "session", "x", "EX", "100"), "OK")
        self.assertEqual(cli(p, "ttl", "session"), "100")
        self.assertEqual(cli(p, "type", "greeting"), "string")

    def test_errors_look_like_redis(self):
        p = self.server.port
        self.assertEqual(cli(p, "get"), "ERR wrong number of arguments for 'get' command")
        cli(p, "set", "text", "abc")
        self.assertEqual(cli(p, "incr", "text"), "ERR value is not an integer or out of range")

    def test_pipe_mode_and_interactive_input(self):
        # redis-cli reading commands from stdin, one per line (what users paste into it)
        out = cli(self.server.port, stdin="set a 1\nincr a\nget a\n")
        self.assertEqual(out.split("\n"), ["OK", "2", "2"])

    def test_inline_commands_like_telnet(self):
        self.assertEqual(raw(self.server.port, b"PING\r\nSET k \"two words\"\r\nGET k\r\n"),
                         b"+PONG\r\n+OK\r\n$9\r\ntwo words\r\n")

    def test_pipelined_replies_arrive_in_order(self):
        requests = b"".join(b"*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n" for _ in range(1000))
        expected = b"".join(b":%d\r\n" % i for i in range(1, 1001))
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(requests)
            got = b""
            while len(got) < len(expected):
                chunk = s.recv(65536)
                self.assertTrue(chunk)
                got += chunk
        self.assertEqual(got, expected)

    def test_protocol_error_closes_only_that_client(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as healthy:
            got = raw(self.server.port, b"*1\r\n$4\r\nPING\r\n*2\r\n+garbage\r\n", expect_close=True)
            self.assertEqual(got, b"+PONG\r\n-ERR Protocol error: expected '$', got '+'\r\n")
            healthy.sendall(b"*1\r\n$4\r\nPING\r\n")
            self.assertEqual(healthy.recv(100), b"+PONG\r\n")

    def test_oversized_bulk_length_is_refused(self):
        got = raw(self.server.port, b"*2\r\n$3\r\nGET\r\n$999999999999\r\n", expect_close=True)
        self.assertEqual(got, b"-ERR Protocol error: invalid bulk length\r\n")

    def test_random_garbage_never_hurts_other_clients(self):
        rng = random.Random(1)
        alphabet = b"*$+-:\r\n0123456789abcdefSETGET \"'\\\x00\xff"
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as healthy:
            for round in range(300):
                junk = bytes(rng.choice(alphabet) for _ in range(rng.randrange(1, 200)))
                with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
                    s.sendall(junk)
                    s.shutdown(socket.SHUT_WR)
                    s.settimeout(5)
                    try:
                        while s.recv(65536):
                            pass  # the server answers (or closes); it must not hang
                    except ConnectionResetError:
                        pass
                healthy.sendall(b"*2\r\n$4\r\nINCR\r\n$6\r\nsurvey\r\n")
                self.assertEqual(healthy.recv(100), b":%d\r\n" % (round + 1))

    def test_large_values_round_trip(self):
        value = os.urandom(8 * 1024 * 1024)
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=30) as s:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n" % (len(value), value))
            self.assertEqual(s.recv(100), b"+OK\r\n")
            s.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n")
            expected = b"$%d\r\n%s\r\n" % (len(value), value)
            got = b""
            while len(got) < len(expected):
                chunk = s.recv(1 << 20)
                self.assertTrue(chunk)
                got += chunk
            self.assertEqual(got, expected)

    def test_info_and_config_get(self):
        p = self.server.port
        self.assertIn("redis_version:", cli(p, "info", "server"))
        self.assertEqual(cli(p, "config", "get", "maxmemory-policy").split("\n"), ["maxmemory-policy", "noeviction"])

    def test_trace_toggled_through_the_admin_endpoint(self):
        with Server("MINIREDIS_BIN", "--admin-port", "0", "--appendonly", "yes", "--save", "") as s:
            url = f"http://127.0.0.1:{s.admin_port}/api/trace"
            with urllib.request.urlopen(url, timeout=10) as r:
                self.assertEqual(json.loads(r.read()), {"trace": False})
            put = urllib.request.Request(url, data=b'{"trace":true}', method="PUT")
            with urllib.request.urlopen(put, timeout=10) as r:
                self.assertEqual(json.loads(r.read()), {"trace": True})
            cli(s.port, "set", "session:42", "x", "EX", "1800")
            line = wait_until(lambda: next((l for l in s.log_lines if "trace: SET" in l), None))
            self.assertIsNotNone(line)
            self.assertIn("SET session:42 x EX 1800 -> keyspace db0: 1 change, expires in 1800 s -> AOF +", line)
            self.assertIn("-> reply +OK", line)

    def test_trace_switch_needs_the_password_and_never_logs_secrets(self):
        with Server("MINIREDIS_BIN", "--admin-port", "0", "--requirepass", "s3cret", "--save", "") as s:
            url = f"http://127.0.0.1:{s.admin_port}/api/trace"

            def put(body, user=None, password=None):
                request = urllib.request.Request(url, data=body, method="PUT")
                if user is not None:
                    token = base64.b64encode(f"{user}:{password}".encode()).decode()
                    request.add_header("Authorization", "Basic " + token)
                try:
                    with urllib.request.urlopen(request, timeout=10) as r:
                        return r.status, json.loads(r.read())
                except urllib.error.HTTPError as e:
                    return e.code, None

            self.assertEqual(put(b'{"trace":true}')[0], 401)
            self.assertEqual(put(b'{"trace":true}', "default", "wrong")[0], 401)
            self.assertEqual(put(b'{"trace":true}', "other", "s3cret")[0], 401)
            # A "true" elsewhere in the body is not the switch.
            self.assertEqual(put(b'{"trace":false,"note":"true"}', "default", "s3cret"), (200, {"trace": False}))
            self.assertEqual(put(b'{"trace":"yes"}', "default", "s3cret")[0], 400)
            self.assertEqual(put(b'{"trace":true}', "default", "s3cret"), (200, {"trace": True}))
            with urllib.request.urlopen(url, timeout=10) as r:  # reading the switch needs nothing
                self.assertEqual(json.loads(r.read()), {"trace": True})
            cli(s.port, "-a", "s3cret", "--no-auth-warning", "config", "set", "requirepass", "n3w-pass")
            cli(s.port, "-a", "n3w-pass", "--no-auth-warning", "set", "k", "v")
            c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            c.sendall(b"*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$8\r\nn3w-pass\r\n")
            self.assertTrue(c.recv(100).startswith(b"%"))
            c.close()
            self.assertTrue(wait_until(lambda: sum("trace: " in l for l in s.log_lines) >= 4))
            self.assertTrue(wait_until(lambda: any("trace: HELLO" in l for l in s.log_lines)))
            traced = "".join(l for l in s.log_lines if "trace: " in l)
            self.assertNotIn("s3cret", traced)
            self.assertNotIn("n3w-pass", traced)
            self.assertIn("AUTH (redacted)", traced)
            self.assertIn("config set requirepass (redacted)", traced.lower())
            self.assertIn("HELLO 3 AUTH (redacted) (redacted)", traced)
            self.assertIn("SET k v", traced)  # the rest is still narrated

    def test_sigterm_exits_cleanly(self):
        with Server("MINIREDIS_BIN") as s:
            self.assertEqual(cli(s.port, "ping"), "PONG")
            self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    tap.main()
