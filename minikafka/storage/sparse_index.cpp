// The .index and .timeindex files (see sparse_index.hpp for the entry layouts).
#include "sparse_index.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "big_endian.hpp"

namespace minikafka {

namespace {
constexpr size_t kOffsetEntrySize = 8;
constexpr size_t kTimeEntrySize = 12;

std::string read_whole(const File& file) {
    std::string bytes(static_cast<size_t>(file.size()), '\0');
    bytes.resize(file.read_at(0, bytes.data(), bytes.size()));
    return bytes;
}
}  // namespace

std::string OffsetIndex::load(int64_t log_size) {
    file_ = std::make_shared<File>(File::open(path_, true));
    entries_.clear();
    std::string bytes = read_whole(*file_);
    if (bytes.size() % kOffsetEntrySize != 0)
        return fmt::format("{} bytes is not a whole number of {}-byte entries", bytes.size(), kOffsetEntrySize);
    for (size_t at = 0; at < bytes.size(); at += kOffsetEntrySize) {
        uint32_t relative = mb::load_big_endian<uint32_t>(bytes.data() + at);
        int64_t offset = base_offset_ + relative;
        uint32_t position = mb::load_big_endian<uint32_t>(bytes.data() + at + 4);
        size_t number = at / kOffsetEntrySize;
        // Relative offsets are written from an int32 difference (partition_log.cpp rolls first).
        std::string problem;
        if (relative > INT32_MAX)
            problem = "relative offset out of range";
        else if (!entries_.empty() && (offset <= entries_.back().offset || position <= entries_.back().position))
            problem = "not after the entry before it";
        else if (position >= log_size)
            problem = fmt::format("past the end of the log ({} bytes)", log_size);
        if (!problem.empty()) {
            entries_.clear();
            return fmt::format("entry {} (offset {} at byte {}) is {}", number, offset, position, problem);
        }
        entries_.push_back({offset, position});
    }
    return {};
}

void OffsetIndex::replace(std::vector<OffsetPosition> entries) {
    std::string bytes(entries.size() * kOffsetEntrySize, '\0');
    for (size_t i = 0; i < entries.size(); ++i) {
        mb::store_big_endian(bytes.data() + i * kOffsetEntrySize,
                             static_cast<uint32_t>(entries[i].offset - base_offset_));
        mb::store_big_endian(bytes.data() + i * kOffsetEntrySize + 4, entries[i].position);
    }
    clear();
    file_->write_at(0, bytes);
    entries_ = std::move(entries);
}

void OffsetIndex::append(int64_t offset, uint32_t position) {
    char entry[kOffsetEntrySize];
    mb::store_big_endian(entry, static_cast<uint32_t>(offset - base_offset_));
    mb::store_big_endian(entry + 4, position);
    if (!file_) file_ = std::make_shared<File>(File::open(path_, true));  // a sealed segment active again
    file_->write_at(static_cast<int64_t>(entries_.size() * kOffsetEntrySize), {entry, sizeof entry});
    entries_.push_back({offset, position});
}

void OffsetIndex::clear() {
    entries_.clear();
    if (!file_) file_ = std::make_shared<File>(File::open(path_, true));
    file_->truncate(0);
}

std::optional<OffsetPosition> OffsetIndex::floor(int64_t offset) const {
    auto after = std::upper_bound(entries_.begin(), entries_.end(), offset,
                                  [](int64_t o, const OffsetPosition& e) { return o < e.offset; });
    if (after == entries_.begin()) return std::nullopt;
    return *(after - 1);
}

std::string TimeIndex::load(int64_t next_offset) {
    file_ = std::make_shared<File>(File::open(path_, true));
    entries_.clear();
    std::string bytes = read_whole(*file_);
    if (bytes.size() % kTimeEntrySize != 0)
        return fmt::format("{} bytes is not a whole number of {}-byte entries", bytes.size(), kTimeEntrySize);
    for (size_t at = 0; at < bytes.size(); at += kTimeEntrySize) {
        int64_t timestamp = mb::load_big_endian<int64_t>(bytes.data() + at);
        int64_t offset = base_offset_ + mb::load_big_endian<uint32_t>(bytes.data() + at + 8);
        bool increasing =
            entries_.empty() || (timestamp > entries_.back().timestamp && offset >= entries_.back().offset);
        if (!increasing || offset >= next_offset) {
            entries_.clear();
            return fmt::format("entry {} (time {}, offset {}) is {}", at / kTimeEntrySize, timestamp, offset,
                               increasing ? "past the log's last offset" : "not after the entry before it");
        }
        entries_.push_back({timestamp, offset});
    }
    return {};
}

void TimeIndex::replace(std::vector<TimestampOffset> entries) {
    std::string bytes(entries.size() * kTimeEntrySize, '\0');
    for (size_t i = 0; i < entries.size(); ++i) {
        mb::store_big_endian(bytes.data() + i * kTimeEntrySize, entries[i].timestamp);
        mb::store_big_endian(bytes.data() + i * kTimeEntrySize + 8,
                             static_cast<uint32_t>(entries[i].offset - base_offset_));
    }
    clear();
    file_->write_at(0, bytes);
    entries_ = std::move(entries);
}

void TimeIndex::append(int64_t timestamp, int64_t offset) {
    if (!entries_.empty() && timestamp <= entries_.back().timestamp) return;
    char entry[kTimeEntrySize];
    mb::store_big_endian(entry, timestamp);
    mb::store_big_endian(entry + 8, static_cast<uint32_t>(offset - base_offset_));
    if (!file_) file_ = std::make_shared<File>(File::open(path_, true));
    file_->write_at(static_cast<int64_t>(entries_.size() * kTimeEntrySize), {entry, sizeof entry});
    entries_.push_back({timestamp, offset});
}

void TimeIndex::clear() {
    entries_.clear();
    if (!file_) file_ = std::make_shared<File>(File::open(path_, true));
    file_->truncate(0);
}

std::optional<TimestampOffset> TimeIndex::floor_before(int64_t timestamp) const {
    auto at_or_after = std::lower_bound(entries_.begin(), entries_.end(), timestamp,
                                        [](const TimestampOffset& e, int64_t t) { return e.timestamp < t; });
    if (at_or_after == entries_.begin()) return std::nullopt;
    return *(at_or_after - 1);
}

}  // namespace minikafka
