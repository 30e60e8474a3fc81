// minikafka/storage/partition_log.cpp
//
// CONCEPT: a partition is an ordered, append-only log (partition_log.hpp) - the heart of the
// course notes' Kafka: "Message Ordering: guaranteed only within a partition" is simply that
// this log assigns offsets in append order. Here: segments, rolling, retention and flushing, and
// recovery at start; a follower's truncation is in partition_log_truncation.cpp, the swap of
// compacted segments in partition_log_compaction.cpp.
//
//   append ─▶ active segment full / old? ─▶ roll ─▶ offset = log end ─▶ Segment::append
//   read(offset) ─▶ binary search over segments ─▶ Segment::find ─▶ a slice of the file
//   retention ─▶ whole oldest segments renamed *.deleted ─▶ background unlink
//
// READ NEXT: segment.cpp (one segment), core/broker.cpp (when flushes run),
//            docs/minikafka/01-follow-a-produce-and-fetch.md §2 and §3.
#include "partition_log.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <utility>

#include <fmt/format.h>

#include "big_endian.hpp"
#include "crc32c.hpp"
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

// The recovery point file: one line "0 <offset> <crc32c of '0 <offset>'>" (a version, so that
// the format can change). Written without fsync: it only ever names segments already fsynced,
// so if it is lost the start reads more than it needed, and if it is torn (a bad checksum) the
// start reads everything - never less than it must.
constexpr const char* kRecoveryPointFile = "/recovery-point";

std::optional<int64_t> read_recovery_point(const std::string& dir, const char* file = kRecoveryPointFile) {
    std::ifstream in(dir + file);
    if (!in) return std::nullopt;
    int version = -1;
    int64_t offset = -1;
    uint32_t crc = 0;
    if (in >> version >> offset >> std::hex >> crc && version == 0 && offset >= 0 &&
        crc == mb::crc32c(fmt::format("0 {}", offset)))
        return offset;
    mb::log::warn(
        "{}{}: not valid; {}", dir, file,
        std::string_view(file) == kRecoveryPointFile ? "checking every segment" : "no hole in the offsets is accepted");
    return std::nullopt;
}

void write_recovery_point(const std::string& dir, int64_t offset) {
    std::string line = fmt::format("0 {}", offset);
    line += fmt::format(" {:x}\n", mb::crc32c(line));
    std::string path = dir + kRecoveryPointFile;
    try {
        File tmp = File::open(path + ".tmp", true);
        tmp.truncate(0);
        tmp.write_at(0, line);
        if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) throw std::runtime_error("rename failed");
    } catch (const std::exception& e) {
        // A deleted topic's directory is gone; elsewhere the cost is a longer recovery.
        mb::log::debug("{}: cannot write the recovery point: {}", path, e.what());
    }
}

// Whether `.log` files from `from` on hold any bytes (a later segment with data means bad bytes
// earlier are followed by valid ones: corruption, not a torn tail).
std::vector<bool> data_after(const std::string& dir, const std::vector<int64_t>& bases) {
    std::vector<bool> after(bases.size(), false);
    bool seen = false;
    for (size_t i = bases.size(); i-- > 0;) {
        after[i] = seen;
        std::error_code ec;
        seen = seen || fs::file_size(dir + "/" + segment_file_stem(bases[i]) + ".log", ec) > 0;
    }
    return after;
}

// A repair moves a whole segment out of the partition (its .log kept as a backup).
RepairAction moved_aside(const std::string& stem, std::string why) {
    std::string log = stem + ".log";
    File file = File::open(log, false);
    int64_t size = file.size();
    RepairAction action{log, 0, size, count_intact_records(file, 0, size), std::move(why), move_aside(log), true};
    return action;
}

}  // namespace

PartitionLog::PartitionLog(std::string dir, LogConfig config, int64_t now_ms, bool clean_shutdown,
                           DirectorySync directory_sync)
    : PartitionLog(std::move(dir), config, now_ms, clean_shutdown, false, directory_sync) {}

