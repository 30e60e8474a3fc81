// minikafka/storage/segment.cpp
//
// CONCEPT: one segment - the .log file plus its two sparse indexes (segment.hpp). Splitting a
// partition into segments is what makes retention cheap (delete a file) and a start quick (only
// the segments after the recovery point are read in full and checked).
//
//   00000000000000000120.log        batches, append only
//   00000000000000000120.index      offset ─▶ byte position (sparse)
//   00000000000000000120.timeindex  timestamp ─▶ offset (sparse)
//   find(offset) ─▶ index lookup ─▶ scan forward batch by batch ─▶ BatchLocation
//
// READ NEXT: sparse_index.cpp, corruption.hpp, docs/minikafka/02-formats.md.
#include "segment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "big_endian.hpp"
#include "log.hpp"

namespace minikafka {

namespace {

// Reads batch headers forward through a .log file with one pread per window instead of one per
// batch: a lookup walks at most index.interval.bytes of small batches.
class BatchCursor {
public:
    BatchCursor(const File& file, int64_t position, int64_t end) : file_(file), position_(position), end_(end) {}

    int64_t position() const { return position_; }

    // The header of the batch at the cursor; false at the end of the log or at a batch that
    // does not fit (a torn tail) - `torn` tells the two apart.
    bool header(RecordBatchHeader& out, bool& torn) {
        torn = false;
        if (position_ >= end_) return false;
        const char* p = view(kBatchHeaderSize);
        if (!p) return torn = true, false;
        out = decode_batch_header(p);
        if (out.batch_length < static_cast<int32_t>(kBatchHeaderSize - kLogOverhead) ||
            position_ + static_cast<int64_t>(out.total_size()) > end_)
            return torn = true, false;
        return true;
    }
    // The whole batch at the cursor (after header() said it fits).
    std::string_view batch(size_t size) { return {view(size), size}; }
    void advance(size_t size) { position_ += static_cast<int64_t>(size); }
    void seek(int64_t position) { position_ = position; }

    // Everything a stored batch must be, checked at the cursor: complete, a sane length, format
    // v2, its CRC32C, its counts - and, beyond what the CRC covers, that its first offset is
    // `expected` (the previous batch's last + 1) and its offsets stay within 2^31 of the
    // segment's base (the index stores them relative, in 32 bits). Returns what is wrong, or
    // nullopt; `intact` says the batch itself checked out (only its place in the log is wrong).
    // In the compacted part of the log (offsets below `compacted_until`) a batch may start past
    // `expected` - the batches between were cleaned away - and may hold fewer records than its
    // offsets (log_cleaner.hpp). Everywhere else offsets run on without a hole.
    std::optional<std::string> check(int64_t expected, int64_t segment_base, int64_t compacted_until,
                                     RecordBatchHeader& out, bool& intact) {
        intact = false;
        int64_t remaining = end_ - position_;
        if (remaining < static_cast<int64_t>(kBatchHeaderSize))
            return fmt::format("{} bytes left, too few for a batch header", remaining);
        out = decode_batch_header(view(kBatchHeaderSize));
        if (out.batch_length < static_cast<int32_t>(kBatchHeaderSize - kLogOverhead))
            return fmt::format("bad batch length {} (batch at offset {})", out.batch_length, out.base_offset);
        if (static_cast<int64_t>(out.total_size()) > remaining)
            return fmt::format("batch length {} runs past the end of the file (batch at offset {})", out.batch_length,
                               out.base_offset);
        RecordBatchHeader checked;
        const bool compacted = out.base_offset < compacted_until;
        BatchCheck result =
            validate_batch(batch(out.total_size()), checked, compacted ? OffsetGaps::allowed : OffsetGaps::refused);
        if (result == BatchCheck::bad_crc) return fmt::format("CRC mismatch (batch at offset {})", out.base_offset);
        if (result != BatchCheck::ok) return fmt::format("{} (batch at offset {})", to_string(result), out.base_offset);
        intact = true;
        const bool cleaned_gap = out.base_offset > expected && out.base_offset <= compacted_until;
        if (out.base_offset != expected && !cleaned_gap)
            return fmt::format("base offset {} breaks continuity: expected {}", out.base_offset, expected);
        if (out.last_offset() - segment_base > INT32_MAX)
            return fmt::format("offsets {}..{} are out of the range of segment {}", out.base_offset, out.last_offset(),
                               segment_base);
        return std::nullopt;
    }

