// miniredis/commands/zset_ranges.cpp
//
// Sorted-set range commands: every command that names a stretch of the order rather than a member
// - ZRANGE in all its forms (and the older ZREVRANGE, ZRANGEBYSCORE, ZRANGEBYLEX spellings),
// ZRANGESTORE, ZCOUNT, ZLEXCOUNT and the three ZREMRANGEBY* (t_zset.c's genericZrangeCommand,
// zremrangeGenericCommand).
//
// CONCEPT: a range is found, then walked. Three ways to name it - by rank (0 = lowest score), by
// score ("(1.5" exclusive, -inf/+inf), by member bytes ("[a", "(b", when all scores are equal) -
// and one mechanism for all: an O(log n) descent of the skip list to the first node inside, then
// the level-0 links forward (or `backward` for REV) while inside. Counting needs no walk at all:
// the spans give each end's rank, and the count is the difference.
//
//   ZRANGE board 80 100 BYSCORE       descend to the first score >= 80    O(log n)
//     [bob:80] -> [cy:90] -> [ann:100] -> (dan:120 is past max: stop)     O(M)
//   ZCOUNT board 80 100               rank(ann) - rank(bob) + 1 = 3       O(log n)
//
// READ NEXT: model/zset.hpp (first_in, last_in, rank_of), zsets.cpp (the member commands),
// docs/miniredis/05-probabilistic-and-bits.md.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "commands/zsets.hpp"

