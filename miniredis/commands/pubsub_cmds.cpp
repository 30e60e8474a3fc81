// miniredis/commands/pubsub_cmds.cpp
//
// Pub/Sub commands (pubsub.c). A subscribed connection stops being request/response: messages
// arrive whenever someone PUBLISHes, as push replies - RESP2 arrays ["message", channel, payload],
// or RESP3 `>` pushes, which a RESP3 client can tell apart from the replies to its own commands
// (so in RESP3 a subscriber may keep running ordinary commands).
//
// CONCEPT: publish/subscribe without storage - the course notes' "Pub/Sub: real-time messaging".
// PUBLISH hands the message to the subscribers connected right now and forgets it: a subscriber
// that is offline misses it, and PUBLISH's reply (the number of receivers) is the only feedback.
// Contrast: a RabbitMQ fanout exchange (minirabbit/model/fanout_exchange.cpp) routes into queues
// that keep the message; a Kafka topic keeps it for every consumer group; Redis streams
// (streams.cpp) are Redis' own durable answer.
//
//   PUBLISH news hi ──▶ channels["news"] = {c1, c2} ──▶ push to c1, c2 ──▶ reply :2
// READ NEXT: model/pubsub.hpp, docs/miniredis/README.md (concept map).
#include <fmt/format.h>

#include "commands/context.hpp"
#include "commands/handlers.hpp"

