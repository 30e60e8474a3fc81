"""A consumer group under load, killed with SIGKILL (appendfsync always): a producer appends jobs,
two workers read them with XREADGROUP and acknowledge some with XACK. After the restart:
- every acknowledged XADD is in the stream;
- every acknowledged XACK stays acknowledged: not pending, never delivered again;
- every delivered, unacknowledged entry is still pending, with its consumer and delivery count 1;
- entries never delivered before the crash are delivered once, to the next ">" read."""
import threading
import unittest

import tap
from resp_client import RespClient
from servers import Server, wait_until


class StreamCrash(unittest.TestCase):
    def test_kill9_keeps_acks_and_pending_entries(self):
        with Server("MINIREDIS_BIN", "--appendonly", "yes", "--appendfsync", "always", "--save", "") as s:
            c = RespClient(s.port)
            self.assertEqual(c.call("XGROUP", "CREATE", "jobs", "g", "$", "MKSTREAM"), "OK")
            c.close()
            added, delivered, acked, in_flight = [], {}, set(), set()
            stop = threading.Event()

            def producer():
                p = RespClient(s.port)
                try:
                    i = 0
                    while not stop.is_set():
                        added.append(p.call("XADD", "jobs", "*", "n", str(i)))
                        i += 1
                except (OSError, ConnectionError):
                    pass

            def worker(name):
                w = RespClient(s.port)
                try:
                    while not stop.is_set():
                        reply = w.call("XREADGROUP", "GROUP", "g", name, "COUNT", "10", "BLOCK", "100",
                                       "STREAMS", "jobs", ">")
                        if not reply:
                            continue
                        batch = [entry[0] for entry in reply[0][1]]
                        for entry_id in batch:
                            delivered[entry_id] = name
                        to_ack = batch[::2]  # acknowledge every other job; the rest stays pending
                        in_flight.update(to_ack)
                        if w.call("XACK", "jobs", "g", *to_ack) != len(to_ack):
                            raise AssertionError("XACK did not acknowledge what was delivered")
                        acked.update(to_ack)
                        in_flight.difference_update(to_ack)
                except (OSError, ConnectionError):
                    pass

            threads = [threading.Thread(target=producer)] + [
                threading.Thread(target=worker, args=(n,)) for n in ("w1", "w2")]
            for t in threads:
                t.start()
            self.assertTrue(wait_until(lambda: len(acked) >= 300 and len(added) >= 1000, timeout=60))
            s.kill9()
            stop.set()
            for t in threads:
                t.join(10)
            s.start()
            c = RespClient(s.port)
            stored = {e[0] for e in c.call("XRANGE", "jobs", "-", "+")}
            self.assertTrue(set(added) <= stored, "an acknowledged XADD was lost")
            pel = {e[0]: (e[1], e[3]) for e in c.call("XPENDING", "jobs", "g", "-", "+", "100000")}
            self.assertFalse(acked & set(pel), "an acknowledged entry is pending again")
            unacked = set(delivered) - acked - in_flight
            for entry_id in unacked:
                self.assertEqual(pel.get(entry_id), (delivered[entry_id].encode(), 1), entry_id)
            # New reads continue after the last delivery: nothing delivered before comes again.
            again = c.call("XREADGROUP", "GROUP", "g", "w3", "STREAMS", "jobs", ">")
            fresh = [e[0] for e in again[0][1]] if again else []
            self.assertFalse(set(fresh) & set(delivered), "an entry was delivered twice")
            # Every entry is accounted for: delivered before the crash, or pending (delivered, the
            # reply lost with the crash), or delivered now.
            self.assertEqual(stored, set(delivered) | set(pel) | set(fresh))
            # A worker's history (ID 0) is its pending entries, now delivered a second time.
            history = c.call("XREADGROUP", "GROUP", "g", "w1", "STREAMS", "jobs", "0")
            mine = {e[0] for e in history[0][1]}
            self.assertEqual(mine, {i for i, (owner, _) in pel.items() if owner == b"w1"})
            counts = {e[0]: e[3] for e in c.call("XPENDING", "jobs", "g", "-", "+", "100000", "w1")}
            self.assertTrue(all(n == pel[i][1] + 1 for i, n in counts.items()))
            c.close()


if __name__ == "__main__":
    tap.main()
