"""Corruption is never mistaken for a torn tail (issue 17), with pika and the real broker process:
publisher-confirmed persistent messages are on disk; one byte in the middle of journal.log (or of
definitions.json) is flipped; the broker refuses to start, names the file and the byte, and leaves
the file exactly as it was; `minirabbit --repair` keeps a backup and cuts at the bad record; the
next start serves every message before the damage. A torn tail still recovers by itself."""
import os
import struct
import unittest

import pika

import tap
from servers import Server, run_to_exit

MESSAGES = 200


def connect(server):
    return pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=server.port))


def record_starts(journal):
    """Offsets of the records in a journal: "MRJOURN1", then length u32 | crc u32 | payload."""
    starts, pos = [], 8
    while pos + 8 <= len(journal):
        (length,) = struct.unpack(">I", journal[pos:pos + 4])
        starts.append(pos)
        pos += 8 + length
    return starts


def run_broker(data_dir, *args):
    return run_to_exit("MINIRABBIT_BIN", data_dir, *args)

class Corruption(unittest.TestCase):
    def setUp(self):
        self.server = Server("MINIRABBIT_BIN")
        self.journal = os.path.join(self.server.dir, "journal.log")
        connection = connect(self.server)
        channel = connection.channel()
        channel.queue_declare("ledger", durable=True)
        channel.confirm_delivery()
        for i in range(MESSAGES):  # each call returns once the broker confirmed the message
            channel.basic_publish("", "ledger", b"entry-%03d" % i, pika.BasicProperties(delivery_mode=2))
        connection.close()
        self.assertEqual(self.server.stop(), 0)

    def tearDown(self):
        self.server.close()

    def bodies(self):
        connection = connect(self.server)
        channel = connection.channel()
        got = []
        while True:
            method, _, body = channel.basic_get("ledger", auto_ack=True)
            if method is None:
                break
            got.append(body)
        connection.close()
        return got

    def test_a_flip_in_the_middle_of_the_journal_refuses_and_repair_keeps_what_came_before(self):
        original = open(self.journal, "rb").read()
        starts = record_starts(original)
        self.assertEqual(len(starts), MESSAGES)
        middle = len(original) // 2
        damaged_record = max(i for i, s in enumerate(starts) if s <= middle)
        flipped = bytearray(original)
        flipped[middle] ^= 0x5A
        open(self.journal, "wb").write(flipped)

        status, log = run_broker(self.server.dir)
        self.assertEqual(status, 1, log)
        self.assertIn(f"{self.journal}: corrupt at byte {starts[damaged_record]}:", log)
        self.assertIn("refusing to start", log)
        self.assertEqual(open(self.journal, "rb").read(), flipped, "a refusing start changed the journal")

        status, report = run_broker(self.server.dir, "--repair")
        self.assertEqual(status, 0, report)
        lost = MESSAGES - damaged_record - 1
        self.assertIn(f"at byte {starts[damaged_record]}: cut {len(original) - starts[damaged_record]} bytes "
                      f"({lost} records)", report)
        self.assertEqual(open(self.journal + ".corrupt", "rb").read(), flipped)

        self.server.start()
        self.assertEqual(self.bodies(), [b"entry-%03d" % i for i in range(damaged_record)])

    def test_a_torn_journal_tail_recovers_by_itself(self):
        size = os.path.getsize(self.journal)
        with open(self.journal, "r+b") as f:
            f.truncate(size - 5)  # the last record cut short, as by a crash mid-write
        self.server.start()
        self.assertIn("dropped a torn tail", self.server.log())
        self.assertEqual(self.bodies(), [b"entry-%03d" % i for i in range(MESSAGES - 1)])

    def test_a_flip_in_the_definitions_refuses_and_repair_keeps_what_parses(self):
        definitions = os.path.join(self.server.dir, "definitions.json")
        original = open(definitions, "rb").read()
        at = original.index(b'"ledger"') + 1
        flipped = bytearray(original)
        flipped[at] ^= 0x20  # "ledger" -> "Ledger": still JSON, not what was saved
        open(definitions, "wb").write(flipped)

        status, log = run_broker(self.server.dir)
        self.assertEqual(status, 1, log)
        self.assertRegex(log, rf"{definitions}: corrupt at byte \d+: checksum mismatch")
        self.assertEqual(open(definitions, "rb").read(), flipped)

        status, report = run_broker(self.server.dir, "--repair")
        self.assertEqual(status, 0, report)
        self.assertIn("definitions.json.corrupt", report)
        self.server.start()
        connection = connect(self.server)
        declared = connection.channel().queue_declare("Ledger", durable=True, passive=True)
        self.assertEqual(declared.method.message_count, MESSAGES)
        connection.close()

    def test_repair_usage_errors_exit_2(self):
        status, output = run_broker(self.server.dir, "--repair", "maybe")
        self.assertEqual(status, 2, output)


if __name__ == "__main__":
    tap.main()
