// miniredis/commands/hyperloglog.cpp
//
// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE (Redis' hyperloglog.c, the command half).
//
// CONCEPT: an HLL is not a type of its own - it is a *string* whose bytes follow the `HYLL`
// layout (model/hyperloglog.hpp). So TYPE says "string", GET returns the 12 KB (or the few sparse
// bytes), SET of those bytes on another server - miniredis or redis-server - gives back a working
// HLL, and the AOF, snapshots and replication carry HLLs without knowing about them. The price: a
// client can SET any bytes, so every command checks the header first ("not a valid HyperLogLog")
// and reads the registers defensively ("Corrupted HLL object detected").
//
//   PFADD visitors:2026-12-07 alice bob alice     -> 1 (some register grew)
//   PFCOUNT visitors:2026-12-07                   -> 2 (cached in the header until the next change)
//   PFCOUNT visitors:mon visitors:tue             -> distinct over both days (registers merged, max)
//   PFMERGE visitors:week visitors:mon ...        -> that union, stored
//
// The names are Philippe Flajolet's initials, who invented the algorithm.
//
// READ NEXT: model/hyperloglog.hpp, then commands/bitmaps.cpp (the other "string as a data
// structure" family).
#include <cstring>
#include <vector>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "model/hyperloglog.hpp"

namespace miniredis {
namespace {

// An HLL is an ordinary string (SET can write one, GET reads it), so its bytes may be anything:
// every command validates the header first and refuses a corrupt body with INVALIDOBJ rather
// than reading registers out of bounds.
constexpr std::string_view kInvalidHll = "INVALIDOBJ Corrupted HLL object detected";
constexpr std::string_view kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";

// The string behind `v` if it is an HLL; nullptr after replying WRONGTYPE (not a string, or a
// string without a valid header).
SmallString* hll_or_reply(CommandContext& ctx, Value* v) {
    SmallString* s = ctx.as_string(v);
    if (!s) return nullptr;
    if (!hll::looks_valid(s->view())) {
        ctx.reply.error(kNotHll);
        return nullptr;
    }
    return s;
}

// hll-sparse-max-bytes (3000 by default): how large the compact sparse encoding may grow before
// it is converted to the dense 12 KB one - small counters stay a few hundred bytes.
size_t sparse_max(CommandContext& ctx) { return static_cast<size_t>(ctx.server.config.hll_sparse_max_bytes); }

}  // namespace

// PFADD key [element ...]: 1 if the estimate may have changed (a register grew, or the key was
// created), else 0. Elements that land on a register already as high change nothing - that is the
// "distinct" in "count distinct".
void cmd_pfadd(CommandContext& ctx) {
    std::string_view key = ctx.arg(1);
    Value* v = ctx.lookup_write(key);
    SmallString* hll;
    int updated = 0;
    if (!v) {
        hll = ctx.db().set(key, Value::of_string(hll::make_empty())).string();
        updated = 1;
    } else if (!(hll = hll_or_reply(ctx, v))) {
        return;
    }
    for (size_t i = 2; i < ctx.argc(); ++i) {
        int r = hll::add(*hll, ctx.arg(i), sparse_max(ctx));
        if (r < 0) return ctx.reply.error(kInvalidHll);
        updated += r;
    }
    // The cached cardinality lives in the header (8 bytes, top bit = "stale"), so invalidating it
    // is one bit flip; the next PFCOUNT recounts. "PFADD k" with no elements still creates the key
    // and replies 1 - how a client makes sure an empty counter exists.
    if (updated) {
        hll::invalidate_cache(*hll);
        ctx.modified(key);
    }
    ctx.reply.integer(updated ? 1 : 0);
}

// PFCOUNT key [key ...]: one key answers from the cached cardinality when the header says it is
// valid, else counts and caches (so even this "read" changes the bytes, as in Redis). Several keys
// are merged into a scratch array of 16384 one-byte registers and counted, leaving them untouched.
void cmd_pfcount(CommandContext& ctx) {
    // Several keys: the union is counted, not the sum - a visitor seen on Monday and Tuesday counts
    // once. Nothing is cached, since no single key holds that answer.
    if (ctx.argc() > 2) {
        std::vector<uint8_t> max(hll::kRegisters, 0);
        for (size_t i = 1; i < ctx.argc(); ++i) {
            Value* v = ctx.lookup_read(ctx.arg(i));
            if (!v) continue;  // a missing key is an empty HLL
            SmallString* hll = hll_or_reply(ctx, v);
            if (!hll) return;
            if (!hll::merge_into(hll->view(), max.data())) return ctx.reply.error(kInvalidHll);
        }
        return ctx.reply.integer(static_cast<int64_t>(hll::count_registers(max.data())));
    }
    std::string_view key = ctx.arg(1);
    Value* v = ctx.lookup_write(key);
    if (!v) return ctx.reply.integer(0);
    SmallString* hll = hll_or_reply(ctx, v);
    if (!hll) return;
    if (auto cached = hll::cached(hll->view())) return ctx.reply.integer(static_cast<int64_t>(*cached));
    auto card = hll::count(hll->view());
    if (!card) return ctx.reply.error(kInvalidHll);
    hll::store_cache(*hll, *card);
    ctx.modified(key);
    // The bytes changed, so the AOF must see it too (Redis propagates any command that dirtied the
    // data set): after a restart, GET returns the same bytes, cache included.
    ctx.server.propagate(ctx.client.db, ctx.argv);
    ctx.reply.integer(static_cast<int64_t>(*card));
}

// PFMERGE destkey [sourcekey ...]: the register-wise maximum of all of them (destkey included)
// stored in destkey - dense if any input was dense, else kept sparse while it fits.
void cmd_pfmerge(CommandContext& ctx) {
    std::vector<uint8_t> max(hll::kRegisters, 0);
    bool use_dense = false;
    for (size_t i = 1; i < ctx.argc(); ++i) {
        Value* v = ctx.lookup_read(ctx.arg(i));
        if (!v) continue;
        SmallString* hll = hll_or_reply(ctx, v);
        if (!hll) return;
        if (hll::encoding(hll->view()) == hll::kDense) use_dense = true;
        if (!hll::merge_into(hll->view(), max.data())) return ctx.reply.error(kInvalidHll);
    }
    // Every input (the destination among them) was validated above, so `v->string()` is an HLL here.
    // PFMERGE is logged as typed: the register-wise maximum is deterministic.
    std::string_view key = ctx.arg(1);
    Value* v = ctx.lookup_write(key);
    SmallString* hll = v ? v->string() : ctx.db().set(key, Value::of_string(hll::make_empty())).string();
    if (use_dense && !hll::to_dense(*hll)) return ctx.reply.error(kInvalidHll);
    for (int i = 0; i < hll::kRegisters; ++i)
        if (max[static_cast<size_t>(i)]) hll::set_register(*hll, i, max[static_cast<size_t>(i)], sparse_max(ctx));
    hll::invalidate_cache(*hll);
    ctx.modified(key);
    ctx.reply.ok();
}

}  // namespace miniredis
