// minikafka/core/offsets_topic.cpp - the coordinator as the leader of a __consumer_offsets
// partition (see the header).
//
// CONCEPT: consumer groups that survive a broker's death (offsets_topic.hpp): a commit is a
// record appended to the group's partition of __consumer_offsets and acknowledged at the high
// watermark, like an acks=all produce; a broker that becomes that partition's leader replays it
// and takes the group over. Kafka does exactly this; we reuse the same replicated partitions.
//
//   group id ─hash─▶ partition p ─▶ its leader is the coordinator
//   OffsetCommit ─▶ append (model/offset_commit_record) ─▶ HW covers it ─▶ answer
//   becoming leader of p ─▶ replay p ─▶ the groups' offsets are ours
//
// READ NEXT: handlers/offsets.cpp, docs/minikafka/05-replication-and-the-controller.md
//            "Consumer groups survive a broker's death".
#include "offsets_topic.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "broker.hpp"
#include "controller.hpp"
#include "log.hpp"
#include "model/record_batch.hpp"
#include "protocol/admin.hpp"
#include "replica_manager.hpp"
#include "reply.hpp"

namespace minikafka {

// Why reimplement Java's String.hashCode: the group -> partition mapping must be Kafka's own
// (abs(hashCode) % partitions), so that a group lands on the partition a Kafka cluster with the
// same partition count would pick - and `kcat -C -t __consumer_offsets -p N` finds it where a
// Kafka user expects it.
int32_t java_string_hash(std::string_view utf8) {
    // Java strings are UTF-16: a code point above U+FFFF counts as two units (a surrogate pair).
    // A malformed byte counts as U+FFFD, as Java's decoder replaces it.
    uint32_t h = 0;
    auto unit = [&h](uint32_t u) { h = 31 * h + u; };
    for (size_t i = 0; i < utf8.size();) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (n == 0 || i + n > utf8.size()) {
            unit(0xFFFD);
            ++i;
            continue;
        }
        uint32_t cp = n == 1 ? c : c & (0x7F >> n);
        for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
        i += n;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            unit(0xD800 + (cp >> 10));
            unit(0xDC00 + (cp & 0x3FF));
        } else {
            unit(cp);
        }
    }
    return static_cast<int32_t>(h);
}

int32_t offsets_partition_for(std::string_view group_id, int32_t partitions) {
    // Kafka's Utils.abs: Integer.MIN_VALUE has no positive counterpart and maps to 0.
    const int32_t h = java_string_hash(group_id);
    const int32_t positive = h == INT32_MIN ? 0 : std::abs(h);
    return partitions > 0 ? positive % partitions : 0;
}

OffsetsTopic::OffsetsTopic(OffsetsTopicConfig config, Broker& broker, Controller& controller, ReplicaManager& replicas)
    : config_(config), broker_(broker), controller_(controller), replicas_(replicas) {
    // A completed rebalance (and an emptied group's tombstone) goes to the group's partition like
    // a commit does. Kafka answers a store that cannot be replicated in time with
    // COORDINATOR_NOT_AVAILABLE: the members rejoin, which is always safe.
    broker_.groups.store_group = [this](std::string_view group_id, std::optional<GroupMetadataValue> value,
                                        std::function<void(ErrorCode)> done) {
        GroupMetadataRecord record{std::string(group_id), std::move(value)};
        append_batch(group_id, encode_group_metadata_batch(record, broker_.now_ms()),
                     record.value ? "a group metadata record" : "a group metadata tombstone",
                     [done = std::move(done)](ErrorCode error) {
                         done(error == ErrorCode::RequestTimedOut ? ErrorCode::CoordinatorNotAvailable : error);
                     });
    };
}

OffsetsTopic::~OffsetsTopic() { broker_.groups.store_group = nullptr; }

// The topic's real partition count (another node may have created it with another setting).
int32_t OffsetsTopic::partition_count() const {
    const MetadataImage::TopicState* topic = controller_.find_topic(kOffsetsTopic);
    return topic ? static_cast<int32_t>(topic->partitions.size()) : 0;
}

