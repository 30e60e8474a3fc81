"""Every program in examples/tutorials/ run as a subprocess, one TAP case per tutorial per broker:
against the built mini servers (each started once, on a free port) and, unchanged, against Debian's
real redis-server and rabbitmq-server (each started once; there is no Kafka package, so the Kafka
tutorials run against minikafka only). A tutorial exits non-zero when what it demonstrates did not
happen, so each case fails when the broker behaves otherwise.

rabbit_7_vhosts needs the management HTTP API: minirabbit runs with --admin-port; the real broker
is started without plugins (tests/support/real_brokers.py), so that case is skipped there."""
import os
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
import pika  # noqa: E402

import tap  # noqa: E402
from real_brokers import RealRabbitMQ, RealRedis, rabbitmq_available  # noqa: E402  (private, on 127.0.0.1)
from servers import Server  # noqa: E402


TUTORIALS = os.path.join(os.path.dirname(HERE), "examples", "tutorials")
NAMES = sorted(f[:-3] for f in os.listdir(TUTORIALS) if f.endswith(".py"))
MINI_ARGS = {
    "redis": ("MINIREDIS_BIN",),
    "rabbit": ("MINIRABBIT_BIN", "--admin-port", "0"),
    # Retention every 200 ms instead of every 5 minutes (kafka_4_retention); no 3 s wait for more
    # members before a new group's first assignment (kafka_2_consumer_group_scaling).
    "kafka": ("MINIKAFKA_BIN", "--log.retention.check.interval.ms", "200", "--group.initial.rebalance.delay.ms", "0"),
}


class Brokers:
    """Started on first use, stopped at exit; the real RabbitMQ boots in the background meanwhile."""

    def __init__(self):
        self.mini, self.real, self.errors = {}, {}, {}
        self.rabbit_boot = threading.Thread(target=self._boot_real_rabbit, daemon=True)
        if rabbitmq_available():
            self.rabbit_boot.start()

    def _boot_real_rabbit(self):
        try:
            rabbit = RealRabbitMQ()
            self.real["rabbit"] = rabbit
            deadline = time.monotonic() + 30  # the port opens a moment before logins are accepted
            while True:
                try:
                    pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", rabbit.port)).close()
                    break
                except pika.exceptions.AMQPConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        except Exception as e:  # reported by the cases that need it
            self.errors["rabbit"] = e

    def address(self, where, kind):
        if where == "mini":
            if kind not in self.mini:
                self.mini[kind] = Server(*MINI_ARGS[kind])
            return self.mini[kind]
        if kind == "rabbit":
            self.rabbit_boot.join()
            if "rabbit" in self.errors:
                raise self.errors["rabbit"]
        elif kind not in self.real:
            self.real[kind] = RealRedis()
        return self.real[kind]

    def close(self):
        for server in self.mini.values():
            server.close()
        if self.rabbit_boot.is_alive():
            self.rabbit_boot.join()
        for kind, server in self.real.items():
            server.close()


brokers = None


def setUpModule():
    global brokers
    brokers = Brokers()


def tearDownModule():
    brokers.close()


class Tutorials(unittest.TestCase):
    def run_tutorial(self, name, where):
        kind = name.split("_")[0]
        if where == "real" and kind == "kafka":
            self.skipTest("no Kafka broker is packaged in Debian")
        if where == "real" and kind == "rabbit" and not rabbitmq_available():
            self.skipTest("rabbitmq-server is not installed")
        if where == "real" and name == "rabbit_7_vhosts":
            self.skipTest("the test's rabbitmq-server runs without the management plugin")
        server = brokers.address(where, kind)
        args = [f"127.0.0.1:{server.port}"]
        if name == "rabbit_7_vhosts":
            args.append(f"127.0.0.1:{server.admin_port}")
        out = subprocess.run([sys.executable, os.path.join(TUTORIALS, name + ".py"), *args],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, f"{name} against the {where} broker:\n{out.stdout}{out.stderr[-3000:]}")
        self.assertIn("OK", out.stdout.splitlines()[-1:])


def _case(name, where):
    return lambda self: self.run_tutorial(name, where)


for _name in NAMES:
    for _where in ("mini", "real"):
        setattr(Tutorials, f"test_{_name}_{_where}", _case(_name, _where))


if __name__ == "__main__":
    tap.main()
