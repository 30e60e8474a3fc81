// minikafka/core/replica_fetcher.hpp
//
// CONCEPT: a follower replicates by *fetching* - the same Fetch (API 1) a consumer sends, with
// its own node id as replica_id. One fetcher per leader broker batches every partition this
// broker follows on that leader into one request, long-polling (max_wait) when there is nothing
// new:
//
//   node 2 (follower)                                         node 1 (leader)
//   Fetch replica_id=2 [orders-0 @120, orders-2 @75] ───────▶ "2 has everything below 120 / 75":
//                                                             follower LEOs, HW = min over ISR
//                      ◀─────── batches from 120 and 75, HW ─┘
//   append the batches as they are (the leader's offsets and
//   partition_leader_epoch stay), learn HW = min(leader's, ours)
//   Fetch replica_id=2 [orders-0 @130, ...] ───────────────▶  ...and so on, forever
//
// The fetch offset is the follower's promise ("I hold everything below this"), so the next Fetch
// is only built after the previous answer's batches were appended.
//
// Before the first Fetch from a new leader, the follower asks it OffsetsForLeaderEpoch (API 23)
// for the partitions whose leader changed: "where does my latest epoch end in your log?" - and
// cuts its own log there (ReplicaManager::truncate_to_leader), so it keeps every record the two
// logs share and drops only a tail the new leader never had:
//
//   OffsetsForLeaderEpoch [orders-0: my latest epoch 3] ───▶  "epoch 3 ends at 120 here"
//   cut our log to min(120, where our epoch 3 ends) ◀──────┘
//   Fetch [orders-0 @120] ... as above This class is socket-free:
// the wiring (replica_fetcher_link.cpp) connects, sends build_request()'s bytes, and hands the
// answer to handle_response().
// REAL KAFKA: ReplicaFetcherThread / AbstractFetcherThread (one per leader broker and fetcher id).
// READ NEXT: replica_manager.hpp (follower_learned_hw), partition_state.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "quorum_wire.hpp"  // WireRequest
#include "replica_manager.hpp"

namespace minikafka {

class ReplicaFetcher {
public:
    ReplicaFetcher(int32_t node_id, int32_t leader, ReplicaManager& replicas, LogManager& logs)
        : node_id_(node_id), leader_(leader), replicas_(replicas), logs_(logs) {}

    int32_t leader() const { return leader_; }
    // The next request: an OffsetsForLeaderEpoch (kReplicaOffsetsForLeaderEpochVersion) while a
    // partition waits to truncate, else a Fetch (kReplicaFetchVersion); an empty body when this
    // broker follows nothing on this leader any more.
    WireRequest build_request(int32_t max_wait_ms);
    // The leader's answer to the request of that `api`: truncate, or append and learn the HW.
    // False when it does not decode.
    bool handle_response(ApiKey api, std::string_view body, int64_t now_ms);
    // The last answer had a partition error (the leader has not applied the topic yet, or no longer
    // leads): an error answer comes back at once, so the next fetch waits a little.
    bool should_back_off() const { return had_error_; }

    // Set by the wiring: after appends to a log (the broker's flush policy, rolled segments).
    std::function<void(const std::shared_ptr<PartitionLog>&)> appended;
    std::function<void(std::string_view)> trace;

private:
    std::string build_fetch(int32_t max_wait_ms, const std::vector<PartitionState*>& partitions);
    // Empty when no partition waits to truncate (those without epochs are cut at once).
    std::string build_epoch_request(const std::vector<PartitionState*>& partitions);
    bool handle_fetch_response(std::string_view body, int64_t now_ms);
    bool handle_epoch_response(std::string_view body);

    int32_t node_id_;
    int32_t leader_;
    ReplicaManager& replicas_;
    LogManager& logs_;
    int64_t fetches_ = 0;  // for sampling the trace
    bool had_error_ = false;
    std::map<std::pair<std::string, int32_t>, ErrorCode> told_errors_;  // trace each error once
};

}  // namespace minikafka