PartitionLog::PartitionLog(std::string dir, LogConfig config, int64_t now_ms, bool clean_shutdown, bool repair,
                           DirectorySync directory_sync)
    : dir_(std::move(dir)), config_(config), active_since_ms_(now_ms), last_flush_ms_(now_ms), leader_epochs_(dir_) {
    fs::create_directories(dir_);
    open_segments(clean_shutdown, repair);
    if (segments_.empty()) {
        directory_unsynced_ = directory_sync == DirectorySync::with_first_flush;
        segments_.push_back(Segment::create(dir_, 0, config_.index_interval_bytes, !directory_unsynced_));
    }
    flushed_offset_ = log_end_offset();  // what survived the restart is what the disk has
    load_leader_epochs(clean_shutdown);
    // The segments a start read in full anyway (after a crash: from the recovery point on; after a
    // clean stop: the last one) - where the batches of producers still writing are.
    rebuild_producer_state(segments_.size() - std::min(segments_.size(), std::max<size_t>(fully_checked_segments_, 1)));
}

// Idempotence must survive what happens to the log: a broker that restarts, or a follower that
// cuts its tail and becomes leader later, is asked by a producer to append a batch again (its
// acknowledgement was lost with the old leader). Without the producer's last sequence numbers it
// would append the batch a second time - a duplicate of an acknowledged record - or refuse the
// producer's next batch as OUT_OF_ORDER_SEQUENCE_NUMBER, which kills it. So the table is rebuilt
// from the batches the log holds, oldest first, as their appends recorded them: the batch headers
// name the producer, its epoch and sequence numbers, and their offsets are where they now are.
// A batch's time is its max timestamp (Kafka's lastTimestamp), which producer expiration uses.
// REAL KAFKA: ProducerStateManager.truncateAndReload - a snapshot file of this table is written
// at every segment roll, and a rebuild starts from the newest snapshot below the cut, reading
// only the log after it. Here the log is read from `from_segment` (headers only), see the callers.
void PartitionLog::rebuild_producer_state(size_t from_segment) {
    producers = ProducerStateTable{};
    for (size_t i = from_segment; i < segments_.size(); ++i)
        segments_[i]->for_each_batch(
            [&](const RecordBatchHeader& h) { producers.record(h, h.base_offset, h.max_timestamp); });
}

// The checkpoint is written when an epoch is added, right after the batch that starts it - so a
// crash can leave it a step behind the log (the batch written, the checkpoint not yet) or ahead
// of it (the checkpoint durable, the batch's bytes lost from the page cache and cut as a torn
// tail). Both are repaired from the log itself: the batches of the segments this start read in
// full (the only ones a crash may have touched: the rest are below the recovery point) are fed
// to the cache again, and entries past the log end are dropped. After a clean shutdown the
// checkpoint was written before the stop and nothing is read. Without a usable checkpoint, all
// segments are read - headers only, once.
void PartitionLog::load_leader_epochs(bool clean_shutdown) {
    LeaderEpochCache::Load loaded = leader_epochs_.load();
    std::vector<EpochEntry> before = leader_epochs_.entries();
    size_t from = 0;
    if (loaded == LeaderEpochCache::Load::ok)
        from = clean_shutdown
                   ? segments_.size()
                   : segments_.size() - std::min(segments_.size(), std::max<size_t>(fully_checked_segments_, 1));
    else if (loaded == LeaderEpochCache::Load::missing && log_end_offset() > log_start_offset())
        mb::log::info("{}: rebuilding the leader epoch checkpoint from the log", dir_);
    std::vector<EpochEntry> rebuilt = before;
    LeaderEpochCache scratch("");  // in memory only: one write at the end
    scratch.set_entries(std::move(rebuilt));
    for (size_t i = from; i < segments_.size(); ++i)
        segments_[i]->for_each_batch(
            [&](const RecordBatchHeader& h) { scratch.assign(h.partition_leader_epoch, h.base_offset); });
    std::vector<EpochEntry> entries = scratch.entries();
    std::erase_if(entries, [&](const EpochEntry& e) { return e.start_offset >= log_end_offset(); });
    leader_epochs_.set_entries(std::move(entries));
    leader_epochs_.truncate_from_start(log_start_offset());  // persists if it changes anything
    // A new (or never written) partition has no epochs and gets no file yet: its first append
    // writes one. Creating thousands of partitions costs no extra fsyncs that way.
    bool fresh = loaded == LeaderEpochCache::Load::missing && leader_epochs_.entries().empty();
    if (!fresh && (loaded != LeaderEpochCache::Load::ok || leader_epochs_.entries() != before))
        leader_epochs_.persist();
    if (auto latest = leader_epochs_.latest_epoch()) leader_epoch_ = *latest;
}

