// The consumer group state machine, driven directly with an explicit clock (no sockets, no
// sleeps): joins, generations, leader election, sync, heartbeats, session expiry, leaving.
#include <gtest/gtest.h>

#include <climits>

#include "core/offsets_topic.hpp"
#include "model/group_coordinator.hpp"
#include "model/offset_commit_record.hpp"
#include "model/record_batch.hpp"

namespace minikafka {
namespace {

struct Answers {
    std::map<std::string, JoinGroupResult> joins;  // by the name the test gave the member
    std::map<std::string, SyncGroupResult> syncs;
};

class GroupTest : public ::testing::Test {
protected:
    GroupTest() : coordinator_(GroupConfig{1000, 60000, 0}) {}

    JoinGroupParams params(const std::string& member_id, const std::string& protocol = "range") {
        JoinGroupParams p;
        p.member_id = member_id;
        p.client_id = "test";
        p.session_timeout_ms = 10000;
        p.rebalance_timeout_ms = 5000;
        p.protocol_type = "consumer";
        p.protocols = {{protocol, "subscription-of-" + member_id}};
        p.require_known_member_id = true;
        return p;
    }

    // The two-step join of JoinGroup v4+: returns the member id.
    std::string join_new(const std::string& name) {
        coordinator_.join("g", params(""), now_, [&](const JoinGroupResult& r) { answers_.joins[name] = r; });
        EXPECT_EQ(answers_.joins[name].error, ErrorCode::MemberIdRequired);
        std::string id = answers_.joins[name].member_id;
        answers_.joins.erase(name);
        rejoin(name, id);
        return id;
    }
    void rejoin(const std::string& name, const std::string& id) {
        coordinator_.join("g", params(id), now_, [&, name](const JoinGroupResult& r) { answers_.joins[name] = r; });
    }
    void sync(const std::string& name, const std::string& id, int32_t generation,
              std::map<std::string, std::string> assignments = {}) {
        coordinator_.sync("g", generation, id, std::move(assignments), now_,
                          [&, name](const SyncGroupResult& r) { answers_.syncs[name] = r; });
    }

