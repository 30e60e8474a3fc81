// miniredis/commands/strings.cpp
//
// String commands: SET/GET and friends, counters (INCR), and byte-range edits (t_string.c).
//
// A Redis string is a byte array; "counters" are strings that happen to hold a decimal integer,
// which INCR parses, adds to, and writes back - atomically, because one thread runs every command.
// That is the whole trick behind page-view counters and rate limiters on Redis.
//
// CONCEPT: the string is Redis' first data structure and the one the course notes' caching and
// counter use cases run on. A cache entry is SET key value EX 60; a session is SET with a TTL; a
// rate limiter is INCR + EXPIRE. Three choices made here, and why:
//   - SET's options (NX, XX, GET, EX/PX/EXAT/PXAT, KEEPTTL) and GETEX's are parsed by one function
//     (parse_string_options), so both refuse the same combinations as Redis;
//   - a relative TTL is turned into an absolute deadline at once (absolute_deadline), and the AOF
//     gets that deadline (PXAT): replaying tomorrow must not extend the key's life;
//   - values are model/small_string.hpp: up to 23 bytes live inline, longer ones on the heap
//     (Redis' embstr does the same for short values), so a typical cache entry costs one allocation.
//
//   SET k v EX 60 ──▶ set_generic ──▶ db.set(k, v) + db.set_expire(k, now + 60 s)
//                                  ──▶ propagated as SET k v PXAT <deadline>
// READ NEXT: model/database.hpp (the keyspace), keys.cpp (TTLs), docs/miniredis/01-follow-a-set.md §4.
#include <fmt/format.h>

