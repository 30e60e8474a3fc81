// tests/minikafka/raft_simulation_test.cpp
//
// CONCEPT: Raft cannot be proven by examples - its bugs live in rare interleavings of lost
// messages, crashes and elections. So this test builds a small deterministic world and lets a
// seeded random "nemesis" loose in it, checking Raft's safety properties after every step:
//
//   seed --> Rng --+--> network: drop, delay (so reorder), duplicate, partition (also one-way)
//                  +--> nodes:   crash (unflushed log lost), restart, graceful resignation
//                  +--> client:  proposes records to whoever it thinks leads
//   simulated clock (ms) advances to the next message delivery or the next 5 ms tick;
//   the replicas are the real RaftReplica code, with in-memory logs and quorum-state stores.
//
// Checked after every delivered message and every tick:
//   election safety     at most one leader per epoch, ever
//   log matching        an entry (offset, epoch) has the same record and the same predecessor
//                       epoch on every log that holds it - so the logs agree on all before it
//   leader completeness a node that becomes leader holds every record committed so far
//   state-machine safety every node's applied records are a prefix of one global sequence,
//                       and a record committed once is never different or gone
//   high watermark      never goes backwards on a node (a restart rebuilds it from scratch)
// and then liveness: the network heals, every node restarts, and within a bounded simulated time
// a leader is elected and a new record commits and is applied on every node; every record a
// leader ever acknowledged as committed is in the final sequence.
//
// A failure prints the seed and the last events; RAFT_SIM_SEED=<seed> replays that one seed with
// its whole history, RAFT_SIM_SEEDS=<n> runs n seeds per test (the long mode).
// READ NEXT: minikafka/raft/replica.hpp (what is tested), docs/minikafka/05-replication-and-the-controller.md.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "raft/log.hpp"
#include "raft/quorum_state.hpp"
#include "raft/replica.hpp"
#include "temp_dir.hpp"

namespace minikafka::raft {
namespace {

// ---- determinism ----------------------------------------------------------------------------

class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    int64_t below(int64_t bound) {
        return bound <= 0 ? 0 : static_cast<int64_t>(next() % static_cast<uint64_t>(bound));
    }
    bool chance(double p) { return static_cast<double>(next() >> 11) / 9007199254740992.0 < p; }

private:
    uint64_t state_;
};

// ---- instrumented storage -------------------------------------------------------------------

// The library's in-memory log, plus a note of the lowest end it was cut back to, so the checker
// re-verifies only what changed (truncation, crash, a leader's snapshot replacing the log).
class TracedLog : public MemoryRaftLog {
public:
    void truncate_to(int64_t end) override {
        MemoryRaftLog::truncate_to(end);
        lowest_end_ = std::min(lowest_end_, end_offset());
    }
    void install_snapshot(Snapshot snapshot) override {
        MemoryRaftLog::install_snapshot(std::move(snapshot));
        lowest_end_ = std::min(lowest_end_, end_offset());
    }
    int64_t take_lowest_end() {
        const int64_t low = lowest_end_;
        lowest_end_ = INT64_MAX;
        return low;
    }

private:
    int64_t lowest_end_ = INT64_MAX;
};

class Simulation;

// The replicated state machine: the list of records applied, checked on every apply against the
// one sequence all nodes must agree on.
class ListStateMachine : public StateMachine {
public:
    explicit ListStateMachine(Simulation& sim, int32_t node) : sim_(sim), node_(node) {}
    void apply(int64_t offset, std::string_view record) override;
    std::string snapshot() const override;
    void restore(std::string_view snapshot) override;
    const std::vector<std::pair<int64_t, std::string>>& applied() const { return applied_; }

private:
    Simulation& sim_;
    int32_t node_;
    std::vector<std::pair<int64_t, std::string>> applied_;
};

// ---- the world --------------------------------------------------------------------------------

struct SimOptions {
    int voters = 3;
    uint64_t seed = 1;
    bool snapshots = false;
    int64_t chaos_ms = 6000;     // nemesis active
    int64_t liveness_ms = 8000;  // bound for "elected and committed" once healed
    bool verbose = false;
};

struct Node {
    int32_t id = 0;
    TracedLog log;
    MemoryQuorumStateStore store;
    std::unique_ptr<ListStateMachine> state_machine;
    std::unique_ptr<RaftReplica> replica;  // null while crashed
    int restarts = 0;
    int64_t last_hw = 0;
    int64_t verified_end = 0;  // log entries below this were checked for log matching
    Role last_role = Role::Unattached;
    int32_t last_epoch = 0;
};

struct InFlight {
    int64_t deliver_at;
    uint64_t seq;
    Envelope envelope;
    bool operator>(const InFlight& o) const { return std::tie(deliver_at, seq) > std::tie(o.deliver_at, o.seq); }
};

struct Proposal {
    int32_t node;
    int32_t epoch;
    int64_t offset;
    std::string record;
};

class Simulation {
public:
    explicit Simulation(SimOptions options) : options_(options), rng_(options.seed * 7919 + 17) {
        config_.election_timeout_ms = 100;
        config_.fetch_timeout_ms = 200;
        config_.request_timeout_ms = 80;
        config_.fetch_interval_ms = 20;
        config_.fetch_max_wait_ms = 40;  // the long poll, well inside the fetch timeout
        config_.fetch_max_records = 8;
        config_.snapshot_interval_records = options.snapshots ? 5 + rng_.below(20) : 0;
        for (int i = 1; i <= options_.voters; ++i) config_.voters.push_back(i);
        // Each seed draws its own network: from gentle to hostile.
        drop_p_ = rng_.chance(0.3) ? 0.0 : 0.01 * static_cast<double>(rng_.below(25));
        dup_p_ = 0.01 * static_cast<double>(rng_.below(10));
        max_delay_ms_ = 1 + rng_.below(rng_.chance(0.2) ? 150 : 30);
        for (int i = 1; i <= options_.voters; ++i) {
            auto node = std::make_unique<Node>();
            node->id = i;
            nodes_.push_back(std::move(node));
            start(*nodes_.back());
        }
        note("start: " + std::to_string(options_.voters) + " voters, drop " + std::to_string(drop_p_) + ", dup " +
             std::to_string(dup_p_) + ", delay<=" + std::to_string(max_delay_ms_) + "ms, snapshot every " +
             std::to_string(config_.snapshot_interval_records));
    }

