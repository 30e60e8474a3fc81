// miniredis/commands/info.cpp
//
// INFO: the server describing itself in "field:value" lines, grouped in "# Section"s - what
// redis-cli --stat, redis_exporter, RedisInsight and every dashboard read.
//
// CONCEPT: INFO is an interface, not a report: tools parse it by field name, so the names are
// Redis 7.0's exactly (used_memory, keyspace_hits, cmdstat_get:calls=...,usec=..., db0:keys=...),
// and a field we cannot fill meaningfully is either left out or given Redis' idle value (0,
// "no-failover"), never a made-up one. Sections:
//
//   default (INFO)     server clients memory persistence stats replication cpu modules
//                      errorstats cluster keyspace
//   all                default + commandstats           everything   all (we have no modules)
//   INFO a b ...       just those sections (case-insensitive)
//
// Counting costs nothing on the hot path: every number here is either a counter that exists
// anyway (stats, the per-command counters in the command table), or computed now (getrusage,
// the keyspace sizes), or sampled by the tick (rates.hpp).
//
// READ NEXT: commands/command_table.hpp (the per-command counters), core/rates.hpp.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "model/memory.hpp"
#include "version.hpp"

namespace miniredis {
namespace {

// Redis' bytesToHuman: "1.70M", "12.00K", "512B".
// The *_human twins of the byte fields are for people reading INFO by eye; tools use the plain ones.
std::string human(uint64_t bytes) {
    auto d = static_cast<double>(bytes);
    if (bytes < 1024) return fmt::format("{}B", bytes);
    if (bytes < 1024ULL * 1024) return fmt::format("{:.2f}K", d / 1024);
    if (bytes < 1024ULL * 1024 * 1024) return fmt::format("{:.2f}M", d / (1024 * 1024));
    if (bytes < 1024ULL * 1024 * 1024 * 1024) return fmt::format("{:.2f}G", d / (1024.0 * 1024 * 1024));
    return fmt::format("{:.2f}T", d / (1024.0 * 1024 * 1024 * 1024));
}

std::string seconds(const timeval& tv) { return fmt::format("{}.{:06}", tv.tv_sec, tv.tv_usec); }

uint64_t total_system_memory() {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) : 0;
}

// Sections are separated by an empty line and open with "# Name" - the layout parsers split on
// (redis-py's parse_info skips lines starting with '#', and reads "key:value" everywhere else).
void header(std::string& out, std::string_view title) {
    if (!out.empty()) out += "\r\n";
    out += fmt::format("# {}\r\n", title);
}

// Which sections a request asks for. With no argument, the default set; "all" and "everything"
// add the sections that are costly or long (commandstats); names are case-insensitive, and an
// unknown name simply matches nothing - INFO never fails on a section it does not know.
struct Sections {
    std::span<const std::string_view> names;
    bool wanted(std::string_view name, bool in_default = true) const {
        if (names.empty()) return in_default;
        for (auto s : names) {
            if (equals_ignore_case(s, name)) return true;
            if (equals_ignore_case(s, "all") || equals_ignore_case(s, "everything")) return true;
            if (equals_ignore_case(s, "default") && in_default) return true;
        }
        return false;
    }
};

}  // namespace

