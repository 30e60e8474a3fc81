// Adding a broker, socket-free: the controller's reassignment state machine
// (core/reassignment.hpp) applied through the metadata image as every broker applies it, the
// PartitionChangeRecord's reassignment tags on the wire and in the snapshot, and a broker's
// logs following its replica set - a log only where it is a replica, and a replica reassigned
// away losing its log (core/replica_manager.cpp, storage/log_manager.cpp).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/metadata_image.hpp"
#include "core/reassignment.hpp"
#include "core/replica_manager.hpp"
#include "temp_dir.hpp"

using namespace minikafka;
using Ids = std::vector<int32_t>;

namespace {

// A cluster of brokers 1..4 (all live) with topic "orders", partition 0 on [1,2,3] led by 1.
struct Fixture {
    MetadataImage image;
    Uuid id{};
    Fixture() {
        id[0] = 9;
        for (int32_t b = 1; b <= 4; ++b) {
            RegisterBrokerRecord r;
            r.broker_id = b;
            r.fenced = false;
            apply(r);
        }
        apply(TopicRecord{"orders", id});
        PartitionRecord p;
        p.partition_id = 0;
        p.topic_id = id;
        p.replicas = p.isr = {1, 2, 3};
        p.leader = 1;
        p.leader_epoch = 0;
        p.partition_epoch = 0;
        apply(p);
    }
    void apply(const MetadataRecord& r) { image.apply(0, encode_metadata_record(r)); }
    const PartitionRecord& partition() const { return image.topics().at(id).partitions.at(0); }
    static bool yes(int32_t) { return true; }
    ReassignmentDecision start(const std::optional<Ids>& target) {
        return start_reassignment(
            partition(), target, [this](int32_t b) { return image.brokers().contains(b); }, yes);
    }
    void isr(Ids members) {
        PartitionChangeRecord change;
        change.topic_id = id;
        change.partition_id = 0;
        change.isr = std::move(members);
        apply(change);
    }
};

}  // namespace

TEST(Reassignment, AddsTheNewReplicaFirstAndRemovesTheOldOneOnlyOnceItIsInTheIsr) {
    Fixture f;
    ReassignmentDecision d = f.start(Ids{2, 3, 4});
    ASSERT_EQ(d.error, ErrorCode::None);
    ASSERT_TRUE(d.change);
    f.apply(*d.change);
    // Copying: the target first, the replica that goes last; it stays in the ISR and leads on.
    EXPECT_EQ(f.partition().replicas, (Ids{2, 3, 4, 1}));
    EXPECT_EQ(f.partition().adding_replicas, (Ids{4}));
    EXPECT_EQ(f.partition().removing_replicas, (Ids{1}));
    EXPECT_EQ(f.partition().isr, (Ids{1, 2, 3}));
    EXPECT_EQ(f.partition().leader, 1);
    // Broker 4 has not caught up: nothing completes.
    EXPECT_FALSE(complete_reassignment(f.partition(), Fixture::yes));
    f.isr({1, 2, 3, 4});  // the leader's AlterPartition: 4 reached the HW
    std::optional<PartitionChangeRecord> done = complete_reassignment(f.partition(), Fixture::yes);
    ASSERT_TRUE(done);
    const int32_t epoch = f.partition().leader_epoch;
    f.apply(*done);
    EXPECT_EQ(f.partition().replicas, (Ids{2, 3, 4}));
    EXPECT_EQ(f.partition().isr, (Ids{2, 3, 4}));
    EXPECT_TRUE(f.partition().adding_replicas.empty());
    EXPECT_TRUE(f.partition().removing_replicas.empty());
    EXPECT_EQ(f.partition().leader, 2);  // the old leader was removed: the first of the target leads
    EXPECT_EQ(f.partition().leader_epoch, epoch + 1);
    EXPECT_FALSE(complete_reassignment(f.partition(), Fixture::yes));  // nothing more to do
}

