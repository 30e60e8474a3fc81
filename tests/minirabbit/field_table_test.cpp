// Field tables (minirabbit/protocol/field_table.*): every type RabbitMQ's clients send survives a
// round trip; truncated, hostile and random input fails cleanly.
#include "protocol/field_table.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace minirabbit::amqp;

namespace {

std::string encode(const FieldTable& table) {
    mb::ByteBuffer out;
    mb::ByteWriter writer(out);
    encode_field_table(writer, table);
    return std::string(out.readable());
}

FieldTable every_type() {
    FieldTable nested;
    nested.set("inner", FieldValue{int32_t{-7}});
    FieldTable t;
    t.set("bool", FieldValue{true});
    t.set("i8", FieldValue{int8_t{-3}});
    t.set("u8", FieldValue{uint8_t{250}});
    t.set("i16", FieldValue{int16_t{-300}});
    t.set("u16", FieldValue{uint16_t{60000}});
    t.set("i32", FieldValue{int32_t{-100000}});
    t.set("u32", FieldValue{uint32_t{4000000000u}});
    t.set("i64", FieldValue{int64_t{-5000000000}});
    t.set("float", FieldValue{1.5f});
    t.set("double", FieldValue{2.25});
    t.set("decimal", FieldValue{Decimal{2, 12345}});
    t.set("string", FieldValue{"héllo"});
    t.set("bytes", FieldValue{ByteArray{std::string("\0\1\2", 3)}});
    t.set("timestamp", FieldValue{Timestamp{1700000000}});
    t.set("void", FieldValue{Void{}});
    t.set("array", FieldValue{FieldArray{FieldValue{"a"}, FieldValue{int64_t{2}}, FieldValue{nested}}});
    t.set("table", FieldValue{nested});
    return t;
}

}  // namespace

TEST(FieldTable, EveryTypeRoundTrips) {
    FieldTable original = every_type();
    std::string bytes = encode(original);
    mb::ByteReader in(bytes);
    FieldTable decoded = decode_field_table(in);
    ASSERT_TRUE(in.ok());
    EXPECT_TRUE(in.at_end());
    EXPECT_EQ(decoded, original);
    EXPECT_EQ(decoded.find("u16")->type_tag(), 'u');
    EXPECT_EQ(decoded.find("i64")->integer(), -5000000000);
    EXPECT_EQ(*decoded.find("bytes")->string(), std::string("\0\1\2", 3));
}

TEST(FieldTable, WireTagsAreRabbitMQs) {
    FieldTable t;
    t.set("x", FieldValue{int16_t{1}});
    std::string bytes = encode(t);
    // u32 length, shortstr "x", then tag 's' (RabbitMQ's signed 16-bit), then 0x0001
    EXPECT_EQ(bytes, std::string("\0\0\0\5\1xs\0\1", 9));
}

TEST(FieldTable, EveryTruncationFails) {
    std::string bytes = encode(every_type());
    for (size_t n = 0; n < bytes.size(); ++n) {
        mb::ByteReader in(std::string_view(bytes).substr(0, n));
        decode_field_table(in);
        EXPECT_FALSE(in.ok()) << "prefix of " << n << " bytes";
    }
}

TEST(FieldTable, AnInnerLengthCannotEscapeItsTable) {
    // A table of 6 bytes whose one entry claims a 1000-byte long string.
    std::string bytes("\0\0\0\x0A\1kS\0\0\x03\xE8zz", 14);
    mb::ByteReader in(bytes);
    decode_field_table(in);
    EXPECT_FALSE(in.ok());
}

TEST(FieldTable, DeepNestingIsRefusedNotRecursedInto) {
    // 10,000 nested arrays would overflow the stack of a naive recursive decoder.
    std::string inner;
    for (int i = 0; i < 10000; ++i) {
        std::string wrapped = "A";
        uint32_t size = static_cast<uint32_t>(inner.size());
        for (int shift = 24; shift >= 0; shift -= 8) wrapped.push_back(static_cast<char>(size >> shift));
        inner = wrapped + inner;
    }
    std::string table = std::string("\1k") + inner;
    std::string bytes;
    uint32_t size = static_cast<uint32_t>(table.size());
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(size >> shift));
    bytes += table;
    mb::ByteReader in(bytes);
    decode_field_table(in);
    EXPECT_FALSE(in.ok());
}

TEST(FieldTable, UnknownTypeTagFails) {
    std::string bytes("\0\0\0\3\1kQ", 7);
    mb::ByteReader in(bytes);
    decode_field_table(in);
    EXPECT_FALSE(in.ok());
}

TEST(FieldTable, AmqplainEntriesWithoutLengthPrefix) {
    FieldTable creds;
    creds.set("LOGIN", FieldValue{"guest"});
    creds.set("PASSWORD", FieldValue{"secret"});
    std::string bytes = encode(creds).substr(4);
    auto decoded = decode_field_table_entries(bytes);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded->find("PASSWORD")->string(), "secret");
    EXPECT_FALSE(decode_field_table_entries(bytes.substr(0, bytes.size() - 1)));
}

TEST(FieldTable, RandomBytesNeverCrash) {
    std::mt19937 random(7);
    std::string valid = encode(every_type());
    for (int round = 0; round < 20000; ++round) {
        std::string bytes = valid;
        // Corrupt a few bytes of a valid table, so the decoder gets deep before it meets garbage.
        for (int i = 0; i < 3; ++i) bytes[random() % bytes.size()] = static_cast<char>(random());
        mb::ByteReader in(bytes);
        FieldTable t = decode_field_table(in);
        if (in.ok()) {
            EXPECT_LE(in.position(), bytes.size());
        }
    }
}
