// minikafka/handlers/offsets.cpp
//
// CONCEPT: a consumer's position is data the broker keeps for it. The course notes' "Consumers:
// subscribe to topics and process data" hides the question *where was I?*: in Kafka the answer
// is a committed offset per (group, topic, partition), stored by the broker, so a consumer that
// restarts - or a partition handed to another member in a rebalance - resumes where the group
// left off. The log itself is never changed by consuming; only this offset moves.
//
//   OffsetCommit ─▶ group checks (coordinator? generation? member?) ─▶ one OffsetRecord per partition
//                   single node: offset store file ─▶ answer after its fsync
//                   cluster:     __consumer_offsets partition ─▶ answer at the high watermark
//   OffsetFetch  ─▶ the in-memory table (GroupCoordinator) ─▶ offset, leader epoch, metadata
//
// A commit is checked against the group's membership (an old generation may not commit),
// appended to the offset store, and answered once the fsync covering it has finished - so a
// committed offset survives a crash of the broker, not just a restart.
// READ NEXT: storage/offset_store.hpp (the file), core/offsets_topic.hpp (the cluster's way),
//            docs/minikafka/03-consumer-groups.md "Committed offsets".
#include "protocol/offsets.hpp"
#include "core/offsets_topic.hpp"
#include "handler_table.hpp"

namespace minikafka {

namespace {
// The free-text metadata a client may store with a commit is bounded, as in Kafka, so that one
// client cannot grow the offset store (and every restart's replay of it) without limit.
constexpr size_t kMaxMetadataBytes = 4096;  // offset.metadata.max.bytes

// Cluster mode: the accepted commits become one batch of records in the group's partition of
// __consumer_offsets (core/offsets_topic.hpp); the answer waits until the partition's high
// watermark covers it - acks=all - and only then are the offsets visible to OffsetFetch.
// Only the partitions whose records were appended (`stored`, indexes into `results`) take the
// append's outcome; the others already carry their own error (unknown partition, metadata too
// large) and keep it. The in-memory table changes only on success, so OffsetFetch never shows a
// commit that a failover could still lose.
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
    // One verdict for the whole request first: a commit from a member of an old generation (one
    // that missed a rebalance) would overwrite the position of the member that owns the
    // partition now - Kafka refuses it with ILLEGAL_GENERATION, and so do we. A commit for a group
    // the coordinator has no members of, with generation -1 and no member id, comes from outside
    // group management (a consumer using assign()): allowed, it stores only offsets.
    ErrorCode group_error = ErrorCode::None;
    if (broker.offsets_topic && !request.group_id.empty()) group_error = broker.offsets_topic->check(request.group_id);
    if (group_error == ErrorCode::None)
        group_error = broker.groups.check_commit(request.group_id, request.generation_id, request.member_id);
    // Per partition: refused with the group's verdict, refused on its own (unknown partition,
    // metadata too long), or stored - into the offset store now (single node), or collected for
    // one replicated append (cluster).
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
    // The answer is encoded now but held back until the background worker's fsync of the offset
    // store has run (Broker::answer_when_offsets_are_on_disk): "committed" means "on disk".
    KafkaWriter out = reply.writer();
    encode_offset_commit_response(out, header.api_version, results);
    if (stored) broker.answer_when_offsets_are_on_disk(reply);
    return true;
}

// OffsetFetch: where should this group resume? Asked by a consumer when it is assigned
// partitions, and by admin tools computing lag (log end minus committed offset).
bool handle_offset_fetch(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    OffsetFetchRequest request;
    decode_offset_fetch_request(body, header.api_version, request);
    if (!body.ok()) return false;
    std::vector<OffsetFetchPartition> results;
    // Cluster mode: only the group's coordinator knows its offsets (loaded from its partition).
    // While it is still loading them, COORDINATOR_LOAD_IN_PROGRESS (from check) makes the client
    // retry - answering "no offset" instead would send the consumer back to auto.offset.reset.
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
    // A partition without a commit answers offset -1 and no error: that is how the client learns
    // to apply its auto.offset.reset policy (earliest or latest). A null partition list means
    // "every partition this group has committed", which is what admin tools ask for.
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
