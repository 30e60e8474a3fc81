// A partition's log: segments, rolling, retention and flushing (see partition_log.hpp).
#include "partition_log.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "big_endian.hpp"
#include "log.hpp"

namespace minikafka {

namespace fs = std::filesystem;

namespace {

// Base offsets of the segments in `dir`: every "<20 digits>.log". Leftovers of an interrupted
// deletion ("*.deleted") are removed now.
std::vector<int64_t> find_segments(const std::string& dir) {
    std::vector<int64_t> bases;
    for (const auto& entry : fs::directory_iterator(dir)) {
        std::string name = entry.path().filename().string();
        if (name.ends_with(".deleted")) {
            fs::remove(entry.path());
            continue;
        }
        if (name.size() != 24 || !name.ends_with(".log")) continue;
        std::string digits = name.substr(0, 20);
        if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
        bases.push_back(std::stoll(digits));
    }
    std::sort(bases.begin(), bases.end());
    return bases;
}

}  // namespace

PartitionLog::PartitionLog(std::string dir, LogConfig config, int64_t now_ms)
    : dir_(std::move(dir)), config_(config), active_since_ms_(now_ms), last_flush_ms_(now_ms) {
    fs::create_directories(dir_);
    std::vector<int64_t> bases = find_segments(dir_);
    for (size_t i = 0; i < bases.size(); ++i) {
        bool last = i + 1 == bases.size();
        int64_t truncated = 0;
        // Only the last segment can have been written when the broker stopped; older ones were
        // complete (and flushed) when they were rolled.
        segments_.push_back(Segment::open(dir_, bases[i], config_.index_interval_bytes, last, truncated));
        if (!last) segments_.back()->seal();
        if (truncated > 0) {
            recovered_truncated_bytes_ = truncated;
            mb::log::warn("{}: recovery truncated {} bytes of a torn or corrupt tail of {}", dir_, truncated,
                          segments_.back()->log_path());
        }
    }
    if (segments_.empty()) segments_.push_back(Segment::create(dir_, 0, config_.index_interval_bytes));
    flushed_offset_ = log_end_offset();  // what survived the restart is what the disk has
}

int64_t PartitionLog::size_bytes() const {
    int64_t total = 0;
    for (const auto& segment : segments_) total += segment->size();
    return total;
}

void PartitionLog::roll(int64_t now_ms) {
    // The new segment first: if its files cannot be made, the old one stays active, unchanged.
    auto next = Segment::create(dir_, log_end_offset(), config_.index_interval_bytes);
    // The old segment's files are flushed in the background; its indexes close now.
    Segment& old = *segments_.back();
    rolled_files_.push_back(old.log_file());
    rolled_index_paths_.push_back(old.index_path());
    rolled_index_paths_.push_back(old.time_index_path());
    old.seal();
    segments_.push_back(std::move(next));
    active_since_ms_ = now_ms;
}

PartitionLog::Appended PartitionLog::append(std::string_view batch, const RecordBatchHeader& header, int64_t now_ms) {
    Segment* active = segments_.back().get();
    int64_t base_offset = log_end_offset();
    bool full = active->size() + static_cast<int64_t>(batch.size()) > config_.segment_bytes;
    bool old = now_ms - active_since_ms_ >= config_.segment_ms;
    // Index entries hold offsets relative to the segment base in 32 bits.
    bool offsets_overflow = base_offset + header.last_offset_delta - active->base_offset() > INT32_MAX;
    if (!active->empty() && (full || old || offsets_overflow)) {
        roll(now_ms);
        active = segments_.back().get();
    }
    if (active->empty()) active_since_ms_ = now_ms;

    RecordBatchHeader stored = header;
    stored.base_offset = base_offset;
    int64_t position = active->size();
    if (config_.log_append_time) {
        // The timestamp is under the CRC: this (rare) path copies the batch to restamp it.
        std::string copy(batch);
        set_base_offset(copy.data(), base_offset);
        set_log_append_time(copy.data(), copy.size(), now_ms);
        stored.max_timestamp = now_ms;
        active->append(std::string_view(copy).substr(0, 8), std::string_view(copy).substr(8), stored);
    } else {
        char head[8];
        mb::store_big_endian(head, base_offset);
        active->append({head, sizeof head}, batch.substr(8), stored);
    }
    unflushed_messages_ += header.record_count;
    return {base_offset, position, active};
}

std::optional<LogSlice> PartitionLog::read(int64_t offset, int64_t max_bytes) const {
    auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                               [](int64_t o, const std::unique_ptr<Segment>& s) { return o < s->base_offset(); });
    if (it != segments_.begin()) --it;
    for (; it != segments_.end(); ++it) {
        const Segment& segment = **it;
        std::optional<BatchLocation> location = segment.find(offset);
        if (!location) continue;  // `offset` is past this segment's last batch: try the next one
        int64_t available = segment.size() - location->position;
        int64_t size = std::max<int64_t>(location->size, std::min(max_bytes, available));
        return LogSlice{segment.log_file(), location->position, static_cast<uint32_t>(size)};
    }
    return std::nullopt;
}