#include <climits>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {
namespace {

// The options SET and GETEX share (Redis' parseExtendedStringArgumentsOrReply). Conflicting ones
// (NX with XX, EX with PX, KEEPTTL with EX...) are a syntax error, not "last one wins".
struct StringOptions {
    bool nx = false, xx = false, get = false, keep_ttl = false, persist = false;
    enum class Expire { none, ex, px, exat, pxat } expire = Expire::none;
    std::string_view expire_arg;
};

// SET's options, parsed in one pass with Redis' conflict rules: NX and XX exclude each other, only
// one of EX/PX/EXAT/PXAT/KEEPTTL (GETEX: /PERSIST) may appear, and an option that is not allowed
// where it stands is a plain syntax error - Redis does not say which rule was broken, and clients'
// tests match on "ERR syntax error".
bool parse_string_options(CommandContext& ctx, size_t first, bool is_set, StringOptions& o) {
    using E = StringOptions::Expire;
    for (size_t j = first; j < ctx.argc(); ++j) {
        std::string_view opt = ctx.arg(j);
        bool has_next = j + 1 < ctx.argc();
        bool no_expire = o.expire == E::none;
        if (is_set && equals_ignore_case(opt, "NX") && !o.xx) {
            o.nx = true;
        } else if (is_set && equals_ignore_case(opt, "XX") && !o.nx) {
            o.xx = true;
        } else if (is_set && equals_ignore_case(opt, "GET")) {
            o.get = true;
        } else if (is_set && equals_ignore_case(opt, "KEEPTTL") && no_expire && !o.persist) {
            o.keep_ttl = true;
        } else if (!is_set && equals_ignore_case(opt, "PERSIST") && no_expire && !o.keep_ttl) {
            o.persist = true;
        } else if (has_next && no_expire && !o.keep_ttl && !o.persist &&
                   (equals_ignore_case(opt, "EX") || equals_ignore_case(opt, "PX") || equals_ignore_case(opt, "EXAT") ||
                    equals_ignore_case(opt, "PXAT"))) {
            o.expire = equals_ignore_case(opt, "EX")     ? E::ex
                       : equals_ignore_case(opt, "PX")   ? E::px
                       : equals_ignore_case(opt, "EXAT") ? E::exat
                                                         : E::pxat;
            o.expire_arg = ctx.arg(++j);
        } else {
            ctx.syntax_error();
            return false;
        }
    }
    return true;
}

// The error names the command the user typed (SET, SETEX, GETEX...), as Redis' does.
void invalid_expire_time(CommandContext& ctx) {
    ctx.reply.error(fmt::format("ERR invalid expire time in '{}' command", ctx.command.name));
}

// The absolute deadline in Unix ms for an EX/PX/EXAT/PXAT argument (Redis:
// getExpireMillisecondsOrReply): must be positive and must not overflow.
std::optional<int64_t> absolute_deadline(CommandContext& ctx, StringOptions::Expire kind, std::string_view arg) {
    using E = StringOptions::Expire;
    auto n = parse_int64(arg);
    if (!n) {
        ctx.reply.error(errors::kNotInteger);
        return std::nullopt;
    }
    // Zero and negative are refused (Redis 7: "invalid expire time"), though a past *absolute* time
    // is accepted and simply deletes the key. Both overflows - seconds to milliseconds, and now + a
    // relative TTL - are tested before the arithmetic: signed overflow in C++ is undefined
    // behaviour, not a wrap, so checking the result afterwards would be too late.
    int64_t ms = *n;
    bool seconds = kind == E::ex || kind == E::exat;
    if (ms <= 0 || (seconds && ms > LLONG_MAX / 1000)) {
        invalid_expire_time(ctx);
        return std::nullopt;
    }
    if (seconds) ms *= 1000;
    if (kind == E::ex || kind == E::px) {
        if (ms > LLONG_MAX - ctx.now_ms()) {
            invalid_expire_time(ctx);
            return std::nullopt;
        }
        ms += ctx.now_ms();
    }
    return ms;
}

// GET's reply for `key`; false (after a WRONGTYPE reply) when it is not a string.
bool reply_get(CommandContext& ctx, std::string_view key) {
    Value* v = ctx.lookup_read(key);
    if (!v) {
        ctx.reply.null();
        return true;
    }
    SmallString* s = ctx.as_string(v);
    if (!s) return false;
    ctx.reply.bulk(*s);
    return true;
}

// SET and its older spellings (SETNX, SETEX, PSETEX) in one place. NX is the building block of a
// distributed lock ("SET lock:x token NX PX 30000": only one client gets OK); GET returns the old
// value in the same atomic step.
void set_generic(CommandContext& ctx, const StringOptions& o, std::string_view key, std::string_view value,
                 bool setnx_reply) {
    std::optional<int64_t> deadline;
    if (o.expire != StringOptions::Expire::none) {
        deadline = absolute_deadline(ctx, o.expire, o.expire_arg);
        if (!deadline) return;
    }
    // GET first: "SET k v GET" on a key holding a list must fail with WRONGTYPE before anything is
    // written, and the old value must be in the reply before the new one replaces it. GET with NX
    // is allowed since Redis 7.0 (6.2 refused it): "SET lock token NX GET" both tries the lock and
    // tells the loser who holds it, in one round trip.
    if (o.get && !reply_get(ctx, key)) return;
    Value* existing = ctx.lookup_write(key);
    // NX/XX said no: SET answers nil (SETNX 0), nothing changes, and nothing is propagated - the
    // AOF logs only commands that changed something (Broker::execute compares `dirty`, dispatch.cpp).
    if ((o.nx && existing) || (o.xx && !existing)) {
        if (!o.get) setnx_reply ? ctx.reply.integer(0) : ctx.reply.null();
        return;
    }
    Database& db = ctx.db();
    if (existing && existing->string()) {
        // Overwrite in place: no new allocation for the common "SET a key again" case.
        existing->string()->assign(value);
        if (!o.keep_ttl && db.expires_size() != 0) db.persist(key);
    } else {
        db.set(key, Value::of_string(value), o.keep_ttl);
    }
    ctx.modified(key);
    if (deadline) {
        db.set_expire(key, *deadline);
        // Logged with an absolute deadline: replaying the AOF tomorrow must not extend the TTL.
        char buf[24];
        ctx.rewrite_as({"SET", key, value, "PXAT", format_int64(*deadline, buf)});
    } else if (o.get) {
        // GET means nothing to a replica and is dropped; NX/XX/KEEPTTL are kept, since a replay must not
        // overwrite a key that the original did not.
        ctx.rewrite_as({"SET", key, value});
        if (o.keep_ttl) ctx.rewritten.emplace_back("KEEPTTL");
        if (o.nx) ctx.rewritten.emplace_back("NX");
        if (o.xx) ctx.rewritten.emplace_back("XX");
    }
    if (!o.get) setnx_reply ? ctx.reply.integer(1) : ctx.reply.ok();
}

// INCR/DECR/INCRBY/DECRBY: the value must be a 64-bit integer in text form, and stays one.
void incr_by(CommandContext& ctx, int64_t increment) {
    std::string_view key = ctx.arg(1);
    Value* v = ctx.lookup_write(key);
    int64_t current = 0;
    SmallString* s = nullptr;
    // "Is an integer" is parse_int64's strict reading (protocol/numbers.hpp): " 12", "+12" and "012"
    // are not, exactly as Redis' string2ll - so a counter can only ever hold the text INCR wrote.
    if (v) {
        s = ctx.as_string(v);
        if (!s) return;
        auto parsed = parse_int64(*s);
        if (!parsed) return ctx.reply.error(errors::kNotInteger);
        current = *parsed;
    }
    // The overflow test is done on the operands, before the addition (signed overflow would be
    // undefined behaviour): "ERR increment or decrement would overflow", and the value is unchanged.
    if ((increment < 0 && current < 0 && increment < LLONG_MIN - current) ||
        (increment > 0 && current > 0 && increment > LLONG_MAX - current))
        return ctx.reply.error(errors::kOverflow);
    int64_t result = current + increment;
    char buf[24];
    std::string_view text = format_int64(result, buf);
    if (s)
        s->assign(text);  // in place: keeps the key's TTL, as Redis' dbOverwrite does
    else
        ctx.db().set(key, Value::of_string(text));
    ctx.modified(key);
    ctx.reply.integer(result);
}

}  // namespace

