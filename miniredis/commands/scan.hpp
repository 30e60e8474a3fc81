// miniredis/commands/scan.hpp
//
// SCAN, HSCAN, SSCAN, ZSCAN share this: the cursor and the MATCH/COUNT/TYPE options, and the loop
// that asks the Dict for bucket after bucket until COUNT elements are collected (Redis'
// scanGenericCommand). COUNT is a hint of work, not a promise of results: MATCH filters *after*
// collecting, so a call may return nothing and a cursor that is not 0 - keep going until 0.
//
// CONCEPT: iterating without blocking. The cursor is a bucket index of the hash table, walked in
// reverse-binary order (Redis' trick), so keys present for the whole scan are returned at least
// once even if the table grows or shrinks in between - the guarantee SCAN documents. The price:
// a key may come back twice, and the client must deduplicate.
// READ NEXT: model/dict.hpp (scan), keys.cpp (SCAN).
#pragma once

#include <cstdint>
#include <string_view>

#include "commands/context.hpp"

namespace miniredis {

struct ScanOptions {
    int64_t count = 10;
    std::string_view pattern;  // empty = everything
    std::string_view type;     // SCAN ... TYPE hash
};

bool parse_scan_cursor(CommandContext& ctx, size_t index, uint64_t& cursor);
bool parse_scan_options(CommandContext& ctx, size_t first, bool allow_type, ScanOptions& options);
void reply_scan_cursor(CommandContext& ctx, uint64_t cursor);

// Runs dict.scan() from `cursor`, calling collect(entry) for each entry met, until about `count`
// were collected (collect returns how many it kept) or 10*count buckets were visited.
template <typename DictT, typename Collect>
uint64_t scan_dict(const DictT& dict, uint64_t cursor, int64_t count, Collect&& collect) {
    // The bucket budget bounds one call's work even when few buckets hold anything - a table that
    // grew to a million buckets and then lost most of its keys would otherwise be walked bucket by
    // empty bucket, in one call, looking for COUNT elements (Redis caps its walk at 10 * COUNT too).
    // Saturate: COUNT 9223372036854775807 is accepted, and count * 10 would overflow.
    int64_t collected = 0, budget = count > INT64_MAX / 10 ? INT64_MAX : count * 10;
    do {
        cursor = dict.scan(cursor, [&](const typename DictT::Entry& e) { collected += collect(e); });
    } while (cursor != 0 && budget-- > 0 && collected < count);
    return cursor;
}

}  // namespace miniredis
