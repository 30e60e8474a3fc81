// minirabbit/model/deadline_index.hpp
//
// CONCEPT: a deadline index - periodic work that visits only what is due. The broker's 50 ms tick
// used to walk every queue to ask "has your head message expired? have you been unused past
// x-expires?". With 10,000 queues and none of them with a TTL, that is 10,000 questions twenty
// times a second, all answered "no". Instead each queue that *has* a deadline registers it here,
// and the tick pops only the deadlines that have passed: its cost follows the work to do, not the
// number of queues. (The same idea as a timer wheel, a kernel's hrtimer tree, or Redis' sampled
// expiry: index the deadlines, never scan the population.)
//
//   arm(q7, 1050)  arm(q2, 1200)  arm(q7, 1020)          min-heap (earliest on top)
//                                                        (1020, q7) (1050, q7) (1200, q2)
//   pop_due(now = 1100) -> q7 once                       (1050, q7) is stale: q7 is armed at 1020
//
// - One deadline per key counts: the earliest one armed and not yet popped. Arming a *later*
//   deadline for a key that is already armed does nothing - the earlier entry fires first, and the
//   owner then re-arms with its real next deadline (a queue whose consumer came back re-arms later).
//   So a queue with a per-queue TTL pushes one entry per head message, not one per publish.
// - Arming an *earlier* deadline pushes a second entry; the older one becomes stale and is
//   skipped when it surfaces (a lazy delete: a heap cannot remove from the middle cheaply).
// - remove(key) forgets a key (a deleted queue); its heap entries go stale the same way.
// - A key popped as due is no longer armed: the owner re-arms it if it still has a deadline.
//
// Cost: arm O(log n) when it pushes, O(1) when it does not; pop_due O(k log n) for k entries due.
// READ NEXT: vhost.cpp (Vhost::tick, the only user), queue.cpp (Queue::next_deadline).
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

namespace minirabbit {

template <typename Key>
class DeadlineIndex {
public:
    // Asks for `key` to be popped once `deadline` (ms on the broker clock) has passed.
    void arm(Key key, int64_t deadline) {
        auto [it, inserted] = armed_.try_emplace(key, deadline);
        if (!inserted) {
            if (it->second <= deadline) return;  // an earlier entry fires first: the owner re-arms then
            it->second = deadline;               // the older, later entry is now stale
        }
        heap_.emplace(deadline, key);
    }

    // Forgets `key`: none of its entries will be popped (they are dropped when they surface).
    void remove(Key key) { armed_.erase(key); }

    bool armed(Key key) const { return armed_.count(key) != 0; }
    size_t armed_count() const { return armed_.size(); }
    size_t heap_size() const { return heap_.size(); }  // entries, stale ones included (tests)

    // Appends to `due` every key whose deadline is <= now, earliest first, each once, and disarms
    // them. Touches only due (and stale) entries: nothing that is armed for later.
    void pop_due(int64_t now, std::vector<Key>& due) {
        while (!heap_.empty() && heap_.top().first <= now) {
            auto [deadline, key] = heap_.top();
            heap_.pop();
            auto it = armed_.find(key);
            if (it == armed_.end() || it->second != deadline) continue;  // stale: removed, or re-armed earlier
            armed_.erase(it);
            due.push_back(key);
        }
    }

private:
    using Entry = std::pair<int64_t, Key>;
    struct Later {
        bool operator()(const Entry& a, const Entry& b) const { return a.first > b.first; }
    };
    std::priority_queue<Entry, std::vector<Entry>, Later> heap_;  // earliest deadline on top
    std::unordered_map<Key, int64_t> armed_;                      // key -> its one live deadline
};

}  // namespace minirabbit
