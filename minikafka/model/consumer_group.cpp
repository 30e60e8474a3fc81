// minikafka/model/consumer_group.cpp
//
// CONCEPT: the consumer group state machine (see consumer_group.hpp for the states and the
// protocol). A rebalance is a barrier: every member must rejoin before a new generation - and
// with it a new partition assignment - starts, so that no partition is read by two members of
// the same generation.
//
//   Empty ─join─▶ PreparingRebalance ─all rejoined / timeout─▶ CompletingRebalance
//                       ▲                                        │ leader's SyncGroup
//                       └── member joins, leaves or times out ── Stable
//
// READ NEXT: group_coordinator.cpp, handlers/groups.cpp, docs/minikafka/03-consumer-groups.md.
#include "consumer_group.hpp"

#include <algorithm>
#include <utility>

#include "log.hpp"

namespace minikafka {

std::string_view to_string(GroupState state) {
    switch (state) {
        case GroupState::Empty:
            return "Empty";
        case GroupState::PreparingRebalance:
            return "PreparingRebalance";
        case GroupState::CompletingRebalance:
            return "CompletingRebalance";
        case GroupState::Stable:
            return "Stable";
        case GroupState::Dead:
            return "Dead";
    }
    return "Unknown";
}

JoinGroupResult join_error(ErrorCode error, std::string member_id) {
    JoinGroupResult result;
    result.error = error;
    result.member_id = std::move(member_id);
    return result;
}

const std::string* GroupMember::metadata_for(std::string_view protocol) const {
    for (const auto& p : protocols)
        if (p.name == protocol) return &p.metadata;
    return nullptr;
}

// "Protocols" here are assignors (range, roundrobin, cooperative-sticky...), each with the
// member's metadata for it (its subscribed topics, mostly). The broker never runs one; it only
// makes sure the whole group can agree on one, since the leader will run it for everybody.
bool ConsumerGroup::supports_protocols(const JoinGroupParams& params) const {
    if (members_.empty()) return !params.protocol_type.empty() && !params.protocols.empty();
    if (params.protocol_type != protocol_type_) return false;
    // At least one of the joiner's assignors must be one that every member supports.
    return std::any_of(params.protocols.begin(), params.protocols.end(), [&](const GroupProtocol& p) {
        return std::all_of(members_.begin(), members_.end(),
                           [&](const auto& m) { return m.second.metadata_for(p.name) != nullptr; });
    });
}

// Kafka's rule: among the assignors every member supports, each member votes for the one it
// lists first; the most votes win.
std::string ConsumerGroup::select_protocol() const {
    const GroupMember& first = members_.begin()->second;
    std::vector<std::string> candidates;
    for (const auto& p : first.protocols)
        if (std::all_of(members_.begin(), members_.end(),
                        [&](const auto& m) { return m.second.metadata_for(p.name) != nullptr; }))
            candidates.push_back(p.name);
    if (candidates.empty()) return {};
    std::map<std::string, int> votes;
    for (const auto& [id, member] : members_)
        for (const auto& p : member.protocols)
            if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
                ++votes[p.name];
                break;
            }
    std::string best = candidates.front();
    for (const auto& name : candidates)
        if (votes[name] > votes[best]) best = name;
    return best;
}

// Only the leader gets the member list with everyone's metadata: it is the one that computes
// the assignment. Followers learn just the generation and who leads, then wait in SyncGroup.
JoinGroupResult ConsumerGroup::join_result_for(const GroupMember& member) const {
    JoinGroupResult result;
    result.generation_id = generation_id_;
    result.protocol_name = protocol_name_;
    result.leader = leader_;
    result.member_id = member.id;
    if (member.id == leader_) {
        for (const auto& [id, m] : members_) {
            const std::string* metadata = m.metadata_for(protocol_name_);
            result.members.push_back({id, m.instance_id, metadata ? *metadata : std::string()});
        }
    }
    return result;
}

