// minikafka/model/record_batch.cpp
//
// CONCEPT: the record batch is the unit of everything in Kafka - what a producer sends, what the
// segment file stores and what a fetch returns are the same bytes. That is why the notes' "High
// Throughput" holds: the broker validates a batch's 61-byte header and CRC, stamps its offset,
// and never re-encodes its records. This file is that validation and stamping; the layout is in
// record_batch.hpp.
//
//   producer bytes ─▶ validate_batch (length, magic 2, CRC32C, count, codec)
//                  ─▶ set_base_offset / set_partition_leader_epoch (outside the CRC: no rehash)
//                  ─▶ appended as they are ─▶ sent to consumers as they are
//
// READ NEXT: storage/partition_log.cpp (append), docs/minikafka/02-formats.md "A record batch".
#include "record_batch.hpp"

#include "big_endian.hpp"
#include "crc32c.hpp"
#include "protocol/primitives.hpp"

namespace minikafka {

namespace {
// Byte positions in the v2 batch header (record_batch.hpp has the whole table).
constexpr size_t kCrcOffset = 17;
constexpr size_t kAttributesOffset = 21;
constexpr size_t kMaxTimestampOffset = 35;
constexpr int16_t kLogAppendTimeFlag = 0x8;
}  // namespace

// Field by field with explicit big-endian loads, never by casting the bytes to a struct: the
// wire layout is packed and big-endian, and the bytes sit unaligned in a request buffer. The
// caller must make sure kBatchHeaderSize bytes are readable, as validate_batch does first.
RecordBatchHeader decode_batch_header(const char* p) {
    using mb::load_big_endian;
    RecordBatchHeader h;
    h.base_offset = load_big_endian<int64_t>(p);
    h.batch_length = load_big_endian<int32_t>(p + 8);
    h.partition_leader_epoch = load_big_endian<int32_t>(p + 12);
    h.magic = static_cast<int8_t>(p[16]);
    h.crc = load_big_endian<uint32_t>(p + 17);
    h.attributes = load_big_endian<int16_t>(p + 21);
    h.last_offset_delta = load_big_endian<int32_t>(p + 23);
    h.base_timestamp = load_big_endian<int64_t>(p + 27);
    h.max_timestamp = load_big_endian<int64_t>(p + 35);
    h.producer_id = load_big_endian<int64_t>(p + 43);
    h.producer_epoch = load_big_endian<int16_t>(p + 51);
    h.base_sequence = load_big_endian<int32_t>(p + 53);
    h.record_count = load_big_endian<int32_t>(p + 57);
    return h;
}

std::string_view to_string(BatchCheck check) {
    switch (check) {
        case BatchCheck::ok:
            return "ok";
        case BatchCheck::truncated:
            return "truncated batch";
        case BatchCheck::bad_length:
            return "bad batch length";
        case BatchCheck::bad_magic:
            return "unsupported magic (message format)";
        case BatchCheck::bad_crc:
            return "CRC32C mismatch";
        case BatchCheck::bad_count:
            return "record count does not match lastOffsetDelta or the batch's size";
        case BatchCheck::bad_codec:
            return "unknown compression codec";
    }
    return "?";
}

// The order of the checks matters: length and magic first, so that the CRC is only computed over
// bytes we know belong to a v2 batch; the CRC before the count, so that a count is only trusted
// when the bytes are the producer's. Old formats (magic 0 and 1) are refused rather than
// converted - Kafka converts them; every client since Kafka 0.11 sends magic 2.
BatchCheck validate_batch(std::string_view bytes, RecordBatchHeader& header, OffsetGaps gaps) {
    if (bytes.size() < kBatchHeaderSize) {
        // Enough for the length but not the header: tell a short batch from a lying length.
        if (bytes.size() >= kLogOverhead &&
            mb::load_big_endian<int32_t>(bytes.data() + 8) < static_cast<int32_t>(kBatchHeaderSize - kLogOverhead))
            return BatchCheck::bad_length;
        return BatchCheck::truncated;
    }
    header = decode_batch_header(bytes.data());
    if (header.batch_length < static_cast<int32_t>(kBatchHeaderSize - kLogOverhead)) return BatchCheck::bad_length;
    if (header.magic != kMagicV2) return BatchCheck::bad_magic;
    if (header.total_size() > bytes.size()) return BatchCheck::truncated;
    std::string_view covered = bytes.substr(kAttributesOffset, header.total_size() - kAttributesOffset);
    if (mb::crc32c(covered) != header.crc) return BatchCheck::bad_crc;
    // Producers number the records of a batch 0..count-1 (only log compaction leaves gaps).
    if (header.record_count <= 0 || header.last_offset_delta < header.record_count - 1) return BatchCheck::bad_count;
    if (gaps == OffsetGaps::refused && header.last_offset_delta != header.record_count - 1)
        return BatchCheck::bad_count;
    // The count decides how many offsets the batch takes, so it must be believable (Kafka checks
    // it by reading every record; we store batches as they came and do not decompress them).
    // Uncompressed, a record takes at least 7 bytes: length, attributes, timestampDelta,
    // offsetDelta, key length, value length, header count. Compressed, no LZ codec encodes
    // records whose offsetDelta keeps changing in less than a bit each. Without this bound, one
    // small batch claiming 2^31 records would push the log end up by as much and roll a segment.
    int64_t payload = static_cast<int64_t>(header.total_size() - kBatchHeaderSize);
    int64_t most_records = header.compression() == 0 ? payload / kMinRecordSize : payload * 8;
    if (header.record_count > most_records) return BatchCheck::bad_count;
    if (header.compression() > 4) return BatchCheck::bad_codec;
    return BatchCheck::ok;
}

void set_base_offset(char* batch, int64_t base_offset) { mb::store_big_endian(batch, base_offset); }

void set_partition_leader_epoch(char* batch, int32_t epoch) { mb::store_big_endian(batch + 12, epoch); }

// message.timestamp.type=LogAppendTime: the broker's clock replaces the producer's. Unlike the
// offset, the timestamp and attributes are inside the CRC, so this is the one case where the
// broker recomputes a batch's checksum.
void set_log_append_time(char* batch, size_t size, int64_t timestamp_ms) {
    int16_t attributes = mb::load_big_endian<int16_t>(batch + kAttributesOffset);
    mb::store_big_endian(batch + kAttributesOffset, static_cast<int16_t>(attributes | kLogAppendTimeFlag));
    mb::store_big_endian(batch + kMaxTimestampOffset, timestamp_ms);
    uint32_t crc = mb::crc32c(std::string_view(batch + kAttributesOffset, size - kAttributesOffset));
    mb::store_big_endian(batch + kCrcOffset, crc);
}

// ListOffsets by timestamp: the time index finds the batch, this finds the record in it. Answering
// the batch's first offset instead would also be correct for a consumer (it just reads a few
// records too many), which is why unreadable records fall back to it.
int64_t first_offset_at_or_after(std::string_view batch, int64_t target_timestamp, int64_t* found_timestamp) {
    RecordBatchHeader h = decode_batch_header(batch.data());
    if (h.max_timestamp < target_timestamp) return -1;
    int64_t ignored = 0;
    int64_t& found = found_timestamp ? *found_timestamp : ignored;
    // The batch's first record carries baseTimestamp (v2: "firstTimestamp"); with LogAppendTime
    // every record carries the broker's stamp, maxTimestamp.
    found = (h.attributes & kLogAppendTimeFlag) ? h.max_timestamp : h.base_timestamp;
    // With LogAppendTime every record carries the batch's timestamp; a compressed batch cannot
    // be read without decompressing, so the batch's first offset is the answer for both.
    if ((h.attributes & kLogAppendTimeFlag) || h.compression() != 0) return h.base_offset;
    // Record: length varint | attributes INT8 | timestampDelta varlong | offsetDelta varint | ...
    KafkaReader records(batch.substr(kBatchHeaderSize, h.total_size() - kBatchHeaderSize));
    for (int32_t i = 0; i < h.record_count && records.ok(); ++i) {
        int32_t length = records.varint();
        size_t start = records.position();
        records.i8();
        // Wraps on overflow, as Kafka's Java arithmetic does: the bytes come from a producer.
        int64_t timestamp =
            static_cast<int64_t>(static_cast<uint64_t>(h.base_timestamp) + static_cast<uint64_t>(records.varlong()));
        int32_t offset_delta = records.varint();
        if (!records.ok()) break;
        if (timestamp >= target_timestamp) {
            found = timestamp;
            return h.base_offset + offset_delta;
        }
        if (length < 0 || records.position() - start > static_cast<size_t>(length)) break;
        records.skip(static_cast<size_t>(length) - (records.position() - start));
    }
    return h.base_offset;  // unreadable records: fall back to the whole batch
}

}  // namespace minikafka
