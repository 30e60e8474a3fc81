// miniredis/model/database.hpp
//
// Database: one of Redis' 16 numbered keyspaces (SELECT 0..15): key -> Value, plus expiry.
//
// CONCEPT: the keyspace is a hash table from key to value. Keys with a TTL also have an entry in a
// second table, `expires_` (key -> deadline in Unix ms), exactly as Redis keeps `db->expires`:
// keys without a TTL - usually most of them - pay nothing, and the active expiry cycle can sample
// only keys that can expire.
//
// Expiry happens in two ways (see expiry.cpp):
//   lazily   every lookup checks the deadline first; a key past it is deleted right there and
//            the lookup misses - nobody ever reads a stale value;
//   actively a cycle samples keys with a TTL ten times a second and deletes the expired ones, so
//            memory comes back even for keys nobody reads again.
// Deleting an expired key is an event others must hear about - the AOF logs a DEL, transactions
// WATCHing the key abort - so the database reports it to a KeyspaceObserver (the command layer)
// instead of knowing about files or clients itself.
//
//   dict_    "session:1" ──▶ Value{string "..."}      expires_  "session:1" ──▶ 1700000060000
//            "counter"   ──▶ Value{string "42"}                 (no entry: no TTL)
//            "jobs"      ──▶ Value{list [...]}
// READ NEXT: database.cpp, value.hpp, dict.hpp (the hash table), core/tick.cpp (active expiry).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clock.hpp"
#include "dict.hpp"
#include "lfu.hpp"
#include "value.hpp"

namespace miniredis {

class Database;

class KeyspaceObserver {
public:
    virtual ~KeyspaceObserver() = default;
    virtual void key_expired(Database& db, std::string_view key) = 0;
};

// What all 16 databases share: the clock, who hears about expirations, and whether we are loading
// the AOF (while replaying, a key is never expired lazily: its later commands still apply to it).
struct KeyspaceEnv {
    const Clock* clock = nullptr;
    KeyspaceObserver* observer = nullptr;
    bool loading = false;
    // A read-only replica (core/replication_replica.cpp) never deletes an expired key: its
    // dataset is the master's, and the master sends DEL. Readers are told the key is gone; the
    // master's own commands (applying_master) still see it, as the master did when it sent them.
    bool replica = false;
    bool applying_master = false;
    // The LRU clock in seconds, refreshed by the server's tick (10 times a second) rather than
    // read from the OS on every lookup - the same trade as Redis' server.lruclock: eviction only
    // needs "roughly when", and a clock call per GET would cost more than the GET.
    uint32_t lru_clock_cached = 0;
    uint32_t lru_clock() const { return lru_clock_cached; }
    void refresh_lru_clock() {
        lru_clock_cached = static_cast<uint32_t>(clock->now_ms() / 1000);
        lfu_minutes = lfu::minutes(clock->now_ms());
    }

    // With an LFU maxmemory-policy the same field holds a frequency instead (model/lfu.hpp).
    bool lfu = false;
    int lfu_log_factor = 10, lfu_decay_time = 1;
    uint32_t lfu_minutes = 0;
    mutable uint64_t lfu_random = 0x9e3779b97f4a7c15ULL;  // xorshift state: the draw for the increment
    uint32_t fresh_access() const { return lfu ? lfu::pack(lfu_minutes, lfu::kInitialCounter) : lru_clock_cached; }
    uint32_t touched(uint32_t old) const {
        if (!lfu) return lru_clock_cached;
        lfu_random ^= lfu_random << 13, lfu_random ^= lfu_random >> 7, lfu_random ^= lfu_random << 17;
        double draw = static_cast<double>(lfu_random >> 11) * 0x1.0p-53;
        return lfu::touched(old, lfu_minutes, lfu_decay_time, lfu_log_factor, draw);
    }
};

class Database {
public:
    using Keys = Dict<SmallString, Value>;
    using Expires = Dict<SmallString, int64_t>;

    Database(int index, const KeyspaceEnv& env) : index_(index), env_(&env) {}

    int index() const { return index_; }
    size_t size() const { return keys_.size(); }
    size_t expires_size() const { return expires_.size(); }

    // The live value of `key`, or nullptr (absent or just expired). Marks it recently used.
    Value* find(std::string_view key) {
        Keys::Entry* e = keys_.find(key);
        if (!e) return nullptr;
        if (!expires_.empty() && expire_if_needed(key)) return nullptr;
        e->value.lru = env_->touched(e->value.lru);
        return &e->value;
    }
    // Like find(), but neither expires nor touches: for TYPE-like peeks and persistence.
    Value* peek(std::string_view key) {
        Keys::Entry* e = keys_.find(key);
        return e ? &e->value : nullptr;
    }
    bool exists(std::string_view key) { return find(key) != nullptr; }

    // Stores `value` under `key`, replacing any old value. The old TTL is dropped unless keep_ttl
    // (SET ... KEEPTTL); every other way of overwriting a key makes it persistent, as in Redis.
    Value& set(std::string_view key, Value value, bool keep_ttl = false);
    // The entry for `key`, created holding an empty string if missing (second = created).
    std::pair<Value*, bool> find_or_create(std::string_view key);
    bool remove(std::string_view key);
    // Removes `key` and hands its value to the caller, who frees it (UNLINK: maybe on the lazy-free
    // thread, core/lazy_free.hpp); nullopt when absent.
    std::optional<Value> take(std::string_view key);
    // Empties the database and hands both tables over whole (FLUSHALL ASYNC): O(1) here.
    std::pair<Keys, Expires> take_all() { return {std::move(keys_), std::move(expires_)}; }
    void clear();
    // Presizes the key table for `keys` more keys (loading: the count is known up front).
    void reserve(size_t keys) { keys_.reserve(keys_.size() + keys); }

    // Deadline in Unix ms, or nullopt when the key has no TTL (the caller checks existence).
    std::optional<int64_t> expire_of(std::string_view key) const;
    void set_expire(std::string_view key, int64_t when_ms);
    bool persist(std::string_view key);  // drop the TTL; true if there was one

    // One random live key (RANDOMKEY); expired keys met on the way are deleted.
    std::optional<std::string_view> random_key(Random& random);

    // Active expiry: samples up to `samples` keys with a TTL, deletes the expired ones, and
    // returns {sampled, expired}. The caller repeats while many of the samples were expired.
    struct SampleResult {
        size_t sampled = 0, expired = 0;
    };
    SampleResult expire_sample(Random& random, size_t samples);

    // Active rehashing (Redis' `activerehashing`): moves `buckets` buckets of whichever of the two
    // tables is being resized. The tick calls it in a loop for about a millisecond per tick, so a
    // resize finishes even when no command touches the keyspace. True while more is left.
    bool rehash_steps(size_t buckets) {
        bool more = keys_.rehashing() && keys_.rehash_steps(buckets);
        return (expires_.rehashing() && expires_.rehash_steps(buckets)) || more;
    }

    Keys& keys() { return keys_; }
    const Keys& keys() const { return keys_; }
    const Expires& expires() const { return expires_; }
    const KeyspaceEnv& env() const { return *env_; }

private:
    bool expire_if_needed(std::string_view key);  // true when `key` was expired and deleted
    void delete_expired(std::string_view key);

    int index_;
    const KeyspaceEnv* env_;
    Keys keys_;
    Expires expires_;
};

}  // namespace miniredis