TEST(Reassignment, CancellingGoesBackToTheOriginalReplicas) {
    Fixture f;
    f.apply(*f.start(Ids{1, 2, 4}).change);
    EXPECT_EQ(f.partition().replicas, (Ids{1, 2, 4, 3}));
    ReassignmentDecision cancel = f.start(std::nullopt);
    ASSERT_EQ(cancel.error, ErrorCode::None);
    f.apply(*cancel.change);
    EXPECT_EQ(f.partition().replicas, (Ids{1, 2, 3}));
    EXPECT_TRUE(f.partition().adding_replicas.empty() && f.partition().removing_replicas.empty());
    EXPECT_EQ(f.partition().leader, 1);
    EXPECT_EQ(f.start(std::nullopt).error, ErrorCode::NoReassignmentInProgress);
}

TEST(Reassignment, ATargetWithNothingToAddCompletesAtOnce) {
    Fixture f;
    f.apply(*f.start(Ids{3, 2}).change);  // shrink and reorder: both hold every committed record
    EXPECT_EQ(f.partition().replicas, (Ids{3, 2}));
    EXPECT_EQ(f.partition().isr, (Ids{2, 3}));
    EXPECT_EQ(f.partition().leader, 3);
    EXPECT_FALSE(f.start(Ids{3, 2}).change);  // already so: no record
}

TEST(Reassignment, RefusesTargetsThatCannotBeReplicas) {
    Fixture f;
    EXPECT_EQ(f.start(Ids{}).error, ErrorCode::InvalidReplicaAssignment);
    EXPECT_EQ(f.start(Ids{2, 2, 4}).error, ErrorCode::InvalidReplicaAssignment);
    EXPECT_EQ(f.start(Ids{2, 7}).error, ErrorCode::InvalidReplicaAssignment);  // broker 7 never registered
    f.isr({1});
    EXPECT_EQ(f.start(Ids{2, 3}).error, ErrorCode::InvalidReplicaAssignment);  // nobody in it has the data
}

TEST(Reassignment, TheRecordsSurviveTheWireAndTheSnapshot) {
    PartitionChangeRecord change;
    change.topic_id[3] = 1;
    change.partition_id = 5;
    change.replicas = Ids{2, 3, 4, 1};
    change.adding_replicas = Ids{4};
    change.removing_replicas = Ids{1};
    std::optional<MetadataRecord> back = decode_metadata_record(encode_metadata_record(change));
    ASSERT_TRUE(back);
    EXPECT_EQ(std::get<PartitionChangeRecord>(*back), change);

    Fixture f;
    f.apply(*f.start(Ids{2, 3, 4}).change);
    MetadataImage restored;
    restored.restore(f.image.snapshot());
    const PartitionRecord& p = restored.topics().at(f.id).partitions.at(0);
    EXPECT_EQ(p.replicas, (Ids{2, 3, 4, 1}));
    EXPECT_EQ(p.adding_replicas, (Ids{4}));
    EXPECT_EQ(p.removing_replicas, (Ids{1}));
}

// Part 3 of the feature: a broker keeps logs only for the partitions it replicates.
TEST(Reassignment, ABrokerHasLogsOnlyWhereItIsAReplicaAndLosesTheOneReassignedAway) {
    test::TempDir dir;
    namespace fs = std::filesystem;
    Fixture f;
    PartitionRecord other;  // partition 1 on [2,3,4]: never on broker 1
    other.partition_id = 1;
    other.topic_id = f.id;
    other.replicas = other.isr = {2, 3, 4};
    other.leader = 2;
    other.leader_epoch = 0;
    other.partition_epoch = 0;
    f.apply(other);

    LogManager logs(dir.path(), LogConfig{});
    logs.load(0, false);
    ReplicaConfig config;
    config.node_id = 1;
    ReplicaManager replicas(config, logs);
    std::vector<std::string> removed;
    replicas.remove_dirs = [&](std::vector<std::string> dirs) {
        removed.insert(removed.end(), dirs.begin(), dirs.end());
    };
    replicas.apply_image(f.image, 0);
    EXPECT_TRUE(fs::is_directory(dir.path() + "/orders-0"));
    EXPECT_FALSE(fs::exists(dir.path() + "/orders-1"));  // not a replica: no log at all
    EXPECT_EQ(logs.partition("orders", 1), nullptr);

    // A restart finds orders-0 and does not invent orders-1.
    {
        LogManager again(dir.path(), LogConfig{});
        again.load(0, false);
        EXPECT_NE(again.partition("orders", 0), nullptr);
        EXPECT_EQ(again.partition("orders", 1), nullptr);
    }

    // Reassigned to [2,3,4]: broker 1 keeps its log while it is being removed...
    f.apply(*f.start(Ids{2, 3, 4}).change);
    replicas.apply_image(f.image, 0);
    EXPECT_NE(logs.partition("orders", 0), nullptr);
    // ...and drops it when the reassignment completes.
    f.isr({1, 2, 3, 4});
    f.apply(*complete_reassignment(f.partition(), Fixture::yes));
    replicas.apply_image(f.image, 0);
    EXPECT_EQ(logs.partition("orders", 0), nullptr);
    EXPECT_EQ(replicas.find("orders", 0), nullptr);
    EXPECT_FALSE(fs::exists(dir.path() + "/orders-0"));
    ASSERT_EQ(removed.size(), 1u);
    EXPECT_TRUE(removed[0].ends_with("-delete"));
}

