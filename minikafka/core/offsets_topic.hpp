// minikafka/core/offsets_topic.hpp
//
// CONCEPT: consumer groups that survive a broker's death. In a cluster, committed offsets live
// in the replicated internal topic __consumer_offsets, and a group's coordinator is simply the
// leader of the partition its id hashes to - so every mechanism that keeps a partition alive
// (ISR, acks=all, leader election, truncation) keeps the groups alive too:
//
//   group "billing" ──hash──▶ __consumer_offsets-3 ──leader──▶ broker 2 = billing's coordinator
//
//   FindCoordinator("billing")   any broker answers "broker 2" (from its metadata image)
//   OffsetCommit  ──▶ broker 2: one batch of offset-commit records (model/offset_commit_record.hpp)
//                     appended to partition 3 as leader, answered when the HW covers it (acks=all)
//   kill -9 broker 2 ──▶ the controller makes broker 3 leader of partition 3
//                     broker 3: COORDINATOR_LOAD_IN_PROGRESS until its HW reaches the log end it
//                     had when it became leader, then it reads the partition from the start:
//                     every group hashing there gets its committed offsets back, and its
//                     members, generation and assignments (model/group_metadata_record.hpp)
//   clients: NOT_COORDINATOR from broker 2's successor-less connection ─▶ FindCoordinator ─▶ 3
//
// The partition is Kafka's: abs(groupId.hashCode()) % partitions with Java's String.hashCode, so
// a group lands on the same partition number as in a real Kafka with the same partition count.
// The topic is created through the controller by the first FindCoordinator that needs it
// (offsets.topic.num.partitions, offsets.topic.replication.factor capped to the live brokers).
// A broker that stops leading a partition drops its groups (members, offsets): the new leader
// is the coordinator now, and has loaded them - the members go on heartbeating there in the same
// generation, without a rebalance.
// Single-node mode does not use this at all: one broker coordinates every group and keeps the
// offsets in storage/offset_store.hpp's file (broker.offsets_topic is null).
// REAL KAFKA: GroupMetadataManager (storeOffsets, loadGroupsAndOffsets, removeGroupsForPartition)
// and GroupCoordinator.partitionFor.
// READ NEXT: model/offset_commit_record.hpp (the records), handlers/offsets.cpp (OffsetCommit).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/group_metadata_record.hpp"
#include "model/offset_commit_record.hpp"
#include "protocol/api_keys.hpp"

namespace minikafka {

class Broker;
class Controller;
class ReplicaManager;

inline constexpr std::string_view kOffsetsTopic = "__consumer_offsets";

struct OffsetsTopicConfig {
    int32_t partitions = 5;            // offsets.topic.num.partitions (Kafka: 50)
    int16_t replication_factor = 3;    // offsets.topic.replication.factor
    int64_t commit_timeout_ms = 5000;  // offsets.commit.timeout.ms: how long a commit waits for the HW
};

// Java's String.hashCode over the UTF-16 code units of `utf8` (s[0]*31^(n-1) + ... + s[n-1],
// wrapping at 32 bits), and Kafka's partition choice from it.
int32_t java_string_hash(std::string_view utf8);
int32_t offsets_partition_for(std::string_view group_id, int32_t partitions);

class OffsetsTopic {
public:
    OffsetsTopic(OffsetsTopicConfig config, Broker& broker, Controller& controller, ReplicaManager& replicas);
    ~OffsetsTopic();  // unhooks GroupCoordinator::store_group: the broker outlives the cluster node
    OffsetsTopic(const OffsetsTopic&) = delete;
    OffsetsTopic& operator=(const OffsetsTopic&) = delete;

    struct Coordinator {
        ErrorCode error = ErrorCode::None;
        int32_t node_id = -1;
        std::string host;
        int32_t port = -1;
    };
    // FindCoordinator: the leader of the group's partition, from the metadata image. Without the
    // topic (or a live leader) COORDINATOR_NOT_AVAILABLE, and the topic is asked for.
    Coordinator find_coordinator(std::string_view group_id, int64_t now_ms);
    // May this broker answer a group request for `group_id`? NOT_COORDINATOR (another broker leads
    // its partition), COORDINATOR_LOAD_IN_PROGRESS (we lead it but have not read it yet), or None.
    ErrorCode check(std::string_view group_id) const;
    // Appends `records` (all of one group) as one batch to the group's partition and calls `done`
    // once the high watermark covers them (and the fsync, if the flush policy asks for it):
    // None, or why not (NOT_COORDINATOR when leadership moved meanwhile, REQUEST_TIMED_OUT, ...).
    // The caller applies the records to the GroupCoordinator only on None.
    void append(std::string_view group_id, const std::vector<OffsetCommitRecord>& records,
                std::function<void(ErrorCode)> done);
    // Every 10 ms, after the metadata image was applied: partitions whose leadership came to us
    // start loading; loaded ones whose leadership left are dropped.
    void tick(int64_t now_ms);

    int32_t partition_count() const;

private:
    enum class Load { none, loading, loaded };
    struct Slot {
        Load state = Load::none;
        int32_t leader_epoch = -1;
        int64_t load_end = 0;  // the log end when we became leader: loaded once the HW is there
    };
    void append_batch(std::string_view group_id, std::string batch, std::string_view what,
                      std::function<void(ErrorCode)> done);
    void load(int32_t partition);
    void unload(int32_t partition);
    void ask_for_topic(int64_t now_ms);

    OffsetsTopicConfig config_;
    Broker& broker_;
    Controller& controller_;
    ReplicaManager& replicas_;
    std::vector<Slot> slots_;
    int64_t last_create_ms_ = -1;
};

}  // namespace minikafka
