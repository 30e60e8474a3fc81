// Topic routing: the recursive definition (topic_matches) on the cases RabbitMQ documents, and the
// trie checked against it on many random binding/routing key pairs.
#include "model/topic_exchange.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "model/exchange.hpp"

using namespace minirabbit;

TEST(TopicMatches, RabbitMQsDocumentedCases) {
    EXPECT_TRUE(topic_matches("stock.*.nyse", "stock.ibm.nyse"));
    EXPECT_FALSE(topic_matches("stock.*.nyse", "stock.nyse"));
    EXPECT_TRUE(topic_matches("stock.#", "stock"));
    EXPECT_TRUE(topic_matches("stock.#", "stock.ibm.nyse"));
    EXPECT_FALSE(topic_matches("stock.#", "stocks"));
    EXPECT_TRUE(topic_matches("#", ""));
    EXPECT_TRUE(topic_matches("#", "a.b.c"));
    EXPECT_TRUE(topic_matches("#.error", "error"));
    EXPECT_TRUE(topic_matches("#.error", "app.db.error"));
    EXPECT_FALSE(topic_matches("#.error", "app.error.db"));
    EXPECT_TRUE(topic_matches("a.#.b", "a.b"));
    EXPECT_TRUE(topic_matches("a.#.b", "a.x.y.b"));
    EXPECT_FALSE(topic_matches("*", ""));
    EXPECT_TRUE(topic_matches("*", "word"));
    EXPECT_TRUE(topic_matches("", ""));
    EXPECT_FALSE(topic_matches("", "a"));
    // Empty words are words: "a..b" is a, "", b.
    EXPECT_TRUE(topic_matches("a.*.b", "a..b"));
    EXPECT_TRUE(topic_matches("a..b", "a..b"));
    EXPECT_FALSE(topic_matches("a.b", "a..b"));
    EXPECT_TRUE(topic_matches("#.#", "a"));
    EXPECT_TRUE(topic_matches("*.#", "a"));
    EXPECT_FALSE(topic_matches("*.*.#", "a"));
}

TEST(TopicTrie, AgreesWithTheDefinitionOnRandomKeys) {
    std::mt19937 random(11);
    const char* words[] = {"a", "b", "c", ""};
    const char* pattern_words[] = {"a", "b", "*", "#", ""};
    auto make_key = [&](const char* const* choices, size_t n_choices) {
        std::string key;
        int length = static_cast<int>(random() % 4);
        for (int i = 0; i < length; ++i) {
            if (i) key += '.';
            key += choices[random() % n_choices];
        }
        return key;
    };
    std::vector<std::string> patterns;
    std::vector<Binding> bindings(300);
    TopicTrie trie;
    for (size_t i = 0; i < bindings.size(); ++i) {
        patterns.push_back(make_key(pattern_words, 5));
        bindings[i].routing_key = patterns.back();
        trie.add(patterns.back(), &bindings[i]);
    }
    // Remove a third again: removal must prune without losing the others.
    std::vector<bool> removed(bindings.size(), false);
    for (size_t i = 0; i < bindings.size(); i += 3) {
        trie.remove(patterns[i], &bindings[i]);
        removed[i] = true;
    }
    for (int round = 0; round < 2000; ++round) {
        std::string key = make_key(words, 4);
        std::vector<const Binding*> matched;
        trie.match(key, matched);
        for (size_t i = 0; i < bindings.size(); ++i) {
            bool expected = !removed[i] && topic_matches(patterns[i], key);
            bool found = std::find(matched.begin(), matched.end(), &bindings[i]) != matched.end();
            ASSERT_EQ(found, expected) << "pattern '" << patterns[i] << "' key '" << key << "'";
        }
    }
}

// Why a trie: the work of one routing decision must not grow with the number of bindings. The
// bindings look like a real pub/sub system's (benchmarks/minirabbit/topic_bench.cpp): per-service
// keys under 97 regions, a '#' per region. Growing them from 10 to 100,000 leaves the nodes one
// match visits unchanged for keys whose words the new bindings do not share - and testing every
// binding (what a linear scan does) would grow 10,000-fold. Counted, not timed.
TEST(TopicTrie, RoutingWorkDoesNotGrowWithTheNumberOfBindings) {
    auto visits_with = [](int n, std::string_view key, size_t& matched) {
        std::vector<Binding> bindings(static_cast<size_t>(n));
        TopicTrie trie;
        std::vector<std::string> keys;
        for (int i = 0; i < n; ++i)
            keys.push_back(i % 10 == 0 ? "region." + std::to_string(i % 97) + ".#"
                                       : "region." + std::to_string(i % 97) + ".service." + std::to_string(i) + ".*");
        for (int i = 0; i < n; ++i) trie.add(keys[static_cast<size_t>(i)], &bindings[static_cast<size_t>(i)]);
        std::vector<const Binding*> out;
        trie.match(key, out);
        matched = out.size();
        return trie.last_match_visits();
    };
    size_t few_matched = 0, many_matched = 0;
    // 10 bindings: root, "region", "3", "service", "3", "*" - six nodes, one binding matched.
    size_t few = visits_with(10, "region.3.service.3.error", few_matched);
    // 100,000 bindings: 1,031 of them under region 3, and region 3 now has '#' bindings too (i =
    // 100, 1070, ...: 10 is invertible modulo 97), which match this key as well.
    size_t many = visits_with(100000, "region.3.service.3.error", many_matched);
    EXPECT_EQ(few, 6u);
    EXPECT_EQ(few_matched, 1u);
    EXPECT_GT(many_matched, 1u);
    // The same six nodes, plus the one '#' node, reached at most once per word position (positions
    // 2 to 5 here): routing work grew by a constant, while the bindings grew 10,000-fold.
    EXPECT_LE(many, few + 4);
}
