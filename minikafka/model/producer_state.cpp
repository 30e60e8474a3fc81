// Sequence-number checks for idempotent producers (see producer_state.hpp).
#include "producer_state.hpp"

namespace minikafka {

SequenceCheck ProducerStateTable::check(const RecordBatchHeader& batch, int64_t& duplicate_offset) const {
    if (batch.producer_id < 0) return SequenceCheck::ok;  // not an idempotent producer
    auto it = producers_.find(batch.producer_id);
    if (it == producers_.end() || it->second.recent.empty()) return SequenceCheck::ok;
    const Producer& producer = it->second;
    if (batch.producer_epoch < producer.epoch) return SequenceCheck::fenced;
    if (batch.producer_epoch > producer.epoch) return SequenceCheck::ok;  // a new epoch starts over
    for (const AppendedBatch& appended : producer.recent)
        if (appended.first_sequence == batch.base_sequence) {
            duplicate_offset = appended.base_offset;
            return SequenceCheck::duplicate;
        }
    // Sequence numbers wrap around after INT32_MAX.
    int32_t last = producer.recent.back().last_sequence;
    int32_t expected = last == INT32_MAX ? 0 : last + 1;
    return batch.base_sequence == expected ? SequenceCheck::ok : SequenceCheck::out_of_order;
}

void ProducerStateTable::record(const RecordBatchHeader& batch, int64_t base_offset) {
    if (batch.producer_id < 0) return;
    Producer& producer = producers_[batch.producer_id];
    if (batch.producer_epoch != producer.epoch) {
        producer.epoch = batch.producer_epoch;
        producer.recent.clear();
    }
    int64_t last = static_cast<int64_t>(batch.base_sequence) + batch.last_offset_delta;
    producer.recent.push_back(
        {batch.base_sequence, static_cast<int32_t>(last % (int64_t{INT32_MAX} + 1)), base_offset});
    if (producer.recent.size() > kMaxInFlight) producer.recent.pop_front();
}

}  // namespace minikafka
