// The model's data structures on their own: SmallString, Dict (including SCAN across resizes and
// sampling), the ZSet skiplist against a std::set oracle, and glob matching.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>

#include "harness.hpp"
#include "model/dict.hpp"
#include "model/glob.hpp"
#include "model/memory.hpp"
#include "model/small_string.hpp"
#include "model/zset.hpp"

using namespace miniredis;

namespace {

std::string key(int i) { return std::string("key:").append(std::to_string(i)); }

TEST(SmallString, InlineAndHeapAndGrowth) {
    SmallString s("short");
    EXPECT_FALSE(s.is_heap());
    EXPECT_EQ(s.view(), "short");
    s.assign("exactly twenty-three ch");
    EXPECT_EQ(s.size(), 23u);
    EXPECT_FALSE(s.is_heap());
    s.append("!");
    EXPECT_TRUE(s.is_heap());
    EXPECT_EQ(s.view(), "exactly twenty-three ch!");
    SmallString copy = s;
    SmallString moved = std::move(s);
    EXPECT_EQ(copy.view(), moved.view());
    moved.resize(30);
    EXPECT_EQ(moved.view().substr(24), std::string(6, '\0'));
    moved.assign(moved.view().substr(8, 6));  // assigning from its own bytes
    EXPECT_EQ(moved.view(), "twenty");
    moved.append(moved.view());  // appending its own bytes
    EXPECT_EQ(moved.view(), "twentytwenty");
    std::string binary("a\0b", 3);
    EXPECT_EQ(SmallString(binary).view(), binary);
}

TEST(Dict, InsertFindEraseAndShrink) {
    Dict<SmallString, int> d;
    for (int i = 0; i < 10000; ++i) d.insert(key(i)).first->value = i;
    EXPECT_EQ(d.size(), 10000u);
    EXPECT_GE(d.bucket_count(), 10000u);
    for (int i = 0; i < 10000; ++i) ASSERT_EQ(d.find(key(i))->value, i);
    EXPECT_FALSE(d.insert(key(5)).second);
    for (int i = 0; i < 9990; ++i) ASSERT_TRUE(d.erase(key(i)));
    EXPECT_FALSE(d.erase(key(0)));
    EXPECT_EQ(d.size(), 10u);
    while (d.rehash_steps(100)) {  // what the tick does for an idle table (active rehashing)
    }
    EXPECT_LT(d.bucket_count(), 128u);  // gave the table back
    EXPECT_EQ(d.find(key(9995))->value, 9995);
}

// SCAN's promise: every element present for the whole scan is returned at least once, even when
// the table grows or shrinks between calls.
TEST(Dict, ScanSurvivesResizesBetweenCalls) {
    Dict<SmallString, int> d;
    for (int i = 0; i < 1000; ++i) d.insert(key(i));
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int step = 0;
    do {
        cursor = d.scan(cursor, [&](const auto& e) { seen.insert(std::string(e.key.view())); });
        ++step;
        if (step == 10)
            for (int i = 1000; i < 5000; ++i) d.insert(key(i));  // grow
        if (step == 40)
            for (int i = 1000; i < 5000; ++i) d.erase(key(i));  // shrink again
    } while (cursor != 0);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.count(key(i))) << key(i);
}

TEST(Dict, RandomAndSampleCoverEverything) {
    Dict<SmallString, int> d;
    for (int i = 0; i < 100; ++i) d.insert(key(i));
    Random random(7);
    std::set<std::string> picked;
    for (int i = 0; i < 5000; ++i) picked.insert(std::string(d.random_entry(random)->key.view()));
    EXPECT_EQ(picked.size(), 100u);
    size_t visited = 0;
    d.sample(random, 20, [&](const auto&) { ++visited; });
    EXPECT_EQ(visited, 20u);
}

