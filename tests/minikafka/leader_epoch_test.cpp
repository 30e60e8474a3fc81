// Leader epochs in the partition log: the leader-epoch-checkpoint file (Kafka's text format,
// torn and garbled copies rebuilt from the log), end_offset_for as Kafka answers
// OffsetsForLeaderEpoch, epochs stamped into stored batches, and truncate_to - the cut a
// follower makes where its log diverged - across segments and across a restart.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "batch_builder.hpp"
#include "big_endian.hpp"
#include "storage/leader_epoch_cache.hpp"
#include "storage/partition_log.hpp"
#include "temp_dir.hpp"

namespace minikafka {
namespace {

namespace fs = std::filesystem;
using test::make_batch_of;

using test::TempDir;

void write(const std::string& path, std::string_view text) { std::ofstream(path, std::ios::binary) << text; }

RecordBatchHeader header_of(std::string_view batch) {
    RecordBatchHeader h;
    EXPECT_EQ(validate_batch(batch, h), BatchCheck::ok);
    return h;
}

// A follower's append: the batch as the leader stamped it with `epoch`.
int64_t append_in_epoch(PartitionLog& log, int32_t epoch, int records = 1) {
    std::string batch = make_batch_of(records);
    set_partition_leader_epoch(batch.data(), epoch);
    return log.append_as_follower(batch, header_of(batch), 1000).base_offset;
}

// The epoch field of the batch stored at `offset`, read back from the segment file.
int32_t stored_epoch(const PartitionLog& log, int64_t offset) {
    auto slice = log.read(offset, 1);
    EXPECT_TRUE(slice.has_value());
    char bytes[16];
    EXPECT_EQ(slice->file->read_at(slice->position, bytes, sizeof bytes), sizeof bytes);
    return mb::load_big_endian<int32_t>(bytes + 12);
}

using Entries = std::vector<EpochEntry>;

TEST(EpochCheckpoint, IsKafkasTextFormat) {
    Entries entries{{0, 0}, {3, 100}, {7, 250}};
    std::string text = format_epoch_checkpoint(entries);
    EXPECT_EQ(text, "0\n3\n0 0\n3 100\n7 250\n");
    std::string problem;
    EXPECT_EQ(parse_epoch_checkpoint(text, problem), entries);
    EXPECT_EQ(parse_epoch_checkpoint("0\n0\n", problem), Entries{});
}

TEST(EpochCheckpoint, RejectsTornAndGarbledFiles) {
    for (std::string_view bad : {
             "",                      // empty (created, never written)
             "0\n2\n0 0\n3 1",        // torn: the last line has no newline
             "0\n3\n0 0\n3 100\n",    // a line missing
             "1\n1\n0 0\n",           // a version we do not know
             "0\n1\nzero 0\n",        // not numbers
             "0\n2\n3 100\n1 200\n",  // epochs going back
             "0\n2\n1 200\n3 100\n",  // offsets going back
             "0\n1\n-1 0\n",          // no epoch
             "0\n1\n0 0 extra\n",     // trailing garbage
         }) {
        std::string problem;
        EXPECT_FALSE(parse_epoch_checkpoint(bad, problem)) << "accepted: " << bad;
        EXPECT_FALSE(problem.empty());
    }
}

TEST(LeaderEpochCache, EndOffsetForAsKafkaAnswers) {
    LeaderEpochCache cache("");
    cache.set_entries({{2, 100}, {5, 250}, {6, 300}});
    const int64_t leo = 400;
    EXPECT_EQ(cache.end_offset_for(2, leo), (EpochEnd{2, 250}));
    EXPECT_EQ(cache.end_offset_for(3, leo), (EpochEnd{2, 250}));  // no epoch 3: the floor is 2
    EXPECT_EQ(cache.end_offset_for(4, leo), (EpochEnd{2, 250}));
    EXPECT_EQ(cache.end_offset_for(5, leo), (EpochEnd{5, 300}));
    EXPECT_EQ(cache.end_offset_for(6, leo), (EpochEnd{6, leo}));  // the current epoch: the log end
    EXPECT_EQ(cache.end_offset_for(7, leo), EpochEnd{});          // newer than anything here
    EXPECT_EQ(cache.end_offset_for(-1, leo), EpochEnd{});
    // Older than every entry: the start of the first known epoch (what came before is deleted).
    EXPECT_EQ(cache.end_offset_for(1, leo), (EpochEnd{1, 100}));
    LeaderEpochCache empty("");
    EXPECT_EQ(empty.end_offset_for(0, leo), EpochEnd{});
}

TEST(LeaderEpochCache, EpochAtIsTheEntryCoveringTheOffset) {
    LeaderEpochCache cache("");
    EXPECT_EQ(cache.epoch_at(0), std::nullopt);
    cache.set_entries({{2, 100}, {5, 250}, {6, 300}});
    EXPECT_EQ(cache.epoch_at(99), std::nullopt);  // older than every entry
    EXPECT_EQ(cache.epoch_at(100), 2);
    EXPECT_EQ(cache.epoch_at(249), 2);
    EXPECT_EQ(cache.epoch_at(250), 5);
    EXPECT_EQ(cache.epoch_at(1000), 6);
}

TEST(LeaderEpochCache, AssignKeepsOneEntryPerEpochAndWritesOnlyOnChange) {
    TempDir dir;
    LeaderEpochCache cache(dir.path());
    EXPECT_FALSE(cache.assign(-1, 0));  // a batch without an epoch
    EXPECT_TRUE(cache.assign(0, 0));
    EXPECT_FALSE(cache.assign(0, 10));  // more of the same epoch
    EXPECT_TRUE(cache.assign(2, 20));
    EXPECT_FALSE(cache.assign(1, 30));  // an older epoch after a newer one: ignored
    EXPECT_EQ(cache.entries(), (Entries{{0, 0}, {2, 20}}));
    EXPECT_EQ(test::read_file(cache.path()), "0\n2\n0 0\n2 20\n");
    // An entry that contradicts a new one came from a cut part of the log.
    EXPECT_TRUE(cache.assign(3, 15));
    EXPECT_EQ(cache.entries(), (Entries{{0, 0}, {3, 15}}));
    LeaderEpochCache reread(dir.path());
    EXPECT_EQ(reread.load(), LeaderEpochCache::Load::ok);
    EXPECT_EQ(reread.entries(), cache.entries());
}

TEST(LeaderEpochCache, TruncatesFromEndAndStart) {
    TempDir dir;
    LeaderEpochCache cache(dir.path());
    cache.set_entries({{1, 0}, {2, 100}, {4, 200}});
    cache.truncate_from_end(200);  // the log was cut at 200: epoch 4 never started here
    EXPECT_EQ(cache.entries(), (Entries{{1, 0}, {2, 100}}));
    cache.truncate_from_start(150);  // retention: the log now starts at 150, inside epoch 2
    EXPECT_EQ(cache.entries(), (Entries{{2, 150}}));
    EXPECT_EQ(test::read_file(cache.path()), "0\n1\n2 150\n");
}

TEST(PartitionLogEpochs, LeaderAppendsAreStampedAndCheckpointed) {
    TempDir dir;
    PartitionLog log(dir.path(), LogConfig{}, 0);
    EXPECT_EQ(log.leader_epoch(), 0);
    EXPECT_FALSE(fs::exists(dir.path() + "/leader-epoch-checkpoint"));  // written at the first append
    log.append(make_batch_of(2), header_of(make_batch_of(2)), 1000);    // producers send -1: stored as 0
    EXPECT_EQ(stored_epoch(log, 0), 0);
    log.become_leader(4);  // the epoch starts at the log end at once
    EXPECT_EQ(log.leader_epochs().entries(), (Entries{{0, 0}, {4, 2}}));
    log.append(make_batch_of(3), header_of(make_batch_of(3)), 1000);
    EXPECT_EQ(stored_epoch(log, 2), 4);
    EXPECT_EQ(log.end_offset_for_epoch(0), (EpochEnd{0, 2}));
    EXPECT_EQ(log.end_offset_for_epoch(4), (EpochEnd{4, 5}));
    EXPECT_EQ(test::read_file(dir.path() + "/leader-epoch-checkpoint"), "0\n2\n0 0\n4 2\n");
}

TEST(PartitionLogEpochs, FollowerAppendsKeepTheLeadersEpoch) {
    TempDir dir;
    PartitionLog log(dir.path(), LogConfig{}, 0);
    append_in_epoch(log, 3, 2);
    append_in_epoch(log, 3);
    append_in_epoch(log, 7);
    EXPECT_EQ(stored_epoch(log, 3), 7);
    EXPECT_EQ(log.leader_epochs().entries(), (Entries{{3, 0}, {7, 3}}));
}

// Fills a log with epochs 1 (offsets 0-9), 2 (10-19) and 5 (20-29), one record per batch.
void fill_three_epochs(PartitionLog& log) {
    for (int epoch : {1, 2, 5})
        for (int i = 0; i < 10; ++i) append_in_epoch(log, epoch);
}

TEST(PartitionLogEpochs, CheckpointRebuiltFromTheLogWhenMissingTornOrWrong) {
    TempDir dir;
    Entries expected{{1, 0}, {2, 10}, {5, 20}};
    std::string checkpoint = dir.path() + "/leader-epoch-checkpoint";
    {
        PartitionLog log(dir.path(), LogConfig{}, 0);
        fill_three_epochs(log);
        EXPECT_EQ(log.leader_epochs().entries(), expected);
    }
    const std::string good = test::read_file(checkpoint);
    for (std::string_view damaged :
         {"", "0\n3\n1 0\n2 10\n5 2", "garbage\n", "0\n2\n1 0\n2 10\n", "0\n4\n1 0\n2 10\n5 20\n9 30\n"}) {
        if (damaged.empty())
            fs::remove(checkpoint);  // missing
        else
            write(checkpoint, damaged);                // torn, garbled, behind the log, ahead of the log
        PartitionLog log(dir.path(), LogConfig{}, 0);  // a crash: the last segment is read again
        EXPECT_EQ(log.leader_epochs().entries(), expected) << "from: " << damaged;
        EXPECT_EQ(test::read_file(checkpoint), good) << "from: " << damaged;
        EXPECT_EQ(log.leader_epoch(), 5);  // a restarted log stamps with the latest epoch it knows
    }
    // After a clean shutdown a good checkpoint is trusted as it is; a missing one is still rebuilt.
    fs::remove(checkpoint);
    PartitionLog clean(dir.path(), LogConfig{}, 0, true);
    EXPECT_EQ(clean.leader_epochs().entries(), expected);
}

TEST(PartitionLogTruncate, CutsAcrossSegmentsAndTheEpochsFollow) {
    TempDir dir;
    LogConfig config;
    config.segment_bytes = 300;  // a few batches per segment
    config.index_interval_bytes = 1;
    int64_t segments_before = 0;
    {
        PartitionLog log(dir.path(), config, 0);
        fill_three_epochs(log);
        segments_before = static_cast<int64_t>(log.segments().size());
        ASSERT_GE(segments_before, 4);
        // Offset 12 is in the middle of the log: epoch 2's third batch.
        EXPECT_EQ(log.truncate_to(12), 12);
        EXPECT_EQ(log.log_end_offset(), 12);
        EXPECT_LT(static_cast<int64_t>(log.segments().size()), segments_before);
        EXPECT_EQ(log.leader_epochs().entries(), (Entries{{1, 0}, {2, 10}}));
        EXPECT_EQ(log.end_offset_for_epoch(2), (EpochEnd{2, 12}));
        EXPECT_FALSE(log.read(12, 1000).has_value());  // nothing at the new end
        for (int64_t offset = 0; offset < 12; ++offset) ASSERT_TRUE(log.read(offset, 1).has_value()) << offset;
        // The new leader's records continue at the cut.
        EXPECT_EQ(append_in_epoch(log, 6), 12);
        EXPECT_EQ(stored_epoch(log, 12), 6);
    }
    // No file of a deleted segment is left, and a restart sees the same log.
    int64_t log_files = 0;
    for (const auto& entry : fs::directory_iterator(dir.path())) log_files += entry.path().extension() == ".log";
    PartitionLog reopened(dir.path(), config, 0);
    EXPECT_EQ(log_files, static_cast<int64_t>(reopened.segments().size()));
    EXPECT_EQ(reopened.log_end_offset(), 13);
    EXPECT_EQ(reopened.leader_epochs().entries(), (Entries{{1, 0}, {2, 10}, {6, 12}}));
    for (int64_t offset = 0; offset < 13; ++offset) {
        auto slice = reopened.read(offset, 1);
        ASSERT_TRUE(slice.has_value());
        RecordBatchHeader h;
        std::string bytes(slice->size, '\0');
        slice->file->read_at(slice->position, bytes.data(), bytes.size());
        ASSERT_EQ(validate_batch(bytes, h), BatchCheck::ok);
        EXPECT_EQ(h.base_offset, offset);  // the index leads to the right batch
    }
}

TEST(PartitionLogTruncate, CutsAtBatchBoundariesAndAtSegmentStarts) {
    TempDir dir;
    LogConfig config;
    config.segment_bytes = 1;  // one batch per segment
    PartitionLog log(dir.path(), config, 0);
    append_in_epoch(log, 0, 5);  // offsets 0-4, one batch
    append_in_epoch(log, 1, 5);  // offsets 5-9
    append_in_epoch(log, 2, 5);  // offsets 10-14
    // Offset 7 is inside the batch 5-9: the whole batch goes, the log ends at 5.
    EXPECT_EQ(log.truncate_to(7), 5);
    EXPECT_EQ(log.leader_epochs().entries(), (Entries{{0, 0}}));
    EXPECT_EQ(log.truncate_to(5), 5);   // at the end: nothing to do
    EXPECT_EQ(log.truncate_to(99), 5);  // past the end: nothing to do
    EXPECT_EQ(log.truncate_to(0), 0);
    EXPECT_EQ(log.log_start_offset(), 0);
    EXPECT_TRUE(log.leader_epochs().entries().empty());
    EXPECT_EQ(test::read_file(dir.path() + "/leader-epoch-checkpoint"), "0\n0\n");
}

TEST(PartitionLogTruncate, BelowTheLogStartEmptiesTheLog) {
    TempDir dir;
    PartitionLog log(dir.path(), LogConfig{}, 0);
    append_in_epoch(log, 1, 3);
    log.truncate_fully(100);
    EXPECT_EQ(log.log_start_offset(), 100);
    EXPECT_EQ(log.log_end_offset(), 100);
    EXPECT_TRUE(log.leader_epochs().entries().empty());
    EXPECT_EQ(append_in_epoch(log, 2), 100);
    PartitionLog reopened(dir.path(), LogConfig{}, 0);
    EXPECT_EQ(reopened.log_start_offset(), 100);
    EXPECT_EQ(reopened.log_end_offset(), 101);
    EXPECT_EQ(reopened.leader_epochs().entries(), (Entries{{2, 100}}));
}

TEST(PartitionLogEpochs, RetentionMovesTheFirstEpochUp) {
    TempDir dir;
    LogConfig config;
    config.segment_bytes = 1;  // one batch per segment
    config.retention_bytes = 1;
    PartitionLog log(dir.path(), config, 0);
    append_in_epoch(log, 1, 2);  // 0-1
    append_in_epoch(log, 2, 2);  // 2-3
    append_in_epoch(log, 2, 2);  // 4-5
    log.enforce_retention(1000);
    EXPECT_EQ(log.log_start_offset(), 4);
    EXPECT_EQ(log.leader_epochs().entries(), (Entries{{2, 4}}));
}

// The leader's side of a follower's Fetch v12+: KIP-101's two scenarios, answered without an
// extra OffsetsForLeaderEpoch round trip.
TEST(PartitionLogEpochs, FetchWithALastFetchedEpochFindsWhereTheFollowerDiverged) {
    TempDir dir;
    PartitionLog leader(dir.path(), LogConfig{}, 0);
    fill_three_epochs(leader);  // epochs 1 (0-9), 2 (10-19), 5 (20-29)
    using Check = PartitionLog::FetchEpochCheck;
    // A follower in step: its last record (offset 14) is from epoch 2, which runs to 19 here.
    EXPECT_EQ(leader.check_last_fetched_epoch(2, 15).result, Check::agrees);
    EXPECT_EQ(leader.check_last_fetched_epoch(5, 30).result, Check::agrees);
    EXPECT_EQ(leader.check_last_fetched_epoch(-1, 0).result, Check::agrees);  // an empty follower
    // The follower wrote offsets 20-24 as leader of epoch 3, which this log never had: it must
    // cut back to where epoch 2 ended here (20), whatever its high watermark said.
    Check diverged = leader.check_last_fetched_epoch(3, 25);
    EXPECT_EQ(diverged.result, Check::diverges);
    EXPECT_EQ(diverged.diverging, (EpochEnd{2, 20}));
    // The follower has more of epoch 2 than the leader kept (22 > 20): same cut.
    diverged = leader.check_last_fetched_epoch(2, 23);
    EXPECT_EQ(diverged.result, Check::diverges);
    EXPECT_EQ(diverged.diverging, (EpochEnd{2, 20}));
    // An epoch newer than any here: the leader cannot say.
    EXPECT_EQ(leader.check_last_fetched_epoch(9, 30).result, Check::out_of_range);
}

// The follower's side of OffsetsForLeaderEpoch: it asks about its latest epoch and cuts where
// the answer says (PartitionLog::divergence_from), round after round until settled - what the
// replica fetcher does before it fetches from a new leader (core/replica_fetcher.cpp).
int64_t truncate_against(PartitionLog& follower, const PartitionLog& leader, int& rounds) {
    rounds = 0;
    for (;;) {
        ++rounds;
        auto latest = follower.leader_epochs().latest_epoch();
        if (!latest) return follower.log_end_offset();
        PartitionLog::DivergencePoint cut = follower.divergence_from(leader.end_offset_for_epoch(*latest));
        EXPECT_NE(cut.truncate_to, kUndefinedEpochOffset);
        follower.truncate_to(cut.truncate_to);
        if (cut.settled) return follower.log_end_offset();
    }
}

// KIP-101's first scenario: the follower holds a record the leader acknowledged but whose high
// watermark it never learnt. The old rule (cut to the HW, or to the start of the last epoch after
// a restart) removed it; the epoch rule keeps every record the leader holds in the same epoch.
TEST(FollowerTruncation, KeepsWhatTheLeaderHasInTheSameEpoch) {
    TempDir leader_dir, follower_dir;
    PartitionLog leader(leader_dir.path(), LogConfig{}, 0);
    PartitionLog follower(follower_dir.path(), LogConfig{}, 0);
    for (PartitionLog* log : {&leader, &follower}) {
        append_in_epoch(*log, 0, 2);  // 0-1: m0, m1 - the follower's HW may still say 1
        append_in_epoch(*log, 3, 2);  // 2-3: a later epoch, also on both
    }
    append_in_epoch(leader, 3, 2);  // 4-5: only on the leader (the follower fetches them next)
    leader.become_leader(4);        // a new epoch starts at the leader's log end
    int rounds = 0;
    EXPECT_EQ(truncate_against(follower, leader, rounds), 4);  // nothing cut
    EXPECT_EQ(rounds, 1);
    EXPECT_EQ(follower.leader_epochs().entries(), (Entries{{0, 0}, {3, 2}}));
}

// The second scenario, and Raft's picture from docs/minikafka/05: the follower led epochs the
// leader never saw, and holds more of an old epoch than the leader kept. Its divergent tail goes,
// one epoch per round (KIP-279), and after refetching both logs say the same about every offset.
TEST(FollowerTruncation, CutsOnlyWhereTheLogsDivergeOneEpochPerRound) {
    TempDir leader_dir, follower_dir;
    PartitionLog leader(leader_dir.path(), LogConfig{}, 0);
    PartitionLog follower(follower_dir.path(), LogConfig{}, 0);
    for (int epoch : {1, 1, 2, 2, 2, 4}) append_in_epoch(leader, epoch);  // leader:   1 1 2 2 2 4
    for (int epoch : {1, 1, 1, 3, 3}) append_in_epoch(follower, epoch);   // follower: 1 1 1 3 3
    // Round 1: "where does epoch 3 end?" - the leader has 2 <= 3, ending at 5; the follower has no
    // epoch 2, so it cuts its epoch 3 (to 3) and asks again. Round 2: epoch 1 ends at 2 there.
    int rounds = 0;
    EXPECT_EQ(truncate_against(follower, leader, rounds), 2);
    EXPECT_EQ(rounds, 2);
    for (int64_t offset = 2; offset < leader.log_end_offset(); ++offset)
        append_in_epoch(follower, stored_epoch(leader, offset));
    for (int64_t offset = 0; offset < leader.log_end_offset(); ++offset)
        EXPECT_EQ(stored_epoch(follower, offset), stored_epoch(leader, offset)) << offset;
    EXPECT_EQ(follower.leader_epochs().entries(), leader.leader_epochs().entries());
}

TEST(FollowerTruncation, WithoutACommonEpochTheCallerFallsBack) {
    TempDir dir;
    PartitionLog follower(dir.path(), LogConfig{}, 0);
    append_in_epoch(follower, 2, 3);
    EXPECT_EQ(follower.divergence_from(EpochEnd{}).truncate_to, kUndefinedEpochOffset);  // to its HW
    // The leader's first epoch (after retention) is 1, older than any of ours: all of ours differ.
    EXPECT_EQ(follower.divergence_from(EpochEnd{1, 0}).truncate_to, 0);
}

}  // namespace
}  // namespace minikafka
