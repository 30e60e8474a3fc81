// miniredis/core/config.cpp
//
// Config: the directive table and the typed copies.
//
// CONCEPT: see config.hpp. Every directive has one row: name, default, help, kind; sizes accept
// Redis' units (1kb, 100mb, 1gb), booleans yes/no. A directive redis-server knows and we do not
// implement is accepted with one summary warning (redis_conf.cpp), so a stock redis.conf loads;
// a name nobody knows (a typo) is refused, as redis-server refuses it.
// READ NEXT: commands/server_cmds.cpp (CONFIG GET/SET).
#include "core/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace miniredis {
namespace {

using mb::OptionKind;

// Names, defaults and meanings follow redis.conf. Kinds let one parser validate the command line,
// a config file and CONFIG SET alike ("64mb" is a valid maxmemory, "64 potatoes" is not).
constexpr mb::OptionSpec kOptions[] = {
    {"port", "6379", "TCP port to listen on (0 = any free port)", OptionKind::integer, 0, 65535},
    {"bind", "127.0.0.1", "addresses to listen on, e.g. '127.0.0.1 -::1' ('-' = optional: skipped if unavailable)"},
    {"dir", ".", "data directory: snapshots and the AOF go here"},
    {"admin-port", "", "HTTP admin port: /, /healthz, /metrics, /api (0 = any free port; empty = off)"},
    {"loglevel", "info", "log level", OptionKind::choice, 0, 0, "debug|info|notice|verbose|warning|error|nothing"},
    {"databases", "16", "number of databases (SELECT 0..N-1)", OptionKind::integer, 1, 1024},
    {"hz", "10", "background tasks (expiry, snapshots) per second", OptionKind::integer, 1, 500},
    {"requirepass", "", "password clients must AUTH with (empty = none)"},
    {"timeout", "0", "close a client idle this many seconds (0 = never)", OptionKind::integer, 0, INT32_MAX},
    {"appendonly", "no", "log every write to the append-only file", OptionKind::boolean},
    {"appendfsync", "everysec", "when the AOF is fsynced", OptionKind::choice, 0, 0, "always|everysec|no"},
    {"appendfilename", "appendonly.aof", "AOF file name, inside dir"},
    {"auto-aof-rewrite-percentage", "100", "rewrite the AOF when it grew by this % since the last rewrite (0 = off)",
     OptionKind::integer, 0, INT32_MAX},
    {"auto-aof-rewrite-min-size", "64mb", "... and is at least this big", OptionKind::bytes, 0, INT64_MAX},
    {"aof-load-truncated", "yes", "start even if the AOF ends with a torn command (it is cut off)",
     OptionKind::boolean},
    {"dbfilename", "dump.rdb", "snapshot (RDB) file name, inside dir"},
    {"save",
     "3600 1 300 100 60 10000",
     "snapshot rules: '<seconds> <changes> ...' (empty = never)",
     OptionKind::text,
     INT64_MIN,
     INT64_MAX,
     {},
     /*repeatable=*/true},
    {"maxmemory", "0", "memory limit for data (0 = none), e.g. 100mb", OptionKind::bytes, 0, INT64_MAX},
    {"disk-free-limit", "50mb", "/healthz answers 503 when the dir's disk has less free (RabbitMQ's disk_free_limit)",
     OptionKind::bytes, 0, INT64_MAX},
    {"maxmemory-policy", "noeviction", "what to do at the limit", OptionKind::choice, 0, 0,
     "noeviction|allkeys-lru|volatile-lru|allkeys-random|volatile-random|volatile-ttl|allkeys-lfu|volatile-lfu"},
    {"maxmemory-samples", "5", "keys sampled per eviction", OptionKind::integer, 1, 64},
    {"proto-max-bulk-len", "512mb", "largest bulk string a client may send", OptionKind::bytes, 1024 * 1024, INT64_MAX},
    {"client-output-buffer-limit",
     "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60",
     "unsent reply bytes a client may hold: '<normal|replica|pubsub> <hard> <soft> <soft-seconds>' ...",
     OptionKind::text,
     INT64_MIN,
     INT64_MAX,
     {},
     /*repeatable=*/true},
    {"hll-sparse-max-bytes", "3000", "largest sparse HyperLogLog before it turns dense (12 KB)", OptionKind::bytes, 0,
     INT64_MAX},
    {"slowlog-log-slower-than", "10000", "log commands slower than this many microseconds (negative = off)",
     OptionKind::integer, INT64_MIN, INT64_MAX},
    {"slowlog-max-len", "128", "entries the slowlog keeps", OptionKind::integer, 0, INT64_MAX},
    {"latency-monitor-threshold", "0", "record latency spikes of at least this many ms (0 = off)", OptionKind::integer,
     0, INT64_MAX},
    {"enable-debug-command", "no", "allow DEBUG (local = from loopback connections only)", OptionKind::choice, 0, 0,
     "no|yes|local"},
    {"lfu-log-factor", "10", "LFU counter growth: higher = slower (maxmemory-policy *-lfu)", OptionKind::integer, 0,
     INT32_MAX},
    {"lfu-decay-time", "1", "minutes of no access that lower the LFU counter by one", OptionKind::integer, 0,
     INT32_MAX},
    // Replication (core/replication*.cpp)
    {"replicaof", "", "start as a replica of '<host> <port>' (empty = a master)"},
    {"masterauth", "", "password for the master's AUTH during the replication handshake"},
    {"replica-read-only", "yes", "refuse writes from clients on a replica", OptionKind::boolean},
    {"repl-backlog-size", "1mb", "bytes of the replication stream kept for partial resyncs", OptionKind::bytes,
     16 * 1024, INT64_MAX},
    {"repl-diskless-sync", "yes", "full resync: stream the RDB to the replica ($EOF:<mark>) instead of a file first",
     OptionKind::boolean},
    {"repl-diskless-sync-delay", "5", "seconds a diskless full resync waits for more replicas to share it",
     OptionKind::integer, 0, INT32_MAX},
    {"repl-diskless-sync-max-replicas", "0", "... or until this many wait (0 = the delay alone decides)",
     OptionKind::integer, 0, INT32_MAX},
    {"rdb-key-save-delay", "0", "microseconds to sleep after each key a snapshot child writes (tests only)",
     OptionKind::integer, 0, 1'000'000},
    {"repl-diskless-load", "disabled",
     "replica: parse the master's RDB as it arrives (swapdb: old data kept until the new one loaded; "
     "on-empty-db: only when empty) instead of after the whole transfer",
     OptionKind::choice, 0, 0, "disabled|on-empty-db|swapdb"},
    {"replica-serve-stale-data", "yes", "a replica whose link is down still answers data commands (no = -MASTERDOWN)",
     OptionKind::boolean},
    {"min-replicas-to-write", "0", "refuse writes (-NOREPLICAS) with fewer good replicas than this (0 = off)",
     OptionKind::integer, 0, INT32_MAX},
    {"min-replicas-max-lag", "10", "a good replica ACKed within this many seconds (0 = off)", OptionKind::integer, 0,
     INT32_MAX},
    {"trace", "no", "log one line per command showing its path through the server", OptionKind::boolean},
    {"lazyfree-lazy-user-del", "no", "DEL frees big values in the background, as UNLINK", OptionKind::boolean},
    {"lazyfree-lazy-user-flush", "no", "FLUSHALL/FLUSHDB without SYNC|ASYNC free in the background",
     OptionKind::boolean},
    // The process (main.cpp): as redis-server, a daemon writes its pid and logs to a file.
    {"daemonize", "no", "run in the background (fork, detach from the terminal; logs go to logfile)",
     OptionKind::boolean},
    {"pidfile", "", "write the process id to this file at start, remove it at exit (empty = none)"},
    {"logfile", "", "append log lines to this file (empty = stderr; /dev/null when daemonized)"},
    // Not a redis.conf directive: redis-check-aof --fix, built in (storage/repair.hpp).
    {"repair", "no",
     "check the AOF and snapshot, cut a corrupt AOF at its first bad byte (keeping <file>.corrupt), exit",
     OptionKind::boolean},
};

}  // namespace

