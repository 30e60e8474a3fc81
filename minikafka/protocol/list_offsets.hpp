// minikafka/protocol/list_offsets.hpp
//
// CONCEPT: finding where to start reading. A consumer without a committed offset asks for the
// earliest (timestamp -2) or latest (-1) offset of a partition, or for the first offset at or
// after a point in time (timestamp >= 0, answered from the .timeindex): "replay from 09:00".
//
//   request v1+: replica_id INT32 | isolation_level INT8 (v2+)
//                | topics [name | partitions [index | current_leader_epoch (v4+) | timestamp INT64]]
//   response:    throttle_time_ms (v2+) | topics [name | partitions [index | error_code
//                | timestamp INT64 | offset INT64 | leader_epoch INT32 (v4+)]]
// READ NEXT: list_offsets.cpp, handlers/list_offsets.cpp.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

// The two special "timestamps" a client sends instead of a time: where the log ends (what a
// consumer with auto.offset.reset=latest starts from) and where it starts (=earliest).
constexpr int64_t kLatestTimestamp = -1;
constexpr int64_t kEarliestTimestamp = -2;

// The topic is a view into the request frame, not a copy: the decoded request lives only as long
// as the frame it came from, which is as long as the handler needs it.
struct ListOffsetsPartition {
    std::string_view topic;
    int32_t partition = 0;
    int64_t timestamp = 0;
    int32_t current_leader_epoch = -1;  // v4+: -1 = not checked
};

struct ListOffsetsRequest {
    int32_t replica_id = -1;
    std::vector<ListOffsetsPartition> partitions;
};

void decode_list_offsets_request(KafkaReader& in, int16_t version, ListOffsetsRequest& out);

struct ListOffsetsPartitionResult {
    std::string_view topic;
    int32_t partition = 0;
    ErrorCode error = ErrorCode::None;
    int64_t timestamp = -1;
    int64_t offset = -1;
    int32_t leader_epoch = -1;  // v4+: the epoch of the record at `offset` (-1: unknown)
};

void encode_list_offsets_response(KafkaWriter& out, int16_t version,
                                  std::span<const ListOffsetsPartitionResult> results);

}  // namespace minikafka
