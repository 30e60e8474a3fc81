// miniredis/core/durability.cpp
//
// The end-of-turn durability step: a write is acknowledged only once it is as durable as the
// user asked.
//
// CONCEPT: group commit. A command that changes data is *propagated* - appended, RESP-encoded, to
// the AOF's in-memory buffer (propagate) - and its reply to the client's output buffer. Neither
// leaves the process yet. When the event loop has run everything that was ready (every client
// with bytes to read), before_sleep writes the whole buffer with one write() and, with
// `appendfsync always`, one fdatasync(); only then does the wiring send the replies:
//
//   turn:  client A: SET a 1  -> AOF buffer += SET a 1,  A.out += +OK
//          client B: INCR n   -> AOF buffer += INCR n,   B.out += :5
//          client C: GET a    ->                         C.out += $1 1
//   before_sleep:  write(AOF buffer) [+ fdatasync]      <- one disk round trip for A and B
//   then:          send(A.out), send(B.out), send(C.out)
//
// So no client ever sees +OK for a write that a crash (or, with `always`, a power cut) could take
// back, and fifty clients share one fsync - Redis's beforeSleep does it in the same order
// ("flushAppendOnlyFile before handleClientsWithPendingWrites"). A write that fails with
// `always` stops the server: the waiting replies promise what the disk refused.
//
// READ NEXT: storage/aof.hpp (Aof::flush: the write and the fsync policy), server.cpp
// (Server::before_sleep: the replies leave after this), docs/miniredis/01-follow-a-set.md §7-8.
#include <cstdlib>

#include <chrono>

#include "core/broker.hpp"
#include "log.hpp"

namespace miniredis {

// Called by every handler that changed data (through CommandContext), with the arguments as they
// must be replayed: e.g. SET ... EX 10 arrives here as SET ... PXAT <absolute ms>, so a restart
// restores the same deadline.
//
// The same call feeds the replicas (core/replication_master.cpp): the replication stream and the
// AOF are one stream, written to two places.
void Broker::propagate(int db, std::span<const std::string_view> argv) {
    if (env.loading) return;
    bool to_aof = aof_enabled(), to_replicas = repl.backlog.active();
    if (!to_aof && !to_replicas) return;
    if (in_exec && !exec_multi_propagated) {
        // The first write of an EXEC: open a MULTI block (closed by cmd_exec) - a replay, and a
        // replica, apply all of the transaction or none of it.
        exec_multi_propagated = true;
        std::string_view multi[] = {"MULTI"};
        if (to_aof) aof.append(db, multi);
        if (to_replicas) feed_replicas(db, multi);
    }
    if (to_aof) aof.append(db, argv);
    if (to_replicas) feed_replicas(db, argv);
}

bool Broker::aof_enabled() const { return aof.is_open() || aof.rewriting(); }
bool Broker::propagating() const { return aof_enabled() || repl.backlog.active(); }

void Broker::before_sleep() {
    run_unblocked_clients();  // commands that waited behind a BLPOP
    if (!aof.has_pending()) return;
    // The latency monitor (latency.hpp) names the disk's share of a slow turn as Redis does.
    auto started = std::chrono::steady_clock::now();
    const size_t bytes = aof.pending_bytes();
    bool written = aof.flush();
    if (config.trace && written)
        trace(trace_turn.group_commit_line(bytes, config.appendfsync == FsyncPolicy::always
                                                      ? "fdatasync (appendfsync always)"
                                                  : config.appendfsync == FsyncPolicy::everysec
                                                      ? "no fsync now (everysec: a helper thread fsyncs once a second)"
                                                      : "no fsync (appendfsync no: the OS decides)"));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    if (LatencyMonitor::reaches(ms.count(), config.latency_monitor_threshold))
        latency.add(config.appendfsync == FsyncPolicy::always ? "aof-fsync-always" : "aof-write", ms.count(),
                    clock.now_ms() / 1000);
    if (written) {
        aof_write_error.clear();
        return;
    }
    aof_write_error = aof.last_error();
    if (config.appendfsync == FsyncPolicy::always) {
        // The replies waiting for this write promise durability we cannot give: stop, as Redis
        // does, rather than acknowledge what is not on disk.
        mb::log::error("can't recover from an AOF write error with appendfsync always: {}; exiting", aof_write_error);
        std::_Exit(1);
    }
}

}  // namespace miniredis
