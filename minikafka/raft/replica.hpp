// minikafka/raft/replica.hpp
//
// CONCEPT: one member of a KRaft controller quorum, as a pure state machine. It owns no socket,
// no file and no clock: the caller tells it the time (tick), hands it the messages that arrived
// (handle) and the records to replicate (propose), and sends what it put in its outbox. The same
// code therefore runs inside a server and inside a deterministic simulation that tests it.
//
//                 fetch timeout, no leader              wins a majority of votes
//   Unattached / ----------------------> Candidate ---------------------------> Leader
//   Follower   <----------------------- (epoch+1,   <-- election timeout:        |  lost a
//      ^   higher epoch / BeginQuorumEpoch  votes       new epoch, try again      |  majority's
//      |                                   for self)                             v  fetches
//      +------------------ an election at a higher epoch -------------------- Resigned
//
// The rules, and where each is enforced:
//  - Epochs: a replica that sees a higher epoch in any message adopts it (observe_epoch), saving
//    it first; a message from a lower epoch is answered with an error naming the newer one.
//  - Votes (on_vote): one vote per epoch, saved before the answer leaves, and only for a candidate
//    whose log is at least as up to date - so a leader always holds every committed record.
//  - Replication is pulled (on_fetch): a follower names its log end and last epoch; the leader
//    either sends the records that follow, or the diverging epoch where the follower must cut its
//    log, or its snapshot id. A Fetch is also the follower's heartbeat. A follower that already
//    has everything is not answered at once: its Fetch waits at the leader (the long poll) until
//    a record is appended, the high watermark moves or fetch_max_wait_ms pass, and the follower
//    fetches again as soon as an answer arrives - so a commit reaches it in one round trip.
//  - Commit (advance_high_watermark): the leader moves the high watermark to the largest offset a
//    majority has durably fetched, but only once that offset is in its own epoch (Raft 5.4.2:
//    counting replicas never commits an older epoch's record directly; the LeaderChange record a
//    new leader writes first gives it something of its own epoch to commit at once).
//  - Check quorum (tick_leader): a leader that has not heard a Fetch from a majority within 1.5 x
//    the fetch timeout resigns, so a leader cut off from its quorum stops claiming to lead.
//  - Randomized election timeouts, drawn from a seeded generator: split votes end, deterministically.
// REAL KAFKA: KafkaRaftClient with QuorumState (Unattached, Voted, Follower, Candidate, Leader,
// Resigned). Observers (brokers outside the voters) find the leader by asking voters in turn
// (find_leader). Left out here: pre-vote (Prospective, KIP-996), changing the voter set
// (KIP-853), chunked snapshots.
// READ NEXT: replica.cpp and replication.cpp, then tests/minikafka/raft_simulation_test.cpp (how it is proven).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "log.hpp"
#include "messages.hpp"
#include "quorum_state.hpp"
#include "state_machine.hpp"

namespace minikafka::raft {

enum class Role { Unattached, Follower, Candidate, Leader, Resigned };
const char* role_name(Role role);

// Kafka's quorum.* settings (defaults as Kafka's where Kafka has them).
struct RaftConfig {
    int32_t node_id = -1;
    std::vector<int32_t> voters;            // controller.quorum.voters (ids); includes node_id
    int64_t election_timeout_ms = 1000;     // quorum.election.timeout.ms: candidates wait [T, 2T)
    int64_t fetch_timeout_ms = 2000;        // quorum.fetch.timeout.ms: a follower without a leader
                                            // that long stands for election; check quorum uses 1.5x
    int64_t request_timeout_ms = 2000;      // quorum.request.timeout.ms: resend an unanswered request
    int64_t fetch_interval_ms = 100;        // after an error, or without the long poll, a
                                            // follower fetches again this much later
    int64_t fetch_max_wait_ms = 500;        // the long poll: a caught-up follower's Fetch waits at
                                            // the leader up to this long for news (Kafka: 500 ms);
                                            // 0: no long poll, fetch every fetch_interval_ms
    int32_t fetch_max_records = 64;         // records per FetchResponse
    int64_t snapshot_interval_records = 0;  // snapshot once this many applied entries sit in
                                            // the log (0 = never; Kafka counts bytes instead)
};

class RaftReplica {
public:
    // Reads the durable quorum state and the log's snapshot (restoring `state_machine` from it),
    // and starts as Kafka does after a restart: a former leader comes back Resigned, a follower
    // follows the leader it knew, anyone else is Unattached with a fresh election timer.
    RaftReplica(RaftConfig config, RaftLog& log, QuorumStateStore& store, StateMachine& state_machine, uint64_t seed,
                int64_t now_ms);

    void tick(int64_t now_ms);                        // timers: elections, fetches, check quorum
    void handle(const Envelope& in, int64_t now_ms);  // one message that arrived
    // Appends a record if this replica leads: its offset (committed once the high watermark
    // passes it), or nullopt (ask leader_id() instead).
    std::optional<int64_t> propose(std::string record, int64_t now_ms);
    // Graceful resignation (a controlled shutdown): EndQuorumEpoch to the others. False if not leader.
    bool resign(int64_t now_ms);
    std::vector<Envelope> take_outbox();  // what to send, in order

