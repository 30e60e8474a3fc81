// minikafka/raft/messages.hpp
//
// CONCEPT: the messages a KRaft controller quorum exchanges, as plain structs. Kafka's metadata
// quorum (KIP-595) is Raft, but spoken with Kafka's own RPCs, and each struct here is named after
// the Kafka API it stands for, so a later step can put it on the wire with the minikafka codec:
//
//   API (key)              who -> whom              what for
//   Vote (52)              candidate -> voters      "elect me for epoch E; my log ends at (epoch, offset)"
//   BeginQuorumEpoch (53)  new leader -> voters     "I won epoch E: start fetching from me"
//   EndQuorumEpoch (54)    resigning leader -> all  "I step down from E: elect someone (these first)"
//   Fetch (1)              follower -> leader       "I have your log up to offset O (last epoch e);
//                                                    send what follows" - replication AND heartbeat
//   FetchSnapshot (59)     follower -> leader       "your log starts after my end: send the snapshot"
//   DescribeQuorum (55)    admin -> leader          leader, epoch, high watermark, each voter's progress
//
// The one difference from textbook Raft that shapes everything: followers PULL. There is no
// AppendEntries pushed by the leader; a follower's Fetch both asks for records and tells the leader
// how far the follower's durable log goes (that is how the leader learns what a majority holds), and
// a leader that stops receiving Fetches from a majority knows it has lost its quorum.
//
//   follower                                      leader (epoch 7, log end 12, high watermark 10)
//     | Fetch{offset 9, last_fetched_epoch 5} ---->  | is (offset 9, epoch 5) on my log?
//     |                                              |   yes: records 9..11, high watermark 10
//     | <---- FetchResponse{records, hw 10}          |   no:  diverging_epoch {5, end 8}:
//     |                                              |        "truncate to 8, then ask again"
//
// Each request struct carries its Kafka ApiKey (kApiKey), the number a codec writes in the header.
// Every field that Kafka's schema has and this sketch needs keeps Kafka's name (in snake_case);
// fields Kafka has that a single-partition, fixed-voter quorum does not need (topic names,
// partition indexes, cluster id, directory ids, replica keys, tagged fields) are left out.
// REAL KAFKA: requests and responses are separate frames matched by correlation id on a
// connection; here an Envelope carries either, and only Fetch uses a correlation id (to drop a
// stale or duplicated answer).
// READ NEXT: log.hpp - the replicated log these messages read and repair.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace minikafka::raft {

// The error codes a quorum member answers with - Kafka's own numbers (the same values as
// ErrorCode in minikafka/protocol/api_keys.hpp, repeated here so this library stands alone).
enum class RaftError : int16_t {
    None = 0,
    NotLeaderOrFollower = 6,  // I am not the leader of the epoch you named (maybe I know who is)
    FencedLeaderEpoch = 74,   // your epoch is older than mine: you missed an election
    UnknownLeaderEpoch = 75,  // your epoch is newer than mine: I missed an election
    InvalidRequest = 42,      // a field no correct peer sends (a negative offset, a non-voter's claim)
};

// What kind of record a log entry holds. Kafka marks control records with a bit in the record
// batch attributes; the LeaderChange control record (type 2 in Kafka) is what a new leader writes
// at the start of its epoch. Control records are replicated and committed like any other, but
// never handed to the state machine.
enum class EntryKind : uint8_t { Data = 0, LeaderChange = 1 };

// One record of the replicated log. Its offset is its position in the log, so it is not stored.
// `epoch` is the leader epoch that appended it (Raft's "term" of the entry): together
// (offset, epoch) name an entry uniquely across every replica - the basis of log matching.
struct LogEntry {
    int32_t epoch = 0;
    EntryKind kind = EntryKind::Data;
    std::string record;  // opaque bytes: the state machine knows what they mean

    bool operator==(const LogEntry&) const = default;
};

// A position on a log named by its offset and the epoch of the entry just before it.
// Kafka's OffsetAndEpoch: used for "my log ends here" (Vote), for a snapshot's id, and for a
// diverging epoch ("the epoch you and I last agree on ends at this offset").
struct OffsetAndEpoch {
    int64_t offset = 0;
    int32_t epoch = 0;
    bool operator==(const OffsetAndEpoch&) const = default;
};

// ---- Vote (API 52) --------------------------------------------------------------------------
struct VoteRequest {
    static constexpr int16_t kApiKey = 52;
    int32_t candidate_epoch = 0;
    int32_t candidate_id = -1;
    int32_t last_offset_epoch = 0;  // the epoch of the candidate's last log entry
    int64_t last_offset = 0;        // the candidate's log end offset
};
struct VoteResponse {
    RaftError error = RaftError::None;
    int32_t leader_epoch = 0;  // the voter's epoch after handling the request
    int32_t leader_id = -1;    // the leader the voter knows for that epoch, -1 if none
    bool vote_granted = false;
};

