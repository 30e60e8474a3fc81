// miniredis/commands/lists.cpp
//
// List commands: a key holding a sequence with O(1) push and pop at both ends (t_list.c) - the
// classic Redis job queue: producers LPUSH jobs, workers BRPOP them (see blocking.cpp for the
// "wait until there is one" part).
//
// CONCEPT: the list as a queue. LPUSH + RPOP (or BRPOP) is the simplest work queue in the course:
// compare it with a RabbitMQ queue (minirabbit/model/queue.hpp) - there is no acknowledgement here,
// so a worker that crashes after RPOP loses the job. LMOVE/BLMOVE into a "processing" list is the
// Redis idiom for "at least once" (Redis' reliable-queue pattern); streams with consumer groups
// (stream_read.cpp) are the full answer.
//
//   producer LPUSH jobs j3 ──▶ [j3 j2 j1] ──▶ RPOP jobs ──▶ worker gets j1 (oldest first: FIFO)
// The course notes' comparison table (§V) says Redis does not guarantee message ordering - true of
// pub/sub fan-out and of several competing workers, but a list itself is strictly ordered: one
// consumer popping from one list sees the pushes in order, and a stream orders every entry by ID.
// READ NEXT: blocking.cpp (BRPOP), model/value.hpp (how a list is stored), lists.hpp.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "commands/lists.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

// The two lookups every list command starts with. Reads answer "no key" as an empty list; writes
// that create (LPUSH) make a new list, writes that do not (LPOP, LSET) treat a missing key as
// nothing to do. Both report WRONGTYPE through `ok` when the key holds something else.
// The storage is a std::deque<SmallString> (model/value.hpp), where Redis uses a quicklist: a
// doubly linked list of listpacks, packed byte arrays of a few KB each. Both give O(1) at the ends;
// the deque also gives O(1) LINDEX/LSET (Redis walks the nodes: O(n)), the quicklist packs small
// elements tighter. We chose the deque because it is the container a C++ reader already knows.
List* read_list(CommandContext& ctx, std::string_view key, bool& ok) {
    return ctx.existing(ctx.lookup_read(key), &CommandContext::as_list, ok);
}

List* existing_list_for_write(CommandContext& ctx, std::string_view key, bool& ok) {
    return ctx.existing(ctx.lookup_write(key), &CommandContext::as_list, ok);
}

// Every push goes through here so that blocked clients hear about it: the key is marked ready, and
// after the current command finishes Broker::serve_ready_keys hands elements to them.
void list_push(Broker& server, int db, std::string_view key, List& list, std::string_view element, bool left) {
    if (left)
        list.emplace_front(element);
    else
        list.emplace_back(element);
    server.signal_key_ready(db, key);  // a client blocked in BLPOP on this key can be served
}

// The popped element is copied out as a std::string before pop_front/pop_back destroys it: the
// callers (LMOVE, the blocking pops) still need it after the list has changed - and the list may
// even have been deleted by then, when it became empty.
std::string list_pop(List& list, bool left) {
    std::string out;
    if (left) {
        out.assign(list.front().view());
        list.pop_front();
    } else {
        out.assign(list.back().view());
        list.pop_back();
    }
    return out;
}

// LPUSH/RPUSH (create the list) and LPUSHX/RPUSHX (only if it exists). Several elements are pushed
// one after the other, so "LPUSH q a b c" leaves c at the head: the list reads c, b, a.
static void push_generic(CommandContext& ctx, bool left, bool only_existing) {
    std::string_view key = ctx.arg(1);
    bool ok;
    List* list = existing_list_for_write(ctx, key, ok);
    if (!ok) return;
    if (!list) {
        // No key yet: the first push creates the list. LPUSHX/RPUSHX exist for the opposite need - "append
        // to this log only while somebody keeps it alive", so a key that expired is not resurrected.
        if (only_existing) return ctx.reply.integer(0);
        list = ctx.db().set(key, Value::of<List>()).list();
    }
    for (size_t i = 2; i < ctx.argc(); ++i) list_push(ctx.server, ctx.client.db, key, *list, ctx.arg(i), left);
    // The reply is the length after the push: producers use it for back-pressure ("queue too long").
    ctx.modified(key);
    ctx.reply.integer(static_cast<int64_t>(list->size()));
}

void cmd_lpush(CommandContext& ctx) { push_generic(ctx, true, false); }
void cmd_rpush(CommandContext& ctx) { push_generic(ctx, false, false); }
void cmd_lpushx(CommandContext& ctx) { push_generic(ctx, true, true); }
void cmd_rpushx(CommandContext& ctx) { push_generic(ctx, false, true); }

