// minikafka/protocol/metadata_records.hpp
//
// CONCEPT: what the controller's log says. Every change to the cluster's metadata is one record
// in __cluster_metadata, and the records are Kafka's own (metadata/src/main/resources/common/
// metadata/*.json), each framed as Kafka frames them (MetadataRecordSerde):
//
//   UNSIGNED_VARINT frame version (1) | UNSIGNED_VARINT record type (= apiKey) | UNSIGNED_VARINT
//   record version | the record's fields, flexible encoding (compact strings, tagged fields)
//
//   type  record                  what it says
//   0     RegisterBrokerRecord    broker B (incarnation I) is at host:port; its broker epoch is E
//   2     TopicRecord             topic "orders" exists and has id U
//   3     PartitionRecord         partition U/p: replicas, ISR, leader, leader epoch
//   5     PartitionChangeRecord   partition U/p: a new ISR, leader and/or replica set (only what
//                                 changed; a reassignment adds adding/removing replicas)
//   7     FenceBrokerRecord       broker B (epoch E) missed its heartbeats: no leadership for it
//   8     UnfenceBrokerRecord     broker B (epoch E) is caught up and heartbeating again
//   9     RemoveTopicRecord       topic U is deleted (with its partitions)
//   4     ConfigRecord            topic T's config K is V (null: back to the broker default)
//
// A new active controller also writes a LeaderChangeMessage, but that is a *control* record (the
// Raft layer's, see raft/messages.hpp and quorum.hpp's record batch), not a metadata record.
// Replaying these records in order from an empty image (core/metadata_image.hpp) rebuilds the
// cluster's view exactly: that is how every controller and broker knows the same thing.
// READ NEXT: core/metadata_image.hpp - the state these records build.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "quorum.hpp"

namespace minikafka {

struct BrokerEndpoint {
    std::string name;  // the listener's name: PLAINTEXT
    std::string host;
    uint16_t port = 0;
    int16_t security_protocol = 0;  // 0 = PLAINTEXT
    bool operator==(const BrokerEndpoint&) const = default;
};
// The listener and feature lists that both BrokerRegistration (API 62) and RegisterBrokerRecord
// carry, in the same layout: read once, here. Features are skipped (minikafka has none to check).
std::vector<BrokerEndpoint> read_endpoints(KafkaReader& in);
void skip_features(KafkaReader& in);

// Each struct's kType is the record type on the wire (the schema's apiKey); the numbers are
// Kafka's, gaps included, so a tool that dumps Kafka's metadata log would name ours the same.
struct RegisterBrokerRecord {
    static constexpr uint16_t kType = 0;
    int32_t broker_id = -1;
    Uuid incarnation_id{};     // new on every process start: tells a restart from a duplicate
    int64_t broker_epoch = 0;  // assigned by the controller: the record's offset
    std::vector<BrokerEndpoint> endpoints;
    std::optional<std::string> rack;
    bool fenced = true;  // a new registration starts fenced until it catches up
    bool operator==(const RegisterBrokerRecord&) const = default;
};
struct TopicRecord {
    static constexpr uint16_t kType = 2;
    std::string name;
    Uuid topic_id{};
    bool operator==(const TopicRecord&) const = default;
};
// The whole state of one partition, written when it is created (and in a snapshot); everything
// after that is a PartitionChangeRecord on top of it.
struct PartitionRecord {
    static constexpr uint16_t kType = 3;
    int32_t partition_id = -1;
    Uuid topic_id{};
    std::vector<int32_t> replicas;  // preferred order
    std::vector<int32_t> isr;
    std::vector<int32_t> removing_replicas;  // a reassignment in progress: replicas that will go
    std::vector<int32_t> adding_replicas;    // ... and the ones catching up to join
    int32_t leader = -1;
    int32_t leader_epoch = -1;
    int32_t partition_epoch = -1;
    bool operator==(const PartitionRecord&) const = default;
};
struct PartitionChangeRecord {
    static constexpr uint16_t kType = 5;
    int32_t partition_id = -1;
    Uuid topic_id{};
    std::optional<std::vector<int32_t>> isr;  // tag 0: absent = unchanged
    int32_t leader = -2;                      // tag 1: -2 = unchanged, -1 = no leader
    // A reassignment (AlterPartitionReassignments): the new replica set, and which of its members
    // are still being added or are about to be removed. Absent = unchanged.
    std::optional<std::vector<int32_t>> replicas;           // tag 2
    std::optional<std::vector<int32_t>> removing_replicas;  // tag 3
    std::optional<std::vector<int32_t>> adding_replicas;    // tag 4
    bool operator==(const PartitionChangeRecord&) const = default;
};
struct FenceBrokerRecord {
    static constexpr uint16_t kType = 7;
    int32_t id = -1;
    int64_t epoch = -1;
    bool operator==(const FenceBrokerRecord&) const = default;
};
struct UnfenceBrokerRecord {
    static constexpr uint16_t kType = 8;
    int32_t id = -1;
    int64_t epoch = -1;
    bool operator==(const UnfenceBrokerRecord&) const = default;
};

struct ConfigRecord {
    static constexpr uint16_t kType = 4;
    int8_t resource_type = 2;  // 2 = topic (Kafka's ConfigResource.Type)
    std::string resource_name;
    std::string name;
    std::optional<std::string> value;
    bool operator==(const ConfigRecord&) const = default;
};
struct RemoveTopicRecord {
    static constexpr uint16_t kType = 9;
    Uuid topic_id{};
    bool operator==(const RemoveTopicRecord&) const = default;
};

// One variant for all record types: applying one is a std::visit with one case per type and no
// catch-all (core/metadata_image.cpp), so adding a record type that the image forgets to apply
// does not compile - better than a node that silently ignores part of the log.
using MetadataRecord = std::variant<RegisterBrokerRecord, TopicRecord, PartitionRecord, PartitionChangeRecord,
                                    FenceBrokerRecord, UnfenceBrokerRecord, RemoveTopicRecord, ConfigRecord>;

std::string encode_metadata_record(const MetadataRecord& record);
// nullopt for bytes that are not one whole record of a type we know (the caller logs and stops:
// a metadata log it cannot read is a log it must not half-apply).
std::optional<MetadataRecord> decode_metadata_record(std::string_view bytes);
const char* metadata_record_name(const MetadataRecord& record);

}  // namespace minikafka
