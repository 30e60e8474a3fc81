// miniredis/commands/transactions.cpp
//
// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (multi.c).
//
// CONCEPT: MULTI starts queueing - every following command is checked (name, arity) and answered
// +QUEUED instead of run. EXEC then runs the whole queue in one go; since one thread runs every
// command, nothing from another client can interleave: the batch is atomic (but not rolled back -
// a command that fails at run time just returns its error inside EXEC's reply array).
//
// WATCH is optimistic locking (check-and-set): WATCH balance, read it, MULTI, SET balance ..., EXEC.
// If anyone changed `balance` after the WATCH, EXEC does nothing and answers nil; the client
// retries. The server keeps key -> watching clients and flags them dirty on every change
// (Broker::key_modified).
//
//   MULTI ──▶ client.in_multi = true ──▶ SET a 1 (+QUEUED) ──▶ INCR b (+QUEUED) ──▶ EXEC
//         ──▶ [ +OK, :1 ] run back to back; propagated wrapped in MULTI ... EXEC, so a replica or
//             an AOF replay applies all of them or (a torn tail) none
// READ NEXT: dispatch.cpp (where queueing happens), core/client.hpp (the queue and the WATCH flags).
#include "commands/context.hpp"
#include "commands/handlers.hpp"

namespace miniredis {

// MULTI only flips a flag: from now on dispatch.cpp queues each command (after checking its name
// and arity - a mistake there sets multi_error, and EXEC will refuse the whole batch) instead of
// running it. Nesting is refused: a transaction is one flat list of commands.
// A WATCH before MULTI stays in force; WATCH after MULTI is refused (below), because a watch taken
// inside the transaction would be checked by the EXEC of that very transaction - too late to matter.
void cmd_multi(CommandContext& ctx) {
    if (ctx.client.in_multi) return ctx.reply.error("ERR MULTI calls can not be nested");
    ctx.client.in_multi = true;
    ctx.reply.ok();
}

// Every way out of a transaction - EXEC, DISCARD, an aborted EXEC - forgets the queue and the
// WATCHes: a WATCH covers exactly one MULTI/EXEC attempt, and the retry loop starts with a new WATCH.
static void end_transaction(CommandContext& ctx) {
    Client& c = ctx.client;
    c.in_multi = c.multi_error = c.queued_denyoom = false;
    c.queued.clear();
    ctx.server.unwatch_all(c);
}

// DISCARD: drop the queue without running anything; nothing was applied, so nothing is undone.
void cmd_discard(CommandContext& ctx) {
    if (!ctx.client.in_multi) return ctx.reply.error("ERR DISCARD without MULTI");
    end_transaction(ctx);
    ctx.reply.ok();
}

// A WATCHed key that expired since the WATCH counts as changed (Redis 7 isWatchedKeyExpired).
static bool watched_key_expired(CommandContext& ctx) {
    for (const auto& w : ctx.client.watched) {
        // A key already expired when it was WATCHed is not "changed" by its deadline: Redis remembers
        // that at WATCH time (expired_at_watch), and so do we.
        if (w.expired_at_watch) continue;
        Database& db = ctx.server.db(w.db);
        auto deadline = db.expire_of(w.key);
        if (deadline && *deadline <= ctx.now_ms() && db.peek(w.key)) return true;
    }
    return false;
}

// EXEC: the transaction's moment of truth. Everything it checks (errors while queueing, WATCHed
// keys) was recorded earlier, so deciding is O(1) plus the watched keys; then the queue runs.
void cmd_exec(CommandContext& ctx) {
    Client& c = ctx.client;
    if (!c.in_multi) return ctx.reply.error("ERR EXEC without MULTI");
    if (watched_key_expired(ctx)) c.watch_dirty = true;
    // The two ways EXEC says no, in Redis' order: a queueing error (unknown command, wrong arity)
    // aborts with EXECABORT; a WATCHed key that changed answers a nil array - not an error, because
    // the client did nothing wrong and should simply retry.
    if (c.multi_error) {
        end_transaction(ctx);
        return ctx.reply.error("EXECABORT Transaction discarded because of previous errors.");
    }
    if (c.watch_dirty) {
        end_transaction(ctx);
        return ctx.reply.null_array();
    }
    // The queue holds copies of the arguments (OwnedArgs), not views: the input buffer they were read
    // from has long been reused by the time EXEC arrives, possibly many reads later.
    std::vector<OwnedArgs> queued = std::move(c.queued);
    end_transaction(ctx);  // also unwatches: nothing may abort us from here on
    // in_exec tells blocking commands not to wait (they answer as if timed out) and holds back
    // serving blocked clients until the whole batch is done, so no waiter sees half a transaction.
    Broker& server = ctx.server;
    server.in_exec = true;
    ctx.reply.array(queued.size());
    // Each queued command runs through the full execute() path - the same checks, the same
    // propagation, its reply appended as one element of EXEC's array. A command that fails at run time
    // (WRONGTYPE, say) just leaves its error in the array; the others still run. Redis has no
    // rollback, by design: errors at run time are programming errors, and undo logs would cost every
    // command time and memory.
    std::vector<std::string_view> argv;
    for (const OwnedArgs& args : queued) {
        argv.assign(args.begin(), args.end());
        server.execute(c, argv);
    }
    // The AOF got "MULTI" before the first write of the batch (see Broker::propagate);
    // close it, so a replay applies all of the transaction or - if cut short - none of it.
    if (server.exec_multi_propagated) {
        std::string_view exec[] = {"EXEC"};
        server.in_exec = false;
        server.propagate(c.db, exec);
    }
    server.in_exec = false;
    server.exec_multi_propagated = false;
}

// WATCH key [key ...]: registers the client twice - in the server's key -> clients index, so a
// write can find its watchers in O(1) (Broker::key_modified), and in the client's own list, so
// UNWATCH and disconnect can undo it. WATCHing a key twice is one watch.
void cmd_watch(CommandContext& ctx) {
    if (ctx.client.in_multi) return ctx.reply.error("ERR WATCH inside MULTI is not allowed");
    Client& c = ctx.client;
    for (size_t i = 1; i < ctx.argc(); ++i) {
        std::string key(ctx.arg(i));
        bool already = false;
        for (const auto& w : c.watched) already |= w.db == c.db && w.key == key;
        if (already) continue;
        // peek, not lookup: WATCH must not delete an expired key (that would be a change, propagated as
        // a DEL, caused by a read-only command) - it only remembers that the key was already dead.
        Database& db = ctx.db();
        auto deadline = db.expire_of(key);
        bool expired = db.peek(key) && deadline && *deadline <= ctx.now_ms();
        ctx.server.watched_keys[static_cast<size_t>(c.db)][key].push_back(&c);
        c.watched.push_back({c.db, std::move(key), expired});
    }
    ctx.reply.ok();
}

// UNWATCH: forget every watched key, e.g. when the client read the value and decided not to write.
void cmd_unwatch(CommandContext& ctx) {
    ctx.server.unwatch_all(ctx.client);
    ctx.reply.ok();
}

}  // namespace miniredis
