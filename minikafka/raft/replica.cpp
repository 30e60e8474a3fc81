// minikafka/raft/replica.cpp - the Raft replica: roles, timers, elections, check quorum.
//
// CONCEPT: one member of a KRaft controller quorum (replica.hpp): Raft as Kafka runs it. Where
// textbook Raft has the leader push AppendEntries, KRaft's followers pull with Fetch - the same
// mechanism as a partition's followers - and the leader learns their progress from it. It is
// what replaced ZooKeeper ("Zookeeper (in older Kafka versions)" in the course notes).
//
//   Unattached / Resigned ─election timeout─▶ Candidate ─majority of votes─▶ Leader
//   Follower ─no answer for fetch timeout─▶ Candidate (a voter; an observer asks around)
//   Leader ─a majority stopped fetching (check quorum)─▶ Resigned
//   any role ─a newer epoch with its leader─▶ Follower of that leader
//
//
// Reading order: the constructor (restart), tick (timers), the role changes, then the election's
// message handlers in protocol order - Vote, BeginQuorumEpoch, EndQuorumEpoch. How the log then
// travels from the leader to the followers (Fetch, FetchSnapshot, the long poll) and when an entry
// counts as committed is the other half of Raft, in replication.cpp.
// READ NEXT: replication.cpp (pull replication and commit), tests/minikafka/raft_simulation_test.cpp (how it is
// proven),
//            docs/minikafka/05-replication-and-the-controller.md "Raft in one page".
#include "replica.hpp"

#include <algorithm>
#include <type_traits>

