// maxmemory and the eviction policies. Limits are set relative to what the test process already
// uses, since used_memory counts every allocation of the process (as Redis' does).
#include <gtest/gtest.h>

#include "harness.hpp"
#include "model/memory.hpp"

using miniredis::used_memory;
using miniredis::test::Harness;
using miniredis::test::numbered;
using miniredis::test::test_config;

namespace {

std::string limit_above_now(size_t extra) { return std::to_string(used_memory() + extra); }

TEST(Eviction, NoevictionRefusesWritesButServesReads) {
    Harness h;
    h.run({"SET", "keep", "me"});
    h.state.config.options.set("maxmemory", limit_above_now(200'000));
    h.state.config.refresh();
    std::string value(1000, 'x');
    std::string reply;
    int written = 0;
    for (; written < 10'000; ++written) {
        reply = h.run({"SET", numbered("k", written), value});
        if (reply != "+OK\r\n") break;
    }
    EXPECT_EQ(reply, "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    EXPECT_GT(written, 50);
    EXPECT_EQ(h.run({"GET", "keep"}), "$2\r\nme\r\n");  // reads still work
    EXPECT_EQ(h.run({"DEL", "k1"}), ":1\r\n");          // and so do deletes (not deny-oom)
    EXPECT_EQ(h.state.stats.evicted_keys, 0u);
}

// maxmemory is checked once, when EXEC starts (it counts as a write if it queued one); the
// commands it then runs are not refused one by one - a transaction is admitted as a whole.
TEST(Eviction, ExecIsCheckedOnceNotPerQueuedCommand) {
    Harness h;
    h.state.config.options.set("maxmemory", limit_above_now(300'000));
    h.state.config.refresh();
    h.run({"MULTI"});
    for (int i = 0; i < 8; ++i) EXPECT_EQ(h.run({"SETRANGE", numbered("big", i), "99999", "x"}), "+QUEUED\r\n");
    std::string expected = "*8\r\n";
    for (int i = 0; i < 8; ++i) expected += ":100000\r\n";
    EXPECT_EQ(h.run({"EXEC"}), expected);
    EXPECT_EQ(h.run({"DBSIZE"}), ":8\r\n");
    // Now over the limit: the next write (or EXEC with a write queued) is refused up front.
    EXPECT_EQ(h.run({"SET", "more", "x"}), "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
}

TEST(Eviction, AllkeysLruKeepsTheRecentlyUsedKeys) {
    Harness h;
    std::string value(1000, 'x');
    for (int i = 0; i < 100; ++i) h.run({"SET", numbered("old", i), value});
    h.clock.advance_ms(100'000);
    h.state.env.refresh_lru_clock();
    for (int i = 0; i < 10; ++i) h.run({"GET", numbered("old", i)});  // these ten are now recent
    h.state.config.options.set("maxmemory", limit_above_now(10'000));
    h.state.config.options.set("maxmemory-policy", "allkeys-lru");
    h.state.config.refresh();
    h.clock.advance_ms(10'000);
    h.state.env.refresh_lru_clock();
    // 60 new keys need ~60 evictions: they should come from the 90 stale keys.
    for (int i = 0; i < 60; ++i) ASSERT_EQ(h.run({"SET", numbered("new", i), value}), "+OK\r\n");
    EXPECT_GT(h.state.stats.evicted_keys, 40u);
    EXPECT_LE(used_memory(), static_cast<size_t>(h.state.config.maxmemory) + 5'000);
    int recent_kept = 0, old_kept = 0;
    for (int i = 0; i < 10; ++i) recent_kept += h.run({"EXISTS", numbered("old", i)}) == ":1\r\n";
    for (int i = 10; i < 100; ++i) old_kept += h.run({"EXISTS", numbered("old", i)}) == ":1\r\n";
    // Approximate LRU: the ten recent keys survive far better than the ninety stale ones.
    EXPECT_GE(recent_kept, 8);
    EXPECT_LE(old_kept, 90 - 40);
}

TEST(Eviction, VolatilePoliciesOnlyTouchKeysWithATtl) {
    for (const char* policy : {"volatile-lru", "volatile-random", "volatile-ttl"}) {
        Harness h;
        std::string value(1000, 'x');
        for (int i = 0; i < 50; ++i) h.run({"SET", numbered("persistent", i), value});
        for (int i = 0; i < 50; ++i) h.run({"SET", numbered("cache", i), value, "EX", std::to_string(100 + i)});
        h.state.config.options.set("maxmemory", limit_above_now(0));
        h.state.config.options.set("maxmemory-policy", policy);
        h.state.config.refresh();
        // Each new key needs room: a TTL key goes; once none is left, writes are refused.
        std::string reply;
        for (int i = 0; i < 200 && (reply = h.run({"SET", numbered("more", i), value})) == "+OK\r\n";) ++i;
        EXPECT_EQ(reply.substr(0, 4), "-OOM") << policy;
        for (int i = 0; i < 50; ++i) ASSERT_EQ(h.run({"EXISTS", numbered("persistent", i)}), ":1\r\n") << policy;
        EXPECT_GT(h.state.stats.evicted_keys, 0u) << policy;
    }
}

TEST(Eviction, VolatileTtlEvictsTheSoonestToExpire) {
    Harness h;
    std::string value(20000, 'x');
    h.run({"SET", "soon", value, "EX", "10"});
    h.run({"SET", "later", value, "EX", "100000"});
    h.state.config.options.set("maxmemory-policy", "volatile-ttl");
    h.state.config.options.set("maxmemory", "1");
    h.state.config.refresh();
    // Over the limit by less than one value: one eviction is enough, and it must be "soon".
    h.state.config.maxmemory = static_cast<int64_t>(used_memory() - 5000);
    EXPECT_EQ(h.run({"SET", "tiny", "x"}), "+OK\r\n");
    EXPECT_EQ(h.state.stats.evicted_keys, 1u);
    EXPECT_EQ(h.run({"EXISTS", "soon"}), ":0\r\n");
    EXPECT_EQ(h.run({"EXISTS", "later"}), ":1\r\n");
}

}  // namespace
