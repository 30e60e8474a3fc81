// minikafka/handlers/offsets_for_leader_epoch.cpp
//
// CONCEPT: replicated logs must agree on their history after a leader change (the notes'
// "Fault Tolerance"). A follower - or a consumer - that was reading from an old leader asks the
// new one "where did epoch E end?"; anything it holds beyond that point was never committed and
// is cut off. This replaces guessing with the high watermark, which lost data in old Kafka
// (KIP-101; docs/minikafka/05-replication-and-the-controller.md "Leader epochs and truncation").
//
// OffsetsForLeaderEpoch (API 23): per partition, where the asked leader epoch ended in this log
// (protocol/offsets_for_leader_epoch.hpp).
//
//   decode -> for each partition: the log (UNKNOWN_TOPIC_OR_PARTITION without one)
//          -> the caller's current_leader_epoch against the partition's (fencing, below)
//          -> PartitionLog::end_offset_for_epoch -> the leader epoch cache's answer
//
// Fencing, as Kafka's Partition.getLocalLog does it: a caller that names the epoch it believes
// current is told when it is behind (FENCED_LEADER_EPOCH: refresh metadata) or ahead
// (UNKNOWN_LEADER_EPOCH: this broker has not yet learnt of the new leader; retry). Without it a
// follower could truncate against the answer of a broker that is no longer the leader.
// replica_id says who asks: a broker (a follower about to truncate), a consumer (-1) checking
// its position after a leader change, or -2 from clients that predate the field. The answer is
// the same for all of them - Kafka's too: for the current epoch it is the log end, not the
// high watermark - but --trace names the caller, since a follower's question is the one that
// leads to a truncation.
// READ NEXT: storage/leader_epoch_cache.cpp (end_offset_for), storage/partition_log_truncation.cpp
// (truncate_to: what a follower does with the answer).
#include "protocol/offsets_for_leader_epoch.hpp"
#include "handler_table.hpp"

namespace minikafka {

bool handle_offsets_for_leader_epoch(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply) {
    OffsetsForLeaderEpochRequest request;
    decode_offsets_for_leader_epoch_request(body, header.api_version, request);
    if (!body.ok()) return false;
    std::vector<OffsetsForLeaderEpochResult> results;
    results.reserve(request.partitions.size());
    for (const OffsetsForLeaderEpochPartition& wanted : request.partitions) {
        OffsetsForLeaderEpochResult& result = results.emplace_back();
        result.topic = wanted.topic;
        result.partition = wanted.partition;
        const PartitionLog* log = broker.logs.partition(wanted.topic, wanted.partition);
        if (!log) {
            result.error = ErrorCode::UnknownTopicOrPartition;
            continue;
        }
        if (wanted.current_leader_epoch >= 0 && wanted.current_leader_epoch != log->leader_epoch()) {
            result.error = wanted.current_leader_epoch < log->leader_epoch() ? ErrorCode::FencedLeaderEpoch
                                                                             : ErrorCode::UnknownLeaderEpoch;
            continue;
        }
        // The answer names an epoch too: if the asked epoch is unknown here (this log never had
        // it), the answer is the largest epoch below it and where that one ended - the caller
        // truncates there. Single-node mode answers the same way, from the same cache.
        EpochEnd end = log->end_offset_for_epoch(wanted.leader_epoch);
        result.leader_epoch = end.epoch;
        result.end_offset = end.end_offset;
        if (broker.tracing)
            broker.trace("offsets-for-leader-epoch topic={} partition={} epoch={} from {} -> epoch {} ends at {}",
                         wanted.topic, wanted.partition, wanted.leader_epoch,
                         request.replica_id >= 0 ? fmt::format("replica {}", request.replica_id) : "a consumer",
                         end.epoch, end.end_offset);
    }
    KafkaWriter out = reply.writer();
    encode_offsets_for_leader_epoch_response(out, header.api_version, results);
    return true;
}

}  // namespace minikafka