    // Whether an intact batch (length, magic, CRC, counts - its offset aside) starts at the cursor.
    bool intact_batch_here(RecordBatchHeader& out) {
        const char* p = view(kBatchHeaderSize);
        if (!p || static_cast<int8_t>(p[16]) != kMagicV2) return false;  // the cheap filter first
        out = decode_batch_header(p);
        if (out.batch_length < static_cast<int32_t>(kBatchHeaderSize - kLogOverhead) ||
            position_ + static_cast<int64_t>(out.total_size()) > end_)
            return false;
        // Gaps allowed: any batch that checks out counts as "valid data after the damage", a
        // cleaned one too - finding more corruption is the safe side of this question.
        RecordBatchHeader checked;
        return validate_batch(batch(out.total_size()), checked, OffsetGaps::allowed) == BatchCheck::ok;
    }

    // Moves to the next position, at or after the cursor, where an intact batch starts: the
    // question "is anything valid after the damage?" that tells corruption from a torn tail.
    // False (at the end) when there is none. Byte by byte, but one read per window.
    bool find_intact_batch(RecordBatchHeader& out) {
        for (; position_ + static_cast<int64_t>(kBatchHeaderSize) <= end_; ++position_)
            if (intact_batch_here(out)) return true;
        position_ = end_;
        return false;
    }

private:
    const char* view(size_t n) {
        if (position_ + static_cast<int64_t>(n) > end_) return nullptr;
        if (position_ < window_start_ ||
            position_ + static_cast<int64_t>(n) > window_start_ + static_cast<int64_t>(window_.size())) {
            size_t want = std::max(n, kWindow);
            want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(want), end_ - position_));
            window_.resize(want);
            window_.resize(file_.read_at(position_, window_.data(), want));
            window_start_ = position_;
            if (window_.size() < n) return nullptr;
        }
        return window_.data() + (position_ - window_start_);
    }

    static constexpr size_t kWindow = 16 * 1024;
    const File& file_;
    int64_t position_;
    int64_t end_;
    std::vector<char> window_;
    int64_t window_start_ = -1;
};

}  // namespace

// Twenty digits, zero-padded, Kafka's own naming: the name alone says where a segment starts,
// `ls` sorts segments in offset order, and a start can list a partition without opening a file.
std::string segment_file_stem(int64_t base_offset) { return fmt::format("{:020d}", base_offset); }

Segment::Segment(const std::string& dir, int64_t base_offset, int64_t index_interval_bytes)
    : stem_(dir + "/" + segment_file_stem(base_offset)),
      base_offset_(base_offset),
      index_interval_bytes_(index_interval_bytes),
      index_(stem_ + ".index", base_offset),
      time_index_(stem_ + ".timeindex", base_offset),
      next_offset_(base_offset) {}

std::unique_ptr<Segment> Segment::create(const std::string& dir, int64_t base_offset, int64_t index_interval_bytes,
                                         bool sync_dir) {
    std::unique_ptr<Segment> segment(new Segment(dir, base_offset, index_interval_bytes));
    segment->log_ = std::make_shared<File>(File::open(segment->log_path(), true));
    segment->log_->truncate(0);
    segment->index_.clear();
    segment->time_index_.clear();
    // A new file's name is durable only once its directory is fsynced: without this, a power cut
    // could drop the whole segment - fdatasync'd, acknowledged records and all.
    if (sync_dir) sync_directory(dir);
    return segment;
}

// What scan_everything() found.
struct Segment::Scan {
    int64_t next_offset = 0;
    int64_t max_timestamp = -1;
    std::vector<OffsetPosition> index;  // the indexes as the log says they should be
    std::vector<TimestampOffset> time_index;
    int64_t bytes_since_index_entry = 0;
    std::optional<Damage> damage;       // the first bad batch, if any
    bool damaged_batch_intact = false;  // only its offsets are wrong: not something a crash writes
    bool data_after_damage = false;     // an intact batch follows the damage in this file
    std::string index_problem;          // the first index entry that does not match the log
};

int64_t last_offset_in(const File& file) {
    BatchCursor cursor(file, 0, file.size());
    RecordBatchHeader header;
    bool torn = false;
    int64_t last = -1;
    while (cursor.header(header, torn)) {
        last = header.last_offset();
        cursor.advance(header.total_size());
    }
    return last;
}

