// minikafka/protocol/primitives.hpp
//
// CONCEPT: the Kafka protocol's primitive types (the "Protocol Primitive Types" of the guide).
//   INT8/16/32/64        big-endian integers
//   STRING               INT16 length + UTF-8 bytes (NULLABLE_STRING: length -1 = null)
//   BYTES                INT32 length + bytes       (NULLABLE_BYTES: length -1 = null)
//   ARRAY                INT32 count + elements     (-1 = null array)
//   VARINT / UNSIGNED_VARINT   zig-zag / plain LEB128, used inside record batches and by
//   COMPACT_* types      the "flexible" versions (KIP-482): lengths as UNSIGNED_VARINT(len + 1),
//                        so 0 means null, plus a TAGGED_FIELDS section at the end of each struct.
// The readers return views into the request frame (no copies) and never read past its end: a
// short or lying frame makes the reader "not ok" (see common/big_endian.hpp), and every count or
// length is checked against the bytes that remain, so a hostile length cannot make us allocate.
// READ NEXT: request_header.cpp, the first thing decoded from every frame.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "big_endian.hpp"

namespace minikafka {

// Why these shapes: Kafka's server was written in Java/Scala, so integers are big-endian (network
// order, what DataOutputStream writes) and lengths are signed, with -1 free to mean null. Varints
// came later and only where bytes add up: inside record batches (KIP-98, where millions of small
// records pay for every fixed-width length) and in the flexible versions (KIP-482). A VARINT is
// zig-zag encoded so that -1 - "no key", "null" - takes one byte like a small positive value.
class KafkaReader : public mb::ByteReader {
public:
    using mb::ByteReader::ByteReader;

    // BOOLEAN is one byte; Kafka reads any non-zero value as true, and so do we.
    bool boolean() { return u8() != 0; }

    // STRING / NULLABLE_STRING: the nullable form returns nullopt for length -1.
    std::string_view string() {
        int16_t length = i16();
        if (length < 0) {
            fail();
            return {};
        }
        return bytes(static_cast<size_t>(length));
    }
    std::optional<std::string_view> nullable_string() {
        int16_t length = i16();
        if (length == -1) return std::nullopt;
        if (length < 0) {
            fail();
            return std::nullopt;
        }
        return bytes(static_cast<size_t>(length));
    }
    // BYTES / NULLABLE_BYTES (INT32 length).
    std::optional<std::string_view> nullable_bytes() {
        int32_t length = i32();
        if (length == -1) return std::nullopt;
        if (length < 0) {
            fail();
            return std::nullopt;
        }
        return bytes(static_cast<size_t>(length));
    }
    std::string_view kafka_bytes() { return nullable_bytes().value_or(std::string_view{}); }

    // ARRAY count: -1 (null) comes back as nullopt. Every element takes at least one byte, so a
    // count larger than what remains is a lie: fail instead of looping (or reserving) that often.
    std::optional<int32_t> nullable_array_length() {
        int32_t count = i32();
        if (count == -1) return std::nullopt;
        if (count < 0 || static_cast<size_t>(count) > remaining()) {
            fail();
            return 0;
        }
        return count;
    }
    int32_t array_length() { return nullable_array_length().value_or(0); }

    // UNSIGNED_VARINT (LEB128, 7 bits per byte, at most 5 bytes for 32 bits) and zig-zag VARINT.
    uint32_t uvarint() { return static_cast<uint32_t>(read_varint(5)); }
    int32_t varint() {
        uint32_t raw = uvarint();
        return static_cast<int32_t>((raw >> 1) ^ (~(raw & 1) + 1));
    }
    int64_t varlong() {
        uint64_t raw = read_varint(10);
        return static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
    }

