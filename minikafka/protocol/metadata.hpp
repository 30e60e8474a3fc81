// minikafka/protocol/metadata.hpp
//
// CONCEPT: cluster metadata - which brokers exist, which topics, how many partitions each has
// and which broker leads each partition. A client asks before it produces or fetches, because
// it must send each partition's requests to that partition's leader. Here there is one broker,
// so it leads everything and is also the "controller" (where admin requests go).
//
//   request:  topics [name] (v0: empty = all; v1+: null = all, empty = none)
//             allow_auto_topic_creation BOOLEAN (v4+)  include_*_authorized_operations (v8+)
//   response: throttle_time_ms (v3+) | brokers [node_id host port rack(v1+)] | cluster_id (v2+)
//             | controller_id (v1+) | topics [error name is_internal(v1+) partitions [error index
//             leader leader_epoch(v7+) replicas isr offline_replicas(v5+)] authorized_ops(v8+)]
//             | cluster_authorized_ops (v8+)
// READ NEXT: metadata.cpp, handlers/metadata.cpp (single-node and cluster answers).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

struct MetadataRequest {
    std::optional<std::vector<std::string_view>> topics;  // nullopt = all topics
    bool allow_auto_topic_creation = true;                // v0-v3 imply true
};

// The response borrows its strings (views into the broker's own state), because it is written
// out before anything can change that state: the broker thread handles one request at a time.
struct MetadataBroker {
    int32_t node_id;
    std::string_view host;
    int32_t port;
};

struct MetadataPartition {
    ErrorCode error = ErrorCode::None;
    int32_t index = 0;
    int32_t leader = 0;
    // v7+: clients send it back (Fetch, OffsetsForLeaderEpoch) and are fenced when it is stale,
    // so it must be the epoch the log stamps its appends with.
    int32_t leader_epoch = 0;
    // Cluster mode (all empty in single-node mode: the leader alone).
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
    std::vector<int32_t> offline_replicas;  // replicas on fenced (or unknown) brokers
};

// is_internal marks __consumer_offsets: a consumer subscribed by pattern skips internal topics
// (exclude.internal.topics), so a regex like ".*" does not make it read the group offsets.
struct MetadataTopic {
    ErrorCode error = ErrorCode::None;
    std::string_view name;
    bool is_internal = false;
    std::vector<MetadataPartition> partitions;
};

struct MetadataResponse {
    std::vector<MetadataBroker> brokers;
    std::string_view cluster_id;
    int32_t controller_id = 0;
    std::vector<MetadataTopic> topics;
};

MetadataRequest decode_metadata_request(KafkaReader& in, int16_t version);
void encode_metadata_response(KafkaWriter& out, int16_t version, const MetadataResponse& response);

}  // namespace minikafka
