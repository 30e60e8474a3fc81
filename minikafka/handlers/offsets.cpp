// OffsetCommit and OffsetFetch: a group's position in each partition (protocol/offsets.hpp).
// A commit is checked against the group's membership (an old generation may not commit),
// appended to the offset store, and answered once the fsync covering it has finished - so a
// committed offset survives a crash of the broker, not just a restart.
#include "protocol/offsets.hpp"
#include "handler_table.hpp"

namespace minikafka {

namespace {
constexpr size_t kMaxMetadataBytes = 4096;  // offset.metadata.max.bytes
}

bool handle_offset_commit(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    OffsetCommitRequest request;
    decode_offset_commit_request(body, header.api_version, request);
    if (!body.ok()) return false;
    ErrorCode group_error = broker.groups.check_commit(request.group_id, request.generation_id, request.member_id);
    std::vector<PartitionError> results;
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
            broker.trace(
                "offset commit group={} topic={} partition={} offset={} -> offset store, answered after "
                "its fsync",
                record.group, record.topic, record.partition, commit.offset);
            broker.offset_store.append(record);
            broker.groups.set_offset(record.group, record.topic, record.partition, std::move(record.value));
            stored = true;
        }
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
