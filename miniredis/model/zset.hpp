// miniredis/model/zset.hpp
//
// ZSet: a sorted set - members ordered by score (ties by member bytes), as a skiplist plus a hash.
//
// CONCEPT: a leaderboard needs both "what is alice's score?" (O(1): the hash, member -> node) and
// "who are the top 10?" / "what is alice's rank?" (O(log n): the skiplist). Redis keeps both views
// of the same elements, and so do we; the hash's keys point into the skiplist nodes, so each member
// is stored once.
//
// A skiplist is a sorted linked list with express lanes: every node is on level 0, about 1 in 4
// also on level 1, 1 in 16 on level 2... A search starts on the top lane and drops a level whenever
// the next hop would overshoot, so it visits O(log n) nodes. Each forward link also records its
// *span* (how many level-0 nodes it jumps), so summing spans along the search path gives a rank:
//
//   level 2: head ------------------------(3)-----------------------> C ----> null
//   level 1: head --------(1)-------> A --------(2)---------------> C ----> null
//   level 0: head --(1)--> A --(1)--> B --(1)--> C --(1)--> D --> null
//                    1          2          3          4        <- rank + 1
//
// REAL REDIS (t_zset.c): the same skiplist (Pugh's, plus spans and a backward pointer for reverse
// ranges, and ties broken by member); small sets use a compact listpack instead, which we skip.
//
// READ NEXT: zset.cpp, commands/zsets.cpp, commands/zset_ranges.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "dict.hpp"
#include "small_string.hpp"

namespace miniredis {

// A score interval: [min, max], either end exclusive ("(1.5" in ZRANGEBYSCORE).
struct ScoreRange {
    double min = 0, max = 0;
    bool min_exclusive = false, max_exclusive = false;
    bool above_min(double v) const { return min_exclusive ? v > min : v >= min; }
    bool below_max(double v) const { return max_exclusive ? v < max : v <= max; }
};

// A member interval for BYLEX: "[a" inclusive, "(a" exclusive, "-" and "+" unbounded.
struct LexRange {
    std::string_view min, max;
    bool min_exclusive = false, max_exclusive = false;
    bool min_unbounded = false, max_unbounded = false;  // "-" / "+"
    bool above_min(std::string_view v) const;
    bool below_max(std::string_view v) const;
};

class ZSet {
public:
    struct Node;
    struct Level {
        Node* forward;
        size_t span;  // level-0 nodes between this node and `forward`
    };
    struct Node {
        SmallString member;
        double score;
        Node* backward;  // previous node on level 0 (ZREVRANGE walks these)
        int height;      // how many levels (lanes) this node is on
        // The node is allocated with room for `height` Levels right behind it.
        Level* level() { return reinterpret_cast<Level*>(this + 1); }
        const Level* level() const { return reinterpret_cast<const Level*>(this + 1); }
        Node* next() const { return level()[0].forward; }
    };

    ZSet();
    ~ZSet();
    ZSet(const ZSet&) = delete;
    ZSet& operator=(const ZSet&) = delete;

    size_t size() const { return length_; }
    std::optional<double> score(std::string_view member) const;
    // Adds the member or moves it to `score`; returns true when it was new.
    bool set(std::string_view member, double score);
    bool erase(std::string_view member);

    // 0-based rank counted from the lowest score (or from the highest when `reverse`).
    std::optional<size_t> rank(std::string_view member, bool reverse = false) const;
    Node* at_rank(size_t rank) const;  // 0-based, lowest first; nullptr when out of range
    Node* first() const { return head_->next(); }
    Node* last() const { return tail_; }

    Node* first_in(const ScoreRange& range) const;  // lowest node inside the range
    Node* last_in(const ScoreRange& range) const;   // highest node inside the range
    Node* first_in(const LexRange& range) const;
    Node* last_in(const LexRange& range) const;

    // Removes every member in the range (ranks are 0-based, inclusive); returns how many.
    size_t erase_range(const ScoreRange& range);
    size_t erase_range(const LexRange& range);
    size_t erase_rank_range(size_t start, size_t stop);

    // Rank of a node (0-based), walking from the head: ZCOUNT = rank(last) - rank(first) + 1.
    size_t rank_of(const Node* node) const;
    // Redis keeps a small sorted set as a listpack (scores as text) until it grows past 128
    // members or gets one over 64 bytes. We keep the skiplist always, but copy the one visible
    // trace of that encoding: a score of -0 stored while "small" reads back as 0.
    static constexpr size_t kListpackMaxEntries = 128, kListpackMaxValue = 64;
    bool listpack() const { return listpack_; }
    void set_listpack(bool on) { listpack_ = on; }

    // The member -> node hash (ZSCAN iterates it with a cursor, like any Dict).
    const Dict<std::string_view, Node*>& members() const { return dict_; }

private:
    static constexpr int kMaxLevel = 32;
    static Node* make_node(int levels, std::string_view member, double score);
    static void free_node(Node* node);
    int random_level();
    Node* insert_node(std::string_view member, double score);
    void unlink(Node* node, Node** update);
    void remove_node(Node* node);  // unlink, drop from the hash, free

    Node* head_;
    Node* tail_ = nullptr;
    size_t length_ = 0;
    int level_ = 1;
    bool listpack_ = true;  // see listpack() above
    uint64_t random_state_;
    Dict<std::string_view, Node*> dict_;  // member (pointing into the node) -> node
};

}  // namespace miniredis
