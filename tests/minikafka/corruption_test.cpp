// Damaged files on disk: a torn tail is cut by itself, corruption (bad bytes with valid data
// after them) stops the start naming the file and the byte and leaves the file as it was, an
// index that does not fit its log is rebuilt, and --repair cuts explicitly after a backup.
// Every case flips or cuts real bytes of files the storage classes wrote.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "batch_builder.hpp"
#include "storage/log_manager.hpp"
#include "storage/offset_store.hpp"
#include "storage/partition_log.hpp"
#include "temp_dir.hpp"

namespace minikafka {
namespace {

namespace fs = std::filesystem;
using test::make_batch_of;

using test::TempDir;

using test::read_file;

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

void flip_byte(const std::string& path, size_t position) {
    std::string bytes = read_file(path);
    ASSERT_LT(position, bytes.size());
    bytes[position] = static_cast<char>(bytes[position] ^ 0x5a);
    write_file(path, bytes);
}

void append_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::app) << bytes;
}

int64_t append(PartitionLog& log, const std::string& batch) {
    RecordBatchHeader header;
    EXPECT_EQ(validate_batch(batch, header), BatchCheck::ok);
    return log.append(batch, header, 1000).base_offset;
}

// A partition of ten 5-record batches (offsets 0..49) in one segment, and its batch size.
class OneSegment : public ::testing::Test {
protected:
    void SetUp() override {
        PartitionLog log(path, LogConfig{}, 0);
        for (int i = 0; i < 10; ++i) append(log, batch);
    }
    // Opening must be refused with a message naming `log_file` and `position`, the file untouched.
    void expect_refused(size_t position, const std::string& what) {
        std::string before = read_file(log_file);
        try {
            PartitionLog log(path, LogConfig{}, 0);
            FAIL() << "opened a corrupt log, log end " << log.log_end_offset();
        } catch (const CorruptFileError& e) {
            EXPECT_EQ(e.damage().file, log_file);
            EXPECT_EQ(e.damage().position, static_cast<int64_t>(position));
            EXPECT_NE(e.damage().what.find(what), std::string::npos) << e.damage().what;
            std::string message = e.what();
            EXPECT_NE(message.find(log_file + ": corrupt at byte " + std::to_string(position) + ": "),
                      std::string::npos)
                << message;
            EXPECT_NE(message.find("refusing to start"), std::string::npos) << message;
            EXPECT_NE(message.find("--repair"), std::string::npos) << message;
        }
        EXPECT_EQ(read_file(log_file), before);  // the evidence stays
    }

    TempDir dir;
    std::string path = dir.path() + "/t-0";
    std::string log_file = path + "/00000000000000000000.log";
    std::string index_file = path + "/00000000000000000000.index";
    std::string batch = make_batch_of(5, "payload-payload-payload");
    size_t size = batch.size();
};

TEST_F(OneSegment, AFlipUnderTheCrcInTheMiddleRefusesToStart) {
    flip_byte(log_file, 3 * size + 70);  // in batch 3's records
    expect_refused(3 * size, "CRC mismatch (batch at offset 15)");
}

TEST_F(OneSegment, AFlipInTheLengthInTheMiddleRefusesToStart) {
    flip_byte(log_file, 3 * size + 8);  // the length's high byte: runs past the end of the file
    expect_refused(3 * size, "runs past the end of the file");
}

TEST_F(OneSegment, ALengthThatShrinksInTheMiddleRefusesToStart) {
    flip_byte(log_file, 3 * size + 11);  // the length's low byte: the CRC covers other bytes now
    expect_refused(3 * size, "(batch at offset 15)");
}

TEST_F(OneSegment, AFlipInTheBaseOffsetInTheMiddleRefusesToStart) {
    flip_byte(log_file, 3 * size + 3);  // not under the CRC: only the offsets' continuity tells
    expect_refused(3 * size, "breaks continuity: expected 15");
}

