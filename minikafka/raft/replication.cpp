// minikafka/raft/replication.cpp - the Raft replica's other half: pull replication and commit.
//
// CONCEPT: once an election has a leader, Raft is a replicated log. In KRaft the followers *pull*:
// each sends Fetch(offset, last epoch) to the leader, exactly as a partition's followers fetch from
// a partition leader, and the leader learns from those offsets how far each voter has the log. An
// entry is committed once a majority of voters holds it (advance_high_watermark); only then is it
// applied to the state machine, in log order (apply_committed). A follower whose log diverged
// from the leader's is told where to cut (the diverging epoch); one that is too far behind gets
// the snapshot instead (FetchSnapshot).
//
//   follower ──Fetch(offset 7, epoch 3)──▶ leader        leader: voters at 9, 7, 4 → HW = 7
//   follower ◀──records 7.., HW──────────── leader        (the majority's offset, in this epoch)
//
// A caught-up follower's Fetch is parked at the leader until there is news (new entries or a moved
// high watermark) or its wait ends: the long poll that makes a committed change reach every voter
// within milliseconds instead of at the next poll.
// READ NEXT: replica.cpp (roles and elections), docs/minikafka/05-replication-and-the-controller.md
//            "Raft in one page".
#include <algorithm>
#include <type_traits>

#include "replica.hpp"

