// miniredis/core/tick.cpp
//
// CONCEPT: the periodic tick - the work no request asks for but a server must still do: forgetting
// what has expired, finishing background jobs, noticing clients that went quiet. Redis calls this
// function serverCron; we call it tick(), as minirabbit (Broker::tick: TTLs, x-expires) and
// minikafka (Broker::tick: retention, group sessions) do, so the same idea has the same name in all
// three servers. It runs `hz` times a second (default 10) from a timer in the wiring (server.cpp,
// schedule_tick), on the same thread as the commands - so, like a command, it must stay short: every
// step below has a budget, and a tick that took 100 ms would be a 100 ms latency spike for every
// client (docs/miniredis/06-looking-inside.md shows how to see one with LATENCY).
//
//   timer (1000/hz ms) ─▶ tick()
//                          ├─ blocked clients past their timeout get their nil reply
//                          ├─ active expiry: sample keys with a TTL, delete the expired ones, repeat
//                          │  while more than 10% of a sample was expired, within 25% of a tick
//                          ├─ active rehashing: a table being resized moves buckets for <= 1 ms
//                          │  (model/dict.hpp)
//                          ├─ replication: (re)connect to the master, ACK once a second
//                          ├─ persistence: finished child jobs, `save <seconds> <changes>` rules,
//                          │  automatic AOF rewrite (persistence.cpp)
//                          └─ clients idle past `timeout`, rates for INFO, soft output limits
//
// Why sample instead of scanning every key with a TTL? Lazy expiry (Database::expire_if_needed, on
// every access) already removes keys that are read; the tick only has to find keys nobody reads
// again, and Redis' answer - random samples, more while they are mostly expired - keeps that cost
// proportional to the garbage, not to the keyspace.
//
// Its per-turn counterpart, before_sleep() (the AOF write before any reply), is in durability.cpp.
// READ NEXT: core/durability.cpp, model/database.cpp (expire_sample), core/persistence.cpp.
#include <chrono>

#include "core/broker.hpp"
#include "core/eviction.hpp"

namespace miniredis {

void Broker::tick() {
    env.refresh_lru_clock();
    expire_blocked_clients();
    if (!env.replica) active_expire_cycle();  // a read-only replica waits for the master's DEL
    active_rehash();
    replication_tick();
    persistence_tick();
    close_idle_clients();
    sample_instantaneous_metrics();  // INFO instantaneous_ops_per_sec, peak memory (core/rates.cpp)
    // A client that stays over its soft output limit without being sent anything new is only
    // seen here (Redis' clientsCron does the same check).
    for (auto& [id, client] : clients)
        if (!client->close_after_reply && !client->out.empty() && output_buffer_limit_reached(*client))
            kill_client(*client);
}

// `timeout N`: a client silent for N seconds is closed - unless it is blocked in BLPOP or
// subscribed, where silence is the point (Redis' clientsCronHandleTimeout).
void Broker::close_idle_clients() {
    if (config.timeout <= 0) return;
    int64_t now = clock.now_ms();
    for (auto& [id, client] : clients) {
        // Nor a replication link: a replica's or master's silence is normal between writes.
        if (client->blocked.active || client->subscriptions() > 0 || client->close_after_reply ||
            client->repl_role != ReplRole::none)
            continue;
        if (now - client->last_interaction_ms > config.timeout * 1000) kill_client(*client);
    }
}

// Active expiry (Redis' activeExpireCycle, "slow" mode): per database, sample 20 keys that have a
// TTL and delete the expired ones; if more than 10% of the sample was expired, the database
// probably holds many more, so sample again - within a budget of 25% of one tick.
void Broker::active_expire_cycle() {
    constexpr size_t kSamplesPerLoop = 20;
    constexpr size_t kAcceptableStalePercent = 10;
    auto budget = std::chrono::microseconds(1'000'000 / config.hz / 4);
    auto deadline = std::chrono::steady_clock::now() + budget;
    for (Database& db : databases) {
        if (db.expires_size() == 0) continue;
        for (int loops = 0;; ++loops) {
            auto result = db.expire_sample(random, kSamplesPerLoop);
            // An empty sample is no sign that the work is done: the walk may have started in a
            // stretch that earlier loops already emptied (Redis repeats then too). Stop only when
            // a real sample was mostly alive, or nothing with a TTL is left.
            if (db.expires_size() == 0) break;
            if (result.sampled > 0 && result.expired * 100 <= result.sampled * kAcceptableStalePercent) break;
            if ((loops & 15) == 15 && std::chrono::steady_clock::now() > deadline) return;
        }
    }
}

// Active rehashing (Redis' databasesCron with `activerehashing yes`): a table being resized moves a
// few buckets per command that touches it; this finishes the job for idle tables, 100 buckets at a
// time for about 1 ms per tick - long enough to matter, short enough that no client notices.
void Broker::active_rehash() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
    for (Database& db : databases)
        while (db.rehash_steps(100))
            if (std::chrono::steady_clock::now() > deadline) return;
}

void Broker::kill_client(Client& client) {
    client.out.clear();
    client.close_after_reply = true;
    // A killed client blocked in BLPOP must stop waiting now: until its socket is closed it would
    // otherwise still be in line, and a later push would pop an element for a dead connection.
    unblock_client(client);
    want_write(client);
}

void Broker::unsubscribe_all(Client& client) {
    for (const std::string& channel : client.channels) pubsub.unsubscribe(channel, client.id);
    for (const std::string& pattern : client.patterns) pubsub.punsubscribe(pattern, client.id);
    client.channels.clear();
    client.patterns.clear();
}

void Broker::apply_config(Config updated) {
    Config old = std::move(config);
    config = std::move(updated);
    apply_lfu_config();
    for (auto& [id, c] : clients) c->parser.set_max_bulk_len(config.proto_max_bulk_len);
    reconfigure_aof(old);
    update_replica_env();  // replica-read-only
    // A resized backlog starts empty (Redis did the same before 7.0): a reconnect right after
    // the change needs a full resync.
    if (repl.backlog.active() && config.repl_backlog_size != old.repl_backlog_size)
        repl.backlog.reset(static_cast<size_t>(config.repl_backlog_size), repl.offset);
    if (config.maxmemory > 0) free_memory_if_needed(*this);  // a lowered limit applies at once
}

}  // namespace miniredis
