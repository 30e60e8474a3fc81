"""CONCEPT: pub/sub (notes IV). PUBLISH hands a message to whoever is subscribed right now and
forgets it: nothing is stored, so a subscriber that was not listening never sees it.
Usage: redis_5_pubsub.py [HOST:PORT]   (or REDIS_ADDR; default 127.0.0.1:6379)
READ NEXT: miniredis/commands/pubsub_cmds.cpp, then redis_6_watch_transaction.py."""
import os, sys, uuid
import redis

host, _, port = (sys.argv[1:] or [os.environ.get("REDIS_ADDR", "127.0.0.1:6379")])[0].rpartition(":")
r = redis.Redis(host=host, port=int(port), decode_responses=True)
channel = f"tutorial:notifications:{uuid.uuid4().hex[:8]}"

missed = r.publish(channel, "sent before anyone listened")  # the number of receivers: 0
sub = r.pubsub(ignore_subscribe_messages=True)
sub.subscribe(channel)
sub.psubscribe(channel.rsplit(":", 1)[0] + ":*")  # a pattern subscription matches it too
sub.get_message(timeout=1.0)  # let both subscriptions be confirmed
sub.get_message(timeout=1.0)
receivers = r.publish(channel, "order 42 shipped")
got = []
while len(got) < 2 and (m := sub.get_message(timeout=2.0)) is not None:
    got.append((m["type"], m["data"]))
print(f"published before subscribing: {missed} receivers; after: {receivers} (channel + pattern)")
for kind, data in got:
    print(f"  {kind}: {data}")
sub.close()
ok = missed == 0 and receivers == 2 and sorted(kind for kind, _ in got) == ["message", "pmessage"]
ok = ok and all(data == "order 42 shipped" for _, data in got)
print("OK" if ok else "FAILED: pub/sub delivery was not as expected")
sys.exit(0 if ok else 1)
