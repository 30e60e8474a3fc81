// miniredis/commands/streams.cpp
//
// Stream commands, the write side and the range reads: XADD, XTRIM, XDEL, XSETID, XRANGE/XREVRANGE,
// XLEN (Redis' t_stream.c), and the helpers every stream file shares (declared in streams.hpp).
// XREAD/XREADGROUP are in stream_read.cpp; the group bookkeeping commands (XGROUP, XACK, XPENDING,
// XCLAIM, XAUTOCLAIM, XINFO) in stream_groups.cpp.
//
// CONCEPT: the log (model/stream.hpp) and the consumer groups (model/consumer_group.hpp) are
// plain data; this file is where the protocol meets them - argument parsing with Redis' exact
// error texts, the reply shapes of RESP2 and RESP3, and propagation. Propagation matters more here
// than anywhere: "XADD s * ..." replayed tomorrow would get another ID, so the AOF gets the
// concrete ID; a read by a group changes the group (delivery counts, last ID), so XREADGROUP is
// logged as the XCLAIM ... FORCE JUSTID and XGROUP SETID commands that recreate that state.
//
//   XADD s * temp 21  ->  AOF: XADD s 1700000000000-0 temp 21
//   XREADGROUP GROUP g alice STREAMS s >
//                     ->  AOF: XCLAIM s g alice 0 1700000000000-0 TIME <ms> RETRYCOUNT 1 FORCE JUSTID LASTID ...
//                          +   XGROUP SETID s g 1700000000000-0 ENTRIESREAD 1
//   XACK s g 1700000000000-0  -> logged as is
// READ NEXT: model/stream.hpp, stream_read.cpp, stream_groups.cpp, blocking.cpp (XREAD BLOCK),
//            docs/miniredis/04-streams.md.
#include "commands/streams.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

// --- small helpers, shared with stream_groups.cpp (declared in streams.hpp)
// -----------------------------------------------------------------------

// An ID goes out as the bulk string "ms-seq" in both protocols - never two integers - because
// clients store it and send it back as is (XREAD's last-seen ID, XACK). A stack buffer: two
// uint64 plus the dash fit in 41 bytes, so no allocation per entry in a long XRANGE.
void reply_id(Reply& r, StreamID id) {
    char buffer[48];
    auto end = fmt::format_to_n(buffer, sizeof buffer, "{}-{}", id.ms, id.seq).out;
    r.bulk(std::string_view(buffer, static_cast<size_t>(end - buffer)));
}

// One entry = [id, [field, value, field, value, ...]]: the fields stay a flat array even in RESP3
// (Redis 7 does the same), so the order the producer wrote them in is kept.
void reply_entry(Reply& r, const StreamEntryView& e) {
    r.array(2);
    reply_id(r, e.id);
    r.array(e.fields_values.size());
    for (std::string_view s : e.fields_values) r.bulk(s);
}

// A stream value, or nullptr (absent, or WRONGTYPE replied: then ok = false).
// The stream counterpart of CommandContext::existing (context.hpp), for the stream files that take
// a Value* already looked up (read or write, as the command needs).
Stream* stream_of(CommandContext& ctx, Value* v, bool& ok) {
    ok = true;
    if (!v) return nullptr;
    if (v->type() != Type::stream) {
        ctx.reply.error(errors::kWrongType);
        ok = false;
        return nullptr;
    }
    return v->stream();
}

// Strict IDs ("123-4" or "123"), as XADD/XDEL/XACK take them: "-" and "+" are refused.
std::optional<StreamID> strict_id(CommandContext& ctx, std::string_view text, uint64_t missing_seq, bool reply) {
    auto id = parse_stream_id(text, missing_seq);
    if (!id && reply) ctx.reply.error(kInvalidId);
    return id;
}

