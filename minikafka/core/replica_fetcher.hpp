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
// Each partition's Fetch also names the epoch of the follower's last record (last_fetched_epoch,
// Fetch v12). A follower whose leader changed may hold a tail the new leader never had; the leader
// sees that its own epoch ends earlier (or that it never had the epoch) and answers with the
// diverging epoch instead of records - the follower cuts its log there
// (ReplicaManager::truncate_to_leader) and fetches again, keeping every record the logs share:
//
//   Fetch [orders-0 @125, last_fetched_epoch 3] ──────────▶  "my epoch 3 ends at 120": diverging
//   cut our log to min(120, where our epoch 3 ends)  ◀─────┘  {3, 120}, no records
//   Fetch [orders-0 @120, last_fetched_epoch 3] ... as above
//
// This class is socket-free: the wiring (replica_fetcher_link.cpp) connects, sends
// build_request()'s bytes, and hands the answer to handle_response().
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

// Kafka's replica.fetch.* settings: how long a follower's Fetch may wait at the leader, and how
// much one answer may bring back (docs/minikafka/05, "What keeps the follower path cheap").
struct ReplicaFetchConfig {
    int32_t max_wait_ms = 500;              // replica.fetch.wait.max.ms
    int32_t min_bytes = 1;                  // replica.fetch.min.bytes
    int32_t partition_max_bytes = 1 << 20;  // replica.fetch.max.bytes
    int32_t response_max_bytes = 10 << 20;  // replica.fetch.response.max.bytes
};

class ReplicaFetcher {
public:
    ReplicaFetcher(int32_t node_id, int32_t leader, ReplicaManager& replicas, LogManager& logs,
                   ReplicaFetchConfig config = {})
        : node_id_(node_id), leader_(leader), replicas_(replicas), logs_(logs), config_(config) {}

    int32_t leader() const { return leader_; }
    // The next request: a Fetch (kReplicaFetchVersion); an empty body when this broker follows
    // nothing on this leader any more.
    WireRequest build_request(int32_t max_wait_ms);
    // The leader's answer (to the request of that `api`, a Fetch): append and learn the HW, or
    // truncate where a partition diverged. `body`: what follows the correlation id. False when it
    // does not decode.
    bool handle_response(ApiKey api, std::string_view body, int64_t now_ms);
    // The last answer had a partition error (the leader has not applied the topic yet, or no longer
    // leads): an error answer comes back at once, so the next fetch waits a little.
    bool should_back_off() const { return had_error_; }

    // Set by the wiring: after appends to a log (the broker's flush policy, rolled segments).
    std::function<void(const std::shared_ptr<PartitionLog>&)> appended;
    std::function<void(std::string_view)> trace;

private:
    std::string build_fetch(int32_t max_wait_ms, const std::vector<PartitionState*>& partitions);
    bool handle_fetch_response(std::string_view body, int64_t now_ms);
    void truncate_on_diverging_epoch(PartitionState& p, PartitionLog& log, EpochEnd diverging);

    int32_t node_id_;
    int32_t leader_;
    ReplicaManager& replicas_;
    LogManager& logs_;
    ReplicaFetchConfig config_;
    int64_t fetches_ = 0;  // for sampling the trace
    bool had_error_ = false;
    std::map<std::pair<std::string, int32_t>, ErrorCode> told_errors_;  // trace each error once
};

}  // namespace minikafka
