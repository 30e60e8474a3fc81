"""CONCEPT: a reliable work queue with lists (notes IV, "Redis as a message queue"). LMOVE takes a
task off the queue and parks it in the worker's own "processing" list in one atomic step; the worker
removes it (LREM) only when done - its ack. A worker that dies leaves its task parked, and a
reaper pushes it back, so nothing is lost: RabbitMQ's unacked-and-requeued, built by hand.
Usage: redis_7_work_queue.py [HOST:PORT]   (or REDIS_ADDR; default 127.0.0.1:6379)
READ NEXT: miniredis/commands/lists.cpp (cmd_lmove), blocking.cpp (BLMOVE), rabbit_1_work_queue.py."""
import os, sys, uuid
import redis

host, _, port = (sys.argv[1:] or [os.environ.get("REDIS_ADDR", "127.0.0.1:6379")])[0].rpartition(":")
r = redis.Redis(host=host, port=int(port), decode_responses=True)
queue = f"tutorial:tasks:{uuid.uuid4().hex[:8]}"
r.rpush(queue, *[f"task {n}" for n in range(4)])


def take(worker):  # BLMOVE waits for a task; moved, not popped: a crash cannot lose it
    return r.blmove(queue, f"{queue}:processing:{worker}", timeout=0.1, src="LEFT", dest="RIGHT")


crashed_on = take("crashing")  # this worker dies before it acks: the task stays parked
done = []
while (task := take("steady")) is not None:
    done.append(task)
    r.lrem(f"{queue}:processing:steady", 1, task)  # the ack: only now is the task gone
print(f"the crashing worker holds {r.lrange(queue + ':processing:crashing', 0, -1)}; steady finished {done}")
# The reaper (in real life: for a worker whose heartbeat key expired) puts parked tasks back.
while r.lmove(f"{queue}:processing:crashing", queue, "RIGHT", "LEFT"):
    pass
while (task := take("steady")) is not None:
    done.append(task)
    r.lrem(f"{queue}:processing:steady", 1, task)
print(f"after the reaper steady finished {len(done)} tasks, the last one {done[-1]!r}")
left = r.llen(queue) + r.llen(f"{queue}:processing:steady") + r.llen(f"{queue}:processing:crashing")
ok = crashed_on == "task 0" and sorted(done) == [f"task {n}" for n in range(4)] and left == 0
print("OK" if ok else "FAILED: a task was lost or done twice")
sys.exit(0 if ok else 1)
