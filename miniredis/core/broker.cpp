// miniredis/core/broker.cpp
//
// Broker: clients coming and going, and the bookkeeping every write triggers (dirty counter,
// WATCH invalidation, expired-key propagation).
//
// CONCEPT: what "a key changed" means to the rest of the server. One call, key_modified(), is the
// single place that tells everyone who cares: WATCHing clients (their EXEC will fail), clients
// blocked on the key (it may serve them now), and the dirty counter (the `save` rules and INFO's
// rdb_changes_since_last_save). A handler that changed a key and forgot to call it would break
// transactions in ways no test of the handler itself would see - which is why the commands reach
// it through CommandContext::modified and not by hand.
//
//   LPUSH jobs x ──▶ key_modified(db, "jobs") ──▶ watched? mark those clients dirty (EXEC -> nil)
//                                             ──▶ blocked? signal_key_ready (BLPOP served after)
//                                             ──▶ dirty++
// READ NEXT: commands/transactions.cpp (WATCH), commands/blocking.cpp.
#include "core/broker.hpp"

#include <algorithm>

namespace miniredis {

Broker::Broker(const Clock& c, Config cfg) : clock(c), config(std::move(cfg)) {
    env.clock = &clock;
    env.observer = this;
    env.refresh_lru_clock();
    apply_lfu_config();
    databases.reserve(static_cast<size_t>(config.databases));
    for (int i = 0; i < config.databases; ++i) databases.emplace_back(i, env);
    watched_keys.resize(databases.size());
    blocked_keys.resize(databases.size());
    random = Random(kHashSeed ^ static_cast<uint64_t>(clock.now_ms()));
    start_ms = last_save_ms = clock.now_ms();
}

Broker::~Broker() = default;

void Broker::apply_lfu_config() {
    env.lfu = config.lfu();
    env.lfu_log_factor = config.lfu_log_factor;
    env.lfu_decay_time = config.lfu_decay_time;
}

Client& Broker::add_client(std::string peer, std::string local) {
    auto* client = new Client;
    client->id = next_client_id++;
    client->peer = std::move(peer);
    client->local = std::move(local);
    client->created_ms = client->last_interaction_ms = clock.now_ms();
    client->authenticated = config.requirepass.empty();
    client->parser.set_max_bulk_len(config.proto_max_bulk_len);
    clients.emplace(client->id, client);
    ++stats.connections_received;
    return *client;
}

void Broker::remove_client(Client& client) {
    client.closed = true;
    unsubscribe_all(client);
    remove_watches(client);
    unblock_client(client);
    std::erase(pending_writes, &client);
    std::erase(unblocked_clients, &client);
    if (client.monitor) std::erase(monitors, &client);
    if (client.repl_role == ReplRole::replica) forget_replica(client);
    if (client.repl_role == ReplRole::master) master_link_lost(client);
    clients.erase(client.id);
    delete &client;
}

// Every error reply is counted by its code - the first word, "ERR" or "WRONGTYPE" (INFO errorstats).
// Called only on the error path, where the map's allocation (first error of a kind) is no concern.
void Broker::count_error_reply(std::string_view message) {
    ++stats.error_replies;
    std::string_view code = message.substr(0, std::min(message.find_first_of(" \r"), size_t{32}));
    auto it = stats.errors_by_code.find(code);
    if (it == stats.errors_by_code.end()) it = stats.errors_by_code.emplace(std::string(code), 0).first;
    ++it->second;
}

Client* Broker::find_client(uint64_t id) {
    auto it = clients.find(id);
    return it == clients.end() ? nullptr : it->second;
}

void Broker::want_write(Client& client) {
    if (client.write_pending) return;
    client.write_pending = true;
    pending_writes.push_back(&client);
}

// Called by the database when lazy or active expiry deletes a key: the deletion is an event like
// any write - the AOF records it, WATCHers are told.
void Broker::key_expired(Database& db, std::string_view key) {
    ++stats.expired_keys;
    // The AOF must see the deletion too, or a replay would resurrect the key until its deadline
    // passes again - and a replica (or a reloaded AOF) must not decide expiry on its own.
    std::string_view del[] = {"DEL", key};
    propagate(db.index(), del);
    key_modified(db.index(), key);
}

// Every change to a key passes here (Redis' signalModifiedKey): it counts toward the snapshot
// rules, a transaction that WATCHes the key will refuse to EXEC, and clients blocked on the key
// get a chance to be served (an XADD for an XREAD BLOCK, a ZADD for a BZPOPMIN).
void Broker::key_modified(int db, std::string_view key) {
    ++dirty;
    signal_key_ready(db, key);
    auto& watchers = watched_keys[static_cast<size_t>(db)];
    if (watchers.empty()) return;
    auto it = watchers.find(std::string(key));
    if (it == watchers.end()) return;
    for (Client* c : it->second) c->watch_dirty = true;
}

void Broker::all_keys_modified(int db) {
    for (size_t i = 0; i < watched_keys.size(); ++i) {
        if (db >= 0 && static_cast<size_t>(db) != i) continue;
        for (auto& [key, watchers] : watched_keys[i]) {
            // Redis: a FLUSH only invalidates WATCHes on keys that existed.
            if (!databases[i].peek(key)) continue;
            for (Client* c : watchers) c->watch_dirty = true;
        }
    }
}

void Broker::remove_watches(Client& client) {
    for (const auto& w : client.watched) {
        auto& map = watched_keys[static_cast<size_t>(w.db)];
        auto it = map.find(w.key);
        if (it == map.end()) continue;
        std::erase(it->second, &client);
        if (it->second.empty()) map.erase(it);
    }
    client.watched.clear();
    client.watch_dirty = false;
}

}  // namespace miniredis
