// miniredis/commands/server_cmds.cpp
//
// Server commands: the whole server rather than one key - FLUSHDB/FLUSHALL, TIME, CONFIG,
// COMMAND (the table describing itself, for redis-cli's hints and cluster-aware clients). INFO has
// its own file (info.cpp).
//
// CONCEPT: the server describing and managing itself. CONFIG GET/SET reads and changes core/config.hpp
// at run time (a redis.conf directive is the same name: core/redis_conf.cpp), and COMMAND returns
// the command table, which is how redis-cli knows the arity and key positions of every command.
// FLUSHALL ASYNC hands the old keyspace to core/lazy_free.cpp so a large flush does not block.
// READ NEXT: core/config.hpp, command_table.hpp, info.cpp.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <span>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "model/glob.hpp"
#include "model/memory.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

// FLUSHDB/FLUSHALL [ASYNC|SYNC]: ASYNC swaps each keyspace for an empty one - O(1), the
// database is empty for the next command - and hands the old tables to the lazy-free thread
// (core/lazy_free.hpp); SYNC frees them here, one free() per key. Without a mode,
// lazyfree-lazy-user-flush decides, as in Redis. nullopt after a syntax error.
static std::optional<bool> parse_flush_mode(CommandContext& ctx) {
    if (ctx.argc() == 1) return ctx.server.config.lazyfree_lazy_user_flush;
    if (ctx.argc() == 2 && equals_ignore_case(ctx.arg(1), "ASYNC")) return true;
    if (ctx.argc() == 2 && equals_ignore_case(ctx.arg(1), "SYNC")) return false;
    ctx.syntax_error();
    return std::nullopt;
}

// ASYNC takes both tables out of the database in O(1) (take_all) and hands them to the lazy-free
// thread: the database is empty for the next command at once, and the millions of frees happen
// elsewhere.
static void flush(CommandContext& ctx, Database& db, bool async) {
    if (!async || db.size() == 0) return db.clear();  // nothing to hand over for an empty one
    auto [keys, expires] = db.take_all();
    ctx.server.lazy_free.free_keyspace(std::move(keys), std::move(expires));
}

// Every WATCHer of any key in the database is flagged first: a flush changes every key, and a
// transaction that watched one must fail its EXEC. `dirty` grows by the number of keys removed, so
// the "save <seconds> <changes>" rules see a flush of a million keys as a million changes.
void cmd_flushdb(CommandContext& ctx) {
    std::optional<bool> async = parse_flush_mode(ctx);
    if (!async) return;
    ctx.server.all_keys_modified(ctx.client.db);
    ctx.server.dirty += ctx.db().size() + 1;  // +1: an empty FLUSHDB still goes to the AOF
    flush(ctx, ctx.db(), *async);
    ctx.reply.ok();
}

// FLUSHALL: FLUSHDB over every database, logged once; -1 asks all_keys_modified for all of them.
void cmd_flushall(CommandContext& ctx) {
    std::optional<bool> async = parse_flush_mode(ctx);
    if (!async) return;
    // Logged as typed (FLUSHALL, with its ASYNC/SYNC word): a replica empties its own databases,
    // lazily or not as the word says.
    ctx.server.all_keys_modified(-1);
    for (Database& db : ctx.server.databases) {
        ctx.server.dirty += db.size();
        flush(ctx, db, *async);
    }
    ++ctx.server.dirty;
    // As Redis does: a BGSAVE still running would rename the old data over dump.rdb - it is killed;
    // with save rules, the empty dataset is saved now (core/persistence.cpp). That save resets the
    // change counter, which is how dispatch tells a write that changed something: propagate anyway.
    ctx.server.snapshot_after_flushall();
    ctx.force_propagation = true;
    ctx.reply.ok();
}

// TIME: seconds and microseconds as two bulk strings - the server's clock, which is what EXPIREAT
// and XADD * use, so a client can compare its own clock with it.
void cmd_time(CommandContext& ctx) {
    // Read from std::chrono::system_clock directly: TIME answers in microseconds, and the server's
    // Clock (the one expiry and XADD read) counts milliseconds.
    int64_t us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    // Two bulk strings, not integers: Redis' historical shape, which every client library parses
    // by position (redis-py returns a (seconds, microseconds) tuple of ints it converts itself).
    char buf[24];
    ctx.reply.array(2);
    ctx.reply.bulk(format_int64(us / 1'000'000, buf));
    ctx.reply.bulk(format_int64(us % 1'000'000, buf));
}

