// Dict: the hash table under every keyspace, hash, set and sorted set (Redis' dict.c).
//
// CONCEPT: a chained hash table with a power-of-two number of buckets, so the bucket of a key is
// `hash & mask`. Each entry is one allocation holding the chain pointer, the key and the value:
//
//   buckets_: [0]->(k1,v1)->(k7,v7)   [1]->null   [2]->(k3,v3)   ...   [mask]
//
// It doubles when it holds as many entries as buckets (load factor 1) and halves when it falls
// under 1/8, so lookups stay O(1) and an emptied table gives its memory back.
//
// SCAN needs a cursor that survives resizes between calls. The trick (Redis' "reverse binary
// iteration") is to walk bucket indexes counting with their bits reversed: buckets are visited so
// that every bucket of a doubled or halved table maps onto positions not visited yet, hence every
// entry present during the whole scan is returned at least once (maybe twice), with no server-side
// cursor state at all.
//
// REAL REDIS: also rehashes incrementally (two tables, a few buckets moved per operation) so that
// growing a 10M-key table never stalls the server; we rehash at once (an exercise in the docs).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "hashing.hpp"

namespace miniredis {

template <typename Key, typename Value>
class Dict {
public:
    struct Entry {
        explicit Entry(std::string_view k) : key(k) {}
        Entry* next = nullptr;
        Key key;
        [[no_unique_address]] Value value{};  // a set stores no value: an empty struct, 0 bytes
    };

    Dict() = default;
    Dict(const Dict&) = delete;
    Dict& operator=(const Dict&) = delete;
    Dict(Dict&& other) noexcept { swap(other); }
    Dict& operator=(Dict&& other) noexcept {
        if (this != &other) {
            clear();
            swap(other);
        }
        return *this;
    }
    ~Dict() { clear(); }

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    size_t bucket_count() const { return mask_ ? mask_ + 1 : 0; }

    // A lookup: hash, mask, walk one short chain comparing keys. With the table at most as full as
    // it has buckets, chains average about one entry.
    Entry* find(std::string_view key) const {
        if (size_ == 0) return nullptr;
        for (Entry* e = buckets_[bucket_of(key)]; e; e = e->next)
            if (std::string_view(e->key) == key) return e;
        return nullptr;
    }

    // The entry for `key`: the existing one (second = false) or a new one holding a default
    // Value (second = true). Pointers to entries stay valid until that entry is erased.
    std::pair<Entry*, bool> insert(std::string_view key) {
        if (Entry* e = find(key)) return {e, false};
        if (size_ + 1 > bucket_count()) resize(std::max<size_t>(kMinBuckets, bucket_count() * 2));
        auto* e = new Entry(key);
        Entry*& head = buckets_[bucket_of(key)];
        e->next = head;
        head = e;
        ++size_;
        return {e, true};
    }

    // Asks the CPU to start loading what an insert or find of `key` touches first: its bucket
    // (stage 0), or - once that is cached - the first entry of the chain (stage 1). For bulk loads
    // of tables far larger than the caches: issued a few keys ahead, the cache misses of several
    // keys overlap instead of happening one after another. Only a hint; it changes nothing.
    void prefetch(std::string_view key, int stage) const {
        if (!mask_) return;
        Entry* const* slot = &buckets_[bucket_of(key)];
        if (stage == 0)
            __builtin_prefetch(slot);
        else if (*slot)
            __builtin_prefetch(*slot);
    }

    // Makes room for `n` entries at once (loading a snapshot that says how many keys follow),
    // instead of doubling - and rehashing everything - about log2(n) times on the way.
    void reserve(size_t n) {
        if (n > bucket_count()) resize(std::bit_ceil(std::max<size_t>(n, kMinBuckets)));
    }

    bool erase(std::string_view key) {
        if (size_ == 0) return false;
        for (Entry** link = &buckets_[bucket_of(key)]; *link; link = &(*link)->next) {
            Entry* e = *link;
            if (std::string_view(e->key) != key) continue;
            *link = e->next;
            delete e;
            --size_;
            if (size_ * 8 < bucket_count() && bucket_count() > kMinBuckets)
                resize(std::max<size_t>(kMinBuckets, std::bit_ceil(size_ * 2)));
            return true;
        }
        return false;
    }

