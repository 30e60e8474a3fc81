// minikafka/core/replica_fetcher.cpp - building a follower's Fetch, appending its answer.
//
// CONCEPT: a follower replicates by fetching (replica_fetcher.hpp) - the leader stays passive and
// learns each follower's progress from the offsets it asks for. One request covers every
// partition this broker follows on one leader, so replication costs one long poll per leader,
// not one per partition.
//
//   follower ─Fetch(replica_id=me, [p0@118, p3@40])─▶ leader ─▶ batches + leader's HW
//            ◀── append as they are (offsets already assigned) ── follow_high_watermark
//
// READ NEXT: partition_state.cpp (the HW arithmetic), handlers/fetch.cpp (the leader's side).
#include "replica_fetcher.hpp"

#include <fmt/format.h>

#include "log.hpp"
#include "model/record_batch.hpp"
#include "protocol/fetch.hpp"
#include "protocol/offsets_for_leader_epoch.hpp"

namespace minikafka {

namespace {
constexpr int32_t kPartitionMaxBytes = 1 << 20;  // replica.fetch.max.bytes
constexpr int32_t kResponseMaxBytes = 10 << 20;  // replica.fetch.response.max.bytes
}  // namespace

// The fetcher's next request to its leader. Truncation comes first: a partition that has just
// changed leader must settle "where do our logs part?" (OffsetsForLeaderEpoch) before it fetches,
// or it would append the new leader's records after ones the new leader never had. Until all its
// partitions have settled, the fetcher asks that question instead of fetching.
WireRequest ReplicaFetcher::build_request(int32_t max_wait_ms) {
    auto followed = replicas_.followed_by_leader();
    auto mine = followed.find(leader_);
    if (mine == followed.end()) return {};
    if (std::string asked = build_epoch_request(mine->second); !asked.empty())
        return {ApiKey::OffsetForLeaderEpoch, kReplicaOffsetsForLeaderEpochVersion, std::move(asked)};
    return {ApiKey::Fetch, kReplicaFetchVersion, build_fetch(max_wait_ms, mine->second)};
}

// One question per partition that has not settled with this leader yet: the epoch of our latest
// record. A log without any epoch (empty, or nothing to compare) needs no question.
std::string ReplicaFetcher::build_epoch_request(const std::vector<PartitionState*>& partitions) {
    OffsetsForLeaderEpochRequest request;
    request.replica_id = node_id_;
    for (PartitionState* p : partitions) {  // sorted by (topic, partition): grouped by topic
        if (!p->truncation_pending) continue;
        PartitionLog* log = logs_.partition(p->topic, p->index);
        if (!log) continue;
        std::optional<int32_t> latest = log->leader_epochs().latest_epoch();
        if (!latest) {
            replicas_.truncate_to_high_watermark(*p, *log);
            continue;
        }
        request.partitions.push_back({p->topic, p->index, p->leader_epoch, *latest});
    }
    if (request.partitions.empty()) return {};
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    encode_offsets_for_leader_epoch_request(out, request);
    return std::string(buffer.readable());
}

// min_bytes 1 and the caller's max_wait_ms make this a long poll: the leader answers as soon as any
// followed partition has a new record, so replication adds about one network round trip to an
// acks=all produce, and an idle follower costs the leader one parked request.
std::string ReplicaFetcher::build_fetch(int32_t max_wait_ms, const std::vector<PartitionState*>& partitions) {
    FetchRequest request;
    request.replica_id = node_id_;
    request.max_wait_ms = max_wait_ms;
    request.min_bytes = 1;
    request.max_bytes = kResponseMaxBytes;
    std::vector<std::string> topics;
    for (PartitionState* p : partitions) {  // sorted by (topic, partition): grouped by topic
        const PartitionLog* log = logs_.partition(p->topic, p->index);
        if (!log || p->truncation_pending) continue;
        if (topics.empty() || topics.back() != p->topic) topics.push_back(p->topic);
        FetchPartition& f = request.partitions.emplace_back();
        f.partition = p->index;
        f.fetch_offset = log->log_end_offset();  // our LEO: the promise
        f.current_leader_epoch = p->leader_epoch;
        f.partition_max_bytes = kPartitionMaxBytes;
    }
    // The partitions' topic views point into `topics` (stable now that it is complete).
    size_t t = 0;
    size_t i = 0;
    for (PartitionState* p : partitions) {
        if (!logs_.partition(p->topic, p->index) || p->truncation_pending) continue;
        while (topics[t] != p->topic) ++t;
        request.partitions[i++].topic = topics[t];
    }
    if (request.partitions.empty()) return {};
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    encode_fetch_request(out, request, topics);
    return std::string(buffer.readable());
}

bool ReplicaFetcher::handle_response(ApiKey api, std::string_view body, int64_t now_ms) {
    return api == ApiKey::OffsetForLeaderEpoch ? handle_epoch_response(body) : handle_fetch_response(body, now_ms);
}

// An error (the leader has not applied its own leadership yet: UNKNOWN_LEADER_EPOCH; or it lost
// it: FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER) leaves the partition waiting: asked again after
// the back-off, or by the next leader's fetcher.
bool ReplicaFetcher::handle_epoch_response(std::string_view body) {
    KafkaReader in(body);
    std::vector<OffsetsForLeaderEpochResult> results;
    if (!decode_offsets_for_leader_epoch_response(in, results)) return false;
    had_error_ = false;
    for (const OffsetsForLeaderEpochResult& r : results) {
        PartitionState* p = replicas_.find(r.topic, r.partition);
        if (!p || p->leader != leader_ || !p->truncation_pending) continue;  // leadership moved meanwhile
        PartitionLog* log = logs_.partition(r.topic, r.partition);
        if (!log) continue;
        if (r.error != ErrorCode::None) {
            had_error_ = true;
            if (trace)
                trace(fmt::format("follower: {}-{} OffsetsForLeaderEpoch to leader {} -> error {}", p->topic, p->index,
                                  leader_, static_cast<int>(r.error)));
            continue;
        }
        const int32_t asked = log->leader_epochs().latest_epoch().value_or(kUndefinedEpoch);
        replicas_.truncate_to_leader(*p, *log, asked, EpochEnd{r.leader_epoch, r.end_offset});
    }
    return true;
}

// Batches are appended as the leader stored them: PartitionLog::append gives a batch the next
// offset, which is the leader's base offset as long as our log end is where we asked from - so a
// batch that does not start exactly there (an overlap after a retry, a gap) stops the partition
// until the next fetch asks again from our log end. A partial batch at the end is dropped (the
// next fetch starts at it).
bool ReplicaFetcher::handle_fetch_response(std::string_view body, int64_t now_ms) {
    KafkaReader in(body);
    std::vector<FetchedPartition> partitions;
    if (!decode_fetch_response(in, partitions)) return false;
    ++fetches_;
    had_error_ = false;
    for (const FetchedPartition& fetched : partitions) {
        PartitionState* p = replicas_.find(fetched.topic, fetched.partition);
        // Leadership moved while the fetch was out (and we may have to truncate first).
        if (!p || p->leader != leader_ || p->truncation_pending) continue;
        ErrorCode& told = told_errors_[{p->topic, p->index}];
        if (fetched.error != told && trace && fetched.error == ErrorCode::None)
            trace(fmt::format("follower: {}-{} fetches from leader {} again", p->topic, p->index, leader_));
        const bool new_error = fetched.error != told;
        told = fetched.error;
        if (fetched.error != ErrorCode::None) {
            had_error_ = true;
            if (trace && new_error)
                trace(fmt::format("follower: {}-{} fetch from leader {} -> error {}", fetched.topic, fetched.partition,
                                  leader_, static_cast<int>(fetched.error)));
            continue;
        }
        std::shared_ptr<PartitionLog> log = logs_.shared_partition(fetched.topic, fetched.partition);
        if (!log) continue;
        std::string_view rest = fetched.records;
        int64_t appended_records = 0;
        const int64_t from = log->log_end_offset();
        while (!rest.empty()) {
            RecordBatchHeader header;
            BatchCheck check = validate_batch(rest, header);
            if (check == BatchCheck::truncated) break;
            if (check != BatchCheck::ok) {
                mb::log::warn("follower: {}-{}: a bad batch from leader {} ({}); refetching", fetched.topic,
                              fetched.partition, leader_, to_string(check));
                break;
            }
            const std::string_view batch = rest.substr(0, header.total_size());
            rest.remove_prefix(header.total_size());
            if (header.last_offset() < log->log_end_offset()) continue;  // already ours
            if (header.base_offset != log->log_end_offset()) break;      // a gap: ask again
            try {
                log->append_as_follower(batch, header, now_ms);  // the leader's epoch stamp stays
            } catch (const std::exception& e) {
                mb::log::error("follower: append to {}-{} failed: {}", fetched.topic, fetched.partition, e.what());
                break;
            }
            // Producer state follows the log, so that a follower that becomes leader still drops
            // an idempotent producer's retries of batches it already has.
            log->producers.record(header, header.base_offset, now_ms);
            appended_records += header.record_count;
        }
        if (appended_records > 0) {
            if (appended) appended(log);
            // Sampled: the first fetch that brings records after a quiet time, then every 100th.
            if (trace && (fetches_ % 100 == 1 || from == p->high_watermark))
                trace(fmt::format("follower: {}-{} fetched from leader {}: offsets [{}, {}) appended, leader HW {}",
                                  fetched.topic, fetched.partition, leader_, from, log->log_end_offset(),
                                  fetched.high_watermark));
        }
        replicas_.follower_learned_hw(*p, fetched.high_watermark);
    }
    return true;
}

}  // namespace minikafka
