// miniredis/commands/zset_algebra.cpp
//
// Sorted-set algebra: ZUNION, ZINTER, ZDIFF (and their STORE forms), ZINTERCARD (t_zset.c's
// zunionInterDiffGenericCommand).
//
// CONCEPT: leaderboards combine. "Points this week" is the ZUNIONSTORE of seven daily boards
// (scores summed); "players in both leagues" a ZINTER; "the best of two attempts" AGGREGATE MAX;
// "weekend points count double" WEIGHTS 1 1 1 1 1 2 2. Plain sets may be inputs too, every member
// scoring 1 - so ZINTERSTORE active_scored 2 scores active_users WEIGHTS 1 0 filters a board by a
// set.
//
//   ZUNIONSTORE dst 2 a b WEIGHTS 1 2 AGGREGATE SUM
//       a: x=1 y=2        b: y=10 z=3
//       -> x = 1*1, y = 1*2 + 2*10 = 22, z = 2*3 = 6     (member order: score, then bytes)
//
// Two details make the answers identical to Redis' to the last bit:
//   - inputs are visited smallest first (a stable sort by size), because floating-point addition
//     is not associative: 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the 17th digit;
//   - weight * score can be NaN (0 * inf), and inf + -inf is NaN: Redis stores 0 instead.
//
// READ NEXT: commands/zsets.cpp and zset_ranges.cpp (the single-key commands), model/zset.hpp (the skiplist).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/context.hpp"
#include "commands/handlers.hpp"

namespace miniredis {
namespace {

enum class Op { uni, inter, diff };
enum class Aggregate { sum, min, max };

// One input: a sorted set, a plain set (every score 1) or a missing key (empty).
// Reading a plain set as a sorted set of 1s is Redis' rule, and what makes "filter a board by a
// set" a one-liner. A missing key is an empty input: it empties an intersection, and adds
// nothing to a union.
struct Source {
    ZSet* zset = nullptr;
    Set* set = nullptr;
    double weight = 1.0;