    // Runs the whole scenario; returns "" or a description of the first violation.
    std::string run() {
        chaos_phase();
        if (failure_.empty()) liveness_phase();
        if (failure_.empty()) final_checks();
        return failure_.empty() ? "" : failure_ + "\n" + history();
    }

    void fail(const std::string& what) {
        if (failure_.empty())
            failure_ = "seed " + std::to_string(options_.seed) + " t=" + std::to_string(now_) + "ms: " + what;
    }

    // The one sequence of applied records (offset, record) that every node's must be a prefix of.
    std::vector<std::pair<int64_t, std::string>> reference;

    int64_t messages_delivered() const { return delivered_; }
    int64_t snapshots_sent() const { return snapshots_sent_; }
    int32_t highest_epoch() const { return highest_epoch_; }
    int64_t recovery_ms() const { return liveness_ms_; }

private:
    // ---- nodes ----
    void start(Node& node) {
        node.state_machine = std::make_unique<ListStateMachine>(*this, node.id);
        RaftConfig config = config_;
        config.node_id = node.id;
        const uint64_t seed = options_.seed * 1000003 + static_cast<uint64_t>(node.id) * 101 + node.restarts;
        node.replica = std::make_unique<RaftReplica>(config, node.log, node.store, *node.state_machine, seed, now_);
        node.last_hw = node.replica->high_watermark();  // rebuilt: the snapshot or 0
        node.verified_end = std::min(node.verified_end, node.log.end_offset());
        node.last_role = node.replica->role();
        collect(node);
    }
    void crash(Node& node) {
        node.replica.reset();
        node.state_machine.reset();
        node.log.crash();  // whatever was not flushed is gone
        note("crash " + std::to_string(node.id) + " (log end now " + std::to_string(node.log.end_offset()) + ")");
    }
    void restart(Node& node) {
        ++node.restarts;
        start(node);
        note("restart " + std::to_string(node.id) + " as " + role_name(node.replica->role()) + " epoch " +
             std::to_string(node.replica->epoch()));
    }
    bool up(int32_t id) const { return nodes_[static_cast<size_t>(id - 1)]->replica != nullptr; }
    Node& node(int32_t id) { return *nodes_[static_cast<size_t>(id - 1)]; }

    // ---- network ----
    bool blocked(int32_t from, int32_t to) const { return cut_.count({from, to}) > 0; }
    void collect(Node& node) {
        for (Envelope& envelope : node.replica->take_outbox()) {
            if (blocked(envelope.from, envelope.to) || rng_.chance(drop_p_)) continue;
            const int copies = rng_.chance(dup_p_) ? 2 : 1;
            for (int i = 0; i < copies; ++i) {
                const int64_t at = now_ + 1 + rng_.below(max_delay_ms_);
                network_.push(InFlight{at, seq_++, i + 1 == copies ? std::move(envelope) : envelope});
            }
        }
    }
    void deliver(const InFlight& in) {
        const Envelope& e = in.envelope;
        if (blocked(e.from, e.to) || !up(e.to)) return;  // a partition that formed in flight, or a dead node
        ++delivered_;
        if (std::holds_alternative<FetchSnapshotResponse>(e.message)) ++snapshots_sent_;
        Node& to = node(e.to);
        to.replica->handle(e, now_);
        collect(to);
        check();
    }

    void partition() {
        cut_.clear();
        const int kind = static_cast<int>(rng_.below(3));
        const int32_t a = static_cast<int32_t>(1 + rng_.below(options_.voters));
        std::string what;
        if (kind == 0) {  // one node isolated, both ways
            for (int32_t b = 1; b <= options_.voters; ++b) {
                if (b != a) cut_.insert({a, b}), cut_.insert({b, a});
            }
            what = "isolate " + std::to_string(a);
        } else if (kind == 1) {  // a random split into two sides
            std::vector<bool> side(static_cast<size_t>(options_.voters + 1));
            for (int32_t b = 1; b <= options_.voters; ++b) side[static_cast<size_t>(b)] = rng_.chance(0.5);
            for (int32_t x = 1; x <= options_.voters; ++x) {
                for (int32_t y = 1; y <= options_.voters; ++y) {
                    if (side[static_cast<size_t>(x)] != side[static_cast<size_t>(y)]) cut_.insert({x, y});
                }
            }
            what = "split";
            for (int32_t b = 1; b <= options_.voters; ++b) what += side[static_cast<size_t>(b)] ? " " : " |";
        } else {  // asymmetric: a can hear everyone, but nobody hears a (or the reverse)
            const bool outgoing = rng_.chance(0.5);
            for (int32_t b = 1; b <= options_.voters; ++b) {
                if (b != a) cut_.insert(outgoing ? std::pair{a, b} : std::pair{b, a});
            }
            what = std::string("one-way: ") + (outgoing ? "nobody hears " : "deaf ") + std::to_string(a);
        }
        note("partition " + what);
    }

    // ---- the client ----
    void client_propose() {
        int32_t target = believed_leader_;
        if (target < 1 || !up(target)) target = static_cast<int32_t>(1 + rng_.below(options_.voters));
        if (!up(target)) return;
        Node& n = node(target);
        const std::string record = "r" + std::to_string(next_record_++);
        if (auto offset = n.replica->propose(record, now_)) {
            proposals_.push_back({target, n.replica->epoch(), *offset, record});
            believed_leader_ = target;
            if (options_.verbose)
                note("propose " + record + " -> " + std::to_string(target) + " @" + std::to_string(*offset));
        } else {
            believed_leader_ = n.replica->leader_id();  // NOT_LEADER, with a hint (or none)
        }
        collect(n);
    }