void OffsetsTopic::ask_for_topic(int64_t now_ms) {
    if (last_create_ms_ >= 0 && now_ms - last_create_ms_ < 1000) return;  // asked a moment ago
    last_create_ms_ = now_ms;
    // Kafka refuses to create the topic with fewer live brokers than the replication factor
    // unless that is lowered; dev setups lower it to 1. We cap it at the live brokers.
    int16_t live = 0;
    for (const auto& [id, b] : controller_.image().brokers())
        if (!b.fenced) ++live;
    CreatableTopic topic;
    topic.name = std::string(kOffsetsTopic);
    topic.num_partitions = config_.partitions;
    topic.replication_factor = std::max<int16_t>(1, std::min(config_.replication_factor, live));
    // Compacted, as Kafka creates it: only the latest commit per (group, topic, partition) stays,
    // however old - retention would delete the offsets of a group idle longer than retention.ms,
    // and a new coordinator would then load nothing for it (storage/log_cleaner.hpp).
    topic.configs.push_back({"cleanup.policy", "compact"});
    broker_.trace("group coordinator: asks the controller for {} ({} partitions, replication factor {})", kOffsetsTopic,
                  topic.num_partitions, topic.replication_factor);
    if (controller_.is_active()) {
        controller_.create_topic(topic, config_.partitions, topic.replication_factor, false, controller_clock_ms());
    } else if (broker_.ask_controller) {
        CreateTopicsRequest request;
        request.topics.push_back(std::move(topic));
        mb::ByteBuffer buffer;
        KafkaWriter out(buffer);
        encode_create_topics_request(out, request);
        broker_.ask_controller(ApiKey::CreateTopics, std::string(buffer.readable()), [](auto) {});
    }
}

// FindCoordinator in a cluster. The topic is created on first use, as Kafka does: until it exists
// and the group's partition has a live leader, the answer is COORDINATOR_NOT_AVAILABLE, which
// every client retries after a short back-off.
OffsetsTopic::Coordinator OffsetsTopic::find_coordinator(std::string_view group_id, int64_t now_ms) {
    const MetadataImage::TopicState* topic = controller_.find_topic(kOffsetsTopic);
    if (!topic || topic->partitions.empty()) {
        ask_for_topic(now_ms);
        return {ErrorCode::CoordinatorNotAvailable, -1, "", -1};
    }
    const int32_t p = offsets_partition_for(group_id, static_cast<int32_t>(topic->partitions.size()));
    auto record = topic->partitions.find(p);
    if (record == topic->partitions.end() || record->second.leader < 0)
        return {ErrorCode::CoordinatorNotAvailable, -1, "", -1};
    auto leader = controller_.image().brokers().find(record->second.leader);
    if (leader == controller_.image().brokers().end() || leader->second.fenced ||
        leader->second.registration.endpoints.empty())
        return {ErrorCode::CoordinatorNotAvailable, -1, "", -1};
    const BrokerEndpoint& endpoint = leader->second.registration.endpoints.front();
    return {ErrorCode::None, record->second.leader, endpoint.host, endpoint.port};
}

// The two "no" answers send the client different ways. NOT_COORDINATOR: this broker does not own
// the group (any more) - ask FindCoordinator again, the group lives elsewhere. LOAD_IN_PROGRESS:
// it does, but has not finished replaying the partition - ask this same broker again shortly.
// Answering from a half-loaded partition would hand out offsets older than the last commit.
ErrorCode OffsetsTopic::check(std::string_view group_id) const {
    const int32_t count = partition_count();
    if (count == 0) return ErrorCode::NotCoordinator;
    const int32_t p = offsets_partition_for(group_id, count);
    if (p >= static_cast<int32_t>(slots_.size())) return ErrorCode::NotCoordinator;
    const Slot& slot = slots_[p];
    // The image may have moved on since the last tick: leadership is checked here too.
    PartitionState* state = replicas_.find(kOffsetsTopic, p);
    if (!state || !replicas_.leads(*state) || state->leader_epoch != slot.leader_epoch)
        return ErrorCode::NotCoordinator;
    if (slot.state == Load::loading) return ErrorCode::CoordinatorLoadInProgress;
    return slot.state == Load::loaded ? ErrorCode::None : ErrorCode::NotCoordinator;
}

