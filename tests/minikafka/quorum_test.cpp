// The controller quorum's pieces below the sockets: Kafka's wire for the KRaft RPCs (round trips
// and byte vectors worked out by hand from the message schemas), the metadata records, the
// record batch that carries quorum entries, the metadata log file (durability, torn tail,
// corruption, snapshots), and the metadata image rebuilt from a snapshot.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "byte_buffer.hpp"
#include "core/controller.hpp"
#include "core/metadata_image.hpp"
#include "core/quorum_wire.hpp"
#include "protocol/broker_registration.hpp"
#include "protocol/metadata_records.hpp"
#include "protocol/quorum.hpp"
#include "raft/file_log.hpp"

namespace minikafka {
namespace {

using namespace std::string_literals;

const std::string kTopic = "__cluster_metadata";

std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

template <typename Encode>
std::string encoded(Encode encode) {
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    encode(out);
    return std::string(buffer.readable());
}

// Encode, decode, compare, and check that every strict prefix of the bytes fails to decode.
template <typename T, typename Enc, typename Dec>
void round_trip(const T& value, int16_t version, Enc encode, Dec decode) {
    const std::string bytes = encoded([&](KafkaWriter& out) { encode(out, version, value); });
    KafkaReader in(bytes);
    T back;
    ASSERT_TRUE(decode(in, version, back));
    EXPECT_TRUE(in.at_end());
    EXPECT_EQ(back, value);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        KafkaReader shorter(std::string_view(bytes).substr(0, cut));
        T ignored;
        EXPECT_FALSE(decode(shorter, version, ignored) && shorter.at_end()) << "prefix of " << cut << " bytes";
    }
}

// ---- byte vectors, from the schemas -------------------------------------------------------------

TEST(QuorumWire, VoteRequestV0IsFlexibleWithOneTopicAndPartition) {
    VoteRequestData r;
    r.cluster_id = "c";
    r.candidate_epoch = 5;
    r.candidate_id = 2;
    r.last_offset_epoch = 4;
    r.last_offset = 17;
    const std::string bytes = encoded([&](KafkaWriter& out) { encode_vote_request(out, 0, r); });
    const std::string expected =
        "0263"  // ClusterId: compact string "c"
        "02"    // Topics: 1 (compact: n + 1)
        "13" +
        hex(kTopic) +       // TopicName: 18 bytes
        "02"                // Partitions: 1
        "00000000"          // PartitionIndex
        "00000005"          // CandidateEpoch
        "00000002"          // CandidateId
        "00000004"          // LastOffsetEpoch
        "0000000000000011"  // LastOffset
        "00"
        "00"
        "00";  // tagged fields: partition, topic, request
    EXPECT_EQ(hex(bytes), expected);
}

TEST(QuorumWire, BeginQuorumEpochRequestV0IsNotFlexible) {
    BeginQuorumEpochRequestData r;
    r.leader_id = 1;
    r.leader_epoch = 3;
    const std::string bytes = encoded([&](KafkaWriter& out) { encode_begin_quorum_epoch_request(out, 0, r); });
    EXPECT_EQ(hex(bytes),
              "ffff"      // ClusterId: null (INT16 -1)
              "00000001"  // Topics: 1 (INT32)
              "0012" +
                  hex(kTopic) +  // TopicName (INT16 length)
                  "00000001"     // Partitions: 1
                  "00000000"
                  "00000001"
                  "00000003");  // index, LeaderId, LeaderEpoch
}

TEST(QuorumWire, FetchResponseV13CarriesDivergingEpochAndLeaderAsTaggedFields) {
    ReplicaFetchResponseData r;
    r.high_watermark = 10;
    r.last_stable_offset = 10;
    r.log_start_offset = 0;
    r.diverging_epoch = EpochEndOffset{2, 5};
    r.leader_id = 1;
    r.leader_epoch = 7;
    const std::string bytes = encoded([&](KafkaWriter& out) { encode_replica_fetch_response(out, 13, r); });
    EXPECT_EQ(hex(bytes),
              "00000000"
              "0000"
              "00000000"  // throttle, error, session id
              "02"
              "00000000000000000000000000000001"  // Responses: 1; TopicId of __cluster_metadata
              "02"
              "00000000"
              "0000"  // Partitions: 1; index, error
              "000000000000000a"
              "000000000000000a"
              "0000000000000000"  // HW, LSO, log start
              "00"                // AbortedTransactions: null
              "ffffffff"          // PreferredReadReplica
              "01"                // Records: empty
              "02"                // two tagged fields:
              "00"
              "0d"
              "00000002"
              "0000000000000005"
              "00"  //  0 DivergingEpoch {2, 5}
              "01"
              "09"
              "00000001"
              "00000007"
              "00"  //  1 CurrentLeader {1, 7}
              "00"
              "00");  // topic, response tags
}

TEST(QuorumWire, FetchRequestV15NamesTheReplicaInATaggedReplicaState) {
    ReplicaFetchRequestData r;
    r.replica_id = 3;
    r.fetch_offset = 8;
    r.last_fetched_epoch = 2;
    r.current_leader_epoch = 4;
    const std::string v14 = encoded([&](KafkaWriter& out) { encode_replica_fetch_request(out, 14, r); });
    const std::string v15 = encoded([&](KafkaWriter& out) { encode_replica_fetch_request(out, 15, r); });
    EXPECT_EQ(hex(v14.substr(0, 4)), "00000003");  // v14: ReplicaId is the first field
    EXPECT_EQ(hex(v15.substr(0, 4)), "00000000");  // v15: MaxWaitMs comes first
    // ... and the replica is the tagged field 1 at the end: {ReplicaId 3, ReplicaEpoch -1}.
    EXPECT_EQ(hex(v15.substr(v15.size() - 16)),
              "01"
              "01"
              "0d"
              "00000003"
              "ffffffffffffffff"
              "00");
    ReplicaFetchRequestData back;
    KafkaReader in(v15);
    ASSERT_TRUE(decode_replica_fetch_request(in, 15, back));
    EXPECT_EQ(back.replica_id, 3);
}

TEST(QuorumWire, MetadataRecordsAreFramedAsKafkaFramesThem) {
    // frame version 1, type 7 (FenceBrokerRecord), version 0, Id, Epoch, no tags
    EXPECT_EQ(hex(encode_metadata_record(FenceBrokerRecord{3, 42})),
              "010700"
              "00000003"
              "000000000000002a"
              "00");
    // PartitionChangeRecord writes only what changed, as tagged fields: here just the leader (tag 1).
    PartitionChangeRecord change;
    change.partition_id = 0;
    change.topic_id = kMetadataTopicId;
    change.leader = 2;
    EXPECT_EQ(hex(encode_metadata_record(change)),
              "010500"
              "00000000"
              "00000000000000000000000000000001"
              "01"
              "01"
              "04"
              "00000002");
}

// ---- round trips ----------------------------------------------------------------------------------

TEST(QuorumWire, EveryRequestAndResponseRoundTrips) {
    VoteRequestData vote{"cluster"s, kTopic, 0, 9, 3, 8, 120};
    round_trip(vote, 0, encode_vote_request, decode_vote_request);
    round_trip(VoteResponseData{0, kTopic, 0, 74, 2, 9, true}, 0, encode_vote_response, decode_vote_response);
    round_trip(BeginQuorumEpochRequestData{"c"s, kTopic, 0, 2, 9}, 0, encode_begin_quorum_epoch_request,
               decode_begin_quorum_epoch_request);
    round_trip(EndQuorumEpochRequestData{std::nullopt, kTopic, 0, 2, 9, {3, 1}}, 0, encode_end_quorum_epoch_request,
               decode_end_quorum_epoch_request);
    round_trip(QuorumEpochResponseData{0, kTopic, 0, 6, -1, 9}, 0, encode_quorum_epoch_response,
               decode_quorum_epoch_response);
    round_trip(DescribeQuorumRequestData{}, 0, encode_describe_quorum_request, decode_describe_quorum_request);
    DescribeQuorumResponseData describe{0, kTopic, 0, 0, 1, 4, 33, {{1, 40, 1000, 1000}, {2, 33, 990, 980}}, {}};
    round_trip(describe, 1, encode_describe_quorum_response, decode_describe_quorum_response);
    DescribeQuorumResponseData v0 = describe;
    for (auto& voter : v0.current_voters) voter.last_fetch_timestamp = voter.last_caught_up_timestamp = -1;
    round_trip(v0, 0, encode_describe_quorum_response, decode_describe_quorum_response);  // no timestamps in v0
    FetchSnapshotRequestData snapshot_request;
    snapshot_request.cluster_id = "c";
    snapshot_request.replica_id = 2;
    snapshot_request.snapshot_end_offset = 100;
    snapshot_request.snapshot_epoch = 3;
    round_trip(snapshot_request, 0, encode_fetch_snapshot_request, decode_fetch_snapshot_request);
    FetchSnapshotResponseData snapshot_response;
    snapshot_response.snapshot_end_offset = 100;
    snapshot_response.snapshot_epoch = 3;
    snapshot_response.leader_id = 1;
    snapshot_response.leader_epoch = 3;
    snapshot_response.size = 5;
    snapshot_response.bytes = "image";
    round_trip(snapshot_response, 0, encode_fetch_snapshot_response, decode_fetch_snapshot_response);
    for (int16_t version = 12; version <= 15; ++version) {
        ReplicaFetchRequestData fetch;
        fetch.cluster_id = "c";
        fetch.replica_id = 2;
        fetch.current_leader_epoch = 5;
        fetch.fetch_offset = 77;
        fetch.last_fetched_epoch = 4;
        round_trip(fetch, version, encode_replica_fetch_request, decode_replica_fetch_request);
        ReplicaFetchResponseData answer;
        answer.high_watermark = 70;
        answer.snapshot_id = EpochEndOffset{3, 60};
        answer.leader_id = 1;
        answer.leader_epoch = 5;
        answer.records = "xyz";
        round_trip(answer, version, encode_replica_fetch_response, decode_replica_fetch_response);
    }
}

TEST(QuorumWire, AReplicaFetchBelowV12IsRefused) {
    const std::string bytes =
        encoded([&](KafkaWriter& out) { encode_replica_fetch_request(out, 12, ReplicaFetchRequestData{}); });
    KafkaReader in(bytes);
    ReplicaFetchRequestData back;
    EXPECT_FALSE(decode_replica_fetch_request(in, 11, back));  // no LastFetchedEpoch: not a Raft fetch
}

TEST(QuorumWire, MoreThanOnePartitionDoesNotDecode) {
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    out.compact_array_length(1);
    out.compact_string(kTopic);
    out.compact_array_length(2);  // two partitions of the metadata topic: there is only one
    out.i32(0);
    out.empty_tagged_fields();
    out.i32(1);
    out.empty_tagged_fields();
    out.empty_tagged_fields();
    out.empty_tagged_fields();
    KafkaReader in(buffer.readable());
    DescribeQuorumRequestData back;
    EXPECT_FALSE(decode_describe_quorum_request(in, 0, back));
}

TEST(QuorumWire, RecordBatchesCarryEpochAndControlBitAndCheckTheirCrc) {
    std::string bytes;
    append_quorum_record_batch(bytes, {7, 3, true, ""}, 1000);
    append_quorum_record_batch(bytes, {8, 3, false, "register"}, 1000);
    std::vector<QuorumRecord> back;
    ASSERT_TRUE(parse_quorum_record_batches(bytes, back));
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0], (QuorumRecord{7, 3, true, ""}));
    EXPECT_EQ(back[1], (QuorumRecord{8, 3, false, "register"}));
    EXPECT_EQ(bytes[16], 2);       // magic
    bytes[bytes.size() - 3] ^= 1;  // flip a bit of the last record's value
    back.clear();
    EXPECT_FALSE(parse_quorum_record_batches(bytes, back));
}