    // ---- the clock ----
    // Advances to `until`: every message due is delivered in time order, every node ticks
    // every 5 ms, and `between_ticks` runs once per tick round (the nemesis, the client).
    template <typename F>
    void run_until(int64_t until, F between_ticks) {
        while (now_ < until && failure_.empty()) {
            const int64_t next_tick = next_tick_;
            while (!network_.empty() && network_.top().deliver_at <= next_tick && failure_.empty()) {
                // top() is const only to protect the heap order, which pop() is about to change anyway.
                InFlight in = std::move(const_cast<InFlight&>(network_.top()));
                network_.pop();
                now_ = in.deliver_at;
                deliver(in);
            }
            now_ = next_tick;
            next_tick_ += 5;
            for (auto& n : nodes_) {
                if (!n->replica) continue;
                n->replica->tick(now_);
                collect(*n);
            }
            check();
            if (!between_ticks()) return;
        }
    }

    void chaos_phase() {
        int64_t next_proposal = now_ + 10;
        run_until(options_.chaos_ms, [&] {
            for (auto& n : nodes_) {
                if (n->replica && rng_.chance(0.003))
                    crash(*n);
                else if (!n->replica && rng_.chance(0.02))
                    restart(*n);
            }
            if (cut_.empty() && rng_.chance(0.004))
                partition();
            else if (!cut_.empty() && rng_.chance(0.006)) {
                cut_.clear();
                note("heal");
            }
            if (rng_.chance(0.001)) {
                for (auto& n : nodes_) {
                    if (n->replica && n->replica->resign(now_)) {
                        note("resign " + std::to_string(n->id));
                        collect(*n);
                    }
                }
            }
            if (now_ >= next_proposal) {
                client_propose();
                next_proposal = now_ + 5 + rng_.below(60);
            }
            return true;
        });
    }

    void liveness_phase() {
        // Heal everything: no partition, no loss, no duplicates (delays stay), everyone up.
        cut_.clear();
        drop_p_ = dup_p_ = 0;
        // Raft is live only while messages are much faster than the timeouts (the paper's
        // broadcastTime << electionTimeout): slow links, fine for safety, are made fast again.
        max_delay_ms_ = std::min<int64_t>(max_delay_ms_, 30);
        for (auto& n : nodes_) {
            if (!n->replica) restart(*n);
        }
        note("healed; all nodes up");
        const int64_t healed_at = now_;
        const int64_t deadline = now_ + options_.liveness_ms;
        std::optional<Proposal> final_record;
        int attempts = 0;
        run_until(deadline, [&] {
            // Propose to whoever leads; if that leader loses its epoch before the record commits,
            // the record may be gone (it was never acknowledged): propose a new one, as a client would.
            if (final_record) {
                const Node& n = node(final_record->node);
                const bool same_term = n.replica->role() == Role::Leader && n.replica->epoch() == final_record->epoch;
                if (!same_term && n.replica->high_watermark() <= final_record->offset) final_record.reset();
            }
            if (!final_record) {
                for (auto& n : nodes_) {
                    if (n->replica->role() != Role::Leader) continue;
                    const std::string record = "final" + std::to_string(attempts++);
                    if (auto offset = n->replica->propose(record, now_)) {
                        final_record = Proposal{n->id, n->replica->epoch(), *offset, record};
                        proposals_.push_back(*final_record);
                        note("propose " + record + " -> " + std::to_string(n->id) + " @" + std::to_string(*offset));
                    }
                    collect(*n);
                }
            }
            if (!final_record) return true;
            // Done when every node has applied the final record.
            for (auto& n : nodes_) {
                const auto& applied = n->state_machine->applied();
                if (applied.empty() || applied.back().second != final_record->record) return true;
            }
            liveness_ms_ = now_ - healed_at;
            return false;
        });
        if (failure_.empty() && liveness_ms_ < 0) {
            fail("liveness: no leader committed a new record on every node within " +
                 std::to_string(options_.liveness_ms) + "ms of healing");
        }
    }

    void final_checks() {
        // Every record a leader ever reported committed (its high watermark passed it while it
        // still led that epoch) is in the final sequence: nothing acknowledged was lost.
        std::set<std::string> final_records;
        for (const auto& [offset, record] : reference) final_records.insert(record);
        for (const std::string& record : acknowledged_) {
            if (final_records.count(record) == 0) fail("acknowledged record " + record + " was lost");
        }
        // DescribeQuorum on the leader: every voter listed, none beyond the leader's log end, and
        // the high watermark it reports is the one it commits with.
        for (auto& n : nodes_) {
            if (n->replica->role() != Role::Leader) continue;
            const DescribeQuorumResponse d = n->replica->describe_quorum(now_);
            if (d.current_voters.size() != nodes_.size() || d.leader_id != n->id ||
                d.high_watermark != n->replica->high_watermark()) {
                fail("DescribeQuorum does not describe the quorum");
            }
            for (const ReplicaProgress& p : d.current_voters) {
                if (p.log_end_offset > n->log.end_offset()) fail("DescribeQuorum: a voter ahead of its leader");
            }
        }
    }

