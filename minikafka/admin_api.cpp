// CONCEPT: looking inside a running Kafka from a browser. Kafka users watch topics and consumer
// lag with kafka-topics / kafka-consumer-groups --describe, or a web console; this file answers
// the same questions as JSON on the admin port, for the live page (admin_page.cpp) and curl:
//
//   GET /api/overview  requests, connections, bytes in/out (counters: the page turns them into rates)
//   GET /api/topics    per partition: log start, high watermark, log end, segments on disk
//   GET /api/groups    per group: state, members and their assignments, and per committed
//                      partition: committed offset, high watermark, lag = hw - committed
//   GET /api/quorum    the KRaft quorum and the registered brokers (controller_link.cpp), when clustered
//   GET|PUT /api/trace the --trace switch
//
// A member's assignment is opaque bytes to the group coordinator (the group's leader wrote it
// in SyncGroup; only the clients agree on its format). For protocol type "consumer" that format
// is Kafka's ConsumerProtocolAssignment, which we decode here for display only:
//
//   version:int16 | topics:[ name:string | partitions:[int32] ] | user_data:bytes
//
// Runs on the broker thread, between requests: reads the model without locks, changes nothing.
//
// READ NEXT: admin_page.cpp (the page that polls these), server_metrics.cpp (the same numbers
// for Prometheus), model/consumer_group.hpp (members, generations, states).
#include "admin_api.hpp"

#include <boost/json.hpp>

#include "controller_link.hpp"
#include "core/broker.hpp"
#include "health.hpp"
#include "protocol/primitives.hpp"
#include "server_metrics.hpp"

namespace minikafka {

namespace {

namespace json = boost::json;

mb::HttpResponse json_response(const json::value& v) { return {200, "application/json", json::serialize(v)}; }

// ConsumerProtocolAssignment -> [{"topic":..,"partitions":[..]}]; empty if it does not parse.
json::array decode_assignment(std::string_view bytes) {
    json::array out;
    if (bytes.empty()) return out;
    KafkaReader in(bytes);
    in.i16();  // version: v0-v3 share the fields we show
    int32_t topics = in.array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        std::string_view name = in.string();
        json::array partitions;
        int32_t n = in.array_length();
        for (int32_t p = 0; p < n && in.ok(); ++p) partitions.push_back(in.i32());
        out.push_back(json::object{{"topic", name}, {"partitions", std::move(partitions)}});
    }
    return in.ok() ? out : json::array{};
}

// The high watermark of topic/partition, or -1 if there is no such partition (deleted topic).
int64_t high_watermark(Broker& broker, const std::string& topic, int32_t partition) {
    const Topic* t = broker.logs.find(topic);
    if (!t || partition < 0 || static_cast<size_t>(partition) >= t->partitions.size() ||
        !t->partitions[static_cast<size_t>(partition)])
        return -1;
    return t->partitions[static_cast<size_t>(partition)]->log_end_offset();  // one replica: hw = leo
}

json::value overview(const AdminContext& admin) {
    const SessionMetrics& s = admin.session;
    return json::object{{"server", "minikafka"},
                        {"node_id", admin.broker.config.node_id},
                        {"clustered", admin.broker.controller != nullptr},
                        {"topics", admin.broker.logs.topics().size()},
                        {"groups", admin.broker.groups.list_groups().size()},
                        {"connections_total", s.connections.value},
                        {"requests_total", s.requests.value},
                        {"bytes_in_total", s.bytes_in.value},
                        {"bytes_out_total", s.bytes_out.value},
                        {"health", health_problems(admin)}};
}

json::value topics(Broker& broker) {
    json::array out;
    for (const auto& [name, topic] : broker.logs.topics()) {
        json::array partitions;
        for (size_t p = 0; p < topic.partitions.size(); ++p) {
            if (!topic.partitions[p]) continue;  // not replicated on this broker
            const PartitionLog& log = *topic.partitions[p];
            partitions.push_back(json::object{{"partition", p},
                                              {"log_start_offset", log.log_start_offset()},
                                              {"high_watermark", log.log_end_offset()},
                                              {"log_end_offset", log.log_end_offset()},
                                              {"segments", log.segments().size()},
                                              {"bytes", log.size_bytes()}});
        }
        out.push_back(json::object{{"name", name}, {"partitions", std::move(partitions)}});
    }
    return out;
}

json::value groups(Broker& broker) {
    json::array out;
    for (const auto& [id, protocol_type] : broker.groups.list_groups()) {
        json::object group{{"group", id}, {"protocol_type", protocol_type}};
        json::array members;
        if (const ConsumerGroup* g = broker.groups.group(id)) {
            group["state"] = to_string(g->state());
            group["generation"] = g->generation_id();
            group["protocol"] = g->protocol_name();
            group["leader"] = g->leader();
            for (const auto& [member_id, m] : g->members())
                members.push_back(json::object{
                    {"member_id", member_id},
                    {"client_id", m.client_id},
                    {"client_host", m.client_host},
                    {"assignment", protocol_type == "consumer" ? decode_assignment(m.assignment) : json::array{}}});
        } else {
            group["state"] = "Empty";  // only committed offsets left (a commit from outside a group)
        }
        group["members"] = std::move(members);
        json::array offsets;
        if (const GroupCoordinator::Offsets* committed = broker.groups.offsets(id))
            for (const auto& [key, c] : *committed) {
                int64_t hw = high_watermark(broker, key.first, key.second);
                offsets.push_back(json::object{{"topic", key.first},
                                               {"partition", key.second},
                                               {"committed", c.offset},
                                               {"high_watermark", hw},
                                               {"lag", hw < 0 ? 0 : std::max<int64_t>(0, hw - c.offset)}});
            }
        group["offsets"] = std::move(offsets);
        out.push_back(std::move(group));
    }
    return out;
}

}  // namespace

std::string health_problems(const AdminContext& admin) {
    return mb::health_problems({0, 0, admin.data_dir, admin.disk_free_limit});
}

// No credentials: like Kafka's default PLAINTEXT listener, minikafka has no users at all (see
// docs/minikafka/04-left-out-and-exercises.md); the admin port binds to loopback by default.
mb::HttpResponse admin_api(AdminContext& admin, const mb::HttpRequest& request) {
    std::string_view path = request.target.substr(0, request.target.find('?'));
    if (path.starts_with("/api/trace")) return mb::trace_api(request, admin.broker.tracing);
    if (request.method != "GET") return {405, "application/json", R"({"error":"method not allowed"})"};
    if (path == "/api/quorum") return quorum_api(admin.broker);
    if (path == "/api/overview") return json_response(overview(admin));
    if (path == "/api/topics") return json_response(topics(admin.broker));
    if (path == "/api/groups") return json_response(groups(admin.broker));
    return {404, "application/json", R"({"error":"not found"})"};
}

}  // namespace minikafka