// Records in the intact batches from `from` on: what a repair cuts, besides the damaged batch.
int64_t count_intact_records(const File& file, int64_t from, int64_t end) {
    BatchCursor cursor(file, from, end);
    RecordBatchHeader header;
    int64_t records = 0;
    while (cursor.find_intact_batch(header)) {
        records += header.record_count;
        cursor.advance(header.total_size());
    }
    return records;
}

std::unique_ptr<Segment> Segment::open(const std::string& dir, int64_t base_offset, int64_t index_interval_bytes,
                                       const SegmentOpenOptions& options, SegmentOpenReport& report) {
    report = {};
    std::unique_ptr<Segment> segment(new Segment(dir, base_offset, index_interval_bytes));
    segment->log_ = std::make_shared<File>(File::open(segment->log_path(), true));
    segment->size_ = segment->log_->size();
    segment->compacted_until_ = options.compacted_until;
    if (options.check == SegmentCheck::sanity && !options.repair && options.next_segment_base &&
        *options.next_segment_base > base_offset && segment->size_ > 0) {
        // Below the recovery point, with the next segment's name saying where this one ends:
        // trust the earlier start that checked it and read nothing now (see load_indexes).
        segment->next_offset_ = *options.next_segment_base;
        segment->indexes_loaded_ = false;
        return segment;
    }
    if (options.check == SegmentCheck::sanity && !options.repair && segment->open_trusting_index()) return segment;

    // The full check. Nothing is written until the whole file has been read: a start that is
    // refused leaves the segment's files exactly as they were.
    std::string index_problem = segment->index_.load(segment->size_);
    Scan scan = segment->scan_everything();
    if (!index_problem.empty()) scan.index_problem = index_problem;
    if (scan.damage) {
        Damage& damage = *scan.damage;
        // Torn only if it could be the end of an interrupted append: the batch itself is bad
        // (an intact batch in the wrong place is no crash's doing) and nothing valid follows.
        damage.torn_tail = !scan.damaged_batch_intact && !scan.data_after_damage && !options.data_follows;
        if (!damage.torn_tail && !options.repair) throw CorruptFileError(damage);
        if (options.repair) {
            report.backup = keep_backup(segment->log_path());
            report.records_cut = count_intact_records(*segment->log_, damage.position, segment->size_);
        }
        report.truncated_bytes = segment->size_ - damage.position;
        segment->size_ = damage.position;
        segment->log_->truncate(segment->size_);
        report.damage = damage;
    }
    if (!scan.index_problem.empty())
        mb::log::warn("{}: {}; rebuilding the index from the log", segment->index_path(), scan.index_problem);
    segment->next_offset_ = scan.next_offset;
    segment->max_timestamp_ = scan.max_timestamp;
    segment->bytes_since_index_entry_ = scan.bytes_since_index_entry;
    // Rewritten only when they differ: a start that reads many segments in full (after a crash,
    // or without a recovery point) should not rewrite thousands of index files that were right.
    if (!scan.index_problem.empty() || scan.index != segment->index_.entries())
        segment->index_.replace(std::move(scan.index));
    if (!segment->time_index_.load(INT64_MAX).empty() || scan.time_index != segment->time_index_.entries())
        segment->time_index_.replace(std::move(scan.time_index));
    return segment;
}

// The fast start, for a segment before the one holding the recovery point (after a clean
// shutdown: every segment but the last): believe the index, and read only what it cannot vouch
// for - the first batch and the tail after its last entry.
// Any doubt returns false, and the caller falls back to scan_everything().
bool Segment::open_trusting_index() {
    if (!index_.load(size_).empty()) return false;  // the full check says what is wrong
    // The first batch must start at the offset in the file's name.
    BatchCursor cursor(*log_, 0, size_);
    RecordBatchHeader header;
    bool intact = false;
    if (size_ > 0 && cursor.check(base_offset_, base_offset_, compacted_until_, header, intact)) return false;
    // From the last index entry to the end, as an append would have left it: the entry names
    // the batch that starts there, and every batch after it checks out and continues the last.
    const auto& entries = index_.entries();
    int64_t from = entries.empty() ? 0 : entries.back().position;
    int64_t expected = base_offset_;
    cursor.seek(from);
    if (!entries.empty()) {
        bool torn = false;
        if (!cursor.header(header, torn) || header.last_offset() != entries.back().offset) return false;
        expected = header.base_offset;
    }
    int64_t max_timestamp = -1;
    while (cursor.position() < size_) {
        if (cursor.check(expected, base_offset_, compacted_until_, header, intact)) return false;
        expected = header.last_offset() + 1;
        max_timestamp = std::max(max_timestamp, header.max_timestamp);
        cursor.advance(header.total_size());
    }
    if (!time_index_.load(expected).empty()) return false;
    next_offset_ = expected;
    max_timestamp_ = std::max(time_index_.last_timestamp(), max_timestamp);
    bytes_since_index_entry_ = size_ - from;
    return true;
}