// LASTSAVE: Unix seconds of the last successful snapshot - the classic "did my BGSAVE finish?"
// poll: read it, BGSAVE, wait until it changes.
void cmd_lastsave(CommandContext& ctx) { ctx.reply.integer(ctx.server.last_save_ms / 1000); }

// --- COMMAND ------------------------------------------------------------------------------

// The table's flag bits spelled as Redis 7 spells them in COMMAND INFO, where clients and proxies
// can read "readonly" and "write" to tell which commands a replica may serve.
static std::vector<std::string_view> flag_names(uint32_t flags) {
    struct Name {
        uint32_t flag;
        std::string_view name;
    };
    constexpr Name kNames[] = {{kWrite, "write"},
                               {kReadOnly, "readonly"},
                               {kDenyOom, "denyoom"},
                               {kAdmin, "admin"},
                               {kPubSub, "pubsub"},
                               {kNoScript, "noscript"},
                               {kBlocking, "blocking"},
                               {kLoading, "loading"},
                               {kStale, "stale"},
                               {kFast, "fast"},
                               {kNoAuth, "no_auth"},
                               {kNoMulti, "no_multi"},
                               {kMovableKeys, "movablekeys"}};
    // kSkipQueue is not listed: "runs at once inside MULTI" is our dispatcher's flag. Redis decides
    // that by the command itself (EXEC, DISCARD, ...) and has no COMMAND INFO flag for it.
    std::vector<std::string_view> out;
    for (const Name& n : kNames)
        if (flags & n.flag) out.push_back(n.name);
    return out;
}

// COMMAND INFO: the table line as Redis 7 shapes it - name, arity, flags, first/last key and step,
// then ACL categories, tips, key specs and subcommands (the last four kept minimal here).
// The flags are a RESP3 set of *status* strings, as Redis sends them: a client compares them
// with "readonly" as plain text, and a set says that their order means nothing.
static void reply_command_info(CommandContext& ctx, const CommandSpec& spec) {
    ctx.reply.array(10);
    ctx.reply.bulk(spec.name);
    ctx.reply.integer(spec.arity);
    auto flags = flag_names(spec.flags);
    ctx.reply.set(flags.size());
    for (auto f : flags) ctx.reply.simple(f);
    ctx.reply.integer(spec.first_key);
    ctx.reply.integer(spec.last_key);
    ctx.reply.integer(spec.key_step);
    ctx.reply.set(0);    // ACL categories
    ctx.reply.set(0);    // tips
    ctx.reply.array(0);  // key specs
    ctx.reply.array(spec.subcommands.size());
    for (const CommandSpec& sub : spec.subcommands) reply_command_info(ctx, sub);
}

// COMMAND DOCS: what redis-cli asks for at start to show hints and `help <command>` - a map of
// name -> {summary, since, group, complexity[, subcommands]}; the summaries come from the table.
static void reply_command_docs(CommandContext& ctx, const CommandSpec& spec) {
    ctx.reply.bulk(spec.name);
    ctx.reply.map(spec.subcommands.empty() ? 4 : 5);
    ctx.reply.bulk("summary");
    ctx.reply.bulk(spec.summary);
    ctx.reply.bulk("since");
    ctx.reply.bulk("1.0.0");
    ctx.reply.bulk("group");
    ctx.reply.bulk(spec.group);
    ctx.reply.bulk("complexity");
    ctx.reply.bulk("");
    if (spec.subcommands.empty()) return;
    ctx.reply.bulk("subcommands");
    ctx.reply.map(spec.subcommands.size());
    for (const CommandSpec& sub : spec.subcommands) reply_command_docs(ctx, sub);
}

// A name alone finds a plain command, or a container (CONFIG) whose entry lists its subcommands:
// COMMAND INFO config describes the container with all its "config|get" ... children, as Redis 7.
static const CommandSpec* find_command_by_name(std::string_view name) {
    std::string_view argv[] = {name};
    const CommandSpec* container = nullptr;
    const CommandSpec* spec = lookup_command(argv, &container);
    return spec ? spec : container;
}

// COMMAND with no subcommand: the whole table - a few hundred entries, sent once by clients that
// want to know what the server supports.
void cmd_command(CommandContext& ctx) {
    auto commands = all_commands();
    ctx.reply.array(commands.size());
    for (const CommandSpec& spec : commands) reply_command_info(ctx, spec);
}

// COUNT and LIST count top-level commands; subcommands appear only inside their container's entry.
void cmd_command_count(CommandContext& ctx) { ctx.reply.integer(static_cast<int64_t>(all_commands().size())); }

