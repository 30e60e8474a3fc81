"""CONCEPT: cache-aside with a TTL (notes IV, Caching). Ask the cache first; on a miss read the slow
source and store the answer with an expiry, so that a stale entry ages out by itself.
Usage: redis_1_cache_aside.py [HOST:PORT]   (or REDIS_ADDR; default 127.0.0.1:6379)
READ NEXT: docs/miniredis/01-follow-a-set.md (expiry), then redis_2_sessions.py."""
import os, sys, time, uuid
import redis

host, _, port = (sys.argv[1:] or [os.environ.get("REDIS_ADDR", "127.0.0.1:6379")])[0].rpartition(":")
r = redis.Redis(host=host, port=int(port), decode_responses=True)
key = f"tutorial:product:{uuid.uuid4().hex[:8]}"
database_reads = 0


def load_from_database():  # stands for the slow source of truth
    global database_reads
    database_reads += 1
    return "espresso machine, 249 EUR"


def get_product():
    cached = r.get(key)
    if cached is not None:
        return "hit"
    r.set(key, load_from_database(), px=400)  # SET key value PX 400: cached for 400 ms
    return "miss"


first = [get_product() for _ in range(3)]
print(f"three reads: {first}; the database was read {database_reads} time(s); PTTL {r.pttl(key)} ms")
time.sleep(0.6)  # longer than the TTL: the server drops the entry
after = get_product()
print(f"after the TTL: {after}; database reads {database_reads}")
ok = first == ["miss", "hit", "hit"] and after == "miss" and database_reads == 2
print("OK" if ok else "FAILED: the cache did not serve hits and expire as expected")
sys.exit(0 if ok else 1)
