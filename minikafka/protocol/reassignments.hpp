// minikafka/protocol/reassignments.hpp
//
// CONCEPT: moving replicas between brokers (KIP-455). A cluster that grows needs its existing
// partitions spread onto the new brokers; AlterPartitionReassignments (API 45) names a target
// replica set per partition, ListPartitionReassignments (API 46) shows the moves in progress:
// which replicas are still being added (catching up) and which will be removed once they have.
//
//   AlterPartitionReassignments v0 (flexible): timeout_ms INT32 | topics [name COMPACT_STRING
//       | partitions [partition_index INT32 | replicas COMPACT_NULLABLE [INT32] (null: cancel)]]
//   response v0: throttle_time_ms INT32 | error_code INT16 | error_message COMPACT_NULLABLE_STRING
//       | responses [name | partitions [partition_index INT32 | error_code INT16 | error_message]]
//   ListPartitionReassignments v0 (flexible): timeout_ms INT32 | topics COMPACT_NULLABLE [name
//       | partition_indexes [INT32]]   (null: every reassignment in progress)
//   response v0: throttle_time_ms | error_code | error_message | topics [name | partitions
//       [partition_index | replicas [INT32] | adding_replicas [INT32] | removing_replicas [INT32]]]
// Every struct and array ends with an empty tagged-field section. (v1 of API 45 adds
// allow_replication_factor_change, KIP-860; minikafka speaks v0, which every client sends.)
// REAL KAFKA: AlterPartitionReassignmentsRequest.json, ListPartitionReassignmentsRequest.json.
// READ NEXT: core/reassignment.hpp (what the controller does with a target).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

inline constexpr int16_t kReassignmentsVersion = 0;

struct ReassignPartition {
    int32_t partition = 0;
    std::optional<std::vector<int32_t>> replicas;  // nullopt: cancel the reassignment in progress
};
struct ReassignTopic {
    std::string name;
    std::vector<ReassignPartition> partitions;
};
struct AlterReassignmentsRequest {
    int32_t timeout_ms = 60000;
    std::vector<ReassignTopic> topics;
};
AlterReassignmentsRequest decode_alter_reassignments_request(KafkaReader& in, int16_t version);
void encode_alter_reassignments_request(KafkaWriter& out, const AlterReassignmentsRequest& request);

struct ReassignPartitionResult {
    int32_t partition = 0;
    ErrorCode error = ErrorCode::None;
    std::string message;
};
struct ReassignTopicResult {
    std::string name;
    std::vector<ReassignPartitionResult> partitions;
};
struct AlterReassignmentsResponse {
    ErrorCode error = ErrorCode::None;  // for the whole request (NOT_CONTROLLER)
    std::string message;
    std::vector<ReassignTopicResult> topics;
};
void encode_alter_reassignments_response(KafkaWriter& out, int16_t version, const AlterReassignmentsResponse& r);

struct ListReassignmentsRequest {
    int32_t timeout_ms = 60000;
    // nullopt: all; else (topic, partitions) pairs.
    std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>> topics;
};
ListReassignmentsRequest decode_list_reassignments_request(KafkaReader& in, int16_t version);

// One move in progress, as the metadata image holds it: replicas is old and new together,
// adding the new ones not yet in the ISR, removing the old ones that go when they are.
struct OngoingReassignment {
    int32_t partition = 0;
    std::vector<int32_t> replicas;
    std::vector<int32_t> adding;
    std::vector<int32_t> removing;
};
struct ListReassignmentsResponse {
    ErrorCode error = ErrorCode::None;
    std::string message;
    std::vector<std::pair<std::string, std::vector<OngoingReassignment>>> topics;
};
void encode_list_reassignments_response(KafkaWriter& out, int16_t version, const ListReassignmentsResponse& r);

}  // namespace minikafka
