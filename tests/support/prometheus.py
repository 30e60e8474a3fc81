"""/metrics in the tests: Prometheus' own `promtool check metrics` judges the page (format and lint:
HELP text, counter naming, base units...), and a small reader of the text format (version 0.0.4)
gives the tests the values to assert on:

    families = check(test, text)            # promtool must be silent; then parse(text)
    families["minikafka_group_lag"].value(group="g", topic="t", partition="0")  -> 4.0

parse() is strict on its own too (every sample follows a `# TYPE` line of its family, label values
quoted and escaped, values parse as floats, counters named `*_total`, no series twice).
promtool comes from Debian's prometheus package (scripts/install-deps.sh installs it without
starting the server); without it check() fails rather than pass unchecked.
"""
import re
import shutil
import subprocess

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = rf'({_NAME})="((?:[^"\\\n]|\\.)*)"'
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{((?:{_LABEL})(?:,{_LABEL})*)?\}})? (\S+)$")
_TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class FormatError(ValueError):
    pass


class Family:
    def __init__(self, kind):
        self.type = kind
        self.help = None
        self.samples = []  # (name, {label: value}, float)

    def value(self, **labels):
        """The value of the one series with exactly these labels (KeyError if none)."""
        for _, have, v in self.samples:
            if have == labels:
                return v
        raise KeyError(f"no series with labels {labels}")

    def series(self):
        return {tuple(sorted(labels.items())): v for _, labels, v in self.samples}


def _unescape(value):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def parse(text):
    families = {}
    seen = set()
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) != 4 or parts[3] not in _TYPES or not re.fullmatch(_NAME, parts[2]):
                raise FormatError(f"bad TYPE line: {line!r}")
            name, kind = parts[2], parts[3]
            if name in families:
                raise FormatError(f"second TYPE for {name}")
            if kind == "counter" and not name.endswith("_total"):
                raise FormatError(f"counter {name} should be named *_total")
            families[name] = Family(kind)
            continue
        if line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise FormatError(f"bad sample line: {line!r}")
        name, label_text, value = m.group(1), m.group(2), m.group(m.lastindex)
        family = name if name in families else re.sub(r"_(bucket|sum|count)$", "", name)
        if family not in families:
            raise FormatError(f"sample before its TYPE line: {line!r}")
        labels = {k: _unescape(v) for k, v in re.findall(_LABEL, label_text or "")}
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise FormatError(f"series twice: {line!r}")
        seen.add(key)
        try:
            number = float(value)
        except ValueError:
            raise FormatError(f"bad value: {line!r}") from None
        families[family].samples.append((name, labels, number))
    return families


def check_process_metrics(test, families):
    """The process_* metrics every Prometheus client library exports, with their types and sane values."""
    for name, kind in [("process_cpu_seconds_total", "counter"), ("process_resident_memory_bytes", "gauge"),
                       ("process_open_fds", "gauge"), ("process_start_time_seconds", "gauge")]:
        test.assertIn(name, families)
        test.assertEqual(families[name].type, kind, name)
    test.assertGreater(families["process_resident_memory_bytes"].value(), 0)
    test.assertGreater(families["process_open_fds"].value(), 2)  # at least the listeners
    test.assertGreater(families["process_start_time_seconds"].value(), 1.6e9)


PROMTOOL = shutil.which("promtool")


def promtool_check(test, text):
    """`promtool check metrics` on a /metrics body (it reads stdin): any complaint fails the test."""
    if PROMTOOL is None:
        test.fail("promtool is missing: scripts/install-deps.sh installs it (Debian's prometheus package)")
    result = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    test.assertEqual((result.returncode, result.stdout + result.stderr), (0, ""),
                     "promtool check metrics complained")


def check(test, text):
    """promtool's verdict first, then the families for the test's own assertions."""
    promtool_check(test, text)
    return parse(text)
