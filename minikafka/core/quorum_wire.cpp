// minikafka/core/quorum_wire.cpp - raft structs <-> Kafka wire structs, one pair per API.
//
// CONCEPT: the seam between the Raft library and Kafka's wire (quorum_wire.hpp). raft/ is kept
// free of Kafka's encodings so that the simulation tests can drive it with plain structs; the
// KRaft voters still speak real Kafka APIs (Vote, BeginQuorumEpoch, Fetch, FetchSnapshot...) to
// each other, so Kafka's own tools can look at our quorum.
//
//   raft::VoteRequest ◀──▶ VoteRequestData (protocol/quorum.hpp) ◀──▶ bytes
//
// The translation is deliberately lossy in both directions. Raft needs few fields (epochs, ids,
// offsets); Kafka's messages carry many more (cluster id, byte limits, fetch sessions, racks).
// Outbound, the extra fields get the values a Kafka voter would send; inbound, they have been
// checked for shape by the decoder and are dropped here. Which version we send is decided here
// too, never in raft/ (docs/minikafka/05-replication-and-the-controller.md, "The controller on the
// wire").
// READ NEXT: handlers/quorum.cpp (inbound), minikafka/controller_link.cpp (outbound).
#include "quorum_wire.hpp"

#include <algorithm>
#include <chrono>

#include "byte_buffer.hpp"
#include "protocol/quorum.hpp"