// GET: O(1). Nil for a missing key, WRONGTYPE for a non-string - the two answers every typed read
// gives (context.hpp). docs/miniredis/01-follow-a-set.md follows the write side of this pair.
void cmd_get(CommandContext& ctx) { reply_get(ctx, ctx.arg(1)); }

// SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL]: O(1). Without KEEPTTL a SET drops any TTL
// the key had - a classic surprise with caches ("I SET it again and now it never expires").
void cmd_set(CommandContext& ctx) {
    StringOptions o;
    if (!parse_string_options(ctx, 3, true, o)) return;
    set_generic(ctx, o, ctx.arg(1), ctx.arg(2), false);
}

// SETNX, SETEX, PSETEX: the pre-2.6.12 spellings of SET's options, still sent by old clients and
// libraries; each becomes a StringOptions and the same set_generic. SETNX answers 1/0, not OK/nil.
void cmd_setnx(CommandContext& ctx) {
    StringOptions o;
    o.nx = true;
    set_generic(ctx, o, ctx.arg(1), ctx.arg(2), true);
}

void cmd_setex(CommandContext& ctx) {
    StringOptions o;
    o.expire = StringOptions::Expire::ex;
    o.expire_arg = ctx.arg(2);
    set_generic(ctx, o, ctx.arg(1), ctx.arg(3), false);
}

void cmd_psetex(CommandContext& ctx) {
    StringOptions o;
    o.expire = StringOptions::Expire::px;
    o.expire_arg = ctx.arg(2);
    set_generic(ctx, o, ctx.arg(1), ctx.arg(3), false);
}

