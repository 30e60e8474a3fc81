// minikafka/core/reassignment.hpp
//
// CONCEPT: moving a partition's replicas while it is in use (KIP-455) - how a cluster that has
// grown gives its new broker a share of the existing partitions. The controller never copies a
// byte: it changes the replica set in two metadata records, and the brokers' ISR protocol does
// the copying in between.
//
//   replicas [1 2 3], target [2 3 4]
//   1. start:    PartitionChangeRecord replicas [2 3 4 1]  adding [4]  removing [1]
//                -> broker 4 creates the log, follows the leader, fetches from offset 0
//   2. catch up: the leader sees 4's LEO reach the HW -> AlterPartition: ISR [1 2 3 4]
//   3. complete: PartitionChangeRecord replicas [2 3 4] ISR [2 3 4] adding [] removing []
//                (and a new leader from the target if the old one was removed)
//                -> broker 1 is no replica any more: it deletes its log
// The old replicas stay in the ISR until the new ones have joined it, so the partition is never
// less replicated than before, and acks=all producers keep going throughout. A cancellation
// (target null) goes back to the original replicas: the current ones minus those being added.
// These functions decide; Controller (reassignment.cpp) checks, proposes and completes them.
// REAL KAFKA: PartitionReassignmentReplicas, ReplicationControlManager.alterPartitionReassignments.
// READ NEXT: replica_manager.cpp (a broker gaining or losing a replica).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/api_keys.hpp"
#include "protocol/metadata_records.hpp"

namespace minikafka {

struct ReassignmentDecision {
    ErrorCode error = ErrorCode::None;
    std::string message;
    std::optional<PartitionChangeRecord> change;  // nothing to do when absent (and no error)
};

// The change that starts (or cancels, target nullopt) a reassignment of `p`. `registered` says
// whether a broker id is known to the cluster. A target with nothing to add completes at once.
ReassignmentDecision start_reassignment(const PartitionRecord& p, const std::optional<std::vector<int32_t>>& target,
                                        const std::function<bool(int32_t)>& registered,
                                        const std::function<bool(int32_t)>& live);

// The change that completes `p`'s reassignment once every adding replica is in the ISR;
// nullopt while one is still catching up (or when none is in progress).
std::optional<PartitionChangeRecord> complete_reassignment(const PartitionRecord& p,
                                                           const std::function<bool(int32_t)>& live);

}  // namespace minikafka
