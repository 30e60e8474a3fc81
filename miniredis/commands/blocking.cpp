// miniredis/commands/blocking.cpp
//
// Blocking operations: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH (Redis' blocked.c + t_list.c), and the
// registry that also serves XREAD/XREADGROUP BLOCK (streams.cpp).
//
// CONCEPT: a worker that runs `BRPOP jobs 0` waits, without polling, until a producer pushes a
// job. The server keeps, per database, key -> the clients blocked on it, oldest first. A push to
// such a key marks it "ready"; after the pushing command finishes, serve_ready_keys() pops one
// element per waiting client, oldest first, and replies to it - as if it had just run LPOP. The
// AOF logs that LPOP (not the BLPOP), so replaying never has to wait for anything.
//
// The registry does not care what a client waits for: key -> waiting clients, oldest first. Any
// change to a key someone waits on (Broker::key_modified) marks it ready; serving then asks,
// per waiting client in arrival order, "can this key serve you now?" - a list or sorted set with
// elements for a pop, a stream with entries above the reader's ID for XREAD. A client that cannot
// be served keeps its place: an XREAD waiting for entries above 5-0 does not stop a later one.
//
// While blocked, a client's further commands stay in its input buffer; once served (or timed out)
// it is put on `unblocked_clients` and before_sleep() runs what it had sent meanwhile.
//
//   BRPOP jobs 0 (list empty) ──▶ block_client: blocked[db]["jobs"] += client  (no reply yet)
//   LPUSH jobs j1             ──▶ key_modified ──▶ signal_key_ready("jobs")
//   end of LPUSH              ──▶ serve_ready_keys ──▶ pop j1 for the oldest waiter, reply to it
// READ NEXT: lists.cpp, stream_read.cpp (XREAD BLOCK), core/tick.cpp (timeouts), docs/miniredis/04-streams.md.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>

#include "commands/blocking.hpp"
#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "commands/lists.hpp"
#include "commands/streams.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

// Redis' timeout argument: seconds as a float, 0 = forever; returns the absolute deadline (ms).
// Huge timeouts are legal (BLPOP q 9300000000 waits ~300 years) as long as the deadline still fits
// in 64-bit milliseconds; beyond that Redis answers "timeout is out of range" (getTimeoutFromObject).
std::optional<int64_t> parse_block_timeout(CommandContext& ctx, std::string_view text) {
    // Seconds as a float since Redis 6.0 ("BLPOP q 0.5"), before that whole seconds only; XREAD's BLOCK
    // is in milliseconds instead - two conventions clients have to know.
    auto seconds = parse_long_double(text);
    if (!seconds || std::isinf(*seconds)) {
        ctx.reply.error("ERR timeout is not a float or out of range");
        return std::nullopt;
    }
    // Redis rounds up to whole milliseconds first, so a timeout above -1 ms (-0.0001) becomes 0:
    // wait for ever.
    long double ms = std::ceil(*seconds * 1000);
    if (ms < 0) {
        ctx.reply.error("ERR timeout is negative");
        return std::nullopt;
    }
    int64_t now = ctx.now_ms();
    // Compare as long double before converting: casting an out-of-range value to int64_t is UB.
    if (ms >= static_cast<long double>(INT64_MAX - now)) {
        ctx.reply.error("ERR timeout is out of range");
        return std::nullopt;
    }
    auto delay = static_cast<int64_t>(ms);
    return delay == 0 ? 0 : now + delay;
}

namespace {

// BLPOP/BRPOP/BLMOVE's common part: serve at once if any key has elements, else block.
void block_or_serve(CommandContext& ctx, std::span<const std::string_view> keys, std::string_view timeout,
                    BlockedState how) {
    // The timeout is parsed before any key is looked at, so "BLPOP q abc" is a timeout error even
    // when q has elements - the same order as Redis' blockingPopGenericCommand.
    auto deadline = parse_block_timeout(ctx, timeout);
    if (!deadline) return;
    for (std::string_view key : keys) {
        bool ok;
        List* list = existing_list_for_write(ctx, key, ok);
        if (!ok) return;  // WRONGTYPE replied
        if (!list) continue;
        // BLMOVE with something to move: exactly LMOVE, and logged as LMOVE - a replica never blocks.
        if (!how.target.empty()) {
            list_move(ctx, key, how.target, how.pop_left, how.push_left);
            ctx.rewrite_as(
                {"LMOVE", key, how.target, how.pop_left ? "LEFT" : "RIGHT", how.push_left ? "LEFT" : "RIGHT"});
            return;
        }
        std::string element = list_pop(*list, how.pop_left);
        if (list->empty()) ctx.db().remove(key);
        ctx.modified(key);
        ctx.rewrite_as({how.pop_left ? "LPOP" : "RPOP", key});
        // The reply names the key as well as the element: with "BLPOP a b c 0" the worker must know which
        // queue the job came from.
        ctx.reply.array(2);
        ctx.reply.bulk(key);
        ctx.reply.bulk(element);
        return;
    }
    // Nothing to pop. Inside MULTI/EXEC a transaction cannot wait: answer "nothing" now. The shape
    // is the timeout's: a null array for BLPOP (its reply is normally [key, element]), a null bulk
    // for BLMOVE (normally one element) - so client code for "timed out" handles both cases.
    if (ctx.server.in_exec) return how.target.empty() ? ctx.reply.null_array() : ctx.reply.null();
    how.active = true;
    how.db = ctx.client.db;
    how.deadline_ms = *deadline;
    // The keys are copied into the client: argv points into the input buffer, which is reused for the
    // next commands long before this wait ends.
    how.keys.assign(keys.begin(), keys.end());
    ctx.client.blocked = std::move(how);
    ctx.server.block_client(ctx.client);
}

}  // namespace

