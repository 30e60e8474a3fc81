// miniredis/commands/command_table.hpp
//
// The command table: one line per command - name, arity, flags, handler (Redis' redisCommand).
//
//   arity   counts the command name itself; -N means "at least N" (GET = 2, SET = -3)
//   flags   what the dispatcher must know before running it: is it a write (then it goes to the
//           AOF and WATCH notices it), may it grow memory (refused with -OOM over maxmemory), may
//           it run before AUTH, inside MULTI, while subscribed...
//   keys    first, last, step of the key arguments (COMMAND INFO; redis-cli and cluster clients
//           use them to find the keys of a command)
// Container commands (CLIENT, CONFIG, COMMAND, PUBSUB, OBJECT) have a table of subcommands with
// their own arity: "CONFIG GET" is looked up as "config|get", as in Redis 7.
//
// CONCEPT: a table, not a chain of if/else: one line per command makes "what can this server do?"
// a page you can read, and lets COMMAND INFO, the flag checks in dispatch.cpp and
// redis-cli's hints all read the same data. Redis has the same table (src/commands/*.json,
// turned into C by a script at build time); minirabbit's handlers/method_table.cpp and minikafka's
// handler table are the same idea for AMQP methods and Kafka APIs.
//
//   "SET" ──▶ lookup_command ──▶ CommandSpec{name "set", arity -3, flags W|M, keys 1..1, cmd_set}
// READ NEXT: command_table.cpp (the table itself), dispatch.cpp (who reads the flags).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace miniredis {

struct CommandContext;
using CommandHandler = void (*)(CommandContext&);

enum CommandFlag : uint32_t {
    kWrite = 1 << 0,     // changes data: propagated to the AOF, touches WATCHed keys
    kReadOnly = 1 << 1,  // reads data
    kDenyOom = 1 << 2,   // may use more memory: refused over maxmemory
    // Operator commands (CONFIG, CLIENT KILL, SLOWLOG, SAVE): never shown to MONITOR clients, since
    // their arguments may be secrets (CONFIG SET requirepass ...), and Redis' ACL @admin category.
    kAdmin = 1 << 3,
    kPubSub = 1 << 4,
    // Refused inside Lua scripts in Redis. We have no scripting; the flag is kept so that COMMAND
    // INFO reports what redis-server reports, which client libraries and proxies read.
    kNoScript = 1 << 5,
    kBlocking = 1 << 6,  // may block the client (BLPOP)
    // Redis answers -LOADING to every command without this flag while it loads a dataset; INFO,
    // CONFIG and the other L commands keep working, so an operator can watch the load progress.
    kLoading = 1 << 7,
    // Allowed on a replica whose master link is down when replica-serve-stale-data is no (the rest
    // get -MASTERDOWN, dispatch.cpp): commands that touch no data, or that repair the link.
    kStale = 1 << 8,
    kFast = 1 << 9,                     // O(1) or O(log n)
    kNoAuth = 1 << 10,                  // allowed before AUTH (AUTH, HELLO, QUIT)
    kNoMulti = 1 << 11,                 // refused inside MULTI (WATCH, SUBSCRIBE...)
    kAllowedWhileSubscribed = 1 << 12,  // RESP2 subscriber may run it (PING, (P)(UN)SUBSCRIBE, QUIT, RESET)
    kSkipQueue = 1 << 13,               // runs at once even inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET)
    // Not a write, yet may send something to replicas in Redis (PUBLISH, for one). dispatch.cpp uses
    // it with kWrite and kReadOnly to keep MONITOR clients away from anything that touches data.
    kMayReplicate = 1 << 14,
    kMovableKeys = 1 << 15,  // keys found by parsing (ZUNION's numkeys), not by first/last/step
};

struct CommandSpec {
    std::string_view name;  // lower case; "config|get" for a subcommand
    int arity;
    uint32_t flags;
    CommandHandler handler;
    int first_key = 0, last_key = 0, key_step = 0;
    std::string_view group = "generic";  // COMMAND DOCS: string, list, hash, set, sorted-set, ...
    std::string_view summary = {};
    std::span<const CommandSpec> subcommands = {};

    // INFO commandstats, kept in the table entry itself as Redis keeps them in its redisCommand:
    // counting a call is a few adds on memory the dispatcher already touched - no lookup, no
    // allocation. `mutable` because the table is const (nobody changes a command's definition);
    // only these counters move. commands/info.cpp (INFO commandstats) and /metrics read them.
    mutable uint64_t calls = 0;           // ran (whatever the outcome)
    mutable uint64_t usec = 0;            // time spent in the handler, microseconds
    mutable uint64_t rejected_calls = 0;  // refused before running (arity, NOAUTH, OOM...)
    mutable uint64_t failed_calls = 0;    // ran and answered an error
};

// The command for argv (case-insensitive; for a container, its subcommand). nullptr when unknown;
// then `container` tells whether argv[0] alone was a container (-> "unknown subcommand" error).
const CommandSpec* lookup_command(std::span<const std::string_view> argv, const CommandSpec** container);
std::span<const CommandSpec> all_commands();
// CONFIG RESETSTAT: every command's counters back to zero.
void reset_command_stats();
// "GET", "CONFIG|GET": the name as error messages print it (lower case, as Redis 7 does).
inline std::string_view command_full_name(const CommandSpec& spec) { return spec.name; }

}  // namespace miniredis
