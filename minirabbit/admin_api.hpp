// CONCEPT: the management API - minirabbit's admin HTTP endpoint in the shape of RabbitMQ's
// management plugin, so scripts and tools written against RabbitMQ's /api work here:
//
//   GET  /api/vhosts            PUT/DELETE /api/vhosts/{vhost}
//   GET  /api/users             PUT/DELETE /api/users/{name}          {"password": "...", "tags": "administrator"}
//   GET  /api/permissions       PUT/DELETE /api/permissions/{vhost}/{user}  {"configure": ".*", ...}
//   GET  /api/queues[/{vhost}[/{name}]]   PUT/DELETE a queue; DELETE .../contents purges it;
//                                         POST .../get takes messages (admin_messages.cpp)
//   GET  /api/exchanges[/{vhost}[/{name}]] PUT/DELETE an exchange; POST .../publish publishes
//   GET  /api/bindings[/{vhost}]   POST /api/bindings/{vhost}/e/{source}/q/{queue} (or /e/{dest})
//                                  DELETE /api/bindings/{vhost}/e/{source}/q/{queue}/{routing key}
//   GET  /api/connections[/{name}] (DELETE closes it), /api/channels, /api/consumers[/{vhost}]
//   GET  /api/overview, /api/nodes[/{name}], /api/auth, /api/extensions  (admin_overview.cpp)
//   GET/PUT/DELETE /api/policies/{vhost}/{name}                           (admin_policies.cpp)
//   GET  /api/whoami, GET/POST /api/definitions (export / import)
//   ?page=&page_size=&name=&sort= on lists (admin_paging.cpp); GET / the UI (admin_ui.cpp)
//   GET/PUT /api/trace          {"trace": true|false}  (the same shape on all three minibrokers)
//
// Path segments are percent-encoded: the default vhost "/" is "%2F". Requests authenticate with
// HTTP Basic auth as a broker user tagged "administrator" (guest is one), as RabbitMQ requires.
// The API runs on the broker thread (see common/admin_http.hpp), so it reads the model directly.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "admin_http.hpp"
#include "model/broker.hpp"