// A broker down while its replica was reassigned away finds the old log at its next start; once
// its metadata has caught up it removes it (a "stray", as Kafka calls it) and keeps its own.
TEST(Reassignment, ABrokerRemovesStrayLogsOnceItsMetadataCaughtUp) {
    test::TempDir dir;
    namespace fs = std::filesystem;
    {
        LogManager before(dir.path(), LogConfig{});
        before.load(0, false);
        ASSERT_EQ(before.ensure_partition("orders", 0, {}, 0).error, ErrorCode::None);
        ASSERT_EQ(before.ensure_partition("orders", 1, {}, 0).error, ErrorCode::None);
        ASSERT_EQ(before.ensure_partition("gone", 0, {}, 0).error, ErrorCode::None);
    }
    // The controller's own metadata log lives next to the partitions and looks like one.
    fs::create_directories(dir.path() + "/__cluster_metadata-0");
    Fixture f;  // orders-0 on [1,2,3]; no partition 1, no topic "gone" any more
    LogManager logs(dir.path(), LogConfig{});
    logs.load(0, false);
    ReplicaConfig config;
    config.node_id = 1;
    ReplicaManager replicas(config, logs);
    replicas.apply_image(f.image, 0);
    EXPECT_NE(logs.partition("orders", 1), nullptr);  // replaying: not ours yet is not "never ours"
    replicas.remove_strays(f.image);
    EXPECT_NE(logs.partition("orders", 0), nullptr);
    EXPECT_EQ(logs.partition("orders", 1), nullptr);
    EXPECT_EQ(logs.partition("gone", 0), nullptr);
    EXPECT_TRUE(fs::is_directory(dir.path() + "/orders-0"));
    EXPECT_FALSE(fs::exists(dir.path() + "/orders-1"));
    EXPECT_FALSE(fs::exists(dir.path() + "/gone-0"));
    EXPECT_TRUE(fs::is_directory(dir.path() + "/__cluster_metadata-0"));  // never a stray
}

// The copying phase reorders the replicas ([1,2,3] -> [2,3,4,1]); the leader must not take the
// same ISR in the new order for a change and send the controller a pointless AlterPartition.
TEST(Reassignment, TheLeaderAsksNoIsrChangeForAReorder) {
    test::TempDir dir;
    Fixture f;
    LogManager logs(dir.path(), LogConfig{});
    logs.load(0, false);
    ReplicaConfig config;
    config.node_id = 1;  // the leader of orders-0
    ReplicaManager replicas(config, logs);
    replicas.apply_image(f.image, 0);
    EXPECT_TRUE(replicas.isr_changes(10).empty());
    f.apply(*f.start(Ids{2, 3, 4, 1}).change);  // adds 4; 4 has not fetched: not in sync yet
    replicas.apply_image(f.image, 20);
    EXPECT_TRUE(replicas.isr_changes(30).empty());
    // Node 4 fetches up to the leader's end: now it is wanted in the ISR.
    PartitionState* p = replicas.find("orders", 0);
    ASSERT_NE(p, nullptr);
    replicas.follower_fetched(*p, 4, 0, 40);
    std::vector<AlterPartitionItem> asked = replicas.isr_changes(50);
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0].new_isr, (Ids{2, 3, 4, 1}));
}
