// miniredis/commands/sets.cpp
//
// Set commands: a key holding unique members (t_set.c) - tags, "who is online", unique visitors -
// with membership tests in O(1) and set algebra (SINTER, SUNION, SDIFF) across keys.
//
// CONCEPT: the set, and algebra across keys. Redis stores small sets of integers as an intset
// (sorted integers, binary search); miniredis keeps a hash table and reports "intset" where Redis
// would (model/encoding.hpp); storage/intset.cpp reads and writes that form in RDB files.
// SINTER starts from the smallest set and tests membership in the others, so its cost follows the
// smallest input, as in Redis. The *STORE variants write their result as a new key and are
// propagated as they are: the result is deterministic, unlike SPOP, which is logged as the SREM
// of what it actually removed (a replay must remove the same members, not other random ones).
// READ NEXT: model/value.hpp, zset_algebra.cpp (the sorted-set counterpart).
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "commands/scan.hpp"
#include "model/glob.hpp"

namespace miniredis {
namespace {

// A set is a Dict<SmallString, Empty> (model/value.hpp): a hash table whose values take no space,
// so SADD, SREM and SISMEMBER are O(1) - the reason to pick a set over a list when the question is
// "is x in it?".
Set* read_set(CommandContext& ctx, std::string_view key, bool& ok) {
    return ctx.existing(ctx.lookup_read(key), &CommandContext::as_set, ok);
}

Set* existing_set_for_write(CommandContext& ctx, std::string_view key, bool& ok) {
    return ctx.existing(ctx.lookup_write(key), &CommandContext::as_set, ok);
}

// A copy of the members, for commands that shuffle or reorder them without touching the set.
std::vector<std::string> members_of(const Set& set) {
    std::vector<std::string> out;
    out.reserve(set.size());
    set.for_each([&](const Set::Entry& e) { out.emplace_back(e.key.view()); });
    return out;
}

// Stores `members` as the set at `key` (deleting the key when empty), for the *STORE commands.
void store_set(CommandContext& ctx, std::string_view key, const std::vector<std::string>& members) {
    Database& db = ctx.db();
    bool existed = db.find(key) != nullptr;
    if (members.empty()) {
        if (existed) {
            db.remove(key);
            ctx.modified(key);
        }
        return;
    }
    // db.set replaces whatever the destination held - even a key of another type: a *STORE command
    // overwrites its destination, it does not merge into it (and drops its TTL, as Redis does).
    Set* set = db.set(key, Value::of<Set>()).set();
    for (const std::string& m : members) set->insert(m);
    ctx.modified(key);
}

// Set algebra. SINTER walks the smallest set and tests membership in the others: O(smallest * n)
// instead of O(sum of sizes) - the classic "tags in common" query stays cheap even when one of
// the sets is huge.
enum class Algebra { inter, uni, diff };

// SINTER/SUNION/SDIFF over keys[]: missing keys are empty sets; any non-set is WRONGTYPE.
// All keys are looked up (and type-checked) before any work starts: one WRONGTYPE key fails the
// whole command with nothing computed, the same as in Redis.
bool combine(CommandContext& ctx, std::span<const std::string_view> keys, Algebra op, std::vector<std::string>& out) {
    std::vector<Set*> sets;
    for (std::string_view key : keys) {
        bool ok;
        Set* s = read_set(ctx, key, ok);
        if (!ok) return false;
        sets.push_back(s);
    }
    switch (op) {
        case Algebra::inter: {
            if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) return true;  // one is empty
            // Walk the smallest set, test membership in the others.
            auto smallest =
                std::min_element(sets.begin(), sets.end(), [](Set* a, Set* b) { return a->size() < b->size(); });
            (*smallest)->for_each([&](const Set::Entry& e) {
                for (Set* other : sets)
                    if (other != *smallest && !other->find(e.key)) return;
                out.emplace_back(e.key.view());
            });
            return true;
        }
        case Algebra::uni: {
            // SUNION: O(sum of sizes). A scratch Set removes the duplicates; `out` keeps the first-seen order.
            Set seen;
            for (Set* s : sets)
                if (s)
                    s->for_each([&](const Set::Entry& e) {
                        if (seen.insert(e.key).second) out.emplace_back(e.key.view());
                    });
            return true;
        }
        case Algebra::diff: {
            // SDIFF: the first set minus all the others - O(size of the first * number of keys). A missing
            // first key is an empty result whatever the others hold.
            if (!sets[0]) return true;
            sets[0]->for_each([&](const Set::Entry& e) {
                for (size_t i = 1; i < sets.size(); ++i)
                    if (sets[i] && sets[i]->find(e.key)) return;
                out.emplace_back(e.key.view());
            });
            return true;
        }
    }
    return true;
}

// The *STORE variants take the destination as arg 1 and reply with the size of the stored set; the
// plain ones reply with the members, as a RESP3 set (~N) or, in RESP2, a plain array.
void algebra_command(CommandContext& ctx, Algebra op, bool store) {
    // The result is computed into `result` before the destination is touched, so the destination
    // may be one of the sources: SINTERSTORE a a b is "keep in a what b also has".
    auto keys = ctx.argv.subspan(store ? 2 : 1);
    std::vector<std::string> result;
    if (!combine(ctx, keys, op, result)) return;
    if (store) {
        store_set(ctx, ctx.arg(1), result);
        return ctx.reply.integer(static_cast<int64_t>(result.size()));
    }
    ctx.reply.set(result.size());
    for (const std::string& m : result) ctx.reply.bulk(m);
}

}  // namespace