TEST_F(OneSegment, AFlipInTheLastBatchsBaseOffsetIsCorruptionNotATornTail) {
    // A complete batch with a valid CRC is nothing a crash leaves: the probe's log end of
    // 1,095,216,660,581 came from here.
    flip_byte(log_file, 9 * size + 3);
    expect_refused(9 * size, "breaks continuity: expected 45");
}

TEST_F(OneSegment, TheFirstBatchMustStartAtTheSegmentsBaseOffset) {
    flip_byte(log_file, 7);
    expect_refused(0, "breaks continuity: expected 0");
}

TEST_F(OneSegment, ATornLastBatchIsTruncatedByItself) {
    append_bytes(log_file, batch.substr(0, size / 2));
    PartitionLog log(path, LogConfig{}, 0);
    EXPECT_EQ(log.log_end_offset(), 50);
    EXPECT_EQ(log.recovered_truncated_bytes(), static_cast<int64_t>(size / 2));
    EXPECT_EQ(fs::file_size(log_file), 10 * size);
}

TEST_F(OneSegment, TrailingGarbageWithNoBatchAfterItIsATornTail) {
    append_bytes(log_file, std::string(300, '\x17'));
    PartitionLog log(path, LogConfig{}, 0);
    EXPECT_EQ(log.log_end_offset(), 50);
    EXPECT_EQ(fs::file_size(log_file), 10 * size);
}

TEST_F(OneSegment, ABadCrcInTheLastBatchIsATornTail) {
    flip_byte(log_file, 9 * size + 70);
    PartitionLog log(path, LogConfig{}, 0);
    EXPECT_EQ(log.log_end_offset(), 45);
    EXPECT_EQ(fs::file_size(log_file), 9 * size);
}

TEST_F(OneSegment, RepairKeepsABackupCutsAtTheFlipAndTheLogStartsAgain) {
    std::string original = read_file(log_file);
    flip_byte(log_file, 3 * size + 70);
    std::string damaged = read_file(log_file);
    write_file(log_file + ".corrupt", "an older backup");  // never overwritten
    std::vector<RepairAction> cuts = PartitionLog::repair(path, LogConfig{});
    ASSERT_EQ(cuts.size(), 1u);
    EXPECT_EQ(cuts[0].file, log_file);
    EXPECT_EQ(cuts[0].position, static_cast<int64_t>(3 * size));
    EXPECT_EQ(cuts[0].bytes, static_cast<int64_t>(7 * size));
    EXPECT_EQ(cuts[0].records, 30);  // batches 4..9; the damaged one cannot be counted
    EXPECT_EQ(cuts[0].backup, log_file + ".corrupt.1");
    EXPECT_EQ(read_file(log_file + ".corrupt"), "an older backup");
    EXPECT_EQ(read_file(log_file + ".corrupt.1"), damaged);

    PartitionLog log(path, LogConfig{}, 0);
    EXPECT_EQ(log.log_end_offset(), 15);
    EXPECT_EQ(read_file(log_file), original.substr(0, 3 * size));
    EXPECT_EQ(append(log, batch), 15);                             // offsets go on from the cut
    EXPECT_TRUE(PartitionLog::repair(path, LogConfig{}).empty());  // nothing left to cut
}

TEST_F(OneSegment, AnIndexEntryThatDoesNotFitTheLogIsRebuilt) {
    LogConfig config;
    config.index_interval_bytes = 1;  // an entry per batch
    {
        // Rebuilt at this spacing by the open below.
        PartitionLog log(path, config, 0);
    }
    std::string index = read_file(index_file);
    ASSERT_GE(index.size(), 8u * 5);
    flip_byte(index_file, 8 * 4 + 7);  // entry 4's position, now inside batch 4
    PartitionLog log(path, config, 0);
    EXPECT_EQ(read_file(index_file), index);
    ASSERT_TRUE(log.read(27, 1));
    EXPECT_EQ(log.read(27, 1)->position, static_cast<int64_t>(5 * size));
}

