// minirabbit/core/connection.hpp
//
// CONCEPT: an AMQP connection - one TCP socket, negotiated once, multiplexing many channels.
//
//   client                                   broker
//   "AMQP" 0 0 9 1                  ->
//                                   <-       connection.start     (version, properties, mechanisms)
//   connection.start-ok             ->                            (PLAIN "\0guest\0guest" or AMQPLAIN)
//                                   <-       connection.tune      (channel_max, frame_max, heartbeat)
//   connection.tune-ok              ->                            (the client's choice, <= ours)
//   connection.open "/"             ->                            (the virtual host)
//                                   <-       connection.open-ok
//   channel.open on channel 1 ...   ->       ... all real work happens on channels ...
//   connection.close                ->
//                                   <-       connection.close-ok
//
// A Connection is fed the bytes its socket receives (on_bytes), parses every complete frame in
// them, and runs each: channel 0 carries the connection class (handlers/connection_class.cpp),
// other channel numbers go to their Channel. Replies and deliveries are appended to out(), which
// the server's writer coroutine sends - many frames per write.
// READ NEXT: channel.hpp, then server.cpp (the socket side).
//
// READ NEXT: connection.cpp (the frame loop), channel.hpp, handlers/connection_class.cpp,
//            server.cpp (the socket side).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "byte_buffer.hpp"
#include "model/broker.hpp"
#include "protocol/frame.hpp"
#include "protocol/methods.hpp"
#include "transport.hpp"

namespace minirabbit {

class Channel;
struct AmqpError;

class Connection {
public:
    enum class State {
        awaiting_protocol_header,
        awaiting_start_ok,
        awaiting_tune_ok,
        awaiting_open,
        open,
        closing,
        closed
    };

    Connection(Broker& broker, Transport& transport, std::string peer, bool peer_is_loopback);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Parses and handles every complete frame in `in` and consumes it; a partial frame stays.
    // Returns true when it stopped early with whole frames still in `in`: the connection is
    // blocked (connection.blocked) or its unsent output passed kStopReadingAbove. The session
    // then waits (for the unblock, or for the writer to drain) before calling again.
    bool on_bytes(mb::ByteBuffer& in);
    // After a read batch: send what handlers left pending (publisher confirms, as one ack each).
    void end_of_batch();
    // The writer drained out(): consumers paused by a full buffer can take messages again.
    void on_output_drained();
    // The socket is gone: cancel consumers, requeue unacked messages, delete exclusive queues.
    // Visits only what this connection owns (its channels, its exclusive queues), never every
    // queue of the vhost; returns how many exclusive-queue entries it looked at (tests count them).
    size_t shutdown();
    // queue.declare made an exclusive queue for this connection: it must go when the connection goes.
    void owns_exclusive(Queue& queue);
    size_t exclusive_queue_entries() const { return exclusive_queues_.size(); }
    // Forced close from the broker side (vhost deleted, user deleted, heartbeat missed).
    void close(uint16_t code, std::string_view text);
    // The journal's fsync caught up to `position`: release publisher confirms waiting for it.
    void on_synced(uint64_t position);
    // The memory alarm changed: block or unblock this connection if it publishes.
    void set_memory_alarm(bool on);
    void note_publisher() {
        if (has_published_) return;
        has_published_ = true;
        if (memory_alarm_) update_blocked();
    }

    mb::ByteBuffer& out() { return out_; }
    // Output not yet on the wire: out() plus what the writer has taken but the socket has not
    // accepted yet (the session reports that with set_bytes_in_flight).
    size_t unsent_bytes() const { return out_.size() + bytes_in_flight_; }
    void set_bytes_in_flight(size_t n) { bytes_in_flight_ = n; }
    bool output_full() const { return unsent_bytes() > kOutputHighWater; }
    // Replies (not only deliveries) past this: stop handling this client's requests until the
    // writer catches up. Every reply type counts - a basic.get-ok carrying 1 MiB as much as a
    // delivery - because they all land in the same buffer.
    bool must_stop_reading() const { return unsent_bytes() > kStopReadingAbove; }
    void wake() { transport_.wake_writer(); }

