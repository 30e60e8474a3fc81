// Snapshots and the AOF on disk: round trips, checksums, torn tails, garbage, MULTI blocks - the
// recovery rules, tested on real files in a temp directory (no server process).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "storage/aof_loader.hpp"
#include "storage/snapshot.hpp"

using namespace miniredis;
using miniredis::test::Harness;

namespace {

struct TempDir {
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "miniredis-test-XXXXXX").string();
        path = mkdtemp(templ.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string file(std::string_view name) const { return (std::filesystem::path(path) / name).string(); }
    std::string path;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(Snapshot, RoundTripsEveryTypeAndTtl) {
    Harness h;
    h.run({"SET", "s", "value"});
    h.run({"SET", "ttl", "v", "PX", "500000"});
    h.run({"RPUSH", "l", "a", "b", "c"});
    h.run({"HSET", "h", "f", "v", "g", "w"});
    h.run({"SADD", "set", "x", "y"});
    h.run({"ZADD", "z", "1.5", "a", "-2", "b"});
    h.run({"SELECT", "5"});
    h.run({"SET", "in5", "five"});
    std::string bytes;
    encode_snapshot(h.state.databases, h.clock.now_ms(), bytes);

    Harness loaded;
    loaded.clock.set_ms(h.clock.now_ms());
    std::string error;
    ASSERT_EQ(decode_snapshot(bytes, loaded.state.databases, error), bytes.size()) << error;
    EXPECT_EQ(loaded.run({"GET", "s"}), "$5\r\nvalue\r\n");
    EXPECT_EQ(loaded.run({"PTTL", "ttl"}), ":500000\r\n");
    EXPECT_EQ(loaded.run({"LRANGE", "l", "0", "-1"}), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    EXPECT_EQ(loaded.run({"HGET", "h", "g"}), "$1\r\nw\r\n");
    EXPECT_EQ(loaded.run({"SCARD", "set"}), ":2\r\n");
    EXPECT_EQ(loaded.run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
              "*4\r\n$1\r\nb\r\n$2\r\n-2\r\n$1\r\na\r\n$3\r\n1.5\r\n");
    loaded.run({"SELECT", "5"});
    EXPECT_EQ(loaded.run({"GET", "in5"}), "$4\r\nfive\r\n");
}

TEST(Snapshot, EveryCorruptionIsRejected) {
    Harness h;
    for (int i = 0; i < 50; ++i) h.run({"SET", test::numbered("k", i), "some value"});
    std::string bytes;
    encode_snapshot(h.state.databases, h.clock.now_ms(), bytes);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {  // every truncation
        Harness target;
        std::string error;
        EXPECT_EQ(decode_snapshot(std::string_view(bytes).substr(0, cut), target.state.databases, error), 0u);
        EXPECT_FALSE(error.empty());
        EXPECT_EQ(target.state.db(0).size(), 0u) << "nothing is half-loaded";
    }
    for (size_t pos = 0; pos < bytes.size(); pos += 7) {  // bit flips
        std::string flipped = bytes;
        flipped[pos] = static_cast<char>(flipped[pos] ^ 0x40);
        Harness target;
        std::string error;
        EXPECT_EQ(decode_snapshot(flipped, target.state.databases, error), 0u) << "flip at " << pos;
    }
}

TEST(Snapshot, SaveIsAtomicOnDisk) {
    TempDir dir;
    Harness h;
    h.run({"SET", "a", "1"});
    EXPECT_EQ(save_snapshot(h.state.databases, h.clock.now_ms(), dir.file("dump.mrdb")), "");
    for (auto& entry : std::filesystem::directory_iterator(dir.path))
        EXPECT_EQ(entry.path().filename(), "dump.mrdb");  // no temp file left behind
}

AofLoadResult replay(Harness& h, const std::string& path, bool allow_truncated = true) {
    Client loader;  // as the server's own replayer: not a registered connection
    loader.authenticated = true;
    h.state.env.loading = true;
    auto result = load_aof(
        path, h.state.databases,
        [&](std::span<const std::string_view> argv, std::string&) {
            h.state.execute(loader, argv);
            loader.out.clear();
            return true;
        },
        allow_truncated);
    h.state.env.loading = false;
    h.state.pending_writes.clear();
    return result;
}

TEST(AofLoader, TornLastCommandIsCutOff) {
    TempDir dir;
    std::string full = test::encode({"SET", "a", "1"}) + test::encode({"SET", "b", "2"});
    std::string torn = full + test::encode({"SET", "c", "3"}).substr(0, 11);
    spit(dir.file("a.aof"), torn);
    Harness h;
    auto result = replay(h, dir.file("a.aof"));
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_TRUE(result.truncated);
    EXPECT_EQ(result.commands, 2u);
    EXPECT_EQ(slurp(dir.file("a.aof")), full);  // the file itself was truncated
    EXPECT_EQ(h.run({"GET", "b"}), "$1\r\n2\r\n");
    EXPECT_EQ(h.run({"EXISTS", "c"}), ":0\r\n");
}

TEST(AofLoader, TornTailRefusedWhenNotAllowed) {
    TempDir dir;
    spit(dir.file("a.aof"), test::encode({"SET", "a", "1"}) + "*2\r\n$3\r\nDE");
    Harness h;
    auto result = replay(h, dir.file("a.aof"), false);
    EXPECT_FALSE(result.ok);
    EXPECT_NE(result.error.find("incomplete command"), std::string::npos);
}

TEST(AofLoader, GarbageInTheMiddleRefusesToLoad) {
    TempDir dir;
    spit(dir.file("a.aof"), test::encode({"SET", "a", "1"}) + "*2\r\n+oops\r\n" + test::encode({"SET", "b", "2"}));
    Harness h;
    auto result = replay(h, dir.file("a.aof"));
    EXPECT_FALSE(result.ok);
    EXPECT_NE(result.error.find("bad AOF format at offset 27"), std::string::npos) << result.error;
}

TEST(AofLoader, UnfinishedMultiIsDroppedEntirely) {
    TempDir dir;
    std::string head = test::encode({"SET", "a", "1"});
    spit(dir.file("a.aof"), head + test::encode({"MULTI"}) + test::encode({"SET", "b", "2"}));
    Harness h;
    auto result = replay(h, dir.file("a.aof"));
    ASSERT_TRUE(result.ok);
    EXPECT_TRUE(result.truncated);
    EXPECT_EQ(slurp(dir.file("a.aof")), head);
    EXPECT_EQ(h.run({"EXISTS", "b"}), ":0\r\n");
}

TEST(AofLoader, TrailingZerosAreATornTail) {
    TempDir dir;
    std::string head = test::encode({"SET", "a", "1"});
    spit(dir.file("a.aof"), head + std::string(100, '\0'));
    Harness h;
    auto result = replay(h, dir.file("a.aof"));
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(slurp(dir.file("a.aof")), head);
}

// What the server writes is what it reads back: run commands with the AOF on, replay the file
// into a fresh server, compare every key.
TEST(Aof, WrittenFileReplaysToTheSameDataset) {
    TempDir dir;
    Harness h(test::test_config({{"dir", dir.path}, {"appendonly", "yes"}, {"appendfsync", "always"}}));
    ASSERT_EQ(h.state.load_data(), "");
    h.run({"SET", "k", "v", "EX", "1000"});  // logged with an absolute PXAT deadline
    h.run({"INCRBYFLOAT", "f", "0.1"});
    h.run({"RPUSH", "q", "a", "b"});
    h.run({"SELECT", "2"});
    h.run({"SADD", "s", "x", "y", "z"});
    h.run({"SPOP", "s"});  // logged as the SREM of what was popped
    h.run({"MULTI"});
    h.run({"INCR", "c"});
    h.run({"INCR", "c"});
    h.run({"EXEC"});
    h.clock.advance_ms(400'000);  // replay later: the TTL must not restart
    std::string aof = slurp(dir.file("appendonly.aof"));
    EXPECT_NE(aof.find("PXAT"), std::string::npos);
    EXPECT_NE(aof.find("MULTI"), std::string::npos);

    Harness fresh(test::test_config({{"dir", dir.path}, {"appendonly", "yes"}}));
    fresh.clock.set_ms(h.clock.now_ms());
    ASSERT_EQ(fresh.state.load_data(), "");
    EXPECT_EQ(fresh.run({"TTL", "k"}), ":600\r\n");
    EXPECT_EQ(fresh.run({"GET", "f"}), "$3\r\n0.1\r\n");
    fresh.run({"SELECT", "2"});
    h.run({"SELECT", "2"});
    EXPECT_EQ(fresh.run({"SCARD", "s"}), ":2\r\n");
    EXPECT_EQ(fresh.run({"SMISMEMBER", "s", "x", "y", "z"}), h.run({"SMISMEMBER", "s", "x", "y", "z"}));
    EXPECT_EQ(fresh.run({"GET", "c"}), "$1\r\n2\r\n");
}

}  // namespace
