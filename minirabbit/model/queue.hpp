// minirabbit/model/queue.hpp
//
// CONCEPT: a queue - a FIFO buffer of messages between producers and consumers.
//
//   publish -> [ m7 m6 m5 m4 ] -> dispatch -> consumer A (m4), consumer B (m5), consumer A (m6) ...
//                    ready              unacked: delivered, waiting for basic.ack
//
// - Strict FIFO: the oldest ready message goes first. Competing consumers are served round-robin,
//   each only while it has credit (basic.qos prefetch). That is RabbitMQ's "work queue".
// - A delivered message stays the queue's responsibility until acked. Rejected, nacked or orphaned
//   by a closed channel it is requeued at its original position (by seq) with `redelivered` set.
// - Expiry (x-message-ttl, per-message expiration) and overflow (x-max-length[-bytes]) remove messages
//   from the head; with a dead-letter exchange they are republished there with an x-death header.
// - x-max-priority: one FIFO per priority level; higher levels are served first.
// - Persistent messages in durable queues are announced to the MessageStore (the journal), which
//   writes them to disk; acks are announced too, so a restart restores exactly the unacked ones.
// - Paging (RabbitMQ's lazy / version-2 classic queues): past Broker::queue_body_budget bytes of
//   ready bodies in RAM, a persistent message's body is dropped once the journal has it on disk,
//   and read back from the journal when the message reaches the head and is delivered:
//
//     head [ m1 m2 m3 | m4 m5 m6 m7 ... m9000 ] tail
//          in RAM      paged: header only, body in journal.log (pread on delivery)
//          (budget)
// READ NEXT: consumer.hpp (the interface to channels), vhost.cpp (dead-lettering, deletion).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consumer.hpp"
#include "policy.hpp"
#include "protocol/field_table.hpp"
#include "queue_arguments.hpp"
#include "rate_history.hpp"

namespace minirabbit {

class Vhost;
class MessageStore;

enum class DeathReason { rejected, expired, maxlen };
std::string_view death_reason_name(DeathReason reason);

class Queue : public std::enable_shared_from_this<Queue> {
public:
    Queue(Vhost& vhost, std::string name, bool durable, bool exclusive, bool auto_delete, amqp::FieldTable arguments,
          QueueArguments parsed, uint64_t exclusive_owner);
    ~Queue();
    Queue(const Queue&) = delete;
    Queue& operator=(const Queue&) = delete;

    // ---- publishing
    enum class PublishResult { enqueued, rejected };  // rejected = x-overflow reject-publish
    PublishResult publish(MessageRef message);
    // Puts back a message recovered from the journal (no journaling, no dispatch yet).
    void restore(MessageRef message, uint64_t seq);

    // ---- consuming
    void add_consumer(Consumer& consumer);
    void remove_consumer(Consumer& consumer);  // the caller checks auto_delete_due() afterwards
    // Hands ready messages to consumers that can take them. Call after anything that may let a
    // delivery happen: a publish, an ack (credit), a new consumer, a drained socket.
    void dispatch();
    std::optional<QueuedMessage> get();  // basic.get: the next ready message, if any (counts as unacked)
    // Every delivered message ends in exactly one of these three:
    void ack(const QueuedMessage& message);               // done with it: forget (and journal the ack)
    void requeue(QueuedMessage message);                  // back at its original position; call dispatch()
    void reject(QueuedMessage message);                   // dead-letter it (reason rejected) or drop it
    void delivered_no_ack(const QueuedMessage& message);  // auto-ack: settled as it was sent