int64_t PartitionLog::offset_for_timestamp(int64_t timestamp) const {
    for (const auto& segment : segments_) {
        int64_t found = segment->find_offset_for_timestamp(timestamp);
        if (found >= 0) return found;
    }
    return -1;
}

std::vector<std::string> PartitionLog::enforce_retention(int64_t now_ms) {
    std::vector<std::string> removed;
    int64_t total = size_bytes();
    for (;;) {
        const Segment& oldest = *segments_.front();
        bool too_big = config_.retention_bytes >= 0 && total - oldest.size() >= config_.retention_bytes;
        bool too_old = config_.retention_ms >= 0 && oldest.max_timestamp() >= 0 &&
                       oldest.max_timestamp() < now_ms - config_.retention_ms;
        if (oldest.empty() || (!too_big && !too_old)) break;
        // As Kafka: when even the active segment has expired, a new (empty) one is started at
        // the same end offset and the old one goes too. The log is then empty, but its offsets
        // carry on: the next record gets the next offset, not 0.
        if (segments_.size() == 1) roll(now_ms);
        total -= oldest.size();
        // Renamed now, unlinked later off the broker's thread; a crash in between leaves a
        // ".deleted" file that the next start removes. Open descriptors (a fetch still sending
        // from the segment) keep working either way.
        for (const std::string& path : {oldest.log_path(), oldest.index_path(), oldest.time_index_path()}) {
            std::string deleted = path + ".deleted";
            if (std::rename(path.c_str(), deleted.c_str()) == 0) removed.push_back(deleted);
        }
        mb::log::info("{}: retention deleted segment {} ({} bytes)", dir_, segment_file_stem(oldest.base_offset()),
                      oldest.size());
        segments_.erase(segments_.begin());
    }
    return removed;
}

bool PartitionLog::flush_due(int64_t now_ms) const {
    if (unflushed_messages_ == 0) return false;
    // A producer was promised an ack after the fsync covering its records. The policy may have
    // changed since (AlterConfigs); the promise stands.
    if (!flush_waiters_.empty()) return true;
    return unflushed_messages_ >= config_.flush_messages ||
           (config_.flush_ms != INT64_MAX && now_ms - last_flush_ms_ >= config_.flush_ms);
}

FlushJob PartitionLog::begin_flush() {
    flush_in_progress_ = true;
    unflushed_messages_ = 0;
    FlushJob job = take_rolled();
    job.files.push_back(segments_.back()->log_file());
    job.up_to_offset = log_end_offset();
    return job;
}

void PartitionLog::flush_done(int64_t up_to_offset, int64_t now_ms) {
    flush_in_progress_ = false;
    last_flush_ms_ = now_ms;
    flushed_offset_ = std::max(flushed_offset_, up_to_offset);
    while (!flush_waiters_.empty() && flush_waiters_.front().first <= flushed_offset_) {
        auto callback = std::move(flush_waiters_.front().second);
        flush_waiters_.pop_front();
        callback();
    }
}

void PartitionLog::when_flushed(int64_t offset, std::function<void()> callback) {
    if (offset <= flushed_offset_) return callback();
    flush_waiters_.emplace_back(offset, std::move(callback));
}

FlushJob PartitionLog::take_rolled() {
    FlushJob rolled;
    rolled.files = std::exchange(rolled_files_, {});
    rolled.closed_files = std::exchange(rolled_index_paths_, {});
    return rolled;
}

std::vector<std::shared_ptr<File>> PartitionLog::all_files() const {
    std::vector<std::shared_ptr<File>> files;
    for (const auto& segment : segments_) files.push_back(segment->log_file());
    files.push_back(segments_.back()->offset_index().file());  // sealed segments closed theirs
    files.push_back(segments_.back()->time_index().file());
    return files;
}

}  // namespace minikafka