// Segments of three batches each: 0..14 | 15..29 | 30..44 | 45..49 (active).
class Segments : public ::testing::Test {
protected:
    void SetUp() override {
        config.segment_bytes = static_cast<int64_t>(3 * size + 10);
        config.index_interval_bytes = 1;
        PartitionLog log(path, config, 0);
        for (int i = 0; i < 10; ++i) append(log, batch);
        ASSERT_EQ(log.segments().size(), 4u);
    }
    std::string file(int64_t base, const char* ext = ".log") const {
        return path + "/" + segment_file_stem(base) + ext;
    }

    TempDir dir;
    std::string path = dir.path() + "/t-0";
    std::string batch = make_batch_of(5, "payload-payload-payload");
    size_t size = batch.size();
    LogConfig config;
};

TEST_F(Segments, ATornLookingEndOfASegmentWithLaterSegmentsIsCorruption) {
    flip_byte(file(15), 2 * size + 70);  // the last batch of a sealed segment
    try {
        PartitionLog log(path, config, 0);
        FAIL() << "opened";
    } catch (const CorruptFileError& e) {
        EXPECT_EQ(e.damage().file, file(15));
        EXPECT_EQ(e.damage().position, static_cast<int64_t>(2 * size));
    }
}

TEST_F(Segments, RepairCutsAndMovesTheLaterSegmentsAside) {
    flip_byte(file(15), 1 * size + 70);
    std::vector<RepairAction> cuts = PartitionLog::repair(path, config);
    ASSERT_EQ(cuts.size(), 3u);
    EXPECT_EQ(cuts[0].file, file(15));
    EXPECT_EQ(cuts[0].position, static_cast<int64_t>(size));
    EXPECT_EQ(cuts[0].records, 5);
    EXPECT_TRUE(cuts[1].moved_whole);
    EXPECT_EQ(cuts[1].file, file(30));
    EXPECT_EQ(cuts[1].records, 15);
    EXPECT_EQ(cuts[2].records, 5);
    EXPECT_TRUE(fs::exists(file(30) + ".corrupt"));
    EXPECT_FALSE(fs::exists(file(30)));
    PartitionLog log(path, config, 0);
    EXPECT_EQ(log.log_end_offset(), 20);
    EXPECT_EQ(log.segments().size(), 2u);
}

TEST_F(Segments, ASegmentWhoseNameBreaksTheOffsetsIsCorruption) {
    fs::rename(file(30), file(31));
    try {
        PartitionLog log(path, config, 0);
        FAIL() << "opened";
    } catch (const CorruptFileError& e) {
        EXPECT_EQ(e.damage().file, file(31));
        EXPECT_EQ(e.damage().position, 0);
    }
}

TEST_F(Segments, TheRecoveryPointLimitsWhatAStartReadsInFull) {
    {
        PartitionLog log(path, config, 0);  // no recovery point yet: everything is read
        EXPECT_EQ(log.fully_checked_segments(), 4u);
        // What was read may not be on disk yet: it is synced like rolled segments, and only
        // then does the recovery point move.
        FlushJob read = log.take_rolled();
        EXPECT_EQ(read.files.size(), 3u);
        EXPECT_EQ(log.recovery_point(), 0);
        log.rolled_synced(read.up_to_offset);
        EXPECT_EQ(log.recovery_point(), 45);
    }
    {
        PartitionLog log(path, config, 0);  // now only the last segment
        EXPECT_EQ(log.fully_checked_segments(), 1u);
        // Appends that roll: the recovery point moves only once the rolled segments are synced.
        for (int i = 0; i < 4; ++i) append(log, batch);
        FlushJob rolled = log.take_rolled();
        EXPECT_EQ(log.recovery_point(), 45);
        log.rolled_synced(rolled.up_to_offset);
        EXPECT_EQ(log.recovery_point(), 60);
    }
    PartitionLog after_crash(path, config, 0);
    EXPECT_EQ(after_crash.fully_checked_segments(), 1u);
    EXPECT_EQ(after_crash.log_end_offset(), 70);

    // A recovery point that does not check out means: read everything.
    flip_byte(path + "/recovery-point", 3);
    PartitionLog distrusted(path, config, 0);
    EXPECT_EQ(distrusted.fully_checked_segments(), distrusted.segments().size());
    PartitionLog clean(path, config, 0, true);
    EXPECT_EQ(clean.fully_checked_segments(), 1u);
}

