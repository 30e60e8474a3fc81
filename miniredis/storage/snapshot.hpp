// The snapshot file (dump.rdb): the whole dataset in Redis's own RDB format - written by SAVE,
// BGSAVE, the `save <seconds> <changes>` rules and SHUTDOWN, loaded at start-up, and used as the
// first part ("preamble") of a rewritten AOF, as Redis's aof-use-rdb-preamble does.
//
// The bytes are rdb_writer.hpp's and rdb_loader.hpp's business; this file is about the file:
// written to a temporary name, fsynced, and renamed over the old one, so a crash leaves either the
// old snapshot or the new one, never half of each - any damage is corruption, and the server
// refuses to start, naming the file and the byte (see storage/repair.hpp for --repair).
// A file in miniredis's earlier format of its own ("MINIREDIS", dump.mrdb) is no longer read: load
// it with an older build and SAVE, or start that build with appendonly yes and BGREWRITEAOF.
// READ NEXT: rdb_format.hpp, rdb_writer.hpp, rdb_loader.hpp.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/database.hpp"
#include "storage/rdb_loader.hpp"
#include "storage/repair.hpp"

namespace miniredis {

// Serialises every database as an RDB file into `out` (appending). Expired-but-not-yet-deleted keys
// are skipped. `aof_base`: the bytes start an AOF (the aof-base AUX field says so).
void encode_snapshot(std::vector<Database>& databases, int64_t now_ms, std::string& out, bool aof_base = false);

// Writes the snapshot to `path` atomically (temp file, fsync, rename, fsync of the directory),
// streaming: the temp file grows as the keys are encoded, never the whole file in memory.
// Returns an empty string on success, else the reason. `aux`: more AUX fields (replication's
// repl-id / repl-offset / repl-stream-db, core/replication_snapshot.hpp). `key_save_delay_us`:
// rdb-key-save-delay (RdbOptions), for tests that need a BGSAVE to last.
std::string save_snapshot(std::vector<Database>& databases, int64_t now_ms, const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& aux = {},
                          int64_t key_save_delay_us = 0);

// Loads the RDB found at the start of `bytes` into `databases` (which should be empty); nothing is
// loaded unless all of it is sound. Returns the bytes it occupied, or 0 with `error` set to
// "corrupt at byte N: ...".
size_t decode_snapshot(std::string_view bytes, std::vector<Database>& databases, std::string& error);

// `miniredis --repair` for the snapshot at `path`: an RDB file cannot be cut (its end marker and
// checksum come last), so the keys that still decode - all before the first broken record - are
// written back with a fresh checksum, after keeping a backup.
RepairOutcome repair_snapshot(const std::string& path, int databases);

// True when `bytes` starts like a snapshot (used to recognise an AOF with a snapshot preamble).
inline bool looks_like_snapshot(std::string_view bytes) { return looks_like_rdb(bytes); }

// Reads a whole file; false if it does not exist or cannot be read.
bool read_file(const std::string& path, std::string& out, std::string& error);
// Writes `bytes` to `path` via a temp file + fsync + rename + directory fsync.
std::string write_file_atomically(const std::string& path, std::string_view bytes);
// The temp file the two above write before the rename: `<path>.tmp-<pid>`, the pid of the process
// writing it - for a BGSAVE, the child's, so the parent can remove it when it kills the child.
std::string temp_file_path(const std::string& path, pid_t pid);

}  // namespace miniredis
