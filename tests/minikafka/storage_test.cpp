// The log on disk: record batch validation, segments and their sparse indexes, rolling,
// retention, lookups by offset and time, recovery of a torn tail, the committed-offsets file.
// Real files in a temporary directory; the clock is a plain number the test moves.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "batch_builder.hpp"
#include "storage/log_manager.hpp"
#include "storage/offset_store.hpp"
#include "storage/partition_log.hpp"
#include "temp_dir.hpp"

namespace minikafka {
namespace {

namespace fs = std::filesystem;
using test::make_batch;
using test::make_batch_of;

using test::TempDir;

RecordBatchHeader header_of(std::string_view batch) {
    RecordBatchHeader h;
    EXPECT_EQ(validate_batch(batch, h), BatchCheck::ok);
    return h;
}

int64_t append(PartitionLog& log, const std::string& batch, int64_t now = 1000) {
    return log.append(batch, header_of(batch), now).base_offset;
}

// What a fetch would send: the bytes of the slice, read back from the file.
std::string read_slice(const LogSlice& slice) {
    std::string bytes(slice.size, '\0');
    EXPECT_EQ(slice.file->read_at(slice.position, bytes.data(), bytes.size()), slice.size);
    return bytes;
}

TEST(RecordBatch, ValidatesLengthMagicCrcAndCounts) {
    std::string batch = make_batch_of(3);
    RecordBatchHeader h;
    ASSERT_EQ(validate_batch(batch, h), BatchCheck::ok);
    EXPECT_EQ(h.record_count, 3);
    EXPECT_EQ(h.last_offset_delta, 2);
    EXPECT_EQ(validate_batch(batch.substr(0, batch.size() - 1), h), BatchCheck::truncated);
    EXPECT_EQ(validate_batch(batch.substr(0, 20), h), BatchCheck::truncated);
    std::string flipped = batch;
    flipped.back() ^= 1;
    EXPECT_EQ(validate_batch(flipped, h), BatchCheck::bad_crc);
    std::string magic = batch;
    magic[16] = 1;
    EXPECT_EQ(validate_batch(magic, h), BatchCheck::bad_magic);
    std::string short_length = batch;
    mb::store_big_endian(short_length.data() + 8, int32_t{10});
    EXPECT_EQ(validate_batch(short_length, h), BatchCheck::bad_length);
    // The base offset is outside the CRC: the broker may rewrite it.
    std::string moved = batch;
    set_base_offset(moved.data(), 12345);
    EXPECT_EQ(validate_batch(moved, h), BatchCheck::ok);
    EXPECT_EQ(h.base_offset, 12345);
}

// The fields a producer controls, rewritten as a producer would send them (with a valid CRC).
std::string with_header(std::string batch, int32_t record_count, int16_t attributes) {
    mb::store_big_endian(batch.data() + 21, attributes);
    mb::store_big_endian(batch.data() + 23, record_count - 1);  // lastOffsetDelta
    mb::store_big_endian(batch.data() + 57, record_count);
    mb::store_big_endian(batch.data() + 17, mb::crc32c(std::string_view(batch).substr(21)));
    return batch;
}

TEST(RecordBatch, ARecordCountTheBytesCannotHoldIsRefused) {
    RecordBatchHeader h;
    std::string one = make_batch_of(1, std::string(100, 'x'));
    EXPECT_EQ(validate_batch(with_header(one, 1, 0), h), BatchCheck::ok);
    // 2^31-1 claimed records would move the log end by as much (and roll a segment each time).
    EXPECT_EQ(validate_batch(with_header(one, INT32_MAX, 0), h), BatchCheck::bad_count);
    size_t payload = one.size() - 61;
    EXPECT_EQ(validate_batch(with_header(one, static_cast<int32_t>(payload / 7), 0), h), BatchCheck::ok);
    EXPECT_EQ(validate_batch(with_header(one, static_cast<int32_t>(payload / 7 + 1), 0), h), BatchCheck::bad_count);
    // Compressed (here: gzip, id 1) bytes are not read, only bounded: 8 records per byte.
    EXPECT_EQ(validate_batch(with_header(one, static_cast<int32_t>(payload * 8), 1), h), BatchCheck::ok);
    EXPECT_EQ(validate_batch(with_header(one, static_cast<int32_t>(payload * 8 + 1), 1), h), BatchCheck::bad_count);
    // Codec ids 5..7 do not exist.
    EXPECT_EQ(validate_batch(with_header(one, 1, 4), h), BatchCheck::ok);
    EXPECT_EQ(validate_batch(with_header(one, 1, 5), h), BatchCheck::bad_codec);
}

TEST(RecordBatch, LogAppendTimeRestampsAndKeepsTheCrcValid) {
    std::string batch = make_batch_of(2);
    set_log_append_time(batch.data(), batch.size(), 777);
    RecordBatchHeader h;
    ASSERT_EQ(validate_batch(batch, h), BatchCheck::ok);
    EXPECT_EQ(h.max_timestamp, 777);
    EXPECT_TRUE(h.attributes & 0x8);
}

// A producer chooses every timestamp byte: a record delta that overflows the base timestamp
// wraps (as Kafka's Java arithmetic does) instead of being undefined behaviour.
TEST(RecordBatch, TimestampSearchSurvivesOverflowingDeltas) {
    constexpr int64_t kLate = std::numeric_limits<int64_t>::max() - 10;
    std::string batch = test::make_batch({{"", "a", 0}, {"", "b", int64_t{1} << 62}, {"", "c", 5}}, kLate);
    EXPECT_EQ(first_offset_at_or_after(batch, kLate + 5), 2);  // "b" wrapped to a negative time
    EXPECT_EQ(first_offset_at_or_after(batch, kLate), 0);
    EXPECT_EQ(first_offset_at_or_after(batch, kLate + 6), -1);
}

TEST(RecordBatch, RandomBytesNeverValidate) {
    std::mt19937 random(7);
    for (int i = 0; i < 20000; ++i) {
        std::string junk(random() % 200, '\0');
        for (char& c : junk) c = static_cast<char>(random());
        RecordBatchHeader h;
        EXPECT_NE(validate_batch(junk, h), BatchCheck::ok);
        first_offset_at_or_after(junk.size() >= kBatchHeaderSize ? junk : std::string(kBatchHeaderSize, '\0'), 0);
    }
}

TEST(PartitionLog, AssignsConsecutiveOffsetsAndReadsBatchesBackVerbatim) {
    TempDir dir;
    PartitionLog log(dir.path() + "/t-0", LogConfig{}, 1000);
    std::string first = make_batch_of(3), second = make_batch_of(2);
    EXPECT_EQ(append(log, first), 0);
    EXPECT_EQ(append(log, second), 3);
    EXPECT_EQ(log.log_end_offset(), 5);
    auto slice = log.read(0, 1 << 20);
    ASSERT_TRUE(slice);
    std::string bytes = read_slice(*slice);
    ASSERT_EQ(bytes.size(), first.size() + second.size());
    RecordBatchHeader h;
    ASSERT_EQ(validate_batch(bytes, h), BatchCheck::ok);
    EXPECT_EQ(h.base_offset, 0);
    ASSERT_EQ(validate_batch(std::string_view(bytes).substr(first.size()), h), BatchCheck::ok);
    EXPECT_EQ(h.base_offset, 3);
    // Everything but the base offset and the leader epoch (stamped by the leader, 0 here) is
    // the producer's bytes.
    std::string expected = second;
    set_partition_leader_epoch(expected.data(), 0);
    EXPECT_EQ(bytes.substr(first.size() + 8), expected.substr(8));
    // A fetch from offset 4 starts at the batch that contains it.
    EXPECT_EQ(log.read(4, 1 << 20)->position, static_cast<int64_t>(first.size()));
    EXPECT_FALSE(log.read(5, 1 << 20));  // the log end: nothing yet
}

TEST(PartitionLog, MaxBytesIsSoftForTheFirstBatch) {
    TempDir dir;
    PartitionLog log(dir.path() + "/t-0", LogConfig{}, 1000);
    std::string big = make_batch_of(10, std::string(500, 'x'));
    append(log, big);
    append(log, big);
    EXPECT_EQ(log.read(0, 10)->size, big.size());                      // whole first batch despite the limit
    EXPECT_EQ(log.read(0, big.size() + 100)->size, big.size() + 100);  // then as much as allowed
}

TEST(PartitionLog, RollsSegmentsBySizeAndFindsOffsetsInAnyOfThem) {
    TempDir dir;
    LogConfig config;
    config.segment_bytes = 2000;
    config.index_interval_bytes = 100;
    PartitionLog log(dir.path() + "/t-0", config, 1000);
    std::vector<int64_t> bases;
    for (int i = 0; i < 100; ++i) bases.push_back(append(log, make_batch_of(4, "0123456789")));
    EXPECT_GT(log.segments().size(), 5u);
    EXPECT_TRUE(fs::exists(dir.path() + "/t-0/00000000000000000000.log"));
    EXPECT_TRUE(fs::exists(dir.path() + "/t-0/" + segment_file_stem(log.segments()[1]->base_offset()) + ".index"));
    EXPECT_GT(log.segments()[0]->offset_index().entries().size(), 2u);  // sparse, but present
    for (int64_t offset = 0; offset < log.log_end_offset(); ++offset) {
        auto slice = log.read(offset, 1);
        ASSERT_TRUE(slice) << offset;
        RecordBatchHeader h;
        ASSERT_EQ(validate_batch(read_slice(*slice), h), BatchCheck::ok);
        EXPECT_LE(h.base_offset, offset);
        EXPECT_GE(h.last_offset(), offset);
    }
}

TEST(PartitionLog, ReservesBlocksAheadOfTheActiveSegmentAndGivesThemBackOnRoll) {
    // The active segment's blocks are allocated a step ahead of the writes; its size (what `ls`
    // and recovery see) stays the bytes written, and a rolled segment keeps no blocks past its end.
    TempDir dir;
    LogConfig config;
    config.segment_bytes = 64 * 1024;
    PartitionLog log(dir.path() + "/t-0", config, 1000);
    for (int i = 0; i < 70; ++i) append(log, make_batch_of(1, std::string(1000, 'b')));
    ASSERT_EQ(log.segments().size(), 2u);
    auto on_disk = [&](const Segment& segment) {
        struct stat st {};
        EXPECT_EQ(fstat(segment.log_file()->fd(), &st), 0);
        return std::pair<int64_t, int64_t>(st.st_size, static_cast<int64_t>(st.st_blocks) * 512);
    };
    auto [rolled_size, rolled_allocated] = on_disk(*log.segments()[0]);
    EXPECT_EQ(rolled_size, log.segments()[0]->size());
    EXPECT_LT(rolled_allocated, rolled_size + 4096);  // nothing reserved past the end any more
    auto [active_size, active_allocated] = on_disk(*log.segments()[1]);
    EXPECT_EQ(active_size, log.segments()[1]->size());
    if (active_allocated > active_size + 4096) {  // a filesystem with fallocate: a step ahead,
        // which grows with the segment (64 KB at first): a small partition does not hold 8 MB.
        EXPECT_GE(active_allocated, int64_t{64} << 10);
        EXPECT_LT(active_allocated, int64_t{1} << 20);
    }
}

TEST(PartitionLog, TheReservationStepGrowsWithTheSegmentUpTo8MB) {
    TempDir dir;
    LogConfig config;
    PartitionLog log(dir.path() + "/t-0", config, 1000);
    auto allocated = [&] {
        struct stat st {};
        EXPECT_EQ(fstat(log.segments().back()->log_file()->fd(), &st), 0);
        return static_cast<int64_t>(st.st_blocks) * 512;
    };
    append(log, make_batch_of(1, std::string(1000, 'a')));
    int64_t small = allocated();
    for (int i = 0; i < 20 * 1024; ++i) append(log, make_batch_of(1, std::string(1000, 'b')));  // ~20 MB
    int64_t big = allocated();
    if (big > log.segments().back()->size() + 4096 || small > 8192) {  // a filesystem with fallocate
        EXPECT_LT(small, int64_t{1} << 20);                            // one record: one small step, not 8 MB
        EXPECT_GE(big - log.segments().back()->size(), 0);
        EXPECT_LE(big, log.segments().back()->size() + (int64_t{8} << 20));  // at most one 8 MB step ahead
    }
}

TEST(PartitionLog, RollsByTime) {
    TempDir dir;
    LogConfig config;
    config.segment_ms = 1000;
    PartitionLog log(dir.path() + "/t-0", config, 0);
    append(log, make_batch_of(1), 10);
    append(log, make_batch_of(1), 500);
    EXPECT_EQ(log.segments().size(), 1u);
    append(log, make_batch_of(1), 1011);
    EXPECT_EQ(log.segments().size(), 2u);
    EXPECT_EQ(log.segments().back()->base_offset(), 2);
}

TEST(PartitionLog, RetentionDeletesWholeOldSegmentsBySizeAndByAge) {
    TempDir dir;
    LogConfig config;
    config.segment_bytes = 1000;
    config.retention_bytes = 3000;
    PartitionLog log(dir.path() + "/t-0", config, 0);
    for (int i = 0; i < 40; ++i) append(log, make_batch_of(2, std::string(100, 'r'), 1000 + i));
    std::vector<std::string> deleted = log.enforce_retention(5000);
    EXPECT_FALSE(deleted.empty());
    EXPECT_LE(log.size_bytes() - log.segments().front()->size(), 3000);
    EXPECT_GT(log.log_start_offset(), 0);
    for (const auto& path : deleted) EXPECT_TRUE(path.ends_with(".deleted")) << path;
    // A fetch below the new start is out of range for the handler; the log itself starts later.
    auto first = log.read(log.log_start_offset(), 1);
    ASSERT_TRUE(first);

    config.retention_bytes = -1;
    config.retention_ms = 1000;
    log.set_config(config);
    int64_t newest = log.segments().back()->max_timestamp();  // 1039, in the active segment
    log.enforce_retention(newest + 1000);                     // every closed segment's newest record is older
    EXPECT_EQ(log.segments().size(), 1u);                     // the active segment stays while it holds newer records
    EXPECT_FALSE(log.segments().front()->empty());
    EXPECT_EQ(log.log_end_offset(), 80);

    log.enforce_retention(newest + 1001);  // now all of it is older: rolled, then deleted too
    ASSERT_EQ(log.segments().size(), 1u);
    EXPECT_TRUE(log.segments().front()->empty());
    EXPECT_EQ(log.log_start_offset(), 80);  // an empty log whose offsets carry on
    EXPECT_EQ(log.log_end_offset(), 80);
    EXPECT_TRUE(log.enforce_retention(newest + 5000).empty());  // an empty active segment stays
    EXPECT_EQ(append(log, make_batch_of(1, "v", newest + 5000), newest + 5000), 80);
}

TEST(PartitionLog, FindsOffsetsByTimestamp) {
    TempDir dir;
    LogConfig config;
    config.index_interval_bytes = 50;
    PartitionLog log(dir.path() + "/t-0", config, 0);
    // Batch i holds records at 10000 + 100*i + {0, 10, 20}.
    for (int i = 0; i < 50; ++i) {
        std::vector<test::TestRecord> records = {{"", "a", 0}, {"", "b", 10}, {"", "c", 20}};
        append(log, make_batch(records, 10000 + 100 * i));
    }
    EXPECT_EQ(log.offset_for_timestamp(0), 0);
    EXPECT_EQ(log.offset_for_timestamp(10000), 0);
    EXPECT_EQ(log.offset_for_timestamp(10005), 1);
    EXPECT_EQ(log.offset_for_timestamp(12015), 3 * 20 + 2);
    EXPECT_EQ(log.offset_for_timestamp(10000 + 100 * 49 + 20), 149);
    EXPECT_EQ(log.offset_for_timestamp(10000 + 100 * 49 + 21), -1);
}

TEST(PartitionLog, RecoveryTruncatesATornTailAndKeepsEverythingBefore) {
    TempDir dir;
    std::string path = dir.path() + "/t-0";
    std::string batch = make_batch_of(5, "payload");
    {
        PartitionLog log(path, LogConfig{}, 0);
        for (int i = 0; i < 10; ++i) append(log, batch);
    }
    // A crash in the middle of the 11th append: only part of it reached the file.
    std::string log_file = path + "/00000000000000000000.log";
    {
        std::ofstream out(log_file, std::ios::app | std::ios::binary);
        std::string torn = batch;
        set_base_offset(torn.data(), 50);
        out << torn.substr(0, torn.size() / 2);
    }
    PartitionLog recovered(path, LogConfig{}, 0);
    EXPECT_EQ(recovered.log_end_offset(), 50);
    EXPECT_EQ(recovered.recovered_truncated_bytes(), static_cast<int64_t>(batch.size() / 2));
    EXPECT_EQ(fs::file_size(log_file), 10 * batch.size());
    EXPECT_EQ(append(recovered, batch), 50);  // and appending continues right there

    // A flipped bit inside the last complete batch: its CRC fails, it goes too.
    {
        std::fstream f(log_file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(10 * batch.size() + 70));
        f.put('!');
    }
    PartitionLog again(path, LogConfig{}, 0);
    EXPECT_EQ(again.log_end_offset(), 50);
}

TEST(PartitionLog, ReopenedLogKeepsOffsetsSegmentsAndIndexes) {
    TempDir dir;
    LogConfig config;
    config.segment_bytes = 1500;
    config.index_interval_bytes = 100;
    std::string path = dir.path() + "/t-0";
    size_t segments = 0;
    {
        PartitionLog log(path, config, 0);
        for (int i = 0; i < 60; ++i) append(log, make_batch_of(3, "abc"));
        segments = log.segments().size();
    }
    PartitionLog log(path, config, 0);
    EXPECT_EQ(log.log_end_offset(), 180);
    EXPECT_EQ(log.segments().size(), segments);
    EXPECT_EQ(log.read(100, 1)->size, make_batch_of(3, "abc").size());
    // An index file that makes no sense is rebuilt from the log.
    std::string index = path + "/" + segment_file_stem(log.segments()[0]->base_offset()) + ".index";
    { std::ofstream(index, std::ios::binary | std::ios::trunc) << "garbage"; }
    PartitionLog rebuilt(path, config, 0);
    EXPECT_GT(rebuilt.segments()[0]->offset_index().entries().size(), 0u);
    EXPECT_TRUE(rebuilt.read(5, 1));
}

TEST(PartitionLog, FlushPolicyAndWaiters) {
    TempDir dir;
    LogConfig config;
    config.flush_messages = 5;
    PartitionLog log(dir.path() + "/t-0", config, 0);
    append(log, make_batch_of(3));
    EXPECT_FALSE(log.flush_due(0));
    append(log, make_batch_of(3));
    EXPECT_TRUE(log.flush_due(0));
    bool flushed = false;
    log.when_flushed(6, [&] { flushed = true; });
    FlushJob job = log.begin_flush();
    EXPECT_EQ(job.up_to_offset, 6);
    EXPECT_FALSE(flushed);
    for (auto& file : job.files) file->sync();
    log.flush_done(job.up_to_offset, 0);
    EXPECT_TRUE(flushed);
    EXPECT_EQ(log.flushed_offset(), 6);
}

TEST(PartitionLog, AnAckWaitingForAnFsyncIsKeptWhenThePolicyChanges) {
    TempDir dir;
    LogConfig config;
    config.flush_messages = 1;
    PartitionLog log(dir.path() + "/t-0", config, 0);
    append(log, make_batch_of(1));
    FlushJob first = log.begin_flush();  // a slow fsync is under way...
    append(log, make_batch_of(1));       // ...when the next produce is promised one too
    bool acked = false;
    log.when_flushed(2, [&] { acked = true; });
    config.flush_messages = INT64_MAX;  // AlterConfigs drops flush.messages meanwhile
    log.set_config(config);
    log.flush_done(first.up_to_offset, 0);
    EXPECT_FALSE(acked);
    EXPECT_TRUE(log.flush_due(0));  // so the broker starts the fsync that producer waits for
    FlushJob second = log.begin_flush();
    log.flush_done(second.up_to_offset, 0);
    EXPECT_TRUE(acked);
}

// A partition made by CreateTopics leaves the fsync of its directory (the name of its first
// segment) to its first flush: the flush that makes records durable carries it, once.
TEST(PartitionLog, ANewPartitionsDirectoryIsSyncedWithItsFirstFlush) {
    TempDir dir;
    PartitionLog eager(dir.path() + "/t-0", LogConfig{}, 0);
    EXPECT_FALSE(eager.directory_sync_pending());
    EXPECT_TRUE(eager.begin_flush().directories.empty());

    PartitionLog log(dir.path() + "/t-1", LogConfig{}, 0, false, DirectorySync::with_first_flush);
    EXPECT_TRUE(log.directory_sync_pending());
    append(log, make_batch_of(2));
    FlushJob first = log.begin_flush();
    EXPECT_EQ(first.directories, std::vector<std::string>{dir.path() + "/t-1"});
    log.flush_done(first.up_to_offset, 0);
    append(log, make_batch_of(1));
    EXPECT_TRUE(log.begin_flush().directories.empty());  // once is enough
    EXPECT_FALSE(log.directory_sync_pending());

    // A roll fsyncs the directory anyway (the new segment's name): nothing is left pending.
    LogConfig small;
    small.segment_bytes = 1;
    PartitionLog rolled(dir.path() + "/t-2", small, 0, false, DirectorySync::with_first_flush);
    append(rolled, make_batch_of(1));
    append(rolled, make_batch_of(1));
    EXPECT_GT(rolled.segments().size(), 1u);
    EXPECT_FALSE(rolled.directory_sync_pending());
}

// CreateTopics in steps: the topic appears only with its last partition, its name is taken
// meanwhile, and partitions are made from the highest down - so a broker stopped halfway comes
// back with the topic whole (the start fills the gaps below the highest directory).
TEST(LogManager, ATopicBuiltInStepsAppearsWholeEvenAfterAStopHalfway) {
    TempDir dir;
    {
        LogManager logs(dir.path(), LogConfig{});
        logs.load(0);
        ASSERT_EQ(logs.begin_topic("wide", 5, {}, false).error, ErrorCode::None);
        EXPECT_EQ(logs.begin_topic("wide", 3, {}, false).error, ErrorCode::TopicAlreadyExists);
        LogManager::Progress step = logs.build_topic("wide", 2, 0);
        EXPECT_EQ(step.made, 2);
        EXPECT_FALSE(step.finished);
        EXPECT_EQ(logs.find("wide"), nullptr);
        EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/wide-4"));
        EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/wide-3"));
        EXPECT_FALSE(std::filesystem::exists(dir.path() + "/wide-0"));

        ASSERT_EQ(logs.begin_topic("done", 3, {}, false).error, ErrorCode::None);
        step = logs.build_topic("done", 100, 0);
        EXPECT_EQ(step.made, 3);
        EXPECT_TRUE(step.finished);
        EXPECT_EQ(step.result.error, ErrorCode::None);
        ASSERT_NE(logs.find("done"), nullptr);
        EXPECT_EQ(logs.find("done")->partitions.size(), 3u);
    }  // the broker stops with "wide" half made
    LogManager logs(dir.path(), LogConfig{});
    logs.load(0);
    ASSERT_NE(logs.find("wide"), nullptr);
    EXPECT_EQ(logs.find("wide")->partitions.size(), 5u);
    for (const auto& partition : logs.find("wide")->partitions) EXPECT_NE(partition, nullptr);
}

// CreatePartitions in steps: the new partitions appear together with the last one, from the
// highest down (a stop halfway comes back with all of them), and a deletion meanwhile takes the
// ones already made with it.
TEST(LogManager, PartitionsAddedInStepsAppearTogetherAndGoWithADeletion) {
    TempDir dir;
    {
        LogManager logs(dir.path(), LogConfig{});
        logs.load(0);
        ASSERT_EQ(logs.create_topic("grow", 2, {}, false, 0).error, ErrorCode::None);
        ASSERT_EQ(logs.begin_partitions("grow", 6, false).error, ErrorCode::None);
        EXPECT_EQ(logs.begin_partitions("grow", 7, false).error, ErrorCode::InvalidPartitions);
        LogManager::Progress step = logs.build_partitions("grow", 2, 0);
        EXPECT_EQ(step.made, 2);
        EXPECT_FALSE(step.finished);
        EXPECT_EQ(logs.find("grow")->partitions.size(), 2u);
        EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/grow-5"));
        EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/grow-4"));
        EXPECT_FALSE(std::filesystem::exists(dir.path() + "/grow-3"));

        ASSERT_EQ(logs.create_topic("gone", 1, {}, false, 0).error, ErrorCode::None);
        ASSERT_EQ(logs.begin_partitions("gone", 4, false).error, ErrorCode::None);
        EXPECT_EQ(logs.build_partitions("gone", 1, 0).made, 1);
        std::vector<std::string> removed;
        ASSERT_EQ(logs.delete_topic("gone", removed).error, ErrorCode::None);
        EXPECT_FALSE(std::filesystem::exists(dir.path() + "/gone-3"));
        step = logs.build_partitions("gone", 10, 0);
        EXPECT_TRUE(step.finished);
        EXPECT_EQ(step.result.error, ErrorCode::UnknownTopicOrPartition);
    }  // the broker stops with "grow" half grown
    LogManager logs(dir.path(), LogConfig{});
    logs.load(0);
    ASSERT_NE(logs.find("grow"), nullptr);
    EXPECT_EQ(logs.find("grow")->partitions.size(), 6u);
    EXPECT_EQ(logs.find("gone"), nullptr);
}

TEST(LogManager, TopicsAreDirectoriesAndSurviveARestart) {
    TempDir dir;
    {
        LogManager logs(dir.path(), LogConfig{});
        logs.load(0);
        EXPECT_EQ(logs.create_topic("orders", 3, {{"retention.ms", "1000"}}, false, 0).error, ErrorCode::None);
        EXPECT_EQ(logs.create_topic("orders", 1, {}, false, 0).error, ErrorCode::TopicAlreadyExists);
        EXPECT_EQ(logs.create_topic("bad/name", 1, {}, false, 0).error, ErrorCode::InvalidTopicException);
        EXPECT_EQ(logs.create_topic("x", 1, {{"retention.ms", "soon"}}, false, 0).error, ErrorCode::InvalidConfig);
        EXPECT_EQ(logs.create_partitions("orders", 2, false, 0).error, ErrorCode::InvalidPartitions);
        EXPECT_EQ(logs.create_partitions("orders", 4, false, 0).error, ErrorCode::None);
        std::string batch = make_batch_of(1);
        append(*logs.partition("orders", 3), batch);
    }
    EXPECT_TRUE(fs::is_directory(dir.path() + "/orders-3"));
    LogManager logs(dir.path(), LogConfig{});
    logs.load(0);
    ASSERT_TRUE(logs.find("orders"));
    EXPECT_EQ(logs.find("orders")->partitions.size(), 4u);
    EXPECT_EQ(logs.find("orders")->config.retention_ms, 1000);
    EXPECT_EQ(logs.partition("orders", 3)->log_end_offset(), 1);
    std::vector<std::string> removed;
    EXPECT_EQ(logs.delete_topic("orders", removed).error, ErrorCode::None);
    EXPECT_EQ(removed.size(), 4u);
    EXPECT_FALSE(logs.find("orders"));
    EXPECT_FALSE(fs::exists(dir.path() + "/orders-0"));
}

TEST(LogManager, AnUnchangedTopicConfigIsNotRewritten) {
    // Each rewrite is a write + fsync on the broker's thread: a client pipelining the same
    // AlterConfigs hundreds of times stalled everyone for seconds (found by the network fuzzer).
    TempDir dir;
    LogManager logs(dir.path(), LogConfig{});
    logs.load(0);
    ASSERT_EQ(logs.create_topic("t", 1, {}, false, 0).error, ErrorCode::None);
    ASSERT_EQ(logs.set_topic_config("t", {{"retention.ms", "1000"}}, false).error, ErrorCode::None);
    std::string file = dir.path() + "/topic-configs/t";
    ASSERT_TRUE(fs::exists(file));
    fs::remove(file);  // if the same request rewrote it, it would be back
    ASSERT_EQ(logs.set_topic_config("t", {{"retention.ms", "1000"}}, false).error, ErrorCode::None);
    EXPECT_FALSE(fs::exists(file));
    ASSERT_EQ(logs.set_topic_config("t", {{"retention.ms", "2000"}}, false).error, ErrorCode::None);
    EXPECT_TRUE(fs::exists(file));  // a change is written
    EXPECT_EQ(logs.find("t")->config.retention_ms, 2000);
}

TEST(OffsetStore, ReplaysTheLastCommitPerPartitionAndDropsATornTail) {
    TempDir dir;
    std::string path = dir.path() + "/consumer-offsets.log";
    {
        OffsetStore store(path);
        store.load([](OffsetRecord&&) {});
        store.append({"g", "t", 0, {5, -1, "m", 1}});
        store.append({"g", "t", 0, {9, -1, "", 2}});
        store.append({"g", "t", 1, {3, -1, "", 3}});
    }
    { std::ofstream(path, std::ios::app | std::ios::binary) << std::string("\x00\x00\x00\x40partial", 11); }
    GroupCoordinator groups(GroupConfig{});
    OffsetStore store(path);
    int64_t cut = store.load([&](OffsetRecord&& r) { groups.set_offset(r.group, r.topic, r.partition, r.value); });
    EXPECT_EQ(cut, 11);
    ASSERT_TRUE(groups.offset("g", "t", 0));
    EXPECT_EQ(groups.offset("g", "t", 0)->offset, 9);
    EXPECT_EQ(groups.offset("g", "t", 1)->offset, 3);
    EXPECT_FALSE(groups.offset("g", "t", 2));
}

TEST(OffsetStore, DeletedTopicsTakeTheirOffsetsWithThem) {
    TempDir dir;
    std::string path = dir.path() + "/consumer-offsets.log";
    GroupCoordinator groups(GroupConfig{});
    {
        OffsetStore store(path);
        store.load([](OffsetRecord&&) {});
        for (const char* group : {"g1", "g2"}) {
            OffsetRecord record{group, "gone", 0, {10, -1, "", 1}};
            store.append(record);
            groups.set_offset(record.group, record.topic, record.partition, record.value);
        }
        groups.set_offset("g1", "kept", 0, {5, -1, "", 1});
        store.append({"g1", "kept", 0, {5, -1, "", 1}});
        auto removed = groups.forget_topic("gone");
        EXPECT_EQ(removed.size(), 2u);
        for (auto& [group, partition] : removed) store.append({group, "gone", partition, {-1, -1, "", 2}});
    }
    EXPECT_FALSE(groups.offset("g1", "gone", 0));
    EXPECT_EQ(groups.committed_offset_count(), 1u);
    GroupCoordinator replayed(GroupConfig{});
    OffsetStore store(path);
    store.load([&](OffsetRecord&& r) {
        if (r.value.offset < 0)
            replayed.forget_partition(r.group, r.topic, r.partition);
        else
            replayed.set_offset(r.group, r.topic, r.partition, r.value);
    });
    EXPECT_FALSE(replayed.offset("g2", "gone", 0));
    ASSERT_TRUE(replayed.offset("g1", "kept", 0));
    EXPECT_EQ(replayed.offset("g1", "kept", 0)->offset, 5);
}

}  // namespace
}  // namespace minikafka
