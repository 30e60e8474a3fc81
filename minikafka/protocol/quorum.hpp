// minikafka/protocol/quorum.hpp
//
// CONCEPT: the controller quorum on Kafka's wire. The KRaft voters talk with Kafka's own APIs, on
// the CONTROLLER listener, framed like every other Kafka request (size, header, body):
//
//   API (key)               version   flexible   who -> whom
//   Fetch (1)               12-15     yes        follower -> leader   "I hold your log to offset O"
//   Vote (52)               0         yes        candidate -> voters
//   BeginQuorumEpoch (53)   0         no         new leader -> voters
//   EndQuorumEpoch (54)     0         no         resigning leader -> voters
//   DescribeQuorum (55)     0-1       yes        admin -> any node (answered by the leader's view)
//   FetchSnapshot (59)      0         yes        follower -> leader   "your log starts after mine"
//
// Every one of them is shaped for many topics and partitions ("Topics": [{"TopicName",
// "Partitions": [...]}]) because Kafka meant Raft to run more than one log one day; today there is
// exactly one, __cluster_metadata partition 0, and these structs flatten it: a request naming more
// or fewer than one partition is refused as undecodable. Field names follow the JSON schemas in
// Kafka's clients/src/main/resources/common/message/ (KIP-595), in snake_case.
//
// Versions are those of Kafka 3.x before KIP-853 (dynamic voters): Vote/BeginQuorumEpoch/
// EndQuorumEpoch v0. Fetch is the same API a consumer uses; a replica's Fetch differs in the
// fields KIP-595 added at v12 - LastFetchedEpoch in the request, DivergingEpoch, CurrentLeader and
// SnapshotId (tagged fields) in the response - and since v15 (KIP-903) the replica names itself in
// a tagged ReplicaState instead of the old ReplicaId field. minikafka answers Fetch v12+ only on
// the controller listener; consumers keep using v4-v11 on the client port.
// The codecs live in two files along Raft's own seam: quorum.cpp (electing a leader: Vote,
// BeginQuorumEpoch, EndQuorumEpoch, DescribeQuorum) and quorum_fetch.cpp (copying its log: Fetch,
// FetchSnapshot, the record batch around an entry); quorum_fields.hpp is what they share.
// READ NEXT: metadata_records.hpp (what the records in the metadata log are), then
// core/controller.hpp (who sends and answers these).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "primitives.hpp"

