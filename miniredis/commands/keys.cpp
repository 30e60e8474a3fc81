// miniredis/commands/keys.cpp
//
// Key commands: the keyspace as a whole - delete, test, rename, copy, iterate - and TTLs (db.c,
// expire.c). Any value type; these never look inside a value.
//
// TTLs are stored as absolute deadlines (Unix ms) in the database's `expires` table; EXPIRE and
// friends only compute the deadline. Two consequences worth a lecture minute:
//   - TTL/PTTL answer "-2" for a missing key and "-1" for a key without a TTL - clients rely on it;
//   - the AOF logs PEXPIREAT with the computed deadline, never the relative EXPIRE: replaying the
//     log an hour later must not give the key another full TTL.
// KEYS walks the whole keyspace in one go (it blocks every client meanwhile - fine for a lecture,
// dangerous with 10M keys); SCAN does the same work in small steps with a cursor (scan.hpp).
// REAL REDIS: db.c (keyspace), expire.c (TTLs). READ NEXT: model/database.hpp for the two tables.
//
// CONCEPT: keys and expiry, the caching half of the course notes. Expiry is two mechanisms that
// together keep memory bounded without a timer per key:
//   lazy    every access checks the deadline first (Database::expire_if_needed)
//   active  the tick samples keys with a TTL and deletes the expired ones (core/tick.cpp)
//         EXPIRE k 60 ──▶ expires[k] = now + 60 s ──▶ read after the deadline: gone (lazy)
//                                                  └─▶ never read again: the tick finds it (active)
// READ NEXT: model/database.hpp, core/tick.cpp, docs/miniredis/01-follow-a-set.md §9.
#include <fmt/format.h>

#include <climits>
#include <vector>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "commands/scan.hpp"
#include "model/glob.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

// DEL frees here; UNLINK (and DEL with lazyfree-lazy-user-del) unlinks here - the key is gone
// for every later command - and leaves freeing a big value to the lazy-free thread
// (core/lazy_free.hpp), so deleting a million-member set does not stall every other client.
static void delete_keys(CommandContext& ctx, bool lazy) {
    int64_t deleted = 0;
    for (size_t i = 1; i < ctx.argc(); ++i) {
        if (!ctx.lookup_write(ctx.arg(i))) continue;  // lazily expired keys do not count
        if (lazy) {
            ctx.server.lazy_free.free_value(std::move(*ctx.db().take(ctx.arg(i))));
        } else {
            ctx.db().remove(ctx.arg(i));
        }
        ctx.modified(ctx.arg(i));
        ++deleted;
    }
    ctx.reply.integer(deleted);
}

// DEL is O(M) in the elements of what it deletes (freeing a big hash means freeing each field);
// UNLINK is O(1) for the caller. Redis 7 leaves lazyfree-lazy-user-del off by default, so DEL
// stays synchronous unless the operator asks otherwise - the same default here.
void cmd_del(CommandContext& ctx) { delete_keys(ctx, ctx.server.config.lazyfree_lazy_user_del); }
// Both are logged as typed: DEL and UNLINK have the same effect on the data, and a replica or a
// replay then frees lazily or not according to its own settings - how the memory is returned is a
// local decision, not part of the data.
void cmd_unlink(CommandContext& ctx) { delete_keys(ctx, true); }

// EXISTS counts: "EXISTS a a" is 2 when a exists (Redis documents this, clients use it).
// lookup_read, not db().find: EXISTS counts as a keyspace hit or miss in INFO stats, as in Redis.
void cmd_exists(CommandContext& ctx) {
    int64_t found = 0;
    for (size_t i = 1; i < ctx.argc(); ++i) found += ctx.lookup_read(ctx.arg(i)) ? 1 : 0;
    ctx.reply.integer(found);
}

