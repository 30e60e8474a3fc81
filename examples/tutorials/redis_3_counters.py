"""CONCEPT: counters (notes IV). INCR is one command, executed whole by the single-threaded server,
so concurrent clients never lose an update; a read-modify-write done by the client can.
Usage: redis_3_counters.py [HOST:PORT]   (or REDIS_ADDR; default 127.0.0.1:6379)
READ NEXT: miniredis/commands/strings.cpp (incr_by), then redis_4_leaderboard.py."""
import os, sys, threading, uuid
import redis

host, _, port = (sys.argv[1:] or [os.environ.get("REDIS_ADDR", "127.0.0.1:6379")])[0].rpartition(":")
prefix = f"tutorial:views:{uuid.uuid4().hex[:8]}"
CLIENTS, HITS = 4, 500


def visitor():
    r = redis.Redis(host=host, port=int(port))  # one connection per client, as in a web farm
    for _ in range(HITS):
        r.incr(f"{prefix}:atomic")  # safe: the server adds
        value = int(r.get(f"{prefix}:naive") or 0)  # unsafe: read ...
        r.set(f"{prefix}:naive", value + 1)  # ... then write what may already be stale


threads = [threading.Thread(target=visitor) for _ in range(CLIENTS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
r = redis.Redis(host=host, port=int(port))
atomic, naive = int(r.get(f"{prefix}:atomic")), int(r.get(f"{prefix}:naive"))
print(f"{CLIENTS} clients x {HITS} page views: INCR counted {atomic}, GET+SET counted {naive}")
r.delete(f"{prefix}:atomic", f"{prefix}:naive")
ok = atomic == CLIENTS * HITS and naive <= atomic
print("OK" if ok else "FAILED: INCR lost updates")
sys.exit(0 if ok else 1)
