// OffsetCommit and OffsetFetch: a group's position in each partition (protocol/offsets.hpp).
// A commit is checked against the group's membership (an old generation may not commit),
// appended to the offset store, and answered once the fsync covering it has finished - so a
// committed offset survives a crash of the broker, not just a restart.
#include "protocol/offsets.hpp"
#include "core/offsets_topic.hpp"
#include "handler_table.hpp"

namespace minikafka {

namespace {
constexpr size_t kMaxMetadataBytes = 4096;  // offset.metadata.max.bytes

// Cluster mode: the accepted commits become one batch of records in the group's partition of
// __consumer_offsets (core/offsets_topic.hpp); the answer waits until the partition's high
// watermark covers it - acks=all - and only then are the offsets visible to OffsetFetch.
void commit_replicated(Broker& broker, int16_t version, const std::string& group, std::vector<PartitionError> results,
                       std::vector<OffsetCommitRecord> records, std::vector<size_t> stored, Reply& reply) {
    auto deferred = reply.defer();
    // The topic names in `results` point into the request's buffer, which moves on: keep copies.
    auto names = std::make_shared<std::vector<std::string>>();
    for (const PartitionError& r : results) names->emplace_back(r.topic);
    for (size_t i = 0; i < results.size(); ++i) results[i].topic = (*names)[i];
    broker.offsets_topic->append(group, records,
                                 [&broker, deferred, version, group, names, results = std::move(results), records,
                                  stored = std::move(stored)](ErrorCode error) mutable {
                                     for (size_t i = 0; i < stored.size(); ++i) {
                                         results[stored[i]].error = error;
                                         if (error == ErrorCode::None && records[i].value)
                                             broker.groups.set_offset(group, records[i].topic, records[i].partition,
                                                                      *records[i].value);
                                     }
                                     KafkaWriter out = deferred->writer();
                                     encode_offset_commit_response(out, version, results);
                                     deferred->finish();
                                 });
}
}  // namespace

bool handle_offset_commit(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    OffsetCommitRequest request;
    decode_offset_commit_request(body, header.api_version, request);
    if (!body.ok()) return false;
    ErrorCode group_error = ErrorCode::None;
    if (broker.offsets_topic && !request.group_id.empty()) group_error = broker.offsets_topic->check(request.group_id);
    if (group_error == ErrorCode::None)
        group_error = broker.groups.check_commit(request.group_id, request.generation_id, request.member_id);
    std::vector<PartitionError> results;
    std::vector<OffsetCommitRecord> replicated;  // cluster mode: what goes to __consumer_offsets
    std::vector<size_t> replicated_results;      // ... and whose result it decides
    int64_t now = broker.now_ms();
    bool stored = false;
    for (const OffsetCommitPartition& commit : request.partitions) {
        PartitionError& result = results.emplace_back();
        result.topic = commit.topic;
        result.partition = commit.partition;
        result.error = group_error;
        if (group_error != ErrorCode::None) {
            broker.trace(
                "offset commit group={} topic={} partition={} offset={} generation={} -> refused error_code={}",
                request.group_id, commit.topic, commit.partition, commit.offset, request.generation_id,
                static_cast<int>(group_error));
            continue;
        }
        if (!broker.logs.partition(commit.topic, commit.partition)) {
            result.error = ErrorCode::UnknownTopicOrPartition;
        } else if (commit.metadata && commit.metadata->size() > kMaxMetadataBytes) {
            result.error = ErrorCode::OffsetMetadataTooLarge;
        } else {
            OffsetRecord record{std::string(request.group_id),
                                std::string(commit.topic),
                                commit.partition,
                                {commit.offset, commit.leader_epoch, std::string(commit.metadata.value_or("")), now}};
            if (broker.offsets_topic) {
                replicated.push_back({record.group, record.topic, record.partition, std::move(record.value)});
                replicated_results.push_back(results.size() - 1);
                continue;
            }
            broker.trace(
                "offset commit group={} topic={} partition={} offset={} -> offset store, answered after "
                "its fsync",
                record.group, record.topic, record.partition, commit.offset);
            broker.offset_store.append(record);
            broker.groups.set_offset(record.group, record.topic, record.partition, std::move(record.value));
            stored = true;
        }
    }
    if (!replicated.empty()) {
        commit_replicated(broker, header.api_version, std::string(request.group_id), std::move(results),
                          std::move(replicated), std::move(replicated_results), reply);
        return true;
    }
    KafkaWriter out = reply.writer();
    encode_offset_commit_response(out, header.api_version, results);
    if (stored) broker.answer_when_offsets_are_on_disk(reply);
    return true;
}

bool handle_offset_fetch(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    OffsetFetchRequest request;
    decode_offset_fetch_request(body, header.api_version, request);
    if (!body.ok()) return false;
    std::vector<OffsetFetchPartition> results;
    // Cluster mode: only the group's coordinator knows its offsets (loaded from its partition).
    if (broker.offsets_topic && !request.group_id.empty()) {
        if (ErrorCode error = broker.offsets_topic->check(request.group_id); error != ErrorCode::None) {
            if (request.partitions)
                for (const auto& [topic, partition] : *request.partitions)
                    results.push_back({topic, partition, -1, -1, {}, error});  // v0/v1 have no top-level error
            KafkaWriter out = reply.writer();
            encode_offset_fetch_response(out, header.api_version, error, results);
            return true;
        }
    }
    if (request.partitions) {
        for (const auto& [topic, partition] : *request.partitions) {
            OffsetFetchPartition& result = results.emplace_back();
            result.topic = topic;
            result.partition = partition;
            if (const CommittedOffset* committed = broker.groups.offset(request.group_id, topic, partition)) {
                result.offset = committed->offset;
                result.leader_epoch = committed->leader_epoch;
                result.metadata = committed->metadata;
            }
        }
    } else if (const auto* all = broker.groups.offsets(request.group_id)) {
        for (const auto& [key, committed] : *all)
            results.push_back({key.first, key.second, committed.offset, committed.leader_epoch, committed.metadata});
    }
    KafkaWriter out = reply.writer();
    encode_offset_fetch_response(out, header.api_version, ErrorCode::None, results);
    return true;
}

}  // namespace minikafka
