"""CONCEPT: transactions with WATCH (notes IV). MULTI/EXEC runs queued commands as one step;
WATCH makes EXEC refuse to run if a watched key changed meanwhile - optimistic locking for a
check-then-act: the client re-reads and decides again instead of holding a lock.
Usage: redis_6_watch_transaction.py [HOST:PORT]   (or REDIS_ADDR; default 127.0.0.1:6379)
READ NEXT: miniredis/commands/transactions.cpp (cmd_watch, cmd_exec), then docs/miniredis/02-persistence-formats.md, then redis_7_work_queue.py."""
import os, sys, uuid
import redis

host, _, port = (sys.argv[1:] or [os.environ.get("REDIS_ADDR", "127.0.0.1:6379")])[0].rpartition(":")
r = redis.Redis(host=host, port=int(port), decode_responses=True)
other = redis.Redis(host=host, port=int(port))  # a second client that interferes once
alice, bob = (f"tutorial:balance:{uuid.uuid4().hex[:8]}:{n}" for n in ("alice", "bob"))
r.mset({alice: 100, bob: 0})
attempts, outcome = 0, None
with r.pipeline() as pipe:
    while outcome is None:
        attempts += 1
        try:
            pipe.watch(alice)  # EXEC will fail if alice's balance changes from here on
            balance = int(pipe.get(alice))
            if attempts == 1:
                other.decrby(alice, 50)  # alice spends 50 elsewhere between our check and our write
            if balance < 60:
                pipe.unwatch()
                outcome = f"refused: alice has only {balance}"
                break
            pipe.multi()
            pipe.decrby(alice, 60).incrby(bob, 60)
            pipe.execute()
            outcome = "done"
        except redis.WatchError:
            print(f"attempt {attempts}: alice's balance changed after we read {balance}: EXEC aborted")
final = int(r.get(alice)), int(r.get(bob))
print(f"transfer of 60 after {attempts} attempts: {outcome}; alice {final[0]}, bob {final[1]}")
r.delete(alice, bob)
ok = attempts == 2 and final == (50, 0)  # without WATCH: alice -10, an overdraft
print("OK" if ok else "FAILED: the transaction did not abort and re-check as expected")
sys.exit(0 if ok else 1)