void cmd_command_list(CommandContext& ctx) {
    auto commands = all_commands();
    ctx.reply.array(commands.size());
    for (const CommandSpec& spec : commands) ctx.reply.bulk(spec.name);
}

void cmd_command_info(CommandContext& ctx) {
    if (ctx.argc() == 2) return cmd_command(ctx);
    ctx.reply.array(ctx.argc() - 2);
    // One slot per asked name, in order; an unknown name is a null array in its slot rather than
    // an error, so a client can probe a list of commands in one call and learn which exist.
    for (size_t i = 2; i < ctx.argc(); ++i) {
        const CommandSpec* spec = find_command_by_name(ctx.arg(i));
        if (spec)
            reply_command_info(ctx, *spec);
        else
            ctx.reply.null_array();
    }
}

void cmd_command_docs(CommandContext& ctx) {
    std::vector<const CommandSpec*> specs;
    if (ctx.argc() == 2) {
        for (const CommandSpec& spec : all_commands()) specs.push_back(&spec);
    } else {
        for (size_t i = 2; i < ctx.argc(); ++i)
            if (const CommandSpec* spec = find_command_by_name(ctx.arg(i))) specs.push_back(spec);
    }
    ctx.reply.map(specs.size());
    for (const CommandSpec* spec : specs) reply_command_docs(ctx, *spec);
}

// Movable keys: where a command's keys are depends on its arguments, so first/last/step cannot
// say it. Cluster clients ask COMMAND GETKEYS to route such a command to the node owning its keys;
// Redis finds them with "key specs" (a keyword or an index, then a count). Two shapes exist here:
//   ZUNION 2 a b ...          numkeys at a fixed place, then that many keys (+ a destination first
//   ZUNIONSTORE d 2 a b ...   for the *STORE forms)
//   XREAD ... STREAMS a b 0 0 the keys are the first half of what follows the STREAMS keyword
// nullopt: the arguments do not say where the keys are ("Invalid arguments" in Redis's words).
static std::optional<std::vector<std::string_view>> movable_keys(std::string_view name,
                                                                 std::span<const std::string_view> args) {
    std::vector<std::string_view> keys;
    const size_t argc = args.size();
    if (name == "xread" || name == "xreadgroup") {
        size_t from = name == "xread" ? 1 : 4;  // XREADGROUP GROUP g c ... STREAMS
        for (size_t i = from; i < argc; ++i) {
            if (!equals_ignore_case(args[i], "STREAMS")) continue;
            size_t count = (argc - i - 1) / 2;  // n keys, then n IDs
            if (count == 0) return std::nullopt;
            keys.assign(args.begin() + static_cast<std::ptrdiff_t>(i + 1),
                        args.begin() + static_cast<std::ptrdiff_t>(i + 1 + count));
            return keys;
        }
        return std::nullopt;
    }
    size_t numkeys_at = 1;  // SINTERCARD/ZINTERCARD/ZUNION/ZINTER/ZDIFF/LMPOP/ZMPOP numkeys ...
    if (name == "zunionstore" || name == "zinterstore" || name == "zdiffstore") {
        numkeys_at = 2;
        keys.push_back(args[1]);  // the destination
    } else if (name == "blmpop" || name == "bzmpop") {
        numkeys_at = 2;  // BLMPOP timeout numkeys ...
    }
    if (numkeys_at >= argc) return std::nullopt;
    std::optional<int64_t> numkeys = parse_int64(args[numkeys_at]);
    if (!numkeys || *numkeys <= 0 || static_cast<uint64_t>(*numkeys) >= argc - numkeys_at) return std::nullopt;
    for (size_t i = 0; i < static_cast<size_t>(*numkeys); ++i) keys.push_back(args[numkeys_at + 1 + i]);
    return keys;
}

