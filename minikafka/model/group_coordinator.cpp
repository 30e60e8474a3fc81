// minikafka/model/group_coordinator.cpp
//
// CONCEPT: the group coordinator - the broker-side half of consumer groups (see
// group_coordinator.hpp). It owns every group by id, hands out member ids, and holds the
// committed offsets in memory; each group's rebalance logic is ConsumerGroup's.
//
//   JoinGroup(group, member) ─▶ GroupCoordinator::join ─▶ checks (group id, session timeout)
//                                                      ─▶ ConsumerGroup::join (the state machine)
//
// What it does not do is decide *who reads which partition*: the group's leader client does
// that, and the coordinator only forwards its assignment (docs/minikafka/03-consumer-groups.md).
// READ NEXT: consumer_group.cpp, storage/offset_store.hpp (where offsets survive a restart).
#include "group_coordinator.hpp"

#include <fmt/format.h>

#include <random>
#include <set>

namespace minikafka {

ConsumerGroup& GroupCoordinator::group_for(std::string_view group_id) {
    auto it = groups_.find(group_id);
    if (it == groups_.end())
        it = groups_
                 .emplace(std::string(group_id),
                          std::make_unique<ConsumerGroup>(std::string(group_id), config_.initial_rebalance_delay_ms))
                 .first;
    it->second->trace = trace;
    return *it->second;
}

const ConsumerGroup* GroupCoordinator::group(std::string_view group_id) const {
    auto it = groups_.find(group_id);
    return it == groups_.end() ? nullptr : it->second.get();
}

std::string GroupCoordinator::new_member_id(std::string_view client_id) {
    // Kafka uses "<client.id>-<UUID>"; a counter plus randomness is as unique for one broker.
    // The client id is cut short: the member id must fit a protocol STRING in every reply, and a
    // client id may already be 32767 bytes.
    static std::mt19937_64 random{std::random_device{}()};
    return fmt::format("{}-{}-{:08x}", client_id.empty() ? "member" : client_id.substr(0, 255), ++member_counter_,
                       static_cast<uint32_t>(random()));
}

// The session timeout is bounded by the broker (group.min/max.session.timeout.ms, as in Kafka): too
// short and members are expelled by a GC pause; too long and a dead consumer holds its partitions.
// A member id for a group we do not know is stale (the broker restarted, or the group expired):
// UNKNOWN_MEMBER_ID makes the client join afresh without one.
void GroupCoordinator::join(std::string_view group_id, JoinGroupParams params, int64_t now_ms, JoinCallback done) {
    if (group_id.empty()) return done(join_error(ErrorCode::InvalidGroupId, params.member_id));
    if (params.session_timeout_ms < config_.min_session_timeout_ms ||
        params.session_timeout_ms > config_.max_session_timeout_ms)
        return done(join_error(ErrorCode::InvalidSessionTimeout, params.member_id));
    auto it = groups_.find(group_id);
    if (it == groups_.end() && !params.member_id.empty())
        return done(join_error(ErrorCode::UnknownMemberId, params.member_id));
    std::string id = new_member_id(params.client_id);
    group_for(group_id).join(std::move(params), id, now_ms, std::move(done));
    // A join refused at once (no protocol in common, ...) must not leave a group behind, or every
    // made-up group id a client tries would stay in memory (and in ListGroups) for ever.
    forget_if_never_formed(group_id);
}

void GroupCoordinator::forget_if_never_formed(std::string_view group_id) {
    auto it = groups_.find(group_id);
    if (it != groups_.end() && it->second->never_formed() && !offsets_.contains(group_id)) groups_.erase(it);
}

// The leader's SyncGroup completes a rebalance. In a cluster the group is written to
// __consumer_offsets before anyone is answered (Kafka's storeGroup): once a member holds its
// assignment, the generation is in the log, and a coordinator elected after a kill -9 carries the
// same group on instead of starting it over. The answer may come long after this call, when the
// group may have been dropped (leadership moved): it is looked up again by id, and a group that is
// not in that same generation's CompletingRebalance any more ignores it.
void GroupCoordinator::sync(std::string_view group_id, int32_t generation_id, const std::string& member_id,
                            std::map<std::string, std::string> assignments, int64_t now_ms, SyncCallback done) {
    if (group_id.empty()) return done({ErrorCode::InvalidGroupId, {}});  // as Kafka, for every group API
    auto it = groups_.find(group_id);
    if (it == groups_.end()) return done({ErrorCode::UnknownMemberId, {}});
    ConsumerGroup& group = *it->second;
    if (!group.sync(generation_id, member_id, std::move(assignments), now_ms, std::move(done))) return;
    const int32_t generation = group.generation_id();
    if (!store_group) return group.finish_sync(generation, ErrorCode::None, now_ms);
    stored_groups_.emplace(group_id);
    store_group(group_id, group.metadata_record(now_ms),
                [this, id = std::string(group_id), generation, now_ms](ErrorCode error) {
                    if (auto found = groups_.find(id); found != groups_.end())
                        found->second->finish_sync(generation, error, now_ms);
                });
}

// The last member left or timed out: the group's record would bring back members that are gone,
// so a tombstone replaces it (Kafka writes an Empty group's record; either way the next
// coordinator starts the group from nothing but its offsets). Nobody waits for it.
void GroupCoordinator::tombstone_if_emptied(std::string_view group_id) {
    auto stored = stored_groups_.find(group_id);
    if (stored == stored_groups_.end()) return;
    auto it = groups_.find(group_id);
    if (it != groups_.end() && it->second->state() != GroupState::Empty) return;
    const std::string id = *stored;
    stored_groups_.erase(stored);
    if (store_group) store_group(id, std::nullopt, [](ErrorCode) {});
}

void GroupCoordinator::restore_group(const std::string& group_id, const std::optional<GroupMetadataValue>& value,
                                     int64_t now_ms) {
    if (!value) {
        groups_.erase(group_id);
        stored_groups_.erase(group_id);
        return;
    }
    group_for(group_id).restore(*value, now_ms);
    stored_groups_.insert(group_id);
}

ErrorCode GroupCoordinator::heartbeat(std::string_view group_id, int32_t generation_id, std::string_view member_id,
                                      int64_t now_ms) {
    if (group_id.empty()) return ErrorCode::InvalidGroupId;
    auto it = groups_.find(group_id);
    if (it == groups_.end()) return ErrorCode::UnknownMemberId;
    return it->second->heartbeat(generation_id, member_id, now_ms);
}

ErrorCode GroupCoordinator::leave(std::string_view group_id, std::string_view member_id, int64_t now_ms) {
    if (group_id.empty()) return ErrorCode::InvalidGroupId;
    auto it = groups_.find(group_id);
    if (it == groups_.end()) return ErrorCode::UnknownMemberId;
    ErrorCode error = it->second->leave(member_id, now_ms);
    tombstone_if_emptied(group_id);
    return error;
}

// Time moves only here (the broker's timer calls it): every group checks its session timeouts and
// rebalance deadline, and groups nobody can observe any more are dropped. Holding no clock keeps
// the model testable with made-up times.
void GroupCoordinator::tick(int64_t now_ms) {
    for (auto& [id, group] : groups_) group->tick(now_ms);
    // Session expiry may have emptied a stored group: copy the ids, tombstone_if_emptied erases.
    for (const std::string& id : std::vector<std::string>(stored_groups_.begin(), stored_groups_.end()))
        tombstone_if_emptied(id);
    // Ids handed out with MEMBER_ID_REQUIRED that never came back have expired by now.
    std::erase_if(groups_,
                  [&](const auto& entry) { return entry.second->never_formed() && !offsets_.contains(entry.first); });
    // Groups whose members all left (or timed out) and that committed nothing: nobody can tell
    // an Empty group without offsets from no group at all, so Kafka removes them (state Dead) on
    // its periodic offsets check. Without this, every group id a client ever joined - a fuzzer's
    // random ones too - stayed for the broker's life.
    if (last_empty_group_check_ms_ == 0) last_empty_group_check_ms_ = now_ms;  // the first interval starts now
    if (now_ms - last_empty_group_check_ms_ >= config_.empty_group_check_interval_ms) {
        last_empty_group_check_ms_ = now_ms;
        std::erase_if(groups_, [&](const auto& entry) {
            return entry.second->empty_and_idle() && !offsets_.contains(entry.first);
        });
    }
}

ErrorCode GroupCoordinator::check_commit(std::string_view group_id, int32_t generation_id, std::string_view member_id) {
    if (group_id.empty()) return ErrorCode::InvalidGroupId;
    auto it = groups_.find(group_id);
    if (it == groups_.end()) {
        if (generation_id >= 0 || !member_id.empty()) return ErrorCode::IllegalGeneration;
        return ErrorCode::None;  // a commit from outside group management creates nothing but offsets
    }
    return it->second->check_commit(generation_id, member_id);
}

void GroupCoordinator::set_offset(const std::string& group_id, const std::string& topic, int32_t partition,
                                  CommittedOffset offset) {
    auto [it, inserted] = offsets_[group_id].insert_or_assign({topic, partition}, std::move(offset));
    if (inserted) ++committed_offset_count_;
}

std::vector<std::pair<std::string, int32_t>> GroupCoordinator::forget_topic(std::string_view topic) {
    std::vector<std::pair<std::string, int32_t>> removed;
    for (auto& [group, offsets] : offsets_) {
        for (auto it = offsets.begin(); it != offsets.end();) {
            if (it->first.first == topic) {
                removed.emplace_back(group, it->first.second);
                it = offsets.erase(it);
                --committed_offset_count_;
            } else {
                ++it;
            }
        }
    }
    std::erase_if(offsets_, [](const auto& entry) { return entry.second.empty(); });
    return removed;
}

void GroupCoordinator::forget_partition(const std::string& group_id, const std::string& topic, int32_t partition) {
    auto group = offsets_.find(group_id);
    if (group == offsets_.end()) return;
    if (group->second.erase({topic, partition})) --committed_offset_count_;
    if (group->second.empty()) offsets_.erase(group);
}

ErrorCode GroupCoordinator::delete_group(std::string_view group_id,
                                         std::vector<std::pair<std::string, int32_t>>& removed) {
    if (group_id.empty()) return ErrorCode::InvalidGroupId;
    auto group = groups_.find(group_id);
    auto offsets = offsets_.find(group_id);
    if (group == groups_.end() && offsets == offsets_.end()) return ErrorCode::GroupIdNotFound;
    if (group != groups_.end() && !group->second->members().empty()) return ErrorCode::NonEmptyGroup;
    if (group != groups_.end()) groups_.erase(group);
    tombstone_if_emptied(group_id);  // a group restored Empty may still have a record
    if (offsets != offsets_.end()) {
        for (const auto& [key, committed] : offsets->second) removed.push_back(key);
        committed_offset_count_ -= offsets->second.size();
        offsets_.erase(offsets);
    }
    return ErrorCode::None;
}

size_t GroupCoordinator::drop_groups(const std::function<bool(std::string_view group_id)>& which) {
    std::set<std::string, std::less<>> dropped;
    for (auto it = groups_.begin(); it != groups_.end();) {
        if (!which(it->first)) {
            ++it;
            continue;
        }
        it->second->fail_waiting(ErrorCode::NotCoordinator);
        dropped.insert(it->first);
        stored_groups_.erase(it->first);  // its records are the new coordinator's now
        it = groups_.erase(it);
    }
    for (auto it = offsets_.begin(); it != offsets_.end();) {
        if (!which(it->first)) {
            ++it;
            continue;
        }
        committed_offset_count_ -= it->second.size();
        dropped.insert(it->first);
        it = offsets_.erase(it);
    }
    return dropped.size();
}

const CommittedOffset* GroupCoordinator::offset(std::string_view group_id, std::string_view topic,
                                                int32_t partition) const {
    const Offsets* group = offsets(group_id);
    if (!group) return nullptr;
    auto it = group->find({std::string(topic), partition});
    return it == group->end() ? nullptr : &it->second;
}

const GroupCoordinator::Offsets* GroupCoordinator::offsets(std::string_view group_id) const {
    auto it = offsets_.find(group_id);
    return it == offsets_.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, std::string>> GroupCoordinator::list_groups() const {
    std::map<std::string, std::string> all;
    for (const auto& [id, offsets] : offsets_) all[id] = "consumer";
    for (const auto& [id, group] : groups_)
        if (!group->members().empty() || !all.contains(id)) all[id] = group->protocol_type();
    return {all.begin(), all.end()};
}

}  // namespace minikafka
