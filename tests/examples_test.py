"""The course scenarios (examples/) and the stream-processing example in their short form against
the built mini servers, so that they never rot. Each program checks its own expectations and exits
non-zero when one fails. (The one-concept tutorials have their own test: tutorials_test.py.)"""
import os
import subprocess
import sys
import unittest

import tap

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


class Scenarios(unittest.TestCase):
    def run_scenario(self, folder, program="run.py", *extra):
        out = subprocess.run([sys.executable, os.path.join(EXAMPLES, folder, program), "--quick", *extra],
                             capture_output=True, text=True, timeout=600)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr[-4000:])
        self.assertIn("all expectations held", out.stdout)

    def test_q1_fintech_ledger(self):
        self.run_scenario("q1_fintech_ledger")

    def test_q1_fintech_ledger_on_a_cluster(self):
        # Three nodes, RF 3: the leader of partition 0 is killed mid-stream and stays down.
        self.run_scenario("q1_fintech_ledger", "run.py", "--cluster")

    def test_q2_background_jobs(self):
        self.run_scenario("q2_background_jobs")

    def test_q3_sessions_counters_cache(self):
        self.run_scenario("q3_sessions_counters_cache")

    def test_q4_activity_stream(self):
        self.run_scenario("q4_activity_stream")

    def test_q4_activity_stream_on_redis_streams(self):
        self.run_scenario("q4_activity_stream", "redis_streams.py")

    def test_q5_notifications_workflow(self):
        self.run_scenario("q5_notifications_workflow")

    def test_stream_processing(self):
        # Crashes the processor between output and commit, and again mid-run: every window must
        # still come out with its right count, the duplicates counted, the late events set aside.
        self.run_scenario("stream_processing")


if __name__ == "__main__":
    tap.main()
