// minikafka/storage/partition_log.hpp
//
// CONCEPT: a partition is an ordered, append-only log of record batches; every record gets the
// next offset, and the order of offsets is the order consumers read. Ordering is promised only
// within one partition - that is what lets partitions live on different disks and brokers.
//
//   partition dir  payments-2/
//     00000000000000000000.log  .index  .timeindex     oldest segment (read only)
//     00000000000000004096.log  .index  .timeindex     active segment: appends go here
//
//   log start offset = first segment's base offset (moves up when retention deletes segments)
//   log end offset   = the offset the next record will get (the "high watermark" here: with a
//                      single replica every appended record is as replicated as it will get)
//
// What this class decides:
//   which segment holds an offset   binary search on the segments' base offsets, then the
//                                   segment's own sparse index (cost independent of log size)
//   when to roll a new segment      segment.bytes / segment.ms
//   what retention deletes          whole segments past retention.bytes / retention.ms
//   when data must be fsynced       flush.messages / flush.ms; the fsync itself runs on the
//                                   background worker, and callers wait with when_flushed()
//   how much a start must check     the recovery point (below): segments under it were
//                                   fsynced and checked, so a start does not read them again
//
// Recovery point (Kafka's recovery-point-offset-checkpoint, kept per partition in the file
// "recovery-point"): the base offset of the first segment a start after a crash must read in
// full. It moves up when rolled segments are known to be fsynced (rolled_synced, flush_done),
// so it usually names the active segment. A start reads in full every segment from there on,
// and the last segment always (it is the one being written); older segments only get a sanity
// check (segment.hpp, SegmentCheck). After a clean shutdown (LogManager's marker) every file was
// fsynced at the stop: only the last segment is read in full.
//   segments   [0][4096][8192][12288][16384]
//                              ^ recovery point: 12288 and 16384 are read in full after a crash
//
// Leader epochs (leader_epoch_cache.hpp): a leader append stamps the partition's leader epoch
// into the batch; a follower append keeps the leader's stamp. Either way the epoch cache (the
// "leader-epoch-checkpoint" file) learns where each epoch starts. truncate_to() cuts the log
// where a follower's log stopped agreeing with its leader's - segments, indexes, epochs and
// producer state together, durably.
//
// Log compaction (cleanup.policy=compact, log_cleaner.hpp): the cleaner rewrites sealed segments
// keeping the latest record per key; this class swaps its output in (replace_with_cleaned, crash
// safe: see the .cpp) and keeps the cleaner's checkpoint ("cleaner-offset-checkpoint", Kafka's
// name): below it offsets may be missing, above it they must run on without a hole.
// READ NEXT: log_manager.hpp (topics = named groups of partitions), handlers/produce.cpp.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "leader_epoch_cache.hpp"
#include "log_config.hpp"
#include "model/producer_state.hpp"
#include "segment.hpp"

namespace minikafka {

// Bytes of one segment file that a fetch sends (with sendfile) - never copied into memory.
struct LogSlice {
    std::shared_ptr<const File> file;
    int64_t position = 0;
    uint32_t size = 0;
};

// What an fsync must cover, handed to the background worker.
struct FlushJob {
    std::vector<std::shared_ptr<File>> files;
    // Files already closed, synced by path: a rolled segment's indexes close at the roll, so that
    // a burst of rolls does not hold three descriptors each until the worker gets to them (an
    // fsync through a new descriptor flushes what the old one wrote).
    std::vector<std::string> closed_files;
    // Directories to fsync with them: a new partition's, whose first segment's name is not
    // durable yet (PartitionLog::DirectorySync::with_first_flush).
    std::vector<std::string> directories;
    int64_t up_to_offset = 0;  // every offset below this is durable once the files are synced
};

// One thing `--repair` did to a partition: a file cut at a byte, or a segment moved aside.
struct RepairAction {
    std::string file;
    int64_t position = 0;      // where the cut is (0 for a segment moved aside whole)
    int64_t bytes = 0;         // bytes cut off (or moved aside)
    int64_t records = 0;       // records in intact batches among those bytes
    std::string what;          // why: the damage found
    std::string backup;        // where the original bytes are kept
    bool moved_whole = false;  // a whole segment moved aside (not cut)
};

// When the name of a new partition's first segment is made durable (the fsync of the partition's
// directory). `now`: before the constructor returns - one directory fsync, about a millisecond,
// per partition. `with_first_flush`: with the first flush that makes records durable (begin_flush
// hands the directory to the background worker along with the segment), or the first roll, or a
// clean shutdown. CreateTopics uses it: 10,000 partitions cost 10,000 fsyncs (8 s on the broker
// thread) the other way, and a partition nobody writes to never needs one - an empty segment lost
// in a crash is simply created again at the next start.
enum class DirectorySync { now, with_first_flush };

// enable_shared_from_this: an fsync's completion holds it weakly (the topic may be deleted meanwhile).
class PartitionLog : public std::enable_shared_from_this<PartitionLog> {
public:
    // Opens the segments found in `dir` (creating the directory and a first segment if there
    // are none) and recovers them as the recovery point says (see above); `clean_shutdown`: the
    // broker stopped cleanly last time. A torn tail is truncated (a warning); corruption throws
    // CorruptFileError before anything is written. Throws if the directory cannot be used.
    PartitionLog(std::string dir, LogConfig config, int64_t now_ms, bool clean_shutdown = false,
                 DirectorySync directory_sync = DirectorySync::now);

