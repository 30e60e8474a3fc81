// miniredis/commands/mpop.cpp
//
// Pops from the first non-empty of several keys: LMPOP, ZMPOP, and the blocking pops that wait
// for one - BLMPOP, BZMPOP, BZPOPMIN, BZPOPMAX (Redis' t_list.c / t_zset.c + blocked.c).
//
// CONCEPT: a priority queue in a sorted set (score = priority or due time) is consumed with
// BZPOPMIN, as a plain queue in a list is with BLPOP: a worker waits without polling and gets the
// smallest element the moment one arrives. LMPOP/ZMPOP generalise the pop to "the first of these
// keys that has something" and to several elements at once:
//
//   BZMPOP 0 2 urgent normal MIN COUNT 10   ->  ["urgent", [["job7", "1"], ["job9", "2"]]]
//
// Waiting uses the registry in blocking.cpp; serving a waiter pops here with the same code as the
// immediate case. The AOF gets what was popped (LPOP key n / ZREM key members), never the wait.
// READ NEXT: blocking.cpp (the registry of blocked clients), streams.cpp (XREAD BLOCK).
#include <algorithm>
#include <climits>

#include "commands/blocking.hpp"
#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "commands/lists.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {
namespace {

// Pops up to `count` elements of a list and replies [key, [elements...]]; the key goes when empty.
void pop_list_reply(Broker& server, int db, Reply& reply, std::string_view key, List& list, bool left, int64_t count) {
    size_t n = std::min<size_t>(static_cast<size_t>(count), list.size());
    reply.array(2);
    reply.bulk(key);
    reply.array(n);
    for (size_t i = 0; i < n; ++i) reply.bulk(list_pop(list, left));
    // Logged as "LPOP key n" - the count form - whatever the client typed: replaying it pops exactly
    // the same elements from the same list, and a replica never has to understand LMPOP.
    std::string n_text = std::to_string(n);
    std::string_view pop[] = {left ? "LPOP" : "RPOP", key, n_text};
    server.propagate(db, pop);
    if (list.empty()) server.db(db).remove(key);
    server.key_modified(db, key);
}

// Pops from a sorted set. `mpop`: [key, [[member, score]...]]; else BZPOPMIN's [key, member, score].
void pop_zset_reply(Broker& server, int db, Reply& reply, std::string_view key, ZSet& z, bool max, int64_t count,
                    bool mpop) {
    size_t n = std::min<size_t>(static_cast<size_t>(count), z.size());
    // The members are collected for a ZREM: the AOF names what was popped, not "the smallest n", so a
    // replay that ran in a different order could not pop something else.
    std::vector<std::string> zrem = {"ZREM", std::string(key)};
    if (mpop) {
        reply.array(2);
        reply.bulk(key);
        reply.array(n);
    } else {
        reply.array(3);
        reply.bulk(key);
    }
    // Scores go out as doubles: a bulk string in RESP2 ("1"), a RESP3 double (",1") - the same
    // rule as ZPOPMIN's, so a client decodes both pops alike.
    for (size_t i = 0; i < n; ++i) {
        ZSet::Node* node = max ? z.last() : z.first();
        if (mpop) reply.array(2);
        reply.bulk(node->member);
        reply.double_value(node->score);
        zrem.emplace_back(node->member.view());
        z.erase(zrem.back());
    }
    std::vector<std::string_view> views(zrem.begin(), zrem.end());
    server.propagate(db, views);
    if (z.size() == 0) server.db(db).remove(key);
    server.key_modified(db, key);
}

// What LMPOP/ZMPOP and their blocking forms share, once parsed.
struct MpopArgs {
    std::vector<std::string_view> keys;
    bool from_end = false;  // RIGHT / MAX
    int64_t count = 1;
};

// numkeys key [key ...] LEFT|RIGHT (or MIN|MAX) [COUNT n], starting at argv[at].
bool parse_mpop(CommandContext& ctx, size_t at, std::string_view first_word, std::string_view second_word,
                MpopArgs& out) {
    // numkeys first, like SINTERCARD and ZUNION: a key may be named "LEFT" or "COUNT", and only
    // numkeys tells where the keys end and the options begin.
    auto numkeys = parse_int64(ctx.arg(at));
    if (!numkeys || *numkeys < 1) {
        ctx.reply.error("ERR numkeys should be greater than 0");
        return false;
    }
    // numkeys must leave room for the keys and the direction word after them; a numkeys larger than
    // the words that follow is a syntax error, never a read past argv.
    if (static_cast<uint64_t>(*numkeys) >= ctx.argc() - at) {
        ctx.syntax_error();
        return false;
    }
    size_t where = at + 1 + static_cast<size_t>(*numkeys);
    if (equals_ignore_case(ctx.arg(where), first_word)) {
        out.from_end = false;
    } else if (equals_ignore_case(ctx.arg(where), second_word)) {
        out.from_end = true;
    } else {
        ctx.syntax_error();
        return false;
    }
    // COUNT may appear once; a second one is a syntax error (Redis' rule), and it must be at least 1
    // ("count should be greater than 0").
    bool count_given = false;
    for (size_t j = where + 1; j < ctx.argc(); ++j) {
        if (!count_given && equals_ignore_case(ctx.arg(j), "COUNT") && j + 1 < ctx.argc()) {
            auto c = parse_int64(ctx.arg(++j));
            if (!c || *c < 1) {
                ctx.reply.error("ERR count should be greater than 0");
                return false;
            }
            out.count = *c;
            count_given = true;
        } else {
            ctx.syntax_error();
            return false;
        }
    }
    for (size_t k = at + 1; k < where; ++k) out.keys.push_back(ctx.arg(k));
    return true;
}

// Serves at once when some key has elements (true), else false; replies WRONGTYPE when a key on
// the way is of another type (then `ok` is false).
bool try_pop(CommandContext& ctx, BlockKind kind, const MpopArgs& a, bool mpop, bool& ok) {
    ok = true;
    ctx.suppress_propagation = true;  // pops propagate what they popped
    for (std::string_view key : a.keys) {
        Value* v = ctx.lookup_write(key);
        // Keys are tried in the order given, and the first non-empty one is popped - so the key order is a
        // priority: BLMPOP 0 2 urgent normal LEFT serves "urgent" first whenever it has work. A key of
        // another type on the way is WRONGTYPE, even if a later key would have served.
        if (!v) continue;
        if (kind == BlockKind::list) {
            List* list = ctx.as_list(v);
            if (!list) return !(ok = false);
            if (list->empty()) continue;
            pop_list_reply(ctx.server, ctx.client.db, ctx.reply, key, *list, !a.from_end, a.count);
        } else {
            ZSet* z = ctx.as_zset(v);
            if (!z) return !(ok = false);
            if (z->size() == 0) continue;
            pop_zset_reply(ctx.server, ctx.client.db, ctx.reply, key, *z, a.from_end, a.count, mpop);
        }
        return true;
    }
    return false;
}

// Nothing to pop: register the wait (blocking.cpp). The parsed direction and COUNT travel with the
// client, so the pop made on wake-up is the one it asked for.
void block_for(CommandContext& ctx, BlockKind kind, const MpopArgs& a, bool mpop, int64_t deadline) {
    // Inside MULTI/EXEC nobody can wait: "nothing", as a timeout would say. Waiting there would
    // stall EXEC - and with it the whole server, which runs EXEC to the end in one turn - for a push
    // that no other client could make meanwhile. Redis answers the same way (CLIENT_DENY_BLOCKING,
    // checked in t_list.c and t_zset.c before a client is blocked).
    if (ctx.server.in_exec) return ctx.reply.null_array();
    BlockedState how;
    how.active = true;
    how.kind = kind;
    how.db = ctx.client.db;
    how.deadline_ms = deadline;
    how.pop_left = !a.from_end;
    how.pop_max = a.from_end;
    how.count = a.count;
    how.mpop = mpop;
    how.keys.assign(a.keys.begin(), a.keys.end());
    ctx.client.blocked = std::move(how);
    ctx.server.block_client(ctx.client);
}

// LMPOP numkeys key... LEFT|RIGHT [COUNT n]; BLMPOP timeout numkeys ...; the same with MIN|MAX for
// ZMPOP/BZMPOP (Redis 7.0). The non-blocking forms answer nil when every key is empty.
void mpop_generic(CommandContext& ctx, BlockKind kind, bool blocking) {
    MpopArgs a;
    bool list = kind == BlockKind::list;
    if (!parse_mpop(ctx, blocking ? 2 : 1, list ? "LEFT" : "MIN", list ? "RIGHT" : "MAX", a)) return;
    std::optional<int64_t> deadline;
    if (blocking && !(deadline = parse_block_timeout(ctx, ctx.arg(1)))) return;
    bool ok;
    if (try_pop(ctx, kind, a, true, ok) || !ok) return;
    if (!blocking) return ctx.reply.null_array();
    block_for(ctx, kind, a, true, *deadline);
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout
// BZPOPMIN/BZPOPMAX (5.0): one element, replied as a flat [key, member, score] - the older shape,
// kept because clients parse it so; BZMPOP's reply nests the pairs instead.
void bzpop_generic(CommandContext& ctx, bool max) {
    // The timeout is the *last* word (as in BLPOP), so every word between the name and it is a key;
    // the table's key columns (1, -2) say the same to COMMAND GETKEYS and cluster clients.
    MpopArgs a;
    a.from_end = max;
    for (size_t k = 1; k + 1 < ctx.argc(); ++k) a.keys.push_back(ctx.arg(k));
    auto deadline = parse_block_timeout(ctx, ctx.arg(ctx.argc() - 1));
    if (!deadline) return;
    bool ok;
    if (try_pop(ctx, BlockKind::zset, a, false, ok) || !ok) return;
    block_for(ctx, BlockKind::zset, a, false, *deadline);
}

}  // namespace

void cmd_lmpop(CommandContext& ctx) { mpop_generic(ctx, BlockKind::list, false); }
void cmd_blmpop(CommandContext& ctx) { mpop_generic(ctx, BlockKind::list, true); }
void cmd_zmpop(CommandContext& ctx) { mpop_generic(ctx, BlockKind::zset, false); }
void cmd_bzmpop(CommandContext& ctx) { mpop_generic(ctx, BlockKind::zset, true); }
void cmd_bzpopmin(CommandContext& ctx) { bzpop_generic(ctx, false); }
void cmd_bzpopmax(CommandContext& ctx) { bzpop_generic(ctx, true); }

// A client blocked in BZPOPMIN/BZMPOP, now that `key` changed: served if it holds a non-empty
// sorted set.
bool Broker::serve_zset_waiter(int db_index, const std::string& key, Client& client) {
    Value* v = db(db_index).find(key);
    ZSet* z = v ? v->zset() : nullptr;
    if (!z || z->size() == 0) return false;
    // A copy of the wait's parameters: unblock_client() resets client.blocked. The reply goes to the
    // *waiter's* output buffer, in the waiter's protocol - the command running now is the pusher's.
    // Its pop is logged right after the push that caused it (serve_ready_keys runs at the end of the
    // pushing command), so a replay pushes and pops in the same order and ends in the same state.
    BlockedState how = client.blocked;
    unblock_client(client);
    Reply reply(client.out, client.protocol);
    want_write(client);
    pop_zset_reply(*this, db_index, reply, key, *z, how.pop_max, how.mpop ? how.count : 1, how.mpop);
    return true;
}

// A client blocked in BLMPOP: the list-popping twin of the above (BLPOP's waiters are served in
// blocking.cpp, which hands BLMPOP's here).
bool serve_list_mpop_waiter(Broker& server, int db_index, const std::string& key, Client& client) {
    Value* v = server.db(db_index).find(key);
    List* list = v ? v->list() : nullptr;
    if (!list || list->empty()) return false;
    BlockedState how = client.blocked;
    server.unblock_client(client);
    Reply reply(client.out, client.protocol);
    server.want_write(client);
    pop_list_reply(server, db_index, reply, key, *list, how.pop_left, how.count);
    return true;
}

}  // namespace miniredis