    Broker& broker() { return broker_; }
    Vhost& vhost() { return *vhost_; }  // valid once open
    const std::string& vhost_name() const { return vhost_name_; }
    const std::string& user() const { return user_; }
    const std::string& peer() const { return peer_; }
    uint64_t id() const { return id_; }
    State state() const { return state_; }
    uint32_t frame_max() const { return frame_max_; }
    uint16_t heartbeat_seconds() const { return heartbeat_; }
    // What the client said it understands (client-properties.capabilities).
    bool client_supports(std::string_view capability) const;
    const amqp::FieldTable& client_properties() const { return client_properties_; }
    size_t channel_count() const;
    // Indexed by channel number; null where no channel is open (the management API lists them).
    const std::vector<std::unique_ptr<Channel>>& channels() const { return channels_; }
    bool blocked() const { return blocked_; }

    // Permission checks used by the handlers; throw 403 ACCESS_REFUSED.
    void check_configure(std::string_view resource_kind, std::string_view name);
    void check_write(std::string_view resource_kind, std::string_view name);
    void check_read(std::string_view resource_kind, std::string_view name);

    // A deliveries-pause threshold: past it, consumers on this connection get nothing more until the
    // socket drains, so a slow consumer makes messages wait in queues (counted by the memory
    // watermark), not in an ever-growing output buffer.
    static constexpr size_t kOutputHighWater = 1 << 20;
    // The request-side threshold (RabbitMQ's credit flow does the same job between its reader and
    // writer processes): a client that pipelines requests without reading the replies is not read
    // past it. Above kOutputHighWater, so that replies to a consumer's own acks still get through.
    static constexpr size_t kStopReadingAbove = 4 << 20;

private:
    // The connection class (channel 0), in handlers/connection_class.cpp.
    void send_start();
    void handle_start_ok(amqp::MethodReader& in);
    void handle_tune_ok(amqp::MethodReader& in);
    void handle_open(amqp::MethodReader& in);
    void handle_close(amqp::MethodReader& in);
    void handle_close_ok(amqp::MethodReader& in);
    void handle_update_secret(amqp::MethodReader& in);
    bool authenticate(std::string_view mechanism, std::string_view response);

    void handle_frame(const amqp::Frame& frame);
    void handle_connection_method(const amqp::Frame& frame);
    void handle_channel_frame(const amqp::Frame& frame);
    void fail(const AmqpError& error, uint32_t method);
    Channel* channel(uint16_t number);
    void close_channel(uint16_t number);
    void update_blocked();

    Broker& broker_;
    Transport& transport_;
    std::string peer_;
    bool peer_is_loopback_;
    uint64_t id_;
    State state_ = State::awaiting_protocol_header;
    mb::ByteBuffer out_;
    size_t bytes_in_flight_ = 0;
    std::vector<std::unique_ptr<Channel>> channels_;  // indexed by channel number
    // The exclusive queues this connection declared. Weak: a queue may go before the connection
    // (queue.delete, x-expires, auto-delete, a deleted vhost) and then simply drops out. Entries of
    // gone queues are pruned when the list has doubled since the last prune (amortised O(1)).
    std::vector<std::weak_ptr<Queue>> exclusive_queues_;
    size_t prune_exclusive_at_ = 16;
    Vhost* vhost_ = nullptr;
    std::string vhost_name_;
    std::string user_;
    amqp::FieldTable client_properties_;
    uint32_t frame_max_ = amqp::kFrameMinSize;  // until tune-ok: the spec's minimum
    uint16_t channel_max_ = amqp::kDefaultChannelMax;
    uint16_t heartbeat_ = 0;
    bool memory_alarm_ = false;
    bool blocked_ = false;
    bool has_published_ = false;
    bool shut_down_ = false;

    friend class Channel;
};

}  // namespace minirabbit