namespace minikafka::raft {

const char* role_name(Role role) {
    switch (role) {
        case Role::Unattached:
            return "unattached";
        case Role::Follower:
            return "follower";
        case Role::Candidate:
            return "candidate";
        case Role::Leader:
            return "leader";
        case Role::Resigned:
            return "resigned";
    }
    return "?";
}

RaftReplica::RaftReplica(RaftConfig config, RaftLog& log, QuorumStateStore& store, StateMachine& state_machine,
                         uint64_t seed, int64_t now_ms)
    : config_(std::move(config)), log_(log), store_(store), state_machine_(state_machine), rng_state_(seed) {
    // Whatever the snapshot covers is committed: the state machine starts from it, and so does
    // the high watermark. Everything after it waits for a leader to say it is committed.
    if (log_.snapshot()) {
        state_machine_.restore(log_.snapshot()->data);
        applied_ = high_watermark_ = log_.snapshot()->id.offset;
    }
    const QuorumState saved = store_.load().value_or(QuorumState{});
    epoch_ = saved.leader_epoch;
    voted_id_ = saved.voted_id;
    leader_id_ = saved.leader_id;
    if (leader_id_ == config_.node_id) {
        // We led this epoch before the restart, but our in-memory leader state (who fetched what)
        // is gone: we cannot lead it again. Kafka restarts such a leader as Resigned.
        role_ = Role::Resigned;
        election_deadline_ms_ = now_ms + randomized_election_timeout();
    } else if (leader_id_ >= 0) {
        become_follower(epoch_, leader_id_, now_ms);
    } else {
        role_ = Role::Unattached;
        election_deadline_ms_ = now_ms + randomized_election_timeout();
    }
}

int64_t RaftReplica::random_below(int64_t bound) {
    // splitmix64: tiny, fast, and the same numbers on every platform for a given seed (the
    // standard library's distributions are not specified bit for bit).
    uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return bound <= 0 ? 0 : static_cast<int64_t>(z % static_cast<uint64_t>(bound));
}

bool RaftReplica::is_voter(int32_t id) const {
    return std::find(config_.voters.begin(), config_.voters.end(), id) != config_.voters.end();
}

std::vector<Envelope> RaftReplica::take_outbox() {
    std::vector<Envelope> out;
    out.swap(outbox_);
    return out;
}

// ---- timers ---------------------------------------------------------------------------------

// tick() is the only place time moves. Every timer is a deadline compared with `now`, so the
// caller decides how fine-grained time is: a server ticks every few milliseconds from an Asio
// timer, the simulation every 5 simulated milliseconds. Nothing here reads a clock.
void RaftReplica::tick(int64_t now) {
    switch (role_) {
        case Role::Leader:
            tick_leader(now);
            break;
        case Role::Follower:
            tick_follower(now);
            break;
        case Role::Candidate:
            if (now >= election_deadline_ms_) {
                become_candidate(now);  // a split vote or lost messages: try again, one epoch up
            } else if (now - votes_sent_ms_ >= config_.request_timeout_ms) {
                send_votes(now);  // resend to whoever has not granted yet
            }
            break;
        case Role::Unattached:
        case Role::Resigned:
            if (!is_voter(config_.node_id)) {
                find_leader(now);  // an observer never stands for election: it asks around
            } else if (now >= election_deadline_ms_) {
                become_candidate(now);
            }
            break;
    }
}

void RaftReplica::tick_leader(int64_t now) {
    // Group commit: the records proposed since the last tick reach the disk with one flush; only
    // then does the leader's own log end count toward the majority.
    log_.flush();
    advance_high_watermark();
    // The long poll's other half: what this tick flushed (or committed) wakes the followers'
    // parked fetches - as Kafka completes its fetch purgatory after each flush of the leader's log.
    wake_parked_fetches(now);

    // Check quorum: the leader needs evidence that a majority still follows it. Fetches are that
    // evidence. Without it, a leader on the wrong side of a partition would keep accepting
    // proposals that can never commit, and clients would keep talking to it.
    size_t in_touch = 1;  // itself
    for (auto& [id, p] : progress_) {
        if (now - p.last_fetch_ms < config_.fetch_timeout_ms * 3 / 2) ++in_touch;
        // A voter that has not fetched in this epoch may have missed BeginQuorumEpoch: resend.
        if (p.end_offset < 0 && now - p.begin_sent_ms >= config_.request_timeout_ms) {
            p.begin_sent_ms = now;
            send(id, BeginQuorumEpochRequest{epoch_, config_.node_id});
        }
    }
    if (in_touch < majority()) become_resigned(now);
}

void RaftReplica::tick_follower(int64_t now) {
    if (now - last_leader_contact_ms_ >= config_.fetch_timeout_ms) {
        // The leader has not answered a fetch for the whole fetch timeout: presume it dead. A
        // voter stands for election; an observer forgets the leader and asks the voters again.
        if (is_voter(config_.node_id)) {
            become_candidate(now);
        } else {
            become_unattached(epoch_, now);
        }
        return;
    }
    const bool idle_and_due = fetch_in_flight_ == 0 && now >= next_fetch_ms_;
    // A long-polled Fetch may rightly wait at the leader for fetch_max_wait_ms before its answer.
    const bool lost =
        fetch_in_flight_ != 0 && now - fetch_sent_ms_ >= config_.request_timeout_ms + config_.fetch_max_wait_ms;
    if (idle_and_due || lost) send_fetch(now);
}

// ---- role changes ---------------------------------------------------------------------------

// An observer (a broker that is not in controller.quorum.voters: process.roles=broker) replicates
// the metadata log like a follower but is never counted and never votes. It learns who leads the
// way Kafka's observers do: it sends a Fetch to one voter after another; the answer - whatever its
// error - names the epoch and the leader that voter knows, and the observer follows that leader
// (on(FetchResponse) below). Voters never hear of it otherwise: no BeginQuorumEpoch reaches it.
void RaftReplica::find_leader(int64_t now) {
    if (config_.voters.empty() || now - fetch_sent_ms_ < config_.request_timeout_ms / 4) return;
    fetch_sent_ms_ = now;
    const int32_t voter = config_.voters[next_discovery_++ % config_.voters.size()];
    fetch_in_flight_ = ++next_correlation_id_;
    send(voter, FetchRequest{fetch_in_flight_, config_.node_id, epoch_, log_.end_offset(), last_epoch(log_), 0});
}

void RaftReplica::save_quorum_state() { store_.save(QuorumState{epoch_, voted_id_, leader_id_}); }

// Every become_* follows one pattern: change the role, save (epoch, voted_id, leader_id) - the
// store returns only once it is durable - and only then queue messages. Because the caller sends
// the outbox after handle()/tick() returns, nothing can leave before the state it depends on is
// on disk. Kafka's QuorumState.transitionTo* does the same (writeElectionState first).
void RaftReplica::become_unattached(int32_t epoch, int64_t now) {
    if (epoch != epoch_) voted_id_ = -1;  // a new epoch: no vote cast in it yet
    role_ = Role::Unattached;
    epoch_ = epoch;
    leader_id_ = -1;
    save_quorum_state();
    wake_parked_fetches(now);  // a leader that steps down answers its parked fetches: "not me"
    election_deadline_ms_ = now + randomized_election_timeout();
}

void RaftReplica::become_follower(int32_t epoch, int32_t leader, int64_t now) {
    if (epoch != epoch_) voted_id_ = -1;
    role_ = Role::Follower;
    epoch_ = epoch;
    leader_id_ = leader;
    save_quorum_state();
    wake_parked_fetches(now);
    last_followed_leader_ = leader;
    fetch_in_flight_ = 0;
    fetching_snapshot_ = false;
    last_leader_contact_ms_ = now;  // the fetch timeout starts now
    send_fetch(now);                // and the first Fetch tells the leader we follow
}

void RaftReplica::become_candidate(int64_t now) {
    if (role_ != Role::Candidate) election_started_ms_ = now;  // a retry (split vote) continues it
    role_ = Role::Candidate;
    ++epoch_;
    voted_id_ = config_.node_id;  // a candidate votes for itself...
    leader_id_ = -1;
    save_quorum_state();  // ...durably, before asking anyone else
    granted_ = {config_.node_id};
    election_deadline_ms_ = now + randomized_election_timeout();
    if (granted_.size() >= majority()) {
        become_leader(now);  // a quorum of one
        return;
    }
    send_votes(now);
}

void RaftReplica::send_votes(int64_t now) {
    votes_sent_ms_ = now;
    const OffsetAndEpoch end = log_end(log_);
    for (int32_t voter : config_.voters) {
        if (granted_.count(voter) == 0) send(voter, VoteRequest{epoch_, config_.node_id, end.epoch, end.offset});
    }
}

void RaftReplica::become_leader(int64_t now) {
    role_ = Role::Leader;
    leader_id_ = config_.node_id;
    save_quorum_state();
    // The LeaderChange control record opens the epoch. It is the first record the new leader can
    // commit (its own epoch), and committing it commits everything before it too.
    epoch_start_offset_ = log_.end_offset();
    log_.append(LogEntry{epoch_, EntryKind::LeaderChange, {}});
    high_watermark_known_ = false;  // until the first commit in this epoch, we do not know it
    progress_.clear();
    high_watermark_sent_.clear();
    for (int32_t voter : config_.voters) {
        if (voter == config_.node_id) continue;
        // last_fetch_ms = now: every voter gets a full check-quorum period to start fetching.
        progress_[voter] = VoterProgress{-1, now, -1, now};
        send(voter, BeginQuorumEpochRequest{epoch_, config_.node_id});
    }
    if (config_.voters.size() == 1) tick_leader(now);  // nobody to wait for
}

void RaftReplica::become_resigned(int64_t now) {
    // Tell the others at once (EndQuorumEpoch) rather than let them wait out the fetch timeout,
    // best-placed voters first: the one whose log reaches furthest is likeliest to win.
    std::vector<std::pair<int64_t, int32_t>> by_end;
    for (const auto& [id, p] : progress_) by_end.push_back({-p.end_offset, id});
    std::sort(by_end.begin(), by_end.end());
    EndQuorumEpochRequest end{epoch_, config_.node_id, {}};
    for (const auto& [neg_end, id] : by_end) end.preferred_successors.push_back(id);
    for (int32_t voter : config_.voters) {
        if (voter != config_.node_id) send(voter, end);
    }
    role_ = Role::Resigned;  // the epoch and leader_id (us) stay: we may not lead it again
    progress_.clear();
    wake_parked_fetches(now);
    election_deadline_ms_ = now + randomized_election_timeout();
}

void RaftReplica::observe_epoch(int32_t epoch, int32_t leader, int64_t now) {
    // Someone is in a newer epoch. If it names the leader of that epoch, follow it; otherwise
    // wait, unattached, for a leader to announce itself or for our own election timeout.
    if (leader >= 0 && leader != config_.node_id) {
        become_follower(epoch, leader, now);
    } else {
        become_unattached(epoch, now);
    }
}

// ---- Vote (API 52) --------------------------------------------------------------------------

// A voter's answer. Note what does NOT earn a vote: a Follower (it knows this epoch's leader),
// a Candidate (it voted for itself), a Leader or a Resigned leader (they hold this epoch).
// Only an Unattached voter that has not voted in this epoch, or voted for this very candidate
// (a duplicated request), may grant.
void RaftReplica::on(int32_t from, const VoteRequest& request, int64_t now) {
    if (request.candidate_epoch > epoch_) become_unattached(request.candidate_epoch, now);
    bool granted = false;
    if (request.candidate_epoch == epoch_ && role_ == Role::Unattached &&
        (voted_id_ < 0 || voted_id_ == request.candidate_id)) {
        // The up-to-date rule: a vote only for a candidate whose log holds at least what ours
        // holds. A majority holds every committed record, any winner needs a majority of votes,
        // the two majorities share a voter - so the winner's log holds every committed record.
        granted = at_least_as_up_to_date({request.last_offset, request.last_offset_epoch}, log_end(log_));
        if (granted && voted_id_ < 0) {
            voted_id_ = request.candidate_id;
            save_quorum_state();  // durable BEFORE the grant leaves (see quorum_state.hpp)
            election_deadline_ms_ = now + randomized_election_timeout();
        }
    }
    send(from, VoteResponse{request.candidate_epoch < epoch_ ? RaftError::FencedLeaderEpoch : RaftError::None, epoch_,
                            leader_id_, granted});
}

void RaftReplica::on(int32_t from, const VoteResponse& response, int64_t now) {
    if (response.leader_epoch > epoch_) {
        observe_epoch(response.leader_epoch, response.leader_id, now);
        return;
    }
    // The voter knows a leader of OUR epoch (we restarted into an epoch whose election we missed,
    // or lost this one): follow it now, as Kafka does, rather than time out into epoch + 1 and
    // depose a working leader with a pointless election.
    if (role_ == Role::Candidate && response.leader_epoch == epoch_ && response.leader_id >= 0 &&
        response.leader_id != config_.node_id) {
        become_follower(epoch_, response.leader_id, now);
        return;
    }
    if (role_ != Role::Candidate || response.leader_epoch != epoch_ || !response.vote_granted || !is_voter(from)) {
        return;  // only voters' grants count toward the majority
    }
    granted_.insert(from);  // a set: a duplicated grant counts once
    if (granted_.size() >= majority()) become_leader(now);
}

// ---- BeginQuorumEpoch (API 53) --------------------------------------------------------------

void RaftReplica::on(int32_t from, const BeginQuorumEpochRequest& request, int64_t now) {
    if (!is_voter(request.leader_id) || request.leader_id == config_.node_id) {
        send(from, BeginQuorumEpochResponse{RaftError::InvalidRequest, epoch_, leader_id_});  // no such leader
        return;
    }
    if (request.leader_epoch < epoch_) {
        send(from, BeginQuorumEpochResponse{RaftError::FencedLeaderEpoch, epoch_, leader_id_});
        return;
    }
    // A leader of this or a later epoch: follow it (a candidate of the same epoch has lost).
    const bool already = request.leader_epoch == epoch_ && role_ == Role::Follower && leader_id_ == request.leader_id;
    const bool we_lead_it = role_ == Role::Leader && request.leader_epoch == epoch_;  // cannot happen
    if (!already && !we_lead_it) become_follower(request.leader_epoch, request.leader_id, now);
    send(from, BeginQuorumEpochResponse{RaftError::None, epoch_, leader_id_});
}

void RaftReplica::on(int32_t, const BeginQuorumEpochResponse& response, int64_t now) {
    if (response.leader_epoch > epoch_) observe_epoch(response.leader_epoch, response.leader_id, now);
}

// ---- EndQuorumEpoch (API 54) ----------------------------------------------------------------

void RaftReplica::on(int32_t from, const EndQuorumEpochRequest& request, int64_t now) {
    if (request.leader_epoch < epoch_) {
        send(from, EndQuorumEpochResponse{RaftError::FencedLeaderEpoch, epoch_, leader_id_});
        return;
    }
    if (request.leader_epoch > epoch_ || (role_ == Role::Follower && leader_id_ == request.leader_id)) {
        become_unattached(request.leader_epoch, now);
        // Stand for election soon, and sooner the better our place in the successor list - instead
        // of waiting out a whole fetch timeout for a leader that has said it is gone.
        const auto& s = request.preferred_successors;
        const auto position = std::find(s.begin(), s.end(), config_.node_id) - s.begin();
        election_deadline_ms_ =
            now + position * (config_.election_timeout_ms / 2) + random_below(config_.election_timeout_ms / 4 + 1);
    }
    send(from, EndQuorumEpochResponse{RaftError::None, epoch_, leader_id_});
}

void RaftReplica::on(int32_t, const EndQuorumEpochResponse& response, int64_t now) {
    if (response.leader_epoch > epoch_) observe_epoch(response.leader_epoch, response.leader_id, now);
}

// ---- propose, resign, handle ----------------------------------------------------------------

// A proposal is only appended here: it becomes durable at the leader's next tick (one flush for
// every record proposed since - group commit), replicated as followers fetch, and committed when
// the high watermark passes its offset. A leader that crashes before that loses it, and no one
// was told it was committed - the caller answers its client only after the commit.
std::optional<int64_t> RaftReplica::propose(std::string record, int64_t) {
    if (role_ != Role::Leader) return std::nullopt;
    const int64_t offset = log_.end_offset();
    log_.append(LogEntry{epoch_, EntryKind::Data, std::move(record)});  // flushed at the next tick
    return offset;
}

bool RaftReplica::resign(int64_t now) {
    if (role_ != Role::Leader) return false;
    become_resigned(now);
    return true;
}

void RaftReplica::handle(const Envelope& in, int64_t now) {
    if (in.to != config_.node_id) return;
    // Whatever it says, a message is a sign that its sender is alive. Voters only: the map stays
    // as small as the quorum whatever ids a peer claims.
    if (in.from != config_.node_id && is_voter(in.from)) last_heard_ms_[in.from] = now;
    std::visit([&](const auto& message) { on(in.from, message, now); }, in.message);
}

std::optional<int64_t> RaftReplica::last_sign_of_life(int32_t node) const {
    auto heard = last_heard_ms_.find(node);
    if (heard == last_heard_ms_.end()) return std::nullopt;
    if (node == last_followed_leader_ || heard->second >= election_started_ms_) return heard->second;
    return std::nullopt;
}

// ---- DescribeQuorum (API 55) ----------------------------------------------------------------

DescribeQuorumResponse RaftReplica::describe_quorum(int64_t now) const {
    DescribeQuorumResponse out;
    out.leader_id = leader_id_;
    out.leader_epoch = epoch_;
    out.high_watermark = high_watermark_;
    if (role_ != Role::Leader) {
        out.error = RaftError::NotLeaderOrFollower;  // only the leader knows everyone's progress
        return out;
    }
    out.current_voters.push_back({config_.node_id, log_.end_offset(), now, now});
    for (const auto& [id, p] : progress_) {
        out.current_voters.push_back({id, p.end_offset, p.last_fetch_ms, p.last_caught_up_ms});
    }
    return out;
}

}  // namespace minikafka::raft
