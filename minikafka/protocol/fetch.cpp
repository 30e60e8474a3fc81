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

// v12 is Fetch's first flexible version (KIP-482): the same fields with compact lengths and
// tagged fields - and one new field, last_fetched_epoch. The two layouts share this one reader.
void decode_fetch_request(KafkaReader& in, int16_t version, FetchRequest& out) {
    out.partitions.clear();
    const bool flexible = version >= 12;
    auto string = [&] { return flexible ? in.compact_string() : in.string(); };
    auto array = [&] { return flexible ? in.compact_array_length() : in.array_length(); };
    out.replica_id = in.i32();
    out.max_wait_ms = in.i32();
    out.min_bytes = in.i32();
    out.max_bytes = version >= 3 ? in.i32() : INT32_MAX;
    out.isolation_level = version >= 4 ? in.i8() : 0;
    if (version >= 7) {
        out.session_id = in.i32();
        out.session_epoch = in.i32();
    }
    int32_t topics = array();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        std::string_view topic = string();
        int32_t partitions = array();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) {
            FetchPartition& entry = out.partitions.emplace_back();
            entry.topic = topic;
            entry.partition = in.i32();
            if (version >= 9) entry.current_leader_epoch = in.i32();  // checked in cluster mode
            entry.fetch_offset = in.i64();
            if (version >= 12) entry.last_fetched_epoch = in.i32();
            if (version >= 5) in.i64();  // log_start_offset: only followers send it
            entry.partition_max_bytes = in.i32();
            if (flexible) in.skip_tagged_fields();
        }
        if (flexible) in.skip_tagged_fields();
    }
    if (version >= 7) {
        int32_t forgotten = array();  // only meaningful in incremental fetch sessions
        for (int32_t t = 0; t < forgotten && in.ok(); ++t) {
            string();
            int32_t n = array();
            if (n > 0) in.skip(static_cast<size_t>(n) * 4);
            if (flexible) in.skip_tagged_fields();
        }
    }
    if (version >= 11) string();            // rack_id
    if (flexible) in.skip_tagged_fields();  // cluster_id (tag 0): a KRaft voter's, not ours to check
}

void encode_fetch_response(KafkaWriter& out, int16_t version, ErrorCode error,
                           std::span<const FetchPartitionResult> results,
                           const std::function<void(size_t index)>& write_records) {
    const bool flexible = version >= 12;
    if (version >= 1) out.i32(0);  // throttle_time_ms
    if (version >= 7) {
        out.i16(static_cast<int16_t>(error));
        out.i32(0);  // session_id 0: no incremental fetch session; every fetch is a full one
    }
    auto partition = [&](size_t i) {
        const FetchPartitionResult& r = results[i];
        out.i32(r.partition);
        out.i16(static_cast<int16_t>(r.error));
        out.i64(r.high_watermark);
        if (version >= 4) out.i64(r.high_watermark);  // last_stable_offset: no transactions
        if (version >= 5) out.i64(r.log_start_offset);
        if (version >= 4) flexible ? out.uvarint(0) : out.i32(-1);  // aborted_transactions: null
        if (version >= 11) out.i32(-1);  // preferred_read_replica: none (read from the leader)
        if (flexible) {
            out.uvarint(static_cast<uint64_t>(r.records_size) + 1);
        } else {
            out.i32(static_cast<int32_t>(r.records_size));
        }
        if (r.records_size > 0) write_records(i);
        if (!flexible) return;
        if (r.diverging_epoch < 0) return out.empty_tagged_fields();
        out.uvarint(1);   // one tagged field:
        out.uvarint(0);   // tag 0, DivergingEpoch
        out.uvarint(13);  // its size: epoch INT32 + end_offset INT64 + its own (empty) tags
        out.i32(r.diverging_epoch);
        out.i64(r.diverging_end_offset);
        out.empty_tagged_fields();
    };
    if (!flexible) return write_grouped_by_topic(out, results, partition);
    // The same nesting with compact lengths and a tag section closing each level.
    size_t topics = 0;
    for (size_t i = 0; i < results.size(); ++i)
        if (i == 0 || results[i].topic != results[i - 1].topic) ++topics;
    out.compact_array_length(topics);
    for (size_t i = 0; i < results.size();) {
        size_t end = i;
        while (end < results.size() && results[end].topic == results[i].topic) ++end;
        out.compact_string(results[i].topic);
        out.compact_array_length(end - i);
        for (; i < end; ++i) partition(i);
        out.empty_tagged_fields();  // topic
    }
    out.empty_tagged_fields();  // response
}

}  // namespace minikafka

