// minirabbit/model/queue_arguments.hpp
//
// CONCEPT: queue arguments - the x-* options a queue is declared with (RabbitMQ's "optional
// queue arguments"; the same settings can come from policies, see policy.hpp):
//   x-message-ttl            ms a message may wait in the queue before it expires
//   x-expires                ms the queue may go unused (no consumers, no get) before it is deleted
//   x-max-length             ready messages kept at most ...
//   x-max-length-bytes       ... or ready body bytes
//   x-overflow               what happens beyond that: drop-head (default), reject-publish,
//                            reject-publish-dlx
//   x-dead-letter-exchange   where expired, rejected, dropped messages are republished ...
//   x-dead-letter-routing-key ... and with which routing key (default: the message's own)
//   x-max-priority           makes it a priority queue with levels 0..N (at most 255)
//
// READ NEXT: queue_arguments.cpp, policy.hpp (the same settings set by an operator).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "protocol/field_table.hpp"

namespace minirabbit {

enum class Overflow { drop_head, reject_publish, reject_publish_dlx };

struct QueueArguments {
    std::optional<int64_t> message_ttl, expires, max_length, max_length_bytes;
    Overflow overflow = Overflow::drop_head;
    std::optional<std::string> dead_letter_exchange, dead_letter_routing_key;
    uint8_t max_priority = 0;

    // Validates as RabbitMQ does. On a bad value returns nullopt and sets `error` to RabbitMQ's
    // wording after "invalid arg 'NAME' for queue ...": e.g. "{value_negative,-1}".
    static std::optional<QueueArguments> parse(const amqp::FieldTable& table, std::string& bad_name,
                                               std::string& error);
};

}  // namespace minirabbit
