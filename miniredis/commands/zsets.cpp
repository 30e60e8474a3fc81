// miniredis/commands/zsets.cpp
//
// Sorted set commands: members ordered by a score (t_zset.c) - leaderboards (ZADD score player,
// ZREVRANGE 0 9 WITHSCORES = top ten), priority queues (ZPOPMIN), time-ordered indexes (score =
// timestamp, ZRANGE BYSCORE for "everything in the last hour"). The structure is in model/zset.hpp.
// This file holds the commands that name members (ZADD, ZINCRBY, ZREM, ZSCORE, ZRANK, the pops,
// ZSCAN, ZRANDMEMBER); every command that names a *range* is in zset_ranges.cpp.
//
// CONCEPT: the sorted set, a leaderboard: members unique like a set, ordered by score like a list.
// Two structures at once (model/zset.hpp): a hash table member -> score for ZSCORE in O(1), and a
// skip list ordered by (score, member) for ranges and ranks in O(log n). Redis keeps small ones as
// a listpack instead; miniredis always uses the two structures and reports the encoding Redis would
// (model/encoding.hpp).
//
//   ZADD board 100 ann 80 bob ──▶ dict {ann:100, bob:80} + skiplist [bob:80, ann:100]
//   ZREVRANGE board 0 0        ──▶ walk the skip list from the tail: ann     (zset_ranges.cpp)
// READ NEXT: model/zset.hpp, zset_ranges.cpp (ZRANGE and friends), zset_algebra.cpp (ZUNIONSTORE ...),
// docs/miniredis/05-probabilistic-and-bits.md.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "commands/scan.hpp"
#include "commands/zsets.hpp"
#include "model/glob.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

// The two lookups every sorted-set command starts with, as in lists.cpp and sets.cpp: a missing key
// reads as an empty sorted set; a key of another type has already been answered with WRONGTYPE
// when `ok` comes back false.
ZSet* read_zset(CommandContext& ctx, std::string_view key, bool& ok) {
    return ctx.existing(ctx.lookup_read(key), &CommandContext::as_zset, ok);
}

ZSet* existing_zset_for_write(CommandContext& ctx, std::string_view key, bool& ok) {
    return ctx.existing(ctx.lookup_write(key), &CommandContext::as_zset, ok);
}

// WITHSCORES: RESP2 interleaves member, score, member, score (scores as bulk strings, "%.17g");
// RESP3 sends [member, score] pairs with the score as a double (Reply::double_value writes either).
static void reply_member(CommandContext& ctx, const ZSet::Node* node, bool with_scores) {
    if (with_scores && ctx.reply.resp3()) ctx.reply.array(2);  // RESP3: [member, score] pairs
    ctx.reply.bulk(node->member);
    if (with_scores) ctx.reply.double_value(node->score);
}