// Incremental rehash: the insert that outgrows the table only allocates the new one; entries move
// one bucket per later insert/erase (or in rehash_steps from the tick), and every key stays
// findable the whole time - checked against std::map after every operation.
TEST(Dict, RehashesIncrementallyAndStaysConsistent) {
    Dict<SmallString, int> d;
    std::map<std::string, int> oracle;
    for (int i = 0; i < 1024; ++i) d.insert(key(i)).first->value = i, oracle[key(i)] = i;
    while (d.rehash_steps(100)) {  // finish the resize to 1024 buckets, as the tick would
    }
    ASSERT_FALSE(d.rehashing());
    d.insert(key(1024)).first->value = 1024;  // 1025 entries > 1024 buckets: a resize begins...
    oracle[key(1024)] = 1024;
    EXPECT_TRUE(d.rehashing());  // ...but does not finish in this one call
    EXPECT_EQ(d.bucket_count(), 2048u);
    std::mt19937 rng(3);
    int operations_while_rehashing = 0;
    for (int round = 0; round < 20000; ++round) {
        if (d.rehashing()) ++operations_while_rehashing;
        std::string k = key(static_cast<int>(rng() % 3000));
        if (rng() % 3 == 0) {
            ASSERT_EQ(d.erase(k), oracle.erase(k) == 1);
        } else {
            d.insert(k).first->value = round;
            oracle[k] = round;
        }
        if (round % 500 == 0) {
            for (auto& [ok, ov] : oracle) {
                ASSERT_TRUE(d.find(ok) && d.find(ok)->value == ov) << ok;
            }
        }
    }
    EXPECT_GT(operations_while_rehashing, 100);
    ASSERT_EQ(d.size(), oracle.size());
    size_t counted = 0;
    bool all_match = true;
    d.for_each([&](const auto& e) {
        ++counted;
        all_match = all_match && oracle.at(std::string(e.key.view())) == e.value;
    });
    EXPECT_TRUE(all_match);
    EXPECT_EQ(counted, oracle.size());
    while (d.rehash_steps(100)) {
    }
    EXPECT_FALSE(d.rehashing());
    for (auto& [ok, ov] : oracle) ASSERT_EQ(d.find(ok)->value, ov);
}

// SCAN while a rehash is under way (and while steps of it happen between calls): every element
// present for the whole scan is still returned.
TEST(Dict, ScanDuringARehashReturnsEverything) {
    for (int grow_steps : {0, 1, 3}) {
        Dict<SmallString, int> d;
        for (int i = 0; i < 1024; ++i) d.insert(key(i));
        while (d.rehash_steps(100)) {
        }
        d.insert(key(1024));  // the resize to 2048 buckets begins
        ASSERT_TRUE(d.rehashing());
        std::set<std::string> seen;
        uint64_t cursor = 0;
        int extra = 5000;
        do {
            cursor = d.scan(cursor, [&](const auto& e) { seen.insert(std::string(e.key.view())); });
            for (int s = 0; s < grow_steps && extra < 9000; ++s) d.insert(key(extra++));  // steps the rehash, then more
        } while (cursor != 0);
        for (int i = 0; i < 1025; ++i) EXPECT_TRUE(seen.count(key(i))) << key(i) << " steps " << grow_steps;
    }
}

// reserve() (loading a snapshot that says how many keys follow): the table is sized once, in the
// middle of a rehash too, and stays that size although it is still nearly empty.
TEST(Dict, ReserveSizesOnceAndKeepsTheSize) {
    Dict<SmallString, int> d;
    for (int i = 0; i < 65; ++i) d.insert(key(i)).first->value = i;  // a rehash to 128 under way
    ASSERT_TRUE(d.rehashing());
    d.reserve(100000);
    EXPECT_FALSE(d.rehashing());
    EXPECT_EQ(d.bucket_count(), 131072u);
    for (int i = 0; i < 65; ++i) ASSERT_EQ(d.find(key(i))->value, i);
    for (int i = 65; i < 100000; ++i) d.insert(key(i));
    EXPECT_EQ(d.bucket_count(), 131072u);  // no doubling on the way
    EXPECT_FALSE(d.rehashing());
}

// The bucket array is calloc'd (so that a 128 MB table is not zeroed in one stall), which bypasses
// operator new: it must still count in used_memory, or maxmemory and INFO would miss 8 bytes a key.
TEST(Dict, BucketArrayCountsInUsedMemory) {
    size_t before = used_memory();
    {
        Dict<SmallString, int> d;
        d.reserve(1 << 20);  // 2^20 buckets of 8 bytes
        EXPECT_GE(used_memory() - before, size_t{8} << 20);
    }
    EXPECT_LT(used_memory() - before, size_t{1} << 20);  // and given back
}

