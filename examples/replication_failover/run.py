"""Asynchronous replication loses acknowledged writes on failover; WAIT narrows what it loses.

A master and one replica. Writers SET keys as fast as they can and remember every +OK. Halfway,
the replica falls behind (SIGSTOP: a GC pause, a slow disk, a congested link - the master keeps
acknowledging writes anyway), then the master is killed with SIGKILL, the replica resumes and is
promoted (REPLICAOF NO ONE), and every acknowledged key is looked up on it. Round 1: plain writes - some acknowledged ones are usually missing (they were in
the master's memory, not yet on the replica). Round 2: each write followed by WAIT 1 <timeout> -
no write that WAIT reported as replicated may be missing. Compare minikafka's acks=all, where the
acknowledgement itself waits for the in-sync replicas (docs/miniredis/07-replication.md).

    /usr/bin/python3 examples/replication_failover/run.py [--broker real] [--quick]
"""
import argparse
import os
import signal
import sys
import threading
import time

import redis

# tests/support/brokers.py starts the mini or the real broker (the same harness the tests use).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from brokers import Broker, add_broker_argument  # noqa: E402


# Big enough values that what the paused replica has not read fills the kernel's socket buffers
# and waits in the master's own memory - which the crash takes with it. (Bytes already in the
# kernel survive a process crash; a machine crash or a partition would take them too.)
PAYLOAD = "x" * 8192


def wait_in_sync(master, replica, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m, r = master.info("replication"), replica.info("replication")
        if r.get("master_link_status") == "up" and r.get("slave_repl_offset") == m.get("master_repl_offset"):
            return True
        time.sleep(0.05)
    return False


def one_round(choice, use_wait, seconds):
    with Broker("redis", choice) as master:
        follow = ["--replicaof", f"127.0.0.1 {master.port}"]
        with Broker("redis", choice, mini_args=follow, real_args=follow) as replica:
            m, r = redis.Redis(port=master.port), redis.Redis(port=replica.port)
            if not wait_in_sync(m, r):
                raise SystemExit("the replica did not sync")
            acked, confirmed, stop = [], [], threading.Event()

            def writer(n):
                c = redis.Redis(port=master.port)
                i = 0
                try:
                    while not stop.is_set():
                        key = f"w{n}:{i}"
                        c.set(key, PAYLOAD)
                        acked.append(key)
                        if use_wait and c.wait(1, 100) >= 1:
                            confirmed.append(key)  # WAIT: one replica has it
                        i += 1
                except redis.RedisError:
                    pass  # the master died under us: this write was never acknowledged

            threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            time.sleep(seconds / 2)
            os.kill(replica.proc.pid, signal.SIGSTOP)  # the replica falls behind
            time.sleep(seconds / 2)
            master.kill9()  # the crash: whatever the replica has not received yet is gone
            stop.set()
            for t in threads:
                t.join(10)
            os.kill(replica.proc.pid, signal.SIGCONT)
            time.sleep(0.5)  # let it apply what had reached it before the crash
            r.execute_command("REPLICAOF", "NO", "ONE")  # the failover
            present = set()
            for i in range(0, len(acked), 1000):
                chunk = acked[i:i + 1000]
                present.update(k for k, v in zip(chunk, r.mget(chunk)) if v is not None)
            lost = [k for k in acked if k not in present]
            lost_confirmed = [k for k in confirmed if k not in present]
            return len(acked), len(lost), len(confirmed), len(lost_confirmed)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_broker_argument(parser, "redis")
    args = parser.parse_args()
    if args.broker not in ("mini", "real"):
        raise SystemExit("this demo starts and kills its own master and replica: --broker mini or real")
    seconds = 1.0 if args.quick else 5.0
    acked, lost, _, _ = one_round(args.broker, False, seconds)
    print(f"no WAIT:      {acked} writes acknowledged, {lost} of them lost by the failover")
    acked, lost, confirmed, lost_confirmed = one_round(args.broker, True, seconds)
    print(f"WAIT 1 100:   {acked} writes acknowledged, {lost} lost; {confirmed} confirmed by WAIT, "
          f"{lost_confirmed} of those lost")
    if lost_confirmed:
        print("FAILED: a write WAIT reported as replicated was lost")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