// GETSET (deprecated since Redis 6.2 for SET ... GET): the old value out, the new one in, atomically
// - the classic "reset a counter and read it" step.
void cmd_getset(CommandContext& ctx) {
    if (!reply_get(ctx, ctx.arg(1))) return;
    ctx.db().set(ctx.arg(1), Value::of_string(ctx.arg(2)));
    ctx.modified(ctx.arg(1));
    ctx.rewrite_as({"SET", ctx.arg(1), ctx.arg(2)});
}

// GETDEL: read and delete in one step, so two workers cannot both take the same one-shot token.
void cmd_getdel(CommandContext& ctx) {
    if (!reply_get(ctx, ctx.arg(1))) return;
    if (ctx.db().remove(ctx.arg(1))) {
        ctx.modified(ctx.arg(1));
        ctx.rewrite_as({"DEL", ctx.arg(1)});
    }
}

// GETEX: read and change the TTL in one step - a session that is touched on every request gets a
// fresh expiry without a second round trip. Propagated as PEXPIREAT, PERSIST or DEL (a deadline
// already past), never as GETEX, since the read part means nothing to a replica.
void cmd_getex(CommandContext& ctx) {
    StringOptions o;
    if (!parse_string_options(ctx, 2, false, o)) return;
    std::string_view key = ctx.arg(1);
    Value* v = ctx.lookup_read(key);
    if (!v) return ctx.reply.null();
    SmallString* s = ctx.as_string(v);
    if (!s) return;
    std::optional<int64_t> deadline;
    if (o.expire != StringOptions::Expire::none) {
        deadline = absolute_deadline(ctx, o.expire, o.expire_arg);
        if (!deadline) return;
    }
    ctx.reply.bulk(*s);
    using E = StringOptions::Expire;
    if (deadline && (o.expire == E::exat || o.expire == E::pxat) && *deadline <= ctx.now_ms()) {
        ctx.db().remove(key);  // a deadline already past deletes the key (after replying it)
        ctx.modified(key);
        ctx.rewrite_as({"DEL", key});
    } else if (deadline) {
        ctx.db().set_expire(key, *deadline);
        ctx.modified(key);
        char buf[24];
        ctx.rewrite_as({"PEXPIREAT", key, format_int64(*deadline, buf)});
    } else if (o.persist && ctx.db().persist(key)) {
        ctx.modified(key);
        ctx.rewrite_as({"PERSIST", key});
    }
}

// MGET answers nil for a key of another type instead of WRONGTYPE: one wrong key must not fail a
// batch read of a hundred.
// The keys are read one by one in this single command, so MGET sees one consistent moment: no write
// from another client can fall between two of its keys - what a client-side loop of GETs cannot say.
void cmd_mget(CommandContext& ctx) {
    ctx.reply.array(ctx.argc() - 1);
    for (size_t i = 1; i < ctx.argc(); ++i) {
        Value* v = ctx.lookup_read(ctx.arg(i));
        SmallString* s = v ? v->string() : nullptr;  // MGET answers nil for other types, no error
        if (s)
            ctx.reply.bulk(*s);
        else
            ctx.reply.null();
    }
}

// MSET sets every pair atomically (no client sees half of them); MSETNX sets all or none.
static void mset_generic(CommandContext& ctx, bool nx) {
    // All keys are checked (MSETNX) before any is written: a batch that may not overwrite anything
    // must not write half its pairs and then stop.
    // The table's arity (-3) cannot say "pairs only", so an odd count is checked here, with the
    // arity error Redis gives rather than a syntax error. Each SET of a pair drops that key's TTL,
    // like a plain SET, and the command is logged as typed: it has no randomness and no clock.
    if (ctx.argc() % 2 == 0) return ctx.wrong_arity();
    if (nx) {
        for (size_t i = 1; i < ctx.argc(); i += 2)
            if (ctx.lookup_write(ctx.arg(i))) return ctx.reply.integer(0);
    }
    for (size_t i = 1; i < ctx.argc(); i += 2) {
        ctx.db().set(ctx.arg(i), Value::of_string(ctx.arg(i + 1)));
        ctx.modified(ctx.arg(i));
    }
    nx ? ctx.reply.integer(1) : ctx.reply.ok();
}

