// The deadline index alone (model/deadline_index.hpp): what the broker's tick visits. Keys are
// plain ints here; the vhost uses Queue*.
#include "model/deadline_index.hpp"

#include <gtest/gtest.h>

using namespace minirabbit;

TEST(DeadlineIndex, PopsWhatIsDueEarliestFirstAndOnlyThat) {
    DeadlineIndex<int> index;
    index.arm(1, 300);
    index.arm(2, 100);
    index.arm(3, 200);
    std::vector<int> due;
    index.pop_due(99, due);
    EXPECT_TRUE(due.empty());
    index.pop_due(250, due);
    EXPECT_EQ(due, (std::vector<int>{2, 3}));
    EXPECT_FALSE(index.armed(2));  // popped: disarmed until its owner re-arms it
    EXPECT_TRUE(index.armed(1));
    due.clear();
    index.pop_due(1000, due);
    EXPECT_EQ(due, (std::vector<int>{1}));
    EXPECT_EQ(index.armed_count(), 0u);
}

TEST(DeadlineIndex, OneDeadlinePerKeyTheEarliestWins) {
    DeadlineIndex<int> index;
    index.arm(7, 500);
    index.arm(7, 900);  // later: ignored, the 500 entry fires first and the owner re-arms then
    EXPECT_EQ(index.heap_size(), 1u);
    index.arm(7, 100);  // earlier: replaces it (the 500 entry goes stale)
    std::vector<int> due;
    index.pop_due(100, due);
    EXPECT_EQ(due, (std::vector<int>{7}));
    due.clear();
    index.pop_due(10'000, due);  // the stale 500 entry surfaces and is dropped, not popped again
    EXPECT_TRUE(due.empty());
    EXPECT_EQ(index.heap_size(), 0u);
}

TEST(DeadlineIndex, ARemovedKeyIsNeverPopped) {
    DeadlineIndex<int> index;
    index.arm(1, 10);
    index.arm(2, 10);
    index.remove(1);
    std::vector<int> due;
    index.pop_due(10, due);
    EXPECT_EQ(due, (std::vector<int>{2}));
}

// The point of the index: 100,000 keys armed far in the future cost a pop_due nothing - it looks
// at the top of the heap and stops. Counted by the entries left, not by a clock.
TEST(DeadlineIndex, KeysNotDueAreNotVisited) {
    DeadlineIndex<int> index;
    for (int k = 0; k < 100'000; ++k) index.arm(k, 1'000'000 + k);
    index.arm(-1, 5);
    std::vector<int> due;
    index.pop_due(50, due);
    EXPECT_EQ(due, (std::vector<int>{-1}));
    EXPECT_EQ(index.heap_size(), 100'000u);
    EXPECT_EQ(index.armed_count(), 100'000u);
}
