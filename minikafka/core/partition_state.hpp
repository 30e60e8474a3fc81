// minikafka/core/partition_state.hpp
//
// CONCEPT: one partition as a replica sees it - Kafka's ISR protocol in one struct.
//
//   leader's log     [0 .......................... 120)   log end offset (LEO) 120
//   follower 2 LEO   [0 ...................... 100)       its last Fetch asked from 100
//   follower 3 LEO   [0 ................. 90)             ditto, from 90
//                                         ▲
//                     high watermark = min LEO over the ISR {1,2,3} = 90
//
// A follower's Fetch offset is its promise: "I have everything below this". So the leader
// learns each follower's LEO from the fetches themselves - no acknowledgement message exists.
// The high watermark (HW) is the offset below which every in-sync replica has the records:
// consumers read only below it (a record above it could still vanish in a leader change), and an
// acks=all produce is answered when the HW passes its last offset. The HW only moves forward.
// A follower learns the HW from the leader's Fetch responses (min of that and its own LEO).
// The replicas, ISR, leader and leader epoch come from the metadata image (the controller's
// decisions); the LEOs, HW and waiting produces are this broker's own, in memory.
// REAL KAFKA: kafka.cluster.Partition (maybeIncrementLeaderHW, updateFollowerFetchState).
// READ NEXT: replica_manager.hpp (the partitions of a broker), delayed_produce.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "delayed_produce.hpp"
#include "protocol/quorum.hpp"  // Uuid

namespace minikafka {

struct PartitionState {
    std::string topic;
    int32_t index = 0;
    Uuid topic_id{};
    // From the metadata image.
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
    int32_t leader = -1;
    int32_t leader_epoch = -1;
    int32_t partition_epoch = -1;
    int32_t min_insync_replicas = -1;  // the topic's min.insync.replicas; -1: the broker default

    // This broker's view.
    int64_t high_watermark = 0;
    struct Follower {
        int64_t log_end_offset = -1;  // -1: has not fetched since we became leader
        int64_t last_caught_up_ms = 0;
        int64_t last_fetch_ms = 0;
        int64_t leader_leo_at_last_fetch = INT64_MAX;  // our LEO when its previous fetch came
    };
    std::map<int32_t, Follower> followers;  // the leader's: every other replica
    // The leader's: its log end when it became leader. A new leader's HW is the one it learnt as a
    // follower - a fetch behind the old leader's, which may have acknowledged records above it.
    // So a follower rejoins the ISR only once it holds this much too (Kafka's
    // isFollowerAtHighwatermark), else it could enter the ISR without an acknowledged record and
    // be elected without it.
    int64_t leader_epoch_start_offset = 0;
    DelayedProduce waiting_produces;  // the leader's: acks=all produces, by last offset
    // The leader's last AlterPartition for this partition: the partition epoch it was based on
    // and when it was sent (resent if the image has not moved on after a while).
    int32_t alter_sent_epoch = -1;
    int64_t alter_sent_ms = 0;
    // The follower's: it has a new leader and has not fetched from it yet (core/replica_fetcher.cpp:
    // a log without epochs cuts to its HW first; one with epochs lets the Fetch compare them).
    bool truncation_pending = false;
    // Follower: the offset our last Fetch asked from (our log end then). Only an answer to a fetch
    // from our current log end may leave a hole before its first batch (core/replica_fetcher.cpp).
    int64_t fetched_from = -1;

    bool in_isr(int32_t broker) const;
    // Leader: HW = min over the ISR of each member's LEO (ours is `own_leo`). An ISR member that
    // has not fetched yet holds it still. Returns true when it moved (it never moves back).
    bool advance_high_watermark(int32_t self, int64_t own_leo);
    // Leader: a follower fetched from `fetch_offset` - it has every offset below. Caught up means
    // it asked for our log end - or, under steady load where it is always a batch behind, for at
    // least what our log end was at its previous fetch (then it was caught up as of that fetch):
    // Kafka's lastCaughtUpTime, which replica.lag.time.max.ms is measured against.
    void record_follower_fetch(int32_t follower, int64_t fetch_offset, int64_t own_leo, int64_t now_ms);
    // Leader: the ISR it should have now (in replica order): members not caught up for `lag_ms`
    // leave, followers whose LEO reached the HW come back. Equal to `isr` when nothing changes.
    std::vector<int32_t> wanted_isr(int32_t self, int64_t now_ms, int64_t lag_ms) const;
    // Follower: the HW from the leader's answer, capped by what we hold.
    bool follow_high_watermark(int64_t leader_hw, int64_t own_leo);
};

}  // namespace minikafka
