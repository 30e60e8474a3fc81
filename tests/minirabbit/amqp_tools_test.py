"""The command-line clients of Debian's amqp-tools (built on rabbitmq-c): amqp-declare-queue,
amqp-publish, amqp-get and amqp-consume against minirabbit."""
import subprocess

import tap
from cases import MinirabbitTest


class AmqpTools(MinirabbitTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.address = f"127.0.0.1:{cls.server.port}"

    def run_tool(self, *args, input=None):
        result = subprocess.run(list(args), input=input, capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return result.stdout

    def test_declare_publish_get(self):
        self.assertEqual(self.run_tool("amqp-declare-queue", "-s", self.address, "-q", "tools-q").strip(), b"tools-q")
        self.run_tool("amqp-publish", "-s", self.address, "-r", "tools-q", "-b", "hello from amqp-publish",
                      "-C", "text/plain")
        self.assertEqual(self.run_tool("amqp-get", "-s", self.address, "-q", "tools-q"), b"hello from amqp-publish")
        empty = subprocess.run(["amqp-get", "-s", self.address, "-q", "tools-q"], capture_output=True, timeout=30)
        self.assertNotEqual(empty.returncode, 0)  # "no messages": amqp-get exits non-zero on an empty queue

    def test_consume_runs_a_command_per_message(self):
        self.run_tool("amqp-declare-queue", "-s", self.address, "-q", "tools-consume")
        for i in range(3):
            self.run_tool("amqp-publish", "-s", self.address, "-r", "tools-consume", "-b", f"line {i}")
        # -c 3: consume three messages, piping each body to `cat`, then exit.
        out = self.run_tool("amqp-consume", "-s", self.address, "-q", "tools-consume", "-c", "3", "cat")
        self.assertEqual(out, b"line 0line 1line 2")

    def test_persistent_message_on_a_durable_queue_survives_a_restart(self):
        self.run_tool("amqp-declare-queue", "-s", self.address, "-q", "tools-durable", "-d")
        self.run_tool("amqp-publish", "-s", self.address, "-r", "tools-durable", "-p", "-b", "kept")
        self.server.restart()
        type(self).address = f"127.0.0.1:{self.server.port}"
        self.assertEqual(self.run_tool("amqp-get", "-s", self.address, "-q", "tools-durable"), b"kept")


if __name__ == "__main__":
    tap.main()
