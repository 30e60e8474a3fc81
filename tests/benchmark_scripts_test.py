"""Every script under benchmarks/ and scripts/ still starts: `--help` exits 0 and prints its usage.

The benchmark scripts run by hand on a quiet machine, not in CI, so nothing else notices when a
refactoring of a module they import (the harness in tests/support, a sibling script's helpers)
breaks them - it happened twice when the harness moved to tests/support. Loading each one with
--help imports all its modules and builds its argument parser: cheap, and it fails the day a
script would fail for the person about to measure something.
"""
import glob
import os
import subprocess
import sys
import unittest

import tap

ROOT = os.environ.get("MINIBROKERS_SOURCE_ROOT",
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def scripts():
    """Scripts with a command line: those that build an argparse parser (libraries like
    benchmarks/comparison/svg_chart.py have none and are covered by the scripts that import them)."""
    found = []
    for pattern in ("benchmarks/*.py", "benchmarks/*/*.py", "scripts/*.py"):
        for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
            with open(path) as f:
                if "ArgumentParser(" in f.read():
                    found.append(path)
    return found


class ScriptsStart(unittest.TestCase):
    def test_there_are_scripts_to_check(self):
        # A wrong ROOT would find nothing and pass everything below.
        self.assertGreater(len(scripts()), 10)

    def test_each_script_prints_its_usage(self):
        for path in scripts():
            name = os.path.relpath(path, ROOT)
            with self.subTest(name):
                out = subprocess.run([sys.executable, path, "--help"], capture_output=True, text=True,
                                     timeout=60, cwd=ROOT)
                self.assertEqual(out.returncode, 0, f"{name} --help failed:\n{out.stderr[-1500:]}")
                self.assertIn("usage:", out.stdout)


if __name__ == "__main__":
    tap.main()