namespace miniredis {
namespace {

// One end of a score range: "1.5", "(1.5" (exclusive), "-inf", "+inf" (Redis' zslParseRange).
bool parse_score_bound(std::string_view text, double& value, bool& exclusive) {
    exclusive = !text.empty() && text.front() == '(';
    if (exclusive) text.remove_prefix(1);
    // strtod needs a NUL-terminated string and arguments are views into the read buffer, so the bound
    // is copied; anything longer than any double's spelling is refused rather than allocated for.
    // "inf", "+inf" and "-inf" are what strtod accepts; NaN is refused, since it cannot be ordered.
    char buf[128];
    if (text.size() >= sizeof buf) return false;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    char* end;
    value = std::strtod(buf, &end);
    return *end == '\0' && !std::isnan(value);
}

// Both ends parsed before anything is looked up: a malformed range is "ERR min or max is not a
// float" whether or not the key exists, as in Redis.
bool parse_score_range(CommandContext& ctx, std::string_view min, std::string_view max, ScoreRange& range) {
    if (!parse_score_bound(min, range.min, range.min_exclusive) ||
        !parse_score_bound(max, range.max, range.max_exclusive)) {
        ctx.reply.error("ERR min or max is not a float");
        return false;
    }
    return true;
}

// One end of a lex range: "[a" inclusive, "(a" exclusive, "-" / "+" the ends.
// Lex ranges compare members byte by byte (memcmp order), so they mean something only when all
// scores are equal - the trick behind autocomplete: ZADD names 0 alice 0 alfred, then
// ZRANGEBYLEX names [al (am lists every name starting with "al".
bool parse_lex_bound(std::string_view text, std::string_view& value, bool& exclusive, bool& minus, bool& plus) {
    minus = plus = exclusive = false;
    if (text == "-") return minus = true;
    if (text == "+") return plus = true;
    if (text.empty() || (text.front() != '(' && text.front() != '[')) return false;
    exclusive = text.front() == '(';
    value = text.substr(1);
    return true;
}

// False after replying the error; `empty` when the range can match nothing ("+" as min).
bool parse_lex_range(CommandContext& ctx, std::string_view min, std::string_view max, LexRange& range, bool& empty) {
    bool min_minus, min_plus, max_minus, max_plus;
    if (!parse_lex_bound(min, range.min, range.min_exclusive, min_minus, min_plus) ||
        !parse_lex_bound(max, range.max, range.max_exclusive, max_minus, max_plus)) {
        ctx.reply.error("ERR min or max not valid string range item");
        return false;
    }
    range.min_unbounded = min_minus;
    range.max_unbounded = max_plus;
    empty = min_plus || max_minus;
    return true;
}

// A range that cannot match (min > max, or equal ends with one exclusive) answers at once, without
// a skiplist search.
bool score_range_empty(const ScoreRange& r) {
    return r.min > r.max || (r.min == r.max && (r.min_exclusive || r.max_exclusive));
}

// ZRANGE has grown three ways to say "which members": by rank (0 = lowest score; negative from the
// top), by score (BYSCORE, "(" for exclusive ends, -inf/+inf), and by member (BYLEX, only
// meaningful when all scores are equal). REV walks from the top; for score and lex ranges it also
// swaps the arguments (max first), which the older ZREVRANGEBYSCORE spelling made explicit.
// Every form becomes one walk of the skip list: find the first node in range (O(log n), by rank or by
// score/lex), then follow the level-0 links forward - or `backward` for REV - while inside the
// range: O(log n + M) for M members returned, Redis' documented complexity.
enum class RangeKind { rank, score, lex };

// The engine behind ZRANGE (all forms), ZRANGEBYSCORE, ZREVRANGE..., ZRANGESTORE. `first` is the
// index of the key; `kind`/`reverse` come from the command name or from options (ZRANGE).
void zrange_generic(CommandContext& ctx, size_t first, RangeKind kind, bool reverse, bool options_choose_kind,
                    std::string_view store_key = {}) {
    // ZRANGESTORE (6.2) shares this engine: `store_key` set means "write the result to a key instead
    // of replying it", so every range form can also be stored.
    bool store = !store_key.empty();
    bool with_scores = false, kind_given = false, reverse_given = false;
    int64_t offset = 0, limit = -1;
    bool has_limit = false;
    // Only ZRANGE and ZRANGESTORE choose their kind by option; the older spellings name it
    // (ZRANGEBYSCORE is BYSCORE), so "ZRANGEBYSCORE k 0 1 BYLEX" is a syntax error, as in Redis.
    // ZRANGESTORE refuses WITHSCORES: the stored sorted set keeps its scores anyway.
    for (size_t j = first + 3; j < ctx.argc(); ++j) {
        std::string_view opt = ctx.arg(j);
        if (!store && equals_ignore_case(opt, "WITHSCORES")) {
            with_scores = true;
        } else if (equals_ignore_case(opt, "LIMIT") && j + 2 < ctx.argc()) {
            auto o = ctx.int_arg(j + 1);
            if (!o) return;
            auto l = ctx.int_arg(j + 2);
            if (!l) return;
            offset = *o;
            limit = *l;
            has_limit = true;
            j += 2;
        } else if (options_choose_kind && !reverse_given && equals_ignore_case(opt, "REV")) {
            reverse = reverse_given = true;
        } else if (options_choose_kind && !kind_given && equals_ignore_case(opt, "BYSCORE")) {
            kind = RangeKind::score;
            kind_given = true;
        } else if (options_choose_kind && !kind_given && equals_ignore_case(opt, "BYLEX")) {
            kind = RangeKind::lex;
            kind_given = true;
        } else {
            return ctx.syntax_error();
        }
    }
    // The two option combinations Redis refuses, with Redis' exact error texts (clients' test suites
    // match on them).
    if (has_limit && kind == RangeKind::rank)
        return ctx.reply.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    if (with_scores && kind == RangeKind::lex)
        return ctx.reply.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");

    // REV and the ZREV* commands take max before min for score and lex ranges.
    std::string_view min = ctx.arg(first + 1), max = ctx.arg(first + 2);
    if (reverse && kind != RangeKind::rank) std::swap(min, max);
    int64_t start = 0, stop = 0;
    ScoreRange scores;
    LexRange lex;
    bool lex_empty = false;
    if (kind == RangeKind::rank) {
        auto a = ctx.int_arg(first + 1);
        if (!a) return;
        auto b = ctx.int_arg(first + 2);
        if (!b) return;
        start = *a;
        stop = *b;
    } else if (kind == RangeKind::score) {
        if (!parse_score_range(ctx, min, max, scores)) return;
    } else if (!parse_lex_range(ctx, min, max, lex, lex_empty)) {
        return;
    }

    bool ok;
    ZSet* z = read_zset(ctx, ctx.arg(first), ok);
    if (!ok) return;
    std::vector<const ZSet::Node*> nodes;
    if (z) {
        if (kind == RangeKind::rank) {
            int64_t length = static_cast<int64_t>(z->size());
            if (start < 0) start += length;
            if (stop < 0) stop += length;
            if (start < 0) start = 0;
            if (stop >= length) stop = length - 1;
            if (start <= stop && start < length) {
                // In reverse, rank 0 is the highest score.
                const ZSet::Node* n = z->at_rank(static_cast<size_t>(reverse ? length - 1 - start : start));
                for (int64_t i = start; i <= stop && n; ++i, n = reverse ? n->backward : n->next()) nodes.push_back(n);
            }
        } else if (!(kind == RangeKind::score && score_range_empty(scores)) && !lex_empty) {
            const ZSet::Node* n = kind == RangeKind::score ? (reverse ? z->last_in(scores) : z->first_in(scores))
                                                           : (reverse ? z->last_in(lex) : z->first_in(lex));
            auto inside = [&](const ZSet::Node* x) {
                if (kind == RangeKind::score) return reverse ? scores.above_min(x->score) : scores.below_max(x->score);
                return reverse ? lex.above_min(x->member) : lex.below_max(x->member);
            };
            // LIMIT offset count: the offset is skipped by walking (O(offset)), as in Redis - deep pagination
            // through a big range costs linear time, a known cost of ZRANGE ... LIMIT. A negative count
            // means "no limit".
            if (offset < 0) n = nullptr;  // a negative offset selects nothing
            for (int64_t skipped = 0; n && skipped < offset && inside(n); ++skipped)
                n = reverse ? n->backward : n->next();
            for (; n && inside(n) && (limit < 0 || static_cast<int64_t>(nodes.size()) < limit);
                 n = reverse ? n->backward : n->next())
                nodes.push_back(n);
        }
    }
    if (!store) return reply_members(ctx, nodes, with_scores);

    // ZRANGESTORE dst src ...: the result becomes a new sorted set (or deletes dst when empty).
    // ZRANGESTORE is logged as typed: its result depends only on the data, which a replay has in the
    // same state, so - unlike SPOP - there is nothing to rewrite.
    auto result = Value::of<ZSet>();
    result.zset()->set_listpack(nodes.size() <= ZSet::kListpackMaxEntries);  // Redis sizes it up front
    for (const ZSet::Node* n : nodes) result.zset()->set(n->member, n->score);
    // The source is only read, and the result is a fresh sorted set built from copies, so
    // "ZRANGESTORE k k 0 9" (the source as destination) is safe: it is read entirely before
    // db().set replaces it.
    bool existed = ctx.db().find(store_key) != nullptr;
    if (nodes.empty()) {
        if (existed) {
            ctx.db().remove(store_key);
            ctx.modified(store_key);
        }
    } else {
        ctx.db().set(store_key, std::move(result));
        ctx.modified(store_key);
    }
    ctx.reply.integer(static_cast<int64_t>(nodes.size()));
}

}  // namespace

// ZCOUNT: the number of members in a score range without visiting them - rank(last) - rank(first)
// + 1, where ranks come from the skiplist's spans. O(log n) whatever the count.
void cmd_zcount(CommandContext& ctx) {
    ScoreRange range;
    if (!parse_score_range(ctx, ctx.arg(2), ctx.arg(3), range)) return;
    bool ok;
    ZSet* z = read_zset(ctx, ctx.arg(1), ok);
    if (!ok) return;
    const ZSet::Node* first = z && !score_range_empty(range) ? z->first_in(range) : nullptr;
    if (!first) return ctx.reply.integer(0);
    // Ranks from the spans: no walk over the members in between.
    const ZSet::Node* last = z->last_in(range);
    ctx.reply.integer(static_cast<int64_t>(z->rank_of(last) - z->rank_of(first) + 1));
}

// ZLEXCOUNT: ZCOUNT for a lex range - ranks from the spans again, O(log n).
void cmd_zlexcount(CommandContext& ctx) {
    LexRange range;
    bool empty;
    if (!parse_lex_range(ctx, ctx.arg(2), ctx.arg(3), range, empty)) return;
    bool ok;
    ZSet* z = read_zset(ctx, ctx.arg(1), ok);
    if (!ok) return;
    const ZSet::Node* first = z && !empty ? z->first_in(range) : nullptr;
    if (!first) return ctx.reply.integer(0);
    ctx.reply.integer(static_cast<int64_t>(z->rank_of(z->last_in(range)) - z->rank_of(first) + 1));
}

// Seven spellings, one engine. The arguments say where the key is (ZRANGESTORE has the
// destination first), the kind and direction the older names fix, and whether options may
// change them (only ZRANGE and ZRANGESTORE). Redis 6.2 made ZRANGE ... BYSCORE REV LIMIT the one
// form to learn; the others stay because existing clients send them.
void cmd_zrange(CommandContext& ctx) { zrange_generic(ctx, 1, RangeKind::rank, false, true); }
void cmd_zrangestore(CommandContext& ctx) { zrange_generic(ctx, 2, RangeKind::rank, false, true, ctx.arg(1)); }
void cmd_zrevrange(CommandContext& ctx) { zrange_generic(ctx, 1, RangeKind::rank, true, false); }
void cmd_zrangebyscore(CommandContext& ctx) { zrange_generic(ctx, 1, RangeKind::score, false, false); }
void cmd_zrevrangebyscore(CommandContext& ctx) { zrange_generic(ctx, 1, RangeKind::score, true, false); }
void cmd_zrangebylex(CommandContext& ctx) { zrange_generic(ctx, 1, RangeKind::lex, false, false); }
void cmd_zrevrangebylex(CommandContext& ctx) { zrange_generic(ctx, 1, RangeKind::lex, true, false); }

// ZREMRANGEBYRANK: "keep only the top 100" is ZREMRANGEBYRANK board 0 -101 - how a capped
// leaderboard (or a sliding window of recent events) is maintained.
void cmd_zremrangebyrank(CommandContext& ctx) {
    auto start = ctx.int_arg(2);
    if (!start) return;
    auto stop = ctx.int_arg(3);
    if (!stop) return;
    bool ok;
    ZSet* z = existing_zset_for_write(ctx, ctx.arg(1), ok);
    if (!ok) return;
    if (!z) return ctx.reply.integer(0);
    // Ranks follow LRANGE's rules (negative from the top, clamped), and the removal itself walks the
    // bottom level once from the first rank: O(log n + M).
    int64_t length = static_cast<int64_t>(z->size()), from = *start, to = *stop;
    if (from < 0) from += length;
    if (to < 0) to += length;
    if (from < 0) from = 0;
    if (from > to || from >= length) return ctx.reply.integer(0);
    if (to >= length) to = length - 1;
    size_t removed = z->erase_rank_range(static_cast<size_t>(from), static_cast<size_t>(to));
    if (z->size() == 0) ctx.db().remove(ctx.arg(1));
    if (removed) ctx.modified(ctx.arg(1));
    ctx.reply.integer(static_cast<int64_t>(removed));
}

// ZREMRANGEBYSCORE key min max: the time-window idiom - with score = timestamp,
// "ZREMRANGEBYSCORE events -inf (<now - 3600>" drops everything older than an hour
// (a sliding-window rate limiter). O(log n + M) for M removed members.
void cmd_zremrangebyscore(CommandContext& ctx) {
    ScoreRange range;
    if (!parse_score_range(ctx, ctx.arg(2), ctx.arg(3), range)) return;
    bool ok;
    // The range was parsed before the lookup, so a malformed range is an error even on a missing
    // key; an empty range (min > max) is 0, not an error - the caller asked a valid question.
    ZSet* z = existing_zset_for_write(ctx, ctx.arg(1), ok);
    if (!ok) return;
    if (!z || score_range_empty(range)) return ctx.reply.integer(0);
    size_t removed = z->erase_range(range);
    if (z->size() == 0) ctx.db().remove(ctx.arg(1));
    if (removed) ctx.modified(ctx.arg(1));
    ctx.reply.integer(static_cast<int64_t>(removed));
}

// ZREMRANGEBYLEX: the same for a lex range - all scores equal, members ordered by bytes.
void cmd_zremrangebylex(CommandContext& ctx) {
    LexRange range;
    bool empty;
    if (!parse_lex_range(ctx, ctx.arg(2), ctx.arg(3), range, empty)) return;
    bool ok;
    ZSet* z = existing_zset_for_write(ctx, ctx.arg(1), ok);
    if (!ok) return;
    if (!z || empty) return ctx.reply.integer(0);
    size_t removed = z->erase_range(range);
    if (z->size() == 0) ctx.db().remove(ctx.arg(1));
    if (removed) ctx.modified(ctx.arg(1));
    ctx.reply.integer(static_cast<int64_t>(removed));
}

}  // namespace miniredis
