// miniredis/core/redis_conf.cpp
//
// CONCEPT: loading the original's config file as it is. A lab machine has Debian's stock
// /etc/redis/redis.conf; `miniredis /etc/redis/redis.conf --port 0 --dir /tmp/x` should start from
// it, exactly as `redis-server /etc/redis/redis.conf --port 0 ...` does. Three kinds of line:
//
//   port 6379                 ours (config.cpp's table)       -> takes effect
//   io-threads 4              Redis knows it, we don't        -> accepted, listed in ONE warning
//   potato 3                  nobody knows it                 -> refused, as Redis refuses it:
//                                                               *** FATAL CONFIG FILE ERROR ***
//
// Why not refuse everything we don't implement? Because a stock file is full of knobs that only
// tune Redis' internals (listpack sizes, lazyfree, THP, jemalloc) or features outside this course
// (TLS, cluster, replication, Lua, modules). Refusing them would make the stock file useless;
// accepting them silently would hide that they do nothing - hence the one summary line at start.
// Why still refuse unknown names? A typo ("maxmemroy 1gb") must not be silently ignored: that is
// the reason Redis itself refuses unknown directives.
//
// The rest of the file syntax is common/options.cpp: `include`, quotes ("" = empty), units
// (1gb), yes/no, and the order rule - the command line is applied after the file, so it wins.
// Lines that may repeat (save, client-output-buffer-limit) add up: OptionSpec::repeatable.
//
// READ NEXT: core/config.cpp (the directives that take effect), main.cpp (the error format).
#include "core/config.hpp"

namespace miniredis {
namespace {

// Redis 7.0's directives (its config.c table and the special ones) that miniredis does not
// implement. Names ending in '*' are families. Sorted by what they are about.
constexpr std::string_view kKnownUnimplemented[] = {
    // Process management beyond daemonize, pidfile and logfile (main.cpp does those).
    "supervised",
    "syslog-*",
    "set-proc-title",
    "proc-title-template",
    "always-show-logo",
    "crash-log-enabled",
    "crash-memcheck-enabled",
    "oom-score-adj",
    "oom-score-adj-values",
    "disable-thp",
    "jemalloc-bg-thread",
    "locale-collate",
    "ignore-warnings",
    "shutdown-*",
    // Networking and security beyond one TCP listener and requirepass.
    "protected-mode",
    "tcp-backlog",
    "tcp-keepalive",
    "unixsocket",
    "unixsocketperm",
    "tls-*",
    "maxclients",
    "bind-source-addr",
    "aclfile",
    "acllog-max-len",
    "user",
    "rename-command",
    "enable-protected-configs",
    "enable-module-command",
    "loadmodule",
    "max-new-connections-per-cycle",
    "max-new-tls-connections-per-cycle",
    // Replication directives not in config.cpp's table (masteruser, repl-ping-replica-period,
    // replica-priority and the old slave-* spellings of those: accepted and ignored; the old
    // spellings of the ones we implement are kAliases below), and cluster (outside this course).
    "replicaof",
    "slaveof",
    "masterauth",
    "masteruser",
    "replica-*",
    "slave-*",
    "repl-*",
    "min-replicas-*",
    "min-slaves-*",
    "cluster-*",
    "propagation-error-behavior",
    // Internals of Redis' encodings, threads and memory allocator.
    "io-threads",
    "io-threads-do-reads",
    "hash-max-*",
    "list-max-*",
    "list-compress-depth",
    "set-max-*",
    "zset-max-*",
    "stream-node-max-*",
    "activerehashing",
    "dynamic-hz",
    "active-expire-effort",
    "activedefrag",
    "active-defrag-*",
    "lazyfree-*",
    "maxmemory-eviction-tenacity",
    "maxmemory-clients",
    "tracking-table-max-keys",
    "latency-tracking",
    "latency-tracking-info-percentiles",
    "client-query-buffer-limit",
    // Persistence details our AOF and snapshot do not have.
    "stop-writes-on-bgsave-error",
    "rdbcompression",
    "rdbchecksum",
    "rdb-del-sync-files",
    "rdb-save-incremental-fsync",
    "aof-rewrite-incremental-fsync",
    "appenddirname",
    "no-appendfsync-on-rewrite",
    "aof-use-rdb-preamble",
    "aof-timestamp-enabled",
    "sanitize-dump-payload",
    // Features not built: keyspace notifications, Lua, OOM score, busy scripts.
    "notify-keyspace-events",
    "lua-*",
    "busy-reply-threshold",
};

// Redis 5 renamed "slave" to "replica"; Redis 7 still takes the old names everywhere - a config
// file, the command line, CONFIG SET and CONFIG GET (which answers under the name it was asked
// by). Old redis.conf files and old tools keep working, and so do they here: same option, two
// names. Only the ones whose option we implement (config.cpp); the others fall under slave-*.
constexpr mb::OptionAlias kAliases[] = {
    {"slaveof", "replicaof"},
    {"slave-read-only", "replica-read-only"},
    {"slave-serve-stale-data", "replica-serve-stale-data"},
    {"min-slaves-to-write", "min-replicas-to-write"},
    {"min-slaves-max-lag", "min-replicas-max-lag"},
};

}  // namespace

mb::ConfigFileRules redis_conf_rules() { return {kKnownUnimplemented, /*include=*/true, kAliases}; }

std::span<const mb::OptionAlias> redis_conf_aliases() { return kAliases; }

}  // namespace miniredis
