// miniredis/commands/introspection.cpp
//
// Introspection commands: looking at one key or at the server from inside - OBJECT, MEMORY,
// DEBUG, ROLE.
//
// CONCEPT: TYPE says what a value is; OBJECT says how it is stored (its encoding - see
// model/encoding.hpp - how long it was idle, how often it is used under LFU), MEMORY USAGE how
// much it costs, MEMORY STATS / DOCTOR where the server's memory goes. redis-cli builds on them:
// --memkeys calls MEMORY USAGE per key, --hotkeys OBJECT FREQ (which needs an LFU policy, since
// only then is a frequency kept - model/lfu.hpp).
//
// None of them touches the key: looking must not change what is looked at (an OBJECT IDLETIME
// that reset the idle time would always answer 0), so they use a peek that neither bumps the LRU
// clock nor counts a keyspace hit.
//
// DEBUG is dangerous by design (DEBUG SLEEP freezes the whole server), so, as in Redis 7, it is
// refused unless `enable-debug-command` is yes (or local, for connections from this machine).
//
// READ NEXT: commands/diagnostics.cpp (SLOWLOG, LATENCY), commands/info.cpp (INFO).
#include <fmt/format.h>

#include <chrono>
#include <climits>
#include <thread>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "model/encoding.hpp"
#include "model/memory.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {
namespace {

// Redis' error texts, word for word: OBJECT FREQ and OBJECT IDLETIME read the same 24 bits of a
// value (`lru`), which hold either a last-access clock (LRU policies) or a counter with a decay
// stamp (LFU policies), so each question is only answerable under its own kind of policy.
constexpr std::string_view kNoLfu =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching "
    "between policies at runtime LRU and LFU data will take some time to adjust.";
constexpr std::string_view kNoLru =
    "ERR An LRU maxmemory policy is selected, no access time tracked. Please note that when switching between "
    "policies at runtime LRU and LFU data will take some time to adjust.";

// The value of `key` without touching it: no LRU/LFU update, no hit counted; an expired key is
// absent (it is left for expiry to delete).
Value* peek_live(CommandContext& ctx, std::string_view key) {
    Value* v = ctx.db().peek(key);
    if (!v) return nullptr;
    auto deadline = ctx.db().expire_of(key);
    // While loading, nothing counts as expired (Redis' expireIfNeeded returns early when
    // server.loading): the file is replayed as it was written, and a key whose deadline passed
    // during the restart is removed by the normal expiry afterwards, logged as a DEL like any other.
    if (deadline && *deadline <= ctx.now_ms() && !ctx.server.env.loading) return nullptr;
    return v;
}

// The HELP replies: an array of status lines, as every Redis 7 "<CMD> HELP" sends.
void reply_lines(CommandContext& ctx, std::span<const std::string_view> lines) {
    ctx.reply.array(lines.size());
    for (auto line : lines) ctx.reply.simple(line);
}

// The LRU clock is in seconds and coarse on purpose (one 24-bit stamp per value, no syscall per
// access): env.lru_clock() is refreshed by the tick, so IDLETIME is exact to about a second.
int64_t idle_seconds(const Broker& server, const Value& v) {
    uint32_t now = server.env.lru_clock();
    return now > v.lru ? now - v.lru : 0;
}

// Redis shares the objects for 0..9999 (OBJECT REFCOUNT answers INT_MAX for them), unless an
// LRU/LFU policy needs a clock of its own in every value.
int64_t refcount(const Broker& server, Value& v) {
    if (v.type() != Type::string || object_encoding(v) != "int") return 1;
    auto n = parse_int64(*v.string());
    bool per_key_clock = server.config.maxmemory > 0 && server.config.maxmemory_policy != EvictionPolicy::noeviction &&
                         server.config.maxmemory_policy != EvictionPolicy::allkeys_random &&
                         server.config.maxmemory_policy != EvictionPolicy::volatile_random &&
                         server.config.maxmemory_policy != EvictionPolicy::volatile_ttl;
    return n && *n >= 0 && *n < 10000 && !per_key_clock ? INT_MAX : 1;
}

}  // namespace

// --- OBJECT ---------------------------------------------------------------------------------

// OBJECT ENCODING: what Redis 7.0 would store this value as - computed from its size and contents
// (model/encoding.cpp), since we keep one structure per type. Nil for a missing key.
// Why report an encoding we do not use? Because it is observable behaviour people test and tune by
// ("does this hash still fit hash-max-listpack-entries?"), and the RDB writer really does pack
// small values that way, so the answer describes the file a SAVE would write.
void cmd_object_encoding(CommandContext& ctx) {
    Value* v = peek_live(ctx, ctx.arg(2));
    if (!v) return ctx.reply.null();
    ctx.reply.bulk(object_encoding(*v));
}

