// minikafka/protocol/api_keys.hpp
//
// CONCEPT: every Kafka request names its API with a number (the ApiKey) and a version; the
// broker tells clients which (key, min..max) pairs it speaks in its ApiVersions answer.
// The numbers and the error codes are the protocol's own ("Kafka protocol guide"), so a
// packet capture or a client log can be read against this file.
// READ NEXT: api_keys.cpp (names, flexible versions), handlers/handler_table.cpp (the versions we speak).
#pragma once

#include <cstdint>
#include <string_view>

namespace minikafka {

// Only the keys minikafka answers. The gaps are telling: 4-7 (LeaderAndIsr, StopReplica,
// UpdateMetadata, ControlledShutdown) were how a ZooKeeper-era controller pushed state to brokers,
// which KRaft replaces by every broker reading the metadata log; 17 and 36 are SASL, 21 is
// DeleteRecords, 24-28 transactions, 29-31 ACLs - features we leave out, so a client asking
// for them finds them missing from ApiVersions and does not try.
enum class ApiKey : int16_t {
    Produce = 0,
    Fetch = 1,
    ListOffsets = 2,
    Metadata = 3,
    OffsetCommit = 8,
    OffsetFetch = 9,
    FindCoordinator = 10,
    JoinGroup = 11,
    Heartbeat = 12,
    LeaveGroup = 13,
    SyncGroup = 14,
    DescribeGroups = 15,
    ListGroups = 16,
    ApiVersions = 18,
    CreateTopics = 19,
    DeleteTopics = 20,
    InitProducerId = 22,
    OffsetForLeaderEpoch = 23,  // KIP-101: where did a leader epoch end? (followers, consumers)
    DescribeConfigs = 32,
    AlterConfigs = 33,
    CreatePartitions = 37,
    DeleteGroups = 42,
    IncrementalAlterConfigs = 44,      // KIP-339: SET / DELETE / APPEND / SUBTRACT single configs
    AlterPartitionReassignments = 45,  // KIP-455: move replicas between brokers
    ListPartitionReassignments = 46,
    // The KRaft controller quorum's own APIs (KIP-595), spoken on the CONTROLLER listener.
    Vote = 52,
    BeginQuorumEpoch = 53,
    EndQuorumEpoch = 54,
    DescribeQuorum = 55,
    AlterPartition = 56,  // a partition leader asks the controller for a new ISR
    FetchSnapshot = 59,
    BrokerRegistration = 62,  // KIP-631: a broker joins the cluster through the controller
    BrokerHeartbeat = 63,
};

// The error codes a client acts on (retry, refresh metadata, rejoin the group, reset offsets).
// The code, not a message, is the contract: each client has a table saying which codes are
// retriable (LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS,
// NOT_CONTROLLER, COORDINATOR_*, the two leader-epoch codes ...) and which end the request, so
// choosing the right code is choosing what the client does next. The numbers are fixed forever;
// the order below follows the ideas, not the numbers.
enum class ErrorCode : int16_t {
    None = 0,
    OffsetOutOfRange = 1,  // fetch/commit outside [log start, log end]: client resets
    CorruptMessage = 2,    // record batch CRC or length check failed
    UnknownTopicOrPartition = 3,
    InvalidFetchSize = 4,
    LeaderNotAvailable = 5,   // a partition without a leader right now (an election, a new topic)
    NotLeaderOrFollower = 6,  // this broker does not lead the partition: refresh metadata
    RequestTimedOut = 7,      // e.g. acks=all waited longer than the request's timeout
    // acks=all while the ISR is smaller than min.insync.replicas: refused *before* the append, so
    // a retry cannot duplicate the batch (NOT_ENOUGH_REPLICAS_AFTER_APPEND, 20, is the other case).
    NotEnoughReplicas = 19,
    NotController = 41,  // an admin request reached a node that is not the active controller
    // A request carried a leader epoch other than the partition's current one: older (the
    // caller's metadata is stale: refresh it) or newer (this broker has not caught up: retry).
    FencedLeaderEpoch = 74,
    UnknownLeaderEpoch = 75,
    InvalidUpdateVersion = 96,  // AlterPartition against an old partition epoch
    IneligibleReplica = 107,    // AlterPartition adds a fenced broker to the ISR
    OffsetMetadataTooLarge = 12,
    MessageTooLarge = 10,
    CoordinatorLoadInProgress = 14,  // the new coordinator is still reading __consumer_offsets
    // No coordinator right now (__consumer_offsets not created yet, or its partition has no
    // leader): retry. NOT_COORDINATOR: the group lives elsewhere now - ask FindCoordinator again.
    CoordinatorNotAvailable = 15,
    NotCoordinator = 16,
    InvalidTopicException = 17,
    RecordListTooLarge = 18,
    InvalidRequiredAcks = 21,
    IllegalGeneration = 22,          // a member of an older generation: rejoin
    InconsistentGroupProtocol = 23,  // no protocol (assignor) every member supports
    InvalidGroupId = 24,
    UnknownMemberId = 25,  // the coordinator forgot the member (session expired)
    // A session timeout outside group.min/max.session.timeout.ms: the broker bounds how long a
    // dead member may hold partitions, and how often a live one must prove itself.
    InvalidSessionTimeout = 26,
    RebalanceInProgress = 27,  // heartbeat/sync during a rebalance: rejoin
    InvalidCommitOffsetSize = 28,
    TopicAuthorizationFailed = 29,
    TransactionalIdAuthorizationFailed = 53,
    UnsupportedVersion = 35,
    TopicAlreadyExists = 36,
    InvalidPartitions = 37,
    InvalidReplicationFactor = 38,
    InvalidReplicaAssignment = 39,
    InvalidConfig = 40,
    InvalidRequest = 42,
    UnsupportedForMessageFormat = 43,
    KafkaStorageError = 56,  // the broker's disk refused (e.g. no file descriptor left)
    OutOfOrderSequenceNumber = 45,
    DuplicateSequenceNumber = 46,
    InvalidProducerEpoch = 47,
    UnsupportedCompressionType = 76,
    MemberIdRequired = 79,  // JoinGroup v4+: "here is your member id, join again with it"
    GroupIdNotFound = 69,
    NonEmptyGroup = 68,
    InvalidRecord = 87,
    NoReassignmentInProgress = 85,  // a cancellation for a partition that is not being reassigned
    // group.max.size (KIP-389): one runaway application cannot grow a group - and every
    // rebalance, which must hear from all members - without bound.
    GroupMaxSizeReached = 81,
};

std::string_view api_name(ApiKey key);  // "Produce", ... for logs and --trace

// The first "flexible" version of an API (KIP-482: compact strings and tagged fields, and the
// request header v2 / response header v1 that carry tagged fields too). A protocol fact, not a
// choice of ours: it tells the codec how to read the header of any version a client may send.
int16_t first_flexible_version(ApiKey key);

}  // namespace minikafka