// Reads every batch from the start (see BatchCursor::check for what is checked), building the
// indexes as appends would have (add_to_indexes) and comparing them with the loaded ones. Stops at
// the first bad batch and looks for any intact batch after it.
Segment::Scan Segment::scan_everything() const {
    Scan scan;
    scan.next_offset = base_offset_;
    const std::vector<OffsetPosition>& loaded = index_.entries();
    size_t entry = 0;  // the next loaded entry to compare
    auto mismatch = [&](size_t number, const char* why) {
        if (scan.index_problem.empty())
            scan.index_problem = fmt::format("entry {} (offset {} at byte {}) {}", number, loaded[number].offset,
                                             loaded[number].position, why);
    };
    BatchCursor cursor(*log_, 0, size_);
    RecordBatchHeader header;
    bool intact = false;
    while (cursor.position() < size_) {
        int64_t position = cursor.position();
        if (auto problem = cursor.check(scan.next_offset, base_offset_, compacted_until_, header, intact)) {
            scan.damage = Damage{log_path(), position, *problem, false};
            scan.damaged_batch_intact = intact;
            cursor.seek(position + 1);
            RecordBatchHeader ignored;
            scan.data_after_damage = cursor.find_intact_batch(ignored);
            break;
        }
        // Every loaded entry up to here must sit exactly on a batch and name its last offset.
        for (; entry < loaded.size() && loaded[entry].position <= position; ++entry) {
            if (loaded[entry].position != position)
                mismatch(entry, "does not point at the start of a batch");
            else if (loaded[entry].offset != header.last_offset())
                mismatch(entry, "names another offset than the batch there");
        }
        // As add_to_indexes does while appending.
        if (scan.bytes_since_index_entry > index_interval_bytes_) {
            scan.index.push_back({header.last_offset(), static_cast<uint32_t>(position)});
            int64_t time = std::max(scan.max_timestamp, header.max_timestamp);
            if (scan.time_index.empty() || time > scan.time_index.back().timestamp)
                scan.time_index.push_back({time, header.last_offset()});
            scan.bytes_since_index_entry = 0;
        }
        scan.bytes_since_index_entry += static_cast<int64_t>(header.total_size());
        scan.next_offset = header.last_offset() + 1;
        scan.max_timestamp = std::max(scan.max_timestamp, header.max_timestamp);
        cursor.advance(header.total_size());
    }
    if (entry < loaded.size() && !scan.damage) mismatch(entry, "is past the log's last batch");
    return scan;
}

void Segment::add_to_indexes(const RecordBatchHeader& header, int64_t position, size_t size) {
    // As Kafka: an entry once more than index.interval.bytes were appended since the last one,
    // pointing at the start of this batch and naming its last offset.
    if (bytes_since_index_entry_ > index_interval_bytes_) {
        index_.append(header.last_offset(), static_cast<uint32_t>(position));
        time_index_.append(std::max(max_timestamp_, header.max_timestamp), header.last_offset());
        bytes_since_index_entry_ = 0;
    }
    bytes_since_index_entry_ += static_cast<int64_t>(size);
}

void Segment::append(std::string_view head, std::string_view tail, const RecordBatchHeader& header) {
    size_t size = head.size() + tail.size();
    // The log's disk blocks are allocated a step ahead of the writes, as Kafka's
    // log.preallocate does for whole segments: appending into blocks the filesystem already
    // holds skips ext4's per-4 KB delayed-allocation bookkeeping, about a quarter of the
    // kernel's time per appended byte on this machine (3.7 against 2.7 GB/s into the page cache).
    // The step grows with the segment (64 KB up to 8 MB): a big log gets the full benefit, while
    // a partition that holds a few records - thousands of auto-created topics, say - does not
    // reserve 8 MB of disk each.
    if (size_ + static_cast<int64_t>(size) > reserved_) {
        int64_t step = std::clamp<int64_t>(size_, 64 << 10, 8 << 20);
        int64_t from = std::max(reserved_, size_);  // only the new step: the rest is allocated
        reserved_ = (size_ + static_cast<int64_t>(size) + step - 1) / step * step;
        log_->reserve(from, reserved_);
    }
    log_->write_at(size_, head, tail);
    add_to_indexes(header, size_, size);
    size_ += static_cast<int64_t>(size);
    next_offset_ = header.last_offset() + 1;
    max_timestamp_ = std::max(max_timestamp_, header.max_timestamp);
}

