// minikafka/handlers/handler_table.cpp
//
// CONCEPT: one table is both the dispatcher and the advertisement (see handler_table.hpp). The
// version ranges are chosen per API in docs/minikafka/api-versions.md: at least the Kafka 2.1
// level, and down to the floors that the clients packaged in Debian need (librdkafka only enables
// consumer groups when the group APIs' ranges include version 0, for example).
//
//   header (api_key, api_version) ─▶ the table's line ─▶ in range? ─ no ─▶ close the connection
//                                                       │ yes
//                                                       └▶ handle(broker, header, body, reply)
//
// Two listeners, two tables: clients talk to kHandlers; KRaft voters and brokers talk to each
// other through kControllerHandlers, as Kafka separates its client and CONTROLLER listeners.
// READ NEXT: handlers/api_versions.cpp (the table as an answer), handlers/produce.cpp.
#include "handler_table.hpp"

#include "protocol/reassignments.hpp"

#include <array>

#include "cluster_admin.hpp"
#include "log.hpp"
#include "protocol/alter_partition.hpp"
#include "protocol/broker_registration.hpp"
#include "protocol/offsets_for_leader_epoch.hpp"
#include "protocol/quorum.hpp"

namespace minikafka {

namespace {

// The client listener. Each line: API, lowest and highest version we speak, handler. A floor above
// 0 (Produce 3, Fetch 4) is where the record batch format (magic 2) or a field we rely on begins;
// a ceiling is where the next version would need something we do not implement (docs/minikafka/
// api-versions.md gives the reason per API).
constexpr ApiHandler kHandlers[] = {
    {ApiKey::ApiVersions, 0, 3, handle_api_versions},
    {ApiKey::Produce, 3, 8, handle_produce},
    {ApiKey::Fetch, 4, 12, handle_fetch},
    {ApiKey::ListOffsets, 1, 5, handle_list_offsets},
    {ApiKey::Metadata, 0, 8, handle_metadata},
    {ApiKey::OffsetCommit, 2, 7, handle_offset_commit},
    {ApiKey::OffsetFetch, 1, 5, handle_offset_fetch},
    {ApiKey::FindCoordinator, 0, 2, handle_find_coordinator},
    {ApiKey::JoinGroup, 0, 5, handle_join_group},
    {ApiKey::Heartbeat, 0, 3, handle_heartbeat},
    {ApiKey::LeaveGroup, 0, 2, handle_leave_group},
    {ApiKey::SyncGroup, 0, 3, handle_sync_group},
    {ApiKey::DescribeGroups, 0, 4, handle_describe_groups},
    {ApiKey::ListGroups, 0, 2, handle_list_groups},
    {ApiKey::CreateTopics, 0, 4, handle_create_topics},
    {ApiKey::DeleteTopics, 0, 3, handle_delete_topics},
    {ApiKey::InitProducerId, 0, 1, handle_init_producer_id},
    {ApiKey::OffsetForLeaderEpoch, 0, kOffsetsForLeaderEpochMaxVersion, handle_offsets_for_leader_epoch},
    {ApiKey::DescribeConfigs, 0, 2, handle_describe_configs},
    {ApiKey::AlterConfigs, 0, 1, handle_alter_configs},
    {ApiKey::CreatePartitions, 0, 1, handle_create_partitions},
    {ApiKey::DeleteGroups, 0, 1, handle_delete_groups},
    {ApiKey::IncrementalAlterConfigs, 0, 1, handle_incremental_alter_configs},
    {ApiKey::AlterPartitionReassignments, kReassignmentsVersion, kReassignmentsVersion,
     handle_alter_partition_reassignments},
    {ApiKey::ListPartitionReassignments, kReassignmentsVersion, kReassignmentsVersion,
     handle_list_partition_reassignments},
    {ApiKey::DescribeQuorum, 0, kDescribeQuorumMaxVersion, handle_describe_quorum},
};

// The controller listener: what one KRaft voter asks another (see protocol/quorum.hpp).
constexpr ApiHandler kControllerHandlers[] = {
    {ApiKey::ApiVersions, 0, 3, handle_controller_api_versions},
    {ApiKey::Fetch, kReplicaFetchMinVersion, kReplicaFetchMaxVersion, handle_quorum_request},
    {ApiKey::Vote, kVoteVersion, kVoteVersion, handle_quorum_request},
    {ApiKey::BeginQuorumEpoch, kBeginQuorumEpochVersion, kBeginQuorumEpochVersion, handle_quorum_request},
    {ApiKey::EndQuorumEpoch, kEndQuorumEpochVersion, kEndQuorumEpochVersion, handle_quorum_request},
    {ApiKey::DescribeQuorum, 0, kDescribeQuorumMaxVersion, handle_describe_quorum},
    {ApiKey::FetchSnapshot, kFetchSnapshotVersion, kFetchSnapshotVersion, handle_quorum_request},
    {ApiKey::AlterPartition, kAlterPartitionVersion, kAlterPartitionVersion, handle_alter_partition},
    // Admin requests forwarded by another broker to the active controller (cluster_admin.cpp).
    {ApiKey::CreateTopics, kForwardedCreateTopicsVersion, kForwardedCreateTopicsVersion, handle_forwarded_admin},
    {ApiKey::DeleteTopics, kForwardedDeleteTopicsVersion, kForwardedDeleteTopicsVersion, handle_forwarded_admin},
    {ApiKey::CreatePartitions, kForwardedCreatePartitionsVersion, kForwardedCreatePartitionsVersion,
     handle_forwarded_admin},
    // ... sent as the client sent them (forward_as_is): the versions the client listener takes.
    {ApiKey::AlterConfigs, 0, 1, handle_forwarded_alter_configs},
    {ApiKey::IncrementalAlterConfigs, 0, 1, handle_forwarded_incremental_alter_configs},
    {ApiKey::AlterPartitionReassignments, kReassignmentsVersion, kReassignmentsVersion, handle_forwarded_reassignments},
    {ApiKey::BrokerRegistration, kBrokerRegistrationVersion, kBrokerRegistrationVersion, handle_broker_registration},
    {ApiKey::BrokerHeartbeat, kBrokerHeartbeatVersion, kBrokerHeartbeatVersion, handle_broker_heartbeat},
};

// The ApiVersions answer is derived from the tables at compile time, so it cannot drift from
// what dispatch accepts.
template <size_t N>
constexpr std::array<ApiVersionRange, N> ranges_of(const ApiHandler (&handlers)[N]) {
    std::array<ApiVersionRange, N> ranges{};
    for (size_t i = 0; i < N; ++i) ranges[i] = {handlers[i].key, handlers[i].min_version, handlers[i].max_version};
    return ranges;
}
constexpr auto kVersions = ranges_of(kHandlers);
constexpr auto kControllerVersions = ranges_of(kControllerHandlers);

bool dispatch_with(std::span<const ApiHandler> table, Broker& broker, const RequestHeader& header, KafkaReader& body,
                   Reply& reply);

}  // namespace

std::span<const ApiHandler> api_handlers() { return kHandlers; }
std::span<const ApiVersionRange> supported_api_versions() { return kVersions; }
std::span<const ApiHandler> controller_api_handlers() { return kControllerHandlers; }
std::span<const ApiVersionRange> controller_api_versions() { return kControllerVersions; }

// The two entry points the sessions call, one per listener: a client can never reach a Raft or
// broker-lifecycle API, because those are simply not in its table.
bool dispatch(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    return dispatch_with(kHandlers, broker, header, body, reply);
}
bool dispatch_controller(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    return dispatch_with(kControllerHandlers, broker, header, body, reply);
}

namespace {
bool dispatch_with(std::span<const ApiHandler> table, Broker& broker, const RequestHeader& header, KafkaReader& body,
                   Reply& reply) {
    for (const ApiHandler& api : table) {
        if (api.key != header.api_key) continue;
        bool supported = header.api_version >= api.min_version && header.api_version <= api.max_version;
        // ApiVersions answers even a version it does not know, so that the client learns ours.
        // A version outside our range cannot be decoded safely (fields move between versions),
        // and Kafka's wire has no generic error frame: closing is what a Kafka broker does too.
        // Clients never get here in practice - they pick versions from our ApiVersions answer.
        if (!supported && api.key != ApiKey::ApiVersions) {
            mb::log::warn("{} v{} is not supported (we speak v{}-v{}); closing the connection", api_name(api.key),
                          header.api_version, api.min_version, api.max_version);
            return false;
        }
        // --trace shows one line per request (docs/minikafka/06-looking-inside.md); Produce and
        // Fetch trace their own, more telling lines.
        if (broker.tracing && api.key != ApiKey::Produce && api.key != ApiKey::Fetch)
            broker.trace("{} v{} correlation={} client={}", api_name(api.key), header.api_version,
                         header.correlation_id, header.client_id.value_or("-"));
        return api.handle(broker, header, body, reply);
    }
    mb::log::warn("unknown API key {}; closing the connection", static_cast<int>(header.api_key));
    return false;
}
}  // namespace

}  // namespace minikafka
