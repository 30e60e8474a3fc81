// minirabbit/core/channel.cpp
//
// The channel's machinery: content assembly, delivery, the unacked set, confirms, teardown (see
// channel.hpp). What each method *means* is in handlers/*.cpp.
//
// CONCEPT: the channel as a state machine over frames. A publish is three kinds of frame in a row
// (method, header, body...), and frames of other channels may interleave between them, so each
// channel keeps its own "what am I assembling" state. Once the last body byte is in, the message is
// made once (one allocation for the body, shared by every queue it is routed to) and handed to the
// exchange.
//
//   expecting: method ──basic.publish──▶ header ──content header──▶ body ──last slice──▶ method
//                                                                    └─ finish_publish: route
//
// The unacked map (delivery tag -> queue, message) is where "at least once" lives: until the
// consumer acks, the message is still owned by the broker, and losing the channel requeues it with
// redelivered = true. Delivery tags count per channel from 1, as the spec says, so a client can ack
// "everything up to 17" (multiple) with one frame.
// READ NEXT: model/queue.cpp (enqueue, dispatch), storage/journal.hpp (persistent messages),
//            docs/minirabbit/01-follow-a-publish.md §3-§10.
#include "channel.hpp"

#include <algorithm>
#include <charconv>

#include "amqp_error.hpp"
#include "connection.hpp"
#include "log.hpp"
#include "trace_ring.hpp"

