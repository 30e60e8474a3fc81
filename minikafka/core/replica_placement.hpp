// minikafka/core/replica_placement.hpp
//
// CONCEPT: where a partition's replicas live. The controller decides it once, when a topic (or
// a partition) is created, and writes the decision into the metadata log (PartitionRecord.replicas);
// every broker then just reads it. Kafka's rule without racks, "round robin with a shift":
//
//   brokers [1 2 3], 3 partitions, RF 2, start index 0, shift 0
//     partition 0: first replica brokers[0] = 1, then the next one after it  -> [1 2]
//     partition 1: first replica brokers[1] = 2                             -> [2 3]
//     partition 2: first replica brokers[2] = 3                             -> [3 1]
//
// The first replica is the *preferred leader*: walking the first replica round the brokers
// spreads leadership (and so the produce load) evenly. The shift between the first and the
// following replicas grows by one after each full round, so that with many partitions the
// followers of broker 1's partitions are not always broker 2 (when broker 1 dies, its load is
// spread over all the others, not dumped on one). The start index varies per topic, so that
// many one-partition topics do not all lead on the same broker.
// REAL KAFKA: AdminUtils.assignReplicasToBrokersRackUnaware (StripedReplicaPlacer in KRaft).
// READ NEXT: topic_control.cpp - the controller that uses it.
#pragma once

#include <cstdint>
#include <vector>

namespace minikafka {

// Replicas for partitions [first_partition, first_partition + partitions) of a topic, over
// `brokers` (sorted ids of the unfenced brokers). Needs 1 <= replication_factor <= brokers.size().
// `start_index` and `shift` choose the rotation (any values; they are taken modulo the count).
std::vector<std::vector<int32_t>> place_replicas(const std::vector<int32_t>& brokers, int32_t partitions,
                                                 int32_t replication_factor, int32_t first_partition,
                                                 uint32_t start_index, uint32_t shift);

}  // namespace minikafka
