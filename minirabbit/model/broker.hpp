// minirabbit/model/broker.hpp
//
// CONCEPT: the broker - the root of the model. It holds the virtual hosts (each with its exchanges,
// queues and bindings), the users and their permissions, the clock, and the hooks through which
// the rest of the server learns about changes: the message store (journal) and "durable definitions
// changed" (the definitions file). Exactly one thread touches it, so nothing here locks.
//
//   Broker ─┬─ vhosts: "/" ─┬─ exchanges ─ bindings ─┐
//           │               └─ queues ◀──────────────┘
//           ├─ users, permissions
//           └─ tick(): TTLs and x-expires in every vhost
//
// The same root object, with the same name, as minikafka's core/broker.hpp (topics, partitions,
// groups) and miniredis' core/broker.hpp (the keyspace): one object a request runs against,
// owned by one thread. Here it sits in model/ because everything it holds is a concept of the
// notes; connections and channels, the socket-side state, are in core/.
// READ NEXT: vhost.hpp, exchange.hpp, queue.hpp, storage/definitions.hpp (how it is saved).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "log.hpp"
#include "message_store.hpp"
#include "rate_history.hpp"
#include "trace_ring.hpp"
#include "users.hpp"
#include "vhost.hpp"

namespace minirabbit {

class Broker {
public:
    using Clock = std::function<int64_t()>;  // milliseconds; tests inject their own
    explicit Broker(Clock clock = {});
    ~Broker();

    int64_t now_ms() const { return clock_(); }
    void set_clock(Clock clock) { clock_ = std::move(clock); }

    Users& users() { return users_; }
    const Users& users() const { return users_; }

    Vhost* find_vhost(std::string_view name) const;
    Vhost& add_vhost(std::string name);  // returns the existing one if present
    bool delete_vhost(std::string_view name);
    const std::map<std::string, std::unique_ptr<Vhost>, std::less<>>& vhosts() const { return vhosts_; }

    MessageStore* store() const { return store_; }
    void set_store(MessageStore* store) { store_ = store; }

    // Durable definitions changed: the server rewrites the definitions file before it replies.
    std::function<void()> on_definitions_changed;
    void definitions_changed() {
        if (on_definitions_changed) on_definitions_changed();
    }
    // A vhost was deleted: the server closes its connections (320 CONNECTION_FORCED).
    std::function<void(const std::string&)> on_vhost_deleted;
    // A user was deleted: so are their connections, as in RabbitMQ (320 CONNECTION_FORCED).
    std::function<void(const std::string&)> on_user_deleted;

    uint64_t next_id() { return ++last_id_; }  // connection ids and journal queue ids
    void note_id(uint64_t id) { last_id_ = id > last_id_ ? id : last_id_; }

    // Memory used above this raises the memory alarm: publishers are blocked until it drains.
    uint64_t memory_high_watermark = UINT64_MAX;
    uint64_t buffered_content_bytes = 0;  // bodies still arriving, frame by frame (channels add theirs)
    // Message bodies alone (complete and half-received): one part of the memory used.
    uint64_t memory_in_use() const { return Message::live_bytes() + buffered_content_bytes; }
    // The process's memory as the wiring last measured it (core/memory_monitor.hpp). Between
    // two samples, bodies that arrived since are added (and those freed taken off), so a flood is
    // noticed at once; with no sample (unit tests) this is the message bytes alone.
    void set_memory_sample(uint64_t process_bytes) {
        memory_sample_ = process_bytes;
        message_bytes_at_sample_ = memory_in_use();
    }
    uint64_t memory_used() const {
        uint64_t messages = memory_in_use();
        if (messages >= message_bytes_at_sample_) return memory_sample_ + (messages - message_bytes_at_sample_);
        uint64_t freed = message_bytes_at_sample_ - messages;
        return memory_sample_ > freed ? memory_sample_ - freed : 0;
    }
    bool memory_alarm() const { return memory_used() > memory_high_watermark; }

    // --trace: one log line per step of a message's life (publish, journal write and fsync,
    // confirm, delivery, ack/nack/reject, requeue, dead-lettering, expiry), in the format all three
    // servers share: "trace: <event> key=value ... -> what happened" (docs/architecture.md).
    // Zero cost when off: callers test this bool before building anything.
    bool trace = false;
    template <typename... Args>
    void trace_line(fmt::format_string<Args...> format, Args&&... args) const {
        if (trace) mb::trace::emit(fmt::format(format, std::forward<Args>(args)...));  // log + live page
    }
    // Users who may only log in from a loopback address (rabbitmq.conf `loopback_users`): by
    // default guest, whose well-known password must not open a broker to the network.
    std::vector<std::string> loopback_users = {"guest"};

    void tick();  // periodic work in every vhost (TTL, x-expires)

    // The management UI's rate history (rate_history.hpp): called from the same tick with the wall
    // clock; every collect_statistics_interval (5 s by default) it takes one sample of every queue,
    // every exchange and the broker's totals. Returns whether it sampled.
    bool sample_statistics(int64_t wall_ms);
    SampleClock& statistics_clock() { return statistics_clock_; }
    const SampleClock& statistics_clock() const { return statistics_clock_; }
    // The overview's series (the same order as Queue::Series, summed over all queues), kept for
    // ten minutes ("global" retention) rather than the one minute of each object.
    const RateHistory& totals_history() const { return totals_history_; }
    // Bodies out of RAM (queue.hpp, "paging"): a queue keeps at most this many bytes of ready
    // message bodies in memory; beyond it, bodies of persistent messages stay only in the journal
    // and are read back on delivery. UINT64_MAX = never page (the option sets it).
    uint64_t queue_body_budget = UINT64_MAX;
    // A queue has messages waiting to be paged out once their journal records are on disk.
    void page_out_later(const std::shared_ptr<Queue>& queue) { paging_.push_back(queue); }
    // After each journal fsync (and at the end of recovery): every waiting queue pages out what is
    // on disk now. Visits only queues that asked. Returns the number of bodies dropped from RAM.
    size_t page_out(MessageStore& store);

private:
    Clock clock_;
    Users users_;
    std::map<std::string, std::unique_ptr<Vhost>, std::less<>> vhosts_;
    MessageStore* store_ = nullptr;
    uint64_t last_id_ = 0;
    uint64_t memory_sample_ = 0;
    uint64_t message_bytes_at_sample_ = 0;
    SampleClock statistics_clock_;
    RateHistory totals_history_{Queue::kSeries, /*global=*/true};
    std::vector<std::weak_ptr<Queue>> paging_;  // weak: a deleted queue just drops out
};

}  // namespace minirabbit
