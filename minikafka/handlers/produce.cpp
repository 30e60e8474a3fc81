// minikafka/handlers/produce.cpp
//
// CONCEPT: Produce - validate each partition's record batch, append it to the partition's log,
// answer with the offsets it got (protocol/produce.hpp). One function does one partition's
// work; the handler loops over the request's topics/partitions and then answers:
//
//   handle_produce ─► decode_produce_request (into Broker::scratch: no allocation)
//     for each topic/partition ─► produce_partition
//          find the log (auto-create) ─► leader? ISR big enough for acks=all?
//          ─► check_batch (length, magic, CRC32C, size) ─► idempotence (sequence check)
//          ─► PartitionLog::append (the bytes go to the active segment as they came)
//          ─► note what the answer must wait for: the fsync (flush policy), the HW (acks=all)
//     ─► answer: now; after the fsyncs (Broker::flush_if_due, group commit); or, acks=all in
//        cluster mode, when the HW covers every partition (answer_when_replicated)
// READ NEXT: storage/partition_log.cpp (append), handlers/fetch.cpp (reading it back).
#include <fmt/format.h>

#include <algorithm>
#include <deque>

#include "core/replica_manager.hpp"
#include "handler_table.hpp"
#include "log.hpp"
#include "model/record_batch.hpp"
#include "protocol/produce.hpp"

namespace minikafka {

namespace {

ErrorCode check_batch(std::string_view records, const LogConfig& config, RecordBatchHeader& header,
                      std::string& message) {
    BatchCheck check = validate_batch(records, header);
    if (check != BatchCheck::ok) {
        message = fmt::format("invalid record batch: {}", to_string(check));
        return check == BatchCheck::bad_magic ? ErrorCode::UnsupportedForMessageFormat : ErrorCode::CorruptMessage;
    }
    if (header.total_size() != records.size()) {
        message = "a produce request must hold exactly one record batch per partition";
        return ErrorCode::InvalidRecord;
    }
    if (static_cast<int64_t>(records.size()) > config.max_message_bytes) {
        message = fmt::format("batch of {} bytes is larger than max.message.bytes ({})", records.size(),
                              config.max_message_bytes);
        return ErrorCode::MessageTooLarge;
    }
    if (header.is_transactional() || header.is_control()) {
        message = "transactions are not supported";
        return ErrorCode::InvalidRecord;
    }
    return ErrorCode::None;
}

// Cluster mode, acks=all: the answer waits until the HW covers every partition's records (the
// delayed-produce purgatory, core/delayed_produce.hpp) - and, if the flush policy wants it, the
// fsync too - or until the request's timeout. The results are copied (their topic names point
// into the connection's input buffer, which moves on) and encoded only at the end, because a
// partition's error may still change to REQUEST_TIMED_OUT or NOT_LEADER_OR_FOLLOWER.
struct ReplicatedProduce {
    std::vector<ProducePartitionResult> results;
    std::deque<std::string> names;
    std::vector<bool> waiting;  // per result: still waiting for the HW
    size_t pending = 0;
    bool answered = false;
    int16_t version = 0;
    std::shared_ptr<Reply> reply;

    void one_done() {
        if (--pending == 0) answer();
    }
    void answer() {
        if (answered) return;
        answered = true;
        KafkaWriter out = reply->writer();
        encode_produce_response(out, version, results);
        reply->finish();
    }
};

// One produce request while its partitions are handled: what every partition needs to know
// (the request, the time) and what the answer will have to wait for. Lives on the handler's
// stack; the wait lists allocate only when a partition actually has to wait.
struct ProduceCall {
    ProduceCall(Broker& b, const RequestHeader& h, const ProduceRequest& r, std::vector<ProducePartitionResult>& out)
        : broker(b),
          header(h),
          request(r),
          results(out),
          now(b.now_ms()),
          acks_valid(r.acks == 0 || r.acks == 1 || r.acks == -1) {}