// SADD replies how many members were new, so "SADD visitors:today user42" doubles as "first visit
// today?" in one round trip.
void cmd_sadd(CommandContext& ctx) {
    std::string_view key = ctx.arg(1);
    bool ok;
    Set* set = existing_set_for_write(ctx, key, ok);
    if (!ok) return;
    if (!set) set = ctx.db().set(key, Value::of<Set>()).set();
    int64_t added = 0;
    for (size_t i = 2; i < ctx.argc(); ++i) added += set->insert(ctx.arg(i)).second ? 1 : 0;
    // Nothing new, nothing modified: a repeated SADD does not touch WATCHers or the AOF.
    if (added) ctx.modified(key);
    ctx.reply.integer(added);
}

// SREM: the count of members actually removed; the key goes with its last member.
void cmd_srem(CommandContext& ctx) {
    std::string_view key = ctx.arg(1);
    bool ok;
    Set* set = existing_set_for_write(ctx, key, ok);
    if (!ok) return;
    if (!set) return ctx.reply.integer(0);
    int64_t removed = 0;
    for (size_t i = 2; i < ctx.argc(); ++i) removed += set->erase(ctx.arg(i)) ? 1 : 0;
    if (removed) {
        if (set->empty()) ctx.db().remove(key);
        ctx.modified(key);
    }
    ctx.reply.integer(removed);
}

// SMEMBERS is SINTER of one key: the same code path, so both reply in the same (hash table) order.
void cmd_smembers(CommandContext& ctx) { algebra_command(ctx, Algebra::inter, false); }

// SISMEMBER: the reason to use a set - membership in O(1), where LPOS on a list is O(n).
void cmd_sismember(CommandContext& ctx) {
    bool ok;
    Set* set = read_set(ctx, ctx.arg(1), ok);
    if (ok) ctx.reply.integer(set && set->find(ctx.arg(2)) ? 1 : 0);
}

// SMISMEMBER (6.2): one 0/1 per asked member, in the order asked - SISMEMBER for a batch.
void cmd_smismember(CommandContext& ctx) {
    bool ok;
    Set* set = read_set(ctx, ctx.arg(1), ok);
    if (!ok) return;
    ctx.reply.array(ctx.argc() - 2);
    for (size_t i = 2; i < ctx.argc(); ++i) ctx.reply.integer(set && set->find(ctx.arg(i)) ? 1 : 0);
}

// SCARD: O(1); the table keeps its count.
void cmd_scard(CommandContext& ctx) {
    bool ok;
    Set* set = read_set(ctx, ctx.arg(1), ok);
    if (ok) ctx.reply.integer(set ? static_cast<int64_t>(set->size()) : 0);
}

