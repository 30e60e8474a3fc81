// minikafka/storage/partition_log_truncation.cpp
//
// CONCEPT: a follower's log may hold records its new leader never had (it was leader once, or
// followed a leader that died before they were replicated). Before it fetches, it finds where
// the two logs part - by leader epoch, not by high watermark (Kafka's KIP-101/279) - and cuts
// its own log there, so that replicas never diverge.
//
//   leader:   epoch 3 [0..49]  epoch 5 [50..79]
//   follower: epoch 3 [0..49]  epoch 4 [50..59]   ◀─ appended by a leader that died
//   OffsetsForLeaderEpoch(4) ─▶ the leader's epoch 3 ends at 50 ─▶ truncate_to(50) ─▶ fetch 50..
//
// The leader's side answers the same question for a follower's Fetch (check_last_fetched_epoch:
// Fetch v12's diverging epoch).
//
// READ NEXT: leader_epoch_cache.cpp (epoch -> start offset), core/replica_fetcher.cpp (who calls
//            this), docs/minikafka/05-replication-and-the-controller.md.
#include <algorithm>
#include <filesystem>
#include <utility>

#include "log.hpp"
#include "partition_log.hpp"

namespace minikafka {

namespace fs = std::filesystem;

PartitionLog::FetchEpochCheck PartitionLog::check_last_fetched_epoch(int32_t last_fetched_epoch,
                                                                     int64_t fetch_offset) const {
    if (last_fetched_epoch < 0) return {};  // a follower with an empty log: nothing to compare
    EpochEnd end = end_offset_for_epoch(last_fetched_epoch);
    if (end.epoch == kUndefinedEpoch || end.end_offset == kUndefinedEpochOffset || fetch_offset < log_start_offset())
        return {FetchEpochCheck::out_of_range, end};
    // The follower's last record is from an epoch this log has not got (end.epoch is older), or
    // the epoch ended here before the follower's log does: their logs differ from end.end_offset.
    if (end.epoch < last_fetched_epoch || end.end_offset < fetch_offset) return {FetchEpochCheck::diverges, end};
    return {};
}

PartitionLog::DivergencePoint PartitionLog::divergence_from(EpochEnd leader) const {
    if (leader.epoch == kUndefinedEpoch || leader.end_offset == kUndefinedEpochOffset) return {};
    EpochEnd ours = end_offset_for_epoch(leader.epoch);
    // Every epoch of ours is newer than anything the leader has: none of our records is its.
    if (ours.epoch == kUndefinedEpoch) return {log_start_offset(), true};
    if (ours.epoch != leader.epoch) return {ours.end_offset, false};
    return {std::min(leader.end_offset, ours.end_offset), true};
}

void PartitionLog::delete_segments_from(size_t from) {
    if (from >= segments_.size()) return;
    for (size_t i = from; i < segments_.size(); ++i)
        for (const std::string& path :
             {segments_[i]->log_path(), segments_[i]->index_path(), segments_[i]->time_index_path()})
            fs::remove(path);  // a fetch still sending from it keeps its open descriptor
    segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(from), segments_.end());
    sync_directory(dir_);
}

int64_t PartitionLog::truncate_to(int64_t offset) {
    if (offset >= log_end_offset()) {
        // No record goes, but an epoch entry at the log end may: this broker led an epoch and
        // appended nothing in it before another was elected. Left in place, it would be named as
        // our last fetched epoch, which the new leader never had - a divergence forever (Kafka's
        // UnifiedLog.truncateTo truncates the epoch cache in this case too).
        leader_epochs_.truncate_from_end(log_end_offset());
        return log_end_offset();
    }
    if (offset < log_start_offset()) {
        truncate_fully(offset);
        return log_end_offset();
    }
    // The segment holding `offset`: the last one starting at or before it.
    auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                               [](int64_t o, const std::unique_ptr<Segment>& s) { return o < s->base_offset(); });
    size_t index = static_cast<size_t>(it - segments_.begin()) - 1;
    const Segment& holder = *segments_[index];
    std::optional<BatchLocation> cut = holder.find(offset);
    int64_t position = cut ? cut->position : holder.size();
    int64_t base = holder.base_offset();

    // 1. Whole segments after it go (their files unlinked, the directory fsynced).
    delete_segments_from(index + 1);
    // 2. The segment itself is cut at the batch boundary and fsynced. Its index files are
    // emptied and the segment opened again: the full check of Segment::open rebuilds both
    // indexes (and its end offset, its max timestamp) from what is left of the log, which is
    // simpler and safer than editing entries in place.
    segments_.back()->log_file()->truncate(position);
    segments_.back()->log_file()->sync();
    for (const std::string& path : {segments_.back()->index_path(), segments_.back()->time_index_path()})
        if (fs::exists(path)) fs::resize_file(path, 0);
    segments_.pop_back();
    SegmentOpenReport report;
    SegmentOpenOptions reopen;
    reopen.compacted_until = compacted_until_;
    segments_.push_back(Segment::open(dir_, base, config_.index_interval_bytes, reopen, report));
    // 3. What describes the log follows it.
    leader_epochs_.truncate_from_end(log_end_offset());
    // Not simply forgotten: a producer whose last batches are below the cut would have its retry
    // appended twice once this replica leads. The whole remaining log is read (headers only) -
    // truncations are rare, at leader changes; Kafka bounds the read with snapshots (above).
    rebuild_producer_state(0);
    flushed_offset_ = std::min(flushed_offset_, log_end_offset());
    if (recovery_point_ > base) set_recovery_point(base);
    mb::log::info("{}: truncated to offset {} (asked {})", dir_, log_end_offset(), offset);
    return log_end_offset();
}

void PartitionLog::truncate_fully(int64_t offset) {
    // The new segment first, then the old ones go: at no moment is the directory without a log.
    auto fresh = create_segment(offset);
    std::vector<std::unique_ptr<Segment>> old = std::exchange(segments_, {});
    std::erase_if(old, [&](const std::unique_ptr<Segment>& s) { return s->base_offset() == offset; });
    segments_ = std::move(old);
    delete_segments_from(0);
    segments_.push_back(std::move(fresh));
    leader_epochs_.clear();
    producers = ProducerStateTable{};
    flushed_offset_ = offset;
    set_recovery_point(offset);
    mb::log::info("{}: emptied; the log starts again at offset {}", dir_, offset);
}

}  // namespace minikafka
