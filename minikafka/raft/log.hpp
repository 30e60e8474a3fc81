// minikafka/raft/log.hpp
//
// CONCEPT: the replicated log of a Raft quorum, and the two questions Raft asks of it.
//
//   offset:   0   1   2   3   4   5   6          log start offset = 0 (or a snapshot's end)
//   epoch:    1   1   1   3   3   4   4          log end offset   = 7 (the next offset to write)
//             \_________/ \_____/ \_____/
//              epoch 1     epoch 3  epoch 4      end offset of epoch 3 = 5 (where epoch 4 starts)
//                                    ^ flushed end offset: what survives a crash
//
// 1. "How far does my log go, and how fresh is it?" - (last epoch, end offset). A voter grants
//    its vote only to a candidate whose log is at least as up to date as its own (Vote).
// 2. "Where does epoch e end on this log?" (end_offset_for_epoch) - the leader answers a
//    follower's Fetch{fetch_offset, last_fetched_epoch} with it: if the follower's last epoch
//    ends earlier on the leader's log (or was never the leader's), the logs diverge and the
//    follower must truncate to that point. Kafka keeps this epoch -> start offset table in the
//    leader-epoch-checkpoint file; here it is computed from the entries.
//
// Durability is part of the interface, because Raft's safety depends on it: an append is only
// in memory until flush(); only the flushed end offset may be reported to the leader (a Fetch
// offset counts as "I have it" toward the majority), and only flushed entries survive a crash.
// A snapshot replaces the log prefix before its offset: the log then starts at the snapshot's
// end and remembers the epoch of the entry just before it.
// REAL KAFKA: the __cluster_metadata-0 partition is an ordinary segment log (storage/segment.hpp
// is the same idea) and snapshots are <end offset>-<epoch>.checkpoint files next to it.
// READ NEXT: quorum_state.hpp - the other durable thing a replica needs (epoch and vote).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "messages.hpp"

namespace minikafka::raft {

// A state machine image at a committed offset: the entries before `id.offset` are in it.
struct Snapshot {
    OffsetAndEpoch id;  // offset = the first offset NOT in the snapshot; epoch = of the entry before
    std::string data;   // the state machine's own bytes
};

// What the replica needs from its log. Implementations: MemoryRaftLog below (the simulation);
// a segment-file log is a later step.
class RaftLog {
public:
    virtual ~RaftLog() = default;

    virtual int64_t start_offset() const = 0;        // first offset held (a snapshot's end, or 0)
    virtual int64_t end_offset() const = 0;          // one past the last entry
    virtual int64_t flushed_end_offset() const = 0;  // what a crash keeps; <= end_offset()
    // The entry at `offset`, start_offset() <= offset < end_offset().
    virtual const LogEntry& entry(int64_t offset) const = 0;

    virtual void append(LogEntry entry) = 0;  // in memory only, until flush()
    // Drops every entry at `end` and after (a follower repairing a divergence; never below the
    // start offset - a snapshot is never undone).
    virtual void truncate_to(int64_t end) = 0;
    virtual void flush() = 0;  // makes every appended entry durable (fsync)

    // The newest snapshot, if any. install_snapshot makes it durable and drops the entries before
    // its offset: entries after it are kept if the log holds the snapshot's last entry (our own
    // snapshot), otherwise the whole log is replaced by it (a snapshot fetched from the leader).
    virtual const std::optional<Snapshot>& snapshot() const = 0;
    virtual void install_snapshot(Snapshot snapshot) = 0;
};

// The epoch of the last entry (or of the snapshot's last entry; 0 for an empty log).
int32_t last_epoch(const RaftLog& log);
// (end offset, last epoch): what a candidate sends with its Vote.
OffsetAndEpoch log_end(const RaftLog& log);
// The up-to-date rule (Raft section 5.4.1): log A = (a_epoch, a_end) is at least as up to date as
// log B if its last epoch is higher, or equal with an end at least as far.
bool at_least_as_up_to_date(OffsetAndEpoch a, OffsetAndEpoch b);
// The largest epoch <= `epoch` that this log holds, and the offset where it ends (where the next
// epoch starts, or the log end). {offset: -1, epoch: -1} when no such epoch is known any more
// (it is older than the snapshot's last entry): only the snapshot can repair such a follower.
OffsetAndEpoch end_offset_for_epoch(const RaftLog& log, int32_t epoch);

// The log in memory, with a crash that keeps only what was flushed.
class MemoryRaftLog : public RaftLog {
public:
    int64_t start_offset() const override { return start_; }
    int64_t end_offset() const override { return start_ + static_cast<int64_t>(entries_.size()); }
    int64_t flushed_end_offset() const override { return flushed_end_; }
    const LogEntry& entry(int64_t offset) const override { return entries_[static_cast<size_t>(offset - start_)]; }
    void append(LogEntry entry) override { entries_.push_back(std::move(entry)); }
    void truncate_to(int64_t end) override;
    void flush() override { flushed_end_ = end_offset(); }
    const std::optional<Snapshot>& snapshot() const override { return snapshot_; }
    void install_snapshot(Snapshot snapshot) override;

    // The power is cut: every entry appended since the last flush() is gone.
    void crash() { truncate_to(flushed_end_); }

private:
    int64_t start_ = 0;
    int64_t flushed_end_ = 0;
    std::deque<LogEntry> entries_;  // entries_[0] is at offset start_
    std::optional<Snapshot> snapshot_;
};

}  // namespace minikafka::raft