// LPOP/RPOP key [count]. Without count: one element or nil. With count: an array (nil array if the
// key does not exist). A list that becomes empty is deleted - Redis never keeps empty containers,
// so EXISTS and TYPE tell the truth and memory is returned.
// The table's arity is -2 (at least two words), so "at most three" is checked here, as in Redis.
static void pop_generic(CommandContext& ctx, bool left) {
    if (ctx.argc() > 3) return ctx.wrong_arity();
    std::optional<int64_t> count;
    if (ctx.argc() == 3) {
        count = ctx.positive_int_arg(2);
        if (!count) return;
    }
    std::string_view key = ctx.arg(1);
    bool ok;
    List* list = existing_list_for_write(ctx, key, ok);
    if (!ok) return;
    if (!list) return count ? ctx.reply.null_array() : ctx.reply.null();
    // COUNT 0 on an existing list: an empty array. A nil (array) always means "no such key".
    if (count && *count == 0) return ctx.reply.array(0);
    // Popping is deterministic (the ends are the ends), so LPOP is logged as typed - unlike SPOP,
    // which must be rewritten into the SREM of what it happened to pick.
    if (!count) {
        ctx.reply.bulk(left ? list->front() : list->back());
        left ? list->pop_front() : list->pop_back();
    } else {
        size_t n = std::min<size_t>(static_cast<size_t>(*count), list->size());
        ctx.reply.array(n);
        for (size_t i = 0; i < n; ++i) {
            ctx.reply.bulk(left ? list->front() : list->back());
            left ? list->pop_front() : list->pop_back();
        }
    }
    if (list->empty()) ctx.db().remove(key);
    ctx.modified(key);
}

void cmd_lpop(CommandContext& ctx) { pop_generic(ctx, true); }
void cmd_rpop(CommandContext& ctx) { pop_generic(ctx, false); }

// LLEN: O(1) - the container knows its size. Missing key = 0, a key of another type = WRONGTYPE.
void cmd_llen(CommandContext& ctx) {
    bool ok;
    List* list = read_list(ctx, ctx.arg(1), ok);
    if (ok) ctx.reply.integer(list ? static_cast<int64_t>(list->size()) : 0);
}

// Redis' index rules: negative counts from the end (-1 is the last element); the range is clamped
// to the list; an empty range is not an error, just an empty reply.
static bool normalize_range(int64_t& start, int64_t& stop, int64_t length) {
    if (start < 0) start += length;
    if (stop < 0) stop += length;
    if (start < 0) start = 0;
    if (start > stop || start >= length) return false;
    if (stop >= length) stop = length - 1;
    return true;
}

// LRANGE key start stop: both ends inclusive ("LRANGE q 0 -1" is the whole list). Redis walks from
// the nearer end, O(S+N); the deque jumps straight to `start`, O(N) in the elements returned. The
// arguments are parsed before the key is looked up, so "LRANGE q a b" is a "not an integer" error
// even when q does not exist.
void cmd_lrange(CommandContext& ctx) {
    auto start = ctx.int_arg(2);
    if (!start) return;
    auto stop = ctx.int_arg(3);
    if (!stop) return;
    bool ok;
    List* list = read_list(ctx, ctx.arg(1), ok);
    if (!ok) return;
    int64_t from = *start, to = *stop;
    if (!list || !normalize_range(from, to, static_cast<int64_t>(list->size()))) return ctx.reply.array(0);
    ctx.reply.array(static_cast<size_t>(to - from + 1));
    for (auto it = list->begin() + from, end = list->begin() + to + 1; it != end; ++it) ctx.reply.bulk(*it);
}

// LINDEX key index: O(1) on our deque (Redis: O(n) walking quicklist nodes). Out of range is nil,
// not an error - a read that finds nothing.
void cmd_lindex(CommandContext& ctx) {
    // The key first, then the index: as in Redis, LINDEX on a missing key is nil whatever the index.
    bool ok;
    List* list = read_list(ctx, ctx.arg(1), ok);
    if (!ok) return;
    if (!list) return ctx.reply.null();
    auto index = ctx.int_arg(2);
    if (!index) return;
    int64_t i = *index, length = static_cast<int64_t>(list->size());
    if (i < 0) i += length;
    if (i < 0 || i >= length) return ctx.reply.null();
    ctx.reply.bulk((*list)[static_cast<size_t>(i)]);
}

// LSET: unlike LINDEX, a missing key or an index outside the list is an error ("ERR no such key",
// "ERR index out of range"), because the caller asked for a write that cannot happen.
void cmd_lset(CommandContext& ctx) {
    auto index = ctx.int_arg(2);
    if (!index) return;
    bool ok;
    List* list = existing_list_for_write(ctx, ctx.arg(1), ok);
    if (!ok) return;
    if (!list) return ctx.reply.error(errors::kNoSuchKey);
    int64_t i = *index, length = static_cast<int64_t>(list->size());
    if (i < 0) i += length;
    if (i < 0 || i >= length) return ctx.reply.error(errors::kIndexOutOfRange);
    (*list)[static_cast<size_t>(i)].assign(ctx.arg(3));
    ctx.modified(ctx.arg(1));
    ctx.reply.ok();
}

