// miniredis/commands/hashes.cpp
//
// Hash commands: a key holding field -> value pairs (t_hash.c) - an object's attributes, e.g. a
// user session {user: 42, cart: 3, last_seen: ...}, read and changed one field at a time instead
// of rewriting a whole serialized blob.
//
// CONCEPT: the hash, an object stored by field. Redis keeps small hashes packed (a listpack: a
// linear scan of one allocation beats a hash table's pointers for ten fields) and converts them
// past hash-max-listpack-entries / -value. miniredis keeps one structure per type and only
// *reports* the encoding Redis would use (model/encoding.hpp) - a deliberate simplification that
// keeps one code path per command; the RDB writer packs small hashes as Redis does.
// read_hash/write_hash below answer WRONGTYPE, and drop_if_empty deletes a key whose last field
// went: Redis never keeps an empty aggregate, so EXISTS stays truthful.
// The course notes list session management among Redis' use cases (§IV): a session is a hash with
// a TTL on the key - EXPIRE applies to the whole hash, never to one field in Redis 7.0.
// READ NEXT: model/value.hpp, model/encoding.cpp, docs/miniredis/README.md (concept map).
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <vector>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "commands/scan.hpp"
#include "model/glob.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {
namespace {

// The hash at `key` for reading: nullptr if absent; `ok` is false after a WRONGTYPE reply.
// A hash is a Dict<SmallString, SmallString> (model/dict.hpp) from its first field on. The listpack
// limits the header mentions are hash-max-listpack-entries (512 built in, 128 in the shipped
// redis.conf) and hash-max-listpack-value (64 bytes); why we keep one structure anyway is in
// docs/miniredis/03-left-out-and-exercises.md.
Hash* read_hash(CommandContext& ctx, std::string_view key, bool& ok) {
    return ctx.existing(ctx.lookup_read(key), &CommandContext::as_hash, ok);
}

// The hash at `key` for writing, created empty if absent; nullptr after a WRONGTYPE reply.
Hash* write_hash(CommandContext& ctx, std::string_view key) {
    Value* v = ctx.lookup_write(key);
    if (!v) return ctx.db().set(key, Value::of<Hash>()).hash();
    return ctx.as_hash(v);
}

// A hash left empty is deleted: Redis never keeps empty containers.
void drop_if_empty(CommandContext& ctx, std::string_view key, Hash* h) {
    if (h->empty()) ctx.db().remove(key);
}

}  // namespace

// HSET key field value [field value ...]: replies how many fields were *new* (an update counts 0),
// which is how a client tells "created" from "changed". HMSET is the old spelling (replies OK).
void cmd_hset(CommandContext& ctx) {
    // "HSET k f" or "HSET k f v f2": the table's arity (-4) only says "at least four words", so the
    // pairing is checked here, and answered with the arity error as Redis does.
    if (ctx.argc() % 2 != 0) return ctx.wrong_arity();
    Hash* h = write_hash(ctx, ctx.arg(1));
    if (!h) return;
    int64_t created = 0;
    for (size_t i = 2; i < ctx.argc(); i += 2) {
        // One lookup per field: insert() returns the existing entry or a new empty one, and we assign the
        // value either way - no find-then-insert double hashing.
        auto [entry, is_new] = h->insert(ctx.arg(i));
        entry->value.assign(ctx.arg(i + 1));
        created += is_new ? 1 : 0;
    }
    // Always a change, even when every value written equals the old one: Redis does not compare old
    // and new values (a memcmp per field for a rare case), so WATCH fires and the AOF gets the HSET.
    ctx.modified(ctx.arg(1));
    // HMSET is the pre-4.0 spelling of the same thing, and answers OK.
    if (ctx.command.name == "hmset")
        ctx.reply.ok();
    else
        ctx.reply.integer(created);
}