TEST_F(Segments, ASealedSegmentsIndexEntryIsCheckedWhenUsed) {
    {
        PartitionLog log(path, config, 0);
        log.rolled_synced(log.take_rolled().up_to_offset);  // recovery point: the last segment
    }
    // Entry 0 of segment 15 (offset 24 at byte `size`) now points into the batch before: still
    // in order and inside the file, so only a lookup through it can tell.
    flip_byte(file(15, ".index"), 7);
    std::string index = read_file(file(15, ".index"));
    PartitionLog log(path, config, 0);
    EXPECT_EQ(log.fully_checked_segments(), 1u);
    EXPECT_EQ(read_file(file(15, ".index")), index);  // not read at the start
    auto slice = log.read(24, 1);
    ASSERT_TRUE(slice);
    EXPECT_EQ(slice->position, static_cast<int64_t>(size));
    EXPECT_EQ(slice->size, size);
}

TEST_F(Segments, SealedSegmentsBelowTheRecoveryPointAreNotReadAtTheStart) {
    int64_t max_timestamp = 0;
    {
        PartitionLog log(path, config, 0);
        log.rolled_synced(log.take_rolled().up_to_offset);  // recovery point: the last segment
        max_timestamp = log.segments()[1]->max_timestamp();
    }
    // Three stray bytes: an index that is no whole number of entries. A start that read it would
    // notice and rebuild it at once; a lazy start does not look.
    std::string index = read_file(file(15, ".index"));
    {
        std::ofstream out(file(15, ".index"), std::ios::app | std::ios::binary);
        out << "xyz";
    }
    PartitionLog log(path, config, 0, true);  // after a clean shutdown
    EXPECT_EQ(log.fully_checked_segments(), 1u);
    EXPECT_EQ(read_file(file(15, ".index")), index + "xyz");
    EXPECT_EQ(log.segments()[1]->next_offset(), 30);  // from the next segment's name
    // First use: the index is checked, found wanting and rebuilt from the log; the lookup works.
    auto slice = log.read(24, 1);
    ASSERT_TRUE(slice);
    EXPECT_EQ(slice->position, static_cast<int64_t>(size));
    EXPECT_EQ(read_file(file(15, ".index")), index);
    // Retention asks for a segment's newest timestamp: the same as a full read says.
    EXPECT_EQ(log.segments()[1]->max_timestamp(), max_timestamp);
}

TEST_F(Segments, ARolledSegmentsIndexesAreOnDiskTheActiveOnesOnlyInMemory) {
    PartitionLog log(path, config, 0);
    for (int i = 0; i < 2; ++i) append(log, batch);  // index_interval_bytes = 1: an entry per batch
    const Segment& active = *log.segments().back();
    ASSERT_FALSE(active.offset_index().entries().empty());
    EXPECT_EQ(fs::file_size(active.index_path()), 0u);  // not written yet: no descriptor held
    for (size_t i = 0; i + 1 < log.segments().size(); ++i) {
        const Segment& sealed = *log.segments()[i];
        EXPECT_EQ(fs::file_size(sealed.index_path()), sealed.offset_index().entries().size() * 8) << i;
        EXPECT_EQ(fs::file_size(sealed.time_index_path()), sealed.time_index().entries().size() * 12) << i;
    }
    size_t entries = active.offset_index().entries().size();
    log.all_files();  // what a clean shutdown syncs: the active segment's indexes catch up
    EXPECT_EQ(fs::file_size(active.index_path()), entries * 8);
}

