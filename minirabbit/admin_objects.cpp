// minirabbit/admin_objects.cpp
//
// The model's objects as RabbitMQ's management API shows them: a queue, an exchange, a binding, a
// vhost, each as one JSON object with RabbitMQ's field names (split from admin_api.cpp, which
// routes the requests).
//
// CONCEPT: the four nouns of the course notes' RabbitMQ part - queues, exchanges, bindings, virtual
// hosts - seen from outside. Each function is a read-only view of a model type:
//
//   model/queue.hpp     Queue     ──▶ queue_json     {"name", "messages_ready", "consumers", ...}
//   model/exchange.hpp  Exchange  ──▶ exchange_json  {"name", "type", "durable", ...}
//   model/exchange.hpp  Binding   ──▶ binding_json   {"source", "destination", "routing_key", ...}
//   model/vhost.hpp     Vhost     ──▶ vhost_json     {"name", "messages", ...}
//
// Two RabbitMQ habits worth noticing: every queue shows an implicit binding from the default
// exchange "" with its own name as the routing key (append_bindings) - that is how the default
// exchange routes, and RabbitMQ lists it; and every counter comes with a "_details" object (its
// rate, and with a chart range its samples: admin_rates.cpp), which the management UI draws.
//
// READ NEXT: admin_api.cpp (who calls these), model/vhost.hpp.
#include <boost/json.hpp>

#include "admin_api.hpp"
#include "model/broker.hpp"
#include "storage/definitions.hpp"

