// Strings, keys and expiry through the whole command path (parse -> dispatch -> model -> reply),
// with a ManualClock: TTLs are tested by moving time, not by sleeping.
#include <gtest/gtest.h>

#include <set>

#include "harness.hpp"

using miniredis::test::Harness;
using miniredis::test::numbered;

namespace {

TEST(Strings, SetGetAndOverwrite) {
    Harness h;
    EXPECT_EQ(h.run({"GET", "k"}), "$-1\r\n");
    EXPECT_EQ(h.run({"SET", "k", "v1"}), "+OK\r\n");
    EXPECT_EQ(h.run({"GET", "k"}), "$2\r\nv1\r\n");
    EXPECT_EQ(h.run({"SET", "k", "a much longer value that lives on the heap"}), "+OK\r\n");
    EXPECT_EQ(h.run({"GET", "k"}), "$42\r\na much longer value that lives on the heap\r\n");
}

TEST(Strings, SetOptions) {
    Harness h;
    EXPECT_EQ(h.run({"SET", "k", "1", "NX"}), "+OK\r\n");
    EXPECT_EQ(h.run({"SET", "k", "2", "NX"}), "$-1\r\n");
    EXPECT_EQ(h.run({"SET", "other", "2", "XX"}), "$-1\r\n");
    EXPECT_EQ(h.run({"SET", "k", "3", "XX", "GET"}), "$1\r\n1\r\n");
    EXPECT_EQ(h.run({"SET", "k", "4", "NX", "XX"}), "-ERR syntax error\r\n");
    EXPECT_EQ(h.run({"SET", "k", "4", "EX", "0"}), "-ERR invalid expire time in 'set' command\r\n");
    EXPECT_EQ(h.run({"SET", "k", "4", "EX", "x"}), "-ERR value is not an integer or out of range\r\n");
    EXPECT_EQ(h.run({"SET", "k", "4", "EX", "10", "PX", "10"}), "-ERR syntax error\r\n");
}

TEST(Strings, ExpiryIsLazyAndFollowsTheClock) {
    Harness h;
    EXPECT_EQ(h.run({"SET", "session", "data", "EX", "10"}), "+OK\r\n");
    EXPECT_EQ(h.run({"TTL", "session"}), ":10\r\n");
    h.clock.advance_ms(9'999);
    EXPECT_EQ(h.run({"PTTL", "session"}), ":1\r\n");
    EXPECT_EQ(h.run({"GET", "session"}), "$4\r\ndata\r\n");
    h.clock.advance_ms(1);
    EXPECT_EQ(h.run({"GET", "session"}), "$-1\r\n");
    EXPECT_EQ(h.run({"TTL", "session"}), ":-2\r\n");
    EXPECT_EQ(h.state.stats.expired_keys, 1u);
}

TEST(Strings, ActiveExpiryReclaimsKeysNobodyReads) {
    Harness h;
    for (int i = 0; i < 500; ++i) h.run({"SET", numbered("k", i), "v", "PX", "100"});
    h.run({"SET", "forever", "v"});
    EXPECT_EQ(h.state.db(0).size(), 501u);
    h.clock.advance_ms(100);
    for (int i = 0; i < 50 && h.state.db(0).size() > 1; ++i) h.state.tick();
    EXPECT_EQ(h.state.db(0).size(), 1u);
    EXPECT_EQ(h.state.db(0).expires_size(), 0u);
}

// Many keys expiring at once: the cycle's sample walks forward from a random bucket and empties
// what it walks over, so later samples often start in an emptied stretch and find nothing. That
// must not end the cycle (it did: the last third of the keys then went at a few thousand a second).
TEST(Strings, ActiveExpiryKeepsGoingPastEmptiedStretches) {
    Harness h;
    miniredis::Database& db = h.state.db(0);
    for (int i = 0; i < 100'000; ++i) {
        std::string key = numbered("k", i);
        db.set(key, miniredis::Value::of_string("v"));
        db.set_expire(key, h.clock.now_ms() + 100);
    }
    h.clock.advance_ms(100);
    for (int i = 0; i < 40 && db.expires_size() > 0; ++i) h.state.tick();
    EXPECT_EQ(db.expires_size(), 0u);
    EXPECT_EQ(db.size(), 0u);
}

TEST(Strings, OverwritingDropsTheTtlUnlessKeepttl) {
    Harness h;
    h.run({"SET", "k", "v", "EX", "100"});
    h.run({"SET", "k", "v2", "KEEPTTL"});
    EXPECT_EQ(h.run({"TTL", "k"}), ":100\r\n");
    h.run({"SET", "k", "v3"});
    EXPECT_EQ(h.run({"TTL", "k"}), ":-1\r\n");
    h.run({"SET", "n", "1", "EX", "100"});
    h.run({"INCR", "n"});  // INCR keeps the TTL (it changes the value in place)
    EXPECT_EQ(h.run({"TTL", "n"}), ":100\r\n");
}

TEST(Strings, Counters) {
    Harness h;
    EXPECT_EQ(h.run({"INCR", "c"}), ":1\r\n");
    EXPECT_EQ(h.run({"INCRBY", "c", "41"}), ":42\r\n");
    EXPECT_EQ(h.run({"DECRBY", "c", "2"}), ":40\r\n");
    EXPECT_EQ(h.run({"DECR", "c"}), ":39\r\n");
    h.run({"SET", "c", "9223372036854775807"});
    EXPECT_EQ(h.run({"INCR", "c"}), "-ERR increment or decrement would overflow\r\n");
    h.run({"SET", "s", "abc"});
    EXPECT_EQ(h.run({"INCR", "s"}), "-ERR value is not an integer or out of range\r\n");
    h.run({"SET", "s", " 1"});
    EXPECT_EQ(h.run({"INCR", "s"}), "-ERR value is not an integer or out of range\r\n");
    EXPECT_EQ(h.run({"INCRBYFLOAT", "f", "10.5"}), "$4\r\n10.5\r\n");
    EXPECT_EQ(h.run({"INCRBYFLOAT", "f", "0.1"}), "$4\r\n10.6\r\n");
    EXPECT_EQ(h.run({"INCRBYFLOAT", "f", "-10.6"}), "$1\r\n0\r\n");
}

TEST(Strings, RangesAndAppend) {
    Harness h;
    EXPECT_EQ(h.run({"APPEND", "k", "Hello"}), ":5\r\n");
    EXPECT_EQ(h.run({"APPEND", "k", " World"}), ":11\r\n");
    EXPECT_EQ(h.run({"GETRANGE", "k", "0", "4"}), "$5\r\nHello\r\n");
    EXPECT_EQ(h.run({"GETRANGE", "k", "-5", "-1"}), "$5\r\nWorld\r\n");
    EXPECT_EQ(h.run({"GETRANGE", "k", "5", "2"}), "$0\r\n\r\n");
    EXPECT_EQ(h.run({"SETRANGE", "k", "6", "Redis"}), ":11\r\n");
    EXPECT_EQ(h.run({"GET", "k"}), "$11\r\nHello Redis\r\n");
    EXPECT_EQ(h.run({"SETRANGE", "pad", "3", "x"}), ":4\r\n");
    EXPECT_EQ(h.run({"GET", "pad"}), std::string("$4\r\n\0\0\0x\r\n", 10));
    EXPECT_EQ(h.run({"STRLEN", "k"}), ":11\r\n");
}

TEST(Strings, MultiKeyCommands) {
    Harness h;
    EXPECT_EQ(h.run({"MSET", "a", "1", "b", "2"}), "+OK\r\n");
    EXPECT_EQ(h.run({"MSET", "a", "1", "b"}), "-ERR wrong number of arguments for 'mset' command\r\n");
    EXPECT_EQ(h.run({"MGET", "a", "nope", "b"}), "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");
    EXPECT_EQ(h.run({"MSETNX", "c", "3", "a", "9"}), ":0\r\n");
    EXPECT_EQ(h.run({"EXISTS", "a", "b", "c", "a"}), ":3\r\n");
}

TEST(Keys, TypeRenameCopyDel) {
    Harness h;
    h.run({"SET", "s", "v", "EX", "50"});
    EXPECT_EQ(h.run({"TYPE", "s"}), "+string\r\n");
    EXPECT_EQ(h.run({"TYPE", "none"}), "+none\r\n");
    EXPECT_EQ(h.run({"RENAME", "missing", "x"}), "-ERR no such key\r\n");
    EXPECT_EQ(h.run({"RENAME", "s", "t"}), "+OK\r\n");
    EXPECT_EQ(h.run({"TTL", "t"}), ":50\r\n");  // the TTL moves with the value
    EXPECT_EQ(h.run({"COPY", "t", "u"}), ":1\r\n");
    EXPECT_EQ(h.run({"COPY", "t", "u"}), ":0\r\n");
    EXPECT_EQ(h.run({"DEL", "t", "u", "zzz"}), ":2\r\n");
    EXPECT_EQ(h.run({"DBSIZE"}), ":0\r\n");
}

TEST(Keys, ExpireOptions) {
    Harness h;
    h.run({"SET", "k", "v"});
    EXPECT_EQ(h.run({"EXPIRE", "k", "100", "XX"}), ":0\r\n");
    EXPECT_EQ(h.run({"EXPIRE", "k", "100", "NX"}), ":1\r\n");
    EXPECT_EQ(h.run({"EXPIRE", "k", "50", "GT"}), ":0\r\n");
    EXPECT_EQ(h.run({"EXPIRE", "k", "50", "LT"}), ":1\r\n");
    EXPECT_EQ(h.run({"EXPIRE", "k", "50", "NX", "XX"}),
              "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
    EXPECT_EQ(h.run({"PERSIST", "k"}), ":1\r\n");
    EXPECT_EQ(h.run({"TTL", "k"}), ":-1\r\n");
    EXPECT_EQ(h.run({"EXPIRE", "k", "-1"}), ":1\r\n");  // a deadline in the past deletes
    EXPECT_EQ(h.run({"EXISTS", "k"}), ":0\r\n");
}

TEST(Keys, ScanVisitsEveryKeyExactlyOnceWithoutResizes) {
    Harness h;
    for (int i = 0; i < 1000; ++i) h.run({"SET", numbered("key:", i), "v"});
    std::set<std::string> seen;
    std::string cursor = "0";
    do {
        miniredis::Client& c = h.default_client();
        c.in.append(miniredis::test::encode({"SCAN", cursor, "COUNT", "50"}));
        h.state.process_input(c);
        std::string out(c.out.readable());
        c.out.clear();
        // *2\r\n$N\r\n<cursor>\r\n*M\r\n($len\r\nkey\r\n)*
        size_t p = out.find("\r\n", 4);
        size_t cursor_start = p + 2;
        size_t cursor_end = out.find("\r\n", cursor_start);
        cursor = out.substr(cursor_start, cursor_end - cursor_start);
        size_t pos = out.find("\r\n", cursor_end + 2) + 2;
        while (pos < out.size()) {
            size_t len_end = out.find("\r\n", pos);
            size_t len = std::stoul(out.substr(pos + 1, len_end - pos - 1));
            seen.insert(out.substr(len_end + 2, len));
            pos = len_end + 2 + len + 2;
        }
    } while (cursor != "0");
    EXPECT_EQ(seen.size(), 1000u);
}

// Arguments at the edges of int64, found by a fuzzer under UBSan: each used to overflow a signed
// computation. The expected replies are Redis 7.0's.
TEST(Limits, ExpiretimeOfTheLatestPossibleDeadline) {
    Harness h;
    h.run({"SET", "k", "v"});
    EXPECT_EQ(h.run({"PEXPIREAT", "k", "9223372036854775807"}), ":1\r\n");
    EXPECT_EQ(h.run({"PEXPIRETIME", "k"}), ":9223372036854775807\r\n");
    EXPECT_EQ(h.run({"EXPIRETIME", "k"}), ":9223372036854776\r\n");  // rounded, as (ms + 500) / 1000
}

TEST(Limits, ScanWithTheLargestCount) {
    Harness h;
    h.run({"SET", "k", "v"});
    h.run({"HSET", "h", "f", "v"});
    h.run({"SADD", "s", "m"});
    h.run({"ZADD", "z", "1", "m"});
    constexpr std::string_view kMax = "9223372036854775807";
    EXPECT_EQ(h.run({"SCAN", "0", "MATCH", "k", "COUNT", kMax}), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n");
    EXPECT_EQ(h.run({"HSCAN", "h", "0", "COUNT", kMax}), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    EXPECT_EQ(h.run({"SSCAN", "s", "0", "COUNT", kMax}), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nm\r\n");
    EXPECT_EQ(h.run({"ZSCAN", "z", "0", "COUNT", kMax}), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nm\r\n$1\r\n1\r\n");
}

TEST(Limits, LposAndLremWithInt64Min) {
    Harness h;
    h.run({"RPUSH", "l", "a", "b", "a"});
    // RANK -2^63 is "the first match from the tail" in Redis 7.0; -(2^63 - 1) asks for a match that
    // does not exist.
    EXPECT_EQ(h.run({"LPOS", "l", "a", "RANK", "-9223372036854775808"}), ":2\r\n");
    EXPECT_EQ(h.run({"LPOS", "l", "a", "RANK", "-9223372036854775807"}), "$-1\r\n");
    EXPECT_EQ(h.run({"LREM", "l", "-9223372036854775808", "a"}), ":2\r\n");  // all of them
    EXPECT_EQ(h.run({"LRANGE", "l", "0", "-1"}), "*1\r\n$1\r\nb\r\n");
}

TEST(Limits, BlockingTimeoutsUpToTheLargestDeadline) {
    Harness h;
    miniredis::Client& c = h.connect();
    EXPECT_EQ(h.run(c, {"BLPOP", "q", "9300000000"}), "");  // ~300 years: legal, it blocks
    ASSERT_TRUE(c.blocked.active);
    EXPECT_EQ(c.blocked.deadline_ms, h.clock.now_ms() + 9'300'000'000'000);
    // A deadline past int64 milliseconds is refused rather than wrapped around.
    miniredis::Client& d = h.connect();
    EXPECT_EQ(h.run(d, {"BLPOP", "q", "9223372036854775807"}), "-ERR timeout is out of range\r\n");
    EXPECT_EQ(h.run(d, {"BLPOP", "q", "1e300"}), "-ERR timeout is out of range\r\n");
    EXPECT_EQ(h.run(d, {"BLPOP", "q", "-1"}), "-ERR timeout is negative\r\n");
    EXPECT_EQ(h.run(d, {"BLPOP", "q", "-0.002"}), "-ERR timeout is negative\r\n");
    // Rounded up to whole milliseconds first, as Redis does: -0.001 s (just above -1 ms as a long
    // double) and anything closer to zero is 0, "for ever". Checked against redis-server 7.0.
    for (const char* almost_zero : {"-0.001", "-0.0001", "-1e-400"}) {
        miniredis::Client& e = h.connect();
        EXPECT_EQ(h.run(e, {"BLPOP", "q", almost_zero}), "") << almost_zero;
        ASSERT_TRUE(e.blocked.active) << almost_zero;
        EXPECT_EQ(e.blocked.deadline_ms, 0) << almost_zero;
    }
}

// dir and dbfilename decide where SAVE writes: changing them at run time would let any client
// write a file anywhere the server may (Redis 7 "protected" configs). The AOF's name is immutable.
TEST(Config, FileLocationsCannotBeChangedAtRunTime) {
    Harness h;
    EXPECT_EQ(h.run({"CONFIG", "SET", "dbfilename", "/tmp/evil.rdb"}),
              "-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config\r\n");
    EXPECT_EQ(h.run({"CONFIG", "SET", "dir", "/tmp"}),
              "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n");
    EXPECT_EQ(
        h.run({"CONFIG", "SET", "appendfilename", "x.aof"}),
        "-ERR CONFIG SET failed (possibly related to argument 'appendfilename') - can't set immutable config\r\n");
    EXPECT_EQ(h.run({"CONFIG", "GET", "dbfilename"}), "*2\r\n$10\r\ndbfilename\r\n$8\r\ndump.rdb\r\n");
    // At start-up they are names inside dir, never paths.
    EXPECT_THROW(miniredis::test::test_config({{"dbfilename", "../x.rdb"}}), mb::OptionError);
    EXPECT_THROW(miniredis::test::test_config({{"appendfilename", "/tmp/x.aof"}}), mb::OptionError);
}

TEST(Dispatch, ErrorsMatchRedis) {
    Harness h;
    EXPECT_EQ(h.run({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
    EXPECT_EQ(h.run({"NOPE", "a", "b"}), "-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n");
    EXPECT_EQ(h.run({"CONFIG", "NOPE"}), "-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.\r\n");
    // A subcommand's table name is not a command (redis-server 7.0 says the same).
    EXPECT_EQ(h.run({"client|id", "x"}), "-ERR unknown command 'client|id', with args beginning with: 'x' \r\n");
    EXPECT_EQ(h.run({"CONFIG"}), "-ERR wrong number of arguments for 'config' command\r\n");
    h.run({"SET", "s", "v"});
    EXPECT_EQ(h.run({"SELECT", "16"}), "-ERR DB index is out of range\r\n");
    EXPECT_EQ(h.run({"get", "s"}), "$1\r\nv\r\n");  // command names are case-insensitive
}

TEST(Dispatch, ProtocolErrorRepliesThenCloses) {
    Harness h;
    miniredis::Client& c = h.connect();
    EXPECT_EQ(h.send_raw(c, "*1\r\n$4\r\nPING\r\n*x\r\n"),
              "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n");
    EXPECT_TRUE(c.close_after_reply);
}

TEST(Dispatch, InlineAndPipelined) {
    Harness h;
    miniredis::Client& c = h.connect();
    EXPECT_EQ(h.send_raw(c, "PING\r\nSET k \"two words\"\r\nGET k\r\n"), "+PONG\r\n+OK\r\n$9\r\ntwo words\r\n");
}

TEST(Connection, SelectKeepsDatabasesApart) {
    Harness h;
    h.run({"SET", "k", "zero"});
    EXPECT_EQ(h.run({"SELECT", "3"}), "+OK\r\n");
    EXPECT_EQ(h.run({"GET", "k"}), "$-1\r\n");
    h.run({"SET", "k", "three"});
    h.run({"SELECT", "0"});
    EXPECT_EQ(h.run({"GET", "k"}), "$4\r\nzero\r\n");
}

TEST(Connection, AuthWithRequirepass) {
    Harness h(miniredis::test::test_config({{"requirepass", "secret"}}));
    EXPECT_EQ(h.run({"GET", "k"}), "-NOAUTH Authentication required.\r\n");
    EXPECT_EQ(h.run({"AUTH", "wrong"}), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    EXPECT_EQ(h.run({"AUTH", "secret"}), "+OK\r\n");
    EXPECT_EQ(h.run({"GET", "k"}), "$-1\r\n");
}

TEST(Connection, BeforeAuthOnlySmallRequestsAreAccepted) {
    Harness h(miniredis::test::test_config({{"requirepass", "secret"}}));
    miniredis::Client& stranger = h.connect();
    std::string big(20000, 'x');
    EXPECT_EQ(h.send_raw(stranger, miniredis::test::encode({"AUTH", big})),
              "-ERR Protocol error: unauthenticated bulk length\r\n");
    EXPECT_TRUE(stranger.close_after_reply);
    miniredis::Client& user = h.connect();
    EXPECT_EQ(h.run(user, {"AUTH", "secret"}), "+OK\r\n");
    EXPECT_EQ(h.run(user, {"SET", "k", big}), "+OK\r\n");  // after AUTH the normal limits apply
}

TEST(Connection, IdleClientsAreClosedAfterTimeout) {
    Harness h(miniredis::test::test_config({{"timeout", "10"}}));
    miniredis::Client& idle = h.connect();
    miniredis::Client& waiting = h.connect();
    h.run(idle, {"PING"});
    h.run(waiting, {"BLPOP", "q", "0"});
    h.clock.advance_ms(10'001);
    h.state.tick();
    EXPECT_TRUE(idle.close_after_reply);
    EXPECT_FALSE(waiting.close_after_reply);  // blocked clients are silent on purpose
}

TEST(Connection, Hello3SwitchesToResp3) {
    Harness h;
    std::string reply = h.run({"HELLO", "3"});
    EXPECT_EQ(reply.substr(0, 4), "%7\r\n");
    EXPECT_NE(reply.find("$5\r\nproto\r\n:3\r\n"), std::string::npos);
    EXPECT_EQ(h.run({"GET", "missing"}), "_\r\n");
    EXPECT_EQ(h.run({"HELLO", "4"}), "-NOPROTO unsupported protocol version\r\n");
}

}  // namespace