TEST(QuorumWire, RaftMessagesSurviveTheTripThroughKafkasWire) {
    raft::FetchResponse fetch;
    fetch.leader_epoch = 4;
    fetch.leader_id = 1;
    fetch.high_watermark = 12;
    fetch.base_offset = 10;
    fetch.records = {{4, raft::EntryKind::LeaderChange, ""}, {4, raft::EntryKind::Data, "r"}};
    const std::string bytes =
        encoded([&](KafkaWriter& out) { to_wire_response(out, ApiKey::Fetch, 13, raft::Message(fetch)); });
    KafkaReader in(bytes);
    std::optional<raft::Message> back = from_wire_response(ApiKey::Fetch, 13, in, 77);
    ASSERT_TRUE(back);
    const auto& r = std::get<raft::FetchResponse>(*back);
    EXPECT_EQ(r.correlation_id, 77);
    EXPECT_EQ(r.base_offset, 10);
    EXPECT_EQ(r.records, fetch.records);
    EXPECT_EQ(r.high_watermark, 12);
    EXPECT_EQ(r.leader_id, 1);

    raft::VoteRequest vote{6, 2, 5, 30};
    WireRequest wire = to_wire_request(vote, "c");
    EXPECT_EQ(wire.key, ApiKey::Vote);
    KafkaReader request(wire.body);
    std::optional<raft::Message> decoded = from_wire_request(wire.key, wire.version, request);
    ASSERT_TRUE(decoded);
    const auto& v = std::get<raft::VoteRequest>(*decoded);
    EXPECT_EQ(v.candidate_epoch, 6);
    EXPECT_EQ(v.last_offset, 30);
    EXPECT_EQ(sender_of(*decoded), 2);

    // A request about another topic than __cluster_metadata is not a quorum request.
    VoteRequestData other{"c"s, "orders", 0, 6, 2, 5, 30};
    const std::string bytes_other = encoded([&](KafkaWriter& out) { encode_vote_request(out, 0, other); });
    KafkaReader other_in(bytes_other);
    EXPECT_FALSE(from_wire_request(ApiKey::Vote, 0, other_in));
}

