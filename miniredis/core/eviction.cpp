// miniredis/core/eviction.cpp
//
// Eviction (see eviction.hpp): the sampling pool and the policies.
//
// CONCEPT: see eviction.hpp. Why a pool that survives between calls? A fresh sample of five keys is
// a coin toss; keeping the best candidates of earlier samples makes each eviction choose among many
// more keys for the same per-call cost - Redis' evictionPoolPopulate does the same. An evicted key is
// propagated as a DEL, so a replica and the AOF forget it too (they do not evict on their own).
// READ NEXT: core/lazy_free.hpp (big values are freed off the thread), model/database.hpp.
#include "core/eviction.hpp"

#include <algorithm>
#include <string>

#include "core/broker.hpp"
#include "model/memory.hpp"

namespace miniredis {
namespace {

// Memory the policy does not count: the AOF buffers are about to be written out, and evicting
// data because of them would be pointless (Redis: freeMemoryGetNotCountedMemory).
size_t counted_memory(const Broker& server) {
    size_t used = used_memory(), aof = server.aof.pending_bytes();
    return used > aof ? used - aof : 0;
}

bool uses_ttl_keys(EvictionPolicy p) {
    return p == EvictionPolicy::volatile_lru || p == EvictionPolicy::volatile_random ||
           p == EvictionPolicy::volatile_ttl || p == EvictionPolicy::volatile_lfu;
}

// Fills the pool with sampled keys from every database, scored so that a higher score = a better
// victim (idle seconds for LRU; for volatile-ttl, how soon it expires).
void refill_pool(Broker& server) {
    auto& pool = server.eviction_pool;
    const EvictionPolicy policy = server.config.maxmemory_policy;
    const size_t samples = static_cast<size_t>(server.config.maxmemory_samples);
    const uint32_t now = server.env.lru_clock();
    // LRU: the longer idle, the better a victim. LFU (lfu.hpp): the rarer used, the better.
    auto badness = [&](uint32_t lru) -> uint64_t {
        if (server.env.lfu) return 255 - lfu::decayed_counter(lru, server.env.lfu_minutes, server.env.lfu_decay_time);
        return now - std::min(now, lru);
    };
    for (Database& db : server.databases) {
        auto consider = [&](std::string_view key, uint64_t score) {
            for (auto& c : pool)
                if (c.db == db.index() && c.key == key) return;  // already a candidate
            pool.push_back({db.index(), std::string(key), score});
        };
        if (policy == EvictionPolicy::volatile_ttl) {
            db.expires().sample(server.random, samples, [&](const Database::Expires::Entry& e) {
                consider(e.key, UINT64_MAX - static_cast<uint64_t>(e.value));  // soonest deadline first
            });
        } else if (uses_ttl_keys(policy)) {
            db.expires().sample(server.random, samples, [&](const Database::Expires::Entry& e) {
                if (Value* v = db.peek(e.key)) consider(e.key, badness(v->lru));
            });
        } else {
            db.keys().sample(server.random, samples,
                             [&](const Database::Keys::Entry& e) { consider(e.key, badness(e.value.lru)); });
        }
    }
    // Keep the best 16 (Redis' EVPOOL_SIZE); ties go to the ones sampled first.
    std::stable_sort(pool.begin(), pool.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    if (pool.size() > 16) pool.resize(16);
}

// Picks and removes one victim; false if there is none.
bool evict_one(Broker& server) {
    const EvictionPolicy policy = server.config.maxmemory_policy;
    std::string victim;
    int victim_db = -1;
    if (policy == EvictionPolicy::allkeys_random || policy == EvictionPolicy::volatile_random) {
        // Round-robin over databases so one busy database does not shield the others.
        for (size_t tries = 0; tries < server.databases.size() && victim_db < 0; ++tries) {
            Database& db = server.databases[server.next_eviction_db++ % server.databases.size()];
            if (policy == EvictionPolicy::allkeys_random && db.size()) {
                victim = db.keys().random_entry(server.random)->key.view();
                victim_db = db.index();
            } else if (policy == EvictionPolicy::volatile_random && db.expires_size()) {
                victim = db.expires().random_entry(server.random)->key.view();
                victim_db = db.index();
            }
        }
    } else {
        for (int attempt = 0; attempt < 3 && victim_db < 0; ++attempt) {
            refill_pool(server);
            // The best candidate that still exists (a pooled key may have been deleted since).
            while (!server.eviction_pool.empty() && victim_db < 0) {
                auto best = std::move(server.eviction_pool.front());
                server.eviction_pool.erase(server.eviction_pool.begin());
                Database& db = server.db(best.db);
                if (!db.peek(best.key)) continue;
                if (uses_ttl_keys(policy) && !db.expire_of(best.key)) continue;
                victim = std::move(best.key);
                victim_db = best.db;
            }
        }
    }
    if (victim_db < 0) return false;
    // Like an expiry: the AOF gets a DEL and WATCHers are told.
    std::string_view del[] = {"DEL", victim};
    server.propagate(victim_db, del);
    server.db(victim_db).remove(victim);
    server.key_modified(victim_db, victim);
    ++server.stats.evicted_keys;
    return true;
}

}  // namespace

bool free_memory_if_needed(Broker& server) {
    const auto limit = static_cast<size_t>(server.config.maxmemory);
    if (limit == 0 || counted_memory(server) <= limit) return true;
    if (server.config.maxmemory_policy == EvictionPolicy::noeviction) return false;
    while (counted_memory(server) > limit)
        if (!evict_one(server)) return false;
    return true;
}

}  // namespace miniredis
