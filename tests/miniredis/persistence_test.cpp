// Snapshots and the AOF on disk: round trips, checksums, torn tails, garbage, MULTI blocks - the
// recovery rules, tested on real files in a temp directory (no server process).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "storage/aof_loader.hpp"
#include "storage/repair.hpp"
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
    EXPECT_EQ(save_snapshot(h.state.databases, h.clock.now_ms(), dir.file("dump.rdb")), "");
    for (auto& entry : std::filesystem::directory_iterator(dir.path))
        EXPECT_EQ(entry.path().filename(), "dump.rdb");  // no temp file left behind
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
    EXPECT_NE(result.error.find("corrupt at byte 27: bad AOF format"), std::string::npos) << result.error;
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

// Five commands; the flips below land in the third, so whole commands follow every one of them.
struct FiveCommands {
    std::vector<std::string> commands;
    std::string bytes;
    size_t third = 0;  // offset of the third command
    FiveCommands() {
        std::string value(100, 'v');  // "$100": a flip to "$900" asks for more than the whole rest
        for (int i = 0; i < 5; ++i) commands.push_back(test::encode({"SET", test::numbered("key", i), value}));
        for (size_t i = 0; i < commands.size(); ++i) {
            if (i == 2) third = bytes.size();
            bytes += commands[i];
        }
    }
};

// A flipped byte in the middle of the AOF: refused, naming the file and the damaged command's
// first byte, and the file is left exactly as it was. The sly case is a length digit turned into
// a larger one: the parser only says "incomplete" - it would wait for bytes until the end of the
// file - and only the whole commands after it show that this is no torn tail.
TEST(AofLoader, AFlipInTheMiddleRefusesNamingFileAndOffset) {
    FiveCommands aof;
    // The third command is *3\r\n$3\r\nSET\r\n$4\r\nkey2\r\n$100\r\nvvv...\r\n; `at` counts from its '*'.
    struct Case {
        const char* what;
        size_t at;
        char was, becomes;
    };
    const Case cases[] = {
        {"bulk length digit, larger", 24, '1', '9'},        // "$900": more bytes than the rest of the file
        {"bulk length digit, larger, fits", 24, '1', '2'},  // "$200": would swallow the next command
        {"bulk length digit, smaller", 14, '4', '2'},       // "$2": "ke", then no CRLF
        {"array length digit", 1, '3', '7'},                // 7 arguments: the next '*' is no '$'
        {"the CR of a length line", 15, '\r', 'x'},         // "$4x\n": no number
        {"the '$' of an argument", 13, '$', '%'},           // an array of bulk strings only
        {"the '*' of the command", 0, '*', '+'},            // not a RESP array at all
    };
    for (const Case& c : cases) {
        TempDir dir;
        std::string bytes = aof.bytes;
        ASSERT_EQ(bytes[aof.third + c.at], c.was) << c.what;
        bytes[aof.third + c.at] = c.becomes;
        spit(dir.file("a.aof"), bytes);
        Harness h;
        auto result = replay(h, dir.file("a.aof"));
        EXPECT_FALSE(result.ok) << c.what << ": loaded " << result.commands << " commands";
        EXPECT_NE(result.error.find(dir.file("a.aof") + ": corrupt at byte " + std::to_string(aof.third) + ":"),
                  std::string::npos)
            << c.what << ": " << result.error;
        EXPECT_NE(result.error.find("--repair"), std::string::npos) << result.error;
        EXPECT_EQ(slurp(dir.file("a.aof")), bytes) << c.what << ": the file was changed";
    }
}

// The same larger length digit in the *last* command: nothing follows it, so nothing tells it
// from a crash's torn write - a torn tail, cut off (as Redis does).
TEST(AofLoader, ALargerLengthInTheLastCommandIsATornTail) {
    FiveCommands aof;
    std::string bytes = aof.bytes;
    bytes[bytes.rfind("$100") + 1] = '9';
    TempDir dir;
    spit(dir.file("a.aof"), bytes);
    Harness h;
    auto result = replay(h, dir.file("a.aof"));
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_TRUE(result.truncated);
    EXPECT_EQ(result.commands, 4u);
}

// --repair: a backup first, then the cut at the damaged command; a normal load then keeps all
// commands before it. A second repair never overwrites the first backup.
TEST(AofLoader, RepairCutsAtTheFirstBadByteAndKeepsABackup) {
    FiveCommands aof;
    TempDir dir;
    std::string bytes = aof.bytes;
    bytes[bytes.find("$100", aof.third) + 1] = '9';
    spit(dir.file("a.aof"), bytes);
    RepairOutcome r = repair_aof(dir.file("a.aof"), 16);
    EXPECT_TRUE(r.damaged && r.repaired);
    EXPECT_EQ(r.offset, aof.third);
    EXPECT_EQ(r.bytes_cut, bytes.size() - aof.third);
    EXPECT_EQ(r.records_cut, 2u);  // the fourth and fifth: the third is the damaged one
    EXPECT_EQ(slurp(dir.file("a.aof.corrupt")), bytes);
    EXPECT_EQ(slurp(dir.file("a.aof")), bytes.substr(0, aof.third));
    Harness h;
    auto result = replay(h, dir.file("a.aof"));
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_FALSE(result.truncated);
    EXPECT_EQ(result.commands, 2u);
    EXPECT_EQ(h.run({"STRLEN", "key1"}), ":100\r\n");
    EXPECT_FALSE(repair_aof(dir.file("a.aof"), 16).damaged);  // clean now: left alone

    spit(dir.file("a.aof"), bytes);
    EXPECT_EQ(repair_aof(dir.file("a.aof"), 16).backup, dir.file("a.aof.corrupt.1"));
    EXPECT_EQ(slurp(dir.file("a.aof.corrupt")), bytes);
}