void ConsumerGroup::join(JoinGroupParams params, const std::string& new_member_id, int64_t now_ms, JoinCallback done) {
    if (!supports_protocols(params)) {
        done(join_error(ErrorCode::InconsistentGroupProtocol, params.member_id));
        return;
    }
    std::string member_id = params.member_id;
    if (member_id.empty()) {
        if (params.require_known_member_id) {
            // Hand out the id and wait for the member to come back with it.
            pending_members_[new_member_id] = now_ms + params.session_timeout_ms;
            done(join_error(ErrorCode::MemberIdRequired, new_member_id));
            return;
        }
        member_id = new_member_id;
    } else if (pending_members_.erase(member_id) == 0 && !members_.contains(member_id)) {
        done(join_error(ErrorCode::UnknownMemberId, member_id));
        return;
    }

    auto existing = members_.find(member_id);
    if (existing != members_.end()) {
        GroupMember& member = existing->second;
        bool changed =
            member.protocols.size() != params.protocols.size() ||
            !std::equal(member.protocols.begin(), member.protocols.end(), params.protocols.begin(),
                        [](const auto& a, const auto& b) { return a.name == b.name && a.metadata == b.metadata; });
        member.last_heartbeat_ms = now_ms;
        if ((state_ == GroupState::Stable && member_id != leader_ && !changed) ||
            (state_ == GroupState::CompletingRebalance && !changed)) {
            // Nothing new: a repeated join gets the current generation again (no rebalance).
            done(join_result_for(member));
            return;
        }
        member.protocols = std::move(params.protocols);
        member.session_timeout_ms = params.session_timeout_ms;
        member.rebalance_timeout_ms = params.rebalance_timeout_ms;
        // A member that joins again while its earlier join is held: answer the old one first.
        if (member.awaiting_join)
            std::exchange(member.awaiting_join, nullptr)(join_error(ErrorCode::RebalanceInProgress, member_id));
        member.awaiting_join = std::move(done);
        if (state_ != GroupState::PreparingRebalance) prepare_rebalance(now_ms, "member rejoined with new metadata");
        maybe_complete_join(now_ms);
        return;
    }

    GroupMember& member = members_[member_id];
    member.id = member_id;
    member.instance_id = std::move(params.group_instance_id);
    member.client_id = std::move(params.client_id);
    member.client_host = std::move(params.client_host);
    member.session_timeout_ms = params.session_timeout_ms;
    member.rebalance_timeout_ms = params.rebalance_timeout_ms;
    member.protocols = std::move(params.protocols);
    member.last_heartbeat_ms = now_ms;
    member.awaiting_join = std::move(done);
    if (protocol_type_.empty()) protocol_type_ = params.protocol_type;
    if (state_ != GroupState::PreparingRebalance) prepare_rebalance(now_ms, "a member joined");
    maybe_complete_join(now_ms);
}

void ConsumerGroup::prepare_rebalance(int64_t now_ms, std::string_view reason) {
    if (state_ == GroupState::CompletingRebalance) fail_pending_syncs(ErrorCode::RebalanceInProgress);
    bool was_empty = state_ == GroupState::Empty;
    state_ = GroupState::PreparingRebalance;
    assignment_received_ = false;
    // Wait for the members to rejoin for up to their rebalance timeout. A group starting from
    // Empty waits group.initial.rebalance.delay.ms, so that consumers started together land in
    // one generation instead of a rebalance per consumer.
    int64_t wait = was_empty ? initial_rebalance_delay_ms_ : 0;
    if (!was_empty)
        for (const auto& [id, m] : members_) wait = std::max<int64_t>(wait, m.rebalance_timeout_ms);
    rebalance_deadline_ms_ = now_ms + wait;
    initial_join_ = was_empty;
    mb::log::info("group {}: preparing rebalance of generation {} ({})", id_, generation_id_, reason);
    if (trace)
        trace(
            fmt::format("group rebalance group={} generation={} reason=\"{}\" -> every member must rejoin within {} ms",
                        id_, generation_id_, reason, wait));
}

