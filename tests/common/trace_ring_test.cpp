// The trace ring (common/trace_ring.hpp): the last kKeptLines lines, read by sequence number; a
// reader that fell behind is told how many it missed; lines are cut to kMaxLineBytes. The ring is
// one per process, so the cases run in order on the one ring (a sequence of reads, as a page's).
#include "trace_ring.hpp"

#include <gtest/gtest.h>

#include <string>

#include "log.hpp"

using namespace mb;

TEST(TraceRing, KeepsTheLastLinesAndCountsTheSkippedOnes) {
    log::set_level(log::Level::error);  // emit() also logs; keep the test's output short
    EXPECT_EQ(trace::since(0, 200).lines.size(), 0u);
    EXPECT_EQ(trace::since(0, 200).next, 0u);

    for (int i = 1; i <= 3; ++i) trace::emit("line " + std::to_string(i));
    trace::Recent first = trace::since(0, 2);  // at most `max` per read
    EXPECT_EQ(first.lines, (std::vector<std::string>{"line 1", "line 2"}));
    EXPECT_EQ(first.next, 2u);
    EXPECT_EQ(first.skipped, 0u);
    trace::Recent rest = trace::since(first.next, 200);
    EXPECT_EQ(rest.lines, (std::vector<std::string>{"line 3"}));
    EXPECT_EQ(rest.next, 3u);
    EXPECT_EQ(trace::since(rest.next, 200).lines.size(), 0u);  // nothing new: nothing returned

    // 600 more: the ring keeps the last 512 of the 603, so a reader at 3 missed 603 - 512 - 3.
    for (int i = 4; i <= 603; ++i) trace::emit("line " + std::to_string(i));
    trace::Recent behind = trace::since(3, 200);
    EXPECT_EQ(behind.skipped, 603 - trace::kKeptLines - 3);
    EXPECT_EQ(behind.lines.front(), "line " + std::to_string(603 - trace::kKeptLines + 1));
    EXPECT_EQ(behind.lines.size(), 200u);
    EXPECT_EQ(behind.next, 603 - trace::kKeptLines + 200);

    // A reader from the future (the server restarted) starts at the end.
    EXPECT_EQ(trace::since(1'000'000, 200).next, 603u);
}

TEST(TraceRing, CutsLongLines) {
    trace::Recent before = trace::since(1'000'000, 1);
    trace::emit(std::string(10'000, 'x'));
    trace::Recent after = trace::since(before.next, 10);
    ASSERT_EQ(after.lines.size(), 1u);
    EXPECT_EQ(after.lines[0].size(), trace::kMaxLineBytes);
}
