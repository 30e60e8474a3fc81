// common/file_repair.hpp
//
// The shared mechanics of `--repair` (all three servers have one, with the same flag name):
// keep the damaged file as evidence, cut it at the first bad byte, report what was cut. What is
// "bad" is each server's own business (miniredis/storage/repair.hpp, minirabbit/storage/repair.hpp,
// minikafka/storage/corruption.hpp); these are the steps they share.
//
// CONCEPT: recovery by a person, not by guessing. Each server drops a torn tail on its own at start;
// damage in the middle refuses to start, and --repair does the cut explicitly, keeping a backup -
// the same shape as redis-check-aof --fix.
//
//   --repair ──▶ backup(file) ──▶ truncate(file, first bad byte) ──▶ report (bytes cut, backup path)
// READ NEXT: file_repair.cpp, minirabbit/storage/repair.hpp.
#pragma once

#include <cstdint>
#include <string>

namespace mb {

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
// The first of <path>.corrupt, <path>.corrupt.1, ... that does not exist yet (for moving a whole
// file aside instead of copying it).
std::string free_backup_name(const std::string& path);
// Truncates `path` to `size` bytes and fsyncs it. Throws std::runtime_error on I/O errors.
void truncate_file(const std::string& path, uint64_t size);

}  // namespace mb