std::vector<RepairAction> PartitionLog::repair(const std::string& dir, const LogConfig& config) {
    PartitionLog log(dir, config, 0, false, true, DirectorySync::now);
    for (const auto& segment : log.segments_) segment->log_file()->sync();
    return std::move(log.repairs_);
}

void PartitionLog::open_segments(bool clean_shutdown, bool repair) {
    finish_interrupted_cleaning(dir_);
    compacted_until_ = read_recovery_point(dir_, kCleanerCheckpointFile).value_or(0);
    std::vector<int64_t> bases = find_segments(dir_);
    std::vector<bool> data_follows = data_after(dir_, bases);
    std::optional<int64_t> stored_point = read_recovery_point(dir_);
    recovery_point_ = stored_point.value_or(0);
    // The first segment to read in full: the one holding the recovery point (all of them when
    // there is none, as for a directory from before recovery points; only the last one after a
    // clean shutdown).
    size_t first_full = 0;
    while (first_full + 1 < bases.size() && bases[first_full + 1] <= recovery_point_) ++first_full;
    if (clean_shutdown && !bases.empty()) first_full = bases.size() - 1;

    for (size_t i = 0; i < bases.size(); ++i) {
        SegmentOpenOptions options;
        options.check = repair || i >= first_full ? SegmentCheck::full : SegmentCheck::sanity;
        options.data_follows = data_follows[i];
        options.repair = repair;
        options.compacted_until = compacted_until_;
        if (i + 1 < bases.size()) options.next_segment_base = bases[i + 1];
        SegmentOpenReport report;
        auto segment = Segment::open(dir_, bases[i], config_.index_interval_bytes, options, report);
        if (options.check == SegmentCheck::full) ++fully_checked_segments_;
        // Offsets run on from one segment to the next: the file name says where each starts -
        // unless the cleaner removed the last records of the segment before (a gap below its
        // checkpoint).
        bool cleaned_gap = !segments_.empty() && bases[i] > log_end_offset() && bases[i] <= compacted_until_;
        if (!segments_.empty() && bases[i] != log_end_offset() && !cleaned_gap) {
            Damage gap{segment->log_path(), 0,
                       fmt::format("segment starts at offset {} but the one before ends at {}", bases[i],
                                   log_end_offset() - 1)};
            if (segment->empty() && !data_follows[i]) {
                // Empty segments rolled after a tail that a crash tore off: nothing to lose.
                for (size_t j = i; j < bases.size(); ++j)
                    for (const char* ext : {".log", ".index", ".timeindex"})
                        fs::remove(dir_ + "/" + segment_file_stem(bases[j]) + ext);
                mb::log::warn("{}: removed empty segments from {} on ({})", dir_, bases[i], gap.what);
                break;
            }
            if (!repair) throw CorruptFileError(gap);
            segment.reset();
            for (size_t j = i; j < bases.size(); ++j) {
                std::string stem = dir_ + "/" + segment_file_stem(bases[j]);
                repairs_.push_back(moved_aside(stem, j == i ? gap.what : "follows a moved segment"));
                for (const char* ext : {".index", ".timeindex"})
                    if (fs::exists(stem + ext)) move_aside(stem + ext);
            }
            break;
        }
        bool last = i + 1 == bases.size();
        if (!last) segment->seal();
        segments_.push_back(std::move(segment));
        if (!report.damage) continue;
        const Damage& damage = *report.damage;
        recovered_truncated_bytes_ += report.truncated_bytes;
        if (!repair) {
            mb::log::warn("{}: torn tail at byte {} ({}): truncated {} bytes", damage.file, damage.position,
                          damage.what, report.truncated_bytes);
            continue;
        }
        repairs_.push_back(
            {damage.file, damage.position, report.truncated_bytes, report.records_cut, damage.what, report.backup});
        // Later segments cannot follow a cut: their offsets would leave a hole. Moved aside whole.
        for (size_t j = i + 1; j < bases.size(); ++j) {
            std::string stem = dir_ + "/" + segment_file_stem(bases[j]);
            repairs_.push_back(moved_aside(stem, "follows a cut segment"));
            for (const char* ext : {".index", ".timeindex"})
                if (fs::exists(stem + ext)) move_aside(stem + ext);
        }
        segments_.back()->log_file()->sync();
        break;
    }
    if (segments_.empty()) return;
    // Where the next start after a crash begins to read in full.
    int64_t point = segments_.back()->base_offset();
    if (repair) {
        point = repairs_.empty() ? recovery_point_ : std::min(recovery_point_, segments_.back()->base_offset());
    } else if (!clean_shutdown) {
        // After a crash the segments just read may be only in the page cache. They join the
        // rolled segments, which the broker fsyncs in the background (take_rolled), and the
        // recovery point moves past them once that is done (rolled_synced) - not now: an fsync
        // per segment here would cost seconds for thousands of segments.
        for (size_t i = first_full; i + 1 < segments_.size(); ++i) rolled_files_.push_back(segments_[i]->log_file());
        point = recovery_point_;
    }
    if (point != recovery_point_) {
        recovery_point_ = point;
        write_recovery_point(dir_, point);
    }
}

