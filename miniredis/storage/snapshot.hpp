// Snapshot: the whole dataset as one compact, checksummed binary file (Redis' RDB idea, our own
// simpler format) - written by SAVE/BGSAVE and the `save <seconds> <changes>` rules, and used as the
// first part ("preamble") of a rewritten AOF.
//
//   "MINIREDIS" version:u8(1)
//   then records, each starting with one opcode byte:
//     0xFE db:varint                       the following keys belong to database `db`
//     0xFC deadline:i64le                  the next key expires at this Unix time (ms)
//     0x00 key value:str                   string         (str = length:varint + bytes)
//     0x01 key count:varint str*count      list, head first
//     0x02 key count:varint (field value)*count   hash
//     0x03 key count:varint str*count      set
//     0x04 key count:varint (member score:f64le)*count   sorted set, lowest score first
//     0xFF                                 end of data
//   crc:u32le                              CRC32C of every byte before it
//
// varint = LEB128: 7 bits per byte, low bits first, high bit set on all but the last byte.
// Loading checks the CRC before believing a single byte, and every length against what is left,
// so a truncated or corrupted file is rejected with a message instead of crashing the server; the
// message names the byte ("corrupt at byte N: ..."): where decoding failed, or for a checksum
// mismatch the range the checksum covers. Snapshots are renamed into place, so a torn one cannot
// happen: any damage is corruption, and the server refuses to start (see storage/repair.hpp).
// Files are written to a temporary name, fsynced, and renamed over the old one: a crash leaves
// either the old snapshot or the new one, never half of each.
// REAL REDIS: RDB has more encodings (integers, LZF compression, listpacks) and a CRC64.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/database.hpp"
#include "storage/repair.hpp"

namespace miniredis {

inline constexpr std::string_view kSnapshotMagic = "MINIREDIS";

// Serialises every database into `out` (appending). Expired-but-not-yet-deleted keys are skipped.
void encode_snapshot(std::vector<Database>& databases, int64_t now_ms, std::string& out);

// Writes the snapshot to `path` atomically (temp file, fsync, rename, fsync of the directory).
// Returns an empty string on success, else the reason.
std::string save_snapshot(std::vector<Database>& databases, int64_t now_ms, const std::string& path);

// Loads a snapshot found at the start of `bytes` into `databases` (which should be empty).
// Returns the number of bytes it occupied, or 0 with `error` set.
size_t decode_snapshot(std::string_view bytes, std::vector<Database>& databases, std::string& error);

// `miniredis --repair` for the snapshot at `path`: a snapshot cannot be cut (its checksum and end
// marker come last), so the keys that still decode - all before the first broken record - are
// written back with a fresh checksum, after keeping a backup.
RepairOutcome repair_snapshot(const std::string& path, int databases);

// True when `bytes` starts like a snapshot (used to recognise an AOF with a snapshot preamble).
inline bool looks_like_snapshot(std::string_view bytes) { return bytes.starts_with(kSnapshotMagic); }

// Reads a whole file; false if it does not exist or cannot be read.
bool read_file(const std::string& path, std::string& out, std::string& error);
// Writes `bytes` to `path` via a temp file + fsync + rename + directory fsync.
std::string write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace miniredis
