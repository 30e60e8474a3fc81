// minirabbit/model/exchange.cpp
//
// The part every exchange type shares: its binding list (see exchange.hpp).
//
// CONCEPT: one base, four routing rules. Binding, unbinding and listing are the same for every
// exchange type, so they are written once here; a type only adds its index (a hash map for direct,
// a trie for topic, nothing for fanout, the argument list for headers) and its route(). Binding the
// same (destination, key, arguments) twice is a no-op, as in RabbitMQ: declarations are meant to be
// repeated at every client start.
// READ NEXT: direct_exchange.cpp, topic_exchange.cpp, fanout_exchange.cpp, headers_exchange.cpp.
#include "exchange.hpp"

#include <algorithm>

#include "protocol/content_header.hpp"
#include "queue.hpp"

namespace minirabbit {

std::unique_ptr<Exchange> make_direct_exchange(std::string, bool, bool, bool, amqp::FieldTable);
std::unique_ptr<Exchange> make_fanout_exchange(std::string, bool, bool, bool, amqp::FieldTable);
std::unique_ptr<Exchange> make_topic_exchange(std::string, bool, bool, bool, amqp::FieldTable);
std::unique_ptr<Exchange> make_headers_exchange(std::string, bool, bool, bool, amqp::FieldTable);

std::unique_ptr<Exchange> make_exchange(std::string_view type, std::string name, bool durable, bool auto_delete,
                                        bool internal, amqp::FieldTable arguments) {
    auto factory = type == "direct"    ? make_direct_exchange
                   : type == "fanout"  ? make_fanout_exchange
                   : type == "topic"   ? make_topic_exchange
                   : type == "headers" ? make_headers_exchange
                                       : nullptr;
    if (!factory) return nullptr;
    return factory(std::move(name), durable, auto_delete, internal, std::move(arguments));
}

std::string_view Binding::destination_name() const {
    return queue ? std::string_view(queue->name()) : exchange->name();
}

// Two bindings are the same when destination, key and arguments all match: the identity RabbitMQ
// uses, so a headers binding with different x-match arguments is a second binding, not a duplicate.
bool Binding::same_as(std::string_view destination, bool to_exchange, std::string_view key,
                      const amqp::FieldTable& args) const {
    return (exchange != nullptr) == to_exchange && destination_name() == destination && routing_key == key &&
           arguments == args;
}

// Headers decoded on first use, once per publish: only a headers exchange (or an alternate exchange
// chain reaching one) asks, so a direct or topic publish never pays for them.
const amqp::FieldTable& RoutingInput::headers() const {
    if (!headers_decoded_) {
        headers_decoded_ = true;
        if (auto props = amqp::decode_properties(properties))
            if (auto table = amqp::decode_headers(*props)) headers_ = std::move(*table);
    }
    return headers_;
}

Exchange::Exchange(std::string name, bool durable, bool auto_delete, bool internal, amqp::FieldTable arguments)
    : name_(std::move(name)),
      durable_(durable),
      auto_delete_(auto_delete),
      internal_(internal),
      arguments_(std::move(arguments)) {}

Exchange::~Exchange() = default;

// alternate-exchange (a RabbitMQ extension, declared as an argument): where a message goes that
// matched no binding here - a catch-all for unroutable messages, instead of dropping them.
std::string_view Exchange::alternate_exchange() const {
    const auto* value = arguments_.find("alternate-exchange");
    const std::string* name = value ? value->string() : nullptr;
    return name ? std::string_view(*name) : std::string_view();
}

std::string Exchange::identity(std::string_view destination, bool to_exchange, std::string_view key) {
    std::string id(to_exchange ? "e" : "q");
    // A name holding a '\0' byte could make two identities equal; that costs find() one more
    // same_as() comparison, never a wrong answer.
    id.append(destination).push_back('\0');
    id.append(key);
    return id;
}

Binding* Exchange::find(std::string_view destination, bool to_exchange, std::string_view key,
                        const amqp::FieldTable& args) {
    compared_ = 0;
    auto [first, last] = by_identity_.equal_range(identity(destination, to_exchange, key));
    for (auto it = first; it != last; ++it) {
        ++compared_;
        if (it->second->same_as(destination, to_exchange, key, args)) return it->second;
    }
    return nullptr;
}

void Exchange::forget(const Binding& binding) {
    auto [first, last] = by_identity_.equal_range(
        identity(binding.destination_name(), binding.exchange != nullptr, binding.routing_key));
    for (auto it = first; it != last; ++it)
        if (it->second == &binding) {
            by_identity_.erase(it);
            break;
        }
    const void* destination = binding.queue ? static_cast<const void*>(binding.queue) : binding.exchange;
    if (auto it = per_destination_.find(destination); it != per_destination_.end() && --it->second == 0)
        per_destination_.erase(it);
    unindex(binding);
    if (binding.exchange) --binding.exchange->incoming_exchange_bindings;
}

// incoming_exchange_bindings counts edges from other exchanges, so exchange.delete with if-unused
// sees that other exchanges still route into this one (RabbitMQ counts such bindings as uses).
bool Exchange::bind(Binding binding) {
    if (find(binding.destination_name(), binding.exchange != nullptr, binding.routing_key, binding.arguments))
        return false;
    if (binding.exchange) ++binding.exchange->incoming_exchange_bindings;
    bindings_.push_back(std::make_unique<Binding>(std::move(binding)));
    Binding& added = *bindings_.back();
    by_identity_.emplace(identity(added.destination_name(), added.exchange != nullptr, added.routing_key), &added);
    ++per_destination_[added.queue ? static_cast<const void*>(added.queue) : added.exchange];
    index(added);
    return true;
}

bool Exchange::unbind(std::string_view destination, bool to_exchange, std::string_view key,
                      const amqp::FieldTable& args) {
    Binding* binding = find(destination, to_exchange, key, args);
    if (!binding) return false;
    forget(*binding);
    // The list keeps declaration order (listings show it); finding the pointer in it is a scan, but
    // of pointers, not of strings and tables.
    bindings_.erase(
        std::find_if(bindings_.begin(), bindings_.end(), [&](const auto& b) { return b.get() == binding; }));
    return true;
}

// When a queue or exchange is deleted, every binding pointing at it must go from every exchange of
// the vhost - otherwise routing would follow a dangling pointer. The vhost calls this for each one.
size_t Exchange::unbind_all_to(const void* destination) {
    // Deleting a queue asks every exchange of its vhost: most have no binding to it, and answer
    // without looking at their list. The others sweep it once (erasing one by one would move the
    // rest of the list each time: quadratic for a queue with many bindings).
    if (!per_destination_.contains(destination)) return 0;
    const size_t before = bindings_.size();
    std::erase_if(bindings_, [&](const std::unique_ptr<Binding>& b) {
        if (b->queue != destination && b->exchange != destination) return false;
        forget(*b);
        return true;
    });
    return before - bindings_.size();
}

}  // namespace minirabbit
