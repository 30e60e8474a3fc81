// A consumer group's GroupMetadata record of __consumer_offsets (model/group_metadata_record.hpp):
// its bytes against the layout of Kafka's GroupMetadataKey/GroupMetadataValue schemas written out
// field by field, the round trip through a batch next to offset commits, the older versions, bad
// input; then the coordinator's side with an explicit clock - a rebalance is answered only once its
// record is stored, and a second coordinator fed that record carries the group on in the same
// generation, with no rebalance, while an emptied group leaves a tombstone.
#include <gtest/gtest.h>

#include "model/group_coordinator.hpp"
#include "model/group_metadata_record.hpp"
#include "model/offset_commit_record.hpp"
#include "model/record_batch.hpp"

namespace minikafka {
namespace {

// Big-endian building blocks, to spell out a record the way the schema describes it.
std::string i16(int16_t v) { return {static_cast<char>((v >> 8) & 0xFF), static_cast<char>(v & 0xFF)}; }
std::string i32(int32_t v) { return i16(static_cast<int16_t>(v >> 16)) + i16(static_cast<int16_t>(v & 0xFFFF)); }
std::string i64(int64_t v) { return i32(static_cast<int32_t>(v >> 32)) + i32(static_cast<int32_t>(v & 0xFFFFFFFF)); }
std::string str(std::string_view s) { return i16(static_cast<int16_t>(s.size())) + std::string(s); }
std::string bytes(std::string_view s) { return i32(static_cast<int32_t>(s.size())) + std::string(s); }
const std::string kNull = i16(-1);  // a null NULLABLE_STRING

GroupMetadataValue two_members() {
    GroupMetadataValue v;
    v.protocol_type = "consumer";
    v.generation = 7;
    v.protocol = "range";
    v.leader = "c1-1";
    v.current_state_timestamp_ms = 1700000000123;
    v.members.push_back({"c1-1", std::nullopt, "c1", "/127.0.0.1", 300000, 45000, "sub-1", "asg-1"});
    v.members.push_back({"c2-2", "static-2", "c2", "/127.0.0.2", 60000, 10000, "sub-2", ""});
    return v;
}

TEST(GroupMetadataRecord, KeyIsVersionTwoAndTheGroupId) {
    // GroupMetadataKey: version INT16 = 2, group STRING. Versions 0 and 1 are offset commits, so a
    // group's key can never equal an offset's (log compaction keeps one record per key).
    EXPECT_EQ(encode_group_metadata_key("billing"), i16(2) + str("billing"));
}

TEST(GroupMetadataRecord, ValueVersionThreeHasTheSchemasLayout) {
    // GroupMetadataValue v3: protocolType STRING, generation INT32, protocol NULLABLE_STRING,
    // leader NULLABLE_STRING, currentStateTimestamp INT64, members ARRAY of (memberId STRING,
    // groupInstanceId NULLABLE_STRING, clientId STRING, clientHost STRING, rebalanceTimeout INT32,
    // sessionTimeout INT32, subscription BYTES, assignment BYTES).
    const std::string expected = i16(3) + str("consumer") + i32(7) + str("range") + str("c1-1") + i64(1700000000123) +
                                 i32(2) +                                                             //
                                 str("c1-1") + kNull + str("c1") + str("/127.0.0.1") + i32(300000) +  //
                                 i32(45000) + bytes("sub-1") + bytes("asg-1") +                       //
                                 str("c2-2") + str("static-2") + str("c2") + str("/127.0.0.2") +      //
                                 i32(60000) + i32(10000) + bytes("sub-2") + bytes("");
    EXPECT_EQ(encode_group_metadata_value(two_members()), expected);
    EXPECT_EQ(decode_group_metadata_value(expected), two_members());
}

TEST(GroupMetadataRecord, AnEmptyGroupHasNullProtocolAndLeader) {
    GroupMetadataValue empty;
    empty.protocol_type = "consumer";
    empty.generation = 3;
    const std::string expected = i16(3) + str("consumer") + i32(3) + kNull + kNull + i64(-1) + i32(0);
    EXPECT_EQ(encode_group_metadata_value(empty), expected);
    EXPECT_EQ(decode_group_metadata_value(expected), empty);
}

TEST(GroupMetadataRecord, OlderVersionsAreRead) {
    // v0 (no rebalance timeout: it is the session timeout), no timestamp, no instance id.
    const std::string v0 = i16(0) + str("consumer") + i32(2) + str("range") + str("m") + i32(1) + str("m") +
                           str("cid") + str("/h") + i32(30000) + bytes("s") + bytes("a");
    std::optional<GroupMetadataValue> read = decode_group_metadata_value(v0);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->generation, 2);
    EXPECT_EQ(read->current_state_timestamp_ms, -1);
    ASSERT_EQ(read->members.size(), 1u);
    EXPECT_EQ(read->members[0].session_timeout_ms, 30000);
    EXPECT_EQ(read->members[0].rebalance_timeout_ms, 30000);
    EXPECT_EQ(read->members[0].assignment, "a");
    // v2: the timestamp comes after the leader; members still without an instance id.
    const std::string v2 = i16(2) + str("consumer") + i32(5) + str("range") + str("m") + i64(42) + i32(1) + str("m") +
                           str("cid") + str("/h") + i32(60000) + i32(30000) + bytes("s") + bytes("a");
    read = decode_group_metadata_value(v2);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->current_state_timestamp_ms, 42);
    EXPECT_EQ(read->members.at(0).rebalance_timeout_ms, 60000);
    EXPECT_FALSE(read->members.at(0).group_instance_id);
}

