"""Durability under crashes, with the real server process:
- appendfsync always: writers record every acknowledged write, the server is killed with SIGKILL
  mid-stream, and after a restart every acknowledged write is there;
- a hand-truncated AOF (a crash in the middle of a write) is cut back to the last whole command;
- garbage in the middle of the AOF makes the server refuse to start, with a clear message;
- snapshots: SAVE + restart without AOF, and BGREWRITEAOF keeps everything across a restart."""
import os
import threading
import unittest

import tap
from resp_client import RespClient
from servers import Server, wait_until


def aof_path(server):
    return os.path.join(server.dir, "appendonly.aof")


class Crash(unittest.TestCase):
    def test_kill9_loses_no_acknowledged_write(self):
        with Server("MINIREDIS_BIN", "--appendonly", "yes", "--appendfsync", "always", "--save", "") as s:
            acked = {}
            stop = threading.Event()

            def writer(n):
                c = RespClient(s.port)
                i = 0
                try:
                    while not stop.is_set():
                        key = f"w{n}:{i}"
                        if c.call("SET", key, str(i)) != "OK":
                            break
                        acked[key] = str(i).encode()
                        i += 1
                except (OSError, ConnectionError):
                    pass  # the server died under us: that write was never acknowledged

            threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            self.assertTrue(wait_until(lambda: len(acked) >= 2000, timeout=60))
            s.kill9()
            stop.set()
            for t in threads:
                t.join(10)
            s.start()
            c = RespClient(s.port)
            keys = list(acked)
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                self.assertEqual(c.call("MGET", *chunk), [acked[k] for k in chunk])
            c.close()

    def test_hand_truncated_aof_is_cut_to_the_last_whole_command(self):
        with Server("MINIREDIS_BIN", "--appendonly", "yes", "--appendfsync", "always", "--save", "") as s:
            c = RespClient(s.port)
            for i in range(10):
                c.call("RPUSH", "list", f"item{i}")
            c.close()
            self.assertEqual(s.stop(), 0)
            size = os.path.getsize(aof_path(s))
            with open(aof_path(s), "r+b") as f:
                f.truncate(size - 7)  # tear the last RPUSH
            s.start()
            self.assertIn("torn command", s.log())
            c = RespClient(s.port)
            self.assertEqual(c.call("LLEN", "list"), 9)
            self.assertEqual(c.call("RPUSH", "list", "after"), 10)  # and it keeps appending cleanly
            c.close()
            s.stop()
            s.start()
            c = RespClient(s.port)
            self.assertEqual(c.call("LINDEX", "list", "-1"), b"after")
            c.close()

    def test_garbage_in_the_middle_refuses_to_start(self):
        with Server("MINIREDIS_BIN", "--appendonly", "yes", "--save", "") as s:
            c = RespClient(s.port)
            c.call("SET", "a", "1")
            c.call("SET", "b", "2")
            c.close()
            s.stop()
            data = open(aof_path(s), "rb").read()
            middle = data.index(b"*3\r\n$3\r\nSET\r\n$1\r\nb")
            with open(aof_path(s), "wb") as f:
                f.write(data[:middle] + b"#garbage#\r\n" + data[middle:])
            with self.assertRaises(RuntimeError):
                s.start()
            self.assertIn("corrupt at byte", s.log())

    def test_snapshot_survives_a_restart(self):
        with Server("MINIREDIS_BIN", "--save", "") as s:
            c = RespClient(s.port)
            c.call("HSET", "user:1", "name", "ada")
            c.call("ZADD", "board", "7", "ada")
            self.assertEqual(c.call("SAVE"), "OK")
            c.call("SET", "after-save", "lost")  # not in the snapshot, and no AOF
            c.close()
            s.kill9()
            s.start()
            c = RespClient(s.port)
            self.assertEqual(c.call("HGET", "user:1", "name"), b"ada")
            self.assertEqual(c.call("ZSCORE", "board", "ada"), b"7")
            self.assertIsNone(c.call("GET", "after-save"))
            c.call("SET", "bg", "saved")
            self.assertEqual(c.call("BGSAVE"), "Background saving started")
            self.assertTrue(wait_until(lambda: b"rdb_bgsave_in_progress:0" in c.call("INFO", "persistence")
                                       and c.call("LASTSAVE") > 0, timeout=20))
            c.close()

    def test_rewrite_compacts_and_keeps_everything(self):
        with Server("MINIREDIS_BIN", "--appendonly", "yes", "--save", "") as s:
            c = RespClient(s.port)
            for _ in range(3000):
                c.send("INCR", "counter")
            for _ in range(3000):
                c.read()
            before = os.path.getsize(aof_path(s))
            self.assertEqual(c.call("BGREWRITEAOF"), "Background append only file rewriting started")
            c.call("SET", "during-or-after", "x")
            self.assertTrue(wait_until(lambda: b"aof_rewrite_in_progress:0" in c.call("INFO", "persistence"),
                                       timeout=20))
            c.call("INCR", "counter")
            self.assertLess(os.path.getsize(aof_path(s)), before / 10)
            c.close()
            s.kill9()
            s.start()
            c = RespClient(s.port)
            self.assertEqual(c.call("GET", "counter"), b"3001")
            self.assertEqual(c.call("GET", "during-or-after"), b"x")
            c.close()


if __name__ == "__main__":
    tap.main()
