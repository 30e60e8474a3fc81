// miniredis/core/slowlog.hpp
//
// Slowlog: the last N commands that took longer than a threshold (SLOWLOG GET/LEN/RESET).
//
// CONCEPT: one thread serves every client, so one slow command (KEYS * on a million keys, an
// SMEMBERS of a huge set) is a pause for everybody. The slowlog is how an operator finds the
// culprit afterwards: the dispatcher already reads the clock before and after each command (for
// INFO commandstats), so deciding "was it slow?" costs one comparison. Only slow commands pay for
// an entry - a copy of their (trimmed) arguments - so the common case allocates nothing.
//
//   execute(cmd) -- duration --> >= slowlog-log-slower-than ?  no -> nothing
//                                        | yes
//                                        v
//            newest [id 7][id 6][id 5] ... [id 0] oldest    (at most slowlog-max-len; the oldest
//                                                            falls off the end)
//
// Entries keep what Redis keeps: a growing id, the Unix time, the duration in microseconds, the
// arguments (at most 32, each cut to 128 bytes, secrets redacted), the client's address and name.
// slowlog-log-slower-than: microseconds; 0 logs every command, a negative value disables the log.
//
// READ NEXT: core/latency.hpp (the same idea per event class, for spikes), commands/diagnostics.cpp
// (the SLOWLOG command), commands/dispatch.cpp (where the duration is measured).
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace miniredis {

struct SlowlogEntry {
    uint64_t id = 0;
    int64_t unix_time = 0;    // seconds
    int64_t duration_us = 0;  // microseconds spent running the command
    std::vector<std::string> args;
    std::string peer;  // "127.0.0.1:51234"
    std::string client_name;
};

class Slowlog {
public:
    static constexpr size_t kMaxArgs = 32;       // Redis' SLOWLOG_ENTRY_MAX_ARGC
    static constexpr size_t kMaxArgBytes = 128;  // Redis' SLOWLOG_ENTRY_MAX_STRING

    // The dispatcher's question, cheap: would a command this slow be logged?
    static bool is_slow(int64_t duration_us, int64_t threshold_us) {
        return threshold_us >= 0 && duration_us >= threshold_us;
    }
    // Records the command (arguments trimmed and redacted) and drops the oldest beyond max_len.
    void add(std::span<const std::string_view> argv, int64_t unix_time, int64_t duration_us, std::string_view peer,
             std::string_view client_name, size_t max_len);
    void trim(size_t max_len);  // CONFIG SET slowlog-max-len shrinks the log at once
    void reset() { entries_.clear(); }
    size_t size() const { return entries_.size(); }
    const std::deque<SlowlogEntry>& entries() const { return entries_; }  // newest first

    // The arguments as an entry keeps them: at most 32 (the last one then says how many more),
    // each at most 128 bytes ("... (N more bytes)"), secrets as "(redacted)".
    static std::vector<std::string> trimmed_args(std::span<const std::string_view> argv);

private:
    std::deque<SlowlogEntry> entries_;
    uint64_t next_id_ = 0;
};

}  // namespace miniredis
