// minikafka/model/producer_state.hpp
//
// CONCEPT: the idempotent producer - exactly-once appends despite retries. With
// enable.idempotence, a producer gets an id from InitProducerId and numbers its batches per
// partition (baseSequence). If an acknowledgement is lost and the producer sends a batch
// again, the broker recognises the sequence number and answers with the offset the batch got
// the first time instead of appending it twice; a gap in the numbers means a lost batch and
// is refused (OUT_OF_ORDER_SEQUENCE_NUMBER), so ordering holds even with several requests in
// flight. This table is per partition: producer id -> the last few batches it appended.
// The table is derived from the log: a start and a follower's truncation rebuild it from the
// batch headers (PartitionLog::rebuild_producer_state), so a replica that becomes leader knows
// the producers that wrote before it did.
// REAL KAFKA: also snapshots this table at every segment roll, so a rebuild reads only the log
// after the newest snapshot; ours reads the segments a start reads in full anyway, and the whole
// log after a truncation.
//
// Bounded, as Kafka bounds it: a producer that has not appended for producer.id.expiration.ms
// (a day by default) is forgotten (expire(), from the broker's tick), and a partition keeps at
// most kMaxProducers of them - past that the least recently active tenth go at once. Either way
// a forgotten producer is treated like one after a restart: its next sequence number is trusted.
// Without these, every producer id ever seen stayed for the broker's life: clients that send
// batches under random producer ids (fuzzers, broken clients) grew the broker without limit.
// READ NEXT: producer_state.cpp (the checks), storage/partition_log.cpp (where append asks them).
#pragma once

#include <array>
#include <cstdint>
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
    // After the batch was appended at `base_offset`, at wall-clock time `now_ms`.
    void record(const RecordBatchHeader& batch, int64_t base_offset, int64_t now_ms);
    // Forgets producers whose last append is older than `expiration_ms`; returns how many.
    size_t expire(int64_t now_ms, int64_t expiration_ms);
    size_t size() const { return producers_.size(); }
    // Whether the batch at `base_offset` is one of `producer_id`'s recent batches (those a retry is
    // checked against). The log cleaner keeps such a batch whole even when every record in it is
    // superseded, so that a rebuild from the log still finds the producer's last sequence numbers
    // (Kafka keeps a producer's last batch for the same reason; storage/log_cleaner.hpp).
    bool is_recent_batch(int64_t producer_id, int64_t base_offset) const;

    static constexpr size_t kMaxProducers = 10000;  // per partition

private:
    struct AppendedBatch {
        int32_t first_sequence;
        int32_t last_sequence;
        int64_t base_offset;
    };
    static constexpr size_t kMaxInFlight = 5;  // max.in.flight.requests.per.connection allowed with idempotence
    struct Producer {
        int16_t epoch = 0;
        uint8_t count = 0;  // batches in `recent`, at most kMaxInFlight
        uint8_t next = 0;   // where the next one goes: a ring, oldest overwritten
        int64_t last_append_ms = 0;
        std::array<AppendedBatch, kMaxInFlight> recent{};  // inline: no allocation per producer
        const AppendedBatch& newest() const { return recent[(next + kMaxInFlight - 1) % kMaxInFlight]; }
    };
    void evict_least_recent();

    std::unordered_map<int64_t, Producer> producers_;
};

}  // namespace minikafka
