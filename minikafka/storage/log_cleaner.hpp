// minikafka/storage/log_cleaner.hpp
//
// CONCEPT: log compaction (cleanup.policy=compact). Retention forgets records by age or size;
// compaction forgets a record only once a newer record with the same key exists. What is left is
// "the latest value of every key", and offsets never change - a compacted log simply has holes.
// That is how Kafka keeps __consumer_offsets (group, topic, partition -> offset) small forever
// while a group that commits once a year keeps its offset: the topic is a table, stored as a log.
//
//   sealed segments (cleanable)                            │ active segment (never touched)
//   offset 0    1    2    3    4    5     6    7           │ 8    9
//   key    a=1  b=1  a=2  c=1  b=2  a=⌀   c=2  d=1         │ a=3  d=2
//                                    (⌀: a tombstone, null value = "delete key a")
//   1. map   key -> offset of its latest record in the cleaned range:  a:5  b:4  c:6  d:7
//   2. copy  each record whose offset is its key's latest; a tombstone only while it is younger
//            than delete.retention.ms (consumers reading from the start must get to see it)
//   offset             4          5     6    7           │ 8    9
//   key                b=2        a=⌀   c=2  d=1         │ a=3  d=2
//
// Kafka's cleaner, made small:
// - Dirty ratio: the bytes above the cleaner's checkpoint (never cleaned) over all the cleanable
//   bytes. A partition is cleaned once it reaches min.cleanable.dirty.ratio (0.5: half the log
//   may be garbage), so each cleaning rewrites at most about twice what it frees.
// - Batches keep their base offset, lastOffsetDelta, producer id/epoch and base sequence; only the
//   records inside change, the batch is rebuilt around the survivors and its CRC32C recomputed.
//   The producer's last sequence number (baseSequence + lastOffsetDelta) is thus still in the log,
//   which is what rebuilding idempotent producer state reads (model/producer_state.hpp).
//   A batch nothing survives of is dropped whole - unless it is one of an idempotent producer's
//   recent batches, which stays as it is (Kafka keeps a producer's last batch, empty, likewise).
// - Consecutive small segments are merged into one cleaned segment of at most segment.bytes, named
//   after the first, written to "<base>.log.cleaned", fsynced, then swapped in atomically
//   (PartitionLog::replace_with_cleaned; a kill -9 at any moment leaves either the old segments or
//   the new one - a start finishes or forgets the swap).
// - In slices: step() reads at most CleanerLimits::slice_bytes and returns, so the broker's thread
//   runs it from its tick between requests - a huge topic takes longer to clean, never stalls
//   anyone. The fsync of the cleaned file goes to the background worker (core/broker.cpp).
// - Memory is bounded: the key map stops growing at max_map_bytes (Kafka's dedupe buffer) at a
//   segment's end; the segments after it wait for the next cleaning.
// LEFT OUT (kept as they are, never lost): compressed batches (we would have to decompress and
// recompress them), control batches, records without a key; min/max.compaction.lag.ms; Kafka's
// per-batch "delete horizon" (KIP-534) - here a tombstone's age is its record timestamp's.
// READ NEXT: log_cleaner.cpp, partition_log_compaction.cpp (replace_with_cleaned, the checkpoint),
//            docs/minikafka/02-formats.md "Log compaction".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "file.hpp"
#include "partition_log.hpp"
#include "sparse_index.hpp"

namespace minikafka {

struct CleanerLimits {
    int64_t slice_bytes = 1 << 20;     // log read per step(): about a millisecond of work
    int64_t max_map_bytes = 64 << 20;  // the key map (log.cleaner.dedupe.buffer.size, Kafka: 128 MB)
};

// What the cleaner did so far (the admin page and the tests read it).
struct CleanerStats {
    int64_t cleanings = 0;           // partition cleanings finished
    int64_t segments_replaced = 0;   // old segments swapped out
    int64_t bytes_read = 0;          // by both passes
    int64_t bytes_written = 0;       // cleaned segments
    int64_t records_removed = 0;     // superseded by a newer record with the same key
    int64_t tombstones_removed = 0;  // older than delete.retention.ms
    int64_t aborted = 0;             // the log changed underneath (retention, truncation, deletion)
};

class LogCleaner {
public:
    explicit LogCleaner(CleanerLimits limits = {});
    ~LogCleaner();
    LogCleaner(const LogCleaner&) = delete;
    LogCleaner& operator=(const LogCleaner&) = delete;

    // Never-cleaned bytes / cleanable bytes (0 when nothing is cleanable): what
    // min.cleanable.dirty.ratio is compared with. `max_offset`: see cleanable_segments - the high
    // watermark (the log end on a single node).
    static double dirty_ratio(const PartitionLog& log, int64_t max_offset);

    bool busy() const { return job_ != nullptr; }
    // Starts cleaning `log` (below `max_offset`) if its cleanup.policy compacts and its dirty
    // ratio has reached its min.cleanable.dirty.ratio (and no other cleaning runs). True if it did.
    bool start(const std::shared_ptr<PartitionLog>& log, int64_t max_offset);

    enum class Step {
        idle,              // no cleaning in progress
        working,           // call again (next tick)
        sync_needed,       // fsync files_to_sync(), then call synced()
        waiting_for_sync,  // the fsync has not been reported yet
        finished,          // the partition is clean; the old segments' files are in removed_files()
        aborted,           // the log changed underneath: nothing was swapped in this step
    };
    // One slice of work: reads at most slice_bytes of log, or swaps one cleaned segment in.
    Step step(int64_t now_ms);
    std::vector<std::shared_ptr<File>> files_to_sync() const;
    // `files` (what files_to_sync() gave) are on disk. A report about the files of a cleaning that
    // was abandoned meanwhile is ignored: only these very files may be swapped in.
    void synced(const std::vector<std::shared_ptr<File>>& files);
    // Files renamed *.deleted by the swaps so far, for the caller to unlink (and forget).
    std::vector<std::string> take_removed_files();

    const CleanerStats& stats() const { return stats_; }

private:
    struct Job;
    bool log_unchanged() const;
    void abort();
    int64_t read_next_batches(int64_t budget);  // 0: the job was aborted
    void map_slice();
    void plan_groups();
    void clean_slice(int64_t now_ms);
    void finish_group_output();
    Step swap_group();

    CleanerLimits limits_;
    CleanerStats stats_;
    std::unique_ptr<Job> job_;
    std::vector<std::string> removed_;
};

}  // namespace minikafka
