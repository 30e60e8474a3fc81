"""minirabbit reads RabbitMQ's configuration (rabbitmq_conf.cpp): a new-style rabbitmq.conf (the
sample next to this test, tests/minirabbit/rabbitmq.conf) given with --config or
RABBITMQ_CONFIG_FILE, and the RABBITMQ_* environment variables. The command line wins over the
file, the file over the environment; keys RabbitMQ knows but minirabbit does not implement are
listed in one warning line; unknown keys are refused naming file:line."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest
import urllib.request

import pika

import tap
from servers import Server, free_ports, run_to_exit

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rabbitmq.conf")


def start(data_dir, env, admin=True):
    """Starts minirabbit with only --dir on the command line (ports come from the file or the
    environment); returns the process and its output lines once it listens."""
    proc = subprocess.Popen([os.environ["MINIRABBIT_BIN"], "--dir", data_dir], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    lines, ready = [], threading.Event()

    def drain():
        for line in proc.stdout:
            lines.append(line)
            if ("admin http listening on" if admin else "listening on") in line:
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    ready.wait(30)
    return proc, lines


class SampleFile(unittest.TestCase):
    def test_sample_loads_with_one_summary_warning(self):
        with Server("MINIRABBIT_BIN", "--config", SAMPLE, "--admin-port", "0") as rabbit:
            warnings = [line for line in rabbit.log_lines if "not implemented here, ignored" in line]
            self.assertEqual(len(warnings), 1, rabbit.log())
            for key in ("heartbeat", "disk_free_limit.absolute", "default_permissions.configure"):
                self.assertIn(key, warnings[0])
            self.assertNotIn("default_user", warnings[0].replace("default_user_tags", ""))
            # The command line's --port 0 won over listeners.tcp.default = 5672.
            self.assertNotEqual(rabbit.port, 5672)
            connection = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=rabbit.port))
            connection.close()


class Settings(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="minibrokers-rabbitconf-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, text):
        path = os.path.join(self.tmp, "rabbitmq.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_file_and_environment_take_effect(self):
        port, admin, env_port = free_ports(3)
        conf = self.write(f"""listeners.tcp.default = 127.0.0.1:{port}
management.tcp.port = {admin}
default_user = alice
default_pass = s3cret
default_vhost = lab
log.console.level = warning
loopback_users = none
""")
        data = os.path.join(self.tmp, "data")
        proc, lines = start(data, {"RABBITMQ_CONFIG_FILE": conf, "RABBITMQ_NODENAME": "rabbit@lab-host",
                                   "RABBITMQ_NODE_PORT": str(env_port)})  # the file wins over this one
        try:
            output = "".join(lines)
            self.assertIn(f"listening on 127.0.0.1:{port}", output)  # printed even at level warning
            self.assertNotIn("INFO vm_memory_high_watermark", output)  # log.console.level = warning
            params = pika.ConnectionParameters(host="127.0.0.1", port=port, virtual_host="lab",
                                               credentials=pika.PlainCredentials("alice", "s3cret"))
            pika.BlockingConnection(params).close()
            request = urllib.request.Request(f"http://127.0.0.1:{admin}/api/overview")
            request.add_header("Authorization", "Basic " + base64.b64encode(b"alice:s3cret").decode())
            overview = json.load(urllib.request.urlopen(request, timeout=10))
            self.assertEqual(overview["node"], "rabbit@lab-host")
        finally:
            proc.terminate()
            proc.wait(30)

    def test_environment_alone(self):
        port = free_ports(1)[0]
        base = os.path.join(self.tmp, "mnesia")
        proc, lines = start(os.path.join(self.tmp, "ignored"), {"RABBITMQ_NODE_PORT": str(port)}, admin=False)
        proc.terminate()
        proc.wait(30)
        self.assertIn(f"listening on 127.0.0.1:{port}", "".join(lines))
        # --dir on the command line wins over RABBITMQ_MNESIA_BASE; without it the variable is used.
        status, output = run_to_exit("MINIRABBIT_BIN", self.tmp, "--config", self.write("default_user = bob\n"))
        self.assertEqual(status, "started", output)
        env = {**os.environ, "RABBITMQ_MNESIA_BASE": base, "RABBITMQ_NODE_PORT": "0"}
        proc = subprocess.Popen([os.environ["MINIRABBIT_BIN"]], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            if "listening on" in line:
                break
        proc.terminate()
        proc.wait(30)
        self.assertTrue(os.path.exists(os.path.join(base, "definitions.json")), os.listdir(self.tmp))

    def test_unknown_key_is_refused_naming_file_and_line(self):
        conf = self.write("listeners.tcp.default = 5672\n\nvm_memory_high_watermak.relative = 0.5\n")
        status, output = run_to_exit("MINIRABBIT_BIN", self.tmp, "--config", conf)
        self.assertEqual(status, 2, output)
        self.assertIn(f"{conf}:3: unknown option 'vm_memory_high_watermak.relative'", output)

    def test_loopback_users_none_lets_guest_in_from_elsewhere(self):
        conf = self.write("loopback_users = none\n")
        with Server("MINIRABBIT_BIN", "--config", conf, "--bind", "0.0.0.0") as rabbit:
            # A non-loopback address of this host: the first one that is not 127.x.
            addresses = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
            remote = [a for a in addresses if "." in a and not a.startswith("127.")]
            if not remote:
                self.skipTest("no non-loopback IPv4 address")
            params = pika.ConnectionParameters(host=remote[0], port=rabbit.port)
            pika.BlockingConnection(params).close()  # guest/guest: refused without the line


if __name__ == "__main__":
    tap.main()