TEST(OffsetsFile, AFlipInTheMiddleRefusesATornTailIsCut) {
    TempDir dir;
    std::string path = dir.path() + "/consumer-offsets.log";
    size_t record_size = 0;
    {
        OffsetStore store(path);
        store.load([](OffsetRecord&&) {});
        for (int i = 0; i < 5; ++i) store.append({"group", "topic", 0, {i * 10, -1, "", 1}});
        record_size = encode_offset_record({"group", "topic", 0, {0, -1, "", 1}}).size();
    }
    std::string intact = read_file(path);
    // The last record's offset field: its CRC fails and nothing follows - a torn tail.
    flip_byte(path, 4 * record_size + 20);
    {
        OffsetStore store(path);
        std::vector<int64_t> offsets;
        EXPECT_EQ(store.load([&](OffsetRecord&& r) { offsets.push_back(r.value.offset); }),
                  static_cast<int64_t>(record_size));
        EXPECT_EQ(offsets, (std::vector<int64_t>{0, 10, 20, 30}));
    }
    // The second record's CRC field, with three intact records after it: corruption.
    write_file(path, intact);
    flip_byte(path, record_size + 5);
    try {
        OffsetStore store(path);
        store.load([](OffsetRecord&&) {});
        FAIL() << "loaded";
    } catch (const CorruptFileError& e) {
        EXPECT_EQ(e.damage().file, path);
        EXPECT_EQ(e.damage().position, static_cast<int64_t>(record_size));
        EXPECT_NE(std::string(e.what()).find("corrupt at byte " + std::to_string(record_size)), std::string::npos);
    }
    EXPECT_EQ(read_file(path).size(), intact.size());
    // And its length field.
    write_file(path, intact);
    flip_byte(path, record_size + 1);
    EXPECT_THROW(OffsetStore(path).load([](OffsetRecord&&) {}), CorruptFileError);
    // Repair: keeps the records before the damage.
    auto cut = OffsetStore(path).repair();
    ASSERT_TRUE(cut);
    EXPECT_EQ(cut->position, static_cast<int64_t>(record_size));
    EXPECT_EQ(cut->records, 3);
    EXPECT_TRUE(fs::exists(path + ".corrupt"));
    std::vector<int64_t> offsets;
    OffsetStore(path).load([&](OffsetRecord&& r) { offsets.push_back(r.value.offset); });
    EXPECT_EQ(offsets, (std::vector<int64_t>{0}));
}

TEST(LogManager, ACleanShutdownMarkerIsUsedOnceAndRemoved) {
    TempDir dir;
    LogConfig config;
    config.segment_bytes = 1024;
    {
        LogManager logs(dir.path(), config);
        logs.load(0);
        ASSERT_EQ(logs.create_topic("t", 1, {}, false, 0).error, ErrorCode::None);
        for (int i = 0; i < 20; ++i) append(*logs.partition("t", 0), make_batch_of(5, "payload-payload-payload"));
        logs.mark_clean_shutdown();
    }
    EXPECT_TRUE(fs::exists(dir.path() + "/.kafka_cleanshutdown"));
    LogManager logs(dir.path(), config);
    logs.load(0);
    EXPECT_FALSE(fs::exists(dir.path() + "/.kafka_cleanshutdown"));  // a crash from now on is not clean
    EXPECT_EQ(logs.partition("t", 0)->fully_checked_segments(), 1u);
    EXPECT_GT(logs.partition("t", 0)->segments().size(), 2u);
    EXPECT_EQ(logs.partition("t", 0)->log_end_offset(), 100);
}

}  // namespace
}  // namespace minikafka
