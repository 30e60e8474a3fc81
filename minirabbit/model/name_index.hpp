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
// lines. This index is one flat array of slots, open addressing with linear probing:
//
//   hash("orders") % capacity = 5
//   slots  [ . | . | q12 | . | . | q7 | q3 | . ]    walk right from the home slot until the name
//                                 ^ home           or an empty slot
//
// and each slot is exactly one cache line (64 bytes, aligned to 64), holding the name itself:
//
//   | hash (8) | object (8) | length (1) | the name's characters, up to 47 ....................... |
//   '--------------------------------------- one cache line ---------------------------------------'
//
// A lookup of a hit reads that one line: the 64-bit hash, then the length and the characters to
// confirm the name, then it returns the pointer - without touching the object. The caller goes on
// to the object's own hot fields (a publish does: Queue::publish), so a lookup costs one cold line
// of its own. Why keep the name here rather than compare the object's name(), as a 16-byte slot of
// (hash, pointer) did? Because an std::string over 15 characters (libstdc++'s small-string buffer)
// keeps its characters in a heap block of their own: comparing it was one more cold line per
// publish, on a line the publish needs for nothing else. "bench-spread-1234" (17 bytes) and
// "amq.gen-..." (30) are such names; a profile at 10,000 queues had memcmp on that block as the
// second-hottest function (docs/minirabbit/benchmarks.md, "Cache lines, not steps").
//
// Long names (over 47 bytes) do not fit: their slot says so (length = kOutOfSlot) and a lookup
// compares the object's own name(), one more line, as before. The hash is compared first, so that
// happens only for the entry that is almost certainly the right one (out_of_slot_compares() counts
// it, for tests).
//
// The price is memory: 64 bytes a slot, at most half the slots used, so 128-256 bytes per name
// (10,000 queues: 32,768 slots, 2 MB) against 32-64 with 16-byte slots and ~48 for an unordered_map
// node and its bucket. Next to a queue's ~2.3 KB that buys one cold line less per publish.
//
// Deletion shifts later entries of the same run back instead of leaving tombstones, so a table
// that sees millions of declares and deletes never degrades (Knuth's algorithm R, 6.4).
// READ NEXT: vhost.hpp (find_queue, find_exchange: the two users).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>
#include <vector>

namespace minirabbit {

template <typename T>
class NameIndex {
public:
    static constexpr size_t kCacheLine = 64;
    // How long a name may be and still live in its slot (the rest of the line after hash, pointer
    // and length).
    static constexpr size_t kInlineName = kCacheLine - sizeof(uint64_t) - sizeof(T*) - 1;

    T* find(std::string_view name) const {
        if (size_ == 0) return nullptr;
        const uint64_t hash = hash_of(name);
        for (size_t i = hash & mask(); slots_[i].object; i = (i + 1) & mask())
            if (holds(slots_[i], hash, name)) return slots_[i].object;
        return nullptr;
    }

    // Adds `object` under its own name, replacing an object of the same name.
    void insert(T* object) {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        place(make_slot(object), /*replace=*/true);
    }

    // Forgets the entry named `name`, if there is one.
    void erase(std::string_view name) {
        if (size_ == 0) return;
        const uint64_t hash = hash_of(name);
        size_t i = hash & mask();
        for (; slots_[i].object; i = (i + 1) & mask())
            if (holds(slots_[i], hash, name)) break;
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
    static constexpr size_t slot_bytes() { return sizeof(Slot); }
    static constexpr size_t slot_alignment() { return alignof(Slot); }
    // Name comparisons that had to read the object's name() because the name is too long for its
    // slot: 0 for every lookup of a name of at most kInlineName bytes (NameIndex tests).
    uint64_t out_of_slot_compares() const { return out_of_slot_compares_; }

private:
    static constexpr uint8_t kOutOfSlot = 0xff;  // `length` of a name that did not fit
    static_assert(kInlineName < kOutOfSlot);

    // alignas: a slot never straddles two lines (std::vector allocates over-aligned types aligned).
    struct alignas(kCacheLine) Slot {
        uint64_t hash = 0;
        T* object = nullptr;        // null: empty
        uint8_t length = 0;         // bytes of the name in `chars`, or kOutOfSlot
        char chars[kInlineName]{};  // the name (the first `length` bytes count)
    };
    static_assert(sizeof(Slot) == kCacheLine, "a slot is exactly one cache line");

    static uint64_t hash_of(std::string_view name) { return std::hash<std::string_view>{}(name); }
    size_t mask() const { return slots_.size() - 1; }

    static Slot make_slot(T* object) {
        const std::string_view name = object->name();
        Slot slot{};
        slot.hash = hash_of(name);
        slot.object = object;
        if (name.size() <= kInlineName) {
            slot.length = static_cast<uint8_t>(name.size());
            if (!name.empty()) std::memcpy(slot.chars, name.data(), name.size());
        } else {
            slot.length = kOutOfSlot;
        }
        return slot;
    }

    // Is `slot` the entry for `name` (whose hash is `hash`)? Reads only the slot unless the name
    // is too long to be kept in it.
    bool holds(const Slot& slot, uint64_t hash, std::string_view name) const {
        if (slot.hash != hash) return false;
        if (slot.length != kOutOfSlot)
            return slot.length == name.size() &&
                   (name.empty() || std::memcmp(slot.chars, name.data(), name.size()) == 0);
        ++out_of_slot_compares_;
        return std::string_view(slot.object->name()) == name;
    }

    void place(const Slot& slot, bool replace) {
        size_t i = slot.hash & mask();
        for (; slots_[i].object; i = (i + 1) & mask())
            if (replace && holds(slots_[i], slot.hash, slot.object->name())) {
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
    mutable uint64_t out_of_slot_compares_ = 0;
};

}  // namespace minirabbit