// BLPOP key [key ...] timeout: the keys are argv[1 .. argc-2], the timeout the last word. Keys are
// tried in order, so the order is a priority, as in BLMPOP.
void cmd_blpop(CommandContext& ctx) {
    BlockedState how;
    how.pop_left = true;
    block_or_serve(ctx, ctx.argv.subspan(1, ctx.argc() - 2), ctx.arg(ctx.argc() - 1), std::move(how));
}

void cmd_brpop(CommandContext& ctx) {
    BlockedState how;
    how.pop_left = false;
    block_or_serve(ctx, ctx.argv.subspan(1, ctx.argc() - 2), ctx.arg(ctx.argc() - 1), std::move(how));
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
void cmd_blmove(CommandContext& ctx) {
    BlockedState how;
    if (!parse_list_side(ctx.arg(3), how.pop_left) || !parse_list_side(ctx.arg(4), how.push_left))
        return ctx.syntax_error();
    how.target = ctx.arg(2);
    block_or_serve(ctx, ctx.argv.subspan(1, 1), ctx.arg(5), std::move(how));
}

// BRPOPLPUSH source destination timeout (= BLMOVE source destination RIGHT LEFT)
void cmd_brpoplpush(CommandContext& ctx) {
    BlockedState how;
    how.pop_left = false;
    how.push_left = true;
    how.target = ctx.arg(2);
    block_or_serve(ctx, ctx.argv.subspan(1, 1), ctx.arg(3), std::move(how));
}

// --- the registry of blocked clients --------------------------------------------------------

// Registering a waiter: the client joins the FIFO of every key it waits on (BLPOP a b c waits on
// three), and a deadline, if any, goes into an ordered multimap so the tick finds expired waits by
// looking at its front only. Nothing is replied: the client's reply simply comes later.
void Broker::block_client(Client& client) {
    // A deque per key, appended at the back and served from the front: the client that waited longest
    // is served first (as in Redis, and what makes BRPOP workers share a queue fairly). The
    // duplicate check covers "BLPOP q q 0", which names one key twice.
    auto& waiting = blocked_keys[static_cast<size_t>(client.blocked.db)];
    for (const std::string& key : client.blocked.keys) {
        auto& queue = waiting[key];
        if (std::find(queue.begin(), queue.end(), &client) == queue.end()) queue.push_back(&client);
    }
    if (client.blocked.deadline_ms) block_deadlines.emplace(client.blocked.deadline_ms, &client);
}

// The inverse, from wherever a wait ends (served, timed out, WAIT satisfied, disconnect). The client
// is queued in unblocked_clients because it may have pipelined more commands behind the blocking
// one; those run now, in order, as if the wait had been an ordinary slow command.
void Broker::unblock_client(Client& client) {
    if (!client.blocked.active) return;
    auto& waiting = blocked_keys[static_cast<size_t>(client.blocked.db)];
    for (const std::string& key : client.blocked.keys) {
        auto it = waiting.find(key);
        if (it == waiting.end()) continue;
        std::erase(it->second, &client);
        if (it->second.empty()) waiting.erase(it);
    }
    for (auto [it, end] = block_deadlines.equal_range(client.blocked.deadline_ms); it != end; ++it) {
        if (it->second == &client) {
            block_deadlines.erase(it);
            break;
        }
    }
    if (client.blocked.kind == BlockKind::replicas) std::erase(repl.waiting, &client);  // WAIT
    client.blocked = BlockedState{};
    if (!client.closed) unblocked_clients.push_back(&client);  // run what it sent meanwhile
}

// Only a mark, deduplicated: serving happens after the current command (and its whole MULTI) has
// finished, so a waiter never sees a half-applied transaction, and a key pushed to twice in one
// command is served once.
void Broker::signal_key_ready(int db, std::string_view key) {
    auto& waiting = blocked_keys[static_cast<size_t>(db)];
    if (waiting.empty() || !waiting.contains(std::string(key))) return;
    for (const auto& [d, k] : ready_keys)
        if (d == db && k == key) return;
    ready_keys.emplace_back(db, std::string(key));
}

// One waiting list popper: pops (or moves) an element for it if the key holds a non-empty list.
// The reply goes straight into the waiter's output buffer (Reply over client.out) - it is not the
// client whose command is running - and want_write makes sure it is sent at the end of the turn.
bool Broker::serve_list_waiter(int db_index, const std::string& key, Client& client) {
    if (client.blocked.mpop) return serve_list_mpop_waiter(*this, db_index, key, client);
    Database& database = db(db_index);
    Value* v = database.find(key);
    List* list = v ? v->list() : nullptr;
    if (!list || list->empty()) return false;
    BlockedState how = client.blocked;
    unblock_client(client);
    Reply reply(client.out, client.protocol);
    want_write(client);
    if (how.target.empty()) {
        std::string element = list_pop(*list, how.pop_left);
        if (list->empty()) database.remove(key);
        key_modified(db_index, key);
        std::string_view pop[] = {how.pop_left ? "LPOP" : "RPOP", key};
        propagate(db_index, pop);
        reply.array(2);
        reply.bulk(key);
        reply.bulk(element);
        return true;
    }
    Value* target_value = database.find(how.target);
    // BLMOVE's destination became a non-list while the client waited: it gets WRONGTYPE and stops
    // waiting, and the source list keeps its element.
    if (target_value && !target_value->list()) {
        reply.error(errors::kWrongType);
        return true;
    }
    std::string element = list_pop(*list, how.pop_left);
    if (list->empty()) database.remove(key);
    key_modified(db_index, key);
    target_value = database.find(how.target);
    List* target = target_value ? target_value->list() : database.set(how.target, Value::of<List>()).list();
    list_push(*this, db_index, how.target, *target, element, how.push_left);
    key_modified(db_index, how.target);
    std::string_view move[] = {"LMOVE", key, how.target, how.pop_left ? "LEFT" : "RIGHT",
                               how.push_left ? "LEFT" : "RIGHT"};
    propagate(db_index, move);
    reply.bulk(element);
    return true;
}

void Broker::serve_ready_keys() {
    while (!ready_keys.empty()) {
        // Serving can make more keys ready (BLMOVE pushes to its destination, which may have waiters of
        // its own), hence the outer loop until nothing is left to serve.
        auto ready = std::move(ready_keys);
        ready_keys.clear();
        for (auto& [db_index, key] : ready) {
            auto& waiting = blocked_keys[static_cast<size_t>(db_index)];
            auto it = waiting.find(key);
            if (it == waiting.end()) continue;
            // A copy: serving unblocks clients, which edits the queue.
            std::vector<Client*> queue(it->second.begin(), it->second.end());
            // Each waiter is asked in turn; a list with one element serves the first popper and the rest
            // find it empty and keep waiting. So one LPUSH of three elements serves three waiters, one
            // each, in arrival order.
            for (Client* client : queue) {
                if (!client->blocked.active || client->blocked.db != db_index) continue;
                switch (client->blocked.kind) {
                    case BlockKind::list:
                        serve_list_waiter(db_index, key, *client);
                        break;
                    case BlockKind::zset:
                        serve_zset_waiter(db_index, key, *client);
                        break;
                    case BlockKind::stream:
                        if (serve_blocked_stream_reader(*this, *client, key)) {
                            unblock_client(*client);
                            want_write(*client);
                        }
                        break;
                    case BlockKind::replicas:  // WAIT waits for ACKs, never on a key
                        break;
                }
            }
        }
    }
}

// From the tick: waits past their deadline get the timeout reply (nil / nil array), or for WAIT the
// number of replicas that did acknowledge - a timeout is an answer, not an error.
void Broker::expire_blocked_clients() {
    int64_t now = clock.now_ms();
    while (!block_deadlines.empty() && block_deadlines.begin()->first <= now) {
        Client& client = *block_deadlines.begin()->second;
        if (client.blocked.kind == BlockKind::replicas) {  // WAIT: answer how many made it
            wait_timed_out(client);
            unblock_client(client);
            want_write(client);
            continue;
        }
        bool move = !client.blocked.target.empty();
        unblock_client(client);
        Reply reply(client.out, client.protocol);
        move ? reply.null() : reply.null_array();  // timed out: nothing was popped
        want_write(client);
    }
}

int64_t Broker::next_block_deadline() const { return block_deadlines.empty() ? 0 : block_deadlines.begin()->first; }

// A loop, not one pass: running one unblocked client's pipelined commands can serve or block others.
void Broker::run_unblocked_clients() {
    while (!unblocked_clients.empty()) {
        auto clients_to_run = std::move(unblocked_clients);
        unblocked_clients.clear();
        for (Client* client : clients_to_run)
            if (!client->closed && !client->blocked.active) process_input(*client);
    }
}

}  // namespace miniredis
