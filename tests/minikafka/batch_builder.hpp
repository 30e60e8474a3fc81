// Test helper: builds record batches (message format v2) the way a producer does, so that
// storage and handler tests can append real, CRC-valid batches without a client library.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "byte_buffer.hpp"
#include "crc32c.hpp"
#include "model/record_batch.hpp"
#include "protocol/primitives.hpp"

namespace minikafka::test {

struct TestRecord {
    std::string key;
    std::string value;
    int64_t timestamp_delta = 0;
    bool tombstone = false;  // a null value (no `value` bytes): "delete this key" on a compacted topic
};

inline std::string make_batch(const std::vector<TestRecord>& records, int64_t base_timestamp = 1000,
                              int16_t attributes = 0) {
    mb::ByteBuffer body;
    KafkaWriter w(body);
    int64_t max_timestamp = base_timestamp;
    for (size_t i = 0; i < records.size(); ++i) {
        const TestRecord& r = records[i];
        mb::ByteBuffer rec;
        KafkaWriter rw(rec);
        rw.i8(0);  // attributes
        rw.varint(r.timestamp_delta);
        rw.varint(static_cast<int64_t>(i));  // offset delta
        rw.varint(static_cast<int64_t>(r.key.size()));
        rw.bytes(r.key);
        if (r.tombstone) {
            rw.varint(-1);
        } else {
            rw.varint(static_cast<int64_t>(r.value.size()));
            rw.bytes(r.value);
        }
        rw.varint(0);  // headers
        w.varint(static_cast<int64_t>(rec.size()));
        w.bytes(rec.readable());
        // A record's timestamp wraps past the int64 range, as in Kafka (Java arithmetic).
        int64_t timestamp =
            static_cast<int64_t>(static_cast<uint64_t>(base_timestamp) + static_cast<uint64_t>(r.timestamp_delta));
        max_timestamp = std::max(max_timestamp, timestamp);
    }
    mb::ByteBuffer batch;
    KafkaWriter b(batch);
    b.i64(0);                                       // base offset
    b.i32(static_cast<int32_t>(49 + body.size()));  // batch length
    b.i32(-1);                                      // partition leader epoch
    b.i8(2);                                        // magic
    b.u32(0);                                       // crc, patched below
    b.i16(attributes);
    b.i32(static_cast<int32_t>(records.size()) - 1);  // last offset delta
    b.i64(base_timestamp);
    b.i64(max_timestamp);
    b.i64(-1);  // producer id
    b.i16(-1);  // producer epoch
    b.i32(-1);  // base sequence
    b.i32(static_cast<int32_t>(records.size()));
    b.bytes(body.readable());
    std::string out(batch.readable());
    uint32_t crc = mb::crc32c(std::string_view(out).substr(21));
    mb::store_big_endian(out.data() + 17, crc);
    return out;
}

inline std::string make_batch_of(size_t count, std::string_view value = "v", int64_t base_timestamp = 1000) {
    std::vector<TestRecord> records;
    for (size_t i = 0; i < count; ++i) records.push_back({"", std::string(value), static_cast<int64_t>(i)});
    return make_batch(records, base_timestamp);
}

}  // namespace minikafka::test
