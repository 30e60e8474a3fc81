#!/usr/bin/env python3
"""Comment share per folder: non-blank comment lines / non-blank lines, for the three servers and common/.

Issue 18 asks concept folders (protocol/, model/, storage/, core/, handlers/ or commands/, raft/)
to reach 25 % or better: code here is read far more often than written, so comments that say *why*
are part of the product. This script is the measuring stick, for the lecturer and for the issue.

A line counts as a comment line when, after stripping, it is only a comment: it starts with `//`,
or it lies inside (or opens, or closes) a `/* ... */` block. A code line with a trailing `// ...`
counts as code: the share measures explanation, not annotation. Blank lines count as neither.

    scripts/comment_share.py [REPO_ROOT]            one row per folder, then one per server
    scripts/comment_share.py --files FOLDER ...     one row per file in those folders, lowest first
    scripts/comment_share.py --check 25 [ROOT]      exit 1 if a concept folder is below 25 %

Only .cpp/.hpp/.h files count; generated code and build directories are not walked.
"""
import os
import sys

SERVERS = ["miniredis", "minirabbit", "minikafka", "common"]
CONCEPT_FOLDERS = {"protocol", "model", "storage", "core", "handlers", "commands", "raft"}
SOURCE_ENDINGS = (".cpp", ".hpp", ".h")


def count_file(path):
    """(comment lines, non-blank lines) of one C++ file."""
    comments = non_blank = 0
    in_block = False
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.strip()
            if not line:
                continue
            non_blank += 1
            if in_block:
                comments += 1
                if "*/" in line:
                    in_block = False
                continue
            if line.startswith("//"):
                comments += 1
            elif line.startswith("/*"):
                comments += 1
                in_block = "*/" not in line[2:]
    return comments, non_blank


def folder_key(root, path):
    """'miniredis/commands' for a file in a server's sub-folder, 'miniredis/(wiring)' for its top."""
    rel = os.path.relpath(path, root).split(os.sep)
    if len(rel) == 2:
        return rel[0] + ("" if rel[0] == "common" else "/(wiring)")
    return rel[0] + "/" + rel[1]


def walk(root):
    """{folder: [(path, comments, non_blank), ...]} over every server and common/."""
    found = {}
    for server in SERVERS:
        top = os.path.join(root, server)
        for directory, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(SOURCE_ENDINGS):
                    path = os.path.join(directory, name)
                    c, n = count_file(path)
                    found.setdefault(folder_key(root, path), []).append((path, c, n))
    return found


def share(c, n):
    return 100.0 * c / n if n else 0.0


def main(argv):
    args = argv[1:]
    check = None
    if args[:1] == ["--check"]:
        check = float(args[1])
        args = args[2:]
    if args[:1] == ["--files"]:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        rows = []
        for folder in args[1:]:
            for directory, _, files in os.walk(folder):
                for name in files:
                    if name.endswith(SOURCE_ENDINGS):
                        path = os.path.join(directory, name)
                        c, n = count_file(path)
                        rows.append((share(c, n), n, c, path))
        for s, n, c, path in sorted(rows):
            print(f"{s:5.1f} %  {c:5d} / {n:5d}  {path}")
        return 0
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    found = walk(root)
    print(f"{'folder':28s} {'comment':>8s} {'non-blank':>10s} {'share':>7s}")
    below = []
    totals = {}
    for folder in sorted(found):
        c = sum(r[1] for r in found[folder])
        n = sum(r[2] for r in found[folder])
        server = folder.split("/")[0]
        tc, tn = totals.get(server, (0, 0))
        totals[server] = (tc + c, tn + n)
        mark = ""
        if folder.split("/")[-1] in CONCEPT_FOLDERS or folder == "common":
            mark = " *"
            if check is not None and share(c, n) < check:
                below.append(folder)
        print(f"{folder:28s} {c:8d} {n:10d} {share(c, n):6.1f}%{mark}")
    print()
    for server in SERVERS:
        if server in totals:
            c, n = totals[server]
            print(f"{server + ' (all)':28s} {c:8d} {n:10d} {share(c, n):6.1f}%")
    print("\n* concept folder (issue 18 aims at 25 % or better)")
    if below:
        print(f"below {check:g} %: " + ", ".join(below))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