    DescribeQuorumResponse describe_quorum(int64_t now_ms) const;
    int32_t node_id() const { return config_.node_id; }
    Role role() const { return role_; }
    int32_t epoch() const { return epoch_; }
    int32_t leader_id() const { return leader_id_; }
    int64_t high_watermark() const { return high_watermark_; }
    int64_t applied_offset() const { return applied_; }
    // When this replica last heard from voter `node` (any Raft message: a fetch, an answer, a
    // vote), if that silence means something: `node` is the leader this replica followed last
    // (it was listening for it all along - that is what the fetch timeout measures), or the
    // message came during this replica's latest election or since (every voter was asked for its
    // vote then). nullopt for anyone else: not hearing from a follower of another leader says
    // nothing. A new active controller starts each broker's session here (broker_lifecycle.cpp).
    std::optional<int64_t> last_sign_of_life(int32_t node) const;

private:
    // Per-voter progress as the leader sees it (DescribeQuorum shows it).
    struct VoterProgress {
        int64_t end_offset = -1;  // the offset of its last valid Fetch: durable on the voter
        int64_t last_fetch_ms = -1;
        int64_t last_caught_up_ms = -1;
        int64_t begin_sent_ms = -1;  // BeginQuorumEpoch resent until the voter fetches
    };

    // Role changes. Each saves the quorum state before anything else can be sent.
    void become_unattached(int32_t epoch, int64_t now);
    void become_follower(int32_t epoch, int32_t leader, int64_t now);
    void become_candidate(int64_t now);
    void become_leader(int64_t now);
    void become_resigned(int64_t now);
    void observe_epoch(int32_t epoch, int32_t leader, int64_t now);  // a message from a newer epoch
    void save_quorum_state();

    void on(int32_t from, const VoteRequest& request, int64_t now);
    void on(int32_t from, const VoteResponse& response, int64_t now);
    void on(int32_t from, const BeginQuorumEpochRequest& request, int64_t now);
    void on(int32_t from, const BeginQuorumEpochResponse& response, int64_t now);
    void on(int32_t from, const EndQuorumEpochRequest& request, int64_t now);
    void on(int32_t from, const EndQuorumEpochResponse& response, int64_t now);
    void on(int32_t from, const FetchRequest& request, int64_t now);
    void on(int32_t from, const FetchResponse& response, int64_t now);
    void on(int32_t from, const FetchSnapshotRequest& request, int64_t now);
    void on(int32_t from, const FetchSnapshotResponse& response, int64_t now);

    void tick_leader(int64_t now);
    void tick_follower(int64_t now);
    // The leader's side of a Fetch, in three parts: what is wrong with it (None: nothing), what our
    // log has for it, and the answer itself - built when it is sent, which for a parked Fetch is
    // later than when it arrived.
    enum class FetchMatch { Records, Diverging, Snapshot };
    RaftError fetch_error(const FetchRequest& request) const;
    FetchMatch fetch_match(const FetchRequest& request, OffsetAndEpoch& ours) const;
    void answer_fetch(int32_t to, const FetchRequest& request);
    bool high_watermark_news(int32_t to) const;  // `to` has not been sent our current one
    void wake_parked_fetches(int64_t now);       // answer those with news, or whose wait is over
    void send_votes(int64_t now);
    void send_fetch(int64_t now);
    void find_leader(int64_t now);  // an observer: a Fetch to the next voter, to learn the leader
    bool advance_high_watermark();  // true if it moved
    void apply_committed();
    void maybe_snapshot();

    void send(int32_t to, Message message) { outbox_.push_back({config_.node_id, to, std::move(message)}); }
    int64_t random_below(int64_t bound);  // [0, bound), from the seeded generator
    int64_t randomized_election_timeout() {
        return config_.election_timeout_ms + random_below(config_.election_timeout_ms);
    }
    size_t majority() const { return config_.voters.size() / 2 + 1; }
    bool is_voter(int32_t id) const;

    RaftConfig config_;
    RaftLog& log_;
    QuorumStateStore& store_;
    StateMachine& state_machine_;
    uint64_t rng_state_;

    // The durable part (QuorumState) and the role.
    Role role_ = Role::Unattached;
    int32_t epoch_ = 0;
    int32_t voted_id_ = -1;
    int32_t leader_id_ = -1;

    // Commit and apply. Neither is durable: after a restart both start at the snapshot (or 0)
    // and the leader's high watermark brings them forward again.
    int64_t high_watermark_ = 0;
    int64_t applied_ = 0;  // the next offset to apply

    // Unattached, Candidate, Resigned: when to stand for election (next).
    int64_t election_deadline_ms_ = 0;
    // Candidate: who has granted its vote; when votes were last (re)sent.
    std::set<int32_t> granted_;
    int64_t votes_sent_ms_ = 0;
    // Follower: the fetch in flight (0: none), and the leader's last sign of life.
    int32_t next_correlation_id_ = 0;
    int32_t fetch_in_flight_ = 0;
    bool fetching_snapshot_ = false;
    int64_t fetch_sent_ms_ = 0;
    int64_t next_fetch_ms_ = 0;
    int64_t last_leader_contact_ms_ = 0;
    size_t next_discovery_ = 0;  // an observer: the voter its next discovery Fetch goes to
    // Signs of life (last_sign_of_life): per voter, the last message from it; the leader this
    // replica followed last; when its latest election began (the first candidacy of a run).
    std::map<int32_t, int64_t> last_heard_ms_;
    int32_t last_followed_leader_ = -1;
    int64_t election_started_ms_ = -1;
    // Leader: where its epoch starts, whether it has committed in it, each voter's progress.
    int64_t epoch_start_offset_ = 0;
    bool high_watermark_known_ = false;
    std::map<int32_t, VoterProgress> progress_;
    // Leader: the long poll. At most one parked Fetch per fetcher (a newer one replaces it), and
    // the high watermark each fetcher was last sent (so that a moved one is news).
    struct ParkedFetch {
        FetchRequest request;
        int64_t deadline_ms = 0;
    };
    std::map<int32_t, ParkedFetch> parked_;
    std::map<int32_t, int64_t> high_watermark_sent_;

    std::vector<Envelope> outbox_;
};

}  // namespace minikafka::raft
