// minikafka/raft/log.cpp - the epoch questions over a RaftLog, and the in-memory log.
//
// CONCEPT: the two questions Raft asks of its log (log.hpp): "is your log at least as up to date
// as mine?" (a vote) and "where did epoch E end in your log?" (a follower finding where it
// diverges from the leader - Kafka's KRaft way, instead of Raft's per-entry AppendEntries check).
// The in-memory log is what the deterministic simulation runs on; file_log.cpp is the real one.
//
//   leader: [0:e1 1:e1 2:e3 3:e3]  follower: [0:e1 1:e1 2:e2]  ─▶ end_offset_for_epoch(2) = (2, e1)
//   ─▶ the follower truncates to 2 and fetches the leader's entries from there
//
// READ NEXT: replication.cpp (on FetchResponse: the divergence), file_log.cpp.
#include "log.hpp"

#include <algorithm>

namespace minikafka::raft {

int32_t last_epoch(const RaftLog& log) {
    if (log.end_offset() > log.start_offset()) return log.entry(log.end_offset() - 1).epoch;
    return log.snapshot() ? log.snapshot()->id.epoch : 0;
}

OffsetAndEpoch log_end(const RaftLog& log) { return {log.end_offset(), last_epoch(log)}; }

bool at_least_as_up_to_date(OffsetAndEpoch a, OffsetAndEpoch b) {
    // The epoch decides first: a log whose last entry was written by a later leader has seen that
    // leader's election, which could only succeed if that leader held every committed entry. Only
    // between logs ending in the same epoch does length decide.
    if (a.epoch != b.epoch) return a.epoch > b.epoch;
    return a.offset >= b.offset;
}

OffsetAndEpoch end_offset_for_epoch(const RaftLog& log, int32_t epoch) {
    // Walk back from the end over the epochs newer than `epoch`; the first entry we reach whose
    // epoch is <= `epoch` is the last entry of the answer, so the answer ends just after it.
    // Epochs only grow along a log, so the walk stops at the first such entry. (Kafka looks this
    // up in its leader-epoch cache instead of walking; a quorum log's epochs are few and long.)
    for (int64_t offset = log.end_offset() - 1; offset >= log.start_offset(); --offset) {
        const int32_t e = log.entry(offset).epoch;
        if (e <= epoch) return {offset + 1, e};
    }
    // Nothing left in the entries: the snapshot's last entry may still answer.
    if (log.snapshot()) {
        if (log.snapshot()->id.epoch <= epoch) return log.snapshot()->id;
        return {-1, -1};
    }
    return {0, 0};  // an empty log, or every entry is newer: the logs agree on nothing
}

void MemoryRaftLog::truncate_to(int64_t end) {
    end = std::max(end, start_);
    while (end_offset() > end) entries_.pop_back();
    flushed_end_ = std::min(flushed_end_, end);
}

void MemoryRaftLog::install_snapshot(Snapshot snapshot) {
    const int64_t offset = snapshot.id.offset;
    const bool holds_last_entry = offset >= start_ && offset <= end_offset() &&
                                  (offset == start_ || entry(offset - 1).epoch == snapshot.id.epoch);
    if (holds_last_entry) {
        while (start_ < offset) {  // our own snapshot: drop the prefix it now stands for
            entries_.pop_front();
            ++start_;
        }
    } else {
        entries_.clear();  // a leader's snapshot: our log is replaced by it
        start_ = offset;
    }
    flushed_end_ = std::max(flushed_end_, start_);
    snapshot_ = std::move(snapshot);
}

}  // namespace minikafka::raft