TEST(Dict, RandomAndSampleSeeBothTablesWhileRehashing) {
    Dict<SmallString, int> d;
    for (int i = 0; i < 64; ++i) d.insert(key(i));
    while (d.rehash_steps(100)) {
    }
    d.insert(key(64));                               // 65 > 64 buckets: a rehash starts
    for (int i = 65; i < 80; ++i) d.insert(key(i));  // 15 buckets moved, the rest still old
    ASSERT_TRUE(d.rehashing());
    Random random(11);
    std::set<std::string> picked;
    for (int i = 0; i < 20000; ++i) picked.insert(std::string(d.random_entry(random)->key.view()));
    EXPECT_EQ(picked.size(), 80u);
    std::set<std::string> sampled;
    for (int i = 0; i < 2000; ++i)
        d.sample(random, 5, [&](const auto& e) { sampled.insert(std::string(e.key.view())); });
    EXPECT_EQ(sampled.size(), 80u);
}

TEST(ZSet, MatchesAnOrderedSetOracle) {
    std::mt19937 rng(1);
    ZSet z;
    std::map<std::string, double> scores;
    auto oracle = [&] {
        std::set<std::pair<double, std::string>> ordered;
        for (auto& [m, s] : scores) ordered.emplace(s, m);
        return std::vector<std::pair<double, std::string>>(ordered.begin(), ordered.end());
    };
    for (int round = 0; round < 3000; ++round) {
        std::string member = miniredis::test::numbered("m", static_cast<long>(rng() % 300));
        if (rng() % 4 == 0) {
            EXPECT_EQ(z.erase(member), scores.erase(member) == 1);
        } else {
            double score = static_cast<double>(rng() % 50);
            bool fresh = !scores.count(member);
            scores[member] = score;
            EXPECT_EQ(z.set(member, score), fresh);
        }
    }
    auto expected = oracle();
    ASSERT_EQ(z.size(), expected.size());
    size_t rank = 0;
    for (auto* n = z.first(); n; n = n->next(), ++rank) {
        ASSERT_EQ(n->score, expected[rank].first);
        ASSERT_EQ(n->member.view(), expected[rank].second);
        ASSERT_EQ(z.rank(n->member), rank);
        ASSERT_EQ(z.at_rank(rank), n);
        ASSERT_EQ(z.rank(n->member, true), expected.size() - 1 - rank);
    }
    // Walking backwards gives the reverse order.
    rank = expected.size();
    for (auto* n = z.last(); n; n = n->backward) ASSERT_EQ(n->member.view(), expected[--rank].second);
}

TEST(ZSet, RangesAndRangeDeletes) {
    ZSet z;
    for (int i = 1; i <= 10; ++i) z.set(miniredis::test::numbered("m", i), i);
    ScoreRange r{3, 6, true, false};  // (3, 6]
    EXPECT_EQ(z.first_in(r)->score, 4);
    EXPECT_EQ(z.last_in(r)->score, 6);
    EXPECT_EQ(z.rank_of(z.last_in(r)) - z.rank_of(z.first_in(r)) + 1, 3u);
    EXPECT_EQ(z.first_in(ScoreRange{11, 20}), nullptr);
    EXPECT_EQ(z.erase_range(r), 3u);
    EXPECT_EQ(z.size(), 7u);
    EXPECT_EQ(z.erase_rank_range(0, 1), 2u);  // m1, m2
    EXPECT_EQ(z.first()->member.view(), "m3");
    ZSet lex;
    for (std::string m : {"a", "b", "c", "d"}) lex.set(m, 0);
    LexRange lr{"b", "d", false, true};  // [b, d)
    EXPECT_EQ(lex.first_in(lr)->member.view(), "b");
    EXPECT_EQ(lex.last_in(lr)->member.view(), "c");
    EXPECT_EQ(lex.erase_range(lr), 2u);
    EXPECT_EQ(lex.size(), 2u);
}

TEST(Glob, RedisPatterns) {
    EXPECT_TRUE(glob_match("*", "anything"));
    EXPECT_TRUE(glob_match("user:*", "user:42"));
    EXPECT_FALSE(glob_match("user:*", "session:42"));
    EXPECT_TRUE(glob_match("h?llo", "hello"));
    EXPECT_TRUE(glob_match("h[ae]llo", "hallo"));
    EXPECT_FALSE(glob_match("h[^e]llo", "hello"));
    EXPECT_TRUE(glob_match("h[a-c]llo", "hbllo"));
    EXPECT_TRUE(glob_match("a\\*b", "a*b"));
    EXPECT_FALSE(glob_match("a\\*b", "axb"));
    EXPECT_TRUE(glob_match("*a*b*c*", "xxaxxbxxc"));
    EXPECT_TRUE(glob_match("MaxMemory*", "maxmemory-policy", true));
    // Pathological backtracking finishes quickly.
    EXPECT_FALSE(glob_match("a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

}  // namespace
