"""What a server process has used so far, read from /proc: the numbers every benchmark here compares.

CPU time comes from the scheduler (/proc/PID/task/TID/schedstat, nanoseconds, every thread), not from
/proc/PID/stat, which counts in 10 ms ticks: too coarse for a run of a few seconds. On a machine shared
with other work a rate follows the load; CPU per request does not (much), so it is the figure to compare
changes by.
"""
import os


def cpu_ns(pid):
    """Nanoseconds of CPU the process's threads have run so far (threads that ended meanwhile are skipped)."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return 0
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total
