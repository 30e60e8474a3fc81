"""CONCEPT: durability is a promise about power cuts, not about kill -9 - so test it with power cuts.

Each server runs under the power-cut shim (powercut_shim.c) with writers recording every
acknowledgement (workloads.py); at a random point the power is cut - either from outside once a
random number of items has been acknowledged, or by the shim itself after a random number of
file operations (a cut that lands between a write and its fsync) - and the data directory becomes
what the disk kept, under one of two models (powercut.py: "drop" every unsynced change, or keep
a random "prefix" of them with a possibly torn last write). The server restarts on that, without
the shim, and every acknowledged item is asked for.

  strictest setting (appendfsync always / confirms on persistent messages / flush before the ack):
      nothing acknowledged may be missing, and nothing may have changed;
  default, weaker setting (everysec / no confirms / no flush): losses are allowed, but only at the
      end of each writer's sequence (no holes), and for everysec only writes acknowledged within
      the last two seconds (Redis's documented worst case for everysec).

Figures go to the TAP log as comments. POWERCUT_CUTS sets the number of cuts per case (CI: 3),
POWERCUT_SEED replays a run. Run one server's cases with a filter: `powercut_test.py Miniredis`.

READ NEXT: benchmarks/soak/kill9_soak.py (the same writers, kill -9, hundreds of cycles).
"""
import os
import random
import signal
import time
import unittest

import tap
from powercut import MODELS, PowerCutServer
from servers import wait_until
from workloads import WORKLOADS, Result

CUTS = int(os.environ.get("POWERCUT_CUTS", "3"))
SEED = int(os.environ.get("POWERCUT_SEED", str(random.randrange(1 << 30))))
EVERYSEC_WORST_CASE = 2.0  # seconds: "you may lose up to 2 seconds of writes" (Redis persistence docs)


def run_cuts(server_name, strict, cuts, rng, inside_cuts=True, seconds=None):
    """`cuts` power cuts, each on a fresh load; returns one line of figures per cut."""
    kind = WORKLOADS[server_name]
    first = kind("setup", strict)
    server = PowerCutServer(first.env_var, *first.args(), shim=False)
    lines = []
    earlier = []  # workloads of the cuts before, for a cut during start-up
    try:
        for cycle in range(cuts):
            workload = kind(f"c{cycle}", strict)
            began = time.monotonic()
            model = rng.choice(MODELS)
            inside = inside_cuts and rng.random() < 0.5
            ops = rng.randint(50, 2000) if inside else 0
            target = rng.randint(50, 1500)
            server.stop()
            try:
                server.start(shim=True, cut_after=ops)
            except RuntimeError:
                # Killed by the shim (SIGKILL), not exited with an error of its own.
                if server.state is None or server.proc.wait(10) != -signal.SIGKILL:
                    raise
                # The shim cut the power before the server listened: a cut in the middle of
                # recovery. What must survive it is everything acknowledged before.
                report = server.power_cut(rng, model)
                server.start(shim=False, cut_after=0)
                result = recheck(earlier, server)
                lines.append((result, f"cut {cycle} ({model}, during start-up, after {ops} file operations): "
                                      f"re-checked {result.acked} acknowledged earlier, {result.lost} lost"))
                continue
            workload.begin(server)
            if seconds:
                # Long enough for everysec's helper thread to have fsynced at least once.
                time.sleep(rng.uniform(*seconds))
            elif inside:
                # The shim cuts by itself after `ops` file operations; if the load is too slow to
                # get there, the test cuts from outside after a while.
                wait_until(lambda: not server.alive(), timeout=20)
            else:
                wait_until(lambda: workload.count() >= target, timeout=60)
            report = server.power_cut(rng, model)
            workload.crashed_at = server.cut_at
            workload.end()
            server.start(shim=False, cut_after=0)
            result = workload.verify(server)
            if not workload.verify_consumes:
                earlier.append(workload)
            where = (f"after {ops} file operations" if inside else f"after {target}+ acknowledgements"
                     if not seconds else "after a few seconds")
            lines.append((result, f"cut {cycle} ({model}, {where}): {result.acked} acknowledged, "
                                  f"{result.lost} lost, {result.holes} holes"
                                  + (f", lost ages {min(result.lost_ages):.2f}..{max(result.lost_ages):.2f} s"
                                     if result.lost_ages else "")
                                  + f"; disk lost {report['writes_dropped']} writes ({report['bytes_dropped']} bytes),"
                                    f" {report['names_dropped']} name changes, {report['torn']} torn"
                                  + (f"; {result.note}" if result.note else "")
                                  + f"; {time.monotonic() - began:.1f} s"))
    finally:
        server.close()
    return lines