// LREM key count element: count > 0 removes that many from the head, < 0 from the tail, 0 all.
// O(n): a list is a sequence, not an index - a reason to use a set when membership matters.
void cmd_lrem(CommandContext& ctx) {
    auto count = ctx.int_arg(2);
    if (!count) return;
    bool ok;
    List* list = existing_list_for_write(ctx, ctx.arg(1), ok);
    if (!ok) return;
    if (!list) return ctx.reply.integer(0);
    std::string_view element = ctx.arg(3);
    // |count|, except that -INT64_MIN does not exist: clamp it to INT64_MAX (= remove all anyway).
    // Each deque erase in the middle shifts the elements after it, so m removals from a list of n cost
    // up to O(n * m), where Redis' quicklist pays O(n) in all - a cost of our container choice (an
    // exercise: one std::remove_if pass for the count == 0 case).
    int64_t limit = *count >= 0 ? *count : *count == INT64_MIN ? INT64_MAX : -*count, removed = 0;
    if (*count >= 0) {
        for (auto it = list->begin(); it != list->end() && (limit == 0 || removed < limit);) {
            if (it->view() == element) {
                it = list->erase(it);
                ++removed;
            } else {
                ++it;
            }
        }
    } else {
        for (size_t i = list->size(); i-- > 0 && removed < limit;) {
            if ((*list)[i].view() == element) {
                list->erase(list->begin() + static_cast<ptrdiff_t>(i));
                ++removed;
            }
        }
    }
    // Only a real removal counts as a change: WATCH and the AOF ignore an LREM that found nothing.
    if (removed) {
        if (list->empty()) ctx.db().remove(ctx.arg(1));
        ctx.modified(ctx.arg(1));
    }
    ctx.reply.integer(removed);
}

// LTRIM key start stop keeps only that range - the capped-list idiom: "LPUSH log x" then
// "LTRIM log 0 999" keeps the newest thousand entries. A range that selects nothing empties the
// list, and an empty list is deleted (the reply is still OK: trimming a missing key is not an error).
void cmd_ltrim(CommandContext& ctx) {
    auto start = ctx.int_arg(2);
    if (!start) return;
    auto stop = ctx.int_arg(3);
    if (!stop) return;
    bool ok;
    List* list = existing_list_for_write(ctx, ctx.arg(1), ok);
    if (!ok) return;
    if (!list) return ctx.reply.ok();
    int64_t from = *start, to = *stop;
    if (!normalize_range(from, to, static_cast<int64_t>(list->size()))) {
        list->clear();
    } else {
        // The tail first, then the head: erasing the head first would shift the indexes of the tail.
        list->erase(list->begin() + to + 1, list->end());
        list->erase(list->begin(), list->begin() + from);
    }
    if (list->empty()) ctx.db().remove(ctx.arg(1));
    ctx.modified(ctx.arg(1));
    ctx.reply.ok();
}