TEST(GroupMetadataRecord, BadBytesAreRefusedNotTrusted) {
    const std::string good = encode_group_metadata_value(two_members());
    for (size_t cut = 0; cut < good.size(); ++cut)
        EXPECT_FALSE(decode_group_metadata_value(std::string_view(good).substr(0, cut))) << "cut at " << cut;
    EXPECT_FALSE(decode_group_metadata_value(i16(4) + good.substr(2)));  // flexible v4: not read
    // A member count of two billion in a few bytes: refused without allocating for it.
    EXPECT_FALSE(
        decode_group_metadata_value(i16(3) + str("consumer") + i32(1) + kNull + kNull + i64(0) + i32(2000000000)));
}

TEST(GroupMetadataRecord, SharesTheTopicWithOffsetCommitsEachDecoderReadsItsOwn) {
    // One batch holding an offset commit, a group, and a group's tombstone - as a partition of
    // __consumer_offsets holds them.
    const std::string commit_key = i16(1) + str("billing") + str("orders") + i32(0);
    const std::string commit_value = i16(3) + i64(40) + i32(-1) + str("") + i64(1000);
    std::string batch =
        encode_coordinator_batch({{commit_key, commit_value},
                                  {encode_group_metadata_key("billing"), encode_group_metadata_value(two_members())},
                                  {encode_group_metadata_key("gone"), std::nullopt}},
                                 1000);
    RecordBatchHeader header;
    ASSERT_EQ(validate_batch(batch, header), BatchCheck::ok);
    std::vector<GroupMetadataRecord> groups;
    ASSERT_TRUE(decode_group_metadata_batch(batch, [&](GroupMetadataRecord&& r) { groups.push_back(std::move(r)); }));
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0].group, "billing");
    EXPECT_EQ(groups[0].value, two_members());
    EXPECT_EQ(groups[1].group, "gone");
    EXPECT_FALSE(groups[1].value);
    std::vector<OffsetCommitRecord> offsets;
    ASSERT_TRUE(decode_offset_commit_batch(batch, [&](OffsetCommitRecord&& r) { offsets.push_back(std::move(r)); }));
    ASSERT_EQ(offsets.size(), 1u);
    EXPECT_EQ(offsets[0].value->offset, 40);
    // The one-record batch the coordinator appends reads back the same.
    groups.clear();
    ASSERT_TRUE(decode_group_metadata_batch(encode_group_metadata_batch({"billing", two_members()}, 5),
                                            [&](GroupMetadataRecord&& r) { groups.push_back(std::move(r)); }));
    ASSERT_EQ(groups.size(), 1u);
    EXPECT_EQ(groups[0].value, two_members());
}

// The coordinator's side: a cluster coordinator's store_group is the hook that appends to
// __consumer_offsets; here it records what would be written and answers when the test says so.
class StoredGroupTest : public ::testing::Test {
protected:
    StoredGroupTest() : old_(GroupConfig{1000, 60000, 100}), new_(GroupConfig{1000, 60000, 100}) {
        old_.store_group = [this](std::string_view group, std::optional<GroupMetadataValue> value,
                                  std::function<void(ErrorCode)> done) {
            stored_.push_back({std::string(group), std::move(value)});
            pending_.push_back(std::move(done));
        };
    }

    JoinGroupParams params(const std::string& member_id, const std::string& client) {
        JoinGroupParams p;
        p.member_id = member_id;
        p.client_id = client;
        p.session_timeout_ms = 10000;
        p.rebalance_timeout_ms = 5000;
        p.protocol_type = "consumer";
        p.protocols = {{"range", "sub-" + client}, {"roundrobin", "rr-" + client}};
        return p;
    }

    GroupCoordinator old_, new_;
    std::vector<GroupMetadataRecord> stored_;
    std::vector<std::function<void(ErrorCode)>> pending_;
    int64_t now_ = 1'000'000;
};