// OBJECT FREQ: the key's LFU counter (model/lfu.hpp) with its decay applied now - only meaningful,
// and only allowed, under an LFU maxmemory-policy; the same 24 bits hold the LRU clock otherwise.
// Looking does not count as an access (peek_live): observing a key must not change its fate.
void cmd_object_freq(CommandContext& ctx) {
    Value* v = peek_live(ctx, ctx.arg(2));
    if (!v) return ctx.reply.null();
    if (!ctx.server.config.lfu()) return ctx.reply.error(kNoLfu);
    const KeyspaceEnv& env = ctx.server.env;
    ctx.reply.integer(lfu::decayed_counter(v->lru, env.lfu_minutes, env.lfu_decay_time));
}

// OBJECT IDLETIME: seconds since the last access, from the value's LRU stamp - the number the LRU
// eviction policies compare.
void cmd_object_idletime(CommandContext& ctx) {
    Value* v = peek_live(ctx, ctx.arg(2));
    if (!v) return ctx.reply.null();
    if (ctx.server.config.lfu()) return ctx.reply.error(kNoLru);
    ctx.reply.integer(idle_seconds(ctx.server, *v));
}

// OBJECT REFCOUNT: values are never shared here, so always 1 - except that small integers answer
// what Redis answers (see refcount() above), so scripts comparing the two servers agree.
void cmd_object_refcount(CommandContext& ctx) {
    Value* v = peek_live(ctx, ctx.arg(2));
    if (!v) return ctx.reply.null();
    ctx.reply.integer(refcount(ctx.server, *v));
}

void cmd_object_help(CommandContext& ctx) {
    constexpr std::string_view kLines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    reply_lines(ctx, kLines);
}

// --- MEMORY ---------------------------------------------------------------------------------

// MEMORY USAGE key [SAMPLES n]: bytes for the key, its value and the bookkeeping around it
// (model/memory.cpp). For a big container only `samples` elements are measured and the average
// multiplied out - an estimate, O(samples), so redis-cli --memkeys can ask about every key.
// SAMPLES 0 measures every element, exact but O(n).
// The key's own name is counted too (it is stored in the table entry), which is why MEMORY USAGE
// of a one-byte string is tens of bytes: the overhead per key, not the value, dominates small keys.
void cmd_memory_usage(CommandContext& ctx) {
    size_t samples = 5;  // Redis' default: nested values are estimated from 5 elements
    for (size_t i = 3; i < ctx.argc(); ++i) {
        if (equals_ignore_case(ctx.arg(i), "SAMPLES") && i + 1 < ctx.argc()) {
            auto n = ctx.int_arg(++i);
            if (!n) return;
            if (*n < 0) return ctx.reply.error(errors::kNotInteger);
            samples = static_cast<size_t>(*n);
        } else {
            return ctx.syntax_error();
        }
    }
    Value* v = peek_live(ctx, ctx.arg(2));
    if (!v) return ctx.reply.null();
    ctx.reply.integer(static_cast<int64_t>(memory_usage(ctx.arg(2), *v, samples)));
}

