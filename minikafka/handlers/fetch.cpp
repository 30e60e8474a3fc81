// minikafka/handlers/fetch.cpp
//
// CONCEPT: consuming is reading a log from an offset - the course notes' "Consumers ... process
// data" the Kafka way. Nothing is removed when a consumer reads: any number of groups read the
// same partition at their own pace, and a consumer can re-read from any offset still retained.
// That, and handing the file's bytes to the socket untouched, is where Kafka's throughput comes
// from (the notes' "High Throughput").
//
// Fetch: read stored batches back out, from any offset, with a long poll when there is nothing
// new yet (protocol/fetch.hpp).
//
//   decode_fetch_request -> for each partition: check the offset against [log start, log end],
//   PartitionLog::read (segment by binary search, position from the sparse index) -> a LogSlice
//   of the segment file -> the reply carries the slice, and the session sends those bytes with
//   sendfile(): from the page cache to the socket, never through this process's memory.
//   Not enough bytes yet (min_bytes) and max_wait_ms > 0: the reply is deferred; a PendingFetch
//   waits for an append to one of its partitions (records_appended) or its timer, then reads
//   again and answers.
// READ NEXT: storage/partition_log.cpp (read), server.cpp (send_file).
#include "protocol/fetch.hpp"
#include "core/replica_manager.hpp"
#include "handler_table.hpp"

