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

// incoming_exchange_bindings counts edges from other exchanges, so exchange.delete with if-unused
// sees that other exchanges still route into this one (RabbitMQ counts such bindings as uses).
bool Exchange::bind(Binding binding) {
    for (const auto& existing : bindings_)
        if (existing->same_as(binding.destination_name(), binding.exchange != nullptr, binding.routing_key,
                              binding.arguments))
            return false;
    if (binding.exchange) ++binding.exchange->incoming_exchange_bindings;
    bindings_.push_back(std::make_unique<Binding>(std::move(binding)));
    index(*bindings_.back());
    return true;
}

bool Exchange::unbind(std::string_view destination, bool to_exchange, std::string_view key,
                      const amqp::FieldTable& args) {
    auto it = std::find_if(bindings_.begin(), bindings_.end(),
                           [&](const auto& b) { return b->same_as(destination, to_exchange, key, args); });
    if (it == bindings_.end()) return false;
    unindex(**it);
    if ((*it)->exchange) --(*it)->exchange->incoming_exchange_bindings;
    bindings_.erase(it);
    return true;
}

// When a queue or exchange is deleted, every binding pointing at it must go from every exchange of
// the vhost - otherwise routing would follow a dangling pointer. The vhost calls this for each one.
size_t Exchange::unbind_all_to(const void* destination) {
    size_t removed = 0;
    for (auto it = bindings_.begin(); it != bindings_.end();) {
        const Binding& b = **it;
        if (b.queue == destination || b.exchange == destination) {
            unindex(b);
            if (b.exchange) --b.exchange->incoming_exchange_bindings;
            it = bindings_.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    return removed;
}

}  // namespace minirabbit
