"""CONCEPT: the power cut itself - turning what the shim recorded into the data directory a real
power loss could leave behind.

powercut_shim.c, preloaded into the server, keeps a picture of what the disk is guaranteed to hold
(state/data, state/dir) and of what was merely handed to the kernel (state/pend, state/dpend). At
the cut every process of that server is stopped and killed, then the data directory is rebuilt:

    for each directory, from the root:   listing  = last fsynced listing  + kept name changes
    for each file in the listing:        contents = last fsynced contents + kept writes

What is "kept" is the model (see docs/architecture.md, "Power cuts"):
  drop    nothing unsynced survives: the page cache is simply gone.
  prefix  per file and per directory, a random prefix of the unsynced changes survives, in the order
          they were made (the disk had written part of its queue), and the first change not kept
          may be half written (a torn tail: a random number of its bytes landed).

    with PowerCutServer("MINIREDIS_BIN", "--appendonly", "yes") as server:
        ...load...
        report = server.power_cut(random.Random(seed), "prefix")
        server.start(shim=False)            # recovery runs on what the disk kept

READ NEXT: tests/powercut/workloads.py (writers that record every acknowledgement, and the checks),
tests/powercut/powercut_test.py.
"""
import os
import shutil
import signal
import struct
import tempfile
import time

from servers import Server

MODELS = ("drop", "prefix")
_RECORD = struct.Struct("<cQQ")  # kind, offset (or new size), length - as struct record in the shim