// LINSERT key BEFORE|AFTER pivot element
// Replies: the new length, 0 when the key does not exist, -1 when the pivot is not in the list. The
// search is O(n) from the head, and the first equal element is the pivot.
void cmd_linsert(CommandContext& ctx) {
    // BEFORE/AFTER is checked first, so a misspelt side is a syntax error even on a missing key -
    // the argument is wrong whatever the data, and Redis reports it first for that reason.
    bool after;
    if (equals_ignore_case(ctx.arg(2), "AFTER"))
        after = true;
    else if (equals_ignore_case(ctx.arg(2), "BEFORE"))
        after = false;
    else
        return ctx.syntax_error();
    bool ok;
    List* list = existing_list_for_write(ctx, ctx.arg(1), ok);
    if (!ok) return;
    if (!list) return ctx.reply.integer(0);
    auto pivot = std::find_if(list->begin(), list->end(), [&](const SmallString& s) { return s.view() == ctx.arg(3); });
    if (pivot == list->end()) return ctx.reply.integer(-1);
    list->emplace(after ? pivot + 1 : pivot, ctx.arg(4));
    ctx.modified(ctx.arg(1));
    ctx.reply.integer(static_cast<int64_t>(list->size()));
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
// RANK picks which match to start from (negative: counting from the tail), COUNT how many indexes
// to return (0 = all), MAXLEN how many elements to compare at most - a bound on the O(n) scan for
// callers that only care about the first thousand. Without COUNT the reply is one index or nil;
// with COUNT it is always an array. The indexes are always counted from the head.
void cmd_lpos(CommandContext& ctx) {
    int64_t rank = 1, count = -1, maxlen = 0;
    for (size_t j = 3; j < ctx.argc(); ++j) {
        bool more = j + 1 < ctx.argc();
        std::string_view opt = ctx.arg(j);
        if (equals_ignore_case(opt, "RANK") && more) {
            auto n = ctx.int_arg(++j);
            if (!n) return;
            if (*n == 0)
                return ctx.reply.error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
                    "negative to start from the end of the list");
            rank = *n;
        } else if ((equals_ignore_case(opt, "COUNT") || equals_ignore_case(opt, "MAXLEN")) && more) {
            bool is_count = equals_ignore_case(opt, "COUNT");
            auto n = ctx.int_arg(++j);
            if (!n) return;
            if (*n < 0)
                return ctx.reply.error(is_count ? "ERR COUNT can't be negative" : "ERR MAXLEN can't be negative");
            (is_count ? count : maxlen) = *n;
        } else {
            return ctx.syntax_error();
        }
    }
    // MAXLEN 0 means "no limit", COUNT 0 "all matches": zero is the natural "unbounded" here because
    // neither a scan of nothing nor a request for no matches would be a useful question.
    bool from_tail = rank < 0;
    // -INT64_MIN overflows. Redis 7.0 negates it anyway, keeps a negative rank that every match
    // satisfies, and so answers the first match from the tail - the same as RANK -1.
    if (from_tail) rank = rank == INT64_MIN ? 1 : -rank;
    bool ok;
    List* list = read_list(ctx, ctx.arg(1), ok);
    if (!ok) return;
    if (!list) return count != -1 ? ctx.reply.array(0) : ctx.reply.null();
    std::vector<int64_t> found;
    int64_t length = static_cast<int64_t>(list->size()), matches = 0;
    for (int64_t scanned = 0; scanned < length && (maxlen == 0 || scanned < maxlen); ++scanned) {
        int64_t index = from_tail ? length - 1 - scanned : scanned;
        if ((*list)[static_cast<size_t>(index)].view() != ctx.arg(2)) continue;
        if (++matches < rank) continue;
        found.push_back(index);
        if (count == -1 || (count != 0 && static_cast<int64_t>(found.size()) >= count)) break;
    }
    if (count == -1) return found.empty() ? ctx.reply.null() : ctx.reply.integer(found.front());
    ctx.reply.array(found.size());
    for (int64_t i : found) ctx.reply.integer(i);
}

// LEFT/RIGHT, in any case, for LMOVE/BLMOVE/LMPOP; any other word is a syntax error at the caller.
bool parse_list_side(std::string_view word, bool& left) {
    if (equals_ignore_case(word, "LEFT")) {
        left = true;
        return true;
    }
    if (equals_ignore_case(word, "RIGHT")) {
        left = false;
        return true;
    }
    return false;
}

// LMOVE's core: pop one end, push to the other list (which may be the same one: a rotation). The
// reliable-queue pattern: RPOPLPUSH jobs processing - the job is never only in the worker's memory.
void list_move(CommandContext& ctx, std::string_view source_key, std::string_view target_key, bool from_left,
               bool to_left) {
    bool ok;
    List* source = existing_list_for_write(ctx, source_key, ok);
    if (!ok) return;
    if (!source) return ctx.reply.null();
    // Type-check the destination before touching the source (Redis does the same).
    Value* target_value = ctx.lookup_write(target_key);
    if (target_value && !ctx.as_list(target_value)) return;
    std::string element = list_pop(*source, from_left);
    if (source->empty()) ctx.db().remove(source_key);
    ctx.modified(source_key);
    target_value = ctx.lookup_write(target_key);  // the source may have been the target
    List* target = target_value ? target_value->list() : ctx.db().set(target_key, Value::of<List>()).list();
    list_push(ctx.server, ctx.client.db, target_key, *target, element, to_left);
    ctx.modified(target_key);
    ctx.reply.bulk(element);
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT (Redis 6.2) generalises RPOPLPUSH, which is now
// LMOVE src dst RIGHT LEFT; both stay in the table because older clients still send RPOPLPUSH.
void cmd_lmove(CommandContext& ctx) {
    bool from_left, to_left;
    if (!parse_list_side(ctx.arg(3), from_left) || !parse_list_side(ctx.arg(4), to_left)) return ctx.syntax_error();
    list_move(ctx, ctx.arg(1), ctx.arg(2), from_left, to_left);
}

void cmd_rpoplpush(CommandContext& ctx) { list_move(ctx, ctx.arg(1), ctx.arg(2), false, true); }

}  // namespace miniredis
