// minikafka/core/broker.cpp
//
// CONCEPT: the broker's shared mechanisms: group commit, periodic housekeeping, long-poll
// wake-ups (see broker.hpp). They are where the notes' "Message Persistence can impact write
// performance" is answered: an fsync is never run on the event loop and never once per request.
//
//   append ─▶ flush_if_due ─▶ run_later(0) ─▶ start_flush ─▶ background fsync ─▶ flush_done
//             (queued appends of the same turn share this fsync)   └▶ answers the waiting acks
//   tick (every few ms) ─▶ session timeouts, flush.ms, rolled segments, retention, producer expiry
//
// READ NEXT: storage/background_worker.hpp (the fsync thread), storage/partition_log.hpp
//            (flush_due, begin_flush), handlers/fetch.cpp (the waiters records_appended wakes).
#include "broker.hpp"

#include <algorithm>

#include "replica_manager.hpp"
#include "reply.hpp"

namespace minikafka {

Broker::Broker(BrokerConfig config_, LogConfig log_defaults, GroupConfig group_config, std::string data_dir,
               BrokerServices services_)
    : config(std::move(config_)),
      logs(data_dir, log_defaults),
      groups(group_config),
      offset_store(data_dir + "/consumer-offsets.log"),
      services(std::move(services_)) {
    groups.trace = [this](std::string_view line) { trace("{}", line); };
    last_retention_check_ms_ = services.now_ms();
    // Producer ids are not persisted: starting from the clock keeps a restarted broker's ids above
    // those it handed out before (the previous run would have needed more than a thousand ids per
    // millisecond it ran to reach them), so an old producer's id is never given to a new one.
    next_producer_id_ = services.now_ms() * 1000;
}

// Start: the logs first (each partition recovers its segments), then the committed offsets are
// replayed into the group coordinator. In cluster mode a partition without a directory here stays
// absent (no replica of it on this broker); single-node mode creates missing ones empty.
void Broker::load(bool clustered) {
    logs.load(now_ms(), !clustered);
    offset_store.load([this](OffsetRecord&& record) {
        if (record.value.offset < 0)  // tombstone: the topic was deleted
            groups.forget_partition(record.group, record.topic, record.partition);
        else
            groups.set_offset(record.group, record.topic, record.partition, std::move(record.value));
    });
}

void Broker::flush_if_due(const std::shared_ptr<PartitionLog>& log) {
    if (log->flush_in_progress() || !log->flush_due(now_ms())) return;
    // Not now but after the requests already queued on the broker thread: those appends then
    // share this fsync (group commit).
    log->mark_flush_queued();
    services.run_later(0, [this, log] { start_flush(log); });
}

// A segment that was rolled (closed for appends) is synced once, completely, in the background;
// after that the start-up recovery after a crash may skip it and re-check only later segments.
void Broker::sync_rolled_segments(PartitionLog& log) {
    FlushJob rolled = log.take_rolled();
    // Once synced, the rolled segments need no reading at a start after a crash (recovery point).
    if (!rolled.files.empty())
        services.background->sync(
            std::move(rolled.files),
            [weak = log.weak_from_this(), up_to = rolled.up_to_offset] {
                if (auto synced = weak.lock()) synced->rolled_synced(up_to);
            },
            std::move(rolled.closed_files));
}

void Broker::start_flush(const std::shared_ptr<PartitionLog>& log) {
    FlushJob job = log->begin_flush();
    // The worker takes the files; the broker's side needs only the offset they make durable.
    services.background->sync(
        std::move(job.files),
        [this, log, up_to_offset = job.up_to_offset] {
            log->flush_done(up_to_offset, now_ms());
            // Appends made during the fsync wait for the next one.
            if (log->flush_due(now_ms())) start_flush(log);
        },
        std::move(job.closed_files), std::move(job.directories));
}

// Housekeeping on the event loop's timer, not on threads of its own: everything it touches
// (groups, logs, producer tables) belongs to the broker thread, so no lock is needed. Only the
// slow file work (fsync, deleting segments) is handed to the background worker.
void Broker::tick() {
    int64_t now = now_ms();
    bool retention = now - last_retention_check_ms_ >= config.retention_check_interval_ms;
    if (retention) last_retention_check_ms_ = now;
    bool producers = now - last_producer_expiration_ms_ >= config.producer_id_expiration_check_interval_ms;
    if (producers) last_producer_expiration_ms_ = now;
    groups.tick(now);  // session timeouts, rebalance deadlines
    sweep_finished_fetch_waiters();
    for (auto& [name, topic] : logs.topics_mutable()) {
        for (const auto& log : topic.partitions) {
            if (!log) continue;          // a partition not replicated on this broker
            flush_if_due(log);           // flush.ms
            sync_rolled_segments(*log);  // retention below may roll an expired active segment
            if (producers) log->producers.expire(now, config.producer_id_expiration_ms);
            if (retention) {
                std::vector<std::string> deleted = log->enforce_retention(now);
                if (!deleted.empty()) services.background->remove(std::move(deleted));
            }
        }
    }
    run_cleaner(now);
}

// Kafka's log cleaner runs on threads of its own; ours is a slice of work per tick on the broker
// thread (storage/log_cleaner.hpp), which needs no lock and cannot stall anyone for longer than a
// slice. Idle, it looks every log.cleaner.backoff.ms for the compacted partition with the highest
// dirty ratio that has reached its min.cleanable.dirty.ratio - Kafka's "filthiest log first".
void Broker::run_cleaner(int64_t now) {
    if (!cleaner.busy()) {
        if (now - last_cleaner_check_ms_ < config.cleaner_backoff_ms) return;
        last_cleaner_check_ms_ = now;
        std::shared_ptr<PartitionLog> filthiest;
        int64_t filthiest_bound = 0;
        double highest = 0;
        for (const auto& [name, topic] : logs.topics())
            for (size_t p = 0; p < topic.partitions.size(); ++p) {
                const auto& log = topic.partitions[p];
                if (!log || !log->config().cleanup_compact) continue;
                // Only below the high watermark: what is above it may still be truncated away.
                int64_t bound = log->log_end_offset();
                if (replicas) {
                    const PartitionState* state = replicas->find(name, static_cast<int32_t>(p));
                    bound = state ? state->high_watermark : 0;
                }
                const double ratio = LogCleaner::dirty_ratio(*log, bound);
                if (ratio > highest && ratio >= log->config().min_cleanable_dirty_ratio) {
                    highest = ratio;
                    filthiest = log;
                    filthiest_bound = bound;
                }
            }
        if (!filthiest || !cleaner.start(filthiest, filthiest_bound)) return;
    }
    const LogCleaner::Step step = cleaner.step(now);
    if (step == LogCleaner::Step::sync_needed) {
        // The cleaned files are fsynced off the broker thread; the swap waits for it (next ticks).
        std::vector<std::shared_ptr<File>> files = cleaner.files_to_sync();
        services.background->sync(files, [this, files] { cleaner.synced(files); });
    }
    std::vector<std::string> removed = cleaner.take_removed_files();
    if (!removed.empty()) services.background->remove(std::move(removed));
    // Finished: look again soon - another partition may be waiting (or this one, past a full map).
    if (step == LogCleaner::Step::finished) last_cleaner_check_ms_ = 0;
}

// Synchronous, on the broker thread: only a graceful stop calls it, when no request waits any more
// and the next start should find everything on disk.
void Broker::flush_everything_now() {
    for (const auto& [name, topic] : logs.topics())
        for (const auto& log : topic.partitions)
            if (log) {
                for (const auto& file : log->all_files()) file->sync();
                log->sync_directory_if_pending();
            }
    offset_store.file()->sync();
    // Only the graceful stop calls this: the next start may skip re-reading what is now on disk.
    logs.mark_clean_shutdown();
}

// The live set is the coordinator's in-memory table - already "last record per key wins" - so a
// compaction is a plain rewrite of it, with no merge pass over the old file.
void Broker::compact_offsets_if_worthwhile() {
    if (!offset_store.compaction_worthwhile(groups.committed_offset_count())) return;
    std::vector<OffsetRecord> live;
    for (const auto& [group, topic] : groups.list_groups())
        if (const auto* offsets = groups.offsets(group))
            for (const auto& [key, value] : *offsets) live.push_back({group, key.first, key.second, value});
    offset_store.compact_if_worthwhile(live);
}

// Single-node OffsetCommit: the answer leaves only once the offsets file is fsynced, so a commit
// the client saw succeed survives a crash of the machine (cluster mode replicates instead,
// offsets_topic.cpp). Compaction is tried here, on the commit path, because commits are what make
// the file grow.
void Broker::answer_when_offsets_are_on_disk(Reply& reply) {
    compact_offsets_if_worthwhile();
    auto deferred = reply.defer();
    services.background->sync({offset_store.file()}, [deferred] { deferred->finish(); });
}

void Broker::add_fetch_waiter(const std::shared_ptr<FetchWaiter>& waiter, std::vector<const PartitionLog*> partitions) {
    // A request may name one partition many times (60,000 fit in 1 MB): register it once.
    std::sort(partitions.begin(), partitions.end());
    partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
    for (const PartitionLog* log : partitions) {
        auto& waiters = fetch_waiters_[log];
        std::erase_if(waiters, [](const auto& w) { return w->finished(); });  // timed out meanwhile
        waiters.push_back(waiter);
    }
}

// Keyed by partition, like Kafka's delayed-fetch purgatory: an append wakes only the fetches
// that read this partition, so a thousand consumers idling on other partitions cost nothing here.
// In a cluster the leader also tells the two kinds of reader apart: an acks=all append moves only
// the log end, which a follower reads up to and a consumer does not; the HW moves a batch later,
// when the last follower fetched it, which only consumers wait for. Without that, every batch
// woke each parked follower fetch a second time, to re-read every partition it follows and find
// nothing (a follower's HW only needs to travel with its next answer, as in Kafka).
void Broker::records_appended(const PartitionLog& log, FetchWake what) {
    auto found = fetch_waiters_.find(&log);
    if (found == fetch_waiters_.end()) return;
    // Each waiter reads again and drops out once it has answered (answering only completes a
    // reply; it never parks another fetch, so the list holds still meanwhile). An emptied list
    // stays for the next long poll on this partition; tick() sweeps the idle ones.
    std::erase_if(found->second, [what](const auto& waiter) {
        if (waiter->finished()) return true;
        if (what != FetchWake::any && waiter->reads_to_log_end() != (what == FetchWake::log_end_moved)) return false;
        return waiter->on_records_appended();
    });
}

void Broker::sweep_finished_fetch_waiters() {
    for (auto& [log, waiters] : fetch_waiters_) std::erase_if(waiters, [](const auto& w) { return w->finished(); });
    std::erase_if(fetch_waiters_, [](const auto& entry) { return entry.second.empty(); });
}

}  // namespace minikafka
