// minikafka/core/partition_state.cpp - the high watermark's arithmetic (see partition_state.hpp).
//
// CONCEPT: "committed" in a replicated partition. A record is committed once every in-sync
// replica holds it: the high watermark (HW) is the smallest log end offset in the ISR, consumers
// read only below it, and an acks=all produce is answered when the HW passes it. That is the
// notes' "Durability: data is persisted and replicated" made exact.
//
//   leader LEO 120, follower A LEO 118, follower B LEO 120, ISR {leader, A, B}  ─▶  HW 118
//   A stops fetching for replica.lag.time.max.ms ─▶ wanted_isr drops A ─▶ HW can move to 120
//
// READ NEXT: replica_manager.cpp (who calls these), delayed_produce.hpp (acks=all waiting on the
//            HW), docs/minikafka/05-replication-and-the-controller.md "The high watermark".
#include "partition_state.hpp"

#include <algorithm>

namespace minikafka {

bool PartitionState::in_isr(int32_t broker) const { return std::find(isr.begin(), isr.end(), broker) != isr.end(); }

bool PartitionState::advance_high_watermark(int32_t self, int64_t own_leo) {
    int64_t hw = own_leo;
    for (int32_t member : isr) {
        if (member == self) continue;
        auto follower = followers.find(member);
        // An ISR member we have not heard from since we became leader may hold less than we do:
        // the HW waits for its first fetch (Kafka: the leader's HW is not moved on guesses).
        if (follower == followers.end() || follower->second.log_end_offset < 0) return false;
        hw = std::min(hw, follower->second.log_end_offset);
    }
    if (hw <= high_watermark) return false;
    high_watermark = hw;
    return true;
}

// A Fetch at offset O says "I hold everything below O": that is the follower's LEO. "Caught up"
// has two ways in, as in Kafka's lastCaughtUpTime: the fetch reached our log end now, or it reached
// the log end we had at its previous fetch - then it was caught up as of that previous fetch.
// Without the second, a follower that keeps pace under steady writes (always one fetch behind)
// would look lagging forever and fall out of the ISR.
void PartitionState::record_follower_fetch(int32_t follower, int64_t fetch_offset, int64_t own_leo, int64_t now_ms) {
    Follower& f = followers[follower];
    f.log_end_offset = std::min(fetch_offset, own_leo);  // never more than we have
    if (fetch_offset >= own_leo) {
        f.last_caught_up_ms = now_ms;
    } else if (fetch_offset >= f.leader_leo_at_last_fetch) {
        f.last_caught_up_ms = std::max(f.last_caught_up_ms, f.last_fetch_ms);
    }
    f.leader_leo_at_last_fetch = own_leo;
    f.last_fetch_ms = now_ms;
}

// A follower learns the HW from the leader's fetch answers; it may be ahead of what the follower
// holds yet, so it is capped at its own log end. The HW never goes back here: only a truncation
// (a new leader's epoch) moves it down, elsewhere.
bool PartitionState::follow_high_watermark(int64_t leader_hw, int64_t own_leo) {
    const int64_t hw = std::min(leader_hw, own_leo);
    if (hw <= high_watermark) return false;
    high_watermark = hw;
    return true;
}

// Kafka's rule (KIP-537 era): a follower is out of sync when it has not been caught up - fetched
// up to the leader's log end - for replica.lag.time.max.ms; it is back in sync once its LEO has
// reached the HW (then it holds every committed record, and the HW it will hold back is no lower
// than now) and the start of the leader's epoch (a new leader's HW lags what the old one
// acknowledged: leader_epoch_start_offset). The leader itself is always in.
std::vector<int32_t> PartitionState::wanted_isr(int32_t self, int64_t now_ms, int64_t lag_ms) const {
    std::vector<int32_t> out;
    for (int32_t r : replicas) {
        if (r == self) {
            out.push_back(r);
            continue;
        }
        auto f = followers.find(r);
        const bool known = f != followers.end();
        if (in_isr(r)) {
            if (!known || now_ms - f->second.last_caught_up_ms <= lag_ms) out.push_back(r);
        } else if (known && f->second.log_end_offset >= 0 &&
                   f->second.log_end_offset >= std::max(high_watermark, leader_epoch_start_offset) &&
                   now_ms - f->second.last_fetch_ms <= lag_ms) {  // a dead follower's last LEO does not count
            out.push_back(r);
        }
    }
    return out;
}

}  // namespace minikafka
