// Unit tests for the types hidden in other types: HyperLogLog registers and their sparse and dense
// forms (model/hyperloglog.hpp), bit arithmetic (model/bitops.hpp), geohash scores (model/geohash.hpp).
// Reference values marked "redis-server" were read from Redis 7.0 (PFADD then GET / PFDEBUG GETREG).
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <set>
#include <string>
#include <vector>

#include "model/bitops.hpp"
#include "model/geohash.hpp"
#include "model/hyperloglog.hpp"
#include "model/murmurhash.hpp"

namespace miniredis {
namespace {

std::string from_hex(std::string_view hex) {
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

// --- HyperLogLog ---------------------------------------------------------------------------------

TEST(HyperLogLog, RegistersOfKnownElementsMatchRedis) {
    // redis-server: PFADD h a b c; PFDEBUG GETREG h -> registers 8436=1, 12711=2, 15780=1.
    std::set<std::pair<int, int>> got;
    for (const char* e : {"a", "b", "c"}) {
        hll::Pattern p = hll::pattern_of(e);
        got.insert({p.index, p.count});
    }
    EXPECT_EQ(got, (std::set<std::pair<int, int>>{{8436, 1}, {12711, 2}, {15780, 1}}));
}

TEST(HyperLogLog, SparseBytesMatchRedis) {
    // redis-server: PFADD h a b c; GET h (cache invalid), then after PFCOUNT (cache = 3).
    SmallString h(hll::make_empty());
    for (const char* e : {"a", "b", "c"}) EXPECT_EQ(hll::add(h, e, hll::kDefaultSparseMaxBytes), 1);
    hll::invalidate_cache(h);
    EXPECT_EQ(h.view(), from_hex("48594c4c01000000000000000000008060f38050b1844bfb80425a"));
    auto n = hll::count(h.view());
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 3u);
    hll::store_cache(h, *n);
    EXPECT_EQ(h.view(), from_hex("48594c4c01000000030000000000000060f38050b1844bfb80425a"));
}

TEST(HyperLogLog, EmptyIsOneXzeroAndCountsZero) {
    std::string e = hll::make_empty();
    EXPECT_EQ(e.size(), 18u);
    EXPECT_TRUE(hll::looks_valid(e));
    EXPECT_EQ(hll::encoding(e), hll::kSparse);
    EXPECT_EQ(hll::count(e), 0u);
    EXPECT_EQ(hll::cached(e), 0u);
}

TEST(HyperLogLog, PatternCountStaysWithinQPlusOne) {
    for (int i = 0; i < 100000; ++i) {
        hll::Pattern p = hll::pattern_of(std::to_string(i));
        ASSERT_GE(p.count, 1);
        ASSERT_LE(p.count, hll::kQ + 1);
        ASSERT_GE(p.index, 0);
        ASSERT_LT(p.index, hll::kRegisters);
    }
}

TEST(HyperLogLog, SameElementTwiceChangesNothing) {
    SmallString h(hll::make_empty());
    EXPECT_EQ(hll::add(h, "visitor", hll::kDefaultSparseMaxBytes), 1);
    std::string before(h.view());
    EXPECT_EQ(hll::add(h, "visitor", hll::kDefaultSparseMaxBytes), 0);
    EXPECT_EQ(h.view(), before);
}

TEST(HyperLogLog, PromotedToDenseAtSparseMaxBytesWithSameRegisters) {
    SmallString h(hll::make_empty());
    size_t largest_sparse = 0;
    int i = 0;
    std::vector<uint8_t> sparse_registers(hll::kRegisters, 0);
    for (; hll::encoding(h.view()) == hll::kSparse; ++i) {
        largest_sparse = std::max(largest_sparse, h.size());
        std::fill(sparse_registers.begin(), sparse_registers.end(), 0);
        ASSERT_TRUE(hll::merge_into(h.view(), sparse_registers.data()));
        ASSERT_GE(hll::add(h, std::string("user:").append(std::to_string(i)), hll::kDefaultSparseMaxBytes), 0);
    }
    EXPECT_LE(largest_sparse, hll::kDefaultSparseMaxBytes);
    EXPECT_GT(largest_sparse, hll::kDefaultSparseMaxBytes - 10);  // it really filled up first
    EXPECT_EQ(h.size(), hll::kDenseSize);
    // Every register the sparse form held is in the dense form, plus the one element that overflowed.
    int changed = 0;
    for (int r = 0; r < hll::kRegisters; ++r) {
        uint8_t dense = hll::dense_register(h.view(), r);
        ASSERT_GE(dense, sparse_registers[static_cast<size_t>(r)]);
        changed += dense != sparse_registers[static_cast<size_t>(r)];
    }
    EXPECT_EQ(changed, 1);
}

TEST(HyperLogLog, ToDenseKeepsTheEstimate) {
    SmallString h(hll::make_empty());
    for (int i = 0; i < 500; ++i) hll::add(h, std::to_string(i), hll::kDefaultSparseMaxBytes);
    ASSERT_EQ(hll::encoding(h.view()), hll::kSparse);
    auto sparse = hll::count(h.view());
    ASSERT_TRUE(hll::to_dense(h));
    EXPECT_EQ(hll::encoding(h.view()), hll::kDense);
    EXPECT_EQ(hll::count(h.view()), sparse);
}

TEST(HyperLogLog, ErrorStaysNearPointEightOnePercent) {
    SmallString h(hll::make_empty());
    const int n = 200000;
    for (int i = 0; i < n; ++i) hll::add(h, std::string("e").append(std::to_string(i)), hll::kDefaultSparseMaxBytes);
    double estimate = static_cast<double>(*hll::count(h.view()));
    EXPECT_NEAR(estimate / n, 1.0, 3 * 0.0081);  // three standard errors
}

TEST(HyperLogLog, DenseRegistersDoNotDisturbNeighbours) {
    SmallString h(hll::make_empty());
    ASSERT_TRUE(hll::to_dense(h));
    for (int r : {0, 1, 2, 3, 4, 5, 1000, 16382, 16383}) {
        ASSERT_EQ(hll::set_register(h, r, static_cast<uint8_t>(1 + r % 63), 0), 1);
        EXPECT_EQ(hll::dense_register(h.view(), r), 1 + r % 63);
    }
    EXPECT_EQ(hll::dense_register(h.view(), 6), 0);
    EXPECT_EQ(hll::dense_register(h.view(), 16381), 0);
    EXPECT_EQ(hll::dense_register(h.view(), 3), 4);
}

TEST(HyperLogLog, CorruptDataIsDetectedNotTrusted) {
    std::string e = hll::make_empty();
    EXPECT_FALSE(hll::looks_valid(e.substr(0, 15)));
    std::string bad_magic = e;
    bad_magic[0] = 'X';
    EXPECT_FALSE(hll::looks_valid(bad_magic));
    std::string bad_encoding = e;
    bad_encoding[4] = 2;
    EXPECT_FALSE(hll::looks_valid(bad_encoding));
    std::string short_dense = e;
    short_dense[4] = 0;
    EXPECT_FALSE(hll::looks_valid(short_dense));  // dense must be exactly 12304 bytes
    // Sparse opcodes covering fewer or more than 16384 registers.
    std::string too_few = e.substr(0, 16) + std::string(1, '\x00');  // ZERO of 1
    EXPECT_EQ(hll::count(too_few), std::nullopt);
    std::string too_many = e + std::string(1, '\x00');
    EXPECT_EQ(hll::count(too_many), std::nullopt);
    std::vector<uint8_t> max(hll::kRegisters);
    EXPECT_FALSE(hll::merge_into(too_many, max.data()));
    SmallString s(too_few);
    EXPECT_EQ(hll::add(s, "x", hll::kDefaultSparseMaxBytes), -1);
    SmallString d(too_many);
    EXPECT_FALSE(hll::to_dense(d));
}

TEST(MurmurHash64A, EveryTailLengthMatchesRedis) {
    // redis-server: PFADD of "", "b", "bc", ... "bcd...q" (0..16 bytes: every tail length after
    // the 8-byte words), each alone in a fresh key; PFDEBUG GETREG -> the one non-zero register.
    const std::pair<int, int> redis[] = {{5938, 2},  {15780, 1}, {9406, 2},  {1985, 1},  {4133, 2},  {7643, 1},
                                         {7350, 5},  {12620, 1}, {7466, 2},  {7106, 2},  {11014, 2}, {909, 1},
                                         {14087, 1}, {12327, 1}, {16370, 1}, {10970, 2}, {15047, 4}};
    std::string s;
    for (const auto& [index, count] : redis) {
        hll::Pattern p = hll::pattern_of(s);
        EXPECT_EQ(p.index, index) << "length " << s.size();
        EXPECT_EQ(p.count, count) << "length " << s.size();
        s.push_back(static_cast<char>('a' + s.size() + 1));
    }
}

// --- bits ------------------------------------------------------------------------------------------

TEST(Bits, PopcountMatchesBitByBit) {
    std::string s;
    for (int i = 0; i < 77; ++i) s.push_back(static_cast<char>(i * 37));
    uint64_t naive = 0;
    for (unsigned char c : s)
        for (int b = 0; b < 8; ++b) naive += (c >> b) & 1;
    EXPECT_EQ(bits::popcount(s), naive);
    EXPECT_EQ(bits::popcount(""), 0u);
}

TEST(Bits, FindBitHonoursBitRanges) {
    std::string s("\x00\xff\xf0", 3);
    EXPECT_EQ(bits::find_bit(s, 0, 23, true), 8);
    EXPECT_EQ(bits::find_bit(s, 0, 23, false), 0);
    EXPECT_EQ(bits::find_bit(s, 8, 23, false), 20);
    EXPECT_EQ(bits::find_bit(s, 9, 15, false), -1);
    EXPECT_EQ(bits::find_bit(s, 20, 23, true), -1);
    EXPECT_EQ(bits::find_bit(s, 19, 19, true), 19);
}

TEST(Bits, FieldsAreMostSignificantBitFirst) {
    uint8_t buf[9] = {0};
    bits::set_unsigned(buf, 0, 8, 0x80);
    EXPECT_EQ(buf[0], 0x80);
    bits::set_unsigned(buf, 4, 8, 0xab);  // straddles two bytes
    EXPECT_EQ(buf[0], 0x8a);
    EXPECT_EQ(buf[1], 0xb0);
    EXPECT_EQ(bits::get_unsigned(buf, 4, 8), 0xabu);
    EXPECT_EQ(bits::get_signed(buf, 4, 8), static_cast<int8_t>(0xab));
    bits::set_unsigned(buf, 3, 64, static_cast<uint64_t>(INT64_MIN));
    EXPECT_EQ(bits::get_signed(buf, 3, 64), INT64_MIN);
}

TEST(Bits, OverflowWrapSaturateFail) {
    int64_t l = 0;
    EXPECT_EQ(bits::check_signed(127, 1, 8, bits::Overflow::wrap, l), 1);
    EXPECT_EQ(l, -128);
    EXPECT_EQ(bits::check_signed(127, 1, 8, bits::Overflow::sat, l), 1);
    EXPECT_EQ(l, 127);
    EXPECT_EQ(bits::check_signed(-128, -1, 8, bits::Overflow::sat, l), -1);
    EXPECT_EQ(l, -128);
    EXPECT_EQ(bits::check_signed(100, 27, 8, bits::Overflow::fail, l), 0);
    EXPECT_EQ(bits::check_signed(INT64_MAX, 1, 64, bits::Overflow::wrap, l), 1);
    EXPECT_EQ(l, INT64_MIN);
    uint64_t u = 0;
    EXPECT_EQ(bits::check_unsigned(0, -1, 8, bits::Overflow::wrap, u), 1);
    EXPECT_EQ(u, 255u);
    EXPECT_EQ(bits::check_unsigned(0, -1, 8, bits::Overflow::sat, u), -1);
    EXPECT_EQ(u, 0u);
    EXPECT_EQ(bits::check_unsigned(250, 10, 8, bits::Overflow::sat, u), 1);
    EXPECT_EQ(u, 255u);
    EXPECT_EQ(bits::check_unsigned(static_cast<uint64_t>(-5), 0, 8, bits::Overflow::wrap, u), 1);  // SET u8 -5
    EXPECT_EQ(u, 251u);
}

// --- geohash ---------------------------------------------------------------------------------------
// Reference values from redis-server 7.0: GEOADD Sicily 13.361389 38.115556 Palermo 15.087269
// 37.502669 Catania, then ZSCORE, GEOHASH, GEOPOS, GEODIST.

TEST(Geohash, ScoreInterleavesLikeRedis) {
    EXPECT_EQ(geo::score_of(13.361389, 38.115556), 3479099956230698u);
    EXPECT_EQ(geo::score_of(15.087269, 37.502669), 3479447370796909u);
    // Longitude bits are the odd ones: moving east changes only odd bits of a step-1 hash.
    geo::Hash west, east;
    ASSERT_TRUE(geo::encode({-180, 180}, {-90, 90}, -90, 10, 1, west));
    ASSERT_TRUE(geo::encode({-180, 180}, {-90, 90}, 90, 10, 1, east));
    EXPECT_EQ(west.bits, 0b01u);
    EXPECT_EQ(east.bits, 0b11u);
    geo::Hash out;
    EXPECT_FALSE(geo::encode({-180, 180}, {-90, 90}, 181, 0, 26, out));
}

TEST(Geohash, PositionIsTheCentreOfTheSquare) {
    auto xy = geo::position_of(3479099956230698.0);
    EXPECT_DOUBLE_EQ(xy[0], 13.361389338970184);
    EXPECT_DOUBLE_EQ(xy[1], 38.115556395496299);
    // Within half a square (about 0.3 m) of the input.
    EXPECT_NEAR(xy[0], 13.361389, 360.0 / (1 << 26));
    EXPECT_NEAR(xy[1], 38.115556, 170.1 / (1 << 26));
}

TEST(Geohash, StringAndDistance) {
    EXPECT_EQ(geo::geohash_string(3479099956230698.0), "sqc8b49rny0");
    EXPECT_EQ(geo::geohash_string(3479447370796909.0), "sqdtr74hyu0");
    auto p = geo::position_of(3479099956230698.0), c = geo::position_of(3479447370796909.0);
    EXPECT_NEAR(geo::distance(p[0], p[1], c[0], c[1]), 166274.1516, 0.00005);
    EXPECT_DOUBLE_EQ(geo::distance(p[0], p[1], p[0], p[1]), 0.0);
    EXPECT_DOUBLE_EQ(geo::distance(0, 0, 0, 1), geo::lat_distance(0, 1));  // same meridian shortcut
}

TEST(Geohash, SearchAreaCoversTheCircle) {
    // Every point inside a 100 km circle lies in one of the squares the search scans.
    geo::Shape shape;
    shape.lon = 15;
    shape.lat = 37;
    shape.radius = 100;
    shape.conversion = 1000;
    geo::SearchArea area = geo::search_area(shape);
    for (int i = 0; i < 2000; ++i) {
        double lon = 13.5 + 3.0 * (i % 50) / 50, lat = 36 + 2.0 * (i / 50) / 40;
        double meters;
        if (!geo::inside(shape, lon, lat, meters)) continue;
        uint64_t score = geo::score_of(lon, lat);
        bool covered = false;
        uint64_t min, max;
        geo::score_range(area.centre, min, max);
        covered |= score >= min && score < max;
        for (const geo::Hash& h : area.neighbours) {
            if (h.zero()) continue;
            geo::score_range(h, min, max);
            covered |= score >= min && score < max;
        }
        ASSERT_TRUE(covered) << lon << "," << lat;
    }
}

}  // namespace
}  // namespace miniredis
