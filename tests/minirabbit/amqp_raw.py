"""Just enough raw AMQP 0-9-1 to put exact bytes on the wire in tests: frame builders and a
client that completes the handshake and then reads frames one by one."""
import socket
import struct

HEADER = b"AMQP\x00\x00\x09\x01"


def frame(kind, channel, payload):
    return struct.pack(">BHI", kind, channel, len(payload)) + payload + b"\xce"


def method(channel, class_id, method_id, args=b""):
    return frame(1, channel, struct.pack(">HH", class_id, method_id) + args)


def shortstr(s):
    return bytes([len(s)]) + s


def longstr(s):
    return struct.pack(">I", len(s)) + s


class RawClient:
    """Just enough AMQP to get a connection open, then send whatever a test wants."""

    def __init__(self, port, heartbeat=0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        self.sock.sendall(HEADER)
        self.expect_method(10, 10)  # connection.start
        self.sock.sendall(method(0, 10, 11, struct.pack(">I", 0) + shortstr(b"PLAIN") +
                                 longstr(b"\x00guest\x00guest") + shortstr(b"en_US")))
        self.expect_method(10, 30)  # connection.tune
        self.sock.sendall(method(0, 10, 31, struct.pack(">HIH", 2047, 131072, heartbeat)))
        self.sock.sendall(method(0, 10, 40, shortstr(b"/") + shortstr(b"") + b"\x00"))
        self.expect_method(10, 41)  # connection.open-ok

    def read_frame(self, timeout=10):
        self.sock.settimeout(timeout)
        while True:
            if len(self.buffer) >= 7:
                kind, channel, size = struct.unpack(">BHI", self.buffer[:7])
                if len(self.buffer) >= size + 8:
                    payload = self.buffer[7:7 + size]
                    self.buffer = self.buffer[size + 8:]
                    return kind, channel, payload
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buffer += data

    def expect_method(self, class_id, method_id):
        while True:
            got = self.read_frame()
            assert got is not None, "connection closed"
            kind, channel, payload = got
            if kind == 8:
                continue
            assert kind == 1 and struct.unpack(">HH", payload[:4]) == (class_id, method_id), payload
            return payload[4:]

    def expect_close(self):
        """Reads up to connection.close; returns (reply code, reply text)."""
        args = self.expect_method(10, 50)
        code = struct.unpack(">H", args[:2])[0]
        text = args[3:3 + args[2]].decode()
        return code, text

    def closed_by_peer(self, timeout=10):
        try:
            while True:
                if self.read_frame(timeout) is None:
                    return True
        except (ConnectionResetError, socket.timeout):
            return False
