// minirabbit/handlers/queue_class.cpp
//
// The queue class: declare, bind, unbind, purge, delete.
//
// queue.declare is idempotent: declaring an existing queue with the same properties just reports
// its message and consumer counts (that is how clients ask "does it exist, how long is it?", with
// passive=true for "but do not create it"). An empty name asks the broker to invent one
// ("amq.gen-..."), the usual choice for a subscriber's private, exclusive queue. Different
// properties for an existing queue are 406 PRECONDITION_FAILED; another connection's exclusive
// queue is 405 RESOURCE_LOCKED.
//
// CONCEPT: queues and bindings, two of the course notes' RabbitMQ nouns, created by the client
// rather than by an operator: in AMQP the application declares what it needs at start-up, and
// declaring is safe to repeat. queue.bind connects a queue to an exchange with a routing key (or,
// for a headers exchange, arguments); the routing itself is the exchange's job (model/exchange.hpp).
//
//   queue.declare "tasks" durable ──▶ Vhost::add_queue ──▶ definitions saved (storage/definitions.cpp)
//   queue.bind "tasks" "jobs" "img.*" ──▶ Exchange::bind ──▶ topic matching (model/topic_exchange.cpp)
// READ NEXT: model/vhost.hpp, model/queue.hpp, model/queue_arguments.hpp (x-arguments).
#include <random>

#include "amqp_error.hpp"
#include "core/channel.hpp"
#include "core/connection.hpp"
#include "model/broker.hpp"