// HSETNX: set a field only if absent - a per-field lock or "first writer wins" within one object.
void cmd_hsetnx(CommandContext& ctx) {
    Hash* h = write_hash(ctx, ctx.arg(1));
    if (!h) return;
    auto [entry, is_new] = h->insert(ctx.arg(2));
    if (!is_new) return ctx.reply.integer(0);
    entry->value.assign(ctx.arg(3));
    ctx.modified(ctx.arg(1));
    ctx.reply.integer(1);
}

// HGET: O(1). Nil for a missing key and a missing field alike - clients cannot (and need not) tell
// them apart; HEXISTS or EXISTS does, if it matters.
void cmd_hget(CommandContext& ctx) {
    bool ok;
    Hash* h = read_hash(ctx, ctx.arg(1), ok);
    if (!ok) return;
    auto* e = h ? h->find(ctx.arg(2)) : nullptr;
    if (e)
        ctx.reply.bulk(e->value);
    else
        ctx.reply.null();
}

// HMGET: several fields in one round trip; absent fields are nil in their place, so the reply lines
// up with the request.
void cmd_hmget(CommandContext& ctx) {
    bool ok;
    Hash* h = read_hash(ctx, ctx.arg(1), ok);
    if (!ok) return;
    ctx.reply.array(ctx.argc() - 2);
    for (size_t i = 2; i < ctx.argc(); ++i) {
        auto* e = h ? h->find(ctx.arg(i)) : nullptr;
        if (e)
            ctx.reply.bulk(e->value);
        else
            ctx.reply.null();
    }
}

// HDEL: the key goes with its last field (drop_if_empty), and WATCH sees the change once.
void cmd_hdel(CommandContext& ctx) {
    Value* v = ctx.lookup_write(ctx.arg(1));
    if (!v) return ctx.reply.integer(0);
    Hash* h = ctx.as_hash(v);
    if (!h) return;
    // Fields that are absent simply do not count: HDEL k a b on a hash holding only a replies 1.
    int64_t deleted = 0;
    for (size_t i = 2; i < ctx.argc(); ++i) deleted += h->erase(ctx.arg(i)) ? 1 : 0;
    if (deleted) {
        drop_if_empty(ctx, ctx.arg(1), h);
        ctx.modified(ctx.arg(1));
    }
    ctx.reply.integer(deleted);
}

// HEXISTS, HLEN, HSTRLEN: O(1) reads; a missing key behaves like an empty hash (0), never nil.
void cmd_hexists(CommandContext& ctx) {
    bool ok;
    Hash* h = read_hash(ctx, ctx.arg(1), ok);
    if (ok) ctx.reply.integer(h && h->find(ctx.arg(2)) ? 1 : 0);
}

void cmd_hlen(CommandContext& ctx) {
    bool ok;
    Hash* h = read_hash(ctx, ctx.arg(1), ok);
    if (ok) ctx.reply.integer(h ? static_cast<int64_t>(h->size()) : 0);
}

// HSTRLEN: the value's length in bytes without transferring it - 0 for a missing field or key.
void cmd_hstrlen(CommandContext& ctx) {
    bool ok;
    Hash* h = read_hash(ctx, ctx.arg(1), ok);
    if (!ok) return;
    auto* e = h ? h->find(ctx.arg(2)) : nullptr;
    ctx.reply.integer(e ? static_cast<int64_t>(e->value.size()) : 0);
}

// HGETALL, HKEYS, HVALS: what to emit per field. HGETALL is a map: RESP3 sends it as %N so a client
// builds a dictionary directly; RESP2 as a flat array field, value, field, value. Order is the
// hash table's - clients must not rely on it (Redis' small hashes happen to keep insertion order).
static void hash_listing(CommandContext& ctx, bool keys, bool values) {
    bool ok;
    Hash* h = read_hash(ctx, ctx.arg(1), ok);
    if (!ok) return;
    size_t n = h ? h->size() : 0;
    if (keys && values)
        ctx.reply.map(n);
    else
        ctx.reply.array(n);
    if (!h) return;
    h->for_each([&](const Hash::Entry& e) {
        if (keys) ctx.reply.bulk(e.key);
        if (values) ctx.reply.bulk(e.value);
    });
}

