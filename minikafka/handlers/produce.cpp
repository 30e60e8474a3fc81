// Produce: validate each partition's record batch, append it to the partition's log, answer
// with the offsets it got (protocol/produce.hpp).
//
//   socket -> decode_produce_request -> validate_batch (length, magic, CRC32C)
//          -> PartitionLog::append (the bytes go to the active segment as they came)
//          -> answer now, or - when the flush policy wants this data on disk before the ack -
//             when the fsync that covers it completes (Broker::flush_if_due, group commit)
// READ NEXT: storage/partition_log.cpp (append), handlers/fetch.cpp (reading it back).
#include <fmt/format.h>

#include <deque>

#include "core/replica_manager.hpp"
#include "handler_table.hpp"
#include "log.hpp"
#include "model/record_batch.hpp"
#include "protocol/produce.hpp"

namespace minikafka {

namespace {

// One broker thread: the request and result lists are reused, so a produce request allocates
// nothing once they have grown to the usual size.
ProduceRequest request;
std::vector<ProducePartitionResult> results;

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

}  // namespace

bool handle_produce(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    decode_produce_request(body, header.api_version, request);
    if (!body.ok()) return false;
    bool acks_valid = request.acks == 0 || request.acks == 1 || request.acks == -1;
    int64_t now = broker.now_ms();
    results.clear();
    std::string message;
    // Partitions whose new records must be fsynced before the answer goes out.
    std::vector<std::pair<std::shared_ptr<PartitionLog>, int64_t>> durable_waits;
    // Cluster mode, acks=all: results whose records the HW does not cover yet.
    struct ReplicaWait {
        size_t result;  // index in `results`
        PartitionState* state;
        int64_t end_offset;  // answered once the HW reaches it: the batch's last offset + 1
    };
    std::vector<ReplicaWait> replica_waits;

    for (const ProducePartition& partition : request.partitions) {
        ProducePartitionResult& result = results.emplace_back();
        result.topic = partition.topic;
        result.partition = partition.partition;
        std::shared_ptr<PartitionLog> log = broker.logs.shared_partition(partition.topic, partition.partition);
        if (!log && !broker.replicas && !broker.logs.find(partition.topic) && broker.config.auto_create_topics &&
            LogManager::valid_topic_name(partition.topic)) {
            broker.logs.create_topic(partition.topic, broker.config.num_partitions, {}, false, now);
            log = broker.logs.shared_partition(partition.topic, partition.partition);
        }
        if (!acks_valid) {
            result.error = ErrorCode::InvalidRequiredAcks;
            continue;
        }
        if (!log) {
            result.error = ErrorCode::UnknownTopicOrPartition;
            continue;
        }
        PartitionState* state = nullptr;
        if (broker.replicas) {
            // Cluster mode: only the partition's leader takes produces, and acks=all only while
            // the ISR is at least min.insync.replicas (Kafka checks before appending).
            state = broker.replicas->find(partition.topic, partition.partition);
            if (!state || !broker.replicas->leads(*state)) {
                result.error = ErrorCode::NotLeaderOrFollower;
                continue;
            }
            if (request.acks == -1 &&
                static_cast<int32_t>(state->isr.size()) < broker.replicas->min_insync_replicas(*state)) {
                result.error = ErrorCode::NotEnoughReplicas;
                broker.trace(
                    "produce topic={} partition={} -> NOT_ENOUGH_REPLICAS (ISR of {} < min.insync.replicas {})",
                    partition.topic, partition.partition, state->isr.size(),
                    broker.replicas->config().min_insync_replicas);
                continue;
            }
        }
        RecordBatchHeader batch;
        result.error = check_batch(partition.records.value_or(""), log->config(), batch, message);
        if (result.error != ErrorCode::None) {
            mb::log::warn("produce to {}-{} rejected: {}", partition.topic, partition.partition, message);
            broker.trace("produce topic={} partition={} -> rejected: {}", partition.topic, partition.partition,
                         message);
            if (header.api_version >= 8) result.error_message = "rejected record batch";
            continue;
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
            if (state && request.acks == -1 && state->high_watermark < end)
                replica_waits.push_back({results.size() - 1, state, end});
            continue;
        }
        if (sequence != SequenceCheck::ok) {
            result.error = sequence == SequenceCheck::fenced ? ErrorCode::InvalidProducerEpoch
                                                             : ErrorCode::OutOfOrderSequenceNumber;
            continue;
        }
        PartitionLog::Appended appended;
        try {
            appended = log->append(*partition.records, batch, now);
        } catch (const std::exception& e) {
            // The disk refused (full, no file descriptor for a new segment): as Kafka, this
            // partition answers KAFKA_STORAGE_ERROR and the producer retries; the log is unchanged.
            mb::log::error("produce to {}-{} failed: {}", partition.topic, partition.partition, e.what());
            result.error = ErrorCode::KafkaStorageError;
            continue;
        }
        log->producers.record(batch, appended.base_offset, now);
        broker.records_appended(*log);  // wake the long-polling fetches on this partition
        broker.sync_rolled_segments(*log);
        if (broker.tracing)
            broker.trace("produce topic={} partition={} records={} -> segment {}.log @ {} -> offset {}{}",
                         partition.topic, partition.partition, batch.record_count,
                         segment_file_stem(appended.segment->base_offset()), appended.position, appended.base_offset,
                         log->flush_due(now) ? " (waits for fsync)" : "");
        result.base_offset = appended.base_offset;
        result.log_start_offset = log->log_start_offset();
        if (log->config().log_append_time) result.log_append_time_ms = now;
        if (state) {
            broker.replicas->leader_appended(*state, log->log_end_offset());
            if (request.acks == -1 && state->high_watermark < log->log_end_offset())
                replica_waits.push_back({results.size() - 1, state, log->log_end_offset()});
        }
        if (log->flush_due(now)) {  // e.g. log.flush.interval.messages=1: on disk before the ack
            durable_waits.emplace_back(log, log->log_end_offset());
            broker.flush_if_due(log);
        }
    }

    if (request.acks == 0) {
        reply.omit();  // acks=0: the producer does not wait for (or read) an answer
        return true;
    }
    if (!replica_waits.empty()) {
        auto wait = std::make_shared<ReplicatedProduce>();
        wait->version = header.api_version;
        wait->results = results;
        wait->waiting.assign(results.size(), false);
        for (ProducePartitionResult& r : wait->results) {
            if (wait->names.empty() || wait->names.back() != r.topic) wait->names.emplace_back(r.topic);
            r.topic = wait->names.back();
        }
        wait->reply = reply.defer();
        wait->pending = replica_waits.size() + durable_waits.size();
        for (const ReplicaWait& rw : replica_waits) {
            wait->waiting[rw.result] = true;
            rw.state->waiting_produces.wait(rw.end_offset, [wait, i = rw.result](bool replicated) {
                if (!wait->waiting[i]) return;
                wait->waiting[i] = false;
                if (!replicated) wait->results[i].error = ErrorCode::NotLeaderOrFollower;
                wait->one_done();
            });
        }
        for (auto& [log, offset] : durable_waits) log->when_flushed(offset, [wait] { wait->one_done(); });
        // The request's timeout: what is still waiting for the HW answers REQUEST_TIMED_OUT (the
        // records stay in the leader's log; the producer retries, and idempotence drops the copy).
        // Held weakly: once answered (and out of the purgatory), the results are freed at once.
        broker.services.run_later(std::max<int32_t>(request.timeout_ms, 1), [weak = std::weak_ptr(wait)] {
            auto wait = weak.lock();
            if (!wait || wait->answered) return;
            for (size_t i = 0; i < wait->results.size(); ++i)
                if (wait->waiting[i]) wait->results[i].error = ErrorCode::RequestTimedOut;
            wait->answer();
        });
        return true;
    }
    KafkaWriter out = reply.writer();
    encode_produce_response(out, header.api_version, results);
    if (!durable_waits.empty()) {
        // The answer is written; it leaves once every partition's fsync has covered our records.
        auto pending = std::make_shared<size_t>(durable_waits.size());
        auto deferred = reply.defer();
        for (auto& [log, offset] : durable_waits)
            log->when_flushed(offset, [pending, deferred] {
                if (--*pending == 0) deferred->finish();
            });
    }
    return true;
}

}  // namespace minikafka
