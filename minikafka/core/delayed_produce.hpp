// minikafka/core/delayed_produce.hpp
//
// CONCEPT: the delayed-produce purgatory. An acks=all produce is appended to the leader's log at
// once, but answered only when every in-sync replica has it - when the high watermark passes its
// last offset. Until then its answer waits here, keyed by the offset it needs:
//
//   produce acks=all, records at [100, 105) ──▶ wait(105, done)
//   follower 2 fetches from 105, follower 3 from 103: HW 103 ─▶ complete_up_to(103): nobody
//   follower 3 fetches from 105: HW 105 ─────────────────────▶ complete_up_to(105): done(true)
//   (or the request's timeout first: the handler answers REQUEST_TIMED_OUT and the entry is
//    dropped when it comes up; or leadership moves away: fail_all, NOT_LEADER_OR_FOLLOWER)
//
// Waiters are kept in offset order, so one HW move completes a prefix of them (produces to one
// partition are appended in order, so they are nearly always added in order too).
// REAL KAFKA: DelayedProduce in the produce purgatory, checked on every HW increment.
// READ NEXT: handlers/produce.cpp (who waits), partition_state.hpp (who moves the HW).
#pragma once

#include <cstdint>
#include <functional>
#include <map>

namespace minikafka {

class DelayedProduce {
public:
    // `done(true)` once the HW reaches `offset`; `done(false)` if this broker stops leading.
    void wait(int64_t offset, std::function<void(bool)> done) { waiters_.emplace(offset, std::move(done)); }
    void complete_up_to(int64_t high_watermark) {
        while (!waiters_.empty() && waiters_.begin()->first <= high_watermark) {
            auto done = std::move(waiters_.begin()->second);
            waiters_.erase(waiters_.begin());
            done(true);
        }
    }
    void fail_all() {
        auto waiters = std::move(waiters_);
        waiters_.clear();
        for (auto& [offset, done] : waiters) done(false);
    }
    size_t size() const { return waiters_.size(); }

private:
    std::multimap<int64_t, std::function<void(bool)>> waiters_;
};

}  // namespace minikafka
