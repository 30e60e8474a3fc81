// minirabbit/core/connection.cpp
//
// The connection's frame loop, channel table and teardown (see connection.hpp). The connection
// class methods themselves (start-ok, tune-ok, open, close) are in handlers/connection_class.cpp.
//
// CONCEPT: the multiplexer. One socket carries frames for many channels; this file reads every
// complete frame in the buffer, routes each to its channel (channel 0 is the connection itself),
// and turns an AmqpError thrown by a handler into the right close. It is socket-free on purpose:
// the bytes come in through on_bytes() and go out through a Transport (transport.hpp), so a unit
// test can drive a whole AMQP conversation without a network.
//
//   read buffer ──▶ parse_frame ──complete──▶ channel N ──▶ method_table ──▶ handler
//                               ──need_more──▶ stop, wait for more bytes
//                               ──error──────▶ connection.close 501, stop reading
//
// Back-pressure: when the output buffer grows past a limit (a client that publishes but does not
// read its deliveries), the loop stops reading that socket (must_stop_reading) until it drains -
// otherwise one slow reader would make the broker buffer without bound.
// READ NEXT: channel.cpp, protocol/frame.cpp, docs/minirabbit/01-follow-a-publish.md §2 and §8.
#include "connection.hpp"

#include <algorithm>

#include "amqp_error.hpp"
#include "channel.hpp"
#include "log.hpp"

