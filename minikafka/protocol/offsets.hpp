// minikafka/protocol/offsets.hpp
//
// CONCEPT: committing and fetching a group's consumed offsets on the wire.
//
//   OffsetCommit req:  group_id | generation_id (v1+) | member_id (v1+) | group_instance_id (v7+)
//                      | retention_time_ms (v2-v4) | topics [name | partitions [index
//                      | committed_offset INT64 | committed_leader_epoch (v6+)
//                      | committed_metadata NULLABLE_STRING]]
//                resp: throttle (v3+) | topics [name | partitions [index | error_code]]
//   OffsetFetch  req:  group_id | topics [name | partition_indexes [INT32]] (v2+: null = all)
//                resp: throttle (v3+) | topics [name | partitions [index | committed_offset
//                      | committed_leader_epoch (v5+) | metadata | error_code]] | error_code (v2+)
// The committed offset is the offset of the *next* record to read, not of the last one read.
// READ NEXT: offsets.cpp, handlers/offsets.cpp (when a commit is answered).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

struct OffsetCommitPartition {
    std::string_view topic;
    int32_t partition = 0;
    int64_t offset = 0;
    int32_t leader_epoch = -1;
    std::optional<std::string_view> metadata;
};

struct OffsetCommitRequest {
    std::string_view group_id;
    int32_t generation_id = -1;
    std::string_view member_id;
    std::vector<OffsetCommitPartition> partitions;
};

void decode_offset_commit_request(KafkaReader& in, int16_t version, OffsetCommitRequest& out);

struct PartitionError {
    std::string_view topic;
    int32_t partition = 0;
    ErrorCode error = ErrorCode::None;
};
void encode_offset_commit_response(KafkaWriter& out, int16_t version, std::span<const PartitionError> results);

struct OffsetFetchRequest {
    std::string_view group_id;
    // nullopt: every partition the group committed for (v2+).
    std::optional<std::vector<std::pair<std::string_view, int32_t>>> partitions;
};
void decode_offset_fetch_request(KafkaReader& in, int16_t version, OffsetFetchRequest& out);

struct OffsetFetchPartition {
    std::string_view topic;
    int32_t partition = 0;
    int64_t offset = -1;  // -1: nothing committed
    int32_t leader_epoch = -1;
    std::string_view metadata;
    ErrorCode error = ErrorCode::None;
};
void encode_offset_fetch_response(KafkaWriter& out, int16_t version, ErrorCode error,
                                  std::span<const OffsetFetchPartition> results);

}  // namespace minikafka
