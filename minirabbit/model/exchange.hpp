// minirabbit/model/exchange.hpp
//
// CONCEPT: exchanges and bindings - how a published message finds its queues.
//
// A publisher never names a queue: it publishes to an exchange with a routing key. The exchange
// holds bindings ("queue Q wants messages whose key is K" - or, RabbitMQ's extension, "exchange E
// wants them") and its type decides what "matches" means:
//
//   direct   key == binding key                    direct_exchange.cpp  (the default exchange "" is a
//                                                                         direct exchange every queue
//                                                                         is implicitly bound to by name)
//   fanout   every binding, key ignored            fanout_exchange.cpp  (publish/subscribe)
//   topic    '*' = one word, '#' = zero or more    topic_exchange.cpp   (routing by pattern, a trie)
//   headers  binding arguments vs message headers  headers_exchange.cpp (x-match all / any)
//
// Each type is one small class implementing route(); the base class keeps the list of bindings (for
// listing and unbinding) and tells the type to index or un-index each one. The base class also
// finds a binding by what identifies it (destination, key, arguments) through a hash index, so that
// binding and unbinding cost the same with 10 or 100,000 bindings on the exchange: a scan of the
// list made declaring N bindings cost N^2 / 2 comparisons (5 billion for 100k).
// READ NEXT: vhost.cpp route() - follows exchange-to-exchange bindings and the alternate exchange.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/field_table.hpp"
#include "rate_history.hpp"

namespace minirabbit {

class Queue;
class Exchange;

// Where a binding leads: a queue or (exchange-to-exchange binding) another exchange.
struct Binding {
    std::string routing_key;
    amqp::FieldTable arguments;
    Queue* queue = nullptr;
    Exchange* exchange = nullptr;
    std::string_view destination_name() const;
    bool same_as(std::string_view destination, bool to_exchange, std::string_view key,
                 const amqp::FieldTable& args) const;
};

// What route() looks at. The headers table is decoded only if a headers exchange asks for it.
struct RoutingInput {
    RoutingInput(std::string_view key, std::string_view raw_properties)
        : routing_key(key), properties(raw_properties) {}
    std::string_view routing_key;
    std::string_view properties;  // raw basic properties (content_header.hpp)
    const amqp::FieldTable& headers() const;

private:
    mutable bool headers_decoded_ = false;
    mutable amqp::FieldTable headers_;
};

class Exchange {
public:
    Exchange(std::string name, bool durable, bool auto_delete, bool internal, amqp::FieldTable arguments);
    virtual ~Exchange();

    virtual std::string_view type() const = 0;
    // Appends every binding whose destination should get the message (duplicates are fine: the vhost
    // delivers at most one copy per queue).
    virtual void route(const RoutingInput& input, std::vector<const Binding*>& out) const = 0;

    // Returns false if an identical binding exists (bind) or none does (unbind). Binding twice is a
    // no-op in AMQP, not an error.
    bool bind(Binding binding);
    bool unbind(std::string_view destination, bool to_exchange, std::string_view key, const amqp::FieldTable& args);
    // Removes every binding to this queue / exchange (it is being deleted). Returns how many.
    size_t unbind_all_to(const void* destination);

    const std::vector<std::unique_ptr<Binding>>& bindings() const { return bindings_; }
    bool has_bindings() const { return !bindings_.empty(); }
    // Bindings the last bind() / unbind() compared with the one asked for: the work of finding a
    // binding, which must not grow with their number (exchange_test counts it; no timing).
    size_t last_lookup_comparisons() const { return compared_; }

    const std::string& name() const { return name_; }
    bool durable() const { return durable_; }
    bool auto_delete() const { return auto_delete_; }
    bool internal() const { return internal_; }
    const amqp::FieldTable& arguments() const { return arguments_; }
    // The "alternate-exchange" argument: where messages go that no binding wants.
    std::string_view alternate_exchange() const;
    // Bindings *from* other exchanges to this one (auto-delete counts them as uses, as RabbitMQ does).
    size_t incoming_exchange_bindings = 0;
    // Vhost::route stamps what it reached with the route's number: each exchange and queue once.
    mutable uint64_t route_mark = 0;

    // Messages published to this exchange (publish_in) and, of those, the ones it routed to at least
    // one queue (publish_out), as RabbitMQ counts them; a publish that reaches no queue is the
    // difference. Counted by the publishers (Channel::publish, the API's publish), sampled by the
    // broker's tick for the management UI's charts (rate_history.hpp).
    uint64_t published_in = 0, published_out = 0;
    void count_publish(bool routed) {
        ++published_in;
        published_out += routed ? 1 : 0;
    }
    enum Series : size_t { kPublishIn, kPublishOut, kSeries };
    void sample_statistics(const SampleClock& clock, uint64_t k) {
        const uint64_t values[kSeries] = {published_in, published_out};
        history_.record(clock, k, values);
    }
    RateHistory& history() { return history_; }
    const RateHistory& history() const { return history_; }

protected:
    virtual void index(const Binding& binding) = 0;
    virtual void unindex(const Binding& binding) = 0;

private:
    std::string name_;
    bool durable_, auto_delete_, internal_;
    amqp::FieldTable arguments_;
    std::vector<std::unique_ptr<Binding>> bindings_;  // unique_ptr: indexes keep Binding* stable
    // "q" or "e" + destination name + '\0' + routing key -> the bindings with that identity (one,
    // or a few differing only in their arguments, which bind() then compares).
    static std::string identity(std::string_view destination, bool to_exchange, std::string_view key);
    Binding* find(std::string_view destination, bool to_exchange, std::string_view key, const amqp::FieldTable& args);
    void forget(const Binding& binding);  // out of both indexes below
    std::unordered_multimap<std::string, Binding*> by_identity_;
    std::unordered_map<const void*, size_t> per_destination_;  // queue or exchange -> its bindings here
    size_t compared_ = 0;
    RateHistory history_{kSeries, /*global=*/false};
};

// Builds an exchange of a type RabbitMQ knows ("direct", "fanout", "topic", "headers"); nullptr for
// any other type (the handler answers 503 COMMAND_INVALID, as RabbitMQ does).
std::unique_ptr<Exchange> make_exchange(std::string_view type, std::string name, bool durable, bool auto_delete,
                                        bool internal, amqp::FieldTable arguments);

}  // namespace minirabbit
