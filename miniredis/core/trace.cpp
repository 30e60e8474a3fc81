// miniredis/core/trace.cpp
//
// Trace lines (see trace.hpp).
//
// CONCEPT: see trace.hpp. Tracing costs nothing when off: dispatch checks one bool before building
// anything, so the switch can stay in production builds and the benchmarks do not move.
// READ NEXT: trace.hpp.
#include "core/trace.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/broker.hpp"

namespace miniredis {
namespace {

bool is(std::string_view arg, std::string_view name) { return equals_ignore_case(arg, name); }

}  // namespace

// Secrets never reach the log, whoever switched tracing on: the arguments Redis itself redacts
// from MONITOR and SLOWLOG - every argument of AUTH, the two after HELLO's AUTH, and the value of
// CONFIG SET requirepass / masterauth. MONITOR and SLOWLOG (monitor.cpp, slowlog.cpp) share it.
bool is_secret_argument(std::span<const std::string_view> argv, size_t i) {
    if (is(argv[0], "auth")) return i >= 1;
    if (is(argv[0], "hello")) return i >= 2 && (is(argv[i - 1], "auth") || (i >= 3 && is(argv[i - 2], "auth")));
    if (is(argv[0], "config") && argv.size() > 1 && is(argv[1], "set") && i >= 3 && i % 2 == 1)
        return is(argv[i - 1], "requirepass") || is(argv[i - 1], "masterauth");
    return false;
}

namespace {

// Arguments as a human reads them: printable bytes as they are, others escaped, long ones cut.
std::string render_args(std::span<const std::string_view> argv) {
    std::string out;
    for (size_t i = 0; i < argv.size(); ++i) {
        if (i == 6) {
            out += fmt::format(" ... ({} more)", argv.size() - i);
            break;
        }
        if (i) out += ' ';
        if (is_secret_argument(argv, i)) {
            out += "(redacted)";
            continue;
        }
        std::string_view arg = argv[i].substr(0, 40);
        for (char c : arg) {
            if (i == 0 && c >= 'a' && c <= 'z')
                out += static_cast<char>(c - 'a' + 'A');  // the command name as the docs spell it
            else if (c >= 0x20 && c < 0x7f)
                out += c;
            else
                out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        }
        if (argv[i].size() > 40) out += "...";
    }
    return out;
}

}  // namespace

std::string trace_args(std::span<const std::string_view> argv) { return render_args(argv); }

void TraceTurn::note(uint64_t client_id) {
    ++commands;
    if (std::find(clients.begin(), clients.end(), client_id) == clients.end()) clients.push_back(client_id);
}

std::string TraceTurn::group_commit_line(size_t bytes, std::string_view fsync_step) {
    // commands=0 happens when tracing was switched on in the middle of a turn.
    std::string line = fmt::format("aof write commands={} clients={} bytes={} -> write() -> {} -> replies released",
                                   commands, clients.size(), bytes, fsync_step);
    commands = 0;
    clients.clear();
    return line;
}

TraceProbe trace_begin(const Broker& server, const Client& client) {
    return {server.dirty,
            server.stats.keyspace_hits,
            server.stats.keyspace_misses,
            server.stats.pubsub_messages,
            server.aof.pending_bytes(),
            client.out.size()};
}

std::string trace_line(const Broker& server, const Client& client, std::span<const std::string_view> argv,
                       int first_key, int db, const TraceProbe& before) {
    std::string line = render_args(argv);
    if (client.blocked.active) {
        std::string keys;
        for (const std::string& k : client.blocked.keys) keys += (keys.empty() ? "" : " ") + k;
        return line + fmt::format(" -> blocked on {} (db{}) until a push or the timeout", keys, db);
    }
    // A save during the command (SAVE, FLUSHALL with save rules) resets the counter: no count then.
    uint64_t changes = server.dirty >= before.dirty ? server.dirty - before.dirty : 0;
    uint64_t hits = server.stats.keyspace_hits - before.hits, misses = server.stats.keyspace_misses - before.misses;
    if (changes || hits || misses || first_key) {
        line += fmt::format(" -> keyspace db{}:", db);
        if (changes) line += fmt::format(" {} change{}", changes, changes == 1 ? "" : "s");
        if (hits) line += fmt::format("{} {} hit{}", changes ? "," : "", hits, hits == 1 ? "" : "s");
        if (misses) line += fmt::format("{} {} miss{}", changes || hits ? "," : "", misses, misses == 1 ? "" : "es");
        if (!changes && !hits && !misses) line += " untouched";
        // A key with a TTL after a write: say when it goes.
        if (changes && first_key > 0 && static_cast<size_t>(first_key) < argv.size()) {
            auto& database = const_cast<Broker&>(server).db(db);
            if (auto deadline = database.expire_of(argv[static_cast<size_t>(first_key)])) {
                int64_t left = *deadline - server.clock.now_ms();
                line += fmt::format(", expires in {} s", (left + 500) / 1000);
            }
        }
    }
    if (uint64_t delivered = server.stats.pubsub_messages - before.published)
        line += fmt::format(" -> pub/sub: {} receiver{}", delivered, delivered == 1 ? "" : "s");
    if (server.aof.pending_bytes() > before.aof_pending)
        line += fmt::format(" -> AOF +{} bytes", server.aof.pending_bytes() - before.aof_pending);
    if (client.out.size() > before.reply_start) {
        std::string_view reply = client.out.readable().substr(before.reply_start);
        line += fmt::format(" -> reply {}", reply.substr(0, std::min<size_t>(reply.find('\r'), 40)));
    }
    return line;
}

}  // namespace miniredis
