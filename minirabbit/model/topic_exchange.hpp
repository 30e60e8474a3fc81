// minirabbit/model/topic_exchange.hpp
//
// CONCEPT: topic routing. Routing keys and binding keys are words separated by dots
// ("stock.usd.nyse"). In a binding key, '*' matches exactly one word and '#' matches zero or more:
//   "stock.*.nyse" matches "stock.ibm.nyse";  "stock.#" matches "stock" and "stock.ibm.nyse";
//   "#" alone matches every key (even ""), "#.error" matches "error" and "app.db.error".
// Empty words count: "a..b" has three words, the middle one empty; "" has none.
//
// topic_matches() is the definition, as a short recursion - the test oracle. The exchange itself
// keeps its bindings in a trie (TopicTrie) keyed by binding-key words, with '*' and '#' as extra
// edges, so routing walks the routing key's words once through shared prefixes instead of testing
// every binding: 10,000 bindings cost about what 10 do (see benchmarks/minirabbit/topic_bench.cpp).
//
// READ NEXT: topic_exchange.cpp (the trie), direct_exchange.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace minirabbit {

struct Binding;

// Splits "a.b.c" into words; "" gives no words.
std::vector<std::string_view> split_topic(std::string_view key);
bool topic_matches(std::string_view binding_key, std::string_view routing_key);

class TopicTrie {
public:
    void add(std::string_view binding_key, const Binding* binding);
    void remove(std::string_view binding_key, const Binding* binding);
    // Appends the bindings whose key matches, each once.
    void match(std::string_view routing_key, std::vector<const Binding*>& out) const;
    // Trie nodes the last match() stepped into: the work of one routing decision. It depends on
    // the routing key and on the bindings that share its words, not on how many bindings there
    // are (tests/minirabbit/topic_exchange_test.cpp checks that; no timing needed).
    size_t last_match_visits() const { return visits_; }

private:
    struct Node {
        std::map<std::string, std::unique_ptr<Node>, std::less<>> children;  // literal words
        std::unique_ptr<Node> star, hash;                                    // '*' and '#' edges
        std::vector<const Binding*> bindings;                                // keys ending here
        // The word positions match() already reached this node at, stamped with its match number:
        // '#' edges reach the same node at the same position along many paths ("#.#.#.#" against
        // a 30-word key: millions), and every such path finds the same bindings.
        mutable std::vector<uint64_t> reached_at;
        bool empty() const { return children.empty() && !star && !hash && bindings.empty(); }
    };
    void match(const Node& node, const std::vector<std::string_view>& words, size_t i,
               std::vector<const Binding*>& out) const;
    static bool remove(Node& node, const std::vector<std::string_view>& words, size_t i, const Binding* binding);
    Node root_;
    mutable std::vector<std::string_view> words_;  // reused by match(): no allocation per publish
    mutable uint64_t matches_ = 0;                 // match() calls, for Node::reached_at
    mutable size_t visits_ = 0;                    // nodes the last match() stepped into
};

}  // namespace minirabbit
