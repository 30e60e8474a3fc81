// minikafka/protocol/metadata_records.cpp - Kafka's metadata records, field by field (all
// flexible from version 0; we write version 0 of each).
//
// CONCEPT: what the controller's log says (metadata_records.hpp). The records are Kafka's own, so
// a log written here is the same kind of log Kafka's controllers replicate; each record is framed
// [frame version | record type | record version | fields], and the type selects the decoder.
//
//   RegisterBrokerRecord / TopicRecord / PartitionRecord / ... ◀──▶ framed bytes in the Raft log
//
// READ NEXT: core/metadata_image.cpp (what applying each record does).
#include "metadata_records.hpp"

#include "byte_buffer.hpp"

namespace minikafka {

// Endpoints and features are spelt the same in RegisterBrokerRecord and in the BrokerRegistration
// request a broker sends (broker_registration.cpp), so both read them here:
//   Endpoints  [ Name COMPACT_STRING, Host COMPACT_STRING, Port UINT16, SecurityProtocol INT16 ]
//   Features   [ Name COMPACT_STRING, MinSupportedVersion INT16, MaxSupportedVersion INT16 ]
// A port is UINT16, not INT32 as in Metadata: these schemas are newer and use the tight type.
std::vector<BrokerEndpoint> read_endpoints(KafkaReader& in) {
    std::vector<BrokerEndpoint> endpoints;
    int32_t n = in.compact_array_length();
    for (int32_t i = 0; i < n && in.ok(); ++i) {
        BrokerEndpoint e;
        e.name = std::string(in.compact_string());
        e.host = std::string(in.compact_string());
        e.port = in.u16();
        e.security_protocol = in.i16();
        in.skip_tagged_fields();
        endpoints.push_back(std::move(e));
    }
    return endpoints;
}

// Features are how brokers and controllers agree on metadata.version (KIP-584, KIP-778): what
// record versions the log may use. We write only version 0 of everything, so we read past them.
void skip_features(KafkaReader& in) {
    int32_t n = in.compact_array_length();
    for (int32_t i = 0; i < n && in.ok(); ++i) {
        in.compact_string();  // name
        in.i16();             // min supported version
        in.i16();             // max supported version
        in.skip_tagged_fields();
    }
}

namespace {

void write_uuid(KafkaWriter& out, const Uuid& id) {
    out.bytes(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}
Uuid read_uuid(KafkaReader& in) {
    Uuid id{};
    std::string_view raw = in.bytes(16);
    if (in.ok()) std::copy(raw.begin(), raw.end(), id.begin());
    return id;
}
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

// RegisterBrokerRecord v0:
//   BrokerId INT32 | IncarnationId UUID | BrokerEpoch INT64 | Endpoints | Features | Rack
//   COMPACT_NULLABLE_STRING | Fenced BOOLEAN
// IncarnationId is a random id each broker process draws at start: the controller tells "the same
// broker retrying its registration" (same incarnation, same epoch back) from "a restart" (new
// incarnation, new record, new epoch; core/broker_lifecycle.cpp). BrokerEpoch is the offset of
// this record in the log - unique and increasing - and every later heartbeat must carry it, so
// a message from the previous incarnation is recognised as stale. A broker registers fenced: it
// may lead nothing until it has caught up with the log (UnfenceBrokerRecord).
void write_body(KafkaWriter& out, const RegisterBrokerRecord& r) {
    out.i32(r.broker_id);
    write_uuid(out, r.incarnation_id);
    out.i64(r.broker_epoch);
    out.compact_array_length(r.endpoints.size());
    for (const BrokerEndpoint& e : r.endpoints) {
        out.compact_string(e.name);
        out.compact_string(e.host);
        out.u16(e.port);
        out.i16(e.security_protocol);
        out.empty_tagged_fields();
    }
    out.compact_array_length(0);  // Features: none (Kafka lists metadata.version here)
    out.compact_nullable_string(r.rack ? std::optional<std::string_view>(*r.rack) : std::nullopt);
    out.boolean(r.fenced);
    out.empty_tagged_fields();
}
void read_body(KafkaReader& in, RegisterBrokerRecord& r) {
    r.broker_id = in.i32();
    r.incarnation_id = read_uuid(in);
    r.broker_epoch = in.i64();
    r.endpoints = read_endpoints(in);
    skip_features(in);
    auto rack = in.compact_nullable_string();
    if (rack) r.rack = std::string(*rack);
    r.fenced = in.boolean();
    in.skip_tagged_fields();
}

// TopicRecord v0: Name COMPACT_STRING | TopicId UUID. Every later record names the topic by its id
// only (KIP-516): a topic deleted and re-created with the same name is a new id, so no record of
// the old one can be applied to the new.
void write_body(KafkaWriter& out, const TopicRecord& r) {
    out.compact_string(r.name);
    write_uuid(out, r.topic_id);
    out.empty_tagged_fields();
}
void read_body(KafkaReader& in, TopicRecord& r) {
    r.name = std::string(in.compact_string());
    r.topic_id = read_uuid(in);
    in.skip_tagged_fields();
}

// PartitionRecord v0:
//   PartitionId INT32 | TopicId UUID | Replicas [INT32] | Isr [INT32] | RemovingReplicas [INT32]
//   | AddingReplicas [INT32] | Leader INT32 | LeaderEpoch INT32 | PartitionEpoch INT32
// Two epochs for two audiences. LeaderEpoch goes up only when the leader changes: clients and
// followers send it with every fetch (KIP-320) and truncate by it (KIP-101). PartitionEpoch goes up
// on *any* change (ISR, replicas): a leader's AlterPartition names the epoch it started from, so
// an ISR change based on a state the controller has since replaced is refused (KIP-497).
void write_body(KafkaWriter& out, const PartitionRecord& r) {
    out.i32(r.partition_id);
    write_uuid(out, r.topic_id);
    write_ids(out, r.replicas);
    write_ids(out, r.isr);
    write_ids(out, r.removing_replicas);
    write_ids(out, r.adding_replicas);
    out.i32(r.leader);
    out.i32(r.leader_epoch);
    out.i32(r.partition_epoch);
    out.empty_tagged_fields();
}
void read_body(KafkaReader& in, PartitionRecord& r) {
    r.partition_id = in.i32();
    r.topic_id = read_uuid(in);
    r.replicas = read_ids(in);
    r.isr = read_ids(in);
    r.removing_replicas = read_ids(in);
    r.adding_replicas = read_ids(in);
    r.leader = in.i32();
    r.leader_epoch = in.i32();
    r.partition_epoch = in.i32();
    in.skip_tagged_fields();
}

// PartitionChangeRecord is a *delta*: why not write the whole partition each time? Because the
// log is replayed by every node at every start, and most changes touch one field (an ISR shrink,
// a new leader). Tagged fields make "absent" free on the wire, and a leader of -2 means "leader
// unchanged" (-1 already means "no leader").
void write_body(KafkaWriter& out, const PartitionChangeRecord& r) {
    out.i32(r.partition_id);
    write_uuid(out, r.topic_id);
    // Only what changed is written, as tagged fields in tag order: 0 the ISR, 1 the leader,
    // 2 the replicas, 3 the removing replicas, 4 the adding replicas.
    const bool leader = r.leader != -2;
    out.uvarint((r.isr ? 1 : 0) + (leader ? 1 : 0) + (r.replicas ? 1 : 0) + (r.removing_replicas ? 1 : 0) +
                (r.adding_replicas ? 1 : 0));
    auto tagged_ids = [&out](uint32_t tag, const std::optional<std::vector<int32_t>>& ids) {
        if (!ids) return;
        mb::ByteBuffer bytes;
        KafkaWriter field(bytes);
        write_ids(field, *ids);
        out.uvarint(tag);
        out.uvarint(bytes.size());
        out.bytes(bytes.readable());
    };
    tagged_ids(0, r.isr);
    // The leader is a bare INT32, not a list: tag 1, size 4, the id.
    if (leader) {
        out.uvarint(1);
        out.uvarint(4);
        out.i32(r.leader);
    }
    tagged_ids(2, r.replicas);
    tagged_ids(3, r.removing_replicas);
    tagged_ids(4, r.adding_replicas);
}
// Each tag is read from a sub-reader over exactly its size, so a tag we do not know (a field a
// newer Kafka added) is skipped without being understood - the point of tagged fields.
void read_body(KafkaReader& in, PartitionChangeRecord& r) {
    r.partition_id = in.i32();
    r.topic_id = read_uuid(in);
    uint32_t tags = in.uvarint();
    for (uint32_t i = 0; i < tags && in.ok(); ++i) {
        uint32_t tag = in.uvarint();
        uint32_t size = in.uvarint();
        KafkaReader sub(in.bytes(size));
        if (tag == 0) r.isr = read_ids(sub);
        if (tag == 1) r.leader = sub.i32();
        if (tag == 2) r.replicas = read_ids(sub);
        if (tag == 3) r.removing_replicas = read_ids(sub);
        if (tag == 4) r.adding_replicas = read_ids(sub);
        if (!sub.ok()) in.fail();
    }
}

// FenceBrokerRecord and UnfenceBrokerRecord v0: Id INT32 | Epoch INT64. The epoch names the
// registration being fenced or unfenced, so a late record about an old incarnation changes
// nothing for the new one (core/metadata_image.cpp checks it).
template <typename FenceOrUnfence>
void write_fence_body(KafkaWriter& out, const FenceOrUnfence& r) {
    out.i32(r.id);
    out.i64(r.epoch);
    out.empty_tagged_fields();
}
template <typename FenceOrUnfence>
void read_fence_body(KafkaReader& in, FenceOrUnfence& r) {
    r.id = in.i32();
    r.epoch = in.i64();
    in.skip_tagged_fields();
}
void write_body(KafkaWriter& out, const FenceBrokerRecord& r) { write_fence_body(out, r); }
void read_body(KafkaReader& in, FenceBrokerRecord& r) { read_fence_body(in, r); }
void write_body(KafkaWriter& out, const UnfenceBrokerRecord& r) { write_fence_body(out, r); }
void read_body(KafkaReader& in, UnfenceBrokerRecord& r) { read_fence_body(in, r); }

// RemoveTopicRecord v0: TopicId UUID. One record removes the topic and all its partitions, so a
// delete is atomic for every node that replays the log.
void write_body(KafkaWriter& out, const RemoveTopicRecord& r) {
    write_uuid(out, r.topic_id);
    out.empty_tagged_fields();
}
void read_body(KafkaReader& in, RemoveTopicRecord& r) {
    r.topic_id = read_uuid(in);
    in.skip_tagged_fields();
}

// ConfigRecord v0: ResourceType INT8 (2 topic, 4 broker: the ConfigResource codes of
// DescribeConfigs) | ResourceName | Name | Value COMPACT_NULLABLE_STRING. A null value deletes the
// override, so the default applies again; a topic's config lives in the log like its partitions.
void write_body(KafkaWriter& out, const ConfigRecord& r) {
    out.i8(r.resource_type);
    out.compact_string(r.resource_name);
    out.compact_string(r.name);
    out.compact_nullable_string(r.value);
    out.empty_tagged_fields();
}
void read_body(KafkaReader& in, ConfigRecord& r) {
    r.resource_type = in.i8();
    r.resource_name = std::string(in.compact_string());
    r.name = std::string(in.compact_string());
    if (auto value = in.compact_nullable_string()) r.value = std::string(*value);
    in.skip_tagged_fields();
}

// A record must be consumed exactly: bytes left over mean a layout we do not understand, and a
// misread metadata record would give this node a different image from the others'. Better to
// refuse it (nullopt: the image counts it as unreadable, metadata_image.cpp) than to apply a guess.
template <typename Record>
std::optional<MetadataRecord> read_record(KafkaReader& in) {
    Record record;
    read_body(in, record);
    if (!in.ok() || in.remaining() != 0) return std::nullopt;
    return MetadataRecord(std::move(record));
}

}  // namespace

// The frame: UNSIGNED_VARINT frame version 1 (the framing's own version, not the record's), the
// record type (its apiKey in the schema), the record version, then the body. The record becomes
// the value of one record in a quorum record batch (quorum_fetch.cpp).
std::string encode_metadata_record(const MetadataRecord& record) {
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    std::visit(
        [&](const auto& r) {
            out.uvarint(1);  // frame version
            out.uvarint(std::decay_t<decltype(r)>::kType);
            out.uvarint(0);  // record version
            write_body(out, r);
        },
        record);
    return std::string(buffer.readable());
}

// Only version 0 of each record is accepted, since it is the only one we write; a log written by
// a newer broker would be refused here, not half-understood.
std::optional<MetadataRecord> decode_metadata_record(std::string_view bytes) {
    KafkaReader in(bytes);
    if (in.uvarint() != 1) return std::nullopt;
    uint32_t type = in.uvarint();
    if (in.uvarint() != 0 || !in.ok()) return std::nullopt;
    switch (type) {
        case RegisterBrokerRecord::kType:
            return read_record<RegisterBrokerRecord>(in);
        case TopicRecord::kType:
            return read_record<TopicRecord>(in);
        case PartitionRecord::kType:
            return read_record<PartitionRecord>(in);
        case PartitionChangeRecord::kType:
            return read_record<PartitionChangeRecord>(in);
        case FenceBrokerRecord::kType:
            return read_record<FenceBrokerRecord>(in);
        case UnfenceBrokerRecord::kType:
            return read_record<UnfenceBrokerRecord>(in);
        case RemoveTopicRecord::kType:
            return read_record<RemoveTopicRecord>(in);
        case ConfigRecord::kType:
            return read_record<ConfigRecord>(in);
        default:
            return std::nullopt;
    }
}

const char* metadata_record_name(const MetadataRecord& record) {
    static constexpr const char* kNames[] = {"RegisterBrokerRecord",  "TopicRecord",       "PartitionRecord",
                                             "PartitionChangeRecord", "FenceBrokerRecord", "UnfenceBrokerRecord",
                                             "RemoveTopicRecord",     "ConfigRecord"};
    return kNames[record.index()];
}

}  // namespace minikafka
