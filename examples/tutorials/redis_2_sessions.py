"""CONCEPT: session management (notes IV). A session is a hash (one field per attribute) with a
sliding expiry: every request pushes the deadline back, an idle session disappears by itself.
Usage: redis_2_sessions.py [HOST:PORT]   (or REDIS_ADDR; default 127.0.0.1:6379)
READ NEXT: docs/miniredis/01-follow-a-set.md (hashes, expiry), then redis_3_counters.py."""
import os, sys, time, uuid
import redis

host, _, port = (sys.argv[1:] or [os.environ.get("REDIS_ADDR", "127.0.0.1:6379")])[0].rpartition(":")
r = redis.Redis(host=host, port=int(port), decode_responses=True)
session = f"tutorial:session:{uuid.uuid4().hex}"
IDLE_MS = 800  # in production: 30 minutes

r.hset(session, mapping={"user": "alice", "cart_items": 0})
r.pexpire(session, IDLE_MS)
time.sleep(0.3)
before = r.pttl(session)
# One request: read the session, change it, and slide the deadline - in one round trip.
pipe = r.pipeline(transaction=True)
pipe.hincrby(session, "cart_items", 2).pexpire(session, IDLE_MS).hgetall(session)
_, _, data = pipe.execute()
after = r.pttl(session)
print(f"request by {data['user']}: cart_items={data['cart_items']}, TTL {before} ms -> {after} ms")
time.sleep(IDLE_MS / 1000 + 0.3)  # no requests for longer than the idle limit
gone = r.exists(session) == 0
print(f"after {IDLE_MS} ms idle the session exists: {not gone}")
ok = data == {"user": "alice", "cart_items": "2"} and after > before and gone
print("OK" if ok else "FAILED: the session did not slide and expire as expected")
sys.exit(0 if ok else 1)
