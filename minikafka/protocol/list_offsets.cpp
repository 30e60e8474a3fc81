// minikafka/protocol/list_offsets.cpp
//
// CONCEPT: finding where to start reading (list_offsets.hpp), on the wire. Partitions are decoded
// into a flat list, one entry per partition naming its topic, and the response is written
// nested again by topic (write_grouped_by_topic): handlers then loop over one list, not two levels.
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
// READ NEXT: handlers/list_offsets.cpp.
#include "list_offsets.hpp"

namespace minikafka {

// The timestamp is a question: -1 "latest" (the log end a consumer sees: the high watermark), -2
// "earliest" (the log start), any other value "the first offset whose record timestamp is at or
// after this" (v1+, KIP-79; v0 answered with a list of offsets instead, a layout we do not
// implement - librdkafka's offsets_for_times needs v1 anyway). replica_id is -1 from a consumer. isolation_level (v2+,
// KIP-98) would stop read_committed at the last stable offset; current_leader_epoch (v4+, KIP-320) fences a caller with
// stale metadata, as in Fetch. v6 is the first flexible version, so 5 is our ceiling.
void decode_list_offsets_request(KafkaReader& in, int16_t version, ListOffsetsRequest& out) {
    out.partitions.clear();
    out.replica_id = in.i32();
    if (version >= 2) in.i8();  // isolation_level: no transactions, so both levels see the same
    int32_t topics = in.array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        std::string_view topic = in.string();
        int32_t partitions = in.array_length();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) {
            ListOffsetsPartition& entry = out.partitions.emplace_back();
            entry.topic = topic;
            entry.partition = in.i32();
            if (version >= 4) entry.current_leader_epoch = in.i32();
            entry.timestamp = in.i64();
        }
    }
}

void encode_list_offsets_response(KafkaWriter& out, int16_t version,
                                  std::span<const ListOffsetsPartitionResult> results) {
    if (version >= 2) out.i32(0);  // throttle_time_ms
    write_grouped_by_topic(out, results, [&](size_t i) {
        out.i32(results[i].partition);
        out.i16(static_cast<int16_t>(results[i].error));
        out.i64(results[i].timestamp);
        out.i64(results[i].offset);
        if (version >= 4) out.i32(results[i].leader_epoch);
    });
}

}  // namespace minikafka
