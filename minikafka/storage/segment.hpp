// minikafka/storage/segment.hpp
//
// CONCEPT: a partition's log is a list of segments; a segment is three files named by the
// offset of its first record, zero-padded to 20 digits so that `ls` sorts them:
//   00000000000000000000.log        record batches, exactly as produced (baseOffset rewritten),
//                                   appended one after the other and never edited in place
//   00000000000000000000.index      sparse offset -> byte position     (sparse_index.hpp)
//   00000000000000000000.timeindex  sparse timestamp -> offset
// Appends go to the newest ("active") segment; old segments are only read, and retention
// deletes them whole. Finding an offset: the index gives a position at most
// index.interval.bytes before the batch, then the batch headers are read forward from there.
// Opening a segment checks it (see Segment::open): a torn tail is cut, corruption stops the
// start (corruption.hpp), and an index that does not match its log is rebuilt.
// READ NEXT: partition_log.hpp - which segment holds an offset, rolling, retention, flushing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "corruption.hpp"
#include "file.hpp"
#include "model/record_batch.hpp"
#include "sparse_index.hpp"

namespace minikafka {

// "00000000000000001234" - the file name stem of the segment starting at offset 1234.
std::string segment_file_stem(int64_t base_offset);

struct BatchLocation {
    int64_t position;     // where the batch starts in the .log file
    uint32_t size;        // the whole batch, offset and length fields included
    int64_t base_offset;  // its first offset
};

// How much of a segment is read when it is opened (PartitionLog decides, from the recovery point).
enum class SegmentCheck {
    // Below the recovery point: fsynced and checked at an earlier start, so only what is cheap -
    // the index's sanity, the first batch, and every batch after the index's last entry (which
    // the open reads anyway to learn where the log ends). Anything odd falls back to `full`.
    sanity,
    // Every batch: length, magic, CRC32C, and offsets that continue from the segment's base.
    // The indexes are rebuilt from what was read.
    full,
};

struct SegmentOpenOptions {
    SegmentCheck check = SegmentCheck::full;
    // A later segment holds batches: bad bytes here are followed by valid data, so they cannot be
    // a torn tail, whatever this file holds after them.
    bool data_follows = false;
    // `--repair`: cut at the first damage, torn or not, after keeping a backup of the file.
    bool repair = false;
    // With SegmentCheck::sanity: where the next segment starts, so this one ends just before it.
    // Then nothing of the segment is read at the start: its indexes are loaded (and given the
    // sanity check) when a fetch, a timestamp lookup or retention first needs them - Kafka's
    // lazy index. A start after a clean shutdown then costs one open per segment, not four reads.
    std::optional<int64_t> next_segment_base;
    // The log cleaner's checkpoint (log_cleaner.hpp): offsets below it may be missing - whole
    // batches removed, and batches holding fewer records than their offset range. Above it the
    // offsets must run on without a hole, which is what catches a flipped bit in a baseOffset.
    int64_t compacted_until = 0;
};

// What an open found and did.
struct SegmentOpenReport {
    std::optional<Damage> damage;  // the first bad batch (cut off: a torn tail, or a repair)
    int64_t truncated_bytes = 0;
    int64_t records_cut = 0;  // records in intact batches after the cut (counted for a repair)
    std::string backup;       // a repair's copy of the file before the cut
};

// Records in the intact batches of a .log file from byte `from` on, resynchronising past bad
// bytes: what a repair cuts off.
int64_t count_intact_records(const File& file, int64_t from, int64_t end);

// The last offset of the last whole batch in a .log file, -1 if it holds none: the range a
// cleaned segment found waiting to be swapped in at a start covers (partition_log.cpp).
int64_t last_offset_in(const File& file);

class Segment {
public:
    // A new, empty segment (its files are created). `sync_dir` = false leaves the directory
    // fsync that makes the new name durable to the caller (a new partition's first flush, see
    // PartitionLog::DirectorySync): an empty segment lost in a crash costs nothing.
    static std::unique_ptr<Segment> create(const std::string& dir, int64_t base_offset, int64_t index_interval_bytes,
                                           bool sync_dir = true);

