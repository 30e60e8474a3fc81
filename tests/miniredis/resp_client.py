"""A tiny RESP2/RESP3 client for tests that must see replies exactly as sent (types, nulls, error
texts) - redis-py converts replies per command, which would hide differences."""
import socket


class ReplyError(Exception):
    pass


class Error:
    def __init__(self, text):
        self.text = text

    def prefix(self):
        return self.text.split(" ", 1)[0]

    def __repr__(self):
        return f"Error({self.text!r})"

    def __eq__(self, other):
        return isinstance(other, Error) and self.text == other.text


class Push(list):
    """A RESP3 push (>) - distinguishable from an ordinary array."""


class RespClient:
    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, (int, float)):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, *args):
        self.sock.sendall(self.encode(*args))

    def call(self, *args):
        self.send(*args)
        return self.read()

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return Error(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return None
            items = [self.read() for _ in range(n)]
            if kind == b"~":
                return ("set", items)
            return Push(items) if kind == b">" else items
        if kind == b"%":
            n = int(rest)
            return ("map", [(self.read(), self.read()) for _ in range(n)])
        if kind == b"_":
            return None
        if kind == b",":
            return ("double", rest.decode())
        if kind == b"#":
            return rest == b"t"
        if kind == b"=":
            return ("verbatim", self._exact(int(rest)))
        raise ValueError(f"unexpected reply type {line!r}")
