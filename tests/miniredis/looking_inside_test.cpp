// The logic behind the introspection commands, without sockets: slowlog trimming, latency
// series, rates, the LFU counter, encodings by Redis' thresholds, MONITOR lines, and the
// per-command counters the dispatcher keeps. The same commands against a real redis-server:
// introspection_test.py; redis-cli's modes on top of them: redis_cli_tools_test.py.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "commands/command_table.hpp"
#include "core/latency.hpp"
#include "core/monitor.hpp"
#include "core/rates.hpp"
#include "core/slowlog.hpp"
#include "harness.hpp"
#include "model/encoding.hpp"
#include "model/hashing.hpp"
#include "model/lfu.hpp"

namespace miniredis {
namespace {

using test::Harness;
using test::numbered;

TEST(Slowlog, KeepsAtMost32ArgumentsAnd128BytesEach) {
    std::vector<std::string> storage = {"RPUSH", "k"};
    for (int i = 0; i < 38; ++i) storage.push_back(std::to_string(i));
    storage[2] = std::string(200, 'x');
    std::vector<std::string_view> argv(storage.begin(), storage.end());
    auto args = Slowlog::trimmed_args(argv);
    ASSERT_EQ(args.size(), 32u);
    EXPECT_EQ(args[2], std::string(128, 'x') + "... (72 more bytes)");
    EXPECT_EQ(args[30], "28");
    EXPECT_EQ(args[31], "... (9 more arguments)");
}

TEST(Slowlog, RedactsSecretsAndDropsTheOldest) {
    Slowlog log;
    std::string_view auth[] = {"AUTH", "user", "pw"};
    std::string_view get[] = {"GET", "k"};
    log.add(auth, 100, 5, "127.0.0.1:1", "", 2);
    log.add(get, 101, 6, "127.0.0.1:1", "", 2);
    log.add(get, 102, 7, "127.0.0.1:1", "n", 2);
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log.entries()[0].id, 2u);  // newest first
    EXPECT_EQ(log.entries()[1].id, 1u);
    Slowlog other;
    other.add(auth, 100, 5, "127.0.0.1:1", "", 10);
    EXPECT_EQ(other.entries()[0].args, (std::vector<std::string>{"AUTH", "(redacted)", "(redacted)"}));
    EXPECT_TRUE(Slowlog::is_slow(10, 10));
    EXPECT_FALSE(Slowlog::is_slow(9, 10));
    EXPECT_FALSE(Slowlog::is_slow(1'000'000, -1));  // negative threshold: off
}

TEST(LatencyMonitor, OneSamplePerSecondKeepingTheWorst) {
    LatencyMonitor m;
    m.add_if_needed("command", 50, 0, 1000);  // threshold 0: monitoring off
    EXPECT_TRUE(m.series().empty());
    m.add_if_needed("command", 4, 5, 1000);  // under the threshold
    EXPECT_TRUE(m.series().empty());
    m.add_if_needed("command", 7, 5, 1000);
    m.add_if_needed("command", 9, 5, 1000);
    m.add_if_needed("command", 6, 5, 1000);
    m.add_if_needed("command", 8, 5, 1001);
    const auto* s = m.find("command");
    ASSERT_NE(s, nullptr);
    auto history = s->history();
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0].latency_ms, 9);
    EXPECT_EQ(s->latest().latency_ms, 8);
    EXPECT_EQ(s->max_ms, 9);
}

TEST(LatencyMonitor, TheRingKeepsTheNewest160) {
    LatencyMonitor m;
    for (int t = 0; t < 200; ++t) m.add("fast-command", t + 1, 1000 + t);
    auto history = m.find("fast-command")->history();
    ASSERT_EQ(history.size(), LatencyMonitor::kSamples);
    EXPECT_EQ(history.front().unix_time, 1040);  // oldest kept
    EXPECT_EQ(history.back().unix_time, 1199);
    EXPECT_EQ(m.find("fast-command")->latest().latency_ms, 200);
    EXPECT_EQ(m.reset("nope"), 0u);
    EXPECT_EQ(m.reset("fast-command"), 1u);
    EXPECT_EQ(m.find("fast-command"), nullptr);
}