// MEMORY STATS: where the bytes go, with Redis' field names (redis-cli and RedisInsight read
// them). Our allocator is libc's, counted at operator new (model/memory.hpp); the fields Redis
// fills from jemalloc are derived from used_memory and RSS.
void cmd_memory_stats(CommandContext& ctx) {
    Broker& s = ctx.server;
    size_t used = used_memory(), rss = resident_memory();
    // The peak is sampled by the tick; a burst between two ticks could leave it below the current
    // use, and "peak.percentage" above 100. Updating it when asked keeps peak >= used, as Redis does
    // in its own MEMORY STATS.
    s.peak_memory = std::max(s.peak_memory, used);
    size_t clients_bytes = 0, keys = 0, overhead_main = 0, overhead_expires = 0;
    for (auto& [id, c] : s.clients) clients_bytes += c->in.capacity() + c->out.capacity() + sizeof(Client);
    size_t dbs_with_keys = 0;
    for (Database& db : s.databases) {
        keys += db.size();
        dbs_with_keys += db.size() > 0 ? 1 : 0;
    }
    size_t aof = s.aof.pending_bytes();
    size_t overhead = clients_bytes + aof;
    auto r = [&](std::string_view name) { ctx.reply.bulk(name); };
    auto num = [&](std::string_view name, int64_t value) {
        r(name);
        ctx.reply.integer(value);
    };
    auto real = [&](std::string_view name, double value) {
        r(name);
        ctx.reply.double_value(value);
    };
    // The count must be right before the fields are written: 26 fixed fields plus one nested map per
    // database that holds keys. The fields we cannot measure (replication backlog, Lua caches, cluster
    // links) are reported as 0 rather than left out, so tools that read them by name keep working.
    ctx.reply.map(26 + dbs_with_keys);
    num("peak.allocated", static_cast<int64_t>(s.peak_memory));
    num("total.allocated", static_cast<int64_t>(used));
    num("startup.allocated", 0);
    num("replication.backlog", 0);
    num("clients.slaves", 0);
    num("clients.normal", static_cast<int64_t>(clients_bytes));
    num("cluster.links", 0);
    num("aof.buffer", static_cast<int64_t>(aof));
    num("lua.caches", 0);
    num("functions.caches", 0);
    for (Database& db : s.databases) {
        if (db.size() == 0) continue;
        // The keyspace table's overhead: one bucket pointer per bucket plus, per key, the chain pointer and
        // the entry header - an estimate in Redis' spirit (its dictEntry is 24 bytes), not an exact count.
        size_t main = db.keys().bucket_count() * sizeof(void*) + db.size() * 16;
        size_t expires = db.expires().bucket_count() * sizeof(void*) + db.expires_size() * 16;
        overhead_main += main;
        overhead_expires += expires;
        r(fmt::format("db.{}", db.index()));
        ctx.reply.map(2);
        num("overhead.hashtable.main", static_cast<int64_t>(main));
        num("overhead.hashtable.expires", static_cast<int64_t>(expires));
    }
    overhead += overhead_main + overhead_expires;
    size_t dataset = used > overhead ? used - overhead : 0;
    num("overhead.hashtable.slot-to-keys", 0);
    num("overhead.total", static_cast<int64_t>(overhead));
    num("keys.count", static_cast<int64_t>(keys));
    num("keys.bytes-per-key", keys ? static_cast<int64_t>(used / keys) : 0);
    num("dataset.bytes", static_cast<int64_t>(dataset));
    real("dataset.percentage", used ? 100.0 * static_cast<double>(dataset) / static_cast<double>(used) : 0);
    real("peak.percentage", s.peak_memory ? 100.0 * static_cast<double>(used) / static_cast<double>(s.peak_memory) : 0);
    num("allocator.allocated", static_cast<int64_t>(used));
    num("allocator.active", static_cast<int64_t>(used));
    num("allocator.resident", static_cast<int64_t>(rss));
    real("allocator-fragmentation.ratio", 1.0);
    num("allocator-fragmentation.bytes", 0);
    real("allocator-rss.ratio", used ? static_cast<double>(rss) / static_cast<double>(used) : 0);
    num("allocator-rss.bytes", static_cast<int64_t>(rss) - static_cast<int64_t>(used));
    real("rss-overhead.ratio", 1.0);
    num("rss-overhead.bytes", 0);
    real("fragmentation", used ? static_cast<double>(rss) / static_cast<double>(used) : 0);
    num("fragmentation.bytes", static_cast<int64_t>(rss) - static_cast<int64_t>(used));
}

// MEMORY DOCTOR: a few sentences rather than numbers. Redis' doctor looks for fragmentation,
// big client buffers and a peak far above the current use; so does this one.
void cmd_memory_doctor(CommandContext& ctx) {
    Broker& s = ctx.server;
    size_t used = used_memory(), rss = resident_memory();
    s.peak_memory = std::max(s.peak_memory, used);
    // The texts are Redis' own, "Sam" included: the doctor's voice is part of the interface people
    // know from Redis. A verbatim string is RESP3's "=txt:..." (shown as text, not quoted, by
    // redis-cli) and an ordinary bulk string in RESP2 (Reply::verbatim picks).
    if (used < 5 * 1024 * 1024)
        return ctx.reply.verbatim(
            "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in "
            "these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I "
            "will be back to our programming as soon as I finished rebooting.\n");
    std::string issues;
    if (s.peak_memory > used && static_cast<double>(s.peak_memory) / static_cast<double>(used) > 1.5)
        issues += fmt::format(
            " * Peak memory: in the past this instance used more than 150% the memory that is currently using "
            "({} bytes at peak, {} now). The allocator is normally not able to release memory after a peak.\n\n",
            s.peak_memory, used);
    if (rss > used && static_cast<double>(rss) / static_cast<double>(used) > 1.4)
        issues += fmt::format(
            " * High fragmentation: this instance has a memory fragmentation ratio of {:.2f} (RSS / used memory).\n\n",
            static_cast<double>(rss) / static_cast<double>(used));
    size_t big_buffers = 0;
    for (auto& [id, c] : s.clients) big_buffers += c->out.size() > 1024 * 1024 ? 1 : 0;
    if (big_buffers)
        issues += fmt::format(
            " * Big client buffers: {} clients hold more than 1 MB of unsent replies (slow readers, MONITOR or "
            "pub/sub clients that stopped reading).\n\n",
            big_buffers);
    if (issues.empty())
        return ctx.reply.verbatim(
            "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this "
            "base.\n");
    ctx.reply.verbatim("Sam, I detected a few issues in this Redis instance memory implants:\n\n" + issues +
                       "I'm here to keep you safe, Sam. I want to help you.\n");
}

