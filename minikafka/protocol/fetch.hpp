// minikafka/protocol/fetch.hpp
//
// CONCEPT: fetching - consumers pull. A consumer asks for records from an offset of each
// partition; the broker answers with the stored batches from there on. Fetch is a long poll:
// with nothing (or less than min_bytes) to send, the broker holds the request up to max_wait_ms
// and answers as soon as enough data arrives - consumers get new records at once without
// busy polling.
//
//   request v4+: replica_id INT32 | max_wait_ms INT32 | min_bytes INT32 | max_bytes INT32 (v3+)
//                | isolation_level INT8 | session_id INT32, session_epoch INT32 (v7+)
//                | topics [name | partitions [index | current_leader_epoch (v9+) | fetch_offset
//                  INT64 | log_start_offset INT64 (v5+) | partition_max_bytes INT32]]
//                | forgotten_topics [name [index]] (v7+) | rack_id STRING (v11+)
//                v12 (flexible, KIP-595): compact strings and arrays, tagged fields, and per
//                partition last_fetched_epoch INT32 after fetch_offset
//   response:    throttle_time_ms | error_code, session_id (v7+)
//                | responses [topic | partitions [index | error_code | high_watermark
//                  | last_stable_offset (v4+) | log_start_offset (v5+) | aborted_transactions
//                  (v4+, null) | preferred_read_replica (v11+) | records (INT32 size + bytes)
//                  | v12+ tagged 0: diverging_epoch {epoch INT32, end_offset INT64}]]
//
// The diverging epoch (KIP-320/KIP-595): a fetcher names the epoch of the last record it holds
// (last_fetched_epoch); if the leader's log shows that epoch ending before fetch_offset, or never
// had it, the two logs differ from some offset on. The answer then carries no records but
// "my largest epoch <= yours ends at end_offset": the fetcher cuts its log there and fetches
// again - the check Raft's AppendEntries makes, done the pull way.
//
// The records are the stored batches, byte for byte, so the response's record bytes can go
// from the segment file to the socket with sendfile(): the encoder writes the size and leaves
// the bytes to a callback.
// READ NEXT: fetch.cpp (the codec), handlers/fetch.cpp (the long poll and the file slices).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

struct FetchPartition {
    std::string_view topic;
    int32_t partition = 0;
    int64_t fetch_offset = 0;
    int32_t partition_max_bytes = 0;
    int32_t current_leader_epoch = -1;  // v9+: -1 = not checked
    int32_t last_fetched_epoch = -1;    // v12+: the epoch of the record at fetch_offset - 1; -1 = none
};

struct FetchRequest {
    int32_t replica_id = -1;
    int32_t max_wait_ms = 0;
    int32_t min_bytes = 0;
    int32_t max_bytes = INT32_MAX;
    int8_t isolation_level = 0;
    int32_t session_id = 0;
    int32_t session_epoch = -1;
    std::vector<FetchPartition> partitions;  // in request order (it matters since v3)
};

void decode_fetch_request(KafkaReader& in, int16_t version, FetchRequest& out);

struct FetchPartitionResult {
    std::string_view topic;
    int32_t partition = 0;
    ErrorCode error = ErrorCode::None;
    int64_t high_watermark = -1;
    int64_t log_start_offset = -1;
    uint32_t records_size = 0;
    // v12+: set (epoch >= 0) when last_fetched_epoch showed a diverged log; no records then.
    int32_t diverging_epoch = -1;
    int64_t diverging_end_offset = -1;
};

// Calls `write_records(i)` right after writing the size field of results[i] (when it is > 0):
// that is where those records' bytes belong.
void encode_fetch_response(KafkaWriter& out, int16_t version, ErrorCode error,
                           std::span<const FetchPartitionResult> results,
                           const std::function<void(size_t index)>& write_records);

// A follower's Fetch (v12, kReplicaFetchVersion: the first with last_fetched_epoch): `request.partitions` grouped by
// topic, the names in `topics` in the same order. The answer is decoded into views into the frame.
inline constexpr int16_t kReplicaFetchVersion = 12;
void encode_fetch_request(KafkaWriter& out, const FetchRequest& request, std::span<const std::string> topics);
struct FetchedPartition {
    std::string_view topic;
    int32_t partition = 0;
    ErrorCode error = ErrorCode::None;
    int64_t high_watermark = -1;
    int64_t log_start_offset = -1;
    std::string_view records;      // whole batches, perhaps a partial one at the end
    int32_t diverging_epoch = -1;  // >= 0: our log diverged; cut at diverging_end_offset (see above)
    int64_t diverging_end_offset = -1;
};
bool decode_fetch_response(KafkaReader& in, std::vector<FetchedPartition>& out);

}  // namespace minikafka
