// CONCEPT: the management API - minirabbit's admin HTTP endpoint in the shape of RabbitMQ's
// management plugin, so scripts and tools written against RabbitMQ's /api work here:
//
//   GET  /api/overview                         versions, object totals, queue totals, message stats
//   GET  /api/vhosts            PUT/DELETE /api/vhosts/{vhost}
//   GET  /api/users             PUT/DELETE /api/users/{name}          {"password": "...", "tags": "administrator"}
//   GET  /api/permissions       PUT/DELETE /api/permissions/{vhost}/{user}  {"configure": ".*", ...}
//   GET  /api/queues[/{vhost}[/{name}]]   PUT/DELETE a queue; DELETE .../contents purges it;
//                                         POST .../get takes messages (admin_messages.cpp)
//   GET  /api/exchanges[/{vhost}[/{name}]] PUT/DELETE an exchange; POST .../publish publishes
//   GET  /api/bindings[/{vhost}]   POST /api/bindings/{vhost}/e/{source}/q/{queue} (or /e/{dest})
//                                  DELETE /api/bindings/{vhost}/e/{source}/q/{queue}/{routing key}
//   GET  /api/connections, /api/whoami, GET/POST /api/definitions (export / import)
//   GET/PUT /api/trace          {"trace": true|false}  (the same shape on all three minibrokers)
//
// Path segments are percent-encoded: the default vhost "/" is "%2F". Requests authenticate with
// HTTP Basic auth as a broker user tagged "administrator" (guest is one), as RabbitMQ requires.
// The API runs on the broker thread (see common/admin_http.hpp), so it reads the model directly.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "admin_http.hpp"
#include "model/broker.hpp"

namespace minirabbit {

struct ConnectionInfo {
    std::string name;  // "127.0.0.1:50000 -> 127.0.0.1:5672", as RabbitMQ names them
    std::string user, vhost;
    size_t channels = 0;
    bool blocked = false;
};

struct AdminContext {
    Broker& broker;
    std::function<std::vector<ConnectionInfo>()> connections;
    std::function<void()> changed;              // after a change: save definitions, close a deleted vhost's connections
    std::string memory_strategy = "allocated";  // vm_memory_calculation_strategy, shown in /api/nodes
    std::string node_name = "minirabbit@localhost";  // --nodename / RABBITMQ_NODENAME
};

mb::HttpResponse handle_admin_request(AdminContext& context, const mb::HttpRequest& request);

// Messages over HTTP (admin_messages.cpp).
mb::HttpResponse admin_publish(Vhost& vhost, Exchange& exchange, std::string_view request_body);
mb::HttpResponse admin_get(Queue& queue, std::string_view request_body);

}  // namespace minirabbit
