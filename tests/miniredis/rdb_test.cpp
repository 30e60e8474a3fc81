// Redis's RDB format, piece by piece (issue 21): the CRC-64 check value, LZF round trips and its
// refusal of malformed input, listpack and intset encodings at every width boundary, ziplists as
// Redis 6 wrote them, and the loader's rules - every type and encoding round-trips, a damaged or
// truncated file is refused with the byte offset and nothing half-loaded, an unknown type names
// itself. (tests/miniredis/rdb_interop_test.py checks the same bytes against redis-server.)
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "harness.hpp"
#include "storage/crc64.hpp"
#include "storage/intset.hpp"
#include "storage/listpack.hpp"
#include "storage/lzf.hpp"
#include "storage/rdb_format.hpp"
#include "storage/rdb_loader.hpp"
#include "storage/rdb_writer.hpp"
#include "storage/ziplist.hpp"

using namespace miniredis;
using miniredis::test::Harness;

namespace {

TEST(Crc64, JonesCheckValue) {
    EXPECT_EQ(crc64(0, "123456789"), 0xe9c6d914c4b8d9caULL);
    // Continuing over pieces is the same as one pass (the writer feeds it chunk by chunk).
    EXPECT_EQ(crc64(crc64(0, "1234"), "56789"), 0xe9c6d914c4b8d9caULL);
    EXPECT_EQ(crc64(0, ""), 0u);
    // Eight bytes at a time and one at a time agree, at every split of a longer input.
    const std::string text = "The quick brown fox jumps over the lazy dog, 0123456789.";
    uint64_t whole = crc64(0, text);
    for (size_t cut = 0; cut <= text.size(); ++cut)
        EXPECT_EQ(crc64(crc64(0, std::string_view(text).substr(0, cut)), std::string_view(text).substr(cut)), whole);
}

std::string pseudo_random(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
}

TEST(Lzf, RoundTripsWhatItCompresses) {
    std::string repeated;
    for (int i = 0; i < 2000; ++i) repeated.append("item:").append(std::to_string(i % 37)).append(",");
    const std::string inputs[] = {
        std::string(10000, 'a'),  // one byte repeated: overlapping copies
        repeated,                 // text with repeats
        pseudo_random(1000, 1) + pseudo_random(1000, 1) + pseudo_random(1000, 1),  // repeats 1000 bytes back
        pseudo_random(50, 2) + std::string(300, 'x') + pseudo_random(50, 3),       // long matches (> 264)
    };
    for (const std::string& in : inputs) {
        auto packed = lzf_compress(in);
        ASSERT_TRUE(packed) << in.size();
        EXPECT_LT(packed->size(), in.size() - 4);
        auto out = lzf_decompress(*packed, in.size());
        ASSERT_TRUE(out);
        EXPECT_EQ(*out, in);
    }
}

TEST(Lzf, GivesUpWhenItDoesNotSave) {
    EXPECT_FALSE(lzf_compress(pseudo_random(1000, 4)));
    EXPECT_FALSE(lzf_compress("abcd"));
}

TEST(Lzf, RefusesMalformedInput) {
    std::string in(500, 'z');
    std::string packed = *lzf_compress(in);
    EXPECT_FALSE(lzf_decompress(packed, in.size() + 1));  // a different length
    EXPECT_FALSE(lzf_decompress(packed, in.size() - 1));
    EXPECT_FALSE(lzf_decompress("\x20\x05", 10));  // a reference before the start
    EXPECT_FALSE(
        lzf_decompress("\x05"
                       "ab",
                       6));  // a literal run past the end of the input
    for (size_t cut = 0; cut < packed.size(); ++cut) EXPECT_FALSE(lzf_decompress(packed.substr(0, cut), in.size()));
}

TEST(Listpack, RoundTripsEveryEncoding) {
    // Each integer width at both edges, strings at each length class edge, non-canonical numbers.
    std::vector<std::string> elements = {"0",
                                         "127",
                                         "128",
                                         "-1",
                                         "-4096",
                                         "4095",
                                         "4096",
                                         "-4097",
                                         "32767",
                                         "-32768",
                                         "32768",
                                         "8388607",
                                         "-8388608",
                                         "8388608",
                                         "2147483647",
                                         "-2147483648",
                                         "2147483648",
                                         "9223372036854775807",
                                         "-9223372036854775808",
                                         "007",
                                         "+1",
                                         "-0",
                                         "",
                                         std::string(63, 'a'),
                                         std::string(64, 'b'),
                                         std::string(4095, 'c'),
                                         std::string(4096, 'd'),
                                         std::string(16378, 'e')};  // entry of 16383 bytes: 3-byte backlen
    ListpackWriter lp;
    for (const std::string& e : elements) lp.append(e);
    std::string blob = lp.finish();
    std::vector<std::string> out;
    ASSERT_TRUE(listpack_decode(blob, out));
    EXPECT_EQ(out, elements);
    // The header: total bytes and count, little-endian; the end byte.
    uint32_t total;
    std::memcpy(&total, blob.data(), 4);
    EXPECT_EQ(total, blob.size());
    EXPECT_EQ(static_cast<uint8_t>(blob[4]) | (static_cast<uint8_t>(blob[5]) << 8), elements.size());
    EXPECT_EQ(static_cast<uint8_t>(blob.back()), 0xFF);
}

TEST(Listpack, KnownBytes) {
    // From the listpack specification's encodings: 7-bit uint, 6-bit string, 13-bit int.
    ListpackWriter lp;
    lp.append("5");
    lp.append("hi");
    lp.append("-1000");
    std::string blob = lp.finish();
    // total 16 bytes, 3 elements | 05 +backlen 1 | 82 'h' 'i' +3 | -1000 = 0x1C18 in 13 bits +2 | end
    const unsigned char expected[] = {0x10, 0, 0, 0, 3, 0, 0x05, 0x01, 0x82, 'h', 'i', 0x03, 0xDC, 0x18, 0x02, 0xFF};
    EXPECT_EQ(blob, std::string(reinterpret_cast<const char*>(expected), sizeof expected));
    std::vector<std::string> out;
    ASSERT_TRUE(listpack_decode(blob, out));
    EXPECT_EQ(out, (std::vector<std::string>{"5", "hi", "-1000"}));
}

TEST(Listpack, RefusesDamage) {
    ListpackWriter lp;
    for (int i = 0; i < 20; ++i) lp.append(test::numbered("element-", i));
    const std::string blob = lp.finish();
    for (size_t cut = 0; cut < blob.size(); ++cut) {
        std::vector<std::string> out;
        EXPECT_FALSE(listpack_decode(blob.substr(0, cut), out)) << cut;
    }
    std::string wrong_count = blob;
    wrong_count[4] = 19;
    std::vector<std::string> out;
    EXPECT_FALSE(listpack_decode(wrong_count, out));
    std::string wrong_backlen = blob;
    wrong_backlen[6 + 10] ^= 1;  // the first entry is 0x89 + 9 bytes, then its backlen
    EXPECT_FALSE(listpack_decode(wrong_backlen, out));
}

TEST(Intset, RoundTripsAtEachWidth) {
    for (const std::vector<int64_t>& values :
         {std::vector<int64_t>{-5, 1, 300}, {-70000, 2, 70000}, {INT64_MIN, 0, INT64_MAX}}) {
        std::string blob = intset_encode(values);
        std::vector<int64_t> out;
        ASSERT_TRUE(intset_decode(blob, out));
        EXPECT_EQ(out, values);
    }
    EXPECT_EQ(intset_encode({1, 2}).size(), 8u + 2 * 2);  // the narrowest width that fits
    std::vector<int64_t> out;
    EXPECT_FALSE(intset_decode(intset_encode({3, 2}), out)) << "not sorted";
    EXPECT_FALSE(intset_decode(intset_encode({1, 2}).substr(0, 11), out)) << "short";
}

TEST(Ziplist, DecodesRedis6Bytes) {
    // A ziplist as Redis 6 wrote it for RPUSH l a 7 -2 1000 "long...": prevlen, encoding, data.
    std::string zl;
    auto u32 = [&](uint32_t v) { zl.append(reinterpret_cast<const char*>(&v), 4); };
    u32(0), u32(0), zl.append("\x05\x00", 2);
    zl.append(
        "\x00\x01"
        "a",
        3);                            // string of 1
    zl.append("\x03\xf8", 2);          // 7 as an immediate (0xF1 + 7)
    zl.append("\x02\xfe\xfe", 3);      // -2 as int8
    zl.append("\x03\xc0\xe8\x03", 4);  // 1000 as int16
    zl.append("\x04\x40\x41", 3);      // a 65-byte string: 14-bit length
    zl.append(65, 'x');
    zl.push_back('\xff');
    uint32_t total = static_cast<uint32_t>(zl.size());
    std::memcpy(zl.data(), &total, 4);
    std::vector<std::string> out;
    ASSERT_TRUE(ziplist_decode(zl, out));
    EXPECT_EQ(out, (std::vector<std::string>{"a", "7", "-2", "1000", std::string(65, 'x')}));
    out.clear();
    EXPECT_FALSE(ziplist_decode(zl.substr(0, zl.size() - 3), out));
}

// A harness filled with every type at both sides of each encoding boundary.
void fill(Harness& h) {
    h.run({"SET", "int", "-129"});
    h.run({"SET", "big-int", "9223372036854775807"});
    h.run({"SET", "long", std::string(3000, 'q')});
    h.run({"SET", "ttl", "v", "PX", "500000"});
    h.run({"RPUSH", "list", "a", "1", std::string(9000, 'z'), "b"});
    h.run({"HSET", "hash", "f", "v"});
    h.run({"HSET", "hash-big", "f", std::string(65, 'v')});
    h.run({"SADD", "intset", "1", "-70000", "5000000000"});
    h.run({"SADD", "set", "x", "1"});
    h.run({"ZADD", "zset", "1.5", "a", "-2", "b", "inf", "c"});
    h.run({"ZADD", "zset-big", "3", std::string(65, 'm')});
    h.run({"XADD", "stream", "1-1", "f", "v"});
    h.run({"XADD", "stream", "1-2", "f", "w", "g", "x"});
    h.run({"XGROUP", "CREATE", "stream", "grp", "0"});
    h.run({"XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "stream", ">"});
    h.run({"SELECT", "7"});
    h.run({"SET", "in7", "seven"});
    h.run({"SELECT", "0"});
}

std::string rdb_of(Harness& h) {
    std::string bytes;
    StringSink sink(bytes);
    RdbOptions options;
    options.now_ms = h.clock.now_ms();
    write_rdb(h.state.databases, options, sink);
    return bytes;
}

TEST(Rdb, EveryTypeRoundTrips) {
    Harness h;
    fill(h);
    std::string bytes = rdb_of(h);
    ASSERT_TRUE(bytes.starts_with("REDIS0010"));
    Harness loaded;
    loaded.clock.set_ms(h.clock.now_ms());
    RdbLoadResult r = load_rdb(bytes, loaded.state.databases);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.consumed, bytes.size());
    EXPECT_EQ(r.keys, 13u);
    for (auto cmd : std::vector<std::vector<std::string>>{{"GET", "int"},
                                                          {"GET", "big-int"},
                                                          {"GET", "long"},
                                                          {"PTTL", "ttl"},
                                                          {"LRANGE", "list", "0", "-1"},
                                                          {"HGETALL", "hash"},
                                                          {"HGETALL", "hash-big"},
                                                          {"SMISMEMBER", "intset", "1", "-70000", "5000000000", "2"},
                                                          {"SCARD", "intset"},
                                                          {"SMISMEMBER", "set", "x", "1", "y"},
                                                          {"ZRANGE", "zset", "0", "-1", "WITHSCORES"},
                                                          {"ZRANGE", "zset-big", "0", "-1", "WITHSCORES"},
                                                          {"XRANGE", "stream", "-", "+"},
                                                          {"XPENDING", "stream", "grp"},
                                                          {"OBJECT", "ENCODING", "intset"}}) {
        std::string resp = std::string("*").append(std::to_string(cmd.size())).append("\r\n");
        for (const std::string& a : cmd)
            resp.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
        EXPECT_EQ(loaded.send_raw(loaded.default_client(), resp), h.send_raw(h.default_client(), resp))
            << cmd[0] << " " << cmd[1];
    }
    loaded.run({"SELECT", "7"});
    EXPECT_EQ(loaded.run({"GET", "in7"}), "$5\r\nseven\r\n");
}

// What a replica's sender sees: the same bytes, delivered in pieces.
TEST(Rdb, AnySinkGetsTheSameBytes) {
    struct Chunks : RdbSink {
        std::vector<std::string> pieces;
        void write(std::string_view b) override { pieces.emplace_back(b); }
    } chunks;
    Harness h;
    for (int i = 0; i < 5000; ++i) h.run({"SET", test::numbered("key:", i), std::string(40, 'v')});
    RdbOptions options;
    options.now_ms = h.clock.now_ms();  // as rdb_of: the same ctime
    write_rdb(h.state.databases, options, chunks);
    EXPECT_GT(chunks.pieces.size(), 2u);
    std::string joined;
    for (auto& p : chunks.pieces) joined += p;
    EXPECT_TRUE(joined == rdb_of(h));  // (not EXPECT_EQ: a mismatch would print 300 KB)
}

TEST(Rdb, TruncatedFilesAreRefusedWithTheOffsetAndNothingLoaded) {
    Harness h;
    fill(h);
    std::string bytes = rdb_of(h);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        Harness target;
        RdbLoadResult r = load_rdb(std::string_view(bytes).substr(0, cut), target.state.databases);
        ASSERT_FALSE(r.ok) << cut;
        EXPECT_LE(r.error_offset, cut);
        EXPECT_TRUE(
            r.error.starts_with(test::numbered("corrupt at byte ", static_cast<long>(r.error_offset)).append(": ")))
            << r.error;
        EXPECT_EQ(target.state.db(0).size(), 0u) << "nothing is half-loaded";
    }
}

TEST(Rdb, FlippedBytesAreRefusedAndNothingLoaded) {
    Harness h;
    fill(h);
    std::string bytes = rdb_of(h);
    for (size_t pos = 0; pos < bytes.size(); ++pos) {
        std::string flipped = bytes;
        flipped[pos] = static_cast<char>(flipped[pos] ^ 0x01);
        Harness target;
        RdbLoadResult r = load_rdb(flipped, target.state.databases);
        EXPECT_FALSE(r.ok) << "flip at " << pos;
        EXPECT_EQ(target.state.db(0).size(), 0u);
    }
    // A flip inside a value parses: only the checksum notices, and says where the checksum is.
    std::string flipped = bytes;
    size_t at = flipped.find("seven");
    flipped[at] = 'S';
    Harness target;
    RdbLoadResult r = load_rdb(flipped, target.state.databases);
    EXPECT_NE(r.error.find("checksum mismatch"), std::string::npos) << r.error;
    EXPECT_EQ(r.error_offset, bytes.size() - 8);
}

// A file whose checksum is right but whose bytes are not (what a buggy writer, or a master that
// sends garbage, produces): every flip, with the CRC recomputed, is parsed without a crash (the
// sanitizer build watches) and is either refused with nothing loaded or loads whole.
TEST(Rdb, DamageBehindAValidChecksumNeverCrashes) {
    Harness h;
    fill(h);
    const std::string bytes = rdb_of(h);
    size_t refused = 0;
    for (size_t pos = 9; pos < bytes.size() - 9; ++pos) {
        for (uint8_t mask : {0x01, 0xFF}) {
            std::string flipped = bytes;
            flipped[pos] = static_cast<char>(flipped[pos] ^ mask);
            uint64_t crc = crc64(0, std::string_view(flipped).substr(0, flipped.size() - 8));
            for (int i = 0; i < 8; ++i) flipped[flipped.size() - 8 + i] = static_cast<char>(crc >> (8 * i));
            Harness target;
            RdbLoadResult r = load_rdb(flipped, target.state.databases);
            if (!r.ok) {
                ++refused;
                EXPECT_EQ(target.state.db(0).size(), 0u);
            }
        }
    }
    EXPECT_GT(refused, 0u);
}

TEST(Rdb, ChecksumZeroMeansNotComputed) {
    Harness h;
    h.run({"SET", "k", "v"});
    std::string bytes = rdb_of(h);
    bytes.replace(bytes.size() - 8, 8, std::string(8, '\0'));  // redis.conf: rdbchecksum no
    Harness target;
    EXPECT_TRUE(load_rdb(bytes, target.state.databases).ok);
}

TEST(Rdb, UnknownTypeIsNamedWithItsOffset) {
    // REDIS0010, then type 42 - no such type - for key "k".
    std::string bytes = "REDIS0010";
    bytes += static_cast<char>(42);
    bytes += "\x01k";
    Harness target;
    RdbLoadResult r = load_rdb(bytes, target.state.databases);
    EXPECT_EQ(r.error, "corrupt at byte 9: unknown value type 42");
    EXPECT_FALSE(load_rdb("REDIS0012", target.state.databases).ok) << "a version from the future";
    EXPECT_EQ(load_rdb("MINIREDIS\x01", target.state.databases).error_offset, 0u);
}

// With a valid checksum: SELECTDB 0, then keys x10..x19 four times over - a file no writer produces.
TEST(Rdb, ADuplicateKeyIsRefusedWhereItsSecondCopyStarts) {
    std::string bytes = "REDIS0010";
    bytes.append("\xFE\x00", 2);
    for (int i = 0; i < 40; ++i) bytes.append("\x00\x03", 2).append(test::numbered("x", i % 10 + 10)).append("\x01v");
    bytes.push_back('\xFF');
    uint64_t crc = crc64(0, bytes);
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(crc >> (8 * i)));
    Harness target;
    RdbLoadResult r = load_rdb(bytes, target.state.databases);
    EXPECT_EQ(r.error, "corrupt at byte 81: the key 'x10' appears twice");  // 9 + 2 + 10 records of 7 bytes
    EXPECT_EQ(target.state.db(0).size(), 0u);
}

