// minirabbit/core/amqp_error.hpp
//
// AMQP exceptions - the spec's "soft" errors (channel.close: only that channel dies) and "hard"
// errors (connection.close: the whole connection goes). A handler that finds a problem throws one; the connection turns
// it into channel.close (a "soft" error: only that channel dies) or connection.close (a "hard" error: the whole
// connection goes), with RabbitMQ's reply text: "NOT_FOUND - no queue 'q' in vhost '/'". Handlers check before they
// change anything, so a throw never leaves the model half-updated.
//
// CONCEPT: errors as exceptions, on purpose. AMQP's error model is "close the channel (or
// connection) with a code and a text"; a throw from deep inside a handler unwinds to the one place
// that knows how to do that (Connection), so no handler writes close frames itself. Exceptions are
// rare here (a misbehaving client), never on the publish/deliver fast path.
//
//   handler: throw soft_error(not_found, "no queue '{}' in vhost '{}'", ...)   (code 404)
//   Connection ──▶ channel.close(404, text, class, method) ──▶ channel gone, connection lives
// READ NEXT: core/connection.cpp (where it is caught), protocol/constants.hpp (the codes).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "protocol/constants.hpp"

namespace minirabbit {

struct AmqpError : std::runtime_error {
    AmqpError(uint16_t code, bool connection_level, const std::string& text)
        : std::runtime_error(fmt::format("{} - {}", amqp::reply_name(code), text)),
          code(code),
          connection_level(connection_level) {}
    uint16_t code;
    bool connection_level;
};

template <typename... Args>
AmqpError soft_error(uint16_t code, fmt::format_string<Args...> format, Args&&... args) {
    return AmqpError(code, false, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
AmqpError hard_error(uint16_t code, fmt::format_string<Args...> format, Args&&... args) {
    return AmqpError(code, true, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace minirabbit
