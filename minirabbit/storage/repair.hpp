// minirabbit/storage/repair.hpp
//
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
// their messages. READ NEXT: journal_recovery.cpp (scan_journal), definitions.cpp (check_definitions).
#pragma once

#include <cstdint>
#include <string>

#include "file_repair.hpp"

namespace minirabbit {

// The shared steps (common/file_repair.hpp): the outcome of one file, keep_backup, truncate_file.
using mb::keep_backup;
using mb::RepairOutcome;
using mb::truncate_file;

// `minirabbit --repair`: checks and repairs every storage file in `directory`, printing one line
// per file. Returns the process exit status: 0 when the broker can start now, 1 when a file needs
// a person.
// Both files are checked even if the first is fine, and each gets its own report line: an operator
// running --repair after a failed start wants the whole picture in one run.
int repair_storage(const std::string& directory);

}  // namespace minirabbit
