"""Runs the unittest cases of a test script and reports them in TAP, so that meson (protocol
'tap') records each case - not just the script - in its JUnit log, where .ci/run counts them.

    if __name__ == "__main__":
        tap.main()
"""
import sys
import traceback
import unittest


class _TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.number = 0
        self._failed_by_subtest = set()
        self._reported = set()

    def _line(self, ok, test, note=""):
        self.number += 1
        self._reported.add(test.id())
        print(f"{'ok' if ok else 'not ok'} {self.number} - {test.id()}{note}", flush=True)

    def addSubTest(self, test, subtest, err):
        # A failed subTest() fails its test, but unittest then calls neither addSuccess nor
        # addFailure for the test itself: report it here (once) with the failing subtest's trace.
        super().addSubTest(test, subtest, err)
        if err is not None:
            for line in "".join(traceback.format_exception(*err)).splitlines():
                print(f"# {subtest.id()}: {line}", flush=True)
            self._failed_by_subtest.add(test.id())

    def stopTest(self, test):
        super().stopTest(test)
        if test.id() in self._failed_by_subtest and test.id() not in self._reported:
            self._line(False, test)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(True, test)

    def _fail(self, test, err, kind):
        self._line(False, test)
        for line in "".join(traceback.format_exception(*err)).splitlines():
            print(f"# {line}", flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err, "failure")

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err, "error")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(True, test, f" # SKIP {reason}")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._line(False, test, " # expected failure counts as a failure here")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._line(False, test, " # unexpected success")


def main(module="__main__"):
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[module])
    if len(sys.argv) > 1:  # optional filter: substrings of test ids
        wanted = sys.argv[1:]
        suite = unittest.TestSuite(t for t in _flatten(suite) if any(w in t.id() for w in wanted))
    total = suite.countTestCases()
    print(f"1..{total}", flush=True)
    if total == 0:
        print("Bail out! no test matched", flush=True)
        sys.exit(1)
    result = _TapResult()
    suite.run(result)
    sys.exit(0 if result.wasSuccessful() and result.number == total else 1)


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t