namespace minikafka {

namespace {

// Cluster mode: the leader's checks for one partition of a Fetch. Returns our state of the
// partition, or nullptr with result.error set. Kafka's rule that consumers read from leaders only
// (before KIP-392's follower fetching): a follower's log may lag, or hold records a failover is
// about to cut off.
PartitionState* check_leader(Broker& broker, const FetchPartition& wanted, FetchPartitionResult& result) {
    PartitionState* state = broker.replicas->find(wanted.topic, wanted.partition);
    if (!state || !broker.replicas->leads(*state)) {
        result.error = ErrorCode::NotLeaderOrFollower;
        return nullptr;
    }
    if (wanted.current_leader_epoch >= 0 && wanted.current_leader_epoch != state->leader_epoch) {
        // Older: the client (or follower) missed a leader change. Newer: we have not applied it.
        result.error = wanted.current_leader_epoch < state->leader_epoch ? ErrorCode::FencedLeaderEpoch
                                                                         : ErrorCode::UnknownLeaderEpoch;
        return nullptr;
    }
    result.high_watermark = state->high_watermark;
    return state;
}

// Fetch v12+: does the fetcher's log end where ours has the same history? Its last record is
// (fetch_offset - 1, last_fetched_epoch); we hold that record only if our epoch
// last_fetched_epoch runs at least to fetch_offset (PartitionLog::check_last_fetched_epoch).
// If not, the answer carries no records but the diverging epoch - our largest epoch <= its and
// where that ends here - and the fetcher cuts its log there. Checked before the offset range:
// a follower that led an epoch we never had may ask from beyond our log end.
// True when the partition is answered (diverged, or OFFSET_OUT_OF_RANGE when we cannot tell).
bool diverged(const FetchPartition& wanted, const PartitionLog& log, FetchPartitionResult& result) {
    if (wanted.last_fetched_epoch < 0) return false;  // v11 and older, or an empty fetcher log
    PartitionLog::FetchEpochCheck check = log.check_last_fetched_epoch(wanted.last_fetched_epoch, wanted.fetch_offset);
    if (check.result == PartitionLog::FetchEpochCheck::agrees) return false;
    if (check.result == PartitionLog::FetchEpochCheck::out_of_range) {
        result.error = ErrorCode::OffsetOutOfRange;
        return true;
    }
    result.diverging_epoch = check.diverging.epoch;
    result.diverging_end_offset = check.diverging.end_offset;
    return true;
}

// A slice may run past `limit` (the HW): cut it at the start of the batch holding `limit`.
// Consumers must never see records that are not committed yet - a failover could remove them
// again - and since the bytes go out untouched, the cut can only fall on a batch boundary.
void cut_at(const PartitionLog& log, int64_t limit, LogSlice& slice) {
    for (const auto& segment : log.segments()) {
        if (segment->log_file() != slice.file) continue;
        std::optional<BatchLocation> at = segment->find(limit);
        if (at && at->position >= slice.position && at->position < slice.position + slice.size)
            slice.size = static_cast<uint32_t>(at->position - slice.position);
        return;
    }
}

// Reads what the request asks for, as the logs stand now. The request-wide max_bytes is spent
// in request order, so the first partitions may use it all (and each stops at its own
// partition_max_bytes). Every error is final for this request (no waiting would fix it),
// which is why an error answers at once instead of long-polling.
void read_partitions(Broker& broker, const FetchRequest& request, FetchResult& out, bool first_read = false) {
    out.partitions.clear();
    out.slices.clear();
    out.bytes = 0;
    out.error = false;
    int64_t remaining = request.max_bytes;
    for (const FetchPartition& wanted : request.partitions) {
        FetchPartitionResult& result = out.partitions.emplace_back();
        LogSlice& slice = out.slices.emplace_back();
        result.topic = wanted.topic;
        result.partition = wanted.partition;
        const PartitionLog* log = broker.logs.partition(wanted.topic, wanted.partition);
        if (!log) {
            result.error = ErrorCode::UnknownTopicOrPartition;
            out.error = true;
            continue;
        }
        result.high_watermark = log->log_end_offset();
        result.log_start_offset = log->log_start_offset();
        int64_t limit = log->log_end_offset();  // single-node mode: HW = log end
        PartitionState* state = nullptr;
        if (broker.replicas && !(state = check_leader(broker, wanted, result))) {
            out.error = true;
            continue;
        }
        if (diverged(wanted, *log, result)) {
            out.error = true;  // answered now: waiting would not make the logs agree
            continue;
        }
        if (state) {
            // The leader reads a follower up to its log end (it must get everything), a consumer
            // up to the HW (records above it are not committed yet). A follower's fetch offset is
            // its log end offset - now known to share our history: on the first read of a request
            // (not the re-reads of a long poll) it goes to the ReplicaManager, which may move the
            // HW. A diverged follower's offset never gets here: it would count records it holds
            // in another epoch as ours (Kafka skips updateFollowerFetchState for it too).
            if (request.replica_id >= 0 && first_read && wanted.fetch_offset <= log->log_end_offset())
                broker.replicas->follower_fetched(*state, request.replica_id, wanted.fetch_offset, broker.now_ms());
            result.high_watermark = state->high_watermark;
            limit = request.replica_id >= 0 ? log->log_end_offset() : state->high_watermark;
        }
        if (wanted.fetch_offset < log->log_start_offset() || wanted.fetch_offset > log->log_end_offset()) {
            result.error = ErrorCode::OffsetOutOfRange;  // the client resets by auto.offset.reset
            out.error = true;
            continue;
        }
        if (wanted.fetch_offset >= limit || remaining <= 0) continue;
        // KIP-74: max_bytes limits are soft for the first batch - a batch bigger than the limit
        // is still returned whole, or the consumer could never get past it.
        if (auto read = log->read(wanted.fetch_offset, std::min<int64_t>(wanted.partition_max_bytes, remaining))) {
            slice = *read;
            if (limit < log->log_end_offset()) cut_at(*log, limit, slice);
            read->size = slice.size;
            result.records_size = read->size;
            remaining -= read->size;
            out.bytes += read->size;
        }
    }
}

void trace(Broker& broker, const FetchRequest& request, const FetchResult& result, std::string_view how) {
    if (!broker.tracing) return;
    for (size_t i = 0; i < result.partitions.size(); ++i) {
        const FetchPartitionResult& p = result.partitions[i];
        const FetchPartition& wanted = request.partitions[i];
        if (p.diverging_epoch >= 0) {
            broker.trace(
                "fetch topic={} partition={} offset={} last_fetched_epoch={} -> diverged: epoch {} ends at {} "
                "here",
                p.topic, p.partition, wanted.fetch_offset, wanted.last_fetched_epoch, p.diverging_epoch,
                p.diverging_end_offset);
            continue;
        }
        if (p.records_size == 0) {
            broker.trace("fetch topic={} partition={} offset={} -> {} (high watermark {}){}", p.topic, p.partition,
                         wanted.fetch_offset, p.error == ErrorCode::None ? "nothing new" : "error", p.high_watermark,
                         how);
            continue;
        }
        const PartitionLog* log = broker.logs.partition(p.topic, p.partition);
        std::string segment = "?";
        if (log)
            for (const auto& s : log->segments())
                if (s->log_file() == result.slices[i].file) segment = segment_file_stem(s->base_offset());
        broker.trace(
            "fetch topic={} partition={} offset={} -> segment {}.log @ {}, {} bytes by sendfile (high watermark {}){}",
            p.topic, p.partition, wanted.fetch_offset, segment, result.slices[i].position, p.records_size,
            p.high_watermark, how);
    }
}

// The response mixes bytes we write (headers, per-partition fields) with file slices the session
// sends by sendfile() after them, in order; the Reply keeps that order (core/reply.hpp).
void encode(const FetchResult& result, int16_t version, Reply& reply) {
    KafkaWriter out = reply.writer();
    encode_fetch_response(out, version, ErrorCode::None, result.partitions, [&](size_t i) {
        reply.add_file_slice(result.slices[i].file, result.slices[i].position, result.slices[i].size);
    });
}

// A fetch held open until enough bytes arrive or max_wait_ms passes.
class PendingFetch : public FetchWaiter {
public:
    PendingFetch(Broker& broker, const FetchRequest& request, int16_t version, std::shared_ptr<Reply> reply)
        : broker_(broker), request_(request), version_(version), reply_(std::move(reply)) {
        // The request's topic names point into the connection's input buffer, which moves on:
        // keep our own copies.
        names_.reserve(request_.partitions.size());
        for (FetchPartition& partition : request_.partitions) {
            if (names_.empty() || names_.back() != partition.topic) names_.emplace_back(partition.topic);
            partition.topic = names_.back();
        }
    }