// TOUCH: how many of the keys exist. In Redis its point is to refresh a key's LRU/LFU clock without
// reading it; here db().find has the one side effect that matters for correctness - an expired key
// is deleted on the way (lazy expiry) and not counted.
void cmd_touch(CommandContext& ctx) {
    int64_t found = 0;
    for (size_t i = 1; i < ctx.argc(); ++i) found += ctx.db().find(ctx.arg(i)) ? 1 : 0;
    ctx.reply.integer(found);
}

// TYPE answers a simple string ("string", "list", "hash", "set", "zset", "stream"), "none" for a
// missing key - never nil: it is a status, not a value.
void cmd_type(CommandContext& ctx) {
    Value* v = ctx.db().find(ctx.arg(1));
    ctx.reply.simple(v ? type_name(v->type()) : "none");
}

// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT [NX | XX | GT | LT] (Redis' expireGenericCommand).
//   NX only if the key has no TTL, XX only if it has one, GT/LT only if the new deadline is later /
//   earlier (a key without TTL counts as "infinitely late": GT never applies to it).
static void expire_generic(CommandContext& ctx, bool relative, bool seconds) {
    bool nx = false, xx = false, gt = false, lt = false;
    for (size_t j = 3; j < ctx.argc(); ++j) {
        std::string_view opt = ctx.arg(j);
        if (equals_ignore_case(opt, "NX"))
            nx = true;
        else if (equals_ignore_case(opt, "XX"))
            xx = true;
        else if (equals_ignore_case(opt, "GT"))
            gt = true;
        else if (equals_ignore_case(opt, "LT"))
            lt = true;
        else
            return ctx.reply.error(fmt::format("ERR Unsupported option {}", opt));
    }
    // The options are checked before the time argument, as parseExtendedExpireArgumentsOrReply runs
    // before Redis reads the number: "EXPIRE k abc FOO" reports the unsupported option, not the integer.
    if (nx && (xx || gt || lt))
        return ctx.reply.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    if (gt && lt) return ctx.reply.error("ERR GT and LT options at the same time are not compatible");
    auto n = ctx.int_arg(2);
    if (!n) return;
    int64_t when = *n;
    auto invalid = [&] { ctx.reply.error(fmt::format("ERR invalid expire time in '{}' command", ctx.command.name)); };
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) return invalid();
        when *= 1000;
    }
    // Every form becomes one absolute deadline in Unix milliseconds - the only thing Database stores
    // (its `expires` table, key -> deadline) and the only thing the AOF logs (PEXPIREAT), whatever the
    // user typed. Overflow is "invalid expire time", never a wrapped-around deadline in the past.
    int64_t base = relative ? ctx.now_ms() : 0;
    if (when > LLONG_MAX - base) return invalid();
    when += base;

    std::string_view key = ctx.arg(1);
    // A missing key: 0, EXPIRE never creates anything. The reply is 1 when the TTL was set, 0 when the
    // key is missing or an NX/XX/GT/LT condition said no.
    if (!ctx.lookup_write(key)) return ctx.reply.integer(0);
    auto current = ctx.db().expire_of(key);
    if (nx && current) return ctx.reply.integer(0);
    if (xx && !current) return ctx.reply.integer(0);
    if (gt && (!current || when <= *current)) return ctx.reply.integer(0);  // no TTL = infinite
    if (lt && current && when >= *current) return ctx.reply.integer(0);

    // While the AOF is loading, a deadline already past is still stored: the key may be needed by later
    // commands in the file (Redis does the same), and expiry removes it once the server runs.
    if (when <= ctx.now_ms() && !ctx.server.env.loading) {
        // A deadline in the past deletes the key now; the AOF records a plain DEL.
        ctx.db().remove(key);
        ctx.modified(key);
        ctx.rewrite_as({"DEL", key});
        return ctx.reply.integer(1);
    }
    ctx.db().set_expire(key, when);
    ctx.modified(key);
    char buf[24];
    // Relative TTLs are logged as absolute deadlines: a replica or a restart replaying "EXPIRE k 60" an
    // hour later would otherwise give the key a fresh minute.
    ctx.rewrite_as({"PEXPIREAT", key, format_int64(when, buf)});
    ctx.reply.integer(1);
}