// The snapshot: a flip anywhere is refused by the server with the file and a byte offset; --repair
// keeps what still decodes.
TEST(Snapshot, AFlipRefusesTheStartNamingFileAndOffset) {
    TempDir dir;
    Harness h;
    for (int i = 0; i < 20; ++i) h.run({"SET", test::numbered("k", i), "some value"});
    ASSERT_EQ(save_snapshot(h.state.databases, h.clock.now_ms(), dir.file("dump.rdb")), "");
    const std::string good = slurp(dir.file("dump.rdb"));
    for (size_t pos : {size_t{3}, size_t{10}, good.size() / 2, good.size() - 2}) {
        std::string bytes = good;
        bytes[pos] ^= 0x20;
        spit(dir.file("dump.rdb"), bytes);
        Harness fresh(test::test_config({{"dir", dir.path}}));
        std::string error = fresh.state.load_data();
        EXPECT_NE(error.find(dir.file("dump.rdb") + ": corrupt at byte "), std::string::npos) << pos << ": " << error;
        EXPECT_NE(error.find("--repair"), std::string::npos) << error;
        EXPECT_EQ(slurp(dir.file("dump.rdb")), bytes);
    }
}

TEST(Snapshot, RepairKeepsTheKeysThatStillDecode) {
    TempDir dir;
    Harness h;
    for (int i = 0; i < 20; ++i) h.run({"SET", test::numbered("k", i), "some value"});
    ASSERT_EQ(save_snapshot(h.state.databases, h.clock.now_ms(), dir.file("dump.rdb")), "");
    std::string bytes = slurp(dir.file("dump.rdb"));
    bytes[bytes.find("some value")] = 'S';  // inside a value: only the checksum notices
    spit(dir.file("dump.rdb"), bytes);
    RepairOutcome r = repair_snapshot(dir.file("dump.rdb"), 16);
    EXPECT_TRUE(r.damaged && r.repaired);
    EXPECT_EQ(slurp(dir.file("dump.rdb.corrupt")), bytes);
    Harness fresh(test::test_config({{"dir", dir.path}}));
    ASSERT_EQ(fresh.state.load_data(), "");
    EXPECT_EQ(fresh.run({"DBSIZE"}), ":20\r\n");

    spit(dir.file("dump.rdb"), bytes.substr(0, bytes.size() / 2));  // half of it: keys before the cut
    r = repair_snapshot(dir.file("dump.rdb"), 16);
    EXPECT_TRUE(r.repaired);
    Harness half(test::test_config({{"dir", dir.path}}));
    ASSERT_EQ(half.state.load_data(), "");
    EXPECT_GT(half.state.db(0).size(), 5u);
    EXPECT_LT(half.state.db(0).size(), 20u);
}

// A rewrite killed with the server leaves temp-rewriteaof-bg-<pid>.aof; the next start removes
// it (and a killed save's temp snapshot), and nothing else.
TEST(Aof, StaleTempFilesAreRemovedAtStart) {
    TempDir dir;
    for (const char* name : {"temp-rewriteaof-bg-4242.aof", "dump.rdb.tmp-77", "appendonly.aof.tmp-78", "notes.txt"})
        spit(dir.file(name), "partial");
    Harness h(test::test_config({{"dir", dir.path}, {"appendonly", "yes"}}));
    ASSERT_EQ(h.state.load_data(), "");
    std::vector<std::string> left;
    for (auto& entry : std::filesystem::directory_iterator(dir.path)) left.push_back(entry.path().filename());
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{"appendonly.aof", "notes.txt"}));
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

namespace {

// --trace's group commit line (issue 22): the writes of every client served in one event-loop turn
// share one AOF write, and the line says how many commands from how many clients it covered.
TEST(Aof, TraceCountsTheCommandsAndClientsOneWriteCovers) {
    TempDir dir;
    Harness h(
        test::test_config({{"dir", dir.path}, {"appendonly", "yes"}, {"appendfsync", "always"}, {"trace", "yes"}}));
    ASSERT_EQ(h.state.load_data(), "");
    std::vector<std::string> lines;
    h.state.trace = [&](std::string_view line) { lines.emplace_back(line); };
    Client& a = h.connect();
    Client& b = h.connect();
    // One turn: both clients' input is handled, then before_sleep writes once.
    a.in.append(test::encode({"SET", "x", "1"}) + test::encode({"INCR", "n"}));
    b.in.append(test::encode({"RPUSH", "q", "j"}) + test::encode({"GET", "x"}));
    h.state.process_input(a);
    h.state.process_input(b);
    h.state.before_sleep();
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[4].rfind("aof write commands=3 clients=2 bytes=", 0), 0u) << lines[4];
    EXPECT_NE(lines[4].find("-> write() -> fdatasync (appendfsync always) -> replies released"), std::string::npos);
    // The next turn starts counting from zero.
    h.run(a, {"SET", "y", "2"});
    ASSERT_EQ(lines.size(), 7u);
    EXPECT_EQ(lines[6].rfind("aof write commands=1 clients=1 ", 0), 0u) << lines[6];
}

}  // namespace