namespace miniredis {
namespace {

// A subscriber that does not read its messages is disconnected rather than buffered forever
// (Redis' client-output-buffer-limit for pubsub clients: 32 MB hard limit).
// Redis also has a soft limit (8 MB sustained for 60 s); only the hard one is kept here, checked
// on every message so a burst cannot overshoot it by more than one message.
constexpr size_t kSubscriberOutputLimit = 32 * 1024 * 1024;

// Every (un)subscription is confirmed with its own 3-element push - kind, name, and how many
// channels + patterns this client is now subscribed to. So "SUBSCRIBE a b" gets two replies, one
// per channel, and a client knows it has left pub/sub mode when the count reaches 0.
void confirm(CommandContext& ctx, std::string_view kind, std::string_view name, bool null_name = false) {
    ctx.reply.push(3);
    ctx.reply.bulk(kind);
    if (null_name)
        ctx.reply.null();
    else
        ctx.reply.bulk(name);
    ctx.reply.integer(static_cast<int64_t>(ctx.client.subscriptions()));
}

// UNSUBSCRIBE without arguments leaves every channel (one confirmation each). Leaving a channel
// one is not in is not an error: it is still confirmed, with the unchanged count.
void unsubscribe_generic(CommandContext& ctx, bool patterns) {
    auto& mine = patterns ? ctx.client.patterns : ctx.client.channels;
    std::string_view kind = patterns ? "punsubscribe" : "unsubscribe";
    std::vector<std::string> names;
    if (ctx.argc() > 1)
        names.assign(ctx.argv.begin() + 1, ctx.argv.end());
    else
        names.assign(mine.begin(), mine.end());
    if (names.empty()) return confirm(ctx, kind, {}, true);  // nothing to leave: one reply with nil
    for (const std::string& name : names) {
        if (mine.erase(name)) {
            if (patterns)
                ctx.server.pubsub.punsubscribe(name, ctx.client.id);
            else
                ctx.server.pubsub.unsubscribe(name, ctx.client.id);
        }
        confirm(ctx, kind, name);
    }
}

}  // namespace

// The subscription lives in two places: the client's own set (for its count and for cleaning up on
// disconnect) and the server-wide index channel -> client ids (model/pubsub.hpp) that PUBLISH
// walks. Ids, not pointers: a message for a client that has just gone is dropped by find_client.
void cmd_subscribe(CommandContext& ctx) {
    for (size_t i = 1; i < ctx.argc(); ++i) {
        if (ctx.client.channels.emplace(ctx.arg(i)).second) ctx.server.pubsub.subscribe(ctx.arg(i), ctx.client.id);
        confirm(ctx, "subscribe", ctx.arg(i));
    }
}

// PSUBSCRIBE news.*: glob patterns (model/glob.hpp). Every PUBLISH tests every pattern, so the cost
// of a publish grows with the number of patterns - Redis has the same O(N+M) and the same advice:
// prefer channels.
void cmd_psubscribe(CommandContext& ctx) {
    for (size_t i = 1; i < ctx.argc(); ++i) {
        if (ctx.client.patterns.emplace(ctx.arg(i)).second) ctx.server.pubsub.psubscribe(ctx.arg(i), ctx.client.id);
        confirm(ctx, "psubscribe", ctx.arg(i));
    }
}

void cmd_unsubscribe(CommandContext& ctx) { unsubscribe_generic(ctx, false); }
void cmd_punsubscribe(CommandContext& ctx) { unsubscribe_generic(ctx, true); }

// PUBLISH channel message: appended to every receiver's output buffer now, sent at the end of the
// turn with their other replies. The reply is the number of receivers - 0 means the message is
// gone for good (pub/sub has no storage; compare a list used as a queue, or a Kafka topic).
// PUBLISH writes the message into each receiver's output buffer at once - nothing is queued
// anywhere else. A subscriber that stops reading therefore grows its buffer, and past a limit it is
// disconnected (Redis' client-output-buffer-limit pubsub): losing one slow subscriber is the price
// of never letting it make the server run out of memory. The reply counts receivers, not deliveries.
void cmd_publish(CommandContext& ctx) {
    Broker& server = ctx.server;
    std::string_view channel = ctx.arg(1), message = ctx.arg(2);
    size_t receivers = server.pubsub.publish(channel, [&](uint64_t id, std::string_view pattern) {
        Client* c = server.find_client(id);
        if (!c || c->close_after_reply) return;
        // A pattern subscriber gets "pmessage" with the pattern it matched as an extra element, so one
        // connection subscribed to several patterns can tell them apart. A client subscribed to the channel
        // and to a matching pattern receives the message twice - and is counted twice - as in Redis.
        Reply push(c->out, c->protocol);
        if (pattern.empty()) {
            push.push(3);
            push.bulk("message");
        } else {
            push.push(4);
            push.bulk("pmessage");
            push.bulk(pattern);
        }
        push.bulk(channel);
        push.bulk(message);
        ++server.stats.pubsub_messages;
        if (c->out.size() > kSubscriberOutputLimit) server.kill_client(*c);
        server.want_write(*c);
    });
    // Not propagated: PUBLISH changes no data, so neither the AOF nor a replica hears of it. Redis
    // does send it to replicas (publishCommand forces PROPAGATE_REPL, never the AOF), so that
    // subscribers connected to a replica receive the master's messages - a difference, and an
    // exercise: propagate to replicas only, as the replication chapter (docs/miniredis/07) describes.
    ctx.reply.integer(static_cast<int64_t>(receivers));
}

// PUBSUB CHANNELS [pattern]: the channels with at least one subscriber (patterns do not count).
void cmd_pubsub_channels(CommandContext& ctx) {
    if (ctx.argc() > 3) return ctx.wrong_arity();
    auto channels = ctx.server.pubsub.channels(ctx.argc() == 3 ? ctx.arg(2) : std::string_view());
    ctx.reply.array(channels.size());
    for (const std::string& c : channels) ctx.reply.bulk(c);
}

// PUBSUB NUMSUB [channel ...]: subscribers per named channel (pattern subscribers not counted), in
// the order asked - how a publisher checks that anyone is listening before it relies on it.
void cmd_pubsub_numsub(CommandContext& ctx) {
    // A flat [channel, count, ...] array even in RESP3, where a map would fit: Redis 7's reply.
    ctx.reply.array(2 * (ctx.argc() - 2));
    for (size_t i = 2; i < ctx.argc(); ++i) {
        ctx.reply.bulk(ctx.arg(i));
        ctx.reply.integer(static_cast<int64_t>(ctx.server.pubsub.subscribers(ctx.arg(i))));
    }
}

// PUBSUB NUMPAT: the number of distinct patterns subscribed to by anyone.
void cmd_pubsub_numpat(CommandContext& ctx) {
    ctx.reply.integer(static_cast<int64_t>(ctx.server.pubsub.pattern_count()));
}

}  // namespace miniredis