namespace minirabbit {

// What the API shows of the session layer (filled in by server.cpp, which owns the sessions):
// connections, their channels, and the channels' consumers (/api/connections, /channels, /consumers).
struct ConsumerInfo {
    std::string tag, queue;
    bool no_ack = false, exclusive = false;
    uint16_t prefetch_count = 0;
};

struct ChannelInfo {
    uint16_t number = 0;
    uint16_t prefetch_count = 0, global_prefetch_count = 0;
    size_t unacked = 0;
    bool confirm = false, transactional = false;
    std::vector<ConsumerInfo> consumers;
};

struct ConnectionInfo {
    std::string name;  // the client's "address:port"
    std::string user, vhost;
    size_t channels = 0;
    bool blocked = false;
    std::string peer_host;
    amqp::FieldTable client_properties;  // product, version, capabilities, connection_name ...
    uint16_t peer_port = 0;
    uint32_t frame_max = 0;
    uint16_t heartbeat = 0;
    int64_t connected_at = 0;  // ms since the epoch
    std::vector<ChannelInfo> channel_list;
};

struct AdminContext {
    Broker& broker;
    std::function<std::vector<ConnectionInfo>()> connections;
    std::function<void()> changed;              // after a change: save definitions, close a deleted vhost's connections
    std::string memory_strategy = "allocated";  // vm_memory_calculation_strategy, shown in /api/nodes
    // DELETE /api/connections/{name}: closes it with 320 CONNECTION_FORCED and `reason`; false if unknown.
    std::function<bool(const std::string& name, const std::string& reason)> close_connection;
    uint16_t amqp_port = 0, admin_port = 0;          // shown as the overview's listeners
    std::string data_dir;                            // its free disk space is shown in /api/nodes
    std::string node_name = "minirabbit@localhost";  // --nodename / RABBITMQ_NODENAME
};

mb::HttpResponse handle_admin_request(AdminContext& context, const mb::HttpRequest& request);

// GET / (GET /live with --management-ui): the live lecture page, built once (admin_page.cpp).
const std::string& admin_page();

// GET / and the UI's static files from `directory` (admin_ui.cpp); a short page when it is empty.
mb::HttpResponse serve_management_ui(const std::string& directory, const mb::HttpRequest& request);

// "%2F" -> "/" (URL path segments).
std::string percent_decode(std::string_view in);

// ?page=N&page_size=&name=&use_regex=&sort=&sort_reverse= on a list (admin_paging.cpp).
mb::HttpResponse paginate(mb::HttpResponse response, std::string_view target);

// The chart ranges a request asks for (admin_rates.cpp): ?lengths_age=60&lengths_incr=5 for queue
// lengths, ?msg_rates_age=&msg_rates_incr= for message counters; without them, rates only.
struct StatsQuery {
    std::optional<SampleRange> lengths, msg_rates;
};
StatsQuery stats_query(std::string_view target);
// A "_details" object: {"rate"} or, with a range, {"rate", "samples", "avg_rate", "avg"}.
boost::json::object rate_details_json(const SampleClock& clock, const RateHistory& history,
                                      std::initializer_list<size_t> fields, const std::optional<SampleRange>& range);
// out[name] = current; out[name + "_details"] = the above.
void put_series(boost::json::object& out, std::string_view name, uint64_t current, const SampleClock& clock,
                const RateHistory& history, std::initializer_list<size_t> fields,
                const std::optional<SampleRange>& range);

// The node (admin_overview.cpp): /api/overview, /api/nodes, /api/auth, /api/extensions.
void set_node_name(std::string name);              // at start, from --nodename
std::string_view node_name();                      // "minirabbit@localhost": a one-node cluster
boost::json::object details_json(uint64_t value);  // a "_details" with no history: rate 0, one sample
boost::json::object overview_json(const AdminContext& ctx, const StatsQuery& stats = {});
boost::json::object node_json(const AdminContext& ctx);
boost::json::object auth_json();
boost::json::array extensions_json();

// /api/policies, /api/operator-policies (admin_policies.cpp); `changed` saves the definitions.
mb::HttpResponse policies_request(Broker& broker, const mb::HttpRequest& request, const std::vector<std::string>& path,
                                  const std::function<void()>& changed);

// The model's objects as the API shows them (admin_objects.cpp); `stats` picks the charts' ranges.
boost::json::object queue_json(const Vhost& vhost, const Queue& q, const StatsQuery& stats = {});
boost::json::object exchange_json(const Vhost& vhost, const Exchange& e, const StatsQuery& stats = {});
boost::json::object binding_json(const Vhost& vhost, std::string_view source, std::string_view destination,
                                 std::string_view type, std::string_view key, const amqp::FieldTable& args);
boost::json::object vhost_json(const Vhost& vhost);
// Every binding of `vhost`, the default exchange's implicit ones first.
void append_bindings(const Vhost& vhost, boost::json::array& out);
// The bindings of one vhost where `key` ("source" or "destination") is `name` (of `type`).
boost::json::array bindings_where(const Vhost& vhost, std::string_view key, std::string_view name,
                                  std::string_view type);

// Sessions (admin_sessions.cpp); an empty vhost means all of them.
boost::json::object connection_json(const AdminContext& ctx, const ConnectionInfo& connection);
boost::json::array connections_json(const AdminContext& ctx, std::string_view vhost);
boost::json::array channels_json(const AdminContext& ctx, std::string_view vhost, std::string_view connection);
boost::json::array consumers_json(const AdminContext& ctx, std::string_view vhost);

// Messages over HTTP (admin_messages.cpp).
mb::HttpResponse admin_publish(Vhost& vhost, Exchange& exchange, std::string_view request_body);
mb::HttpResponse admin_get(Queue& queue, std::string_view request_body);

}  // namespace minirabbit
