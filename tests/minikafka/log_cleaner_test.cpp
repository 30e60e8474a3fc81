// Log compaction (storage/log_cleaner.hpp): the latest record per key survives, tombstones go once
// older than delete.retention.ms, offsets never change (holes appear instead), the active segment
// is never touched, slices are small, and a kill -9 before or after the swap's commit point leaves
// a log a start can open - the old segments, or the cleaned one.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "batch_builder.hpp"
#include "storage/log_cleaner.hpp"
#include "storage/partition_log.hpp"
#include "temp_dir.hpp"

namespace minikafka {
namespace {

namespace fs = std::filesystem;
using test::make_batch;
using test::TempDir;
using test::TestRecord;

constexpr int64_t kRoll = 1000;  // segment.ms: an append this much later starts a new segment

LogConfig compacted() {
    LogConfig config;
    config.cleanup_compact = true;
    config.cleanup_delete = false;
    config.segment_ms = kRoll;
    config.min_cleanable_dirty_ratio = 0.1;
    config.delete_retention_ms = 5000;
    config.index_interval_bytes = 1;  // an index entry per batch: the rebuilt index is exercised
    return config;
}

// One record as a consumer sees it: offset, key, value (nullopt: a tombstone).
using Record = std::tuple<int64_t, std::string, std::optional<std::string>>;

// Every record of the log, read as a consumer would (read() from each next offset), checking each
// stored batch: CRC and counts valid, offsets inside the batch's range.
std::vector<Record> read_all(const PartitionLog& log) {
    std::vector<Record> out;
    int64_t offset = log.log_start_offset();
    while (offset < log.log_end_offset()) {
        std::optional<LogSlice> slice = log.read(offset, 1 << 20);
        if (!slice) break;
        std::string bytes(slice->size, '\0');
        bytes.resize(slice->file->read_at(slice->position, bytes.data(), bytes.size()));
        RecordBatchHeader h;
        EXPECT_EQ(validate_batch(bytes, h, OffsetGaps::allowed), BatchCheck::ok) << "batch at " << offset;
        KafkaReader in(std::string_view(bytes).substr(kBatchHeaderSize, h.total_size() - kBatchHeaderSize));
        for (int32_t i = 0; i < h.record_count; ++i) {
            int32_t length = in.varint();
            KafkaReader r(in.bytes(static_cast<size_t>(length)));
            r.i8();
            r.varlong();
            int64_t at = h.base_offset + r.varint();
            EXPECT_LE(at, h.last_offset());
            std::string key(r.bytes(static_cast<size_t>(r.varint())));
            int32_t value_length = r.varint();
            std::optional<std::string> value;
            if (value_length >= 0) value = std::string(r.bytes(static_cast<size_t>(value_length)));
            if (at >= offset) out.emplace_back(at, key, value);
        }
        offset = h.last_offset() + 1;
    }
    return out;
}

class LogCleanerTest : public ::testing::Test {
protected:
    void SetUp() override { open(); }

    void open() { log = std::make_shared<PartitionLog>(dir.path() + "/table-0", compacted(), now); }

    // One batch of keyed records, appended `later` ms after the previous append (kRoll: in a new segment).
    void append(const std::vector<TestRecord>& records, int64_t later = 1) {
        now += later;
        std::string batch = make_batch(records, now);
        RecordBatchHeader h;
        ASSERT_EQ(validate_batch(batch, h), BatchCheck::ok);
        log->append(batch, h, now);
    }

    // What the broker's tick does for rolled segments: they are fsynced, the recovery point moves.
    void sync_rolled() {
        FlushJob rolled = log->take_rolled();
        for (const auto& file : rolled.files) file->sync();
        log->rolled_synced(rolled.up_to_offset);
    }

    // Runs a cleaning to its end as the broker would, one slice per step, fsyncing when asked.
    // Returns the number of steps it took.
    int clean(int64_t max_offset = INT64_MAX) {
        sync_rolled();
        EXPECT_TRUE(cleaner->start(log, max_offset));
        for (int steps = 1; steps < 100000; ++steps) {
            LogCleaner::Step step = cleaner->step(now);
            if (step == LogCleaner::Step::sync_needed) {
                for (const auto& file : cleaner->files_to_sync()) file->sync();
                cleaner->synced(cleaner->files_to_sync());
            }
            EXPECT_NE(step, LogCleaner::Step::aborted);
            if (step == LogCleaner::Step::finished || step == LogCleaner::Step::aborted) return steps;
        }
        ADD_FAILURE() << "the cleaning never finished";
        return 0;
    }