// Everybody is in when every member waits in JoinGroup *and* no new member is between its
// MEMBER_ID_REQUIRED and its second JoinGroup (Kafka's hasAllMembersJoined). Without the second
// half, consumers started together formed a generation of those whose second join happened to
// arrive first; each of the others then started one more rebalance, which the members of the
// new generation learn of only from their next heartbeat - a round per heartbeat interval, and
// a group of 100 took many of them. A pending member that never comes back is forgotten after
// its session timeout (tick), and the barrier falls then.
void ConsumerGroup::maybe_complete_join(int64_t now_ms) {
    if (state_ != GroupState::PreparingRebalance || !pending_members_.empty()) return;
    bool all_joined = std::all_of(members_.begin(), members_.end(),
                                  [](const auto& m) { return static_cast<bool>(m.second.awaiting_join); });
    if (all_joined && (!initial_join_ || now_ms >= rebalance_deadline_ms_)) complete_join(now_ms);
}

// The barrier falls: a new generation starts. The generation id is what fences the past - a
// member still holding the old one gets ILLEGAL_GENERATION on SyncGroup, Heartbeat and
// OffsetCommit - so it grows even when the group ends up empty.
void ConsumerGroup::complete_join(int64_t now_ms) {
    // Members that did not rejoin in time are out of the group.
    for (auto it = members_.begin(); it != members_.end();) {
        if (it->second.awaiting_join) {
            ++it;
            continue;
        }
        mb::log::info("group {}: member {} did not rejoin in time; removed", id_, it->first);
        if (it->second.awaiting_sync)
            std::exchange(it->second.awaiting_sync, nullptr)({ErrorCode::RebalanceInProgress, {}});
        if (leader_ == it->first) leader_.clear();
        it = members_.erase(it);
    }
    ++generation_id_;
    assignment_received_ = false;
    if (members_.empty()) {
        state_ = GroupState::Empty;
        protocol_type_.clear();
        protocol_name_.clear();
        leader_.clear();
        mb::log::info("group {}: generation {} is empty", id_, generation_id_);
        return;
    }
    protocol_name_ = select_protocol();
    if (!members_.contains(leader_)) leader_ = members_.begin()->first;
    state_ = GroupState::CompletingRebalance;
    mb::log::info("group {}: generation {} with {} members, protocol {}, leader {}", id_, generation_id_,
                  members_.size(), protocol_name_, leader_);
    for (auto& [id, member] : members_) {
        member.last_heartbeat_ms = now_ms;
        member.assignment.clear();
        JoinCallback answer = std::exchange(member.awaiting_join, nullptr);
        answer(join_result_for(member));
    }
}

void ConsumerGroup::fail_waiting(ErrorCode error) {
    for (auto& [id, member] : members_)
        if (member.awaiting_join) std::exchange(member.awaiting_join, nullptr)(join_error(error, id));
    fail_pending_syncs(error);
}

void ConsumerGroup::fail_pending_syncs(ErrorCode error) {
    for (auto& [id, member] : members_)
        if (member.awaiting_sync) std::exchange(member.awaiting_sync, nullptr)({error, {}});
}

