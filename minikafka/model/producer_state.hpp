// minikafka/model/producer_state.hpp
//
// CONCEPT: the idempotent producer - exactly-once appends despite retries. With
// enable.idempotence, a producer gets an id from InitProducerId and numbers its batches per
// partition (baseSequence). If an acknowledgement is lost and the producer sends a batch
// again, the broker recognises the sequence number and answers with the offset the batch got
// the first time instead of appending it twice; a gap in the numbers means a lost batch and
// is refused (OUT_OF_ORDER_SEQUENCE_NUMBER), so ordering holds even with several requests in
// flight. This table is per partition: producer id -> the last few batches it appended.
// REAL KAFKA: snapshots this table to disk and rebuilds it from the log after a restart; ours
// starts empty after a restart and then trusts a producer's first sequence number.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>

#include "record_batch.hpp"

namespace minikafka {

enum class SequenceCheck {
    ok,            // append it
    duplicate,     // appended before: answer with the earlier offset
    out_of_order,  // a gap: a batch before it is missing
    fenced,        // an older epoch of a producer that has since restarted
};

class ProducerStateTable {
public:
    // `duplicate_offset` is set for SequenceCheck::duplicate.
    SequenceCheck check(const RecordBatchHeader& batch, int64_t& duplicate_offset) const;
    void record(const RecordBatchHeader& batch, int64_t base_offset);

private:
    struct AppendedBatch {
        int32_t first_sequence;
        int32_t last_sequence;
        int64_t base_offset;
    };
    struct Producer {
        int16_t epoch = 0;
        std::deque<AppendedBatch> recent;  // the last kMaxInFlight batches, oldest first
    };
    static constexpr size_t kMaxInFlight = 5;  // max.in.flight.requests.per.connection allowed with idempotence
    std::unordered_map<int64_t, Producer> producers_;
};

}  // namespace minikafka