    // Three segments: two sealed ones to clean, the active one (offset 5) to leave alone.
    //   offset 0 a=1   1 b=1   2 a=2   | 3 c=1 | 4 b=2 | (active) 5 a=3
    void three_segments() {
        append({{"a", "1"}, {"b", "1"}, {"a", "2"}});
        append({{"c", "1"}}, kRoll);
        append({{"b", "2"}});
        append({{"a", "3"}}, kRoll);
        ASSERT_EQ(log->segments().size(), 3u);
    }

    std::string file_of(int64_t base, const char* ext) const {
        return dir.path() + "/table-0/" + segment_file_stem(base) + ext;
    }

    TempDir dir;
    int64_t now = 100000;
    std::shared_ptr<PartitionLog> log;
    // 64-byte slices: every step is a small one. A pointer, so that a test can "kill" it.
    std::unique_ptr<LogCleaner> cleaner = std::make_unique<LogCleaner>(CleanerLimits{64, 64 << 20});
};

TEST_F(LogCleanerTest, KeepsTheLatestRecordPerKeyAtItsOffset) {
    three_segments();
    const std::string active_before = test::read_file(file_of(5, ".log"));
    int steps = clean();
    EXPECT_GT(steps, 4) << "a 64-byte slice cannot read a segment at once";

    // b=1 (offset 1) and a=1 (offset 0) are gone; a=2 stays - a=3 is in the active segment, which
    // the cleaner neither reads nor changes. Offsets are the ones the records had.
    std::vector<Record> want = {{2, "a", "2"}, {3, "c", "1"}, {4, "b", "2"}, {5, "a", "3"}};
    EXPECT_EQ(read_all(*log), want);
    EXPECT_EQ(log->log_start_offset(), 0);
    EXPECT_EQ(log->log_end_offset(), 6);
    EXPECT_EQ(test::read_file(file_of(5, ".log")), active_before);
    // The two sealed segments were merged into one named after the first; its first batch kept
    // base offset 0 and lastOffsetDelta 2 around its one survivor.
    ASSERT_EQ(log->segments().size(), 2u);
    EXPECT_FALSE(fs::exists(file_of(3, ".log")));
    std::optional<LogSlice> first = log->read(0, 1);
    ASSERT_TRUE(first.has_value());
    std::string bytes(kBatchHeaderSize, '\0');
    first->file->read_at(first->position, bytes.data(), bytes.size());
    RecordBatchHeader h = decode_batch_header(bytes.data());
    EXPECT_EQ(h.base_offset, 0);
    EXPECT_EQ(h.last_offset_delta, 2);
    EXPECT_EQ(h.record_count, 1);
    // A fetch from a hole gets the next batch after it.
    std::optional<LogSlice> from_hole = log->read(1, 1);
    ASSERT_TRUE(from_hole.has_value());
    EXPECT_EQ(from_hole->position, first->position);  // the batch holding 2 (its range covers 1)
    EXPECT_EQ(cleaner->stats().records_removed, 2);
    EXPECT_EQ(log->compacted_until(), 5);

    // A restart that reads every segment in full (no recovery point) accepts the holes below the
    // checkpoint - and only there (tests/minikafka/corruption_test.cpp: a hole above it is refused).
    log.reset();
    fs::remove(dir.path() + "/table-0/recovery-point");
    open();
    EXPECT_EQ(log->fully_checked_segments(), 2u);
    EXPECT_EQ(read_all(*log), want);
    EXPECT_EQ(log->log_end_offset(), 6);
}

TEST_F(LogCleanerTest, CleansOnlyBelowTheHighWatermarkAndWhenDirtyEnough) {
    three_segments();
    sync_rolled();
    EXPECT_EQ(log->cleanable_segments(INT64_MAX), 2u);
    EXPECT_EQ(log->cleanable_segments(4), 1u);  // the segment [3, 5) is not wholly below 4
    EXPECT_EQ(log->cleanable_segments(0), 0u);
    EXPECT_FALSE(cleaner->start(log, 0));
    clean(4);
    // Only the first segment was cleaned: a=2 still supersedes a=1, but b=1's newer value (offset
    // 4) is above the bound and was not looked at.
    EXPECT_EQ(read_all(*log),
              (std::vector<Record>{{1, "b", "1"}, {2, "a", "2"}, {3, "c", "1"}, {4, "b", "2"}, {5, "a", "3"}}));
    // Cleaned once, nothing new below the bound: nothing is dirty.
    EXPECT_DOUBLE_EQ(LogCleaner::dirty_ratio(*log, 4), 0.0);
    EXPECT_FALSE(cleaner->start(log, 4));
}

TEST_F(LogCleanerTest, DropsATombstoneOnlyOnceOlderThanDeleteRetention) {
    append({{"a", "1"}, {"b", "1"}});
    append({{"a", "", 0, true}});  // the tombstone of a, at `now`
    const int64_t tombstone_time = now;
    append({{"c", "1"}}, kRoll);
    clean();
    // Younger than delete.retention.ms (5 s): the tombstone stays, so that a consumer reading the
    // table from the start learns that a is deleted; a=1 is gone.
    EXPECT_EQ(read_all(*log), (std::vector<Record>{{1, "b", "1"}, {2, "a", std::nullopt}, {3, "c", "1"}}));

    // Later, and with new dirt to make the partition worth cleaning again.
    append({{"d", "1"}}, kRoll);
    append({{"e", "1"}}, kRoll);
    now = tombstone_time + 5001;
    clean();
    EXPECT_EQ(read_all(*log), (std::vector<Record>{{1, "b", "1"}, {3, "c", "1"}, {4, "d", "1"}, {5, "e", "1"}}));
    EXPECT_EQ(cleaner->stats().tombstones_removed, 1);
}

TEST_F(LogCleanerTest, RetentionDoesNotDeleteACompactedTopicsRecords) {
    three_segments();
    sync_rolled();
    LogConfig config = compacted();
    config.retention_ms = 1;
    log->set_config(config);
    EXPECT_TRUE(log->enforce_retention(now + 1000000).empty());
    config.cleanup_delete = true;  // compact,delete: both
    log->set_config(config);
    EXPECT_FALSE(log->enforce_retention(now + 1000000).empty());
}

// A cleaning that stops at the moment its file waits for the fsync - or even right after the
// commit point - must leave a log the next start opens: the old segments in the first case, the
// cleaned one in the second.
TEST_F(LogCleanerTest, AKillBeforeTheSwapLeavesTheOldSegments) {
    three_segments();
    const std::vector<Record> before = read_all(*log);
    sync_rolled();
    ASSERT_TRUE(cleaner->start(log, INT64_MAX));
    LogCleaner::Step step;
    while ((step = cleaner->step(now)) == LogCleaner::Step::working) {
    }
    ASSERT_EQ(step, LogCleaner::Step::sync_needed);
    ASSERT_TRUE(fs::exists(file_of(0, ".log.cleaned")));
    // kill -9: the process is gone; what it wrote stays. (The objects' destructors would tidy up,
    // so the cleaned file is kept aside and put back.)
    fs::copy_file(file_of(0, ".log.cleaned"), dir.path() + "/kept");
    cleaner.reset();
    log.reset();
    fs::rename(dir.path() + "/kept", file_of(0, ".log.cleaned"));

    open();
    EXPECT_FALSE(fs::exists(file_of(0, ".log.cleaned")));
    EXPECT_EQ(read_all(*log), before);
    EXPECT_EQ(log->segments().size(), 3u);
}

TEST_F(LogCleanerTest, AKillAfterTheCommitPointFinishesTheSwapAtTheStart) {
    three_segments();
    sync_rolled();
    ASSERT_TRUE(cleaner->start(log, INT64_MAX));
    LogCleaner::Step step;
    while ((step = cleaner->step(now)) == LogCleaner::Step::working) {
    }
    ASSERT_EQ(step, LogCleaner::Step::sync_needed);
    for (const auto& file : cleaner->files_to_sync()) file->sync();
    // The swap's first steps (PartitionLog::replace_with_cleaned after LogCleaner::swap_group
    // moved the checkpoint), then kill -9 before the old segments go.
    log->advance_compacted_until(5);
    fs::rename(file_of(0, ".log.cleaned"), file_of(0, ".log.swap"));
    cleaner.reset();
    log.reset();
    ASSERT_TRUE(fs::exists(file_of(3, ".log")));  // an old segment the swap replaces

    open();
    EXPECT_FALSE(fs::exists(file_of(0, ".log.swap")));
    EXPECT_FALSE(fs::exists(file_of(3, ".log")));
    EXPECT_EQ(read_all(*log), (std::vector<Record>{{2, "a", "2"}, {3, "c", "1"}, {4, "b", "2"}, {5, "a", "3"}}));
    EXPECT_EQ(log->segments().size(), 2u);
    EXPECT_EQ(log->log_end_offset(), 6);
}

// An idempotent producer's recent batch stays even when superseded: producer state rebuilt from the
// log (a follower's truncation does that) must still know the producer's last sequence number.
TEST_F(LogCleanerTest, KeepsAnIdempotentProducersLastBatch) {
    // Producer 7 writes z=1 (sequence 0), then x=1 (sequence 1); another producer overwrites x.
    auto idempotent = [&](const std::vector<TestRecord>& records, int32_t sequence) {
        std::string batch = make_batch(records, now);
        mb::store_big_endian(batch.data() + 43, int64_t{7});  // producerId
        mb::store_big_endian(batch.data() + 51, int16_t{0});  // producerEpoch
        mb::store_big_endian(batch.data() + 53, sequence);    // baseSequence
        mb::store_big_endian(batch.data() + 17, mb::crc32c(std::string_view(batch).substr(21)));
        RecordBatchHeader h;
        EXPECT_EQ(validate_batch(batch, h), BatchCheck::ok);
        int64_t base = log->append(batch, h, now).base_offset;
        log->producers.record(h, base, now);  // as the produce handler does
        return h;
    };
    idempotent({{"z", "1"}}, 0);
    RecordBatchHeader last = idempotent({{"x", "1"}}, 1);
    append({{"x", "2"}});
    append({{"y", "1"}}, kRoll);
    clean();
    EXPECT_EQ(read_all(*log), (std::vector<Record>{{0, "z", "1"}, {1, "x", "1"}, {2, "x", "2"}, {3, "y", "1"}}));
    // A truncation rebuilds producer state from the log: had x=1's batch gone, the producer's
    // newest known sequence would be 0, and its next batch (sequence 2) a gap.
    log->truncate_to(3);
    RecordBatchHeader next = last;
    next.base_sequence = 2;
    int64_t duplicate = -1;
    EXPECT_EQ(log->producers.check(next, duplicate), SequenceCheck::ok);
}

// A follower copying a cleaned leader: batches after a hole and batches with fewer records than
// offsets keep the leader's offsets, and the follower's checkpoint covers them for its next start.
TEST_F(LogCleanerTest, AFollowerCopiesTheLeadersHolesAndRestartsWithThem) {
    append({{"a", "1"}});              // removed whole: the follower's copy starts after a hole
    append({{"b", "1"}, {"b", "2"}});  // one survivor of two: fewer records than offsets
    append({{"a", "2"}});
    append({{"c", "1"}}, kRoll);
    clean();
    ASSERT_EQ(read_all(*log), (std::vector<Record>{{2, "b", "2"}, {3, "a", "2"}, {4, "c", "1"}}));
    TempDir other;
    auto follower = std::make_shared<PartitionLog>(other.path() + "/table-0", compacted(), now);
    int64_t offset = 0;
    while (offset < log->log_end_offset()) {
        std::optional<LogSlice> slice = log->read(offset, 1);
        ASSERT_TRUE(slice.has_value());
        std::string bytes(slice->size, '\0');
        slice->file->read_at(slice->position, bytes.data(), bytes.size());
        RecordBatchHeader h;
        ASSERT_EQ(validate_batch(bytes, h, OffsetGaps::allowed), BatchCheck::ok);
        follower->append_as_follower(bytes.substr(0, h.total_size()), h, now);
        offset = h.last_offset() + 1;
    }
    EXPECT_EQ(read_all(*follower), read_all(*log));
    EXPECT_EQ(follower->log_end_offset(), 5);
    follower.reset();
    follower = std::make_shared<PartitionLog>(other.path() + "/table-0", compacted(), now);
    EXPECT_EQ(read_all(*follower), read_all(*log));
}

}  // namespace
}  // namespace minikafka
