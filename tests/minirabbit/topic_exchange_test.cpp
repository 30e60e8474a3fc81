// Topic routing: the recursive definition (topic_matches) on the cases RabbitMQ documents, and the
// trie checked against it on many random binding/routing key pairs; and the cost of one routing
// decision and of one bind, counted, as the bindings grow.
#include "model/topic_exchange.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "model/broker.hpp"
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
// keys under 97 regions, a '#' per region. Growing them from 10 to 20,000 adds to the nodes one
// match visits only the new '#' node on the key's path - while testing every binding (what a
// linear scan does) would grow 2,000-fold. Counted, not timed.
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
    // 20,000 bindings: 207 of them under region 3, and region 3 now has '#' bindings too (i =
    // 100, 1070, ...: 10 is invertible modulo 97), which match this key as well.
    size_t many = visits_with(20000, "region.3.service.3.error", many_matched);
    EXPECT_EQ(few, 6u);
    EXPECT_EQ(few_matched, 1u);
    EXPECT_GT(many_matched, 1u);
    // The same six nodes, plus the one '#' node, reached at most once per word position (positions
    // 2 to 5 here): routing work grew by a constant, while the bindings grew 2,000-fold.
    EXPECT_LE(many, few + 4);
}

// Declaring N bindings used to compare each new one with every binding already there (N^2 / 2
// comparisons: minutes for 100,000). Through the exchange's identity index a bind, a duplicate
// bind and an unbind compare with at most the bindings of the same destination and key. The
// behaviour around it stays: a duplicate is a no-op, arguments tell bindings apart, an unbind
// takes exactly one, and deleting the queue takes the rest.
TEST(ExchangeBindings, FindingABindingDoesNotGrowWithTheirNumber) {
    Broker broker;
    Vhost& vhost = broker.add_vhost("/");
    std::string bad, error;
    auto queue = std::make_shared<Queue>(vhost, "sink", false, false, false, amqp::FieldTable{},
                                         *QueueArguments::parse({}, bad, error), 0);
    vhost.add_queue(queue);
    auto exchange = make_exchange("topic", "events", false, false, false, {});
    auto binding = [&](std::string key, amqp::FieldTable args = {}) {
        return Binding{std::move(key), std::move(args), queue.get(), nullptr};
    };
    for (int i = 0; i < 20000; ++i) ASSERT_TRUE(exchange->bind(binding("bench.k" + std::to_string(i) + ".*")));
    EXPECT_LE(exchange->last_lookup_comparisons(), 1u);   // was: 99,999
    EXPECT_FALSE(exchange->bind(binding("bench.k5.*")));  // a duplicate: found, not added
    EXPECT_EQ(exchange->last_lookup_comparisons(), 1u);
    amqp::FieldTable args;
    args.set("x-tag", amqp::FieldValue(std::string("a")));
    EXPECT_TRUE(exchange->bind(binding("bench.k5.*", args)));  // other arguments: another binding
    EXPECT_EQ(exchange->bindings().size(), 20001u);
    EXPECT_TRUE(exchange->unbind("sink", false, "bench.k5.*", {}));
    EXPECT_LE(exchange->last_lookup_comparisons(), 2u);
    EXPECT_FALSE(exchange->unbind("sink", false, "bench.k5.*", {}));  // gone; the one with args stays
    std::vector<const Binding*> routed;
    exchange->route(RoutingInput("bench.k5.x", ""), routed);
    ASSERT_EQ(routed.size(), 1u);
    EXPECT_EQ(routed[0]->arguments, args);
    EXPECT_EQ(exchange->unbind_all_to(queue.get()), 20000u);
    EXPECT_FALSE(exchange->has_bindings());
    EXPECT_TRUE(exchange->bind(binding("bench.k5.*")));  // the index forgot them too
}
