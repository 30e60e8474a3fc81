// miniredis/commands/stream_read.cpp
//
// XREAD and XREADGROUP, and serving a client blocked in one of them (Redis' xreadCommand in
// t_stream.c). Split from streams.cpp, which keeps the write side (XADD, XTRIM, XDEL, XSETID) and
// the range reads; the group bookkeeping commands are in stream_groups.cpp.
//
// CONCEPT: one stream, two ways to consume it - the Kafka-like and the RabbitMQ-like halves of the
// course notes in one data type. XREAD is a plain log read: every reader keeps its own position (an
// ID) and nothing on the server changes, like a Kafka consumer that tracks its own offset. XREADGROUP
// is a work queue: the group hands each entry to one consumer and remembers it as pending until
// XACK, like a RabbitMQ queue with manual acks. The same deliver code runs both ways, and also when
// a blocked reader wakes up (blocking.cpp calls serve_blocked_stream_reader), so "served now" and
// "served later" cannot drift apart.
//
//   XREAD STREAMS s 1700-0          reader's own cursor ──▶ entries > 1700-0   (nothing remembered)
//   XREADGROUP GROUP g alice STREAMS s >
//                                   group g: last_id ──▶ new entries ──▶ PEL(g) + PEL(alice)
//   XREADGROUP ... STREAMS s 0      alice's own PEL (her history): redelivery, count + 1
//
// Why propagate a read? A group read changes server state (last_id, the PEL, delivery counts), so a
// replica or an AOF replay must see it - but "XREADGROUP ... >" replayed would read other entries.
// Like Redis we log the effect instead: XCLAIM ... FORCE JUSTID per delivered entry and XGROUP SETID
// for the group's new position (propagate_xclaim / propagate_group_id in streams.cpp).
//
// READ NEXT: stream_groups.cpp (XACK, XPENDING, XCLAIM: what happens to pending entries),
//            blocking.cpp (BLOCK), docs/miniredis/04-streams.md.
#include <fmt/format.h>

#include <cstdint>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "commands/streams.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

// --- XREAD and XREADGROUP ----------------------------------------------------------------