void PartitionLog::advance_recovery_point(int64_t synced_up_to) {
    // The segment holding the first offset not known to be synced is where a recovery starts.
    auto it = std::upper_bound(segments_.begin(), segments_.end(), synced_up_to,
                               [](int64_t o, const std::unique_ptr<Segment>& s) { return o < s->base_offset(); });
    if (it == segments_.begin()) return;
    int64_t point = (*(it - 1))->base_offset();
    if (point <= recovery_point_) return;
    recovery_point_ = point;
    write_recovery_point(dir_, point);
}

void PartitionLog::set_recovery_point(int64_t offset) {
    recovery_point_ = offset;
    write_recovery_point(dir_, offset);
}

void PartitionLog::rolled_synced(int64_t up_to_offset) { advance_recovery_point(up_to_offset); }

int64_t PartitionLog::size_bytes() const {
    int64_t total = 0;
    for (const auto& segment : segments_) total += segment->size();
    return total;
}

void PartitionLog::roll(int64_t now_ms) {
    // The new segment first: if its files cannot be made, the old one stays active, unchanged.
    auto next = create_segment(log_end_offset());
    // The old segment's indexes reach their files now (this too may fail, still changing nothing);
    // all three files are then flushed in the background.
    Segment& old = *segments_.back();
    old.seal();
    rolled_files_.push_back(old.log_file());
    rolled_index_paths_.push_back(old.index_path());
    rolled_index_paths_.push_back(old.time_index_path());
    segments_.push_back(std::move(next));
    active_since_ms_ = now_ms;
}

PartitionLog::Appended PartitionLog::append(std::string_view batch, const RecordBatchHeader& header, int64_t now_ms) {
    return append_with_epoch(batch, header, leader_epoch_, log_end_offset(), now_ms);
}

PartitionLog::Appended PartitionLog::append_as_follower(std::string_view batch, const RecordBatchHeader& header,
                                                        int64_t now_ms) {
    // A batch of the leader's cleaned part: after a gap, or with fewer records than offsets. Our
    // checkpoint covers it first, so that our next start accepts the hole it leaves here too.
    const bool gap = header.base_offset > log_end_offset();
    const bool partial = header.record_count < header.last_offset_delta + 1;
    if ((gap || partial) && header.last_offset() + 1 > compacted_until_)
        advance_compacted_until(header.last_offset() + 1);
    return append_with_epoch(batch, header, header.partition_leader_epoch,
                             std::max(header.base_offset, log_end_offset()), now_ms);
}

void PartitionLog::become_leader(int32_t epoch) {
    leader_epoch_ = epoch;
    leader_epochs_.assign(epoch, log_end_offset());
}