std::span<const mb::OptionSpec> config_options() { return kOptions; }

// "3600 1 300 100 60 10000" = snapshot after 3600 s if at least 1 change, after 300 s if 100, after
// 60 s if 10000: frequent snapshots when busy, rare ones when idle. "" disables them.
bool Config::parse_save(std::string_view text, std::vector<SaveRule>& rules) {
    rules.clear();
    std::vector<int64_t> numbers;
    while (!text.empty()) {
        size_t space = text.find(' ');
        std::string_view word = text.substr(0, space);
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
        if (word.empty()) continue;
        auto n = mb::Options::parse_integer(word);
        if (!n || *n < 0) return false;
        numbers.push_back(*n);
    }
    if (numbers.size() % 2 != 0) return false;
    for (size_t i = 0; i < numbers.size(); i += 2) rules.push_back({numbers[i], numbers[i + 1]});
    return true;
}

// Errors as redis-server words them (CONFIG SET answers "... - <this>").
std::string Config::parse_output_limits(std::string_view text, OutputBufferLimit (&limits)[3]) {
    std::vector<std::string_view> words;
    while (!text.empty()) {
        size_t space = text.find(' ');
        if (std::string_view word = text.substr(0, space); !word.empty()) words.push_back(word);
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    }
    if (words.empty() || words.size() % 4 != 0) return "Wrong number of arguments in buffer limit configuration.";
    OutputBufferLimit parsed[3] = {limits[0], limits[1], limits[2]};  // all or nothing
    for (size_t i = 0; i < words.size(); i += 4) {
        std::string name(words[i]);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        int cls = name == "normal" ? 0 : (name == "replica" || name == "slave") ? 1 : name == "pubsub" ? 2 : -1;
        if (cls < 0) return "Invalid client class specified in buffer limit configuration.";
        auto hard = mb::Options::parse_bytes(words[i + 1]), soft = mb::Options::parse_bytes(words[i + 2]);
        auto seconds = mb::Options::parse_integer(words[i + 3]);
        if (!hard || !soft || !seconds || *hard < 0 || *soft < 0 || *seconds < 0)
            return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        parsed[cls] = {*hard, *soft, *seconds};
    }
    std::copy(std::begin(parsed), std::end(parsed), std::begin(limits));
    return "";
}