// COMMAND GETKEYS <command line>: runs only the key-finding half of a command - the arity check,
// then the fixed key columns or movable_keys() - without executing anything.
void cmd_command_getkeys(CommandContext& ctx) {
    auto args = ctx.argv.subspan(2);
    const CommandSpec* container = nullptr;
    const CommandSpec* spec = lookup_command(args, &container);
    if (!spec) return ctx.reply.error("ERR Invalid command specified");
    int argc = static_cast<int>(args.size());
    if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity)
        return ctx.reply.error("ERR Invalid number of arguments specified for command");
    std::vector<std::string_view> keys;
    if (spec->flags & kMovableKeys) {
        auto found = movable_keys(spec->name, args);
        if (!found) return ctx.reply.error("ERR Invalid arguments specified for command");
        keys = std::move(*found);
    } else {
        // A negative last_key counts from the end: -1 is the last word (DEL k1 k2 k3), -2 the one before
        // (BLPOP k1 k2 timeout), so variadic commands need no special case.
        if (spec->first_key == 0) return ctx.reply.error("ERR The command has no key arguments");
        int last = spec->last_key < 0 ? argc + spec->last_key : spec->last_key;
        for (int i = spec->first_key; i <= last && i < argc; i += spec->key_step)
            keys.push_back(args[static_cast<size_t>(i)]);
    }
    ctx.reply.array(keys.size());
    for (auto k : keys) ctx.reply.bulk(k);
}

// --- CONFIG -------------------------------------------------------------------------------

// The value as CONFIG GET shows it: sizes as plain byte counts ("100mb" -> "104857600").
static std::string config_value(const Config& config, const mb::OptionSpec& spec) {
    const std::string& text = config.options.text(spec.name);
    if (spec.kind == mb::OptionKind::bytes) return std::to_string(config.options.integer(spec.name));
    if (spec.kind == mb::OptionKind::boolean) return config.options.boolean(spec.name) ? "yes" : "no";
    return text;
}

// CONFIG GET takes glob patterns (CONFIG GET max*) matched case-insensitively against the option
// table - the same table the command line and redis.conf use - and always replies a map, so RESP3
// clients get a dictionary and RESP2 clients the flat name, value list.
void cmd_config_get(CommandContext& ctx) {
    std::vector<const mb::OptionSpec*> matches;
    for (const mb::OptionSpec& spec : config_options()) {
        for (size_t i = 2; i < ctx.argc(); ++i) {
            if (glob_match(ctx.arg(i), spec.name, true)) {
                matches.push_back(&spec);
                break;
            }
        }
    }
    // The old slave-* names (core/redis_conf.cpp, kAliases) answer under the name asked for, each
    // option once: `CONFIG GET slaveof` says slaveof, `CONFIG GET *` lists only replicaof.
    std::vector<std::pair<std::string_view, const mb::OptionSpec*>> aliased;
    for (const mb::OptionAlias& alias : redis_conf_aliases()) {
        auto spec = std::find_if(config_options().begin(), config_options().end(),
                                 [&](const mb::OptionSpec& s) { return s.name == alias.name; });
        if (spec == config_options().end() || std::find(matches.begin(), matches.end(), &*spec) != matches.end())
            continue;
        for (size_t i = 2; i < ctx.argc(); ++i) {
            if (glob_match(ctx.arg(i), alias.alias, true)) {
                aliased.emplace_back(alias.alias, &*spec);
                break;
            }
        }
    }
    // Directives Redis knows and miniredis accepts but ignores (core/redis_conf.cpp) answer with
    // the value the file or command line gave, as redis-server answers `CONFIG GET io-threads`:
    // a tool that reads its config back finds it, and nobody is told a value was never set.
    std::vector<std::pair<std::string_view, std::string_view>> ignored;
    for (const auto& [name, value] : ctx.server.config.options.ignored_values()) {
        for (size_t i = 2; i < ctx.argc(); ++i) {
            if (glob_match(ctx.arg(i), name, true)) {
                ignored.emplace_back(name, value);
                break;
            }
        }
    }
    ctx.reply.map(matches.size() + aliased.size() + ignored.size());
    for (const mb::OptionSpec* spec : matches) {
        ctx.reply.bulk(spec->name);
        ctx.reply.bulk(config_value(ctx.server.config, *spec));
    }
    for (auto [alias, spec] : aliased) {
        ctx.reply.bulk(alias);
        ctx.reply.bulk(config_value(ctx.server.config, *spec));
    }
    for (auto [name, value] : ignored) {
        ctx.reply.bulk(name);
        ctx.reply.bulk(value);
    }
}

