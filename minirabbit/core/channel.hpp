// minirabbit/core/channel.hpp
//
// CONCEPT: a channel - a lightweight session inside a connection. Clients open one per thread or
// per task ("channel 1 publishes, channel 2 consumes"); all of AMQP's state that matters lives here:
//
//   publishing   basic.publish + content header + body frames are assembled into one Message, routed
//                through the exchange, and (in confirm mode) answered with basic.ack / basic.nack
//   consuming    the channel's consumers, their prefetch credit (basic.qos), and the unacked
//                deliveries - each delivery tag maps to (queue, message) until ack, nack or reject
//   modes        confirm.select (publisher confirms) or tx.select (transactions), channel.flow
//
// Closing a channel - or losing its connection - requeues every unacked message at its original
// position with `redelivered` set: nothing a consumer did not ack is lost.
// The handlers, one file per AMQP class, are Channel member functions in handlers/*.cpp; the table
// in handlers/method_table.cpp maps each method id to one of them.
//
//   basic.publish ─▶ header ─▶ body... ─▶ finish_publish ─▶ Exchange::route ─▶ Queue::enqueue
//   Queue::dispatch ─▶ Channel::deliver ─▶ unacked[tag] = (queue, message) ─▶ basic.ack ─▶ settle
//
// Why per channel and not per connection? AMQP lets one TCP connection carry many independent
// conversations; the unacked set, prefetch and confirm mode belong to each one, so a slow consumer on
// channel 2 does not stall publishing on channel 1.
// READ NEXT: channel.cpp, handlers/basic_class.cpp, model/queue.hpp, docs/minirabbit/01-follow-a-publish.md.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "model/consumer.hpp"
#include "model/vhost.hpp"
#include "protocol/content_header.hpp"
#include "protocol/frame.hpp"
#include "protocol/methods.hpp"

namespace minirabbit {

class Connection;

class Channel final : public ConsumerOwner {
public:
    Channel(Connection& connection, uint16_t number);
    ~Channel();

    void handle_frame(const amqp::Frame& frame);
    // Requeue unacked messages, cancel consumers; the channel is going away.
    void release();
    void end_of_batch();
    void on_synced(uint64_t position);
    void on_output_drained();  // re-dispatch the queues this channel consumes from

    // ConsumerOwner: the queue asks, the channel answers and writes basic.deliver.
    bool can_deliver(const Consumer& consumer) const override;
    void deliver(Consumer& consumer, Queue& queue, QueuedMessage message) override;
    void cancelled_by_queue(Consumer& consumer) override;

    uint16_t number() const { return number_; }
    bool closing() const { return closing_; }
    void start_closing() { closing_ = true; }
    size_t unacked_count() const { return unacked_live_; }
    size_t consumer_count() const { return consumers_.size(); }
    bool has_published() const { return published_any_; }
    // What the management API shows of a channel (/api/channels, /api/consumers).
    uint16_t prefetch_count() const { return prefetch_count_; }
    uint16_t global_prefetch_count() const { return global_prefetch_count_; }
    bool confirm_mode() const { return confirm_mode_; }
    bool tx_mode() const { return tx_mode_; }
    const std::vector<std::unique_ptr<Consumer>>& consumers() const { return consumers_; }

