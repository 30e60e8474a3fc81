// minirabbit/model/name_index.hpp
//
// CONCEPT: a lookup whose cost is the memory it touches. Finding a queue by name happens once per
// message published to the default exchange, so with 10,000 queues the question is not "how many
// steps?" (a hash table is O(1) either way) but "how many cache lines that nobody touched
// recently?". Each one is a trip to RAM (~100 ns, more on a virtual machine whose TLB misses cost
// a second page walk), and a publish to a cold queue pays every one of them.
//
// std::unordered_map is a table of pointers into a linked list of nodes, one heap node per entry.
// A lookup reads the bucket, then the node *before* the first one of the bucket (libstdc++ keeps
// "before" pointers so erase is O(1)), then the node, then the key's characters: four unrelated
// lines. This index is one flat array of slots, each the name's full 64-bit hash and the object:
//
//   hash("orders") % capacity = 5
//   slots  [ . | . | h:9f3e,q12 | . | . | h:51a0,q7 | h:77c1,q3 | . ]   open addressing, linear probing
//                                         ^ start here, walk right until the name or an empty slot
//
// A lookup reads one slot (its neighbours share the cache line) and, only when the 64-bit hashes
// agree, the object's name to confirm it - one line of the index and the object it was going to
// touch anyway. At most half the slots are used, so a probe sequence stays short.
//
// Deletion shifts later entries of the same run back instead of leaving tombstones, so a table
// that sees millions of declares and deletes never degrades (Knuth's algorithm R, 6.4).
//
// The objects own their names (T::name()), so the index stores no copy of a name: a slot is 16
// bytes, against ~48 for an unordered_map node and its bucket.
//
// Why not keep the name in the slot as well, so that a hit never reads the object's name? A name
// over 15 bytes keeps its characters in a heap block of its own (libstdc++'s small-string buffer
// is 15), one more cold line per lookup. One-cache-line slots (hash, pointer, length and up to 47
// characters) were built and measured against this table: no change in the broker's CPU per
// message from 100 to 10,000 queues, for four times the memory (docs/minirabbit/benchmarks.md,
// "Names in the slot"). The comparison's outcome is predicted, so the CPU runs on into the queue's
// own lines while the name's block is on its way - that miss overlaps the others instead of adding
// to them - and a table four times larger keeps less of itself in the cache.
// READ NEXT: vhost.hpp (find_queue, find_exchange: the two users).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace minirabbit {

template <typename T>
class NameIndex {
public:
    T* find(std::string_view name) const {
        if (size_ == 0) return nullptr;
        const uint64_t hash = hash_of(name);
        for (size_t i = hash & mask(); slots_[i].object; i = (i + 1) & mask())
            if (slots_[i].hash == hash && slots_[i].object->name() == name) return slots_[i].object;
        return nullptr;
    }

    // Adds `object` under its own name, replacing an object of the same name.
    void insert(T* object) {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        place(Slot{hash_of(object->name()), object}, /*replace=*/true);
    }

    // Forgets the entry named `name`, if there is one.
    void erase(std::string_view name) {
        if (size_ == 0) return;
        const uint64_t hash = hash_of(name);
        size_t i = hash & mask();
        for (; slots_[i].object; i = (i + 1) & mask())
            if (slots_[i].hash == hash && slots_[i].object->name() == name) break;
        if (!slots_[i].object) return;
        // Backward shift: walk the run after the hole; an entry whose home slot is not between the
        // hole and itself (cyclically) would become unreachable behind an empty slot, so it moves
        // into the hole, which moves to where it was.
        for (size_t j = (i + 1) & mask(); slots_[j].object; j = (j + 1) & mask()) {
            const size_t home = slots_[j].hash & mask();
            const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (stays) continue;
            slots_[i] = slots_[j];
            i = j;
        }
        slots_[i] = Slot{};
        --size_;
    }

    size_t size() const { return size_; }
    size_t capacity() const { return slots_.size(); }  // slots (tests: at most half are used)

private:
    struct Slot {
        uint64_t hash = 0;
        T* object = nullptr;  // null: empty
    };

    static uint64_t hash_of(std::string_view name) { return std::hash<std::string_view>{}(name); }
    size_t mask() const { return slots_.size() - 1; }

    void place(Slot slot, bool replace) {
        size_t i = slot.hash & mask();
        for (; slots_[i].object; i = (i + 1) & mask())
            if (replace && slots_[i].hash == slot.hash && slots_[i].object->name() == slot.object->name()) {
                slots_[i].object = slot.object;
                return;
            }
        slots_[i] = slot;
        ++size_;
    }

    // Doubles the table (a power of two, so `hash & mask` picks the slot) and re-places every entry.
    void grow() {
        std::vector<Slot> old(slots_.empty() ? 16 : slots_.size() * 2);
        old.swap(slots_);
        size_ = 0;
        for (const Slot& slot : old)
            if (slot.object) place(slot, /*replace=*/false);
    }

    std::vector<Slot> slots_;
    size_t size_ = 0;
};

}  // namespace minirabbit
