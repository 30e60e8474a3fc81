// minikafka/protocol/produce.hpp
//
// CONCEPT: producing - a client sends record batches for some partitions and (unless acks=0)
// learns the offset each batch got.
//
//   request v3+: transactional_id NULLABLE_STRING | acks INT16 | timeout_ms INT32
//                | topics [name | partitions [index INT32 | records NULLABLE_BYTES]]
//   response:    responses [name | partitions [index | error_code | base_offset INT64
//                | log_append_time_ms INT64 (v2+) | log_start_offset INT64 (v5+)
//                | record_errors [] + error_message (v8+)]] | throttle_time_ms
//
// acks: 0 = no response at all; 1 = after the leader appended; -1 ("all") = after every in-sync
// replica has it - with one broker that is the leader alone, so durability comes from the
// flush policy (log.flush.interval.messages), not from acks.
// The decoded request is flat (one entry per partition, each naming its topic) and holds views
// into the request frame: reused across requests, decoding allocates nothing once warm.
// READ NEXT: produce.cpp, handlers/produce.cpp, model/record_batch.hpp (what the records bytes are).
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

struct ProducePartition {
    std::string_view topic;
    int32_t partition = 0;
    std::optional<std::string_view> records;  // one record batch (v3+); views into the frame
};

struct ProduceRequest {
    std::optional<std::string_view> transactional_id;
    int16_t acks = 1;
    int32_t timeout_ms = 0;
    std::vector<ProducePartition> partitions;
};

// Fills `out` (its vector is cleared, keeping its capacity). Check in.ok() afterwards.
void decode_produce_request(KafkaReader& in, int16_t version, ProduceRequest& out);

struct ProducePartitionResult {
    std::string_view topic;
    int32_t partition = 0;
    ErrorCode error = ErrorCode::None;
    int64_t base_offset = -1;
    int64_t log_append_time_ms = -1;  // -1 unless the topic uses LogAppendTime
    int64_t log_start_offset = -1;
    std::string_view error_message;  // v8+, empty = null
};

// Partitions of one topic must be consecutive in `results` (they are, in request order).
void encode_produce_response(KafkaWriter& out, int16_t version, std::span<const ProducePartitionResult> results);

}  // namespace minikafka
