// miniredis/commands/dispatch.cpp
//
// Dispatch: from parsed arguments to a handler, with every check Redis makes first, in Redis'
// order (processCommand in server.c):
//
//   unknown command?  wrong arity?  NOAUTH?  not allowed in MULTI?  READONLY replica?
//   over maxmemory (-OOM)?  too few good replicas (-NOREPLICAS)?  subscribed in RESP2 and not a
//   pub/sub command?  a replica whose master link is down (-MASTERDOWN)?
//   inside MULTI -> queue it, reply QUEUED
//   otherwise run it; if it changed data, propagate it to the AOF; then serve clients blocked on
//   keys it filled (a BLPOP waiting for the list this LPUSH just created).
//
// CONCEPT: the dispatcher is the one place every command passes, so everything that is true of
// *all* commands lives here and nowhere else: authentication, the OOM check, MULTI queueing, slow
// log and latency timing, propagation. A handler (strings.cpp, lists.cpp, ...) only does its own
// job. Redis' processCommand has the same shape; reading it next to this file is a good exercise.
//
//   process_input(client):  while parser finds a command:
//       execute(argv) ──▶ lookup_command (command_table.cpp)
//                     ──▶ checks (above, in Redis' order: the first failing one answers)
//                     ──▶ spec.handler(ctx)            (commands/<family>.cpp)
//                     ──▶ propagate if dirty           (core/durability.cpp: AOF buffer, replicas)
//                     ──▶ serve_ready_keys()           (blocking.cpp: BLPOP waiters)
//
// Why exactly Redis' order? It is observable: when two checks fail (an unknown command sent before
// AUTH, a wrong arity inside MULTI) the order decides which error the client sees, and client
// libraries and their test suites match on it. The differential tests compare our error against
// redis-server's for the same bytes.
// READ NEXT: command_table.cpp, context.hpp, strings.cpp (cmd_set), docs/miniredis/01-follow-a-set.md §3.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "core/eviction.hpp"
#include "core/trace.hpp"

