// minikafka/protocol/fetch.cpp
//
// CONCEPT: consumers pull (fetch.hpp), and the answer's record bytes are never copied: the
// encoder writes each partition's header fields and the records' INT32 size, then calls
// write_records, which lets the handler attach a slice of the segment file for sendfile().
//
//   response ─▶ [ throttle | topic | partition | error | HW | ... | size ] [ file slice ] [ next ... ]
//                 written here into the buffer                           sent from the page cache
//
// Fields a version added that minikafka does not use (fetch sessions, rack id, a follower's
// log start offset) are still read, so the ones after them are read from the right place.
// READ NEXT: handlers/fetch.cpp, core/reply.hpp (how a reply mixes buffer bytes and file slices).
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
            if (version >= 9) entry.current_leader_epoch = in.i32();  // checked in cluster mode
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

namespace minikafka {

// ---- the follower's side: it asks a leader with the same API consumers use -------------------

void encode_fetch_request(KafkaWriter& out, const FetchRequest& request, std::span<const std::string> topics) {
    out.i32(request.replica_id);
    out.i32(request.max_wait_ms);
    out.i32(request.min_bytes);
    out.i32(request.max_bytes);
    out.i8(request.isolation_level);
    out.i32(0);   // session_id: no incremental fetch session
    out.i32(-1);  // session_epoch: -1 = a full fetch, no session
    // Topics group consecutive partitions of one name (`topics` holds the names, in order).
    out.array_length(topics.size());
    size_t i = 0;
    for (const std::string& topic : topics) {
        out.string(topic);
        size_t end = i;
        while (end < request.partitions.size() && request.partitions[end].topic == topic) ++end;
        out.array_length(end - i);
        for (; i < end; ++i) {
            const FetchPartition& p = request.partitions[i];
            out.i32(p.partition);
            out.i32(p.current_leader_epoch);
            out.i64(p.fetch_offset);
            out.i64(-1);  // log_start_offset: ours, for the leader's bookkeeping; not used
            out.i32(p.partition_max_bytes);
        }
    }
    out.array_length(0);  // forgotten_topics_data
    out.string("");       // rack_id
}

bool decode_fetch_response(KafkaReader& in, std::vector<FetchedPartition>& out) {
    out.clear();
    in.i32();  // throttle_time_ms
    const auto error = static_cast<ErrorCode>(in.i16());
    in.i32();  // session_id
    int32_t topics = in.array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        std::string_view topic = in.string();
        int32_t partitions = in.array_length();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) {
            FetchedPartition& r = out.emplace_back();
            r.topic = topic;
            r.partition = in.i32();
            r.error = static_cast<ErrorCode>(in.i16());
            if (error != ErrorCode::None && r.error == ErrorCode::None) r.error = error;
            r.high_watermark = in.i64();
            in.i64();  // last_stable_offset
            r.log_start_offset = in.i64();
            if (auto aborted = in.nullable_array_length()) in.skip(static_cast<size_t>(*aborted) * 16);
            in.i32();                                // preferred_read_replica
            auto size = in.nullable_array_length();  // records: INT32 size (-1 = null) + bytes
            if (size && *size > 0) r.records = in.bytes(static_cast<size_t>(*size));
        }
    }
    return in.ok();
}

}  // namespace minikafka
