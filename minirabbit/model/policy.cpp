// minirabbit/model/policy.cpp
//
// CONCEPT: operator-chosen queue settings (RabbitMQ policies), applied by name pattern.
//
// Policies (see policy.hpp): matching a queue name, and merging a definition into queue settings.
//
// Two moments matter. When a policy is PUT, Policy::make validates it - once, so a bad value is a
// 400 for the operator rather than a surprise for some queue later. Whenever a queue is declared
// or a policy changes, the vhost asks policy_for_queue() which policy wins for that queue and
// hands the winner to Queue::apply_policy, which calls effective_settings() below. The queue
// keeps its declared settings untouched beside the effective ones, so deleting the policy gives
// back exactly what the application declared.
//
//   queue "tmp.42" declared ──▶ policy_for_queue: "^tmp\." wins (highest priority)
//                           ──▶ apply_policy ──▶ effective = declared + policy: for limits (TTL,
//                               max-length) the stricter value wins, for routing choices
//                               (dead-letter exchange, overflow) the application's, if it made one
// READ NEXT: queue.cpp (apply_policy).
#include "policy.hpp"

#include <stdexcept>

namespace minirabbit {

namespace {

// The definition keys minirabbit applies, and what they must hold (RabbitMQ's validation).
// Policy keys are the x-argument names without "x-": "message-ttl" here is "x-message-ttl" on a
// queue.declare. A JSON number arrives as whatever integer type field_table_from_json picked.
std::optional<int64_t> non_negative(const amqp::FieldTable& d, std::string_view key) {
    const amqp::FieldValue* v = d.find(key);
    if (!v) return std::nullopt;
    auto n = v->integer();
    if (!n || *n < 0) throw std::invalid_argument(std::string(key) + " must be a non-negative integer");
    return n;
}

std::optional<std::string> text(const amqp::FieldTable& d, std::string_view key) {
    const amqp::FieldValue* v = d.find(key);
    if (!v) return std::nullopt;
    const auto* s = std::get_if<std::string>(&v->value);
    if (!s) throw std::invalid_argument(std::string(key) + " must be a string");
    return *s;
}

// The stricter of two limits: a policy may tighten what the application asked for, never loosen it.
template <typename T>
void lower(std::optional<T>& declared, const std::optional<T>& from_policy) {
    if (from_policy && (!declared || *from_policy < *declared)) declared = from_policy;
}

}  // namespace

// Validation at the door, like queue arguments: apply-to must be one RabbitMQ knows, the definition
// must not be empty, the pattern must compile, and every key we act on must hold a usable value - a
// bad policy is a 400 for the operator, never a surprise for the next queue declared.
Policy Policy::make(std::string name, std::string pattern, std::string apply_to, int64_t priority,
                    amqp::FieldTable definition) {
    if (apply_to.empty()) apply_to = "all";
    if (apply_to != "all" && apply_to != "queues" && apply_to != "exchanges" && apply_to != "classic_queues" &&
        apply_to != "quorum_queues" && apply_to != "streams")
        throw std::invalid_argument("apply-to '" + apply_to + "' is not one of all, queues, exchanges");
    if (definition.empty()) throw std::invalid_argument("a policy's definition must not be empty");
    Policy p;
    try {
        p.regex_ = std::regex(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
        throw std::invalid_argument("pattern '" + pattern + "' is not a valid regular expression");
    }
    // Validate the keys we apply now, so a bad policy is a 400, not a surprise at the next queue.
    non_negative(definition, "message-ttl");
    non_negative(definition, "expires");
    non_negative(definition, "max-length");
    non_negative(definition, "max-length-bytes");
    text(definition, "dead-letter-exchange");
    text(definition, "dead-letter-routing-key");
    if (auto overflow = text(definition, "overflow");
        overflow && *overflow != "drop-head" && *overflow != "reject-publish" && *overflow != "reject-publish-dlx")
        throw std::invalid_argument("overflow '" + *overflow +
                                    "' is not drop-head, reject-publish or reject-publish-dlx");
    p.name = std::move(name);
    p.pattern = std::move(pattern);
    p.apply_to = std::move(apply_to);
    p.priority = priority;
    p.definition = std::move(definition);
    return p;
}

// Unanchored, as RabbitMQ's: "tmp" matches "my.tmp.queue"; write "^tmp\\." to mean a prefix.
// apply-to "exchanges" never matches a queue; quorum queues and streams do not exist here.
bool Policy::matches_queue(std::string_view queue_name) const {
    if (apply_to == "exchanges" || apply_to == "quorum_queues" || apply_to == "streams") return false;
    return std::regex_search(queue_name.begin(), queue_name.end(), regex_);
}

// One policy per queue, never a merge of several: with two matching policies, the higher priority
// wins outright, and keys only the loser has do not apply. (Policies iterate in name order and a
// tie keeps the first, so the outcome does not depend on the order they were PUT.)
const Policy* policy_for_queue(const Policies& policies, std::string_view queue_name) {
    const Policy* best = nullptr;
    for (const auto& [name, p] : policies)
        if (p.matches_queue(queue_name) && (!best || p.priority > best->priority)) best = &p;
    return best;
}

QueueArguments effective_settings(const QueueArguments& declared, const Policy* policy) {
    QueueArguments out = declared;
    if (!policy) return out;
    const amqp::FieldTable& d = policy->definition;
    // Limits: the stricter of argument and policy.
    lower(out.message_ttl, non_negative(d, "message-ttl"));
    lower(out.expires, non_negative(d, "expires"));
    lower(out.max_length, non_negative(d, "max-length"));
    lower(out.max_length_bytes, non_negative(d, "max-length-bytes"));
    // Routing choices: the application's argument, if it made one, else the policy's.
    if (!out.dead_letter_exchange) out.dead_letter_exchange = text(d, "dead-letter-exchange");
    if (!out.dead_letter_routing_key) out.dead_letter_routing_key = text(d, "dead-letter-routing-key");
    if (declared.overflow == Overflow::drop_head)
        if (auto overflow = text(d, "overflow"))
            out.overflow = *overflow == "reject-publish"       ? Overflow::reject_publish
                           : *overflow == "reject-publish-dlx" ? Overflow::reject_publish_dlx
                                                               : Overflow::drop_head;
    return out;
}

}  // namespace minirabbit
