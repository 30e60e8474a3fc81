// minikafka/protocol/offsets_for_leader_epoch.cpp
//
// OffsetsForLeaderEpoch codec (see offsets_for_leader_epoch.hpp). v4 is the first flexible
// version: the same fields, with compact lengths and a tagged-field section after each struct.
//
// CONCEPT: "where did leader epoch E end in your log?" (offsets_for_leader_epoch.hpp), on the
// wire - the question that lets followers and consumers truncate to the point their log and the
// leader's agree, instead of to a guess.
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
// READ NEXT: handlers/offsets_for_leader_epoch.cpp.
#include "offsets_for_leader_epoch.hpp"

namespace minikafka {

// How the API grew, each version fixing a way to lose or misread data:
//   v0 (KIP-101)  the question and its end offset: truncate by epoch, not by high watermark.
//   v1 (KIP-279)  the answer also names the epoch it is about - the largest epoch <= the one
//                 asked - so a follower that went through several leader changes can walk back
//                 to the exact point of divergence instead of truncating too little.
//   v2 (KIP-320)  current_leader_epoch, so a caller with stale metadata is fenced; throttle_time.
//   v3 (KIP-392)  replica_id, to tell a follower from a consumer.
//   v4 (KIP-482)  flexible encoding, nothing new in meaning.
void decode_offsets_for_leader_epoch_request(KafkaReader& in, int16_t version, OffsetsForLeaderEpochRequest& out) {
    const bool flexible = version >= 4;
    out.partitions.clear();
    out.replica_id = version >= 3 ? in.i32() : kDebuggingReplicaId;
    int32_t topics = flexible ? in.compact_array_length() : in.array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        std::string_view topic = flexible ? in.compact_string() : in.string();
        int32_t partitions = flexible ? in.compact_array_length() : in.array_length();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) {
            OffsetsForLeaderEpochPartition& entry = out.partitions.emplace_back();
            entry.topic = topic;
            entry.partition = in.i32();
            entry.current_leader_epoch = version >= 2 ? in.i32() : -1;
            entry.leader_epoch = in.i32();
            if (flexible) in.skip_tagged_fields();
        }
        if (flexible) in.skip_tagged_fields();
    }
    if (flexible) in.skip_tagged_fields();
}

void encode_offsets_for_leader_epoch_response(KafkaWriter& out, int16_t version,
                                              std::span<const OffsetsForLeaderEpochResult> results) {
    const bool flexible = version >= 4;
    if (version >= 2) out.i32(0);  // throttle_time_ms: no quotas here
    // Results arrive grouped by topic (the request's order); count the groups first.
    size_t topics = 0;
    for (size_t i = 0; i < results.size(); ++i)
        if (i == 0 || results[i].topic != results[i - 1].topic) ++topics;
    flexible ? out.compact_array_length(topics) : out.array_length(topics);
    for (size_t i = 0; i < results.size();) {
        size_t end = i;
        while (end < results.size() && results[end].topic == results[i].topic) ++end;
        flexible ? out.compact_string(results[i].topic) : out.string(results[i].topic);
        flexible ? out.compact_array_length(end - i) : out.array_length(end - i);
        for (; i < end; ++i) {
            const OffsetsForLeaderEpochResult& r = results[i];
            out.i16(static_cast<int16_t>(r.error));  // the error comes first in this API
            out.i32(r.partition);
            if (version >= 1) out.i32(r.leader_epoch);
            out.i64(r.end_offset);
            if (flexible) out.empty_tagged_fields();
        }
        if (flexible) out.empty_tagged_fields();
    }
    if (flexible) out.empty_tagged_fields();
}

// v3 only (kReplicaOffsetsForLeaderEpochVersion): what a follower sends. Followers only talk to
// minikafka brokers, so one fixed version is enough; v3 is the first that names the replica.
void encode_offsets_for_leader_epoch_request(KafkaWriter& out, const OffsetsForLeaderEpochRequest& request) {
    out.i32(request.replica_id);
    const auto& partitions = request.partitions;
    size_t topics = 0;
    for (size_t i = 0; i < partitions.size(); ++i)
        if (i == 0 || partitions[i].topic != partitions[i - 1].topic) ++topics;
    out.array_length(topics);
    for (size_t i = 0; i < partitions.size();) {
        size_t end = i;
        while (end < partitions.size() && partitions[end].topic == partitions[i].topic) ++end;
        out.string(partitions[i].topic);
        out.array_length(end - i);
        for (; i < end; ++i) {
            out.i32(partitions[i].partition);
            out.i32(partitions[i].current_leader_epoch);
            out.i32(partitions[i].leader_epoch);
        }
    }
}

bool decode_offsets_for_leader_epoch_response(KafkaReader& in, std::vector<OffsetsForLeaderEpochResult>& out) {
    out.clear();
    in.i32();  // throttle_time_ms
    int32_t topics = in.array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        std::string_view topic = in.string();
        int32_t partitions = in.array_length();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) {
            OffsetsForLeaderEpochResult& r = out.emplace_back();
            r.topic = topic;
            r.error = static_cast<ErrorCode>(in.i16());
            r.partition = in.i32();
            r.leader_epoch = in.i32();
            r.end_offset = in.i64();
        }
    }
    return in.ok();
}

}  // namespace minikafka
