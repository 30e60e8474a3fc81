// minirabbit/model/direct_exchange.cpp
//
// CONCEPT: the direct exchange - a message goes to every binding whose key equals its routing key.
// The workhorse of task queues: publish with key "resize", and the queue bound with "resize" gets it.
// The default exchange "" is one of these (vhost.cpp routes it by queue name without bindings).
// A hash map from key to bindings makes routing one lookup, however many bindings there are.
//
//   publish key "resize" ──▶ by_key["resize"] ──▶ [binding → queue "images"]
// READ NEXT: topic_exchange.hpp (the same idea with wildcards), vhost.cpp.
#include <unordered_map>

#include "exchange.hpp"

namespace minirabbit {
namespace {

struct KeyHash {
    using is_transparent = void;  // lets find() take a string_view without building a std::string
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

// route() is one hash lookup and a copy of the matching bindings: the cost of a direct publish does
// not grow with the number of bindings. Several queues may bind with the same key; all of them get
// the message (a direct exchange can fan out too, per key).
class DirectExchange final : public Exchange {
public:
    using Exchange::Exchange;
    std::string_view type() const override { return "direct"; }

    void route(const RoutingInput& input, std::vector<const Binding*>& out) const override {
        auto it = by_key_.find(input.routing_key);
        if (it != by_key_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
    }

protected:
    void index(const Binding& binding) override { by_key_[binding.routing_key].push_back(&binding); }
    // Unbinding keeps the index tidy: a key whose last binding went is erased, so an exchange that saw
    // many short-lived per-client bindings does not keep their keys forever.
    void unindex(const Binding& binding) override {
        auto it = by_key_.find(binding.routing_key);
        if (it == by_key_.end()) return;
        std::erase(it->second, &binding);
        if (it->second.empty()) by_key_.erase(it);
    }

private:
    std::unordered_map<std::string, std::vector<const Binding*>, KeyHash, std::equal_to<>> by_key_;
};

}  // namespace

std::unique_ptr<Exchange> make_direct_exchange(std::string name, bool durable, bool auto_delete, bool internal,
                                               amqp::FieldTable arguments) {
    return std::make_unique<DirectExchange>(std::move(name), durable, auto_delete, internal, std::move(arguments));
}

}  // namespace minirabbit