std::string Config::format_output_limits(const OutputBufferLimit (&limits)[3]) {
    // Redis 7.0 still names the replica class "slave" here (it accepts "replica" on input).
    return fmt::format("normal {} {} {} slave {} {} {} pubsub {} {} {}", limits[0].hard, limits[0].soft,
                       limits[0].soft_seconds, limits[1].hard, limits[1].soft, limits[1].soft_seconds, limits[2].hard,
                       limits[2].soft, limits[2].soft_seconds);
}

void Config::refresh() {
    binds.clear();
    for (std::string_view text = options.text("bind"); !text.empty();) {
        size_t space = text.find(' ');
        std::string_view word = text.substr(0, space);
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
        if (word.empty()) continue;
        bool optional = word.front() == '-';
        if (optional) word.remove_prefix(1);
        if (word.empty()) throw mb::OptionError("bad value for 'bind': '-' without an address");
        binds.push_back({std::string(word), optional});
    }
    if (binds.empty()) throw mb::OptionError("bad value for 'bind': no address");
    bind = binds.front().host;
    dir = options.text("dir");
    dbfilename = options.text("dbfilename");
    appendfilename = options.text("appendfilename");
    // Both are names inside `dir`, never paths (Redis' isValidDBfilename / isValidAOFfilename):
    // a path would let the files land outside the data directory.
    if (dbfilename.find('/') != std::string::npos) throw mb::OptionError("dbfilename can't be a path, just a filename");
    if (appendfilename.find('/') != std::string::npos)
        throw mb::OptionError("appendfilename can't be a path, just a filename");
    requirepass = options.text("requirepass");
    port = static_cast<int>(options.integer("port"));
    databases = static_cast<int>(options.integer("databases"));
    hz = static_cast<int>(options.integer("hz"));
    appendonly = options.boolean("appendonly");
    const std::string& fsync = options.text("appendfsync");
    appendfsync = fsync == "always" ? FsyncPolicy::always : fsync == "no" ? FsyncPolicy::no : FsyncPolicy::everysec;
    if (!parse_save(options.text("save"), save))
        throw mb::OptionError("bad value for 'save': expected '<seconds> <changes> ...'");
    maxmemory = options.integer("maxmemory");
    const std::string& policy = options.text("maxmemory-policy");
    maxmemory_policy = policy == "allkeys-lru"       ? EvictionPolicy::allkeys_lru
                       : policy == "volatile-lru"    ? EvictionPolicy::volatile_lru
                       : policy == "allkeys-random"  ? EvictionPolicy::allkeys_random
                       : policy == "volatile-random" ? EvictionPolicy::volatile_random
                       : policy == "volatile-ttl"    ? EvictionPolicy::volatile_ttl
                       : policy == "allkeys-lfu"     ? EvictionPolicy::allkeys_lfu
                       : policy == "volatile-lfu"    ? EvictionPolicy::volatile_lfu
                                                     : EvictionPolicy::noeviction;
    maxmemory_samples = static_cast<int>(options.integer("maxmemory-samples"));
    proto_max_bulk_len = options.integer("proto-max-bulk-len");
    hll_sparse_max_bytes = options.integer("hll-sparse-max-bytes");
    auto_aof_rewrite_percentage = options.integer("auto-aof-rewrite-percentage");
    auto_aof_rewrite_min_size = options.integer("auto-aof-rewrite-min-size");
    aof_load_truncated = options.boolean("aof-load-truncated");
    timeout = options.integer("timeout");
    trace = options.boolean("trace");
    masterauth = options.text("masterauth");
    replica_read_only = options.boolean("replica-read-only");
    repl_backlog_size = options.integer("repl-backlog-size");
    repl_diskless_sync = options.boolean("repl-diskless-sync");
    repl_diskless_sync_delay = options.integer("repl-diskless-sync-delay");
    repl_diskless_sync_max_replicas = options.integer("repl-diskless-sync-max-replicas");
    rdb_key_save_delay = options.integer("rdb-key-save-delay");
    const std::string& load = options.text("repl-diskless-load");
    repl_diskless_load = load == "swapdb"        ? ReplDisklessLoad::swapdb
                         : load == "on-empty-db" ? ReplDisklessLoad::on_empty_db
                                                 : ReplDisklessLoad::disabled;
    replica_serve_stale_data = options.boolean("replica-serve-stale-data");
    min_replicas_to_write = options.integer("min-replicas-to-write");
    min_replicas_max_lag = options.integer("min-replicas-max-lag");
    lazyfree_lazy_user_del = options.boolean("lazyfree-lazy-user-del");
    lazyfree_lazy_user_flush = options.boolean("lazyfree-lazy-user-flush");
    slowlog_log_slower_than = options.integer("slowlog-log-slower-than");
    slowlog_max_len = options.integer("slowlog-max-len");
    latency_monitor_threshold = options.integer("latency-monitor-threshold");
    enable_debug_command = options.text("enable-debug-command");
    lfu_log_factor = static_cast<int>(options.integer("lfu-log-factor"));
    lfu_decay_time = static_cast<int>(options.integer("lfu-decay-time"));
    // Partial values ("pubsub 4mb 1mb 60") change only the classes they name; the stored text is
    // then the whole normalised value, which is what CONFIG GET answers.
    if (std::string error = parse_output_limits(options.text("client-output-buffer-limit"), output_limits);
        !error.empty())
        throw mb::OptionError(error);
    options.set("client-output-buffer-limit", format_output_limits(output_limits));
}

}  // namespace miniredis
