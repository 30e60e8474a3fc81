// minikafka/handlers/list_offsets.cpp
//
// CONCEPT: a log is addressed by offset, and a consumer that has no committed offset must be
// told where to start. ListOffsets answers, per partition, the earliest offset still stored
// (retention may have deleted older segments), the latest (where new records will go), or the
// first offset at or after a timestamp - read from the time index (docs/minikafka/02-formats.md
// "The time index"). This is what auto.offset.reset=earliest|latest and "replay from 9 o'clock"
// turn into on the wire.
//
//   -2 (earliest) ─▶ log start offset      -1 (latest) ─▶ log end (cluster: high watermark)
//   t >= 0        ─▶ PartitionLog::offset_for_timestamp(t), or -1 if no record is that late;
//                    with the timestamp *of that record* (Kafka's answer: the first record at or
//                    after t, so a client sees how far past t its start lies), not t itself
//
// READ NEXT: storage/partition_log.hpp (offset_for_timestamp), handlers/fetch.cpp.
#include "protocol/list_offsets.hpp"
#include "core/replica_manager.hpp"
#include "handler_table.hpp"

namespace minikafka {

bool handle_list_offsets(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    ListOffsetsRequest request;
    decode_list_offsets_request(body, header.api_version, request);
    if (!body.ok()) return false;
    // Each partition is answered on its own: one unknown partition does not fail the others,
    // which is how every per-partition Kafka API reports errors.
    std::vector<ListOffsetsPartitionResult> results;
    for (const ListOffsetsPartition& wanted : request.partitions) {
        ListOffsetsPartitionResult& result = results.emplace_back();
        result.topic = wanted.topic;
        result.partition = wanted.partition;
        const PartitionLog* log = broker.logs.partition(wanted.topic, wanted.partition);
        // Cluster mode: only the leader answers, and "latest" is the high watermark - a consumer
        // told to start at the end must not start above what it may read.
        PartitionState* state = broker.replicas ? broker.replicas->find(wanted.topic, wanted.partition) : nullptr;
        if (broker.replicas && log && (!state || !broker.replicas->leads(*state))) {
            result.error = ErrorCode::NotLeaderOrFollower;
        } else if (state && wanted.current_leader_epoch >= 0 && wanted.current_leader_epoch != state->leader_epoch) {
            result.error = wanted.current_leader_epoch < state->leader_epoch ? ErrorCode::FencedLeaderEpoch
                                                                             : ErrorCode::UnknownLeaderEpoch;
        } else if (!log) {
            result.error = ErrorCode::UnknownTopicOrPartition;
        } else if (wanted.timestamp == kLatestTimestamp) {
            // Single-node mode has no followers, so the HW is the log end itself: every appended
            // record is as committed as it will ever be (its durability is the flush policy's).
            // The epoch is the leader's current one, as Kafka answers for "latest".
            result.offset = state ? state->high_watermark : log->log_end_offset();
            result.leader_epoch = state ? state->leader_epoch : log->leader_epochs().latest_epoch().value_or(-1);
        } else if (wanted.timestamp == kEarliestTimestamp) {
            result.offset = log->log_start_offset();
            result.leader_epoch = log->leader_epochs().epoch_at(result.offset).value_or(-1);
        } else if (wanted.timestamp >= 0) {
            int64_t found = -1;
            result.offset = log->offset_for_timestamp(wanted.timestamp, &found);  // -1: no record that late
            if (result.offset >= 0) {
                result.timestamp = found;
                result.leader_epoch = log->leader_epochs().epoch_at(result.offset).value_or(-1);
            }
        } else {
            result.error = ErrorCode::InvalidRequest;  // e.g. -3 (max timestamp, v7+) we do not speak
        }
    }
    KafkaWriter out = reply.writer();
    encode_list_offsets_response(out, header.api_version, results);
    return true;
}

}  // namespace minikafka