namespace minikafka {

// ---- the follower's side: it asks a leader with the same API consumers use -------------------

// Always kReplicaFetchVersion (v12): flexible, with each partition's last_fetched_epoch.
void encode_fetch_request(KafkaWriter& out, const FetchRequest& request, std::span<const std::string> topics) {
    out.i32(request.replica_id);
    out.i32(request.max_wait_ms);
    out.i32(request.min_bytes);
    out.i32(request.max_bytes);
    out.i8(request.isolation_level);
    out.i32(0);   // session_id: no incremental fetch session
    out.i32(-1);  // session_epoch: -1 = a full fetch, no session
    // Topics group consecutive partitions of one name (`topics` holds the names, in order).
    out.compact_array_length(topics.size());
    size_t i = 0;
    for (const std::string& topic : topics) {
        out.compact_string(topic);
        size_t end = i;
        while (end < request.partitions.size() && request.partitions[end].topic == topic) ++end;
        out.compact_array_length(end - i);
        for (; i < end; ++i) {
            const FetchPartition& p = request.partitions[i];
            out.i32(p.partition);
            out.i32(p.current_leader_epoch);
            out.i64(p.fetch_offset);
            out.i32(p.last_fetched_epoch);
            out.i64(-1);  // log_start_offset: ours, for the leader's bookkeeping; not used
            out.i32(p.partition_max_bytes);
            out.empty_tagged_fields();
        }
        out.empty_tagged_fields();
    }
    out.compact_array_length(0);  // forgotten_topics_data
    out.compact_string("");       // rack_id
    out.empty_tagged_fields();
}

bool decode_fetch_response(KafkaReader& in, std::vector<FetchedPartition>& out) {
    out.clear();
    in.i32();  // throttle_time_ms
    const auto error = static_cast<ErrorCode>(in.i16());
    in.i32();  // session_id
    int32_t topics = in.compact_array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        std::string_view topic = in.compact_string();
        int32_t partitions = in.compact_array_length();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) {
            FetchedPartition& r = out.emplace_back();
            r.topic = topic;
            r.partition = in.i32();
            r.error = static_cast<ErrorCode>(in.i16());
            if (error != ErrorCode::None && r.error == ErrorCode::None) r.error = error;
            r.high_watermark = in.i64();
            in.i64();  // last_stable_offset
            r.log_start_offset = in.i64();
            int32_t aborted = in.compact_array_length();  // -1: null
            for (int32_t a = 0; a < aborted && in.ok(); ++a) {
                in.skip(16);  // producer_id, first_offset
                in.skip_tagged_fields();
            }
            in.i32();  // preferred_read_replica
            if (auto records = in.compact_nullable_string()) r.records = *records;
            uint32_t tags = in.uvarint();
            for (uint32_t k = 0; k < tags && in.ok(); ++k) {
                const uint32_t tag = in.uvarint();
                KafkaReader field(in.bytes(in.uvarint()));
                if (tag != 0) continue;  // CurrentLeader, SnapshotId: not used by a data follower
                r.diverging_epoch = field.i32();
                r.diverging_end_offset = field.i64();
                if (!field.ok()) in.fail();
            }
        }
        in.skip_tagged_fields();  // topic
    }
    in.skip_tagged_fields();  // response
    return in.ok();
}

}  // namespace minikafka
