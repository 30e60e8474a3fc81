// /metrics for miniredis: what a Prometheus server scrapes from the admin port.
//
// CONCEPT: a metric is a name, a type and labels. The type tells the dashboard what it may do:
// a *counter* only goes up (restarts aside), so rate() turns it into "per second"; a *gauge*
// goes up and down (clients connected, memory). Labels split one metric into series - one per
// command here - so a single query shows which command the server spends its time on:
//
//   miniredis_commands_total{cmd="get"} 1042            <- calls, from the command table
//   miniredis_commands_duration_seconds_total{cmd="get"} 0.0021
//   miniredis_db_keys{db="db0"} 17
//
// The names follow redis_exporter's (redis_commands_total, redis_db_keys, ...) with our prefix,
// so its dashboards need only the prefix changed. Everything is read when scraped, from numbers
// the server keeps anyway (Stats, the per-command counters): nothing is added to the hot path.
//
// READ NEXT: common/metrics.hpp (the registry and the text format), commands/info.cpp (the same
// numbers, as INFO shows them).
#include "server_metrics.hpp"

#include "commands/command_table.hpp"
#include "model/memory.hpp"

namespace miniredis {

void register_metrics(mb::Metrics& metrics, Broker& state) {
    auto stat = [&state](uint64_t Stats::*field) {
        return [&state, field] { return static_cast<double>(state.stats.*field); };
    };
    metrics.gauge("miniredis_connected_clients", "Open client connections.",
                  [&] { return static_cast<double>(state.clients.size()); });
    metrics.gauge("miniredis_blocked_clients", "Clients blocked in BLPOP and friends.", [&] {
        double n = 0;
        for (auto& [id, c] : state.clients) n += c->blocked.active ? 1 : 0;
        return n;
    });
    metrics.counter("miniredis_commands_processed_total", "Commands run since start.",
                    stat(&Stats::commands_processed));
    metrics.counter("miniredis_connections_received_total", "Connections accepted since start.",
                    stat(&Stats::connections_received));
    metrics.counter("miniredis_rejected_connections_total", "Connections refused (maxclients).",
                    stat(&Stats::rejected_connections));
    metrics.counter("miniredis_keyspace_hits_total", "Key lookups that found the key.", stat(&Stats::keyspace_hits));
    metrics.counter("miniredis_keyspace_misses_total", "Key lookups that did not.", stat(&Stats::keyspace_misses));
    metrics.counter("miniredis_expired_keys_total", "Keys deleted by expiry.", stat(&Stats::expired_keys));
    metrics.counter("miniredis_evicted_keys_total", "Keys deleted by maxmemory eviction.", stat(&Stats::evicted_keys));
    metrics.counter("miniredis_net_input_bytes_total", "Bytes read from clients.", stat(&Stats::net_input_bytes));
    metrics.counter("miniredis_net_output_bytes_total", "Bytes written to clients.", stat(&Stats::net_output_bytes));
    metrics.counter("miniredis_pubsub_messages_total", "Pub/sub messages delivered.", stat(&Stats::pubsub_messages));
    metrics.gauge("miniredis_keys", "Keys in all databases.", [&] {
        double n = 0;
        for (Database& db : state.databases) n += static_cast<double>(db.size());
        return n;
    });
    metrics.family("miniredis_db_keys", "Keys per database.", false, [&] {
        std::vector<mb::Sample> out;
        for (Database& db : state.databases)
            if (db.size())
                out.push_back(
                    {mb::Metrics::label("db", "db" + std::to_string(db.index())), static_cast<double>(db.size())});
        return out;
    });
    metrics.family("miniredis_db_keys_expiring", "Keys with a TTL per database.", false, [&] {
        std::vector<mb::Sample> out;
        for (Database& db : state.databases)
            if (db.size())
                out.push_back({mb::Metrics::label("db", "db" + std::to_string(db.index())),
                               static_cast<double>(db.expires_size())});
        return out;
    });
    metrics.gauge("miniredis_memory_used_bytes", "Bytes allocated (INFO used_memory).",
                  [] { return static_cast<double>(used_memory()); });
    metrics.gauge("miniredis_memory_max_bytes", "maxmemory (0 = no limit).",
                  [&] { return static_cast<double>(state.config.maxmemory); });
    // Per command, from the counters in the command table (command_table.hpp). Only commands
    // that ran appear, as in INFO commandstats: 200 idle series help nobody.
    auto per_command = [](auto value) {
        return [value] {
            std::vector<mb::Sample> out;
            auto add = [&](const CommandSpec& spec) {
                if (spec.calls || spec.rejected_calls || spec.failed_calls)
                    out.push_back({mb::Metrics::label("cmd", spec.name), value(spec)});
            };
            for (const CommandSpec& spec : all_commands()) {
                add(spec);
                for (const CommandSpec& sub : spec.subcommands) add(sub);
            }
            return out;
        };
    };
    metrics.family("miniredis_commands_total", "Calls per command.", true,
                   per_command([](const CommandSpec& s) { return static_cast<double>(s.calls); }));
    metrics.family("miniredis_commands_duration_seconds_total", "Time spent per command.", true,
                   per_command([](const CommandSpec& s) { return static_cast<double>(s.usec) / 1e6; }));
    metrics.family("miniredis_commands_rejected_calls_total", "Calls refused before running, per command.", true,
                   per_command([](const CommandSpec& s) { return static_cast<double>(s.rejected_calls); }));
    metrics.family("miniredis_commands_failed_calls_total", "Calls that answered an error, per command.", true,
                   per_command([](const CommandSpec& s) { return static_cast<double>(s.failed_calls); }));
    metrics.family("miniredis_errors_total", "Error replies by error code.", true, [&] {
        std::vector<mb::Sample> out;
        for (const auto& [code, count] : state.stats.errors_by_code)
            out.push_back({mb::Metrics::label("err", code), static_cast<double>(count)});
        return out;
    });
    metrics.gauge("miniredis_slowlog_length", "Entries in the slowlog.",
                  [&] { return static_cast<double>(state.slowlog.size()); });
    metrics.process_metrics();
}

}  // namespace miniredis