    size_t purge();          // drops every ready message; returns how many
    void expire_messages();  // drops (dead-letters) expired messages from the head
    bool auto_delete_due() const { return auto_delete_ && had_consumer_ && consumers_.empty(); }
    bool expired_unused() const;  // x-expires: unused for that long
    void touch();                 // a use that resets x-expires: consume, get, declare
    // The earliest moment the tick has work here: the head message's expiry, or when x-expires
    // would delete the queue (no consumers). 0 = none: the tick never visits this queue.
    int64_t next_deadline() const;
    void rearm();  // registers next_deadline() with the vhost's deadline index (if there is one)
    void mark_deleted() { deleted_ = true; }
    bool deleted() const { return deleted_; }
    // Drops every ready message without journaling (the queue is going away).
    std::vector<QueuedMessage> take_all();

    // ---- paging (bodies out of RAM; see the top of this file)
    // Pages out the messages published over budget whose records are now on disk. Called by
    // Broker::page_out after each journal fsync. Returns how many bodies it dropped.
    size_t page_out(MessageStore& store);
    bool page_out_pending() const { return !to_page_.empty(); }
    size_t paged_count() const { return paged_count_; }    // ready messages whose body is on disk only
    uint64_t paged_bytes() const { return paged_bytes_; }  // ... and their body bytes

    // ---- facts
    const std::string& name() const { return name_; }
    Vhost& vhost() const { return vhost_; }
    bool durable() const { return durable_; }
    bool exclusive() const { return exclusive_owner_ != 0; }
    uint64_t exclusive_owner() const { return exclusive_owner_; }  // connection id, 0 = none
    bool auto_delete() const { return auto_delete_; }
    const amqp::FieldTable& arguments() const { return arguments_; }
    const QueueArguments& settings() const { return settings_; }  // what it runs with (arguments + policy)
    // A policy changed (model/policy.hpp): run with the declared arguments combined with `policy`.
    // New limits count from the next publish, a new TTL for messages enqueued from now on.
    void apply_policy(const Policy* policy);
    const std::string& policy_name() const { return policy_name_; }  // "" = none
    bool journaled(const QueuedMessage& m) const { return durable_ && m.message->persistent(); }
    size_t ready_count() const { return ready_count_; }
    uint64_t ready_bytes() const { return ready_bytes_; }
    size_t unacked_count() const { return unacked_count_; }
    size_t consumer_count() const { return consumers_.size(); }
    const std::vector<Consumer*>& consumers() const { return consumers_; }
    bool has_exclusive_consumer() const;
    uint64_t next_seq() const { return next_seq_; }
    void set_next_seq(uint64_t seq) { next_seq_ = seq; }
    uint64_t store_id = 0;  // the journal's key for this queue (durable queues only)

