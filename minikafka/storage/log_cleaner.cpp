// minikafka/storage/log_cleaner.cpp
//
// CONCEPT: log compaction in two passes over the sealed segments (log_cleaner.hpp), each done a
// slice at a time so that the broker's one thread keeps serving requests in between:
//
//   start ─▶ mapping: key -> latest offset ─▶ plan groups of segments (≤ segment.bytes each)
//         ─▶ for each group: cleaning (copy the survivors into <base>.log.cleaned)
//                          ─▶ fsync (background worker) ─▶ swap in (PartitionLog::replace_with_cleaned)
//         ─▶ finished: the checkpoint is at the end of what was cleaned
//
// Between two slices anything may happen to the log: appends (only to the active segment, which
// the cleaner never reads), a roll (a new segment after ours), retention or a follower's truncation
// (segments we are reading disappear), the topic's deletion. Each step first checks that the
// segments it works on are still the log's (log_unchanged) and gives up otherwise.
// READ NEXT: partition_log.cpp (replace_with_cleaned, finish_interrupted_cleaning),
//            core/broker.cpp (run_cleaner: when and which partition).
#include "log_cleaner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <utility>

#include "big_endian.hpp"
#include "crc32c.hpp"
#include "log.hpp"
#include "model/record_batch.hpp"
#include "protocol/primitives.hpp"

