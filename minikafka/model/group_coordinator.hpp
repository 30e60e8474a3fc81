// minikafka/model/group_coordinator.hpp
//
// CONCEPT: the group coordinator - the broker role that runs consumer groups (consumer_group.hpp)
// and keeps their committed offsets: "group G has processed topic T partition P up to offset
// O". A consumer that starts (or takes over a partition after a rebalance) asks OffsetFetch
// where to resume; without a committed offset it falls back to auto.offset.reset (earliest or
// latest, through ListOffsets).
// In a Kafka cluster each group has one coordinator broker, found with FindCoordinator (a hash
// of the group id picks a partition of the internal __consumer_offsets topic; that partition's
// leader coordinates). With one broker, it is always us.
// Committed offsets are persisted by storage/offset_store.hpp before the commit is answered.
// READ NEXT: consumer_group.hpp (one group's state machine), handlers/groups.cpp (the wire),
//            core/offsets_topic.hpp (the coordinator in a cluster).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <set>

#include "consumer_group.hpp"
#include "group_metadata_record.hpp"

namespace minikafka {

struct GroupConfig {
    int32_t min_session_timeout_ms = 6000;      // group.min.session.timeout.ms
    int32_t max_session_timeout_ms = 1800000;   // group.max.session.timeout.ms
    int64_t initial_rebalance_delay_ms = 3000;  // group.initial.rebalance.delay.ms
    // How often groups left Empty with no committed offsets are removed (Kafka does it in the
    // same periodic pass that expires old offsets).
    int64_t empty_group_check_interval_ms = 600000;  // offsets.retention.check.interval.ms
};

struct CommittedOffset {
    int64_t offset = -1;
    int32_t leader_epoch = -1;
    std::string metadata;
    int64_t commit_timestamp_ms = 0;
};

class GroupCoordinator {
public:
    explicit GroupCoordinator(GroupConfig config) : config_(config) {}
    std::function<void(std::string_view line)> trace;  // --trace, handed to every group it creates
    // Cluster mode (set by core/offsets_topic.cpp): writes a group's metadata record - or a
    // tombstone, nullopt - to __consumer_offsets and calls `done` once it is replicated. A
    // completed rebalance is answered only after it; without it (single-node mode) at once.
    using StoreGroup = std::function<void(std::string_view group_id, std::optional<GroupMetadataValue> value,
                                          std::function<void(ErrorCode)> done)>;
    StoreGroup store_group;
    // A new coordinator replaying a group's record: the group as its last rebalance left it (a
    // tombstone: no group). See ConsumerGroup::restore.
    void restore_group(const std::string& group_id, const std::optional<GroupMetadataValue>& value, int64_t now_ms);

    // JoinGroup: validates what is group-independent (id, session timeout), finds or creates the
    // group, and makes member ids ("<client.id>-<n>-<random>") for new members.
    void join(std::string_view group_id, JoinGroupParams params, int64_t now_ms, JoinCallback done);
    void sync(std::string_view group_id, int32_t generation_id, const std::string& member_id,
              std::map<std::string, std::string> assignments, int64_t now_ms, SyncCallback done);
    ErrorCode heartbeat(std::string_view group_id, int32_t generation_id, std::string_view member_id, int64_t now_ms);
    ErrorCode leave(std::string_view group_id, std::string_view member_id, int64_t now_ms);
    void tick(int64_t now_ms);

    // OffsetCommit, step 1: may this member commit now? (creates an idle group for a commit from
    // outside group management, as Kafka does)
    ErrorCode check_commit(std::string_view group_id, int32_t generation_id, std::string_view member_id);
    // Step 2, once the offset store has it: the committed offset becomes visible.
    void set_offset(const std::string& group_id, const std::string& topic, int32_t partition, CommittedOffset offset);
    // A deleted topic takes its committed offsets with it (as in Kafka), so that a topic created
    // again under the same name starts without stale positions. Returns what was removed:
    // (group, partition) pairs.
    std::vector<std::pair<std::string, int32_t>> forget_topic(std::string_view topic);
    void forget_partition(const std::string& group_id, const std::string& topic, int32_t partition);
    // DeleteGroups: a group without members goes, with its committed offsets (whose
    // (topic, partition) keys land in `removed`). A group with members is NON_EMPTY_GROUP; one
    // we never heard of, GROUP_ID_NOT_FOUND.
    ErrorCode delete_group(std::string_view group_id, std::vector<std::pair<std::string, int32_t>>& removed);
    // Cluster mode: this broker stops coordinating the groups `which` selects (their partition of
    // __consumer_offsets has a new leader): members and offsets go, held answers get
    // NOT_COORDINATOR so the clients look for the new coordinator. Returns how many groups went.
    size_t drop_groups(const std::function<bool(std::string_view group_id)>& which);
    const CommittedOffset* offset(std::string_view group_id, std::string_view topic, int32_t partition) const;

    using Offsets = std::map<std::pair<std::string, int32_t>, CommittedOffset>;  // (topic, partition)
    const Offsets* offsets(std::string_view group_id) const;
    size_t committed_offset_count() const { return committed_offset_count_; }

    const ConsumerGroup* group(std::string_view group_id) const;
    // Every group that has members or committed offsets, with its protocol type.
    std::vector<std::pair<std::string, std::string>> list_groups() const;

    const GroupConfig& config() const { return config_; }

private:
    ConsumerGroup& group_for(std::string_view group_id);
    void forget_if_never_formed(std::string_view group_id);
    std::string new_member_id(std::string_view client_id);
    void tombstone_if_emptied(std::string_view group_id);

    GroupConfig config_;
    std::map<std::string, std::unique_ptr<ConsumerGroup>, std::less<>> groups_;
    std::map<std::string, Offsets, std::less<>> offsets_;
    uint64_t member_counter_ = 0;
    int64_t last_empty_group_check_ms_ = 0;
    size_t committed_offset_count_ = 0;
    // Groups whose latest record in __consumer_offsets is a live one: when such a group empties
    // (or is deleted) a tombstone follows, so that the next coordinator does not bring it back.
    std::set<std::string, std::less<>> stored_groups_;
};

}  // namespace minikafka