    // ---- handlers (handlers/*.cpp)
    using Handler = void (Channel::*)(amqp::MethodReader&);
    void handle_channel_flow(amqp::MethodReader& in);
    void handle_channel_flow_ok(amqp::MethodReader& in);
    void handle_exchange_declare(amqp::MethodReader& in);
    void handle_exchange_delete(amqp::MethodReader& in);
    void handle_exchange_bind(amqp::MethodReader& in);
    void handle_exchange_unbind(amqp::MethodReader& in);
    void handle_queue_declare(amqp::MethodReader& in);
    void handle_queue_bind(amqp::MethodReader& in);
    void handle_queue_unbind(amqp::MethodReader& in);
    void handle_queue_purge(amqp::MethodReader& in);
    void handle_queue_delete(amqp::MethodReader& in);
    void handle_basic_qos(amqp::MethodReader& in);
    void handle_basic_consume(amqp::MethodReader& in);
    void handle_basic_cancel(amqp::MethodReader& in);
    void handle_basic_publish(amqp::MethodReader& in);
    void handle_basic_get(amqp::MethodReader& in);
    void trace_settle(std::string_view method, const amqp::BasicAck& m) const;  // --trace only
    void handle_basic_ack(amqp::MethodReader& in);
    void handle_basic_reject(amqp::MethodReader& in);
    void handle_basic_nack(amqp::MethodReader& in);
    void handle_basic_recover(amqp::MethodReader& in);
    void handle_basic_recover_async(amqp::MethodReader& in);
    void handle_confirm_select(amqp::MethodReader& in);
    void handle_tx_select(amqp::MethodReader& in);
    void handle_tx_commit(amqp::MethodReader& in);
    void handle_tx_rollback(amqp::MethodReader& in);
    static Handler find_handler(uint32_t method);  // handlers/method_table.cpp

private:
    // A delivered, not yet acknowledged message.
    struct Unacked {
        uint64_t tag;
        std::shared_ptr<Queue> queue;  // shared: the queue may be deleted while we hold its message
        QueuedMessage message;
        Consumer* consumer;  // null for basic.get, or after the consumer was cancelled
        bool settled = false;
    };
    // Publish assembly: basic.publish, then a header frame, then body frames.
    struct PendingPublish {
        bool active = false;
        bool header_seen = false;
        std::string exchange, routing_key;
        bool mandatory = false;
        uint64_t body_size = 0;
        std::string properties;
        amqp::BasicProperties decoded;  // views into `properties`
        std::string body;
    };
    // A publish inside a transaction, applied at tx.commit.
    struct TxPublish {
        MessageRef message;
        bool mandatory;
    };
    struct TxSettle {
        uint64_t tag;
        bool multiple, ack, requeue;
    };
    // Publisher confirm bookkeeping: seq numbers are confirmed in order (basic.ack multiple).
    struct PendingConfirm {
        uint64_t seq;
        uint64_t needs_synced;  // journal position that must be on disk first; 0 = none
        bool nack;
    };

    void handle_method(const amqp::Frame& frame);
    void handle_content_header(const amqp::Frame& frame);
    void handle_content_body(const amqp::Frame& frame);
    void finish_publish(std::string_view body);
    void count_buffered(size_t bytes);
    void publish(const MessageRef& message, bool mandatory, std::string_view exchange_name);
    MessageRef make_message(std::string_view exchange, std::string_view routing_key, std::string_view raw_properties,
                            const amqp::BasicProperties& properties, std::string_view body);
    void settle(uint64_t tag, bool multiple, bool ack, bool requeue);
    void settle_one(Unacked& entry, bool ack, bool requeue, std::vector<Queue*>& touched);
    void requeue_all_unacked();
    void pop_settled();
    // Whether settling `tag` (every outstanding tag up to it, with `multiple`) settles something.
    bool outstanding(uint64_t tag, bool multiple) const;
    void hold_for_commit(TxSettle settle);  // tx mode: an ack/nack/reject waits for tx.commit
    Consumer* find_consumer(std::string_view tag);
    void remove_consumer(Consumer& consumer);
    void write_delivery_content(const Message& message);
    void confirm(uint64_t seq, uint64_t needs_synced, bool nack);
    void flush_confirms();
    Queue& find_queue_or_throw(std::string_view name);
    Exchange& find_exchange_or_throw(std::string_view name);
    std::string_view resolve_queue_name(std::string_view name) const;
    void check_exclusive_access(const Queue& queue) const;
    void maybe_auto_delete(Queue& queue);
    void send_ok(amqp::Method method) { amqp::write_empty_method(out(), number_, method); }
    mb::ByteBuffer& out();
    Vhost& vhost();

    Connection& connection_;
    uint16_t number_;
    bool closing_ = false;
    bool flow_active_ = true;  // channel.flow from the client: false = send no deliveries
    PendingPublish pending_;
    std::vector<std::unique_ptr<Consumer>> consumers_;
    std::deque<Unacked> unacked_;  // ordered by delivery tag
    size_t unacked_live_ = 0;      // entries not settled yet
    uint64_t next_delivery_tag_ = 1;
    uint16_t prefetch_count_ = 0;         // basic.qos global=false: for consumers created after it
    uint16_t global_prefetch_count_ = 0;  // basic.qos global=true: shared by the whole channel
    std::string last_queue_;              // "" in queue methods means the last declared queue
    bool confirm_mode_ = false;
    uint64_t next_publish_seq_ = 1;
    std::deque<PendingConfirm> pending_confirms_;
    uint64_t synced_position_ = 0;
    bool tx_mode_ = false;
    std::vector<TxPublish> tx_publishes_;
    std::vector<TxSettle> tx_settles_;
    uint64_t tx_commit_needs_synced_ = 0;  // a tx.commit-ok waiting for the journal
    bool tx_commit_pending_ = false;
    bool published_any_ = false;
    size_t buffered_counted_ = 0;  // our share of Broker::buffered_content_bytes
    std::vector<Queue*> route_scratch_;
    // Caches the last write-permission check (it runs per publish).
    std::string permitted_exchange_;
    uint64_t permitted_generation_ = UINT64_MAX;
};

}  // namespace minirabbit