    // Re-reads every partition of the request, not only the one that grew: the read is index
    // lookups and slice bookkeeping, no data copy, and one code path for the first read and the
    // re-reads keeps the answer the same as a fresh Fetch would get.
    bool on_records_appended() override {
        if (done_) return true;
        read_partitions(broker_, request_, result_);
        if (result_.bytes < request_.min_bytes && !result_.error) return false;
        answer();
        return true;
    }
    bool finished() const override { return done_; }
    bool reads_to_log_end() const override { return broker_.replicas && request_.replica_id >= 0; }

    // max_wait_ms is over: answer with whatever there is now, possibly nothing. An empty answer
    // just makes the consumer fetch again - that loop is the long poll.
    void on_timeout() {
        if (done_) return;
        read_partitions(broker_, request_, result_);
        answer();
    }

private:
    void answer() {
        done_ = true;
        trace(broker_, request_, result_, " after a long poll");
        encode(result_, version_, *reply_);
        reply_->finish();
    }

    Broker& broker_;
    FetchRequest request_;
    int16_t version_;
    std::shared_ptr<Reply> reply_;
    std::vector<std::string> names_;
    FetchResult result_;
    bool done_ = false;
};

}  // namespace

// The first read decides: enough bytes (min_bytes), an error, or a client that does not want to
// wait (max_wait_ms 0) is answered now; otherwise the request parks as a PendingFetch. Only the
// first read reports a follower's position to the ReplicaManager (first_read): the re-reads of a
// long poll would otherwise report the same offset again and again.
// Fetch is the hottest request a broker serves (every consumer, every few milliseconds while
// idle), so its working structures are the broker's reused scratch (core/handler_scratch.hpp). A
// pending fetch copies what it needs (PendingFetch's constructor), so reusing them cannot disturb it.
bool handle_fetch(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    FetchRequest& request = broker.scratch.fetch_request;
    FetchResult& result = broker.scratch.fetch_result;
    decode_fetch_request(body, header.api_version, request);
    if (!body.ok()) return false;
    read_partitions(broker, request, result, true);
    if (result.bytes >= request.min_bytes || result.error || request.max_wait_ms <= 0) {
        trace(broker, request, result, "");
        encode(result, header.api_version, reply);
        return true;
    }
    broker.trace("fetch: less than min_bytes={} available; waiting up to max_wait_ms={}", request.min_bytes,
                 request.max_wait_ms);
    // Long poll: answer when records arrive on one of these partitions (Broker::records_appended)
    // or when max_wait_ms ends.
    auto pending = std::make_shared<PendingFetch>(broker, request, header.api_version, reply.defer());
    // Its copy of the request and the results it re-reads count against the connection's
    // buffered replies: a request may list a partition 60,000 times in 1 MB.
    reply.held_bytes =
        request.partitions.size() * (sizeof(FetchPartition) + sizeof(FetchPartitionResult) + sizeof(LogSlice));
    std::vector<const PartitionLog*> watched;
    watched.reserve(request.partitions.size());
    for (const FetchPartition& wanted : request.partitions)
        watched.push_back(broker.logs.partition(wanted.topic, wanted.partition));  // all exist: no error
    broker.add_fetch_waiter(pending, std::move(watched));
    broker.services.run_later(request.max_wait_ms, [weak = std::weak_ptr<PendingFetch>(pending)] {
        if (auto fetch = weak.lock()) fetch->on_timeout();
    });
    return true;
}

}  // namespace minikafka