    // `--repair`: reads every segment in full; at the first damage keeps a backup of the file,
    // truncates it there and moves the later segments aside (offsets must stay continuous).
    static std::vector<RepairAction> repair(const std::string& dir, const LogConfig& config);

    const std::string& dir() const { return dir_; }
    const LogConfig& config() const { return config_; }
    void set_config(const LogConfig& config) { config_ = config; }

    int64_t log_start_offset() const { return segments_.front()->base_offset(); }
    int64_t log_end_offset() const { return segments_.back()->next_offset(); }
    int64_t size_bytes() const;
    const std::vector<std::unique_ptr<Segment>>& segments() const { return segments_; }
    int64_t recovered_truncated_bytes() const { return recovered_truncated_bytes_; }
    int64_t recovery_point() const { return recovery_point_; }
    // How many segments the last open read in full (the rest got a sanity check).
    size_t fully_checked_segments() const { return fully_checked_segments_; }

    struct Appended {
        int64_t base_offset;
        int64_t position;  // byte position in the segment file
        const Segment* segment;
    };
    // Appends one validated batch as the next offsets - as the partition's leader: the stored
    // batch carries leader_epoch() as its partitionLeaderEpoch (outside the CRC, so no checksum
    // is recomputed). `batch` is the producer's bytes; the new baseOffset and the epoch travel
    // separately (see Segment::append), so `batch` is not modified. On LogAppendTime topics the
    // batch is stamped with `now_ms` as well.
    Appended append(std::string_view batch, const RecordBatchHeader& header, int64_t now_ms);
    // The same for a follower copying its leader's batch: the epoch stays the one the leader
    // stamped (header.partition_leader_epoch), so that both logs say the same about who wrote what.
    // So do the offsets: the batch keeps the leader's base offset, which may lie past our log end
    // when the leader's cleaner removed the records between (see compacted_until()).
    Appended append_as_follower(std::string_view batch, const RecordBatchHeader& header, int64_t now_ms);

    // Leader epochs. leader_epoch(): the partition's epoch as this broker last learnt it from the
    // metadata (0 in single-node mode: one broker, never re-elected).
    int32_t leader_epoch() const { return leader_epoch_; }
    // This broker leads the partition from now on, in `epoch`: appends are stamped with it, and
    // the epoch starts at the log end now (Kafka's maybeAssignEpochStartOffset), so that
    // OffsetsForLeaderEpoch answers for it even before its first append.
    void become_leader(int32_t epoch);
    // Another broker leads, in `epoch` (requests naming an older epoch are fenced).
    void become_follower(int32_t epoch) { leader_epoch_ = epoch; }
    // OffsetsForLeaderEpoch's answer from this log (leader_epoch_cache.hpp, end_offset_for).
    EpochEnd end_offset_for_epoch(int32_t epoch) const {
        return leader_epochs_.end_offset_for(epoch, log_end_offset());
    }
    const LeaderEpochCache& leader_epochs() const { return leader_epochs_; }

    // A follower's Fetch (v12+) names the epoch of the last record it holds (last_fetched_epoch)
    // next to its fetch offset. The leader checks the two against its own log before sending
    // anything, as Kafka's Partition.fetchRecords does:
    //   agrees        the leader's log has that epoch running at least up to fetch_offset: send
    //   diverges      the epoch ended earlier here (or the leader never had it): answer with
    //                 `diverging` = the largest epoch <= it and where that ended; the follower
    //                 truncates there (truncate_to) and fetches again - no OffsetsForLeaderEpoch
    //                 round trip needed
    //   out_of_range  the leader cannot tell (no epochs, or below its log start): OFFSET_OUT_OF_RANGE
    struct FetchEpochCheck {
        enum Result { agrees, diverges, out_of_range } result = agrees;
        EpochEnd diverging;
    };
    FetchEpochCheck check_last_fetched_epoch(int32_t last_fetched_epoch, int64_t fetch_offset) const;

