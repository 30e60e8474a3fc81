// minirabbit/model/topic_exchange.cpp
//
// The topic exchange and its trie (see topic_exchange.hpp for the matching rules).
//
// CONCEPT: routing as a walk through shared prefixes. Bindings "stock.*.nyse", "stock.#" and
// "stock.ibm.nyse" share the node "stock"; a routing key's words are looked up one level at a time,
// trying the exact word, '*' and '#' at each node. '#' is the hard case: it may swallow zero or more
// words, so a '#' edge branches once per possible length, and each (node, position) pair is
// visited at most once per match (reached_at), which bounds the work by nodes x words.
//
//   root ─ stock ─┬─ * ─── nyse   [b1]          key "stock.ibm.nyse":
//                 ├─ # ─────────  [b2]            stock → {*, ibm, #}
//                 └─ ibm ─ nyse   [b3]            → b1, b2, b3 (each once)
//
// Why a trie instead of testing every binding with topic_matches()? Routing is per message, binds
// are rare; the trie makes a publish cost the length of its key, not the number of bindings.
// topic_matches() stays as the oracle the trie is tested against.
// READ NEXT: exchange.cpp, benchmarks/minirabbit/topic_bench.cpp.
#include "topic_exchange.hpp"

#include <algorithm>

#include "exchange.hpp"

namespace minirabbit {

namespace {
// Words are views into the key, into a reused vector: routing a publish splits its key without
// allocating. "a..b" gives three words (the middle one empty), "" gives none - RabbitMQ's rules.
void split_into(std::string_view key, std::vector<std::string_view>& words) {
    words.clear();
    if (key.empty()) return;
    for (;;) {
        size_t dot = key.find('.');
        words.push_back(key.substr(0, dot));
        if (dot == std::string_view::npos) return;
        key.remove_prefix(dot + 1);
    }
}
}  // namespace

std::vector<std::string_view> split_topic(std::string_view key) {
    std::vector<std::string_view> words;
    split_into(key, words);
    return words;
}

namespace {
// The definition of a match, as a recursion short enough to check by eye: this is the oracle the
// trie is tested against (tests/minirabbit/topic_exchange_test.cpp compares both on random keys),
// not the code that routes. With several '#' it is exponential in the worst case - fine for tests.
bool matches(const std::vector<std::string_view>& pattern, size_t p, const std::vector<std::string_view>& words,
             size_t w) {
    if (p == pattern.size()) return w == words.size();
    if (pattern[p] == "#")  // '#' swallows nothing ... or one more word and stays
        return matches(pattern, p + 1, words, w) || (w < words.size() && matches(pattern, p, words, w + 1));
    if (w == words.size()) return false;
    return (pattern[p] == "*" || pattern[p] == words[w]) && matches(pattern, p + 1, words, w + 1);
}
}  // namespace

bool topic_matches(std::string_view binding_key, std::string_view routing_key) {
    return matches(split_topic(binding_key), 0, split_topic(routing_key), 0);
}

// Adding a binding walks (and creates) one node per word; '*' and '#' are edges of their own, not
// map entries, so matching can try them without a lookup.
void TopicTrie::add(std::string_view binding_key, const Binding* binding) {
    Node* node = &root_;
    for (std::string_view word : split_topic(binding_key)) {
        std::unique_ptr<Node>* next;
        if (word == "*") {
            next = &node->star;
        } else if (word == "#") {
            next = &node->hash;
        } else {
            auto it = node->children.find(word);
            if (it == node->children.end()) it = node->children.emplace(std::string(word), nullptr).first;
            next = &it->second;
        }
        if (!*next) *next = std::make_unique<Node>();
        node = next->get();
    }
    node->bindings.push_back(binding);
}

bool TopicTrie::remove(Node& node, const std::vector<std::string_view>& words, size_t i, const Binding* binding) {
    // Returns whether `node` became empty, so the caller can prune it: a trie that saw many
    // short-lived bindings (one per subscriber queue) must not keep their dead branches.
    if (i == words.size()) {
        std::erase(node.bindings, binding);
        return node.empty();
    }
    std::unique_ptr<Node>* child;
    std::map<std::string, std::unique_ptr<Node>, std::less<>>::iterator literal;
    if (words[i] == "*") {
        child = &node.star;
    } else if (words[i] == "#") {
        child = &node.hash;
    } else {
        literal = node.children.find(words[i]);
        if (literal == node.children.end()) return false;
        child = &literal->second;
    }
    if (!*child) return false;
    if (remove(**child, words, i + 1, binding)) {
        if (words[i] == "*" || words[i] == "#")
            child->reset();
        else
            node.children.erase(literal);
    }
    return node.empty();
}

void TopicTrie::remove(std::string_view binding_key, const Binding* binding) {
    remove(root_, split_topic(binding_key), 0, binding);
}

// Depth-first over the trie and the routing key's words at once. A literal edge and a '*' edge
// consume one word; a '#' edge may consume any number (0..all remaining), so it branches once per
// possible length. Bindings are collected where the words run out. A (node, position) pair is
// walked once per match, so the cost is at most nodes x words, however many '#' a key has.
void TopicTrie::match(const Node& node, const std::vector<std::string_view>& words, size_t i,
                      std::vector<const Binding*>& out) const {
    if (node.reached_at.size() <= words.size()) node.reached_at.resize(words.size() + 1, 0);
    if (node.reached_at[i] == matches_) return;
    node.reached_at[i] = matches_;
    ++visits_;
    if (node.hash) {
        // '#' may swallow zero words (continue at i) or any number of them (continue at i+1 ... end).
        for (size_t j = i; j <= words.size(); ++j) match(*node.hash, words, j, out);
    }
    if (i == words.size()) {
        out.insert(out.end(), node.bindings.begin(), node.bindings.end());
        return;
    }
    if (auto it = node.children.find(words[i]); it != node.children.end()) match(*it->second, words, i + 1, out);
    if (node.star) match(*node.star, words, i + 1, out);
}

void TopicTrie::match(std::string_view routing_key, std::vector<const Binding*>& out) const {
    split_into(routing_key, words_);
    ++matches_;
    visits_ = 0;
    match(root_, words_, 0, out);
}

namespace {

class TopicExchange final : public Exchange {
public:
    using Exchange::Exchange;
    std::string_view type() const override { return "topic"; }
    void route(const RoutingInput& input, std::vector<const Binding*>& out) const override {
        trie_.match(input.routing_key, out);
    }

protected:
    void index(const Binding& binding) override { trie_.add(binding.routing_key, &binding); }
    void unindex(const Binding& binding) override { trie_.remove(binding.routing_key, &binding); }

private:
    TopicTrie trie_;
};

}  // namespace

std::unique_ptr<Exchange> make_topic_exchange(std::string name, bool durable, bool auto_delete, bool internal,
                                              amqp::FieldTable arguments) {
    return std::make_unique<TopicExchange>(std::move(name), durable, auto_delete, internal, std::move(arguments));
}

}  // namespace minirabbit
