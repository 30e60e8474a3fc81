// miniredis/core/config.hpp
//
// Config: the redis.conf directives miniredis understands, as one table (mb::OptionSpec) that
// serves three readers: the command line (`--maxmemory 100mb`), a config file (`maxmemory 100mb`),
// and CONFIG GET/SET at run time. Typed copies of the values the hot paths read (maxmemory,
// requirepass, appendfsync...) live in `Config` and are refreshed after every CONFIG SET.
//
// CONCEPT: configuration that changes while the server runs. The table is the truth (strings, as
// the user wrote them); `Config` holds typed copies for the hot paths, so reading maxmemory on every
// write is a field load, not a map lookup and a parse. CONFIG SET validates with the same spec as
// the command line and then refreshes the copies, so the three ways in cannot disagree.
//
//   --maxmemory 100mb │ redis.conf "maxmemory 100mb" │ CONFIG SET maxmemory 100mb
//                     └──────────────▶ OptionSpec table (common/options.hpp) ──▶ Config::maxmemory
// READ NEXT: config.cpp, redis_conf.cpp (reading redis-server's own config file).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "options.hpp"
#include "storage/fsync_policy.hpp"

namespace miniredis {

enum class EvictionPolicy {
    noeviction,
    allkeys_lru,
    volatile_lru,
    allkeys_random,
    volatile_random,
    volatile_ttl,
    allkeys_lfu,
    volatile_lfu
};

// client-output-buffer-limit <class> <hard> <soft> <soft-seconds>: how many unsent reply bytes a
// client of each class may hold. Over `hard`: closed at once. Over `soft` for `soft_seconds` in a
// row: closed. 0 = no limit. Redis' defaults: normal clients unlimited (they asked for their
// replies and back-pressure slows them), pub/sub subscribers 32mb/8mb/60s (messages are pushed
// at them whether they read or not), replicas 256mb/64mb/60s.
struct OutputBufferLimit {
    int64_t hard = 0;
    int64_t soft = 0;
    int64_t soft_seconds = 0;
};
// repl-diskless-load: when a replica parses the master's RDB as it arrives (Redis' three modes).
enum class ReplDisklessLoad { disabled, on_empty_db, swapdb };

enum class ClientClass { normal = 0, replica = 1, pubsub = 2 };

struct SaveRule {
    int64_t seconds;
    int64_t changes;
};

// One address of `bind 127.0.0.1 -::1`: a leading '-' makes it optional (skipped with a warning
// when it cannot be bound, e.g. ::1 on a host without IPv6), as in Redis 7.
struct BindAddress {
    std::string host;
    bool optional = false;
};

std::span<const mb::OptionSpec> config_options();

// The redis.conf rules beyond our own directives (core/redis_conf.cpp): `include`, and the
// directives Redis knows that miniredis accepts without implementing them.
mb::ConfigFileRules redis_conf_rules();
// The old slave-* names of our replica-* options (Redis 7 still accepts them): CONFIG GET/SET.
std::span<const mb::OptionAlias> redis_conf_aliases();

struct Config {
    mb::Options options;      // every directive's current text (CONFIG GET answers from here)
    std::string config_file;  // the redis.conf read at start, absolute (INFO's config_file), or ""

    std::vector<BindAddress> binds;  // from `bind`; `bind` below is the first (the admin port's)
    std::string bind, dir, dbfilename, appendfilename, requirepass;
    int port = 6379;
    int databases = 16;
    int hz = 10;
    bool appendonly = false;
    FsyncPolicy appendfsync = FsyncPolicy::everysec;
    std::vector<SaveRule> save;
    int64_t maxmemory = 0;  // 0 = no limit
    EvictionPolicy maxmemory_policy = EvictionPolicy::noeviction;
    int maxmemory_samples = 5;
    int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
    int64_t hll_sparse_max_bytes = 3000;  // a sparse HyperLogLog longer than this turns dense
    int64_t auto_aof_rewrite_percentage = 100;
    int64_t auto_aof_rewrite_min_size = 64LL * 1024 * 1024;
    bool aof_load_truncated = true;
    int64_t timeout = 0;  // close clients idle this many seconds (0 = never)
    OutputBufferLimit output_limits[3] = {{0, 0, 0}, {256LL << 20, 64LL << 20, 60}, {32LL << 20, 8LL << 20, 60}};
    bool trace = false;
    std::string masterauth;  // replication (core/replication.hpp); `replicaof` is read at start-up
    bool replica_read_only = true;
    int64_t repl_backlog_size = 1024 * 1024;
    bool repl_diskless_sync = true;  // full resync: RDB straight into the replica's buffer, $EOF:<mark>
    int64_t repl_diskless_sync_delay = 5;
    int64_t rdb_key_save_delay = 0;  // µs per key in a snapshot child (tests: a BGSAVE that lasts)
    int64_t repl_diskless_sync_max_replicas = 0;
    ReplDisklessLoad repl_diskless_load = ReplDisklessLoad::disabled;  // core/replication_replica.cpp
    bool replica_serve_stale_data = true;   // link down: answer from the old data (no = -MASTERDOWN)
    int64_t min_replicas_to_write = 0;      // fewer good replicas: writes get -NOREPLICAS (0 = off)
    int64_t min_replicas_max_lag = 10;      // "good" = ACKed within this many seconds
    bool lazyfree_lazy_user_del = false;    // DEL frees like UNLINK
    bool lazyfree_lazy_user_flush = false;  // FLUSHALL/FLUSHDB without a mode mean ASYNC
    // Looking inside (core/slowlog.hpp, core/latency.hpp, model/lfu.hpp)
    int64_t slowlog_log_slower_than = 10'000;  // microseconds; negative = off
    int64_t slowlog_max_len = 128;
    int64_t latency_monitor_threshold = 0;    // milliseconds; 0 = off
    std::string enable_debug_command = "no";  // DEBUG: no | yes | local (from loopback only)
    int lfu_log_factor = 10, lfu_decay_time = 1;
    bool lfu() const {
        return maxmemory_policy == EvictionPolicy::allkeys_lfu || maxmemory_policy == EvictionPolicy::volatile_lfu;
    }

    // Re-reads the typed fields from `options` (after parsing or CONFIG SET).
    void refresh();
    // Parses "3600 1 300 100" into rules; nullopt-like false on a malformed value.
    static bool parse_save(std::string_view text, std::vector<SaveRule>& rules);
    // Applies "pubsub 32mb 8mb 60 [class hard soft seconds ...]" over `limits` (classes not named
    // keep their values, as CONFIG SET does in Redis); "" or what is wrong with it.
    static std::string parse_output_limits(std::string_view text, OutputBufferLimit (&limits)[3]);
    // The value as CONFIG GET shows it: every class, sizes in bytes ("normal 0 0 0 slave ...").
    static std::string format_output_limits(const OutputBufferLimit (&limits)[3]);
};

}  // namespace miniredis
