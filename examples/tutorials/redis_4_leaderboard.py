"""CONCEPT: a leaderboard (notes IV). A sorted set keeps members ordered by score, so adding points
(ZINCRBY), the top N (ZREVRANGE) and one player's rank (ZREVRANK) are each one cheap command.
Usage: redis_4_leaderboard.py [HOST:PORT]   (or REDIS_ADDR; default 127.0.0.1:6379)
READ NEXT: miniredis/commands/zsets.cpp and zset_ranges.cpp, then redis_5_pubsub.py."""
import os, sys, uuid
import redis

host, _, port = (sys.argv[1:] or [os.environ.get("REDIS_ADDR", "127.0.0.1:6379")])[0].rpartition(":")
r = redis.Redis(host=host, port=int(port), decode_responses=True)
board = f"tutorial:leaderboard:{uuid.uuid4().hex[:8]}"

r.zadd(board, {"alice": 120, "bob": 95, "carol": 130, "dave": 80})
r.zincrby(board, 50, "bob")  # bob wins a round: 95 -> 145
r.zincrby(board, 5, "dave")
top3 = r.zrevrange(board, 0, 2, withscores=True)
print("top 3:", ", ".join(f"{name} {score:.0f}" for name, score in top3))
dave_rank = r.zrevrank(board, "dave")
print(f"dave is number {dave_rank + 1} of {r.zcard(board)} with {r.zscore(board, 'dave'):.0f} points")
between = r.zrangebyscore(board, 100, 130)
print("players with 100..130 points:", between)
r.delete(board)
ok = [n for n, _ in top3] == ["bob", "carol", "alice"] and dave_rank == 3 and between == ["alice", "carol"]
print("OK" if ok else "FAILED: the ranking is wrong")
sys.exit(0 if ok else 1)