// INFO [section ...]: the text, without the RESP framing.
// The text is built with "\r\n" line ends, as Redis sends it; the caller wraps it in one bulk
// string (cmd_info below: a verbatim string in RESP3, a bulk string in RESP2).
std::string info_text(Broker& server, std::span<const std::string_view> names) {
    Sections sections{names};
    int64_t now = server.clock.now_ms();
    int64_t uptime = (now - server.start_ms) / 1000;
    std::string out;
    auto it = std::back_inserter(out);
    // # Server: who is answering - version, mode, process id, port, uptime. redis_version says 7.0.x
    // so clients that switch features by version behave as they would against Redis 7.0.
    if (sections.wanted("server")) {
        header(out, "Server");
        utsname uts{};
        uname(&uts);
        // run_id is Redis' 40-hex-digit random per-process id, by which tools notice a restart. It
        // gets a random number of its own: any client may read INFO, and the hash seed
        // (model/hashing.cpp) must stay secret, or a client could pick keys that all collide.
        static const uint64_t run_id = [] {
            std::random_device device;
            return (static_cast<uint64_t>(device()) << 32) ^ device();
        }();
        int64_t now_us =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        fmt::format_to(it,
                       "redis_version:{}\r\nminiredis_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:"
                       "0\r\nredis_build_id:0\r\n"
                       "redis_mode:standalone\r\nminiredis:yes\r\nos:{} {} {}\r\narch_bits:64\r\n"
                       "monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\n"
                       "gcc_version:{}.{}.{}\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{:040x}\r\n"
                       "tcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\n"
                       "configured_hz:{}\r\nlru_clock:{}\r\nexecutable:miniredis\r\nconfig_file:{}\r\n"
                       "io_threads_active:0\r\n",
                       kRedisVersion, mb::kVersion, uts.sysname, uts.release, uts.machine, __GNUC__, __GNUC_MINOR__,
                       __GNUC_PATCHLEVEL__, getpid(), run_id, server.config.port, now_us, uptime, uptime / 86'400,
                       server.config.hz, server.config.hz, server.env.lru_clock() & 0xffffff,
                       server.config.config_file);
    }
    // # Clients: how many are connected, blocked (BLPOP, XREAD BLOCK, WAIT) and subscribed, and the
    // largest input and output buffers - a client that stopped reading shows up as a growing
    // client_recent_max_output_buffer long before it costs real memory.
    if (sections.wanted("clients")) {
        // One pass over the clients, O(clients): fine for INFO, which monitors poll every few seconds,
        // and the reason INFO is not F (fast) in the command table.
        size_t blocked = 0, pubsub = 0, max_in = 0, max_out = 0, in_timeout = 0;
        for (auto& [id, c] : server.clients) {
            blocked += c->blocked.active ? 1 : 0;
            in_timeout += c->blocked.active && c->blocked.deadline_ms ? 1 : 0;
            pubsub += c->subscriptions() > 0 ? 1 : 0;
            max_in = std::max(max_in, c->in.capacity());
            max_out = std::max(max_out, c->out.size());
        }
        header(out, "Clients");
        fmt::format_to(it,
                       "connected_clients:{}\r\ncluster_connections:0\r\nmaxclients:10000\r\n"
                       "client_recent_max_input_buffer:{}\r\nclient_recent_max_output_buffer:{}\r\n"
                       "blocked_clients:{}\r\ntracking_clients:0\r\nclients_in_timeout_table:{}\r\n"
                       "pubsub_clients:{}\r\n",
                       server.clients.size(), max_in, max_out, blocked, in_timeout, pubsub);
    }
    // # Memory: used_memory is what our allocator hook counted (model/memory.hpp), used_memory_rss what
    // the kernel says the process holds; their ratio is the fragmentation an operator watches. The
    // fields Redis fills from jemalloc, Lua or the replication backlog are 0 here rather than absent.
    if (sections.wanted("memory")) {
        size_t used = used_memory(), rss = resident_memory();
        server.peak_memory = std::max(server.peak_memory, used);
        size_t clients_bytes = 0;
        for (auto& [id, c] : server.clients) clients_bytes += c->in.capacity() + c->out.capacity() + sizeof(Client);
        size_t aof = server.aof.pending_bytes();
        size_t overhead = clients_bytes + aof;
        size_t dataset = used > overhead ? used - overhead : 0;
        uint64_t system = total_system_memory();
        auto maxmemory = static_cast<uint64_t>(server.config.maxmemory);
        header(out, "Memory");
        fmt::format_to(
            it,
            "used_memory:{}\r\nused_memory_human:{}\r\nused_memory_rss:{}\r\nused_memory_rss_human:{}\r\n"
            "used_memory_peak:{}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2f}%\r\n"
            "used_memory_overhead:{}\r\nused_memory_startup:0\r\nused_memory_dataset:{}\r\n"
            "used_memory_dataset_perc:{:.2f}%\r\ntotal_system_memory:{}\r\ntotal_system_memory_human:{}\r\n"
            "used_memory_lua:0\r\nused_memory_scripts:0\r\nnumber_of_cached_scripts:0\r\n"
            "maxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nmem_fragmentation_ratio:{:.2f}\r\n"
            "mem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:{}\r\nmem_replication_backlog:0\r\n"
            "mem_clients_slaves:0\r\nmem_clients_normal:{}\r\nmem_aof_buffer:{}\r\nmem_allocator:libc\r\n"
            "active_defrag_running:0\r\nlazyfree_pending_objects:{}\r\nlazyfreed_objects:{}\r\n",
            used, human(used), rss, human(rss), server.peak_memory, human(server.peak_memory),
            server.peak_memory ? 100.0 * static_cast<double>(used) / static_cast<double>(server.peak_memory) : 0.0,
            overhead, dataset, used ? 100.0 * static_cast<double>(dataset) / static_cast<double>(used) : 0.0, system,
            human(system), maxmemory, human(maxmemory), server.config.options.text("maxmemory-policy"),
            used ? static_cast<double>(rss) / static_cast<double>(used) : 0.0,
            static_cast<int64_t>(rss) - static_cast<int64_t>(used), aof, clients_bytes, aof, server.lazy_free.pending(),
            server.lazy_free.freed());
    }
    // # Persistence: is the data safe? rdb_changes_since_last_save, the last BGSAVE's status, the AOF's
    // size and last write status - the fields an operator checks after a disk incident.
    if (sections.wanted("persistence")) {
        header(out, "Persistence");
        out += server.persistence_info();
    }
    // # Stats: the counters behind a cache's health - keyspace_hits / (hits + misses) is the hit rate,
    // expired_keys and evicted_keys say whether memory is freed by TTLs or by pressure. The
    // instantaneous_* rates come from samples the tick takes (core/rates.hpp), not from this call.
    if (sections.wanted("stats")) {
        const Stats& s = server.stats;
        header(out, "Stats");
        fmt::format_to(
            it,
            "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{:.0f}\r\n"
            "total_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ninstantaneous_input_kbps:{:.2f}\r\n"
            "instantaneous_output_kbps:{:.2f}\r\nrejected_connections:{}\r\nsync_full:{}\r\nsync_partial_ok:{}\r\n"
            "sync_partial_err:{}\r\nexpired_keys:{}\r\nexpired_stale_perc:0.00\r\n"
            "expired_time_cap_reached_count:0\r\nevicted_keys:{}\r\nevicted_clients:0\r\nkeyspace_hits:{}\r\n"
            "keyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\nlatest_fork_usec:0\r\n"
            "total_forks:0\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\n"
            "active_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\n"
            "active_defrag_key_misses:0\r\ntracking_total_keys:0\r\ntracking_total_items:0\r\n"
            "tracking_total_prefixes:0\r\nunexpected_error_replies:0\r\ntotal_error_replies:{}\r\n"
            "dump_payload_sanitizations:0\r\ntotal_reads_processed:0\r\ntotal_writes_processed:0\r\n"
            "io_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n",
            s.connections_received, s.commands_processed, server.ops_rate.per_second(), s.net_input_bytes,
            s.net_output_bytes, server.input_rate.per_second() / 1024, server.output_rate.per_second() / 1024,
            s.rejected_connections, server.repl.sync_full, server.repl.sync_partial_ok, server.repl.sync_partial_err,
            s.expired_keys, s.evicted_keys, s.keyspace_hits, s.keyspace_misses, server.pubsub.channel_count(),
            server.pubsub.pattern_count(), s.error_replies);
    }
    // # Replication: the role, the replication offsets and the connected replicas - the numbers
    // WAIT compares (docs/miniredis/07-replication.md).
    if (sections.wanted("replication")) {
        header(out, "Replication");
        out += replication_info(server);  // replication_cmds.cpp
    }
    // # CPU: user and system seconds of the process, of its children (BGSAVE's fork) and of the main
    // thread; process minus main thread is what the other threads (the lazy-free one) spent.
    if (sections.wanted("cpu")) {
        rusage self{}, children{};
        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_CHILDREN, &children);
        // RUSAGE_THREAD is Linux's; elsewhere the process figures stand in for the main thread's.
        rusage thread = self;
#ifdef RUSAGE_THREAD
        getrusage(RUSAGE_THREAD, &thread);
#endif
        header(out, "CPU");
        fmt::format_to(it,
                       "used_cpu_sys:{}\r\nused_cpu_user:{}\r\nused_cpu_sys_children:{}\r\n"
                       "used_cpu_user_children:{}\r\nused_cpu_sys_main_thread:{}\r\nused_cpu_user_main_thread:{}\r\n",
                       seconds(self.ru_stime), seconds(self.ru_utime), seconds(children.ru_stime),
                       seconds(children.ru_utime), seconds(thread.ru_stime), seconds(thread.ru_utime));
    }
    if (sections.wanted("modules")) header(out, "Modules");
    // # Commandstats (only with INFO all/everything/commandstats): calls and microseconds per command,
    // read from the counters the command table keeps anyway - "which command costs the most?" without
    // a profiler.
    if (sections.wanted("commandstats", false)) {
        header(out, "Commandstats");
        // Commands never called are left out, as Redis does; subcommands are listed under their full
        // name (cmdstat_config|get), which is how Redis 7 reports them too.
        auto line = [&](const CommandSpec& spec) {
            if (!spec.calls && !spec.rejected_calls && !spec.failed_calls) return;
            fmt::format_to(it, "cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}\r\n",
                           spec.name, spec.calls, spec.usec,
                           spec.calls ? static_cast<double>(spec.usec) / static_cast<double>(spec.calls) : 0.0,
                           spec.rejected_calls, spec.failed_calls);
        };
        for (const CommandSpec& spec : all_commands()) {
            line(spec);
            for (const CommandSpec& sub : spec.subcommands) line(sub);
        }
    }
    // # Errorstats: errors by their first word (ERR, WRONGTYPE, NOAUTH...) - a rising WRONGTYPE count is
    // usually a bug in a client, not in the server.
    if (sections.wanted("errorstats")) {
        header(out, "Errorstats");
        for (const auto& [code, count] : server.stats.errors_by_code)
            fmt::format_to(it, "errorstat_{}:count={}\r\n", code, count);
    }
    if (sections.wanted("cluster")) {
        header(out, "Cluster");
        out += "cluster_enabled:0\r\n";
    }
    // # Keyspace: per database, how many keys, how many with a TTL, average TTL - the one-line health
    // check of a cache (expires close to keys means "everything is volatile").
    if (sections.wanted("keyspace")) {
        header(out, "Keyspace");
        int64_t now_ms = server.clock.now_ms();
        for (Database& db : server.databases) {
            if (db.size() == 0) continue;
            // avg_ttl: the mean time left of the keys with a TTL, in ms (Redis estimates it while
            // expiring; we sample a few deadlines now, so INFO stays O(1) in the number of keys).
            int64_t ttl_sum = 0, ttl_count = 0;
            db.expires().sample(server.random, 20, [&](const Database::Expires::Entry& e) {
                ttl_sum += std::max<int64_t>(e.value - now_ms, 0);
                ++ttl_count;
            });
            fmt::format_to(it, "db{}:keys={},expires={},avg_ttl={}\r\n", db.index(), db.size(), db.expires_size(),
                           ttl_count ? ttl_sum / ttl_count : 0);
        }
    }
    return out;
}

// A verbatim string ("=txt:" in RESP3) tells redis-cli to print the text as it is, line breaks
// and all; in RESP2 it is one bulk string, which is what every INFO parser expects.
void cmd_info(CommandContext& ctx) { ctx.reply.verbatim(info_text(ctx.server, ctx.argv.subspan(1))); }

}  // namespace miniredis
