// ByteBuffer: partial frames wait, many frames come out of one read, memory is reused and released.
#include "byte_buffer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using mb::ByteBuffer;

namespace {
void receive(ByteBuffer& buffer, std::string_view bytes) {
    auto space = buffer.prepare(bytes.size());
    ASSERT_GE(space.size(), bytes.size());
    std::memcpy(space.data(), bytes.data(), bytes.size());
    buffer.commit(bytes.size());
}
}  // namespace

TEST(ByteBuffer, PartialDataWaitsForTheRest) {
    ByteBuffer buffer;
    receive(buffer, "PI");
    EXPECT_EQ(buffer.readable(), "PI");
    receive(buffer, "NG\r\n");
    EXPECT_EQ(buffer.readable(), "PING\r\n");
    buffer.consume(6);
    EXPECT_TRUE(buffer.empty());
}

TEST(ByteBuffer, ConsumeLeavesTheUnparsedTailInOrder) {
    ByteBuffer buffer;
    receive(buffer, "one two three");
    buffer.consume(4);
    EXPECT_EQ(buffer.readable(), "two three");
    receive(buffer, " four");
    EXPECT_EQ(buffer.readable(), "two three four");
}

TEST(ByteBuffer, SlidesInsteadOfGrowingWhenTheFrontIsFree) {
    ByteBuffer buffer(64);
    size_t capacity = buffer.capacity();
    std::string chunk(capacity - 8, 'x');
    receive(buffer, chunk);
    buffer.consume(chunk.size() - 4);  // 4 unparsed bytes remain near the end
    receive(buffer, std::string(capacity - 8, 'y'));
    EXPECT_EQ(buffer.capacity(), capacity);
    EXPECT_EQ(buffer.readable().substr(0, 5), "xxxxy");
}

TEST(ByteBuffer, GrowsForALargeFrameAndReleasesItWhenDrained) {
    ByteBuffer buffer;
    std::string big(3 << 20, 'b');
    receive(buffer, big);
    EXPECT_EQ(buffer.readable(), big);
    EXPECT_GE(buffer.capacity(), big.size());
    buffer.consume(big.size());
    EXPECT_EQ(buffer.capacity(), 0u);  // memory given back: one big request does not pin it
}

TEST(ByteBuffer, AppendAndTruncateForReplies) {
    ByteBuffer out;
    out.append("+OK\r\n");
    out.push_back(':');
    out.append("1\r\n");
    EXPECT_EQ(out.readable(), "+OK\r\n:1\r\n");
    out.truncate(5);
    EXPECT_EQ(out.readable(), "+OK\r\n");
    out.clear();
    EXPECT_TRUE(out.empty());
}
