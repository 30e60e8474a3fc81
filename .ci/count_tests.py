"""Counts test cases in meson's JUnit logs and prints the last CI line: "N passed, M failed".

A test binary that reported no case at all (crashed early, or a filter matched nothing) counts as
failed, so an empty run can never look green. A missing log (the build failed) is a failure too.
"""
import sys
import xml.etree.ElementTree as ET

passed = failed = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"{path}: no test log ({e})")
        failed += 1
        continue
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        if not cases:
            print(f"{path}: {suite.get('name')}: no test case ran")
            failed += 1
        for case in cases:
            bad = case.find("failure") is not None or case.find("error") is not None
            if bad:
                print(f"FAILED {suite.get('name')}: {case.get('classname', '')}.{case.get('name')}")
                failed += 1
            elif case.find("skipped") is None:
                passed += 1

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