namespace {

// Delivers entries of `s` above `after` to the reply: plain (XREAD) or through a group (`>`:
// they enter the PEL of the group and of the consumer, the group's last ID moves). Returns the
// number of entries replied. Propagates the group changes, as Redis does.
size_t deliver_new(Broker& server, int db, Reply& reply, std::string_view key, Stream& s, StreamID after, int64_t count,
                   ConsumerGroup* group, std::string_view group_name, StreamConsumer* consumer, bool noack) {
    // "Entries above `after`" is the closed range [after.next(), max]; after = max has no next, so
    // nothing is served (and nothing can be). The walk is O(log N + M) for M delivered.
    auto start = after.next();
    size_t mark = reply.mark();
    size_t n = 0;
    int64_t now = server.clock.now_ms();
    std::vector<StreamID> delivered;
    bool moved = false;
    if (start) {
        s.range(*start, StreamID::max(), false, [&](const StreamEntryView& e) {
            // entries_read is the group's position counted in entries (Redis 7), from which XINFO GROUPS
            // computes the lag: entries_added - entries_read. It can be counted exactly only while no entry
            // after the group's position was deleted; otherwise it is estimated from the IDs, as Redis'
            // streamEstimateDistanceFromFirstEverEntry does.
            if (group && e.id > group->last_id) {
                if (group->entries_read != ConsumerGroup::kEntriesReadUnknown &&
                    !s.range_has_tombstones(e.id, StreamID::max()))
                    ++group->entries_read;
                else if (s.entries_added)
                    group->entries_read = s.estimate_entries_read(e.id);
                group->last_id = e.id;
                moved = true;
            }
            // NOACK: delivered but never pending - at-most-once, for consumers that accept losing an entry
            // if they crash (Kafka's auto-commit before processing). Without it the entry enters the PEL with
            // delivery count 1 and stays there until XACK.
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
void deliver_history(Broker& server, int db, Reply& reply, std::string_view key, Stream& s, StreamID after,
                     int64_t count, ConsumerGroup& group, std::string_view group_name, StreamConsumer& consumer) {
    auto start = after.next();
    size_t mark = reply.mark();
    size_t n = 0;
    int64_t now = server.clock.now_ms();
    if (start) {
        for (auto it = consumer.pending.lower_bound(*start); it != consumer.pending.end(); ++it) {
            // COUNT 0 (or a negative COUNT, clamped to 0 by the parser) means "no limit" here, as in Redis.
            if (count > 0 && n == static_cast<uint64_t>(count)) break;
            bool found = s.lookup(*it, [&](const StreamEntryView& e) { reply_entry(reply, e); });
            ++n;
            if (!found) {  // deleted since: shown, but not delivered again
                reply.array(2);
                reply_id(reply, *it);
                reply.null_array();
                continue;
            }
            // Re-reading one's history is a redelivery: the idle clock restarts (so XAUTOCLAIM leaves it
            // alone) and the count grows - the number XPENDING shows to spot an entry that keeps failing.
            PendingEntry& p = group.pel[*it];
            p.delivery_time = now;
            ++p.delivery_count;
            propagate_xclaim(server, db, key, group_name, group, *it, p);
        }
    }
    reply.array_at(mark, n);
    group_changed(server);
}

// What the option loop below collects. STREAMS must be the last option: everything after it is
// keys then IDs, split in two halves, which is why an odd number of words there is an error.
struct ReadArgs {
    int64_t count = -1;           // -1 = no COUNT
    int64_t block_deadline = -1;  // -1 = no BLOCK; 0 = forever; else Unix ms
    size_t streams_at = 0, streams = 0;
    std::string_view group, consumer;
    bool noack = false;
};

// One parser for both commands, so they reject the same mistakes with Redis' texts: GROUP and
// NOACK are XREADGROUP's, "$" is XREAD's and ">" XREADGROUP's.
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
            // BLOCK is in milliseconds (BLPOP's timeout is in seconds - a historical difference clients must
            // know); 0 waits forever. Stored as an absolute deadline, like every timeout in the server.
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

    // Every key and ID is checked before anything is read: a WRONGTYPE key, a missing group or a bad
    // ID anywhere fails the whole command, and no group has been changed by then.
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
            // "$" = "what arrives after now": resolved once, here, to the stream's last ID, so a blocked
            // XREAD wakes for entries added after it started waiting - not for what it could have read.
            ids[k] = s ? s->last_id : StreamID{};
            continue;
        }
        if (id_text == ">") {
            if (!xreadgroup)
                return ctx.reply.error(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> "
                    "option.");
            // ">" = "entries never delivered to this group": stored as the impossible max ID and resolved
            // against the group's last_id when serving, since another consumer may move it meanwhile.
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
        // The types were checked in the loop above, and nothing ran in between (one thread), so a key
        // found here is a stream.
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
        // The consumer is created on first use, as in Redis - there is no "join" step - and a read
        // counts as seen even when it delivers nothing.
        StreamConsumer& consumer = consumer_for(ctx.server, ctx.client.db, key, a.group, *groups[k], a.consumer);
        consumer.seen_time = ctx.now_ms();
        if (history)
            deliver_history(ctx.server, ctx.client.db, ctx.reply, key, s, after, a.count, *groups[k], a.group,
                            consumer);
        else
            deliver_new(ctx.server, ctx.client.db, ctx.reply, key, s, after, a.count, groups[k], a.group, &consumer,
                        a.noack);
    }
    // The reply: one [key, entries] pair per stream that had something (RESP2 arrays; RESP3 a map
    // key -> entries). Streams with nothing are left out, and if none had anything the reply is nil.
    if (served) return ctx.reply.resp3() ? ctx.reply.map_at(mark, served) : ctx.reply.array_at(mark, served);
    // Nothing now: block, or answer "nothing". Inside MULTI/EXEC nobody can wait.
    // Blocking registers the client on every key it reads (blocking.cpp); the IDs it asked for are
    // kept so that a wake-up can compare them with what arrived.
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

// XREAD [COUNT n] [BLOCK ms] STREAMS key... id... ;
// XREADGROUP GROUP g consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key... id... - its ">" reads new
// entries for the group, any other ID re-reads this consumer's own pending history.
void cmd_xread(CommandContext& ctx) { read_generic(ctx, false); }
void cmd_xreadgroup(CommandContext& ctx) { read_generic(ctx, true); }

// A blocked reader, now that `key` changed: XREAD wants entries above its ID; XREADGROUP ">"
// wants entries above the group's last delivered ID (read now: another consumer may have moved
// it). A group destroyed meanwhile is an error for its readers.
bool serve_blocked_stream_reader(Broker& server, Client& client, std::string_view key) {
    const BlockedState& how = client.blocked;
    auto pos = std::find(how.keys.begin(), how.keys.end(), key) - how.keys.begin();
    if (static_cast<size_t>(pos) >= how.keys.size()) return false;
    Value* v = server.db(how.db).find(key);
    bool xreadgroup = !how.group.empty();
    Reply reply(client.out, client.protocol);
    // The UNBLOCKED and NOGROUP prefixes are Redis 7's: a client library raises them as errors of
    // their own kind, so a worker can tell "my group was deleted" from a bug and re-create it.
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
    // A woken reader is answered with this one stream only, even if it waited on several: the first
    // key that can serve it wins, as in Redis, and the client reads again for the others.
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

}  // namespace miniredis