// CONFIG SET name value [name value ...]: all or nothing - every pair is validated on a copy of
// the configuration first, then the copy replaces the live one and its side effects run
// (Broker::apply_config: opening or closing the AOF, evicting down to a lowered maxmemory).
void cmd_config_set(CommandContext& ctx) {
    if (ctx.argc() % 2 != 0) return ctx.syntax_error();
    // Immutable: only the command line or config file sets them. The AOF's name is one (Redis 7),
    // since the open log cannot be renamed under a running server.
    constexpr std::string_view kImmutable[] = {"port",   "bind",      "databases", "admin-port", "appendfilename",
                                               "repair", "daemonize", "pidfile",   "logfile"};
    // Protected (Redis 7 PROTECTED_CONFIG, refused unless enable-protected-configs, which we lack):
    // where files are written. With CONFIG SET dir/dbfilename and SAVE, anyone who can connect could
    // write a snapshot to any path the server may write - e.g. over ~/.ssh/authorized_keys.
    constexpr std::string_view kProtected[] = {"dir", "dbfilename"};
    for (size_t i = 2; i < ctx.argc(); i += 2) {
        std::string_view name = ctx.arg(i);
        // An old slave-* name is its replica-* option (Options::set resolves it the same way).
        for (const mb::OptionAlias& alias : redis_conf_aliases())
            if (equals_ignore_case(alias.alias, name)) name = alias.name;
        bool known = std::any_of(config_options().begin(), config_options().end(),
                                 [&](const mb::OptionSpec& s) { return equals_ignore_case(s.name, name); });
        if (!known)
            return ctx.reply.error(
                fmt::format("ERR Unknown option or number of arguments for CONFIG SET - '{}'", name));
        for (auto immutable : kImmutable)
            if (equals_ignore_case(immutable, name))
                return ctx.reply.error(fmt::format(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - can't set immutable config", name));
        for (auto protected_config : kProtected)
            if (equals_ignore_case(protected_config, name))
                return ctx.reply.error(fmt::format(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - can't set protected config", name));
    }
    // Names are all checked above before any value is parsed, so an unknown name is reported even
    // when an earlier value is also wrong - the order Redis 7's multi-argument CONFIG SET uses.
    Config updated = ctx.server.config;  // all or nothing: validate every pair on a copy
    try {
        for (size_t i = 2; i < ctx.argc(); i += 2) updated.options.set(ctx.arg(i), ctx.arg(i + 1));
        updated.refresh();
    } catch (const mb::OptionError& e) {
        return ctx.reply.error(
            fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - {}", ctx.arg(2), e.what()));
    }
    ctx.server.apply_config(std::move(updated));
    ctx.reply.ok();
}

// CONFIG RESETSTAT: zero the INFO counters (hits, misses, commands processed, per-command stats),
// e.g. before a benchmark, so the numbers after it describe only the benchmark.
// Not reset: the keyspace itself, the replication offsets and the slow log (SLOWLOG RESET has its
// own command) - RESETSTAT is about counters that describe traffic, not about state.
void cmd_config_resetstat(CommandContext& ctx) {
    ctx.server.stats = Stats{};
    reset_command_stats();  // INFO commandstats
    ctx.reply.ok();
}

// CONFIG REWRITE (write the live settings back into the config file, keeping its comments) is not
// implemented: it always answers the error Redis gives when it was started without a file.
void cmd_config_rewrite(CommandContext& ctx) { ctx.reply.error("ERR The server is running without a config file"); }

void cmd_config_help(CommandContext& ctx) {
    constexpr std::string_view kLines[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "HELP",
        "    Print this help.",
    };
    ctx.reply.array(std::size(kLines));
    for (auto line : kLines) ctx.reply.simple(line);
}

// SHUTDOWN: with save rules configured (or SAVE given) the snapshot is written first, the AOF is
// flushed and fsynced either way - a clean shutdown never loses an acknowledged write. NOW, FORCE
// and ABORT are accepted for compatibility and have nothing to change here.
void cmd_shutdown(CommandContext& ctx) {
    bool save = !ctx.server.config.save.empty(), nosave = false;
    for (size_t i = 1; i < ctx.argc(); ++i) {
        if (equals_ignore_case(ctx.arg(i), "NOSAVE"))
            nosave = true;
        else if (equals_ignore_case(ctx.arg(i), "SAVE"))
            save = true;
        else if (equals_ignore_case(ctx.arg(i), "NOW") || equals_ignore_case(ctx.arg(i), "FORCE") ||
                 equals_ignore_case(ctx.arg(i), "ABORT"))
            continue;
        else
            return ctx.syntax_error();
    }
    // A failed save refuses to stop (the error below) rather than exit and lose the writes since
    // the last snapshot: the operator can fix the disk and try again, or say NOSAVE explicitly.
    if (!ctx.server.prepare_shutdown(save && !nosave))
        return ctx.reply.error("ERR Errors trying to SHUTDOWN. Check logs.");
    // No reply on success: the server is gone, as with Redis (the client sees the connection close).
}

}  // namespace miniredis
