// miniredis/model/dict.hpp
//
// Dict: the hash table under every keyspace, hash, set and sorted set (Redis' dict.c).
//
// CONCEPT: a chained hash table with a power-of-two number of buckets, so the bucket of a key is
// `hash & mask`. Each entry is one allocation holding the chain pointer, the key and the value:
//
//   table: [0]->(k1,v1)->(k7,v7)   [1]->null   [2]->(k3,v3)   ...   [mask]
//
// It doubles when it holds as many entries as buckets (load factor 1) and halves when it falls
// under 1/8, so lookups stay O(1) and an emptied table gives its memory back.
//
// INCREMENTAL REHASH. Moving 10 million entries into a doubled table at once would stop the
// server for about a second: every client waits for one unlucky SET. So, as Redis does, a resize
// only allocates the new table; the entries move a few buckets at a time, one step per insert or
// erase, plus a millisecond per tick (Database::rehash_for) while the server is idle:
//
//   tables_[0] (old, 4 buckets)        tables_[1] (new, 8 buckets)
//   [0] moved   [1] moved  <- rehash_index_ = 2    [0] k1  [1] k7  [5] k3 ...
//   [2] k9->k4  [3] k2                             (new keys always go here)
//
// While both tables exist a lookup checks the old one, then the new one; buckets of the old table
// below rehash_index_ are already empty. When the last bucket has moved, the new table becomes
// tables_[0] and the old array is freed.
//
// SCAN needs a cursor that survives resizes between calls. The trick (Redis' "reverse binary
// iteration") is to walk bucket indexes counting with their bits reversed: buckets are visited so
// that every bucket of a doubled or halved table maps onto positions not visited yet, hence every
// entry present during the whole scan is returned at least once (maybe twice), with no server-side
// cursor state at all. During a rehash one step visits a bucket of the smaller table and every
// bucket of the larger one that it expands to (see scan()).
//
// READ NEXT: model/database.hpp (the keyspace: two Dicts, keys and expiry times).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "hashing.hpp"
#include "memory.hpp"

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
    // Buckets of the table new entries go to (the new one while a rehash is under way).
    size_t bucket_count() const { return rehashing() ? tables_[1].buckets() : tables_[0].buckets(); }
    bool rehashing() const { return rehash_index_ >= 0; }

    // A lookup: hash, mask, walk one short chain comparing keys. With the table at most as full as
    // it has buckets, chains average about one entry. During a rehash the key is in one of the two
    // tables, so at most two chains are walked.
    Entry* find(std::string_view key) const {
        if (size_ == 0) return nullptr;
        uint64_t hash = hash_bytes(key, kHashSeed);
        for (int t = 0; t <= (rehashing() ? 1 : 0); ++t)
            for (Entry* e = tables_[t].head(hash); e; e = e->next)
                if (std::string_view(e->key) == key) return e;
        return nullptr;
    }

    // The entry for `key`: the existing one (second = false) or a new one holding a default
    // Value (second = true). Pointers to entries stay valid until that entry is erased: rehashing
    // relinks entries, it never moves them.
    std::pair<Entry*, bool> insert(std::string_view key) {
        if (rehashing()) rehash_steps(1);
        if (Entry* e = find(key)) return {e, false};
        if (!rehashing() && size_ + 1 > tables_[0].buckets())
            start_resize(std::max<size_t>(kMinBuckets, tables_[0].buckets() * 2));
        auto* e = new Entry(key);
        Entry*& head = tables_[rehashing() ? 1 : 0].head(hash_bytes(key, kHashSeed));
        e->next = head;
        head = e;
        ++size_;
        return {e, true};
    }

    // Asks the CPU to start loading what an insert or find of `key` touches first: its bucket
    // (stage 0), or - once that is cached - the first entry of the chain (stage 1), in the table
    // new keys go to. For bulk loads of tables far larger than the caches: issued a few keys ahead,
    // the cache misses of several keys overlap instead of happening one after another. Only a
    // hint; it changes nothing.
    void prefetch(std::string_view key, int stage) const {
        const Table& table = tables_[rehashing() ? 1 : 0];
        if (!table.slots) return;
        Entry* const* slot = &table.head(hash_bytes(key, kHashSeed));
        if (stage == 0)
            __builtin_prefetch(slot);
        else if (*slot)
            __builtin_prefetch(*slot);
    }

    // Makes room for `n` entries at once (loading a snapshot that says how many keys follow),
    // instead of doubling about log2(n) times on the way. Nobody waits for a load, so the move
    // is done here and now rather than incrementally.
    void reserve(size_t n) {
        while (rehash_steps(1024)) {
        }
        if (n <= tables_[0].buckets()) return;
        start_resize(std::bit_ceil(n));
        if (!rehashing()) return;  // the first table: allocated, nothing to move
        for (size_t i = 0; i < tables_[0].buckets(); ++i) {
            for (Entry* e = std::exchange(tables_[0].slots[i], nullptr); e;) {
                Entry* next = e->next;
                Entry*& head = tables_[1].head(hash_bytes(std::string_view(e->key), kHashSeed));
                e->next = head;
                head = e;
                e = next;
            }
        }
        tables_[0] = std::move(tables_[1]);  // not finish_rehash(): that would shrink a table
        tables_[1] = Table{};                // reserved ahead of the keys that will fill it
        rehash_index_ = -1;
    }

    // Erase also helps the rehash along (one bucket per call, as insert does), and shrinks the
    // table once it is under 1/8 full: a keyspace that held ten million keys and now holds ten thousand
    // gives the bucket array back instead of keeping it forever (Redis' htNeedsResize).
    bool erase(std::string_view key) {
        if (size_ == 0) return false;
        if (rehashing()) rehash_steps(1);
        uint64_t hash = hash_bytes(key, kHashSeed);
        for (int t = 0; t <= (rehashing() ? 1 : 0); ++t) {
            for (Entry** link = &tables_[t].head(hash); *link; link = &(*link)->next) {
                Entry* e = *link;
                if (std::string_view(e->key) != key) continue;
                *link = e->next;
                delete e;
                --size_;
                if (!rehashing() && size_ * 8 < tables_[0].buckets() && tables_[0].buckets() > kMinBuckets)
                    start_resize(std::max<size_t>(kMinBuckets, std::bit_ceil(size_ * 2)));
                return true;
            }
        }
        return false;
    }

    // FLUSHDB's synchronous path: every entry freed here and now - the reason FLUSHALL ASYNC exists
    // (core/lazy_free.hpp hands the whole Dict to another thread instead).
    void clear() {
        for (Table& table : tables_) {
            for (size_t i = 0; i < table.buckets(); ++i) {
                for (Entry* e = table.slots[i]; e;) {
                    Entry* next = e->next;
                    delete e;
                    e = next;
                }
            }
            table = Table{};
        }
        rehash_index_ = -1;
        size_ = 0;
    }

    // Moves up to `buckets` buckets of the old table into the new one (Redis' dictRehash), visiting
    // at most ten times as many empty buckets so that a sparse old table cannot make one step long.
    // Returns true while there is more to move.
    bool rehash_steps(size_t buckets) {
        size_t empty_visits = buckets * 10;
        Table& from = tables_[0];
        while (buckets-- > 0 && rehashing()) {
            while (!from.slots[static_cast<size_t>(rehash_index_)]) {
                ++rehash_index_;
                if (static_cast<size_t>(rehash_index_) == from.buckets()) return finish_rehash();
                if (--empty_visits == 0) return true;
            }
            Entry* e = std::exchange(from.slots[static_cast<size_t>(rehash_index_)], nullptr);
            while (e) {
                Entry* next = e->next;
                Entry*& head = tables_[1].head(hash_bytes(std::string_view(e->key), kHashSeed));
                e->next = head;
                head = e;
                e = next;
            }
            if (static_cast<size_t>(++rehash_index_) == from.buckets()) return finish_rehash();
        }
        return rehashing();
    }

    // A random entry (nullptr when empty): a random non-empty bucket, then a random link of its
    // chain. Slightly biased towards entries in short chains, as Redis' dictGetRandomKey. While
    // rehashing, the bucket is drawn from the old table's unmoved part and the whole new table.
    Entry* random_entry(Random& random) const {
        if (size_ == 0) return nullptr;
        Entry* head;
        do head = bucket_at(random.next());
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
        size_t span = sample_span();
        size_t index = random.next() % span;
        size_t empty_budget = count * 10, visited = 0;
        for (size_t step = 0; step < span && visited < count; ++step, index = (index + 1) % span) {
            Entry* e = bucket_in_span(index);
            if (!e && empty_budget-- == 0) break;
            for (; e && visited < count; e = e->next, ++visited) fn(*e);
        }
    }

    // One SCAN step: calls fn(entry) for the entries of one bucket (of both tables' matching
    // buckets while rehashing) and returns the next cursor, 0 when the scan is complete.
    template <typename Fn>
    uint64_t scan(uint64_t cursor, Fn&& fn) const {
        if (size_ == 0) return 0;
        if (!rehashing()) {
            for (Entry* e = tables_[0].slots[cursor & tables_[0].mask]; e; e = e->next) fn(*e);
            return next_cursor(cursor, tables_[0].mask);
        }
        // Two tables: visit bucket `cursor` of the smaller one, then every bucket of the larger
        // one whose low bits are the same - the buckets its entries move to (or came from).
        const Table& small = tables_[0].buckets() <= tables_[1].buckets() ? tables_[0] : tables_[1];
        const Table& large = &small == &tables_[0] ? tables_[1] : tables_[0];
        for (Entry* e = small.slots[cursor & small.mask]; e; e = e->next) fn(*e);
        do {
            for (Entry* e = large.slots[cursor & large.mask]; e; e = e->next) fn(*e);
            cursor = next_cursor(cursor, large.mask);
        } while (cursor & (small.mask ^ large.mask));  // until the extra high bits wrap round
        return cursor;
    }

    template <typename Fn>
    // Every entry of both tables, in bucket order: KEYS, the RDB writer and the set/hash commands use it,
    // and none of them changes the dict meanwhile (one thread, or a forked child's frozen copy).
    void for_each(Fn&& fn) const {
        for (const Table& table : tables_)
            for (size_t i = 0; i < table.buckets(); ++i)
                for (Entry* e = table.slots[i]; e; e = e->next) fn(*e);
    }