TEST(RateMeter, IsTheSlopeOverTheRecentSamples) {
    RateMeter r;
    EXPECT_EQ(r.per_second(), 0);
    for (int i = 0; i <= 40; ++i) r.sample(i * 100, static_cast<uint64_t>(i) * 50);  // 50 per 100 ms
    EXPECT_DOUBLE_EQ(r.per_second(), 500.0);
}

TEST(Lfu, GrowsLogarithmicallyAndDecaysWithTime) {
    uint32_t packed = lfu::pack(100, lfu::kInitialCounter);
    EXPECT_EQ(lfu::touched(packed, 100, 1, 10, 0.99) & 0xff, 6u);  // from the initial value: always
    // At 15 the chance is 1 / ((15 - 5) * 10 + 1) = 1/101.
    EXPECT_EQ(lfu::touched(lfu::pack(100, 15), 100, 1, 10, 0.5) & 0xff, 15u);
    EXPECT_EQ(lfu::touched(lfu::pack(100, 15), 100, 1, 10, 0.001) & 0xff, 16u);
    EXPECT_EQ(lfu::touched(lfu::pack(100, 255), 100, 1, 10, 0.0) & 0xff, 255u);  // saturates
    EXPECT_EQ(lfu::decayed_counter(lfu::pack(100, 20), 103, 1), 17u);            // one per idle minute
    EXPECT_EQ(lfu::decayed_counter(lfu::pack(100, 20), 200, 1), 0u);
    EXPECT_EQ(lfu::decayed_counter(lfu::pack(65534, 20), 2, 1), 17u);  // across the 16-bit wrap
    EXPECT_EQ(lfu::decayed_counter(lfu::pack(100, 20), 200, 0), 20u);  // decay time 0: never
}