PartitionLog::Appended PartitionLog::append_with_epoch(std::string_view batch, const RecordBatchHeader& header,
                                                       int32_t epoch, int64_t base_offset, int64_t now_ms) {
    Segment* active = segments_.back().get();
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
    stored.partition_leader_epoch = epoch;
    int64_t position = active->size();
    // The batch's first 16 bytes: baseOffset INT64 | batchLength INT32 | partitionLeaderEpoch
    // INT32. The CRC starts after them (at attributes), which is why a broker may rewrite both
    // the offset and the epoch without recomputing it.
    constexpr size_t kHead = 16;
    if (config_.log_append_time) {
        // The timestamp is under the CRC: this (rare) path copies the batch to restamp it.
        std::string copy(batch);
        set_base_offset(copy.data(), base_offset);
        set_partition_leader_epoch(copy.data(), epoch);
        set_log_append_time(copy.data(), copy.size(), now_ms);
        stored.max_timestamp = now_ms;
        active->append(std::string_view(copy).substr(0, kHead), std::string_view(copy).substr(kHead), stored);
    } else {
        char head[kHead];
        std::copy_n(batch.data(), kHead, head);
        set_base_offset(head, base_offset);
        set_partition_leader_epoch(head, epoch);
        active->append({head, sizeof head}, batch.substr(kHead), stored);
    }
    // Rare (a leader change): writes the checkpoint. After the batch, so that the checkpoint
    // never names an epoch whose first batch was not even written (see load_leader_epochs).
    leader_epochs_.assign(epoch, base_offset);
    unflushed_messages_ += header.record_count;
    return {base_offset, position, active};
}

// A fetch may return more than max_bytes when the first batch alone is bigger: as in Kafka
// (KIP-74), a consumer must always be able to make progress, so one whole batch is the minimum.
// The slice may end in the middle of a batch; clients drop a partial last batch, as with Kafka.
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

int64_t PartitionLog::offset_for_timestamp(int64_t timestamp, int64_t* found_timestamp) const {
    for (const auto& segment : segments_) {
        int64_t found = segment->find_offset_for_timestamp(timestamp, found_timestamp);
        if (found >= 0) return found;
    }
    return -1;
}

// Retention deletes whole segments, never records: that is why it costs a rename per segment
// instead of a rewrite, and why a log may hold a little more than retention.bytes (the segment
// that would cross the limit stays). Consumers of the deleted offsets get OFFSET_OUT_OF_RANGE
// and reset per auto.offset.reset.
std::vector<std::string> PartitionLog::enforce_retention(int64_t now_ms) {
    std::vector<std::string> removed;
    // cleanup.policy=compact alone: records leave the log only when the cleaner finds a newer
    // record with their key (Kafka: retention.ms and retention.bytes apply only with "delete").
    if (!config_.cleanup_delete) return removed;
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
    if (!removed.empty()) leader_epochs_.truncate_from_start(log_start_offset());
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

std::unique_ptr<Segment> PartitionLog::create_segment(int64_t base_offset) {
    auto segment = Segment::create(dir_, base_offset, config_.index_interval_bytes);
    directory_unsynced_ = false;  // that fsync covered the first segment's name too
    return segment;
}

FlushJob PartitionLog::begin_flush() {
    flush_in_progress_ = true;
    unflushed_messages_ = 0;
    FlushJob job = take_rolled();
    job.files.push_back(segments_.back()->log_file());
    // The records become durable with the segment's name, or not at all (see DirectorySync).
    if (std::exchange(directory_unsynced_, false)) job.directories.push_back(dir_);
    job.up_to_offset = log_end_offset();
    return job;
}

void PartitionLog::flush_done(int64_t up_to_offset, int64_t now_ms) {
    flush_in_progress_ = false;
    last_flush_ms_ = now_ms;
    flushed_offset_ = std::max(flushed_offset_, up_to_offset);
    advance_recovery_point(up_to_offset);  // the job synced the rolled segments too
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
    rolled.up_to_offset = segments_.back()->base_offset();  // every rolled segment ends below it
    return rolled;
}

void PartitionLog::sync_directory_if_pending() {
    if (directory_unsynced_) sync_directory(dir_);
    directory_unsynced_ = false;
}

std::vector<std::shared_ptr<File>> PartitionLog::all_files() {
    std::vector<std::shared_ptr<File>> files;
    for (const auto& segment : segments_) files.push_back(segment->log_file());
    // Sealed segments wrote theirs when sealed; the active one's catch up now (a clean shutdown).
    auto [index, time_index] = segments_.back()->write_pending_indexes();
    for (auto* written : {&index, &time_index})
        if (*written) files.push_back(std::move(*written));
    return files;
}

}  // namespace minikafka