namespace miniredis {

// The session loop's core: every complete command in the input buffer runs now, in order, and
// its reply is appended to client.out; a half-received command stays for the next read. This is
// what makes pipelining free - sixteen commands in one read cost one read and one write.
void Broker::process_input(Client& client) {
    client.last_interaction_ms = clock.now_ms();  // once per read, not per command
    command_clock_us = monotonic_us();            // where the first command's duration starts
    client.parser.set_unauthenticated(!client.authenticated && !config.requirepass.empty());
    // Back-pressure inside one read: a pipeline of GETs whose replies the client does not read
    // stops at kOutputPauseBytes unsent; the rest waits in client.in until the socket drains
    // (the wiring then runs it again), so one read cannot cost more than ~4 MB of replies.
    while (!client.close_after_reply && !client.blocked.active && !client.closed &&
           client.out.size() < kOutputPauseBytes) {
        auto status = client.parser.parse(client.in.readable());
        if (status == resp::RequestParser::Status::need_more) break;
        if (status == resp::RequestParser::Status::error) {
            // Reply, then hang up: after garbage we cannot know where the next command starts.
            Reply(client.out, client.protocol).error(fmt::format("ERR {}", client.parser.error()));
            client.close_after_reply = true;
            client.in.clear();
            client.parser.reset();
            want_write(client);
            break;
        }
        if (client.repl_role == ReplRole::master) {
            // Our master's stream (core/replication_replica.cpp): run it, then count its bytes.
            size_t reply_mark = client.out.size();
            env.applying_master = true;
            if (!client.parser.args().empty()) execute(client, client.parser.args());
            env.applying_master = false;
            master_command_done(client, reply_mark, client.in.readable().substr(0, client.parser.consumed()));
        } else if (!client.parser.args().empty()) {
            execute(client, client.parser.args());
        }
        client.in.consume(client.parser.consumed());
        client.parser.reset();
        client.parser.set_unauthenticated(!client.authenticated && !config.requirepass.empty());
    }
}

namespace {

// Redis' text, with the arguments echoed but cut at 128 bytes: enough to recognise a typo ("SETX k
// v") or a client speaking another protocol, without letting a huge bogus request produce an
// equally huge error reply.
std::string unknown_command_error(std::span<const std::string_view> argv) {
    std::string args;
    for (size_t i = 1; i < argv.size() && args.size() < 128; ++i)
        args += fmt::format("'{}' ", argv[i].substr(0, 128 - args.size()));
    return fmt::format("ERR unknown command '{}', with args beginning with: {}", argv[0].substr(0, 128), args);
}

// "Try CONFIG HELP": Redis names the container in capitals in this one message.
std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

// Whether argv names a command at all, without running it: the AOF loader (core/persistence.cpp)
// asks before replaying each logged command, so an unknown one stops the load with a clear
// message instead of an error reply nobody reads.
bool Broker::is_command(std::span<const std::string_view> argv) const {
    const CommandSpec* container = nullptr;
    return lookup_command(argv, &container) != nullptr;
}

void Broker::execute(Client& client, std::span<const std::string_view> argv) {
    const CommandSpec* container = nullptr;
    // "client|id" names a subcommand in COMMAND INFO/DOCS, but is no command a client may send.
    const CommandSpec* spec = argv[0].find('|') == std::string_view::npos ? lookup_command(argv, &container) : nullptr;
    Reply reply(client.out, client.protocol);
    want_write(client);

    auto reject = [&](std::string_view message) {
        reply.error(message);
        count_error_reply(message);
        if (spec) {  // INFO commandstats rejected_calls (an unknown command has no line to count on)
            ++spec->rejected_calls;
            ++stats.rejected_calls;
        }
        if (client.in_multi) client.multi_error = true;  // EXEC will answer EXECABORT
    };
    if (!spec) {
        if (container)
            return reject(fmt::format("ERR unknown subcommand '{}'. Try {} HELP.", argv[1].substr(0, 128),
                                      upper(container->name)));
        return reject(unknown_command_error(argv));
    }
    int argc = static_cast<int>(argv.size());
    if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity)
        return reject(fmt::format("ERR wrong number of arguments for '{}' command", spec->name));
    if (!config.requirepass.empty() && !client.authenticated && !(spec->flags & kNoAuth))
        return reject("NOAUTH Authentication required.");
    if (client.in_multi && (spec->flags & kNoMulti)) return reject("ERR Command not allowed inside a transaction");
    // A read-only replica takes writes from its master only (replica-read-only).
    if ((spec->flags & kWrite) && env.replica && client.repl_role != ReplRole::master && !env.loading)
        return reject("READONLY You can't write against a read only replica.");
    // A MONITOR client is an audience, not a user of the data (core/monitor.hpp).
    if (client.monitor && (spec->flags & (kWrite | kReadOnly | kMayReplicate)))
        return reject("ERR Replica can't interact with the keyspace");
    // Over maxmemory: make room first (maxmemory-policy); a write that cannot fit is refused.
    // EXEC counts as such a write if it queued one (Redis checks the queued flags the same way).
    // The commands EXEC then runs are not checked again: the transaction was admitted as a whole,
    // and refusing its 5th write halfway would break "all or nothing" for no gain.
    bool may_grow = (spec->flags & kDenyOom) || (spec->handler == cmd_exec && client.queued_denyoom);
    if (config.maxmemory > 0 && may_grow && !in_exec && !env.loading && client.repl_role != ReplRole::master &&
        !free_memory_if_needed(*this))
        return reject("OOM command not allowed when used memory > 'maxmemory'.");
    // min-replicas-to-write: a master that has not heard an ACK from enough replicas within
    // min-replicas-max-lag refuses writes - a write no replica may get is not accepted at all
    // (core/replication_master.cpp, enough_good_replicas). It narrows, not closes, the window in
    // which a failover loses acknowledged writes.
    if ((spec->flags & kWrite) && client.repl_role != ReplRole::master && !env.loading && !enough_good_replicas())
        return reject("NOREPLICAS Not enough good replicas to write.");
    if (client.protocol == 2 && client.subscriptions() > 0 && !(spec->flags & kAllowedWhileSubscribed))
        return reject(fmt::format(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
            "this context",
            spec->name));
    // replica-serve-stale-data no: while the link to the master is down, a replica answers only
    // the commands marked stale-safe (INFO, PING, REPLICAOF, CONFIG...), not from data that may
    // be any age.
    if (!(spec->flags & kStale) && repl.is_replica() && repl.link != ReplLinkState::connected &&
        !config.replica_serve_stale_data && client.repl_role != ReplRole::master)
        return reject("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
    // Queued as copies: argv points into the input buffer, which the next read reuses long before
    // EXEC. Everything above was checked at queue time (name, arity, OOM...); types and values are
    // not - those errors only show at EXEC, inside its reply array (Redis draws the same line).
    if (client.in_multi && !(spec->flags & kSkipQueue)) {
        client.queued.emplace_back(argv.begin(), argv.end());
        client.queued_denyoom |= (spec->flags & kDenyOom) != 0;
        reply.simple("QUEUED");
        if (config.trace) trace(trace_args(argv) + " -> queued until EXEC");
        return;
    }

    // Run it. `dirty` counts changes: if it moved and the command is a write, the command (or what it
    // asked to be logged instead, ctx.rewritten) goes to the AOF buffer - written at the end of the
    // turn, before any reply leaves (persistence.cpp, before_sleep).
    TraceProbe probe;
    if (config.trace) probe = trace_begin(*this, client);
    CommandContext ctx(*this, client, argv, *spec);
    uint64_t dirty_before = dirty;
    int db_before = client.db;
    ++stats.commands_processed;
    client.last_command = spec->name;
    // INFO commandstats, SLOWLOG and LATENCY all feed on ONE clock read per command (vDSO, ~25 ns)
    // and on counters in the command's own table entry: nothing is allocated per command. The
    // read that ends a command starts the next one (command_clock_us), and a batch starts with
    // the read in process_input - so a duration includes parsing the command, which is part of
    // its cost too. (Two reads per command cost ~10% of a pipelined GET here: measured.)
    size_t reply_start = client.out.size();
    const int64_t started_us = command_clock_us;
    spec->handler(ctx);
    command_clock_us = monotonic_us();
    const int64_t duration_us = std::max<int64_t>(command_clock_us - started_us, 0);
    ++spec->calls;
    spec->usec += static_cast<uint64_t>(duration_us);
    // A failed call is one whose reply *starts* with an error: a handler that refuses answers with
    // that error alone (handlers.hpp), so the first byte tells. EXEC's reply starts with '*' - the
    // errors inside it were counted when each queued command ran through this same function.
    if (client.out.size() > reply_start && client.out.readable()[reply_start] == '-') {
        ++spec->failed_calls;
        count_error_reply(client.out.readable().substr(reply_start + 1));
    }
    // EXEC is not logged itself: the commands it ran were, one by one (Redis: CMD_SKIP_SLOWLOG).
    // Both compare first and read the wall clock (for the entry's timestamp) only when recording.
    if (Slowlog::is_slow(duration_us, config.slowlog_log_slower_than) && spec->handler != cmd_exec && !env.loading)
        slowlog.add(argv, clock.now_ms() / 1000, duration_us, client.peer, client.name,
                    static_cast<size_t>(config.slowlog_max_len));
    if (LatencyMonitor::reaches(duration_us / 1000, config.latency_monitor_threshold) && !env.loading)
        latency.add((spec->flags & kFast) ? "fast-command" : "command", duration_us / 1000, clock.now_ms() / 1000);
    // Admin commands (CONFIG, CLIENT LIST, SLOWLOG...) are never shown to monitors, as in Redis.
    if (!monitors.empty() && !(spec->flags & kAdmin) && !env.loading) feed_monitors(client, client.db, argv);

    // A write that changed something goes to the AOF - as rewritten by the command if it asked.
    // Logged against the database the command started in (db_before): the AOF carries a SELECT
    // whenever that changes (storage/aof.cpp, append_select; replicas get one the same way), so a
    // replay runs every write where it first ran.
    bool changed = dirty != dirty_before || ctx.force_propagation;
    if (changed && (spec->flags & kWrite) && !ctx.suppress_propagation) {
        if (ctx.rewritten.empty()) {
            propagate(db_before, argv);
        } else {
            std::vector<std::string_view> views(ctx.rewritten.begin(), ctx.rewritten.end());
            propagate(db_before, views);
        }
    }
    // A push may have fed clients blocked in BLPOP - but not in the middle of EXEC: a transaction
    // is atomic for them too, so MULTI; RPUSH q 1; RPUSH q 2; LRANGE q 0 -1; EXEC sees [1, 2], and
    // the waiter is served once EXEC is done (Redis: handleClientsBlockedOnKeys after the command).
    if (!ready_keys.empty() && !in_exec) serve_ready_keys();
    if (config.trace) {
        trace(trace_line(*this, client, argv, spec->first_key, db_before, probe));
        if (aof.pending_bytes() > probe.aof_pending) trace_turn.note(client.id);  // for before_sleep's line
    }
}

}  // namespace miniredis