// The nodes are collected first and written after: the array header needs the count, and the
// walk stops on conditions (LIMIT, end of range) that are only known while walking.
void reply_members(CommandContext& ctx, const std::vector<const ZSet::Node*>& nodes, bool with_scores) {
    ctx.reply.array(with_scores && !ctx.reply.resp3() ? nodes.size() * 2 : nodes.size());
    for (const ZSet::Node* n : nodes) reply_member(ctx, n, with_scores);
}

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
//   NX only adds, XX only updates, GT/LT update only to a higher/lower score (a "best score"
//   leaderboard is ZADD board GT score player), CH counts changed members too, INCR adds to the
//   score and replies the new one (nil if NX/XX/GT/LT stopped it) - ZINCRBY by another name.
void zadd_generic(CommandContext& ctx, bool incr) {
    // Options come first, in any order, and end at the first word that is not one: that word must be
    // the first score. So "ZADD k NX CH 1 a" is fine, and a member named "NX" is never mistaken for an
    // option because it always follows a score.
    bool nx = false, xx = false, gt = false, lt = false, ch = false;
    size_t i = 2;
    for (; i < ctx.argc(); ++i) {
        std::string_view opt = ctx.arg(i);
        if (equals_ignore_case(opt, "NX"))
            nx = true;
        else if (equals_ignore_case(opt, "XX"))
            xx = true;
        else if (equals_ignore_case(opt, "GT"))
            gt = true;
        else if (equals_ignore_case(opt, "LT"))
            lt = true;
        else if (equals_ignore_case(opt, "CH"))
            ch = true;
        else if (equals_ignore_case(opt, "INCR"))
            incr = true;
        else
            break;
    }
    // The checks run in zaddGenericCommand's order - pairing, NX+XX, GT/LT/NX, INCR with several
    // pairs - because when two are broken the first decides which error the client sees.
    size_t pairs_args = ctx.argc() - i;
    if (pairs_args == 0 || pairs_args % 2 != 0) return ctx.syntax_error();
    if (nx && xx) return ctx.reply.error("ERR XX and NX options at the same time are not compatible");
    if ((gt && nx) || (lt && nx) || (gt && lt))
        return ctx.reply.error("ERR GT, LT, and/or NX options at the same time are not compatible");
    if (incr && pairs_args > 2) return ctx.reply.error("ERR INCR option supports a single increment-element pair");
    // Every score is parsed before the set is touched: one bad score ("ERR value is not a valid float")
    // and nothing is added - ZADD is all or nothing, like every Redis command.
    std::vector<double> scores;
    for (size_t j = i; j < ctx.argc(); j += 2) {
        auto score = ctx.double_arg(j);
        if (!score) return;
        scores.push_back(*score);
    }
    std::string_view key = ctx.arg(1);
    bool ok;
    ZSet* z = existing_zset_for_write(ctx, key, ok);
    if (!ok) return;
    // XX on a missing key creates nothing: every member would be an update, and there is nothing to
    // update - the reply is 0 (nil with INCR) and the key stays absent.
    int64_t added = 0, updated = 0, processed = 0;
    double last_score = 0;
    if (!z && !xx) z = ctx.db().set(key, Value::of<ZSet>()).zset();
    for (size_t p = 0; z && p < scores.size(); ++p) {
        std::string_view member = ctx.arg(i + 1 + 2 * p);
        double score = scores[p];
        auto current = z->score(member);
        if (current) {
            if (nx) continue;
            if (incr) {
                score += *current;
                if (std::isnan(score)) {
                    if (z->size() == 0) ctx.db().remove(key);
                    return ctx.reply.error("ERR resulting score is not a number (NaN)");
                }
            }
            // GT/LT only filter *updates*: a new member is always added (unless XX). That is Redis' rule, and
            // why "ZADD board GT 10 newcomer" still puts a newcomer on the board.
            if ((lt && score >= *current) || (gt && score <= *current)) continue;
            // Re-adding a member with the score it already has is "processed" (INCR replies it) but no
            // change: nothing is logged and no WATCH fires, as Redis' zsetAdd reports ZADD_OUT_NOP.
            last_score = score;
            ++processed;
            if (score != *current) {
                z->set(member, score);
                ++updated;
            }
        } else if (!xx) {
            z->set(member, score);
            last_score = score;
            ++added;
            ++processed;
        }
    }
    // A set created above for members that NX/GT/LT then all skipped would stay behind empty - the
    // one state Redis never lets a key be in - so it goes again before anyone can see it.
    if (z && z->size() == 0) ctx.db().remove(key);
    if (added || updated) {
        ctx.modified(key);
        // `dirty` counts changes for the "save <seconds> <changes>" snapshot rules (core/): modified() added
        // one, and Redis counts each member added or updated, so ZADD of 100 members is 100 changes.
        ctx.server.dirty += static_cast<uint64_t>(added + updated - 1);
    }
    if (incr) {
        if (processed) return ctx.reply.double_value(last_score);
        return ctx.reply.null();
    }
    // Without CH the reply counts only new members; an update of a score is invisible in the reply.
    ctx.reply.integer(ch ? added + updated : added);
}

void cmd_zadd(CommandContext& ctx) { zadd_generic(ctx, false); }

// ZINCRBY: the leaderboard's "add points" - read, add, reposition in one step; a result that is not
// a number (inf + -inf) is refused and the member keeps its score.
void cmd_zincrby(CommandContext& ctx) {
    // ZINCRBY key increment member == ZADD key INCR increment member
    auto increment = ctx.double_arg(2);
    if (!increment) return;
    std::string_view key = ctx.arg(1), member = ctx.arg(3);
    bool ok;
    ZSet* z = existing_zset_for_write(ctx, key, ok);
    if (!ok) return;
    if (!z) z = ctx.db().set(key, Value::of<ZSet>()).zset();
    // A missing member starts at 0, so ZINCRBY doubles as "add with this score". A score change is an
    // O(log n) unlink and re-insert in the skip list - or, when the node stays between the same
    // neighbours, just a new score in place (ZSet::set, as Redis' zslUpdateScore).
    double score = z->score(member).value_or(0) + *increment;
    if (std::isnan(score)) {
        if (z->size() == 0) ctx.db().remove(key);
        return ctx.reply.error("ERR resulting score is not a number (NaN)");
    }
    z->set(member, score);
    ctx.modified(key);
    ctx.reply.double_value(score);
}

