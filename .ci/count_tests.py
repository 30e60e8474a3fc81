"""Counts test cases in meson's logs and prints the last CI line: "N passed, M failed".

Cases come from each build directory's meson-logs/testlog.junit.xml (GoogleTest cases, TAP
subtests); each meson test's own verdict comes from testlog.json. A test binary that failed
without a failing case (crashed, a sanitizer report at exit, fewer TAP lines than planned) counts
as one failure, and so does one that reported no case at all (a filter that matched nothing), so
an empty or broken run can never look green. A missing log (the build failed) is a failure too.

usage: count_tests.py BUILD_DIR [BUILD_DIR ...]
"""
import json
import sys
import xml.etree.ElementTree as ET

passed = failed = 0
for build_dir in sys.argv[1:]:
    try:
        junit = ET.parse(f"{build_dir}/meson-logs/testlog.junit.xml").getroot()
        with open(f"{build_dir}/meson-logs/testlog.json") as f:
            verdicts = [json.loads(line) for line in f if line.strip()]
    except (OSError, ET.ParseError, ValueError) as e:
        print(f"{build_dir}: no test log ({e})")
        failed += 1
        continue
    cases = {v["name"]: [0, 0] for v in verdicts}  # meson test name -> [ok cases, failed cases]
    for suite in junit.iter("testsuite"):
        name = suite.get("name", "").removeprefix("minibrokers.")
        owner = next((t for t in cases if name == t or name.startswith(t + ".")), None)
        for case in suite.findall("testcase"):
            bad = case.find("failure") is not None or case.find("error") is not None
            if bad:
                print(f"FAILED {build_dir}: {name}: {case.get('name')}")
            elif case.find("skipped") is not None:
                continue
            if owner is not None:
                cases[owner][1 if bad else 0] += 1
            passed += 0 if bad else 1
            failed += 1 if bad else 0
    for v in verdicts:
        ok_cases, bad_cases = cases[v["name"]]
        if v["result"] not in ("OK", "SKIP") and bad_cases == 0:
            print(f"FAILED {build_dir}: {v['name']}: {v['result']} (see meson-logs/testlog.txt)")
            failed += 1
        elif v["result"] == "OK" and ok_cases == 0:
            print(f"FAILED {build_dir}: {v['name']}: no test case ran")
            failed += 1

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
