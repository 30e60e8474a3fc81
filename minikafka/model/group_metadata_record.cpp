// minikafka/model/group_metadata_record.cpp
//
// CONCEPT: a consumer group as a record of __consumer_offsets (group_metadata_record.hpp tells
// why): Kafka's GroupMetadataKey/GroupMetadataValue schemas, written in the same plain batches as
// the offset commits (offset_commit_record.cpp), so the same replication keeps them.
//
//   ConsumerGroup ─metadata_record()─▶ GroupMetadataValue ─▶ key v2 + value v3 ─▶ batch
//   batch ─▶ key v2? ─▶ GroupMetadataValue ─restore()─▶ ConsumerGroup (Stable, same generation)
//
// READ NEXT: core/offsets_topic.cpp (who appends and replays them), model/consumer_group.cpp.
#include "group_metadata_record.hpp"

#include "offset_commit_record.hpp"
#include "protocol/primitives.hpp"

namespace minikafka {

namespace {

// Kafka numbers the record types by key version: 0 and 1 are offset commits, 2 is a group.
// Compaction keeps the latest record per key *bytes*, so the version prefix also keeps a group's
// record from ever replacing an offset's, or the other way round.
constexpr int16_t kKeyVersion = 2;
// Version 3 (Kafka 2.3+) is the last non-flexible one: what every Kafka from 2.3 to 3.4 writes.
constexpr int16_t kValueVersion = 3;

}  // namespace

// The key is deliberately small: only what identifies the group. Everything that changes with a
// rebalance goes in the value, so that each new generation *replaces* the previous record of the
// same key - the log grows by one record per rebalance, and compaction keeps only the last.
std::string encode_group_metadata_key(std::string_view group) {
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    out.i16(kKeyVersion);
    out.string(group);
    return std::string(buffer.readable());
}

// A schema is read by position, not by name: the fields must be written in exactly the order the
// version lists them, and a reader of an older version stops where its version ends. Protocol
// and leader are NULLABLE_STRINGs because an Empty group has neither; writing "" instead would
// be read back by Kafka's tools as an assignor named "".
std::string encode_group_metadata_value(const GroupMetadataValue& value) {
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    out.i16(kValueVersion);
    out.string(value.protocol_type);
    out.i32(value.generation);
    out.nullable_string(value.protocol);
    out.nullable_string(value.leader);
    out.i64(value.current_state_timestamp_ms);
    // The subscription and assignment are the clients' bytes (ConsumerProtocolSubscription and
    // ...Assignment for a consumer group): stored as they came, never interpreted, as the broker
    // never interprets them anywhere else either.
    out.array_length(value.members.size());
    for (const GroupMemberMetadata& m : value.members) {
        out.string(m.member_id);
        out.nullable_string(m.group_instance_id);
        out.string(m.client_id);
        out.string(m.client_host);
        out.i32(m.rebalance_timeout_ms);
        out.i32(m.session_timeout_ms);
        out.kafka_bytes(m.subscription);
        out.kafka_bytes(m.assignment);
    }
    return std::string(buffer.readable());
}

// The fields each version added, read in schema order. A version 0 record (Kafka 0.9) has no
// rebalance timeout: Kafka took the session timeout for it, and so do we.
std::optional<GroupMetadataValue> decode_group_metadata_value(std::string_view bytes) {
    KafkaReader in(bytes);
    const int16_t version = in.i16();
    if (!in.ok() || version < 0 || version > 3) return std::nullopt;
    auto optional_string = [](std::optional<std::string_view> s) {
        return s ? std::optional<std::string>(*s) : std::nullopt;
    };
    GroupMetadataValue value;
    value.protocol_type = std::string(in.string());
    value.generation = in.i32();
    value.protocol = optional_string(in.nullable_string());
    value.leader = optional_string(in.nullable_string());
    if (version >= 2) value.current_state_timestamp_ms = in.i64();
    const int32_t count = in.array_length();
    // A hostile count cannot make us reserve memory: each member is read (and bounds-checked)
    // before the next, and the reader stops at the end of the bytes.
    for (int32_t i = 0; i < count && in.ok(); ++i) {
        GroupMemberMetadata m;
        m.member_id = std::string(in.string());
        if (version >= 3) m.group_instance_id = optional_string(in.nullable_string());
        m.client_id = std::string(in.string());
        m.client_host = std::string(in.string());
        if (version >= 1) m.rebalance_timeout_ms = in.i32();
        m.session_timeout_ms = in.i32();
        if (version == 0) m.rebalance_timeout_ms = m.session_timeout_ms;
        m.subscription = std::string(in.kafka_bytes());
        m.assignment = std::string(in.kafka_bytes());
        if (in.ok()) value.members.push_back(std::move(m));
    }
    if (!in.ok()) return std::nullopt;
    return value;
}

// One group per batch: a group's record is written alone, after its own rebalance, and waits for
// its own high watermark - it never needs to be atomic with anything else.
std::string encode_group_metadata_batch(const GroupMetadataRecord& record, int64_t now_ms) {
    return encode_coordinator_batch(
        {{encode_group_metadata_key(record.group),
          record.value ? std::optional<std::string>(encode_group_metadata_value(*record.value)) : std::nullopt}},
        now_ms);
}

// The same walk as the offset decoder's, keeping the other half of the records: a partition of
// __consumer_offsets is read twice at load, once per kind, which keeps each decoder about one
// schema (the two kinds never depend on each other's order).
bool decode_group_metadata_batch(std::string_view batch, const std::function<void(GroupMetadataRecord&&)>& apply) {
    return for_each_coordinator_record(batch, [&](std::string_view key_bytes, std::optional<std::string_view> value) {
        KafkaReader key(key_bytes);
        const int16_t version = key.i16();
        if (!key.ok()) return false;
        if (version != kKeyVersion) return true;  // an offset commit: offset_commit_record.cpp's
        GroupMetadataRecord out;
        out.group = std::string(key.string());
        if (!key.ok()) return false;
        if (value) {
            out.value = decode_group_metadata_value(*value);
            if (!out.value) return false;
        }
        apply(std::move(out));
        return true;
    });
}

}  // namespace minikafka
