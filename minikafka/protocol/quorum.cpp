// minikafka/protocol/quorum.cpp - the election half of the KRaft RPCs, field by field as Kafka's
// schemas list them: Vote, BeginQuorumEpoch, EndQuorumEpoch and DescribeQuorum, one decode/encode
// pair each, in key order. (How a follower then copies the leader's log - Fetch, FetchSnapshot and
// the record batch around an entry - is quorum_fetch.cpp.)
//
// CONCEPT: the controller quorum on Kafka's wire (quorum.hpp). Raft itself lives in raft/ as
// plain structs; here its messages become Kafka's request bodies, so the quorum is a Kafka quorum
// on the network, not a private one: kafka-metadata-quorum.sh can ask it DescribeQuorum.
//
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
//
// Why Kafka needs four election messages where the Raft paper has one (RequestVote): Kafka's
// followers *pull* the log (Fetch) instead of being pushed AppendEntries, so a leader has no
// heartbeat to announce itself with. BeginQuorumEpoch is that announcement, and EndQuorumEpoch its
// counterpart when a leader steps down on purpose (docs/minikafka/05-replication-and-the-
// controller.md, "Raft in one page" and "The controller on the wire").
// READ NEXT: quorum_fetch.cpp (the replication half), core/quorum_wire.cpp (raft structs <-> these),
// handlers/quorum.cpp.
#include "quorum.hpp"

#include "quorum_fields.hpp"