void cmd_expire(CommandContext& ctx) { expire_generic(ctx, true, true); }
void cmd_pexpire(CommandContext& ctx) { expire_generic(ctx, true, false); }
void cmd_expireat(CommandContext& ctx) { expire_generic(ctx, false, true); }
void cmd_pexpireat(CommandContext& ctx) { expire_generic(ctx, false, false); }

// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 = no such key, -1 = no TTL.
// Two negative codes instead of nil because the answers differ in kind: -2 "there is no key", -1
// "there is a key and it lives for ever". (Redis before 2.8 answered -1 for both, and clients had
// to send EXISTS to tell them apart.)
static void ttl_generic(CommandContext& ctx, bool milliseconds, bool absolute) {
    std::string_view key = ctx.arg(1);
    if (!ctx.db().find(key)) return ctx.reply.integer(-2);
    auto deadline = ctx.db().expire_of(key);
    if (!deadline) return ctx.reply.integer(-1);
    int64_t ttl = absolute ? *deadline : *deadline - ctx.now_ms();
    if (ttl < 0) ttl = 0;
    // Seconds are rounded to nearest, (ttl + 500) / 1000 - computed in two parts, since the sum
    // overflows for a deadline near INT64_MAX (PEXPIREAT k 9223372036854775807 is legal).
    ctx.reply.integer(milliseconds ? ttl : ttl / 1000 + (ttl % 1000 + 500) / 1000);
}

// TTL/PTTL are relative to now; EXPIRETIME/PEXPIRETIME (Redis 7.0) give the stored absolute
// deadline itself, which is what a client needs to copy a key's expiry somewhere else exactly.
void cmd_ttl(CommandContext& ctx) { ttl_generic(ctx, false, false); }
void cmd_pttl(CommandContext& ctx) { ttl_generic(ctx, true, false); }
void cmd_expiretime(CommandContext& ctx) { ttl_generic(ctx, false, true); }
void cmd_pexpiretime(CommandContext& ctx) { ttl_generic(ctx, true, true); }

// PERSIST: 1 if a TTL was removed, 0 if the key is missing or had none (nothing changed, so no
// WATCH wake-up and nothing for the AOF).
void cmd_persist(CommandContext& ctx) {
    std::string_view key = ctx.arg(1);
    if (!ctx.lookup_write(key) || !ctx.db().persist(key)) return ctx.reply.integer(0);
    ctx.modified(key);
    ctx.reply.integer(1);
}

// Moves the value (and TTL) of `from` to `to` in the same database. The Value is moved, not
// copied: renaming a million-element list costs the same as renaming a string.
static void rename_generic(CommandContext& ctx, bool nx) {
    std::string_view from = ctx.arg(1), to = ctx.arg(2);
    Database& db = ctx.db();
    Value* source = ctx.lookup_write(from);
    if (!source) return ctx.reply.error(errors::kNoSuchKey);
    // RENAME k k is OK and RENAMENX k k is 0 (Redis 3.2+; older versions answered an error). Any value
    // already at `to` is overwritten whatever its type - RENAME is not type-checked.
    if (from == to) return nx ? ctx.reply.integer(0) : ctx.reply.ok();
    if (nx && ctx.lookup_write(to)) return ctx.reply.integer(0);
    auto deadline = db.expire_of(from);
    // The TTL travels with the value: RENAME keeps the deadline, it does not restart it.
    Value moved = std::move(*source);
    db.remove(from);
    db.set(to, std::move(moved));
    if (deadline) db.set_expire(to, *deadline);
    ctx.modified(from);
    ctx.modified(to);
    // A list arriving under a new name feeds clients blocked on that name, as a push would.
    ctx.server.signal_key_ready(ctx.client.db, to);
    nx ? ctx.reply.integer(1) : ctx.reply.ok();
}

