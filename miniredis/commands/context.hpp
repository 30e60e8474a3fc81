// miniredis/commands/context.hpp
//
// CommandContext: what a command handler gets - the arguments, the client, the server, and the
// reply writer - plus the small helpers every family uses (argument parsing with Redis' error
// texts, typed key lookups that answer WRONGTYPE, and "this key changed").
//
// A handler's shape, e.g. GET (strings.cpp):
//     void cmd_get(CommandContext& ctx) {
//         Value* v = ctx.lookup_read(ctx.arg(1));         // lazy expiry happens in here
//         if (!v) return ctx.reply.null();
//         if (auto* s = ctx.as_string(v)) ctx.reply.bulk(*s);   // else WRONGTYPE was replied
//     }
//
// CONCEPT: one argument instead of five. Every handler has the same signature, void(CommandContext&),
// so the table can point at any of them, and a handler reaches everything through ctx: ctx.arg(i),
// ctx.reply, ctx.db(), ctx.client, ctx.server. The helpers here are where Redis' exact error texts
// live (WRONGTYPE, "value is not an integer or out of range"), so two commands cannot spell the same
// error two ways. A write also goes through here (ctx.modified(key) / rewrite_as): that is what WATCH,
// the keyspace "dirty" counter and the AOF propagation see.
//
//   dispatch ──▶ CommandContext{argv, client, server, reply} ──▶ cmd_xxx(ctx)
//
// READ NEXT: context.cpp, strings.cpp (the simplest family), core/broker.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command_table.hpp"
#include "core/broker.hpp"
#include "core/client.hpp"
#include "protocol/reply.hpp"

namespace miniredis {

struct CommandContext {
    CommandContext(Broker& s, Client& c, std::span<const std::string_view> a, const CommandSpec& spec)
        : server(s), client(c), argv(a), command(spec), reply(c.out, c.protocol) {}

    Broker& server;
    Client& client;
    std::span<const std::string_view> argv;
    const CommandSpec& command;
    Reply reply;

    // What goes to the AOF instead of argv, when a command must be logged differently (SET EX ->
    // SET PXAT: a relative TTL replayed tomorrow would be wrong). Empty = argv as received.
    std::vector<std::string> rewritten;
    bool suppress_propagation = false;  // the command propagated by itself (e.g. several commands)
    // Propagate even though `dirty` did not move (Redis' forceCommandPropagation): FLUSHALL, whose
    // snapshot resets the counter.
    bool force_propagation = false;

    std::string_view arg(size_t i) const { return argv[i]; }
    size_t argc() const { return argv.size(); }
    Database& db() { return server.db(client.db); }
    int64_t now_ms() const { return server.clock.now_ms(); }

    // Lookups count keyspace hits/misses, as INFO stats reports them.
    Value* lookup_read(std::string_view key);
    Value* lookup_write(std::string_view key) { return db().find(key); }

    // The typed view of a value, or nullptr after replying WRONGTYPE.
    SmallString* as_string(Value* v);
    List* as_list(Value* v);
    Hash* as_hash(Value* v);
    Set* as_set(Value* v);
    ZSet* as_zset(Value* v);

    // The first step of most commands: a value found by lookup_read/lookup_write, seen through
    // one of the as_* views above. nullptr when the key is absent (not an error: an empty list,
    // set... for reads, nothing to do for writes); `ok` is false after a WRONGTYPE reply.
    template <typename T>
    T* existing(Value* v, T* (CommandContext::*as)(Value*), bool& ok) {
        ok = true;
        if (!v) return nullptr;
        T* typed = (this->*as)(v);
        ok = typed != nullptr;
        return typed;
    }

    // Argument parsing; on failure they reply the Redis error and return nullopt.
    std::optional<int64_t> int_arg(size_t i, std::string_view error = errors::kNotInteger);
    std::optional<double> double_arg(size_t i, std::string_view error = errors::kNotFloat);
    std::optional<int64_t> positive_int_arg(size_t i);  // "value is out of range, must be positive"

    void modified(std::string_view key) { server.key_modified(client.db, key); }
    void syntax_error() { reply.error(errors::kSyntax); }
    void wrong_arity();
    void rewrite_as(std::initializer_list<std::string_view> args);
};

}  // namespace miniredis