    // An existing segment, checked as `options` say. A torn tail is truncated (and reported);
    // corruption throws CorruptFileError before anything is written - unless repairing, which
    // keeps a backup and cuts there. An index that does not match the log is rebuilt (a warning).
    static std::unique_ptr<Segment> open(const std::string& dir, int64_t base_offset, int64_t index_interval_bytes,
                                         const SegmentOpenOptions& options, SegmentOpenReport& report);

    int64_t base_offset() const { return base_offset_; }
    int64_t next_offset() const { return next_offset_; }  // one past its last offset
    int64_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    int64_t max_timestamp() const { return load_indexes(), max_timestamp_; }  // -1 while empty
    const std::shared_ptr<File>& log_file() const { return log_; }
    const OffsetIndex& offset_index() const { return load_indexes(), index_; }
    const TimeIndex& time_index() const { return load_indexes(), time_index_; }

    // Appends one validated batch. `head` is its first 8 bytes (the rewritten baseOffset) and
    // `tail` the rest, written together with one pwritev.
    void append(std::string_view head, std::string_view tail, const RecordBatchHeader& header);
    // The segment stops being the active one: give back the blocks reserved past its end, and
    // write its indexes' new entries to their files (see sparse_index.hpp: until now they were
    // only in memory), so that the rolled segment is complete on disk when it is synced.
    void seal();
    // The active segment's index files brought up to date (a clean shutdown), open for an fsync
    // (nullptr for one that had nothing new).
    std::pair<std::shared_ptr<File>, std::shared_ptr<File>> write_pending_indexes() {
        return {index_.write_pending(), time_index_.write_pending()};
    }

    // The first batch whose last offset is >= `offset` (nullopt: none in this segment).
    std::optional<BatchLocation> find(int64_t offset) const;

    // The first offset whose record timestamp is >= `timestamp`, or -1 if there is none here;
    // `found_timestamp` (if given) gets that record's timestamp.
    int64_t find_offset_for_timestamp(int64_t timestamp, int64_t* found_timestamp = nullptr) const;

    // The cleaner's checkpoint moved (see SegmentOpenOptions::compacted_until).
    void set_compacted_until(int64_t offset) { compacted_until_ = offset; }

    // Calls `visit` with each batch's header, in log order (headers only, no CRC check): how
    // the leader epochs are read back from the log (leader_epoch_cache.hpp).
    void for_each_batch(const std::function<void(const RecordBatchHeader&)>& visit) const;

    // Paths of the three files (for deletion).
    std::string log_path() const { return stem_ + ".log"; }
    std::string index_path() const { return stem_ + ".index"; }
    std::string time_index_path() const { return stem_ + ".timeindex"; }

private:
    Segment(const std::string& dir, int64_t base_offset, int64_t index_interval_bytes);
    struct Scan;
    // The cheap check of SegmentCheck::sanity; false when a full scan is needed.
    bool open_trusting_index();
    // A segment opened lazily (next_segment_base) reads its indexes on first use: the sanity
    // check then, or - if that fails - a scan of the log that rebuilds them. Const because a
    // lookup is: the indexes are a cache of what the log says.
    void load_indexes() const;
    void load_indexes_now();
    // The full check: reads every batch, rebuilds the indexes; returns the first damage.
    Scan scan_everything() const;
    void add_to_indexes(const RecordBatchHeader& header, int64_t position, size_t size);
    // Where a lookup starts reading: the index entry's position if it checks out, else 0.
    int64_t start_position(std::optional<OffsetPosition> entry) const;

    std::string stem_;  // dir/00000000000000001234
    int64_t base_offset_;
    int64_t index_interval_bytes_;
    std::shared_ptr<File> log_;
    OffsetIndex index_;
    TimeIndex time_index_;
    int64_t size_ = 0;
    int64_t reserved_ = 0;  // disk blocks allocated ahead of size_ (see append)
    int64_t next_offset_;
    int64_t max_timestamp_ = -1;
    int64_t bytes_since_index_entry_ = 0;
    int64_t compacted_until_ = 0;                 // SegmentOpenOptions::compacted_until
    mutable bool index_mismatch_logged_ = false;  // find() met an entry that does not match (once)
    bool indexes_loaded_ = true;                  // false while a lazily opened segment is untouched
};

}  // namespace minikafka