// ---- the metadata log on disk -------------------------------------------------------------------

class MetadataLogFile : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ =
            std::filesystem::temp_directory_path() / ("minikafka_quorum_test_" + std::to_string(::getpid()) + "_" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string dir() const { return dir_.string(); }
    std::filesystem::path dir_;
};

TEST_F(MetadataLogFile, OnlyFlushedEntriesSurviveAReopen) {
    {
        raft::FileRaftLog log(dir());
        log.append({1, raft::EntryKind::LeaderChange, ""});
        log.append({1, raft::EntryKind::Data, "a"});
        EXPECT_EQ(log.flushed_end_offset(), 0);
        log.flush();
        EXPECT_EQ(log.flushed_end_offset(), 2);
        log.append({1, raft::EntryKind::Data, "not flushed"});
    }
    raft::FileRaftLog log(dir());
    ASSERT_EQ(log.end_offset(), 2);
    EXPECT_EQ(log.entry(1).record, "a");
    EXPECT_EQ(log.entry(0).kind, raft::EntryKind::LeaderChange);
}

TEST_F(MetadataLogFile, ATornTailIsCutAndACorruptMiddleRefusesToOpen) {
    {
        raft::FileRaftLog log(dir());
        for (int i = 0; i < 3; ++i) log.append({2, raft::EntryKind::Data, "record " + std::to_string(i)});
        log.flush();
    }
    const std::string path = dir() + "/log";
    const auto size = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, size - 3);  // the crash cut the last frame short
    {
        raft::FileRaftLog log(dir());
        EXPECT_EQ(log.end_offset(), 2);
        EXPECT_GT(log.truncated_tail_bytes(), 0);
        log.append({2, raft::EntryKind::Data, "after"});
        log.flush();
    }
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(8 + 8 + 6);  // inside the first frame's payload
        f.put('X');
    }
    EXPECT_THROW(raft::FileRaftLog{dir()}, std::runtime_error);
}

