// miniredis/core/trace.hpp
//
// Trace: one human-readable line per command, showing the path it took through the concepts
// (--trace yes, or at run time PUT /api/trace {"trace":true} on the admin port):
//
//   SET session:42 EX 1800 -> keyspace db0: 1 change, expires in 1800 s -> AOF +51 bytes -> reply +OK
//   GET session:42 -> keyspace db0: hit -> reply $4
//   BRPOP jobs 0 -> blocked on jobs (db0) until a push or the timeout
//
// Zero cost when off: the dispatcher tests one bool before taking the "before" snapshot.
// Secrets (AUTH, HELLO ... AUTH, CONFIG SET requirepass) are shown as (redacted).
//
// CONCEPT: the request path made visible - the lecture's "follow one request" as a log line per
// command. The same switch exists in all three servers (--trace, PUT /api/trace), so a student can
// watch a SET, an AMQP publish and a Kafka produce walk through their concepts side by side.
// READ NEXT: trace.cpp, commands/dispatch.cpp (where a trace line is started and finished).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace miniredis {

class Broker;
struct Client;

struct TraceProbe {  // counters before the command ran; the line reports the differences
    uint64_t dirty = 0, hits = 0, misses = 0, published = 0;
    size_t aof_pending = 0, reply_start = 0;
};

// Whether argv[i] is a secret Redis hides from MONITOR and SLOWLOG (and we from --trace): every
// argument of AUTH, the user and password after HELLO's AUTH, CONFIG SET requirepass/masterauth.
bool is_secret_argument(std::span<const std::string_view> argv, size_t i);

// The end-of-turn group commit, made visible: the dispatcher notes each command that added to the
// AOF buffer (and its client); before_sleep reports them with the one write (and fsync) they share:
//   aof write commands=3 clients=2 bytes=142 -> write() -> fdatasync (appendfsync always) -> replies released
struct TraceTurn {
    uint64_t commands = 0;
    std::vector<uint64_t> clients;  // client ids, each once (a turn serves a handful of clients)
    void note(uint64_t client_id);
    // The line for the write that just ended the turn; resets for the next turn.
    std::string group_commit_line(size_t bytes, std::string_view fsync_step);
};

std::string trace_args(std::span<const std::string_view> argv);  // "SET k v", escaped and cut
TraceProbe trace_begin(const Broker& server, const Client& client);
std::string trace_line(const Broker& server, const Client& client, std::span<const std::string_view> argv,
                       int first_key, int db, const TraceProbe& before);  // first_key: argv index, 0 = none

}  // namespace miniredis
