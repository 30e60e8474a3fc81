"""Q3 - sessions, counters, a leaderboard and a cache on Redis (redis-py), and what a crash costs
with `appendfsync everysec`. Runs against miniredis by default; `--broker real` runs the very same
client code against Debian's redis-server. Exits non-zero if an expectation does not hold."""
import argparse
import os
import random
import sys
import threading
import time

# tests/support/brokers.py starts the mini or the real broker (the same harness the tests use).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
import redis  # noqa: E402  (python3-redis)

from brokers import Broker, add_broker_argument  # noqa: E402

failures = []


def expect(condition, what):
    print(f"  [{'ok' if condition else 'FAILED'}] {what}")
    if not condition:
        failures.append(what)


def sessions(r, quick):
    print("\n1. Sessions with a sliding TTL (SET/HSET + EXPIRE, refreshed on every access)")
    ttl = 2 if quick else 30
    r.hset("session:42", mapping={"user": "ada", "cart": "3 items"})
    r.expire("session:42", ttl)
    r.hset("session:43", mapping={"user": "bob"})
    r.expire("session:43", ttl)
    for _ in range(3):
        time.sleep(ttl / 3)
        r.hgetall("session:42")            # the user is active...
        r.expire("session:42", ttl)        # ...so the session lives on (sliding expiry)
    print(f"  session:42 ttl={r.ttl('session:42')} s, session:43 ttl={r.ttl('session:43')} s")
    time.sleep(0.2)
    expect(r.exists("session:42") == 1, "the active session survived past its original TTL")
    expect(r.exists("session:43") == 0, "the idle session expired by itself")


def counters(r, quick):
    print("\n2. Page-view counters (INCR is atomic: no lost updates with many clients)")
    pages = ["/", "/pricing", "/docs", "/blog"]
    per_thread = 500 if quick else 5000
    pool = redis.ConnectionPool(host=r.connection_pool.connection_kwargs["host"],
                                port=r.connection_pool.connection_kwargs["port"])

    def visitor(seed):
        c = redis.Redis(connection_pool=pool)
        rng = random.Random(seed)
        pipe = c.pipeline(transaction=False)
        for i in range(per_thread):
            pipe.incr(f"views:{rng.choice(pages)}")
            if i % 100 == 99:
                pipe.execute()
        pipe.execute()

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(8)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    total = sum(int(r.get(f"views:{p}") or 0) for p in pages)
    print(f"  {total} views counted in {elapsed:.2f} s ({total / elapsed:,.0f}/s from one Python process)")
    expect(total == 8 * per_thread, f"every one of the {8 * per_thread} increments counted")


def unique_visitors_and_active_users(r, quick):
    print("\n3. Unique visitors (HyperLogLog: PFADD/PFCOUNT) and daily active users (SETBIT/BITCOUNT)")
    visitors = 20_000 if quick else 200_000
    rng = random.Random(7)
    seen = set()
    pipe = r.pipeline(transaction=False)
    for i in range(visitors * 2):  # every visitor comes about twice: views are not visitors
        user = rng.randrange(visitors)
        seen.add(user)
        pipe.pfadd("visitors:2026-12-07", f"user:{user}")
        pipe.setbit("active:2026-12-07", user, 1)  # one bit per user id: 200k users in 25 KB
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    estimate = r.pfcount("visitors:2026-12-07")
    error = abs(estimate - len(seen)) / len(seen)
    size = r.strlen("visitors:2026-12-07")
    print(f"  {len(seen)} distinct visitors; PFCOUNT says {estimate} ({error:.2%} off) from a {size}-byte value")
    expect(error < 0.03, "the HyperLogLog estimate is within 3% (its standard error is 0.81%)")
    expect(size <= 12 * 1024 + 16, "whatever the number of visitors, the counter stays at most 12 KB")
    active = r.bitcount("active:2026-12-07")
    print(f"  BITCOUNT active:2026-12-07 = {active} users active today, exactly; "
          f"the bitmap takes {r.strlen('active:2026-12-07')} bytes")
    expect(active == len(seen), "BITCOUNT counts each active user exactly once")
    # Who was active on both days: one BITOP AND over two bitmaps.
    r.setbit("active:2026-12-06", next(iter(seen)), 1)
    r.bitop("AND", "active:both", "active:2026-12-06", "active:2026-12-07")
    expect(r.bitcount("active:both") == 1, "BITOP AND finds the users active on both days")