// MALLOC-STATS and PURGE are jemalloc's in Redis; with libc malloc there are no such stats, and
// PURGE has nothing to do, so the answers are what Redis gives when built without jemalloc.
void cmd_memory_malloc_stats(CommandContext& ctx) {
    ctx.reply.verbatim("Stats not supported for the current allocator");
}

void cmd_memory_purge(CommandContext& ctx) { ctx.reply.ok(); }

void cmd_memory_help(CommandContext& ctx) {
    constexpr std::string_view kLines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    };
    reply_lines(ctx, kLines);
}

// --- DEBUG ----------------------------------------------------------------------------------

namespace {

// DEBUG is an operator's tool that can stall or crash a server. With enable-debug-command local
// (as in Redis) only connections from this machine may use it; this decides what counts as local.
// "127." is the whole 127.0.0.0/8 loopback net, not just 127.0.0.1; a Unix socket is local by
// construction. The peer text is the one CLIENT LIST shows (core/client.cpp), so what counts as
// local is what an operator sees there.
bool is_local(std::string_view peer) {
    return peer.starts_with("127.") || peer.starts_with("::1") || peer.starts_with("[::1]") ||
           peer.starts_with("unix:");
}

}  // namespace

void cmd_debug(CommandContext& ctx) {
    const std::string& allowed = ctx.server.config.enable_debug_command;
    if (allowed == "no" || (allowed == "local" && !is_local(ctx.client.peer)))
        return ctx.reply.error(
            "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it "
            "from a local connection, otherwise you need to set this option in the configuration file, and then "
            "restart the server.");
    std::string_view sub = ctx.arg(1);
    if (equals_ignore_case(sub, "HELP") && ctx.argc() == 2) {
        constexpr std::string_view kLines[] = {
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "OBJECT <key>",
            "    Show low level info about the `key` and associated value.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            "HELP",
            "    Prints this help.",
        };
        return reply_lines(ctx, kLines);
    }
    if (equals_ignore_case(sub, "SLEEP") && ctx.argc() == 3) {
        // The point of DEBUG SLEEP: the one thread stops, so every client waits - a way to show
        // what a slow command does to everybody (and to fill SLOWLOG and LATENCY).
        // DEBUG SLEEP 0 sleeps not at all and replies +OK: a round trip through the whole command
        // path, handy in tests to be sure that every command pipelined before it has run.
        auto seconds = ctx.double_arg(2);
        if (!seconds) return;
        if (*seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(*seconds));
        return ctx.reply.ok();
    }
    if (equals_ignore_case(sub, "OBJECT") && ctx.argc() == 3) {
        Value* v = peek_live(ctx, ctx.arg(2));
        if (!v) return ctx.reply.error("ERR no such key");
        std::string_view encoding = object_encoding(*v);
        size_t serialized = memory_usage(ctx.arg(2), *v, 0);
        // The line's shape is Redis' ("Value at:0x... refcount:1 encoding:listpack ..."): old tools
        // parse serializedlength from it. Our serializedlength is MEMORY USAGE's exact count and
        // ql_nodes an estimate at 128 elements per node - we keep no quicklist to count.
        std::string extra;
        if (v->type() == Type::list) extra = fmt::format(" ql_nodes:{}", v->list()->size() / 128 + 1);
        return ctx.reply.simple(
            fmt::format("Value at:{} refcount:{} encoding:{} serializedlength:{} lru:{} "
                        "lru_seconds_idle:{}{}",
                        static_cast<const void*>(v), refcount(ctx.server, *v), encoding, serialized, v->lru & 0xffffff,
                        idle_seconds(ctx.server, *v), extra));
    }
    ctx.reply.error(fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                                sub.substr(0, 128)));
}

}  // namespace miniredis
