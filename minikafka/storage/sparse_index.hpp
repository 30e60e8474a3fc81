// minikafka/storage/sparse_index.hpp
//
// CONCEPT: the sparse indexes next to each segment, so that a fetch at any offset (or a
// ListOffsets at any time) finds its place in the .log file by binary search instead of
// reading the log from the start.
//
//   .index      every index.interval.bytes of log, one entry:
//               relativeOffset INT32 | position INT32     (8 bytes, big-endian)
//               "the batch whose last offset is baseOffset+relativeOffset starts at byte position"
//   .timeindex  at the same moments, when the time moved forward:
//               timestamp INT64 | relativeOffset INT32     (12 bytes)
//               "records up to here have timestamps <= timestamp"
//
// Sparse: only one entry per ~4 KB of log, so the whole index of a 1 GB segment is ~2 MB and
// stays in memory; a lookup lands at most index.interval.bytes before the wanted batch, and the
// segment scans forward from there. Offsets are stored relative to the segment's base offset,
// which is why 4 bytes suffice. Entries only ever grow, in both fields, so the binary search
// works on either.
// An index is derived data: everything in it can be recomputed from the .log. So an index that
// does not fit its log (entries out of order, past the end of the file, or not pointing at the
// start of the batch they name) is not corruption to stop for: as Kafka does, the segment logs
// a warning naming the file and entry and rebuilds the index from the log (segment.cpp).
// When the files are written: the entries live in a vector, and the file is brought up to date
// only when the segment is sealed (rolled) and at a clean shutdown (write_pending), then closed
// again. The active segment's index on disk may lag its log - that is safe because a start after
// a crash reads the active segment in full and rebuilds its indexes anyway (partition_log.cpp,
// the recovery point). So a partition holds one file descriptor (its active .log), not three:
// 10,000 partitions fit a 20,000-descriptor limit, and an append writes one file, not three.
// REAL KAFKA: the same entry layouts; it preallocates the files and memory-maps them (a mapping
// needs no open descriptor either), flushing the active segment's index at roll and shutdown.
// READ NEXT: sparse_index.cpp, segment.cpp (find: the lookup, then the scan forward).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "file.hpp"

namespace minikafka {

struct OffsetPosition {
    int64_t offset;     // absolute offset (the last offset of the batch at `position`)
    uint32_t position;  // byte position of the batch in the .log file
    bool operator==(const OffsetPosition&) const = default;
};

struct TimestampOffset {
    int64_t timestamp;
    int64_t offset;
    bool operator==(const TimestampOffset&) const = default;
};

class OffsetIndex {
public:
    OffsetIndex(std::string path, int64_t base_offset) : path_(std::move(path)), base_offset_(base_offset) {}

    // Loads the file; returns "" or, when it is not a plausible index for a log of `log_size`
    // bytes, what is wrong with it ("entry 3 (...) is past the end of the log") - the index is
    // then empty in memory, the file untouched, and the caller rebuilds it by scanning the log.
    std::string load(int64_t log_size);
    void append(int64_t offset, uint32_t position);     // in memory (see write_pending)
    void replace(std::vector<OffsetPosition> entries);  // a rebuild: the file gets exactly these
    void clear();                                       // empties the file too
    // Writes the entries appended since the last write to the file; returns the open file (for
    // an fsync), which closes when the caller lets go of it - or nullptr if nothing was pending.
    std::shared_ptr<File> write_pending();

    // The last entry whose offset is <= `offset` (nullopt: start at position 0).
    std::optional<OffsetPosition> floor(int64_t offset) const;
    const std::vector<OffsetPosition>& entries() const { return entries_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int64_t base_offset_;
    std::vector<OffsetPosition> entries_;
    size_t written_ = 0;  // entries_[0, written_) are in the file
};

class TimeIndex {
public:
    TimeIndex(std::string path, int64_t base_offset) : path_(std::move(path)), base_offset_(base_offset) {}

    std::string load(int64_t next_offset);           // as OffsetIndex::load
    void append(int64_t timestamp, int64_t offset);  // ignored unless the time moved forward
    void replace(std::vector<TimestampOffset> entries);
    void clear();
    std::shared_ptr<File> write_pending();  // as OffsetIndex::write_pending

    // The last entry whose timestamp is < `timestamp`: every record before its offset is older
    // than `timestamp`, so a search for the first record at or after it may start there.
    std::optional<TimestampOffset> floor_before(int64_t timestamp) const;
    int64_t last_timestamp() const { return entries_.empty() ? -1 : entries_.back().timestamp; }
    const std::vector<TimestampOffset>& entries() const { return entries_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int64_t base_offset_;
    std::vector<TimestampOffset> entries_;
    size_t written_ = 0;
};

}  // namespace minikafka
