// minirabbit/handlers/exchange_class.cpp
//
// The exchange class: declare, delete, and RabbitMQ's exchange-to-exchange bind/unbind.
// Rules and texts follow RabbitMQ: the default exchange cannot be declared, deleted or bound
// (403); names starting with "amq." are reserved (403); redeclaring with a different type or
// durability is 406 PRECONDITION_FAILED; an unknown type is a connection error 503 COMMAND_INVALID.
//
// CONCEPT: exchanges route, queues store - the split that makes RabbitMQ's routing flexible. A
// producer publishes to an exchange and never names a queue; bindings decide where a message goes.
// Exchange-to-exchange bindings (a RabbitMQ extension) let routing be layered.
// READ NEXT: model/exchange.hpp, model/topic_exchange.cpp, queue_class.cpp (queue.bind).
#include "amqp_error.hpp"
#include "core/channel.hpp"
#include "core/connection.hpp"
#include "model/broker.hpp"

namespace minirabbit {

using namespace amqp;

namespace {
std::string_view yes_no(bool b) { return b ? "true" : "false"; }
}  // namespace

// exchange.declare follows the same three cases as queue.declare (passive, existing, new); an
// existing exchange must have the same type and durability, or 406.
void Channel::handle_exchange_declare(MethodReader& in) {
    ExchangeDeclare m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed exchange.declare");
    if (m.exchange.empty()) throw soft_error(access_refused, "operation not permitted on the default exchange");
    Exchange* existing = vhost().find_exchange(m.exchange);
    if (m.passive) {
        if (!existing)
            throw soft_error(not_found, "no exchange '{}' in vhost '{}'", m.exchange, connection_.vhost_name());
    } else if (existing) {
        connection_.check_configure("exchange", m.exchange);
        if (existing->type() != m.type)
            throw soft_error(precondition_failed,
                             "inequivalent arg 'type' for exchange '{}' in vhost '{}': received '{}' but current "
                             "is '{}'",
                             m.exchange, connection_.vhost_name(), m.type, existing->type());
        if (existing->durable() != m.durable)
            throw soft_error(precondition_failed,
                             "inequivalent arg 'durable' for exchange '{}' in vhost '{}': received '{}' but "
                             "current is '{}'",
                             m.exchange, connection_.vhost_name(), yes_no(m.durable), yes_no(existing->durable()));
    } else {
        if (m.exchange.starts_with("amq."))
            throw soft_error(access_refused, "exchange name '{}' contains reserved prefix 'amq.*'", m.exchange);
        connection_.check_configure("exchange", m.exchange);
        auto exchange = make_exchange(m.type, std::string(m.exchange), m.durable, m.auto_delete, m.internal,
                                      std::move(m.arguments));
        if (!exchange) throw hard_error(command_invalid, "unknown exchange type '{}'", m.type);
        vhost().add_exchange(std::move(exchange));
        if (m.durable) connection_.broker().definitions_changed();
    }
    if (!m.no_wait) send_ok(exchange_declare_ok);
}

// exchange.delete: its bindings go with it; queues bound to it stay (they may be bound elsewhere).
void Channel::handle_exchange_delete(MethodReader& in) {
    ExchangeDelete m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed exchange.delete");
    if (m.exchange.empty()) throw soft_error(access_refused, "operation not permitted on the default exchange");
    if (m.exchange.starts_with("amq."))
        throw soft_error(access_refused, "deletion of system exchange '{}' not allowed", m.exchange);
    connection_.check_configure("exchange", m.exchange);
    if (Exchange* exchange = vhost().find_exchange(m.exchange)) {
        if (m.if_unused && (exchange->has_bindings() || exchange->incoming_exchange_bindings > 0))
            throw soft_error(precondition_failed, "exchange '{}' in vhost '{}' in use", m.exchange,
                             connection_.vhost_name());
        vhost().delete_exchange(*exchange);
    }
    // Deleting an exchange that does not exist succeeds: delete is idempotent in RabbitMQ.
    if (!m.no_wait) send_ok(exchange_delete_ok);
}

// exchange.bind: an edge between two exchanges. Routing follows such edges (model/vhost.cpp) and
// stops at cycles, so a careless a -> b -> a configuration cannot loop a message forever.
void Channel::handle_exchange_bind(MethodReader& in) {
    ExchangeBind m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed exchange.bind");
    if (m.source.empty() || m.destination.empty())
        throw soft_error(access_refused, "operation not permitted on the default exchange");
    connection_.check_write("exchange", m.destination);
    connection_.check_read("exchange", m.source);
    Exchange& destination = find_exchange_or_throw(m.destination);
    Exchange& source = find_exchange_or_throw(m.source);
    bool durable = source.durable() && destination.durable();
    if (source.bind(Binding{std::string(m.routing_key), std::move(m.arguments), nullptr, &destination}) && durable)
        connection_.broker().definitions_changed();
    if (!m.no_wait) send_ok(exchange_bind_ok);
}

// exchange.unbind: idempotent like queue.unbind; an auto-delete source exchange that loses its last
// binding goes with it (Vhost::unbind).
void Channel::handle_exchange_unbind(MethodReader& in) {
    ExchangeBind m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed exchange.unbind");
    if (m.source.empty() || m.destination.empty())
        throw soft_error(access_refused, "operation not permitted on the default exchange");
    connection_.check_write("exchange", m.destination);
    connection_.check_read("exchange", m.source);
    Exchange& destination = find_exchange_or_throw(m.destination);
    Exchange& source = find_exchange_or_throw(m.source);
    bool durable = source.durable() && destination.durable();
    if (vhost().unbind(source, m.destination, true, m.routing_key, m.arguments) && durable)
        connection_.broker().definitions_changed();
    if (!m.no_wait) send_ok(exchange_unbind_ok);
}

}  // namespace minirabbit