namespace minikafka {

// The one topic a KRaft quorum replicates, and its fixed topic id (Kafka's Uuid.METADATA_TOPIC_ID:
// fifteen zero bytes and a one).
inline constexpr std::string_view kMetadataTopic = "__cluster_metadata";
using Uuid = std::array<uint8_t, 16>;
inline constexpr Uuid kMetadataTopicId = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

// The versions we speak on the controller listener (the table in handlers/ advertises them).
inline constexpr int16_t kVoteVersion = 0;
inline constexpr int16_t kBeginQuorumEpochVersion = 0;
inline constexpr int16_t kEndQuorumEpochVersion = 0;
inline constexpr int16_t kDescribeQuorumMaxVersion = 1;
inline constexpr int16_t kFetchSnapshotVersion = 0;
inline constexpr int16_t kReplicaFetchMinVersion = 12;
inline constexpr int16_t kReplicaFetchMaxVersion = 15;

// ---- Vote (52) ------------------------------------------------------------------------------
// Raft's RequestVote with Kafka's words: "term" is epoch, "lastLogTerm/lastLogIndex" are the
// epoch and end offset of the candidate's log. Each answer has two error codes, as every
// multi-partition Kafka API does: error_code for the request (a bad cluster id), partition_error
// for the one log (an epoch the voter has already left behind).
struct VoteRequestData {
    std::optional<std::string> cluster_id;
    std::string topic{kMetadataTopic};
    int32_t partition = 0;
    int32_t candidate_epoch = 0;
    int32_t candidate_id = -1;
    int32_t last_offset_epoch = 0;  // the epoch of the candidate's last record
    int64_t last_offset = 0;        // the candidate's log end offset
    bool operator==(const VoteRequestData&) const = default;
};
struct VoteResponseData {
    int16_t error_code = 0;  // top level: the request as a whole
    std::string topic{kMetadataTopic};
    int32_t partition = 0;
    int16_t partition_error = 0;  // FENCED_LEADER_EPOCH etc.: about the quorum
    int32_t leader_id = -1;
    int32_t leader_epoch = 0;
    bool vote_granted = false;
    bool operator==(const VoteResponseData&) const = default;
};

// ---- BeginQuorumEpoch (53) and EndQuorumEpoch (54) --------------------------------------------
struct BeginQuorumEpochRequestData {
    std::optional<std::string> cluster_id;
    std::string topic{kMetadataTopic};
    int32_t partition = 0;
    int32_t leader_id = -1;
    int32_t leader_epoch = 0;
    bool operator==(const BeginQuorumEpochRequestData&) const = default;
};
struct EndQuorumEpochRequestData {
    std::optional<std::string> cluster_id;
    std::string topic{kMetadataTopic};
    int32_t partition = 0;
    int32_t leader_id = -1;
    int32_t leader_epoch = 0;
    std::vector<int32_t> preferred_successors;  // best-placed voters first
    bool operator==(const EndQuorumEpochRequestData&) const = default;
};
// Both answers have the same shape: "here is the epoch and leader I know". A leader that reads a
// higher epoch in an answer learns it has been replaced and steps down at once.
struct QuorumEpochResponseData {
    int16_t error_code = 0;
    std::string topic{kMetadataTopic};
    int32_t partition = 0;
    int16_t partition_error = 0;
    int32_t leader_id = -1;
    int32_t leader_epoch = 0;
    bool operator==(const QuorumEpochResponseData&) const = default;
};

// ---- DescribeQuorum (55) ----------------------------------------------------------------------
struct DescribeQuorumRequestData {
    std::string topic{kMetadataTopic};
    int32_t partition = 0;
    bool operator==(const DescribeQuorumRequestData&) const = default;
};
// One row of DescribeQuorum per replica. The leader fills it from the fetches it has served: a
// replica's log end offset is the offset of its last Fetch, and "caught up" means that fetch
// reached the leader's log end as it was at that moment.
struct ReplicaStateData {
    int32_t replica_id = -1;
    int64_t log_end_offset = -1;
    int64_t last_fetch_timestamp = -1;      // v1+
    int64_t last_caught_up_timestamp = -1;  // v1+
    bool operator==(const ReplicaStateData&) const = default;
};
struct DescribeQuorumResponseData {
    int16_t error_code = 0;
    std::string topic{kMetadataTopic};
    int32_t partition = 0;
    int16_t partition_error = 0;
    int32_t leader_id = -1;
    int32_t leader_epoch = 0;
    int64_t high_watermark = -1;
    std::vector<ReplicaStateData> current_voters;
    std::vector<ReplicaStateData> observers;
    bool operator==(const DescribeQuorumResponseData&) const = default;
};

// ---- FetchSnapshot (59) -----------------------------------------------------------------------
struct FetchSnapshotRequestData {
    std::optional<std::string> cluster_id;  // tagged field 0
    int32_t replica_id = -1;
    int32_t max_bytes = INT32_MAX;
    std::string topic{kMetadataTopic};
    int32_t partition = 0;
    int32_t current_leader_epoch = 0;
    int64_t snapshot_end_offset = 0;  // SnapshotId {EndOffset, Epoch}
    int32_t snapshot_epoch = 0;
    int64_t position = 0;  // byte position to fetch from (ours: always 0, one chunk)
    bool operator==(const FetchSnapshotRequestData&) const = default;
};
struct FetchSnapshotResponseData {
    int32_t throttle_time_ms = 0;
    int16_t error_code = 0;
    std::string topic{kMetadataTopic};
    int32_t partition = 0;
    int16_t partition_error = 0;
    int64_t snapshot_end_offset = 0;
    int32_t snapshot_epoch = 0;
    int32_t leader_id = -1;  // CurrentLeader, tagged field 0
    int32_t leader_epoch = -1;
    int64_t size = 0;  // of the whole snapshot
    int64_t position = 0;
    std::string bytes;  // this chunk (ours: the whole snapshot)
    bool operator==(const FetchSnapshotResponseData&) const = default;
};

// ---- Fetch (1), as a replica sends it (v12-v15) ------------------------------------------------
struct ReplicaFetchRequestData {
    std::optional<std::string> cluster_id;  // tagged field 0
    int32_t replica_id = -1;                // v12-14 a field; v15+ inside ReplicaState (tag 1)
    int64_t replica_epoch = -1;             // v15+ ReplicaState.ReplicaEpoch (broker epoch; -1 for a voter)
    int32_t max_wait_ms = 0;
    int32_t min_bytes = 0;
    int32_t max_bytes = 8 << 20;
    int8_t isolation_level = 0;
    int32_t session_id = 0;
    int32_t session_epoch = -1;         // -1: no fetch session (a replica does not use them)
    std::string topic{kMetadataTopic};  // v12 by name
    Uuid topic_id = kMetadataTopicId;   // v13+ by id
    int32_t partition = 0;
    int32_t current_leader_epoch = 0;
    int64_t fetch_offset = 0;
    int32_t last_fetched_epoch = 0;  // the epoch of the record at fetch_offset - 1
    int64_t log_start_offset = -1;
    int32_t partition_max_bytes = 1 << 20;
    std::string rack_id;
    bool operator==(const ReplicaFetchRequestData&) const = default;
};
// {epoch, end offset}: "epoch E covers the log below end offset O". As DivergingEpoch it tells a
// follower the last point its log and the leader's agree; as SnapshotId it names a snapshot by
// the log position it summarises.
struct EpochEndOffset {
    int32_t epoch = -1;
    int64_t end_offset = -1;
    bool operator==(const EpochEndOffset&) const = default;
};
struct ReplicaFetchResponseData {
    int32_t throttle_time_ms = 0;
    int16_t error_code = 0;
    int32_t session_id = 0;
    std::string topic{kMetadataTopic};
    Uuid topic_id = kMetadataTopicId;
    int32_t partition = 0;
    int16_t partition_error = 0;
    int64_t high_watermark = -1;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;
    std::optional<EpochEndOffset> diverging_epoch;  // tagged 0: "truncate to here, then refetch"
    int32_t leader_id = -1;                         // tagged 1, CurrentLeader
    int32_t leader_epoch = -1;
    std::optional<EpochEndOffset> snapshot_id;  // tagged 2: {epoch, end offset} of the snapshot to fetch
    int32_t preferred_read_replica = -1;
    std::string records;  // record batches, as in any Fetch
    bool operator==(const ReplicaFetchResponseData&) const = default;
};

// Decoders read the body after the request header (or the response header) and return false on
// bytes that do not decode (short, lying lengths, or not exactly one partition). Encoders append
// the body.
bool decode_vote_request(KafkaReader& in, int16_t version, VoteRequestData& out);
void encode_vote_request(KafkaWriter& out, int16_t version, const VoteRequestData& request);
bool decode_vote_response(KafkaReader& in, int16_t version, VoteResponseData& out);
void encode_vote_response(KafkaWriter& out, int16_t version, const VoteResponseData& response);

bool decode_begin_quorum_epoch_request(KafkaReader& in, int16_t version, BeginQuorumEpochRequestData& out);
void encode_begin_quorum_epoch_request(KafkaWriter& out, int16_t version, const BeginQuorumEpochRequestData& request);
bool decode_end_quorum_epoch_request(KafkaReader& in, int16_t version, EndQuorumEpochRequestData& out);
void encode_end_quorum_epoch_request(KafkaWriter& out, int16_t version, const EndQuorumEpochRequestData& request);
bool decode_quorum_epoch_response(KafkaReader& in, int16_t version, QuorumEpochResponseData& out);
void encode_quorum_epoch_response(KafkaWriter& out, int16_t version, const QuorumEpochResponseData& response);

bool decode_describe_quorum_request(KafkaReader& in, int16_t version, DescribeQuorumRequestData& out);
void encode_describe_quorum_request(KafkaWriter& out, int16_t version, const DescribeQuorumRequestData& request);
bool decode_describe_quorum_response(KafkaReader& in, int16_t version, DescribeQuorumResponseData& out);
void encode_describe_quorum_response(KafkaWriter& out, int16_t version, const DescribeQuorumResponseData& response);

bool decode_fetch_snapshot_request(KafkaReader& in, int16_t version, FetchSnapshotRequestData& out);
void encode_fetch_snapshot_request(KafkaWriter& out, int16_t version, const FetchSnapshotRequestData& request);
bool decode_fetch_snapshot_response(KafkaReader& in, int16_t version, FetchSnapshotResponseData& out);
void encode_fetch_snapshot_response(KafkaWriter& out, int16_t version, const FetchSnapshotResponseData& response);

bool decode_replica_fetch_request(KafkaReader& in, int16_t version, ReplicaFetchRequestData& out);
void encode_replica_fetch_request(KafkaWriter& out, int16_t version, const ReplicaFetchRequestData& request);
bool decode_replica_fetch_response(KafkaReader& in, int16_t version, ReplicaFetchResponseData& out);
void encode_replica_fetch_response(KafkaWriter& out, int16_t version, const ReplicaFetchResponseData& response);

// The record batch that carries one quorum log entry (magic 2, one record, CRC32C): base offset,
// the leader epoch that wrote it in PartitionLeaderEpoch, the control bit for a control record
// (then the record key is {version 0, type}: 2 = LeaderChange). Kafka packs many records per batch;
// one per entry keeps the mapping entry <-> batch obvious.
struct QuorumRecord {
    int64_t offset = 0;
    int32_t epoch = 0;
    bool control = false;
    std::string value;
    bool operator==(const QuorumRecord&) const = default;
};
void append_quorum_record_batch(std::string& out, const QuorumRecord& record, int64_t timestamp_ms);
// Parses batches written by append_quorum_record_batch; false on a bad length, magic or CRC.
bool parse_quorum_record_batches(std::string_view bytes, std::vector<QuorumRecord>& out);

}  // namespace minikafka