TEST(Rdb, ExpiredKeysAreNotWritten) {
    Harness h;
    h.run({"SET", "gone", "v", "PX", "10"});
    h.run({"SET", "kept", "v"});
    h.clock.advance_ms(20);
    Harness loaded;
    RdbLoadResult r = load_rdb(rdb_of(h), loaded.state.databases);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.keys, 1u);
}

}  // namespace

// --- RdbStreamLoader: the same file, fed as a replica receives it (repl-diskless-load) ---------

namespace {
RdbLoadResult stream_load(std::string_view bytes, size_t chunk, std::vector<Database>& databases) {
    RdbStreamLoader loader(databases);
    for (size_t at = 0; at < bytes.size(); at += chunk)
        if (!loader.feed(bytes.substr(at, chunk))) break;
    RdbLoadResult r = loader.finish();
    if (r.ok) loader.commit(databases);
    return r;
}
}  // namespace

TEST(RdbStream, AnyChunkingLoadsTheSameDataset) {
    Harness h;
    fill(h);
    for (int i = 0; i < 300; ++i) h.run({"RPUSH", "long-list", std::string(100, static_cast<char>('a' + i % 26))});
    std::string bytes = rdb_of(h);
    Harness whole;  // what load_rdb makes of it: the streamed loads must write the same file back
    whole.clock.set_ms(h.clock.now_ms());
    ASSERT_TRUE(load_rdb(bytes, whole.state.databases).ok);
    const std::string expected = rdb_of(whole);
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{7}, size_t{100}, size_t{4096}, bytes.size()}) {
        Harness loaded;
        loaded.clock.set_ms(h.clock.now_ms());
        RdbLoadResult r = stream_load(bytes, chunk, loaded.state.databases);
        ASSERT_TRUE(r.ok) << chunk << ": " << r.error;
        EXPECT_EQ(r.consumed, bytes.size());
        EXPECT_TRUE(rdb_of(loaded) == expected) << "chunks of " << chunk << " load a different dataset";
        ASSERT_GE(r.aux.size(), 4u);
        EXPECT_EQ(r.aux[0].first, "redis-ver");
    }
}