void cmd_mset(CommandContext& ctx) { mset_generic(ctx, false); }
void cmd_msetnx(CommandContext& ctx) { mset_generic(ctx, true); }

// INCR/DECR: the value is parsed from text and written back as text - Redis stores such strings
// as an integer ("int" in OBJECT ENCODING); we keep the text, which is at most 20 bytes and inline
// in a SmallString anyway.
void cmd_incr(CommandContext& ctx) { incr_by(ctx, 1); }
void cmd_decr(CommandContext& ctx) { incr_by(ctx, -1); }

// INCRBY/DECRBY: the increment is checked like the value, so "INCRBY k 1.5" is an integer error,
// not a silent truncation.
void cmd_incrby(CommandContext& ctx) {
    if (auto n = ctx.int_arg(2)) incr_by(ctx, *n);
}

// DECRBY is INCRBY with the increment negated, which is why the one value that cannot be negated
// needs its own check.
void cmd_decrby(CommandContext& ctx) {
    auto n = ctx.int_arg(2);
    if (!n) return;
    // -LLONG_MIN does not exist in two's complement, so DECRBY k -9223372036854775808 cannot become
    // INCRBY; Redis answers this exact error.
    if (*n == LLONG_MIN) return ctx.reply.error("ERR decrement would overflow");
    incr_by(ctx, -*n);
}

// INCRBYFLOAT computes in long double and prints with 17 decimals, trailing zeros dropped, so
// "10.5 + 0.1" reads 10.6 rather than 10.599999999999999645 (Redis' ld2string human mode).
void cmd_incrbyfloat(CommandContext& ctx) {
    std::string_view key = ctx.arg(1);
    Value* v = ctx.lookup_write(key);
    long double current = 0;
    SmallString* s = nullptr;
    if (v) {
        s = ctx.as_string(v);
        if (!s) return;
        auto parsed = parse_long_double(*s);
        if (!parsed) return ctx.reply.error(errors::kNotFloat);
        current = *parsed;
    }
    auto increment = parse_long_double(ctx.arg(2));
    if (!increment) return ctx.reply.error(errors::kNotFloat);
    long double result = current + *increment;
    if (std::isnan(result) || std::isinf(result)) return ctx.reply.error("ERR increment would produce NaN or Infinity");
    char buf[kLongDoubleBufferSize];
    std::string_view text = format_long_double(result, buf, sizeof buf);
    if (s)
        s->assign(text);
    else
        ctx.db().set(key, Value::of_string(text));
    ctx.modified(key);
    ctx.reply.bulk(text);
    // Logged as the resulting value: float addition replayed could round differently (another
    // machine's long double may be 64 bits, not 80). KEEPTTL because INCRBYFLOAT keeps the key's
    // TTL, and a plain SET in the log would drop it on replay.
    ctx.rewrite_as({"SET", key, text, "KEEPTTL"});
}

// Growing commands (APPEND, SETRANGE) must not build a string larger than proto-max-bulk-len
// (512 MB by default): such a value could not even be sent back to a client, nor loaded from an
// AOF by a server with the same limit.
static bool check_string_length(CommandContext& ctx, uint64_t size, uint64_t append) {
    if (size + append > static_cast<uint64_t>(ctx.server.config.proto_max_bulk_len)) {
        ctx.reply.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return false;
    }
    return true;
}

