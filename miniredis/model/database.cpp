// miniredis/model/database.cpp
//
// Database: storing and deleting keys, and the TTL bookkeeping in the second table.
//
// CONCEPT: see database.hpp. Every read path goes through expire_if_needed first: a key past its
// deadline is deleted on the spot, and (on a master) a DEL is propagated so the AOF and replicas
// forget it at the same point in the command stream. A replica never deletes an expired key by
// itself: it hides it from readers and keeps it until the master's DEL arrives, so master and
// replica cannot disagree about which keys exist.
// READ NEXT: commands/keys.cpp (EXPIRE, TTL), core/tick.cpp (the active half).
#include "database.hpp"

namespace miniredis {

// SET semantics: a key that gets a new value loses its TTL (unless KEEPTTL). Commands that modify
// a value in place (INCR, APPEND, LPUSH...) do not come here and keep the TTL - exactly Redis'
// rule, and the reason a session hash can be updated without resetting its expiry.
Value& Database::set(std::string_view key, Value value, bool keep_ttl) {
    auto [entry, created] = keys_.insert(key);
    if (!created && !keep_ttl && !expires_.empty()) expires_.erase(key);
    entry->value = std::move(value);
    entry->value.lru = env_->fresh_access();
    return entry->value;
}

// The write path's lookup: one hash, and the caller fills the value in place - LPUSH to a new key
// costs a single insertion. The fresh LRU stamp is what the eviction sampler compares later.
std::pair<Value*, bool> Database::find_or_create(std::string_view key) {
    if (Value* v = find(key)) return {v, false};
    auto [entry, created] = keys_.insert(key);
    entry->value.lru = env_->fresh_access();
    return {&entry->value, created};
}

// Removing a key removes its TTL too: a later SET of the same name must not inherit a deadline.
// The `expires_.empty()` test keeps the common no-TTL keyspace from paying a second hash.
bool Database::remove(std::string_view key) {
    if (!keys_.erase(key)) return false;
    if (!expires_.empty()) expires_.erase(key);
    return true;
}

// take() moves the value out before erasing the entry: UNLINK hands it to the lazy-free thread
// without copying the data, and the key is gone for every later command at once.
std::optional<Value> Database::take(std::string_view key) {
    Keys::Entry* e = keys_.find(key);
    if (!e) return std::nullopt;
    std::optional<Value> value(std::move(e->value));
    remove(key);  // erases a moved-from Value: nothing left to free
    return value;
}

// FLUSHDB (sync): both tables at once. FLUSHDB ASYNC swaps the tables out instead (core/lazy_free.cpp).
void Database::clear() {
    keys_.clear();
    expires_.clear();
}

std::optional<int64_t> Database::expire_of(std::string_view key) const {
    if (auto* e = expires_.find(key)) return e->value;
    return std::nullopt;
}

void Database::set_expire(std::string_view key, int64_t when_ms) { expires_.insert(key).first->value = when_ms; }

bool Database::persist(std::string_view key) { return expires_.erase(key); }

// RANDOMKEY must not return a key that is already dead, so expired picks are deleted and retried.
std::optional<std::string_view> Database::random_key(Random& random) {
    // Bounded: if every key is volatile and expired, don't loop forever deleting them.
    for (int tries = 0; tries < 100 && !keys_.empty(); ++tries) {
        Keys::Entry* e = keys_.random_entry(random);
        auto deadline = expire_of(e->key);
        if (!deadline || env_->loading || env_->replica || *deadline > env_->clock->now_ms()) return e->key.view();
        delete_expired(std::string(e->key.view()));
    }
    if (keys_.empty()) return std::nullopt;
    return keys_.random_entry(random)->key.view();
}

bool Database::expire_if_needed(std::string_view key) {
    Expires::Entry* e = expires_.find(key);
    if (!e || env_->loading || e->value > env_->clock->now_ms()) return false;
    if (env_->replica) return !env_->applying_master;  // gone for readers, kept until the master's DEL
    delete_expired(key);
    return true;
}

// Every expiry - lazy or active - ends here, so the observer (Broker) sees each one exactly once:
// it propagates a DEL to the AOF and replicas, tells WATCHers, and counts expired_keys for INFO.
void Database::delete_expired(std::string_view key) {
    // The observer may want the key's bytes (to log "DEL key"): tell it before they are freed.
    std::string copy(key);  // `key` may point into the entry we are about to delete
    if (env_->observer) env_->observer->key_expired(*this, copy);
    remove(copy);
}

// One step of active expiry: look at a handful of keys that have a TTL (a random stretch of the
// expires table) and delete the dead ones. The caller decides whether to keep sampling.
Database::SampleResult Database::expire_sample(Random& random, size_t samples) {
    SampleResult result;
    int64_t now = env_->clock->now_ms();
    std::vector<std::string> expired;
    expires_.sample(random, samples, [&](const Expires::Entry& e) {
        ++result.sampled;
        if (e.value <= now) expired.emplace_back(e.key.view());
    });
    for (const std::string& key : expired) delete_expired(key);
    result.expired = expired.size();
    return result;
}

}  // namespace miniredis
