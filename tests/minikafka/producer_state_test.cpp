// The idempotent producers' table stays bounded: producers expire after producer.id.expiration.ms
// without an append, and a partition keeps at most kMaxProducers (model/producer_state.hpp).
#include <gtest/gtest.h>

#include "model/producer_state.hpp"

namespace minikafka {
namespace {

RecordBatchHeader batch_from(int64_t producer_id, int32_t sequence) {
    RecordBatchHeader batch{};
    batch.producer_id = producer_id;
    batch.producer_epoch = 0;
    batch.base_sequence = sequence;
    batch.last_offset_delta = 0;
    return batch;
}

TEST(ProducerState, RetriesAreRecognisedAndGapsRefused) {
    ProducerStateTable table;
    table.record(batch_from(7, 0), 100, 0);
    table.record(batch_from(7, 1), 101, 0);
    int64_t offset = -1;
    EXPECT_EQ(table.check(batch_from(7, 1), offset), SequenceCheck::duplicate);
    EXPECT_EQ(offset, 101);
    EXPECT_EQ(table.check(batch_from(7, 2), offset), SequenceCheck::ok);
    EXPECT_EQ(table.check(batch_from(7, 4), offset), SequenceCheck::out_of_order);
}

TEST(ProducerState, OnlyTheLastFiveBatchesAreKept) {
    ProducerStateTable table;
    for (int32_t s = 0; s < 7; ++s) table.record(batch_from(7, s), 100 + s, 0);
    int64_t offset = -1;
    EXPECT_EQ(table.check(batch_from(7, 6), offset), SequenceCheck::duplicate);
    EXPECT_EQ(offset, 106);
    EXPECT_EQ(table.check(batch_from(7, 2), offset), SequenceCheck::duplicate);
    EXPECT_EQ(table.check(batch_from(7, 1), offset), SequenceCheck::out_of_order);  // gone from the window
    EXPECT_EQ(table.check(batch_from(7, 7), offset), SequenceCheck::ok);
}

TEST(ProducerState, IdleProducersExpire) {
    ProducerStateTable table;
    const int64_t day = 86'400'000;
    table.record(batch_from(1, 0), 0, 1000);
    table.record(batch_from(2, 0), 1, 5000);
    EXPECT_EQ(table.expire(1000 + day, day), 0u);  // exactly a day: still remembered
    EXPECT_EQ(table.expire(1001 + day, day), 1u);
    EXPECT_EQ(table.size(), 1u);
    int64_t offset = -1;
    // Forgotten: its next batch is trusted, as after a restart (no OUT_OF_ORDER_SEQUENCE_NUMBER).
    EXPECT_EQ(table.check(batch_from(1, 9), offset), SequenceCheck::ok);
    EXPECT_EQ(table.check(batch_from(2, 0), offset), SequenceCheck::duplicate);
}

TEST(ProducerState, ATableOfRandomProducerIdsStaysBounded) {
    ProducerStateTable table;
    for (int64_t id = 1; id <= 50'000; ++id) table.record(batch_from(id, 0), id, id);
    EXPECT_LE(table.size(), ProducerStateTable::kMaxProducers);
    int64_t offset = -1;
    // The most recent ones are remembered; the oldest went first.
    EXPECT_EQ(table.check(batch_from(50'000, 0), offset), SequenceCheck::duplicate);
    EXPECT_EQ(table.check(batch_from(1, 5), offset), SequenceCheck::ok);
}

}  // namespace
}  // namespace minikafka
