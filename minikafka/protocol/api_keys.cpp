// minikafka/protocol/api_keys.cpp
//
// CONCEPT: every request names its API by number and version (api_keys.hpp). This file holds
// the protocol's names and flexible-version boundaries for the APIs minikafka knows (from the
// "flexibleVersions" of Kafka's message definitions). The boundary matters for every frame: from
// that version on, the request header has tagged fields and strings use compact lengths
// (KIP-482), so the header decoder must know it before it can read a single body byte.
//
//   Produce: first flexible v9 - we speak v3-v8, so our Produce codec is the fixed layout
//
// Most client APIs are served up to the version just before their first flexible one (the
// ranges are in handlers/handler_table.cpp): that covers the Debian-packaged clients and keeps
// the client codecs in the older, simpler encoding. ApiVersions v3 and the KRaft APIs are flexible.
// READ NEXT: request_header.cpp (where first_flexible_version is used).
#include "api_keys.hpp"

namespace minikafka {

namespace {
struct ApiFacts {
    ApiKey key;
    std::string_view name;
    int16_t first_flexible;
};
// One row per API, from the "flexibleVersions" of each request schema. A row with 0 is an API
// born after KIP-482 (Kafka 2.4), flexible from its first version; BeginQuorumEpoch and
// EndQuorumEpoch were defined without it and turned flexible at v1 (KIP-853).
constexpr ApiFacts kApis[] = {
    {ApiKey::Produce, "Produce", 9},
    {ApiKey::Fetch, "Fetch", 12},
    {ApiKey::ListOffsets, "ListOffsets", 6},
    {ApiKey::Metadata, "Metadata", 9},
    {ApiKey::OffsetCommit, "OffsetCommit", 8},
    {ApiKey::OffsetFetch, "OffsetFetch", 6},
    {ApiKey::FindCoordinator, "FindCoordinator", 3},
    {ApiKey::JoinGroup, "JoinGroup", 6},
    {ApiKey::Heartbeat, "Heartbeat", 4},
    {ApiKey::LeaveGroup, "LeaveGroup", 4},
    {ApiKey::SyncGroup, "SyncGroup", 4},
    {ApiKey::DescribeGroups, "DescribeGroups", 5},
    {ApiKey::ListGroups, "ListGroups", 3},
    {ApiKey::ApiVersions, "ApiVersions", 3},
    {ApiKey::CreateTopics, "CreateTopics", 5},
    {ApiKey::DeleteTopics, "DeleteTopics", 4},
    {ApiKey::InitProducerId, "InitProducerId", 2},
    {ApiKey::OffsetForLeaderEpoch, "OffsetForLeaderEpoch", 4},
    {ApiKey::DescribeConfigs, "DescribeConfigs", 4},
    {ApiKey::AlterConfigs, "AlterConfigs", 2},
    {ApiKey::CreatePartitions, "CreatePartitions", 2},
    {ApiKey::DeleteGroups, "DeleteGroups", 2},
    {ApiKey::IncrementalAlterConfigs, "IncrementalAlterConfigs", 1},
    {ApiKey::AlterPartitionReassignments, "AlterPartitionReassignments", 0},
    {ApiKey::ListPartitionReassignments, "ListPartitionReassignments", 0},
    {ApiKey::Vote, "Vote", 0},
    {ApiKey::BeginQuorumEpoch, "BeginQuorumEpoch", 1},
    {ApiKey::EndQuorumEpoch, "EndQuorumEpoch", 1},
    {ApiKey::DescribeQuorum, "DescribeQuorum", 0},
    {ApiKey::FetchSnapshot, "FetchSnapshot", 0},
    {ApiKey::AlterPartition, "AlterPartition", 0},
    {ApiKey::BrokerRegistration, "BrokerRegistration", 0},
    {ApiKey::BrokerHeartbeat, "BrokerHeartbeat", 0},
};
}  // namespace

std::string_view api_name(ApiKey key) {
    for (const auto& api : kApis)
        if (api.key == key) return api.name;
    return "Unknown";
}

// An API we do not know is never flexible: its header is then read as v1 (client id, no tags),
// which is enough to answer UNSUPPORTED_VERSION with the right correlation id.
int16_t first_flexible_version(ApiKey key) {
    for (const auto& api : kApis)
        if (api.key == key) return api.first_flexible;
    return INT16_MAX;
}

}  // namespace minikafka