TEST(RdbStream, EveryCutIsRefusedAndNothingLoaded) {
    Harness h;
    fill(h);
    std::string bytes = rdb_of(h);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        Harness target;
        RdbLoadResult r = stream_load(std::string_view(bytes).substr(0, cut), 5, target.state.databases);
        ASSERT_FALSE(r.ok) << cut;
        EXPECT_LE(r.error_offset, cut);
        EXPECT_EQ(target.state.db(0).size(), 0u) << "nothing is half-loaded";
    }
    Harness target;
    EXPECT_EQ(
        stream_load(bytes + "x", 64, target.state.databases).error,
        test::numbered("corrupt at byte ", static_cast<long>(bytes.size())) + ": bytes after the end of the file");
}

// A corrupt record is refused when it arrives - the rest of the transfer need not come.
TEST(RdbStream, CorruptionIsFoundAsItArrives) {
    std::string bytes = "REDIS0010";
    bytes.append("\x00\x01k\x01v", 5);  // a good key
    Harness target;
    RdbStreamLoader loader(target.state.databases);
    EXPECT_TRUE(loader.feed(bytes));
    std::string bad(1, static_cast<char>(42));  // no such type, for key "k2"
    bad += "\x02k2";
    EXPECT_FALSE(loader.feed(bad));
    EXPECT_EQ(loader.finish().error, "corrupt at byte 14: unknown value type 42");
    // Duplicates and checksums: the same answers as load_rdb, wherever the chunks fall.
    std::string dup = "REDIS0010";
    dup.append("\xFE\x00", 2);
    for (int i = 0; i < 40; ++i) dup.append("\x00\x03", 2).append(test::numbered("x", i % 10 + 10)).append("\x01v");
    dup.push_back('\xFF');
    uint64_t crc = crc64(0, dup);
    for (int i = 0; i < 8; ++i) dup.push_back(static_cast<char>(crc >> (8 * i)));
    EXPECT_EQ(stream_load(dup, 3, target.state.databases).error, "corrupt at byte 81: the key 'x10' appears twice");
    Harness h;
    fill(h);
    std::string good = rdb_of(h);
    good[good.size() - 1] ^= 1;  // the checksum's last byte
    RdbLoadResult r = stream_load(good, 3, target.state.databases);
    EXPECT_TRUE(r.error.find("checksum mismatch") != std::string::npos) << r.error;
    EXPECT_EQ(r.error, load_rdb(good, target.state.databases).error);
    EXPECT_EQ(target.state.db(0).size(), 0u);
}