namespace minirabbit {

using namespace amqp;

// RabbitMQ's default max_message_size (128 MiB): a bigger body is refused before it is buffered.
constexpr uint64_t kMaxMessageSize = 128ull << 20;

Channel::Channel(Connection& connection, uint16_t number) : connection_(connection), number_(number) {}

Channel::~Channel() { release(); }

mb::ByteBuffer& Channel::out() { return connection_.out(); }
Vhost& Channel::vhost() { return connection_.vhost(); }

// The per-channel frame switch. A method frame in the middle of a publish's content is a protocol
// violation (505 UNEXPECTED_FRAME, a connection error): the spec requires a publish's header and
// body frames to follow its method on that channel without another method in between.
void Channel::handle_frame(const Frame& frame) {
    switch (frame.type) {
        case FrameType::method:
            if (pending_.active)
                throw hard_error(unexpected_frame, "expected content {} for class 60, got a method frame instead",
                                 pending_.header_seen ? "body" : "header");
            return handle_method(frame);
        case FrameType::header:
            return handle_content_header(frame);
        case FrameType::body:
            return handle_content_body(frame);
        case FrameType::heartbeat:
            return;
    }
}

// Method dispatch: the class and method id select a handler from handlers/method_table.cpp.
void Channel::handle_method(const Frame& frame) {
    MethodReader in(frame.payload);
    uint32_t method = in.u32();
    if (!in.ok()) throw hard_error(frame_error, "method frame too short");
    Handler handler = find_handler(method);
    if (handler == nullptr) {
        if (method_name(method) != "unknown")
            throw hard_error(command_invalid, "{} is not a method a client may send on a channel", method_name(method));
        throw hard_error(not_implemented, "unknown method class {} id {}", class_of(method), index_of(method));
    }
    (this->*handler)(in);
}

// ---- publishing: basic.publish (handlers/basic_class.cpp) starts it, the frames below finish it --

// The second frame of a publish. The size limit is checked here, before a single body byte is
// buffered: a client announcing a 10 GB body is refused (406, this channel only) instead of being
// allowed to fill memory slowly.
void Channel::handle_content_header(const Frame& frame) {
    if (!pending_.active || pending_.header_seen)
        throw hard_error(unexpected_frame, "content header frame on channel {} without a publish", number_);
    auto header = decode_content_header(frame.payload);
    if (!header) throw hard_error(frame_error, "malformed content header");
    if (header->class_id != cls::basic)
        throw hard_error(frame_error, "content header for class {}, expected 60", header->class_id);
    if (header->body_size > kMaxMessageSize) {
        pending_.active = false;
        throw soft_error(precondition_failed, "message size {} is larger than configured max size {}",
                         header->body_size, kMaxMessageSize);
    }
    pending_.header_seen = true;
    pending_.body_size = header->body_size;
    pending_.properties.assign(header->raw_properties);
    // Decoded once, as views into our own copy (the frame's bytes go away with the read buffer).
    pending_.decoded = *decode_properties(pending_.properties);
    pending_.body.clear();
    if (header->body_size == 0) finish_publish({});
}

// Body frames: append until body_size bytes are in. A body longer than announced is a frame error,
// because from then on nobody knows where the next frame begins.
void Channel::handle_content_body(const Frame& frame) {
    if (!pending_.active || !pending_.header_seen)
        throw hard_error(unexpected_frame, "content body frame on channel {} without a header", number_);
    uint64_t have = pending_.body.size() + frame.payload.size();
    if (have > pending_.body_size)
        throw hard_error(frame_error, "content body is {} bytes longer than its header said",
                         have - pending_.body_size);
    if (pending_.body.empty() && have == pending_.body_size) {
        finish_publish(frame.payload);  // the usual case: one body frame, no intermediate copy
        return;
    }
    pending_.body.append(frame.payload);
    count_buffered(pending_.body.size());
    if (pending_.body.size() == pending_.body_size) {
        // Take the body out: the channel keeps no big buffer (or its count) after a big message.
        std::string body = std::move(pending_.body);
        pending_.body = std::string();
        count_buffered(0);
        finish_publish(body);
    }
}

void Channel::count_buffered(size_t bytes) {
    // Half-received bodies count towards the memory watermark like stored messages: a client that
    // starts big publishes on many channels and never finishes them gets blocked, not our memory.
    Broker& broker = connection_.broker();
    broker.buffered_content_bytes = broker.buffered_content_bytes + bytes - buffered_counted_;
    buffered_counted_ = bytes;
}

// The message is made once, from the assembled parts. Two properties are validated, as RabbitMQ
// does: the expiration must be a non-negative integer in text, and a user_id property must name the
// user who logged in - a consumer may trust user_id to say who published.
MessageRef Channel::make_message(std::string_view exchange, std::string_view routing_key,
                                 std::string_view raw_properties, const BasicProperties& props, std::string_view body) {
    int64_t ttl = -1;
    if (props.has(prop::expiration)) {
        // The per-message TTL travels as text: milliseconds, a non-negative integer.
        auto [end, ec] =
            std::from_chars(props.expiration.data(), props.expiration.data() + props.expiration.size(), ttl);
        if (ec != std::errc{} || end != props.expiration.data() + props.expiration.size() || ttl < 0)
            throw soft_error(precondition_failed, "invalid expiration '{}': no_integer", props.expiration);
    }
    if (props.has(prop::user_id) && props.user_id != connection_.user())
        throw soft_error(precondition_failed, "user_id property set to '{}' but authenticated user was '{}'",
                         props.user_id, connection_.user());
    return Message::make(
        Message::Fields{exchange, routing_key, raw_properties, body, props.persistent(), props.priority, ttl});
}

// The last body byte is in. The write permission check is cached per exchange and invalidated by
// the users' generation counter, because it is a regex match and publishes come in thousands per
// second to the same exchange. In a transaction the message is held until tx.commit.
void Channel::finish_publish(std::string_view body) {
    pending_.active = false;
    Exchange& exchange = find_exchange_or_throw(pending_.exchange);
    if (exchange.internal())
        throw soft_error(access_refused, "cannot publish to internal exchange '{}' in vhost '{}'", pending_.exchange,
                         connection_.vhost_name());
    if (permitted_exchange_ != pending_.exchange ||
        permitted_generation_ != connection_.broker().users().generation()) {
        connection_.check_write("exchange", pending_.exchange);
        permitted_exchange_ = pending_.exchange;
        permitted_generation_ = connection_.broker().users().generation();
    }
    MessageRef message =
        make_message(pending_.exchange, pending_.routing_key, pending_.properties, pending_.decoded, body);
    published_any_ = true;
    if (tx_mode_) {
        tx_publishes_.push_back(TxPublish{std::move(message), pending_.mandatory});
        return;
    }
    publish(message, pending_.mandatory, pending_.exchange);
}

// Route, enqueue, and answer the publisher: basic.return for a mandatory message nobody took,
// and (confirm mode) a pending confirm that flush_confirms() will turn into basic.ack/nack.
void Channel::publish(const MessageRef& message, bool mandatory, std::string_view exchange_name) {
    Exchange* exchange = vhost().find_exchange(exchange_name);
    uint64_t seq = confirm_mode_ ? next_publish_seq_++ : 0;
    std::vector<RouteStep> trace;
    RoutingInput input{message->routing_key(), message->properties()};
    if (exchange) {
        vhost().route(*exchange, input, route_scratch_, connection_.broker().trace ? &trace : nullptr);
        exchange->count_publish(!route_scratch_.empty());  // publish_in / publish_out (the UI's rates)
    }
    if (connection_.broker().trace) {
        // --trace: one line per publish showing its route (zero cost when off: no strings built).
        std::string line =
            fmt::format("basic.publish exchange={}({}) key={}", exchange_name.empty() ? "(default)" : exchange_name,
                        exchange ? exchange->type() : "missing", message->routing_key());
        if (trace.empty()) line += " -> unroutable";
        for (const RouteStep& step : trace)
            line += fmt::format(" -> {}{} -> queue {} depth={}",
                                step.exchange != exchange ? fmt::format("exchange {} ", step.exchange->name()) : "",
                                step.binding ? fmt::format("binding {}", step.binding->routing_key) : "by name",
                                step.queue->name(), step.queue->ready_count() + 1);
        mb::trace::emit(line);  // the log and the live page's trace panel
    }
    bool rejected = false;
    bool needs_sync = false;
    for (Queue* queue : route_scratch_) {
        if (queue->publish(message) == Queue::PublishResult::rejected)
            rejected = true;
        else if (queue->durable() && message->persistent())
            needs_sync = true;
    }
    if (route_scratch_.empty() && mandatory) {
        // Nobody wanted it and the publisher asked to know: basic.return, before any confirm.
        MethodWriter(out(), number_, basic_return)
            .short_(no_route)
            .shortstr("NO_ROUTE")
            .shortstr(exchange_name)
            .shortstr(message->routing_key())
            .end();
        write_delivery_content(*message);
    }
    if (confirm_mode_) {
        MessageStore* store = connection_.broker().store();
        confirm(seq, needs_sync && store ? store->appended() : 0, rejected);
    }
}

void Channel::write_delivery_content(const Message& message) {
    write_content_header(out(), number_, message.body().size(), message.properties());
    write_body_frames(out(), number_, message.body(), connection_.frame_max());
}

// ---- delivering ------------------------------------------------------------------------------

// The three brakes on a consumer, checked for every delivery:
//   channel.flow(false) from the client, a full output buffer (the socket is not keeping up), and
//   prefetch credit - per consumer (basic.qos global=false) and per channel (global=true).
// No-ack consumers have no credit limit: the broker forgets a message as soon as it is written,
// which is why the output-buffer check matters most for them.
// May this consumer take one more message now? Not if the client paused the channel (channel.flow),
// not if the socket's output buffer is full (back-pressure: the queue keeps the message instead of
// our memory), and not beyond its prefetch credit - per consumer and per channel (global).
bool Channel::can_deliver(const Consumer& consumer) const {
    if (!flow_active_ || closing_ || connection_.output_full()) return false;
    if (consumer.no_ack) return true;
    if (consumer.prefetch_count != 0 && consumer.unacked >= consumer.prefetch_count) return false;
    return global_prefetch_count_ == 0 || unacked_live_ < global_prefetch_count_;
}

void Channel::deliver(Consumer& consumer, Queue& queue, QueuedMessage message) {
    // Delivery tags count per channel, from 1, across all its consumers and basic.get: a client
    // acks "tag 7 on channel 1", never "message X of queue Y".
    uint64_t tag = next_delivery_tag_++;
    const Message& m = *message.message;
    MethodWriter(out(), number_, basic_deliver)
        .shortstr(consumer.tag)
        .longlong(tag)
        .bits({message.redelivered})
        .shortstr(m.exchange())
        .shortstr(m.routing_key())
        .end();
    write_delivery_content(m);
    connection_.broker().trace_line(
        "basic.deliver channel={} consumer={} queue={} delivery_tag={} redelivered={} -> {}", number_, consumer.tag,
        queue.name(), tag, message.redelivered,
        consumer.no_ack ? "settled as sent (no_ack)" : "unacked until the consumer settles it");
    // An ack-mode delivery stays ours until settled; tags only grow, so push_back keeps unacked_
    // sorted and settle() can binary-search it.
    if (!consumer.no_ack) {
        unacked_.push_back(Unacked{tag, queue.shared_from_this(), std::move(message), &consumer});
        ++unacked_live_;
    }
    connection_.wake();
}

void Channel::cancelled_by_queue(Consumer& consumer) {
    // The queue was deleted. RabbitMQ tells clients that understand it (consumer_cancel_notify).
    if (connection_.client_supports("consumer_cancel_notify"))
        MethodWriter(out(), number_, basic_cancel).shortstr(consumer.tag).bits({true}).end();
    remove_consumer(consumer);
    connection_.wake();
}

// A channel has few consumers (usually one or two): a linear search beats a map.
Consumer* Channel::find_consumer(std::string_view tag) {
    for (auto& c : consumers_)
        if (c->tag == tag) return c.get();
    return nullptr;
}

// Removing a consumer leaves its unacked deliveries on the channel (consumer = nullptr): the client
// may still ack them. An auto-delete queue goes when its last consumer does.
void Channel::remove_consumer(Consumer& consumer) {
    for (auto& entry : unacked_)
        if (entry.consumer == &consumer) entry.consumer = nullptr;
    if (consumer.queue && !consumer.queue->deleted()) consumer.queue->remove_consumer(consumer);
    Queue* queue = consumer.queue;
    std::erase_if(consumers_, [&](const auto& c) { return c.get() == &consumer; });
    if (queue && !queue->deleted()) maybe_auto_delete(*queue);
}

void Channel::maybe_auto_delete(Queue& queue) {
    if (queue.auto_delete_due()) vhost().delete_queue(queue);
}

void Channel::on_output_drained() {
    // Dispatch again where our consumers stopped for a full buffer. Each queue once.
    std::vector<Queue*> queues;
    for (auto& c : consumers_)
        if (c->queue && std::find(queues.begin(), queues.end(), c->queue) == queues.end()) queues.push_back(c->queue);
    for (Queue* q : queues) q->dispatch();
}

// ---- acknowledgements ------------------------------------------------------------------------

// One delivery's end: ack (the queue forgets it and journals the removal), requeue (back to its
// original position, redelivered) or reject (dead-lettered, or dropped). Entries are only marked
// settled here; pop_settled() trims them from the front, so a settle in the middle costs O(1).
void Channel::settle_one(Unacked& entry, bool ack, bool requeue, std::vector<Queue*>& touched) {
    entry.settled = true;
    --unacked_live_;
    if (entry.consumer && entry.consumer->unacked > 0) --entry.consumer->unacked;
    Queue& queue = *entry.queue;
    if (ack)
        queue.ack(entry.message);
    else if (requeue)
        queue.requeue(std::move(entry.message));
    else
        queue.reject(std::move(entry.message));
    if (!queue.deleted() && std::find(touched.begin(), touched.end(), &queue) == touched.end())
        touched.push_back(&queue);
}

void Channel::settle(uint64_t tag, bool multiple, bool ack, bool requeue) {
    std::vector<Queue*> touched;
    if (multiple) {
        // "multiple" settles every outstanding tag up to and including `tag`; tag 0 means all of them.
        if (tag != 0 && (unacked_.empty() || tag < unacked_.front().tag || tag >= next_delivery_tag_))
            throw soft_error(precondition_failed, "unknown delivery tag {}", tag);
        // By index and up to the last tag handed out so far: a rejected message may be
        // dead-lettered straight back to a consumer on this channel, appending to unacked_
        // while we walk it (which would invalidate iterators), and those deliveries are new.
        const uint64_t last = tag != 0 ? tag : next_delivery_tag_ - 1;
        for (size_t i = 0; i < unacked_.size() && unacked_[i].tag <= last; ++i)
            if (!unacked_[i].settled) settle_one(unacked_[i], ack, requeue, touched);
    } else {
        auto it = std::lower_bound(unacked_.begin(), unacked_.end(), tag,
                                   [](const Unacked& u, uint64_t t) { return u.tag < t; });
        if (it == unacked_.end() || it->tag != tag || it->settled)
            throw soft_error(precondition_failed, "unknown delivery tag {}", tag);
        settle_one(*it, ack, requeue, touched);
    }
    pop_settled();
    // Credit came back (and requeued messages may be waiting): let those queues deliver again.
    for (Queue* queue : touched) queue->dispatch();
}

bool Channel::outstanding(uint64_t tag, bool multiple) const {
    if (multiple) {  // the first unsettled entry is at or near the front (pop_settled)
        for (const Unacked& entry : unacked_)
            if (!entry.settled) return tag == 0 || entry.tag <= tag;
        return false;
    }
    auto it =
        std::lower_bound(unacked_.begin(), unacked_.end(), tag, [](const Unacked& u, uint64_t t) { return u.tag < t; });
    return it != unacked_.end() && it->tag == tag && !it->settled;
}

void Channel::pop_settled() {
    while (!unacked_.empty() && unacked_.front().settled) unacked_.pop_front();
}

void Channel::requeue_all_unacked() {
    std::vector<Queue*> touched;
    for (auto& entry : unacked_)
        if (!entry.settled) settle_one(entry, false, true, touched);
    unacked_.clear();
    for (Queue* queue : touched) queue->dispatch();
}

void Channel::release() {
    // Consumers first, so the requeued messages below are not handed straight back to this channel.
    while (!consumers_.empty()) remove_consumer(*consumers_.back());
    requeue_all_unacked();
    pending_ = PendingPublish{};
    count_buffered(0);
    closing_ = true;
}

// ---- publisher confirms ------------------------------------------------------------------------

void Channel::confirm(uint64_t seq, uint64_t needs_synced, bool nack) {
    pending_confirms_.push_back(PendingConfirm{seq, needs_synced, nack});
}

// The journal's sync thread reported a new durable position (via the server, on the broker
// thread): confirms and a tx.commit waiting for it can now be answered.
void Channel::on_synced(uint64_t position) {
    synced_position_ = position;
    flush_confirms();
    if (tx_commit_pending_ && tx_commit_needs_synced_ <= synced_position_) {
        tx_commit_pending_ = false;
        send_ok(tx_commit_ok);
    }
}

// After each batch of frames from the socket: confirms for transient messages (no fsync needed)
// go out now, in one basic.ack with multiple where possible.
void Channel::end_of_batch() {
    MessageStore* store = connection_.broker().store();
    if (store) synced_position_ = std::max(synced_position_, store->synced());
    flush_confirms();
}

void Channel::flush_confirms() {
    // Confirm in publish order, as few frames as possible: a run of acks becomes one basic.ack with
    // multiple=true; a nack (rejected by x-overflow) breaks the run. Publishes waiting for the
    // journal's fsync hold back everything behind them.
    uint64_t ack_upto = 0;
    size_t acks = 0;
    auto flush_acks = [&] {
        if (acks == 0) return;
        MethodWriter(out(), number_, basic_ack).longlong(ack_upto).bits({acks > 1}).end();
        connection_.broker().trace_line(
            "confirm basic.ack channel={} delivery_tag={} multiple={} -> publisher: {} publish{} safe", number_,
            ack_upto, acks > 1, acks, acks == 1 ? "" : "es");
        acks = 0;
    };
    while (!pending_confirms_.empty()) {
        const PendingConfirm& next = pending_confirms_.front();
        if (next.needs_synced > synced_position_) break;
        if (next.nack) {
            flush_acks();
            MethodWriter(out(), number_, basic_nack).longlong(next.seq).bits({false, false}).end();
            connection_.broker().trace_line(
                "confirm basic.nack channel={} delivery_tag={} multiple=false -> publisher: refused (x-overflow)",
                number_, next.seq);
        } else {
            ack_upto = next.seq;
            ++acks;
        }
        pending_confirms_.pop_front();
    }
    flush_acks();
}

// ---- helpers for handlers ----------------------------------------------------------------------

std::string_view Channel::resolve_queue_name(std::string_view name) const {
    // The spec: an empty queue name means the queue last declared on this channel.
    if (name.empty()) {
        if (last_queue_.empty()) throw soft_error(not_found, "no previously declared queue");
        return last_queue_;
    }
    return name;
}

// 404 NOT_FOUND is a channel error with RabbitMQ's exact text: client libraries show it as is.
Queue& Channel::find_queue_or_throw(std::string_view name) {
    Queue* queue = vhost().find_queue(name);
    if (!queue) throw soft_error(not_found, "no queue '{}' in vhost '{}'", name, connection_.vhost_name());
    return *queue;
}

Exchange& Channel::find_exchange_or_throw(std::string_view name) {
    Exchange* exchange = vhost().find_exchange(name);
    if (!exchange) throw soft_error(not_found, "no exchange '{}' in vhost '{}'", name, connection_.vhost_name());
    return *exchange;
}

// An exclusive queue belongs to the connection that declared it; any other connection touching it
// gets 405 RESOURCE_LOCKED, with RabbitMQ's (long) explanation.
void Channel::check_exclusive_access(const Queue& queue) const {
    if (queue.exclusive() && queue.exclusive_owner() != connection_.id())
        throw soft_error(resource_locked,
                         "cannot obtain exclusive access to locked queue '{}' in vhost '{}'. It could be "
                         "originally declared on another connection or the exclusive property value does not "
                         "match that of the original declaration.",
                         queue.name(), connection_.vhost_name());
}

}  // namespace minirabbit
