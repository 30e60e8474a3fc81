// minirabbit/model/queue_arguments.cpp
//
// Parsing and validating x-* queue arguments (see queue_arguments.hpp).
//
// CONCEPT: validate at the door. A queue argument with the wrong type or a negative TTL is refused
// at queue.declare with 406 PRECONDITION_FAILED naming the argument and the reason, as RabbitMQ
// does, so the queue, once it exists, only ever holds settings it can act on - the hot path never
// re-checks them. Integers are accepted in any wire width, since clients choose
// int8 ... int64 freely for the same value.
// READ NEXT: queue.cpp (where the settings act), handlers/queue_class.cpp.
#include "queue_arguments.hpp"

#include <fmt/format.h>

namespace minirabbit {
namespace {

// RabbitMQ names the wire types in its errors: 'S' is longstr, 'I' signedint, 'l' long, ...
std::string_view wire_type_name(char tag) {
    switch (tag) {
        case 'S':
            return "longstr";
        case 'x':
            return "binary";
        case 't':
            return "bool";
        case 'd':
            return "double";
        case 'f':
            return "float";
        case 'F':
            return "table";
        case 'A':
            return "array";
        case 'V':
            return "void";
        case 'T':
            return "timestamp";
        case 'D':
            return "decimal";
        default:
            return "signedint";
    }
}

}  // namespace

std::optional<QueueArguments> QueueArguments::parse(const amqp::FieldTable& table, std::string& bad_name,
                                                    std::string& error) {
    QueueArguments args;
    auto fail = [&](std::string_view name, std::string text) {
        bad_name = name;
        error = std::move(text);
        return std::nullopt;
    };
    for (const auto& [name, value] : table.entries) {
        auto integer = value.integer();
        auto want_integer = [&](int64_t min) -> std::optional<int64_t> {
            if (!integer) return std::nullopt;
            if (*integer < min) return std::nullopt;
            return integer;
        };
        if (name == "x-message-ttl" || name == "x-expires" || name == "x-max-length" || name == "x-max-length-bytes" ||
            name == "x-max-priority") {
            if (!integer) return fail(name, fmt::format("{{unacceptable_type,{}}}", wire_type_name(value.type_tag())));
            int64_t min = name == "x-expires" ? 1 : 0;
            if (!want_integer(min))
                return fail(name, fmt::format("{{{},{}}}", min == 1 ? "value_zero" : "value_negative", *integer));
            if (name == "x-message-ttl") args.message_ttl = *integer;
            if (name == "x-expires") args.expires = *integer;
            if (name == "x-max-length") args.max_length = *integer;
            if (name == "x-max-length-bytes") args.max_length_bytes = *integer;
            if (name == "x-max-priority") {
                if (*integer > 255) return fail(name, fmt::format("{{max_value_exceeded,{}}}", *integer));
                args.max_priority = static_cast<uint8_t>(*integer);
            }
        } else if (name == "x-overflow") {
            const std::string* text = value.string();
            if (!text) return fail(name, fmt::format("{{unacceptable_type,{}}}", wire_type_name(value.type_tag())));
            if (*text == "drop-head")
                args.overflow = Overflow::drop_head;
            else if (*text == "reject-publish")
                args.overflow = Overflow::reject_publish;
            else if (*text == "reject-publish-dlx")
                args.overflow = Overflow::reject_publish_dlx;
            else
                return fail(name, fmt::format("{{invalid_overflow_value,<<\"{}\">>}}", *text));
        } else if (name == "x-dead-letter-exchange" || name == "x-dead-letter-routing-key") {
            const std::string* text = value.string();
            if (!text) return fail(name, fmt::format("{{unacceptable_type,{}}}", wire_type_name(value.type_tag())));
            (name == "x-dead-letter-exchange" ? args.dead_letter_exchange : args.dead_letter_routing_key) = *text;
        }
        // Other arguments (x-queue-type=classic, x-queue-mode, ...) are kept and shown, not acted on.
    }
    if (args.dead_letter_routing_key && !args.dead_letter_exchange)
        return fail("x-dead-letter-routing-key", "{routing_key_without_exchange}");
    if (const auto* type = table.find("x-queue-type"))
        if (const std::string* text = type->string(); text && *text != "classic")
            return fail("x-queue-type", fmt::format("{{unsupported_queue_type,<<\"{}\">>}}", *text));
    return args;
}

}  // namespace minirabbit
