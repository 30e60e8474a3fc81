// minirabbit/model/fanout_exchange.cpp
//
// CONCEPT: the fanout exchange - publish/subscribe. Every bound queue gets a copy; the routing key is
// ignored. Each subscriber declares its own (often exclusive, server-named) queue and binds it.
//
//   publish (any key) ──▶ every binding ──▶ queue "mail-log", queue "audit", queue "metrics"
//
// The course notes' publish/subscribe in RabbitMQ's form. Compare Redis PUBLISH (miniredis/
// commands/pubsub_cmds.cpp: nothing is kept for a subscriber that is away) and a Kafka topic read
// by several consumer groups (each group keeps its own offset): here each subscriber's queue keeps
// its copy until that subscriber acks it.
// READ NEXT: topic_exchange.hpp, vhost.cpp.
#include "exchange.hpp"

namespace minirabbit {
namespace {

// route() ignores the message entirely: every binding matches. That is also why it is the fastest
// exchange - there is nothing to compare.
class FanoutExchange final : public Exchange {
public:
    using Exchange::Exchange;
    std::string_view type() const override { return "fanout"; }

    void route(const RoutingInput&, std::vector<const Binding*>& out) const override {
        for (const auto& binding : bindings()) out.push_back(binding.get());
    }

protected:
    void index(const Binding&) override {}  // the binding list is the index
    void unindex(const Binding&) override {}
};

}  // namespace

std::unique_ptr<Exchange> make_fanout_exchange(std::string name, bool durable, bool auto_delete, bool internal,
                                               amqp::FieldTable arguments) {
    return std::make_unique<FanoutExchange>(std::move(name), durable, auto_delete, internal, std::move(arguments));
}

}  // namespace minirabbit
