// CONCEPT: what a new active controller knows about the brokers' liveness - three combined-mode
// nodes (broker + voter each) in one process, stepped by hand on a simulated clock, no sockets.
//
//   node 1 ──Fetch──▶ node 2 (leader, active controller) ◀──Fetch── node 3
//     │  BrokerHeartbeat every 300 ms ──▶ node 2 ◀── BrokerHeartbeat │
//   kill node 2: its broker dies with it. Nodes 1 and 3 stop hearing from it (their Raft fetches);
//   after quorum.fetch.timeout.ms one of them is elected. Does the new controller fence broker 2
//   one session timeout after its last sign of life, or a whole session after its own election?
//
// The messages go from queue to handler at once (no latency) and every node ticks every 10 ms, as
// the wiring does; the election timers are seeded (ControllerConfig::raft_seed), so every run is
// the same run. The times asserted are simulated milliseconds, not the machine's.
// READ NEXT: core/broker_lifecycle.cpp (open_sessions), raft/replica.hpp (last_sign_of_life).
#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "core/controller.hpp"
#include "protocol/broker_registration.hpp"

namespace minikafka {
namespace {

constexpr int64_t kSessionMs = 2000;  // tests/minikafka/cluster_test.py's timeouts
constexpr int64_t kFetchTimeoutMs = 1500;

class ControllerFailover : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("minikafka_controller_failover_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
    }
    void TearDown() override {
        nodes_.clear();
        std::filesystem::remove_all(dir_);
    }

    // Three nodes, each a voter and a broker, until one leads and all three brokers are unfenced.
    void start() {
        for (int32_t id = 1; id <= 3; ++id) {
            ControllerConfig config;
            config.node_id = id;
            config.voters = {{1, "127.0.0.1", 1}, {2, "127.0.0.1", 2}, {3, "127.0.0.1", 3}};
            config.data_dir = (dir_ / std::to_string(id)).string();
            std::filesystem::create_directories(config.data_dir);
            config.cluster_id = "cluster";
            config.raft.election_timeout_ms = 500;
            config.raft.fetch_timeout_ms = kFetchTimeoutMs;
            config.raft.request_timeout_ms = 500;
            config.heartbeat_interval_ms = 300;
            config.session_timeout_ms = kSessionMs;
            config.advertised = {"PLAINTEXT", "127.0.0.1", static_cast<uint16_t>(9090 + id), 0};
            config.raft_seed = 7919 * static_cast<uint64_t>(id) + 1;
            Node& node = nodes_[id];
            node.controller = std::make_unique<Controller>(config, now_);
            node.controller->send = [this, id](int32_t to, const raft::Message& request) {
                quorum_.push_back({id, to, request});
            };
            node.controller->send_broker = [this, id](int32_t to, const BrokerRequest& request) {
                brokers_.push_back({id, to, request});
            };
        }
        ASSERT_TRUE(run_until([&] { return leader() > 0 && unfenced(leader()) == 3; }, 20000))
            << "the cluster did not form";
    }

    // Ticks every node every 10 ms (delivering whatever they send at once) until `done` holds or
    // `limit_ms` have passed; false on the latter.
    bool run_until(const std::function<bool()>& done, int64_t limit_ms) {
        const int64_t deadline = now_ + limit_ms;
        while (now_ < deadline) {
            now_ += 10;
            for (auto& [id, node] : nodes_) {
                if (!node.up) continue;
                node.controller->tick(now_);
                deliver();
            }
            if (done()) return true;
        }
        return false;
    }

    void deliver() {
        for (int guard = 0; guard < 100000 && (!quorum_.empty() || !late_.empty() || !brokers_.empty()); ++guard) {
            if (!quorum_.empty()) {
                const QuorumMessage m = std::move(quorum_.front());
                quorum_.pop_front();
                if (!up(m.from) || !up(m.to)) continue;  // a dead node neither sends nor answers
                if (std::holds_alternative<raft::FetchRequest>(m.request)) ++fetches_;
                // A long-polled Fetch may be answered in a later step: the answer joins late_.
                auto later = [this, asker = m.from, answerer = m.to](const raft::Message& answer) {
                    late_.push_back({answerer, asker, answer});
                };
                std::optional<raft::Message> answer = nodes_[m.to].controller->handle_request(m.request, now_, later);
                if (answer) nodes_[m.from].controller->handle_response(m.to, *answer, now_);
            } else if (!late_.empty()) {
                const QuorumMessage m = std::move(late_.front());  // from: the answerer
                late_.pop_front();
                if (up(m.from) && up(m.to)) nodes_[m.to].controller->handle_response(m.from, m.request, now_);
            } else {
                const BrokerMessage m = std::move(brokers_.front());
                brokers_.pop_front();
                if (!up(m.from) || !up(m.to)) continue;
                Controller& to = *nodes_[m.to].controller;
                if (const auto* r = std::get_if<BrokerRegistrationRequestData>(&m.request)) {
                    nodes_[m.from].controller->handle_broker_response(to.register_broker(*r, now_), now_);
                } else {
                    const auto& heartbeat = std::get<BrokerHeartbeatRequestData>(m.request);
                    nodes_[m.from].controller->handle_broker_response(to.broker_heartbeat(heartbeat, now_), now_);
                }
            }
        }
    }