namespace minirabbit {

namespace json = boost::json;

namespace {

// The policy that applies to `q`, as its effective_policy_definition.
json::value policy_definition(const Vhost& vhost, const Queue& q) {
    auto it = vhost.policies().find(q.policy_name());
    return it == vhost.policies().end() ? json::object{} : field_table_to_json(it->second.definition);
}

}  // namespace

json::object queue_json(const Vhost& vhost, const Queue& q, const StatsQuery& stats) {
    const auto& s = q.stats();
    const SampleClock& clock = vhost.broker().statistics_clock();
    const RateHistory& h = q.history();
    json::object out{
        {"name", q.name()},
        {"vhost", vhost.name()},
        {"durable", q.durable()},
        {"auto_delete", q.auto_delete()},
        {"exclusive", q.exclusive()},
        {"arguments", field_table_to_json(q.arguments())},
        {"type", "classic"},
        {"state", "running"},
        {"node", node_name()},
        {"policy", q.policy_name()},
        {"operator_policy", nullptr},
        {"exclusive_consumer_tag", nullptr},
        {"single_active_consumer_tag", nullptr},
        {"head_message_timestamp", nullptr},
        {"effective_policy_definition", policy_definition(vhost, q)},
        {"message_bytes_ready", q.ready_bytes()},
        // RabbitMQ's paging figures: ready messages whose body is in RAM, and those whose body is
        // only in the journal (model/queue.hpp, paging).
        {"messages_ram", q.ready_count() - q.paged_count()},
        {"message_bytes_ram", q.ready_bytes() - q.paged_bytes()},
        {"messages_paged_out", q.paged_count()},
        {"message_bytes_paged_out", q.paged_bytes()},
        {"consumers", q.consumer_count()},
    };
    // The lengths the queue page charts ("Queued messages") and the counters behind "Message
    // rates", each with its "_details" from the queue's rate history (admin_rates.cpp).
    put_series(out, "messages", q.ready_count() + q.unacked_count(), clock, h, {Queue::kReady, Queue::kUnacked},
               stats.lengths);
    put_series(out, "messages_ready", q.ready_count(), clock, h, {Queue::kReady}, stats.lengths);
    put_series(out, "messages_unacknowledged", q.unacked_count(), clock, h, {Queue::kUnacked}, stats.lengths);
    json::object message_stats;
    const auto& r = stats.msg_rates;
    put_series(message_stats, "publish", s.published, clock, h, {Queue::kPublish}, r);
    put_series(message_stats, "deliver", s.delivered - s.delivered_no_ack - s.fetched, clock, h, {Queue::kDeliver}, r);
    put_series(message_stats, "deliver_no_ack", s.delivered_no_ack, clock, h, {Queue::kDeliverNoAck}, r);
    put_series(message_stats, "get", s.fetched, clock, h, {Queue::kGet}, r);
    put_series(message_stats, "deliver_get", s.delivered, clock, h,
               {Queue::kDeliver, Queue::kDeliverNoAck, Queue::kGet}, r);
    put_series(message_stats, "ack", s.acked, clock, h, {Queue::kAck}, r);
    put_series(message_stats, "redeliver", s.redelivered, clock, h, {Queue::kRedeliver}, r);
    out["message_stats"] = std::move(message_stats);
    return out;
}

json::object exchange_json(const Vhost& vhost, const Exchange& e, const StatsQuery& stats) {
    const SampleClock& clock = vhost.broker().statistics_clock();
    json::object message_stats;
    put_series(message_stats, "publish_in", e.published_in, clock, e.history(), {Exchange::kPublishIn},
               stats.msg_rates);
    put_series(message_stats, "publish_out", e.published_out, clock, e.history(), {Exchange::kPublishOut},
               stats.msg_rates);
    return json::object{{"name", e.name()},
                        {"vhost", vhost.name()},
                        {"type", e.type()},
                        {"durable", e.durable()},
                        {"auto_delete", e.auto_delete()},
                        {"internal", e.internal()},
                        {"arguments", field_table_to_json(e.arguments())},
                        {"message_stats", std::move(message_stats)}};
}

json::object binding_json(const Vhost& vhost, std::string_view source, std::string_view destination,
                          std::string_view type, std::string_view key, const amqp::FieldTable& args) {
    // RabbitMQ's properties_key identifies a binding in DELETE URLs: the routing key when there
    // are no arguments (minirabbit accepts the routing key alone).
    return json::object{{"source", source},
                        {"vhost", vhost.name()},
                        {"destination", destination},
                        {"destination_type", type},
                        {"routing_key", key},
                        {"arguments", field_table_to_json(args)},
                        {"properties_key", key.empty() ? std::string_view("~") : key}};
}

void append_bindings(const Vhost& vhost, json::array& out) {
    // As in RabbitMQ, every queue shows its implicit binding from the default exchange.
    for (const auto& [name, queue] : vhost.queues()) out.push_back(binding_json(vhost, "", name, "queue", name, {}));
    for (const auto& [name, exchange] : vhost.exchanges())
        for (const auto& b : exchange->bindings())
            out.push_back(binding_json(vhost, name, b->destination_name(), b->queue ? "queue" : "exchange",
                                       b->routing_key, b->arguments));
}

// The bindings of one vhost where `key` ("source" or "destination") is `name` (of `type`).
json::array bindings_where(const Vhost& vhost, std::string_view key, std::string_view name, std::string_view type) {
    json::array all, out;
    append_bindings(vhost, all);
    for (auto& b : all)
        if (b.as_object().at(key).as_string() == name &&
            (key == "source" || b.as_object().at("destination_type").as_string() == type))
            out.push_back(std::move(b));
    return out;
}

// A vhost as RabbitMQ's /api/vhosts lists it: its message totals and metadata.
json::object vhost_json(const Vhost& vhost) {
    size_t ready = 0, unacked = 0;
    for (const auto& [name, q] : vhost.queues()) ready += q->ready_count(), unacked += q->unacked_count();
    return json::object{{"name", vhost.name()},
                        {"description", ""},
                        {"tags", json::array{}},
                        {"metadata", json::object{{"description", ""}, {"tags", json::array{}}}},
                        {"default_queue_type", "classic"},
                        {"tracing", false},
                        {"cluster_state", json::object{{node_name(), "running"}}},
                        {"messages", ready + unacked},
                        {"messages_details", details_json(ready + unacked)},
                        {"messages_ready", ready},
                        {"messages_ready_details", details_json(ready)},
                        {"messages_unacknowledged", unacked},
                        {"messages_unacknowledged_details", details_json(unacked)}};
}

}  // namespace minirabbit
