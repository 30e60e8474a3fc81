// Stream commands: XADD, XRANGE/XREVRANGE, XLEN, XDEL, XTRIM, XSETID, XREAD, XGROUP, XREADGROUP,
// XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO (Redis' t_stream.c).
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
// READ NEXT: model/stream.hpp, commands/blocking.cpp (XREAD BLOCK), docs/miniredis/04-streams.md.
#include "commands/streams.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {
namespace {

constexpr std::string_view kInvalidId = "ERR Invalid stream ID specified as stream command argument";

// --- small helpers -----------------------------------------------------------------------

void reply_id(Reply& r, StreamID id) {
    char buffer[48];
    auto end = fmt::format_to_n(buffer, sizeof buffer, "{}-{}", id.ms, id.seq).out;
    r.bulk(std::string_view(buffer, static_cast<size_t>(end - buffer)));
}

void reply_entry(Reply& r, const StreamEntryView& e) {
    r.array(2);
    reply_id(r, e.id);
    r.array(e.fields_values.size());
    for (std::string_view s : e.fields_values) r.bulk(s);
}

// A stream value, or nullptr (absent, or WRONGTYPE replied: then ok = false).
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
std::optional<StreamID> strict_id(CommandContext& ctx, std::string_view text, uint64_t missing_seq = 0,
                                  bool reply = true) {
    auto id = parse_stream_id(text, missing_seq);
    if (!id && reply) ctx.reply.error(kInvalidId);
    return id;
}

// Range ends: "-", "+", "(id" (exclusive) or an ID; `missing_seq` fills "123" (0 or max).
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

std::optional<int64_t> ll_arg(CommandContext& ctx, std::string_view text,
                              std::string_view error = errors::kNotInteger) {
    auto v = parse_int64(text);
    if (!v) ctx.reply.error(error);
    return v;
}

// XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last: recreates one
// PEL entry exactly (Redis' streamPropagateXCLAIM).
void propagate_xclaim(ServerState& server, int db, std::string_view key, std::string_view group_name,
                      const ConsumerGroup& group, StreamID id, const PendingEntry& p) {
    if (server.env.loading || !server.aof_enabled()) return;  // nobody to tell: skip the strings
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

void propagate_group_id(ServerState& server, int db, std::string_view key, std::string_view group_name,
                        const ConsumerGroup& group) {
    if (server.env.loading || !server.aof_enabled()) return;
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
void group_changed(ServerState& server) { ++server.dirty; }

// XREADGROUP, XCLAIM and XAUTOCLAIM create consumers on first use. A consumer is group state a
// replay must recreate even when it got nothing yet, so its creation is logged on its own as
// XGROUP CREATECONSUMER (as Redis 7 does).
StreamConsumer& consumer_for(ServerState& server, int db, std::string_view key, std::string_view group_name,
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

// --- trimming arguments (XADD and XTRIM share them) ---------------------------------------

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
        if (xadd && opt == "*") break;
        if ((equals_ignore_case(opt, "maxlen") || equals_ignore_case(opt, "minid")) && more) {
            bool is_maxlen = equals_ignore_case(opt, "maxlen");
            if (t.strategy != TrimArgs::none) {
                ctx.reply.error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
                return 0;
            }
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
    if (fields_at > ctx.argc() || (ctx.argc() - fields_at) < 2 || (ctx.argc() - fields_at) % 2 == 1)
        return ctx.wrong_arity();
    if (t.id_given && t.seq_given && t.id.is_zero())
        return ctx.reply.error("ERR The ID specified in XADD must be greater than 0-0");
    bool ok;
    std::string_view key = ctx.arg(1);
    Stream* s = stream_of(ctx, ctx.lookup_write(key), ok);
    if (!ok) return;
    if (!s) {
        if (t.nomkstream) return ctx.reply.null();
        s = ctx.db().set(key, Value::of<Stream>()).stream();
    }
    if (s->last_id == StreamID::max())
        return ctx.reply.error("ERR The stream has exhausted the last possible ID, unable to add more items");
    // The new ID. With "*" it is now's millisecond - unless the clock went back (NTP, a VM
    // migration): IDs must still grow, so we stay in the last ID's millisecond and count up.
    StreamID id;
    const StreamID last = s->last_id;
    if (!t.id_given) {
        auto now = static_cast<uint64_t>(std::max<int64_t>(ctx.now_ms(), 0));
        id = now > last.ms ? StreamID{now, 0} : *last.next();
    } else if (!t.seq_given) {
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
    s->append(id, ctx.argv.subspan(fields_at));
    ctx.modified(key);
    size_t trimmed = t.strategy != TrimArgs::none ? apply_trim(*s, t) : 0;
    if (ctx.server.aof_enabled()) {
        std::vector<std::string> args(ctx.argv.begin(), ctx.argv.end());
        args[id_at] = id.str();  // the AOF gets the concrete ID
        if (trimmed) rewrite_trim(ctx, *s, t, args);
        ctx.rewritten = std::move(args);
    }
    reply_id(ctx.reply, id);
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
void cmd_xtrim(CommandContext& ctx) {
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
void range_generic(CommandContext& ctx, bool reverse) {
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
    for (StreamID id : ids) deleted += s->remove(id) ? 1 : 0;
    if (deleted) ctx.modified(key);
    ctx.reply.integer(deleted);
}

// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]
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

// --- XREAD and XREADGROUP ----------------------------------------------------------------

namespace {

// Delivers entries of `s` above `after` to the reply: plain (XREAD) or through a group (`>`:
// they enter the PEL of the group and of the consumer, the group's last ID moves). Returns the
// number of entries replied. Propagates the group changes, as Redis does.
size_t deliver_new(ServerState& server, int db, Reply& reply, std::string_view key, Stream& s, StreamID after,
                   int64_t count, ConsumerGroup* group, std::string_view group_name, StreamConsumer* consumer,
                   bool noack) {
    auto start = after.next();
    size_t mark = reply.mark();
    size_t n = 0;
    int64_t now = server.clock.now_ms();
    std::vector<StreamID> delivered;
    bool moved = false;
    if (start) {
        s.range(*start, StreamID::max(), false, [&](const StreamEntryView& e) {
            if (group && e.id > group->last_id) {
                if (group->entries_read != ConsumerGroup::kEntriesReadUnknown &&
                    !s.range_has_tombstones(e.id, StreamID::max()))
                    ++group->entries_read;
                else if (s.entries_added)
                    group->entries_read = s.estimate_entries_read(e.id);
                group->last_id = e.id;
                moved = true;
            }
            if (group && !noack) {
                PendingEntry& p = group->assign(e.id, *consumer, now);
                p.delivery_count = 1;
                delivered.push_back(e.id);
            }
            reply_entry(reply, e);
            return ++n != static_cast<uint64_t>(count);
        });
    }
    reply.array_at(mark, n);
    if (group) {
        for (StreamID id : delivered) propagate_xclaim(server, db, key, group_name, *group, id, group->pel[id]);
        if (moved) propagate_group_id(server, db, key, group_name, *group);
        group_changed(server);
    }
    return n;
}

// XREADGROUP with an ID: the consumer's own pending entries above it (its history), each one a
// redelivery (count + 1). Entries deleted meanwhile come back as [id, nil].
void deliver_history(ServerState& server, int db, Reply& reply, std::string_view key, Stream& s, StreamID after,
                     int64_t count, ConsumerGroup& group, std::string_view group_name, StreamConsumer& consumer) {
    auto start = after.next();
    size_t mark = reply.mark();
    size_t n = 0;
    int64_t now = server.clock.now_ms();
    if (start) {
        for (auto it = consumer.pending.lower_bound(*start); it != consumer.pending.end(); ++it) {
            if (count > 0 && n == static_cast<uint64_t>(count)) break;
            bool found = s.lookup(*it, [&](const StreamEntryView& e) { reply_entry(reply, e); });
            ++n;
            if (!found) {  // deleted since: shown, but not delivered again
                reply.array(2);
                reply_id(reply, *it);
                reply.null_array();
                continue;
            }
            PendingEntry& p = group.pel[*it];
            p.delivery_time = now;
            ++p.delivery_count;
            propagate_xclaim(server, db, key, group_name, group, *it, p);
        }
    }
    reply.array_at(mark, n);
    group_changed(server);
}

struct ReadArgs {
    int64_t count = -1;           // -1 = no COUNT
    int64_t block_deadline = -1;  // -1 = no BLOCK; 0 = forever; else Unix ms
    size_t streams_at = 0, streams = 0;
    std::string_view group, consumer;
    bool noack = false;
};

void read_generic(CommandContext& ctx, bool xreadgroup) {
    ReadArgs a;
    bool has_group = false;
    for (size_t i = 1; i < ctx.argc(); ++i) {
        size_t more = ctx.argc() - i - 1;
        std::string_view o = ctx.arg(i);
        if (equals_ignore_case(o, "BLOCK") && more) {
            ++i;
            auto ms = parse_int64(ctx.arg(i));
            if (!ms) return ctx.reply.error("ERR timeout is not an integer or out of range");
            if (*ms < 0) return ctx.reply.error("ERR timeout is negative");
            if (*ms > INT64_MAX - ctx.now_ms()) return ctx.reply.error("ERR timeout is out of range");
            a.block_deadline = *ms == 0 ? 0 : ctx.now_ms() + *ms;
        } else if (equals_ignore_case(o, "COUNT") && more) {
            ++i;
            auto v = ll_arg(ctx, ctx.arg(i));
            if (!v) return;
            a.count = *v < 0 ? 0 : *v;
        } else if (equals_ignore_case(o, "STREAMS") && more) {
            a.streams_at = i + 1;
            size_t n = ctx.argc() - a.streams_at;
            if (n % 2 != 0)
                return ctx.reply.error(fmt::format(
                    "ERR Unbalanced {} list of streams: for each stream key an ID or '{}' must be specified.",
                    xreadgroup ? "XREADGROUP" : "XREAD", xreadgroup ? '>' : '$'));
            a.streams = n / 2;
            break;
        } else if (equals_ignore_case(o, "GROUP") && more >= 2) {
            if (!xreadgroup)
                return ctx.reply.error(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
            a.group = ctx.arg(i + 1);
            a.consumer = ctx.arg(i + 2);
            has_group = true;
            i += 2;
        } else if (equals_ignore_case(o, "NOACK")) {
            if (!xreadgroup)
                return ctx.reply.error(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
            a.noack = true;
        } else {
            return ctx.syntax_error();
        }
    }
    if (a.streams_at == 0 || (xreadgroup && !has_group)) return ctx.syntax_error();

    std::vector<StreamID> ids(a.streams);
    std::vector<ConsumerGroup*> groups(a.streams, nullptr);
    for (size_t k = 0; k < a.streams; ++k) {
        std::string_view key = ctx.arg(a.streams_at + k);
        std::string_view id_text = ctx.arg(a.streams_at + a.streams + k);
        bool ok;
        Stream* s = stream_of(ctx, ctx.lookup_read(key), ok);
        if (!ok) return;
        if (xreadgroup) {
            groups[k] = s ? s->group(a.group) : nullptr;
            if (!groups[k])
                return ctx.reply.error(fmt::format(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option", key, a.group));
        }
        if (id_text == "$") {
            if (xreadgroup)
                return ctx.reply.error(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this "
                    "consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just "
                    "return an empty result set.");
            ids[k] = s ? s->last_id : StreamID{};
            continue;
        }
        if (id_text == ">") {
            if (!xreadgroup)
                return ctx.reply.error(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> "
                    "option.");
            ids[k] = StreamID::max();
            continue;
        }
        auto id = strict_id(ctx, id_text);
        if (!id) return;
        ids[k] = *id;
    }

    // Serve what can be served now.
    ctx.suppress_propagation = true;  // deliveries propagate themselves (XCLAIM / XGROUP SETID)
    size_t mark = ctx.reply.mark();
    size_t served = 0;
    for (size_t k = 0; k < a.streams; ++k) {
        std::string_view key = ctx.arg(a.streams_at + k);
        Value* v = ctx.db().find(key);
        if (!v) continue;
        Stream& s = *v->stream();
        StreamID after = ids[k];
        bool history = false, now = false;
        if (xreadgroup) {
            if (after != StreamID::max()) {
                now = history = true;
            } else if (s.length() && s.last_entry_id() > groups[k]->last_id) {
                now = true;
                after = groups[k]->last_id;
            }
        } else if (s.length() && s.last_entry_id() > after) {
            now = true;
        }
        if (!now) continue;
        ++served;
        if (!ctx.reply.resp3()) ctx.reply.array(2);
        ctx.reply.bulk(key);
        if (!xreadgroup) {
            deliver_new(ctx.server, ctx.client.db, ctx.reply, key, s, after, a.count, nullptr, {}, nullptr, false);
            continue;
        }
        StreamConsumer& consumer = consumer_for(ctx.server, ctx.client.db, key, a.group, *groups[k], a.consumer);
        consumer.seen_time = ctx.now_ms();
        if (history)
            deliver_history(ctx.server, ctx.client.db, ctx.reply, key, s, after, a.count, *groups[k], a.group,
                            consumer);
        else
            deliver_new(ctx.server, ctx.client.db, ctx.reply, key, s, after, a.count, groups[k], a.group, &consumer,
                        a.noack);
    }
    if (served) return ctx.reply.resp3() ? ctx.reply.map_at(mark, served) : ctx.reply.array_at(mark, served);
    // Nothing now: block, or answer "nothing". Inside MULTI/EXEC nobody can wait.
    if (a.block_deadline < 0 || ctx.server.in_exec) return ctx.reply.null_array();
    BlockedState how;
    how.kind = BlockKind::stream;
    how.active = true;
    how.db = ctx.client.db;
    how.deadline_ms = a.block_deadline;
    how.count = a.count;
    how.group = a.group;
    how.consumer = a.consumer;
    how.noack = a.noack;
    how.stream_ids = ids;
    for (size_t k = 0; k < a.streams; ++k) how.keys.emplace_back(ctx.arg(a.streams_at + k));
    ctx.client.blocked = std::move(how);
    ctx.server.block_client(ctx.client);
}

}  // namespace

void cmd_xread(CommandContext& ctx) { read_generic(ctx, false); }
void cmd_xreadgroup(CommandContext& ctx) { read_generic(ctx, true); }

// A blocked reader, now that `key` changed: XREAD wants entries above its ID; XREADGROUP ">"
// wants entries above the group's last delivered ID (read now: another consumer may have moved
// it). A group destroyed meanwhile is an error for its readers.
bool serve_blocked_stream_reader(ServerState& server, Client& client, std::string_view key) {
    const BlockedState& how = client.blocked;
    auto pos = std::find(how.keys.begin(), how.keys.end(), key) - how.keys.begin();
    if (static_cast<size_t>(pos) >= how.keys.size()) return false;
    Value* v = server.db(how.db).find(key);
    bool xreadgroup = !how.group.empty();
    Reply reply(client.out, client.protocol);
    if (!v || v->type() != Type::stream) {
        // XREAD waits for the key to come back; a group reader's group went with the key.
        if (!xreadgroup) return false;
        reply.error("UNBLOCKED the stream key no longer exists");
        return true;
    }
    Stream& s = *v->stream();
    ConsumerGroup* group = xreadgroup ? s.group(how.group) : nullptr;
    if (xreadgroup && !group) {
        reply.error("NOGROUP the consumer group this client was blocked on no longer exists");
        return true;
    }
    StreamID after = xreadgroup ? group->last_id : how.stream_ids[static_cast<size_t>(pos)];
    if (!s.length() || s.last_entry_id() <= after) return false;
    // Copy what we need: unblocking resets client.blocked.
    std::string group_name = how.group, consumer_name = how.consumer;
    int db = how.db;
    int64_t count = how.count;
    bool noack = how.noack;
    if (reply.resp3()) {
        reply.map(1);
    } else {
        reply.array(1);
        reply.array(2);
    }
    reply.bulk(key);
    StreamConsumer* consumer = nullptr;
    if (group) {
        consumer = &consumer_for(server, db, key, group_name, *group, consumer_name);
        consumer->seen_time = server.clock.now_ms();
    }
    deliver_new(server, db, reply, key, s, after, count, group, group_name, consumer, noack);
    return true;
}

// --- consumer groups ------------------------------------------------------------------------

namespace {

void nogroup_for_key(CommandContext& ctx, std::string_view group, std::string_view key) {
    ctx.reply.error(fmt::format("NOGROUP No such consumer group '{}' for key name '{}'", group, key));
}

}  // namespace

// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER key group ... (one handler, as Redis)
void cmd_xgroup(CommandContext& ctx) {
    std::string_view sub = ctx.arg(1);
    if (equals_ignore_case(sub, "HELP")) {
        const char* lines[] = {
            "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
            "HELP",
            "    Prints this help.",
        };
        ctx.reply.array(std::size(lines));
        for (const char* l : lines) ctx.reply.simple(l);
        return;
    }
    bool create = equals_ignore_case(sub, "CREATE"), setid = equals_ignore_case(sub, "SETID");
    bool mkstream = false;
    int64_t entries_read = ConsumerGroup::kEntriesReadUnknown;
    auto subcommand_error = [&] {
        ctx.reply.error(
            fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.", sub));
    };
    if (create || setid) {
        for (size_t i = 5; i < ctx.argc();) {
            if (create && equals_ignore_case(ctx.arg(i), "MKSTREAM")) {
                mkstream = true;
                ++i;
            } else if (equals_ignore_case(ctx.arg(i), "ENTRIESREAD") && i + 1 < ctx.argc()) {
                auto v = ll_arg(ctx, ctx.arg(i + 1));
                if (!v) return;
                if (*v < 0 && *v != ConsumerGroup::kEntriesReadUnknown)
                    return ctx.reply.error("ERR value for ENTRIESREAD must be positive or -1");
                entries_read = *v;
                i += 2;
            } else {
                return subcommand_error();
            }
        }
    }
    std::string_view key = ctx.arg(2), group_name = ctx.arg(3);
    bool ok;
    Stream* s = stream_of(ctx, ctx.lookup_write(key), ok);
    if (!ok) return;
    if (!s && !mkstream)
        return ctx.reply.error(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the "
            "MKSTREAM option to create an empty stream automatically.");
    ConsumerGroup* group = s ? s->group(group_name) : nullptr;
    if (!group && (setid || equals_ignore_case(sub, "CREATECONSUMER") || equals_ignore_case(sub, "DELCONSUMER")))
        return nogroup_for_key(ctx, group_name, key);

    if (create) {
        StreamID id;
        if (ctx.arg(4) == "$") {
            id = s ? s->last_id : StreamID{};
        } else {
            auto parsed = strict_id(ctx, ctx.arg(4));
            if (!parsed) return;
            id = *parsed;
        }
        if (s && s->group(group_name)) return ctx.reply.error("BUSYGROUP Consumer Group name already exists");
        if (!s) {
            s = ctx.db().set(key, Value::of<Stream>()).stream();  // MKSTREAM: a new key
            ctx.modified(key);
        }
        auto g = std::make_unique<ConsumerGroup>();
        g->last_id = id;
        g->entries_read = entries_read;
        s->groups.emplace(std::string(group_name), std::move(g));
        group_changed(ctx.server);
        return ctx.reply.ok();
    }
    if (setid) {
        if (ctx.argc() != 5 && ctx.argc() != 7) return subcommand_error();
        StreamID id;
        if (ctx.arg(4) == "$") {
            id = s->last_id;
        } else {
            auto parsed = parse_stream_id(ctx.arg(4), 0);
            if (!parsed) return ctx.reply.error(kInvalidId);
            id = *parsed;
        }
        group->last_id = id;
        group->entries_read = entries_read;
        group_changed(ctx.server);
        return ctx.reply.ok();
    }
    if (equals_ignore_case(sub, "DESTROY")) {
        if (ctx.argc() != 4) return subcommand_error();
        if (!group) return ctx.reply.integer(0);
        s->groups.erase(s->groups.find(group_name));
        group_changed(ctx.server);
        ctx.server.signal_key_ready(ctx.client.db, key);  // its blocked readers get NOGROUP
        return ctx.reply.integer(1);
    }
    if (equals_ignore_case(sub, "CREATECONSUMER")) {
        if (ctx.argc() != 5) return subcommand_error();
        bool created;
        group->consumer_or_create(ctx.arg(4), ctx.now_ms(), &created);
        if (created) group_changed(ctx.server);
        return ctx.reply.integer(created ? 1 : 0);
    }
    if (equals_ignore_case(sub, "DELCONSUMER")) {
        if (ctx.argc() != 5) return subcommand_error();
        size_t pending = group->remove_consumer(ctx.arg(4));
        group_changed(ctx.server);
        return ctx.reply.integer(static_cast<int64_t>(pending));
    }
    subcommand_error();
}

// XACK key group id [id ...]: the entries leave the PEL - done, never redelivered.
void cmd_xack(CommandContext& ctx) {
    bool ok;
    std::string_view key = ctx.arg(1);
    Stream* s = stream_of(ctx, ctx.lookup_write(key), ok);
    if (!ok) return;
    ConsumerGroup* group = s ? s->group(ctx.arg(2)) : nullptr;
    std::vector<StreamID> ids;
    for (size_t j = 3; j < ctx.argc(); ++j) {
        auto id = strict_id(ctx, ctx.arg(j));
        if (!id) return;
        ids.push_back(*id);
    }
    if (!group) return ctx.reply.integer(0);
    int64_t acked = 0;
    for (StreamID id : ids) acked += group->ack(id) ? 1 : 0;
    if (acked) group_changed(ctx.server);
    ctx.reply.integer(acked);
}

// XPENDING key group [[IDLE min-idle] start end count [consumer]]
void cmd_xpending(CommandContext& ctx) {
    if (ctx.argc() != 3 && (ctx.argc() < 6 || ctx.argc() > 9)) return ctx.syntax_error();
    bool summary = ctx.argc() == 3;
    int64_t min_idle = 0, count = 0;
    StreamID start, end;
    std::string_view consumer_name;
    bool consumer_given = false;
    if (!summary) {
        size_t at = 3;
        if (equals_ignore_case(ctx.arg(3), "IDLE")) {
            auto v = ll_arg(ctx, ctx.arg(4));
            if (!v) return;
            min_idle = *v;
            if (ctx.argc() < 8) return ctx.syntax_error();
            at += 2;
        }
        auto c = ll_arg(ctx, ctx.arg(at + 2));
        if (!c) return;
        count = *c < 0 ? 0 : *c;
        auto lo = range_id(ctx, ctx.arg(at), true);
        if (!lo) return;
        auto hi = range_id(ctx, ctx.arg(at + 1), false);
        if (!hi) return;
        start = *lo;
        end = *hi;
        if (at + 3 < ctx.argc()) {
            consumer_name = ctx.arg(at + 3);
            consumer_given = true;
        }
    }
    bool ok;
    Stream* s = stream_of(ctx, ctx.lookup_read(ctx.arg(1)), ok);
    if (!ok) return;
    ConsumerGroup* group = s ? s->group(ctx.arg(2)) : nullptr;
    if (!group)
        return ctx.reply.error(fmt::format("NOGROUP No such key '{}' or consumer group '{}'", ctx.arg(1), ctx.arg(2)));
    if (summary) {
        ctx.reply.array(4);
        ctx.reply.integer(static_cast<int64_t>(group->pel.size()));
        if (group->pel.empty()) {
            ctx.reply.null();
            ctx.reply.null();
            ctx.reply.null_array();
            return;
        }
        reply_id(ctx.reply, group->pel.begin()->first);
        reply_id(ctx.reply, group->pel.rbegin()->first);
        size_t mark = ctx.reply.mark();
        size_t n = 0;
        for (const auto& [name, c] : group->consumers) {
            if (c->pending.empty()) continue;
            ctx.reply.array(2);
            ctx.reply.bulk(name);
            ctx.reply.bulk(std::to_string(c->pending.size()));
            ++n;
        }
        return ctx.reply.array_at(mark, n);
    }
    StreamConsumer* consumer = nullptr;
    if (consumer_given) {
        consumer = group->consumer(consumer_name);
        if (!consumer) return ctx.reply.array(0);
    }
    int64_t now = ctx.now_ms();
    size_t mark = ctx.reply.mark();
    size_t n = 0;
    auto visit = [&](StreamID id, const PendingEntry& p) {
        if (min_idle && now - p.delivery_time < min_idle) return;
        ctx.reply.array(4);
        reply_id(ctx.reply, id);
        ctx.reply.bulk(p.consumer->name);
        ctx.reply.integer(std::max<int64_t>(now - p.delivery_time, 0));
        ctx.reply.integer(static_cast<int64_t>(p.delivery_count));
        ++n;
        --count;
    };
    if (start <= end) {
        if (consumer) {
            for (auto it = consumer->pending.lower_bound(start); count && it != consumer->pending.end() && *it <= end;
                 ++it)
                visit(*it, group->pel[*it]);
        } else {
            for (auto it = group->pel.lower_bound(start); count && it != group->pel.end() && it->first <= end; ++it)
                visit(it->first, it->second);
        }
    }
    ctx.reply.array_at(mark, n);
}

namespace {

// A claim of an entry deleted from the stream drops it from the PEL.
void drop_deleted(ServerState& server, int db, std::string_view key, std::string_view group_name, ConsumerGroup& group,
                  StreamID id) {
    PendingEntry p = group.pel[id];
    group.ack(id);
    // Replayed, this XCLAIM finds the entry gone and drops it from the PEL just the same.
    propagate_xclaim(server, db, key, group_name, group, id, p);
}

}  // namespace

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE]
//        [JUSTID] [LASTID id]
void cmd_xclaim(CommandContext& ctx) {
    bool ok;
    std::string_view key = ctx.arg(1), group_name = ctx.arg(2);
    Stream* s = stream_of(ctx, ctx.lookup_read(key), ok);
    if (!ok) return;
    ConsumerGroup* group = s ? s->group(group_name) : nullptr;
    if (!group) return ctx.reply.error(fmt::format("NOGROUP No such key '{}' or consumer group '{}'", key, group_name));
    auto min_idle = ll_arg(ctx, ctx.arg(4), "ERR Invalid min-idle-time argument for XCLAIM");
    if (!min_idle) return;
    int64_t minidle = std::max<int64_t>(*min_idle, 0);
    size_t j = 5;
    std::vector<StreamID> ids;
    for (; j < ctx.argc(); ++j) {
        auto id = parse_stream_id(ctx.arg(j), 0);
        if (!id) break;
        ids.push_back(*id);
    }
    int64_t now = ctx.now_ms();
    int64_t delivery_time = -1, retrycount = -1;
    bool force = false, justid = false;
    StreamID last_id;
    for (; j < ctx.argc(); ++j) {
        bool more = j + 1 < ctx.argc();
        std::string_view opt = ctx.arg(j);
        if (equals_ignore_case(opt, "FORCE")) {
            force = true;
        } else if (equals_ignore_case(opt, "JUSTID")) {
            justid = true;
        } else if (equals_ignore_case(opt, "IDLE") && more) {
            auto v = ll_arg(ctx, ctx.arg(++j), "ERR Invalid IDLE option argument for XCLAIM");
            if (!v) return;
            // A huge negative IDLE would overflow: it lands in the future, clamped to now below.
            if (__builtin_sub_overflow(now, *v, &delivery_time)) delivery_time = now;
        } else if (equals_ignore_case(opt, "TIME") && more) {
            auto v = ll_arg(ctx, ctx.arg(++j), "ERR Invalid TIME option argument for XCLAIM");
            if (!v) return;
            delivery_time = *v;
        } else if (equals_ignore_case(opt, "RETRYCOUNT") && more) {
            auto v = ll_arg(ctx, ctx.arg(++j), "ERR Invalid RETRYCOUNT option argument for XCLAIM");
            if (!v) return;
            retrycount = *v;
        } else if (equals_ignore_case(opt, "LASTID") && more) {
            auto v = strict_id(ctx, ctx.arg(++j));
            if (!v) return;
            last_id = *v;
        } else {
            return ctx.reply.error(fmt::format("ERR Unrecognized XCLAIM option '{}'", opt));
        }
    }
    ctx.suppress_propagation = true;
    bool propagate_last_id = false;
    if (last_id > group->last_id) {
        group->last_id = last_id;
        propagate_last_id = true;
    }
    if (delivery_time == -1 || delivery_time < 0 || delivery_time > now) delivery_time = now;
    StreamConsumer* consumer = nullptr;
    size_t mark = ctx.reply.mark();
    size_t n = 0;
    for (StreamID id : ids) {
        auto it = group->pel.find(id);
        bool exists = s->lookup(id);
        if (it == group->pel.end()) {
            if (!force || !exists) continue;
        } else {
            if (!exists) {
                drop_deleted(ctx.server, ctx.client.db, key, group_name, *group, id);
                propagate_last_id = false;
                group_changed(ctx.server);
                continue;
            }
            if (minidle && now - it->second.delivery_time < minidle) continue;
        }
        if (!consumer) consumer = &consumer_for(ctx.server, ctx.client.db, key, group_name, *group, ctx.arg(3));
        PendingEntry& p = group->assign(id, *consumer, delivery_time);  // a FORCEd new one starts at 1
        if (retrycount >= 0)
            p.delivery_count = static_cast<uint64_t>(retrycount);
        else if (!justid)
            ++p.delivery_count;
        if (justid)
            reply_id(ctx.reply, id);
        else
            s->lookup(id, [&](const StreamEntryView& e) { reply_entry(ctx.reply, e); });
        ++n;
        propagate_xclaim(ctx.server, ctx.client.db, key, group_name, *group, id, p);
        propagate_last_id = false;
        group_changed(ctx.server);
    }
    if (consumer) consumer->seen_time = now;
    if (propagate_last_id) {
        propagate_group_id(ctx.server, ctx.client.db, key, group_name, *group);
        group_changed(ctx.server);
    }
    ctx.reply.array_at(mark, n);
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]: XPENDING + XCLAIM in
// one step, with a cursor - how a worker picks up what a crashed colleague left pending.
void cmd_xautoclaim(CommandContext& ctx) {
    bool ok;
    std::string_view key = ctx.arg(1), group_name = ctx.arg(2);
    Stream* s = stream_of(ctx, ctx.lookup_read(key), ok);
    if (!ok) return;
    ConsumerGroup* group = s ? s->group(group_name) : nullptr;
    auto min_idle = ll_arg(ctx, ctx.arg(4), "ERR Invalid min-idle-time argument for XAUTOCLAIM");
    if (!min_idle) return;
    int64_t minidle = std::max<int64_t>(*min_idle, 0);
    auto start = range_id(ctx, ctx.arg(5), true);
    if (!start) return;
    int64_t count = 100;
    bool justid = false;
    for (size_t j = 6; j < ctx.argc(); ++j) {
        if (equals_ignore_case(ctx.arg(j), "COUNT") && j + 1 < ctx.argc()) {
            auto v = parse_int64(ctx.arg(j + 1));
            if (!v || *v < 1 || *v > LONG_MAX / 16) return ctx.reply.error("ERR COUNT must be > 0");
            count = *v;
            ++j;
        } else if (equals_ignore_case(ctx.arg(j), "JUSTID")) {
            justid = true;
        } else {
            return ctx.syntax_error();
        }
    }
    if (!group) return ctx.reply.error(fmt::format("NOGROUP No such key '{}' or consumer group '{}'", key, group_name));
    ctx.suppress_propagation = true;
    int64_t now = ctx.now_ms();
    int64_t attempts = count * 10;
    StreamConsumer* consumer = nullptr;
    std::vector<StreamID> deleted;
    // The claimed entries are written to a side buffer: the reply starts with the cursor, which
    // is known only after the walk.
    mb::ByteBuffer scratch;
    Reply out(scratch, ctx.client.protocol);
    size_t n = 0;
    auto it = group->pel.lower_bound(*start);
    while (attempts-- && count && it != group->pel.end()) {
        StreamID id = it->first;
        ++it;
        if (!s->lookup(id)) {
            drop_deleted(ctx.server, ctx.client.db, key, group_name, *group, id);
            deleted.push_back(id);
            --count;
            group_changed(ctx.server);
            continue;
        }
        PendingEntry& p = group->pel[id];
        if (minidle && now - p.delivery_time < minidle) continue;
        if (!consumer) consumer = &consumer_for(ctx.server, ctx.client.db, key, group_name, *group, ctx.arg(3));
        group->assign(id, *consumer, now);
        if (!justid) ++p.delivery_count;
        if (justid)
            reply_id(out, id);
        else
            s->lookup(id, [&](const StreamEntryView& e) { reply_entry(out, e); });
        ++n;
        --count;
        propagate_xclaim(ctx.server, ctx.client.db, key, group_name, *group, id, p);
        group_changed(ctx.server);
    }
    if (consumer) consumer->seen_time = now;
    ctx.reply.array(3);
    reply_id(ctx.reply, it == group->pel.end() ? StreamID{} : it->first);
    ctx.reply.array(n);
    ctx.reply.buffer().append(scratch.readable());
    ctx.reply.array(deleted.size());
    for (StreamID id : deleted) reply_id(ctx.reply, id);
}

// --- XINFO ------------------------------------------------------------------------------

namespace {

void reply_lag(Reply& r, const Stream& s, const ConsumerGroup& g) {
    int64_t lag = s.group_lag(g);
    if (lag < 0)
        r.null();
    else
        r.integer(lag);
}

void reply_entries_read(Reply& r, const ConsumerGroup& g) {
    if (g.entries_read == ConsumerGroup::kEntriesReadUnknown)
        r.null();
    else
        r.integer(g.entries_read);
}

void xinfo_stream(CommandContext& ctx, Stream& s, bool full, int64_t count) {
    Reply& r = ctx.reply;
    r.map(full ? 9 : 10);
    r.bulk("length");
    r.integer(static_cast<int64_t>(s.length()));
    r.bulk("radix-tree-keys");
    r.integer(static_cast<int64_t>(s.blocks()));
    // Redis counts the radix tree's inner nodes; we have one map node per block.
    r.bulk("radix-tree-nodes");
    r.integer(static_cast<int64_t>(s.blocks() ? s.blocks() + 1 : 1));
    r.bulk("last-generated-id");
    reply_id(r, s.last_id);
    r.bulk("max-deleted-entry-id");
    reply_id(r, s.max_deleted_id);
    r.bulk("entries-added");
    r.integer(static_cast<int64_t>(s.entries_added));
    r.bulk("recorded-first-entry-id");
    reply_id(r, s.first_id());
    if (!full) {
        r.bulk("groups");
        r.integer(static_cast<int64_t>(s.groups.size()));
        for (bool last : {false, true}) {
            r.bulk(last ? "last-entry" : "first-entry");
            bool found = false;
            s.range({0, 0}, StreamID::max(), last, [&](const StreamEntryView& e) {
                reply_entry(r, e);
                found = true;
                return false;
            });
            if (!found) r.null();
        }
        return;
    }
    int64_t now = ctx.now_ms();
    r.bulk("entries");
    size_t mark = r.mark();
    size_t n = 0;
    s.range({0, 0}, StreamID::max(), false, [&](const StreamEntryView& e) {
        reply_entry(r, e);
        return ++n != static_cast<uint64_t>(count);
    });
    r.array_at(mark, n);
    r.bulk("groups");
    r.array(s.groups.size());
    for (const auto& [name, g] : s.groups) {
        r.map(7);
        r.bulk("name");
        r.bulk(name);
        r.bulk("last-delivered-id");
        reply_id(r, g->last_id);
        r.bulk("entries-read");
        reply_entries_read(r, *g);
        r.bulk("lag");
        reply_lag(r, s, *g);
        r.bulk("pel-count");
        r.integer(static_cast<int64_t>(g->pel.size()));
        r.bulk("pending");
        size_t pm = r.mark();
        size_t pn = 0;
        for (const auto& [id, p] : g->pel) {
            if (count && pn == static_cast<uint64_t>(count)) break;
            r.array(4);
            reply_id(r, id);
            r.bulk(p.consumer->name);
            r.integer(p.delivery_time);
            r.integer(static_cast<int64_t>(p.delivery_count));
            ++pn;
        }
        r.array_at(pm, pn);
        r.bulk("consumers");
        r.array(g->consumers.size());
        for (const auto& [cname, c] : g->consumers) {
            r.map(4);
            r.bulk("name");
            r.bulk(cname);
            r.bulk("seen-time");
            r.integer(c->seen_time);
            r.bulk("pel-count");
            r.integer(static_cast<int64_t>(c->pending.size()));
            r.bulk("pending");
            size_t cm = r.mark();
            size_t cn = 0;
            for (StreamID id : c->pending) {
                if (count && cn == static_cast<uint64_t>(count)) break;
                const PendingEntry& p = g->pel[id];
                r.array(3);
                reply_id(r, id);
                r.integer(p.delivery_time);
                r.integer(static_cast<int64_t>(p.delivery_count));
                ++cn;
            }
            r.array_at(cm, cn);
        }
    }
    (void)now;
}

}  // namespace

// XINFO STREAM key [FULL [COUNT n]] | GROUPS key | CONSUMERS key group | HELP
void cmd_xinfo(CommandContext& ctx) {
    std::string_view sub = ctx.arg(1);
    if (equals_ignore_case(sub, "HELP")) {
        const char* lines[] = {
            "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
            "HELP",
            "    Prints this help.",
        };
        ctx.reply.array(std::size(lines));
        for (const char* l : lines) ctx.reply.simple(l);
        return;
    }
    std::string_view key = ctx.arg(2);
    bool is_stream = equals_ignore_case(sub, "STREAM");
    bool full = false;
    int64_t count = 10;
    if (is_stream && ctx.argc() > 3) {
        if (!equals_ignore_case(ctx.arg(3), "FULL") || (ctx.argc() != 4 && ctx.argc() != 6))
            return ctx.reply.error(
                fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.", sub));
        full = true;
        if (ctx.argc() == 6) {
            if (!equals_ignore_case(ctx.arg(4), "COUNT")) return ctx.syntax_error();
            auto v = ll_arg(ctx, ctx.arg(5));
            if (!v) return;
            count = *v < 0 ? 0 : *v;
        }
    }
    Value* v = ctx.lookup_read(key);
    if (!v) return ctx.reply.error(errors::kNoSuchKey);
    bool ok;
    Stream* s = stream_of(ctx, v, ok);
    if (!ok) return;
    if (is_stream) return xinfo_stream(ctx, *s, full, count);
    int64_t now = ctx.now_ms();
    if (equals_ignore_case(sub, "GROUPS")) {
        ctx.reply.array(s->groups.size());
        for (const auto& [name, g] : s->groups) {
            ctx.reply.map(6);
            ctx.reply.bulk("name");
            ctx.reply.bulk(name);
            ctx.reply.bulk("consumers");
            ctx.reply.integer(static_cast<int64_t>(g->consumers.size()));
            ctx.reply.bulk("pending");
            ctx.reply.integer(static_cast<int64_t>(g->pel.size()));
            ctx.reply.bulk("last-delivered-id");
            reply_id(ctx.reply, g->last_id);
            ctx.reply.bulk("entries-read");
            reply_entries_read(ctx.reply, *g);
            ctx.reply.bulk("lag");
            reply_lag(ctx.reply, *s, *g);
        }
        return;
    }
    // CONSUMERS key group
    ConsumerGroup* g = s->group(ctx.arg(3));
    if (!g) return nogroup_for_key(ctx, ctx.arg(3), key);
    ctx.reply.array(g->consumers.size());
    for (const auto& [name, c] : g->consumers) {
        ctx.reply.map(3);
        ctx.reply.bulk("name");
        ctx.reply.bulk(name);
        ctx.reply.bulk("pending");
        ctx.reply.integer(static_cast<int64_t>(c->pending.size()));
        ctx.reply.bulk("idle");
        ctx.reply.integer(std::max<int64_t>(now - c->seen_time, 0));
    }
}

}  // namespace miniredis
