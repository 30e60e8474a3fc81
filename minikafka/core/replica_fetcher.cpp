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

namespace minikafka {

// The fetcher's next request to its leader: always a Fetch (kReplicaFetchVersion, v12). A
// partition that has just changed leader need not ask "where do our logs part?" first: each
// partition's Fetch names the epoch of our last record (last_fetched_epoch), the leader checks it
// against its own history, and a diverged log is told where to cut in the answer itself
// (handle_fetch_response). Only a log without any epoch - nothing the leader could compare -
// settles here, the old way: cut to the high watermark.
// (Before Fetch v12, Kafka's followers asked OffsetsForLeaderEpoch first, one extra round trip
// per leader change; Kafka 2.7+ truncates on the fetch, as here. The leader still answers
// OffsetsForLeaderEpoch for consumers: handlers/offsets_for_leader_epoch.cpp.)
WireRequest ReplicaFetcher::build_request(int32_t max_wait_ms) {
    auto followed = replicas_.followed_by_leader();
    auto mine = followed.find(leader_);
    if (mine == followed.end()) return {};
    for (PartitionState* p : mine->second) {
        if (!p->truncation_pending) continue;
        PartitionLog* log = logs_.partition(p->topic, p->index);
        if (!log) continue;
        if (log->leader_epochs().latest_epoch()) {
            p->truncation_pending = false;  // the Fetch's last_fetched_epoch does the asking
        } else {
            replicas_.truncate_to_high_watermark(*p, *log);
        }
    }
    return {ApiKey::Fetch, kReplicaFetchVersion, build_fetch(max_wait_ms, mine->second)};
}

// min_bytes 1 and the caller's max_wait_ms make this a long poll: the leader answers as soon as any
// followed partition has a new record, so replication adds about one network round trip to an
// acks=all produce, and an idle follower costs the leader one parked request.
std::string ReplicaFetcher::build_fetch(int32_t max_wait_ms, const std::vector<PartitionState*>& partitions) {
    FetchRequest request;
    request.replica_id = node_id_;
    request.max_wait_ms = max_wait_ms;
    request.min_bytes = config_.min_bytes;
    request.max_bytes = config_.response_max_bytes;
    std::vector<std::string> topics;
    for (PartitionState* p : partitions) {  // sorted by (topic, partition): grouped by topic
        const PartitionLog* log = logs_.partition(p->topic, p->index);
        if (!log || p->truncation_pending) continue;
        if (topics.empty() || topics.back() != p->topic) topics.push_back(p->topic);
        FetchPartition& f = request.partitions.emplace_back();
        f.partition = p->index;
        f.fetch_offset = log->log_end_offset();  // our LEO: the promise
        p->fetched_from = f.fetch_offset;
        // ... which holds only if the leader's history agrees with ours up to there: the epoch
        // of our last record lets the leader check that (a diverging epoch answers if not).
        f.last_fetched_epoch = log->leader_epochs().latest_epoch().value_or(kUndefinedEpoch);
        f.current_leader_epoch = p->leader_epoch;
        f.partition_max_bytes = config_.partition_max_bytes;
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

bool ReplicaFetcher::handle_response(ApiKey, std::string_view body, int64_t now_ms) {
    return handle_fetch_response(body, now_ms);
}

// The leader found our log diverged from its own (Fetch v12's DivergingEpoch): its largest epoch
// <= our last one ends at `end_offset` there. Cut where the logs part (PartitionLog::
// divergence_from): when we hold that epoch, at the smaller of the two ends - settled; when we do
// not, at the end of our largest epoch below it, and the next Fetch names that older epoch, so
// each round removes one epoch of ours (KIP-279) until the leader agrees.
void ReplicaFetcher::truncate_on_diverging_epoch(PartitionState& p, PartitionLog& log, EpochEnd diverging) {
    const int32_t ours = log.leader_epochs().latest_epoch().value_or(kUndefinedEpoch);
    if (trace)
        trace(
            fmt::format("follower: {}-{} fetch from leader {}: diverged (our last epoch {}, log end {}; the "
                        "leader's epoch {} ends at {})",
                        p.topic, p.index, leader_, ours, log.log_end_offset(), diverging.epoch, diverging.end_offset));
    replicas_.truncate_to_leader(p, log, ours, diverging);
    p.truncation_pending = false;  // settled or not: the next Fetch carries on the comparison
}

// Batches are appended as the leader stored them, at the leader's base offsets. A batch that
// overlaps our log end (a retry) stops the partition until the next fetch asks again from our log
// end. A hole before a batch is the leader's log cleaner's doing (a compacted topic: whole batches
// removed, and batches with fewer records than offsets, hence OffsetGaps::allowed) - believed only
// in an answer to a fetch from our current log end, never in one that a truncation made stale.
// A partial batch at the end is dropped (the next fetch starts at it).
bool ReplicaFetcher::handle_fetch_response(std::string_view body, int64_t now_ms) {
    KafkaReader in(body);
    in.skip_tagged_fields();  // the rest of the response header: v1, as Fetch v12 is flexible
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
        if (fetched.diverging_epoch >= 0) {  // no records come with it: cut, and fetch again
            truncate_on_diverging_epoch(*p, *log, EpochEnd{fetched.diverging_epoch, fetched.diverging_end_offset});
            continue;
        }
        std::string_view rest = fetched.records;
        int64_t appended_records = 0;
        const int64_t from = log->log_end_offset();
        const bool answers_our_end = p->fetched_from == from;
        while (!rest.empty()) {
            RecordBatchHeader header;
            BatchCheck check = validate_batch(rest, header, OffsetGaps::allowed);
            if (check == BatchCheck::truncated) break;
            if (check != BatchCheck::ok) {
                mb::log::warn("follower: {}-{}: a bad batch from leader {} ({}); refetching", fetched.topic,
                              fetched.partition, leader_, to_string(check));
                break;
            }
            const std::string_view batch = rest.substr(0, header.total_size());
            rest.remove_prefix(header.total_size());
            if (header.last_offset() < log->log_end_offset()) continue;                 // already ours
            if (header.base_offset < log->log_end_offset()) break;                      // an overlap: ask again
            if (header.base_offset > log->log_end_offset() && !answers_our_end) break;  // a stale answer
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