// Range ends: "-", "+", "(id" (exclusive) or an ID; `missing_seq` fills "123" (0 or max).
// "(" (Redis 6.2) turns an exclusive end into the next or previous possible ID, so the range walk
// itself only knows closed intervals. A bare "123" means the whole millisecond: 123-0 as a start,
// 123-<max> as an end. "(-" and "(+" are refused, since nothing lies beyond them.
std::optional<StreamID> range_id(CommandContext& ctx, std::string_view text, bool is_start) {
    bool exclusive = text.size() > 1 && text[0] == '(';
    if (exclusive) text.remove_prefix(1);
    std::optional<StreamID> id;
    if (exclusive && (text == "-" || text == "+")) {
        ctx.reply.error(kInvalidId);
        return std::nullopt;
    }
    if (text == "-")
        id = StreamID{0, 0};
    else if (text == "+")
        id = StreamID::max();
    else
        id = parse_stream_id(text, is_start ? 0 : UINT64_MAX);
    if (!id) {
        ctx.reply.error(kInvalidId);
        return std::nullopt;
    }
    if (exclusive) {
        auto moved = is_start ? id->next() : id->prev();
        if (!moved) {
            ctx.reply.error(is_start ? "ERR invalid start ID for the interval" : "ERR invalid end ID for the interval");
            return std::nullopt;
        }
        id = moved;
    }
    return id;
}

// A 64-bit integer argument with a caller-chosen error text: the stream commands use several
// (Redis varies its texts per option, and clients' tests match them).
std::optional<int64_t> ll_arg(CommandContext& ctx, std::string_view text, std::string_view error) {
    auto v = parse_int64(text);
    if (!v) ctx.reply.error(error);
    return v;
}

// NOGROUP is its own error prefix, not ERR: clients (and the reliable-consumer recipe) test for it
// to know they must run XGROUP CREATE first.
void nogroup_for_key(CommandContext& ctx, std::string_view group, std::string_view key) {
    ctx.reply.error(fmt::format("NOGROUP No such consumer group '{}' for key name '{}'", group, key));
}

// XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last: recreates one
// PEL entry exactly (Redis' streamPropagateXCLAIM).
void propagate_xclaim(Broker& server, int db, std::string_view key, std::string_view group_name,
                      const ConsumerGroup& group, StreamID id, const PendingEntry& p) {
    if (server.env.loading || !server.propagating()) return;  // nobody to tell: skip the strings
    std::string args[] = {"XCLAIM",
                          std::string(key),
                          std::string(group_name),
                          p.consumer ? p.consumer->name : std::string(),
                          "0",
                          id.str(),
                          "TIME",
                          std::to_string(p.delivery_time),
                          "RETRYCOUNT",
                          std::to_string(p.delivery_count),
                          "FORCE",
                          "JUSTID",
                          "LASTID",
                          group.last_id.str()};
    std::vector<std::string_view> views(std::begin(args), std::end(args));
    server.propagate(db, views);
}

// The group's read position, logged after the XCLAIMs of a read: with ENTRIESREAD, so the lag that
// XINFO GROUPS reports is right after a restart too (docs/miniredis/04-streams.md, "Durability").
void propagate_group_id(Broker& server, int db, std::string_view key, std::string_view group_name,
                        const ConsumerGroup& group) {
    if (server.env.loading || !server.propagating()) return;
    std::string args[] = {"XGROUP",
                          "SETID",
                          std::string(key),
                          std::string(group_name),
                          group.last_id.str(),
                          "ENTRIESREAD",
                          std::to_string(group.entries_read)};
    std::vector<std::string_view> views(std::begin(args), std::end(args));
    server.propagate(db, views);
}

// A change to a group (deliveries, acks, claims, consumers) is a change to persist - it counts for
// the save rules and goes to the AOF - but, as in Redis, not a change of the key for WATCH: a
// transaction watching a stream is about its entries, and every XREADGROUP would otherwise abort it.
void group_changed(Broker& server) { ++server.dirty; }

// XREADGROUP, XCLAIM and XAUTOCLAIM create consumers on first use. A consumer is group state a
// replay must recreate even when it got nothing yet, so its creation is logged on its own as
// XGROUP CREATECONSUMER (as Redis 7 does).
StreamConsumer& consumer_for(Broker& server, int db, std::string_view key, std::string_view group_name,
                             ConsumerGroup& group, std::string_view name) {
    bool created;
    StreamConsumer& c = group.consumer_or_create(name, server.clock.now_ms(), &created);
    if (created) {
        group_changed(server);
        std::string_view args[] = {"XGROUP", "CREATECONSUMER", key, group_name, name};
        server.propagate(db, args);
    }
    return c;
}