namespace minikafka {

namespace {

// The Fetch version a follower sends: v13, the first that names the topic by id (the fixed
// metadata topic id, quorum.hpp). v14 only adds an error for tiered storage and v15 moves the
// replica id into a tagged ReplicaState - nothing Raft reads. As leader we accept 12 to 15.
constexpr int16_t kFetchVersion = 13;

template <typename... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// A quorum request about any other log than __cluster_metadata-0 is not ours to answer.
template <typename Request>
bool ours(const Request& r) {
    return r.topic == kMetadataTopic && r.partition == 0;
}

int16_t code(raft::RaftError e) { return static_cast<int16_t>(e); }
raft::RaftError raft_error(int16_t e) { return static_cast<raft::RaftError>(e); }

// Record timestamps are wall-clock milliseconds, as in any Kafka record (CreateTime): a tool that
// dumps the metadata log shows when each change was made. Raft's own timers never see this clock.
int64_t wall_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The entries of a FetchResponse as record batches, one per entry: offset = base + i, the entry's
// epoch as PartitionLeaderEpoch (that is how a Kafka follower learns the epoch of each record,
// and what its leader-epoch cache is built from), LeaderChange as a control batch.
std::string records_of(const raft::FetchResponse& r) {
    std::string out;
    const int64_t now = wall_ms();
    for (size_t i = 0; i < r.records.size(); ++i) {
        const raft::LogEntry& e = r.records[i];
        append_quorum_record_batch(
            out, {r.base_offset + static_cast<int64_t>(i), e.epoch, e.kind == raft::EntryKind::LeaderChange, e.record},
            now);
    }
    return out;
}

}  // namespace

// Requests go out on our own links; answers go back on the connection the request came in on.
bool is_request(const raft::Message& m) {
    return std::holds_alternative<raft::VoteRequest>(m) || std::holds_alternative<raft::BeginQuorumEpochRequest>(m) ||
           std::holds_alternative<raft::EndQuorumEpochRequest>(m) || std::holds_alternative<raft::FetchRequest>(m) ||
           std::holds_alternative<raft::FetchSnapshotRequest>(m);
}

// Who sent a request, as the request itself says (core/controller.cpp explains why that is all a
// Kafka connection offers). Answers carry no sender; their link knows it.
int32_t sender_of(const raft::Message& m) {
    return std::visit(Overloaded{
                          [](const raft::VoteRequest& r) { return r.candidate_id; },
                          [](const raft::BeginQuorumEpochRequest& r) { return r.leader_id; },
                          [](const raft::EndQuorumEpochRequest& r) { return r.leader_id; },
                          [](const raft::FetchRequest& r) { return r.replica_id; },
                          [](const raft::FetchSnapshotRequest& r) { return r.replica_id; },
                          [](const auto&) { return -1; },
                      },
                      m);
}

// Outbound. Every request names the cluster id (Kafka checks it on the receiving side, so that a
// voter from another cluster cannot join an election) and the one metadata partition.
WireRequest to_wire_request(const raft::Message& m, const std::string& cluster_id) {
    WireRequest w;
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    std::visit(Overloaded{
                   [&](const raft::VoteRequest& r) {
                       w.key = ApiKey::Vote;
                       w.version = kVoteVersion;
                       VoteRequestData d;
                       d.cluster_id = cluster_id;
                       d.candidate_epoch = r.candidate_epoch;
                       d.candidate_id = r.candidate_id;
                       d.last_offset_epoch = r.last_offset_epoch;
                       d.last_offset = r.last_offset;
                       encode_vote_request(out, w.version, d);
                   },
                   [&](const raft::BeginQuorumEpochRequest& r) {
                       w.key = ApiKey::BeginQuorumEpoch;
                       w.version = kBeginQuorumEpochVersion;
                       BeginQuorumEpochRequestData d;
                       d.cluster_id = cluster_id;
                       d.leader_id = r.leader_id;
                       d.leader_epoch = r.leader_epoch;
                       encode_begin_quorum_epoch_request(out, w.version, d);
                   },
                   [&](const raft::EndQuorumEpochRequest& r) {
                       w.key = ApiKey::EndQuorumEpoch;
                       w.version = kEndQuorumEpochVersion;
                       EndQuorumEpochRequestData d;
                       d.cluster_id = cluster_id;
                       d.leader_id = r.leader_id;
                       d.leader_epoch = r.leader_epoch;
                       d.preferred_successors = r.preferred_successors;
                       encode_end_quorum_epoch_request(out, w.version, d);
                   },
                   // Only the four fields Raft fills; the rest keep their defaults: max_wait_ms 0
                   // (Raft's handlers answer at once, the follower paces itself with its fetch
                   // interval), no fetch session, read_uncommitted.
                   [&](const raft::FetchRequest& r) {
                       w.key = ApiKey::Fetch;
                       w.version = kFetchVersion;
                       ReplicaFetchRequestData d;
                       d.cluster_id = cluster_id;
                       d.replica_id = r.replica_id;
                       d.current_leader_epoch = r.current_leader_epoch;
                       d.fetch_offset = r.fetch_offset;
                       d.last_fetched_epoch = r.last_fetched_epoch;
                       d.max_wait_ms = r.max_wait_ms;  // the long poll
                       encode_replica_fetch_request(out, w.version, d);
                   },
                   [&](const raft::FetchSnapshotRequest& r) {
                       w.key = ApiKey::FetchSnapshot;
                       w.version = kFetchSnapshotVersion;
                       FetchSnapshotRequestData d;
                       d.cluster_id = cluster_id;
                       d.replica_id = r.replica_id;
                       d.current_leader_epoch = r.current_leader_epoch;
                       d.snapshot_end_offset = r.snapshot_id.offset;
                       d.snapshot_epoch = r.snapshot_id.epoch;
                       encode_fetch_snapshot_request(out, w.version, d);
                   },
                   [&](const auto&) {},  // responses are never sent as requests
               },
               m);
    w.body = std::string(buffer.readable());
    return w;
}

// Answers. The quorum fields sit in the *partition* part of each response: the top-level error
// code is about the request as a whole (a malformed one), the partition's is the Raft answer
// (FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER ...). A Fetch's records are checked batch by
// batch (CRC, contiguous offsets): a follower must not append a log it cannot trust.
std::optional<raft::Message> from_wire_response(ApiKey key, int16_t version, KafkaReader& in,
                                                int32_t raft_correlation_id) {
    switch (key) {
        case ApiKey::Vote: {
            VoteResponseData d;
            if (!decode_vote_response(in, version, d)) return std::nullopt;
            return raft::VoteResponse{raft_error(d.partition_error), d.leader_epoch, d.leader_id, d.vote_granted};
        }
        case ApiKey::BeginQuorumEpoch: {
            QuorumEpochResponseData d;
            if (!decode_quorum_epoch_response(in, version, d)) return std::nullopt;
            return raft::BeginQuorumEpochResponse{raft_error(d.partition_error), d.leader_epoch, d.leader_id};
        }
        case ApiKey::EndQuorumEpoch: {
            QuorumEpochResponseData d;
            if (!decode_quorum_epoch_response(in, version, d)) return std::nullopt;
            return raft::EndQuorumEpochResponse{raft_error(d.partition_error), d.leader_epoch, d.leader_id};
        }
        case ApiKey::Fetch: {
            ReplicaFetchResponseData d;
            if (!decode_replica_fetch_response(in, version, d)) return std::nullopt;
            raft::FetchResponse r;
            r.correlation_id = raft_correlation_id;
            r.error = raft_error(d.partition_error);
            r.leader_epoch = d.leader_epoch;
            r.leader_id = d.leader_id;
            r.high_watermark = d.high_watermark;
            r.log_start_offset = d.log_start_offset;
            if (d.diverging_epoch)
                r.diverging_epoch = raft::OffsetAndEpoch{d.diverging_epoch->end_offset, d.diverging_epoch->epoch};
            if (d.snapshot_id) r.snapshot_id = raft::OffsetAndEpoch{d.snapshot_id->end_offset, d.snapshot_id->epoch};
            // All or nothing: one bad batch refuses the whole answer, and Raft fetches again from
            // the same offset - a follower's log must stay a prefix of the leader's, so it may
            // skip nothing (section "Raft in one page" of the replication chapter).
            std::vector<QuorumRecord> records;
            if (!parse_quorum_record_batches(d.records, records)) return std::nullopt;
            if (!records.empty()) r.base_offset = records.front().offset;
            for (size_t i = 0; i < records.size(); ++i) {
                if (records[i].offset != r.base_offset + static_cast<int64_t>(i)) return std::nullopt;  // a gap
                r.records.push_back(raft::LogEntry{
                    records[i].epoch, records[i].control ? raft::EntryKind::LeaderChange : raft::EntryKind::Data,
                    std::move(records[i].value)});
            }
            return r;
        }
        case ApiKey::FetchSnapshot: {
            FetchSnapshotResponseData d;
            if (!decode_fetch_snapshot_response(in, version, d)) return std::nullopt;
            return raft::FetchSnapshotResponse{raft_error(d.partition_error), d.leader_epoch, d.leader_id,
                                               raft::OffsetAndEpoch{d.snapshot_end_offset, d.snapshot_epoch},
                                               std::move(d.bytes)};
        }
        default:
            return std::nullopt;
    }
}

WireRequest to_wire_request(const BrokerRequest& request) {
    WireRequest w;
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    if (const auto* registration = std::get_if<BrokerRegistrationRequestData>(&request)) {
        w.key = ApiKey::BrokerRegistration;
        w.version = kBrokerRegistrationVersion;
        encode_broker_registration_request(out, w.version, *registration);
    } else {
        w.key = ApiKey::BrokerHeartbeat;
        w.version = kBrokerHeartbeatVersion;
        encode_broker_heartbeat_request(out, w.version, std::get<BrokerHeartbeatRequestData>(request));
    }
    w.body = std::string(buffer.readable());
    return w;
}

std::optional<BrokerResponse> broker_response_from_wire(ApiKey key, int16_t version, KafkaReader& in) {
    if (key == ApiKey::BrokerRegistration) {
        BrokerRegistrationResponseData d;
        if (decode_broker_registration_response(in, version, d)) return d;
    } else if (key == ApiKey::BrokerHeartbeat) {
        BrokerHeartbeatResponseData d;
        if (decode_broker_heartbeat_response(in, version, d)) return d;
    }
    return std::nullopt;
}

// Inbound requests: only the fields Raft needs survive into the raft structs; the rest (cluster
// id, max bytes, session ids, rack) has been read and checked for shape by the decoder.
std::optional<raft::Message> from_wire_request(ApiKey key, int16_t version, KafkaReader& in) {
    switch (key) {
        case ApiKey::Vote: {
            VoteRequestData d;
            if (!decode_vote_request(in, version, d) || !ours(d)) return std::nullopt;
            return raft::VoteRequest{d.candidate_epoch, d.candidate_id, d.last_offset_epoch, d.last_offset};
        }
        case ApiKey::BeginQuorumEpoch: {
            BeginQuorumEpochRequestData d;
            if (!decode_begin_quorum_epoch_request(in, version, d) || !ours(d)) return std::nullopt;
            return raft::BeginQuorumEpochRequest{d.leader_epoch, d.leader_id};
        }
        case ApiKey::EndQuorumEpoch: {
            EndQuorumEpochRequestData d;
            if (!decode_end_quorum_epoch_request(in, version, d) || !ours(d)) return std::nullopt;
            return raft::EndQuorumEpochRequest{d.leader_epoch, d.leader_id, d.preferred_successors};
        }
        case ApiKey::Fetch: {
            ReplicaFetchRequestData d;
            if (!decode_replica_fetch_request(in, version, d) || d.partition != 0) return std::nullopt;
            if (version >= 13 ? d.topic_id != kMetadataTopicId : d.topic != kMetadataTopic) return std::nullopt;
            raft::FetchRequest r;
            r.replica_id = d.replica_id;
            r.current_leader_epoch = d.current_leader_epoch;
            r.fetch_offset = d.fetch_offset;
            r.last_fetched_epoch = d.last_fetched_epoch;
            r.max_wait_ms = std::max<int32_t>(0, d.max_wait_ms);  // the leader caps it (replica.cpp)
            return r;
        }
        case ApiKey::FetchSnapshot: {
            FetchSnapshotRequestData d;
            if (!decode_fetch_snapshot_request(in, version, d) || !ours(d)) return std::nullopt;
            return raft::FetchSnapshotRequest{d.replica_id, d.current_leader_epoch,
                                              raft::OffsetAndEpoch{d.snapshot_end_offset, d.snapshot_epoch}};
        }
        default:
            return std::nullopt;
    }
}

// The replica's answer, in the version the request came in. A follower's Fetch gets the high
// watermark as the last stable offset too: the metadata log has no transactions.
void to_wire_response(KafkaWriter& out, ApiKey key, int16_t version, const raft::Message& m) {
    std::visit(
        Overloaded{
            [&](const raft::VoteResponse& r) {
                VoteResponseData d;
                d.partition_error = code(r.error);
                d.leader_id = r.leader_id;
                d.leader_epoch = r.leader_epoch;
                d.vote_granted = r.vote_granted;
                encode_vote_response(out, version, d);
            },
            [&](const raft::BeginQuorumEpochResponse& r) {
                encode_quorum_epoch_response(
                    out, version, {0, std::string(kMetadataTopic), 0, code(r.error), r.leader_id, r.leader_epoch});
            },
            [&](const raft::EndQuorumEpochResponse& r) {
                encode_quorum_epoch_response(
                    out, version, {0, std::string(kMetadataTopic), 0, code(r.error), r.leader_id, r.leader_epoch});
            },
            [&](const raft::FetchResponse& r) {
                ReplicaFetchResponseData d;
                d.partition_error = code(r.error);
                d.high_watermark = r.high_watermark;
                d.last_stable_offset = r.high_watermark;
                d.log_start_offset = r.log_start_offset;
                d.leader_id = r.leader_id;
                d.leader_epoch = r.leader_epoch;
                if (r.diverging_epoch)
                    d.diverging_epoch = EpochEndOffset{r.diverging_epoch->epoch, r.diverging_epoch->offset};
                if (r.snapshot_id) d.snapshot_id = EpochEndOffset{r.snapshot_id->epoch, r.snapshot_id->offset};
                d.records = records_of(r);
                encode_replica_fetch_response(out, version, d);
            },
            [&](const raft::FetchSnapshotResponse& r) {
                FetchSnapshotResponseData d;
                d.partition_error = code(r.error);
                d.leader_id = r.leader_id;
                d.leader_epoch = r.leader_epoch;
                d.snapshot_end_offset = r.snapshot_id.offset;
                d.snapshot_epoch = r.snapshot_id.epoch;
                d.size = static_cast<int64_t>(r.snapshot.size());
                d.bytes = r.snapshot;
                encode_fetch_snapshot_response(out, version, d);
            },
            [&](const auto&) { to_wire_error_response(out, key, version, code(raft::RaftError::InvalidRequest)); },
        },
        m);
}

// A request the quorum cannot take (this node is no voter, or the replica refused it) still gets
// an answer of its own API with the error in the partition: a Kafka connection answers every
// request, in order, and the asking voter's link matches answers to requests by that order.
void to_wire_error_response(KafkaWriter& out, ApiKey key, int16_t version, int16_t error) {
    switch (key) {
        case ApiKey::Vote: {
            VoteResponseData d;
            d.partition_error = error;
            return encode_vote_response(out, version, d);
        }
        case ApiKey::BeginQuorumEpoch:
        case ApiKey::EndQuorumEpoch: {
            QuorumEpochResponseData d;
            d.partition_error = error;
            return encode_quorum_epoch_response(out, version, d);
        }
        case ApiKey::Fetch: {
            ReplicaFetchResponseData d;
            d.partition_error = error;
            return encode_replica_fetch_response(out, version, d);
        }
        case ApiKey::FetchSnapshot: {
            FetchSnapshotResponseData d;
            d.partition_error = error;
            return encode_fetch_snapshot_response(out, version, d);
        }
        default:
            return;
    }
}

// A Kafka request frame: size, then the request header (v1, or v2 with tagged fields for a flexible
// version), then the body. The correlation id is the link's own: it pairs the answer with the
// Pending entry that says how to decode it.
std::string encode_request_frame(const WireRequest& request, int32_t correlation_id, std::string_view client_id) {
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    out.i32(0);  // size, patched below
    out.i16(static_cast<int16_t>(request.key));
    out.i16(request.version);
    out.i32(correlation_id);
    out.string(client_id);  // request header v1/v2: the client id keeps its INT16 length
    if (request.version >= first_flexible_version(request.key)) out.empty_tagged_fields();
    out.bytes(request.body);
    out.patch_u32(0, static_cast<uint32_t>(buffer.size() - 4));
    return std::string(buffer.readable());
}

}  // namespace minikafka
