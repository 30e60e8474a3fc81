"""Corruption is never mistaken for a torn tail (issue 17), with redis-py and the real server:
acknowledged writes (appendfsync always) are in the AOF; one length digit in the middle is turned
into a larger one - the parser would wait for bytes to the end of the file, as with a torn tail -
and the server refuses to start, naming the file and the byte, leaving the file as it was;
`miniredis --repair` keeps a backup and cuts there; the next start has every write before the
damage. The same for the snapshot, and a rewrite killed with the server leaves no temp file."""
import glob
import os
import signal
import unittest

import redis

import tap
from servers import Server, run_to_exit, wait_until

KEYS = 200
VALUE = b"v" * 100  # "$100": one flipped digit ("$900") asks for more than the rest of the file


def run_server(data_dir, *args):
    return run_to_exit("MINIREDIS_BIN", data_dir, *args)

class Corruption(unittest.TestCase):
    ARGS = ("--appendonly", "yes", "--appendfsync", "always", "--save", "")

    def setUp(self):
        self.server = Server("MINIREDIS_BIN", *self.ARGS)
        self.aof = os.path.join(self.server.dir, "appendonly.aof")

    def tearDown(self):
        self.server.close()

    def client(self):
        return redis.Redis(port=self.server.port)

    def test_a_larger_length_digit_in_the_middle_refuses_and_repair_keeps_what_came_before(self):
        r = self.client()
        for i in range(KEYS):
            self.assertTrue(r.set(f"k{i}", VALUE))  # acknowledged: fsynced first
        r.close()
        self.assertEqual(self.server.stop(), 0)
        original = open(self.aof, "rb").read()
        digit = original.index(b"\r\nk100\r\n$100\r\n") + len(b"\r\nk100\r\n$")
        command = original.rindex(b"*3\r\n", 0, digit)
        flipped = bytearray(original)
        flipped[digit:digit + 1] = b"9"
        open(self.aof, "wb").write(flipped)

        status, log = run_server(self.server.dir, *self.ARGS)
        self.assertEqual(status, 1, log)
        self.assertIn(f"{self.aof}: corrupt at byte {command}:", log)
        self.assertIn("refusing to start", log)
        self.assertEqual(open(self.aof, "rb").read(), flipped, "a refusing start changed the AOF")

        status, report = run_server(self.server.dir, "--repair", *self.ARGS)
        self.assertEqual(status, 0, report)
        self.assertIn(f"at byte {command}: cut {len(original) - command} bytes ({KEYS - 101} commands)", report)
        self.assertEqual(open(self.aof + ".corrupt", "rb").read(), flipped)

        self.server.start()
        r = self.client()
        self.assertEqual(r.dbsize(), 100)
        self.assertEqual(r.mget([f"k{i}" for i in range(100)]), [VALUE] * 100)
        r.close()

    def test_a_flip_in_the_snapshot_refuses_and_repair_keeps_the_keys(self):
        self.server.close()
        self.server = Server("MINIREDIS_BIN", "--save", "")
        r = self.client()
        for i in range(KEYS):
            r.set(f"k{i}", f"snapshot-value-{i:04d}")  # 19 bytes: stored as they are (LZF starts at 21)
        self.assertTrue(r.save())
        r.close()
        self.assertEqual(self.server.stop(), 0)
        snapshot = os.path.join(self.server.dir, "dump.rdb")
        flipped = bytearray(open(snapshot, "rb").read())
        # Inside a value (keys are stored in hash order, so find one rather than guess a position):
        # the record still parses, and only the checksum notices.
        inside_value = flipped.index(b"snapshot-value-", len(flipped) // 2) + 2
        flipped[inside_value] ^= 0x01
        open(snapshot, "wb").write(flipped)

        status, log = run_server(self.server.dir, "--save", "")
        self.assertEqual(status, 1, log)
        self.assertRegex(log, rf"{snapshot}: corrupt at byte \d+: checksum mismatch")
        self.assertEqual(open(snapshot, "rb").read(), flipped)

        status, report = run_server(self.server.dir, "--repair")
        self.assertEqual(status, 0, report)
        self.assertIn(f"all {KEYS} keys still decode", report)
        self.server.start()
        r = self.client()
        self.assertEqual(r.dbsize(), KEYS)
        r.close()

    def test_a_killed_rewrite_leaves_no_temp_file_after_the_next_start(self):
        r = self.client()
        pipe = r.pipeline(transaction=False)
        for i in range(50000):
            pipe.set(f"key:{i}", VALUE)
        pipe.execute()
        r.bgrewriteaof()
        # Freeze the server before it can swap the child's file in, then kill it: the child
        # writes temp-rewriteaof-bg-<pid>.aof and nobody ever renames or removes it.
        os.kill(self.server.proc.pid, signal.SIGSTOP)
        r.close()
        temp = os.path.join(self.server.dir, "temp-rewriteaof-*")
        self.assertTrue(wait_until(lambda: glob.glob(temp), timeout=20))
        self.server.kill9()
        stale = glob.glob(temp)
        self.assertTrue(stale)
        self.server.start()
        self.assertEqual(glob.glob(temp), [])
        for path in stale:
            self.assertIn(f"removed {path}", self.server.log())
        r = self.client()
        self.assertEqual(r.dbsize(), 50000)
        r.close()

    def test_repair_usage_errors_exit_2(self):
        status, output = run_server(self.server.dir, "--repair", "maybe")
        self.assertEqual(status, 2, output)


if __name__ == "__main__":
    tap.main()
