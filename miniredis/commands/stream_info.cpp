// miniredis/commands/stream_info.cpp
//
// XINFO STREAM [FULL] / GROUPS / CONSUMERS / HELP (Redis' xinfoCommand in t_stream.c). Split from
// stream_groups.cpp: these commands only look, they change nothing and propagate nothing.
//
// CONCEPT: observability of a consumer group - the question an operator asks of any queue, "who is
// behind, and by how much?". XINFO GROUPS answers with the group's position (last-delivered-id),
// its pending count and its lag; XINFO CONSUMERS with each consumer's pending count and idle time;
// XINFO STREAM FULL shows the whole picture, PELs included. It is the Redis counterpart of Kafka's
// consumer-group lag (kafka-consumer-groups --describe) and of RabbitMQ's messages_unacknowledged.
//
//   stream  1-0  2-0  3-0  4-0  5-0          entries_added = 5
//                      ^ last_id = 3-0       entries_read  = 3
//                                            lag = entries_added - entries_read = 2
//
// Lag is only exact while the group's entries_read counter is known: after an XDEL in the range
// still ahead of the group, or an XGROUP SETID to an arbitrary ID, Redis (and we) reply nil rather
// than a wrong number (reply_lag / Stream::estimate_entries_read).
//
// READ NEXT: model/consumer_group.hpp (the PEL), docs/miniredis/04-streams.md.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "commands/streams.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

// --- XINFO ------------------------------------------------------------------------------

namespace {

// nil, not 0 and not a guess: a monitoring system that sees nil knows the number is unknown, while
// a wrong 0 would say "all caught up" about a group that is not.
void reply_lag(Reply& r, const Stream& s, const ConsumerGroup& g) {
    int64_t lag = s.group_lag(g);
    if (lag < 0)
        r.null();
    else
        r.integer(lag);
}

// The group's position counted in entries: nil when it cannot be known (see the file comment).
// Redis 7.0 added this counter with the lag; a group created by an older version (or restored from
// an RDB 9 file) has none until it is set again, which is why nil is a normal answer here.
void reply_entries_read(Reply& r, const ConsumerGroup& g) {
    if (g.entries_read == ConsumerGroup::kEntriesReadUnknown)
        r.null();
    else
        r.integer(g.entries_read);
}

void xinfo_stream(CommandContext& ctx, Stream& s, bool full, int64_t count) {
    Reply& r = ctx.reply;
    // Every XINFO reply is a map (RESP3) or a flat field/value array (RESP2) with Redis 7.0's field
    // names and order: tools read fields by name, and the tests compare them with redis-server. The counts are
    // fixed per form - 10 fields for the summary, 9 for FULL - so the header comes first.
    r.map(full ? 9 : 10);
    r.bulk("length");
    r.integer(static_cast<int64_t>(s.length()));
    // Redis' storage is a radix tree of listpacks, ours an ordered map of blocks (model/stream.hpp);
    // the closest honest equivalent of "radix-tree-keys" is our number of blocks.
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
    // The first live entry's ID (0-0 for an empty stream): with entries-added and max-deleted-entry-id
    // it is what the lag estimate starts from.
    r.bulk("recorded-first-entry-id");
    reply_id(r, s.first_id());
    if (!full) {
        r.bulk("groups");
        r.integer(static_cast<int64_t>(s.groups.size()));
        // The first and last entries in full: a one-look check of "what is the oldest thing still here,
        // and what arrived last?" - nil for an empty stream.
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
    // FULL: everything, but bounded - COUNT (10 by default, 0 = no limit) caps the entries and each
    // PEL listed, because XINFO STREAM FULL on a stream of millions must not build a reply of
    // gigabytes by accident.
    // The entry count is known only after the walk (COUNT may stop it, and with COUNT 0 the
    // `++n != count` test never fires), so the array header is a placeholder patched afterwards.
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
        // FULL shows each pending entry's delivery time as Unix milliseconds, where XPENDING shows an
        // idle time: FULL is a dump meant to be stored and compared later, and an absolute time
        // stays true after the reply was taken, a relative one does not.
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
    // "XINFO STREAM key" and "XINFO STREAM key FULL [COUNT n]" are the only shapes; anything else is
    // Redis' generic "unknown subcommand or wrong number of arguments" error.
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
    // Unlike most reads, XINFO on a missing key is an error ("ERR no such key"), as in Redis: there is
    // no empty stream to describe.
    if (!v) return ctx.reply.error(errors::kNoSuchKey);
    bool ok;
    Stream* s = stream_of(ctx, v, ok);
    if (!ok) return;
    if (is_stream) return xinfo_stream(ctx, *s, full, count);
    int64_t now = ctx.now_ms();
    // XINFO GROUPS: one map per group - its consumers, its pending count (the PEL's size), where it
    // has read to, and how far behind it is.
    if (equals_ignore_case(sub, "GROUPS")) {
        // Groups (and consumers below) come in name order: Redis keeps them in a radix tree keyed by
        // name, we in a std::map, and both walk in byte order - so the replies match entry for entry.
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
    // XINFO CONSUMERS: per consumer, the entries it holds unacknowledged and how long since it was
    // last seen (a read or a claim) - a consumer with many pending entries and a long idle time has
    // most likely died, and its entries are candidates for XCLAIM / XAUTOCLAIM.
    ConsumerGroup* g = s->group(ctx.arg(3));
    if (!g) return nogroup_for_key(ctx, ctx.arg(3), key);
    // Three fields, Redis 7.0's set: 7.2 adds "inactive" (time since the last successful read), which
    // needs an active-time per consumer that we do not keep (RDB 11's active-time is skipped on load,
    // storage/rdb_values.cpp). The idle time is clamped at 0 in case the clock stepped back.
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