namespace minikafka {

namespace fs = std::filesystem;

namespace {

// Where the fields a rebuilt batch changes sit in its header (model/record_batch.hpp).
constexpr size_t kBatchLengthAt = 8;
constexpr size_t kCrcAt = 17;
constexpr size_t kAttributesAt = 21;  // the CRC covers everything from here on
constexpr size_t kRecordCountAt = 57;
constexpr int16_t kLogAppendTime = 0x8;

// One record of an uncompressed batch, as the cleaner needs it.
struct RecordView {
    std::string_view bytes;  // the whole record, its length varint included: copied as it is
    int64_t offset;
    int64_t timestamp;
    std::optional<std::string_view> key;
    bool tombstone;  // a null value: "delete this key"
};

// Calls `visit` with every record of an uncompressed batch; false if the records do not parse
// (the batch is then kept whole: the cleaner never drops what it cannot read).
// Record: length varint | attributes INT8 | timestampDelta varlong | offsetDelta varint |
//         keyLength varint | key | valueLength varint | value | headers
template <class Visit>
bool for_each_record(std::string_view batch, const RecordBatchHeader& h, Visit&& visit) {
    std::string_view records = batch.substr(kBatchHeaderSize, h.total_size() - kBatchHeaderSize);
    KafkaReader in(records);
    for (int32_t i = 0; i < h.record_count; ++i) {
        const size_t start = in.position();
        const int32_t length = in.varint();
        if (!in.ok() || length < 0) return false;
        const size_t body_at = in.position();
        KafkaReader r(in.bytes(static_cast<size_t>(length)));
        if (!in.ok()) return false;
        r.i8();  // attributes
        const int64_t delta = r.varlong();
        const int32_t offset_delta = r.varint();
        const int32_t key_length = r.varint();
        std::optional<std::string_view> key;
        if (key_length >= 0) key = r.bytes(static_cast<size_t>(key_length));
        const int32_t value_length = r.varint();
        if (!r.ok()) return false;
        // Wraps like Java's arithmetic (the bytes come from a producer); LogAppendTime stamps the batch.
        const int64_t timestamp =
            (h.attributes & kLogAppendTime)
                ? h.max_timestamp
                : static_cast<int64_t>(static_cast<uint64_t>(h.base_timestamp) + static_cast<uint64_t>(delta));
        visit(RecordView{records.substr(start, body_at - start + static_cast<size_t>(length)),
                         h.base_offset + offset_delta, timestamp, key, value_length < 0});
    }
    return true;
}

bool readable_records(const RecordBatchHeader& h) { return h.compression() == 0 && !h.is_control(); }

// One pread per slice rather than one per batch: __consumer_offsets holds batches of ~100 bytes,
// and a 1 MB slice of them is ten thousand batches.
// Reads whole batches of `file` from `position` (up to `end`) into `buffer`: about `budget`
// bytes, but at least the first batch whatever its size. Returns the bytes of whole batches read;
// 0 means no batch starts there (a damaged spot: the cleaning stops).
int64_t read_batches(const File& file, int64_t position, int64_t end, int64_t budget, std::string& buffer) {
    int64_t want = std::min(end - position, std::max<int64_t>(budget, kBatchHeaderSize));
    buffer.resize(static_cast<size_t>(want));
    buffer.resize(file.read_at(position, buffer.data(), buffer.size()));
    if (buffer.size() < kBatchHeaderSize) return 0;
    RecordBatchHeader first = decode_batch_header(buffer.data());
    if (first.batch_length < static_cast<int32_t>(kBatchHeaderSize - kLogOverhead)) return 0;
    if (first.total_size() > buffer.size()) {  // one batch bigger than the budget: read it whole
        if (position + static_cast<int64_t>(first.total_size()) > end) return 0;
        buffer.resize(first.total_size());
        if (file.read_at(position, buffer.data(), buffer.size()) != buffer.size()) return 0;
    }
    size_t at = 0;
    while (buffer.size() - at >= kBatchHeaderSize) {
        RecordBatchHeader h = decode_batch_header(buffer.data() + at);
        if (h.batch_length < static_cast<int32_t>(kBatchHeaderSize - kLogOverhead) ||
            h.total_size() > buffer.size() - at)
            break;
        at += h.total_size();
    }
    buffer.resize(at);
    return static_cast<int64_t>(at);
}

}  // namespace

// One cleaning of one partition, from start() to its last swap. It lives across many ticks, so
// everything a step needs to carry on is here - and nothing points into the log except what
// log_unchanged() checks first:
//
//   phase      mapping ──▶ cleaning ──▶ syncing ──▶ swapping ──┐
//   per step   1 MB read   1 MB read    (waits)     renames     │ next group: cleaning again
//                              ▲                                │
//                              └────────────────────────────────┘ last group: finished
//
// The segments' .log files are held open (`files`), so reading goes on from the bytes that were
// there at the start even if a swap renamed or retention deleted a file since: what the job reads
// is always a consistent old version of the segment, and log_unchanged() decides whether it
// may still be swapped in.
struct LogCleaner::Job {
    std::weak_ptr<PartitionLog> log;
    LogConfig config;  // as it was at the start (segment.bytes, delete.retention.ms)
    std::string dir;
    // The segments being cleaned - the oldest ones of the log - as they were at the start.
    std::vector<const Segment*> range;
    std::vector<std::shared_ptr<File>> files;  // their .log files
    std::vector<int64_t> sizes;
    std::vector<int64_t> bases;  // their base offsets, and one more: where the range ends
    size_t pending_from = 0;     // range[pending_from..] are not swapped yet ...
    size_t log_first = 0;        // ... and start at this index of log->segments()

    // Pass 1: key -> offset of its latest record in the range.
    std::unordered_map<std::string, int64_t> latest;
    int64_t map_bytes = 0;

    enum class Phase { mapping, cleaning, syncing, swapping } phase = Phase::mapping;
    size_t segment = 0;    // the segment being read (an index into range)
    int64_t position = 0;  // and where in it
    std::string read_buffer;

    // Pass 2: consecutive segments merged into one cleaned segment each.
    struct Group {
        size_t first;
        size_t count;
    };
    std::vector<Group> groups;
    size_t group = 0;

