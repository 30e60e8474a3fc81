// minikafka/storage/sparse_index.cpp
//
// CONCEPT: the sparse indexes next to each segment (sparse_index.hpp), so a fetch at any offset
// finds its byte position by binary search over a few entries in memory instead of reading the
// log from the start. Derived data: when an index does not fit its log it is rebuilt, not
// trusted.
//
//   lookup(offset 1234) ─▶ last entry <= 1234 ─▶ position 40960 ─▶ the segment scans from there
//
// READ NEXT: segment.cpp (find, rebuild), docs/minikafka/02-formats.md "The offset index".
#include "sparse_index.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "big_endian.hpp"

namespace minikafka {

namespace {
constexpr size_t kOffsetEntrySize = 8;
constexpr size_t kTimeEntrySize = 12;

std::string read_whole(const std::string& path) {
    File file = File::open(path, true);
    std::string bytes(static_cast<size_t>(file.size()), '\0');
    bytes.resize(file.read_at(0, bytes.data(), bytes.size()));
    return bytes;
}

// The file with exactly `bytes` in it (a rebuild, or an emptied index).
void write_whole(const std::string& path, const std::string& bytes) {
    File file = File::open(path, true);
    file.truncate(0);
    if (!bytes.empty()) file.write_at(0, bytes);
}

void encode(char* at, const OffsetPosition& e, int64_t base) {
    mb::store_big_endian(at, static_cast<uint32_t>(e.offset - base));
    mb::store_big_endian(at + 4, e.position);
}

void encode(char* at, const TimestampOffset& e, int64_t base) {
    mb::store_big_endian(at, e.timestamp);
    mb::store_big_endian(at + 8, static_cast<uint32_t>(e.offset - base));
}

// Entries [from, end) encoded, `size` bytes each.
template <typename Entry>
std::string encode_from(const std::vector<Entry>& entries, size_t from, size_t size, int64_t base) {
    std::string bytes((entries.size() - from) * size, '\0');
    for (size_t i = from; i < entries.size(); ++i) encode(bytes.data() + (i - from) * size, entries[i], base);
    return bytes;
}

template <typename Entry>
std::shared_ptr<File> append_to_file(const std::string& path, const std::vector<Entry>& entries, size_t& written,
                                     size_t size, int64_t base) {
    if (written >= entries.size()) return nullptr;  // nothing new: no file opened (a start seals thousands)
    auto file = std::make_shared<File>(File::open(path, true));
    file->write_at(static_cast<int64_t>(written * size), encode_from(entries, written, size, base));
    written = entries.size();
    return file;
}
}  // namespace

std::string OffsetIndex::load(int64_t log_size) {
    entries_.clear();
    written_ = 0;
    std::string bytes = read_whole(path_);
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
    written_ = entries_.size();
    return {};
}

void OffsetIndex::replace(std::vector<OffsetPosition> entries) {
    write_whole(path_, encode_from(entries, 0, kOffsetEntrySize, base_offset_));
    entries_ = std::move(entries);
    written_ = entries_.size();
}

void OffsetIndex::append(int64_t offset, uint32_t position) { entries_.push_back({offset, position}); }

void OffsetIndex::clear() {
    entries_.clear();
    written_ = 0;
    write_whole(path_, {});
}

std::shared_ptr<File> OffsetIndex::write_pending() {
    return append_to_file(path_, entries_, written_, kOffsetEntrySize, base_offset_);
}

std::optional<OffsetPosition> OffsetIndex::floor(int64_t offset) const {
    auto after = std::upper_bound(entries_.begin(), entries_.end(), offset,
                                  [](int64_t o, const OffsetPosition& e) { return o < e.offset; });
    if (after == entries_.begin()) return std::nullopt;
    return *(after - 1);
}

std::string TimeIndex::load(int64_t next_offset) {
    entries_.clear();
    written_ = 0;
    std::string bytes = read_whole(path_);
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
    written_ = entries_.size();
    return {};
}

void TimeIndex::replace(std::vector<TimestampOffset> entries) {
    write_whole(path_, encode_from(entries, 0, kTimeEntrySize, base_offset_));
    entries_ = std::move(entries);
    written_ = entries_.size();
}

void TimeIndex::append(int64_t timestamp, int64_t offset) {
    if (!entries_.empty() && timestamp <= entries_.back().timestamp) return;
    entries_.push_back({timestamp, offset});
}

void TimeIndex::clear() {
    entries_.clear();
    written_ = 0;
    write_whole(path_, {});
}

std::shared_ptr<File> TimeIndex::write_pending() {
    return append_to_file(path_, entries_, written_, kTimeEntrySize, base_offset_);
}

std::optional<TimestampOffset> TimeIndex::floor_before(int64_t timestamp) const {
    auto at_or_after = std::lower_bound(entries_.begin(), entries_.end(), timestamp,
                                        [](const TimestampOffset& e, int64_t t) { return e.timestamp < t; });
    if (at_or_after == entries_.begin()) return std::nullopt;
    return *(at_or_after - 1);
}

}  // namespace minikafka
