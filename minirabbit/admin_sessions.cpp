// CONCEPT: who is connected - connections, their channels and the channels' consumers, in the
// shapes of RabbitMQ's /api/connections, /api/channels and /api/consumers.
//
//   connection "127.0.0.1:50000"        (one TCP socket, one user, one vhost)
//     ├── channel "127.0.0.1:50000 (1)"  prefetch, unacked count, confirm / tx mode
//     │     └── consumer "ctag-1" on queue "tasks"   ack_required, exclusive, prefetch
//     └── channel "127.0.0.1:50000 (2)"
//
// A channel's name is its connection's name and its number in brackets, as RabbitMQ names it;
// a consumer points back at its channel through "channel_details". The session layer owns these
// objects, so server.cpp copies what is shown into ConnectionInfo (admin_api.hpp) and this file
// only shapes JSON from it - it never reaches into a live session.
//
// DELETE /api/connections/{name} closes a connection the way RabbitMQ does: connection.close
// with 320 CONNECTION_FORCED and the text of the X-Reason header (default "Closed via
// management plugin"); the client sees it as a forced close, e.g. pika's ConnectionClosedByBroker.
// READ NEXT: server.cpp (Server::connection_infos, Server::close_connection).
#include <boost/json.hpp>

#include "admin_api.hpp"
#include "storage/definitions.hpp"

namespace minirabbit {

namespace json = boost::json;

namespace {

std::string channel_name(const ConnectionInfo& c, const ChannelInfo& ch) {
    return c.name + " (" + std::to_string(ch.number) + ")";
}

json::object channel_details(const ConnectionInfo& c, const ChannelInfo& ch) {
    return json::object{{"name", channel_name(c, ch)}, {"number", ch.number},      {"connection_name", c.name},
                        {"peer_host", c.peer_host},    {"peer_port", c.peer_port}, {"user", c.user},
                        {"node", node_name()}};
}

}  // namespace

// A connection row. The name is the client's address:port, unique while it is connected, and is
// what DELETE /api/connections/{name} takes back. "timeout" is the negotiated heartbeat in
// seconds; client_properties are exactly what the client sent in connection.start-ok.
json::object connection_json(const AdminContext& ctx, const ConnectionInfo& c) {
    return json::object{
        {"name", c.name},
        {"node", node_name()},
        {"vhost", c.vhost},
        {"user", c.user},
        {"user_who_performed_action", c.user},
        {"state", c.blocked ? "blocked" : "running"},
        {"channels", c.channels},
        {"type", "network"},
        {"protocol", "AMQP 0-9-1"},
        {"auth_mechanism", "PLAIN"},
        {"ssl", false},
        {"host", "127.0.0.1"},
        {"port", ctx.amqp_port},
        {"peer_host", c.peer_host},
        {"peer_port", c.peer_port},
        {"frame_max", c.frame_max},
        {"timeout", c.heartbeat},
        {"channel_max", 2047},
        {"connected_at", c.connected_at},
        {"client_properties", field_table_to_json(c.client_properties)},
        {"recv_oct_details", details_json(0)},
        {"send_oct_details", details_json(0)},
    };
}

json::array connections_json(const AdminContext& ctx, std::string_view vhost) {
    json::array out;
    if (ctx.connections)
        for (const auto& c : ctx.connections())
            if (vhost.empty() || c.vhost == vhost) out.push_back(connection_json(ctx, c));
    return out;
}

// `connection` empty: every channel; else only that connection's (/api/connections/{name}/channels).
json::array channels_json(const AdminContext& ctx, std::string_view vhost, std::string_view connection) {
    json::array out;
    if (!ctx.connections) return out;
    for (const auto& c : ctx.connections()) {
        if ((!vhost.empty() && c.vhost != vhost) || (!connection.empty() && c.name != connection)) continue;
        for (const auto& ch : c.channel_list)
            out.push_back(json::object{
                {"name", channel_name(c, ch)},
                {"number", ch.number},
                {"node", node_name()},
                {"vhost", c.vhost},
                {"user", c.user},
                {"user_who_performed_action", c.user},
                {"state", c.blocked ? "blocked" : "running"},
                {"connection_details",
                 json::object{{"name", c.name}, {"peer_host", c.peer_host}, {"peer_port", c.peer_port}}},
                {"consumer_count", ch.consumers.size()},
                {"messages_unacknowledged", ch.unacked},
                {"messages_unconfirmed", 0},
                {"messages_uncommitted", 0},
                {"acks_uncommitted", 0},
                {"prefetch_count", ch.prefetch_count},
                {"global_prefetch_count", ch.global_prefetch_count},
                {"confirm", ch.confirm},
                {"transactional", ch.transactional},
                {"message_stats", json::object{}},
            });
    }
    return out;
}

// Consumers are found through their channels, not their queues: a queue knows its consumers
// only as model objects, the channel knows the connection and number the UI links to.
json::array consumers_json(const AdminContext& ctx, std::string_view vhost) {
    json::array out;
    if (!ctx.connections) return out;
    for (const auto& c : ctx.connections()) {
        if (!vhost.empty() && c.vhost != vhost) continue;
        for (const auto& ch : c.channel_list)
            for (const auto& consumer : ch.consumers)
                out.push_back(json::object{
                    {"consumer_tag", consumer.tag},
                    {"queue", json::object{{"name", consumer.queue}, {"vhost", c.vhost}}},
                    {"channel_details", channel_details(c, ch)},
                    {"ack_required", !consumer.no_ack},
                    {"exclusive", consumer.exclusive},
                    // basic.qos applies to consumers made after it; a global one caps the channel.
                    {"prefetch_count", consumer.prefetch_count},
                    {"active", true},
                    {"activity_status", "up"},
                    {"arguments", json::object{}},
                });
    }
    return out;
}

}  // namespace minirabbit