// SyncGroup is the second half of the barrier: the leader's request carries every member's
// assignment (opaque bytes), the broker stores them and answers every waiting member with its
// own. Until the leader's SyncGroup arrives, followers' requests are held (awaiting_sync).
bool ConsumerGroup::sync(int32_t generation_id, const std::string& member_id,
                         std::map<std::string, std::string> assignments, int64_t now_ms, SyncCallback done) {
    auto it = members_.find(member_id);
    auto answer = [&](SyncGroupResult result) {
        done(std::move(result));
        return false;
    };
    if (it == members_.end()) return answer({ErrorCode::UnknownMemberId, {}});
    if (generation_id != generation_id_) return answer({ErrorCode::IllegalGeneration, {}});
    GroupMember& member = it->second;
    member.last_heartbeat_ms = now_ms;
    switch (state_) {
        case GroupState::Empty:
        case GroupState::Dead:
            return answer({ErrorCode::UnknownMemberId, {}});
        case GroupState::PreparingRebalance:
            return answer({ErrorCode::RebalanceInProgress, {}});
        case GroupState::Stable:
            return answer({ErrorCode::None, member.assignment});
        case GroupState::CompletingRebalance:
            break;
    }
    if (member.awaiting_sync) std::exchange(member.awaiting_sync, nullptr)({ErrorCode::RebalanceInProgress, {}});
    member.awaiting_sync = std::move(done);
    // Followers wait for the leader's assignment; a leader repeating its SyncGroup while the
    // first one is being stored waits for that store.
    if (member_id != leader_ || assignment_received_) return false;
    for (auto& [id, m] : members_) {
        auto assigned = assignments.find(id);
        m.assignment = assigned == assignments.end() ? std::string() : std::move(assigned->second);
    }
    assignment_received_ = true;
    return true;
}

// Kafka answers SyncGroup only once the group's record is in the log (replicated, in a cluster):
// a member that has its assignment then belongs to a generation every future coordinator knows.
void ConsumerGroup::finish_sync(int32_t generation_id, ErrorCode error, int64_t now_ms) {
    if (state_ != GroupState::CompletingRebalance || generation_id != generation_id_ || !assignment_received_) return;
    if (error != ErrorCode::None) {
        mb::log::warn("group {}: generation {} could not be stored (error {}); rebalancing again", id_, generation_id_,
                      static_cast<int>(error));
        for (auto& [id, m] : members_) m.assignment.clear();
        fail_pending_syncs(error);
        prepare_rebalance(now_ms, "the group's metadata could not be stored");
        return;
    }
    state_ = GroupState::Stable;
    mb::log::info("group {}: generation {} is stable", id_, generation_id_);
    for (auto& [id, m] : members_)
        if (m.awaiting_sync) std::exchange(m.awaiting_sync, nullptr)({ErrorCode::None, m.assignment});
}

GroupMetadataValue ConsumerGroup::metadata_record(int64_t now_ms) const {
    GroupMetadataValue value;
    value.protocol_type = protocol_type_;
    value.generation = generation_id_;
    if (!protocol_name_.empty()) value.protocol = protocol_name_;
    if (!leader_.empty()) value.leader = leader_;
    value.current_state_timestamp_ms = now_ms;
    for (const auto& [id, m] : members_) {
        const std::string* subscription = m.metadata_for(protocol_name_);
        value.members.push_back({id, m.instance_id, m.client_id, m.client_host, m.rebalance_timeout_ms,
                                 m.session_timeout_ms, subscription ? *subscription : std::string(), m.assignment});
    }
    return value;
}

// Only the chosen protocol's subscription was stored, so a restored member "supports" just that
// assignor - enough for the group to go on; a member that later rejoins with its full list is a
// metadata change and rebalances, as in Kafka.
void ConsumerGroup::restore(const GroupMetadataValue& value, int64_t now_ms) {
    fail_waiting(ErrorCode::NotCoordinator);
    members_.clear();
    pending_members_.clear();
    protocol_type_ = value.protocol_type;
    generation_id_ = value.generation;
    protocol_name_ = value.protocol.value_or("");
    leader_ = value.leader.value_or("");
    for (const GroupMemberMetadata& m : value.members) {
        GroupMember& member = members_[m.member_id];
        member.id = m.member_id;
        member.instance_id = m.group_instance_id;
        member.client_id = m.client_id;
        member.client_host = m.client_host;
        member.session_timeout_ms = m.session_timeout_ms;
        member.rebalance_timeout_ms = m.rebalance_timeout_ms;
        member.protocols = {{protocol_name_, m.subscription}};
        member.assignment = m.assignment;
        member.last_heartbeat_ms = now_ms;
    }
    state_ = members_.empty() ? GroupState::Empty : GroupState::Stable;
    assignment_received_ = false;
    initial_join_ = false;
    if (trace)
        trace(fmt::format("group restored group={} generation={} protocol={} leader={} members={} -> {}, no rebalance",
                          id_, generation_id_, protocol_name_, leader_, members_.size(), to_string(state_)));
}

