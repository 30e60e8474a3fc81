// minirabbit/protocol/field_table.hpp
//
// CONCEPT: field tables - AMQP's typed key/value maps. They carry queue arguments
// (x-message-ttl, x-dead-letter-exchange), message headers (routed on by headers exchanges, x-death),
// client and server properties (capabilities) and AMQPLAIN credentials.
//
//   table  = u32 byte-length, then entries:  shortstr name | u8 type tag | value
//   array  = u32 byte-length, then values:   u8 type tag | value
//
// The type tags are RabbitMQ's (its "errata" to the 0-9-1 spec, which all RabbitMQ clients follow):
//   t bool   b int8    B uint8   s int16   u uint16  I int32   i uint32  l int64
//   f float  d double  D decimal (u8 scale, u32 digits)      S long string (u32 length)
//   x byte array (u32 length)    A array   T timestamp (u64 seconds)     F nested table   V void
// Every length is checked against the bytes that are there and nesting is bounded, so a hostile
// table can neither read past its frame nor recurse the stack away.
//
// READ NEXT: field_table.cpp, model/queue_arguments.cpp (x-arguments read from a table),
//            docs/minirabbit/02-formats.md (field tables).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "big_endian.hpp"
#include "byte_buffer.hpp"

namespace minirabbit::amqp {

struct FieldValue;
struct FieldEntry;
using FieldArray = std::vector<FieldValue>;

struct FieldTable {
    std::vector<FieldEntry> entries;  // wire order kept: a table is re-encoded as it came

    // Declared here, defined in field_table.cpp where FieldEntry is complete: std::variant in
    // FieldValue (below) asks whether a FieldTable can be destroyed, copied and moved before
    // FieldEntry exists, and clang's standard library checks answer by instantiating the bodies.
    FieldTable();
    FieldTable(const FieldTable&);
    FieldTable(FieldTable&&) noexcept;
    FieldTable& operator=(const FieldTable&);
    FieldTable& operator=(FieldTable&&) noexcept;
    ~FieldTable();

    const FieldValue* find(std::string_view name) const;
    void set(std::string name, FieldValue value);  // replaces an entry of that name, else appends
    bool empty() const { return entries.empty(); }
    bool operator==(const FieldTable&) const;
};

// The value types without a natural C++ counterpart, each a small struct so the variant below can
// tell them apart: a decimal is (scale, digits) - 1.25 is {2, 125} - so money survives without
// floating-point rounding; a timestamp is seconds since the epoch; a byte array is opaque bytes
// (RabbitMQ's 'x'), distinct from a long string only in what a client should do with it; void is
// "present, with no value" (a headers binding uses it to say "this header must exist").
struct Decimal {
    uint8_t scale = 0;
    uint32_t value = 0;
    bool operator==(const Decimal&) const = default;
};
struct Timestamp {
    uint64_t seconds = 0;
    bool operator==(const Timestamp&) const = default;
};
struct ByteArray {
    std::string bytes;
    bool operator==(const ByteArray&) const = default;
};
struct Void {
    bool operator==(const Void&) const = default;
};

// One value: a variant over every wire type, in type-tag order (type_tag() indexes a table with it).
// Owning strings rather than views: a table outlives its frame - queue arguments live as long as
// the queue, headers as long as the message.
struct FieldValue {
    std::variant<Void, bool, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, float, double, Decimal,
                 std::string, ByteArray, Timestamp, FieldArray, FieldTable>
        value;

    FieldValue() = default;
    template <typename T>
    requires(!std::is_same_v<std::decay_t<T>, FieldValue>) FieldValue(T v) : value(std::move(v)) {}
    FieldValue(const char* text) : value(std::string(text)) {}
    FieldValue(std::string_view text) : value(std::string(text)) {}

    char type_tag() const;  // 't', 'I', 'S', ... as on the wire
    // Any integer type as int64 (queue arguments arrive as whatever width the client picked).
    std::optional<int64_t> integer() const;
    // Long strings and byte arrays; nullptr for other types.
    const std::string* string() const;
    const FieldTable* table() const { return std::get_if<FieldTable>(&value); }
    const FieldArray* array() const { return std::get_if<FieldArray>(&value); }
    bool operator==(const FieldValue&) const;
};

struct FieldEntry {
    std::string name;
    FieldValue value;
    bool operator==(const FieldEntry&) const = default;
};

// Deep enough for any real message (x-death nests three levels), shallow enough that decoding
// recursion cannot exhaust the stack on hostile input.
inline constexpr int kMaxFieldNesting = 32;

// Reads a table (with its u32 length prefix). On bad input the reader turns !ok().
FieldTable decode_field_table(mb::ByteReader& in);
// Reads table entries up to the end of `bytes` - AMQPLAIN's response is a table without its prefix.
std::optional<FieldTable> decode_field_table_entries(std::string_view bytes);

void encode_field_table(mb::ByteWriter& out, const FieldTable& table);
void encode_field_value(mb::ByteWriter& out, const FieldValue& value);
// The encoded size, for callers that need it before writing.
size_t encoded_size(const FieldTable& table);

}  // namespace minirabbit::amqp
