"""Starts Debian's real rabbitmq-server for a side-by-side test or benchmark: its own node name,
ports and data directories in a temporary directory (RABBITMQ_NODE_PORT, RABBITMQ_NODENAME,
RABBITMQ_MNESIA_BASE, RABBITMQ_LOG_BASE, ...), no plugins, so it never touches a system instance.
Booting the Erlang node takes from a few seconds to most of a minute on a busy machine.

    with RealRabbitMQ() as rabbit:
        pika.ConnectionParameters(port=rabbit.port)
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available():
    return os.path.exists(SERVER)


class RealRabbitMQ:
    def __init__(self, boot_timeout=180, management=False):
        """management=True also starts the management plugin on self.management_port (its HTTP API)."""
        self.dir = tempfile.mkdtemp(prefix="minibrokers-rabbitmq-")
        self.port = free_port()
        self.management_port = free_port() if management else None
        with open(os.path.join(self.dir, "enabled_plugins"), "w") as f:
            f.write("[rabbitmq_management].\n" if management else "[].\n")
        with open(os.path.join(self.dir, "rabbitmq.conf"), "w") as f:
            f.write("listeners.tcp.default = 127.0.0.1:%d\n" % self.port)
            if management:
                f.write("management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %d\n" % self.management_port)
        env = dict(os.environ,
                   HOME=self.dir,
                   RABBITMQ_NODE_PORT=str(self.port),
                   RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
                   RABBITMQ_DIST_PORT=str(free_port()),
                   RABBITMQ_NODENAME=f"minibrokers{self.port}@localhost",
                   RABBITMQ_MNESIA_BASE=os.path.join(self.dir, "mnesia"),
                   RABBITMQ_LOG_BASE=os.path.join(self.dir, "log"),
                   RABBITMQ_CONFIG_FILE=os.path.join(self.dir, "rabbitmq"),
                   RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(self.dir, "enabled_plugins"),
                   RABBITMQ_PID_FILE=os.path.join(self.dir, "pid"))
        self.env = env
        # Erlang starts the epmd name daemon if none runs; if we caused that, stop() ends it again.
        self.started_epmd = subprocess.run(["epmd", "-names"], capture_output=True).returncode != 0
        self.log = open(os.path.join(self.dir, "stdout.log"), "w")
        self.boot_timeout = boot_timeout
        self.proc = None
        self.boot()

    def boot(self):
        """Starts the node (again, after halt(): same data directory) and waits for its listener."""
        # Its own session, so halt() can end the wrapper script and the Erlang VM together.
        self.proc = subprocess.Popen([SERVER], env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + self.boot_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("rabbitmq-server exited: " + open(self.log.name).read()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                if self.management_port:  # the plugin starts after the AMQP listener
                    socket.create_connection(("127.0.0.1", self.management_port), 1).close()
                return
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError("rabbitmq-server did not start in time")

    def halt(self):
        """A clean stop that keeps the data directory, for boot() to start from (a restart)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def stop(self):
        self.halt()
        if self.started_epmd:
            subprocess.run(["epmd", "-kill"], capture_output=True)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