    GroupCoordinator coordinator_;
    Answers answers_;
    int64_t now_ = 1'000'000;
};

TEST_F(GroupTest, FirstMemberBecomesLeaderOfGenerationOne) {
    std::string a = join_new("a");
    ASSERT_TRUE(answers_.joins.contains("a"));
    const JoinGroupResult& join = answers_.joins["a"];
    EXPECT_EQ(join.error, ErrorCode::None);
    EXPECT_EQ(join.generation_id, 1);
    EXPECT_EQ(join.leader, a);
    EXPECT_EQ(join.protocol_name, "range");
    ASSERT_EQ(join.members.size(), 1u);
    EXPECT_EQ(join.members[0].metadata, "subscription-of-" + a);
    sync("a", a, 1, {{a, "partitions 0-3"}});
    EXPECT_EQ(answers_.syncs["a"].assignment, "partitions 0-3");
    EXPECT_EQ(coordinator_.group("g")->state(), GroupState::Stable);
}

TEST_F(GroupTest, SecondMemberTriggersRebalanceAndBothGetTheirAssignment) {
    std::string a = join_new("a");
    sync("a", a, 1, {{a, "all"}});
    std::string b = join_new("b");
    EXPECT_FALSE(answers_.joins.contains("b"));  // held until a rejoins
    EXPECT_EQ(coordinator_.heartbeat("g", 1, a, now_), ErrorCode::RebalanceInProgress);
    rejoin("a", a);
    ASSERT_TRUE(answers_.joins.contains("b"));
    EXPECT_EQ(answers_.joins["a"].generation_id, 2);
    EXPECT_EQ(answers_.joins["a"].members.size(), 2u);  // the leader sees everyone
    EXPECT_TRUE(answers_.joins["b"].members.empty());
    sync("b", b, 2);
    EXPECT_FALSE(answers_.syncs.contains("b"));  // waits for the leader
    sync("a", a, 2, {{a, "p0,p1"}, {b, "p2,p3"}});
    EXPECT_EQ(answers_.syncs["a"].assignment, "p0,p1");
    EXPECT_EQ(answers_.syncs["b"].assignment, "p2,p3");
    EXPECT_EQ(coordinator_.heartbeat("g", 2, b, now_), ErrorCode::None);
    EXPECT_EQ(coordinator_.heartbeat("g", 1, b, now_), ErrorCode::IllegalGeneration);
}

// Consumers started together: a rebalance waits for a member between its MEMBER_ID_REQUIRED and
// its second JoinGroup (Kafka's hasAllMembersJoined), so that it lands in this generation instead
// of starting the next rebalance - which the others would hear of only at their next heartbeat.
TEST_F(GroupTest, ARebalanceWaitsForAMemberThatIsComingBackWithItsId) {
    std::string a = join_new("a");
    sync("a", a, 1, {{a, "all"}});
    answers_.joins.clear();
    coordinator_.join("g", params(""), now_, [&](const JoinGroupResult& r) { answers_.joins["b"] = r; });
    ASSERT_EQ(answers_.joins["b"].error, ErrorCode::MemberIdRequired);
    std::string b = answers_.joins["b"].member_id;
    answers_.joins.erase("b");
    std::string c = join_new("c");               // starts a rebalance
    rejoin("a", a);                              // a heard of it
    EXPECT_FALSE(answers_.joins.contains("a"));  // b is on its way
    EXPECT_EQ(coordinator_.group("g")->state(), GroupState::PreparingRebalance);
    rejoin("b", b);
    ASSERT_TRUE(answers_.joins.contains("a"));
    EXPECT_EQ(answers_.joins["a"].generation_id, 2);
    EXPECT_EQ(coordinator_.group("g")->members().size(), 3u);
    EXPECT_EQ(answers_.joins["b"].generation_id, 2);
    EXPECT_EQ(answers_.joins["c"].generation_id, 2);

    // One that never comes back holds the barrier for its session timeout at most.
    coordinator_.join("g", params(""), now_, [&](const JoinGroupResult& r) { answers_.joins["d"] = r; });
    ASSERT_EQ(answers_.joins["d"].error, ErrorCode::MemberIdRequired);
    answers_.joins.clear();
    coordinator_.leave("g", c, now_);  // a rebalance: a and b rejoin, d is still pending
    rejoin("a", a);
    rejoin("b", b);
    EXPECT_FALSE(answers_.joins.contains("a"));
    now_ += 10'001;  // d's session timeout
    coordinator_.tick(now_);
    ASSERT_TRUE(answers_.joins.contains("a"));
    EXPECT_EQ(answers_.joins["a"].generation_id, 3);
    EXPECT_EQ(coordinator_.group("g")->members().size(), 2u);
}

TEST_F(GroupTest, AJoinDuringSyncAnswersTheWaitingFollowersWithRebalanceInProgress) {
    std::string a = join_new("a");
    sync("a", a, 1, {{a, "all"}});
    std::string b = join_new("b");
    rejoin("a", a);
    sync("b", b, 2);                // follower waits for the leader...
    std::string c = join_new("c");  // ...when a third member arrives
    ASSERT_TRUE(answers_.syncs.contains("b"));
    EXPECT_EQ(answers_.syncs["b"].error, ErrorCode::RebalanceInProgress);
}

TEST_F(GroupTest, SilentMemberExpiresAfterSessionTimeoutAndTheOtherTakesOver) {
    std::string a = join_new("a");
    sync("a", a, 1, {{a, "all"}});
    std::string b = join_new("b");
    rejoin("a", a);
    sync("a", a, 2, {{a, "half"}, {b, "half"}});
    sync("b", b, 2);
    now_ += 9000;
    EXPECT_EQ(coordinator_.heartbeat("g", 2, a, now_), ErrorCode::None);
    now_ += 2000;  // b's last heartbeat is 11 s old, a's 2 s
    coordinator_.tick(now_);
    EXPECT_EQ(coordinator_.group("g")->members().size(), 1u);
    EXPECT_EQ(coordinator_.heartbeat("g", 2, a, now_), ErrorCode::RebalanceInProgress);
    answers_.joins.clear();
    rejoin("a", a);
    EXPECT_EQ(answers_.joins["a"].generation_id, 3);
    EXPECT_EQ(coordinator_.heartbeat("g", 2, b, now_), ErrorCode::UnknownMemberId);
}

TEST_F(GroupTest, MemberThatDoesNotRejoinInTimeIsDropped) {
    std::string a = join_new("a");
    sync("a", a, 1, {{a, "all"}});
    std::string b = join_new("b");  // a must rejoin within its rebalance timeout (5 s)
    now_ += 5001;
    coordinator_.tick(now_);
    ASSERT_TRUE(answers_.joins.contains("b"));
    EXPECT_EQ(answers_.joins["b"].generation_id, 2);
    EXPECT_EQ(answers_.joins["b"].leader, b);
    EXPECT_EQ(coordinator_.group("g")->members().size(), 1u);
}

TEST_F(GroupTest, LeavingEmptiesTheGroupAndBumpsTheGeneration) {
    std::string a = join_new("a");
    sync("a", a, 1, {{a, "all"}});
    EXPECT_EQ(coordinator_.leave("g", a, now_), ErrorCode::None);
    EXPECT_EQ(coordinator_.group("g")->state(), GroupState::Empty);
    EXPECT_EQ(coordinator_.group("g")->generation_id(), 2);
    EXPECT_EQ(coordinator_.leave("g", a, now_), ErrorCode::UnknownMemberId);
}

TEST_F(GroupTest, ProtocolsMustOverlapAndTheVoteIsByPreference) {
    std::string a = join_new("a");
    sync("a", a, 1, {{a, "all"}});
    JoinGroupParams other = params("", "roundrobin");
    coordinator_.join("g", other, now_, [&](const JoinGroupResult& r) { answers_.joins["x"] = r; });
    EXPECT_EQ(answers_.joins["x"].error, ErrorCode::InconsistentGroupProtocol);
}

TEST_F(GroupTest, GroupsThatNeverFormedAreNotKept) {
    // A join refused at once leaves nothing behind (a client trying made-up group ids would
    // otherwise grow the broker's memory and every ListGroups reply without bound).
    JoinGroupParams no_protocols = params("");
    no_protocols.protocols.clear();
    coordinator_.join("made-up", no_protocols, now_, [&](const JoinGroupResult& r) { answers_.joins["x"] = r; });
    EXPECT_EQ(answers_.joins["x"].error, ErrorCode::InconsistentGroupProtocol);
    EXPECT_EQ(coordinator_.group("made-up"), nullptr);
    // An id handed out with MEMBER_ID_REQUIRED that never comes back expires with its group.
    JoinGroupParams v4 = params("");
    v4.require_known_member_id = true;
    coordinator_.join("asked", v4, now_, [&](const JoinGroupResult& r) { answers_.joins["y"] = r; });
    EXPECT_EQ(answers_.joins["y"].error, ErrorCode::MemberIdRequired);
    EXPECT_NE(coordinator_.group("asked"), nullptr);
    now_ += 10001;
    coordinator_.tick(now_);
    EXPECT_EQ(coordinator_.group("asked"), nullptr);
    EXPECT_TRUE(coordinator_.list_groups().empty());
}

TEST_F(GroupTest, GroupsLeftEmptyWithoutOffsetsAreRemovedOnThePeriodicCheck) {
    // A group formed, then its member went silent: Empty, generation 2, nothing committed.
    std::string a = join_new("a");
    sync("a", a, 1, {{a, "all"}});
    now_ += 10001;
    coordinator_.tick(now_);  // session timeout
    ASSERT_NE(coordinator_.group("g"), nullptr);
    EXPECT_EQ(coordinator_.group("g")->state(), GroupState::Empty);
    // A second group that committed an offset stays, as in Kafka (until its offsets expire).
    CommittedOffset committed;
    committed.offset = 5;
    coordinator_.set_offset("kept", "t", 0, committed);
    now_ += coordinator_.config().empty_group_check_interval_ms;
    coordinator_.tick(now_);
    EXPECT_EQ(coordinator_.group("g"), nullptr);
    ASSERT_NE(coordinator_.offset("kept", "t", 0), nullptr);
    EXPECT_EQ(coordinator_.list_groups().size(), 1u);
}

TEST_F(GroupTest, AnEmptyGroupIdIsInvalidForEveryGroupCall) {
    EXPECT_EQ(coordinator_.heartbeat("", 1, "m", now_), ErrorCode::InvalidGroupId);
    EXPECT_EQ(coordinator_.leave("", "m", now_), ErrorCode::InvalidGroupId);
    coordinator_.sync("", 1, "m", {}, now_, [&](const SyncGroupResult& r) { answers_.syncs["x"] = r; });
    EXPECT_EQ(answers_.syncs["x"].error, ErrorCode::InvalidGroupId);
}

TEST_F(GroupTest, AMemberIdFitsAProtocolStringWhateverTheClientId) {
    JoinGroupParams long_client = params("");
    long_client.client_id = std::string(32767, 'c');
    coordinator_.join("g", long_client, now_, [&](const JoinGroupResult& r) { answers_.joins["a"] = r; });
    ASSERT_EQ(answers_.joins["a"].error, ErrorCode::MemberIdRequired);  // here is your id
    EXPECT_FALSE(answers_.joins["a"].member_id.empty());
    EXPECT_LT(answers_.joins["a"].member_id.size(), 300u);
}

TEST_F(GroupTest, CommitsAreCheckedAgainstGenerationAndMembership) {
    EXPECT_EQ(coordinator_.check_commit("idle", -1, ""), ErrorCode::None);  // outside group management
    std::string a = join_new("a");
    EXPECT_EQ(coordinator_.check_commit("g", 1, a), ErrorCode::RebalanceInProgress);  // not synced yet
    sync("a", a, 1, {{a, "all"}});
    EXPECT_EQ(coordinator_.check_commit("g", 1, a), ErrorCode::None);
    EXPECT_EQ(coordinator_.check_commit("g", 0, a), ErrorCode::IllegalGeneration);
    EXPECT_EQ(coordinator_.check_commit("g", 1, "stranger"), ErrorCode::UnknownMemberId);
    EXPECT_EQ(coordinator_.check_commit("g", -1, ""), ErrorCode::UnknownMemberId);  // the group is active
}

TEST_F(GroupTest, OnlyAGroupWithoutMembersCanBeDeletedAndItsOffsetsGoWithIt) {
    std::vector<std::pair<std::string, int32_t>> removed;
    EXPECT_EQ(coordinator_.delete_group("g", removed), ErrorCode::GroupIdNotFound);
    EXPECT_EQ(coordinator_.delete_group("", removed), ErrorCode::InvalidGroupId);
    std::string a = join_new("a");
    sync("a", a, 1, {{a, "all"}});
    coordinator_.set_offset("g", "orders", 0, {7, -1, "", now_});
    coordinator_.set_offset("g", "orders", 1, {9, -1, "", now_});
    coordinator_.set_offset("other", "orders", 0, {3, -1, "", now_});
    EXPECT_EQ(coordinator_.delete_group("g", removed), ErrorCode::NonEmptyGroup);
    EXPECT_EQ(coordinator_.offset("g", "orders", 0)->offset, 7);
    EXPECT_EQ(coordinator_.leave("g", a, now_), ErrorCode::None);
    EXPECT_EQ(coordinator_.delete_group("g", removed), ErrorCode::None);
    EXPECT_EQ(removed, (std::vector<std::pair<std::string, int32_t>>{{"orders", 0}, {"orders", 1}}));
    EXPECT_EQ(coordinator_.group("g"), nullptr);
    EXPECT_EQ(coordinator_.offsets("g"), nullptr);
    EXPECT_EQ(coordinator_.committed_offset_count(), 1u);  // "other" keeps its offset
    EXPECT_EQ(coordinator_.list_groups(), (std::vector<std::pair<std::string, std::string>>{{"other", "consumer"}}));
    // A group known only by its committed offsets (commits from outside group management).
    removed.clear();
    EXPECT_EQ(coordinator_.delete_group("other", removed), ErrorCode::None);
    EXPECT_EQ(removed.size(), 1u);
    EXPECT_EQ(coordinator_.delete_group("other", removed), ErrorCode::GroupIdNotFound);
}

TEST_F(GroupTest, SessionTimeoutOutsideTheBrokersLimitsIsRefused) {
    JoinGroupParams p = params("");
    p.session_timeout_ms = 10;
    coordinator_.join("g", p, now_, [&](const JoinGroupResult& r) { answers_.joins["a"] = r; });
    EXPECT_EQ(answers_.joins["a"].error, ErrorCode::InvalidSessionTimeout);
}

// A coordinator that loses a group's partition to another broker: the held JoinGroup answers go
// out as NOT_COORDINATOR (the client looks for the new coordinator), members and offsets go.
TEST_F(GroupTest, DroppedGroupsAnswerHeldJoinsWithNotCoordinatorAndForgetTheirOffsets) {
    std::string a = join_new("a");
    sync("a", a, 1);
    coordinator_.set_offset("g", "orders", 0, {42, -1, "", now_});
    coordinator_.set_offset("other", "orders", 0, {7, -1, "", now_});
    answers_.joins.clear();
    join_new("b");  // b's join is held: the rebalance waits for a to rejoin
    ASSERT_FALSE(answers_.joins.contains("b"));
    EXPECT_EQ(coordinator_.drop_groups([](std::string_view group) { return group == "g"; }), 1u);
    EXPECT_EQ(answers_.joins["b"].error, ErrorCode::NotCoordinator);
    EXPECT_EQ(coordinator_.group("g"), nullptr);
    EXPECT_EQ(coordinator_.offset("g", "orders", 0), nullptr);
    ASSERT_NE(coordinator_.offset("other", "orders", 0), nullptr);
    EXPECT_EQ(coordinator_.committed_offset_count(), 1u);
}

// Kafka's group -> partition rule must pick the partition a real Kafka would: Java's
// String.hashCode over UTF-16 units, and Utils.abs (MIN_VALUE -> 0).
TEST(OffsetsTopic, GroupsHashToKafkasPartition) {
    EXPECT_EQ(java_string_hash(""), 0);
    EXPECT_EQ(java_string_hash("abc"), 96354);
    EXPECT_EQ(java_string_hash("\xC3\xA9"), 233);              // U+00E9: one UTF-16 unit
    EXPECT_EQ(java_string_hash("\xF0\x9F\x98\x80"), 1772899);  // U+1F600: a surrogate pair
    EXPECT_EQ(java_string_hash("billing"), -109829509);
    EXPECT_EQ(java_string_hash("polygenelubricants"), INT32_MIN);
    EXPECT_EQ(offsets_partition_for("polygenelubricants", 50), 0);
    EXPECT_EQ(offsets_partition_for("billing", 50), 9);
    EXPECT_EQ(offsets_partition_for("my-group", 50), 12);
}

// A commit's batch is a valid v2 batch (the log takes it like a producer's) and reads back
// record for record, tombstones included.
TEST(OffsetsTopic, OffsetCommitRecordsRoundTripThroughABatch) {
    std::vector<OffsetCommitRecord> records = {
        {"billing", "orders", 0, CommittedOffset{40, 3, "meta", 1000}},
        {"billing", "orders", 1, std::nullopt},
    };
    std::string batch = encode_offset_commit_batch(records, 1000);
    RecordBatchHeader header;
    ASSERT_EQ(validate_batch(batch, header), BatchCheck::ok);
    EXPECT_EQ(header.record_count, 2);
    std::vector<OffsetCommitRecord> back;
    ASSERT_TRUE(decode_offset_commit_batch(batch, [&](OffsetCommitRecord&& r) { back.push_back(std::move(r)); }));
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].group, "billing");
    EXPECT_EQ(back[0].topic, "orders");
    ASSERT_TRUE(back[0].value);
    EXPECT_EQ(back[0].value->offset, 40);
    EXPECT_EQ(back[0].value->leader_epoch, 3);
    EXPECT_EQ(back[0].value->metadata, "meta");
    EXPECT_EQ(back[1].partition, 1);
    EXPECT_FALSE(back[1].value);
    // A cut batch does not parse (and never crashes).
    EXPECT_FALSE(decode_offset_commit_batch(batch.substr(0, 40), [](OffsetCommitRecord&&) {}));
}

}  // namespace
}  // namespace minikafka
