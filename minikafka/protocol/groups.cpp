// minikafka/protocol/groups.cpp
//
// CONCEPT: the consumer group APIs on the wire (groups.hpp). The member metadata and the
// assignments are opaque BYTES to the broker: the client's assignor writes them and the other
// members read them - the broker passes them along, which is why a new assignment strategy needs
// no broker change (Kafka's design, kept here).
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
//
// Which versions, and why there: every ceiling in the handler table (JoinGroup 5, SyncGroup 3,
// Heartbeat 3, DescribeGroups 4, ListGroups 2, FindCoordinator 2, DeleteGroups 1) is the last
// version before the API turned flexible (KIP-482: compact strings, tagged fields), except
// LeaveGroup, which stops at 2 because v3 leaves a whole batch of members at once (KIP-345). So
// every codec here spells strings with INT16 lengths and arrays with INT32 counts; the field
// layouts per version are the table in groups.hpp.
// READ NEXT: handlers/groups.cpp, model/consumer_group.hpp.
#include "groups.hpp"

namespace minikafka {

// FindCoordinator is the first thing a group member asks: which broker owns my group? The owner
// is the leader of one __consumer_offsets partition (chosen by hashing the group id), so any
// broker can answer from metadata (core/offsets_topic.hpp; a single node coordinates every
// group). key_type (v1, KIP-98) lets a transactional producer ask the same question about its
// transactional id.
FindCoordinatorRequest decode_find_coordinator_request(KafkaReader& in, int16_t version) {
    FindCoordinatorRequest request;
    request.key = in.string();
    if (version >= 1) request.key_type = in.i8();
    return request;
}

// throttle_time_ms (v1+) is always 0: we never throttle. The error message is null, the code says it.
void encode_find_coordinator_response(KafkaWriter& out, int16_t version, ErrorCode error, int32_t node_id,
                                      std::string_view host, int32_t port) {
    if (version >= 1) out.i32(0);
    out.i16(static_cast<int16_t>(error));
    if (version >= 1) out.nullable_string(std::nullopt);
    out.i32(node_id);
    out.string(host);
    out.i32(port);
}

// JoinGroup opens a rebalance. Each field is there for a failure someone met:
//   session_timeout_ms    how long without a heartbeat before the member is declared dead.
//   rebalance_timeout_ms  (v1, KIP-62) how long the group waits for members to rejoin; split
//                         from the session timeout so a consumer busy processing a long batch
//                         is not thrown out, while a crashed one is still noticed quickly.
//   member_id             empty on the first join; the coordinator assigns one.
//   group_instance_id     (v5, KIP-345) static membership: a restarted member with the same
//                         instance id, back within the session timeout, takes its old
//                         place without a rebalance.
//   protocols             the assignors this member supports, each with opaque metadata
//                         (usually its subscription); the coordinator picks one all support.
// From v4 (KIP-394) a first join with an empty member id is answered MEMBER_ID_REQUIRED with a
// new id, and the client joins again with it: a client that times out and retries its first
// join then cannot leave a trail of ghost members behind.
JoinGroupRequest decode_join_group_request(KafkaReader& in, int16_t version) {
    JoinGroupRequest request;
    request.group_id = in.string();
    JoinGroupParams& p = request.params;
    p.session_timeout_ms = in.i32();
    // v0 has no rebalance timeout; the session timeout stands in for it.
    p.rebalance_timeout_ms = version >= 1 ? in.i32() : p.session_timeout_ms;
    p.member_id = in.string();
    if (version >= 5)
        if (auto instance = in.nullable_string()) p.group_instance_id = std::string(*instance);
    p.protocol_type = in.string();
    int32_t protocols = in.array_length();
    for (int32_t i = 0; i < protocols && in.ok(); ++i) {
        GroupProtocol& protocol = p.protocols.emplace_back();
        protocol.name = in.string();
        protocol.metadata = in.kafka_bytes();
    }
    p.require_known_member_id = version >= 4;
    return request;
}

// The leader (a member the coordinator picks) gets every member's metadata in `members` and computes
// the assignment on the client side; the others get an empty list. That is why the broker never
// needs to understand an assignor.
void encode_join_group_response(KafkaWriter& out, int16_t version, const JoinGroupResult& result) {
    if (version >= 2) out.i32(0);
    out.i16(static_cast<int16_t>(result.error));
    out.i32(result.generation_id);
    out.string(result.protocol_name);
    out.string(result.leader);
    out.string(result.member_id);
    out.array_length(result.members.size());
    for (const auto& member : result.members) {
        out.string(member.member_id);
        if (version >= 5) out.nullable_string(member.group_instance_id);
        out.kafka_bytes(member.metadata);
    }
}

// SyncGroup closes the rebalance: the leader sends the assignment for every member, the others
// send none and wait; each gets back only its own bytes. generation_id fences a member of an older
// generation: its SyncGroup, Heartbeat or OffsetCommit is refused (ILLEGAL_GENERATION), so a
// zombie that missed the rebalance cannot act on a stale assignment.
SyncGroupRequest decode_sync_group_request(KafkaReader& in, int16_t version) {
    SyncGroupRequest request;
    request.group_id = in.string();
    request.generation_id = in.i32();
    request.member_id = in.string();
    if (version >= 3) in.nullable_string();  // group_instance_id
    int32_t assignments = in.array_length();
    for (int32_t i = 0; i < assignments && in.ok(); ++i) {
        std::string member(in.string());
        request.assignments[member] = std::string(in.kafka_bytes());
    }
    return request;
}

void encode_sync_group_response(KafkaWriter& out, int16_t version, const SyncGroupResult& result) {
    if (version >= 1) out.i32(0);
    out.i16(static_cast<int16_t>(result.error));
    out.kafka_bytes(result.assignment);
}

// Heartbeat keeps the session alive, and its answer is how a member learns that a rebalance has
// begun (REBALANCE_IN_PROGRESS: rejoin now).
HeartbeatRequest decode_heartbeat_request(KafkaReader& in, int16_t version) {
    HeartbeatRequest request;
    request.group_id = in.string();
    request.generation_id = in.i32();
    request.member_id = in.string();
    if (version >= 3) in.nullable_string();  // group_instance_id
    return request;
}

// LeaveGroup (v0-v2: one member) lets a consumer that closes cleanly trigger the rebalance at
// once instead of making its partitions wait out the session timeout.
LeaveGroupRequest decode_leave_group_request(KafkaReader& in, int16_t) {
    LeaveGroupRequest request;
    request.group_id = in.string();
    request.member_id = in.string();
    return request;
}

void encode_error_only_response(KafkaWriter& out, int16_t version, ErrorCode error) {
    if (version >= 1) out.i32(0);
    out.i16(static_cast<int16_t>(error));
}

void encode_list_groups_response(KafkaWriter& out, int16_t version,
                                 const std::vector<std::pair<std::string, std::string>>& groups) {
    if (version >= 1) out.i32(0);
    out.i16(0);
    out.array_length(groups.size());
    for (const auto& [id, protocol_type] : groups) {
        out.string(id);
        out.string(protocol_type);
    }
}

namespace {
std::vector<std::string> decode_group_ids(KafkaReader& in) {
    std::vector<std::string> groups;
    int32_t count = in.array_length();
    for (int32_t i = 0; i < count && in.ok(); ++i) groups.emplace_back(in.string());
    return groups;
}
}  // namespace

// DescribeGroups and ListGroups serve kafka-consumer-groups.sh. authorized_operations (v3,
// KIP-430) is a bit set of ACL operations; INT32_MIN is Kafka's "not requested", which is all we
// can say without ACLs.
std::vector<std::string> decode_describe_groups_request(KafkaReader& in, int16_t version) {
    std::vector<std::string> groups = decode_group_ids(in);
    if (version >= 3) in.boolean();  // include_authorized_operations: no ACLs here
    return groups;
}

// DeleteGroups (KIP-229) removes an empty group and its committed offsets.
std::vector<std::string> decode_delete_groups_request(KafkaReader& in, int16_t) { return decode_group_ids(in); }

void encode_delete_groups_response(KafkaWriter& out, int16_t,
                                   const std::vector<std::pair<std::string, ErrorCode>>& results) {
    out.i32(0);
    out.array_length(results.size());
    for (const auto& [group_id, error] : results) {
        out.string(group_id);
        out.i16(static_cast<int16_t>(error));
    }
}

void encode_describe_groups_response(KafkaWriter& out, int16_t version, const std::vector<DescribedGroup>& groups) {
    if (version >= 1) out.i32(0);
    out.array_length(groups.size());
    for (const auto& group : groups) {
        out.i16(static_cast<int16_t>(group.error));
        out.string(group.group_id);
        out.string(group.state);
        out.string(group.protocol_type);
        out.string(group.protocol);
        out.array_length(group.members.size());
        for (const auto& member : group.members) {
            out.string(member.member_id);
            if (version >= 4) out.nullable_string(member.instance_id);
            out.string(member.client_id);
            out.string(member.client_host);
            out.kafka_bytes(member.metadata);
            out.kafka_bytes(member.assignment);
        }
        if (version >= 3) out.i32(INT32_MIN);  // authorized_operations: unknown
    }
}

}  // namespace minikafka