void cmd_hgetall(CommandContext& ctx) { hash_listing(ctx, true, true); }
void cmd_hkeys(CommandContext& ctx) { hash_listing(ctx, true, false); }
void cmd_hvals(CommandContext& ctx) { hash_listing(ctx, false, true); }

// HINCRBY: a counter inside a hash - e.g. per-page views under one key "views:2024-06-01". A field
// that is not a number is an error; a missing one counts as 0.
void cmd_hincrby(CommandContext& ctx) {
    auto increment = ctx.int_arg(3);
    if (!increment) return;
    Hash* h = write_hash(ctx, ctx.arg(1));
    if (!h) return;
    auto [entry, is_new] = h->insert(ctx.arg(2));
    int64_t current = 0;
    // Its own error text, not INCR's "value is not an integer or out of range": Redis' t_hash.c
    // words it so, and the difference tells a user the *stored field* is the problem, not the argument.
    if (!is_new) {
        auto parsed = parse_int64(entry->value);
        if (!parsed) return ctx.reply.error("ERR hash value is not an integer");
        current = *parsed;
    }
    if ((*increment < 0 && current < 0 && *increment < LLONG_MIN - current) ||
        (*increment > 0 && current > 0 && *increment > LLONG_MAX - current)) {
        // An overflow must leave the data as it was: the field insert() has just created is taken back, and
        // a hash created for it (write_hash) is deleted again, so a failed command changes nothing.
        if (is_new) h->erase(ctx.arg(2));
        drop_if_empty(ctx, ctx.arg(1), h);
        return ctx.reply.error(errors::kOverflow);
    }
    int64_t result = current + *increment;
    char buf[24];
    entry->value.assign(format_int64(result, buf));
    ctx.modified(ctx.arg(1));
    ctx.reply.integer(result);
}

// HINCRBYFLOAT: the same as INCRBYFLOAT in strings.cpp, for one field - long double arithmetic,
// NaN/Infinity refused. The increment is parsed before the hash is touched, so a bad increment
// cannot create an empty hash.
void cmd_hincrbyfloat(CommandContext& ctx) {
    auto increment = parse_long_double(ctx.arg(3));
    if (!increment) return ctx.reply.error(errors::kNotFloat);
    Hash* h = write_hash(ctx, ctx.arg(1));
    if (!h) return;
    auto [entry, is_new] = h->insert(ctx.arg(2));
    long double current = 0;
    if (!is_new) {
        auto parsed = parse_long_double(entry->value);
        if (!parsed) return ctx.reply.error("ERR hash value is not a float");
        current = *parsed;
    }
    long double result = current + *increment;
    if (std::isnan(result) || std::isinf(result)) {
        if (is_new) h->erase(ctx.arg(2));
        drop_if_empty(ctx, ctx.arg(1), h);
        return ctx.reply.error("ERR increment would produce NaN or Infinity");
    }
    char buf[kLongDoubleBufferSize];
    std::string_view text = format_long_double(result, buf, sizeof buf);
    entry->value.assign(text);
    ctx.modified(ctx.arg(1));
    ctx.reply.bulk(text);
    // Logged as the resulting value: replaying float additions could round differently.
    ctx.rewrite_as({"HSET", ctx.arg(1), ctx.arg(2), text});
}

