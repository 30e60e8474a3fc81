// minikafka/protocol/alter_partition.hpp
//
// CONCEPT: AlterPartition (API 56) - how the ISR changes. Only a partition's leader sees its
// followers' fetches, so only it can tell who is in sync; only the controller may change the
// metadata. So the leader *asks*: "partition p, my leader epoch E, at partition epoch V: make the
// ISR [1, 3]". The controller checks that the leader is still the leader (epoch) and that nothing
// changed since (partition epoch), commits a PartitionChangeRecord, and answers with the new state.
//
//   request v1 (flexible): broker_id INT32 | broker_epoch INT64 | topics [topic_name COMPACT_STRING
//             | partitions [partition_index INT32 | leader_epoch INT32 | new_isr [INT32]
//             | leader_recovery_state INT8 | partition_epoch INT32]]
//   response v1: throttle_time_ms | error_code | topics [topic_name | partitions [partition_index
//             | error_code | leader_id | leader_epoch | isr [INT32] | leader_recovery_state
//             | partition_epoch]]
// (v2 names topics by id and v3 gives ISR members their broker epochs, KIP-903; minikafka speaks v1.)
// REAL KAFKA: AlterPartitionRequest.json, AlterPartitionResponse.json (formerly AlterIsr, KIP-497).
// READ NEXT: core/topic_control.cpp (alter_partition), core/replica_manager.cpp (the leader's side).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

inline constexpr int16_t kAlterPartitionVersion = 1;

// One partition's ask. leader_epoch and partition_epoch are the state the leader built new_isr
// on; the controller compares both before it writes anything (optimistic concurrency: no lock,
// just "refuse if it changed since you looked").
struct AlterPartitionItem {
    std::string topic;
    int32_t partition = 0;
    int32_t leader_epoch = -1;
    std::vector<int32_t> new_isr;
    int32_t partition_epoch = -1;
};
struct AlterPartitionRequestData {
    int32_t broker_id = -1;
    int64_t broker_epoch = -1;
    std::vector<AlterPartitionItem> partitions;  // grouped by topic on the wire
};
// The partition as the controller has it after the request - granted or not. The leader takes
// isr and partition_epoch from here rather than from its own request.
struct AlterPartitionResult {
    std::string topic;
    int32_t partition = 0;
    ErrorCode error = ErrorCode::None;
    int32_t leader_id = -1;
    int32_t leader_epoch = -1;
    std::vector<int32_t> isr;
    int32_t partition_epoch = -1;
};
struct AlterPartitionResponseData {
    ErrorCode error = ErrorCode::None;
    std::vector<AlterPartitionResult> partitions;
};

void encode_alter_partition_request(KafkaWriter& out, const AlterPartitionRequestData& request);
bool decode_alter_partition_request(KafkaReader& in, AlterPartitionRequestData& out);
void encode_alter_partition_response(KafkaWriter& out, const AlterPartitionResponseData& response);
bool decode_alter_partition_response(KafkaReader& in, AlterPartitionResponseData& out);

}  // namespace minikafka
