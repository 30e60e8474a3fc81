// minikafka/protocol/offsets.cpp
//
// CONCEPT: a group's consumed positions on the wire (offsets.hpp). A committed offset is the
// offset of the *next* record to read; the codec carries it untouched, with the leader epoch of
// the record before it (v6+), which lets a consumer detect a log truncated under it.
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
//
// Versions: OffsetCommit 2-7 and OffsetFetch 1-5. The floors are what the clients need
// (docs/minikafka/api-versions.md); v0 of both addressed offsets kept in ZooKeeper, which a broker
// without ZooKeeper does not have. The ceilings are the last versions before each API turned
// flexible (OffsetCommit v8, OffsetFetch v6).
// READ NEXT: handlers/offsets.cpp.
#include "offsets.hpp"

namespace minikafka {

// What the fields of a commit are for:
//   generation_id, member_id  (v1+) only a member of the current generation may commit for the
//                             group: a consumer that missed a rebalance gets ILLEGAL_GENERATION
//                             and cannot overwrite the new owner's progress. A consumer that
//                             assigns its partitions itself commits with -1 and "".
//   retention_time_ms         (v2-v4) how long to keep the offsets; KIP-211 removed it at v5 in
//                             favour of the broker's offsets.retention.minutes, counted from the
//                             moment the group becomes empty; ours applies to every version.
//   commit_timestamp          (v1 only) per partition, the same idea, dropped at v2.
//   committed_leader_epoch    (v6+, KIP-320) the epoch of the last record consumed: a consumer
//                             that resumes from this commit after a failover can check, with
//                             OffsetsForLeaderEpoch, that the log it read was not truncated.
//   committed_metadata        any string the client wants stored beside the offset.
void decode_offset_commit_request(KafkaReader& in, int16_t version, OffsetCommitRequest& out) {
    out.partitions.clear();
    out.group_id = in.string();
    if (version >= 1) {
        out.generation_id = in.i32();
        out.member_id = in.string();
    }
    if (version >= 7) in.nullable_string();      // group_instance_id
    if (version >= 2 && version <= 4) in.i64();  // retention_time_ms: offsets.retention is ours
    int32_t topics = in.array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        std::string_view topic = in.string();
        int32_t partitions = in.array_length();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) {
            OffsetCommitPartition& entry = out.partitions.emplace_back();
            entry.topic = topic;
            entry.partition = in.i32();
            entry.offset = in.i64();
            if (version >= 6) entry.leader_epoch = in.i32();
            if (version == 1) in.i64();  // commit_timestamp
            entry.metadata = in.nullable_string();
        }
    }
}

void encode_offset_commit_response(KafkaWriter& out, int16_t version, std::span<const PartitionError> results) {
    if (version >= 3) out.i32(0);
    write_grouped_by_topic(out, results, [&](size_t i) {
        out.i32(results[i].partition);
        out.i16(static_cast<int16_t>(results[i].error));
    });
}

// A consumer asks this when it is given partitions, to know where to start. A null topic list
// (v2+, KIP-88) asks for every partition the group has committed - what kafka-consumer-groups.sh
// --describe needs, since it does not know the group's subscription.
void decode_offset_fetch_request(KafkaReader& in, int16_t version, OffsetFetchRequest& out) {
    out.group_id = in.string();
    std::optional<int32_t> topics = in.nullable_array_length();
    if (!topics && version < 2) in.fail();  // null means "all" only from v2 on
    if (!topics) {
        out.partitions.reset();
        return;
    }
    out.partitions.emplace();
    for (int32_t t = 0; t < *topics && in.ok(); ++t) {
        std::string_view topic = in.string();
        int32_t partitions = in.array_length();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) out.partitions->emplace_back(topic, in.i32());
    }
}

// An offset of -1 means "nothing committed": the consumer falls back to auto.offset.reset. The
// top-level error_code (v2+) carries errors about the whole group (NOT_COORDINATOR,
// COORDINATOR_LOAD_IN_PROGRESS) once, instead of repeating them on every partition.
void encode_offset_fetch_response(KafkaWriter& out, int16_t version, ErrorCode error,
                                  std::span<const OffsetFetchPartition> results) {
    if (version >= 3) out.i32(0);
    write_grouped_by_topic(out, results, [&](size_t i) {
        const OffsetFetchPartition& r = results[i];
        out.i32(r.partition);
        out.i64(r.offset);
        if (version >= 5) out.i32(r.leader_epoch);
        out.nullable_string(r.metadata);
        out.i16(static_cast<int16_t>(r.error));
    });
    if (version >= 2) out.i16(static_cast<int16_t>(error));
}

}  // namespace minikafka