    // COMPACT_STRING / COMPACT_ARRAY (flexible versions): UNSIGNED_VARINT(length + 1), 0 = null.
    std::optional<std::string_view> compact_nullable_string() {
        uint32_t length_plus_one = uvarint();
        if (length_plus_one == 0) return std::nullopt;
        return bytes(length_plus_one - 1);
    }
    std::string_view compact_string() { return compact_nullable_string().value_or(std::string_view{}); }
    int32_t compact_array_length() {
        uint32_t count_plus_one = uvarint();
        if (count_plus_one == 0) return 0;
        if (count_plus_one - 1 > remaining()) {
            fail();
            return 0;
        }
        return static_cast<int32_t>(count_plus_one - 1);
    }

    // TAGGED_FIELDS: a count, then (tag, size, bytes) triples. They are how a flexible API grows
    // without a new version: a sender adds an optional field under a new tag, and a reader that
    // does not know the tag skips it by its size. Only codecs that read a known tag (quorum_fetch.cpp,
    // metadata_records.cpp) look inside; everywhere else we know no tags, so skip them all.
    void skip_tagged_fields() {
        uint32_t count = uvarint();
        if (count > remaining()) return fail();
        for (uint32_t i = 0; i < count && ok(); ++i) {
            uvarint();  // tag
            skip(uvarint());
        }
    }

private:
    uint64_t read_varint(int max_bytes) {
        uint64_t value = 0;
        for (int i = 0; i < max_bytes; ++i) {
            uint8_t byte = u8();
            if (!ok()) return 0;
            value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
            if ((byte & 0x80) == 0) return value;
        }
        fail();  // too many continuation bytes: not a varint of this width
        return 0;
    }
};

// The writer mirrors the reader. It has no failure state: what it writes comes from our own
// structs, and the one length that may not fit its field, a STRING's, is cut (below).
class KafkaWriter : public mb::ByteWriter {
public:
    using mb::ByteWriter::ByteWriter;

    void boolean(bool v) { u8(v ? 1 : 0); }
    void string(std::string_view s) {
        // A STRING holds at most 32767 bytes. Ours can be longer only when they quote what a
        // client sent (an error message naming a 32 KB topic name): cut, never a negative length.
        s = s.substr(0, INT16_MAX);
        i16(static_cast<int16_t>(s.size()));
        bytes(s);
    }
    void nullable_string(std::optional<std::string_view> s) {
        if (!s) return i16(-1);
        string(*s);
    }
    void kafka_bytes(std::string_view b) {
        i32(static_cast<int32_t>(b.size()));
        bytes(b);
    }
    void nullable_bytes(std::optional<std::string_view> b) {
        if (!b) return i32(-1);
        kafka_bytes(*b);
    }
    void array_length(size_t count) { i32(static_cast<int32_t>(count)); }

    void uvarint(uint64_t v) {
        while (v >= 0x80) {
            u8(static_cast<uint8_t>(v | 0x80));
            v >>= 7;
        }
        u8(static_cast<uint8_t>(v));
    }
    void varint(int64_t v) { uvarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
    void compact_string(std::string_view s) {
        uvarint(s.size() + 1);
        bytes(s);
    }
    void compact_nullable_string(std::optional<std::string_view> s) {
        if (!s) return uvarint(0);
        compact_string(*s);
    }
    void compact_array_length(size_t count) { uvarint(count + 1); }
    void empty_tagged_fields() { uvarint(0); }
};

// Responses nest partitions under their topic: [topic_name [partition ...]]. Handlers keep flat
// lists in request order, where a topic's partitions follow each other; this writes such a list
// in the nested shape, calling write_partition(index) for each entry.
template <typename Result, typename WritePartition>
void write_grouped_by_topic(KafkaWriter& out, std::span<const Result> results, WritePartition write_partition) {
    size_t topics = 0;
    for (size_t i = 0; i < results.size(); ++i)
        if (i == 0 || results[i].topic != results[i - 1].topic) ++topics;
    out.array_length(topics);
    for (size_t i = 0; i < results.size();) {
        size_t end = i;
        while (end < results.size() && results[end].topic == results[i].topic) ++end;
        out.string(results[i].topic);
        out.array_length(end - i);
        for (; i < end; ++i) write_partition(i);
    }
}

}  // namespace minikafka