// SPOP key [count]: removes random members. Logged as SREM of exactly those members, so the AOF
// replays the same removal instead of picking other random members.
// (The AOF must never replay randomness: the random choice is made once, here, and what is logged
// is its result.)
void cmd_spop(CommandContext& ctx) {
    if (ctx.argc() > 3) return ctx.syntax_error();
    std::optional<int64_t> count;
    if (ctx.argc() == 3) {
        count = ctx.positive_int_arg(2);
        if (!count) return;
    }
    std::string_view key = ctx.arg(1);
    bool ok;
    Set* set = existing_set_for_write(ctx, key, ok);
    if (!ok) return;
    if (!set) return count ? ctx.reply.set(0) : ctx.reply.null();
    if (count && *count == 0) return ctx.reply.set(0);
    size_t n = count ? std::min<size_t>(static_cast<size_t>(*count), set->size()) : 1;
    std::vector<std::string> popped;
    // One random pick at a time, each erased at once so it cannot be picked twice. random_entry picks
    // a random non-empty bucket, then a random entry in its chain, as Redis' dictGetRandomKey (its
    // sets use dictGetFairRandomKey, fairer over long chains; at load factor <= 1 chains are short).
    while (popped.size() < n) {
        auto* e = set->random_entry(ctx.server.random);
        popped.emplace_back(e->key.view());
        set->erase(popped.back());
    }
    // When the pop takes every member, Redis logs a DEL of the key (spopWithCountCommand); an SREM
    // of all of them has the same effect on replay, so one rule covers both cases here.
    if (set->empty()) ctx.db().remove(key);
    ctx.modified(key);
    ctx.rewrite_as({"SREM", key});
    for (const std::string& m : popped) ctx.rewritten.push_back(m);
    // Without a count one member as a bulk string (nil for a missing key, above); with a count a
    // RESP3 set, even of one member - the shape follows the *form* of the call, not the result, so a
    // client never has to guess which it got.
    if (!count) return ctx.reply.bulk(popped.front());
    ctx.reply.set(popped.size());
    for (const std::string& m : popped) ctx.reply.bulk(m);
}

// SRANDMEMBER key [count]: count > 0 distinct members, count < 0 may repeat.
void cmd_srandmember(CommandContext& ctx) {
    if (ctx.argc() > 3) return ctx.syntax_error();
    std::optional<int64_t> count;
    if (ctx.argc() == 3) {
        count = ctx.int_arg(2);
        if (!count) return;
    }
    bool ok;
    Set* set = read_set(ctx, ctx.arg(1), ok);
    if (!ok) return;
    // Unlike SPOP, a negative count is allowed here: -5 means "five picks, repeats allowed", each an
    // independent draw - so the reply may hold more members than the set has.
    if (!count) return set ? ctx.reply.bulk(set->random_entry(ctx.server.random)->key) : ctx.reply.null();
    if (!set || *count == 0) return ctx.reply.array(0);
    // A negative count is not bounded by the set's size, so it is bounded here: without the cap,
    // SRANDMEMBER k -1000000000000 would build a reply no memory can hold (Redis 7 has the same
    // check, and the same error text).
    if (*count < -kMaxRandomCount) return ctx.reply.error("ERR value is out of range");
    if (*count < 0) {
        auto n = static_cast<size_t>(-*count);
        ctx.reply.array(n);
        for (size_t i = 0; i < n; ++i) ctx.reply.bulk(set->random_entry(ctx.server.random)->key);
        return;
    }
    // count > 0: distinct members, by a partial Fisher-Yates shuffle of a copy (as in HRANDFIELD).
    std::vector<std::string> members = members_of(*set);
    size_t n = std::min<size_t>(static_cast<size_t>(*count), members.size());
    for (size_t i = 0; i < n; ++i) std::swap(members[i], members[i + ctx.server.random.below(members.size() - i)]);
    ctx.reply.array(n);
    for (size_t i = 0; i < n; ++i) ctx.reply.bulk(members[i]);
}

void cmd_sinter(CommandContext& ctx) { algebra_command(ctx, Algebra::inter, false); }
void cmd_sunion(CommandContext& ctx) { algebra_command(ctx, Algebra::uni, false); }
void cmd_sdiff(CommandContext& ctx) { algebra_command(ctx, Algebra::diff, false); }
void cmd_sinterstore(CommandContext& ctx) { algebra_command(ctx, Algebra::inter, true); }
void cmd_sunionstore(CommandContext& ctx) { algebra_command(ctx, Algebra::uni, true); }
void cmd_sdiffstore(CommandContext& ctx) { algebra_command(ctx, Algebra::diff, true); }