TEST_F(MetadataLogFile, TruncationAndSnapshotsAreDurable) {
    {
        raft::FileRaftLog log(dir());
        for (int i = 0; i < 6; ++i) log.append({i < 3 ? 1 : 2, raft::EntryKind::Data, std::to_string(i)});
        log.flush();
        log.truncate_to(5);                                     // a divergence repaired
        log.install_snapshot(raft::Snapshot{{3, 1}, "image"});  // our own snapshot at offset 3
        EXPECT_EQ(log.start_offset(), 3);
        EXPECT_EQ(log.end_offset(), 5);
    }
    raft::FileRaftLog log(dir());
    EXPECT_EQ(log.start_offset(), 3);
    EXPECT_EQ(log.end_offset(), 5);
    EXPECT_EQ(log.entry(4).record, "4");
    ASSERT_TRUE(log.snapshot());
    EXPECT_EQ(log.snapshot()->data, "image");
    EXPECT_EQ(raft::last_epoch(log), 2);
}

TEST(QuorumWire, BrokerRegistrationAndHeartbeatRoundTrip) {
    BrokerRegistrationRequestData registration;
    registration.broker_id = 2;
    registration.cluster_id = "abc";
    registration.incarnation_id[3] = 7;
    registration.listeners.push_back({"PLAINTEXT", "127.0.0.1", 9093, 0});
    round_trip(registration, 0, encode_broker_registration_request, decode_broker_registration_request);
    round_trip(BrokerRegistrationResponseData{0, 0, 12}, 0, encode_broker_registration_response,
               decode_broker_registration_response);
    round_trip(BrokerHeartbeatRequestData{2, 12, 40, false, false}, 0, encode_broker_heartbeat_request,
               decode_broker_heartbeat_request);
    round_trip(BrokerHeartbeatResponseData{0, 0, true, false, false}, 0, encode_broker_heartbeat_response,
               decode_broker_heartbeat_response);
    // BrokerHeartbeat v0: BrokerId, BrokerEpoch, CurrentMetadataOffset, WantFence, WantShutDown, tags.
    EXPECT_EQ(hex(encoded([](KafkaWriter& out) {
                  encode_broker_heartbeat_request(out, 0, BrokerHeartbeatRequestData{2, 12, 40, false, true});
              })),
              "00000002"
              "000000000000000c"
              "0000000000000028"
              "00"
              "01"
              "00");
}

