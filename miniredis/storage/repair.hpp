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

namespace miniredis {

// What a repair found and did to one file.
struct RepairOutcome {
    std::string file;
    bool damaged = false;   // a bad spot was found
    bool repaired = false;  // ... and the file was fixed (false with damaged: needs a person)
    uint64_t offset = 0;    // where the first bad byte is
    uint64_t bytes_cut = 0, records_cut = 0;
    std::string problem;  // what is wrong there
    std::string backup;   // where the damaged original was kept
    std::string note;     // anything else to tell the operator
};

// Copies `path` to the first free name of <path>.corrupt, <path>.corrupt.1, ... and fsyncs it;
// returns the backup's path. Throws std::runtime_error on I/O errors.
std::string keep_backup(const std::string& path);
// Truncates `path` to `size` bytes and fsyncs it. Throws std::runtime_error on I/O errors.
void truncate_file(const std::string& path, uint64_t size);

// `miniredis --repair`: checks and repairs the AOF and the snapshot, printing one line per file.
// Returns the process exit status: 0 when the server can start now, 1 when a file needs a person.
int repair_storage(const std::string& aof_path, const std::string& snapshot_path, int databases);

}  // namespace miniredis
