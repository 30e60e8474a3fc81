// minirabbit/protocol/field_table.cpp
//
// Field table decoding and encoding (see field_table.hpp for the type tags).
//
// CONCEPT: a self-describing map inside a binary protocol. Every value carries a one-byte type tag,
// so a broker can pass along headers it does not understand (a message's application headers go
// out on basic.deliver exactly as they came) while still reading the few it does: x-message-ttl on
// a queue, x-match on a headers binding, x-death when a message is dead-lettered.
//
//   "\x00\x00\x00\x11" "\x0dx-message-ttl" 'I' "\x00\x00\xea\x60"   ──▶ {x-message-ttl: int32 60000}
//
// Why the nesting bound? A table may hold a table that holds a table...; decoding is recursive, so
// without a limit a few kilobytes of nested 'F' tags from a hostile client would exhaust the stack.
// An unknown type tag fails the reader (and so the method: 502 SYNTAX_ERROR): the bytes after it
// cannot be interpreted, because only the tag says how long the value is.
// READ NEXT: content_header.cpp (the headers property), model/headers_exchange.cpp (routing on it).
#include "field_table.hpp"

#include <algorithm>

namespace minirabbit::amqp {
namespace {

FieldValue decode_value(mb::ByteReader& in, int depth);

std::string read_long_string(mb::ByteReader& in) {
    uint32_t length = in.u32();
    return std::string(in.bytes(length));  // bytes() fails the reader if length runs past the end
}

// The entries of one table: name (shortstr), tag, value, until the table's bytes run out. The
// depth check sits here, at the one place every level of nesting passes through.
FieldTable decode_entries(mb::ByteReader& in, int depth) {
    FieldTable table;
    if (depth > kMaxFieldNesting) {
        in.fail();
        return table;
    }
    while (in.ok() && !in.at_end()) {
        uint8_t name_length = in.u8();
        std::string name(in.bytes(name_length));
        FieldValue value = decode_value(in, depth);
        if (!in.ok()) break;
        table.entries.push_back(FieldEntry{std::move(name), std::move(value)});
    }
    return table;
}

// A nested table: its u32 length carves out a sub-reader over exactly its bytes, so a lying inner
// length fails the inner reader instead of reading into the outer table's next entry; a failure
// inside is passed out (in.fail()), failing the whole method.
FieldTable decode_table(mb::ByteReader& in, int depth) {
    uint32_t length = in.u32();
    mb::ByteReader body(in.bytes(length));
    if (!in.ok()) return {};
    FieldTable table = decode_entries(body, depth + 1);
    if (!body.ok()) in.fail();
    return table;
}

// An array ('A'): values without names, each with its own type tag - RabbitMQ uses them for x-death
// (an array of tables) and clients for lists of capabilities or routing keys (CC/BCC headers).
FieldArray decode_array(mb::ByteReader& in, int depth) {
    FieldArray array;
    uint32_t length = in.u32();
    mb::ByteReader body(in.bytes(length));
    if (!in.ok()) return array;
    if (depth + 1 > kMaxFieldNesting) {
        in.fail();
        return array;
    }
    while (body.ok() && !body.at_end()) {
        FieldValue value = decode_value(body, depth + 1);
        if (body.ok()) array.push_back(std::move(value));
    }
    if (!body.ok()) in.fail();
    return array;
}

// One value: its tag says how to read it. Lengths are read with the sticky ByteReader, so a bad
// length fails the whole decode instead of reading out of bounds; tables and arrays get their own
// sub-reader over exactly their bytes, so an inner length can never run past its container.
FieldValue decode_value(mb::ByteReader& in, int depth) {
    switch (in.u8()) {
        case 't':
            return FieldValue{in.u8() != 0};
        case 'b':
            return FieldValue{in.i8()};
        case 'B':
            return FieldValue{in.u8()};
        case 's':
            return FieldValue{in.i16()};
        case 'u':
            return FieldValue{in.u16()};
        case 'I':
            return FieldValue{in.i32()};
        case 'i':
            return FieldValue{in.u32()};
        case 'l':
            return FieldValue{in.i64()};
        case 'f':
            return FieldValue{in.f32()};
        case 'd':
            return FieldValue{in.f64()};
        case 'D': {
            Decimal d;
            d.scale = in.u8();
            d.value = in.u32();
            return FieldValue{d};
        }
        case 'S':
            return FieldValue{read_long_string(in)};
        case 'x':
            return FieldValue{ByteArray{read_long_string(in)}};
        case 'A':
            return FieldValue{decode_array(in, depth)};
        case 'T':
            return FieldValue{Timestamp{in.u64()}};
        case 'F':
            return FieldValue{decode_table(in, depth)};
        case 'V':
            return FieldValue{Void{}};
        default:
            in.fail();
            return {};  // an unknown tag: we cannot know its length, so stop
    }
}

void write_long_string(mb::ByteWriter& out, std::string_view s) {
    out.u32(static_cast<uint32_t>(s.size()));
    out.bytes(s);
}

}  // namespace

// A table is a vector of entries, not a map: tables are small (a handful of x-arguments or
// headers), a linear scan over them is faster than hashing, and the wire order is kept - so a
// table decoded and encoded again comes out byte for byte as it came in, which is what a broker
// that forwards headers owes the consumer.
const FieldValue* FieldTable::find(std::string_view name) const {
    for (const auto& entry : entries)
        if (entry.name == name) return &entry.value;
    return nullptr;
}

// set() replaces in place, so re-setting a header (x-death's count on a second dead-lettering)
// keeps its position instead of moving it to the end.
void FieldTable::set(std::string name, FieldValue value) {
    for (auto& entry : entries) {
        if (entry.name == name) {
            entry.value = std::move(value);
            return;
        }
    }
    entries.push_back(FieldEntry{std::move(name), std::move(value)});
}

FieldTable::FieldTable() = default;
FieldTable::FieldTable(const FieldTable&) = default;
FieldTable::FieldTable(FieldTable&&) noexcept = default;
FieldTable& FieldTable::operator=(const FieldTable&) = default;
FieldTable& FieldTable::operator=(FieldTable&&) noexcept = default;
FieldTable::~FieldTable() = default;

bool FieldTable::operator==(const FieldTable& other) const { return entries == other.entries; }
bool FieldValue::operator==(const FieldValue& other) const { return value == other.value; }

// The tag for each alternative of the variant, in the variant's order: encoding writes it back, so
// a value keeps the width the client chose (an int8 stays an int8 on its way to the consumer).
char FieldValue::type_tag() const {
    static constexpr char kTags[] = {'V', 't', 'b', 'B', 's', 'u', 'I', 'i', 'l',
                                     'f', 'd', 'D', 'S', 'x', 'T', 'A', 'F'};
    return kTags[value.index()];
}

// Any integer width as int64: clients disagree on how to send "60000" (pika picks the smallest
// type that fits, Java's client an int32, Go's an int64), and the broker must read all of them
// the same way. bool is excluded on purpose - 't' is not a number.
std::optional<int64_t> FieldValue::integer() const {
    return std::visit(
        [](const auto& v) -> std::optional<int64_t> {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
                return static_cast<int64_t>(v);
            else
                return std::nullopt;
        },
        value);
}

const std::string* FieldValue::string() const {
    if (auto* s = std::get_if<std::string>(&value)) return s;
    if (auto* b = std::get_if<ByteArray>(&value)) return &b->bytes;
    return nullptr;
}

FieldTable decode_field_table(mb::ByteReader& in) { return decode_table(in, 0); }

// The entries of a table without its length prefix: AMQPLAIN's login response is sent that way
// (a RabbitMQ quirk), so the connection handshake needs this variant.
std::optional<FieldTable> decode_field_table_entries(std::string_view bytes) {
    mb::ByteReader in(bytes);
    FieldTable table = decode_entries(in, 1);
    if (!in.ok()) return std::nullopt;
    return table;
}

void encode_field_value(mb::ByteWriter& out, const FieldValue& field) {
    out.u8(static_cast<uint8_t>(field.type_tag()));
    std::visit(
        [&out](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Void>) {
            } else if constexpr (std::is_same_v<T, bool>) {
                out.u8(v ? 1 : 0);
            } else if constexpr (std::is_same_v<T, int8_t>) {
                out.i8(v);
            } else if constexpr (std::is_same_v<T, uint8_t>) {
                out.u8(v);
            } else if constexpr (std::is_same_v<T, int16_t>) {
                out.i16(v);
            } else if constexpr (std::is_same_v<T, uint16_t>) {
                out.u16(v);
            } else if constexpr (std::is_same_v<T, int32_t>) {
                out.i32(v);
            } else if constexpr (std::is_same_v<T, uint32_t>) {
                out.u32(v);
            } else if constexpr (std::is_same_v<T, int64_t>) {
                out.i64(v);
            } else if constexpr (std::is_same_v<T, float>) {
                out.u32(std::bit_cast<uint32_t>(v));
            } else if constexpr (std::is_same_v<T, double>) {
                out.f64(v);
            } else if constexpr (std::is_same_v<T, Decimal>) {
                out.u8(v.scale);
                out.u32(v.value);
            } else if constexpr (std::is_same_v<T, std::string>) {
                write_long_string(out, v);
            } else if constexpr (std::is_same_v<T, ByteArray>) {
                write_long_string(out, v.bytes);
            } else if constexpr (std::is_same_v<T, Timestamp>) {
                out.u64(v.seconds);
            } else if constexpr (std::is_same_v<T, FieldArray>) {
                size_t at = out.position();
                out.u32(0);
                for (const auto& item : v) encode_field_value(out, item);
                out.patch_u32(at, static_cast<uint32_t>(out.position() - at - 4));
            } else {
                encode_field_table(out, v);
            }
        },
        field.value);
}

// Writing mirrors reading: a length placeholder, the entries, then the length patched in - the
// same trick as begin_frame/end_frame (frame.cpp), so the table is encoded once.
void encode_field_table(mb::ByteWriter& out, const FieldTable& table) {
    size_t at = out.position();
    out.u32(0);
    for (const auto& entry : table.entries) {
        size_t name_length = std::min<size_t>(entry.name.size(), 255);  // a shortstr holds 255 bytes
        out.u8(static_cast<uint8_t>(name_length));
        out.bytes(std::string_view(entry.name).substr(0, name_length));
        encode_field_value(out, entry.value);
    }
    out.patch_u32(at, static_cast<uint32_t>(out.position() - at - 4));
}

// The size a table will take on the wire, by encoding it into scratch space. The fuzzer
// (tests/fuzz/fuzz_amqp.cpp) checks it against a real encoding; off the hot path, simplicity
// beats a second, size-only walk that could disagree with encode_field_table.
size_t encoded_size(const FieldTable& table) {
    mb::ByteBuffer scratch;
    mb::ByteWriter writer(scratch);
    encode_field_table(writer, table);
    return scratch.size();
}

}  // namespace minirabbit::amqp