// A quorum of one, stepped by hand: a broker registers (fenced), its heartbeat unfences it,
// silence fences it, a heartbeat from an older incarnation is stale. Every step is a record.
TEST_F(MetadataLogFile, ABrokerIsRegisteredUnfencedAndFencedThroughTheLog) {
    ControllerConfig config;
    config.node_id = 1;
    config.voters = {{1, "127.0.0.1", 1}};
    config.data_dir = dir();
    config.cluster_id = "cluster";
    config.session_timeout_ms = 1000;
    config.heartbeat_interval_ms = 100;
    int64_t now = 0;
    Controller controller(config, now);
    for (now = 0; controller.replica().role() != raft::Role::Leader && now < 10000; now += 10) controller.tick(now);
    ASSERT_EQ(controller.replica().role(), raft::Role::Leader);

    BrokerRegistrationRequestData join;
    join.broker_id = 7;
    join.cluster_id = "cluster";
    join.incarnation_id[0] = 1;
    join.listeners.push_back({"PLAINTEXT", "127.0.0.1", 9099, 0});
    BrokerRegistrationResponseData registered = controller.register_broker(join, now);
    ASSERT_EQ(registered.error_code, 0);
    EXPECT_EQ(controller.register_broker(join, now).broker_epoch, registered.broker_epoch);  // a retry
    join.cluster_id = "other";
    EXPECT_EQ(controller.register_broker(join, now).error_code, kErrorInconsistentClusterId);
    controller.tick(now += 10);  // commit
    ASSERT_TRUE(controller.image().brokers().count(7));
    EXPECT_TRUE(controller.image().brokers().at(7).fenced);

    BrokerHeartbeatRequestData beat{7, registered.broker_epoch, registered.broker_epoch + 1, false, false};
    BrokerHeartbeatResponseData answer = controller.broker_heartbeat(beat, now);
    EXPECT_TRUE(answer.is_caught_up);
    EXPECT_TRUE(answer.is_fenced);  // the unfencing is proposed, not yet committed
    controller.tick(now += 10);
    EXPECT_FALSE(controller.image().brokers().at(7).fenced);
    EXPECT_FALSE(controller.broker_heartbeat(beat, now).is_fenced);

    for (int64_t until = now + 1500; now < until; now += 10) controller.tick(now);  // broker 7 falls silent
    EXPECT_TRUE(controller.image().brokers().at(7).fenced);
    EXPECT_FALSE(controller.image().brokers().at(1).fenced);  // our own broker kept heartbeating

    beat.broker_epoch -= 1;  // an older incarnation's epoch
    EXPECT_EQ(controller.broker_heartbeat(beat, now).error_code, kErrorStaleBrokerEpoch);
}

TEST(MetadataImageTest, ASnapshotRebuildsTheSameImage) {
    MetadataImage image;
    RegisterBrokerRecord broker;
    broker.broker_id = 2;
    broker.broker_epoch = 5;
    broker.endpoints.push_back({"PLAINTEXT", "127.0.0.1", 9093, 0});
    image.apply(5, encode_metadata_record(broker));
    image.apply(6, encode_metadata_record(UnfenceBrokerRecord{2, 5}));
    Uuid id{};
    id[15] = 9;
    image.apply(7, encode_metadata_record(TopicRecord{"orders", id}));
    image.apply(8, encode_metadata_record(PartitionRecord{0, id, {2}, {2}, {}, {}, 2, 0, 0}));
    PartitionChangeRecord change;
    change.partition_id = 0;
    change.topic_id = id;
    change.leader = -1;
    image.apply(9, encode_metadata_record(change));
    image.apply(10, "garbage");
    EXPECT_EQ(image.applied_records(), 5);
    EXPECT_EQ(image.unreadable_records(), 1);
    EXPECT_FALSE(image.brokers().at(2).fenced);
    EXPECT_EQ(image.topics().at(id).partitions.at(0).leader, -1);
    EXPECT_EQ(image.topics().at(id).partitions.at(0).leader_epoch, 1);

    MetadataImage copy;
    copy.restore(image.snapshot());
    EXPECT_EQ(copy.applied_records(), 5);
    EXPECT_EQ(copy.brokers().at(2).registration.endpoints, broker.endpoints);
    EXPECT_FALSE(copy.brokers().at(2).fenced);
    EXPECT_EQ(copy.topics().at(id).name, "orders");
    EXPECT_EQ(copy.topics().at(id).partitions.at(0), image.topics().at(id).partitions.at(0));
}

}  // namespace
}  // namespace minikafka