    size_t size() const { return zset ? zset->size() : set ? set->size() : 0; }
    std::optional<double> score(std::string_view member) const {
        if (zset) return zset->score(member);
        if (set && set->find(member)) return 1.0;
        return std::nullopt;
    }
    template <typename Fn>
    void for_each(Fn&& fn) const {
        if (zset)
            for (const ZSet::Node* n = zset->first(); n; n = n->next()) fn(n->member.view(), n->score);
        else if (set)
            set->for_each([&](const Set::Entry& e) { fn(e.key.view(), 1.0); });
    }
};

// How a member's scores from several inputs combine (AGGREGATE SUM|MIN|MAX, SUM by default).
// MIN/MAX use plain comparisons, so a NaN can never come out of them.
void aggregate(double& target, double value, Aggregate how) {
    if (how == Aggregate::sum) {
        target += value;
        if (std::isnan(target)) target = 0.0;  // inf + -inf
    } else if (how == Aggregate::min) {
        target = value < target ? value : target;
    } else {
        target = value > target ? value : target;
    }
}

// Would Redis keep this result in its compact listpack encoding (zset-max-listpack-entries 128,
// zset-max-listpack-value 64)?
// The answer is visible to clients in one way only, and that is why it is computed: a listpack stores
// scores as text, so the -0 fix-up below must happen exactly when Redis would have packed the result.
bool compact_encoding(const ZSet& z) {
    if (z.size() > 128) return false;
    for (const ZSet::Node* n = z.first(); n; n = n->next())
        if (n->member.size() > 64) return false;
    return true;
}

// The engine. `numkeys_at` is the index of numkeys; `dest` is empty for the non-STORE forms.
void zset_algebra(CommandContext& ctx, size_t numkeys_at, Op op, bool store, bool cardinality_only = false) {
    auto numkeys = ctx.int_arg(numkeys_at);
    if (!numkeys) return;
    if (*numkeys < 1)
        return ctx.reply.error(fmt::format("ERR at least 1 input key is needed for '{}' command", ctx.command.name));
    // numkeys larger than the words that follow: a syntax error, checked before any key is read.
    if (*numkeys > static_cast<int64_t>(ctx.argc() - numkeys_at - 1)) return ctx.syntax_error();
    auto count = static_cast<size_t>(*numkeys);

    // Keys first (a wrong type is reported before a bad option, as Redis does).
    std::vector<Source> sources(count);
    size_t j = numkeys_at + 1;
    // The Source pointers stay valid to the end: nothing else runs while this command does, and the
    // destination is only replaced after the result is complete - so ZUNIONSTORE a 2 a b is safe.
    for (size_t i = 0; i < count; ++i, ++j) {
        Value* v = ctx.lookup_read(ctx.arg(j));
        if (!v) continue;
        sources[i].zset = v->zset();
        sources[i].set = v->set();
        if (!sources[i].zset && !sources[i].set) return ctx.reply.error(errors::kWrongType);
    }
    Aggregate how = Aggregate::sum;
    bool with_scores = false;
    int64_t limit = 0;
    while (j < ctx.argc()) {
        size_t remaining = ctx.argc() - j;
        std::string_view opt = ctx.arg(j);
        bool algebra_options = op != Op::diff && !cardinality_only;
        // WEIGHTS takes exactly one number per input key, in the order the keys were given - which is why
        // the sources are sorted by size only after the options are read.
        if (algebra_options && remaining >= count + 1 && equals_ignore_case(opt, "WEIGHTS")) {
            ++j;
            for (size_t i = 0; i < count; ++i, ++j) {
                auto w = ctx.double_arg(j, "ERR weight value is not a float");
                if (!w) return;
                sources[i].weight = *w;
            }
        } else if (algebra_options && remaining >= 2 && equals_ignore_case(opt, "AGGREGATE")) {
            std::string_view name = ctx.arg(j + 1);
            if (equals_ignore_case(name, "SUM"))
                how = Aggregate::sum;
            else if (equals_ignore_case(name, "MIN"))
                how = Aggregate::min;
            else if (equals_ignore_case(name, "MAX"))
                how = Aggregate::max;
            else
                return ctx.syntax_error();
            j += 2;
        } else if (!store && !cardinality_only && equals_ignore_case(opt, "WITHSCORES")) {
            with_scores = true;
            ++j;
        } else if (cardinality_only && remaining >= 2 && equals_ignore_case(opt, "LIMIT")) {
            auto n = ctx.int_arg(j + 1, "ERR LIMIT can't be negative");
            if (!n) return;
            if (*n < 0) return ctx.reply.error("ERR LIMIT can't be negative");
            limit = *n;
            j += 2;
        } else {
            return ctx.syntax_error();
        }
    }
    // Smallest first (ZDIFF keeps the order: the first key is the one subtracted from).
    if (op != Op::diff)
        std::stable_sort(sources.begin(), sources.end(),
                         [](const Source& a, const Source& b) { return a.size() < b.size(); });

    auto result = Value::of<ZSet>();
    ZSet* out = result.zset();
    out->set_listpack(false);  // Redis builds the result as a skiplist (see the store below)
    int64_t cardinality = 0;
    // Intersection: walk the smallest input and look each member up in the others, O(N*K) for N
    // members of the smallest and K inputs (Redis' bound too). With ZINTERCARD's LIMIT the walk stops
    // as soon as LIMIT members are found - the whole point of asking only for a count.
    if (op == Op::inter && count > 0 && sources[0].size() > 0) {
        bool stop = false;
        // for_each cannot break out early, so `stop` turns the remaining calls into no-ops - cheap
        // compared with the membership tests they skip.
        sources[0].for_each([&](std::string_view member, double score0) {
            if (stop) return;
            double score = sources[0].weight * score0;
            if (std::isnan(score)) score = 0;
            for (size_t k = 1; k < count; ++k) {
                auto s = sources[k].score(member);
                if (!s) return;
                aggregate(score, *s * sources[k].weight, how);
            }
            if (cardinality_only) {
                ++cardinality;
                stop = limit && cardinality >= limit;
            } else {
                out->set(member, score);
            }
        });
    } else if (op == Op::uni) {
        // Union: a scratch hash from member to its running score, then one insert per member into the
        // result - O(N log N) for N members over all inputs. The views point into the inputs, which no
        // one can change while this command runs.
        std::unordered_map<std::string_view, double> scores;
        for (const Source& src : sources) {
            src.for_each([&](std::string_view member, double s) {
                double score = src.weight * s;
                if (std::isnan(score)) score = 0;
                auto [it, fresh] = scores.try_emplace(member, score);
                if (!fresh) aggregate(it->second, score, how);
            });
        }
        for (auto& [member, score] : scores) out->set(member, score);
    } else if (op == Op::diff && count > 0) {
        // Difference: the members of the first input found in no other, keeping the first input's scores
        // (no WEIGHTS or AGGREGATE for ZDIFF: there is nothing to combine).
        sources[0].for_each([&](std::string_view member, double score) {
            for (size_t k = 1; k < count; ++k)
                if (sources[k].score(member)) return;
            out->set(member, score);
        });
    }

    // ZINTERCARD builds nothing and answers only the count; with LIMIT 1 it answers "do these
    // intersect at all?" after the first common member - the question it was added for (Redis 7.0).
    if (cardinality_only) return ctx.reply.integer(cardinality);
    if (store) {
        std::string_view dest = ctx.arg(1);
        auto size = static_cast<int64_t>(out->size());
        if (size) {
            if (compact_encoding(*out)) {
                // Redis stores a small result as a listpack, whose text form of -0 reads back as
                // 0: ZUNIONSTORE d 1 k WEIGHTS -1 of a small k scores 0, not -0.
                for (ZSet::Node* n = out->first(); n; n = n->next())
                    if (n->score == 0) n->score = 0.0;
                out->set_listpack(true);
            }
            // The destination is replaced whatever it held - a sorted set, a list, anything - and an empty
            // result deletes it, as every *STORE command does. The reply is the size of the stored set.
            ctx.db().set(dest, std::move(result));
            ctx.modified(dest);
        } else if (ctx.db().remove(dest)) {
            ctx.modified(dest);
        }
        return ctx.reply.integer(size);
    }
    // WITHSCORES: a flat array in RESP2, [member, score] pairs in RESP3 (order matters: no map).
    bool pairs = with_scores && ctx.reply.resp3();
    ctx.reply.array(with_scores && !pairs ? out->size() * 2 : out->size());
    for (const ZSet::Node* n = out->first(); n; n = n->next()) {
        if (pairs) ctx.reply.array(2);
        ctx.reply.bulk(n->member);
        if (with_scores) ctx.reply.double_value(n->score);
    }
}

}  // namespace

// The *STORE forms are logged as typed: the inputs are in the same state on replay, and the stable
// smallest-first order (file comment) makes the floating-point sums come out bit-identical again.
void cmd_zunionstore(CommandContext& ctx) { zset_algebra(ctx, 2, Op::uni, true); }
void cmd_zinterstore(CommandContext& ctx) { zset_algebra(ctx, 2, Op::inter, true); }
void cmd_zdiffstore(CommandContext& ctx) { zset_algebra(ctx, 2, Op::diff, true); }
void cmd_zunion(CommandContext& ctx) { zset_algebra(ctx, 1, Op::uni, false); }
void cmd_zinter(CommandContext& ctx) { zset_algebra(ctx, 1, Op::inter, false); }
void cmd_zdiff(CommandContext& ctx) { zset_algebra(ctx, 1, Op::diff, false); }
void cmd_zintercard(CommandContext& ctx) { zset_algebra(ctx, 1, Op::inter, false, true); }

}  // namespace miniredis
