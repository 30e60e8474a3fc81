// CONCEPT: who the controller makes leader when a broker dies - stepped by hand, no sockets.
//
// A controller quorum of one voter (node 1) with two more brokers registered by hand, 7 and 8,
// and topics placed on them with explicit assignments [[7, 8]]. A broker "dies" by no longer
// heartbeating; the controller fences it after broker.session.timeout.ms and moves its partitions
// (core/topic_control.cpp, Controller::tick_partitions). With one voter a record commits at the
// next tick, so each tick can be checked: what the image shows is what every broker would apply.
//
//   clean (unclean.leader.election.enable=false): only an ISR member leads; none alive -> -1
//   unclean (true, broker default or topic config; the topic's wins): any live replica leads
//   the preferred replica back in the ISR: it leads again once leader.imbalance.check.interval
//   has passed (auto.leader.rebalance.enable=true), or the failover's leader stays (false)
//
// READ NEXT: tests/minikafka/unclean_election_test.py (the same on three processes, with data).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "core/controller.hpp"
#include "core/metadata_image.hpp"
#include "protocol/alter_partition.hpp"
#include "protocol/broker_registration.hpp"

namespace minikafka {
namespace {

class LeaderElection : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("minikafka_leader_election_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // The controller, leading, with brokers 7 and 8 registered and unfenced.
    void start(bool unclean_by_default, bool auto_leader_rebalance = true) {
        ControllerConfig config;
        config.node_id = 1;
        config.voters = {{1, "127.0.0.1", 1}};
        config.data_dir = dir_.string();
        config.cluster_id = "cluster";
        config.session_timeout_ms = 1000;
        config.heartbeat_interval_ms = 100;
        config.unclean_leader_election = unclean_by_default;
        config.auto_leader_rebalance = auto_leader_rebalance;
        config.leader_imbalance_check_interval_ms = kBalanceIntervalMs;
        controller_ = std::make_unique<Controller>(config, now_);
        while (controller_->replica().role() != raft::Role::Leader && now_ < 10000) controller_->tick(now_ += 10);
        ASSERT_EQ(controller_->replica().role(), raft::Role::Leader);
        for (int32_t id : {7, 8}) {
            BrokerRegistrationRequestData join;
            join.broker_id = id;
            join.cluster_id = "cluster";
            join.incarnation_id[0] = static_cast<uint8_t>(id);
            join.listeners.push_back({"PLAINTEXT", "127.0.0.1", static_cast<uint16_t>(9000 + id), 0});
            BrokerRegistrationResponseData registered = controller_->register_broker(join, now_);
            ASSERT_EQ(registered.error_code, 0);
            epochs_[id] = registered.broker_epoch;
        }
        step({7, 8}, 50);
        ASSERT_FALSE(controller_->image().brokers().at(7).fenced);
        ASSERT_FALSE(controller_->image().brokers().at(8).fenced);
    }

    // `ticks` ticks of 10 ms, in which the brokers in `alive` heartbeat every 100 ms.
    void step(std::set<int32_t> alive, int ticks) {
        for (int i = 0; i < ticks; ++i) {
            now_ += 10;
            if (now_ % 100 == 0)
                for (int32_t id : alive) {
                    const int64_t offset = controller_->replica().high_watermark();
                    controller_->broker_heartbeat({id, epochs_[id], offset, false, false}, now_);
                }
            controller_->tick(now_);
        }
    }

    void create(const std::string& name, std::vector<ConfigEntry> configs = {}) {
        CreatableTopic topic;
        topic.name = name;
        topic.assignments = {{7, 8}};
        topic.configs = std::move(configs);
        ASSERT_EQ(controller_->create_topic(topic, 1, 1, false, now_).error, ErrorCode::None);
        step({7, 8}, 2);
        ASSERT_EQ(leader(name), 7);
    }

    const PartitionRecord& partition(const std::string& name) const {
        return controller_->find_topic(name)->partitions.at(0);
    }
    int32_t leader(const std::string& name) const { return partition(name).leader; }

    // The partition's leader asks for `isr`, as its ReplicaManager does once a follower caught up.
    void ask_for_isr(const std::string& name, std::vector<int32_t> isr) {
        const PartitionRecord& p = partition(name);
        AlterPartitionRequestData request{p.leader, epochs_[p.leader], {}};
        request.partitions.push_back({name, 0, p.leader_epoch, std::move(isr), p.partition_epoch});
        AlterPartitionResponseData answer = controller_->alter_partition(request, now_);
        ASSERT_EQ(answer.partitions.size(), 1u);
        ASSERT_EQ(answer.partitions[0].error, ErrorCode::None);
    }

    // Leader 7 (the preferred replica) is fenced, 8 takes over; 7 comes back and 8 takes it into
    // the ISR again. Returns the leader epoch of 8's term.
    int32_t fail_over_and_come_back() {
        create("orders");
        step({8}, 150);  // 7 silent for 1.5 s: fenced, out of the ISR; 8 leads
        EXPECT_TRUE(controller_->image().brokers().at(7).fenced);
        EXPECT_EQ(leader("orders"), 8);
        const int32_t failover_epoch = partition("orders").leader_epoch;
        step({7, 8}, 50);  // 7 heartbeats again: unfenced, but not in the ISR yet
        EXPECT_FALSE(controller_->image().brokers().at(7).fenced);
        EXPECT_EQ(leader("orders"), 8);
        ask_for_isr("orders", {8, 7});  // 7 has caught up by follower fetch
        step({7, 8}, 50);
        EXPECT_EQ(partition("orders").isr, (std::vector<int32_t>{8, 7}));
        return failover_epoch;
    }

    static constexpr int64_t kBalanceIntervalMs = 5000;  // leader.imbalance.check.interval.seconds=5
    std::filesystem::path dir_;
    int64_t now_ = 0;
    std::unique_ptr<Controller> controller_;
    std::map<int32_t, int64_t> epochs_;
};

// The leader changes are proposed in the same tick as the fence, right behind it in the log, so
// no broker ever applies "7 is fenced" and still sees 7 leading (Kafka's handleBrokerFenced).
TEST_F(LeaderElection, AFencedLeadersPartitionsMoveInTheSameCommitAsTheFence) {
    start(false);
    create("orders");
    bool checked = false;
    for (int i = 0; i < 300 && !checked; ++i) {
        step({8}, 1);  // 7 falls silent
        if (controller_->image().brokers().at(7).fenced) {
            EXPECT_EQ(leader("orders"), 8);
            EXPECT_EQ(partition("orders").isr, (std::vector<int32_t>{8}));
            checked = true;
        }
    }
    EXPECT_TRUE(checked) << "broker 7 was never fenced";
}

// Both replicas fail in turn: 8 first (it leaves the ISR), then the leader 7, while 8 comes back.
// Clean: nobody in the ISR is alive, the partition has no leader, the ISR keeps 7. Unclean: 8
// leads, and the ISR is 8 alone. The broker's default is unclean here; "strict" overrides it.
TEST_F(LeaderElection, OnlyAnUncleanTopicElectsAReplicaOutsideTheIsr) {
    start(true);
    create("lenient");  // inherits the broker's unclean.leader.election.enable=true
    create("strict", {{"unclean.leader.election.enable", "false"}});

    step({7}, 150);  // 8 silent for 1.5 s: fenced, out of both ISRs
    ASSERT_TRUE(controller_->image().brokers().at(8).fenced);
    ASSERT_EQ(partition("strict").isr, (std::vector<int32_t>{7}));
    ASSERT_EQ(partition("lenient").isr, (std::vector<int32_t>{7}));

    step({8}, 150);  // now 7 is silent and 8 is back
    ASSERT_TRUE(controller_->image().brokers().at(7).fenced);
    ASSERT_FALSE(controller_->image().brokers().at(8).fenced);
    EXPECT_EQ(leader("strict"), -1);
    EXPECT_EQ(partition("strict").isr, (std::vector<int32_t>{7}));
    EXPECT_EQ(leader("lenient"), 8);
    EXPECT_EQ(partition("lenient").isr, (std::vector<int32_t>{8}));

    step({7, 8}, 150);  // 7 returns: the strict topic is led again, by its last ISR member
    EXPECT_EQ(leader("strict"), 7);
}

// Leadership goes home, but only leader.imbalance.check.interval.seconds after the controller first
// saw the partition led elsewhere (Kafka's preferred leader election): until then the failover's
// leader keeps it, although the preferred replica is alive and in the ISR again; then the preferred
// replica leads - a third leader epoch. Moving at once (as the controller did) handed leadership
// back to a resumed node a fraction of a second after the failover.
TEST_F(LeaderElection, ThePreferredReplicaLeadsAgainOnlyAfterTheImbalanceInterval) {
    start(false);
    // 7 goes silent now and is fenced a session timeout (1 s) later, so 8 leads from 1 s on at the
    // earliest: the election is due no sooner than 1 s + the interval from here.
    const int64_t silent_from = now_;
    const int32_t failover_epoch = fail_over_and_come_back();
    ASSERT_EQ(partition("orders").isr, (std::vector<int32_t>{8, 7}));
    while (now_ < silent_from + 1000 + kBalanceIntervalMs - 100) {
        step({7, 8}, 10);
        ASSERT_EQ(leader("orders"), 8) << "leadership went home " << now_ - silent_from << " ms after 7 went silent";
    }
    step({7, 8}, 150);  // the interval has passed
    EXPECT_EQ(leader("orders"), 7);
    EXPECT_EQ(partition("orders").leader_epoch, failover_epoch + 1);
}

// auto.leader.rebalance.enable=false: the failover's leader keeps the partition (Kafka's switch for
// its periodic preferred leader election); the returning replica is a follower in the ISR.
TEST_F(LeaderElection, WithoutAutoLeaderRebalanceTheFailoversLeaderStays) {
    start(false, false);
    const int32_t failover_epoch = fail_over_and_come_back();
    step({7, 8}, static_cast<int>(2 * kBalanceIntervalMs / 10));  // long past the interval
    EXPECT_EQ(leader("orders"), 8);
    EXPECT_EQ(partition("orders").leader_epoch, failover_epoch);
}

}  // namespace
}  // namespace minikafka
