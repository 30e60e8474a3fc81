// Loading the AOF at start-up: an optional snapshot preamble, then the logged commands, replayed
// one by one through the normal command table (storage hands back decoded commands; it never calls
// command code itself).
//
// A crash in the middle of a write leaves a torn last command (or an unfinished MULTI block): that
// tail is cut off - the file is truncated to the last complete command - and a line is logged.
// Anything unparsable *before* the end means real corruption: loading fails with the offset, and
// the server refuses to start rather than silently dropping data.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/database.hpp"

namespace miniredis {

struct AofLoadResult {
    bool ok = true;
    std::string error;          // when !ok
    size_t commands = 0;        // replayed
    bool had_preamble = false;  // started with a snapshot
    bool truncated = false;     // a torn tail was cut off
    uint64_t truncated_at = 0;  // new file size when truncated
    uint64_t dropped_bytes = 0;
};

// `run` executes one command (returns false with a message for an unknown command).
using ReplayFn = std::function<bool(std::span<const std::string_view> argv, std::string& error)>;

AofLoadResult load_aof(const std::string& path, std::vector<Database>& databases, const ReplayFn& run,
                       bool allow_truncated_tail);

}  // namespace miniredis