// Follows leadership of the __consumer_offsets partitions: a partition we came to lead is loaded
// (its records replayed into broker.groups), one we lost is unloaded (its groups dropped, their new
// coordinator has them). A new leader epoch counts as a loss and a gain: what was loaded under the
// old epoch may differ from what the new one committed.
void OffsetsTopic::tick(int64_t now_ms) {
    (void)now_ms;
    const int32_t count = partition_count();
    if (static_cast<int32_t>(slots_.size()) < count) slots_.resize(static_cast<size_t>(count));
    for (int32_t p = 0; p < static_cast<int32_t>(slots_.size()); ++p) {
        Slot& slot = slots_[p];
        PartitionState* state = p < count ? replicas_.find(kOffsetsTopic, p) : nullptr;
        const bool leads = state && replicas_.leads(*state);
        if (slot.state != Load::none && (!leads || state->leader_epoch != slot.leader_epoch)) unload(p);
        if (!leads) continue;
        PartitionLog* log = broker_.logs.partition(kOffsetsTopic, p);
        if (!log) continue;
        if (slot.state == Load::none) {
            // Everything in our log may be a commit that was acknowledged by the old leader; what
            // is above our HW is not known to be on the other replicas yet. We serve the groups
            // only once the HW has reached the log end we start from: then what we load is
            // committed, and a commit we answer can never be undone by the next failover.
            slot = {Load::loading, state->leader_epoch, log->log_end_offset()};
            broker_.trace("group coordinator: {}-{} is ours (epoch {}): loading its groups up to offset {}",
                          kOffsetsTopic, p, state->leader_epoch, slot.load_end);
        }
        if (slot.state == Load::loading && state->high_watermark >= slot.load_end) load(p);
    }
}

// Replays the whole partition from its log start: every record is one group's offset for one
// partition, later records overwrite earlier ones, and a null value (a tombstone: the offset was
// deleted) forgets it. The result is what the previous coordinator had answered - every commit it
// acknowledged is below the HW we waited for in tick(). The topic is compacted (cleanup.policy=
// compact, storage/log_cleaner.hpp), which keeps this replay short and leaves holes in the offsets:
// read() answers an offset in a hole with the next batch after it, and `offset` jumps past each
// batch's last offset - so a compacted log replays like any other, latest commit per key last.
void OffsetsTopic::load(int32_t partition) {
    Slot& slot = slots_[partition];
    PartitionLog* log = broker_.logs.partition(kOffsetsTopic, partition);
    int64_t offset = log->log_start_offset();
    const int64_t end = log->log_end_offset();
    size_t records = 0;
    int64_t max_bytes = 1 << 20;
    std::string bytes;
    size_t groups = 0;
    const int64_t now = broker_.now_ms();
    auto apply = [&](OffsetCommitRecord&& record) {
        ++records;
        if (record.value)
            broker_.groups.set_offset(record.group, record.topic, record.partition, std::move(*record.value));
        else
            broker_.groups.forget_partition(record.group, record.topic, record.partition);
    };
    // A group's record: the latest one wins, as for offsets. What it restores is the group as the
    // previous coordinator's last completed rebalance left it - generation, leader, members and
    // their assignments - so the members' next heartbeats and commits are simply accepted here.
    auto apply_group = [&](GroupMetadataRecord&& record) {
        ++groups;
        broker_.groups.restore_group(record.group, record.value, now);
    };
    while (offset < end) {
        std::optional<LogSlice> slice = log->read(offset, max_bytes);
        if (!slice) break;
        bytes.resize(slice->size);
        bytes.resize(slice->file->read_at(slice->position, bytes.data(), bytes.size()));
        size_t at = 0;
        const int64_t before = offset;
        while (bytes.size() - at >= kBatchHeaderSize) {
            RecordBatchHeader header = decode_batch_header(bytes.data() + at);
            if (header.batch_length < 0 || header.total_size() > bytes.size() - at) break;  // cut by max_bytes
            const std::string_view batch = std::string_view(bytes).substr(at, header.total_size());
            if (header.last_offset() >= offset &&
                !(decode_offset_commit_batch(batch, apply) && decode_group_metadata_batch(batch, apply_group)))
                mb::log::warn("group coordinator: {}-{}: a record at offset {} does not parse; skipped", kOffsetsTopic,
                              partition, header.base_offset);
            offset = std::max(offset, header.last_offset() + 1);
            at += header.total_size();
        }
        // No whole batch in the slice: one batch is bigger than max_bytes. Ask for more, rather
        // than skipping the batch and losing the commits in it.
        if (offset == before) {
            if (slice->size < max_bytes) break;  // nothing whole to read: should not happen
            max_bytes *= 2;                      // a batch larger than what we asked for
        }
    }
    slot.state = Load::loaded;
    broker_.trace(
        "group coordinator: {}-{} loaded: {} offset records and {} group records replayed, now "
        "coordinating its groups",
        kOffsetsTopic, partition, records, groups);
}

void OffsetsTopic::unload(int32_t partition) {
    const int32_t count = partition_count();
    const size_t dropped = broker_.groups.drop_groups(
        [&](std::string_view group) { return count == 0 || offsets_partition_for(group, count) == partition; });
    slots_[partition] = {};
    broker_.trace("group coordinator: {}-{} is not ours any more: {} groups dropped (their new coordinator has them)",
                  kOffsetsTopic, partition, dropped);
}

