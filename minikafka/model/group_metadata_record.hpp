// minikafka/model/group_metadata_record.hpp
//
// CONCEPT: a consumer group's membership as a *record*, so that it survives the coordinator's
// death. Committed offsets alone let a new coordinator tell each member where to resume, but not
// who the members are: without the group's generation, leader and assignments it would answer
// every heartbeat UNKNOWN_MEMBER_ID and the whole group would rebalance. So, as Kafka does, the
// coordinator writes the group itself to __consumer_offsets after every completed rebalance (the
// leader's SyncGroup), and a tombstone when the group empties or is deleted:
//
//   key   version INT16 (2)  | group STRING              (versions 0 and 1 are offset commits)
//   value version INT16 (3)  | protocol_type STRING | generation INT32 | protocol NULLABLE_STRING
//                            | leader NULLABLE_STRING | current_state_timestamp INT64 (v2+)
//                            | members ARRAY of:
//                                member_id STRING | group_instance_id NULLABLE_STRING (v3+)
//                                | client_id STRING | client_host STRING
//                                | rebalance_timeout INT32 (v1+) | session_timeout INT32
//                                | subscription BYTES | assignment BYTES
//         (v0 has neither rebalance timeout, timestamp nor instance id; all four are read, v3
//          is written; v4, Kafka 3.5's flexible encoding, is not read)
//
// One group is one key, so the latest record per key is the group as the last rebalance left it -
// exactly what log compaction of __consumer_offsets keeps. The subscription kept is the member's
// metadata for the group's chosen protocol (the assignor), which is all a Stable group uses.
// REAL KAFKA: GroupMetadataKey.json / GroupMetadataValue.json (the schemas), and
// GroupMetadataManager.storeGroup / readGroupMessageValue in the classic coordinator.
// READ NEXT: core/offsets_topic.cpp (load: the replay), model/consumer_group.cpp (restore).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minikafka {

struct GroupMemberMetadata {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    int32_t rebalance_timeout_ms = 0;
    int32_t session_timeout_ms = 0;
    std::string subscription;  // the member's metadata for the chosen protocol
    std::string assignment;    // its share, from the leader's SyncGroup

    bool operator==(const GroupMemberMetadata&) const = default;
};

struct GroupMetadataValue {
    std::string protocol_type;  // "consumer" for a consumer group
    int32_t generation = 0;
    std::optional<std::string> protocol;  // the assignor, e.g. "range"; null for an empty group
    std::optional<std::string> leader;
    int64_t current_state_timestamp_ms = -1;
    std::vector<GroupMemberMetadata> members;

    bool operator==(const GroupMetadataValue&) const = default;
};

struct GroupMetadataRecord {
    std::string group;
    std::optional<GroupMetadataValue> value;  // nullopt: a tombstone (the group is gone)
};

// The key and the value on their own (what the unit test compares with Kafka's layout).
std::string encode_group_metadata_key(std::string_view group);
std::string encode_group_metadata_value(const GroupMetadataValue& value);
// Any of versions 0-3; nullopt for another version or bytes that do not parse.
std::optional<GroupMetadataValue> decode_group_metadata_value(std::string_view bytes);

// One batch holding one group's record, ready for PartitionLog::append.
std::string encode_group_metadata_batch(const GroupMetadataRecord& record, int64_t now_ms);
// Every group-metadata record (key version 2) of the batch, in order; offset commits are skipped.
// Returns false if a group-metadata record does not parse.
bool decode_group_metadata_batch(std::string_view batch, const std::function<void(GroupMetadataRecord&&)>& apply);

}  // namespace minikafka
