// miniredis/storage/repair.hpp
//
// CONCEPT: explicit repair - what an operator runs when the server refused to start.
//
// Loading (aof_loader.hpp) cuts a torn tail by itself: a crash can only cut the last write short,
// and the commands in it were never acknowledged. Damage in the *middle* of the AOF is different:
// commands after it were acknowledged, so guessing would lose them in silence. The server refuses
// to start and names file and byte; `miniredis --repair --dir DATA [--appendfilename ...]` then
// does the cut explicitly - what `redis-check-aof --fix` does for Redis:
//
//   appendonly.aof          *3 $3 SET ...  *3 $3 SET ...  *3 $9 ~~bad~~ ...  *2 $4 INCR ...
//                                                       ^ cut here: backup first, then truncate
//   appendonly.aof.corrupt  the whole damaged file, byte for byte (never overwritten: .corrupt.1)
//
// and prints what was cut (file, byte offset, bytes, commands), so the loss is known, not silent.
// A snapshot cannot be cut (its checksum covers the whole file): its keys that still decode are
// kept and written back with a fresh checksum. REAL REDIS: redis-check-aof --fix and
// redis-check-rdb (which only checks). READ NEXT: aof_loader.cpp (scan_commands), snapshot.cpp.
#pragma once

#include <cstdint>
#include <string>

#include "file_repair.hpp"

namespace miniredis {

// The shared steps (common/file_repair.hpp): the outcome of one file, keep_backup, truncate_file.
using mb::keep_backup;
using mb::RepairOutcome;
using mb::truncate_file;

// `miniredis --repair`: checks and repairs the AOF and the snapshot, printing one line per file.
// Returns the process exit status: 0 when the server can start now, 1 when a file needs a person.
int repair_storage(const std::string& aof_path, const std::string& snapshot_path, int databases);

}  // namespace miniredis
