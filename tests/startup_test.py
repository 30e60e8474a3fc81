"""What every broker does before its protocol: command-line handling, the admin endpoint, and a
clean stop. Runs the three built binaries the way a user would."""
import os
import subprocess
import unittest
import urllib.request

import tap
from servers import Server

BROKERS = {"miniredis": "MINIREDIS_BIN", "minirabbit": "MINIRABBIT_BIN", "minikafka": "MINIKAFKA_BIN"}


def run(env_var, *args):
    return subprocess.run([os.environ[env_var], *args], capture_output=True, text=True, timeout=30)


class CommandLine(unittest.TestCase):
    def test_help_lists_the_common_options_and_exits_0(self):
        for name, env_var in BROKERS.items():
            with self.subTest(name):
                out = run(env_var, "--help")
                self.assertEqual(out.returncode, 0)
                for option in ("--port", "--bind", "--dir", "--admin-port"):
                    self.assertIn(option, out.stdout)

    def test_unknown_option_exits_2_with_a_message(self):
        for name, env_var in BROKERS.items():
            with self.subTest(name):
                out = run(env_var, "--no-such-option", "1")
                self.assertEqual(out.returncode, 2)
                self.assertIn("unknown option '--no-such-option'", out.stderr)

    def test_bad_value_exits_2_with_a_message(self):
        for name, env_var in BROKERS.items():
            with self.subTest(name):
                out = run(env_var, "--port", "seventy")
                self.assertEqual(out.returncode, 2)
                self.assertIn("bad value 'seventy' for 'port'", out.stderr)
                self.assertEqual(run(env_var, "--port", "70000").returncode, 2)

    def test_port_already_taken_is_a_clear_error(self):
        for name, env_var in BROKERS.items():
            with self.subTest(name), Server(env_var) as first:
                out = run(env_var, "--port", str(first.port), "--dir", first.dir)
                self.assertEqual(out.returncode, 1)
                self.assertIn(f"cannot listen on 127.0.0.1:{first.port}", out.stderr)


class AdminEndpointAndStop(unittest.TestCase):
    def test_healthz_and_metrics_answer_then_sigterm_exits_0(self):
        for name, env_var in BROKERS.items():
            with self.subTest(name), Server(env_var, "--admin-port", "0") as server:
                base = f"http://127.0.0.1:{server.admin_port}"
                with urllib.request.urlopen(base + "/healthz", timeout=10) as r:
                    self.assertEqual(r.status, 200)
                    self.assertEqual(r.read(), b"ok\n")
                with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
                    self.assertEqual(r.status, 200)
                    self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
                    self.assertIn(b"# TYPE ", r.read())
                with self.assertRaises(urllib.error.HTTPError) as missing:
                    urllib.request.urlopen(base + "/no-such-page", timeout=10)
                self.assertEqual(missing.exception.code, 404)
                self.assertEqual(server.stop(), 0)
                self.assertIn("shutting down", server.log())


if __name__ == "__main__":
    tap.main()