    // The follower's half of OffsetsForLeaderEpoch (KIP-101, with KIP-279's fix): it asked the
    // leader where its own latest epoch ends, and `leader` is the answer - the largest epoch L
    // <= it that the leader has, and where L ends in the leader's log. Where this log must be cut:
    //   L is one of ours    both logs hold epoch L up to min(leader's end, ours) - cut there;
    //                       `settled`: from there on the logs agree (fetch again)
    //   L is not ours       we have no epoch L: cut to where our largest epoch below L ends and
    //                       ask again (not settled) - each round removes one epoch of ours
    //   no epoch at all     the leader has no epoch <= ours: nothing to compare; `truncate_to` is
    //                       kUndefinedEpochOffset, and the caller falls back to its high watermark
    // Only what differs is cut: a record both logs hold in the same epoch stays, whatever the
    // follower's high watermark (docs/minikafka/05, "Leader epochs and truncation").
    struct DivergencePoint {
        int64_t truncate_to = kUndefinedEpochOffset;
        bool settled = true;
    };
    DivergencePoint divergence_from(EpochEnd leader) const;

    // Truncation - what a follower does when its log diverged from the leader's: everything from
    // the batch holding `offset` on is removed (so the new log end is `offset` when it is a
    // batch boundary, as epoch start offsets and high watermarks are). Later segments are
    // deleted, the segment holding the cut is cut and its indexes rebuilt, the epoch cache and
    // the recovery point follow; all durable before it returns. An `offset` at or past the log
    // end removes no record, only an epoch entry starting at the log end; one below the log start empties the log
    // (truncate_fully). Producer state is rebuilt from the log that remains (rebuild_producer_state), so an idempotent
    // producer's retry of a batch below the cut is still recognised. Returns the new log end.
    int64_t truncate_to(int64_t offset);
    // Deletes every segment and starts an empty log at `offset` (a follower far behind a leader
    // whose retention already deleted what it would need next).
    void truncate_fully(int64_t offset);

    // The stored batches from the one that contains `offset`, at most `max_bytes` of them, but
    // always the whole first batch (a consumer must be able to make progress past a batch larger
    // than its limit). The slice may end in the middle of a batch, as Kafka's does; clients drop
    // a partial batch at the end. nullopt when `offset` is the log end (nothing to read yet).
    // The caller checks the offset against [log start, log end] first.
    std::optional<LogSlice> read(int64_t offset, int64_t max_bytes) const;

    // ListOffsets by time: the first offset whose timestamp is >= `timestamp`, -1 if none;
    // `found_timestamp` (if given) gets that record's own timestamp.
    int64_t offset_for_timestamp(int64_t timestamp, int64_t* found_timestamp = nullptr) const;

    // Log compaction (log_cleaner.hpp). Offsets below compacted_until() may be missing: the
    // cleaner removed their records (or a follower copied a leader's cleaned batches).
    int64_t compacted_until() const { return compacted_until_; }
    // Moves the checkpoint up, durably (the file is fsynced before this returns).
    void advance_compacted_until(int64_t offset);
    // How many of the oldest segments the cleaner may rewrite: sealed (never the active one),
    // already fsynced (below the recovery point, so no flush job still names their files), and
    // wholly below `max_offset` - the high watermark in a cluster: a record above it may still be
    // cut by a truncation, and must not have been the reason an older value of its key was removed.
    size_t cleanable_segments(int64_t max_offset) const;
    // The cleaner wrote the segments_[first, first + count) that survive compaction into
    // "<base>.log.cleaned" (+ ".index.cleaned", ".timeindex.cleaned"), fsynced, where base is
    // segments_[first]'s base offset - or nothing survived (`has_output` false). Swaps them in
    // (crash safe, see the .cpp); returns the old files (renamed *.deleted) to unlink later.
    std::vector<std::string> replace_with_cleaned(size_t first, size_t count, bool has_output);

    // Drops the oldest segments beyond retention (the active one too once all of it has expired:
    // a new empty segment takes its place). Only with cleanup.policy delete (or compact,delete). Returns the deleted
    // segments' file paths for the background worker to unlink.
    std::vector<std::string> enforce_retention(int64_t now_ms);