def leaderboard(r, quick):
    print("\n4. A leaderboard (a sorted set: ZINCRBY, ZREVRANGE, ZREVRANK)")
    rng = random.Random(7)
    players = [f"player{i}" for i in range(200)]
    expected = {}
    for _ in range(2000 if quick else 20000):
        p = rng.choice(players)
        points = rng.randint(1, 100)
        expected[p] = expected.get(p, 0) + points
        r.zincrby("leaderboard", points, p)
    top = r.zrevrange("leaderboard", 0, 4, withscores=True)
    for rank, (name, score) in enumerate(top, 1):
        print(f"  #{rank} {name.decode()} {int(score)}")
    best = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))
    expect(int(top[0][1]) == best[0][1], "the top score is the largest total")
    someone = best[57][0]
    rank = r.zrevrank("leaderboard", someone)
    expect(int(r.zscore("leaderboard", someone)) == expected[someone], f"{someone}'s score is exact")
    print(f"  {someone} is ranked #{rank + 1}")


def cache_aside(r, quick):
    print("\n5. Cache-aside with expiry (GET; on a miss load from the 'database' and SET EX)")
    db_reads = 0

    def slow_database(product):
        nonlocal db_reads
        db_reads += 1
        time.sleep(0.002)  # a real query costs milliseconds; the cache answers in microseconds
        return f"product {product} details"

    rng = random.Random(3)
    requests = 2000 if quick else 20000
    hits = 0
    start = time.monotonic()
    for _ in range(requests):
        product = min(int(rng.paretovariate(1.2)), 500)  # a few products are very popular
        key = f"cache:product:{product}"
        value = r.get(key)
        if value is None:
            r.set(key, slow_database(product), ex=60)
        else:
            hits += 1
    elapsed = time.monotonic() - start
    print(f"  {requests} requests, hit ratio {hits / requests:.1%}, {db_reads} database reads, {elapsed:.2f} s")
    expect(hits / requests > 0.8, "a skewed workload is mostly served from the cache")
    expect(0 < r.ttl("cache:product:1") <= 60, "cached entries carry their expiry")


def crash_with_everysec(broker, quick):
    print("\n6. Durability: appendfsync everysec, then kill -9 in the middle of a write stream")
    r = redis.Redis(host=broker.host, port=broker.port)
    r.delete("ledger")
    acknowledged = 0
    stop = threading.Event()

    def writer():
        nonlocal acknowledged
        c = redis.Redis(host=broker.host, port=broker.port)
        try:
            while not stop.is_set():
                c.rpush("ledger", acknowledged + 1)   # returns only after the server replied
                acknowledged += 1
        except redis.exceptions.ConnectionError:
            pass

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(1.5 if quick else 3)
    rate_start, rate_count = time.monotonic(), acknowledged
    time.sleep(0.5)
    rate = (acknowledged - rate_count) / (time.monotonic() - rate_start)
    broker.kill9()
    stop.set()
    t.join()
    broker.restart()
    r = redis.Redis(host=broker.host, port=broker.port)
    survived = r.llen("ledger")
    lost = acknowledged - survived
    print(f"  acknowledged {acknowledged} writes at ~{rate:,.0f}/s; after restart {survived} are there:"
          f" lost {lost} ({lost / rate * 1000 if rate else 0:.0f} ms of writes)")
    expect(lost <= rate * 2 + 10, "at most about one second of acknowledged writes is lost (everysec)")
    expect([int(x) for x in r.lrange("ledger", 0, 9)] == list(range(1, min(10, survived) + 1)),
           "what survived is a prefix of what was written, in order")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_broker_argument(parser, "redis")
    args = parser.parse_args()
    durable = ["--appendonly", "yes", "--appendfsync", "everysec"]
    with Broker("redis", args.broker, mini_args=durable, real_args=durable) as broker:
        print(f"Q3 against {broker.name} on {broker.host}:{broker.port}")
        r = redis.Redis(host=broker.host, port=broker.port)
        r.flushdb()
        sessions(r, args.quick)
        counters(r, args.quick)
        unique_visitors_and_active_users(r, args.quick)
        leaderboard(r, args.quick)
        cache_aside(r, args.quick)
        if broker.can_crash:
            crash_with_everysec(broker, args.quick)
        else:
            print("\n6. skipped: an external broker cannot be killed from here")
    print(f"\n{'all expectations held' if not failures else f'{len(failures)} expectation(s) failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
