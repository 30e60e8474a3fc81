// minikafka/protocol/produce.cpp
//
// CONCEPT: producing, on the wire (produce.hpp). The records stay a view into the request frame:
// the batch bytes the producer sent are validated and appended as they are, never decoded into
// records and encoded again - one reason Kafka's write path is cheap.
//
//   [acks | timeout | topic [partition | records BYTES]] ─▶ flat list: {topic, partition, bytes view}
//
// READ NEXT: handlers/produce.cpp, model/record_batch.hpp (what the bytes are).
#include "produce.hpp"

namespace minikafka {

void decode_produce_request(KafkaReader& in, int16_t version, ProduceRequest& out) {
    out.partitions.clear();
    if (version >= 3) out.transactional_id = in.nullable_string();
    out.acks = in.i16();
    out.timeout_ms = in.i32();
    int32_t topics = in.array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        std::string_view topic = in.string();
        int32_t partitions = in.array_length();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) {
            ProducePartition& entry = out.partitions.emplace_back();
            entry.topic = topic;
            entry.partition = in.i32();
            entry.records = in.nullable_bytes();
        }
    }
}

void encode_produce_response(KafkaWriter& out, int16_t version, std::span<const ProducePartitionResult> results) {
    write_grouped_by_topic(out, results, [&](size_t i) {
        const ProducePartitionResult& r = results[i];
        out.i32(r.partition);
        out.i16(static_cast<int16_t>(r.error));
        out.i64(r.base_offset);
        if (version >= 2) out.i64(r.log_append_time_ms);
        if (version >= 5) out.i64(r.log_start_offset);
        if (version >= 8) {
            out.array_length(0);  // record_errors: we reject whole batches, never single records
            out.nullable_string(r.error_message.empty() ? std::nullopt : std::optional(r.error_message));
        }
    });
    if (version >= 1) out.i32(0);  // throttle_time_ms
}

}  // namespace minikafka