    Broker& broker;
    const RequestHeader& header;
    const ProduceRequest& request;
    std::vector<ProducePartitionResult>& results;  // one per partition, in request order
    int64_t now;
    bool acks_valid;
    std::string message;  // why the last rejected batch was rejected
    // Partitions whose new records must be fsynced before the answer goes out.
    std::vector<std::pair<std::shared_ptr<PartitionLog>, int64_t>> durable_waits;
    // Cluster mode, acks=all: results whose records the HW does not cover yet.
    struct ReplicaWait {
        size_t result;  // index in `results`
        PartitionState* state;
        int64_t end_offset;  // answered once the HW reaches it: the batch's last offset + 1
    };
    std::vector<ReplicaWait> replica_waits;
};

// The partition's log; with auto.create.topics.enable (single-node mode) a topic the producer
// names first is created here, as Kafka does.
std::shared_ptr<PartitionLog> find_or_create_log(ProduceCall& call, const ProducePartition& partition) {
    Broker& broker = call.broker;
    std::shared_ptr<PartitionLog> log = broker.logs.shared_partition(partition.topic, partition.partition);
    if (!log && !broker.replicas && !broker.logs.find(partition.topic) && broker.config.auto_create_topics &&
        LogManager::valid_topic_name(partition.topic)) {
        broker.logs.create_topic(partition.topic, broker.config.num_partitions, {}, false, call.now);
        log = broker.logs.shared_partition(partition.topic, partition.partition);
    }
    return log;
}

// Cluster mode: only the partition's leader takes produces, and acks=all only while the ISR is
// at least min.insync.replicas (Kafka checks before appending). Sets `state` when we lead.
ErrorCode check_leadership(ProduceCall& call, const ProducePartition& partition, PartitionState*& state) {
    ReplicaManager& replicas = *call.broker.replicas;
    state = replicas.find(partition.topic, partition.partition);
    if (!state || !replicas.leads(*state)) {
        call.broker.trace("produce topic={} partition={} -> NOT_LEADER_OR_FOLLOWER (leader {} epoch {})",
                          partition.topic, partition.partition, state ? state->leader : -1,
                          state ? state->leader_epoch : -1);
        return ErrorCode::NotLeaderOrFollower;
    }
    if (call.request.acks == -1 && static_cast<int32_t>(state->isr.size()) < replicas.min_insync_replicas(*state)) {
        call.broker.trace("produce topic={} partition={} -> NOT_ENOUGH_REPLICAS (ISR of {} < min.insync.replicas {})",
                          partition.topic, partition.partition, state->isr.size(),
                          replicas.config().min_insync_replicas);
        return ErrorCode::NotEnoughReplicas;
    }
    return ErrorCode::None;
}

// One partition's data: validate, append, and note what its answer waits for. `index` is the
// partition's place in call.results (which `result` is).
void produce_partition(ProduceCall& call, const ProducePartition& partition, size_t index,
                       ProducePartitionResult& result) {
    Broker& broker = call.broker;
    const int64_t now = call.now;
    result.topic = partition.topic;
    result.partition = partition.partition;
    std::shared_ptr<PartitionLog> log = find_or_create_log(call, partition);
    if (!call.acks_valid) {
        result.error = ErrorCode::InvalidRequiredAcks;
        return;
    }
    if (!log) {
        result.error = ErrorCode::UnknownTopicOrPartition;
        return;
    }
    PartitionState* state = nullptr;
    if (broker.replicas) {
        result.error = check_leadership(call, partition, state);
        if (result.error != ErrorCode::None) return;
    }
    RecordBatchHeader batch;
    result.error = check_batch(partition.records.value_or(""), log->config(), batch, call.message);
    if (result.error != ErrorCode::None) {
        mb::log::warn("produce to {}-{} rejected: {}", partition.topic, partition.partition, call.message);
        broker.trace("produce topic={} partition={} -> rejected: {}", partition.topic, partition.partition,
                     call.message);
        if (call.header.api_version >= 8) result.error_message = "rejected record batch";
        return;
    }
    int64_t duplicate_offset = -1;
    SequenceCheck sequence = log->producers.check(batch, duplicate_offset);
    if (sequence == SequenceCheck::duplicate) {  // a retry of a batch we already have
        result.base_offset = duplicate_offset;
        result.log_start_offset = log->log_start_offset();
        // Under acks=all the retry is answered when the *first* copy is replicated, as Kafka's
        // delayed produce does: a retry that arrives while the followers are down must not
        // be acknowledged just because the leader has the batch (found by the cluster fault
        // checker: acks=all acknowledged with two of three nodes down).
        const int64_t end = duplicate_offset + batch.record_count;
        if (state && call.request.acks == -1 && state->high_watermark < end)
            call.replica_waits.push_back({index, state, end});
        return;
    }
    if (sequence != SequenceCheck::ok) {
        result.error =
            sequence == SequenceCheck::fenced ? ErrorCode::InvalidProducerEpoch : ErrorCode::OutOfOrderSequenceNumber;
        return;
    }
    PartitionLog::Appended appended;
    try {
        appended = log->append(*partition.records, batch, now);
    } catch (const std::exception& e) {
        // The disk refused (full, no file descriptor for a new segment): as Kafka, this
        // partition answers KAFKA_STORAGE_ERROR and the producer retries; the log is unchanged.
        mb::log::error("produce to {}-{} failed: {}", partition.topic, partition.partition, e.what());
        result.error = ErrorCode::KafkaStorageError;
        return;
    }
    log->producers.record(batch, appended.base_offset, now);
    // Wake the long polls on this partition: on a single node all of them (the HW is the log end);
    // in a cluster the followers' only - consumers wait for the HW (ReplicaManager::hw_moved).
    broker.records_appended(*log, broker.replicas ? FetchWake::log_end_moved : FetchWake::any);
    broker.sync_rolled_segments(*log);
    if (broker.tracing)
        broker.trace("produce topic={} partition={} records={} -> segment {}.log @ {} -> offset {}{}", partition.topic,
                     partition.partition, batch.record_count, segment_file_stem(appended.segment->base_offset()),
                     appended.position, appended.base_offset, log->flush_due(now) ? " (waits for fsync)" : "");
    result.base_offset = appended.base_offset;
    result.log_start_offset = log->log_start_offset();
    if (log->config().log_append_time) result.log_append_time_ms = now;
    if (state) {
        broker.replicas->leader_appended(*state, log->log_end_offset());
        if (call.request.acks == -1 && state->high_watermark < log->log_end_offset())
            call.replica_waits.push_back({index, state, log->log_end_offset()});
    }
    if (log->flush_due(now)) {  // e.g. log.flush.interval.messages=1: on disk before the ack
        call.durable_waits.emplace_back(log, log->log_end_offset());
        broker.flush_if_due(log);
    }
}

// acks=all in cluster mode with records the HW does not cover yet: the reply is deferred and
// answered from the purgatory (see ReplicatedProduce), after the fsyncs too, or at the timeout.
void answer_when_replicated(ProduceCall& call, Reply& reply) {
    auto wait = std::make_shared<ReplicatedProduce>();
    wait->version = call.header.api_version;
    wait->results = call.results;
    wait->waiting.assign(call.results.size(), false);
    for (ProducePartitionResult& r : wait->results) {
        if (wait->names.empty() || wait->names.back() != r.topic) wait->names.emplace_back(r.topic);
        r.topic = wait->names.back();
    }
    wait->reply = reply.defer();
    wait->pending = call.replica_waits.size() + call.durable_waits.size();
    for (const ProduceCall::ReplicaWait& rw : call.replica_waits) {
        wait->waiting[rw.result] = true;
        rw.state->waiting_produces.wait(rw.end_offset, [wait, i = rw.result](bool replicated) {
            if (!wait->waiting[i]) return;
            wait->waiting[i] = false;
            if (!replicated) wait->results[i].error = ErrorCode::NotLeaderOrFollower;
            wait->one_done();
        });
    }
    for (auto& [log, offset] : call.durable_waits) log->when_flushed(offset, [wait] { wait->one_done(); });
    // The request's timeout: what is still waiting for the HW answers REQUEST_TIMED_OUT (the
    // records stay in the leader's log; the producer retries, and idempotence drops the copy).
    // Held weakly: once answered (and out of the purgatory), the results are freed at once.
    call.broker.services.run_later(std::max<int32_t>(call.request.timeout_ms, 1), [weak = std::weak_ptr(wait)] {
        auto wait = weak.lock();
        if (!wait || wait->answered) return;
        for (size_t i = 0; i < wait->results.size(); ++i)
            if (wait->waiting[i]) wait->results[i].error = ErrorCode::RequestTimedOut;
        wait->answer();
    });
}

// Everything else: the answer is written now; it leaves at once, or once every partition's
// fsync has covered our records.
void answer_after_fsync(ProduceCall& call, Reply& reply) {
    KafkaWriter out = reply.writer();
    encode_produce_response(out, call.header.api_version, call.results);
    if (call.durable_waits.empty()) return;
    auto pending = std::make_shared<size_t>(call.durable_waits.size());
    auto deferred = reply.defer();
    for (auto& [log, offset] : call.durable_waits)
        log->when_flushed(offset, [pending, deferred] {
            if (--*pending == 0) deferred->finish();
        });
}

// Cluster mode: does this node lead every partition the request names? If not, the answer for
// some partition is NOT_LEADER_OR_FOLLOWER as things stand - maybe only because the metadata that
// makes this node their leader has not arrived yet (the client may have learnt it first, from
// another broker).
bool leads_all(Broker& broker, const ProduceRequest& request) {
    return std::all_of(request.partitions.begin(), request.partitions.end(), [&](const ProducePartition& p) {
        const PartitionState* state = broker.replicas->find(p.topic, p.partition);
        return state && broker.replicas->leads(*state);
    });
}

}  // namespace

// A Produce request carries batches for many partitions at once (librdkafka groups everything
// bound for one leader). Each partition is validated and appended on its own and gets its own
// error code: one bad partition does not fail the others. The request and result lists are the
// broker's reusable scratch (core/handler_scratch.hpp), so a produce allocates nothing once warm.
bool handle_produce(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    ProduceRequest& request = broker.scratch.produce_request;
    decode_produce_request(body, header.api_version, request);
    if (!body.ok()) return false;
    // A refusal queued behind a reply that still waits leaves only after it, and by then this
    // node may lead the partition: a new leader used to answer the Produces moved to it
    // NOT_LEADER_OR_FOLLOWER when they came - just before it learnt of its election - and send
    // that answer a second later, after its own parked acks=all Produces, costing the client
    // another metadata round. So such a request runs at its turn (core/reply.hpp): then it is
    // taken if this node leads by then, and refused with the state of that moment if not.
    // Nothing has been appended yet, so postponing changes nothing; a Produce this node leads
    // runs at once as before, its replication overlapping the earlier ones'.
    if (broker.replicas && !reply.at_turn() && !leads_all(broker, request)) {
        reply.postpone();
        return true;
    }
    std::vector<ProducePartitionResult>& results = broker.scratch.produce_results;
    results.clear();
    ProduceCall call(broker, header, request, results);
    for (const ProducePartition& partition : request.partitions) {
        const size_t index = results.size();
        produce_partition(call, partition, index, results.emplace_back());
    }

    if (request.acks == 0) {
        reply.omit();  // acks=0: the producer does not wait for (or read) an answer
        return true;
    }
    if (!call.replica_waits.empty())
        answer_when_replicated(call, reply);
    else
        answer_after_fsync(call, reply);
    return true;
}

}  // namespace minikafka