def recheck(workloads, server):
    total = Result(0, 0, note="re-check")  # not counted again in the totals
    for workload in workloads:
        result = workload.verify(server)
        total.acked += result.acked
        total.lost += result.lost
        total.holes += result.holes
        total.lost_ages += result.lost_ages
    return total


class PowerCuts:
    """The same two cases for each server (subclasses name the server)."""
    server_name = ""
    weak_seconds = (1.0, 2.0)  # how long the load runs before a cut at the default durability

    def check_strict(self):
        rng = random.Random(SEED)
        lines = run_cuts(self.server_name, True, CUTS, rng)
        total = sum(r.acked for r, _ in lines if r.note != "re-check")
        for result, line in lines:
            print(f"# {self.server_name} strict, seed {SEED}: {line}", flush=True)
        print(f"# {self.server_name} strict: {len(lines)} cuts, {total} acknowledged, "
              f"{sum(r.lost for r, _ in lines)} lost", flush=True)
        for result, line in lines:
            self.assertEqual((result.lost, result.holes), (0, 0), f"seed {SEED}: {line}")
        self.assertGreater(total, 0)

    def check_weaker(self):
        rng = random.Random(SEED + 1)
        lines = run_cuts(self.server_name, False, max(1, CUTS - 1), rng, inside_cuts=False, seconds=self.weak_seconds)
        for result, line in lines:
            print(f"# {self.server_name} default durability, seed {SEED}: {line}", flush=True)
        print(f"# {self.server_name} default durability: {len(lines)} cuts, "
              f"{sum(r.acked for r, _ in lines)} acknowledged, {sum(r.lost for r, _ in lines)} lost", flush=True)
        for result, line in lines:
            self.assertEqual(result.holes, 0, f"seed {SEED}: {line}")  # a crash cuts the end off, never the middle
            self.assertGreater(result.acked, 0)
            self.within_promise(result, line)

    def within_promise(self, result, line):
        pass  # no promise beyond "no holes" without the strict setting


class MiniredisPowerCut(PowerCuts, unittest.TestCase):
    server_name = "miniredis"
    weak_seconds = (2.5, 3.5)  # longer than everysec's promise, so a helper thread that never fsyncs shows

    def test_appendfsync_always_loses_nothing_acknowledged(self):
        self.check_strict()

    def test_everysec_loses_at_most_the_last_seconds(self):
        self.check_weaker()

    def within_promise(self, result, line):
        if result.lost_ages:
            self.assertLessEqual(max(result.lost_ages), EVERYSEC_WORST_CASE, f"seed {SEED}: {line}")


class MinirabbitPowerCut(PowerCuts, unittest.TestCase):
    server_name = "minirabbit"

    def test_confirmed_persistent_messages_survive(self):
        self.check_strict()

    def test_unconfirmed_messages_lose_only_a_tail(self):
        self.check_weaker()


class MinikafkaPowerCut(PowerCuts, unittest.TestCase):
    server_name = "minikafka"

    def test_flush_before_ack_loses_nothing_acknowledged(self):
        self.check_strict()

    def test_default_flush_loses_only_a_tail(self):
        self.check_weaker()


if __name__ == "__main__":
    tap.main()
