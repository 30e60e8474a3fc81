// minikafka/storage/corruption.hpp
//
// CONCEPT: a torn tail is not corruption. Both look like "bytes that do not check out", but
// they have different causes and deserve opposite treatment:
//
//   torn tail     a crash cut the last append short: the bad bytes are the END of the file and
//                 nothing valid follows them. Nobody was told those records were stored (an
//                 acknowledgement waits for the write, or for its fsync), so cutting them off
//                 loses nothing promised. Recovery truncates them by itself and logs a warning.
//
//   corruption    bad bytes with valid data AFTER them: a flipped bit, a bad sector, a stray
//                 write. Appends only ever go to the end, so no crash explains it. Cutting there
//                 would silently throw away everything after the damage - acknowledged records.
//                 The broker refuses to start, names the file and the byte, and leaves every
//                 file as it found it (the evidence); the operator decides, with `--repair`.
//
//        .log  [batch 0][batch 1][batch 2][ba       <- torn tail: truncate at batch 3, go on
//        .log  [batch 0][bat#h 1][batch 2][batch 3] <- corruption at batch 1: refuse to start
//
// "Valid" is more than a CRC: the CRC does not cover a batch's first 12 bytes (baseOffset and
// length, which the broker rewrites), so a segment's batches must also continue each other's
// offsets - see segment.cpp. A batch whose CRC holds but whose offset does not continue is never
// something a crash writes: it is corruption wherever it sits.
//
// This file holds what the storage files share for that: the description of a damaged spot,
// the exception that stops a start, and the backup that `--repair` keeps before it cuts.
// READ NEXT: segment.cpp (Segment::open: the checks), partition_log.cpp (recovery point,
// continuity across segments, repair), offset_store.cpp (the same rule for committed offsets).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "file_repair.hpp"

namespace minikafka {

// The first bad spot found in a file.
struct Damage {
    std::string file;        // path of the damaged file
    int64_t position = 0;    // byte where the first bad record (batch) starts
    std::string what;        // "CRC mismatch (batch at offset 500)"
    bool torn_tail = false;  // nothing valid follows: a crash's torn write, not corruption
};

// "<file>: corrupt at byte N: <what>; refusing to start (run 'minikafka --repair' ...)".
std::string refusal_message(const Damage& damage);

// Thrown while loading when a file is corrupt (not merely torn): the start stops here, with the
// message above, and nothing has been rewritten.
class CorruptFileError : public std::runtime_error {
public:
    explicit CorruptFileError(Damage damage)
        : std::runtime_error(refusal_message(damage)), damage_(std::move(damage)) {}
    const Damage& damage() const { return damage_; }

private:
    Damage damage_;
};

// Copies `path` to "<path>.corrupt" (or ".corrupt.1", ".corrupt.2", ... - an existing backup is
// never overwritten) and fsyncs the copy: the step all three servers' --repair share.
using mb::keep_backup;

// Renames `path` aside to a backup name as keep_backup chooses it (for whole segments that
// `--repair` moves out of a partition). Returns the new path.
std::string move_aside(const std::string& path);

}  // namespace minikafka