    // Durability (see log_config.hpp, flush.messages / flush.ms).
    bool flush_due(int64_t now_ms) const;
    // True from the moment a flush is queued until it has finished.
    bool flush_in_progress() const { return flush_in_progress_; }
    void mark_flush_queued() { flush_in_progress_ = true; }
    FlushJob begin_flush();
    void flush_done(int64_t up_to_offset, int64_t now_ms);  // a FlushJob's files are synced
    int64_t flushed_offset() const { return flushed_offset_; }
    // Runs `callback` once every offset below `offset` is durable (at once if already so).
    void when_flushed(int64_t offset, std::function<void()> callback);
    // Files of segments rolled since the last call: Kafka flushes a segment when it is rolled,
    // whatever the flush policy, so a closed segment is on disk. Once they are synced, the
    // caller reports it with rolled_synced(job.up_to_offset): the recovery point moves up.
    FlushJob take_rolled();
    void rolled_synced(int64_t up_to_offset);

    // Idempotent producers' recent sequence numbers for this partition (model/producer_state.hpp).
    // Appends record into it (the produce handler, the follower's fetcher); a start and a
    // truncation rebuild it from the log's batch headers.
    ProducerStateTable producers;

    // Every open file: each segment's .log and the active segment's indexes (the final flush;
    // a rolled segment's indexes are rebuilt at start if they look wrong).
    std::vector<std::shared_ptr<File>> all_files();
    // The directory fsync DirectorySync::with_first_flush left for later, if still pending
    // (the final flush of a clean stop, which syncs all_files() directly).
    void sync_directory_if_pending();
    bool directory_sync_pending() const { return directory_unsynced_; }

private:
    PartitionLog(std::string dir, LogConfig config, int64_t now_ms, bool clean_shutdown, bool repair,
                 DirectorySync directory_sync);
    void open_segments(bool clean_shutdown, bool repair);
    // Segment::create with the directory fsynced, which makes every name in it durable.
    std::unique_ptr<Segment> create_segment(int64_t base_offset);
    void advance_recovery_point(int64_t synced_up_to);
    void set_recovery_point(int64_t offset);  // and write the "recovery-point" file
    void roll(int64_t now_ms);
    Appended append_with_epoch(std::string_view batch, const RecordBatchHeader& header, int32_t epoch,
                               int64_t base_offset, int64_t now_ms);
    // After the segments are open: the checkpoint, checked against the log (see the .cpp).
    void load_leader_epochs(bool clean_shutdown);
    // `producers` from scratch, out of the batch headers of segments_[from_segment..].
    void rebuild_producer_state(size_t from_segment);
    // Removes segments_[from..] and their files (durably: the directory is fsynced).
    void delete_segments_from(size_t from);
    // At start: completes or undoes a swap of cleaned segments that a kill -9 interrupted
    // (partition_log_compaction.cpp).
    static void finish_interrupted_cleaning(const std::string& dir);
    // The log cleaner's checkpoint, in the recovery point's format - but fsynced: the offsets
    // below it may be missing, and a start that forgot that would take a cleaned segment for a
    // corrupt one.
    static constexpr const char* kCleanerCheckpointFile = "/cleaner-offset-checkpoint";

    std::string dir_;
    LogConfig config_;
    std::vector<std::unique_ptr<Segment>> segments_;  // ascending base offsets; back() is active
    int64_t active_since_ms_ = 0;                     // first append to the active segment
    int64_t recovered_truncated_bytes_ = 0;
    int64_t recovery_point_ = 0;   // as stored in the "recovery-point" file
    int64_t compacted_until_ = 0;  // as stored in "cleaner-offset-checkpoint" (0: never compacted)
    size_t fully_checked_segments_ = 0;
    std::vector<RepairAction> repairs_;
    std::vector<std::shared_ptr<File>> rolled_files_;  // their .log files
    std::vector<std::string> rolled_index_paths_;      // and their (closed) index files
    bool directory_unsynced_ = false;                  // see DirectorySync

    int64_t flushed_offset_ = 0;
    int64_t unflushed_messages_ = 0;
    int64_t last_flush_ms_ = 0;
    bool flush_in_progress_ = false;
    std::deque<std::pair<int64_t, std::function<void()>>> flush_waiters_;  // ascending offsets

    LeaderEpochCache leader_epochs_;
    int32_t leader_epoch_ = 0;
};

}  // namespace minikafka
