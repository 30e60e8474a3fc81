// miniredis/storage/background_job.hpp
//
// BackgroundJob: a forked child process that writes a snapshot (BGSAVE) or the base of a rewritten
// AOF (BGREWRITEAOF), while the parent keeps serving.
//
// CONCEPT: fork() gives the child a copy of the whole dataset at that instant, for free: the
// kernel shares memory pages copy-on-write, copying a page only when the parent changes it. The
// child serialises its frozen copy at leisure and exits; the parent polls for its exit status
// (the tick) and finishes the job (rename, append the rewrite buffer). One child at a time, as Redis.
// A diskless full resync is a third kind: the child writes the RDB into a pipe the parent forwards
// to the replicas' sockets (core/replication_master.cpp, "the snapshot pipe").
//
// Why fork and not a thread? A thread would see the dataset change under it while serialising it
// and would need locks on every command; the child sees a frozen copy for free. The price: fork
// copies the page tables (milliseconds for a large dataset, during which nobody is served), and
// every page the parent writes to during the save is duplicated.
// READ NEXT: background_job.cpp, core/persistence.cpp (who starts jobs).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>

namespace miniredis {

// replica_sync: the RDB of a diskless full resync, into a pipe (Redis' RDB_CHILD_TYPE_SOCKET).
enum class JobKind { none, snapshot, aof_rewrite, replica_sync };

class BackgroundJob {
public:
    // Forks; the child runs `work` and exits with its result (0 = success) without running any
    // destructors or atexit handlers of the parent's state. False when fork failed or busy.
    bool start(JobKind kind, const std::function<int()>& work);
    JobKind running() const { return kind_; }
    // If the child has exited: which job it was and whether it succeeded.
    std::optional<std::pair<JobKind, bool>> poll();
    // Waits for the child to exit (it is known to be finishing: it closed its pipe) and says
    // whether it succeeded. False when no child runs.
    bool wait();
    // Kills and reaps the child: SHUTDOWN, or a job made obsolete (FLUSHALL, a replica loading its
    // master's data, appendonly turned off). The signal that ended it; 0 if it had exited already.
    int kill_child();
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    JobKind kind_ = JobKind::none;
};

}  // namespace miniredis
