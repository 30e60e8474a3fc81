// minikafka/storage/partition_log_compaction.cpp
//
// CONCEPT: log compaction, the log's side (the cleaner itself is log_cleaner.cpp). A compacted
// topic keeps the latest record of every key instead of the newest days: the cleaner copies the
// survivors of sealed segments into a new file, and this file swaps that file in for the old
// segments - atomically as far as a kill -9 is concerned - and remembers, durably, up to which
// offset the log may now have holes.
//
//   sealed segments [0..99] [100..199]  ─ log_cleaner ─▶  0.log.cleaned (latest per key, offsets kept)
//   replace_with_cleaned:  .cleaned ─▶ .swap (commit) ─▶ old *.deleted ─▶ 0.log
//   a start after a crash: finish_interrupted_cleaning (drop .cleaned, finish a .swap)
//
// Offsets never change: a consumer that asked for offset 57 of a compacted log gets the next
// surviving record, 60, exactly as from Kafka.
//
// READ NEXT: log_cleaner.cpp (which records survive), partition_log.cpp (the log it edits),
//            docs/minikafka/02-formats.md (log compaction).
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "crc32c.hpp"
#include "log.hpp"
#include "partition_log.hpp"

namespace minikafka {

namespace fs = std::filesystem;

// A start finishes or forgets what the log cleaner was doing when the broker died
// (PartitionLog::replace_with_cleaned writes the files in this order):
//   <base>.log.cleaned   the cleaner was still writing it, or it was not yet fsynced: removed;
//                        the old segments are all still there
//   <base>.log.swap      fsynced and committed: the old segments it replaces - those starting in
//                        [base, its last offset] - are removed and it becomes <base>.log. Its
//                        indexes are rebuilt from it (the old <base>.index described the old file).
// Kafka's LogLoader does the same with its own .cleaned and .swap files.
void PartitionLog::finish_interrupted_cleaning(const std::string& dir) {
    std::vector<fs::path> swaps;
    for (const auto& entry : fs::directory_iterator(dir)) {
        std::string name = entry.path().filename().string();
        if (name.ends_with(".cleaned")) {
            fs::remove(entry.path());
            mb::log::warn("{}: removed {} (a cleaning interrupted before its swap)", dir, name);
        } else if (name.size() == 29 && name.ends_with(".log.swap")) {
            swaps.push_back(entry.path());
        }
    }
    for (const fs::path& swap : swaps) {
        std::string digits = swap.filename().string().substr(0, 20);
        if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
        const int64_t base = std::stoll(digits);
        const int64_t last = last_offset_in(File::open(swap.string(), false));
        if (last < base) {  // never committed so: a cleaned segment always holds a batch
            fs::remove(swap);
            mb::log::warn("{}: removed {}, which holds no batch", dir, swap.filename().string());
            continue;
        }
        for (const auto& entry : fs::directory_iterator(dir)) {
            std::string name = entry.path().filename().string();
            if (name.size() != 24 || !name.ends_with(".log")) continue;
            std::string old_digits = name.substr(0, 20);
            if (!std::all_of(old_digits.begin(), old_digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
                continue;
            const int64_t old = std::stoll(old_digits);
            if (old < base || old > last) continue;
            for (const char* ext : {".log", ".index", ".timeindex"})
                fs::remove(dir + "/" + segment_file_stem(old) + ext);
        }
        for (const char* ext : {".index", ".timeindex"}) fs::remove(dir + "/" + segment_file_stem(base) + ext);
        fs::rename(swap, dir + "/" + segment_file_stem(base) + ".log");
        sync_directory(dir);
        mb::log::warn("{}: finished swapping in cleaned segment {} (the broker stopped in the middle)", dir,
                      segment_file_stem(base));
    }
}

void PartitionLog::advance_compacted_until(int64_t offset) {
    if (offset <= compacted_until_) return;
    // Durable first: a start must know before it meets a hole. The recovery point's format, one
    // line "0 <offset> <crc32c of '0 <offset>'>" (partition_log.cpp reads both).
    std::string line = fmt::format("0 {}", offset);
    line += fmt::format(" {:x}\n", mb::crc32c(line));
    write_file_atomically(dir_ + kCleanerCheckpointFile, line);  // fsyncs the file and the directory
    compacted_until_ = offset;
    for (const auto& segment : segments_) segment->set_compacted_until(offset);
}

size_t PartitionLog::cleanable_segments(int64_t max_offset) const {
    size_t count = 0;
    // segments_[count] is sealed and synced when the next segment starts at or below the
    // recovery point (the recovery point is the base of the first segment not known to be synced).
    const int64_t bound = std::min(recovery_point_, max_offset);
    while (count + 1 < segments_.size() && segments_[count + 1]->base_offset() <= bound) ++count;
    return count;
}

// The swap, in an order that a kill -9 at any point leaves recoverable (finish_interrupted_cleaning
// at the next start):
//
//   1. <base>.log.cleaned  ─rename─▶ <base>.log.swap, directory fsynced     ◀── commit point
//   2. old segments' files ─rename─▶ *.deleted           (unlinked later, off the broker thread)
//   3. <base>.log.swap     ─rename─▶ <base>.log, indexes likewise, directory fsynced
//
// Before 1 a start finds a .cleaned file and the old segments: it removes the former. After 1 it
// finds a .swap: the cleaned file was fsynced before (by the caller), so it is complete, and the
// start finishes steps 2 and 3 itself. Readers are not disturbed at any step: a fetch that already
// holds an old segment's File keeps reading it through its open descriptor.
std::vector<std::string> PartitionLog::replace_with_cleaned(size_t first, size_t count, bool has_output) {
    const int64_t base = segments_[first]->base_offset();
    const int64_t next_base = segments_[first + count]->base_offset();  // never past the active segment
    const std::string stem = dir_ + "/" + segment_file_stem(base);
    if (has_output) {
        fs::rename(stem + ".log.cleaned", stem + ".log.swap");
        sync_directory(dir_);
    }
    std::vector<std::string> removed;
    for (size_t i = first; i < first + count; ++i)
        for (const std::string& path :
             {segments_[i]->log_path(), segments_[i]->index_path(), segments_[i]->time_index_path()}) {
            std::string deleted = path + ".deleted";
            if (std::rename(path.c_str(), deleted.c_str()) == 0) removed.push_back(deleted);
        }
    if (has_output) {
        fs::rename(stem + ".index.cleaned", stem + ".index");
        fs::rename(stem + ".timeindex.cleaned", stem + ".timeindex");
        fs::rename(stem + ".log.swap", stem + ".log");
    }
    sync_directory(dir_);
    auto from = segments_.begin() + static_cast<std::ptrdiff_t>(first);
    segments_.erase(from, from + static_cast<std::ptrdiff_t>(count));
    if (has_output) {
        // Opened lazily (nothing read now): the cleaner wrote its indexes, and the first lookup
        // checks them against the log as for any sealed segment (Segment::load_indexes).
        SegmentOpenOptions options;
        options.check = SegmentCheck::sanity;
        options.next_segment_base = next_base;
        options.compacted_until = compacted_until_;
        SegmentOpenReport report;
        segments_.insert(segments_.begin() + static_cast<std::ptrdiff_t>(first),
                         Segment::open(dir_, base, config_.index_interval_bytes, options, report));
    }
    if (first == 0 && !has_output) leader_epochs_.truncate_from_start(log_start_offset());
    return removed;
}

}  // namespace minikafka
