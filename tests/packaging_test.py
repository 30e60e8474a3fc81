"""Lab packaging: every server prints the one version string (common/version.hpp.in, filled from
meson's project version), `meson install` stages the servers, docs and sample configs, and
scripts/run.sh starts all three with every port shifted by --port-offset."""
import os
import random
import signal
import socket
import subprocess
import tempfile
import shutil
import threading
import unittest

import tap
from servers import Server

BROKERS = {"miniredis": "MINIREDIS_BIN", "minirabbit": "MINIRABBIT_BIN", "minikafka": "MINIKAFKA_BIN"}
VERSION = os.environ["MINIBROKERS_VERSION"]
BUILD = os.environ["MINIBROKERS_BUILD_ROOT"]
SOURCE = os.environ["MINIBROKERS_SOURCE_ROOT"]


class Version(unittest.TestCase):
    def test_every_server_prints_the_project_version(self):
        for name, env_var in BROKERS.items():
            with self.subTest(name):
                out = subprocess.run([os.environ[env_var], "--version"], capture_output=True, text=True, timeout=30)
                self.assertEqual((out.returncode, out.stdout), (0, f"{name} {VERSION}\n"))

    def test_info_server_shows_it(self):
        with Server("MINIREDIS_BIN") as redis:
            with socket.create_connection(("127.0.0.1", redis.port), timeout=10) as s:
                s.sendall(b"INFO server\r\n")
                data = b""
                while b"miniredis_version:" not in data or not data.endswith(b"\r\n"):
                    data += s.recv(65536)
        self.assertIn(f"miniredis_version:{VERSION}\r\n".encode(), data)


class Install(unittest.TestCase):
    def test_meson_install_stages_servers_docs_and_samples(self):
        dest = tempfile.mkdtemp(prefix="minibrokers-install-")
        try:
            out = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet", "--destdir", dest],
                                 capture_output=True, text=True, timeout=120)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            installed = {os.path.relpath(os.path.join(d, f), dest) for d, _, files in os.walk(dest) for f in files}
            for name in BROKERS:
                binary = [p for p in installed if p.endswith("bin/" + name)]
                self.assertEqual(len(binary), 1, sorted(installed)[:20])
                self.assertTrue(os.access(os.path.join(dest, binary[0]), os.X_OK))
            for tail in ("doc/minibrokers/README.md", "doc/minibrokers/architecture.md",
                         "doc/minibrokers/config/server.properties", "doc/minibrokers/config/rabbitmq.conf"):
                self.assertTrue(any(p.endswith(tail) for p in installed), tail)
        finally:
            shutil.rmtree(dest, ignore_errors=True)


def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class RunScript(unittest.TestCase):
    def test_port_offset_shifts_every_port(self):
        base = [6379, 16379, 5672, 15672, 9092, 19092]
        for _ in range(50):  # an offset whose six ports are all free right now
            offset = random.randrange(20000, 46000)
            if all(free(p + offset) for p in base):
                break
        data = tempfile.mkdtemp(prefix="minibrokers-run-")
        proc = subprocess.Popen([os.path.join(SOURCE, "scripts", "run.sh"), "--no-build", "--port-offset", str(offset),
                                 "--data", data, "--reset", "--redis-args", "--loglevel warning"],
                                env={**os.environ, "BUILD_DIR": BUILD}, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        lines, listening, done = [], set(), threading.Event()

        def drain():
            for line in proc.stdout:
                lines.append(line)
                if "listening on 127.0.0.1:" in line:
                    listening.add(int(line.rsplit(":", 1)[1]))
                if len(listening) == len(base):
                    done.set()
            done.set()

        threading.Thread(target=drain, daemon=True).start()
        try:
            done.wait(60)
            # Every port shifted, the miniredis ones printed at --loglevel warning too.
            self.assertEqual(listening, {p + offset for p in base}, "".join(lines))
            for port in base:
                socket.create_connection(("127.0.0.1", port + offset), timeout=5).close()
            self.assertIn(f"redis-cli -p {6379 + offset} ping", "".join(lines))
        finally:
            proc.send_signal(signal.SIGTERM)
            status = proc.wait(60)
            shutil.rmtree(data, ignore_errors=True)
        self.assertEqual(status, 0, "".join(lines))


if __name__ == "__main__":
    tap.main()