TEST(Lfu, TheKeyspaceCountsAccessesUnderAnLfuPolicy) {
    Harness h(test::test_config({{"maxmemory-policy", "allkeys-lfu"}}));
    h.run({"SET", "hot", "v"});
    h.run({"SET", "cold", "v"});
    for (int i = 0; i < 100; ++i) h.run({"GET", "hot"});
    EXPECT_EQ(h.run({"OBJECT", "FREQ", "cold"}), ":5\r\n");
    std::string hot = h.run({"OBJECT", "FREQ", "hot"});
    EXPECT_GT(std::stoi(hot.substr(1)), 6);
    h.clock.advance_ms(10 * 60'000);  // ten idle minutes: ten off
    h.state.tick();
    EXPECT_EQ(h.run({"OBJECT", "FREQ", "cold"}), ":0\r\n");
}

Value string_value(std::string_view s) { return Value::of_string(s); }

TEST(Encoding, FollowsRedisThresholds) {
    Value i = string_value("-12345"), lead = string_value("012"), e = string_value(std::string(44, 'a')),
          r = string_value(std::string(45, 'a'));
    EXPECT_EQ(object_encoding(i), "int");
    EXPECT_EQ(object_encoding(lead), "embstr");
    EXPECT_EQ(object_encoding(e), "embstr");
    EXPECT_EQ(object_encoding(r), "raw");
    Value set = Value::of<Set>();
    for (int n = 0; n < 512; ++n) set.set()->insert(std::to_string(n));
    EXPECT_EQ(object_encoding(set), "intset");
    set.set()->insert("513th");
    EXPECT_EQ(object_encoding(set), "hashtable");
    Value z = Value::of<ZSet>();
    for (int n = 0; n < 128; ++n) z.zset()->set(numbered("m", n), n);
    EXPECT_EQ(object_encoding(z), "listpack");
    z.zset()->set("one-more", 1);
    EXPECT_EQ(object_encoding(z), "skiplist");
    Value hash = Value::of<Hash>();
    hash.hash()->insert("f").first->value = SmallString(std::string(64, 'v'));
    EXPECT_EQ(object_encoding(hash), "listpack");
    hash.hash()->insert("g").first->value = SmallString(std::string(65, 'v'));
    EXPECT_EQ(object_encoding(hash), "hashtable");
    // MEMORY USAGE grows with the content.
    EXPECT_GT(memory_usage("k", r, 5), memory_usage("k", e, 5));
    EXPECT_GT(memory_usage("z", z, 0), 129 * sizeof(ZSet::Node));
}

TEST(Monitor, LinesQuoteLikeRedisAndRedactSecrets) {
    std::string_view set[] = {"set", "k", "a\n\"\\\x01"};
    EXPECT_EQ(monitor_line(1'700'000'000'000'123, 3, "127.0.0.1:5", set),
              "+1700000000.000123 [3 127.0.0.1:5] \"set\" \"k\" \"a\\n\\\"\\\\\\x01\"\r\n");
    std::string_view hello[] = {"HELLO", "3", "AUTH", "user", "pw"};
    EXPECT_EQ(monitor_line(0, 0, "x", hello),
              "+0.000000 [0 x] \"HELLO\" \"3\" \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n");
    std::string_view config[] = {"CONFIG", "SET", "requirepass", "pw", "maxmemory", "1"};
    EXPECT_EQ(monitor_line(0, 0, "x", config),
              "+0.000000 [0 x] \"CONFIG\" \"SET\" \"requirepass\" \"(redacted)\" \"maxmemory\" \"1\"\r\n");
}

TEST(Monitor, SeesOtherClientsCommandsButNotAdminOnes) {
    Harness h;
    Client& monitor = h.connect();
    Client& user = h.connect();
    EXPECT_EQ(h.run(monitor, {"MONITOR"}), "+OK\r\n");
    h.run(user, {"SET", "k", "v"});
    h.run(user, {"CONFIG", "GET", "maxmemory"});
    h.run(user, {"NOSUCH"});
    std::string seen = h.take_output(monitor);
    EXPECT_NE(seen.find("[0 127.0.0.1:50001] \"SET\" \"k\" \"v\"\r\n"), std::string::npos) << seen;
    EXPECT_EQ(seen.find("CONFIG"), std::string::npos);
    EXPECT_EQ(seen.find("NOSUCH"), std::string::npos);
    EXPECT_EQ(h.run(monitor, {"GET", "k"}), "-ERR Replica can't interact with the keyspace\r\n");
    EXPECT_EQ(h.run(monitor, {"RESET"}), "+RESET\r\n");
    h.run(user, {"SET", "k", "w"});
    EXPECT_EQ(h.take_output(monitor), "");
    EXPECT_TRUE(h.state.monitors.empty());
}

// INFO's run_id is public (any client may ask); the hash seed must stay secret, or a client could
// choose keys that all land in one bucket (hash flooding). So the two must not be the same number.
TEST(Info, TheRunIdDoesNotGiveAwayTheHashSeed) {
    Harness h;
    std::string info = h.run({"INFO", "server"});
    size_t at = info.find("run_id:");
    ASSERT_NE(at, std::string::npos);
    std::string run_id = info.substr(at + 7, 40);
    EXPECT_EQ(run_id.size(), 40u);
    EXPECT_NE(run_id, fmt::format("{:040x}", kHashSeed));
    EXPECT_EQ(run_id, h.run({"INFO", "server"}).substr(at + 7, 40));  // stable for the process
}

TEST(CommandStats, CountCallsFailuresAndRejectionsInTheTable) {
    reset_command_stats();
    Harness h;
    h.run({"SET", "k", "v"});
    h.run({"GET", "k"});
    h.run({"LPUSH", "k", "x"});  // WRONGTYPE: ran, failed
    h.run({"GET"});              // arity: rejected, never ran
    std::string info = h.run({"INFO", "commandstats"});
    EXPECT_NE(info.find("cmdstat_get:calls=1,"), std::string::npos) << info;
    EXPECT_NE(info.find(",rejected_calls=1,failed_calls=0"), std::string::npos) << info;
    EXPECT_NE(info.find("cmdstat_lpush:calls=1,"), std::string::npos);
    EXPECT_NE(info.find("rejected_calls=0,failed_calls=1"), std::string::npos);
    std::string errors = h.run({"INFO", "errorstats"});
    EXPECT_NE(errors.find("errorstat_WRONGTYPE:count=1"), std::string::npos) << errors;
    EXPECT_NE(errors.find("errorstat_ERR:count=1"), std::string::npos) << errors;
    EXPECT_EQ(h.state.stats.error_replies, 2u);
}

}  // namespace
}  // namespace miniredis