// HSCAN key cursor [MATCH p] [COUNT n]: the hash's own Dict scanned with the same cursor logic as
// SCAN; replies field, value pairs.
void cmd_hscan(CommandContext& ctx) {
    uint64_t cursor;
    ScanOptions options;
    if (!parse_scan_cursor(ctx, 2, cursor) || !parse_scan_options(ctx, 3, false, options)) return;
    bool ok;
    Hash* h = read_hash(ctx, ctx.arg(1), ok);
    if (!ok) return;
    // No key: cursor 0 and no elements - "the scan is complete", the same answer as for an empty hash.
    if (!h) {
        reply_scan_cursor(ctx, 0);
        return ctx.reply.array(0);
    }
    // Redis answers a small (listpack) hash in one step with cursor 0, whatever COUNT says; ours is
    // always a table, so a small hash may take a few calls. Both keep SCAN's contract - every field
    // present throughout is returned at least once - and clients loop until cursor 0 anyway.
    // Copies, not pointers: the reply is written after the whole step, and the entries are small.
    std::vector<std::pair<std::string, std::string>> found;
    cursor = scan_dict(*h, cursor, options.count, [&](const Hash::Entry& e) {
        if (!options.pattern.empty() && !glob_match(options.pattern, e.key)) return 1;
        found.emplace_back(e.key.view(), e.value.view());
        return 1;
    });
    reply_scan_cursor(ctx, cursor);
    ctx.reply.array(found.size() * 2);
    for (auto& [field, value] : found) {
        ctx.reply.bulk(field);
        ctx.reply.bulk(value);
    }
}

// HRANDFIELD key [count [WITHVALUES]]: count > 0 distinct fields, count < 0 may repeat.
// The three random commands (SRANDMEMBER, HRANDFIELD, ZRANDMEMBER) share Redis' count convention -
// positive distinct, negative with repeats - so a client learns it once; none of them is logged,
// since they change nothing.
void cmd_hrandfield(CommandContext& ctx) {
    bool with_values = false;
    std::optional<int64_t> count;
    if (ctx.argc() >= 3) {
        count = ctx.int_arg(2);
        if (!count) return;
        if (ctx.argc() == 4) {
            if (!equals_ignore_case(ctx.arg(3), "WITHVALUES")) return ctx.syntax_error();
            with_values = true;
        } else if (ctx.argc() > 4) {
            return ctx.syntax_error();
        }
    }
    bool ok;
    Hash* h = read_hash(ctx, ctx.arg(1), ok);
    if (!ok) return;
    // Without a count: one field name or nil. With a count the reply is always an array (empty when
    // the key does not exist or count is 0).
    if (!count) {
        if (!h) return ctx.reply.null();
        return ctx.reply.bulk(h->random_entry(ctx.server.random)->key);
    }
    if (!h || *count == 0) return ctx.reply.array(0);
    // A huge negative count would ask for billions of repeats: bound the reply's memory.
    if (*count < -kMaxRandomCount) return ctx.reply.error("ERR value is out of range");
    std::vector<const Hash::Entry*> picked;
    if (*count < 0) {
        uint64_t n = static_cast<uint64_t>(-*count);
        for (uint64_t i = 0; i < n; ++i) picked.push_back(h->random_entry(ctx.server.random));
    } else {
        // count > 0: distinct fields. A partial Fisher-Yates shuffle of all the entries' pointers: the first
        // n positions are each swapped with a random later one, so every subset is equally likely. O(N) in
        // the hash size, where Redis picks one of several strategies by the ratio count / size; simpler,
        // and still bounded by the hash we already hold in memory.
        h->for_each([&](const Hash::Entry& e) { picked.push_back(&e); });
        size_t n = std::min<size_t>(static_cast<size_t>(*count), picked.size());
        for (size_t i = 0; i < n; ++i) std::swap(picked[i], picked[i + ctx.server.random.below(picked.size() - i)]);
        picked.resize(n);
    }
    // RESP3 returns [field, value] pairs; RESP2 a flat list.
    ctx.reply.array(with_values && !ctx.reply.resp3() ? picked.size() * 2 : picked.size());
    for (const Hash::Entry* e : picked) {
        if (with_values && ctx.reply.resp3()) ctx.reply.array(2);
        ctx.reply.bulk(e->key);
        if (with_values) ctx.reply.bulk(e->value);
    }
}

}  // namespace miniredis
