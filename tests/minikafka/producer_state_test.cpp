// The idempotent producers' table stays bounded: producers expire after producer.id.expiration.ms
// without an append, and a partition keeps at most kMaxProducers (model/producer_state.hpp).
// And it follows the log: a restart and a follower's truncation rebuild it from the batches that
// remain (PartitionLog::rebuild_producer_state), so a retry is still recognised after either.
#include <gtest/gtest.h>

#include "batch_builder.hpp"
#include "big_endian.hpp"
#include "crc32c.hpp"
#include "model/producer_state.hpp"
#include "storage/partition_log.hpp"
#include "temp_dir.hpp"

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

// A real, CRC-valid batch of one record from an idempotent producer (as a client builds it).
std::string idempotent_batch(int64_t producer_id, int32_t sequence, int64_t timestamp = 1000) {
    std::string batch = test::make_batch_of(1, "v", timestamp);
    mb::store_big_endian<int64_t>(batch.data() + 43, producer_id);
    mb::store_big_endian<int16_t>(batch.data() + 51, 0);  // producer epoch
    mb::store_big_endian<int32_t>(batch.data() + 53, sequence);
    mb::store_big_endian<uint32_t>(batch.data() + 17, mb::crc32c(std::string_view(batch).substr(21)));
    return batch;
}

// A follower's append, with the producer state recorded as the fetcher records it.
void append_as_follower(PartitionLog& log, const std::string& batch) {
    RecordBatchHeader h;
    ASSERT_EQ(validate_batch(batch, h), BatchCheck::ok);
    auto appended = log.append_as_follower(batch, h, 1000);
    log.producers.record(h, appended.base_offset, 1000);
}

SequenceCheck check(const PartitionLog& log, int64_t producer_id, int32_t sequence, int64_t& offset) {
    return log.producers.check(batch_from(producer_id, sequence), offset);
}

// The duplicate the fault checker found: a follower cut its log (a leader change) and forgot
// every producer; producer 7, whose batches lay below the cut, retried its last batch when this
// replica led, and it was appended a second time.
TEST(ProducerStateInTheLog, ATruncationKeepsTheProducersBelowTheCut) {
    test::TempDir dir;
    PartitionLog log(dir.path(), LogConfig{}, 0);
    append_as_follower(log, idempotent_batch(7, 0));  // offset 0
    append_as_follower(log, idempotent_batch(7, 1));  // offset 1
    append_as_follower(log, idempotent_batch(8, 0));  // offset 2: the tail that diverged
    append_as_follower(log, idempotent_batch(7, 2));  // offset 3
    EXPECT_EQ(log.truncate_to(2), 2);
    int64_t offset = -1;
    EXPECT_EQ(check(log, 7, 1, offset), SequenceCheck::duplicate);  // the retry: answered, not appended
    EXPECT_EQ(offset, 1);
    EXPECT_EQ(check(log, 7, 2, offset), SequenceCheck::ok);            // cut: it must be appended again
    EXPECT_EQ(check(log, 7, 3, offset), SequenceCheck::out_of_order);  // and nothing may skip it
    EXPECT_EQ(check(log, 8, 5, offset), SequenceCheck::ok);            // producer 8 is gone with its batch
    EXPECT_EQ(log.producers.size(), 1u);
}

TEST(ProducerStateInTheLog, ARestartRebuildsItFromTheLog) {
    test::TempDir dir;
    {
        PartitionLog log(dir.path(), LogConfig{}, 0);
        for (int32_t s = 0; s < 3; ++s) append_as_follower(log, idempotent_batch(7, s));
        append_as_follower(log, test::make_batch_of(2));  // a producer without idempotence
    }
    PartitionLog reopened(dir.path(), LogConfig{}, 0);  // not a clean stop: as after kill -9
    int64_t offset = -1;
    EXPECT_EQ(check(reopened, 7, 2, offset), SequenceCheck::duplicate);
    EXPECT_EQ(offset, 2);
    EXPECT_EQ(check(reopened, 7, 4, offset), SequenceCheck::out_of_order);
    EXPECT_EQ(check(reopened, 7, 3, offset), SequenceCheck::ok);
    EXPECT_EQ(reopened.producers.size(), 1u);
}

}  // namespace
}  // namespace minikafka