    bool up(int32_t id) { return nodes_.count(id) != 0 && nodes_[id].up; }
    // The running node that leads (the active controller), or -1.
    int32_t leader() {
        for (auto& [id, node] : nodes_)
            if (node.up && node.controller->is_active()) return id;
        return -1;
    }
    // How many brokers node `id`'s image shows registered and unfenced.
    int unfenced(int32_t id) {
        int count = 0;
        for (const auto& [broker, state] : nodes_[id].controller->image().brokers()) count += state.fenced ? 0 : 1;
        return count;
    }
    bool fenced_in(int32_t id, int32_t broker) {
        const auto& brokers = nodes_[id].controller->image().brokers();
        return brokers.count(broker) != 0 && brokers.at(broker).fenced;
    }

    struct Node {
        std::unique_ptr<Controller> controller;
        bool up = true;
    };
    struct QuorumMessage {
        int32_t from, to;
        raft::Message request;  // in late_: the answer
    };
    struct BrokerMessage {
        int32_t from, to;
        BrokerRequest request;
    };
    std::filesystem::path dir_;
    int64_t now_ = 0;
    std::map<int32_t, Node> nodes_;
    std::deque<QuorumMessage> quorum_;
    std::deque<QuorumMessage> late_;  // answers to parked Fetches
    int fetches_ = 0;                 // quorum Fetches delivered
    std::deque<BrokerMessage> brokers_;
};

// The old controller's broker was heard from (its answers to the followers' fetches) until the
// kill; the survivors elect a new controller a fetch timeout (1.5 s) later. Fenced one session
// (2 s) after the kill, not at election + session (3.5 s and more): the new controller starts that
// session at the last quorum message it had from the node. The survivor that voted for it was
// heard from at the election, so it keeps its session and is never fenced.
TEST_F(ControllerFailover, ABrokerThatDiesWithTheControllerIsFencedOneSessionAfterItsLastSignOfLife) {
    ASSERT_NO_FATAL_FAILURE(start());
    const int32_t victim = leader();
    const int64_t killed_at = now_;
    nodes_[victim].up = false;  // kill -9: no more messages, no more heartbeats

    int32_t successor = -1;
    int64_t elected_at = -1;
    ASSERT_TRUE(run_until(
        [&] {
            if (successor < 0 && leader() > 0) {
                successor = leader();
                elected_at = now_;
            }
            return successor > 0 && fenced_in(successor, victim);
        },
        20000))
        << "broker " << victim << " was never fenced";
    const int64_t fenced_at = now_;
    ASSERT_GT(elected_at - killed_at, kFetchTimeoutMs - 200);  // the scenario: an election first

    // Fenced as soon as one session has passed since the kill (or at once, had the election taken
    // longer than that) - plus the commit of the FenceBrokerRecord: the flush at the next tick and
    // the surviving follower's next Fetch (at most 100 ms later for a polling follower).
    EXPECT_LE(fenced_at, std::max(elected_at, killed_at + kSessionMs) + 150)
        << "elected " << elected_at - killed_at << " ms, fenced " << fenced_at - killed_at << " ms after the kill";
    EXPECT_LT(fenced_at - elected_at, kSessionMs) << "a whole new session after the election";

    // The survivors heartbeat to the new controller and stay unfenced.
    run_until([] { return false; }, 3 * kSessionMs);
    for (int32_t id = 1; id <= 3; ++id) {
        if (id == victim) continue;
        EXPECT_FALSE(fenced_in(successor, id)) << "broker " << id;
    }
}

// The long poll through the controller: an idle follower's Fetch waits at the leader (up to
// 500 ms) and its answer comes later, through handle_request's `later` (the parked answer). Over
// 2 s of quiet, each of the two followers sends about four Fetches - a follower polling every
// 100 ms would send twenty - and nobody misses an answer: no election, same leader, same epoch.
// Then a topic created on the controller reaches all three nodes' images.
TEST_F(ControllerFailover, AnIdleFollowersFetchWaitsAtTheLeaderAndItsAnswerComesLater) {
    ASSERT_NO_FATAL_FAILURE(start());
    const int32_t controller = leader();
    const int32_t epoch = nodes_[controller].controller->replica().epoch();
    run_until([] { return false; }, 1000);  // quiet: every follower caught up
    fetches_ = 0;
    run_until([] { return false; }, 2000);
    EXPECT_LE(fetches_, 2 * 5) << fetches_ << " Fetches in 2 s from two followers";
    EXPECT_GT(fetches_, 0);
    EXPECT_EQ(leader(), controller);
    EXPECT_EQ(nodes_[controller].controller->replica().epoch(), epoch);

    CreatableTopic topic;
    topic.name = "orders";
    topic.assignments = {{1, 2, 3}};
    ASSERT_EQ(nodes_[controller].controller->create_topic(topic, 1, 3, false, now_).error, ErrorCode::None);
    ASSERT_TRUE(run_until(
        [&] {
            for (int32_t id = 1; id <= 3; ++id)
                if (nodes_[id].controller->find_topic("orders") == nullptr) return false;
            return true;
        },
        1000));
}

}  // namespace
}  // namespace minikafka