    // ---- the checker ----
    void check() {
        for (auto& np : nodes_) {
            Node& n = *np;
            if (!n.replica) continue;
            const RaftReplica& r = *n.replica;
            // Election safety: one leader per epoch.
            if (r.role() == Role::Leader) {
                auto [it, inserted] = leaders_.emplace(r.epoch(), n.id);
                if (!inserted && it->second != n.id) {
                    fail("election safety: epoch " + std::to_string(r.epoch()) + " has leaders " +
                         std::to_string(it->second) + " and " + std::to_string(n.id));
                }
                if (inserted) {
                    note("leader " + std::to_string(n.id) + " epoch " + std::to_string(r.epoch()) + " (log end " +
                         std::to_string(n.log.end_offset()) + ")");
                    check_leader_completeness(n);
                }
            }
            if (r.role() != n.last_role || r.epoch() != n.last_epoch) {
                if (options_.verbose)
                    note(std::to_string(n.id) + " -> " + role_name(r.role()) + " epoch " + std::to_string(r.epoch()));
                n.last_role = r.role();
                n.last_epoch = r.epoch();
                highest_epoch_ = std::max(highest_epoch_, r.epoch());
            }
            check_log_matching(n);
            // The high watermark: monotonic, and what it covers is committed for good.
            const int64_t hw = r.high_watermark();
            if (hw < n.last_hw) {
                fail("high watermark of node " + std::to_string(n.id) + " went back from " + std::to_string(n.last_hw) +
                     " to " + std::to_string(hw));
            }
            for (int64_t o = std::max(n.last_hw, n.log.start_offset()); o < hw && failure_.empty(); ++o) {
                record_committed(o, n.log.entry(o), n.id);
            }
            n.last_hw = std::max(n.last_hw, hw);
        }
        // A proposal counts as acknowledged once its leader, still leading its epoch, has a high
        // watermark past it - that is when a server would answer the client "committed".
        for (auto it = proposals_.begin(); it != proposals_.end();) {
            const Node& n = node(it->node);
            const bool same_term = n.replica && n.replica->role() == Role::Leader && n.replica->epoch() == it->epoch;
            if (same_term && n.replica->high_watermark() > it->offset) {
                acknowledged_.push_back(it->record);
                it = proposals_.erase(it);
            } else if (!same_term) {
                it = proposals_.erase(it);  // the leader lost its term: the client would retry
            } else {
                ++it;
            }
        }
    }

    void record_committed(int64_t offset, const LogEntry& entry, int32_t by) {
        if (committed_.size() <= static_cast<size_t>(offset)) committed_.resize(static_cast<size_t>(offset) + 1);
        auto& slot = committed_[static_cast<size_t>(offset)];
        if (!slot) {
            slot = entry;
        } else if (!(*slot == entry)) {
            fail("state-machine safety: offset " + std::to_string(offset) + " committed as epoch " +
                 std::to_string(slot->epoch) + " '" + slot->record + "' and, on node " + std::to_string(by) +
                 ", as epoch " + std::to_string(entry.epoch) + " '" + entry.record + "'");
        }
    }

    void check_leader_completeness(Node& n) {
        for (size_t o = static_cast<size_t>(n.log.start_offset()); o < committed_.size(); ++o) {
            if (!committed_[o]) continue;
            const auto offset = static_cast<int64_t>(o);
            if (offset >= n.log.end_offset() || !(n.log.entry(offset) == *committed_[o])) {
                fail("leader completeness: new leader " + std::to_string(n.id) + " lacks committed offset " +
                     std::to_string(offset));
                return;
            }
        }
    }

    // Log matching, incrementally: each entry (offset, epoch) must carry the same record and
    // follow an entry of the same epoch on every log. By induction over offsets that is the
    // Log Matching Property: same (offset, epoch) => identical logs up to there.
    void check_log_matching(Node& n) {
        n.verified_end = std::min(n.verified_end, n.log.take_lowest_end());
        const int64_t from = std::max(n.verified_end, n.log.start_offset());
        for (int64_t o = from; o < n.log.end_offset() && failure_.empty(); ++o) {
            const LogEntry& e = n.log.entry(o);
            int32_t previous = 0;
            if (o > n.log.start_offset())
                previous = n.log.entry(o - 1).epoch;
            else if (n.log.snapshot())
                previous = n.log.snapshot()->id.epoch;
            auto [it, inserted] = identities_.emplace(std::pair{o, e.epoch}, std::pair{e, previous});
            if (!inserted && (!(it->second.first == e) || it->second.second != previous)) {
                fail("log matching: node " + std::to_string(n.id) + " offset " + std::to_string(o) + " epoch " +
                     std::to_string(e.epoch) + " differs from another log's entry with the same offset and epoch");
            }
        }
        n.verified_end = n.log.end_offset();
    }

    // ---- history ----
    void note(const std::string& event) {
        history_.push_back("  t=" + std::to_string(now_) + " " + event);
        if (!options_.verbose && history_.size() > 40) history_.pop_front();
    }
    std::string history() const {
        std::string out = "last events (replay: RAFT_SIM_SEED=" + std::to_string(options_.seed) + "):\n";
        for (const std::string& line : history_) out += line + "\n";
        return out;
    }

