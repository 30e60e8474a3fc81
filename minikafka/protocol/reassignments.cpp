// minikafka/protocol/reassignments.cpp - API 45 and 46, field by field (see the header).
//
// CONCEPT: moving replicas between brokers (KIP-455; reassignments.hpp), on the wire: a target
// replica set per partition (null cancels a move), and the moves in progress as adding/removing
// replicas. Both APIs are flexible from v0.
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
// READ NEXT: handlers/reassignments.cpp, core/reassignment.hpp.
#include "reassignments.hpp"

namespace minikafka {

namespace {
// Kafka sends a null error message when there is nothing to add to the code; ours keep "" for
// that inside, and turn it into null on the wire so a client prints no empty message.
std::optional<std::string_view> or_null(const std::string& message) {
    if (message.empty()) return std::nullopt;
    return message;
}
void write_ids(KafkaWriter& out, const std::vector<int32_t>& ids) {
    out.compact_array_length(ids.size());
    for (int32_t id : ids) out.i32(id);
}
}  // namespace

// kafka-reassign-partitions.sh --execute sends one entry per partition to move. The answer means
// "the move has started" (the target is proposed to the metadata log), never "done": the copy
// takes as long as the data takes, so progress is read with ListPartitionReassignments instead.
AlterReassignmentsRequest decode_alter_reassignments_request(KafkaReader& in, int16_t) {
    AlterReassignmentsRequest request;
    request.timeout_ms = in.i32();
    const int32_t topics = in.compact_array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        ReassignTopic& topic = request.topics.emplace_back();
        topic.name = std::string(in.compact_string());
        const int32_t partitions = in.compact_array_length();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) {
            ReassignPartition& partition = topic.partitions.emplace_back();
            partition.partition = in.i32();
            // A COMPACT_NULLABLE array: 0 is null (cancel), N + 1 is N replicas. Each id takes
            // four bytes, so a count the remaining bytes cannot hold is a lie: fail before looping.
            const uint32_t count_plus_one = in.uvarint();
            if (count_plus_one > 0) {
                if (count_plus_one - 1 > in.remaining() / 4) {
                    in.fail();
                    break;
                }
                std::vector<int32_t>& replicas = partition.replicas.emplace();
                for (uint32_t i = 0; i + 1 < count_plus_one && in.ok(); ++i) replicas.push_back(in.i32());
            }
            in.skip_tagged_fields();
        }
        in.skip_tagged_fields();
    }
    in.skip_tagged_fields();
    return request;
}

void encode_alter_reassignments_request(KafkaWriter& out, const AlterReassignmentsRequest& request) {
    out.i32(request.timeout_ms);
    out.compact_array_length(request.topics.size());
    for (const ReassignTopic& topic : request.topics) {
        out.compact_string(topic.name);
        out.compact_array_length(topic.partitions.size());
        for (const ReassignPartition& p : topic.partitions) {
            out.i32(p.partition);
            if (p.replicas) {
                write_ids(out, *p.replicas);
            } else {
                out.uvarint(0);
            }
            out.empty_tagged_fields();
        }
        out.empty_tagged_fields();
    }
    out.empty_tagged_fields();
}

// Two levels of error, as in most admin APIs: the top-level code refuses the whole request (not
// the controller: NOT_CONTROLLER), the per-partition code refuses one move (unknown partition,
// a target naming a broker that is not registered) while the others go ahead.
void encode_alter_reassignments_response(KafkaWriter& out, int16_t, const AlterReassignmentsResponse& r) {
    out.i32(0);  // throttle_time_ms
    out.i16(static_cast<int16_t>(r.error));
    out.compact_nullable_string(or_null(r.message));
    out.compact_array_length(r.topics.size());
    for (const ReassignTopicResult& topic : r.topics) {
        out.compact_string(topic.name);
        out.compact_array_length(topic.partitions.size());
        for (const ReassignPartitionResult& p : topic.partitions) {
            out.i32(p.partition);
            out.i16(static_cast<int16_t>(p.error));
            out.compact_nullable_string(or_null(p.message));
            out.empty_tagged_fields();
        }
        out.empty_tagged_fields();
    }
    out.empty_tagged_fields();
}

// --verify and --list ask this. A null topic list (varint 0) means "every move in progress", an
// empty one means "none": the nullable array is how the schema tells them apart.
ListReassignmentsRequest decode_list_reassignments_request(KafkaReader& in, int16_t) {
    ListReassignmentsRequest request;
    request.timeout_ms = in.i32();
    const uint32_t count_plus_one = in.uvarint();
    if (count_plus_one > 0) {
        auto& topics = request.topics.emplace();
        for (uint32_t t = 0; t + 1 < count_plus_one && in.ok(); ++t) {
            auto& [name, partitions] = topics.emplace_back();
            name = std::string(in.compact_string());
            const int32_t n = in.compact_array_length();
            for (int32_t p = 0; p < n && in.ok(); ++p) partitions.push_back(in.i32());
            in.skip_tagged_fields();
        }
    }
    in.skip_tagged_fields();
    return request;
}

// During a move, replicas is the union of the old and the target set; adding_replicas are the
// targets still catching up, removing_replicas the old ones to drop once they have. When adding
// is empty the move is done and the partition is no longer listed (KIP-455's state, kept in the
// metadata log: docs/minikafka/05-replication-and-the-controller.md, "Adding a broker").
void encode_list_reassignments_response(KafkaWriter& out, int16_t, const ListReassignmentsResponse& r) {
    out.i32(0);
    out.i16(static_cast<int16_t>(r.error));
    out.compact_nullable_string(or_null(r.message));
    out.compact_array_length(r.topics.size());
    for (const auto& [name, partitions] : r.topics) {
        out.compact_string(name);
        out.compact_array_length(partitions.size());
        for (const OngoingReassignment& p : partitions) {
            out.i32(p.partition);
            write_ids(out, p.replicas);
            write_ids(out, p.adding);
            write_ids(out, p.removing);
            out.empty_tagged_fields();
        }
        out.empty_tagged_fields();
    }
    out.empty_tagged_fields();
}

}  // namespace minikafka