ErrorCode ConsumerGroup::heartbeat(int32_t generation_id, std::string_view member_id, int64_t now_ms) {
    if (state_ == GroupState::Empty || state_ == GroupState::Dead) return ErrorCode::UnknownMemberId;
    auto it = members_.find(std::string(member_id));
    if (it == members_.end()) return ErrorCode::UnknownMemberId;
    if (generation_id != generation_id_) return ErrorCode::IllegalGeneration;
    it->second.last_heartbeat_ms = now_ms;
    // The answer that makes members rejoin: a rebalance has started.
    return state_ == GroupState::PreparingRebalance ? ErrorCode::RebalanceInProgress : ErrorCode::None;
}

ErrorCode ConsumerGroup::leave(std::string_view member_id, int64_t now_ms) {
    std::string id(member_id);
    if (pending_members_.erase(id)) {
        maybe_complete_join(now_ms);  // a rebalance may have been waiting for it
        return ErrorCode::None;
    }
    if (!members_.contains(id)) return ErrorCode::UnknownMemberId;
    remove_member(id, now_ms, "member left");
    return ErrorCode::None;
}

// A member leaving (LeaveGroup, or a session timeout) starts a rebalance, or joins the one under
// way: its partitions must go to someone. That is why a clean consumer close sends LeaveGroup - the others take over
// at once instead of after session.timeout.ms.
void ConsumerGroup::remove_member(const std::string& member_id, int64_t now_ms, std::string_view reason) {
    auto it = members_.find(member_id);
    if (it->second.awaiting_join)
        std::exchange(it->second.awaiting_join, nullptr)(join_error(ErrorCode::UnknownMemberId, member_id));
    if (it->second.awaiting_sync) std::exchange(it->second.awaiting_sync, nullptr)({ErrorCode::UnknownMemberId, {}});
    members_.erase(it);
    if (leader_ == member_id) leader_.clear();
    mb::log::info("group {}: member {} removed ({})", id_, member_id, reason);
    if (state_ == GroupState::Stable || state_ == GroupState::CompletingRebalance) prepare_rebalance(now_ms, reason);
    maybe_complete_join(now_ms);
}

ErrorCode ConsumerGroup::check_commit(int32_t generation_id, std::string_view member_id) const {
    // A client outside group management (kcat, an admin tool) may commit for an idle group.
    if (generation_id < 0 && member_id.empty())
        return state_ == GroupState::Empty ? ErrorCode::None : ErrorCode::UnknownMemberId;
    if (!members_.contains(std::string(member_id))) return ErrorCode::UnknownMemberId;
    if (generation_id != generation_id_) return ErrorCode::IllegalGeneration;
    if (state_ == GroupState::CompletingRebalance) return ErrorCode::RebalanceInProgress;
    return ErrorCode::None;
}

// Liveness is judged by the broker's clock: a member whose heartbeats stopped for its session
// timeout is removed, which starts a rebalance that hands its partitions to the others. A member
// already waiting in JoinGroup is not expected to heartbeat.
void ConsumerGroup::tick(int64_t now_ms) {
    if (std::erase_if(pending_members_, [&](const auto& entry) { return entry.second <= now_ms; }) > 0)
        maybe_complete_join(now_ms);
    std::vector<std::string> expired;
    for (const auto& [id, member] : members_)
        if (!member.awaiting_join && now_ms - member.last_heartbeat_ms > member.session_timeout_ms)
            expired.push_back(id);
    for (const auto& id : expired) remove_member(id, now_ms, "session timeout expired");
    if (state_ == GroupState::PreparingRebalance && now_ms >= rebalance_deadline_ms_) complete_join(now_ms);
}

}  // namespace minikafka