    // `delivered` counts every message handed out (RabbitMQ's deliver_get); of those,
    // `delivered_no_ack` went to auto-ack consumers and `fetched` to basic.get (or the API's get).
    struct Stats {
        uint64_t published = 0, delivered = 0, acked = 0, redelivered = 0, expired = 0, dropped = 0;
        uint64_t delivered_no_ack = 0, fetched = 0;
    };
    const Stats& stats() const { return stats_; }
    // What the management UI charts, sampled by the broker's tick (rate_history.hpp): the series
    // of one queue, in this order.
    enum Series : size_t { kPublish, kDeliver, kDeliverNoAck, kGet, kAck, kRedeliver, kReady, kUnacked, kSeries };
    void sample_statistics(const SampleClock& clock, uint64_t k) {
        const uint64_t values[kSeries] = {stats_.published,
                                          stats_.delivered - stats_.delivered_no_ack - stats_.fetched,
                                          stats_.delivered_no_ack,
                                          stats_.fetched,
                                          stats_.acked,
                                          stats_.redelivered,
                                          ready_count_,
                                          unacked_count_};
        history_.record(clock, k, values);
    }
    RateHistory& history() { return history_; }
    const RateHistory& history() const { return history_; }
    uint64_t route_mark = 0;  // see Exchange::route_mark
    // Visits ready messages in delivery order (for the journal's compaction and the admin API).
    template <typename F>
    void for_each_ready(F&& f) const {
        for (size_t i = level_count(); i-- > 0;)
            for (const auto& m : level(i)) f(m);
    }
    // How many bytes from its first to its last byte the fields a publish to a plain queue (no
    // consumer, no limit, no TTL) reads or writes span in the object, and whether they are all in
    // it (no separate heap block such as a vector of levels): QueueTest.APublishTouchesFewCacheLinesOfTheQueue.
    struct HotSpan {
        size_t bytes;
        bool inside;
    };
    HotSpan publish_hot_span() const;

private:
    // Priority level i: [0] = lowest, the only one of a queue without x-max-priority.
    size_t level_count() const { return 1 + upper_levels_.size(); }
    std::deque<QueuedMessage>& level(size_t i) { return i == 0 ? level0_ : upper_levels_[i - 1]; }
    const std::deque<QueuedMessage>& level(size_t i) const { return i == 0 ? level0_ : upper_levels_[i - 1]; }
    size_t level_index_for(const Message& message) const;
    std::deque<QueuedMessage>& level_for(const Message& message) { return level(level_index_for(message)); }
    void settings_changed();  // recomputes the hot flags below from settings_
    QueuedMessage* head();    // the next message to deliver (highest non-empty priority level), or null
    // The head, out of the queue; a paged body is read back from the store unless `load` is false
    // (a message dropped without a dead-letter exchange needs no body).
    QueuedMessage pop_head(bool load = true);
    void note_for_paging(const QueuedMessage& entry);  // over budget: page it out once on disk
    void insert_in_order(QueuedMessage message);
    void drop(QueuedMessage message, DeathReason reason);  // dead-letter or discard, with journaling
    bool over_limit(size_t extra_count, uint64_t extra_bytes) const;
    int64_t now() const;
    int64_t deadline_after(int64_t ttl_ms) const;  // now() + ttl_ms, saturating

    // ---- hot: every field a publish to this queue reads or writes, declared together (after
    // store_id and route_mark above) so that they share 4 cache lines at the front of the object.
    // With 10,000 queues published to in turn, every publish lands on a queue nobody touched
    // recently: each distinct cache line is a trip to RAM, each distinct page a TLB miss. Spread
    // over the object (the settings in between) and a separate block for the levels, the same
    // fields cost about a dozen lines on several pages (docs/minirabbit/benchmarks.md, "Queues").
    Vhost& vhost_;
    size_t ready_count_ = 0;
    uint64_t ready_bytes_ = 0;
    uint64_t next_seq_ = 1;
    std::string name_;  // the name index compares it on every lookup
    bool durable_, auto_delete_;
    bool deleted_ = false;
    bool dispatching_ = false;
    bool limited_ = false;    // x-max-length or x-max-length-bytes: over_limit() has work to do
    bool queue_ttl_ = false;  // x-message-ttl set: a publish reads settings_ for it
    std::vector<Consumer*> consumers_;
    std::vector<std::deque<QueuedMessage>> upper_levels_;  // x-max-priority: levels 1..max
    std::deque<QueuedMessage> level0_;                     // the lowest (for most, the only) level
    Stats stats_;                                          // its first field, `published`, is the hot one
    // ---- cold: read on declare, on a policy change, on delivery or by the admin API.
    amqp::FieldTable arguments_;
    QueueArguments settings_;
    QueueArguments declared_settings_;  // from the x-arguments alone
    std::string policy_name_;
    uint64_t exclusive_owner_;
    size_t next_consumer_ = 0;  // round-robin cursor
    size_t unacked_count_ = 0;
    bool had_consumer_ = false;
    int64_t last_used_ = 0;
    RateHistory history_{kSeries, /*global=*/false};
    // Paging: messages to page out once on disk (seq, priority level), in publish order; counters.
    std::deque<std::pair<uint64_t, uint8_t>> to_page_;
    bool paging_listed_ = false;  // on the broker's page_out list
    size_t paged_count_ = 0;
    uint64_t paged_bytes_ = 0;
};

}  // namespace minirabbit