// ZREM: removes from both structures at once (dict and skiplist), deleting the key with its last
// member.
void cmd_zrem(CommandContext& ctx) {
    std::string_view key = ctx.arg(1);
    bool ok;
    ZSet* z = existing_zset_for_write(ctx, key, ok);
    if (!ok) return;
    if (!z) return ctx.reply.integer(0);
    int64_t removed = 0;
    for (size_t i = 2; i < ctx.argc(); ++i) removed += z->erase(ctx.arg(i)) ? 1 : 0;
    if (removed) {
        if (z->size() == 0) ctx.db().remove(key);
        ctx.modified(key);
    }
    ctx.reply.integer(removed);
}

// ZSCORE: the dict half of the sorted set - O(1), no skiplist walk. The score is a bulk string in
// RESP2 ("%.17g": the shortest text that reads back as the same double) and a double in RESP3.
void cmd_zscore(CommandContext& ctx) {
    bool ok;
    ZSet* z = read_zset(ctx, ctx.arg(1), ok);
    if (!ok) return;
    auto score = z ? z->score(ctx.arg(2)) : std::nullopt;
    if (score)
        ctx.reply.double_value(*score);
    else
        ctx.reply.null();
}

// ZMSCORE (6.2): one score or nil per asked member, in the order asked.
void cmd_zmscore(CommandContext& ctx) {
    bool ok;
    ZSet* z = read_zset(ctx, ctx.arg(1), ok);
    if (!ok) return;
    ctx.reply.array(ctx.argc() - 2);
    for (size_t i = 2; i < ctx.argc(); ++i) {
        auto score = z ? z->score(ctx.arg(i)) : std::nullopt;
        if (score)
            ctx.reply.double_value(*score);
        else
            ctx.reply.null();
    }
}

// ZCARD: O(1), the member dict knows its size.
void cmd_zcard(CommandContext& ctx) {
    bool ok;
    ZSet* z = read_zset(ctx, ctx.arg(1), ok);
    if (ok) ctx.reply.integer(z ? static_cast<int64_t>(z->size()) : 0);
}

// ZRANK/ZREVRANK: "what place is alice in?" - the dict finds her node, the spans on the search path
// to it add up to her rank: O(log n), however large the board.
// Redis 7.2 adds ZRANK ... WITHSCORE; we answer as 7.0, so that option is a wrong-arity error here.
static void rank_generic(CommandContext& ctx, bool reverse) {
    bool ok;
    ZSet* z = read_zset(ctx, ctx.arg(1), ok);
    if (!ok) return;
    auto rank = z ? z->rank(ctx.arg(2), reverse) : std::nullopt;
    if (rank)
        ctx.reply.integer(static_cast<int64_t>(*rank));
    else
        ctx.reply.null();
}

void cmd_zrank(CommandContext& ctx) { rank_generic(ctx, false); }
void cmd_zrevrank(CommandContext& ctx) { rank_generic(ctx, true); }

// ZPOPMIN/ZPOPMAX key [count]: logged as the ZREM of what was popped.
// A negative count is an error here (positive_int_arg), unlike ZRANDMEMBER's: popping "-3 members"
// has no meaning, while drawing -3 random members means "three draws, repeats allowed".
static void pop_generic(CommandContext& ctx, bool max) {
    if (ctx.argc() > 3) return ctx.syntax_error();
    int64_t count = -1;
    if (ctx.argc() == 3) {
        auto n = ctx.positive_int_arg(2);
        if (!n) return;
        count = *n;
    }
    std::string_view key = ctx.arg(1);
    bool ok;
    ZSet* z = existing_zset_for_write(ctx, key, ok);
    if (!ok) return;
    if (!z || count == 0) return ctx.reply.array(0);
    // The reply's shape is Redis 7.0's: RESP2 a flat member, score, ... array; RESP3 with a count a
    // list of [member, score] pairs, without a count one flat pair. The lowest (or highest) node is
    // the skip list's first (or last): each pop is O(log n) for the unlinking.
    bool nested = ctx.reply.resp3() && count != -1;
    size_t n = std::min<size_t>(count == -1 ? 1 : static_cast<size_t>(count), z->size());
    ctx.reply.array(nested ? n : n * 2);
    ctx.rewrite_as({"ZREM", key});
    for (size_t i = 0; i < n; ++i) {
        ZSet::Node* node = max ? z->last() : z->first();
        if (nested) ctx.reply.array(2);
        ctx.reply.bulk(node->member);
        ctx.reply.double_value(node->score);
        ctx.rewritten.emplace_back(node->member.view());
        // A copy of the member before erase(): the node - and the SmallString inside it - is freed by it.
        std::string member(node->member.view());
        z->erase(member);
    }
    if (z->size() == 0) ctx.db().remove(key);
    ctx.modified(key);
}

