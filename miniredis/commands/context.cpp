// miniredis/commands/context.cpp
//
// CommandContext helpers: typed lookups and argument parsing with Redis' error texts.
//
// CONCEPT: see context.hpp. lookup_read counts keyspace hits and misses (INFO's keyspace_hits,
// the number a cache's hit ratio is computed from); as_string/as_list/... answer WRONGTYPE once, here,
// so "GET on a list" fails the same way in every family. rewrite_as replaces what is propagated:
// a command whose effect depends on time or chance (EXPIRE, SPOP, XADD *) is logged as the
// deterministic command that had the same effect, so an AOF replay or a replica gets the same data.
// READ NEXT: core/durability.cpp (what happens to the propagated arguments).
#include "commands/context.hpp"

#include "protocol/numbers.hpp"

namespace miniredis {

// db().find already did the lazy expiry (model/database.hpp): a key past its deadline is deleted
// there and counts as a miss here, which is what a cache's hit ratio should say.
Value* CommandContext::lookup_read(std::string_view key) {
    Value* v = db().find(key);
    if (v)
        ++server.stats.keyspace_hits;
    else
        ++server.stats.keyspace_misses;
    return v;
}

namespace {
// The typed pointer, or WRONGTYPE replied and nullptr (Redis' checkType).
template <typename T>
T* typed(CommandContext& ctx, T* p) {
    if (!p) ctx.reply.error(errors::kWrongType);
    return p;
}
}  // namespace

// WRONGTYPE has its own prefix, not ERR: a client library raises it as its own exception class,
// because it means "this key holds another type" - a data problem, not a malformed command. The
// check is made before any write, so a WRONGTYPE command never changed anything.
SmallString* CommandContext::as_string(Value* v) { return typed(*this, v->string()); }
List* CommandContext::as_list(Value* v) { return typed(*this, v->list()); }
Hash* CommandContext::as_hash(Value* v) { return typed(*this, v->hash()); }
Set* CommandContext::as_set(Value* v) { return typed(*this, v->set()); }
ZSet* CommandContext::as_zset(Value* v) { return typed(*this, v->zset()); }

// The argument parsers reply the error themselves and return nullopt, so a handler needs one line
// per argument: "auto n = ctx.int_arg(2); if (!n) return;". The default texts are Redis' shared
// ones ("ERR value is not an integer or out of range"); callers pass their own where Redis does.
std::optional<int64_t> CommandContext::int_arg(size_t i, std::string_view error) {
    auto n = parse_int64(argv[i]);
    if (!n) reply.error(error);
    return n;
}

// parse_double refuses "nan" (a score that cannot be ordered) but takes "inf" and "-inf": ZADD k
// +inf top is legal and puts "top" above every finite score, as in Redis.
std::optional<double> CommandContext::double_arg(size_t i, std::string_view error) {
    auto d = parse_double(argv[i]);
    if (!d) reply.error(error);
    return d;
}

// Counts that cannot be negative (LPOP's, SPOP's): a negative one is "ERR value is out of range,
// must be positive", Redis' text for exactly this case.
std::optional<int64_t> CommandContext::positive_int_arg(size_t i) {
    auto n = int_arg(i);
    if (n && *n < 0) {
        reply.error(errors::kOutOfRange);
        return std::nullopt;
    }
    return n;
}

// The same text dispatch.cpp uses for the table's arity check, for the checks a table cannot
// express (pairs, at most N words): a client cannot tell which of the two refused it.
void CommandContext::wrong_arity() {
    reply.error("ERR wrong number of arguments for '" + std::string(command.name) + "' command");
}

// Copies, not views: the AOF buffer and the replicas read `rewritten` after the handler returned,
// and the views may point into temporaries (a formatted deadline in a stack buffer).
void CommandContext::rewrite_as(std::initializer_list<std::string_view> args) {
    rewritten.assign(args.begin(), args.end());
}

}  // namespace miniredis