// ---- BeginQuorumEpoch (API 53) --------------------------------------------------------------
struct BeginQuorumEpochRequest {
    static constexpr int16_t kApiKey = 53;
    int32_t leader_epoch = 0;
    int32_t leader_id = -1;
};
struct BeginQuorumEpochResponse {
    RaftError error = RaftError::None;
    int32_t leader_epoch = 0;
    int32_t leader_id = -1;
};

// ---- EndQuorumEpoch (API 54) ----------------------------------------------------------------
struct EndQuorumEpochRequest {
    static constexpr int16_t kApiKey = 54;
    int32_t leader_epoch = 0;
    int32_t leader_id = -1;
    // Voters ordered by how far their logs reach, best first: the ones most likely to win
    // stand for election first (Kafka's PreferredSuccessors).
    std::vector<int32_t> preferred_successors;
};
struct EndQuorumEpochResponse {
    RaftError error = RaftError::None;
    int32_t leader_epoch = 0;
    int32_t leader_id = -1;
};

// ---- Fetch (API 1, the same API consumers use; replica_id >= 0 marks a follower) -------------
struct FetchRequest {
    static constexpr int16_t kApiKey = 1;
    int32_t correlation_id = 0;  // matches the answer to this request (a header field in Kafka)
    int32_t replica_id = -1;
    int32_t current_leader_epoch = 0;  // the epoch the follower believes in
    int64_t fetch_offset = 0;          // the follower's (durable) log end offset
    int32_t last_fetched_epoch = 0;    // the epoch of the entry at fetch_offset - 1
    int32_t max_wait_ms = 0;           // the long poll: the leader may hold the answer this long
                                       // for news (Kafka's MaxWaitMs; 0: answer at once)
};
struct FetchResponse {
    int32_t correlation_id = 0;
    RaftError error = RaftError::None;
    int32_t leader_epoch = 0;  // Kafka's CurrentLeader {LeaderEpoch, LeaderId}
    int32_t leader_id = -1;
    int64_t high_watermark = -1;  // -1: not known yet (a new leader before its first commit)
    int64_t log_start_offset = 0;
    // Exactly one of the three answers below, or none (nothing new):
    int64_t base_offset = 0;  // the offset of records[0]
    std::vector<LogEntry> records;
    std::optional<OffsetAndEpoch> diverging_epoch;  // {epoch, end_offset}: truncate, then refetch
    std::optional<OffsetAndEpoch> snapshot_id;      // fetch_offset is below my log start: FetchSnapshot
};

// ---- FetchSnapshot (API 59) -----------------------------------------------------------------
// Kafka sends a snapshot in chunks (Position, UnalignedRecords); ours is small and goes whole.
struct FetchSnapshotRequest {
    static constexpr int16_t kApiKey = 59;
    int32_t replica_id = -1;
    int32_t current_leader_epoch = 0;
    OffsetAndEpoch snapshot_id;
};
struct FetchSnapshotResponse {
    RaftError error = RaftError::None;
    int32_t leader_epoch = 0;
    int32_t leader_id = -1;
    OffsetAndEpoch snapshot_id;
    std::string snapshot;  // the state machine's bytes as of snapshot_id.offset
};

// ---- DescribeQuorum (API 55): introspection, answered from the replica's own state ----------
struct ReplicaProgress {
    int32_t replica_id = -1;
    int64_t log_end_offset = -1;        // as the leader last heard it (-1: never fetched)
    int64_t last_fetch_timestamp = -1;  // ms, the replica's clock
    int64_t last_caught_up_timestamp = -1;
};
struct DescribeQuorumResponse {
    static constexpr int16_t kApiKey = 55;
    RaftError error = RaftError::None;
    int32_t leader_id = -1;
    int32_t leader_epoch = 0;
    int64_t high_watermark = -1;
    std::vector<ReplicaProgress> current_voters;  // filled only by the leader
};

// An addressed message: what a replica puts in its outbox and what the caller hands to
// handle() on the receiving side. The transport (a simulation, later sockets) only moves them.
using Message =
    std::variant<VoteRequest, VoteResponse, BeginQuorumEpochRequest, BeginQuorumEpochResponse, EndQuorumEpochRequest,
                 EndQuorumEpochResponse, FetchRequest, FetchResponse, FetchSnapshotRequest, FetchSnapshotResponse>;
struct Envelope {
    int32_t from = -1;
    int32_t to = -1;
    Message message;
};

// "Vote", "FetchResponse", ... - for traces and failure histories.
const char* message_name(const Message& message);

}  // namespace minikafka::raft
