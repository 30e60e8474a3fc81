// ByteReader/ByteWriter: network byte order, and a short frame turns the reader "not ok".
#include "big_endian.hpp"

#include <gtest/gtest.h>

using mb::ByteBuffer;
using mb::ByteReader;
using mb::ByteWriter;

TEST(BigEndian, WriterPutsTheMostSignificantByteFirst) {
    ByteBuffer out;
    ByteWriter w(out);
    w.u16(0x0102);
    w.u32(0x03040506);
    w.i64(-2);
    EXPECT_EQ(out.readable(), std::string_view("\x01\x02\x03\x04\x05\x06\xff\xff\xff\xff\xff\xff\xff\xfe", 14));
}

TEST(BigEndian, RoundTripsEveryWidth) {
    ByteBuffer out;
    ByteWriter w(out);
    w.u8(250);
    w.i8(-5);
    w.i16(-300);
    w.i32(-70000);
    w.u64(0x0123456789abcdefULL);
    w.f64(2.5);
    w.bytes("tail");
    ByteReader r(out.readable());
    EXPECT_EQ(r.u8(), 250);
    EXPECT_EQ(r.i8(), -5);
    EXPECT_EQ(r.i16(), -300);
    EXPECT_EQ(r.i32(), -70000);
    EXPECT_EQ(r.u64(), 0x0123456789abcdefULL);
    EXPECT_EQ(r.f64(), 2.5);
    EXPECT_EQ(r.bytes(4), "tail");
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.at_end());
}

TEST(BigEndian, ReadingPastTheEndFailsWithoutReadingOutOfBounds) {
    ByteReader r(std::string_view("\x00\x05", 2));
    EXPECT_EQ(r.u16(), 5);
    EXPECT_EQ(r.u32(), 0u);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.u8(), 0);  // sticky: later reads stay failed
    EXPECT_FALSE(r.ok());
}

TEST(BigEndian, ALengthLongerThanTheFrameFails) {
    ByteReader r(std::string_view("abc"));
    EXPECT_EQ(r.bytes(2), "ab");
    EXPECT_EQ(r.bytes(2), "");
    EXPECT_FALSE(r.ok());
    ByteReader huge(std::string_view("abc"));
    EXPECT_EQ(huge.bytes(SIZE_MAX), "");
    EXPECT_FALSE(huge.ok());
}

TEST(BigEndian, PatchFillsInASizePrefixAfterTheBody) {
    ByteBuffer out;
    ByteWriter w(out);
    size_t at = w.position();
    w.u32(0);
    w.bytes("hello");
    w.patch_u32(at, static_cast<uint32_t>(out.size() - 4));
    ByteReader r(out.readable());
    EXPECT_EQ(r.u32(), 5u);
}
