// minikafka/storage/leader_epoch_cache.cpp
//
// CONCEPT: which leader wrote which part of the log (leader_epoch_cache.hpp): a short list of
// (epoch, start offset) pairs, and its checkpoint file so a restart does not have to scan the log
// for it. It answers "where did epoch E end?", the question a follower asks before truncating.
//
//   epoch 0 @ 0, epoch 3 @ 120, epoch 5 @ 300   ─▶ end_offset_for(3) = 300
//
// READ NEXT: partition_log.cpp (truncate_to, load_leader_epochs),
//            docs/minikafka/05-replication-and-the-controller.md "Leader epochs and truncation".
#include "leader_epoch_cache.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "file.hpp"
#include "log.hpp"

namespace minikafka {

namespace {

// One whitespace-free token of `line` as a number; false when it is not all digits (and sign).
template <typename Int>
bool parse_number(std::string_view token, Int& out) {
    auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), out);
    return error == std::errc() && end == token.data() + token.size();
}

// Splits on '\n'. A checkpoint always ends with '\n': a last line without one was torn.
std::vector<std::string_view> split_lines(std::string_view text, bool& ends_with_newline) {
    std::vector<std::string_view> lines;
    ends_with_newline = text.empty() || text.back() == '\n';
    while (!text.empty()) {
        size_t end = text.find('\n');
        lines.push_back(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
    return lines;
}

}  // namespace

std::string format_epoch_checkpoint(const std::vector<EpochEntry>& entries) {
    std::string text = fmt::format("0\n{}\n", entries.size());
    for (const EpochEntry& entry : entries) text += fmt::format("{} {}\n", entry.epoch, entry.start_offset);
    return text;
}

std::optional<std::vector<EpochEntry>> parse_epoch_checkpoint(std::string_view text, std::string& problem) {
    bool complete = true;
    std::vector<std::string_view> lines = split_lines(text, complete);
    int version = -1;
    size_t count = 0;
    if (lines.size() < 2 || !parse_number(lines[0], version) || !parse_number(lines[1], count)) {
        problem = "no version and count lines";
        return std::nullopt;
    }
    if (version != 0) {
        problem = fmt::format("unknown version {}", version);
        return std::nullopt;
    }
    if (!complete || lines.size() - 2 != count) {
        problem = fmt::format("says {} entries but holds {} complete lines", count, lines.size() - 2 - !complete);
        return std::nullopt;
    }
    std::vector<EpochEntry> entries;
    for (size_t i = 2; i < lines.size(); ++i) {
        std::string_view line = lines[i];
        size_t space = line.find(' ');
        EpochEntry entry{};
        if (space == std::string_view::npos || !parse_number(line.substr(0, space), entry.epoch) ||
            !parse_number(line.substr(space + 1), entry.start_offset) || entry.epoch < 0 || entry.start_offset < 0) {
            problem = fmt::format("line {} is not 'epoch startOffset': '{}'", i + 1, line);
            return std::nullopt;
        }
        // The cache's invariant; a file that breaks it was not written by us.
        if (!entries.empty() &&
            (entry.epoch <= entries.back().epoch || entry.start_offset < entries.back().start_offset)) {
            problem =
                fmt::format("line {} ({} {}) does not follow the line before", i + 1, entry.epoch, entry.start_offset);
            return std::nullopt;
        }
        entries.push_back(entry);
    }
    return entries;
}

LeaderEpochCache::Load LeaderEpochCache::load() {
    entries_.clear();
    std::ifstream in(path(), std::ios::binary);
    if (!in) return Load::missing;
    std::stringstream text;
    text << in.rdbuf();
    std::string problem;
    auto parsed = parse_epoch_checkpoint(text.str(), problem);
    if (!parsed) {
        mb::log::warn("{}: {}; rebuilding the leader epochs from the log", path(), problem);
        return Load::damaged;
    }
    entries_ = std::move(*parsed);
    return Load::ok;
}

bool LeaderEpochCache::assign(int32_t epoch, int64_t start_offset) {
    if (epoch < 0) return false;  // a batch stored without an epoch
    if (!entries_.empty()) {
        const EpochEntry& latest = entries_.back();
        // The common case by far: one more batch of the current epoch.
        if (epoch == latest.epoch && start_offset >= latest.start_offset) return false;
        // An older epoch after a newer one cannot come from a leader; a follower copies what
        // the leader has, whose epochs only grow. Ignored (Kafka logs and ignores it too).
        if (epoch < latest.epoch && start_offset >= latest.start_offset) return false;
    }
    // Whatever contradicts the new entry is from a part of the log that has since been cut.
    std::erase_if(entries_, [&](const EpochEntry& e) { return e.epoch >= epoch || e.start_offset >= start_offset; });
    entries_.push_back({epoch, start_offset});
    persist();
    return true;
}

EpochEnd LeaderEpochCache::end_offset_for(int32_t requested, int64_t log_end_offset) const {
    if (requested == kUndefinedEpoch || entries_.empty()) return {};
    // The current epoch is still being written: it ends at the log end.
    if (entries_.back().epoch == requested) return {requested, log_end_offset};
    auto higher = std::upper_bound(entries_.begin(), entries_.end(), requested,
                                   [](int32_t e, const EpochEntry& entry) { return e < entry.epoch; });
    if (higher == entries_.end()) return {};  // newer than anything we know
    if (higher == entries_.begin()) return {requested, higher->start_offset};
    return {(higher - 1)->epoch, higher->start_offset};
}

void LeaderEpochCache::truncate_from_end(int64_t end_offset) {
    size_t before = entries_.size();
    std::erase_if(entries_, [&](const EpochEntry& e) { return e.start_offset >= end_offset; });
    if (entries_.size() != before) persist();
}

void LeaderEpochCache::truncate_from_start(int64_t start_offset) {
    // The last entry starting at or before `start_offset` covers it: it stays, moved up to it.
    auto covering = std::upper_bound(entries_.begin(), entries_.end(), start_offset,
                                     [](int64_t o, const EpochEntry& entry) { return o < entry.start_offset; });
    if (covering == entries_.begin()) return;  // every epoch starts after the new log start
    --covering;
    if (covering == entries_.begin() && covering->start_offset == start_offset) return;
    covering->start_offset = start_offset;
    entries_.erase(entries_.begin(), covering);
    persist();
}

void LeaderEpochCache::clear() {
    if (entries_.empty()) return;
    entries_.clear();
    persist();
}

std::optional<int32_t> LeaderEpochCache::latest_epoch() const {
    if (entries_.empty()) return std::nullopt;
    return entries_.back().epoch;
}

std::optional<int32_t> LeaderEpochCache::epoch_at(int64_t offset) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
        if (it->start_offset <= offset) return it->epoch;
    return std::nullopt;
}

void LeaderEpochCache::persist() const {
    if (dir_.empty()) return;
    try {
        write_file_atomically(path(), format_epoch_checkpoint(entries_));
    } catch (const std::exception& e) {
        // The batches are already in the log: failing the append now (disk full, no descriptor)
        // would make a producer retry a batch that is stored. The checkpoint is derived data, so
        // remove the stale one instead: the next start rebuilds it from the log.
        mb::log::error("{}: cannot write the leader epoch checkpoint ({}); it will be rebuilt at the next start",
                       path(), e.what());
        std::error_code ignored;
        std::filesystem::remove(path(), ignored);
    }
}

}  // namespace minikafka
