// CONCEPT: writing the dataset as Redis's RDB file (version 10, redis-server 7.0's format; the
// bytes are drawn in rdb_format.hpp) - so that `redis-check-rdb` accepts every file we write, a
// real redis-server starts from our dump.rdb, and a replica can be sent one (a full resync is an
// RDB transfer).
//
// The writer chooses each value's encoding as redis-server 7.0 would for the value as it is now
// (model/encoding.hpp, the same answer OBJECT ENCODING gives):
//
//   string  int8/16/32 when it is a number that round-trips, LZF when longer than 20 bytes and
//           it saves space, else the bytes
//   list    QUICKLIST_2: nodes of up to 8 KB of listpack
//   hash    HASH_LISTPACK when small, else HASH (field, value pairs)
//   set     SET_INTSET when every member is an integer and there are few, else SET
//   zset    ZSET_LISTPACK when small (member, score text, lowest first), else ZSET_2 (binary doubles)
//   stream  STREAM_LISTPACKS_2: entry nodes (up to 100 entries / 4 KB), metadata, consumer groups
//           with their pending entries and consumers
//
// API - usable by anything that needs the bytes (SAVE, BGSAVE, the AOF preamble, replication):
//
//   StringSink sink(out);                       // or any RdbSink: a socket, a file
//   RdbOptions options;  options.now_ms = ...;  // keys already expired at now_ms are left out
//   options.aux.emplace_back("repl-id", ...);   // extra AUX fields (replication adds its own)
//   write_rdb(databases, options, sink);        // whole file: magic ... EOF crc64
//
// Bytes reach the sink in chunks of up to 64 KB as they are produced, so a sink that is a socket
// never needs the whole file in memory; the CRC is computed on the way.
// READ NEXT: rdb_format.hpp, listpack.hpp, rdb_loader.hpp (the other direction), snapshot.hpp
// (the file on disk: atomic rename, repair).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/database.hpp"

namespace miniredis {

// Where the bytes go.
class RdbSink {
public:
    virtual ~RdbSink() = default;
    virtual void write(std::string_view bytes) = 0;
};

// Appends to a std::string.
class StringSink : public RdbSink {
public:
    explicit StringSink(std::string& out) : out_(out) {}
    void write(std::string_view bytes) override { out_.append(bytes); }

private:
    std::string& out_;
};

// Writes to a file descriptor - a snapshot's temp file (storage/snapshot.cpp), or the pipe a
// diskless sync's child fills for its parent (core/replication_master.cpp). An RdbSink cannot fail
// half-way, so the first error stops the writing and is kept for the caller to check once
// write_rdb is done: an errno, e.g. ENOSPC for a full disk, EPIPE when the parent gave up.
class FdSink : public RdbSink {
public:
    explicit FdSink(int fd) : fd_(fd) {}
    void write(std::string_view bytes) override;
    int error() const { return error_; }

private:
    int fd_;
    int error_ = 0;
};

struct RdbOptions {
    int64_t now_ms = 0;                                    // ctime, and which keys are already expired
    uint64_t used_mem = 0;                                 // the used-mem AUX field (informational)
    bool aof_base = false;                                 // the aof-base AUX field: this is an AOF preamble
    std::vector<std::pair<std::string, std::string>> aux;  // more AUX fields, written after ours
    // rdb-key-save-delay, as in Redis: sleep this many microseconds after each key. Only for
    // tests: it makes a BGSAVE last long enough to watch what the server does meanwhile.
    int64_t key_save_delay_us = 0;
};

// Writes every database (the empty ones are skipped) as one complete RDB file.
void write_rdb(std::vector<Database>& databases, const RdbOptions& options, RdbSink& sink);

}  // namespace miniredis
