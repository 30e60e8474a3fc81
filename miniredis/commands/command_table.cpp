// miniredis/commands/command_table.cpp
//
// The command table (see command_table.hpp). Reading it top to bottom is a tour of what the
// server can do; each handler lives in the file of its family (strings.cpp, lists.cpp, ...).
//
// CONCEPT: see command_table.hpp. Two choices worth a sentence: lookup lower-cases the name into a
// stack buffer (commands are case-insensitive, and allocating a string per request would be the
// most expensive thing GET does), and the index is built once, lazily, into the same Dict
// (model/dict.hpp) the keyspace uses, so a lookup is one hash of a short string.
// READ NEXT: handlers.hpp (every handler by family), dispatch.cpp.
#include "commands/command_table.hpp"

#include <cstring>

#include "commands/handlers.hpp"
#include "model/dict.hpp"

namespace miniredis {
namespace {

constexpr uint32_t W = kWrite, R = kReadOnly, M = kDenyOom, F = kFast, A = kAdmin, P = kPubSub, B = kBlocking,
                   N = kNoAuth, X = kNoMulti, S = kAllowedWhileSubscribed, Q = kSkipQueue, L = kLoading, T = kStale,
                   NS = kNoScript, MK = kMovableKeys;

// Subcommand tables: since Redis 7 a container command (CLIENT, CONFIG, XGROUP...) has one spec
// per subcommand, named "container|sub", each with its own arity and flags - so CLIENT LIST can be
// admin-only while CLIENT ID is not, and COMMAND INFO reports them separately. The container's
// own line in kCommands has no handler; lookup_command picks the subcommand by argv[1].
const CommandSpec kClientSubcommands[] = {
    {"client|id", 2, NS | L | T, cmd_client_id, 0, 0, 0, "connection", "Return this connection's id"},
    {"client|getname", 2, NS | L | T, cmd_client_getname, 0, 0, 0, "connection", "Return this connection's name"},
    {"client|setname", 3, NS | L | T, cmd_client_setname, 0, 0, 0, "connection", "Name this connection"},
    {"client|info", 2, NS | L | T, cmd_client_info, 0, 0, 0, "connection", "Describe this connection"},
    {"client|list", -2, A | NS | L | T, cmd_client_list, 0, 0, 0, "connection", "Describe every connection"},
    {"client|kill", -3, A | NS | L | T, cmd_client_kill, 0, 0, 0, "connection", "Close connections"},
    {"client|no-evict", 3, A | NS | L | T, cmd_client_no_evict, 0, 0, 0, "connection", "Accepted, no effect"},
    {"client|help", 2, L | T, cmd_client_help, 0, 0, 0, "connection", "Show CLIENT subcommands"},
};

const CommandSpec kConfigSubcommands[] = {
    {"config|get", -3, A | NS | L | T, cmd_config_get, 0, 0, 0, "server", "Read directives (glob patterns)"},
    {"config|set", -4, A | NS | L | T, cmd_config_set, 0, 0, 0, "server", "Change directives at run time"},
    {"config|resetstat", 2, A | NS | L | T, cmd_config_resetstat, 0, 0, 0, "server", "Reset INFO stats"},
    {"config|rewrite", 2, A | NS | L | T, cmd_config_rewrite, 0, 0, 0, "server", "Not supported: no config file"},
    {"config|help", 2, L | T, cmd_config_help, 0, 0, 0, "server", "Show CONFIG subcommands"},
};

const CommandSpec kPubsubSubcommands[] = {
    {"pubsub|channels", -2, P | L | T, cmd_pubsub_channels, 0, 0, 0, "pubsub", "Channels with subscribers [pattern]"},
    {"pubsub|numsub", -2, P | L | T, cmd_pubsub_numsub, 0, 0, 0, "pubsub", "Subscriber counts of channels"},
    {"pubsub|numpat", 2, P | L | T, cmd_pubsub_numpat, 0, 0, 0, "pubsub", "Number of pattern subscriptions"},
};

const CommandSpec kCommandSubcommands[] = {
    {"command|count", 2, L | T, cmd_command_count, 0, 0, 0, "server", "Number of commands"},
    {"command|list", -2, L | T, cmd_command_list, 0, 0, 0, "server", "Names of all commands"},
    {"command|info", -2, L | T, cmd_command_info, 0, 0, 0, "server", "Arity, flags and keys of commands"},
    {"command|docs", -2, L | T, cmd_command_docs, 0, 0, 0, "server", "Documentation of commands"},
    {"command|getkeys", -3, L | T, cmd_command_getkeys, 0, 0, 0, "server", "Which arguments are keys"},
};

const CommandSpec kXgroupSubcommands[] = {
    {"xgroup|create", -5, W | M, cmd_xgroup, 2, 2, 1, "stream", "Create a consumer group [MKSTREAM] [ENTRIESREAD n]"},
    {"xgroup|setid", -5, W, cmd_xgroup, 2, 2, 1, "stream", "Move a group's last delivered ID"},
    {"xgroup|destroy", 4, W, cmd_xgroup, 2, 2, 1, "stream", "Delete a consumer group"},
    {"xgroup|createconsumer", 5, W | M, cmd_xgroup, 2, 2, 1, "stream", "Create a consumer in a group"},
    {"xgroup|delconsumer", 5, W, cmd_xgroup, 2, 2, 1, "stream", "Delete a consumer and its pending entries"},
    {"xgroup|help", 2, L | T, cmd_xgroup, 0, 0, 0, "stream", "Show XGROUP subcommands"},
};

const CommandSpec kXinfoSubcommands[] = {
    {"xinfo|stream", -3, R, cmd_xinfo, 2, 2, 1, "stream", "Describe a stream [FULL [COUNT n]]"},
    {"xinfo|groups", 3, R, cmd_xinfo, 2, 2, 1, "stream", "Describe a stream's consumer groups"},
    {"xinfo|consumers", 4, R, cmd_xinfo, 2, 2, 1, "stream", "Describe a group's consumers"},
    {"xinfo|help", 2, L | T, cmd_xinfo, 0, 0, 0, "stream", "Show XINFO subcommands"},
};

// Looking inside (introspection.cpp, diagnostics.cpp): none of these touches the keys it reads.
// OBJECT, MEMORY, SLOWLOG, LATENCY: the "looking inside" family (docs/miniredis/06-looking-inside.md).
const CommandSpec kObjectSubcommands[] = {
    {"object|encoding", 3, R | L | T, cmd_object_encoding, 2, 2, 1, "generic", "How the value is stored"},
    {"object|freq", 3, R | L | T, cmd_object_freq, 2, 2, 1, "generic", "LFU access frequency (LFU policies)"},
    {"object|idletime", 3, R | L | T, cmd_object_idletime, 2, 2, 1, "generic", "Seconds since the last access"},
    {"object|refcount", 3, R | L | T, cmd_object_refcount, 2, 2, 1, "generic", "References to the value"},
    {"object|help", 2, L | T, cmd_object_help, 0, 0, 0, "generic", "Show OBJECT subcommands"},
};

const CommandSpec kMemorySubcommands[] = {
    {"memory|usage", -3, R, cmd_memory_usage, 2, 2, 1, "server", "Bytes a key takes [SAMPLES n]"},
    {"memory|stats", 2, 0, cmd_memory_stats, 0, 0, 0, "server", "Where the memory goes"},
    {"memory|doctor", 2, 0, cmd_memory_doctor, 0, 0, 0, "server", "Memory problems, in words"},
    {"memory|malloc-stats", 2, 0, cmd_memory_malloc_stats, 0, 0, 0, "server", "Allocator statistics"},
    {"memory|purge", 2, 0, cmd_memory_purge, 0, 0, 0, "server", "Give free pages back (no effect)"},
    {"memory|help", 2, L | T, cmd_memory_help, 0, 0, 0, "server", "Show MEMORY subcommands"},
};

const CommandSpec kSlowlogSubcommands[] = {
    {"slowlog|get", -2, A | L | T, cmd_slowlog_get, 0, 0, 0, "server", "The slowest recent commands [count]"},
    {"slowlog|len", 2, A | L | T, cmd_slowlog_len, 0, 0, 0, "server", "Entries in the slowlog"},
    {"slowlog|reset", 2, A | L | T, cmd_slowlog_reset, 0, 0, 0, "server", "Empty the slowlog"},
    {"slowlog|help", 2, L | T, cmd_slowlog_help, 0, 0, 0, "server", "Show SLOWLOG subcommands"},
};

const CommandSpec kLatencySubcommands[] = {
    {"latency|latest", 2, A | NS | L | T, cmd_latency_latest, 0, 0, 0, "server", "Latest spike per event"},
    {"latency|history", 3, A | NS | L | T, cmd_latency_history, 0, 0, 0, "server", "Spikes of one event"},
    {"latency|reset", -2, A | NS | L | T, cmd_latency_reset, 0, 0, 0, "server", "Forget spikes [event ...]"},
    {"latency|doctor", 2, A | NS | L | T, cmd_latency_doctor, 0, 0, 0, "server", "Latency report, in words"},
    {"latency|graph", 3, A | NS | L | T, cmd_latency_graph, 0, 0, 0, "server", "ASCII graph of one event"},
    {"latency|help", 2, L | T, cmd_latency_help, 0, 0, 0, "server", "Show LATENCY subcommands"},
};

// Each line: {name, arity, flags, handler, first key, last key, key step, group, summary}.
// Flags: W write, R read-only, M deny-oom (may grow memory), F fast, A admin, P pub/sub, B blocking,
// N allowed before AUTH, X refused inside MULTI, S allowed while subscribed (RESP2), Q runs at once
// inside MULTI instead of being queued, L/T allowed while loading / stale, NS not from scripts.
const CommandSpec kCommands[] = {
    // Arity as in Redis: N = exactly N words including the name, -N = at least N. The key columns
    // (first, last, step; last -1 = up to the end, -2 = all but the last word) let COMMAND GETKEYS and
    // clients that route keys (cluster clients) find the keys without knowing each command.
    // --- connection
    // N (allowed before AUTH) is on exactly the commands a client needs to log in or leave: AUTH,
    // HELLO (which can carry AUTH), QUIT, RESET. PING is not among them - with requirepass set,
    // Redis answers an unauthenticated PING with NOAUTH, and health checks that PING first learn
    // from that reply that they must authenticate.
    {"ping", -1, F | S, cmd_ping, 0, 0, 0, "connection", "Is the server alive? PONG"},
    {"echo", 2, F | L | T, cmd_echo, 0, 0, 0, "connection", "Return the argument"},
    {"select", 2, L | T | F, cmd_select, 0, 0, 0, "connection", "Switch to database N (0-15)"},
    {"quit", -1, N | L | T | F | S | Q, cmd_quit, 0, 0, 0, "connection", "Close the connection"},
    {"auth", -2, N | L | T | F | NS, cmd_auth, 0, 0, 0, "connection", "Log in (requirepass)"},
    {"hello", -1, N | L | T | F | NS, cmd_hello, 0, 0, 0, "connection", "Handshake; HELLO 3 switches to RESP3"},
    {"reset", 1, N | L | T | F | S | Q | NS, cmd_reset, 0, 0, 0, "connection", "Back to a fresh connection"},
    {"client", -2, 0, nullptr, 0, 0, 0, "connection", "Manage connections", kClientSubcommands},
    // --- strings
    // F marks O(1)/O(log n) commands; dispatch.cpp files their latency spikes under LATENCY's
    // "fast-command" event rather than "command". M (deny-oom) is on every command that may
    // allocate: over maxmemory, when eviction cannot make room, they are refused with OOM, while
    // reads and deletes still work - a full cache can always be emptied.
    {"get", 2, R | F, cmd_get, 1, 1, 1, "string", "Get the value of a key"},
    {"set", -3, W | M, cmd_set, 1, 1, 1, "string", "Set a key [EX|PX|EXAT|PXAT t] [NX|XX] [KEEPTTL] [GET]"},
    {"setnx", 3, W | M | F, cmd_setnx, 1, 1, 1, "string", "Set only if the key does not exist"},
    {"setex", 4, W | M, cmd_setex, 1, 1, 1, "string", "Set with a TTL in seconds"},
    {"psetex", 4, W | M, cmd_psetex, 1, 1, 1, "string", "Set with a TTL in milliseconds"},
    {"getset", 3, W | M | F, cmd_getset, 1, 1, 1, "string", "Set and return the old value"},
    // GETDEL and GETEX read, but they are W: they may change the key (delete it, change its TTL), so a
    // read-only replica must refuse them and the AOF must see them. The flag is about what a
    // command *may* do, not what one call did.
    {"getdel", 2, W | F, cmd_getdel, 1, 1, 1, "string", "Get and delete"},
    {"getex", -2, W | F, cmd_getex, 1, 1, 1, "string", "Get and change the TTL"},
    {"mget", -2, R | F, cmd_mget, 1, -1, 1, "string", "Get several keys"},
    // MSET's key step is 2 (k1 v1 k2 v2 ...): the columns describe every other word, which is how
    // COMMAND GETKEYS and cluster clients skip the values without knowing MSET.
    {"mset", -3, W | M, cmd_mset, 1, -1, 2, "string", "Set several keys"},
    {"msetnx", -3, W | M, cmd_msetnx, 1, -1, 2, "string", "Set several keys, only if none exists"},
    {"incr", 2, W | M | F, cmd_incr, 1, 1, 1, "string", "Add 1 to a counter"},
    {"decr", 2, W | M | F, cmd_decr, 1, 1, 1, "string", "Subtract 1 from a counter"},
    {"incrby", 3, W | M | F, cmd_incrby, 1, 1, 1, "string", "Add N to a counter"},
    {"decrby", 3, W | M | F, cmd_decrby, 1, 1, 1, "string", "Subtract N from a counter"},
    {"incrbyfloat", 3, W | M | F, cmd_incrbyfloat, 1, 1, 1, "string", "Add a float to a number"},
    {"append", 3, W | M | F, cmd_append, 1, 1, 1, "string", "Append bytes to a string"},
    {"strlen", 2, R | F, cmd_strlen, 1, 1, 1, "string", "Length of a string"},
    {"getrange", 4, R, cmd_getrange, 1, 1, 1, "string", "Substring by byte offsets"},
    {"setrange", 4, W | M, cmd_setrange, 1, 1, 1, "string", "Overwrite part of a string"},
    {"substr", 4, R, cmd_getrange, 1, 1, 1, "string", "Substring by byte offsets (old name of GETRANGE)"},
    // --- keys
    // DEL has no F: freeing a value is O(M) in its elements, so a DEL of a big hash is not "fast";
    // UNLINK is, since the freeing happens on the lazy-free thread. KEYS, SCAN and RANDOMKEY have no
    // key columns (0, 0, 0): they name patterns and cursors, not keys.
    {"del", -2, W, cmd_del, 1, -1, 1, "generic", "Delete keys"},
    {"unlink", -2, W | F, cmd_unlink, 1, -1, 1, "generic", "Delete keys (Redis frees in the background)"},
    {"exists", -2, R | F, cmd_exists, 1, -1, 1, "generic", "Count the keys that exist"},
    {"touch", -2, R | F, cmd_touch, 1, -1, 1, "generic", "Mark keys as recently used"},
    {"type", 2, R | F, cmd_type, 1, 1, 1, "generic", "Type of a key's value"},
    {"expire", -3, W | F, cmd_expire, 1, 1, 1, "generic", "TTL in seconds [NX|XX|GT|LT]"},
    {"pexpire", -3, W | F, cmd_pexpire, 1, 1, 1, "generic", "TTL in milliseconds"},
    {"expireat", -3, W | F, cmd_expireat, 1, 1, 1, "generic", "Expire at a Unix time (s)"},
    {"pexpireat", -3, W | F, cmd_pexpireat, 1, 1, 1, "generic", "Expire at a Unix time (ms)"},
    {"ttl", 2, R | F, cmd_ttl, 1, 1, 1, "generic", "Seconds to live (-1 none, -2 no key)"},
    {"pttl", 2, R | F, cmd_pttl, 1, 1, 1, "generic", "Milliseconds to live"},
    {"expiretime", 2, R | F, cmd_expiretime, 1, 1, 1, "generic", "Deadline as a Unix time (s)"},
    {"pexpiretime", 2, R | F, cmd_pexpiretime, 1, 1, 1, "generic", "Deadline as a Unix time (ms)"},
    {"persist", 2, W | F, cmd_persist, 1, 1, 1, "generic", "Remove the TTL"},
    // RENAME has no F (it deletes whatever held the new name, O(M) in that value); RENAMENX never
    // deletes anything, so it keeps F. Their key columns "1, 2" name both keys: in a cluster the
    // two must hash to the same slot.
    {"rename", 3, W, cmd_rename, 1, 2, 1, "generic", "Rename a key"},
    {"renamenx", 3, W | F, cmd_renamenx, 1, 2, 1, "generic", "Rename if the new name is free"},
    {"copy", -3, W | M, cmd_copy, 1, 2, 1, "generic", "Copy a value [DB n] [REPLACE]"},
    {"keys", 2, R, cmd_keys, 0, 0, 0, "generic", "All keys matching a pattern (O(n): use SCAN)"},
    {"scan", -2, R, cmd_scan, 0, 0, 0, "generic", "Iterate keys with a cursor [MATCH] [COUNT] [TYPE]"},
    {"randomkey", 1, R, cmd_randomkey, 0, 0, 0, "generic", "A random key"},
    {"dbsize", 1, R | F, cmd_dbsize, 0, 0, 0, "server", "Number of keys in this database"},
    // --- hashes
    // The whole-hash reads (HGETALL, HKEYS, HVALS) lack F: they are O(N) in the fields, the usual
    // suspects in SLOWLOG when one hash grows to a million fields.
    {"hset", -4, W | M | F, cmd_hset, 1, 1, 1, "hash", "Set fields of a hash"},
    {"hmset", -4, W | M | F, cmd_hset, 1, 1, 1, "hash", "Set fields of a hash (old name; answers OK)"},
    {"hsetnx", 4, W | M | F, cmd_hsetnx, 1, 1, 1, "hash", "Set a field only if it is new"},
    {"hget", 3, R | F, cmd_hget, 1, 1, 1, "hash", "Get one field"},
    {"hmget", -3, R | F, cmd_hmget, 1, 1, 1, "hash", "Get several fields"},
    {"hdel", -3, W | F, cmd_hdel, 1, 1, 1, "hash", "Delete fields"},
    {"hexists", 3, R | F, cmd_hexists, 1, 1, 1, "hash", "Does the field exist?"},
    {"hlen", 2, R | F, cmd_hlen, 1, 1, 1, "hash", "Number of fields"},
    {"hstrlen", 3, R | F, cmd_hstrlen, 1, 1, 1, "hash", "Length of a field's value"},
    {"hgetall", 2, R, cmd_hgetall, 1, 1, 1, "hash", "All fields and values"},
    {"hkeys", 2, R, cmd_hkeys, 1, 1, 1, "hash", "All field names"},
    {"hvals", 2, R, cmd_hvals, 1, 1, 1, "hash", "All values"},
    {"hincrby", 4, W | M | F, cmd_hincrby, 1, 1, 1, "hash", "Add an integer to a field"},
    {"hincrbyfloat", 4, W | M | F, cmd_hincrbyfloat, 1, 1, 1, "hash", "Add a float to a field"},
    {"hscan", -3, R, cmd_hscan, 1, 1, 1, "hash", "Iterate fields with a cursor"},
    {"hrandfield", -2, R, cmd_hrandfield, 1, 1, 1, "hash", "Random fields [count [WITHVALUES]]"},
    // --- lists
    // The blocking pops carry B; BLPOP's key range "1, -2" skips the trailing timeout.
    {"lpush", -3, W | M | F, cmd_lpush, 1, 1, 1, "list", "Push at the head"},
    {"rpush", -3, W | M | F, cmd_rpush, 1, 1, 1, "list", "Push at the tail"},
    {"lpushx", -3, W | M | F, cmd_lpushx, 1, 1, 1, "list", "Push at the head if the list exists"},
    {"rpushx", -3, W | M | F, cmd_rpushx, 1, 1, 1, "list", "Push at the tail if the list exists"},
    {"lpop", -2, W | F, cmd_lpop, 1, 1, 1, "list", "Pop from the head [count]"},
    {"rpop", -2, W | F, cmd_rpop, 1, 1, 1, "list", "Pop from the tail [count]"},
    {"llen", 2, R | F, cmd_llen, 1, 1, 1, "list", "Length of a list"},
    {"lrange", 4, R, cmd_lrange, 1, 1, 1, "list", "Elements between two indexes"},
    {"lindex", 3, R, cmd_lindex, 1, 1, 1, "list", "Element at an index"},
    {"lset", 4, W | M, cmd_lset, 1, 1, 1, "list", "Replace the element at an index"},
    {"lrem", 4, W, cmd_lrem, 1, 1, 1, "list", "Remove occurrences of an element"},
    {"ltrim", 4, W, cmd_ltrim, 1, 1, 1, "list", "Keep only a range"},
    {"linsert", 5, W | M, cmd_linsert, 1, 1, 1, "list", "Insert before/after a pivot element"},
    {"lpos", -3, R, cmd_lpos, 1, 1, 1, "list", "Index of matching elements"},
    {"lmove", 5, W | M, cmd_lmove, 1, 2, 1, "list", "Pop from one list, push to another"},
    {"rpoplpush", 3, W | M, cmd_rpoplpush, 1, 2, 1, "list", "RPOP + LPUSH (old name of LMOVE RIGHT LEFT)"},
    // BLPOP has no M: it can only remove. BLMOVE and BRPOPLPUSH have it - they create or grow the
    // destination. LMPOP/BLMPOP are MK: their keys follow numkeys (server_cmds.cpp, movable_keys).
    {"blpop", -3, W | B, cmd_blpop, 1, -2, 1, "list", "LPOP, waiting up to timeout for an element"},
    {"brpop", -3, W | B, cmd_brpop, 1, -2, 1, "list", "RPOP, waiting up to timeout for an element"},
    {"blmove", 6, W | M | B, cmd_blmove, 1, 2, 1, "list", "LMOVE, waiting for an element"},
    {"brpoplpush", 4, W | M | B, cmd_brpoplpush, 1, 2, 1, "list", "RPOPLPUSH, waiting for an element"},
    {"lmpop", -4, W | MK, cmd_lmpop, 0, 0, 0, "list", "Pop from the first non-empty list [COUNT n]"},
    {"blmpop", -5, W | B | MK, cmd_blmpop, 0, 0, 0, "list", "LMPOP, waiting up to timeout"},
    // --- sets
    // SMEMBERS and the set algebra are O(N) and not F; the *STORE forms list the destination as their
    // first key (key columns 1, -1), so a cluster client routes them like any multi-key write.
    {"sadd", -3, W | M | F, cmd_sadd, 1, 1, 1, "set", "Add members"},
    {"srem", -3, W | F, cmd_srem, 1, 1, 1, "set", "Remove members"},
    {"smembers", 2, R, cmd_smembers, 1, 1, 1, "set", "All members"},
    {"sismember", 3, R | F, cmd_sismember, 1, 1, 1, "set", "Is it a member?"},
    {"smismember", -3, R | F, cmd_smismember, 1, 1, 1, "set", "Are they members?"},
    {"scard", 2, R | F, cmd_scard, 1, 1, 1, "set", "Number of members"},
    {"spop", -2, W | F, cmd_spop, 1, 1, 1, "set", "Remove and return random members"},
    {"srandmember", -2, R, cmd_srandmember, 1, 1, 1, "set", "Random members [count]"},
    {"sinter", -2, R, cmd_sinter, 1, -1, 1, "set", "Intersection"},
    {"sunion", -2, R, cmd_sunion, 1, -1, 1, "set", "Union"},
    {"sdiff", -2, R, cmd_sdiff, 1, -1, 1, "set", "Difference"},
    {"sinterstore", -3, W | M, cmd_sinterstore, 1, -1, 1, "set", "Store the intersection"},
    {"sunionstore", -3, W | M, cmd_sunionstore, 1, -1, 1, "set", "Store the union"},
    {"sdiffstore", -3, W | M, cmd_sdiffstore, 1, -1, 1, "set", "Store the difference"},
    {"sintercard", -3, R | MK, cmd_sintercard, 0, 0, 0, "set", "Size of the intersection [LIMIT n]"},
    {"smove", 4, W | F, cmd_smove, 1, 2, 1, "set", "Move a member to another set"},
    {"sscan", -3, R, cmd_sscan, 1, 1, 1, "set", "Iterate members with a cursor"},
    // --- sorted sets
    // ZCOUNT and ZRANK are F although they answer about ranges: the skip list's spans make them
    // O(log n). The ZRANGE family is O(log n + M) and depends on M, so it is not.
    {"zadd", -4, W | M | F, cmd_zadd, 1, 1, 1, "sorted-set", "Add members with scores [NX|XX] [GT|LT] [CH] [INCR]"},
    {"zincrby", 4, W | M | F, cmd_zincrby, 1, 1, 1, "sorted-set", "Add to a member's score"},
    {"zrem", -3, W | F, cmd_zrem, 1, 1, 1, "sorted-set", "Remove members"},
    {"zscore", 3, R | F, cmd_zscore, 1, 1, 1, "sorted-set", "Score of a member"},
    {"zmscore", -3, R | F, cmd_zmscore, 1, 1, 1, "sorted-set", "Scores of members"},
    {"zcard", 2, R | F, cmd_zcard, 1, 1, 1, "sorted-set", "Number of members"},
    {"zcount", 4, R | F, cmd_zcount, 1, 1, 1, "sorted-set", "Members within a score range"},
    {"zlexcount", 4, R | F, cmd_zlexcount, 1, 1, 1, "sorted-set", "Members within a lex range"},
    {"zrank", 3, R | F, cmd_zrank, 1, 1, 1, "sorted-set", "Rank, lowest score first"},
    {"zrevrank", 3, R | F, cmd_zrevrank, 1, 1, 1, "sorted-set", "Rank, highest score first"},
    {"zrange", -4, R, cmd_zrange, 1, 1, 1, "sorted-set", "Range by rank/score/lex [REV] [LIMIT] [WITHSCORES]"},
    // ZRANGESTORE is a write although it shares ZRANGE's code: the flag follows what a command may
    // do to the data, and it is what sends the command to the AOF and keeps it off read-only replicas.
    {"zrangestore", -5, W | M, cmd_zrangestore, 1, 2, 1, "sorted-set", "Store a ZRANGE result"},
    {"zrevrange", -4, R, cmd_zrevrange, 1, 1, 1, "sorted-set", "Range by rank, highest first"},
    {"zrangebyscore", -4, R, cmd_zrangebyscore, 1, 1, 1, "sorted-set", "Range by score"},
    {"zrevrangebyscore", -4, R, cmd_zrevrangebyscore, 1, 1, 1, "sorted-set", "Range by score, highest first"},
    {"zrangebylex", -4, R, cmd_zrangebylex, 1, 1, 1, "sorted-set", "Range by member (equal scores)"},
    {"zrevrangebylex", -4, R, cmd_zrevrangebylex, 1, 1, 1, "sorted-set", "Range by member, reversed"},
    {"zpopmin", -2, W | F, cmd_zpopmin, 1, 1, 1, "sorted-set", "Remove and return the lowest"},
    {"zpopmax", -2, W | F, cmd_zpopmax, 1, 1, 1, "sorted-set", "Remove and return the highest"},
    // The zero key columns of ZMPOP/BZMPOP are not "no keys": MK says they are found by parsing
    // numkeys, and COMMAND GETKEYS does exactly that (server_cmds.cpp, movable_keys).
    {"zmpop", -4, W | MK, cmd_zmpop, 0, 0, 0, "sorted-set", "Pop from the first non-empty sorted set [COUNT n]"},
    {"bzmpop", -5, W | B | MK, cmd_bzmpop, 0, 0, 0, "sorted-set", "ZMPOP, waiting up to timeout"},
    {"bzpopmin", -3, W | B | F | NS, cmd_bzpopmin, 1, -2, 1, "sorted-set", "ZPOPMIN, waiting for a member"},
    {"bzpopmax", -3, W | B | F | NS, cmd_bzpopmax, 1, -2, 1, "sorted-set", "ZPOPMAX, waiting for a member"},
    {"zremrangebyrank", 4, W, cmd_zremrangebyrank, 1, 1, 1, "sorted-set", "Remove a rank range"},
    {"zremrangebyscore", 4, W, cmd_zremrangebyscore, 1, 1, 1, "sorted-set", "Remove a score range"},
    {"zremrangebylex", 4, W, cmd_zremrangebylex, 1, 1, 1, "sorted-set", "Remove a lex range"},
    {"zscan", -3, R, cmd_zscan, 1, 1, 1, "sorted-set", "Iterate members with a cursor"},
    {"zrandmember", -2, R, cmd_zrandmember, 1, 1, 1, "sorted-set", "Random members [count [WITHSCORES]]"},
    {"zunionstore", -4, W | M | MK, cmd_zunionstore, 1, 1, 1, "sorted-set", "Store the union [WEIGHTS] [AGGREGATE]"},
    {"zinterstore", -4, W | M | MK, cmd_zinterstore, 1, 1, 1, "sorted-set", "Store the intersection"},
    {"zdiffstore", -4, W | M | MK, cmd_zdiffstore, 1, 1, 1, "sorted-set", "Store the first minus the others"},
    {"zunion", -3, R | MK, cmd_zunion, 0, 0, 0, "sorted-set", "Union [WEIGHTS] [AGGREGATE] [WITHSCORES]"},
    {"zinter", -3, R | MK, cmd_zinter, 0, 0, 0, "sorted-set", "Intersection [WEIGHTS] [AGGREGATE] [WITHSCORES]"},
    {"zdiff", -3, R | MK, cmd_zdiff, 0, 0, 0, "sorted-set", "The first minus the others [WITHSCORES]"},
    {"zintercard", -3, R | MK, cmd_zintercard, 0, 0, 0, "sorted-set", "Size of the intersection [LIMIT n]"},
    // --- bitmaps (strings read bit by bit: model/bitops.hpp)
    {"setbit", 4, W | M, cmd_setbit, 1, 1, 1, "bitmap", "Set or clear one bit; replies the old bit"},
    {"getbit", 3, R | F, cmd_getbit, 1, 1, 1, "bitmap", "One bit (0 past the end)"},
    {"bitcount", -2, R, cmd_bitcount, 1, 1, 1, "bitmap", "Set bits [start end [BYTE|BIT]]"},
    {"bitpos", -3, R, cmd_bitpos, 1, 1, 1, "bitmap", "First bit set or clear [start [end [BYTE|BIT]]]"},
    {"bitop", -4, W | M, cmd_bitop, 2, -1, 1, "bitmap", "AND/OR/XOR/NOT strings into a destination"},
    {"bitfield", -2, W | M, cmd_bitfield, 1, 1, 1, "bitmap", "Integers of any width at any bit offset"},
    {"bitfield_ro", -2, R | F, cmd_bitfield_ro, 1, 1, 1, "bitmap", "BITFIELD with GET only"},
    // --- geo (sorted sets scored by geohash: model/geohash.hpp)
    // GEOSEARCHSTORE's keys are "1, 2": the destination comes first and the source second, the
    // opposite of GEOSEARCH's single key - a cluster client needs both in one slot.
    {"geoadd", -5, W | M, cmd_geoadd, 1, 1, 1, "geo", "Add places [NX|XX] [CH] lon lat member ..."},
    {"geopos", -2, R, cmd_geopos, 1, 1, 1, "geo", "Coordinates of members"},
    {"geodist", -4, R, cmd_geodist, 1, 1, 1, "geo", "Distance between two members [M|KM|FT|MI]"},
    {"geohash", -2, R, cmd_geohash, 1, 1, 1, "geo", "Standard geohash strings of members"},
    {"geosearch", -7, R, cmd_geosearch, 1, 1, 1, "geo", "Members within a radius or box"},
    {"geosearchstore", -8, W | M, cmd_geosearchstore, 1, 2, 1, "geo", "Store a GEOSEARCH result [STOREDIST]"},
    // --- hyperloglog (strings underneath: model/hyperloglog.hpp)
    {"pfadd", -2, W | M | F, cmd_pfadd, 1, 1, 1, "hyperloglog", "Add elements to a distinct counter"},
    {"pfcount", -2, R, cmd_pfcount, 1, -1, 1, "hyperloglog", "Estimated distinct elements (union of keys)"},
    {"pfmerge", -2, W | M, cmd_pfmerge, 1, -1, 1, "hyperloglog", "Store the union of distinct counters"},
    // --- streams (XREAD/XREADGROUP find their keys after STREAMS: no fixed key positions)
    // XREADGROUP is a write (W), unlike XREAD: it changes the group's position and PEL, so it is
    // propagated, and refused on a read-only replica like any write. XADD is F although it may
    // trim: the append is O(1), and producers that trim use MAXLEN ~, which drops whole nodes and
    // at most LIMIT entries per call (streams.cpp), so the usual XADD stays cheap.
    {"xadd", -5, W | M | F, cmd_xadd, 1, 1, 1, "stream", "Append an entry [NOMKSTREAM] [MAXLEN|MINID ...] *|id f v"},
    {"xtrim", -4, W, cmd_xtrim, 1, 1, 1, "stream", "Trim by MAXLEN or MINID [=|~] [LIMIT n]"},
    {"xrange", -4, R, cmd_xrange, 1, 1, 1, "stream", "Entries between two IDs [COUNT n]"},
    {"xrevrange", -4, R, cmd_xrevrange, 1, 1, 1, "stream", "Entries between two IDs, newest first"},
    {"xlen", 2, R | F, cmd_xlen, 1, 1, 1, "stream", "Number of entries"},
    {"xdel", -3, W | F, cmd_xdel, 1, 1, 1, "stream", "Delete entries by ID"},
    {"xsetid", -3, W | M | F, cmd_xsetid, 1, 1, 1, "stream", "Set the last ID [ENTRIESADDED n] [MAXDELETEDID id]"},
    {"xread", -4, R | B | MK, cmd_xread, 0, 0, 0, "stream", "Read entries after IDs [COUNT n] [BLOCK ms] STREAMS"},
    {"xreadgroup", -7, W | B | MK, cmd_xreadgroup, 0, 0, 0, "stream", "Read as a consumer of a group [NOACK]"},
    {"xgroup", -2, 0, nullptr, 0, 0, 0, "stream", "Manage consumer groups", kXgroupSubcommands},
    {"xack", -4, W | F, cmd_xack, 1, 1, 1, "stream", "Acknowledge entries: they leave the PEL"},
    {"xpending", -3, R, cmd_xpending, 1, 1, 1, "stream", "Pending entries [[IDLE ms] start end count [consumer]]"},
    {"xclaim", -6, W | F, cmd_xclaim, 1, 1, 1, "stream", "Take over pending entries"},
    {"xautoclaim", -6, W | F, cmd_xautoclaim, 1, 1, 1, "stream", "Take over idle pending entries with a cursor"},
    {"xinfo", -2, 0, nullptr, 0, 0, 0, "stream", "Describe streams, groups, consumers", kXinfoSubcommands},
    // --- pub/sub
    // S: these may run on a RESP2 connection in subscribed mode, where everything else is refused
    // (the connection is a one-way stream of messages then).
    {"subscribe", -2, P | NS | L | T | S, cmd_subscribe, 0, 0, 0, "pubsub", "Listen to channels"},
    {"psubscribe", -2, P | NS | L | T | S, cmd_psubscribe, 0, 0, 0, "pubsub", "Listen to channel patterns"},
    {"unsubscribe", -1, P | NS | L | T | S, cmd_unsubscribe, 0, 0, 0, "pubsub", "Stop listening"},
    {"punsubscribe", -1, P | NS | L | T | S, cmd_punsubscribe, 0, 0, 0, "pubsub", "Stop listening to patterns"},
    {"publish", 3, P | L | T | F, cmd_publish, 0, 0, 0, "pubsub", "Send a message to a channel's subscribers"},
    {"pubsub", -2, 0, nullptr, 0, 0, 0, "pubsub", "Inspect pub/sub", kPubsubSubcommands},
    // --- transactions
    // Q: MULTI, EXEC, DISCARD and WATCH act at once inside a transaction instead of being queued -
    // otherwise EXEC could never end one.
    {"multi", 1, NS | L | T | F | Q, cmd_multi, 0, 0, 0, "transactions", "Start queueing commands"},
    {"exec", 1, NS | L | T | Q, cmd_exec, 0, 0, 0, "transactions", "Run the queued commands atomically"},
    {"discard", 1, NS | L | T | F | Q, cmd_discard, 0, 0, 0, "transactions", "Drop the queued commands"},
    {"watch", -2, NS | L | T | F | Q, cmd_watch, 1, -1, 1, "transactions", "EXEC fails if these keys change"},
    {"unwatch", 1, NS | L | T | F, cmd_unwatch, 0, 0, 0, "transactions", "Forget all WATCHed keys"},
    // --- persistence
    // SAVE blocks the whole server while it writes (X: refused inside MULTI, as Redis 7 flags it
    // no-multi); BGSAVE and BGREWRITEAOF fork and return at once (persistence_cmds.cpp).
    {"save", 1, A | NS | X, cmd_save, 0, 0, 0, "server", "Write a snapshot now (blocking)"},
    {"bgsave", -1, A | NS, cmd_bgsave, 0, 0, 0, "server", "Write a snapshot in a child process"},
    {"bgrewriteaof", 1, A | NS, cmd_bgrewriteaof, 0, 0, 0, "server", "Compact the AOF in a child process"},
    // --- server
    // FLUSHDB/FLUSHALL are writes without key columns: they change every key, and dispatch.cpp's
    // W-flag rules (read-only replicas, min-replicas-to-write) apply to them like to a SET.
    {"flushdb", -1, W, cmd_flushdb, 0, 0, 0, "server", "Delete every key of this database"},
    {"flushall", -1, W, cmd_flushall, 0, 0, 0, "server", "Delete every key of every database"},
    {"time", 1, L | T | F, cmd_time, 0, 0, 0, "server", "Server time [seconds, microseconds]"},
    {"lastsave", 1, L | T | F, cmd_lastsave, 0, 0, 0, "server", "Unix time of the last snapshot"},
    {"info", -1, L | T, cmd_info, 0, 0, 0, "server", "Server statistics by section"},
    {"command", -1, L | T, cmd_command, 0, 0, 0, "server", "Describe commands", kCommandSubcommands},
    {"config", -2, 0, nullptr, 0, 0, 0, "server", "Read or change configuration", kConfigSubcommands},
    {"shutdown", -1, A | NS | L | T | X, cmd_shutdown, 0, 0, 0, "server", "Save (per config) and stop"},
    // --- looking inside
    // OBJECT, MEMORY, SLOWLOG, LATENCY: containers whose subcommands carry their own flags (above).
    {"monitor", 1, A | NS | L | T, cmd_monitor, 0, 0, 0, "server", "Watch every command, live"},
    {"slowlog", -2, 0, nullptr, 0, 0, 0, "server", "The slow command log", kSlowlogSubcommands},
    {"latency", -2, 0, nullptr, 0, 0, 0, "server", "Latency spikes by event", kLatencySubcommands},
    {"object", -2, 0, nullptr, 0, 0, 0, "generic", "How a value is stored", kObjectSubcommands},
    {"memory", -2, 0, nullptr, 0, 0, 0, "server", "Memory use", kMemorySubcommands},
    {"debug", -2, A | NS | L | T, cmd_debug, 0, 0, 0, "server", "SLEEP, OBJECT (enable-debug-command)"},
    // --- replication (replication_cmds.cpp)
    // X on REPLICAOF/PSYNC/SYNC: changing who we follow, or turning this connection into a
    // replication stream, cannot be undone by DISCARD and cannot be part of an atomic EXEC.
    // WAIT has no W: it writes nothing itself, it only waits for the replicas to catch up.
    {"role", 1, NS | L | T | F, cmd_role, 0, 0, 0, "server", "Replication role, offset and replicas or master"},
    {"replicaof", 3, A | NS | T | X, cmd_replicaof, 0, 0, 0, "server", "Follow a master (host port), or NO ONE"},
    {"slaveof", 3, A | NS | T | X, cmd_replicaof, 0, 0, 0, "server", "Old name of REPLICAOF"},
    {"replconf", -1, A | NS | L | T | X, cmd_replconf, 0, 0, 0, "server", "A replica's options and ACKs"},
    {"psync", -3, A | NS | X, cmd_psync, 0, 0, 0, "server", "Start replication: continue or resync"},
    {"sync", 1, A | NS | X, cmd_sync, 0, 0, 0, "server", "Start replication with a full resync (old)"},
    {"wait", 3, NS, cmd_wait, 0, 0, 0, "generic", "Block until N replicas acknowledged the writes so far"},
};

// Lookup by lower-case name, in the same Dict (and hash) as the keyspace. Built once; lookups
// lower-case argv[0] into a stack buffer - no allocation per command.
using CommandIndex = Dict<std::string_view, const CommandSpec*>;
const CommandIndex& index() {
    static const CommandIndex* map = [] {
        auto* m = new CommandIndex;  // never freed: lives as long as the process, like the table
        for (const CommandSpec& spec : kCommands) {
            m->insert(spec.name).first->value = &spec;
            for (const CommandSpec& sub : spec.subcommands) m->insert(sub.name).first->value = &sub;
        }
        return m;
    }();
    return *map;
}

std::string_view lower(std::string_view name, char* buffer, size_t size) {
    if (name.size() > size) return {};
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        buffer[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return {buffer, name.size()};
}

}  // namespace

const CommandSpec* lookup_command(std::span<const std::string_view> argv, const CommandSpec** container) {
    *container = nullptr;
    // The name looked up last, byte for byte as it arrived, and its spec. A pipeline rarely changes
    // command from one request to the next (redis-benchmark, a bulk load, a queue of LPUSHes), so
    // one compare of a few bytes usually replaces the case-folding copy and the hash lookup - about
    // 3% of a pipelined PFADD's CPU. Only plain commands are remembered: a container (CONFIG,
    // CLIENT) needs argv[1] too. thread_local because tests may run brokers on several threads.
    struct Last {
        char name[16];
        size_t size = 0;
        const CommandSpec* spec = nullptr;
    };
    thread_local Last last;
    if (argv[0].size() == last.size && std::memcmp(argv[0].data(), last.name, last.size) == 0) return last.spec;
    // The cache compares raw bytes, before case folding: "get" and "GET" are two entries, so a client
    // that alternates spellings only misses the fast path, never gets a wrong spec. A name longer than
    // 32 bytes cannot be a command (the longest, ZREMRANGEBYSCORE, has 16), so it is refused unhashed.
    char buffer[64];
    std::string_view name = lower(argv[0], buffer, 32);
    auto* entry = name.empty() ? nullptr : index().find(name);
    if (!entry) return nullptr;
    const CommandSpec* spec = entry->value;
    if (spec->subcommands.empty()) {
        if (argv[0].size() <= sizeof last.name) {
            std::memcpy(last.name, argv[0].data(), argv[0].size());
            last.size = argv[0].size();
            last.spec = spec;
        }
        return spec;
    }
    if (argv.size() < 2) return spec;  // "COMMAND" alone runs; "CONFIG" alone fails the arity check
    // "config|get"
    std::string_view sub = lower(argv[1], buffer + name.size() + 1, sizeof buffer - name.size() - 1);
    buffer[name.size()] = '|';
    auto* found = sub.empty() ? nullptr : index().find(std::string_view(buffer, name.size() + 1 + sub.size()));
    // An unknown subcommand hands the container back: dispatch.cpp needs its name for Redis' error
    // "unknown subcommand 'x'. Try CONFIG HELP.", which differs from the unknown-command error -
    // clients that probe for a subcommand (CLIENT NO-EVICT on old servers) tell the two apart.
    if (!found) {
        *container = spec;
        return nullptr;
    }
    return found->value;
}

std::span<const CommandSpec> all_commands() { return kCommands; }

void reset_command_stats() {
    auto reset = [](const CommandSpec& spec) { spec.calls = spec.usec = spec.rejected_calls = spec.failed_calls = 0; };
    for (const CommandSpec& spec : kCommands) {
        reset(spec);
        for (const CommandSpec& sub : spec.subcommands) reset(sub);
    }
}

}  // namespace miniredis
