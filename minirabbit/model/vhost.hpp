// minirabbit/model/vhost.hpp
//
// CONCEPT: a virtual host - an isolated broker inside the broker. Exchanges, queues and bindings
// belong to exactly one vhost, and a connection picks its vhost once (connection.open). Two teams
// can both have a queue called "jobs" on one server, and permissions are granted per vhost.
//
// Every vhost starts with the exchanges RabbitMQ predeclares:
//   ""  (the default exchange: direct, every queue reachable by its own name as routing key)
//   amq.direct  amq.fanout  amq.topic  amq.headers  amq.match  amq.rabbitmq.trace
//
// The vhost is where a message's route is decided (route(): exchange -> bindings -> queues, through
// exchange-to-exchange bindings and alternate exchanges) and where dead letters are republished.
//
// Two views of the same exchanges and queues, because two kinds of reader ask:
//   by_name (hash)    find_exchange / find_queue: once or twice per published message, O(1)
//   ordered (map)     exchanges() / queues(): listings (admin API, definitions file), sorted
// The ordered map owns the objects; the hash index (name_index.hpp: one flat array of hash and
// pointer, no copy of the name) finds them touching as little memory as possible, because with
// thousands of queues each lookup is a cache miss or several. Insertions and deletions update
// both (a declare, not a publish: O(log n) there is fine).
//
// READ NEXT: vhost.cpp (routing and dead-lettering), exchange.hpp, queue.hpp, users.hpp,
//            deadline_index.hpp (what the tick visits).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "deadline_index.hpp"
#include "exchange.hpp"
#include "name_index.hpp"
#include "queue.hpp"

namespace minirabbit {

class Broker;

// What route() found, for --trace: the queue, and the binding (exchange, key) that led there.
struct RouteStep {
    const Exchange* exchange;
    const Binding* binding;  // null for the default exchange
    Queue* queue;
};

class Vhost {
public:
    Vhost(Broker& broker, std::string name);
    ~Vhost();

    const std::string& name() const { return name_; }
    Broker& broker() const { return broker_; }

    Exchange* find_exchange(std::string_view name) const;
    Queue* find_queue(std::string_view name) const;
    std::shared_ptr<Queue> queue_ref(std::string_view name) const;  // keeps a deleted queue's memory alive

    Exchange& add_exchange(std::unique_ptr<Exchange> exchange);
    Queue& add_queue(std::shared_ptr<Queue> queue);
    // Deletes an exchange with its bindings (both directions). Auto-delete exchanges that lose their
    // last binding go too, as in RabbitMQ.
    void delete_exchange(Exchange& exchange);
    // Deletes a queue: its consumers are cancelled, its bindings removed, its messages dropped.
    // Returns the number of ready messages it held.
    size_t delete_queue(Queue& queue);
    bool unbind(Exchange& source, std::string_view destination, bool to_exchange, std::string_view key,
                const amqp::FieldTable& args);

    // The queues a message published to `exchange` with this key/properties goes to, each once.
    void route(const Exchange& exchange, const RoutingInput& input, std::vector<Queue*>& queues,
               std::vector<RouteStep>* trace = nullptr) const;

    // Republishes a message that a queue gives up on to that queue's dead-letter exchange.
    void dead_letter(Queue& from, const QueuedMessage& message, DeathReason reason);

    const std::map<std::string, std::unique_ptr<Exchange>, std::less<>>& exchanges() const { return exchanges_; }
    const std::map<std::string, std::shared_ptr<Queue>, std::less<>>& queues() const { return queues_; }

    // ---- policies (model/policy.hpp): set or replace, delete; every queue is re-evaluated.
    void set_policy(Policy policy);
    bool delete_policy(std::string_view name);
    const Policies& policies() const { return policies_; }

    // Periodic work: expire messages, delete queues unused past x-expires. Visits only the queues
    // whose deadline has passed (deadline_index.hpp) and returns how many that was.
    size_t tick();
    // A queue asks to be visited by tick() once `deadline` has passed (Queue::rearm calls it).
    void arm_deadline(Queue& queue, int64_t deadline) { deadlines_.arm(&queue, deadline); }
    bool deadline_armed(const Queue& queue) const { return deadlines_.armed(const_cast<Queue*>(&queue)); }

private:
    void maybe_auto_delete(Exchange& exchange);
    void auto_delete_unbound(const std::vector<std::string>& exchange_names);
    void deliver_dead_letters();

    Broker& broker_;
    std::string name_;
    std::map<std::string, std::unique_ptr<Exchange>, std::less<>> exchanges_;
    std::map<std::string, std::shared_ptr<Queue>, std::less<>> queues_;
    // The hash indexes beside the maps (see the top of this file): they compare against the
    // objects' own names, so an entry is erased before its object goes.
    NameIndex<Exchange> exchange_index_;
    NameIndex<Queue> queue_index_;
    // Queues with a TTL'd head message or an x-expires countdown, by deadline (tick() pops them).
    DeadlineIndex<Queue*> deadlines_;
    std::vector<Queue*> due_;  // reused by tick()
    Policies policies_;
    void apply_policies();
    // Reused by route(), so a publish allocates nothing here once they have grown.
    mutable std::vector<const Binding*> scratch_;
    mutable std::vector<const Exchange*> pending_;  // exchanges reached but not yet routed through
    mutable uint64_t routes_ = 0;                   // route() calls: the number stamped as route_mark
    // Dead letters waiting for delivery (see deliver_dead_letters).
    std::deque<std::pair<std::shared_ptr<Queue>, MessageRef>> pending_letters_;
    bool delivering_letters_ = false;
    size_t cascade_letters_ = 0;  // letters made by the cascade being delivered
    static constexpr size_t kMaxDeadLetterCascade = 10'000;
};

}  // namespace minirabbit