// APPEND: grow a string in place (a log line per event, a growing CSV); the key keeps its TTL, as
// for every command that modifies rather than replaces a value.
void cmd_append(CommandContext& ctx) {
    std::string_view key = ctx.arg(1), tail = ctx.arg(2);
    Value* v = ctx.lookup_write(key);
    size_t length;
    if (!v) {
        ctx.db().set(key, Value::of_string(tail));
        length = tail.size();
    } else {
        SmallString* s = ctx.as_string(v);
        if (!s) return;
        if (!check_string_length(ctx, s->size(), tail.size())) return;
        s->append(tail);
        length = s->size();
    }
    ctx.modified(key);
    ctx.reply.integer(static_cast<int64_t>(length));
}

// STRLEN: the length in bytes, not characters - Redis strings know nothing of encodings.
void cmd_strlen(CommandContext& ctx) {
    Value* v = ctx.lookup_read(ctx.arg(1));
    if (!v) return ctx.reply.integer(0);
    if (SmallString* s = ctx.as_string(v)) ctx.reply.integer(static_cast<int64_t>(s->size()));
}

// GETRANGE key start end: inclusive byte offsets, negative from the end, clamped - never an error.
void cmd_getrange(CommandContext& ctx) {
    auto start = ctx.int_arg(2);
    if (!start) return;
    auto end = ctx.int_arg(3);
    if (!end) return;
    // A missing key is the empty string "", not nil: GETRANGE reads a byte range, and a range of
    // nothing is empty - the same answer as a range past the end of an existing string.
    Value* v = ctx.lookup_read(ctx.arg(1));
    if (!v) return ctx.reply.bulk("");
    SmallString* s = ctx.as_string(v);
    if (!s) return;
    int64_t length = static_cast<int64_t>(s->size());
    int64_t from = *start, to = *end;
    // GETRANGE (once SUBSTR) never fails on its offsets: both negative and reversed is empty, then
    // negatives count from the end and the range is clamped to the string.
    if (from < 0 && to < 0 && from > to) return ctx.reply.bulk("");
    if (from < 0) from += length;
    if (to < 0) to += length;
    if (from < 0) from = 0;
    if (to < 0) to = 0;
    if (to >= length) to = length - 1;
    if (from > to || length == 0) return ctx.reply.bulk("");
    ctx.reply.bulk(s->view().substr(static_cast<size_t>(from), static_cast<size_t>(to - from + 1)));
}

// SETRANGE key offset value: overwrite bytes in place, padding with zero bytes if the string was
// shorter - strings double as small byte arrays (bitmaps are built on this).
void cmd_setrange(CommandContext& ctx) {
    std::string_view key = ctx.arg(1), patch = ctx.arg(3);
    auto offset = ctx.int_arg(2);
    if (!offset) return;
    // The offset plus the patch is checked against proto-max-bulk-len before anything grows:
    // "SETRANGE k 536870911 x" would otherwise allocate half a gigabyte for one byte.
    if (*offset < 0) return ctx.reply.error("ERR offset is out of range");
    Value* v = ctx.lookup_write(key);
    SmallString* s = nullptr;
    if (!v) {
        // An empty patch writes nothing, so it must not create the key either: the reply is the length
        // the string has (0 for a missing key), and nothing is modified or propagated.
        if (patch.empty()) return ctx.reply.integer(0);
        if (!check_string_length(ctx, static_cast<uint64_t>(*offset), patch.size())) return;
        s = ctx.db().set(key, Value::of_string("")).string();
    } else {
        s = ctx.as_string(v);
        if (!s) return;
        if (patch.empty()) return ctx.reply.integer(static_cast<int64_t>(s->size()));
        if (!check_string_length(ctx, static_cast<uint64_t>(*offset), patch.size())) return;
    }
    size_t end = static_cast<size_t>(*offset) + patch.size();
    if (end > s->size()) s->resize(end);  // the gap is zero bytes, as Redis pads it
    std::memcpy(s->data() + *offset, patch.data(), patch.size());
    ctx.modified(key);
    ctx.reply.integer(static_cast<int64_t>(s->size()));
}

}  // namespace miniredis
