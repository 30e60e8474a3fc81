// miniredis/model/zset.cpp
//
// ZSet: the skiplist operations (insert with spans, unlink, rank, ranges). The algorithms follow
// William Pugh's paper with Redis' two additions: spans for ranks, and ties ordered by member.
//
// CONCEPT: see zset.hpp. A skip list is a sorted linked list with express lanes: each node gets a
// random height, and a search drops down a level whenever the next node on the current level is
// too far. Spans (how many nodes a link skips) make ZRANK O(log n): add up the spans along the path.
//
//   level 2:  head ───────────────▶ 50(carol) ─────────────────▶ nil
//   level 1:  head ───▶ 20(bob) ──▶ 50(carol) ──▶ 80(ann) ──────▶ nil
//   level 0:  head ─▶ 10(dan) ─▶ 20(bob) ─▶ 50(carol) ─▶ 80(ann) ─▶ nil
// READ NEXT: commands/zset_ranges.cpp (ZRANGE, ZCOUNT), commands/zsets.cpp (ZADD, ZRANK).
#include "zset.hpp"

#include <new>

namespace miniredis {
namespace {

// Skiplist order: by score, then by member bytes - so equal scores still have one defined order.
bool before(const ZSet::Node* node, double score, std::string_view member) {
    return node->score < score || (node->score == score && node->member.view() < member);
}

bool after(const ZSet::Node* node, double score, std::string_view member) {
    return node->score > score || (node->score == score && node->member.view() > member);
}

}  // namespace

bool LexRange::above_min(std::string_view v) const {
    if (min_unbounded) return true;
    int c = v.compare(min);
    return min_exclusive ? c > 0 : c >= 0;
}

bool LexRange::below_max(std::string_view v) const {
    if (max_unbounded) return true;
    int c = v.compare(max);
    return max_exclusive ? c < 0 : c <= 0;
}

// A node is one allocation: the Node fields followed by `height` Levels (most nodes have 1 or 2),
// so a member costs a single malloc however tall its tower is.
ZSet::Node* ZSet::make_node(int height, std::string_view member, double score) {
    void* memory = ::operator new(sizeof(Node) + sizeof(Level) * static_cast<size_t>(height));
    auto* node = new (memory) Node{SmallString(member), score, nullptr, height};
    for (int i = 0; i < height; ++i) node->level()[i] = {nullptr, 0};
    return node;
}

void ZSet::free_node(Node* node) {
    node->~Node();
    ::operator delete(node);
}

ZSet::ZSet() : head_(make_node(kMaxLevel, {}, 0)), random_state_(reinterpret_cast<uintptr_t>(this)) {}

ZSet::~ZSet() {
    for (Node* x = head_; x;) {
        Node* next = x->next();
        free_node(x);
        x = next;
    }
}

// Each extra level with probability 1/4 (Redis' ZSKIPLIST_P): about 1.33 links per node.
// Randomness is what keeps the skiplist balanced without any rebalancing code: whatever order
// members arrive in, the expected height of the express lanes is log4(n).
int ZSet::random_level() {
    int level = 1;
    for (;;) {
        random_state_ = random_state_ * 6364136223846793005ULL + 1442695040888963407ULL;
        if (((random_state_ >> 33) & 3) != 0 || level == kMaxLevel) return level;
        ++level;
    }
}

std::optional<double> ZSet::score(std::string_view member) const {
    if (auto* e = dict_.find(member)) return e->value->score;
    return std::nullopt;
}

// ZADD's core. The hash answers "is it here, with which score?" in O(1); only a real move touches
// the skiplist (O(log n)). The dict's key is a view into the node, so re-inserting a node means
// re-pointing the dict entry at the new node's bytes.
bool ZSet::set(std::string_view member, double score) {
    auto* e = dict_.find(member);
    if (listpack_) {
        // Redis' small-zset encoding ends for good at the 129th member or one over 64 bytes.
        if (!e && (member.size() > kListpackMaxValue || length_ + 1 > kListpackMaxEntries))
            listpack_ = false;
        else if (score == 0)
            score = 0.0;  // a listpack keeps scores as text, and -0 reads back as 0
    }
    if (e) {
        Node* node = e->value;
        if (node->score == score) return false;
        // Still in order at the same place? Then just change the score, no relinking.
        Node* next = node->next();
        if ((!node->backward || before(node->backward, score, member)) && (!next || after(next, score, member))) {
            node->score = score;
            return false;
        }
        remove_node(node);
        Node* fresh = insert_node(member, score);
        dict_.insert(fresh->member.view()).first->value = fresh;
        return false;
    }
    Node* fresh = insert_node(member, score);
    dict_.insert(fresh->member.view()).first->value = fresh;
    return true;
}

// Skiplist insertion: descend from the top level, remembering on each level the last node before
// the new one (update[]) and its rank; then link the new node in on every level of its random
// height, splitting the spans it falls under.
ZSet::Node* ZSet::insert_node(std::string_view member, double score) {
    Node* update[kMaxLevel];
    size_t rank[kMaxLevel];
    Node* x = head_;
    // Walk down from the top lane, remembering on each level the last node before the insertion
    // point (update[i]) and how many level-0 nodes precede it (rank[i]).
    for (int i = level_ - 1; i >= 0; --i) {
        rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
        while (x->level()[i].forward && before(x->level()[i].forward, score, member)) {
            rank[i] += x->level()[i].span;
            x = x->level()[i].forward;
        }
        update[i] = x;
    }
    int height = random_level();
    if (height > level_) {
        for (int i = level_; i < height; ++i) {
            rank[i] = 0;
            update[i] = head_;
            head_->level()[i].span = length_;
        }
        level_ = height;
    }
    Node* node = make_node(height, member, score);
    for (int i = 0; i < height; ++i) {
        node->level()[i].forward = update[i]->level()[i].forward;
        update[i]->level()[i].forward = node;
        // update[i] used to jump `span` nodes; the new node splits that jump in two.
        node->level()[i].span = update[i]->level()[i].span - (rank[0] - rank[i]);
        update[i]->level()[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = height; i < level_; ++i) update[i]->level()[i].span++;  // jumps over one more node
    node->backward = update[0] == head_ ? nullptr : update[0];
    if (node->next())
        node->next()->backward = node;
    else
        tail_ = node;
    ++length_;
    return node;
}

// Unlinks `node` given update[i], the last node before it on every level. A level that pointed
// at it now jumps further (its span absorbs the node's span, minus the node itself); a level that
// jumped over it simply spans one node less.
void ZSet::unlink(Node* node, Node** update) {
    for (int i = 0; i < level_; ++i) {
        if (update[i]->level()[i].forward == node) {
            update[i]->level()[i].span += node->level()[i].span - 1;
            update[i]->level()[i].forward = node->level()[i].forward;
        } else {
            update[i]->level()[i].span -= 1;
        }
    }
    if (node->next())
        node->next()->backward = node->backward;
    else
        tail_ = node->backward;
    while (level_ > 1 && !head_->level()[level_ - 1].forward) --level_;
    --length_;
}

// Removal needs the same update[] path as insertion, found by searching for (score, member); then
// unlink, drop the dict entry (its key views the node's bytes, so before freeing) and free.
void ZSet::remove_node(Node* node) {
    Node* update[kMaxLevel];
    Node* x = head_;
    for (int i = level_ - 1; i >= 0; --i) {
        while (x->level()[i].forward && before(x->level()[i].forward, node->score, node->member.view()))
            x = x->level()[i].forward;
        update[i] = x;
    }
    unlink(node, update);
    dict_.erase(node->member.view());
    free_node(node);
}

bool ZSet::erase(std::string_view member) {
    auto* e = dict_.find(member);
    if (!e) return false;
    remove_node(e->value);
    return true;
}

std::optional<size_t> ZSet::rank(std::string_view member, bool reverse) const {
    auto* e = dict_.find(member);
    if (!e) return std::nullopt;
    size_t r = rank_of(e->value);
    return reverse ? length_ - 1 - r : r;
}

// The rank is the sum of the spans crossed while searching for the node - the reason spans exist.
size_t ZSet::rank_of(const Node* node) const {
    size_t traversed = 0;
    const Node* x = head_;
    for (int i = level_ - 1; i >= 0; --i) {
        while (x->level()[i].forward &&
               (x->level()[i].forward == node || before(x->level()[i].forward, node->score, node->member.view()))) {
            traversed += x->level()[i].span;
            x = x->level()[i].forward;
        }
        if (x == node) return traversed - 1;
    }
    return traversed - 1;  // not reached for a node of this set
}

// The inverse: descend, taking every jump that does not overshoot rank + 1 level-0 nodes.
// ZRANGE 1000 1010 starts here in O(log n), then walks 11 nodes on level 0.
ZSet::Node* ZSet::at_rank(size_t rank) const {
    if (rank >= length_) return nullptr;
    size_t traversed = 0, wanted = rank + 1;
    Node* x = head_;
    for (int i = level_ - 1; i >= 0; --i) {
        while (x->level()[i].forward && traversed + x->level()[i].span <= wanted) {
            traversed += x->level()[i].span;
            x = x->level()[i].forward;
        }
        if (traversed == wanted) return x;
    }
    return nullptr;
}

// Range queries descend like a search for the lower bound, then step once on level 0; the caller
// walks forward (or backward) while still inside the range. Ranges by member (BYLEX) work the same
// way with member comparisons, which only make sense when all scores are equal.
// ZRANGEBYSCORE's start: descend while the next node is still below the range, then one step on
// level 0 - O(log n) to the first match, then the walk is O(matches).
ZSet::Node* ZSet::first_in(const ScoreRange& range) const {
    Node* x = head_;
    for (int i = level_ - 1; i >= 0; --i)
        while (x->level()[i].forward && !range.above_min(x->level()[i].forward->score)) x = x->level()[i].forward;
    x = x->next();
    return x && range.below_max(x->score) && range.above_min(x->score) ? x : nullptr;
}

ZSet::Node* ZSet::last_in(const ScoreRange& range) const {
    Node* x = head_;
    for (int i = level_ - 1; i >= 0; --i)
        while (x->level()[i].forward && range.below_max(x->level()[i].forward->score)) x = x->level()[i].forward;
    return x != head_ && range.above_min(x->score) && range.below_max(x->score) ? x : nullptr;
}

ZSet::Node* ZSet::first_in(const LexRange& range) const {
    Node* x = head_;
    for (int i = level_ - 1; i >= 0; --i)
        while (x->level()[i].forward && !range.above_min(x->level()[i].forward->member.view()))
            x = x->level()[i].forward;
    x = x->next();
    return x && range.below_max(x->member.view()) ? x : nullptr;
}

ZSet::Node* ZSet::last_in(const LexRange& range) const {
    Node* x = head_;
    for (int i = level_ - 1; i >= 0; --i)
        while (x->level()[i].forward && range.below_max(x->level()[i].forward->member.view()))
            x = x->level()[i].forward;
    return x != head_ && range.above_min(x->member.view()) ? x : nullptr;
}

// ZREMRANGEBYSCORE and friends: find the first victim once, then unlink consecutive nodes - the
// update[] path stays valid because every removed node is the next one after it.
// ZREMRANGEBYSCORE: find the first node in range once, then unlink nodes one by one along level 0
// while they stay in range - each removal reuses the same update[] path, so no second search.
size_t ZSet::erase_range(const ScoreRange& range) {
    Node* update[kMaxLevel];
    Node* x = head_;
    for (int i = level_ - 1; i >= 0; --i) {
        while (x->level()[i].forward && !range.above_min(x->level()[i].forward->score)) x = x->level()[i].forward;
        update[i] = x;
    }
    size_t removed = 0;
    for (x = x->next(); x && range.below_max(x->score); ++removed) {
        Node* next = x->next();
        unlink(x, update);
        dict_.erase(x->member.view());
        free_node(x);
        x = next;
    }
    return removed;
}

size_t ZSet::erase_range(const LexRange& range) {
    Node* update[kMaxLevel];
    Node* x = head_;
    for (int i = level_ - 1; i >= 0; --i) {
        while (x->level()[i].forward && !range.above_min(x->level()[i].forward->member.view()))
            x = x->level()[i].forward;
        update[i] = x;
    }
    size_t removed = 0;
    for (x = x->next(); x && range.below_max(x->member.view()); ++removed) {
        Node* next = x->next();
        unlink(x, update);
        dict_.erase(x->member.view());
        free_node(x);
        x = next;
    }
    return removed;
}

size_t ZSet::erase_rank_range(size_t start, size_t stop) {
    Node* update[kMaxLevel];
    size_t traversed = 0;
    Node* x = head_;
    for (int i = level_ - 1; i >= 0; --i) {
        while (x->level()[i].forward && traversed + x->level()[i].span <= start) {
            traversed += x->level()[i].span;
            x = x->level()[i].forward;
        }
        update[i] = x;
    }
    size_t removed = 0;
    for (x = x->next(); x && traversed <= stop; ++traversed, ++removed) {
        Node* next = x->next();
        unlink(x, update);
        dict_.erase(x->member.view());
        free_node(x);
        x = next;
    }
    return removed;
}

}  // namespace miniredis