namespace {

// --- trimming arguments (XADD and XTRIM share them) ---------------------------------------

// Everything XADD and XTRIM may say before the entry itself. The two commands share one parser
// because Redis does (streamParseAddOrTrimArgsOrReply) and so they refuse the same combinations.
struct TrimArgs {
    enum Strategy { none, maxlen, minid } strategy = none;
    bool approx = false;
    int64_t maxlen_value = 0;
    StreamID minid_value;
    int64_t limit = 0;
    size_t arg_index = 0;  // where the MAXLEN/MINID value is (rewritten for the AOF when "~")
    bool nomkstream = false;
    bool id_given = false, seq_given = true;
    StreamID id;
    size_t id_index = 0;
};

// Redis' streamParseAddOrTrimArgsOrReply: returns the index after the options (for XADD, the ID's
// index) or 0 after an error reply.
size_t parse_add_or_trim(CommandContext& ctx, TrimArgs& t, bool xadd) {
    size_t i = 2;
    bool limit_given = false;
    for (; i < ctx.argc(); ++i) {
        size_t more = ctx.argc() - 1 - i;
        std::string_view opt = ctx.arg(i);
        // "*" - let the server choose the ID - ends the options; so does any word that is not an option,
        // which must then be an explicit ID.
        if (xadd && opt == "*") break;
        if ((equals_ignore_case(opt, "maxlen") || equals_ignore_case(opt, "minid")) && more) {
            bool is_maxlen = equals_ignore_case(opt, "maxlen");
            if (t.strategy != TrimArgs::none) {
                ctx.reply.error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
                return 0;
            }
            // "=" (or nothing) trims exactly; "~" lets the trim stop at a block boundary, so the stream may
            // keep a few more entries than asked - the cheap form, and the one producers should use.
            // The "~"/"=" word is only taken as such when a value still follows it.
            t.approx = false;
            std::string_view next = ctx.arg(i + 1);
            if (more >= 2 && next == "~") {
                t.approx = true;
                ++i;
            } else if (more >= 2 && next == "=") {
                ++i;
            }
            if (is_maxlen) {
                auto v = ll_arg(ctx, ctx.arg(i + 1));
                if (!v) return 0;
                if (*v < 0) {
                    ctx.reply.error("ERR The MAXLEN argument must be >= 0.");
                    return 0;
                }
                t.maxlen_value = *v;
                t.strategy = TrimArgs::maxlen;
            } else {
                auto v = strict_id(ctx, ctx.arg(i + 1));
                if (!v) return 0;
                t.minid_value = *v;
                t.strategy = TrimArgs::minid;
            }
            ++i;
            t.arg_index = i;
        } else if (equals_ignore_case(opt, "limit") && more) {
            // LIMIT (with "~" only) caps the entries one trim may remove, so a single XADD never pays for
            // trimming a backlog of millions at once; the rest goes on the next calls.
            auto v = ll_arg(ctx, ctx.arg(i + 1));
            if (!v) return 0;
            if (*v < 0) {
                ctx.reply.error("ERR The LIMIT argument must be >= 0.");
                return 0;
            }
            t.limit = *v;
            limit_given = true;
            ++i;
        } else if (xadd && equals_ignore_case(opt, "nomkstream")) {
            // NOMKSTREAM may come anywhere among the options, as in Redis.
            t.nomkstream = true;
        } else if (xadd) {
            // The ID: "ms-seq", "ms" or "ms-*" (the sequence is generated).
            std::string_view text = opt;
            bool auto_seq = text.size() > 2 && text.ends_with("-*");
            if (auto_seq) text.remove_suffix(2);
            auto id = parse_stream_id(text, 0);
            if (!id || (auto_seq && text.find('-') != std::string_view::npos)) {
                ctx.reply.error(kInvalidId);
                return 0;
            }
            t.id = *id;
            t.id_given = true;
            t.seq_given = !auto_seq;
            break;
        } else {
            ctx.syntax_error();
            return 0;
        }
    }
    if (t.limit && t.strategy == TrimArgs::none) {
        ctx.reply.error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return 0;
    }
    if (!xadd && t.strategy == TrimArgs::none) {
        ctx.reply.error("ERR syntax error, XTRIM must be called with a trimming strategy");
        return 0;
    }
    // LIMIT is refused with "=": an exact trim must remove everything it was told to, so a cap on
    // the work could only make it silently inexact.
    if (ctx.server.env.loading) {
        t.limit = 0;  // the AOF was written with the outcome: replay it exactly
    } else if (limit_given) {
        if (!t.approx) {
            ctx.reply.error("ERR syntax error, LIMIT cannot be used without the special ~ option");
            return 0;
        }
    } else {
        // "~" without LIMIT: at most 100 blocks' worth of work per call (Redis' default).
        t.limit = t.approx ? static_cast<int64_t>(100 * Stream::kMaxBlockEntries) : 0;
    }
    t.id_index = i;
    return i;
}

size_t apply_trim(Stream& s, const TrimArgs& t) {
    // Trimming is retention - a capped log, like a Kafka topic's retention.bytes / retention.ms:
    // MAXLEN keeps the newest N entries, MINID drops everything older than an ID (and IDs are times).
    // With "~" whole blocks are dropped only, so a trim never has to rewrite a half-used block
    // (model/stream.hpp, docs/miniredis/04-streams.md "Trimming is retention").
    auto limit = static_cast<size_t>(t.limit);
    if (t.strategy == TrimArgs::maxlen) return s.trim_maxlen(static_cast<size_t>(t.maxlen_value), t.approx, limit);
    if (t.strategy == TrimArgs::minid) return s.trim_minid(t.minid_value, t.approx, limit);
    return 0;
}

// After an approximate trim the AOF must say what really happened: "~" becomes "=" and the value
// becomes the length (MAXLEN) or first ID (MINID) the stream now has.
void rewrite_trim(CommandContext& ctx, Stream& s, const TrimArgs& t, std::vector<std::string>& args) {
    if (!t.approx) return;
    args[t.arg_index - 1] = "=";
    args[t.arg_index] = t.strategy == TrimArgs::maxlen ? std::to_string(s.length()) : s.first_id().str();
    (void)ctx;
}

}  // namespace

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [...]
void cmd_xadd(CommandContext& ctx) {
    TrimArgs t;
    size_t id_at = parse_add_or_trim(ctx, t, true);
    if (id_at == 0) return;
    size_t fields_at = id_at + 1;
    // At least one field-value pair, and pairs only: the arity error, as in Redis, since the table's
    // arity (-5) cannot say "odd".
    if (fields_at > ctx.argc() || (ctx.argc() - fields_at) < 2 || (ctx.argc() - fields_at) % 2 == 1)
        return ctx.wrong_arity();
    // 0-0 can never be an entry's ID: it is the "nothing read yet" position of every reader and group.
    if (t.id_given && t.seq_given && t.id.is_zero())
        return ctx.reply.error("ERR The ID specified in XADD must be greater than 0-0");
    bool ok;
    std::string_view key = ctx.arg(1);
    Stream* s = stream_of(ctx, ctx.lookup_write(key), ok);
    if (!ok) return;
    if (!s) {
        // NOMKSTREAM (6.2): append only to an existing stream - nil otherwise, and nothing is created.
        if (t.nomkstream) return ctx.reply.null();
        s = ctx.db().set(key, Value::of<Stream>()).stream();
    }
    // IDs only grow: once the stream has used the largest possible ID, no entry can ever be added
    // again - a limit no real clock reaches, but XADD s 18446744073709551615-18446744073709551615 can.
    if (s->last_id == StreamID::max())
        return ctx.reply.error("ERR The stream has exhausted the last possible ID, unable to add more items");
    // The new ID. With "*" it is now's millisecond - unless the clock went back (NTP, a VM
    // migration): IDs must still grow, so we stay in the last ID's millisecond and count up.
    // Why IDs are <milliseconds>-<sequence> and not a counter: the ID *is* the time index. "XRANGE s
    // 1700000000000 1700003600000" is "this hour" with no secondary index, and the sequence only
    // breaks ties within one millisecond - so the two halves together are unique and increasing.
    StreamID id;
    const StreamID last = s->last_id;
    if (!t.id_given) {
        auto now = static_cast<uint64_t>(std::max<int64_t>(ctx.now_ms(), 0));
        id = now > last.ms ? StreamID{now, 0} : *last.next();
    } else if (!t.seq_given) {
        // "ms-*" (Redis 7.0): the client picks the millisecond, the server the sequence - useful when the
        // timestamp comes from the event itself rather than from the server's clock.
        if (t.id.ms == last.ms) {
            if (last.seq == UINT64_MAX) {
                return ctx.reply.error(
                    "ERR The ID specified in XADD is equal or smaller than the target stream top item");
            }
            id = {t.id.ms, last.seq + 1};
        } else if (t.id.ms > last.ms) {
            id = {t.id.ms, 0};
        } else {
            return ctx.reply.error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
        }
    } else {
        id = t.id;
        if (id <= last)
            return ctx.reply.error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
    }
    // The fields are stored as given, duplicates and order included: a stream entry is a small
    // record, not a hash, and XRANGE gives it back exactly as the producer wrote it.
    // The entry first, the trim after: an XADD with MAXLEN 0 still returns a fresh ID and leaves
    // the stream empty but present, with last_id moved on - the ID is never reused.
    s->append(id, ctx.argv.subspan(fields_at));
    ctx.modified(key);
    size_t trimmed = t.strategy != TrimArgs::none ? apply_trim(*s, t) : 0;
    if (ctx.server.propagating()) {
        std::vector<std::string> args(ctx.argv.begin(), ctx.argv.end());
        args[id_at] = id.str();  // the AOF and the replicas get the concrete ID
        if (trimmed) rewrite_trim(ctx, *s, t, args);
        ctx.rewritten = std::move(args);
    }
    reply_id(ctx.reply, id);
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
// XTRIM: the retention step on its own, e.g. from a periodic job. The reply is the number of
// entries removed; with "~" that may be 0 even when the stream is longer than asked.
void cmd_xtrim(CommandContext& ctx) {
    // The key comes before the arguments, as in Redis' xtrimCommand: XTRIM on a missing key
    // answers 0 even with malformed options - nothing to trim, so nothing worth an error.
    bool ok;
    std::string_view key = ctx.arg(1);
    Stream* s = stream_of(ctx, ctx.lookup_write(key), ok);
    if (!ok) return;
    if (!s) return ctx.reply.integer(0);
    TrimArgs t;
    size_t end = parse_add_or_trim(ctx, t, false);
    if (end == 0) return;
    size_t removed = apply_trim(*s, t);
    if (removed) {
        ctx.modified(key);
        std::vector<std::string> args(ctx.argv.begin(), ctx.argv.end());
        rewrite_trim(ctx, *s, t, args);
        ctx.rewritten = std::move(args);
    }
    ctx.reply.integer(static_cast<int64_t>(removed));
}

namespace {

// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n]
// XRANGE is how a stream is read as a log, from any point: an offset is just an ID. Paging is
// "XRANGE s (last-id-seen + COUNT 100" until fewer than 100 come back. The walk finds the
// start block, then visits entries in order, O(log N + M); the count of matches is not known
// in advance, so the array header is patched afterwards (mark / array_at), as KEYS does.
void range_generic(CommandContext& ctx, bool reverse) {
    // XREVRANGE takes its arguments as end, start - the larger ID first - so both are read swapped,
    // and the same walk runs backwards.
    auto start = range_id(ctx, ctx.arg(reverse ? 3 : 2), true);
    if (!start) return;
    auto end = range_id(ctx, ctx.arg(reverse ? 2 : 3), false);
    if (!end) return;
    int64_t count = -1;
    for (size_t j = 4; j < ctx.argc(); ++j) {
        if (equals_ignore_case(ctx.arg(j), "COUNT") && j + 1 < ctx.argc()) {
            auto v = ll_arg(ctx, ctx.arg(j + 1));
            if (!v) return;
            count = *v < 0 ? 0 : *v;
            ++j;
        } else {
            return ctx.syntax_error();
        }
    }
    bool ok;
    Stream* s = stream_of(ctx, ctx.lookup_read(ctx.arg(1)), ok);
    if (!ok) return;
    // COUNT 0 answers a null array, not an empty one: Redis 7.0's xrangeGenericCommand does so, and
    // client libraries map the two differently (None vs []). A missing key is an empty array.
    if (!s) return ctx.reply.array(0);
    if (count == 0) return ctx.reply.null_array();
    size_t mark = ctx.reply.mark();
    size_t n = 0;
    s->range(*start, *end, reverse, [&](const StreamEntryView& e) {
        reply_entry(ctx.reply, e);
        return ++n != static_cast<uint64_t>(count);
    });
    ctx.reply.array_at(mark, n);
}

}  // namespace

void cmd_xrange(CommandContext& ctx) { range_generic(ctx, false); }
void cmd_xrevrange(CommandContext& ctx) { range_generic(ctx, true); }

// XLEN: O(1), the live entries (deleted ones do not count); 0 for a missing key.
void cmd_xlen(CommandContext& ctx) {
    bool ok;
    Stream* s = stream_of(ctx, ctx.lookup_read(ctx.arg(1)), ok);
    if (!ok) return;
    ctx.reply.integer(s ? static_cast<int64_t>(s->length()) : 0);
}

// XDEL key id [id ...]: tombstones; the IDs are checked before anything is deleted.
void cmd_xdel(CommandContext& ctx) {
    bool ok;
    std::string_view key = ctx.arg(1);
    Stream* s = stream_of(ctx, ctx.lookup_write(key), ok);
    if (!ok) return;
    if (!s) return ctx.reply.integer(0);
    std::vector<StreamID> ids;
    for (size_t j = 2; j < ctx.argc(); ++j) {
        auto id = strict_id(ctx, ctx.arg(j));
        if (!id) return;
        ids.push_back(*id);
    }
    int64_t deleted = 0;
    // XDEL does not shrink a block: the entry is flagged deleted and skipped by readers; the block's
    // memory is returned when all its entries are gone or a trim drops it (Redis' listpack flags work
    // the same way). A pending entry deleted this way stays in the PEL until XACKed or claimed.
    for (StreamID id : ids) deleted += s->remove(id) ? 1 : 0;
    if (deleted) ctx.modified(key);
    ctx.reply.integer(deleted);
}

// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]
// XSETID moves the stream's last ID (and, with the 7.0 options, its counters). Redis' AOF rewrite
// emits it to recreate a stream whose newest entries were deleted: the next "*" ID must still be
// larger than any ID the stream ever handed out. Our rewrite writes a snapshot instead, which
// carries last_id directly (docs/miniredis/04-streams.md, "Durability: what the AOF gets").
void cmd_xsetid(CommandContext& ctx) {
    auto id = strict_id(ctx, ctx.arg(2));
    if (!id) return;
    int64_t entries_added = -1;
    StreamID max_deleted;
    for (size_t i = 3; i < ctx.argc();) {
        bool more = i + 1 < ctx.argc();
        if (equals_ignore_case(ctx.arg(i), "ENTRIESADDED") && more) {
            auto v = ll_arg(ctx, ctx.arg(i + 1));
            if (!v) return;
            if (*v < 0) return ctx.reply.error("ERR entries_added must be positive");
            entries_added = *v;
        } else if (equals_ignore_case(ctx.arg(i), "MAXDELETEDID") && more) {
            auto v = strict_id(ctx, ctx.arg(i + 1));
            if (!v) return;
            if (*id < *v)
                return ctx.reply.error(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
            max_deleted = *v;
        } else {
            return ctx.syntax_error();
        }
        i += 2;
    }
    bool ok;
    std::string_view key = ctx.arg(1);
    // Unlike XADD, XSETID never creates the stream: a last ID without entries or groups would be
    // a stream nobody asked for, so a missing key is an error.
    Value* v = ctx.lookup_write(key);
    if (!v) return ctx.reply.error(errors::kNoSuchKey);
    Stream* s = stream_of(ctx, v, ok);
    if (!ok) return;
    if (s->length() > 0) {
        if (*id < s->last_entry_id())
            return ctx.reply.error("ERR The ID specified in XSETID is smaller than the target stream top item");
        if (entries_added != -1 && s->length() > static_cast<uint64_t>(entries_added))
            return ctx.reply.error(
                "ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
    if (*id < s->max_deleted_id)
        return ctx.reply.error("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id");
    s->last_id = *id;
    if (entries_added != -1) s->entries_added = static_cast<uint64_t>(entries_added);
    if (!max_deleted.is_zero()) s->max_deleted_id = max_deleted;
    ctx.modified(key);
    ctx.reply.ok();
}

}  // namespace miniredis