namespace minirabbit {

Connection::Connection(Broker& broker, Transport& transport, std::string peer, bool peer_is_loopback)
    : broker_(broker),
      transport_(transport),
      peer_(std::move(peer)),
      peer_is_loopback_(peer_is_loopback),
      id_(broker.next_id()) {}

Connection::~Connection() { shutdown(); }

// The parsing loop, in the shape of Redis' processInputBuffer: handle every complete frame that is
// already buffered, leave a partial one for the next read. Errors never throw out of here: a
// channel error closes one channel, a connection error sends connection.close, and the loop goes on
// ignoring frames as the spec requires until the peer's close-ok arrives.
bool Connection::on_bytes(mb::ByteBuffer& in) {
    if (state_ == State::awaiting_protocol_header) {
        if (in.size() < amqp::kProtocolHeader.size()) {
            // Compare what we have so far: garbage need not wait for 8 bytes to be refused.
            if (!amqp::kProtocolHeader.starts_with(in.readable())) in.clear(), state_ = State::closed;
        } else if (in.readable().substr(0, 8) == amqp::kProtocolHeader) {
            in.consume(8);
            send_start();
        } else {
            state_ = State::closed;
        }
        if (state_ == State::closed) {
            // The spec: answer a bad protocol header with the header we do speak, then close.
            out_.append(amqp::kProtocolHeader);
            transport_.close_after_writing();
            return false;
        }
    }
    bool stopped_early = false;
    while (state_ != State::closed && state_ != State::awaiting_protocol_header) {
        auto parsed = amqp::parse_frame(in.readable(), frame_max_);
        if (parsed.status == amqp::FrameParse::Status::need_more) break;
        if (parsed.status == amqp::FrameParse::Status::error) {
            // We cannot find the next frame boundary: report, then stop reading this socket.
            fail(hard_error(amqp::frame_error, "{}", parsed.error), 0);
            in.clear();
            transport_.close_after_writing();
            state_ = State::closed;
            break;
        }
        try {
            handle_frame(parsed.frame);
        } catch (const AmqpError& error) {
            fail(error, 0);
        } catch (const std::exception& error) {
            // Not the client's fault (a definitions file that cannot be written, no file
            // descriptors left): RabbitMQ closes the connection with INTERNAL_ERROR; so do we.
            mb::log::error("{}: {}", peer_, error.what());
            fail(hard_error(amqp::internal_error, "{}", error.what()), 0);
        }
        in.consume(parsed.consumed);
        // connection.blocked, or replies piling up unsent (a client pipelining basic.get of big
        // messages and reading nothing): leave the rest in the buffer for later. Without this
        // check one 64 KiB read of basic.get frames would be answered with gigabytes of get-ok.
        if (blocked_ || must_stop_reading()) {
            stopped_early = !in.empty();
            break;
        }
    }
    if (state_ == State::closed) in.clear();
    return stopped_early && state_ != State::closed;
}

// Every frame goes through here first: heartbeats end at once, channel 0 is the connection's own,
// and nothing may reach a channel before the handshake ended with connection.open.
void Connection::handle_frame(const amqp::Frame& frame) {
    if (state_ == State::closing) {
        // We sent connection.close: per the spec, ignore everything but close / close-ok.
        if (frame.type == amqp::FrameType::method && frame.channel == 0) handle_connection_method(frame);
        return;
    }
    if (frame.type == amqp::FrameType::heartbeat) {
        // The server loop noted that bytes arrived; that is all a heartbeat is for.
        if (frame.channel != 0) throw hard_error(amqp::frame_error, "heartbeat frame on channel {}", frame.channel);
        return;
    }
    if (frame.channel == 0) {
        if (frame.type != amqp::FrameType::method)
            throw hard_error(amqp::unexpected_frame, "content frame on channel 0");
        handle_connection_method(frame);
        return;
    }
    if (state_ != State::open)
        throw hard_error(amqp::channel_error, "frame on channel {} before connection.open", frame.channel);
    handle_channel_frame(frame);
}

// channel.open and channel.close are handled here rather than by the Channel, because they create
// and destroy the Channel object itself.
void Connection::handle_channel_frame(const amqp::Frame& frame) {
    Channel* ch = channel(frame.channel);
    if (frame.type == amqp::FrameType::method && frame.payload.size() >= 4) {
        uint32_t method = mb::load_big_endian<uint32_t>(frame.payload.data());
        if (method == amqp::channel_open) {
            if (ch) throw hard_error(amqp::channel_error, "second 'channel.open' seen");
            if (frame.channel > channel_max_)
                throw hard_error(amqp::not_allowed, "channel {} exceeds channel_max {}", frame.channel, channel_max_);
            if (channels_.size() <= frame.channel) channels_.resize(size_t{frame.channel} + 1);
            channels_[frame.channel] = std::make_unique<Channel>(*this, frame.channel);
            amqp::MethodWriter(out_, frame.channel, amqp::channel_open_ok).longstr("").end();
            return;
        }
        if (ch && method == amqp::channel_close) {
            // The client closes: our reply is close-ok and the channel is gone at once.
            ch->release();
            channels_[frame.channel].reset();
            amqp::write_empty_method(out_, frame.channel, amqp::channel_close_ok);
            return;
        }
        if (ch && ch->closing()) {
            // We sent channel.close: only close-ok ends it; everything else is dropped (spec).
            if (method == amqp::channel_close_ok) channels_[frame.channel].reset();
            return;
        }
    }
    if (!ch) throw hard_error(amqp::channel_error, "expected 'channel.open' for channel {}", frame.channel);
    if (ch->closing()) return;
    try {
        ch->handle_frame(frame);
    } catch (const AmqpError& error) {
        if (error.connection_level) throw;
        // A channel exception: close this channel only, and tell the client why.
        uint32_t method = frame.type == amqp::FrameType::method && frame.payload.size() >= 4
                              ? mb::load_big_endian<uint32_t>(frame.payload.data())
                              : 0;
        mb::log::info("channel {} error: {}", frame.channel, error.what());
        ch->release();
        ch->start_closing();
        amqp::write_close(out_, frame.channel, error.code, error.what(), method);
    }
}

// A connection error: release every channel (requeue their unacked messages now), send
// connection.close with the code and the method that caused it, and wait for close-ok - the spec's
// orderly goodbye, so the client learns why before the socket goes.
void Connection::fail(const AmqpError& error, uint32_t method) {
    if (state_ == State::closing || state_ == State::closed) return;
    mb::log::info("connection {} closed with error: {}", peer_, error.what());
    // A hard error ends every channel: their unacked messages are requeued now, not at socket close.
    for (auto& ch : channels_)
        if (ch) ch->release();
    channels_.clear();
    amqp::write_close(out_, 0, error.code, error.what(), method);
    state_ = State::closing;
    transport_.wake_writer();
}

void Connection::close(uint16_t code, std::string_view text) {
    fail(hard_error(code, "{}", text), 0);
    if (state_ == State::closing) transport_.close_after_writing();
}

Channel* Connection::channel(uint16_t number) { return number < channels_.size() ? channels_[number].get() : nullptr; }

size_t Connection::channel_count() const {
    size_t n = 0;
    for (const auto& ch : channels_) n += ch != nullptr;
    return n;
}

// Once per read batch: every channel flushes what it owes (confirms), and one wake-up of the writer
// sends everything the batch produced in one write - the same "one write per turn" as miniredis'
// before_sleep.
void Connection::end_of_batch() {
    for (auto& ch : channels_)
        if (ch) ch->end_of_batch();
    if (!out_.empty()) transport_.wake_writer();
}

void Connection::on_output_drained() {
    for (size_t i = 0; i < channels_.size(); ++i)
        if (channels_[i]) channels_[i]->on_output_drained();
}

void Connection::on_synced(uint64_t position) {
    for (auto& ch : channels_)
        if (ch) ch->on_synced(position);
    if (!out_.empty()) transport_.wake_writer();
}

// Runs once when the socket is gone, for whatever reason (close, error, heartbeat timeout):
// the model must not keep consumers or unacked messages for a client that cannot ack them.
//
// What it visits is what the connection owns, never the whole vhost: its channels (each releases
// its own consumers and unacked deliveries, requeued at their original positions) and the list of
// exclusive queues it declared. Walking every queue of the vhost to find the few whose owner is
// this connection made each disconnect cost O(queues) - with 10,000 queues and clients that
// reconnect often, the broker spent its time looking at queues that had nothing to do with them.
size_t Connection::shutdown() {
    if (shut_down_) return 0;
    shut_down_ = true;
    for (auto& ch : channels_)
        if (ch) ch->release();
    channels_.clear();
    // Exclusive queues belong to their connection: they go when it goes.
    const size_t visited = exclusive_queues_.size();
    if (vhost_ != nullptr && broker_.find_vhost(vhost_name_) == vhost_) {
        for (const auto& weak : exclusive_queues_) {
            std::shared_ptr<Queue> queue = weak.lock();
            // Still ours? A queue deleted meanwhile is gone (expired) or marked deleted; one with
            // the same name declared since by another connection is a different object.
            if (queue && !queue->deleted() && queue->exclusive_owner() == id_) vhost_->delete_queue(*queue);
        }
    }
    exclusive_queues_.clear();
    state_ = State::closed;
    return visited;
}

void Connection::owns_exclusive(Queue& queue) {
    if (exclusive_queues_.size() >= prune_exclusive_at_) {
        // A client that declares and deletes exclusive queues all day would grow the list without
        // bound: drop the entries of queues already gone, and prune again at twice what is left.
        std::erase_if(exclusive_queues_, [](const std::weak_ptr<Queue>& weak) {
            std::shared_ptr<Queue> queue = weak.lock();
            return !queue || queue->deleted();
        });
        prune_exclusive_at_ = std::max<size_t>(16, 2 * exclusive_queues_.size());
    }
    exclusive_queues_.push_back(queue.weak_from_this());
}

// The client's capabilities table (from connection.start-ok): the broker only uses an extension the
// client said it understands - an old client would treat an unexpected connection.blocked or
// basic.cancel as a protocol error and close.
bool Connection::client_supports(std::string_view capability) const {
    const auto* capabilities = client_properties_.find("capabilities");
    const amqp::FieldTable* table = capabilities ? capabilities->table() : nullptr;
    const amqp::FieldValue* value = table ? table->find(capability) : nullptr;
    const bool* flag = value ? std::get_if<bool>(&value->value) : nullptr;
    return flag && *flag;
}

void Connection::set_memory_alarm(bool on) {
    memory_alarm_ = on;
    update_blocked();
}

// The memory alarm's effect on one connection. Besides telling the client (connection.blocked),
// the socket stops being read: a publisher that ignores the notice simply fills its own TCP send
// buffer and waits - back-pressure all the way to the producer, without a byte more in our memory.
void Connection::update_blocked() {
    // RabbitMQ blocks only connections that publish: a consumer-only connection must keep draining
    // queues, which is what lowers memory again.
    bool block = memory_alarm_ && has_published_ && state_ == State::open;
    if (block == blocked_) return;
    blocked_ = block;
    if (client_supports("connection.blocked")) {
        if (block)
            amqp::MethodWriter(out_, 0, amqp::connection_blocked).shortstr("low on memory").end();
        else
            amqp::write_empty_method(out_, 0, amqp::connection_unblocked);
        transport_.wake_writer();
    }
    transport_.set_reading_paused(block);
}

// The three permission checks (users.hpp): configure for declare/delete, write for publish and the
// queue side of a bind, read for consume/get and the exchange side. A refusal is a 403 channel error
// naming the object, the vhost and the user, in RabbitMQ's words.
void Connection::check_configure(std::string_view kind, std::string_view name) {
    const Permission* p = broker_.users().permission(vhost_name_, user_);
    if (!p || !p->may_configure(name))
        throw soft_error(amqp::access_refused, "access to {} '{}' in vhost '{}' refused for user '{}'", kind, name,
                         vhost_name_, user_);
}

void Connection::check_write(std::string_view kind, std::string_view name) {
    const Permission* p = broker_.users().permission(vhost_name_, user_);
    if (!p || !p->may_write(name))
        throw soft_error(amqp::access_refused, "access to {} '{}' in vhost '{}' refused for user '{}'", kind, name,
                         vhost_name_, user_);
}

void Connection::check_read(std::string_view kind, std::string_view name) {
    const Permission* p = broker_.users().permission(vhost_name_, user_);
    if (!p || !p->may_read(name))
        throw soft_error(amqp::access_refused, "access to {} '{}' in vhost '{}' refused for user '{}'", kind, name,
                         vhost_name_, user_);
}

}  // namespace minirabbit
