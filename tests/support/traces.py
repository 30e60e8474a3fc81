"""CONCEPT: reading a server's --trace as a story. The three servers share one trace format,

    <time> <server> INFO trace: <event> key=value ... -> what happened -> ...

so one helper serves all their trace tests: take the trace lines out of the log, then check that
the expected events happened in the expected order (other lines may come in between: a trace is
a narration of everything, a test checks the steps of one story).

READ NEXT: docs/architecture.md (the trace format), tests/<server>/trace_test.py.
"""
import re

from servers import wait_until

_TRACE = re.compile(r" INFO trace: (.*)$")


def trace_lines(server):
    """The text after "trace: " of every trace line the server has logged so far."""
    lines = []
    for line in server.log().splitlines():
        match = _TRACE.search(line)
        if match:
            lines.append(match.group(1))
    return lines


def find_in_order(lines, patterns):
    """Matches each regex pattern against a line after the previous pattern's line. Returns the
    matched lines, or the index of the first pattern that could not be found."""
    found, start = [], 0
    for index, pattern in enumerate(patterns):
        regex = re.compile(pattern)
        for position in range(start, len(lines)):
            if regex.search(lines[position]):
                found.append(lines[position])
                start = position + 1
                break
        else:
            return index
    return found


def assert_trace_in_order(test, server, patterns, timeout=10):
    """Waits (the log is read by a thread) until the patterns appear in order, else fails with the
    pattern that is missing and the trace so far."""
    wait_until(lambda: isinstance(find_in_order(trace_lines(server), patterns), list), timeout=timeout)
    result = find_in_order(trace_lines(server), patterns)
    if not isinstance(result, list):
        test.fail(f"trace step {result} ({patterns[result]!r}) missing or out of order; trace:\n" +
                  "\n".join(trace_lines(server)))
    return result
