// miniredis/storage/background_job.cpp
//
// BackgroundJob: fork, _exit, waitpid.
//
// CONCEPT: see background_job.hpp. The child ends with _exit, not exit: exit would run the parent's
// atexit handlers and flush its stdio buffers a second time from the child's copy. waitpid with
// WNOHANG from the tick collects the child without ever blocking the server.
// READ NEXT: core/persistence.cpp.
#include "storage/background_job.hpp"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace miniredis {

// fork(): from here two processes run the same code. The child sees the dataset as it was at this
// instant (copy-on-write), does `work` and leaves; the parent records the pid and returns at once.
bool BackgroundJob::start(JobKind kind, const std::function<int()>& work) {
    if (kind_ != JobKind::none) return false;
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        // The child: do the work and leave with _exit - no destructors, no atexit, no flushing of
        // the parent's buffers twice.
        int code = 1;
        try {
            code = work();
        } catch (...) {
        }
        _exit(code);
    }
    pid_ = pid;
    kind_ = kind;
    return true;
}

// Asked by the tick: has the child finished, and did it succeed (exit status 0)?
std::optional<std::pair<JobKind, bool>> BackgroundJob::poll() {
    if (kind_ == JobKind::none) return std::nullopt;
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == 0) return std::nullopt;  // still working
    JobKind kind = kind_;
    kind_ = JobKind::none;
    pid_ = -1;
    bool ok = done > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return std::make_pair(kind, ok);
}

// The snapshot pipe reached its end: the child has written everything and is exiting. A blocking
// waitpid, but a short one - only the child's _exit is left to wait for.
bool BackgroundJob::wait() {
    if (kind_ == JobKind::none) return false;
    int status = 0;
    pid_t done;
    do {
        done = waitpid(pid_, &status, 0);
    } while (done < 0 && errno == EINTR);
    kind_ = JobKind::none;
    pid_ = -1;
    return done > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// A child whose work is no longer wanted (SHUTDOWN, FLUSHALL, a replica about to load its master's
// snapshot, appendonly turned off). SIGKILL, not Redis's SIGUSR1: it cannot be caught or blocked,
// so the waitpid below is sure to return at once - and because we reap the child here, the caller
// knows, before it does anything else, that the child will never rename a file again. Returns the
// signal that ended it, or 0 if it had already exited by itself.
int BackgroundJob::kill_child() {
    if (kind_ == JobKind::none) return 0;
    ::kill(pid_, SIGKILL);
    int status = 0;
    pid_t done;
    do {
        done = waitpid(pid_, &status, 0);
    } while (done < 0 && errno == EINTR);
    kind_ = JobKind::none;
    pid_ = -1;
    return done > 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

}  // namespace miniredis