void Segment::seal() {
    if (reserved_ > size_) log_->truncate(size_);  // frees the blocks past the end
    reserved_ = size_;
    // The indexes' files catch up with their entries (and close again): the rolled segment is
    // synced from here on and must then be complete on disk, indexes included.
    index_.write_pending();
    time_index_.write_pending();
}

void Segment::load_indexes() const {
    if (!indexes_loaded_) const_cast<Segment*>(this)->load_indexes_now();
}

void Segment::load_indexes_now() {
    indexes_loaded_ = true;
    int64_t expected_end = next_offset_;
    // A cleaned segment may end before the next one starts: its last records were cleaned away.
    bool checks_out = open_trusting_index();
    bool cleaned_tail = next_offset_ < expected_end && expected_end <= compacted_until_;
    if (!checks_out || (next_offset_ != expected_end && !cleaned_tail)) {
        // The files disagree with what the start assumed. The start has long finished, so there is
        // no refusing it now: rebuild the indexes from the log and say loudly what was found.
        Scan scan = scan_everything();
        mb::log::warn("{}: its indexes did not check out when first used; rebuilt from the log", log_path());
        if (scan.damage)
            mb::log::error("{}: {} at byte {}; records from offset {} on cannot be read (--repair cuts there)",
                           log_path(), scan.damage->what, scan.damage->position, scan.next_offset);
        index_.replace(std::move(scan.index));
        time_index_.replace(std::move(scan.time_index));
        max_timestamp_ = scan.max_timestamp;
    }
    next_offset_ = expected_end;  // the offsets the next segment's name promises stay this segment's
}

int64_t Segment::start_position(std::optional<OffsetPosition> entry) const {
    if (!entry) return 0;
    // Sealed segments below the recovery point were opened with only their last entry checked
    // (SegmentCheck::sanity). An entry that does not name the batch it points at is not used -
    // the walk starts at the segment's first batch instead - and reported once.
    BatchCursor cursor(*log_, entry->position, size_);
    RecordBatchHeader header;
    bool torn = false;
    if (cursor.header(header, torn) && header.last_offset() == entry->offset) return entry->position;
    if (!index_mismatch_logged_)
        mb::log::warn("{}: the entry for offset {} does not point at its batch (byte {}); not using it", index_path(),
                      entry->offset, entry->position);
    index_mismatch_logged_ = true;
    return 0;
}

std::optional<BatchLocation> Segment::find(int64_t offset) const {
    if (offset >= next_offset_) return std::nullopt;
    load_indexes();
    BatchCursor cursor(*log_, start_position(index_.floor(offset)), size_);
    RecordBatchHeader header;
    bool torn = false;
    while (cursor.header(header, torn)) {
        if (header.last_offset() >= offset)
            return BatchLocation{cursor.position(), static_cast<uint32_t>(header.total_size()), header.base_offset};
        cursor.advance(header.total_size());
    }
    return std::nullopt;
}

int64_t Segment::find_offset_for_timestamp(int64_t timestamp, int64_t* found_timestamp) const {
    load_indexes();
    if (max_timestamp_ < timestamp) return -1;
    auto from = time_index_.floor_before(timestamp);
    BatchCursor cursor(*log_, start_position(from ? index_.floor(from->offset) : std::nullopt), size_);
    RecordBatchHeader header;
    bool torn = false;
    while (cursor.header(header, torn)) {
        if (header.max_timestamp >= timestamp) {
            int64_t found = first_offset_at_or_after(cursor.batch(header.total_size()), timestamp, found_timestamp);
            if (found >= 0) return found;
        }
        cursor.advance(header.total_size());
    }
    return -1;
}

void Segment::for_each_batch(const std::function<void(const RecordBatchHeader&)>& visit) const {
    BatchCursor cursor(*log_, 0, size_);
    RecordBatchHeader header;
    bool torn = false;
    while (cursor.header(header, torn)) {
        visit(header);
        cursor.advance(header.total_size());
    }
}

}  // namespace minikafka
