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
