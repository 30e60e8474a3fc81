// minirabbit/model/policy.hpp
//
// CONCEPT: policies - queue settings chosen by the operator, not by the application: a policy
// names a regular expression over queue names, and every matching queue takes its definition,
// including queues declared later. RabbitMQ's way to set TTLs, length limits and dead-lettering
// for a whole family of queues without touching the code that declares them.
//
//   policy "short-lived"  pattern "^tmp\."  apply-to queues  priority 1
//                         definition {"message-ttl": 60000, "max-length": 1000}
//
//   queue "tmp.a" (declared with x-max-length 10) ──▶ effective: message-ttl 60000, max-length 10
//   queue "orders"                                ──▶ no policy: what it was declared with
//
// Exactly one policy applies to a queue: of those whose pattern matches and whose apply-to takes
// queues, the one with the highest priority (a tie: the first by name). The queue's own
// x-arguments still count: for the numeric limits (message-ttl, expires, max-length,
// max-length-bytes) the lower value wins, for dead-letter-exchange / -routing-key and overflow
// the argument wins - as RabbitMQ resolves them.
// Keys minirabbit does not implement are kept and shown, but change nothing.
// READ NEXT: model/vhost.cpp (Vhost::apply_policies), admin_policies.cpp (the HTTP side).
//
// READ NEXT: policy.cpp, queue_arguments.hpp, minirabbit/admin_policies.cpp (the HTTP API).
#pragma once

#include <map>
#include <regex>
#include <string>
#include <string_view>

#include "protocol/field_table.hpp"
#include "queue_arguments.hpp"

namespace minirabbit {

struct Policy {
    std::string name;
    std::string pattern;           // ECMAScript regex, searched in the queue name (not anchored)
    std::string apply_to = "all";  // "queues", "exchanges", "all" (also "classic_queues", "quorum_queues")
    int64_t priority = 0;
    amqp::FieldTable definition;  // {"message-ttl": 60000, "dead-letter-exchange": "dlx", ...}

    // Builds the policy; throws std::invalid_argument (bad regex, bad apply-to, bad value for a
    // key we apply) with a message for the API's 400.
    static Policy make(std::string name, std::string pattern, std::string apply_to, int64_t priority,
                       amqp::FieldTable definition);
    bool matches_queue(std::string_view queue_name) const;

private:
    std::regex regex_;
};

using Policies = std::map<std::string, Policy, std::less<>>;

// The policy that applies to a queue of this name, or null.
const Policy* policy_for_queue(const Policies& policies, std::string_view queue_name);

// The settings a queue runs with: its declared x-arguments combined with the policy's definition.
QueueArguments effective_settings(const QueueArguments& declared, const Policy* policy);

}  // namespace minirabbit
