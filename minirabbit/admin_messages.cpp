// Messages through the management API, as RabbitMQ's management plugin offers them (and
// rabbitmqadmin uses them): POST /api/exchanges/{vhost}/{exchange}/publish publishes one message,
// POST /api/queues/{vhost}/{queue}/get takes (and acks or requeues) up to `count` messages.
// Meant for poking at a broker by hand - a publish here goes the same route as an AMQP publish
// (Vhost::route, Queue::publish) but has no channel, so no confirms and no mandatory returns.
#include <boost/json.hpp>

#include "admin_api.hpp"
#include "admin_json.hpp"
#include "base64.hpp"
#include "protocol/content_header.hpp"
#include "storage/definitions.hpp"

namespace minirabbit {

namespace json = boost::json;

namespace {

mb::HttpResponse reply(unsigned status, const json::value& body) {
    return {status, "application/json", serialize_as_valid_utf8(body)};
}
mb::HttpResponse bad_request(std::string_view reason) {
    return reply(400, json::object{{"error", "bad_request"}, {"reason", reason}});
}

std::string text_of(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

json::object properties_json(const amqp::BasicProperties& p) {
    json::object out;
    if (p.has(amqp::prop::content_type)) out["content_type"] = p.content_type;
    if (p.has(amqp::prop::content_encoding)) out["content_encoding"] = p.content_encoding;
    if (p.has(amqp::prop::headers))
        if (auto headers = amqp::decode_headers(p)) out["headers"] = field_table_to_json(*headers);
    if (p.has(amqp::prop::delivery_mode)) out["delivery_mode"] = p.delivery_mode;
    if (p.has(amqp::prop::priority)) out["priority"] = p.priority;
    if (p.has(amqp::prop::correlation_id)) out["correlation_id"] = p.correlation_id;
    if (p.has(amqp::prop::reply_to)) out["reply_to"] = p.reply_to;
    if (p.has(amqp::prop::expiration)) out["expiration"] = p.expiration;
    if (p.has(amqp::prop::message_id)) out["message_id"] = p.message_id;
    if (p.has(amqp::prop::timestamp)) out["timestamp"] = p.timestamp;
    if (p.has(amqp::prop::type)) out["type"] = p.type;
    if (p.has(amqp::prop::user_id)) out["user_id"] = p.user_id;
    if (p.has(amqp::prop::app_id)) out["app_id"] = p.app_id;
    return out;
}

}  // namespace

mb::HttpResponse admin_publish(Vhost& vhost, Exchange& exchange, std::string_view request_body) {
    boost::system::error_code ec;
    json::value doc = json::parse(request_body, ec);
    if (ec || !doc.is_object()) return bad_request("expected a JSON object");
    const json::object& body = doc.get_object();
    std::string routing_key = text_of(body, "routing_key");
    std::string payload = text_of(body, "payload");
    if (text_of(body, "payload_encoding") == "base64") payload = mb::base64_decode(payload);
    // Properties from JSON, as the management plugin takes them. Strings are kept in `held` so
    // the BasicProperties views stay valid while the message is encoded.
    amqp::BasicProperties p;
    std::vector<std::string> held;
    amqp::FieldTable headers;
    auto it = body.find("properties");
    if (it != body.end() && it->value().is_object()) {
        const json::object& props = it->value().get_object();
        auto string_prop = [&](std::string_view key, uint16_t flag, std::string_view& field) {
            auto v = props.find(key);
            if (v == props.end() || !v->value().is_string()) return;
            held.push_back(std::string(v->value().get_string()));
            p.flags |= flag;
            field = held.back();
        };
        held.reserve(16);
        string_prop("content_type", amqp::prop::content_type, p.content_type);
        string_prop("content_encoding", amqp::prop::content_encoding, p.content_encoding);
        string_prop("correlation_id", amqp::prop::correlation_id, p.correlation_id);
        string_prop("reply_to", amqp::prop::reply_to, p.reply_to);
        string_prop("expiration", amqp::prop::expiration, p.expiration);
        string_prop("message_id", amqp::prop::message_id, p.message_id);
        string_prop("type", amqp::prop::type, p.type);
        string_prop("app_id", amqp::prop::app_id, p.app_id);
        if (auto v = props.find("delivery_mode"); v != props.end() && v->value().is_int64())
            p.flags |= amqp::prop::delivery_mode, p.delivery_mode = static_cast<uint8_t>(v->value().get_int64());
        if (auto v = props.find("priority"); v != props.end() && v->value().is_int64())
            p.flags |= amqp::prop::priority, p.priority = static_cast<uint8_t>(v->value().get_int64());
        if (auto v = props.find("headers"); v != props.end() && v->value().is_object()) {
            p.flags |= amqp::prop::headers;
            headers = field_table_from_json(v->value());
        }
    }
    int64_t ttl = -1;
    if (p.has(amqp::prop::expiration)) {
        try {
            ttl = std::stoll(std::string(p.expiration));
        } catch (const std::exception&) {
            return bad_request("invalid expiration");
        }
    }
    mb::ByteBuffer raw;
    amqp::encode_properties(raw, p, &headers);
    MessageRef message = Message::make(
        Message::Fields{exchange.name(), routing_key, raw.readable(), payload, p.persistent(), p.priority, ttl});
    std::vector<Queue*> queues;
    vhost.route(exchange, RoutingInput(routing_key, message->properties()), queues);
    exchange.count_publish(!queues.empty());
    for (Queue* queue : queues) queue->publish(message);
    return reply(200, json::object{{"routed", !queues.empty()}});
}

mb::HttpResponse admin_get(Queue& queue, std::string_view request_body) {
    boost::system::error_code ec;
    json::value doc = json::parse(request_body.empty() ? std::string_view("{}") : request_body, ec);
    if (ec || !doc.is_object()) return bad_request("expected a JSON object");
    const json::object& body = doc.get_object();
    int64_t count = 1;
    if (auto it = body.find("count"); it != body.end() && it->value().is_int64()) count = it->value().get_int64();
    std::string ackmode = text_of(body, "ackmode");
    if (ackmode.empty()) ackmode = "ack_requeue_true";
    bool requeue = ackmode.ends_with("requeue_true");
    bool reject = ackmode.starts_with("reject");
    std::vector<QueuedMessage> taken;
    json::array out;
    for (int64_t i = 0; i < count; ++i) {
        auto m = queue.get();
        if (!m) break;
        const Message& message = *m->message;
        auto props = amqp::decode_properties(message.properties());
        bool text = is_valid_utf8(message.body());
        out.push_back(json::object{
            {"payload_bytes", message.body().size()},
            {"redelivered", m->redelivered},
            {"exchange", message.exchange()},
            {"routing_key", message.routing_key()},
            {"message_count", queue.ready_count()},
            {"properties", props ? properties_json(*props) : json::object{}},
            {"payload", text ? std::string(message.body()) : mb::base64_encode(message.body())},
            {"payload_encoding", text ? "string" : "base64"},
        });
        taken.push_back(std::move(*m));
    }
    // All taken first, then settled: with requeue, a count of 5 shows 5 different messages.
    for (auto& m : taken) {
        if (requeue)
            queue.requeue(std::move(m));
        else if (reject)
            queue.reject(std::move(m));
        else
            queue.ack(m);
    }
    if (requeue) queue.dispatch();
    return reply(200, out);
}

}  // namespace minirabbit