// ZPOPMIN is the priority queue's "take the most urgent" (score = priority or due time); with a
// sorted set of due times, "ZPOPMIN jobs" takes the next job - BZPOPMIN (mpop.cpp) waits for one.
void cmd_zpopmin(CommandContext& ctx) { pop_generic(ctx, false); }
void cmd_zpopmax(CommandContext& ctx) { pop_generic(ctx, true); }

// ZSCAN iterates the dict half (member -> score) with the same cursor as SCAN (scan.hpp): order is
// the hash table's, not the score's.
void cmd_zscan(CommandContext& ctx) {
    uint64_t cursor;
    ScanOptions options;
    if (!parse_scan_cursor(ctx, 2, cursor) || !parse_scan_options(ctx, 3, false, options)) return;
    bool ok;
    ZSet* z = read_zset(ctx, ctx.arg(1), ok);
    if (!ok) return;
    // Scores go out as bulk strings in both protocols (format_double), as Redis' ZSCAN does: the
    // reply is a flat field-value list like HSCAN's, not a RESP3 map.
    std::vector<std::pair<std::string, double>> found;
    if (z) {
        cursor = scan_dict(z->members(), cursor, options.count, [&](const auto& e) {
            if (options.pattern.empty() || glob_match(options.pattern, e.key))
                found.emplace_back(e.key, e.value->score);
            return 1;
        });
    } else {
        cursor = 0;
    }
    reply_scan_cursor(ctx, cursor);
    ctx.reply.array(found.size() * 2);
    char buf[32];
    for (auto& [member, score] : found) {
        ctx.reply.bulk(member);
        ctx.reply.bulk(format_double(score, buf));
    }
}

// ZRANDMEMBER key [count [WITHSCORES]]
// A random member without a count: a random rank, found through the skip list's spans in
// O(log n) - the skip list doubles as an index by position. Counts follow HRANDFIELD's rules:
// positive = distinct (a partial Fisher-Yates shuffle), negative = independent draws.
void cmd_zrandmember(CommandContext& ctx) {
    std::optional<int64_t> count;
    bool with_scores = false;
    if (ctx.argc() >= 3) {
        count = ctx.int_arg(2);
        if (!count) return;
        if (ctx.argc() == 4 && equals_ignore_case(ctx.arg(3), "WITHSCORES"))
            with_scores = true;
        else if (ctx.argc() >= 4)
            return ctx.syntax_error();
    }
    bool ok;
    ZSet* z = read_zset(ctx, ctx.arg(1), ok);
    if (!ok) return;
    if (!count) return z ? ctx.reply.bulk(z->at_rank(ctx.server.random.below(z->size()))->member) : ctx.reply.null();
    if (!z || *count == 0) return ctx.reply.array(0);
    if (*count < -kMaxRandomCount) return ctx.reply.error("ERR value is out of range");
    std::vector<const ZSet::Node*> nodes;
    if (*count < 0) {
        for (int64_t i = 0; i < -*count; ++i) nodes.push_back(z->at_rank(ctx.server.random.below(z->size())));
    } else {
        for (const ZSet::Node* n = z->first(); n; n = n->next()) nodes.push_back(n);
        size_t n = std::min<size_t>(static_cast<size_t>(*count), nodes.size());
        for (size_t i = 0; i < n; ++i) std::swap(nodes[i], nodes[i + ctx.server.random.below(nodes.size() - i)]);
        nodes.resize(n);
    }
    reply_members(ctx, nodes, with_scores);
}

}  // namespace miniredis