namespace minirabbit {

using namespace amqp;

namespace {

std::string server_generated_name() {
    // As RabbitMQ: "amq.gen-" and 22 characters of URL-safe base64 of a random 128-bit value.
    static std::mt19937_64 random{std::random_device{}()};
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string name = "amq.gen-";
    for (int i = 0; i < 22; ++i) name.push_back(kAlphabet[random() % 64]);
    return name;
}

std::string_view yes_no(bool b) { return b ? "true" : "false"; }

// The x-arguments that change behaviour must match on redeclaration, as in RabbitMQ.
constexpr std::string_view kEquivalentArgs[] = {"x-message-ttl",
                                                "x-expires",
                                                "x-max-length",
                                                "x-max-length-bytes",
                                                "x-overflow",
                                                "x-dead-letter-exchange",
                                                "x-dead-letter-routing-key",
                                                "x-max-priority"};

}  // namespace

// queue.declare, three cases in the order RabbitMQ checks them: passive (only look: 404 if absent),
// existing (every property and behaviour-changing argument must be equivalent, or 406 - two
// applications disagreeing about a queue is a bug to surface, not to paper over), new (validate the
// name and arguments, create, save the definitions if durable). The reply carries the queue's
// message and consumer counts, which is how clients implement "how long is this queue?".
void Channel::handle_queue_declare(MethodReader& in) {
    QueueDeclare m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed queue.declare");
    std::string name(m.queue);
    const std::string& vhost_name = connection_.vhost_name();
    Queue* existing = name.empty() ? nullptr : vhost().find_queue(name);
    if (m.passive) {
        Queue& queue = find_queue_or_throw(resolve_queue_name(name));
        check_exclusive_access(queue);
        name = queue.name();
    } else if (existing) {
        connection_.check_configure("queue", name);
        check_exclusive_access(*existing);
        if (existing->durable() != m.durable)
            throw soft_error(precondition_failed,
                             "inequivalent arg 'durable' for queue '{}' in vhost '{}': received '{}' but current "
                             "is '{}'",
                             name, vhost_name, yes_no(m.durable), yes_no(existing->durable()));
        if (existing->auto_delete() != m.auto_delete)
            throw soft_error(precondition_failed,
                             "inequivalent arg 'auto_delete' for queue '{}' in vhost '{}': received '{}' but "
                             "current is '{}'",
                             name, vhost_name, yes_no(m.auto_delete), yes_no(existing->auto_delete()));
        for (std::string_view arg : kEquivalentArgs) {
            const FieldValue* got = m.arguments.find(arg);
            const FieldValue* have = existing->arguments().find(arg);
            bool same = (!got && !have) ||
                        (got && have &&
                         (got->integer() && have->integer() ? *got->integer() == *have->integer() : *got == *have));
            if (!same)
                throw soft_error(precondition_failed,
                                 "inequivalent arg '{}' for queue '{}' in vhost '{}': received {} but current is {}",
                                 arg, name, vhost_name, got ? "a different value" : "none",
                                 have ? "a different value" : "none");
        }
        existing->touch();
    } else {
        if (name.empty())
            name = server_generated_name();
        else if (name.starts_with("amq."))
            throw soft_error(access_refused, "queue name '{}' contains reserved prefix 'amq.*'", name);
        connection_.check_configure("queue", name);
        std::string bad_arg, error;
        auto settings = QueueArguments::parse(m.arguments, bad_arg, error);
        if (!settings)
            throw soft_error(precondition_failed, "invalid arg '{}' for queue '{}' in vhost '{}': {}", bad_arg, name,
                             vhost_name, error);
        // An exclusive queue dies with its connection, so it is never written to the definitions.
        bool durable = m.durable && !m.exclusive;
        auto queue = std::make_shared<Queue>(vhost(), name, durable, m.exclusive, m.auto_delete, std::move(m.arguments),
                                             std::move(*settings), connection_.id());
        if (durable) queue->store_id = connection_.broker().next_id();
        Queue& added = vhost().add_queue(std::move(queue));
        if (m.exclusive) connection_.owns_exclusive(added);  // deleted with the connection
        if (durable) connection_.broker().definitions_changed();
    }
    last_queue_ = name;
    if (!m.no_wait) {
        Queue& queue = *vhost().find_queue(name);
        MethodWriter(out(), number_, queue_declare_ok)
            .shortstr(name)
            .long_(static_cast<uint32_t>(queue.ready_count()))
            .long_(static_cast<uint32_t>(queue.consumer_count()))
            .end();
    }
}

// queue.bind: after the permission checks (configure on the queue is not needed: binding needs
// write on the queue and read on the exchange, as users.hpp describes), the exchange records the
// binding; a binding between two durable objects is part of the saved topology.
void Channel::handle_queue_bind(MethodReader& in) {
    QueueBind m;
    if (!decode(in, m, true)) throw hard_error(syntax_error, "malformed queue.bind");
    std::string queue_name(resolve_queue_name(m.queue));
    // The spec: an empty routing key with an empty queue name means "the last queue's name".
    std::string_view key = m.routing_key.empty() && m.queue.empty() ? std::string_view(queue_name) : m.routing_key;
    if (m.exchange.empty()) throw soft_error(access_refused, "operation not permitted on the default exchange");
    connection_.check_write("queue", queue_name);
    connection_.check_read("exchange", m.exchange);
    Queue& queue = find_queue_or_throw(queue_name);
    check_exclusive_access(queue);
    Exchange& exchange = find_exchange_or_throw(m.exchange);
    if (exchange.bind(Binding{std::string(key), std::move(m.arguments), &queue, nullptr}) && queue.durable() &&
        exchange.durable())
        connection_.broker().definitions_changed();
    if (!m.no_wait) send_ok(queue_bind_ok);
}

// queue.unbind: the binding is identified by (exchange, queue, routing key, arguments) - all four,
// since the same queue may be bound twice with different keys.
void Channel::handle_queue_unbind(MethodReader& in) {
    QueueBind m;
    if (!decode(in, m, false)) throw hard_error(syntax_error, "malformed queue.unbind");
    std::string queue_name(resolve_queue_name(m.queue));
    if (m.exchange.empty()) throw soft_error(access_refused, "operation not permitted on the default exchange");
    connection_.check_write("queue", queue_name);
    connection_.check_read("exchange", m.exchange);
    Queue& queue = find_queue_or_throw(queue_name);
    check_exclusive_access(queue);
    Exchange& exchange = find_exchange_or_throw(m.exchange);
    bool durable = queue.durable() && exchange.durable();
    // Unbinding what is not bound succeeds (idempotent, as in RabbitMQ).
    if (vhost().unbind(exchange, queue_name, false, m.routing_key, m.arguments) && durable)
        connection_.broker().definitions_changed();
    send_ok(queue_unbind_ok);
}

// queue.purge: answers with the number of messages removed.
void Channel::handle_queue_purge(MethodReader& in) {
    QueuePurge m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed queue.purge");
    std::string queue_name(resolve_queue_name(m.queue));
    connection_.check_read("queue", queue_name);
    Queue& queue = find_queue_or_throw(queue_name);
    check_exclusive_access(queue);
    // Purge removes ready messages only; delivered-but-unacked ones stay with their consumers.
    size_t purged = queue.purge();
    if (!m.no_wait) MethodWriter(out(), number_, queue_purge_ok).long_(static_cast<uint32_t>(purged)).end();
}

// queue.delete: the queue's consumers get basic.cancel (if their client announced
// consumer_cancel_notify), its bindings disappear with it, and the reply says how many messages
// were lost. Deleting a queue that does not exist succeeds, as in RabbitMQ 3.x: delete is idempotent.
void Channel::handle_queue_delete(MethodReader& in) {
    QueueDelete m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed queue.delete");
    std::string queue_name(resolve_queue_name(m.queue));
    connection_.check_configure("queue", queue_name);
    size_t count = 0;
    if (Queue* queue = vhost().find_queue(queue_name)) {
        check_exclusive_access(*queue);
        if (m.if_unused && queue->consumer_count() > 0)
            throw soft_error(precondition_failed, "queue '{}' in vhost '{}' in use", queue_name,
                             connection_.vhost_name());
        if (m.if_empty && queue->ready_count() > 0)
            throw soft_error(precondition_failed, "queue '{}' in vhost '{}' is not empty", queue_name,
                             connection_.vhost_name());
        count = vhost().delete_queue(*queue);
    }
    // Deleting a queue that does not exist succeeds with a count of 0 (idempotent, as in RabbitMQ).
    if (!m.no_wait) MethodWriter(out(), number_, queue_delete_ok).long_(static_cast<uint32_t>(count)).end();
}

}  // namespace minirabbit
