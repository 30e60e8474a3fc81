// Fetch codec (see fetch.hpp).
#include "fetch.hpp"

namespace minikafka {

void decode_fetch_request(KafkaReader& in, int16_t version, FetchRequest& out) {
    out.partitions.clear();
    out.replica_id = in.i32();
    out.max_wait_ms = in.i32();
    out.min_bytes = in.i32();
    out.max_bytes = version >= 3 ? in.i32() : INT32_MAX;
    out.isolation_level = version >= 4 ? in.i8() : 0;
    if (version >= 7) {
        out.session_id = in.i32();
        out.session_epoch = in.i32();
    }
    int32_t topics = in.array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        std::string_view topic = in.string();
        int32_t partitions = in.array_length();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) {
            FetchPartition& entry = out.partitions.emplace_back();
            entry.topic = topic;
            entry.partition = in.i32();
            if (version >= 9) in.i32();  // current_leader_epoch: one broker, no fencing needed
            entry.fetch_offset = in.i64();
            if (version >= 5) in.i64();  // log_start_offset: only followers send it
            entry.partition_max_bytes = in.i32();
        }
    }
    if (version >= 7) {
        int32_t forgotten = in.array_length();  // only meaningful in incremental fetch sessions
        for (int32_t t = 0; t < forgotten && in.ok(); ++t) {
            in.string();
            in.skip(static_cast<size_t>(in.array_length()) * 4);
        }
    }
    if (version >= 11) in.string();  // rack_id
}

void encode_fetch_response(KafkaWriter& out, int16_t version, ErrorCode error,
                           std::span<const FetchPartitionResult> results,
                           const std::function<void(size_t index)>& write_records) {
    if (version >= 1) out.i32(0);  // throttle_time_ms
    if (version >= 7) {
        out.i16(static_cast<int16_t>(error));
        out.i32(0);  // session_id 0: no incremental fetch session; every fetch is a full one
    }
    write_grouped_by_topic(out, results, [&](size_t i) {
        const FetchPartitionResult& r = results[i];
        out.i32(r.partition);
        out.i16(static_cast<int16_t>(r.error));
        out.i64(r.high_watermark);
        if (version >= 4) out.i64(r.high_watermark);  // last_stable_offset: no transactions
        if (version >= 5) out.i64(r.log_start_offset);
        if (version >= 4) out.i32(-1);   // aborted_transactions: null
        if (version >= 11) out.i32(-1);  // preferred_read_replica: none (read from the leader)
        out.i32(static_cast<int32_t>(r.records_size));
        if (r.records_size > 0) write_records(i);
    });
}

}  // namespace minikafka
