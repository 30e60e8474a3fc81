// minikafka/core/partition_state.cpp - the high watermark's arithmetic (see partition_state.hpp).
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

void PartitionState::record_follower_fetch(int32_t follower, int64_t fetch_offset, int64_t own_leo, int64_t now_ms) {
    Follower& f = followers[follower];
    f.log_end_offset = std::min(fetch_offset, own_leo);  // never more than we have
    f.last_fetch_ms = now_ms;
    if (fetch_offset >= own_leo) f.last_caught_up_ms = now_ms;
}

bool PartitionState::follow_high_watermark(int64_t leader_hw, int64_t own_leo) {
    const int64_t hw = std::min(leader_hw, own_leo);
    if (hw <= high_watermark) return false;
    high_watermark = hw;
    return true;
}

}  // namespace minikafka
