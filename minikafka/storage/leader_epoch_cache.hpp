// minikafka/storage/leader_epoch_cache.hpp
//
// CONCEPT: the leader epoch cache - which leader wrote which part of a partition's log. Every
// time the controller elects a new leader for a partition it bumps the partition's leader epoch;
// the leader stamps that epoch into every batch it appends (the batch header's
// partitionLeaderEpoch field), and followers copy the batches verbatim. So the log itself says,
// batch by batch, under which leader each record was written. The cache is the compact summary
// of that: one entry per epoch, the offset of the first record written in it.
//
//   log      [0 ....... 99][100 ........ 249][250 ...... ]     epochs stamped in the batches
//             epoch 0        epoch 2           epoch 5
//   cache    (0, 0) (2, 100) (5, 250)                           "epoch startOffset"
//
//   end_offset_for(2) = (2, 250): epoch 2 ended where epoch 5 began
//   end_offset_for(3) = (2, 250): no epoch 3 here; the largest epoch <= 3 is 2
//   end_offset_for(5) = (5, log end): the current epoch has not ended
//
// That one question - "where did epoch E end in YOUR log?" - is what OffsetsForLeaderEpoch
// (API 23) asks the leader, and what lets a follower (or a consumer after a leader change) find
// the first offset where its log and the leader's may differ, and cut its log there (KIP-101;
// see docs/minikafka/05-replication-and-the-controller.md, "Leader epochs and truncation").
//
// The file "leader-epoch-checkpoint" in the partition directory is Kafka's own text format:
//
//   0          <- version
//   3          <- number of entries
//   0 0        <- epoch startOffset, ascending
//   2 100
//   5 250
//
// It is rewritten whole, atomically (temp file, fsync, rename, directory fsync), whenever an
// entry is added or removed - that happens only at a leader change, a truncation or retention,
// never per append. Like the sparse index it is derived data: everything in it can be read back
// from the batches in the log. So a missing, torn or garbled checkpoint is not corruption that
// stops a start: the partition logs a warning and rebuilds the cache from the log
// (partition_log.cpp), as Kafka does.
// READ NEXT: partition_log.cpp (where appends, truncation and retention update it),
// handlers/offsets_for_leader_epoch.cpp (who asks it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minikafka {

struct EpochEntry {
    int32_t epoch;
    int64_t start_offset;  // the first offset written in this epoch
    bool operator==(const EpochEntry&) const = default;
};

// Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET: "I know nothing of that epoch".
constexpr int32_t kUndefinedEpoch = -1;
constexpr int64_t kUndefinedEpochOffset = -1;

// (protocol/quorum.hpp has the same pair as a wire value, EpochEndOffset, for the metadata log.)
struct EpochEnd {
    int32_t epoch = kUndefinedEpoch;
    int64_t end_offset = kUndefinedEpochOffset;
    bool operator==(const EpochEnd&) const = default;
};

// The checkpoint file's text and its parser (a separate pair so that tests can check the format).
std::string format_epoch_checkpoint(const std::vector<EpochEntry>& entries);
// nullopt with `problem` set when the text is not a well-formed checkpoint: wrong version, a
// count that does not match the lines, a torn last line, epochs not ascending, offsets going back.
std::optional<std::vector<EpochEntry>> parse_epoch_checkpoint(std::string_view text, std::string& problem);

class LeaderEpochCache {
public:
    static constexpr const char* kFileName = "leader-epoch-checkpoint";

    // `dir`: the partition directory ("" for a cache that is never written, in tests).
    explicit LeaderEpochCache(std::string dir) : dir_(std::move(dir)) {}

    enum class Load { ok, missing, damaged };
    // Reads the checkpoint. `missing` or `damaged` (with a warning naming the problem): the
    // cache is empty and the caller rebuilds it from the log, then calls persist().
    Load load();

    // A batch of `epoch` was appended at `start_offset` (or a new leader starts its epoch at
    // its log end). Adds an entry when the epoch is newer than the latest one; writes the
    // checkpoint when anything changed. Batches without an epoch (-1: old clients' batches
    // stored before the broker stamped them) are ignored. An entry that contradicts the new one
    // (an epoch as new or newer, or a start offset at or past it) is a leftover of a log that was
    // cut and is dropped. Returns true when the cache changed.
    bool assign(int32_t epoch, int64_t start_offset);

    // Kafka's endOffsetFor: for `requested`, the largest epoch <= requested and the start offset
    // of the first epoch after it; for the latest epoch, the log end (it has not ended);
    // UNDEFINED (-1, -1) for -1 or for an epoch newer than every epoch here. An epoch older than
    // every entry answers (requested, first entry's start): those records were deleted by
    // retention, and the follower should start from where this log's known epochs start.
    EpochEnd end_offset_for(int32_t requested, int64_t log_end_offset) const;

    // The log was cut at `end_offset`: entries starting at or after it go.
    void truncate_from_end(int64_t end_offset);
    // Retention moved the log start to `start_offset`: entries wholly before it go, and the one
    // that covers it now starts there.
    void truncate_from_start(int64_t start_offset);
    void clear();

    std::optional<int32_t> latest_epoch() const;
    // The epoch the record at `offset` was written in: the last entry starting at or before it
    // (Kafka's epochForOffset). nullopt for an empty cache or an offset older than every entry.
    // ListOffsets v4+ returns it, so that a client resetting to that offset can validate its
    // position later with OffsetsForLeaderEpoch (KIP-320).
    std::optional<int32_t> epoch_at(int64_t offset) const;
    const std::vector<EpochEntry>& entries() const { return entries_; }
    // Replaces the entries wholesale (a rebuild from the log) without writing.
    void set_entries(std::vector<EpochEntry> entries) { entries_ = std::move(entries); }
    // Writes the checkpoint (atomically, durably). Never throws: when the write fails, the old
    // file is removed (with an error logged) so that the next start rebuilds it from the log.
    void persist() const;
    std::string path() const { return dir_ + "/" + kFileName; }

private:
    std::string dir_;
    std::vector<EpochEntry> entries_;  // ascending epochs, non-decreasing start offsets
};

}  // namespace minikafka
