// minikafka/protocol/metadata.cpp
//
// CONCEPT: cluster metadata on the wire (metadata.hpp has the layout by version) - the answer a
// client routes every later request by. Its subtle part is the topic list: v0 asks for all topics
// with an empty list, v1+ with a null one (and an empty list means none), so the decoder turns
// both into one "all topics" (a null optional) for the handler.
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
// READ NEXT: handlers/metadata.cpp.
#include "metadata.hpp"

namespace minikafka {

// allow_auto_topic_creation (v4+): the client says whether asking about a missing topic may create
// it (the broker's auto.create.topics.enable must allow it too). The two authorized-
// operations flags (v8, KIP-430) ask for ACL bit sets, which we answer with "unknown".
MetadataRequest decode_metadata_request(KafkaReader& in, int16_t version) {
    MetadataRequest request;
    std::optional<int32_t> count = in.nullable_array_length();
    // v0 has no null array: there an empty list is what asks for every topic, and a null one is
    // malformed (Kafka cannot parse it and closes the connection).
    if (version == 0 && !count) in.fail();
    if (count && !(version == 0 && *count == 0)) {
        request.topics.emplace();
        request.topics->reserve(static_cast<size_t>(*count));
        for (int32_t i = 0; i < *count && in.ok(); ++i) request.topics->push_back(in.string());
    }
    if (version >= 4) request.allow_auto_topic_creation = in.boolean();
    if (version >= 8) {
        in.boolean();  // include_cluster_authorized_operations: no ACLs here
        in.boolean();  // include_topic_authorized_operations
    }
    return request;
}

// The fields a client routes by, and the version that added them:
//   brokers [node_id, host, port, rack (v1+)]   where to connect; rack feeds rack-aware consumers
//   cluster_id (v2, KIP-78)                     lets a client notice it was pointed at another cluster
//   controller_id (v1)                          where older admin clients send CreateTopics & co.
//   leader_epoch (v7, KIP-320)                  a client keeps the newest epoch it has seen and
//                                               ignores a metadata answer older than that, so a
//                                               lagging broker cannot send it back to a dead leader
//   offline_replicas (v5, KIP-112)              replicas on a failed log directory
// v9 is the first flexible version, so 8 is our ceiling.
void encode_metadata_response(KafkaWriter& out, int16_t version, const MetadataResponse& response) {
    constexpr int32_t kAuthorizedOperationsUnknown = INT32_MIN;
    if (version >= 3) out.i32(0);  // throttle_time_ms
    out.array_length(response.brokers.size());
    for (const auto& broker : response.brokers) {
        out.i32(broker.node_id);
        out.string(broker.host);
        out.i32(broker.port);
        if (version >= 1) out.nullable_string(std::nullopt);  // rack
    }
    if (version >= 2) out.nullable_string(response.cluster_id);
    if (version >= 1) out.i32(response.controller_id);
    out.array_length(response.topics.size());
    for (const auto& topic : response.topics) {
        out.i16(static_cast<int16_t>(topic.error));
        out.string(topic.name);
        if (version >= 1) out.boolean(topic.is_internal);
        out.array_length(topic.partitions.size());
        for (const auto& partition : topic.partitions) {
            out.i16(static_cast<int16_t>(partition.error));
            out.i32(partition.index);
            out.i32(partition.leader);
            if (version >= 7) out.i32(partition.leader_epoch);
            auto ids = [&](const std::vector<int32_t>& list) {
                out.array_length(list.size());
                for (int32_t id : list) out.i32(id);
            };
            if (partition.replicas.empty()) {
                out.array_length(1);  // single-node mode: replicas and ISR are the leader alone
                out.i32(partition.leader);
                out.array_length(1);
                out.i32(partition.leader);
            } else {
                ids(partition.replicas);
                ids(partition.isr);
            }
            if (version >= 5) ids(partition.offline_replicas);
        }
        if (version >= 8) out.i32(kAuthorizedOperationsUnknown);
    }
    if (version >= 8) out.i32(kAuthorizedOperationsUnknown);
}

}  // namespace minikafka
