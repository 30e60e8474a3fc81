// minikafka/model/offset_commit_record.cpp
//
// CONCEPT: a committed offset as a record of __consumer_offsets (offset_commit_record.hpp tells
// why): this file encodes and decodes Kafka's own key/value schemas, and wraps them in an
// ordinary v2 record batch, so the partition that stores them is replicated like any other.
//
//   OffsetCommitRecord ─▶ key (v1) + value (v3, or null = tombstone) ─▶ one record ─▶ batch + CRC
//
// READ NEXT: core/offsets_topic.hpp (who appends and replays them), model/record_batch.hpp.
#include "offset_commit_record.hpp"

#include "big_endian.hpp"
#include "crc32c.hpp"
#include "protocol/primitives.hpp"
#include "record_batch.hpp"

namespace minikafka {

namespace {

// We write one version of each schema, the ones Kafka itself writes for a commit, so that real
// tools read our partition; decoding accepts every value version, as Kafka's does.
constexpr int16_t kKeyVersion = 1;    // an offset commit (2 would be a group's metadata)
constexpr int16_t kValueVersion = 3;  // with the leader epoch (KIP-320)
constexpr size_t kBatchLengthAt = 8;
constexpr size_t kCrcAt = 17;
constexpr size_t kAttributesAt = 21;

std::string encode_key(const OffsetCommitRecord& record) {
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    out.i16(kKeyVersion);
    out.string(record.group);
    out.string(record.topic);
    out.i32(record.partition);
    return std::string(buffer.readable());
}

std::string encode_value(const CommittedOffset& value) {
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    out.i16(kValueVersion);
    out.i64(value.offset);
    out.i32(value.leader_epoch);
    out.string(value.metadata);
    out.i64(value.commit_timestamp_ms);
    return std::string(buffer.readable());
}

// The value of any of Kafka's four versions.
std::optional<CommittedOffset> decode_value(std::string_view bytes) {
    KafkaReader in(bytes);
    CommittedOffset value;
    int16_t version = in.i16();
    if (version < 0 || version > 3) return std::nullopt;
    value.offset = in.i64();
    if (version >= 3) value.leader_epoch = in.i32();
    value.metadata = std::string(in.string());
    value.commit_timestamp_ms = in.i64();
    if (version == 1) in.i64();  // expire_timestamp: retention is the broker's business since v2
    if (!in.ok()) return std::nullopt;
    return value;
}

}  // namespace

// Both kinds of record of __consumer_offsets (commits here, group metadata in
// group_metadata_record.cpp) travel in the same plain batch: only their keys and values differ.
std::string encode_coordinator_batch(const std::vector<CoordinatorRecord>& records, int64_t now_ms) {
    // Each record: length VARINT | attributes INT8 | timestampDelta VARLONG | offsetDelta VARINT
    //              | key (VARINT length + bytes) | value (VARINT length, -1 = null) | headers VARINT
    std::string body;
    for (size_t i = 0; i < records.size(); ++i) {
        mb::ByteBuffer one;
        KafkaWriter r(one);
        r.i8(0);
        r.varint(0);
        r.varint(static_cast<int64_t>(i));
        r.varint(static_cast<int64_t>(records[i].key.size()));
        r.bytes(records[i].key);
        if (records[i].value) {
            r.varint(static_cast<int64_t>(records[i].value->size()));
            r.bytes(*records[i].value);
        } else {
            r.varint(-1);  // a tombstone
        }
        r.varint(0);  // no headers
        mb::ByteBuffer framed;
        KafkaWriter f(framed);
        f.varint(static_cast<int64_t>(one.size()));
        f.bytes(one.readable());
        body += framed.readable();
    }
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    out.i64(0);   // baseOffset: the log's to give
    out.i32(0);   // batchLength, patched below
    out.i32(-1);  // partitionLeaderEpoch: the leader stamps it
    out.i8(kMagicV2);
    out.u32(0);  // crc, patched below
    out.i16(0);  // attributes: no compression, CreateTime, not transactional
    out.i32(static_cast<int32_t>(records.size()) - 1);
    out.i64(now_ms);
    out.i64(now_ms);
    out.i64(-1);  // producerId: the coordinator is not an idempotent producer
    out.i16(-1);
    out.i32(-1);
    out.i32(static_cast<int32_t>(records.size()));
    out.bytes(body);
    std::string batch(buffer.readable());
    mb::store_big_endian(batch.data() + kBatchLengthAt, static_cast<int32_t>(batch.size() - kLogOverhead));
    mb::store_big_endian(batch.data() + kCrcAt, mb::crc32c(std::string_view(batch).substr(kAttributesAt)));
    return batch;
}

// One OffsetCommit request becomes one batch: all its partitions' offsets are appended - and
// replicated, and made visible - together, so a consumer never sees half of a commit.
std::string encode_offset_commit_batch(const std::vector<OffsetCommitRecord>& records, int64_t now_ms) {
    std::vector<CoordinatorRecord> raw;
    raw.reserve(records.size());
    for (const OffsetCommitRecord& record : records)
        raw.push_back({encode_key(record),
                       record.value ? std::optional<std::string>(encode_value(*record.value)) : std::nullopt});
    return encode_coordinator_batch(raw, now_ms);
}

// The walk over a batch's records both decoders share. A compressed batch (nobody but us writes
// this topic, and we never compress) and a control batch carry nothing of ours: skipped.
bool for_each_coordinator_record(std::string_view batch, const CoordinatorRecordVisitor& visit) {
    if (batch.size() < kBatchHeaderSize) return false;
    RecordBatchHeader header = decode_batch_header(batch.data());
    if (header.compression() != 0 || header.is_control()) return true;
    KafkaReader in(batch.substr(kBatchHeaderSize, header.total_size() - kBatchHeaderSize));
    for (int32_t i = 0; i < header.record_count && in.ok(); ++i) {
        int32_t length = in.varint();
        if (length < 0) return false;
        KafkaReader record(in.bytes(static_cast<size_t>(length)));
        record.i8();       // attributes
        record.varlong();  // timestampDelta
        record.varint();   // offsetDelta
        int32_t key_length = record.varint();
        if (key_length < 0) return false;
        std::string_view key_bytes = record.bytes(static_cast<size_t>(key_length));
        int32_t value_length = record.varint();
        std::optional<std::string_view> value_bytes;
        if (value_length >= 0) value_bytes = record.bytes(static_cast<size_t>(value_length));
        if (!record.ok() || !visit(key_bytes, value_bytes)) return false;
    }
    return in.ok();
}

// Replaying a partition of __consumer_offsets at load. Records of a kind this decoder does not
// read are skipped, not fatal: key version 2 is a group's metadata (group_metadata_record.hpp has
// its own decoder), and a key version we do not know may be a newer Kafka's. A malformed commit
// record, on the other hand, fails the batch.
bool decode_offset_commit_batch(std::string_view batch, const std::function<void(OffsetCommitRecord&&)>& apply) {
    return for_each_coordinator_record(batch, [&](std::string_view key_bytes, std::optional<std::string_view> value) {
        KafkaReader key(key_bytes);
        int16_t version = key.i16();
        if (!key.ok()) return false;
        if (version != 0 && version != 1) return true;  // group metadata, or a version we do not know
        OffsetCommitRecord out;
        out.group = std::string(key.string());
        out.topic = std::string(key.string());
        out.partition = key.i32();
        if (!key.ok()) return false;
        if (value) {
            out.value = decode_value(*value);
            if (!out.value) return false;
        }
        apply(std::move(out));
        return true;
    });
}

}  // namespace minikafka