    // The cleaned segment being written, and its indexes (built as Segment::add_to_indexes does).
    std::string stem;  // dir/<base of the group's first segment>
    std::shared_ptr<File> out;
    int64_t out_size = 0;
    std::string out_buffer;
    std::vector<OffsetPosition> index;
    std::vector<TimestampOffset> time_index;
    int64_t bytes_since_entry = 0;
    int64_t max_timestamp = -1;
    std::vector<std::shared_ptr<File>> to_sync;
    bool synced = false;
};

LogCleaner::LogCleaner(CleanerLimits limits) : limits_(limits) {}

LogCleaner::~LogCleaner() {
    if (job_) abort();
}

// Kafka's reasoning for the ratio: a cleaning rewrites the whole cleanable log, clean part
// included (records there may be superseded by the dirty part's). Waiting until the dirty part is
// a good share of it makes each byte rewritten pay for itself - at 0.5, a cleaning that rewrites
// 2 GB has at least 1 GB of new records to compare, and a partition nobody writes to is never
// rewritten at all (its ratio is 0).
double LogCleaner::dirty_ratio(const PartitionLog& log, int64_t max_offset) {
    const auto& segments = log.segments();
    const size_t cleanable = log.cleanable_segments(max_offset);
    int64_t clean = 0;
    int64_t dirty = 0;
    for (size_t i = 0; i < cleanable; ++i) {
        // Wholly below the checkpoint: cleaned before (or copied cleaned from a leader).
        if (segments[i + 1]->base_offset() <= log.compacted_until())
            clean += segments[i]->size();
        else
            dirty += segments[i]->size();
    }
    return dirty == 0 ? 0.0 : static_cast<double>(dirty) / static_cast<double>(clean + dirty);
}

bool LogCleaner::start(const std::shared_ptr<PartitionLog>& log, int64_t max_offset) {
    if (job_ || !log->config().cleanup_compact) return false;
    const size_t count = log->cleanable_segments(max_offset);
    const double ratio = dirty_ratio(*log, max_offset);
    if (count == 0 || ratio <= 0 || ratio < log->config().min_cleanable_dirty_ratio) return false;
    job_ = std::make_unique<Job>();
    Job& job = *job_;
    job.log = log;
    job.config = log->config();
    job.dir = log->dir();
    for (size_t i = 0; i < count; ++i) {
        const Segment& segment = *log->segments()[i];
        job.range.push_back(&segment);
        job.files.push_back(segment.log_file());
        job.sizes.push_back(segment.size());
        job.bases.push_back(segment.base_offset());
    }
    job.bases.push_back(log->segments()[count]->base_offset());
    mb::log::debug("{}: cleaning {} segments (dirty ratio {:.2f})", job.dir, count, ratio);
    return true;
}

// Comparing the Segment objects (not just base offsets) matters: a truncation reopens the segment
// it cuts, and a cut segment with its old base offset must not receive a cleaned copy of the
// bytes it no longer has. The base offsets are compared too, in case an allocation reused the
// address of a segment that retention deleted.
bool LogCleaner::log_unchanged() const {
    std::shared_ptr<PartitionLog> log = job_->log.lock();
    if (!log) return false;  // the topic was deleted
    const auto& segments = log->segments();
    const size_t remaining = job_->range.size() - job_->pending_from;
    if (segments.size() <= job_->log_first + remaining) return false;  // the active one must follow
    for (size_t k = 0; k < remaining; ++k) {
        const Segment* now = segments[job_->log_first + k].get();
        if (now != job_->range[job_->pending_from + k] || now->base_offset() != job_->bases[job_->pending_from + k])
            return false;
    }
    return true;
}

void LogCleaner::abort() {
    if (!job_->stem.empty()) {
        std::error_code ignored;  // best effort: a start removes any *.cleaned left behind anyway
        for (const char* ext : {".log.cleaned", ".index.cleaned", ".timeindex.cleaned"})
            fs::remove(job_->stem + ext, ignored);
    }
    job_.reset();
    ++stats_.aborted;
}

std::vector<std::shared_ptr<File>> LogCleaner::files_to_sync() const {
    return job_ && job_->phase == Job::Phase::syncing ? job_->to_sync : std::vector<std::shared_ptr<File>>{};
}

void LogCleaner::synced(const std::vector<std::shared_ptr<File>>& files) {
    if (job_ && job_->phase == Job::Phase::syncing && files == job_->to_sync) job_->synced = true;
}

std::vector<std::string> LogCleaner::take_removed_files() { return std::exchange(removed_, {}); }

LogCleaner::Step LogCleaner::step(int64_t now_ms) {
    if (!job_) return Step::idle;
    if (!log_unchanged()) {
        mb::log::info("{}: cleaning abandoned: the log changed underneath (retention, truncation or deletion)",
                      job_->dir);
        abort();
        return Step::aborted;
    }
    try {
        switch (job_->phase) {
            case Job::Phase::mapping:
                map_slice();
                return job_ ? Step::working : Step::aborted;
            case Job::Phase::cleaning:
                clean_slice(now_ms);
                if (!job_) return Step::aborted;
                return job_->phase == Job::Phase::syncing ? Step::sync_needed : Step::working;
            case Job::Phase::syncing:
                if (!job_->synced) return Step::waiting_for_sync;
                job_->phase = Job::Phase::swapping;
                [[fallthrough]];
            case Job::Phase::swapping:
                return swap_group();
        }
    } catch (const std::exception& e) {
        mb::log::error("cleaning failed: {}", e.what());  // a full disk, say: tried again later
        if (job_) abort();
        return Step::aborted;
    }
    return Step::working;
}

// Whole batches of the job's current segment from its position, at most about `budget` bytes,
// into job.read_buffer; their size. 0 when not even one batch is there - the segment changed
// under us or is damaged: the job is given up (the log stays as it was), with a warning.
int64_t LogCleaner::read_next_batches(int64_t budget) {
    Job& job = *job_;
    int64_t read = read_batches(*job.files[job.segment], job.position, job.sizes[job.segment], budget, job.read_buffer);
    if (read == 0) {
        mb::log::warn("{}: no batch at byte {} of segment {}; cleaning skipped", job.dir, job.position,
                      segment_file_stem(job.bases[job.segment]));
        abort();
    }
    return read;
}

// Pass 1, one slice: the keys of the records read, each with the offset of its latest record.
// Why a whole pass before copying anything: whether a record survives depends on records after
// it, possibly many segments later. Kafka's map holds a 16-byte hash of each key (a collision
// would drop a record); ours holds the key itself - exact, and bounded by max_map_bytes instead.
void LogCleaner::map_slice() {
    Job& job = *job_;
    int64_t budget = limits_.slice_bytes;
    while (budget > 0 && job.segment < job.range.size()) {
        if (job.position >= job.sizes[job.segment]) {
            ++job.segment;
            job.position = 0;
            // The map is full: what was mapped is cleaned now, the rest next time (Kafka's
            // cleaner does the same when its dedupe buffer fills up).
            if (job.map_bytes > limits_.max_map_bytes && job.segment < job.range.size()) {
                job.range.resize(job.segment);
                job.files.resize(job.segment);
                job.sizes.resize(job.segment);
                job.bases.resize(job.segment + 1);
            }
            continue;
        }
        int64_t read = read_next_batches(budget);
        if (read == 0) return;  // aborted
        std::string_view bytes = job.read_buffer;
        for (size_t at = 0; at < bytes.size();) {
            RecordBatchHeader h = decode_batch_header(bytes.data() + at);
            std::string_view batch = bytes.substr(at, h.total_size());
            at += h.total_size();
            if (!readable_records(h)) continue;
            for_each_record(batch, h, [&](const RecordView& r) {
                if (!r.key) return;
                auto [it, inserted] = job.latest.try_emplace(std::string(*r.key), r.offset);
                if (inserted)
                    job.map_bytes += static_cast<int64_t>(r.key->size()) + 64;  // the key and the node around it
                else
                    it->second = r.offset;  // later in the log: newer
            });
        }
        job.position += read;
        budget -= read;
        stats_.bytes_read += read;
    }
    if (job.segment == job.range.size()) plan_groups();
}

// Consecutive segments whose sizes add up to at most segment.bytes become one cleaned segment:
// without merging, a compacted log keeps every segment it ever rolled, each with a few survivors.
// Sizes before cleaning bound the output, so a group never overflows its segment.
void LogCleaner::plan_groups() {
    Job& job = *job_;
    for (size_t i = 0; i < job.range.size();) {
        const size_t first = i;
        int64_t total = job.sizes[i++];
        // Index entries hold offsets relative to the base in 32 bits (as PartitionLog rolls for).
        while (i < job.range.size() && total + job.sizes[i] <= job.config.segment_bytes &&
               job.bases[i + 1] - 1 - job.bases[first] <= INT32_MAX)
            total += job.sizes[i++];
        job.groups.push_back({first, i - first});
    }
    job.phase = Job::Phase::cleaning;
    job.group = 0;
    job.segment = job.groups[0].first;
    job.position = 0;
}

// Pass 2, one slice: the records of the current group that survive are copied into the cleaned file.
// A record survives when it is the latest of its key in the map - the map covers the whole range
// being cleaned and starts at the log's first segment, so an older record of the key is always
// found superseded here, and a tombstone (the latest record of a deleted key) may go once old
// enough: nothing older with its key is left for it to hide. Survivors are copied byte for byte;
// only a batch that lost records gets a new header.
void LogCleaner::clean_slice(int64_t now_ms) {
    Job& job = *job_;
    const Job::Group& group = job.groups[job.group];
    if (!job.out) {
        job.stem = job.dir + "/" + segment_file_stem(job.bases[group.first]);
        job.out = std::make_shared<File>(File::open(job.stem + ".log.cleaned", true));
        job.out->truncate(0);
        job.out_size = 0;
        job.index.clear();
        job.time_index.clear();
        job.bytes_since_entry = 0;
        job.max_timestamp = -1;
    }
    const int64_t tombstone_horizon = now_ms - job.config.delete_retention_ms;
    const std::shared_ptr<PartitionLog> log = job.log.lock();  // alive: step() checked
    int64_t budget = limits_.slice_bytes;
    std::string kept;
    while (budget > 0 && job.segment < group.first + group.count) {
        if (job.position >= job.sizes[job.segment]) {
            ++job.segment;
            job.position = 0;
            continue;
        }
        int64_t read = read_next_batches(budget);
        if (read == 0) return;  // aborted
        job.out_buffer.clear();
        std::string_view bytes = job.read_buffer;
        for (size_t at = 0; at < bytes.size();) {
            RecordBatchHeader h = decode_batch_header(bytes.data() + at);
            std::string_view batch = bytes.substr(at, h.total_size());
            at += h.total_size();
            // Which records stay: the latest of their key, a tombstone only while young enough.
            kept.clear();
            int32_t kept_count = 0;
            bool parsed = readable_records(h) && for_each_record(batch, h, [&](const RecordView& r) {
                              bool keep = !r.key;  // no key: nothing can supersede it
                              if (r.key) {
                                  auto it = job.latest.find(std::string(*r.key));
                                  keep = it == job.latest.end() || it->second == r.offset;
                                  if (!keep) ++stats_.records_removed;
                              }
                              if (keep && r.key && r.tombstone && r.timestamp < tombstone_horizon) {
                                  keep = false;
                                  ++stats_.tombstones_removed;
                              }
                              if (!keep) return;
                              kept.append(r.bytes);
                              ++kept_count;
                          });
            const size_t position = static_cast<size_t>(job.out_size) + job.out_buffer.size();
            // An idempotent producer's recent batch stays, even when superseded: its sequence
            // numbers must survive a rebuild of producer state from the log (PartitionLog::
            // truncate_to), or the producer's next batch would be refused as out of order.
            const bool producers_last =
                kept_count == 0 && h.producer_id >= 0 && log->producers.is_recent_batch(h.producer_id, h.base_offset);
            if (!parsed || kept_count == h.record_count || producers_last) {
                job.out_buffer.append(batch);  // unchanged: the producer's own bytes and CRC
            } else if (kept_count == 0) {
                continue;  // nothing of it survives: the batch goes, leaving a hole in the offsets
            } else {
                // Rebuilt around the survivors: same base offset, lastOffsetDelta, timestamps and
                // producer fields (the records keep their own offset deltas), new length, count, CRC.
                const size_t start = job.out_buffer.size();
                job.out_buffer.append(batch.substr(0, kBatchHeaderSize));
                job.out_buffer.append(kept);
                char* p = job.out_buffer.data() + start;
                const size_t size = kBatchHeaderSize + kept.size();
                mb::store_big_endian(p + kBatchLengthAt, static_cast<int32_t>(size - kLogOverhead));
                mb::store_big_endian(p + kRecordCountAt, kept_count);
                mb::store_big_endian(p + kCrcAt, mb::crc32c(std::string_view(p + kAttributesAt, size - kAttributesAt)));
            }
            // As Segment::add_to_indexes: an entry once index.interval.bytes were written since the last.
            const size_t size = job.out_buffer.size() + static_cast<size_t>(job.out_size) - position;
            if (job.bytes_since_entry > job.config.index_interval_bytes) {
                job.index.push_back({h.last_offset(), static_cast<uint32_t>(position)});
                const int64_t time = std::max(job.max_timestamp, h.max_timestamp);
                if (job.time_index.empty() || time > job.time_index.back().timestamp)
                    job.time_index.push_back({time, h.last_offset()});
                job.bytes_since_entry = 0;
            }
            job.bytes_since_entry += static_cast<int64_t>(size);
            job.max_timestamp = std::max(job.max_timestamp, h.max_timestamp);
        }
        if (!job.out_buffer.empty()) {
            job.out->write_at(job.out_size, job.out_buffer);
            job.out_size += static_cast<int64_t>(job.out_buffer.size());
            stats_.bytes_written += static_cast<int64_t>(job.out_buffer.size());
        }
        job.position += read;
        budget -= read;
        stats_.bytes_read += read;
    }
    if (job.segment == group.first + group.count) finish_group_output();
}

// The group is copied: its indexes are written next to it, and all three files wait for an fsync
// (the background worker's) before the swap may name them. A group nothing survived of has no
// file and is swapped out at once.
void LogCleaner::finish_group_output() {
    Job& job = *job_;
    if (job.out_size == 0) {
        job.out.reset();
        fs::remove(job.stem + ".log.cleaned");
        job.phase = Job::Phase::swapping;
        return;
    }
    const int64_t base = job.bases[job.groups[job.group].first];
    OffsetIndex index(job.stem + ".index.cleaned", base);
    index.replace(std::move(job.index));
    TimeIndex time_index(job.stem + ".timeindex.cleaned", base);
    time_index.replace(std::move(job.time_index));
    job.to_sync = {job.out, std::make_shared<File>(File::open(job.stem + ".index.cleaned", false)),
                   std::make_shared<File>(File::open(job.stem + ".timeindex.cleaned", false))};
    job.synced = false;
    job.phase = Job::Phase::syncing;
}

LogCleaner::Step LogCleaner::swap_group() {
    Job& job = *job_;
    std::shared_ptr<PartitionLog> log = job.log.lock();
    const Job::Group group = job.groups[job.group];
    const bool has_output = job.out_size > 0;
    // The checkpoint first (durably): from the swap on, the hole the cleaning left below the next
    // segment's base is expected by a start, not taken for corruption.
    log->advance_compacted_until(job.bases[group.first + group.count]);
    std::vector<std::string> removed = log->replace_with_cleaned(job.log_first, group.count, has_output);
    removed_.insert(removed_.end(), removed.begin(), removed.end());
    stats_.segments_replaced += static_cast<int64_t>(group.count);
    mb::log::debug("{}: segments {}..{} cleaned into {} bytes", job.dir, segment_file_stem(job.bases[group.first]),
                   segment_file_stem(job.bases[group.first + group.count - 1]), job.out_size);
    job.log_first += has_output ? 1 : 0;
    job.pending_from = group.first + group.count;
    job.out.reset();
    job.to_sync.clear();
    job.stem.clear();
    if (++job.group == job.groups.size()) {
        ++stats_.cleanings;
        job_.reset();
        return Step::finished;
    }
    job.phase = Job::Phase::cleaning;
    job.segment = job.groups[job.group].first;
    job.position = 0;
    return Step::working;
}

}  // namespace minikafka
