// minikafka/protocol/groups.cpp
//
// CONCEPT: the consumer group APIs on the wire (groups.hpp). The member metadata and the
// assignments are opaque BYTES to the broker: the client's assignor writes them and the other
// members read them - the broker passes them along, which is why a new assignment strategy needs
// no broker change (Kafka's design, kept here).
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
// READ NEXT: handlers/groups.cpp, model/consumer_group.hpp.
#include "groups.hpp"

namespace minikafka {

FindCoordinatorRequest decode_find_coordinator_request(KafkaReader& in, int16_t version) {
    FindCoordinatorRequest request;
    request.key = in.string();
    if (version >= 1) request.key_type = in.i8();
    return request;
}

void encode_find_coordinator_response(KafkaWriter& out, int16_t version, ErrorCode error, int32_t node_id,
                                      std::string_view host, int32_t port) {
    if (version >= 1) out.i32(0);
    out.i16(static_cast<int16_t>(error));
    if (version >= 1) out.nullable_string(std::nullopt);
    out.i32(node_id);
    out.string(host);
    out.i32(port);
}

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

HeartbeatRequest decode_heartbeat_request(KafkaReader& in, int16_t version) {
    HeartbeatRequest request;
    request.group_id = in.string();
    request.generation_id = in.i32();
    request.member_id = in.string();
    if (version >= 3) in.nullable_string();  // group_instance_id
    return request;
}

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

std::vector<std::string> decode_describe_groups_request(KafkaReader& in, int16_t version) {
    std::vector<std::string> groups = decode_group_ids(in);
    if (version >= 3) in.boolean();  // include_authorized_operations: no ACLs here
    return groups;
}

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
