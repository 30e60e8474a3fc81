// The stream model without a server: IDs, block packing, range walks, tombstones, trimming as
// retention, consumer-group PELs - and, through the harness, IDs that stay monotonic when the
// server's clock steps back.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness.hpp"
#include "model/stream.hpp"

namespace miniredis {
namespace {

std::vector<std::string_view> fv(std::initializer_list<std::string_view> l) { return l; }

std::vector<StreamID> ids(const Stream& s, StreamID lo = {}, StreamID hi = StreamID::max(), bool rev = false) {
    std::vector<StreamID> out;
    s.range(lo, hi, rev, [&](const StreamEntryView& e) {
        out.push_back(e.id);
        return true;
    });
    return out;
}

TEST(StreamId, ParsesAndOrders) {
    EXPECT_EQ(parse_stream_id("5-3", 0), (StreamID{5, 3}));
    EXPECT_EQ(parse_stream_id("5", 0), (StreamID{5, 0}));
    EXPECT_EQ(parse_stream_id("5", UINT64_MAX), (StreamID{5, UINT64_MAX}));
    EXPECT_FALSE(parse_stream_id("5-", 0));
    EXPECT_FALSE(parse_stream_id("-1", 0));
    EXPECT_FALSE(parse_stream_id("abc", 0));
    EXPECT_FALSE(parse_stream_id("18446744073709551616", 0));  // 2^64 overflows
    EXPECT_LT((StreamID{1, 9}), (StreamID{2, 0}));
    EXPECT_EQ((StreamID{1, UINT64_MAX}).next(), (StreamID{2, 0}));
    EXPECT_FALSE(StreamID::max().next());
    EXPECT_FALSE((StreamID{0, 0}).prev());
    EXPECT_EQ((StreamID{3, 0}).prev(), (StreamID{2, UINT64_MAX}));
}

TEST(Stream, PacksEntriesIntoBlocksAndReadsThemBack) {
    Stream s;
    for (uint64_t i = 1; i <= 250; ++i) {
        std::string v = std::to_string(i);
        // Every 7th entry has other fields than its block's master entry.
        if (i % 7 == 0)
            s.append({1000 + i / 3, i}, fv({"other", v, "x", "y"}));
        else
            s.append({1000 + i / 3, i}, fv({"temp", v, "city", "Oslo"}));
    }
    EXPECT_EQ(s.length(), 250u);
    EXPECT_EQ(s.blocks(), 3u);  // 100 entries per block
    // 250 entries of ~4 small values in a few KB: not a heap node per field.
    EXPECT_LT(s.bytes(), 250u * 20);
    size_t n = 0;
    s.range({}, StreamID::max(), false, [&](const StreamEntryView& e) {
        ++n;
        std::string v = std::to_string(e.id.seq);
        if (e.id.seq % 7 == 0) {
            EXPECT_EQ(e.fields_values[0], "other");
            EXPECT_EQ(e.fields_values[1], v);
        } else {
            EXPECT_EQ(e.fields_values.size(), 4u);
            EXPECT_EQ(e.fields_values[1], v);
            EXPECT_EQ(e.fields_values[3], "Oslo");
        }
        return true;
    });
    EXPECT_EQ(n, 250u);
    auto rev = ids(s, {1000 + 99 / 3, 99}, {1000 + 102 / 3, 102}, true);
    ASSERT_EQ(rev.size(), 4u);
    EXPECT_EQ(rev.front().seq, 102u);
    EXPECT_EQ(rev.back().seq, 99u);
}

TEST(Stream, DeleteLeavesTombstonesAndDropsEmptyBlocks) {
    Stream s;
    for (uint64_t i = 1; i <= 150; ++i) s.append({i, 0}, fv({"f", "v"}));
    EXPECT_TRUE(s.remove({5, 0}));
    EXPECT_FALSE(s.remove({5, 0}));
    EXPECT_FALSE(s.remove({999, 0}));
    EXPECT_EQ(s.length(), 149u);
    EXPECT_EQ(s.max_deleted_id, (StreamID{5, 0}));
    EXPECT_FALSE(s.lookup({5, 0}));
    EXPECT_TRUE(s.lookup({6, 0}));
    for (uint64_t i = 101; i <= 150; ++i) s.remove({i, 0});
    EXPECT_EQ(s.blocks(), 1u);                 // the second block is all tombstones: gone
    EXPECT_EQ(s.last_id, (StreamID{150, 0}));  // IDs never go back
    EXPECT_EQ(s.last_entry_id(), (StreamID{100, 0}));
    EXPECT_EQ(s.entries_added, 150u);
}

TEST(Stream, TrimByLengthExactAndApproximate) {
    Stream s;
    for (uint64_t i = 1; i <= 250; ++i) s.append({i, 0}, fv({"f", "v"}));
    // "~" only drops whole blocks: 250 -> 150 keeps more than asked for 120.
    EXPECT_EQ(s.trim_maxlen(120, true, 0), 100u);
    EXPECT_EQ(s.length(), 150u);
    EXPECT_EQ(s.first_id(), (StreamID{101, 0}));
    // "=" cuts inside the block too.
    EXPECT_EQ(s.trim_maxlen(120, false, 0), 30u);
    EXPECT_EQ(s.length(), 120u);
    EXPECT_EQ(s.first_id(), (StreamID{131, 0}));
    EXPECT_EQ(ids(s).size(), 120u);
    // LIMIT caps the work: a whole block would exceed it, so nothing goes.
    Stream t;
    for (uint64_t i = 1; i <= 250; ++i) t.append({i, 0}, fv({"f", "v"}));
    EXPECT_EQ(t.trim_maxlen(0, true, 50), 0u);
    EXPECT_EQ(t.trim_maxlen(0, false, 0), 250u);
    EXPECT_EQ(t.length(), 0u);
    EXPECT_EQ(t.blocks(), 0u);
}

TEST(Stream, TrimByMinimumId) {
    Stream s;
    for (uint64_t i = 1; i <= 250; ++i) s.append({i, 0}, fv({"f", "v"}));
    EXPECT_EQ(s.trim_minid({150, 0}, true, 0), 100u);  // the first block ends at 100 < 150
    EXPECT_EQ(s.trim_minid({150, 0}, false, 0), 49u);
    EXPECT_EQ(s.first_id(), (StreamID{150, 0}));
    EXPECT_EQ(s.trim_minid({1, 0}, false, 0), 0u);
}

TEST(ConsumerGroup, PendingListsMoveBetweenConsumers) {
    ConsumerGroup g;
    StreamConsumer& alice = g.consumer_or_create("alice", 100);
    StreamConsumer& bob = g.consumer_or_create("bob", 100);
    g.assign({1, 0}, alice, 100);
    g.assign({2, 0}, alice, 100);
    EXPECT_EQ(alice.pending.size(), 2u);
    PendingEntry& p = g.assign({2, 0}, bob, 200);  // claimed
    ++p.delivery_count;
    EXPECT_EQ(alice.pending.size(), 1u);
    EXPECT_EQ(bob.pending.size(), 1u);
    EXPECT_EQ(g.pel.at({2, 0}).consumer, &bob);
    EXPECT_EQ(g.pel.at({2, 0}).delivery_count, 2u);
    EXPECT_TRUE(g.ack({1, 0}));
    EXPECT_FALSE(g.ack({1, 0}));
    EXPECT_TRUE(alice.pending.empty());
    EXPECT_EQ(g.remove_consumer("bob"), 1u);
    EXPECT_TRUE(g.pel.empty());
}

TEST(Stream, GroupLagFollowsTheLog) {
    Stream s;
    for (uint64_t i = 1; i <= 10; ++i) s.append({i, 0}, fv({"f", "v"}));
    ConsumerGroup g;
    g.last_id = {4, 0};
    g.entries_read = 4;
    EXPECT_EQ(s.group_lag(g), 6);
    s.remove({7, 0});  // a tombstone ahead of the group: its counter can not say the lag
    EXPECT_EQ(s.group_lag(g), -1);
    EXPECT_EQ(s.estimate_entries_read({10, 0}), 10);
}

TEST(Stream, CloneCopiesGroupsAndPels) {
    Stream s;
    s.append({1, 0}, fv({"f", "v"}));
    auto g = std::make_unique<ConsumerGroup>();
    g->assign({1, 0}, g->consumer_or_create("c", 0), 5);
    s.groups.emplace("g", std::move(g));
    auto copy = s.clone();
    s.groups.clear();
    ASSERT_TRUE(copy->group("g"));
    EXPECT_EQ(copy->group("g")->pel.at({1, 0}).consumer, copy->group("g")->consumer("c"));
    EXPECT_TRUE(copy->lookup({1, 0}));
}

// XADD * takes the server's clock; when the clock steps back, IDs must still grow.
TEST(StreamCommands, IdsStayMonotonicWhenTheClockStepsBack) {
    test::Harness h;
    h.clock.set_ms(5000);
    EXPECT_EQ(h.run({"XADD", "s", "*", "f", "v"}), "$6\r\n5000-0\r\n");
    EXPECT_EQ(h.run({"XADD", "s", "*", "f", "v"}), "$6\r\n5000-1\r\n");
    h.clock.set_ms(4000);  // NTP stepped the clock back
    EXPECT_EQ(h.run({"XADD", "s", "*", "f", "v"}), "$6\r\n5000-2\r\n");
    h.clock.set_ms(6000);
    EXPECT_EQ(h.run({"XADD", "s", "*", "f", "v"}), "$6\r\n6000-0\r\n");
    EXPECT_EQ(h.run({"XADD", "s", "6000-*", "f", "v"}), "$6\r\n6000-1\r\n");
    EXPECT_EQ(h.run({"XADD", "s", "5999-*", "f", "v"}).substr(0, 4), "-ERR");
}

// A blocked XREADGROUP is served by the next XADD, in arrival order; a timed-out one gets nil.
TEST(StreamCommands, BlockedReadersAreServedInArrivalOrder) {
    test::Harness h;
    Client& producer = h.connect();
    Client& first = h.connect();
    Client& second = h.connect();
    h.run(producer, {"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
    EXPECT_EQ(h.run(first, {"XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"}), "");
    EXPECT_EQ(h.run(second, {"XREADGROUP", "GROUP", "g", "b", "BLOCK", "1000", "STREAMS", "s", ">"}), "");
    h.run(producer, {"XADD", "s", "1-1", "f", "v"});
    EXPECT_EQ(h.take_output(first), "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    EXPECT_EQ(h.take_output(second), "");  // the group had nothing left for b
    h.clock.advance_ms(1001);
    h.state.expire_blocked_clients();
    EXPECT_EQ(h.take_output(second), "*-1\r\n");
    // Inside MULTI/EXEC the same read does not block: it answers nil at once.
    h.run(first, {"MULTI"});
    h.run(first, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
    EXPECT_EQ(h.run(first, {"EXEC"}), "*1\r\n*-1\r\n");
}

TEST(StreamCommands, BzpopminWaitsForAZadd) {
    test::Harness h;
    Client& waiter = h.connect();
    Client& producer = h.connect();
    EXPECT_EQ(h.run(waiter, {"BZPOPMIN", "z", "0"}), "");
    h.run(producer, {"ZADD", "z", "2", "b", "1", "a"});
    EXPECT_EQ(h.take_output(waiter), "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n");
}

}  // namespace
}  // namespace miniredis