namespace minikafka::raft {

// ---- Fetch (API 1) --------------------------------------------------------------------------

void RaftReplica::send_fetch(int64_t now) {
    if (role_ != Role::Follower) return;
    fetch_sent_ms_ = now;
    if (fetching_snapshot_) {
        // Resending: the snapshot request was lost (we ask for whatever the leader has now).
        send(leader_id_, FetchSnapshotRequest{config_.node_id, epoch_, {}});
        return;
    }
    // The fetch offset tells the leader "I hold everything before this, durably": make it so.
    log_.flush();
    fetch_in_flight_ = ++next_correlation_id_;
    send(leader_id_, FetchRequest{fetch_in_flight_, config_.node_id, epoch_, log_.end_offset(), last_epoch(log_),
                                  static_cast<int32_t>(config_.fetch_max_wait_ms)});
}

// The leader's side of replication. Three checks in order: is the fetcher in our epoch, do we
// lead it, and does the fetcher's log end where ours has the same entry. Only a Fetch that passes
// all three moves that voter's end offset, and with it, maybe, the high watermark. Then the long
// poll: a Fetch with nothing to get - the fetcher holds our whole log and the high watermark we
// last sent it is still ours - is parked, not answered, until wake_parked_fetches finds news for
// it. An idle follower therefore costs one request per fetch_max_wait_ms, and a new record or a
// commit reaches it at once instead of at its next timed fetch.
void RaftReplica::on(int32_t from, const FetchRequest& request, int64_t now) {
    if (auto parked = parked_.find(from); parked != parked_.end()) {
        // A newer Fetch from the same replica (it resent after a timeout): answer the old one now,
        // it is ignored there (correlation id); the new one takes its place.
        const FetchRequest older = parked->second.request;
        parked_.erase(parked);
        answer_fetch(from, older);
    }
    if (fetch_error(request) == RaftError::None) {
        auto progress = progress_.find(from);  // end() for a non-voter (an observer): served, not counted
        if (progress != progress_.end()) progress->second.last_fetch_ms = now;  // check quorum: alive
        OffsetAndEpoch ours;
        const bool matches = fetch_match(request, ours) == FetchMatch::Records;
        if (matches && progress != progress_.end()) {
            VoterProgress& p = progress->second;
            p.end_offset = request.fetch_offset;  // durable on the follower (it flushed first)
            if (request.fetch_offset >= log_.end_offset()) p.last_caught_up_ms = now;
            if (advance_high_watermark()) wake_parked_fetches(now);  // the others' news
        }
        // Never park longer than half the fetch timeout: the follower must hear from us well
        // before it would give up on us and stand for election.
        const int64_t wait =
            std::min<int64_t>({request.max_wait_ms, config_.fetch_max_wait_ms, config_.fetch_timeout_ms / 2});
        if (matches && wait > 0 && request.fetch_offset >= log_.end_offset() && !high_watermark_news(from)) {
            parked_[from] = ParkedFetch{request, now + wait};
            return;
        }
    }
    answer_fetch(from, request);
}

RaftError RaftReplica::fetch_error(const FetchRequest& request) const {
    if (request.current_leader_epoch < epoch_) return RaftError::FencedLeaderEpoch;   // it missed an election
    if (request.current_leader_epoch > epoch_) return RaftError::UnknownLeaderEpoch;  // we missed one
    if (role_ != Role::Leader) return RaftError::NotLeaderOrFollower;
    // These bytes come off a socket: nonsense is refused, not trusted.
    if (request.fetch_offset < 0 || request.last_fetched_epoch < 0) return RaftError::InvalidRequest;
    return RaftError::None;
}

// Is the follower's log a prefix of ours? Its last entry is (fetch_offset - 1, last_fetched_epoch);
// we hold that entry iff our epoch `last_fetched_epoch` reaches at least to fetch_offset.
// (Log matching then says everything before it matches too.) `ours`: {epoch, end} of the last
// epoch we share, and where it ends on our log - the diverging epoch, if it comes to that.
RaftReplica::FetchMatch RaftReplica::fetch_match(const FetchRequest& request, OffsetAndEpoch& ours) const {
    ours = end_offset_for_epoch(log_, request.last_fetched_epoch);
    if (log_.snapshot() && (request.fetch_offset < log_.start_offset() || ours.offset < 0)) {
        return FetchMatch::Snapshot;  // behind our log start: only the snapshot helps
    }
    if (ours.epoch != request.last_fetched_epoch || ours.offset < request.fetch_offset) {
        return FetchMatch::Diverging;  // it holds records a later leader replaced
    }
    return FetchMatch::Records;
}

// The answer as our log and high watermark stand now.
void RaftReplica::answer_fetch(int32_t to, const FetchRequest& request) {
    FetchResponse response;
    response.correlation_id = request.correlation_id;
    response.leader_epoch = epoch_;
    response.leader_id = leader_id_;
    response.error = fetch_error(request);
    if (response.error != RaftError::None) {
        send(to, std::move(response));
        return;
    }
    response.log_start_offset = log_.start_offset();
    OffsetAndEpoch ours;
    switch (fetch_match(request, ours)) {
        case FetchMatch::Snapshot:
            response.snapshot_id = log_.snapshot()->id;
            break;
        case FetchMatch::Diverging:
            response.diverging_epoch = ours;
            break;
        case FetchMatch::Records: {
            const int64_t end = std::min(log_.end_offset(), request.fetch_offset + config_.fetch_max_records);
            response.base_offset = request.fetch_offset;
            for (int64_t offset = request.fetch_offset; offset < end; ++offset)
                response.records.push_back(log_.entry(offset));
            break;
        }
    }
    response.high_watermark = high_watermark_known_ ? high_watermark_ : -1;
    // Bounded whatever replica ids peers claim: forgetting only costs one answer that was not news.
    if (high_watermark_sent_.size() >= 1024 && high_watermark_sent_.count(to) == 0) high_watermark_sent_.clear();
    high_watermark_sent_[to] = response.high_watermark;
    send(to, std::move(response));
}

bool RaftReplica::high_watermark_news(int32_t to) const {
    auto sent = high_watermark_sent_.find(to);
    return sent == high_watermark_sent_.end() || sent->second != (high_watermark_known_ ? high_watermark_ : -1);
}

// Called after every flush and every commit on the leader, and on every role change: a parked
// Fetch is answered when there are records past its offset, a high watermark it has not been
// sent, its wait is over - or when we no longer lead (it then gets the error that says so).
void RaftReplica::wake_parked_fetches(int64_t now) {
    for (auto it = parked_.begin(); it != parked_.end();) {
        const FetchRequest& request = it->second.request;
        const bool due = role_ != Role::Leader || now >= it->second.deadline_ms ||
                         request.fetch_offset < log_.end_offset() || high_watermark_news(it->first);
        if (!due) {
            ++it;
            continue;
        }
        const int32_t to = it->first;
        const FetchRequest answered = request;
        it = parked_.erase(it);
        answer_fetch(to, answered);
    }
}

// The follower's side: the answer is one of four - an error, a diverging epoch (truncate), a
// snapshot id (fetch the snapshot), or records plus the high watermark (append, flush, commit).
void RaftReplica::on(int32_t from, const FetchResponse& response, int64_t now) {
    if (response.leader_epoch > epoch_) {
        observe_epoch(response.leader_epoch, response.leader_id, now);
        return;
    }
    // An observer looking for the leader: a voter of our epoch told us who it is.
    if (!is_voter(config_.node_id) && role_ == Role::Unattached && response.leader_epoch == epoch_ &&
        response.leader_id >= 0 && response.leader_id != config_.node_id) {
        become_follower(epoch_, response.leader_id, now);
        return;
    }
    // Only the answer to the fetch in flight counts: a duplicated or late answer to an earlier
    // fetch describes a log we no longer have.
    if (role_ != Role::Follower || from != leader_id_ || response.correlation_id != fetch_in_flight_ ||
        response.leader_epoch != epoch_) {
        return;
    }
    fetch_in_flight_ = 0;
    next_fetch_ms_ = now + config_.fetch_interval_ms;  // after an error, or without the long poll
    if (response.error != RaftError::None) return;     // e.g. the leader resigned: it will say more
    last_leader_contact_ms_ = now;

    if (response.diverging_epoch) {
        // Cut where the two logs stop agreeing: at the leader's end of the shared epoch, or earlier
        // if our own copy of that epoch ends earlier. Then ask again from there, at once.
        const OffsetAndEpoch ours = end_offset_for_epoch(log_, response.diverging_epoch->epoch);
        const int64_t cut =
            ours.offset < 0 ? log_.start_offset() : std::min(response.diverging_epoch->offset, ours.offset);
        log_.truncate_to(cut);
        send_fetch(now);
        return;
    }
    if (response.snapshot_id) {
        fetching_snapshot_ = true;
        send(leader_id_, FetchSnapshotRequest{config_.node_id, epoch_, *response.snapshot_id});
        return;
    }
    const int64_t high_watermark_before = high_watermark_;
    if (!response.records.empty() && response.base_offset == log_.end_offset()) {
        for (const LogEntry& entry : response.records) log_.append(entry);
        log_.flush();  // durable before our next fetch offset tells the leader we have them
    }
    // The follower's high watermark: the leader's, but never past what we hold ourselves.
    if (response.high_watermark >= 0) {
        const int64_t hw = std::min(response.high_watermark, log_.end_offset());
        if (hw > high_watermark_) high_watermark_ = hw;
        apply_committed();
    }
    // More may be waiting: do not idle. With the long poll, fetch again at once after an answer
    // with news or one the leader held (its wait ran out): the leader holds the next Fetch until
    // there is news, so the next commit arrives in one trip. An empty answer that came back at
    // once means a leader that does not long-poll: then wait fetch_interval_ms, not spin.
    const bool news = !response.records.empty() || high_watermark_ > high_watermark_before;
    const bool held = now - fetch_sent_ms_ >= config_.fetch_max_wait_ms / 2;
    if (!response.records.empty() || (config_.fetch_max_wait_ms > 0 && (news || held))) send_fetch(now);
}

// ---- FetchSnapshot (API 59) -----------------------------------------------------------------

void RaftReplica::on(int32_t from, const FetchSnapshotRequest& request, int64_t) {
    FetchSnapshotResponse response{RaftError::None, epoch_, leader_id_, {}, {}};
    if (request.current_leader_epoch != epoch_ || role_ != Role::Leader || !log_.snapshot()) {
        response.error =
            request.current_leader_epoch < epoch_ ? RaftError::FencedLeaderEpoch : RaftError::NotLeaderOrFollower;
    } else {
        response.snapshot_id = log_.snapshot()->id;  // our newest: it supersedes the one asked for
        response.snapshot = log_.snapshot()->data;
    }
    send(from, std::move(response));
}

void RaftReplica::on(int32_t from, const FetchSnapshotResponse& response, int64_t now) {
    if (response.leader_epoch > epoch_) {
        observe_epoch(response.leader_epoch, response.leader_id, now);
        return;
    }
    if (role_ != Role::Follower || from != leader_id_ || !fetching_snapshot_ || response.error != RaftError::None) {
        return;
    }
    fetching_snapshot_ = false;
    last_leader_contact_ms_ = now;
    if (response.snapshot_id.offset > applied_) {
        // The snapshot is committed state (taken at an applied offset): install and restore it,
        // then continue fetching after it.
        log_.install_snapshot(Snapshot{response.snapshot_id, response.snapshot});
        state_machine_.restore(response.snapshot);
        applied_ = response.snapshot_id.offset;
        high_watermark_ = std::max(high_watermark_, applied_);
    }
    send_fetch(now);
}

// ---- commit ---------------------------------------------------------------------------------

bool RaftReplica::advance_high_watermark() {
    if (role_ != Role::Leader) return false;
    // Durable log ends: ours (flushed) and each voter's last fetch offset; the majority-th largest
    // is held by a majority.
    std::vector<int64_t> ends{log_.flushed_end_offset()};
    for (const auto& [id, p] : progress_) ends.push_back(p.end_offset);
    std::sort(ends.begin(), ends.end(), std::greater<>());
    const int64_t majority_end = ends[majority() - 1];
    // Only an offset past the start of our epoch: the record at majority_end - 1 is then ours.
    // Committing an older epoch's record by counting replicas is unsafe (Raft figure 8): a voter
    // with a longer log from another old epoch could still win an election and overwrite it.
    if (majority_end > epoch_start_offset_ && majority_end > high_watermark_) {
        high_watermark_ = majority_end;
        high_watermark_known_ = true;
        apply_committed();
        return true;
    }
    return false;
}

// Hands committed records to the state machine, in offset order, each once. Control records
// (LeaderChange) move the applied offset but mean nothing to the state machine. The applied
// offset is not saved: a restarted replica starts from its snapshot and re-applies the rest as
// the leader's high watermark comes in - so the state machine must be rebuilt from scratch, or
// from the snapshot, on every start (the simulation checks exactly that).
void RaftReplica::apply_committed() {
    while (applied_ < high_watermark_) {
        const LogEntry& entry = log_.entry(applied_);
        if (entry.kind == EntryKind::Data) state_machine_.apply(applied_, entry.record);
        ++applied_;
    }
    maybe_snapshot();
}

void RaftReplica::maybe_snapshot() {
    // Each replica snapshots on its own, at an offset it has applied (so: committed), and drops
    // the log before it. Kafka: metadata.log.max.record.bytes.between.snapshots.
    if (config_.snapshot_interval_records <= 0 || applied_ - log_.start_offset() < config_.snapshot_interval_records) {
        return;
    }
    log_.install_snapshot(Snapshot{{applied_, log_.entry(applied_ - 1).epoch}, state_machine_.snapshot()});
}

}  // namespace minikafka::raft
