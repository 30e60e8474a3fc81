#!/usr/bin/env python3
"""One-way includes: in each server, a folder may include only folders below it.

    protocol/  value types and codecs: bytes <-> requests and replies      (ground floor)
    model/     the course's concepts as plain types                         may include protocol/
    storage/   what goes to disk                                            ... and model/
    raft/      minikafka's controller quorum, a module beside storage/      ... and model/
    core/      socket-free server state                                ... and storage/
    handlers/, commands/   one file per API / class / command family        ... and core/
    wiring     main.cpp, server.cpp, admin_api.cpp (the server's top folder) may include anything

common/ sits under all of them. Run by the test suite (suite 'unit'): prints TAP, one line per
server, naming every include that runs back up the layers, and fails if there is one.

    scripts/check_layers.py [REPO_ROOT]
"""
import os
import re
import sys

# raft/ (minikafka's controller quorum) is a self-contained module beside storage/: it keeps a
# replicated log and a durable vote, and the core above it drives it.
FLOOR = {"protocol": 1, "model": 2, "storage": 3, "raft": 3, "core": 4, "handlers": 5, "commands": 5}
SERVERS = ["miniredis", "minirabbit", "minikafka"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder_of(server, relative_path):
    """The layer folder a path inside `server` belongs to (None for the wiring and common/)."""
    if relative_path.startswith(server + "/"):
        relative_path = relative_path[len(server) + 1:]
    first = relative_path.split("/")[0] if "/" in relative_path else None
    return first if first in FLOOR else None


def violations(root, server):
    found = []
    for directory, _, files in os.walk(os.path.join(root, server)):
        for name in sorted(files):
            if not name.endswith((".cpp", ".hpp", ".h")):
                continue
            path = os.path.join(directory, name)
            here = folder_of(server, os.path.relpath(path, os.path.join(root, server)))
            if here is None:
                continue
            with open(path, errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    there = folder_of(server, m.group(1)) if m else None
                    if there is not None and FLOOR[there] > FLOOR[here]:
                        found.append(f"{os.path.relpath(path, root)}:{number}: {here}/ includes {m.group(1)}")
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    print(f"1..{len(SERVERS)}")
    failed = 0
    for number, server in enumerate(SERVERS, 1):
        found = violations(root, server)
        print(f"{'not ok' if found else 'ok'} {number} - {server}: includes point down the layers")
        for line in found:
            print(f"# {line}")
        failed += bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
