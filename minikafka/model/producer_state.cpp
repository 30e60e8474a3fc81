// minikafka/model/producer_state.cpp
//
// CONCEPT: the idempotent producer (producer_state.hpp tells the whole idea): a retried batch is
// recognised by (producer id, epoch, base sequence) and answered with its first offset instead
// of being appended twice - the notes' "Durability" without duplicates. This file holds the
// sequence-number checks, and how long producers are remembered.
//
//   batch (pid, epoch, seq) ─▶ check: older epoch? fenced  ─  same first seq as a recent batch? duplicate
//                                     next seq after the newest? ok  ─  anything else: out of order
//
// READ NEXT: storage/partition_log.cpp (rebuild_producer_state), handlers/produce.cpp.
#include "producer_state.hpp"

#include <algorithm>
#include <vector>

namespace minikafka {

SequenceCheck ProducerStateTable::check(const RecordBatchHeader& batch, int64_t& duplicate_offset) const {
    if (batch.producer_id < 0) return SequenceCheck::ok;  // not an idempotent producer
    auto it = producers_.find(batch.producer_id);
    if (it == producers_.end() || it->second.count == 0) return SequenceCheck::ok;
    const Producer& producer = it->second;
    if (batch.producer_epoch < producer.epoch) return SequenceCheck::fenced;
    if (batch.producer_epoch > producer.epoch) return SequenceCheck::ok;  // a new epoch starts over
    // Only the last kMaxInFlight batches are kept per producer: a client has at most that many
    // requests in flight (max.in.flight.requests.per.connection <= 5 with idempotence), so an
    // older batch cannot be retried any more.
    for (size_t i = 0; i < producer.count; ++i)
        if (producer.recent[i].first_sequence == batch.base_sequence) {
            duplicate_offset = producer.recent[i].base_offset;
            return SequenceCheck::duplicate;
        }
    // Sequence numbers wrap around after INT32_MAX.
    int32_t last = producer.newest().last_sequence;
    int32_t expected = last == INT32_MAX ? 0 : last + 1;
    return batch.base_sequence == expected ? SequenceCheck::ok : SequenceCheck::out_of_order;
}

// Called once the batch is in the log (produce, a follower's append, a rebuild at start), with the
// offset it got there: a batch refused by the log must not count as seen, or its retry would be
// answered as a duplicate of something never written. A new producer epoch (the producer called
// InitProducerId again) starts its window afresh.
void ProducerStateTable::record(const RecordBatchHeader& batch, int64_t base_offset, int64_t now_ms) {
    if (batch.producer_id < 0) return;
    if (producers_.size() >= kMaxProducers && !producers_.contains(batch.producer_id)) evict_least_recent();
    Producer& producer = producers_[batch.producer_id];
    if (batch.producer_epoch != producer.epoch) {
        producer.epoch = batch.producer_epoch;
        producer.count = producer.next = 0;
    }
    int64_t last = static_cast<int64_t>(batch.base_sequence) + batch.last_offset_delta;
    producer.recent[producer.next] = {batch.base_sequence, static_cast<int32_t>(last % (int64_t{INT32_MAX} + 1)),
                                      base_offset};
    producer.next = static_cast<uint8_t>((producer.next + 1) % kMaxInFlight);
    if (producer.count < kMaxInFlight) ++producer.count;
    producer.last_append_ms = now_ms;
}

bool ProducerStateTable::is_recent_batch(int64_t producer_id, int64_t base_offset) const {
    auto it = producers_.find(producer_id);
    if (it == producers_.end()) return false;
    for (uint8_t i = 0; i < it->second.count; ++i)
        if (it->second.recent[i].base_offset == base_offset) return true;
    return false;
}

size_t ProducerStateTable::expire(int64_t now_ms, int64_t expiration_ms) {
    return std::erase_if(producers_,
                         [&](const auto& entry) { return now_ms - entry.second.last_append_ms > expiration_ms; });
}

// The table is full: forget the least recently active tenth in one go. One pass to find the
// cut-off time and one to erase, so a stream of new producer ids costs O(1) each on average
// rather than a scan per insert.
void ProducerStateTable::evict_least_recent() {
    std::vector<int64_t> times;
    times.reserve(producers_.size());
    for (const auto& [id, producer] : producers_) times.push_back(producer.last_append_ms);
    auto cut = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 10);
    std::nth_element(times.begin(), cut, times.end());
    const int64_t cutoff = *cut;
    std::erase_if(producers_, [&](const auto& entry) { return entry.second.last_append_ms <= cutoff; });
}

}  // namespace minikafka
