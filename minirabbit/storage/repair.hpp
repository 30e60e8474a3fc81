// CONCEPT: explicit repair - what an operator runs when the broker refused to start.
//
// Recovery (journal.hpp, definitions.hpp) drops a torn tail by itself: a crash can only cut the
// last write short, and the messages in it were never confirmed. Damage in the *middle* of a file
// is different: records after it were confirmed to publishers, so guessing would lose them in
// silence. The broker refuses to start and names file and byte; `minirabbit --repair --dir DATA`
// then does the cut explicitly, the way `redis-check-aof --fix` does for Redis:
//
//   journal.log          MRJOURN1 [rec][rec][ ~~bad~~ [rec][rec]
//                                           ^ cut here: backup first, then truncate
//   journal.log.corrupt  the whole damaged file, byte for byte (never overwritten: .corrupt.1, ...)
//
// and prints what was cut (file, byte offset, bytes, records), so the loss is known, not silent.
// REAL RABBITMQ: no repair tool; a damaged message store is deleted by hand and its queues lose
// their messages. READ NEXT: journal.cpp (scan_journal), definitions.cpp (check_definitions).
#pragma once

#include <cstdint>
#include <string>

namespace rabbit {

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

// `minirabbit --repair`: checks and repairs every storage file in `directory`, printing one line
// per file. Returns the process exit status: 0 when the broker can start now, 1 when a file needs
// a person.
int repair_storage(const std::string& directory);

}  // namespace rabbit