    void clear() {
        for (size_t i = 0; i < bucket_count(); ++i) {
            for (Entry* e = buckets_[i]; e;) {
                Entry* next = e->next;
                delete e;
                e = next;
            }
        }
        buckets_.reset();
        mask_ = 0;
        size_ = 0;
    }

    // A random entry (nullptr when empty): a random non-empty bucket, then a random link of its
    // chain. Slightly biased towards entries in short chains, as Redis' dictGetRandomKey.
    Entry* random_entry(Random& random) const {
        if (size_ == 0) return nullptr;
        Entry* head;
        do head = buckets_[random.next() & mask_];
        while (!head);
        size_t length = 0;
        for (Entry* e = head; e; e = e->next) ++length;
        size_t pick = random.below(length);
        while (pick--) head = head->next;
        return head;
    }

    // Calls fn(entry) for up to `count` entries found by walking buckets from a random one - cheaper
    // than `count` random_entry() calls, and what the expiry and eviction cycles need (Redis'
    // dictGetSomeKeys). Gives up after looking at count*10 empty buckets in a sparse table.
    template <typename Fn>
    void sample(Random& random, size_t count, Fn&& fn) const {
        if (size_ == 0) return;
        size_t index = random.next() & mask_;
        size_t empty_budget = count * 10, visited = 0;
        for (size_t step = 0; step <= mask_ && visited < count; ++step, index = (index + 1) & mask_) {
            Entry* e = buckets_[index];
            if (!e && empty_budget-- == 0) break;
            for (; e && visited < count; e = e->next, ++visited) fn(*e);
        }
    }

    // One SCAN step: calls fn(entry) for every entry of one bucket and returns the next cursor (0
    // when the scan is complete). See the file comment for why the cursor counts in reversed bits.
    template <typename Fn>
    uint64_t scan(uint64_t cursor, Fn&& fn) const {
        if (size_ == 0) return 0;
        for (Entry* e = buckets_[cursor & mask_]; e; e = e->next) fn(*e);
        cursor |= ~static_cast<uint64_t>(mask_);  // set the bits above the mask, so the increment
        cursor = reverse_bits(cursor);            // below carries into the highest unmasked bit
        ++cursor;
        return reverse_bits(cursor);
    }

    template <typename Fn>
    void for_each(Fn&& fn) const {
        for (size_t i = 0; i < bucket_count(); ++i)
            for (Entry* e = buckets_[i]; e; e = e->next) fn(*e);
    }

private:
    static constexpr size_t kMinBuckets = 4;

    size_t bucket_of(std::string_view key) const { return hash_bytes(key, kHashSeed) & mask_; }

    // Rehash everything into a table of `buckets` entries. All at once: simple, but a pause that
    // grows with the table (Redis moves a few buckets per operation instead - see the exercises).
    void resize(size_t buckets) {
        auto fresh = std::make_unique<Entry*[]>(buckets);  // value-initialised: all null
        size_t new_mask = buckets - 1;
        for (size_t i = 0; i < bucket_count(); ++i) {
            for (Entry* e = buckets_[i]; e;) {
                Entry* next = e->next;
                Entry*& head = fresh[hash_bytes(std::string_view(e->key), kHashSeed) & new_mask];
                e->next = head;
                head = e;
                e = next;
            }
        }
        buckets_ = std::move(fresh);
        mask_ = new_mask;
    }

    static uint64_t reverse_bits(uint64_t v) {
        uint64_t r = 0;
        for (int i = 0; i < 64; ++i, v >>= 1) r = (r << 1) | (v & 1);
        return r;
    }

    void swap(Dict& other) noexcept {
        std::swap(buckets_, other.buckets_);
        std::swap(mask_, other.mask_);
        std::swap(size_, other.size_);
    }

    std::unique_ptr<Entry*[]> buckets_;
    size_t mask_ = 0;  // bucket_count - 1 (0 while no table is allocated)
    size_t size_ = 0;
};

}  // namespace miniredis