namespace minikafka {

using namespace quorum_fields;

// ---- Vote (52): flexible from v0 ----------------------------------------------------------------
//
//   request  ClusterId: COMPACT_NULLABLE_STRING
//            Topics: [ TopicName, Partitions: [ PartitionIndex, CandidateEpoch, CandidateId,
//                                               LastOffsetEpoch, LastOffset ] ]
//   response ErrorCode, Topics: [ TopicName, Partitions: [ PartitionIndex, ErrorCode, LeaderId,
//                                                          LeaderEpoch, VoteGranted ] ]
//
// LastOffsetEpoch and LastOffset are Raft's election restriction: a voter grants its vote only to
// a candidate whose log is at least as up to date as its own (higher last epoch, or the same epoch
// and an offset at least as far), so a committed entry can never be missing from a new leader.
// ClusterId lets a voter refuse a node of another cluster that was given the wrong voters list
// (INCONSISTENT_CLUSTER_ID) rather than count its vote. A refused vote still says who the voter
// believes leads (LeaderId, LeaderEpoch): a candidate with a stale epoch learns it in one round.
// KIP-853 added v1 (voter directory ids, for dynamic quorums); with a static voters list, v0 is
// all a Kafka 3.x voter sends, so that is the one version we accept.

bool decode_vote_request(KafkaReader& in, int16_t, VoteRequestData& out) {
    out.cluster_id = read_nullable_string(in, true);
    bool ok = read_one_partition(in, true, out.topic, [&] {
        out.partition = in.i32();
        out.candidate_epoch = in.i32();
        out.candidate_id = in.i32();
        out.last_offset_epoch = in.i32();
        out.last_offset = in.i64();
    });
    skip_tags(in, true);
    return ok && in.ok();
}
void encode_vote_request(KafkaWriter& out, int16_t, const VoteRequestData& r) {
    write_nullable_string(out, true, r.cluster_id);
    write_one_partition(out, true, r.topic, [&] {
        out.i32(r.partition);
        out.i32(r.candidate_epoch);
        out.i32(r.candidate_id);
        out.i32(r.last_offset_epoch);
        out.i64(r.last_offset);
    });
    end_struct(out, true);
}
bool decode_vote_response(KafkaReader& in, int16_t, VoteResponseData& out) {
    out.error_code = in.i16();
    bool ok = read_one_partition(in, true, out.topic, [&] {
        out.partition = in.i32();
        out.partition_error = in.i16();
        out.leader_id = in.i32();
        out.leader_epoch = in.i32();
        out.vote_granted = in.boolean();
    });
    skip_tags(in, true);
    return ok && in.ok();
}
void encode_vote_response(KafkaWriter& out, int16_t, const VoteResponseData& r) {
    out.i16(r.error_code);
    write_one_partition(out, true, r.topic, [&] {
        out.i32(r.partition);
        out.i16(r.partition_error);
        out.i32(r.leader_id);
        out.i32(r.leader_epoch);
        out.boolean(r.vote_granted);
    });
    end_struct(out, true);
}

// ---- BeginQuorumEpoch (53) and EndQuorumEpoch (54): v0 is not flexible --------------------------
//
//   BeginQuorumEpoch  ClusterId: NULLABLE_STRING (INT16 length)
//                     Topics: [ TopicName, Partitions: [ PartitionIndex, LeaderId, LeaderEpoch ] ]
//   EndQuorumEpoch    the same, plus PreferredSuccessors: [INT32] after LeaderEpoch
//   response (both)   ErrorCode, Topics: [ TopicName, Partitions: [ PartitionIndex, ErrorCode,
//                                                                   LeaderId, LeaderEpoch ] ]
//
// These two were defined with flexibleVersions "none" and only became flexible at v1 (KIP-853),
// which is why they alone here use INT16 string and INT32 array lengths and end with no tags.
// BeginQuorumEpoch: "I won epoch E" - sent by a new leader to every voter so it starts fetching
// from the leader at once instead of waiting out its election timeout. EndQuorumEpoch: "I am
// stepping down" - a leader shutting down cleanly tells the voters, so the next election starts now
// rather than after a fetch timeout. PreferredSuccessors lists the voters by how far their logs
// have come, best first; a voter further down the list waits longer before standing, so the
// most caught-up voter most likely wins and less of the log has to be refetched.

bool decode_begin_quorum_epoch_request(KafkaReader& in, int16_t, BeginQuorumEpochRequestData& out) {
    out.cluster_id = read_nullable_string(in, false);
    return read_one_partition(in, false, out.topic, [&] {
        out.partition = in.i32();
        out.leader_id = in.i32();
        out.leader_epoch = in.i32();
    });
}
void encode_begin_quorum_epoch_request(KafkaWriter& out, int16_t, const BeginQuorumEpochRequestData& r) {
    write_nullable_string(out, false, r.cluster_id);
    write_one_partition(out, false, r.topic, [&] {
        out.i32(r.partition);
        out.i32(r.leader_id);
        out.i32(r.leader_epoch);
    });
}
bool decode_end_quorum_epoch_request(KafkaReader& in, int16_t, EndQuorumEpochRequestData& out) {
    out.cluster_id = read_nullable_string(in, false);
    return read_one_partition(in, false, out.topic, [&] {
        out.partition = in.i32();
        out.leader_id = in.i32();
        out.leader_epoch = in.i32();
        int32_t n = in.array_length();
        out.preferred_successors.clear();
        for (int32_t i = 0; i < n && in.ok(); ++i) out.preferred_successors.push_back(in.i32());
    });
}
void encode_end_quorum_epoch_request(KafkaWriter& out, int16_t, const EndQuorumEpochRequestData& r) {
    write_nullable_string(out, false, r.cluster_id);
    write_one_partition(out, false, r.topic, [&] {
        out.i32(r.partition);
        out.i32(r.leader_id);
        out.i32(r.leader_epoch);
        out.array_length(r.preferred_successors.size());
        for (int32_t id : r.preferred_successors) out.i32(id);
    });
}
bool decode_quorum_epoch_response(KafkaReader& in, int16_t, QuorumEpochResponseData& out) {
    out.error_code = in.i16();
    return read_one_partition(in, false, out.topic, [&] {
        out.partition = in.i32();
        out.partition_error = in.i16();
        out.leader_id = in.i32();
        out.leader_epoch = in.i32();
    });
}
void encode_quorum_epoch_response(KafkaWriter& out, int16_t, const QuorumEpochResponseData& r) {
    out.i16(r.error_code);
    write_one_partition(out, false, r.topic, [&] {
        out.i32(r.partition);
        out.i16(r.partition_error);
        out.i32(r.leader_id);
        out.i32(r.leader_epoch);
    });
}

// ---- DescribeQuorum (55): flexible; v1 adds two timestamps per replica (KIP-836) -----------------
//
//   request   Topics: [ TopicName, Partitions: [ PartitionIndex ] ]
//   response  ErrorCode, Topics: [ TopicName, Partitions: [ PartitionIndex, ErrorCode, LeaderId,
//               LeaderEpoch, HighWatermark, CurrentVoters: [ReplicaState], Observers: [ReplicaState] ] ]
//   ReplicaState  ReplicaId, LogEndOffset, LastFetchTimestamp (v1+), LastCaughtUpTimestamp (v1+)
//
// The operator's window into the quorum (kafka-metadata-quorum.sh describe --status/--replication).
// Only the leader knows every replica's progress - it learns it from their Fetch offsets - so a
// follower answers NOT_LEADER_OR_FOLLOWER with the leader it knows (core/controller.cpp). The two
// v1 timestamps answer "how far behind in time", which an offset lag alone cannot: a replica that
// caught up 30 s ago and a live one at the same offset look alike without them. Observers are brokers that fetch the
// metadata log but do not vote.

bool decode_describe_quorum_request(KafkaReader& in, int16_t, DescribeQuorumRequestData& out) {
    bool ok = read_one_partition(in, true, out.topic, [&] { out.partition = in.i32(); });
    skip_tags(in, true);
    return ok && in.ok();
}
void encode_describe_quorum_request(KafkaWriter& out, int16_t, const DescribeQuorumRequestData& r) {
    write_one_partition(out, true, r.topic, [&] { out.i32(r.partition); });
    end_struct(out, true);
}
namespace {
// ReplicaState is a nested struct, so each element ends with its own (empty) tagged fields.
void read_replica_states(KafkaReader& in, int16_t version, std::vector<ReplicaStateData>& out) {
    int32_t n = in.compact_array_length();
    out.clear();
    for (int32_t i = 0; i < n && in.ok(); ++i) {
        ReplicaStateData r;
        r.replica_id = in.i32();
        r.log_end_offset = in.i64();
        if (version >= 1) {
            r.last_fetch_timestamp = in.i64();
            r.last_caught_up_timestamp = in.i64();
        }
        in.skip_tagged_fields();
        out.push_back(r);
    }
}
void write_replica_states(KafkaWriter& out, int16_t version, const std::vector<ReplicaStateData>& states) {
    out.compact_array_length(states.size());
    for (const ReplicaStateData& r : states) {
        out.i32(r.replica_id);
        out.i64(r.log_end_offset);
        if (version >= 1) {
            out.i64(r.last_fetch_timestamp);
            out.i64(r.last_caught_up_timestamp);
        }
        out.empty_tagged_fields();
    }
}
}  // namespace
bool decode_describe_quorum_response(KafkaReader& in, int16_t version, DescribeQuorumResponseData& out) {
    out.error_code = in.i16();
    bool ok = read_one_partition(in, true, out.topic, [&] {
        out.partition = in.i32();
        out.partition_error = in.i16();
        out.leader_id = in.i32();
        out.leader_epoch = in.i32();
        out.high_watermark = in.i64();
        read_replica_states(in, version, out.current_voters);
        read_replica_states(in, version, out.observers);
    });
    skip_tags(in, true);
    return ok && in.ok();
}
void encode_describe_quorum_response(KafkaWriter& out, int16_t version, const DescribeQuorumResponseData& r) {
    out.i16(r.error_code);
    write_one_partition(out, true, r.topic, [&] {
        out.i32(r.partition);
        out.i16(r.partition_error);
        out.i32(r.leader_id);
        out.i32(r.leader_epoch);
        out.i64(r.high_watermark);
        write_replica_states(out, version, r.current_voters);
        write_replica_states(out, version, r.observers);
    });
    end_struct(out, true);
}

}  // namespace minikafka
