// miniredis/commands/zsets.hpp
//
// CONCEPT: one way in and one way out for the sorted-set commands, shared by zsets.cpp (the
// commands that name members) and zset_ranges.cpp (the commands that name ranges). A missing key
// reads as an empty sorted set and a key of another type answers WRONGTYPE the same way in both,
// and members go out in one shape (WITHSCORES flat in RESP2, [member, score] pairs in RESP3), so a
// client library parses ZRANGE and ZRANDMEMBER with the same code, as it does against Redis.
//
// READ NEXT: zsets.cpp, zset_ranges.cpp.
#pragma once

#include <string_view>
#include <vector>

#include "model/value.hpp"

namespace miniredis {

struct CommandContext;

// The sorted set at `key`, nullptr when absent; false in `ok` after replying WRONGTYPE.
ZSet* read_zset(CommandContext& ctx, std::string_view key, bool& ok);
ZSet* existing_zset_for_write(CommandContext& ctx, std::string_view key, bool& ok);
// Replies `nodes` as an array, with their scores when `with_scores` (the shape depends on RESP2/3).
void reply_members(CommandContext& ctx, const std::vector<const ZSet::Node*>& nodes, bool with_scores);

}  // namespace miniredis
