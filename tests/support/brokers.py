"""Starts the broker a scenario runs against, so that it can also kill and restart it.

    --broker mini      (default) this repository's build: build/<server>/<server>
    --broker real      the real broker from Debian: redis-server, rabbitmq-server
                       (there is no Kafka package; point at a cluster with --broker HOST:PORT)
    --broker HOST:PORT one already running; the scenario then skips the kill/restart steps

The mini servers take the same client code as the real ones - that is the point - so the
scenarios only differ in how the broker process is started. Set MINIREDIS_BIN / MINIRABBIT_BIN /
MINIKAFKA_BIN to run another build (the test suite uses this for the sanitizer build).
"""
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

from real_brokers import RealRabbitMQ, RealRedis
from servers import free_port

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MINI = {"redis": "miniredis", "rabbit": "minirabbit", "kafka": "minikafka"}
_LISTENING = re.compile(r"listening on [0-9.]+:([0-9]+)")


class Broker:
    """One broker process (or an external address). `.host`, `.port`, `.proc`; kill9(), restart(), close()."""

    def __init__(self, kind, choice="mini", mini_args=(), real_args=()):
        self.kind = kind
        self.choice = choice
        self.mini_args = list(mini_args)
        self.real_args = list(real_args)
        self.mini = None  # the mini server's process
        self.real = None  # a RealRedis / RealRabbitMQ (tests/support/real_brokers.py)
        self.dir = None
        self.host = "127.0.0.1"
        self.port = 0
        if choice in ("mini", "real"):
            self.dir = tempfile.mkdtemp(prefix=f"minibrokers-{kind}-")
            self.start()
        else:
            self.host, _, port = choice.rpartition(":")
            self.port = int(port)

    @property
    def proc(self):
        """The broker's process while it runs (for SIGSTOP demos), else None."""
        return self.mini if self.choice == "mini" else (self.real.proc if self.real else None)

    @property
    def can_crash(self):
        return self.choice in ("mini", "real")

    @property
    def name(self):
        if self.choice == "mini":
            return MINI[self.kind]
        if self.choice == "real":
            return {"redis": "redis-server", "rabbit": "rabbitmq-server", "kafka": "kafka"}[self.kind]
        return f"{self.kind} at {self.choice}"

    def start(self):
        if self.choice == "mini":
            self._start_mini()
        elif self.real is not None:
            self.real.start()  # a restart: the same port and data directory
        elif self.kind == "redis":
            self.real = RealRedis(*self.real_args, dir=self.dir)
        elif self.kind == "rabbit":
            self.real = RealRabbitMQ(dir=self.dir, boot_timeout=90)
        else:
            raise SystemExit("no Kafka broker is packaged here: use --broker mini or --broker HOST:PORT")
        if self.real is not None:
            self.port = self.real.port
            if self.kind == "rabbit":
                time.sleep(0.5)  # its port opens a moment before it accepts logins

    def _start_mini(self):
        name = MINI[self.kind]
        binary = os.environ.get(f"{name.upper()}_BIN") or os.path.join(REPO, "build", name, name)
        if not os.path.exists(binary):
            raise SystemExit(f"{binary} not built yet: run scripts/build.sh")
        # Reuse the port across restarts, so clients reconnect to the same address.
        port = self.port or 0
        self.mini = subprocess.Popen([binary, "--port", str(port), "--dir", self.dir, *self.mini_args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        found = threading.Event()

        def drain(proc):
            for line in proc.stdout:
                m = _LISTENING.search(line)
                if m and not found.is_set() and "admin" not in line:
                    self.port = int(m.group(1))
                    found.set()
            found.set()

        threading.Thread(target=drain, args=(self.mini,), daemon=True).start()
        if not found.wait(30) or not self.port:
            raise RuntimeError(f"{name} did not start")

    def kill9(self):
        """Crash the broker: SIGKILL, no flush, no goodbye."""
        if self.real is not None:
            self.real.kill9()
        elif self.mini is not None:
            self.mini.kill()
            self.mini.wait()
            self.mini = None

    def restart(self):
        self.stop()
        self.start()

    def stop(self):
        if self.real is not None:
            self.real.stop()
        elif self.mini is not None:
            self.mini.terminate()
            try:
                self.mini.wait(60)
            except subprocess.TimeoutExpired:
                self.kill9()
            self.mini = None

    def close(self):
        if self.real is not None:
            self.real.close()
        self.stop()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class KafkaCluster:
    """Three minikafka nodes on this machine in KRaft combined mode - scripts/kafka-cluster.sh's
    cluster, on free ports and in temporary directories: each node a broker and a voter of the
    controller quorum, new topics with three replicas. `.bootstrap`, `.nodes` (Broker objects,
    node id = index + 1, each can be kill9()ed and start()ed again on its port and data),
    `node(id)`, `wait_for_brokers(n)`. The short timeouts (a silent broker is fenced after 2 s)
    keep a demo's failover short; Kafka's defaults are 9 s."""

    TIMEOUTS = ["--quorum.election.timeout.ms", "500", "--quorum.fetch.timeout.ms", "1500",
                "--quorum.request.timeout.ms", "500", "--broker.heartbeat.interval.ms", "300",
                "--broker.session.timeout.ms", "2000"]

    def __init__(self, count=3, extra=()):
        controller_ports = [free_port() for _ in range(count)]
        voters = ",".join(f"{i + 1}@127.0.0.1:{port}" for i, port in enumerate(controller_ports))
        self.nodes = []
        try:
            for i, port in enumerate(controller_ports):
                self.nodes.append(Broker("kafka", "mini", mini_args=[
                    "--node.id", str(i + 1), "--process.roles", "broker,controller",
                    "--controller.quorum.voters", voters, "--listeners", f"CONTROLLER://127.0.0.1:{port}",
                    "--default.replication.factor", str(count), *self.TIMEOUTS, *extra]))
            if not self.wait_for_brokers(count):
                raise RuntimeError("the minikafka cluster did not form")
        except BaseException:
            self.close()
            raise

    @property
    def bootstrap(self):
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def node(self, node_id):
        return self.nodes[node_id - 1]

    def wait_for_brokers(self, count, timeout=60.0):
        """Until Metadata lists `count` live brokers (registered and unfenced)."""
        from confluent_kafka.admin import AdminClient
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                live = ",".join(f"127.0.0.1:{n.port}" for n in self.nodes if n.proc is not None)
                if len(AdminClient({"bootstrap.servers": live}).list_topics(timeout=2).brokers) == count:
                    return True
            except Exception:  # noqa: BLE001 - no controller elected yet
                pass
            time.sleep(0.2)
        return False

    def close(self):
        for n in self.nodes:
            n.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def add_broker_argument(parser, kind):
    parser.add_argument("--broker", default="mini",
                        help="mini (this repo's build, default), real (Debian's broker), or HOST:PORT")
    parser.add_argument("--quick", action="store_true", help="a short run (what the test suite uses)")
