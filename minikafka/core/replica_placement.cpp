// minikafka/core/replica_placement.cpp - Kafka's rack-unaware replica assignment.
//
// CONCEPT: where a partition's replicas live (replica_placement.hpp). Spreading leaders and
// followers evenly is what lets a cluster's load - and a dead broker's partitions - be shared by
// all brokers instead of one. The arithmetic is Kafka's, so the same cluster gets the same layout.
//
//   brokers [b0 b1 b2], RF 2, start 0, shift 0:  p0 ─▶ [b0 b1]  p1 ─▶ [b1 b2]  p2 ─▶ [b2 b0]
//   p3 starts a new round with the shift one higher: [b0 b2] - so followers spread too
//
// READ NEXT: topic_control.cpp (the controller that calls it).
#include "replica_placement.hpp"

namespace minikafka {

std::vector<std::vector<int32_t>> place_replicas(const std::vector<int32_t>& brokers, int32_t partitions,
                                                 int32_t replication_factor, int32_t first_partition,
                                                 uint32_t start_index, uint32_t shift) {
    std::vector<std::vector<int32_t>> out;
    const auto n = static_cast<uint32_t>(brokers.size());
    if (n == 0 || replication_factor < 1 || static_cast<uint32_t>(replication_factor) > n) return out;
    start_index %= n;
    // As Kafka: the shift starts where it would have been after `first_partition` partitions, so
    // that adding partitions later continues the same pattern.
    uint32_t next_shift = shift % n + static_cast<uint32_t>(first_partition) / n;
    for (int32_t i = 0; i < partitions; ++i) {
        const auto partition = static_cast<uint32_t>(first_partition + i);
        if (partition > 0 && partition % n == 0) ++next_shift;  // a full round done: spread differently
        const uint32_t first = (partition + start_index) % n;
        std::vector<int32_t>& replicas = out.emplace_back();
        replicas.push_back(brokers[first]);
        // The j-th follower sits 1 + (shift + j) mod (n - 1) places after the first replica:
        // never on the first replica itself, never twice on one broker.
        for (int32_t j = 0; j < replication_factor - 1; ++j)
            replicas.push_back(brokers[(first + 1 + (next_shift + static_cast<uint32_t>(j)) % (n - 1)) % n]);
    }
    return out;
}

}  // namespace minikafka
