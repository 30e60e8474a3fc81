// The replication backlog ring (core/replication_backlog.hpp): which offsets it can still serve
// after it wrapped, and that the bytes it hands back are exactly the stream's.
#include <gtest/gtest.h>

#include <string>

#include "core/replication_backlog.hpp"

using miniredis::ReplBacklog;

namespace {

std::string from(const ReplBacklog& backlog, uint64_t offset) {
    mb::ByteBuffer out;
    backlog.copy_from(offset, out);
    return std::string(out.readable());
}

TEST(ReplBacklog, ServesEveryOffsetInsideTheWindowAfterWrapping) {
    ReplBacklog backlog;
    backlog.reset(10, 100);  // a 10-byte ring, the stream already at offset 100
    EXPECT_TRUE(backlog.contains(100));
    EXPECT_FALSE(backlog.contains(99));
    backlog.append("abcdef");
    backlog.append("ghijklm");  // 13 bytes into 10: "abc" fell out
    EXPECT_EQ(backlog.end_offset(), 113u);
    EXPECT_EQ(backlog.start_offset(), 103u);
    EXPECT_EQ(backlog.histlen(), 10u);
    EXPECT_FALSE(backlog.contains(102));
    EXPECT_TRUE(backlog.contains(103));
    EXPECT_TRUE(backlog.contains(113));  // nothing missed: +CONTINUE with no bytes
    EXPECT_FALSE(backlog.contains(114));
    EXPECT_EQ(from(backlog, 103), "defghijklm");
    EXPECT_EQ(from(backlog, 110), "klm");
    EXPECT_EQ(from(backlog, 113), "");
}

TEST(ReplBacklog, AWriteBiggerThanTheRingKeepsItsTail) {
    ReplBacklog backlog;
    backlog.reset(4, 0);
    backlog.append("xy");
    backlog.append("0123456789");
    EXPECT_EQ(backlog.end_offset(), 12u);
    EXPECT_EQ(backlog.start_offset(), 8u);
    EXPECT_EQ(from(backlog, 8), "6789");
}

TEST(ReplBacklog, InactiveUntilReset) {
    ReplBacklog backlog;
    EXPECT_FALSE(backlog.active());
    EXPECT_FALSE(backlog.contains(0));
}

}  // namespace
