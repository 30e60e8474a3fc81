"""Start a built minibrokers server for an integration test, as tests/support/server_process.hpp
does for C++ tests: `--port 0 --dir <fresh temp dir>`, wait for the "listening on" log line, and
SIGTERM + cleanup at the end. kill9() and restart() are for crash tests.

    with Server("MINIREDIS_BIN", "--appendonly", "yes") as redis:
        r = redis_py.Redis(port=redis.port)

Run these scripts with Debian's /usr/bin/python3: the python3-redis/pika/kafka packages live there.
"""
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

# The client port, the admin port; a minikafka cluster node also logs its controller listener.
_LISTENING = re.compile(r"(admin http |controller )?listening on [0-9.]+:([0-9]+)")


class Server:
    def __init__(self, env_var, *args, dir=None, ready_timeout=30.0, open_files=None, config=None):
        """open_files: the server's RLIMIT_NOFILE (soft and hard), to test running out of them.
        config: a config file given first (redis.conf, server.properties), as the originals take it."""
        self.binary = os.environ[env_var]
        self.config = [config] if config else []
        self.descriptor_limit = open_files
        self.args = list(args)
        self.own_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="minibrokers-test-")
        self.ready_timeout = ready_timeout
        self.proc = None
        self.log_lines = []
        self.port = 0
        self.admin_port = 0
        self.start()

    def start(self):
        self.port = self.admin_port = 0
        limit = self.descriptor_limit

        def limit_descriptors():
            if limit:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        self.proc = subprocess.Popen([self.binary, *self.config, "--port", "0", "--dir", self.dir, *self.args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                                     preexec_fn=limit_descriptors)
        wants_admin = "--admin-port" in self.args
        ready = threading.Event()
        lines = self.log_lines

        def drain(proc):
            for line in proc.stdout:
                lines.append(line)
                m = _LISTENING.search(line)
                if m:
                    if m.group(1) == "controller ":
                        pass  # chosen by the test (controller.quorum.voters), not discovered
                    elif m.group(1):
                        self.admin_port = int(m.group(2))
                    else:
                        self.port = int(m.group(2))
                if self.port and (self.admin_port or not wants_admin):
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=drain, args=(self.proc,), daemon=True)
        self.reader.start()
        if not ready.wait(self.ready_timeout) or not self.port:
            self.proc.kill()
            raise RuntimeError("server did not start:\n" + self.log())

    def open_files(self):
        """What the server's file descriptors point at (paths, "socket:[...]", ...)."""
        targets = []
        for fd in os.listdir(f"/proc/{self.proc.pid}/fd"):
            try:
                targets.append(os.readlink(f"/proc/{self.proc.pid}/fd/{fd}"))
            except FileNotFoundError:  # closed meanwhile
                pass
        return targets

    def log(self):
        return "".join(self.log_lines)

    def stop(self, timeout=30):
        """SIGTERM and wait: returns the exit status (a clean shutdown is 0)."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.reader.join(5)
        self.proc = None
        return code

    def kill9(self):
        """Kill as a crash would: no flush, no goodbye."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.reader.join(5)
            self.proc = None

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def free_port():
    """One TCP port free right now on 127.0.0.1 (see free_ports)."""
    return free_ports(1)[0]


def wait_for_port(port, timeout=60.0):
    """True once something accepts connections on 127.0.0.1:`port`, False after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)


def free_ports(count):
    """`count` distinct TCP ports free right now on 127.0.0.1, for servers that must know each
    other's ports before they start (a minikafka cluster's controller.quorum.voters). The kernel
    picks them; a clash with another process in the moment between is possible but rare."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def run_to_exit(env_var, data_dir, *args, config=None):
    """Runs a server binary until it exits - a refused start, `--repair` - and returns (exit
    status, output). A server that starts instead is stopped at once: ("started", output)."""
    first = [config] if config else []
    proc = subprocess.Popen([os.environ[env_var], *first, "--port", "0", "--dir", data_dir, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    output = []
    for line in proc.stdout:
        output.append(line)
        if "listening on" in line:
            proc.kill()
            proc.wait()
            return "started", "".join(output)
    return proc.wait(), "".join(output)


def wait_until(predicate, timeout=10.0, interval=0.02):
    """Polls `predicate` until it is true (returns its value) or `timeout` passes (returns None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def recv_exactly(sock, n):
    """Exactly n bytes from a socket (a length-prefixed protocol's frame); ConnectionError if the
    peer closes first. The raw-bytes tests of every server read their frames with it."""
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return bytes(data)
