// minikafka/model/consumer_group.hpp
//
// CONCEPT: a consumer group - consumers sharing the work of reading some topics. Each partition
// is read by exactly one member of the group, so adding consumers spreads the load, and the
// group's committed offsets let a restarted consumer resume where the group left off.
//
// The classic group protocol, as a state machine per group (Kafka's GroupCoordinator):
//
//   Empty --JoinGroup--> PreparingRebalance --all members joined / timeout--> CompletingRebalance
//     ^                        ^                                                   |
//     |                        |  join, leave, metadata change, session expiry     | leader's SyncGroup
//     +--last member leaves----+---------------------------------------------------+-> Stable
//
//   1. Every member sends JoinGroup with the assignors ("protocols": range, roundrobin, ...) it
//      supports and its subscription as opaque metadata. The broker holds the answers until all
//      known members have (re)joined or the rebalance timeout passes, then starts a new
//      *generation*, picks the protocol all members support, and names one member the leader.
//   2. Only the leader's JoinGroup answer lists the members and their metadata: the *client*
//      computes the assignment (the broker never reads the subscription bytes).
//   3. Everybody sends SyncGroup; the leader's carries the assignment of every member, and each
//      member's SyncGroup answer carries its own part.
//   4. Members Heartbeat within session.timeout.ms. A heartbeat during a rebalance is answered
//      REBALANCE_IN_PROGRESS: the member rejoins. A member that stops heartbeating is removed,
//      which starts a rebalance; requests from an old generation get ILLEGAL_GENERATION.
// Since JoinGroup v4 a member without an id first gets MEMBER_ID_REQUIRED and its new id, and
// joins again with it (so a client that retries does not leave ghost members behind).
// REAL KAFKA: also static membership (group.instance.id) that survives restarts without a
// rebalance, and the new KIP-848 protocol; here the instance id is only recorded.
// The model knows no sockets or clocks: times are passed in, answers go to callbacks.
// READ NEXT: consumer_group.cpp (the transitions), group_coordinator.hpp (who owns the groups),
//            docs/minikafka/03-consumer-groups.md "The classic protocol, step by step".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "group_metadata_record.hpp"
#include "protocol/api_keys.hpp"
#include "protocol/groups.hpp"  // the request and answer value types the state machine takes and gives

namespace minikafka {

enum class GroupState { Empty, PreparingRebalance, CompletingRebalance, Stable, Dead };
std::string_view to_string(GroupState state);  // Kafka's names, as DescribeGroups reports them

using JoinCallback = std::function<void(const JoinGroupResult&)>;
JoinGroupResult join_error(ErrorCode error, std::string member_id);

using SyncCallback = std::function<void(const SyncGroupResult&)>;

struct GroupMember {
    std::string id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    std::vector<GroupProtocol> protocols;
    std::string assignment;  // from the leader's SyncGroup
    int64_t last_heartbeat_ms = 0;
    JoinCallback awaiting_join;  // set while its JoinGroup answer is held back
    SyncCallback awaiting_sync;  // set while its SyncGroup answer waits for the leader

    const std::string* metadata_for(std::string_view protocol) const;
};

class ConsumerGroup {
public:
    ConsumerGroup(std::string id, int64_t initial_rebalance_delay_ms)
        : id_(std::move(id)), initial_rebalance_delay_ms_(initial_rebalance_delay_ms) {}

    // `new_member_id` is used when the request has no member id (the coordinator makes it).
    void join(JoinGroupParams params, const std::string& new_member_id, int64_t now_ms, JoinCallback done);
    // Returns true when this was the leader's SyncGroup with the generation's assignment: the
    // group then waits, still CompletingRebalance, for finish_sync - the coordinator stores the
    // group first (model/group_metadata_record.hpp), and only a stored generation is answered.
    bool sync(int32_t generation_id, const std::string& member_id, std::map<std::string, std::string> assignments,
              int64_t now_ms, SyncCallback done);
    // The store of `generation_id` finished: None makes the group Stable and answers every held
    // SyncGroup with its assignment; an error answers them with it and starts a new rebalance
    // (Kafka's resetAndPropagateAssignmentError). A stale generation is ignored.
    void finish_sync(int32_t generation_id, ErrorCode error, int64_t now_ms);
    // The group as a GroupMetadata record, and back. restore() is a new coordinator taking the
    // group over from the log: same generation, protocol, leader, members and assignments, Stable
    // (Empty without members), and every member's session timer starts afresh at `now_ms` - the
    // members did not stop heartbeating, they only had nobody to heartbeat to.
    GroupMetadataValue metadata_record(int64_t now_ms) const;
    void restore(const GroupMetadataValue& value, int64_t now_ms);
    ErrorCode heartbeat(int32_t generation_id, std::string_view member_id, int64_t now_ms);
    ErrorCode leave(std::string_view member_id, int64_t now_ms);
    // May a member of `generation_id` commit offsets now? (-1 / "" = a client outside the group)
    ErrorCode check_commit(int32_t generation_id, std::string_view member_id) const;
    // The coordinator gives the group up (another broker coordinates it now): every held
    // JoinGroup/SyncGroup answer goes out with `error`.
    void fail_waiting(ErrorCode error);
    // Session expiry and the end of a rebalance's waiting time.
    void tick(int64_t now_ms);

    // --trace: rebalances as one line each (set by the coordinator; see docs/architecture.md).
    std::function<void(std::string_view line)> trace;

    const std::string& id() const { return id_; }
    GroupState state() const { return state_; }
    int32_t generation_id() const { return generation_id_; }
    const std::string& protocol_type() const { return protocol_type_; }
    const std::string& protocol_name() const { return protocol_name_; }
    const std::string& leader() const { return leader_; }
    const std::map<std::string, GroupMember>& members() const { return members_; }
    // Never formed: no member, none waiting to come back with its id, no generation yet.
    bool never_formed() const { return empty_and_idle() && generation_id_ == 0; }
    // No member, none waiting to come back with its id, nothing in progress.
    bool empty_and_idle() const { return members_.empty() && pending_members_.empty() && state_ == GroupState::Empty; }

private:
    void prepare_rebalance(int64_t now_ms, std::string_view reason);
    void maybe_complete_join(int64_t now_ms);
    void complete_join(int64_t now_ms);
    void remove_member(const std::string& member_id, int64_t now_ms, std::string_view reason);
    bool supports_protocols(const JoinGroupParams& params) const;
    std::string select_protocol() const;
    JoinGroupResult join_result_for(const GroupMember& member) const;
    void fail_pending_syncs(ErrorCode error);

    std::string id_;
    int64_t initial_rebalance_delay_ms_;
    GroupState state_ = GroupState::Empty;
    int32_t generation_id_ = 0;
    std::string protocol_type_;
    std::string protocol_name_;
    std::string leader_;
    std::map<std::string, GroupMember> members_;
    std::map<std::string, int64_t> pending_members_;  // ids handed out with MEMBER_ID_REQUIRED -> deadline
    int64_t rebalance_deadline_ms_ = 0;
    bool initial_join_ = false;         // this rebalance started from Empty (group.initial.rebalance.delay.ms)
    bool assignment_received_ = false;  // the leader's SyncGroup of this generation came; being stored
};

}  // namespace minikafka
