#!/usr/bin/env python3
"""Runs one libFuzzer harness with a fixed budget and reports the outcome as TAP.

CONCEPT: a fuzzer in CI must be a test like any other - same budget every run, a verdict meson
can put in its JUnit log - while a long hunt (scripts/fuzz.sh) keeps what it learns. Both go
through this script:

    run_fuzzer.py BINARY SEED_DIR --runs N            CI: N inputs, fixed -seed, scratch corpus
    run_fuzzer.py BINARY SEED_DIR --seconds S --corpus DIR --artifacts DIR     the long mode

    libFuzzer  [work corpus: new inputs go here]  [seed corpus: read only]
        │ crash / sanitizer report / FUZZ_CHECK / timeout / over -malloc_limit_mb / -rss_limit_mb
        └─► artifact file (the input) ─► "not ok" + how to reproduce

The limits are the findings we ask for beyond crashes: one input running over --timeout seconds
is a hang, one allocation over --malloc-limit-mb or a process over --rss-limit-mb is unbounded
memory.

READ NEXT: scripts/fuzz.sh, tests/fuzz/meson.build
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

FINAL = re.compile(r"#(\d+)\s+(?:DONE|INITED|pulse|NEW|REDUCE)\s+cov: (\d+) ft: (\d+)(?: corp: (\d+)/)?")
ARTIFACT = re.compile(r"Test unit written to (\S+)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("seeds")
    p.add_argument("--runs", type=int, default=0, help="inputs to run (0: until --seconds)")
    p.add_argument("--seconds", type=int, default=0, help="-max_total_time")
    p.add_argument("--corpus", help="work corpus to keep (default: a scratch directory)")
    p.add_argument("--artifacts", help="where crashing inputs go (default: a scratch directory)")
    p.add_argument("--timeout", type=int, default=10, help="seconds one input may take")
    p.add_argument("--rss-limit-mb", type=int, default=1536)
    p.add_argument("--malloc-limit-mb", type=int, default=256)
    p.add_argument("--seed", type=int, default=1, help="libFuzzer -seed (0: random)")
    a = p.parse_args()

    name = os.path.basename(a.binary)
    scratch = tempfile.mkdtemp(prefix=name + ".")
    corpus = a.corpus or os.path.join(scratch, "corpus")
    artifacts = a.artifacts or os.path.join(scratch, "artifacts")
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    cmd = [a.binary, f"-timeout={a.timeout}", f"-rss_limit_mb={a.rss_limit_mb}",
           f"-malloc_limit_mb={a.malloc_limit_mb}", f"-artifact_prefix={artifacts}/",
           "-print_final_stats=1", "-detect_leaks=1"]
    if a.seed:
        cmd.append(f"-seed={a.seed}")
    if a.runs:
        cmd.append(f"-runs={a.runs}")
    if a.seconds:
        cmd.append(f"-max_total_time={a.seconds}")
    cmd += [corpus, a.seeds]
    env = dict(os.environ)
    # A UBSan report is a finding, not a line in a log.
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    print(f"# {' '.join(cmd)}", flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", env=env)
    log = proc.stdout
    if a.corpus:  # the long mode: keep libFuzzer's whole log beside the corpus
        with open(os.path.join(os.path.dirname(os.path.abspath(corpus)), "fuzz.log"), "w") as f:
            f.write(log)
    runs = cov = ft = corp = None
    for m in FINAL.finditer(log):
        runs, cov, ft, corp = m.group(1), m.group(2), m.group(3), m.group(4) or corp
    stats = dict(re.findall(r"stat::(\w+):\s+(\d+)", log))
    runs = stats.get("number_of_executed_units", runs)
    peak = stats.get("peak_rss_mb", "?")
    artifact = ARTIFACT.search(log)

    print("1..1")
    summary = f"{name}: {runs} runs, cov {cov}, ft {ft}, corpus {corp}, peak RSS {peak} MB"
    if proc.returncode == 0 and artifact is None:
        print(f"ok 1 - {summary}")
        if not a.corpus:
            shutil.rmtree(scratch, ignore_errors=True)
        return 0
    print(f"not ok 1 - {summary}: libFuzzer exit {proc.returncode}")
    for line in log.splitlines()[-60:]:
        print("# " + line)
    if artifact:
        print(f"# reproduce: {a.binary} {artifact.group(1)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
