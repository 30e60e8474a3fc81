// minikafka/model/record_batch.hpp
//
// CONCEPT: the record batch (message format v2, "magic 2") - the unit producers send, the
// broker stores and consumers fetch. The broker reads only its 61-byte header and keeps the
// records opaque, so compressed batches (gzip, snappy, lz4, zstd) pass through untouched.
//
//   offset  size  field
//    0       8    baseOffset            set by the broker on append (producers send 0)
//    8       4    batchLength           bytes after this field
//   12       4    partitionLeaderEpoch
//   16       1    magic                 2
//   17       4    crc                   CRC32C of everything from attributes to the end
//   21       2    attributes            bits 0-2 compression, 3 timestamp type (1 = LogAppendTime),
//                                       4 transactional, 5 control batch
//   23       4    lastOffsetDelta       the batch holds offsets baseOffset .. baseOffset+delta
//   27       8    baseTimestamp
//   35       8    maxTimestamp
//   43       8    producerId            -1 unless the producer is idempotent
//   51       2    producerEpoch
//   53       4    baseSequence
//   57       4    recordCount
//   61       ...  records               varint-encoded, possibly compressed as one block
//
// The CRC starts after the first three fields on purpose: the broker rewrites baseOffset (and
// the leader epoch) on every append without recomputing a checksum over the payload.
// REAL KAFKA: also decompresses to validate each record, and converts old message formats.
// READ NEXT: record_batch.cpp (validation), storage/segment.hpp (where batches are stored),
//            docs/minikafka/02-formats.md "A record batch in the .log file".
#pragma once

#include <cstdint>
#include <string_view>

namespace minikafka {

constexpr size_t kBatchHeaderSize = 61;
constexpr int64_t kMinRecordSize = 7;  // an uncompressed record: seven one-byte fields at least
constexpr size_t kLogOverhead = 12;    // baseOffset + batchLength: what precedes the length
constexpr int8_t kMagicV2 = 2;

struct RecordBatchHeader {
    int64_t base_offset = 0;
    int32_t batch_length = 0;
    int32_t partition_leader_epoch = 0;
    int8_t magic = 0;
    uint32_t crc = 0;
    int16_t attributes = 0;
    int32_t last_offset_delta = 0;
    int64_t base_timestamp = 0;
    int64_t max_timestamp = 0;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    int32_t base_sequence = -1;
    int32_t record_count = 0;

    size_t total_size() const { return kLogOverhead + static_cast<size_t>(batch_length); }
    int64_t last_offset() const { return base_offset + last_offset_delta; }
    int compression() const { return attributes & 0x7; }
    bool is_transactional() const { return attributes & 0x10; }
    bool is_control() const { return attributes & 0x20; }
};

// Decodes the 61-byte header at `p` (the caller checked there are 61 bytes).
RecordBatchHeader decode_batch_header(const char* p);

enum class BatchCheck {
    ok,
    truncated,   // fewer bytes than the header or batchLength says
    bad_length,  // batchLength smaller than a header
    bad_magic,   // not format v2
    bad_crc,     // the payload is not what the producer checksummed
    bad_count,   // recordCount / lastOffsetDelta disagree, or more records than the bytes can hold
    bad_codec,   // compression id other than none, gzip, snappy, lz4, zstd
};
std::string_view to_string(BatchCheck check);

// Whether a batch may hold fewer records than its offset range. A producer numbers its records
// 0..count-1, so recordCount == lastOffsetDelta + 1; a batch the log cleaner rewrote keeps its
// offset range (and so its producer's last sequence number) but only the surviving records
// (storage/log_cleaner.hpp), as Kafka's cleaner does.
enum class OffsetGaps { refused, allowed };

// Validates the batch at the start of `bytes` (length, magic, CRC32C, counts) and decodes its
// header into `header`. Bytes after the batch are not looked at.
BatchCheck validate_batch(std::string_view bytes, RecordBatchHeader& header, OffsetGaps gaps = OffsetGaps::refused);

// Rewrites the fields the broker owns. Neither is covered by the CRC.
void set_base_offset(char* batch, int64_t base_offset);
void set_partition_leader_epoch(char* batch, int32_t epoch);

// For topics with message.timestamp.type=LogAppendTime: the broker stamps the batch with its
// own clock (attribute bit 3 and maxTimestamp), which are under the CRC, so that is recomputed.
void set_log_append_time(char* batch, size_t size, int64_t timestamp_ms);

// The offset of the first record whose timestamp is >= `target` in an uncompressed batch (the
// records are readable); for a compressed batch, its base offset. -1 if no record qualifies.
// `found_timestamp`, if given, gets that record's own timestamp (ListOffsets answers it).
int64_t first_offset_at_or_after(std::string_view batch, int64_t target_timestamp, int64_t* found_timestamp = nullptr);

}  // namespace minikafka