    SimOptions options_;
    Rng rng_;
    RaftConfig config_;
    double drop_p_ = 0, dup_p_ = 0;
    int64_t max_delay_ms_ = 10;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> network_;
    std::set<std::pair<int32_t, int32_t>> cut_;  // (from, to) links that drop everything
    uint64_t seq_ = 0;
    int64_t now_ = 0;
    int64_t next_tick_ = 5;
    int64_t delivered_ = 0;
    int64_t liveness_ms_ = -1;    // from healing until the final record was applied everywhere
    int64_t snapshots_sent_ = 0;  // FetchSnapshot answers delivered: followers that fell behind a log start
    int32_t highest_epoch_ = 0;
    int32_t believed_leader_ = -1;
    int64_t next_record_ = 0;
    std::vector<Proposal> proposals_;
    std::vector<std::string> acknowledged_;
    std::map<int32_t, int32_t> leaders_;              // epoch -> leader
    std::vector<std::optional<LogEntry>> committed_;  // by offset
    std::map<std::pair<int64_t, int32_t>, std::pair<LogEntry, int32_t>>
        identities_;  // (offset, epoch) -> entry, prev epoch
    std::deque<std::string> history_;
    std::string failure_;
};

void ListStateMachine::apply(int64_t offset, std::string_view record) {
    if (!applied_.empty() && offset <= applied_.back().first) {
        sim_.fail("node " + std::to_string(node_) + " applied offset " + std::to_string(offset) +
                  " twice or out of order");
    }
    const size_t position = applied_.size();
    applied_.emplace_back(offset, std::string(record));
    if (position < sim_.reference.size()) {
        if (sim_.reference[position] != applied_.back()) {
            sim_.fail("state-machine safety: node " + std::to_string(node_) + " applied '" + std::string(record) +
                      "'@" + std::to_string(offset) + " where another applied '" + sim_.reference[position].second +
                      "'@" + std::to_string(sim_.reference[position].first));
        }
    } else {
        sim_.reference.push_back(applied_.back());
    }
}

std::string ListStateMachine::snapshot() const {
    std::string out;
    for (const auto& [offset, record] : applied_) out += std::to_string(offset) + " " + record + "\n";
    return out;
}

void ListStateMachine::restore(std::string_view snapshot) {
    applied_.clear();
    std::istringstream in{std::string(snapshot)};
    int64_t offset;
    std::string record;
    while (in >> offset >> record) apply(offset, record);  // checked against the reference as it goes
}

// ---- running seeds --------------------------------------------------------------------------

int64_t env_int(const char* name, int64_t fallback) {
    const char* value = std::getenv(name);
    return value ? std::strtoll(value, nullptr, 10) : fallback;
}

struct Totals {
    int64_t seeds = 0, messages = 0, max_liveness_ms = 0, epochs = 0, records = 0, snapshots = 0;
};

void run_seeds(int voters, int64_t default_seeds, uint64_t first_seed) {
    if (const int64_t one = env_int("RAFT_SIM_SEED", 0); one > 0) {
        SimOptions options{voters, static_cast<uint64_t>(one), one % 2 == 1, 6000, 8000, true};
        Simulation sim(options);
        const std::string failure = sim.run();
        if (!failure.empty()) ADD_FAILURE() << failure;
        return;
    }
    const int64_t seeds = env_int("RAFT_SIM_SEEDS", default_seeds);
    Totals totals;
    int failures = 0;
    for (int64_t i = 0; i < seeds; ++i) {
        const uint64_t seed = first_seed + static_cast<uint64_t>(i);
        SimOptions options{voters, seed, seed % 2 == 1, 6000, 8000, false};
        Simulation sim(options);
        const std::string failure = sim.run();
        if (!failure.empty() && ++failures <= 3) ADD_FAILURE() << failure;  // the first few in full
        ++totals.seeds;
        totals.messages += sim.messages_delivered();
        totals.epochs += sim.highest_epoch();
        totals.records += static_cast<int64_t>(sim.reference.size());
        totals.snapshots += sim.snapshots_sent();
        totals.max_liveness_ms = std::max(totals.max_liveness_ms, sim.recovery_ms());
    }
    std::printf(
        "%d voters: %lld seeds, %lld messages delivered, %lld epochs, %lld records committed, %lld snapshots "
        "fetched, slowest recovery %lld ms (simulated)\n",
        voters, static_cast<long long>(totals.seeds), static_cast<long long>(totals.messages),
        static_cast<long long>(totals.epochs), static_cast<long long>(totals.records),
        static_cast<long long>(totals.snapshots), static_cast<long long>(totals.max_liveness_ms));
    if (failures > 0)
        std::printf("%d voters: %d of %lld seeds FAILED\n", voters, failures, static_cast<long long>(seeds));
}

TEST(RaftSimulation, ThreeVoters) { run_seeds(3, 500, 1); }
TEST(RaftSimulation, FiveVoters) { run_seeds(5, 150, 100001); }

// ---- the pieces, one example each ------------------------------------------------------------

TEST(RaftLog, EndOffsetForEpochFindsWhereTheLogsDiverge) {
    // leader: 1 1 2 2 2 4      follower: 1 1 1 3 3   (offsets 0..)
    MemoryRaftLog leader, follower;
    for (int32_t e : {1, 1, 2, 2, 2, 4}) leader.append({e, EntryKind::Data, "x"});
    for (int32_t e : {1, 1, 1, 3, 3}) follower.append({e, EntryKind::Data, "y"});
    // The follower fetches (offset 5, last epoch 3): the leader never had epoch 3; the largest
    // epoch <= 3 it has is 2, which ends at offset 5.
    EXPECT_EQ(end_offset_for_epoch(leader, 3), (OffsetAndEpoch{5, 2}));
    // The follower's own epoch 2 or below ends at 3 (its epoch 1): it truncates to min(5, 3) = 3,
    // fetches (3, epoch 1) and is told epoch 1 ends at 2 on the leader: truncate to 2, agree.
    EXPECT_EQ(end_offset_for_epoch(follower, 2), (OffsetAndEpoch{3, 1}));
    EXPECT_EQ(end_offset_for_epoch(leader, 1), (OffsetAndEpoch{2, 1}));
    EXPECT_EQ(end_offset_for_epoch(leader, 9), (OffsetAndEpoch{6, 4}));
    EXPECT_EQ(end_offset_for_epoch(leader, 0), (OffsetAndEpoch{0, 0}));
    // After a snapshot at offset 3 (epoch 2), epoch 1 can no longer be checked: only the snapshot helps.
    leader.flush();
    leader.install_snapshot({{3, 2}, "state"});
    EXPECT_EQ(leader.start_offset(), 3);
    EXPECT_EQ(end_offset_for_epoch(leader, 1), (OffsetAndEpoch{-1, -1}));
    EXPECT_EQ(end_offset_for_epoch(leader, 2), (OffsetAndEpoch{5, 2}));
}

TEST(RaftLog, UpToDateRuleComparesEpochBeforeLength) {
    EXPECT_TRUE(at_least_as_up_to_date({3, 5}, {10, 4}));  // shorter but later epoch wins
    EXPECT_FALSE(at_least_as_up_to_date({10, 4}, {3, 5}));
    EXPECT_TRUE(at_least_as_up_to_date({7, 5}, {7, 5}));
    EXPECT_FALSE(at_least_as_up_to_date({6, 5}, {7, 5}));
}

TEST(RaftLog, CrashKeepsOnlyWhatWasFlushed) {
    MemoryRaftLog log;
    log.append({1, EntryKind::Data, "a"});
    log.flush();
    log.append({1, EntryKind::Data, "b"});
    log.crash();
    EXPECT_EQ(log.end_offset(), 1);
}

using test::TempDir;

TEST(QuorumStateFile, SurvivesARestartAndRefusesACorruptFile) {
    TempDir dir;
    {
        FileQuorumStateStore store(dir.path());
        EXPECT_EQ(store.load(), std::nullopt);  // a new voter
        store.save({6, 1, -1});
        store.save({7, 3, 3});
    }
    FileQuorumStateStore store(dir.path());
    EXPECT_EQ(store.load(), (QuorumState{7, 3, 3}));
    EXPECT_FALSE(std::filesystem::exists(store.path() + ".tmp"));

    // One flipped digit: the checksum no longer matches, and the error names the file.
    std::string text = encode_quorum_state({7, 3, 3});
    text[text.find("leaderEpoch=7") + 12] = '8';
    std::ofstream(store.path(), std::ios::trunc) << text;
    try {
        store.load();
        FAIL() << "a corrupt quorum-state file loaded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(store.path()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
    }
    std::ofstream(store.path(), std::ios::trunc) << "leaderEpoch=7\n";  // torn: no checksum line
    EXPECT_THROW(store.load(), std::runtime_error);
}

// The reason the file exists: a voter restarted from its quorum-state file does not vote twice.
TEST(QuorumStateFile, AVoteSurvivesARestart) {
    TempDir dir;
    SimOptions options;
    Simulation sim(options);
    MemoryRaftLog log;
    auto vote_for = [&](int32_t candidate) {
        FileQuorumStateStore store(dir.path());  // opened anew each time: a restarted process
        ListStateMachine state_machine(sim, 1);
        RaftConfig config;
        config.node_id = 1;
        config.voters = {1, 2, 3};
        RaftReplica replica(config, log, store, state_machine, 1, 0);
        replica.handle({candidate, 1, VoteRequest{5, candidate, 0, 0}}, 0);
        const auto out = replica.take_outbox();
        return out.size() == 1 && std::get<VoteResponse>(out[0].message).vote_granted;
    };
    EXPECT_TRUE(vote_for(2));
    EXPECT_FALSE(vote_for(3));  // same epoch, another candidate: the file remembers the vote for 2
    EXPECT_TRUE(vote_for(2));   // a retried request from the same candidate is granted again
    EXPECT_EQ(FileQuorumStateStore(dir.path()).load(), (QuorumState{5, 2, -1}));
}

// ---- two rules, step by step, with real replicas and messages passed by hand ----------------

struct Member {
    MemoryRaftLog log;
    MemoryQuorumStateStore store;
    std::unique_ptr<ListStateMachine> state_machine;
    std::unique_ptr<RaftReplica> replica;
};

RaftConfig config_for(int32_t id) {
    RaftConfig config;
    config.node_id = id;
    config.voters = {1, 2, 3};
    config.election_timeout_ms = 100;
    config.fetch_timeout_ms = 200;
    config.request_timeout_ms = 80;
    config.fetch_interval_ms = 20;
    config.fetch_max_wait_ms = 40;
    return config;
}

// Node 1 wins epoch 4 with node 3's vote; node 2 is left out of the election.
void elect_node_1(Member& one, Simulation& sim, int64_t& now) {
    one.store.save({3, -1, -1});
    one.state_machine = std::make_unique<ListStateMachine>(sim, 1);
    one.replica = std::make_unique<RaftReplica>(config_for(1), one.log, one.store, *one.state_machine, 7, now);
    now += 250;
    one.replica->tick(now);
    ASSERT_EQ(one.replica->role(), Role::Candidate);
    ASSERT_EQ(one.replica->epoch(), 4);
    one.replica->take_outbox();
    one.replica->handle({3, 1, VoteResponse{RaftError::None, 4, -1, true}}, now);
    ASSERT_EQ(one.replica->role(), Role::Leader);
}

TEST(RaftReplica, AFollowerRepairsItsLogByDivergingEpochs) {
    SimOptions options;
    Simulation sim(options);  // only for the state machines' bookkeeping
    int64_t now = 0;
    // leader-to-be: epochs 1 1 2 2 2 (then its LeaderChange in epoch 4)
    // follower:     epochs 1 1 1 3 3 - an epoch-1 record and an epoch-3 leader the others never saw
    Member one, two;
    // The first two entries are the same on both (they were replicated in epoch 1).
    for (int32_t e : {1, 1, 2, 2, 2}) one.log.append({e, EntryKind::Data, "leader-" + std::to_string(e)});
    two.log.append(one.log.entry(0));
    two.log.append(one.log.entry(1));
    for (int32_t e : {1, 3, 3}) two.log.append({e, EntryKind::Data, "stale-" + std::to_string(e)});
    one.log.flush();
    two.log.flush();
    elect_node_1(one, sim, now);
    two.store.save({3, -1, -1});
    two.state_machine = std::make_unique<ListStateMachine>(sim, 2);
    two.replica = std::make_unique<RaftReplica>(config_for(2), two.log, two.store, *two.state_machine, 9, now);

    // Pump messages between the two until they are quiet, noting each diverging epoch.
    std::vector<OffsetAndEpoch> divergences;
    std::deque<Envelope> wire;
    for (Envelope& e : one.replica->take_outbox()) wire.push_back(std::move(e));
    for (int round = 0; round < 200 && !wire.empty(); ++round) {
        Envelope e = std::move(wire.front());
        wire.pop_front();
        if (e.to != 1 && e.to != 2) continue;  // node 3 is not in this test
        if (auto* f = std::get_if<FetchResponse>(&e.message); f && f->diverging_epoch) {
            divergences.push_back(*f->diverging_epoch);
        }
        Member& to = e.to == 1 ? one : two;
        now += 1;
        to.replica->handle(e, now);
        for (Envelope& out : to.replica->take_outbox()) wire.push_back(std::move(out));
        if (wire.empty()) {  // idle: let time pass so the follower fetches again (and commits)
            now += 25;
            for (Member* m : {&one, &two}) {
                m->replica->tick(now);
                for (Envelope& out : m->replica->take_outbox()) wire.push_back(std::move(out));
            }
            if (two.replica->high_watermark() == one.log.end_offset()) break;
        }
    }
    // Fetch{5, epoch 3}: the leader never had epoch 3; its epoch 2 ends at 5 -> truncate to
    // min(5, where my epoch <=2 ends = 3) = 3. Fetch{3, epoch 1}: its epoch 1 ends at 2 -> truncate to 2.
    ASSERT_EQ(divergences.size(), 2u);
    EXPECT_EQ(divergences[0], (OffsetAndEpoch{5, 2}));
    EXPECT_EQ(divergences[1], (OffsetAndEpoch{2, 1}));
    ASSERT_EQ(two.log.end_offset(), one.log.end_offset());
    for (int64_t o = 0; o < one.log.end_offset(); ++o) EXPECT_EQ(two.log.entry(o), one.log.entry(o)) << o;
    EXPECT_EQ(one.replica->high_watermark(), 6);  // the LeaderChange at 5 committed, and all before it
}

TEST(RaftReplica, ALeaderThatHearsNoFetchesResigns) {
    SimOptions options;
    Simulation sim(options);
    int64_t now = 0;
    Member one;
    elect_node_1(one, sim, now);
    // Node 2 fetches now and then; node 3 is gone. One follower plus the leader is a majority:
    // the leader stays as long as node 2 keeps fetching...
    for (int i = 0; i < 20; ++i) {
        now += 50;
        one.replica->handle({2, 1, FetchRequest{i + 1, 2, 4, 0, 0, 0}}, now);
        one.replica->tick(now);
    }
    EXPECT_EQ(one.replica->role(), Role::Leader);
    one.replica->take_outbox();
    // ...and resigns once 1.5 x the fetch timeout passes without a fetch from anyone.
    now += 300;
    one.replica->tick(now);
    EXPECT_EQ(one.replica->role(), Role::Resigned);
    int end_quorum_epochs = 0;
    for (const Envelope& e : one.replica->take_outbox())
        end_quorum_epochs += std::holds_alternative<EndQuorumEpochRequest>(e.message);
    EXPECT_EQ(end_quorum_epochs, 2);
    EXPECT_EQ(one.replica->propose("too late", now), std::nullopt);
}

// A broker outside the voters (process.roles=broker: a node added to a running cluster) is an
// observer: it asks the voters in turn who leads, follows that leader's log, and never stands
// for election or counts toward the majority - however long it hears nothing.
TEST(RaftReplica, AnObserverFindsTheLeaderReplicatesAndNeverVotes) {
    SimOptions options;
    Simulation sim(options);
    int64_t now = 0;
    Member one, four;
    elect_node_1(one, sim, now);
    ASSERT_TRUE(one.replica->propose("topic orders", now));
    four.state_machine = std::make_unique<ListStateMachine>(sim, 4);
    RaftConfig observer = config_for(4);  // voters {1, 2, 3}: node 4 is not one of them
    four.replica = std::make_unique<RaftReplica>(observer, four.log, four.store, *four.state_machine, 11, now);
    one.replica->take_outbox();
    // Only node 1 answers (2 and 3 are down): the observer must get there by asking around.
    std::deque<Envelope> wire;
    for (int step = 0; step < 400 && four.log.end_offset() < one.log.end_offset(); ++step) {
        now += 10;
        for (Member* m : {&one, &four}) {
            m->replica->tick(now);
            for (Envelope& out : m->replica->take_outbox()) wire.push_back(std::move(out));
        }
        while (!wire.empty()) {
            Envelope e = std::move(wire.front());
            wire.pop_front();
            if (e.to != 1 && e.to != 4) continue;
            Member& to = e.to == 1 ? one : four;
            to.replica->handle(e, now);
            for (Envelope& out : to.replica->take_outbox()) wire.push_back(std::move(out));
        }
    }
    EXPECT_EQ(four.replica->role(), Role::Follower);
    EXPECT_EQ(four.replica->leader_id(), 1);
    ASSERT_EQ(four.log.end_offset(), one.log.end_offset());
    for (int64_t o = 0; o < one.log.end_offset(); ++o) EXPECT_EQ(four.log.entry(o), one.log.entry(o)) << o;
    // The observer's fetches are served but not counted: with 2 and 3 silent nothing commits.
    EXPECT_EQ(one.replica->high_watermark(), 0);
    // The leader goes silent: the observer forgets it and keeps asking - never a candidate.
    for (int i = 0; i < 100; ++i) {
        now += 50;
        four.replica->tick(now);
        for (const Envelope& e : four.replica->take_outbox())
            EXPECT_FALSE(std::holds_alternative<VoteRequest>(e.message));
        EXPECT_NE(four.replica->role(), Role::Candidate);
    }
    EXPECT_EQ(four.replica->epoch(), 4);
    EXPECT_EQ(four.replica->role(), Role::Unattached);
}

// The replica's messages will come off sockets: nonsense gets an error, never a crash or a vote.
TEST(RaftReplica, RefusesWhatNoCorrectPeerSends) {
    SimOptions options;
    Simulation sim(options);
    int64_t now = 0;
    Member one;
    elect_node_1(one, sim, now);
    one.replica->take_outbox();
    one.replica->handle({2, 1, FetchRequest{1, 2, 4, -1, 0, 0}}, now);  // a negative fetch offset
    auto out = one.replica->take_outbox();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(std::get<FetchResponse>(out[0].message).error, RaftError::InvalidRequest);
    EXPECT_EQ(one.replica->role(), Role::Leader);

    // A candidate counts only voters' grants: node 9 is not in controller.quorum.voters.
    Member two;
    two.state_machine = std::make_unique<ListStateMachine>(sim, 2);
    two.replica = std::make_unique<RaftReplica>(config_for(2), two.log, two.store, *two.state_machine, 3, 0);
    two.replica->tick(250);
    ASSERT_EQ(two.replica->role(), Role::Candidate);
    two.replica->handle({9, 2, VoteResponse{RaftError::None, two.replica->epoch(), -1, true}}, 251);
    EXPECT_EQ(two.replica->role(), Role::Candidate);
    // ...and a non-voter cannot announce itself leader.
    two.replica->handle({9, 2, BeginQuorumEpochRequest{two.replica->epoch() + 1, 9}}, 252);
    EXPECT_EQ(two.replica->role(), Role::Candidate);
}

// KRaft's long poll, step by step: a caught-up follower's Fetch is not answered until there is
// something new for it - a record (after the leader's flush), a high watermark it has not been
// sent - or its wait is over; and a leader that steps down answers it at once with the news.
TEST(RaftReplica, ACaughtUpFollowersFetchWaitsAtTheLeaderForNews) {
    SimOptions options;
    Simulation sim(options);
    int64_t now = 0;
    Member one;
    elect_node_1(one, sim, now);  // node 1 leads epoch 4; its log: the LeaderChange at 0
    one.replica->tick(++now);     // flushed
    one.replica->take_outbox();
    auto answers = [&] {
        std::vector<FetchResponse> out;
        for (Envelope& e : one.replica->take_outbox())
            if (auto* f = std::get_if<FetchResponse>(&e.message)) out.push_back(std::move(*f));
        return out;
    };
    // Node 3 lacks the LeaderChange: answered at once, with it.
    one.replica->handle({3, 1, FetchRequest{1, 3, 4, 0, 0, 40}}, now);
    auto out = answers();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].records.size(), 1u);
    // Node 3 now holds it: the high watermark moves to 1, which is news for node 3 - at once.
    one.replica->handle({3, 1, FetchRequest{2, 3, 4, 1, 4, 40}}, now);
    out = answers();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].high_watermark, 1);
    // Nothing new: parked. No answer, even after ticks, until a record is proposed and flushed.
    one.replica->handle({3, 1, FetchRequest{3, 3, 4, 1, 4, 40}}, now);
    one.replica->tick(now += 10);
    EXPECT_TRUE(answers().empty());
    ASSERT_TRUE(one.replica->propose("orders", now));
    EXPECT_TRUE(answers().empty());  // appended, not flushed: wait for the group commit
    one.replica->tick(now += 5);
    out = answers();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].correlation_id, 3);
    ASSERT_EQ(out[0].records.size(), 1u);
    EXPECT_EQ(out[0].records[0].record, "orders");
    // Node 3 appends it and fetches again: the commit is news, answered at once.
    one.replica->handle({3, 1, FetchRequest{4, 3, 4, 2, 4, 40}}, now);
    out = answers();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].high_watermark, 2);
    // Parked again; nothing happens; after 40 ms it gets an empty answer (it is still followed).
    one.replica->handle({3, 1, FetchRequest{5, 3, 4, 2, 4, 40}}, now);
    one.replica->tick(now += 39);
    EXPECT_TRUE(answers().empty());
    one.replica->tick(now += 1);
    out = answers();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].correlation_id, 5);
    EXPECT_TRUE(out[0].records.empty());
    EXPECT_EQ(out[0].error, RaftError::None);
    // Parked once more; node 2 stands in epoch 5: node 1 steps down and answers with the news.
    one.replica->handle({3, 1, FetchRequest{6, 3, 4, 2, 4, 40}}, now);
    EXPECT_TRUE(answers().empty());
    one.replica->handle({2, 1, VoteRequest{5, 2, 4, 2}}, ++now);
    out = answers();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].correlation_id, 6);
    EXPECT_EQ(out[0].error, RaftError::FencedLeaderEpoch);
    EXPECT_EQ(out[0].leader_epoch, 5);
}

