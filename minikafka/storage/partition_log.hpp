// minikafka/storage/partition_log.hpp
//
// CONCEPT: a partition is an ordered, append-only log of record batches; every record gets the
// next offset, and the order of offsets is the order consumers read. Ordering is promised only
// within one partition - that is what lets partitions live on different disks and brokers.
//
//   partition dir  payments-2/
//     00000000000000000000.log  .index  .timeindex     oldest segment (read only)
//     00000000000000004096.log  .index  .timeindex     active segment: appends go here
//
//   log start offset = first segment's base offset (moves up when retention deletes segments)
//   log end offset   = the offset the next record will get (the "high watermark" here: with a
//                      single replica every appended record is as replicated as it will get)
//
// What this class decides:
//   which segment holds an offset   binary search on the segments' base offsets, then the
//                                   segment's own sparse index (cost independent of log size)
//   when to roll a new segment      segment.bytes / segment.ms
//   what retention deletes          whole segments past retention.bytes / retention.ms
//   when data must be fsynced       flush.messages / flush.ms; the fsync itself runs on the
//                                   background worker, and callers wait with when_flushed()
// READ NEXT: log_manager.hpp (topics = named groups of partitions), handlers/produce.cpp.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "log_config.hpp"
#include "model/producer_state.hpp"
#include "segment.hpp"

namespace minikafka {

// Bytes of one segment file that a fetch sends (with sendfile) - never copied into memory.
struct LogSlice {
    std::shared_ptr<const File> file;
    int64_t position = 0;
    uint32_t size = 0;
};

// What an fsync must cover, handed to the background worker.
struct FlushJob {
    std::vector<std::shared_ptr<File>> files;
    // Files already closed, synced by path: a rolled segment's indexes close at the roll, so that
    // a burst of rolls does not hold three descriptors each until the worker gets to them (an
    // fsync through a new descriptor flushes what the old one wrote).
    std::vector<std::string> closed_files;
    int64_t up_to_offset = 0;  // every offset below this is durable once the files are synced
};

class PartitionLog {
public:
    // Opens the segments found in `dir` (creating the directory and a first segment if there
    // are none) and recovers the last segment. Throws if the directory cannot be used.
    PartitionLog(std::string dir, LogConfig config, int64_t now_ms);

    const std::string& dir() const { return dir_; }
    const LogConfig& config() const { return config_; }
    void set_config(const LogConfig& config) { config_ = config; }

    int64_t log_start_offset() const { return segments_.front()->base_offset(); }
    int64_t log_end_offset() const { return segments_.back()->next_offset(); }
    int64_t size_bytes() const;
    const std::vector<std::unique_ptr<Segment>>& segments() const { return segments_; }
    int64_t recovered_truncated_bytes() const { return recovered_truncated_bytes_; }

    struct Appended {
        int64_t base_offset;
        int64_t position;  // byte position in the segment file
        const Segment* segment;
    };
    // Appends one validated batch as the next offsets. `batch` is the producer's bytes; the
    // new baseOffset travels separately (see Segment::append), so `batch` is not modified.
    // With `log_append_time` >= 0 the batch is stamped with that time (LogAppendTime topics).
    Appended append(std::string_view batch, const RecordBatchHeader& header, int64_t now_ms);

    // The stored batches from the one that contains `offset`, at most `max_bytes` of them, but
    // always the whole first batch (a consumer must be able to make progress past a batch larger
    // than its limit). The slice may end in the middle of a batch, as Kafka's does; clients drop
    // a partial batch at the end. nullopt when `offset` is the log end (nothing to read yet).
    // The caller checks the offset against [log start, log end] first.
    std::optional<LogSlice> read(int64_t offset, int64_t max_bytes) const;

    // ListOffsets by time: the first offset whose timestamp is >= `timestamp`, -1 if none.
    int64_t offset_for_timestamp(int64_t timestamp) const;

    // Drops the oldest segments beyond retention (the active one too once all of it has expired:
    // a new empty segment takes its place). Returns the deleted segments' file paths for the
    // background worker to unlink.
    std::vector<std::string> enforce_retention(int64_t now_ms);

    // Durability (see log_config.hpp, flush.messages / flush.ms).
    bool flush_due(int64_t now_ms) const;
    // True from the moment a flush is queued until it has finished.
    bool flush_in_progress() const { return flush_in_progress_; }
    void mark_flush_queued() { flush_in_progress_ = true; }
    FlushJob begin_flush();
    void flush_done(int64_t up_to_offset, int64_t now_ms);  // a FlushJob's files are synced
    int64_t flushed_offset() const { return flushed_offset_; }
    // Runs `callback` once every offset below `offset` is durable (at once if already so).
    void when_flushed(int64_t offset, std::function<void()> callback);
    // Files of segments rolled since the last call: Kafka flushes a segment when it is rolled,
    // whatever the flush policy, so a closed segment is on disk.
    FlushJob take_rolled();

    // Idempotent producers' recent sequence numbers for this partition (model/producer_state.hpp).
    ProducerStateTable producers;

    // Every open file: each segment's .log and the active segment's indexes (the final flush;
    // a rolled segment's indexes are rebuilt at start if they look wrong).
    std::vector<std::shared_ptr<File>> all_files() const;

private:
    void roll(int64_t now_ms);

    std::string dir_;
    LogConfig config_;
    std::vector<std::unique_ptr<Segment>> segments_;  // ascending base offsets; back() is active
    int64_t active_since_ms_ = 0;                     // first append to the active segment
    int64_t recovered_truncated_bytes_ = 0;
    std::vector<std::shared_ptr<File>> rolled_files_;  // their .log files
    std::vector<std::string> rolled_index_paths_;      // and their (closed) index files

    int64_t flushed_offset_ = 0;
    int64_t unflushed_messages_ = 0;
    int64_t last_flush_ms_ = 0;
    bool flush_in_progress_ = false;
    std::deque<std::pair<int64_t, std::function<void()>>> flush_waiters_;  // ascending offsets
};

}  // namespace minikafka