void cmd_rename(CommandContext& ctx) { rename_generic(ctx, false); }
void cmd_renamenx(CommandContext& ctx) { rename_generic(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]: a deep copy (model/value.cpp, clone), TTL
// included - unlike RENAME, both keys exist afterwards and change independently.
void cmd_copy(CommandContext& ctx) {
    std::string_view from = ctx.arg(1), to = ctx.arg(2);
    int target_db = ctx.client.db;
    bool replace = false;
    for (size_t j = 3; j < ctx.argc(); ++j) {
        if (equals_ignore_case(ctx.arg(j), "REPLACE")) {
            replace = true;
        } else if (equals_ignore_case(ctx.arg(j), "DB") && j + 1 < ctx.argc()) {
            auto n = parse_int64(ctx.arg(++j));
            if (!n || *n < 0 || *n >= static_cast<int64_t>(ctx.server.databases.size()))
                return ctx.reply.error(errors::kDbIndex);
            target_db = static_cast<int>(*n);
        } else {
            return ctx.syntax_error();
        }
    }
    // The checks come in Redis' order: options, then "same object", then the source's existence
    // (0 if missing), then the destination's (0 unless REPLACE).
    if (from == to && target_db == ctx.client.db)
        return ctx.reply.error("ERR source and destination objects are the same");
    Value* source = ctx.lookup_write(from);
    if (!source) return ctx.reply.integer(0);
    // The destination may be another database (DB n): its own WATCHers and blocked clients are told
    // through the server, since the context's helpers (ctx.modified, ctx.db) speak for the client's
    // selected database only.
    // COPY is logged as typed, DB option included, since it is deterministic; the copy's TTL is the
    // source's absolute deadline, so the replay gives the copy exactly the same expiry.
    Database& dst = ctx.server.db(target_db);
    if (dst.find(to)) {
        if (!replace) return ctx.reply.integer(0);
        dst.remove(to);
    }
    auto deadline = ctx.db().expire_of(from);
    dst.set(to, clone(*source));
    if (deadline) dst.set_expire(to, *deadline);
    ctx.server.key_modified(target_db, to);
    ctx.server.signal_key_ready(target_db, to);  // the copy of a list may serve a BLPOP waiting on it
    ctx.reply.integer(1);
}

// KEYS pattern: O(N) over the whole keyspace in one command - on a big database every other client
// waits for it, which is why Redis' documentation warns against KEYS in production and offers SCAN.
// The reply's length is unknown until the walk ends, so a placeholder header is written first
// (reply.mark) and filled in at the end (array_at): one pass, no temporary list of keys. Expired
// keys are skipped but not deleted, because deleting while walking the table would break the walk.
void cmd_keys(CommandContext& ctx) {
    std::string_view pattern = ctx.arg(1);
    bool all = pattern == "*";
    Database& db = ctx.db();
    int64_t now = ctx.now_ms();
    size_t mark = ctx.reply.mark();
    size_t count = 0;
    db.keys().for_each([&](const Database::Keys::Entry& e) {
        if (!all && !glob_match(pattern, e.key)) return;
        if (auto deadline = db.expire_of(e.key); deadline && *deadline <= now) return;  // logically gone
        ctx.reply.bulk(e.key);
        ++count;
    });
    ctx.reply.array_at(mark, count);
}

// RANDOMKEY: a random key or nil when the database is empty. Database::random_key deletes an
// expired key it happens to pick and tries again - at most 100 times, so a database of nothing but
// expired keys cannot keep it looping.
void cmd_randomkey(CommandContext& ctx) {
    auto key = ctx.db().random_key(ctx.server.random);
    if (key)
        ctx.reply.bulk(*key);
    else
        ctx.reply.null();
}

// DBSIZE: O(1) - the table's count, which may still include keys whose deadline has passed but that
// no one has touched yet (active expiry removes them within a few ticks), exactly as in Redis.
void cmd_dbsize(CommandContext& ctx) { ctx.reply.integer(static_cast<int64_t>(ctx.db().size())); }

// --- SCAN ---------------------------------------------------------------------------------

// The cursor is an unsigned 64-bit number in decimal; anything else (a sign, letters, an empty
// string) is "ERR invalid cursor". Clients treat it as opaque and send back what they received.
bool parse_scan_cursor(CommandContext& ctx, size_t index, uint64_t& cursor) {
    std::string_view text = ctx.arg(index);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cursor);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        ctx.reply.error("ERR invalid cursor");
        return false;
    }
    return true;
}