// The follower's half: it fetches again as soon as an answer arrives - no fetch interval - so a
// commit travels leader -> follower in one trip. Quiet network, 1 ms per message: from proposal to
// "applied on every voter" takes the leader's flush (a tick, 5 ms) plus two round trips, not the
// 20 ms fetch interval a polling follower would add.
TEST(RaftReplica, ACommitReachesTheFollowersWithoutWaitingForAFetchInterval) {
    SimOptions options;
    Simulation sim(options);
    int64_t now = 0;
    std::map<int32_t, Member> members;
    for (int32_t id : {1, 2, 3}) {
        Member& m = members[id];
        m.state_machine = std::make_unique<ListStateMachine>(sim, id);
        m.replica = std::make_unique<RaftReplica>(config_for(id), m.log, m.store, *m.state_machine, 17 * id, now);
    }
    // Every 5 ms each replica ticks; a message sent at t arrives at t + 1.
    std::multimap<int64_t, Envelope> wire;
    auto step_until = [&](auto done, int64_t limit) {
        for (const int64_t end = now + limit; now < end;) {
            ++now;
            for (auto it = wire.begin(); it != wire.end() && it->first <= now; it = wire.erase(it)) {
                Member& to = members.at(it->second.to);
                to.replica->handle(it->second, now);
                for (Envelope& out : to.replica->take_outbox()) wire.emplace(now + 1, std::move(out));
            }
            if (now % 5 == 0) {
                for (auto& [id, m] : members) {
                    m.replica->tick(now);
                    for (Envelope& out : m.replica->take_outbox()) wire.emplace(now + 1, std::move(out));
                }
            }
            if (done()) return true;
        }
        return false;
    };
    auto leader = [&]() -> Member* {
        for (auto& [id, m] : members)
            if (m.replica->role() == Role::Leader && m.replica->high_watermark() == m.log.end_offset()) return &m;
        return nullptr;
    };
    ASSERT_TRUE(step_until([&] { return leader() != nullptr; }, 2000));
    step_until([] { return false; }, 200);  // quiet: every follower caught up and parked
    Member& l = *leader();
    ASSERT_TRUE(l.replica->propose("orders", now));
    const int64_t proposed_at = now;
    ASSERT_TRUE(step_until(
        [&] {
            for (auto& [id, m] : members) {
                const auto& applied = m.state_machine->applied();
                if (applied.empty() || applied.back().second != "orders") return false;
            }
            return true;
        },
        200));
    EXPECT_LE(now - proposed_at, 10) << "applied everywhere " << now - proposed_at << " ms after the proposal";
}

// No nemesis at all (no chaos phase): three voters elect one leader and commit on every node.
TEST(RaftReplica, ThreeVotersElectOneLeaderAndCommit) {
    SimOptions options{3, 424242, false, 0, 3000, false};
    Simulation sim(options);
    const std::string failure = sim.run();
    EXPECT_TRUE(failure.empty()) << failure;
    ASSERT_GE(sim.reference.size(), 1u);
    EXPECT_EQ(sim.reference.back().second.substr(0, 5), "final");
}

}  // namespace
}  // namespace minikafka::raft
