// minikafka/protocol/offsets_for_leader_epoch.hpp
//
// CONCEPT: OffsetsForLeaderEpoch (API 23, KIP-101 and KIP-320) - "where did leader epoch E end
// in your log?". Two kinds of caller ask it, with the same question:
//   a follower   after a leader change, before it fetches again: the answer is the first
//                offset where its log may differ from the new leader's, and it truncates there
//                (instead of at its high watermark, which loses acknowledged records: see
//                docs/minikafka/05-replication-and-the-controller.md, "Leader epochs").
//   a consumer   (librdkafka, the Java client) after the partition's leader epoch changed in
//                Metadata: it asks for the epoch of the last record it consumed; if the answer's
//                end offset is below its position, the log it read was truncated under it and
//                it resets (auto.offset.reset) instead of silently skipping records.
//
//   request v0-3:  replica_id INT32 (v3+) | topics [name STRING | partitions [index INT32
//                  | current_leader_epoch INT32 (v2+) | leader_epoch INT32]]
//   request v4+:   the same, flexible: compact strings and arrays, tagged fields everywhere
//   response:      throttle_time_ms INT32 (v2+) | topics [name | partitions [error_code INT16
//                  | index INT32 | leader_epoch INT32 (v1+) | end_offset INT64]]
//
// current_leader_epoch (v2+, -1 = not given) fences a caller whose metadata is out of date:
// older than the broker's epoch -> FENCED_LEADER_EPOCH, newer -> UNKNOWN_LEADER_EPOCH (the
// broker has not heard of it yet; retry). replica_id: a broker id for a follower, -1 for a
// consumer, -2 ("debugging", the field's default) from clients that predate the field.
// READ NEXT: handlers/offsets_for_leader_epoch.cpp, storage/leader_epoch_cache.hpp.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

constexpr int16_t kOffsetsForLeaderEpochMaxVersion = 4;
constexpr int32_t kConsumerReplicaId = -1;   // a consumer's request
constexpr int32_t kDebuggingReplicaId = -2;  // the field's default (and v0-2, which lack it)

struct OffsetsForLeaderEpochPartition {
    std::string_view topic;
    int32_t partition = 0;
    int32_t current_leader_epoch = -1;  // -1: not given (v0-1 cannot give it)
    int32_t leader_epoch = -1;          // the epoch asked about
};

struct OffsetsForLeaderEpochRequest {
    int32_t replica_id = kDebuggingReplicaId;
    std::vector<OffsetsForLeaderEpochPartition> partitions;  // grouped by topic, in request order
};

void decode_offsets_for_leader_epoch_request(KafkaReader& in, int16_t version, OffsetsForLeaderEpochRequest& out);

// The answer for one partition: the largest epoch <= the one asked that this log has, and the
// offset where it ends (the start offset of the next epoch, or the log end for the current one).
// A follower truncates to min(its own end of that epoch, end_offset); -1/-1 says "no such epoch
// here", and the follower falls back to its high watermark.
struct OffsetsForLeaderEpochResult {
    std::string_view topic;
    int32_t partition = 0;
    ErrorCode error = ErrorCode::None;
    int32_t leader_epoch = -1;  // UNDEFINED_EPOCH
    int64_t end_offset = -1;    // UNDEFINED_EPOCH_OFFSET
};

void encode_offsets_for_leader_epoch_response(KafkaWriter& out, int16_t version,
                                              std::span<const OffsetsForLeaderEpochResult> results);

// The follower's side (core/replica_fetcher.cpp asks before it fetches from a new leader): a
// request at v3 - the last version before the flexible encoding, and the first with replica_id -
// with `request.partitions` grouped by topic, and its answer decoded into views into the frame.
inline constexpr int16_t kReplicaOffsetsForLeaderEpochVersion = 3;
void encode_offsets_for_leader_epoch_request(KafkaWriter& out, const OffsetsForLeaderEpochRequest& request);
bool decode_offsets_for_leader_epoch_response(KafkaReader& in, std::vector<OffsetsForLeaderEpochResult>& out);

}  // namespace minikafka