// COUNT is a hint of how much work to do per call: about that many entries are looked at
// (scan_dict, whole buckets at a time), and MATCH/TYPE filter afterwards, so a call may return fewer
// or a few more. COUNT 0 is a syntax error as in Redis. MATCH "*" is dropped to skip the glob.
// TYPE exists only for SCAN, since a hash's fields have no type.
bool parse_scan_options(CommandContext& ctx, size_t first, bool allow_type, ScanOptions& options) {
    for (size_t i = first; i < ctx.argc(); i += 2) {
        bool has_value = i + 1 < ctx.argc();
        std::string_view opt = ctx.arg(i);
        if (equals_ignore_case(opt, "COUNT") && has_value) {
            auto n = ctx.int_arg(i + 1);
            if (!n) return false;
            if (*n < 1) {
                ctx.syntax_error();
                return false;
            }
            options.count = *n;
        } else if (equals_ignore_case(opt, "MATCH") && has_value) {
            options.pattern = ctx.arg(i + 1) == "*" ? std::string_view() : ctx.arg(i + 1);
        } else if (allow_type && equals_ignore_case(opt, "TYPE") && has_value) {
            options.type = ctx.arg(i + 1);
        } else {
            ctx.syntax_error();
            return false;
        }
    }
    return true;
}

// Every SCAN-family reply is [cursor, [elements...]], the cursor as a bulk string (not an integer):
// that is Redis' wire format, and it lets a cursor use all 64 bits.
void reply_scan_cursor(CommandContext& ctx, uint64_t cursor) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, cursor);
    ctx.reply.array(2);
    ctx.reply.bulk(std::string_view(buf, static_cast<size_t>(end - buf)));
}

// SCAN cursor [MATCH pattern] [COUNT n] [TYPE t]. The cursor is a bucket position of the keyspace
// Dict (in reversed-bit order, see dict.hpp), so the server keeps no state per scan: a client may
// stop at any time. Guarantees, as Redis: a key present for the whole scan is returned at least
// once; it may be returned twice; a call may return no keys yet a non-zero cursor.
void cmd_scan(CommandContext& ctx) {
    uint64_t cursor;
    ScanOptions options;
    if (!parse_scan_cursor(ctx, 1, cursor) || !parse_scan_options(ctx, 2, true, options)) return;
    Database& db = ctx.db();
    std::vector<std::string> keys;
    cursor = scan_dict(db.keys(), cursor, options.count, [&](const Database::Keys::Entry& e) {
        keys.emplace_back(e.key.view());
        return 1;
    });
    // Filter after collecting, as Redis does; expired keys are deleted on the way (lazy expiry).
    // Deleting is safe here and not in KEYS' walk because the step is over: `keys` holds copies, and
    // a deletion cannot move a bucket the cursor has not reached yet (dict.hpp explains why the
    // reverse-binary cursor survives even a resize between two calls).
    std::erase_if(keys, [&](const std::string& key) {
        if (!options.pattern.empty() && !glob_match(options.pattern, key)) return true;
        Value* v = db.find(key);
        if (!v) return true;
        return !options.type.empty() && !equals_ignore_case(options.type, type_name(v->type()));
    });
    reply_scan_cursor(ctx, cursor);
    ctx.reply.array(keys.size());
    for (const std::string& key : keys) ctx.reply.bulk(key);
}

}  // namespace miniredis