private:
    static constexpr size_t kMinBuckets = 4;

    // The bucket array comes from calloc (allocate_zeroed), not `new Entry*[n]()`. Value-initialising
    // writes zeros over the whole array at once: at 2^24 buckets that is 128 MB touched in one go, a
    // 76 ms stall of every client at the resize near 8.4M keys (scaling.py, full mode), the very
    // pause incremental rehash exists to avoid. A large calloc is an mmap of pages the kernel zeroes
    // on first touch, so glibc skips the memset and the cost is paid a page at a time as
    // rehash_steps() and inserts reach the buckets - as redis-server's zcalloc does.
    struct FreeSlots {
        void operator()(Entry** slots) const { free_zeroed(slots); }
    };
    using Slots = std::unique_ptr<Entry*[], FreeSlots>;
    static Slots allocate_slots(size_t buckets) {
        return Slots(static_cast<Entry**>(allocate_zeroed(buckets, sizeof(Entry*))));  // all null
    }

    struct Table {
        Slots slots;
        size_t mask = 0;  // buckets - 1 (0 while no array is allocated)
        size_t buckets() const { return slots ? mask + 1 : 0; }
        Entry*& head(uint64_t hash) const { return slots[hash & mask]; }
    };

    // A resize only allocates: the entries move later, in rehash_steps().
    void start_resize(size_t buckets) {
        buckets = std::max(buckets, kMinBuckets);  // (also tells the compiler the array is not empty)
        if (tables_[0].buckets() == 0) {           // the first table: nothing to move
            tables_[0].slots = allocate_slots(buckets);
            tables_[0].mask = buckets - 1;
            return;
        }
        tables_[1].slots = allocate_slots(buckets);
        tables_[1].mask = buckets - 1;
        rehash_index_ = 0;
    }

    // The new table takes over. If the dict grew or shrank a lot while the entries were moving,
    // the next resize starts at once (otherwise an emptied table would wait for the next erase).
    bool finish_rehash() {
        tables_[0] = std::move(tables_[1]);
        tables_[1] = Table{};
        rehash_index_ = -1;
        size_t buckets = tables_[0].buckets();
        if (size_ > buckets)
            start_resize(buckets * 2);
        else if (size_ * 8 < buckets && buckets > kMinBuckets)
            start_resize(std::max<size_t>(kMinBuckets, std::bit_ceil(size_ * 2)));
        return rehashing();
    }

    // Random bucket picking over "the unmoved part of the old table, then the new table".
    size_t sample_span() const {
        if (!rehashing()) return tables_[0].buckets();
        return tables_[0].buckets() - static_cast<size_t>(rehash_index_) + tables_[1].buckets();
    }
    Entry* bucket_in_span(size_t index) const {
        if (!rehashing()) return tables_[0].slots[index];
        size_t unmoved = tables_[0].buckets() - static_cast<size_t>(rehash_index_);
        if (index < unmoved) return tables_[0].slots[static_cast<size_t>(rehash_index_) + index];
        return tables_[1].slots[index - unmoved];
    }
    Entry* bucket_at(uint64_t random_value) const { return bucket_in_span(random_value % sample_span()); }

    // Increment the cursor's reversed bits within `mask`: set the bits above the mask, so that the
    // increment carries into the highest unmasked bit.
    static uint64_t next_cursor(uint64_t cursor, size_t mask) {
        cursor |= ~static_cast<uint64_t>(mask);
        cursor = reverse_bits(cursor);
        ++cursor;
        return reverse_bits(cursor);
    }

    static uint64_t reverse_bits(uint64_t v) {
        uint64_t r = 0;
        for (int i = 0; i < 64; ++i, v >>= 1) r = (r << 1) | (v & 1);
        return r;
    }

    void swap(Dict& other) noexcept {
        std::swap(tables_, other.tables_);
        std::swap(rehash_index_, other.rehash_index_);
        std::swap(size_, other.size_);
    }

    Table tables_[2];
    ptrdiff_t rehash_index_ = -1;  // next bucket of tables_[0] to move; -1: not rehashing
    size_t size_ = 0;
};

}  // namespace miniredis
