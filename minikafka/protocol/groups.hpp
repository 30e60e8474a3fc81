// minikafka/protocol/groups.hpp
//
// CONCEPT: the consumer group APIs on the wire (the state machine they drive is in
// model/consumer_group.hpp, which takes and gives the value types below: the protocol is the
// ground floor, so the model may name these structs but never the other way round). Layouts by version:
//
//   FindCoordinator  req: key STRING | key_type INT8 (v1+: 0 group, 1 transaction)
//                    resp: throttle (v1+) | error_code | error_message (v1+) | node_id | host | port
//   JoinGroup        req: group_id | session_timeout_ms | rebalance_timeout_ms (v1+) | member_id
//                         | group_instance_id (v5+) | protocol_type | protocols [name | metadata BYTES]
//                    resp: throttle (v2+) | error_code | generation_id | protocol_name | leader
//                         | member_id | members [member_id | group_instance_id (v5+) | metadata BYTES]
//   SyncGroup        req: group_id | generation_id | member_id | group_instance_id (v3+)
//                         | assignments [member_id | assignment BYTES]
//                    resp: throttle (v1+) | error_code | assignment BYTES
//   Heartbeat        req: group_id | generation_id | member_id | group_instance_id (v3+)
//                    resp: throttle (v1+) | error_code
//   LeaveGroup       req: group_id | member_id   (v0-v2)     resp: throttle (v1+) | error_code
//   ListGroups       req: (empty)                           resp: throttle (v1+) | error_code
//                                                                 | groups [group_id | protocol_type]
//   DescribeGroups   req: groups [STRING] | include_authorized_operations (v3+)
//                    resp: throttle (v1+) | groups [error_code | group_id | state | protocol_type
//                         | protocol | members [member_id | group_instance_id (v4+) | client_id
//                         | client_host | metadata BYTES | assignment BYTES] | authorized_ops (v3+)]
//   DeleteGroups     req: groups [STRING]                   resp: throttle | results [group_id
//                                                                 | error_code]
// Group requests are rare next to produce/fetch, so these codecs simply copy into strings.
// READ NEXT: groups.cpp (the codecs), handlers/groups.cpp, docs/minikafka/03-consumer-groups.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api_keys.hpp"
#include "primitives.hpp"

namespace minikafka {

// --- value types the group state machine takes and gives ------------------------------------

struct GroupProtocol {
    std::string name;      // an assignor, e.g. "range"
    std::string metadata;  // the member's subscription, opaque to the broker
};

// The defaults are the Java consumer's: session.timeout.ms (10 s before Kafka 3.0, 45 s since)
// and max.poll.interval.ms (5 min), which the consumer sends as its rebalance timeout. client_id
// and client_host come from the request header and the connection, not the body: they are what
// DescribeGroups shows an operator looking for the process behind a member.
struct JoinGroupParams {
    std::string member_id;  // empty for a member joining for the first time
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 10000;
    int32_t rebalance_timeout_ms = 300000;
    // "consumer" for consumers; Kafka Connect's workers use "connect". The broker only checks
    // that all members of a group agree on it - groups are not just for consumers.
    std::string protocol_type;
    std::vector<GroupProtocol> protocols;
    bool require_known_member_id = false;  // JoinGroup v4+: the MEMBER_ID_REQUIRED round trip
};

struct JoinGroupMember {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string metadata;
};

// generation_id goes up by one with every completed rebalance; it is the fencing token that
// every later SyncGroup, Heartbeat and OffsetCommit of this member carries.
struct JoinGroupResult {
    ErrorCode error = ErrorCode::None;
    int32_t generation_id = -1;
    std::string protocol_name;
    std::string leader;
    std::string member_id;
    std::vector<JoinGroupMember> members;  // only in the leader's answer
};

struct SyncGroupResult {
    ErrorCode error = ErrorCode::None;
    std::string assignment;
};

// --- requests and answers --------------------------------------------------------------------

struct FindCoordinatorRequest {
    std::string key;
    int8_t key_type = 0;
};
FindCoordinatorRequest decode_find_coordinator_request(KafkaReader& in, int16_t version);
void encode_find_coordinator_response(KafkaWriter& out, int16_t version, ErrorCode error, int32_t node_id,
                                      std::string_view host, int32_t port);

struct JoinGroupRequest {
    std::string group_id;
    JoinGroupParams params;
};
JoinGroupRequest decode_join_group_request(KafkaReader& in, int16_t version);
void encode_join_group_response(KafkaWriter& out, int16_t version, const JoinGroupResult& result);

struct SyncGroupRequest {
    std::string group_id;
    int32_t generation_id = -1;
    std::string member_id;
    std::map<std::string, std::string> assignments;  // member id -> assignment (leader only)
};
SyncGroupRequest decode_sync_group_request(KafkaReader& in, int16_t version);
void encode_sync_group_response(KafkaWriter& out, int16_t version, const SyncGroupResult& result);

struct HeartbeatRequest {
    std::string group_id;
    int32_t generation_id = -1;
    std::string member_id;
};
HeartbeatRequest decode_heartbeat_request(KafkaReader& in, int16_t version);

struct LeaveGroupRequest {
    std::string group_id;
    std::string member_id;
};
LeaveGroupRequest decode_leave_group_request(KafkaReader& in, int16_t version);

// Heartbeat and LeaveGroup answers: throttle (v1+) | error_code.
void encode_error_only_response(KafkaWriter& out, int16_t version, ErrorCode error);

void encode_list_groups_response(KafkaWriter& out, int16_t version,
                                 const std::vector<std::pair<std::string, std::string>>& groups);

std::vector<std::string> decode_describe_groups_request(KafkaReader& in, int16_t version);
// One group as DescribeGroups reports it (handlers/groups.cpp copies it out of the model).
struct DescribedMember {
    std::string member_id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    std::string metadata;    // only for a Stable group, as Kafka
    std::string assignment;  // likewise
};
struct DescribedGroup {
    ErrorCode error = ErrorCode::None;
    std::string group_id;
    std::string state = "Dead";  // Kafka's names: Empty, PreparingRebalance, ..., Dead (unknown)
    std::string protocol_type;
    std::string protocol;  // only for a Stable group
    std::vector<DescribedMember> members;
};
void encode_describe_groups_response(KafkaWriter& out, int16_t version, const std::vector<DescribedGroup>& groups);

std::vector<std::string> decode_delete_groups_request(KafkaReader& in, int16_t version);
void encode_delete_groups_response(KafkaWriter& out, int16_t version,
                                   const std::vector<std::pair<std::string, ErrorCode>>& results);

}  // namespace minikafka
