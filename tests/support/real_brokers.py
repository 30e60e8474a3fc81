"""The real brokers from Debian, started privately for a differential test, an example run with
`--broker real` or a side-by-side benchmark - one place for all three, so that every comparison in
the repository runs the original the same way:

    RealRedis      redis-server on 127.0.0.1, a free port, its own dir; no snapshots, no AOF
                   unless the caller's arguments say so
    RedisProcess   the same for any server that speaks RESP (miniredis in benchmarks), with the
                   few INFO/RSS readings the benchmarks compare
    RealRabbitMQ   rabbitmq-server with its own node name, ports, mnesia and log directories, no
                   plugins unless management=True, so it never touches a system instance

(There is no Kafka package in Debian: minikafka is compared with librdkafka's mock cluster,
benchmarks/minikafka/mock_cluster.cpp.)

Both real brokers listen on loopback only, like the mini servers (`--bind 127.0.0.1` by default):
a course machine or CI may allow nothing else, and a demo broker with the default guest login
should not be reachable from the network anyway. kill9() and start() again on the same port and
directory is a crash and a restart - what the failure demos do.

Run with Debian's /usr/bin/python3 (redis-py, pika and the Kafka clients live there); this module
itself needs only the standard library.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from servers import free_port, wait_for_port

RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


def _ping(port):
    """True when a RESP server on `port` answers PING (raw socket: no client library needed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisProcess:
    """A RESP server process on its own port and temp dir. `argv(port, dir)` builds its command
    line; the process is started at once and is ready (answers PING) when the constructor returns."""

    def __init__(self, name, argv, dir=None, port=None, ready_timeout=30.0):
        self.name = name
        self.argv = argv
        self.own_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix=f"minibrokers-{name}-")
        self.port = port or free_port()
        self.ready_timeout = ready_timeout
        self.proc = None
        self.start()

    def start(self):
        # Its output goes to a file next to its data: a pipe nobody reads would fill up and block it.
        with open(os.path.join(self.dir, f"{self.name}.log"), "a") as log:
            self.proc = subprocess.Popen(self.argv(self.port, self.dir), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.ready_timeout
        while not _ping(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n" + self.log()[-2000:])
            if time.monotonic() > deadline:
                self.kill9()
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0.05)

    def log(self):
        with open(os.path.join(self.dir, f"{self.name}.log"), errors="replace") as f:
            return f.read()

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True).stdout

    def info_field(self, section, field):
        for line in self.cli("info", section).splitlines():
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
        return ""

    def used_memory(self):
        return int(self.info_field("memory", "used_memory") or 0)

    def dbsize(self):
        return int(self.cli("dbsize").strip() or 0)

    def rss_bytes(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self):
        """User + system CPU time the process has used so far (/proc/PID/stat). On a small machine the
        load tool shares the cores with the server, so throughput can tie while one server does the
        same work with less CPU: the benchmarks report both."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
        self.proc = None

    def stop(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill9()

    def close(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def redis_server_argv(*extra):
    """redis-server's command line with nothing persisted unless `extra` turns it on."""
    return lambda port, d: ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
                            "--appendonly", "no", *extra]


def miniredis_argv(binary, *extra):
    """miniredis's command line with the same settings as redis_server_argv."""
    return lambda port, d: [binary, "--port", str(port), "--dir", d, "--save", "", "--appendonly", "no", *extra]


def RealRedis(*extra, dir=None, port=None):
    """redis-server, ready. `extra` are redis-server arguments (`--appendonly yes`, ...)."""
    return RedisProcess("redis-server", redis_server_argv(*extra), dir=dir, port=port)


def rabbitmq_available():
    return os.path.exists(RABBITMQ_SERVER)


class RealRabbitMQ:
    """rabbitmq-server, ready when the constructor returns (AMQP and, with management=True, the
    management plugin's HTTP API on self.management_port). Booting the Erlang node takes from a few
    seconds to most of a minute on a busy machine."""

    def __init__(self, boot_timeout=180, management=False, dir=None, port=None):
        self.own_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="minibrokers-rabbitmq-")
        self.port = port or free_port()
        self.management_port = free_port() if management else None
        self.boot_timeout = boot_timeout
        with open(os.path.join(self.dir, "enabled_plugins"), "w") as f:
            f.write("[rabbitmq_management].\n" if management else "[].\n")
        with open(os.path.join(self.dir, "rabbitmq.conf"), "w") as f:
            f.write("listeners.tcp.default = 127.0.0.1:%d\n" % self.port)
            if management:
                f.write("management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %d\n" % self.management_port)
        self.env = dict(os.environ,
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
        # Erlang starts the epmd name daemon if none runs; if we caused that, close() ends it again.
        self.started_epmd = subprocess.run(["epmd", "-names"], capture_output=True).returncode != 0
        self.proc = None
        self.log = None
        self.start()

    def start(self):
        self.log = open(os.path.join(self.dir, "stdout.log"), "a")
        # Its own session, so a stop or a kill reaches the wrapper script and the Erlang VM together.
        self.proc = subprocess.Popen([RABBITMQ_SERVER], env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + self.boot_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("rabbitmq-server exited: " + open(self.log.name).read()[-2000:])
            if wait_for_port(self.port, timeout=0.5) and (
                    not self.management_port or wait_for_port(self.management_port, timeout=0.5)):
                return  # (the port opens a moment before the broker accepts logins: clients retry)
        self.close()
        raise RuntimeError("rabbitmq-server did not start in time")

    def _signal(self, sig):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def kill9(self):
        """Crash the broker: SIGKILL to the whole VM, no flush, no goodbye."""
        self._signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()
        self.proc = None
        if self.log:
            self.log.close()

    def stop(self):
        self._signal(signal.SIGTERM)
        try:
            if self.proc:
                self.proc.wait(60)
        except subprocess.TimeoutExpired:
            pass
        self.kill9()

    def close(self):
        self.stop()
        if self.started_epmd:
            subprocess.run(["epmd", "-kill"], capture_output=True)
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