class PowerCutServer(Server):
    """A Server whose process runs under the shim (or not: shim=False), with power_cut()."""

    def __init__(self, env_var, *args, shim=True, cut_after=None, **kwargs):
        self.shim = shim
        self.cut_after = cut_after  # POWERCUT_AFTER: the shim cuts by itself after N operations
        self.state = None
        super().__init__(env_var, *args, **kwargs)

    def start(self, shim=None, cut_after=None):
        if shim is not None:
            self.shim = shim
        if cut_after is not None:  # 0: no cut from inside
            self.cut_after = cut_after
        if not self.shim:
            return super().start()
        # The picture starts from the directory as it is now (the shim adopts it at load).
        self.state = tempfile.mkdtemp(prefix="powercut-")
        extra = {"LD_PRELOAD": _preload(self.binary), "POWERCUT_DIR": self.dir, "POWERCUT_STATE": self.state}
        if self.cut_after:
            extra["POWERCUT_AFTER"] = str(self.cut_after)
        if "libasan" in extra["LD_PRELOAD"]:
            extra["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
        saved = {k: os.environ.get(k) for k in extra}
        os.environ.update(extra)  # Server.start() hands its own environment to the child
        try:
            super().start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def power_cut(self, rng, model="drop"):
        """The lights go out: every process of this server stops at once, then the data directory
        becomes what the disk kept. Returns what was lost, for the report."""
        assert model in MODELS and self.state
        self._kill_everything()
        self.cut_at = time.monotonic()
        report = rebuild(self.state, self.dir, rng, model)
        shutil.rmtree(self.state, ignore_errors=True)
        self.state = None
        return report

    def kill9(self):
        super().kill9()
        self._drop_state()

    def stop(self, timeout=30):
        code = super().stop(timeout)
        self._drop_state()
        return code

    def _drop_state(self):
        if self.state:
            shutil.rmtree(self.state, ignore_errors=True)
            self.state = None

    def _kill_everything(self):
        # The server and whatever it forked (miniredis's BGSAVE/BGREWRITEAOF child) carry our state
        # directory in their environment: stop them all first, so none writes after the "cut".
        marker = f"POWERCUT_STATE={self.state}".encode()
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/environ", "rb") as f:
                        if marker in f.read().split(b"\0"):
                            pids.append(int(entry))
                except OSError:
                    pass
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.reader.join(5)
            self.proc = None


def _preload(binary):
    shim = os.environ["POWERCUT_SHIM"]
    # A sanitizer build: ASan insists on being the first library; let it be, the shim goes next.
    with open(binary, "rb") as f:
        if b"libasan.so" not in f.read():
            return shim
    for line in os.popen(f"ldd {binary}"):
        if "libasan.so" in line:
            return line.split("=>")[1].split()[0] + ":" + shim
    return shim


# --- rebuilding the directory -----------------------------------------------------------------

def rebuild(state, data_dir, rng, model):
    report = {"files": 0, "writes_dropped": 0, "bytes_dropped": 0, "names_dropped": 0, "torn": 0}
    root = os.readlink(os.path.join(state, "root"))
    image = tempfile.mkdtemp(prefix="powercut-image-", dir=os.path.dirname(data_dir.rstrip("/")))
    _build_dir(state, root, image, rng, model, report)
    # Swap the contents in place: the test's Server keeps using the same directory path.
    for name in os.listdir(data_dir):
        path = os.path.join(data_dir, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    for name in os.listdir(image):
        os.rename(os.path.join(image, name), os.path.join(data_dir, name))
    os.rmdir(image)
    return report


def _keep(count, rng, model):
    return 0 if model == "drop" else rng.randint(0, count)


def _build_dir(state, dir_id, target, rng, model, report):
    entries = {}
    listing = os.path.join(state, "dir", dir_id)
    if os.path.exists(listing):
        for line in open(listing, encoding="utf-8", errors="surrogateescape").read().splitlines():
            kind, ident, name = line.split("\t", 2)
            entries[name] = (kind, ident)
    changes = _name_changes(state, dir_id)
    kept = _keep(len(changes), rng, model)
    report["names_dropped"] += len(changes) - kept
    for change in changes[:kept]:
        if change[0] == "C":
            entries[change[3]] = (change[1], change[2])
        elif change[0] == "U":
            entries.pop(change[1], None)
        elif change[0] == "M" and change[1] in entries:
            entries[change[2]] = entries.pop(change[1])
    for name, (kind, ident) in entries.items():
        path = os.path.join(target, name)
        if kind == "D":
            os.mkdir(path)
            _build_dir(state, ident, path, rng, model, report)
        else:
            with open(path, "wb") as f:
                f.write(_file_contents(state, ident, rng, model, report))
            report["files"] += 1


def _name_changes(state, dir_id):
    path = os.path.join(state, "dpend", dir_id)
    if not os.path.exists(path):
        return []
    text = open(path, encoding="utf-8", errors="surrogateescape").read()
    lines = text.split("\n")[:-1]  # a line without its newline was cut short by the kill
    return [line.split("\t") for line in lines]


def _file_contents(state, ident, rng, model, report):
    data_path = os.path.join(state, "data", ident)
    data = bytearray(open(data_path, "rb").read()) if os.path.exists(data_path) else bytearray()
    changes = _pending(state, ident)
    if os.path.exists(os.path.join(state, "opaque", ident)):
        # Written by means not recorded one by one: only the fsynced copy is known.
        report["writes_dropped"] += len(changes)
        report["bytes_dropped"] += sum(len(p) for k, _, p in changes if k == "W")
        changes = []
    kept = _keep(len(changes), rng, model)
    for kind, offset, payload in changes[:kept]:
        _apply(data, kind, offset, payload)
    if kept < len(changes) and model == "prefix" and rng.random() < 0.5:
        kind, offset, payload = changes[kept]
        if kind == "W" and len(payload) > 1:  # torn: only the first bytes of this write landed
            _apply(data, kind, offset, payload[: rng.randint(1, len(payload) - 1)])
            report["torn"] += 1
    report["writes_dropped"] += len(changes) - kept
    report["bytes_dropped"] += sum(len(p) for k, _, p in changes[kept:] if k == "W")
    return bytes(data)


def _pending(state, ident):
    path = os.path.join(state, "pend", ident)
    if not os.path.exists(path):
        return []
    raw = open(path, "rb").read()
    changes, at = [], 0
    while at + _RECORD.size <= len(raw):
        kind, offset, length = _RECORD.unpack_from(raw, at)
        at += _RECORD.size
        if kind == b"T":
            changes.append(("T", offset, b""))
            continue
        if at + length > len(raw):
            break  # the record was being written when the process died
        changes.append(("W", offset, raw[at:at + length]))
        at += length
    return changes


def _apply(data, kind, offset, payload):
    if kind == "T":
        del data[offset:]
        data.extend(b"\0" * (offset - len(data)))
    else:
        if offset > len(data):
            data.extend(b"\0" * (offset - len(data)))
        data[offset:offset + len(payload)] = payload