namespace {
// One commit waiting for the HW and perhaps an fsync, or for its timeout, whichever comes first.
struct PendingCommit {
    std::function<void(ErrorCode)> done;
    int pending = 0;
    void finish(ErrorCode error) {
        if (!done) return;
        if (error != ErrorCode::None || --pending == 0) std::exchange(done, nullptr)(error);
    }
};
}  // namespace

// An OffsetCommit in cluster mode. The answer waits for up to two things, counted in
// PendingCommit: the HW covering the batch (every ISR member holds it, so no failover can undo
// it), and an fsync when the topic's flush settings ask for one. offsets.commit.timeout.ms bounds
// the wait; past it the client gets REQUEST_TIMED_OUT and retries the commit, which is harmless -
// committing the same offset twice is the same as committing it once.
void OffsetsTopic::append(std::string_view group_id, const std::vector<OffsetCommitRecord>& records,
                          std::function<void(ErrorCode)> done) {
    append_batch(group_id, encode_offset_commit_batch(records, broker_.now_ms()),
                 fmt::format("{} offset records", records.size()), std::move(done));
}

// Offset commits and group records alike: one batch, appended as leader, answered at the HW.
void OffsetsTopic::append_batch(std::string_view group_id, std::string batch, std::string_view what,
                                std::function<void(ErrorCode)> done) {
    if (ErrorCode error = check(group_id); error != ErrorCode::None) return done(error);
    const int32_t p = offsets_partition_for(group_id, partition_count());
    PartitionState* state = replicas_.find(kOffsetsTopic, p);
    std::shared_ptr<PartitionLog> log = broker_.logs.shared_partition(kOffsetsTopic, p);
    if (!state || !log) return done(ErrorCode::NotCoordinator);
    // acks=all needs min.insync.replicas in the ISR; Kafka answers a commit that cannot have it
    // with COORDINATOR_NOT_AVAILABLE, and the client retries.
    if (static_cast<int32_t>(state->isr.size()) < replicas_.min_insync_replicas(*state))
        return done(ErrorCode::CoordinatorNotAvailable);
    // From here on a commit is an ordinary leader append: the same log, the same HW, the same
    // waiting list as an acks=all produce - nothing offsets-specific is needed for durability.
    const int64_t now = broker_.now_ms();
    RecordBatchHeader header;
    if (validate_batch(batch, header) != BatchCheck::ok) return done(ErrorCode::InvalidCommitOffsetSize);
    try {
        log->append(batch, header, now);
    } catch (const std::exception& e) {
        mb::log::error("group coordinator: cannot append to {}-{}: {}", kOffsetsTopic, p, e.what());
        return done(ErrorCode::NotCoordinator);  // as Kafka maps KAFKA_STORAGE_ERROR
    }
    broker_.records_appended(*log);
    broker_.sync_rolled_segments(*log);
    replicas_.leader_appended(*state, log->log_end_offset());
    const int64_t end = log->log_end_offset();
    broker_.trace("group coordinator: {} of group {} appended to {}-{} up to {}; answered at HW {}", what, group_id,
                  kOffsetsTopic, p, end, end);

    // Answered only while this broker still coordinates the group in the same leader epoch: a
    // commit that completes after leadership moved must not be applied to a group we dropped.
    auto pending = std::make_shared<PendingCommit>();
    pending->done = [this, group = std::string(group_id), epoch = state->leader_epoch, p,
                     done = std::move(done)](ErrorCode error) {
        PartitionState* now_state = replicas_.find(kOffsetsTopic, p);
        if (error == ErrorCode::None &&
            (!now_state || !replicas_.leads(*now_state) || now_state->leader_epoch != epoch))
            error = ErrorCode::NotCoordinator;
        done(error);
    };
    pending->pending = 1;
    const bool flush = log->flush_due(now);
    if (flush) ++pending->pending;
    if (state->high_watermark >= end) {
        pending->finish(ErrorCode::None);
    } else {
        state->waiting_produces.wait(end, [pending](bool replicated) {
            pending->finish(replicated ? ErrorCode::None : ErrorCode::NotCoordinator);
        });
    }
    if (flush) {
        log->when_flushed(end, [pending] { pending->finish(ErrorCode::None); });
        broker_.flush_if_due(log);
    }
    if (pending->done)
        broker_.services.run_later(config_.commit_timeout_ms, [weak = std::weak_ptr(pending)] {
            if (auto p = weak.lock()) p->finish(ErrorCode::RequestTimedOut);
        });
}

}  // namespace minikafka