// SINTERCARD numkeys key [key ...] [LIMIT limit] (Redis 7.0): only the size of the intersection,
// capped at LIMIT - "do these two users share at least 3 interests?" without sending the members.
// Where we differ: Redis stops walking once LIMIT members are found; we build the whole
// intersection with combine() and clamp the count. Same reply, more work on big sets - an
// exercise: give combine() a limit and stop the walk early.
void cmd_sintercard(CommandContext& ctx) {
    // numkeys comes first so the keys can be told from the options: a key named "LIMIT" is still a
    // key when it lies within numkeys. The same shape as ZINTERCARD, LMPOP, ZMPOP and EVAL.
    auto numkeys = ctx.int_arg(1);
    if (!numkeys) return;
    if (*numkeys <= 0) return ctx.reply.error("ERR numkeys should be greater than 0");
    if (*numkeys > static_cast<int64_t>(ctx.argc() - 2))
        return ctx.reply.error("ERR Number of keys can't be greater than number of args");
    int64_t limit = 0;
    for (size_t j = 2 + static_cast<size_t>(*numkeys); j < ctx.argc(); j += 2) {
        if (!equals_ignore_case(ctx.arg(j), "LIMIT") || j + 1 >= ctx.argc()) return ctx.syntax_error();
        auto n = ctx.int_arg(j + 1);
        if (!n) return;
        if (*n < 0) return ctx.reply.error("ERR LIMIT can't be negative");
        limit = *n;
    }
    std::vector<std::string> result;
    if (!combine(ctx, ctx.argv.subspan(2, static_cast<size_t>(*numkeys)), Algebra::inter, result)) return;
    int64_t n = static_cast<int64_t>(result.size());
    ctx.reply.integer(limit && n > limit ? limit : n);
}

// SMOVE source destination member: atomic - no client can see the member in both sets or in none.
void cmd_smove(CommandContext& ctx) {
    std::string_view from = ctx.arg(1), to = ctx.arg(2), member = ctx.arg(3);
    bool ok;
    Set* source = existing_set_for_write(ctx, from, ok);
    if (!ok) return;
    if (!source) return ctx.reply.integer(0);  // before the destination's type, as Redis checks
    Set* target = existing_set_for_write(ctx, to, ok);
    if (!ok) return;
    // A member not in the source: 0, and nothing changes. Moving onto the same key is a no-op that
    // still answers 1, because the member is (still) in the destination.
    // The moved member is logged by SMOVE itself: deterministic, and one command keeps the move atomic
    // on replay as well - an SREM + SADD pair could be cut in half by a torn AOF tail.
    if (!source->find(member)) return ctx.reply.integer(0);
    if (from == to) return ctx.reply.integer(1);
    source->erase(member);
    if (source->empty()) ctx.db().remove(from);
    if (!target) target = ctx.db().set(to, Value::of<Set>()).set();
    target->insert(member);
    ctx.modified(from);
    ctx.modified(to);
    ctx.reply.integer(1);
}

// SSCAN key cursor [MATCH p] [COUNT n]: the set's own Dict with SCAN's reverse-binary cursor
// (scan.hpp, model/dict.hpp). MATCH filters after the step, so a step may return nothing while
// the cursor is not yet 0 - the client must keep going until the cursor comes back as 0.
void cmd_sscan(CommandContext& ctx) {
    uint64_t cursor;
    ScanOptions options;
    if (!parse_scan_cursor(ctx, 2, cursor) || !parse_scan_options(ctx, 3, false, options)) return;
    bool ok;
    Set* set = read_set(ctx, ctx.arg(1), ok);
    if (!ok) return;
    std::vector<std::string> found;
    if (set) {
        cursor = scan_dict(*set, cursor, options.count, [&](const Set::Entry& e) {
            if (options.pattern.empty() || glob_match(options.pattern, e.key)) found.emplace_back(e.key.view());
            return 1;
        });
    } else {
        cursor = 0;
    }
    reply_scan_cursor(ctx, cursor);
    ctx.reply.array(found.size());
    for (const std::string& m : found) ctx.reply.bulk(m);
}

}  // namespace miniredis
