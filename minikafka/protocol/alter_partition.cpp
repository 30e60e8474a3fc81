// minikafka/protocol/alter_partition.cpp
//
// CONCEPT: how the ISR changes, on the wire (alter_partition.hpp): a leader's request to the
// controller. AlterPartition codec, v1 (see alter_partition.hpp). v1 is flexible: every struct
// ends with (empty) tagged fields, and strings and arrays carry compact lengths.
//   bytes ─KafkaReader─▶ decode_*_request (field by field, in the schema's order) ─▶ struct
//   struct ─▶ encode_*_response ─KafkaWriter─▶ bytes (the same version as the request)
// READ NEXT: handlers/alter_partition.cpp, core/topic_control.cpp.
#include "alter_partition.hpp"

namespace minikafka {

namespace {
void write_ids(KafkaWriter& out, const std::vector<int32_t>& ids) {
    out.compact_array_length(ids.size());
    for (int32_t id : ids) out.i32(id);
}
std::vector<int32_t> read_ids(KafkaReader& in) {
    std::vector<int32_t> ids;
    int32_t n = in.compact_array_length();
    for (int32_t i = 0; i < n && in.ok(); ++i) ids.push_back(in.i32());
    return ids;
}
// The schema nests partitions under their topic; our structs keep one flat list (what the leader's
// replica manager and the controller loop over), with a topic's partitions next to each other.
// These two convert, grouping by consecutive topic names. Every nested struct ends with its own
// empty tagged-field section, the partition's first, then the topic's.
template <typename Item, typename WriteOne>
void write_grouped(KafkaWriter& out, const std::vector<Item>& items, WriteOne write_one) {
    size_t topics = 0;
    for (size_t i = 0; i < items.size(); ++i) topics += i == 0 || items[i].topic != items[i - 1].topic;
    out.compact_array_length(topics);
    for (size_t i = 0; i < items.size();) {
        size_t end = i;
        while (end < items.size() && items[end].topic == items[i].topic) ++end;
        out.compact_string(items[i].topic);
        out.compact_array_length(end - i);
        for (; i < end; ++i) {
            write_one(items[i]);
            out.empty_tagged_fields();
        }
        out.empty_tagged_fields();
    }
}
template <typename Item, typename ReadOne>
void read_grouped(KafkaReader& in, std::vector<Item>& items, ReadOne read_one) {
    int32_t topics = in.compact_array_length();
    for (int32_t t = 0; t < topics && in.ok(); ++t) {
        std::string topic(in.compact_string());
        int32_t partitions = in.compact_array_length();
        for (int32_t p = 0; p < partitions && in.ok(); ++p) {
            Item& item = items.emplace_back();
            item.topic = topic;
            read_one(item);
            in.skip_tagged_fields();
        }
        in.skip_tagged_fields();
    }
}
}  // namespace

// The leader's side. Each field is a guard against acting on a stale view:
//   broker_id, broker_epoch  who asks, and which incarnation of it (Kafka refuses a request from a
//                            broker that has since re-registered; we carry it, the leader epoch
//                            check below covers the same case for us).
//   leader_epoch             refused with FENCED_LEADER_EPOCH unless the asker still leads in it.
//   partition_epoch          refused with INVALID_UPDATE_VERSION if the partition changed since
//                            the leader last saw it (a reassignment, another ISR change).
//   leader_recovery_state    (v1, KIP-704) RECOVERING after an unclean election until the new
//                            leader has cleaned up; we always send 0, RECOVERED, and ignore it.
// A leader can only shrink the ISR or grow it with replicas that have caught up to its high
// watermark (PartitionState::wanted_isr in core/partition_state.cpp decides; see
// docs/minikafka/05-replication-and-the-controller.md, "The high watermark, the log end offset
// and the ISR").
void encode_alter_partition_request(KafkaWriter& out, const AlterPartitionRequestData& request) {
    out.i32(request.broker_id);
    out.i64(request.broker_epoch);
    write_grouped(out, request.partitions, [&](const AlterPartitionItem& p) {
        out.i32(p.partition);
        out.i32(p.leader_epoch);
        write_ids(out, p.new_isr);
        out.i8(0);  // leader_recovery_state: recovered
        out.i32(p.partition_epoch);
    });
    out.empty_tagged_fields();
}

bool decode_alter_partition_request(KafkaReader& in, AlterPartitionRequestData& out) {
    out.broker_id = in.i32();
    out.broker_epoch = in.i64();
    read_grouped(in, out.partitions, [&](AlterPartitionItem& p) {
        p.partition = in.i32();
        p.leader_epoch = in.i32();
        p.new_isr = read_ids(in);
        in.i8();
        p.partition_epoch = in.i32();
    });
    in.skip_tagged_fields();
    return in.ok();
}

// The answer carries the partition's whole state as the controller now has it - leader, epoch,
// ISR, partition epoch - also on an error: a leader that was refused adopts that state and builds
// its next request on it, instead of retrying a request that can never succeed.
void encode_alter_partition_response(KafkaWriter& out, const AlterPartitionResponseData& response) {
    out.i32(0);  // throttle_time_ms
    out.i16(static_cast<int16_t>(response.error));
    write_grouped(out, response.partitions, [&](const AlterPartitionResult& p) {
        out.i32(p.partition);
        out.i16(static_cast<int16_t>(p.error));
        out.i32(p.leader_id);
        out.i32(p.leader_epoch);
        write_ids(out, p.isr);
        out.i8(0);
        out.i32(p.partition_epoch);
    });
    out.empty_tagged_fields();
}

bool decode_alter_partition_response(KafkaReader& in, AlterPartitionResponseData& out) {
    in.i32();
    out.error = static_cast<ErrorCode>(in.i16());
    read_grouped(in, out.partitions, [&](AlterPartitionResult& p) {
        p.partition = in.i32();
        p.error = static_cast<ErrorCode>(in.i16());
        p.leader_id = in.i32();
        p.leader_epoch = in.i32();
        p.isr = read_ids(in);
        in.i8();
        p.partition_epoch = in.i32();
    });
    in.skip_tagged_fields();
    return in.ok();
}

}  // namespace minikafka