TEST_F(StoredGroupTest, ANewCoordinatorCarriesTheStoredGroupOnWithoutARebalance) {
    // Two members join generation 1 together.
    std::map<std::string, JoinGroupResult> joins;
    old_.join("g", params("", "a"), now_, [&](const JoinGroupResult& r) { joins["a"] = r; });
    old_.join("g", params("", "b"), now_, [&](const JoinGroupResult& r) { joins["b"] = r; });
    old_.tick(now_ + 100);  // group.initial.rebalance.delay.ms = 100: both in generation 1
    ASSERT_EQ(joins["a"].error, ErrorCode::None);
    ASSERT_EQ(joins["b"].generation_id, 1);
    const std::string leader = joins["a"].leader;
    const std::string a = joins["a"].member_id, b = joins["b"].member_id;
    const std::string follower = leader == a ? b : a;

    // The leader's SyncGroup: nobody is answered until the group's record is stored.
    std::map<std::string, SyncGroupResult> syncs;
    old_.sync("g", 1, follower, {}, now_, [&](const SyncGroupResult& r) { syncs[follower] = r; });
    old_.sync("g", 1, leader, {{a, "orders[0]"}, {b, "orders[1]"}}, now_,
              [&](const SyncGroupResult& r) { syncs[leader] = r; });
    ASSERT_EQ(stored_.size(), 1u);
    EXPECT_TRUE(syncs.empty());
    EXPECT_EQ(old_.group("g")->state(), GroupState::CompletingRebalance);
    pending_[0](ErrorCode::None);
    EXPECT_EQ(syncs[a].assignment, "orders[0]");
    EXPECT_EQ(syncs[b].assignment, "orders[1]");
    EXPECT_EQ(old_.group("g")->state(), GroupState::Stable);

    // What was stored is the stable group: generation, protocol, leader, members, assignments.
    const GroupMetadataValue& value = *stored_[0].value;
    EXPECT_EQ(stored_[0].group, "g");
    EXPECT_EQ(value.generation, 1);
    EXPECT_EQ(value.protocol, "range");
    EXPECT_EQ(value.leader, leader);
    ASSERT_EQ(value.members.size(), 2u);

    // A new coordinator replays the record (after an encode/decode, as from the log) much later:
    // the group is Stable in generation 1, the members' heartbeats and commits are accepted - no
    // UNKNOWN_MEMBER_ID, no REBALANCE_IN_PROGRESS - and their session timers start afresh.
    const int64_t later = now_ + 60000;
    new_.restore_group("g", decode_group_metadata_value(encode_group_metadata_value(value)), later);
    const ConsumerGroup* group = new_.group("g");
    ASSERT_NE(group, nullptr);
    EXPECT_EQ(group->state(), GroupState::Stable);
    EXPECT_EQ(group->generation_id(), 1);
    EXPECT_EQ(group->leader(), leader);
    EXPECT_EQ(group->members().at(a).assignment, "orders[0]");
    new_.tick(later + 9000);  // within the 10 s session timeout counted from the load
    EXPECT_EQ(new_.heartbeat("g", 1, a, later + 9000), ErrorCode::None);
    EXPECT_EQ(new_.heartbeat("g", 1, b, later + 9000), ErrorCode::None);
    EXPECT_EQ(new_.check_commit("g", 1, a), ErrorCode::None);
    EXPECT_EQ(new_.heartbeat("g", 0, a, later + 9000), ErrorCode::IllegalGeneration);  // still fenced
    // A follower's SyncGroup repeated at the new coordinator gets its assignment back.
    SyncGroupResult again;
    new_.sync("g", 1, follower, {}, later + 9000, [&](const SyncGroupResult& r) { again = r; });
    EXPECT_EQ(again.assignment, follower == a ? "orders[0]" : "orders[1]");
}

TEST_F(StoredGroupTest, AFailedStoreRebalancesAndAnEmptiedGroupLeavesATombstone) {
    JoinGroupResult join;
    old_.join("g", params("", "a"), now_, [&](const JoinGroupResult& r) { join = r; });
    old_.tick(now_ + 100);
    const std::string a = join.member_id;
    SyncGroupResult sync;
    old_.sync("g", 1, a, {{a, "all"}}, now_, [&](const SyncGroupResult& r) { sync = r; });
    ASSERT_EQ(pending_.size(), 1u);
    pending_[0](ErrorCode::NotCoordinator);  // leadership moved while the record was replicated
    EXPECT_EQ(sync.error, ErrorCode::NotCoordinator);
    EXPECT_EQ(old_.group("g")->state(), GroupState::PreparingRebalance);

    // The member rejoins, generation 2 is stored, then it leaves: a tombstone follows the record.
    old_.join("g", params(a, "a"), now_, [&](const JoinGroupResult& r) { join = r; });
    old_.tick(now_);
    ASSERT_EQ(join.generation_id, 2);
    old_.sync("g", 2, a, {{a, "all"}}, now_, [&](const SyncGroupResult& r) { sync = r; });
    ASSERT_EQ(pending_.size(), 2u);
    pending_[1](ErrorCode::None);
    EXPECT_EQ(sync.error, ErrorCode::None);
    EXPECT_EQ(old_.leave("g", a, now_), ErrorCode::None);
    ASSERT_EQ(stored_.size(), 3u);
    EXPECT_EQ(stored_[2].group, "g");
    EXPECT_FALSE(stored_[2].value);
    // Replayed in order, the record and then its tombstone leave no group behind.
    new_.restore_group("g", stored_[1].value, now_);
    new_.restore_group("g", stored_[2].value, now_);
    EXPECT_EQ(new_.group("g"), nullptr);
}

}  // namespace
}  // namespace minikafka
