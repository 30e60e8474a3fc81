// miniredis/storage/aof_loader.hpp
//
// CONCEPT: recovery - replaying the log, and telling a crash's torn tail from real damage.
//
// Loading the AOF at start-up: an optional snapshot preamble, then the logged commands, replayed
// one by one through the normal command table (storage hands back decoded commands; it never calls
// command code itself).
//
// TORN TAIL OR CORRUPTION? The AOF is plain RESP, with no checksums (as in Redis), so "bad" means
// "does not parse as commands". Where the bad spot is decides what it is:
//
//   ... *3 $3 SET $1 a $1 1   *3 $3 SET $1 b $1      <- the bytes simply end: a TORN TAIL. A crash
//                                                      cut the last write short; that command was
//                                                      never acknowledged. Cut off, logged, start.
//   ... *3 $3 SET $9 a $1 1   *3 $3 SET $1 b $1 2    <- "$9" wants more bytes than "a\r\n" - the
//                                                      parser would wait to the end of the file -
//                                                      but whole commands follow: CORRUPTION.
//   ... *3 $3 SET $1 a $1 1   #3 $3 SET ...          <- not RESP at all: CORRUPTION.
//
// A flipped length digit is the sly case: the parser only says "incomplete", like a torn tail. So
// an incomplete command is called torn only if nothing after it resynchronises: no later line
// starting with '*' from which the rest of the file parses as whole commands. Corruption stops the
// start with the file, byte and reason; `miniredis --repair` cuts there after keeping a backup. A
// MULTI without its EXEC is as torn as half a command and is cut too. Trailing zero bytes (a crash
// can extend a file with zeros) count as a torn tail.
//
// READ NEXT: aof_loader.cpp, repair.hpp, docs/miniredis/02-persistence-formats.md (torn tail).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/database.hpp"
#include "storage/repair.hpp"

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

// What one pass over the commands of an AOF (after any preamble) found. Reads only.
struct AofScan {
    enum class Verdict { clean, torn_tail, corrupt };
    Verdict verdict = Verdict::clean;
    uint64_t good_end = 0;        // offset just past the last whole command before the bad spot
    uint64_t commands = 0;        // whole commands before it (all run, when `run` was given)
    uint64_t multi_start = 0;     // clean or torn: where an unfinished MULTI block starts (else npos)
    std::string problem;          // what is wrong at good_end
    uint64_t commands_after = 0;  // corrupt: whole commands found after the bad spot
};
// Walks the commands in bytes[start...]; `run` (may be null) is called for each whole one.
AofScan scan_commands(std::string_view bytes, size_t start, const ReplayFn& run);

// `miniredis --repair` for the AOF at `path`: truncates at the first bad byte (corruption or torn
// tail) after keeping a backup. A damaged snapshot preamble is left to a person (as
// redis-check-aof does), since the commands after it depend on it.
RepairOutcome repair_aof(const std::string& path, int databases);

}  // namespace miniredis
