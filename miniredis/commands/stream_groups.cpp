// miniredis/commands/stream_groups.cpp
//
// Consumer-group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM (Redis' t_stream.c).
// XREADGROUP, which delivers to a group, lives with XREAD in stream_read.cpp; XINFO, which only
// looks, in stream_info.cpp.
//
// CONCEPT: a group's bookkeeping is what turns a log into a work queue. XGROUP creates the group
// at a position in the log (Kafka's "auto.offset.reset", spelled as an ID: 0 = from the start,
// $ = only new entries); XACK removes an entry from the Pending Entries List; XPENDING shows the
// list - who holds what, for how long, delivered how often; XCLAIM and XAUTOCLAIM move entries
// from a consumer that stopped answering to one that works. None of this changes the entries
// themselves, which is why these commands do not disturb a WATCH on the stream (group_changed).
//
//   XREADGROUP ... >      entry -> PEL (consumer, now, count 1)
//   XACK                  entry leaves the PEL: done
//   XAUTOCLAIM ... 60000  entries idle for 60 s -> another consumer, count + 1
//
// Every change is logged as the XCLAIM ... FORCE JUSTID or XGROUP command that recreates it on
// replay (propagate_xclaim in streams.cpp).
// READ NEXT: model/consumer_group.hpp, stream_info.cpp, docs/miniredis/04-streams.md.
#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "commands/streams.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

// --- consumer groups ------------------------------------------------------------------------

// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER key group ... (one handler, as Redis)
void cmd_xgroup(CommandContext& ctx) {
    std::string_view sub = ctx.arg(1);
    // The HELP text is Redis 7.0's, line for line: redis-cli and client libraries print it as is.
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
    // Redis' one text for every container command's bad subcommand or arity (the
    // addReplySubcommandSyntaxError of server.c): it ends in "Try XGROUP HELP." so a user in
    // redis-cli is told where to look, and the arity of each subcommand is checked only once the
    // subcommand is known - XGROUP's arity in the command table is just "at least 2".
    auto subcommand_error = [&] {
        ctx.reply.error(
            fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.", sub));
    };
    // The options after the ID. ENTRIESREAD is "internal use": how a replica or an AOF replay
    // recreates the group's lag counter exactly (propagate_group_id in streams.cpp sends it).
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
    // Without MKSTREAM a group needs an existing stream. MKSTREAM exists so that a worker can start
    // before any producer ("XGROUP CREATE jobs workers $ MKSTREAM" at boot, whoever comes first).
    if (!s && !mkstream)
        return ctx.reply.error(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the "
            "MKSTREAM option to create an empty stream automatically.");
    ConsumerGroup* group = s ? s->group(group_name) : nullptr;
    if (!group && (setid || equals_ignore_case(sub, "CREATECONSUMER") || equals_ignore_case(sub, "DELCONSUMER")))
        return nogroup_for_key(ctx, group_name, key);

    // The starting ID is the group's "last delivered" position, not the first entry it will get:
    // XGROUP CREATE s g 0 delivers 0-1 onwards (everything), and an ID in the future simply makes
    // the group wait until the stream gets there.
    if (create) {
        StreamID id;
        if (ctx.arg(4) == "$") {
            // "$": start at the stream's last ID, so the group gets only entries added from now on; "0" gets
            // the whole history.
            id = s ? s->last_id : StreamID{};
        } else {
            auto parsed = strict_id(ctx, ctx.arg(4));
            if (!parsed) return;
            id = *parsed;
        }
        // BUSYGROUP has its own prefix for the same reason as NOGROUP: every worker runs XGROUP CREATE at
        // start-up, and all but the first treat BUSYGROUP as "fine, it exists".
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
    // SETID rewinds or advances the group's read position - "replay from the start" is SETID ... 0,
    // Kafka's reset of a group's offsets. The PEL is left as it is.
    if (setid) {
        if (ctx.argc() != 5 && ctx.argc() != 7) return subcommand_error();
        StreamID id;
        if (ctx.arg(4) == "$") {
            id = s->last_id;
        } else {
            // An incomplete ID means its sequence 0 here ("1000" is 1000-0): the group has read up
            // to just before 1000-1, so XREADGROUP ... > delivers 1000-1 onwards.
            auto parsed = parse_stream_id(ctx.arg(4), 0);
            if (!parsed) return ctx.reply.error(kInvalidId);
            id = *parsed;
        }
        group->last_id = id;
        group->entries_read = entries_read;
        group_changed(ctx.server);
        return ctx.reply.ok();
    }
    // DESTROY drops the group with its PEL and consumers: unacknowledged work is forgotten, not moved.
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
        // DELCONSUMER replies how many entries the consumer still had pending: they are dropped from the
        // PEL with it, so the operator learns how much work was lost (XCLAIM them first to keep them).
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
    // Every ID is parsed before the first is acknowledged, as Redis' xackCommand does: once some
    // entries are acked the reply must be their count, so a bad ID found half-way could only be
    // reported by lying about the work already done. All or nothing, then - even when the group does
    // not exist and the answer will be 0.
    std::vector<StreamID> ids;
    for (size_t j = 3; j < ctx.argc(); ++j) {
        auto id = strict_id(ctx, ctx.arg(j));
        if (!id) return;
        ids.push_back(*id);
    }
    if (!group) return ctx.reply.integer(0);
    // The reply counts entries that were really pending: acking twice, or acking an ID the group never
    // delivered, counts 0 - XACK is idempotent, so a worker may safely retry it. O(log N) per ID.
    int64_t acked = 0;
    for (StreamID id : ids) acked += group->ack(id) ? 1 : 0;
    if (acked) group_changed(ctx.server);
    ctx.reply.integer(acked);
}

// XPENDING key group [[IDLE min-idle] start end count [consumer]]
void cmd_xpending(CommandContext& ctx) {
    // Only the word counts of the two forms are accepted: 3 (summary) or 6..9 (start end count, with
    // optional IDLE ms and consumer) - anything between is a syntax error.
    if (ctx.argc() != 3 && (ctx.argc() < 6 || ctx.argc() > 9)) return ctx.syntax_error();
    // Two forms. The summary (key group only): [count, smallest ID, largest ID, [[consumer, count]...]]
    // - the operator's first look at a stuck group. The extended form lists entries in an ID range with
    // owner, idle time and delivery count - the input an operator or a janitor needs to decide what
    // to claim. A high delivery count marks a "poison" entry that crashes every consumer it reaches.
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
    // An empty PEL still gets the four-element summary, with nil IDs and a nil consumer list
    // (Redis' exact shape): redis-py turns it into {"pending": 0, "min": None, ...} by position, so
    // a shorter array would break the client, not just look different.
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
            // The per-consumer count is a bulk string, not an integer: Redis' historical reply, kept for
            // compatibility (clients parse it as a string).
            ctx.reply.bulk(std::to_string(c->pending.size()));
            ++n;
        }
        return ctx.reply.array_at(mark, n);
    }
    StreamConsumer* consumer = nullptr;
    if (consumer_given) {
        consumer = group->consumer(consumer_name);
        // An unknown consumer is not an error: it simply holds nothing.
        if (!consumer) return ctx.reply.array(0);
    }
    // The entry count is not known up front (IDLE skips entries), so the array header is written
    // as a placeholder and patched at the end (Reply::mark / array_at) - Redis does the same with
    // addReplyDeferredLen. The walk is O(log N + M): one lower_bound in the PEL's ordered map,
    // then M steps.
    int64_t now = ctx.now_ms();
    size_t mark = ctx.reply.mark();
    size_t n = 0;
    auto visit = [&](StreamID id, const PendingEntry& p) {
        // IDLE (6.2) filters on time since the last delivery; COUNT counts returned entries, so skipped
        // ones do not use it up.
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
void drop_deleted(Broker& server, int db, std::string_view key, std::string_view group_name, ConsumerGroup& group,
                  StreamID id) {
    PendingEntry p = group.pel[id];
    group.ack(id);
    // Replayed, this XCLAIM finds the entry gone and drops it from the PEL just the same.
    propagate_xclaim(server, db, key, group_name, group, id, p);
}

}  // namespace

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE]
//        [JUSTID] [LASTID id]
// Claiming is how a group survives a dead consumer: another consumer takes the entries over,
// but only those idle for at least min-idle-time - so if two workers race to claim the same entry,
// the first claim resets its idle time and the second finds it "too fresh" and skips it.
// The options after the IDs (IDLE, TIME, RETRYCOUNT, FORCE, JUSTID, LASTID) are mostly for
// replication: they are what propagate_xclaim writes so that a replay recreates the PEL exactly.
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
        // The IDs run until the first word that is not an ID; that word starts the options. A typo in an
        // ID therefore surfaces as "Unrecognized XCLAIM option", as in Redis.
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
    // XCLAIM is not logged as typed: whether an entry is "idle enough" depends on the clock when
    // it runs, and a replica or an AOF replay runs it later. Each entry actually claimed is logged
    // instead as an XCLAIM with TIME, RETRYCOUNT, FORCE and JUSTID that states the result, so the
    // replay cannot decide differently (propagate_xclaim in streams.cpp, as Redis'
    // streamPropagateXCLAIM).
    ctx.suppress_propagation = true;
    bool propagate_last_id = false;
    // LASTID (replication only) moves the group's position forward, never back: a replayed XCLAIM
    // must not undo reads the group made after it.
    if (last_id > group->last_id) {
        group->last_id = last_id;
        propagate_last_id = true;
    }
    // A delivery time in the future would make the entry's idle time negative, and so unclaimable
    // by anyone for as long as the clock lags: Redis clamps it to now, and so do we.
    if (delivery_time == -1 || delivery_time < 0 || delivery_time > now) delivery_time = now;
    StreamConsumer* consumer = nullptr;
    size_t mark = ctx.reply.mark();
    size_t n = 0;
    for (StreamID id : ids) {
        auto it = group->pel.find(id);
        bool exists = s->lookup(id);
        if (it == group->pel.end()) {
            // Not pending: skipped, unless FORCE (replication) puts a still-existing entry into the PEL.
            if (!force || !exists) continue;
        } else {
            // The entry is pending but was deleted from the stream (XDEL, trimming): nobody can process it
            // any more, so the claim drops it from the PEL instead of handing it over (Redis 7.0 behaviour).
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
        // RETRYCOUNT sets the count outright (replication); otherwise a claim is one more delivery -
        // except with JUSTID, where the claimer only asked for the IDs, not the entries.
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
    // The claimer counts as seen (XINFO CONSUMERS' idle resets), even when it claimed nothing new
    // this time: it is alive and asking, which is what an operator reading XINFO wants to know.
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
    // COUNT defaults to 100 entries per call; the walk looks at most 10 * COUNT PEL entries, so one
    // call stays bounded even when most pending entries are too fresh to claim. The cursor in the
    // reply says where to continue; "0-0" means the PEL has been walked to its end.
    int64_t count = 100;
    bool justid = false;
    for (size_t j = 6; j < ctx.argc(); ++j) {
        if (equals_ignore_case(ctx.arg(j), "COUNT") && j + 1 < ctx.argc()) {
            auto v = parse_int64(ctx.arg(j + 1));
            // The upper bound is Redis' own: attempts = COUNT * 10 below must not overflow.
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
    // Redis 7 answers a third element: the IDs that were pending but whose entries were deleted
    // meanwhile (XDEL, trimming). They are dropped from the PEL on the way, since nobody can process
    // them any more.
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
    // [cursor, claimed entries, deleted IDs]. The cursor is the next PEL entry not yet examined, so
    // a janitor loop is "XAUTOCLAIM ... <cursor>" until the cursor comes back 0-0 - the same
    // contract as SCAN's: the PEL is walked in ID order, so an entry pending from the first call to
    // the last is examined exactly once.
    ctx.reply.array(3);
    reply_id(ctx.reply, it == group->pel.end() ? StreamID{} : it->first);
    ctx.reply.array(n);
    ctx.reply.buffer().append(scratch.readable());
    ctx.reply.array(deleted.size());
    for (StreamID id : deleted) reply_id(ctx.reply, id);
}

}  // namespace miniredis
