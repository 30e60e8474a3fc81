// The command table (see command_table.hpp). Reading it top to bottom is a tour of what the
// server can do; each handler lives in the file of its family (strings.cpp, lists.cpp, ...).
#include "commands/command_table.hpp"

#include <unordered_map>

#include "commands/handlers.hpp"

namespace miniredis {
namespace {

constexpr uint32_t W = kWrite, R = kReadOnly, M = kDenyOom, F = kFast, A = kAdmin, P = kPubSub, B = kBlocking,
                   N = kNoAuth, X = kNoMulti, S = kAllowedWhileSubscribed, Q = kSkipQueue, L = kLoading, T = kStale,
                   NS = kNoScript;

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

const CommandSpec kCommandSubcommands[] = {
    {"command|count", 2, L | T, cmd_command_count, 0, 0, 0, "server", "Number of commands"},
    {"command|list", -2, L | T, cmd_command_list, 0, 0, 0, "server", "Names of all commands"},
    {"command|info", -2, L | T, cmd_command_info, 0, 0, 0, "server", "Arity, flags and keys of commands"},
    {"command|docs", -2, L | T, cmd_command_docs, 0, 0, 0, "server", "Documentation of commands"},
    {"command|getkeys", -3, L | T, cmd_command_getkeys, 0, 0, 0, "server", "Which arguments are keys"},
};

// Each line: {name, arity, flags, handler, first key, last key, key step, group, summary}.
// Flags: W write, R read-only, M deny-oom (may grow memory), F fast, A admin, P pub/sub, B blocking,
// N allowed before AUTH, X refused inside MULTI, S allowed while subscribed (RESP2), Q runs at once
// inside MULTI instead of being queued, L/T allowed while loading / stale, NS not from scripts.
const CommandSpec kCommands[] = {
    // --- connection
    {"ping", -1, F | S | T, cmd_ping, 0, 0, 0, "connection", "Is the server alive? PONG"},
    {"echo", 2, F | L | T, cmd_echo, 0, 0, 0, "connection", "Return the argument"},
    {"select", 2, L | T | F, cmd_select, 0, 0, 0, "connection", "Switch to database N (0-15)"},
    {"quit", -1, N | L | T | F | S | Q, cmd_quit, 0, 0, 0, "connection", "Close the connection"},
    {"auth", -2, N | L | T | F | NS, cmd_auth, 0, 0, 0, "connection", "Log in (requirepass)"},
    {"hello", -1, N | L | T | F | NS, cmd_hello, 0, 0, 0, "connection", "Handshake; HELLO 3 switches to RESP3"},
    {"reset", 1, N | L | T | F | S | Q | NS, cmd_reset, 0, 0, 0, "connection", "Back to a fresh connection"},
    {"client", -2, 0, nullptr, 0, 0, 0, "connection", "Manage connections", kClientSubcommands},
    // --- strings
    {"get", 2, R | F, cmd_get, 1, 1, 1, "string", "Get the value of a key"},
    {"set", -3, W | M, cmd_set, 1, 1, 1, "string", "Set a key [EX|PX|EXAT|PXAT t] [NX|XX] [KEEPTTL] [GET]"},
    {"setnx", 3, W | M | F, cmd_setnx, 1, 1, 1, "string", "Set only if the key does not exist"},
    {"setex", 4, W | M, cmd_setex, 1, 1, 1, "string", "Set with a TTL in seconds"},
    {"psetex", 4, W | M, cmd_psetex, 1, 1, 1, "string", "Set with a TTL in milliseconds"},
    {"getset", 3, W | M | F, cmd_getset, 1, 1, 1, "string", "Set and return the old value"},
    {"getdel", 2, W | F, cmd_getdel, 1, 1, 1, "string", "Get and delete"},
    {"getex", -2, W | F, cmd_getex, 1, 1, 1, "string", "Get and change the TTL"},
    {"mget", -2, R | F, cmd_mget, 1, -1, 1, "string", "Get several keys"},
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
    // --- keys
    {"del", -2, W, cmd_del, 1, -1, 1, "generic", "Delete keys"},
    {"unlink", -2, W | F, cmd_del, 1, -1, 1, "generic", "Delete keys (Redis frees in the background)"},
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
    {"rename", 3, W, cmd_rename, 1, 2, 1, "generic", "Rename a key"},
    {"renamenx", 3, W | F, cmd_renamenx, 1, 2, 1, "generic", "Rename if the new name is free"},
    {"copy", -3, W | M, cmd_copy, 1, 2, 1, "generic", "Copy a value [DB n] [REPLACE]"},
    {"keys", 2, R, cmd_keys, 0, 0, 0, "generic", "All keys matching a pattern (O(n): use SCAN)"},
    {"scan", -2, R, cmd_scan, 0, 0, 0, "generic", "Iterate keys with a cursor [MATCH] [COUNT] [TYPE]"},
    {"randomkey", 1, R, cmd_randomkey, 0, 0, 0, "generic", "A random key"},
    {"dbsize", 1, R | F, cmd_dbsize, 0, 0, 0, "server", "Number of keys in this database"},
    // --- server
    {"flushdb", -1, W, cmd_flushdb, 0, 0, 0, "server", "Delete every key of this database"},
    {"flushall", -1, W, cmd_flushall, 0, 0, 0, "server", "Delete every key of every database"},
    {"time", 1, L | T | F, cmd_time, 0, 0, 0, "server", "Server time [seconds, microseconds]"},
    {"lastsave", 1, L | T | F, cmd_lastsave, 0, 0, 0, "server", "Unix time of the last snapshot"},
    {"info", -1, L | T, cmd_info, 0, 0, 0, "server", "Server statistics by section"},
    {"command", -1, L | T, cmd_command, 0, 0, 0, "server", "Describe commands", kCommandSubcommands},
    {"config", -2, 0, nullptr, 0, 0, 0, "server", "Read or change configuration", kConfigSubcommands},
    {"shutdown", -1, A | NS | L | T | N, cmd_shutdown, 0, 0, 0, "server", "Save (per config) and stop"},
};

// Lookup by lower-case name. Built once; lookups lower-case argv[0] into a stack buffer.
const std::unordered_map<std::string_view, const CommandSpec*>& index() {
    static const auto map = [] {
        std::unordered_map<std::string_view, const CommandSpec*> m;
        for (const CommandSpec& spec : kCommands) {
            m.emplace(spec.name, &spec);
            for (const CommandSpec& sub : spec.subcommands) m.emplace(sub.name, &sub);
        }
        return m;
    }();
    return map;
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
    char buffer[64];
    std::string_view name = lower(argv[0], buffer, 32);
    auto it = index().find(name);
    if (name.empty() || it == index().end()) return nullptr;
    const CommandSpec* spec = it->second;
    if (spec->subcommands.empty()) return spec;
    if (argv.size() < 2) return spec;  // "COMMAND" alone runs; "CONFIG" alone fails the arity check
    // "config|get"
    std::string_view sub = lower(argv[1], buffer + name.size() + 1, sizeof buffer - name.size() - 1);
    buffer[name.size()] = '|';
    auto found = index().find(std::string_view(buffer, name.size() + 1 + sub.size()));
    if (sub.empty() || found == index().end()) {
        *container = spec;
        return nullptr;
    }
    return found->second;
}

std::span<const CommandSpec> all_commands() { return kCommands; }

}  // namespace miniredis
