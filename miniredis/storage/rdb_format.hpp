// CONCEPT: Redis's RDB file, version 10 (what redis-server 7.0 writes) - the numbers both sides
// agree on. rdb_writer.cpp writes these bytes, rdb_loader.cpp and rdb_values.cpp read them back; nothing else in
// the server knows them.
//
//   "REDIS0010"                                    magic + 4-digit version
//   FA aux-key aux-value  ...                      AUX: redis-ver, redis-bits, ctime, used-mem, aof-base
//   FE db                                          SELECTDB (a length)
//   FB keys expires                                RESIZEDB: sizes, so the loader can presize tables
//   [FC ms:u64le]  type key value                  one key: optional EXPIRETIME_MS, then a typed value
//   ...
//   FF crc64:u64le                                 EOF, then Redis's CRC64 of every byte before it
//
// Two small encodings carry everything else:
//
//   length   00xxxxxx                    6 bits          (0..63)
//            01xxxxxx xxxxxxxx           14 bits, big-endian
//            10000000 u32be | 10000001 u64be
//            11xxxxxx                    "special": the string that follows is encoded (below)
//   string   length + bytes, or a special: C0 int8, C1 int16le, C2 int32le (a number kept as text
//            when it round-trips exactly), C3 clen len lzf-bytes (storage/lzf.hpp)
//
// A container's small form is a packed blob stored as one string: a listpack (hash, zset, list
// nodes, stream nodes; storage/listpack.hpp) or an intset (sets of integers; storage/intset.hpp).
// Older versions used ziplists and zipmaps in the same places; the loader still reads them.
//
// READ NEXT: rdb_writer.hpp (the API), listpack.hpp, lzf.hpp, crc64.hpp, rdb_loader.cpp, rdb_values.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace miniredis::rdb {

inline constexpr std::string_view kMagic = "REDIS";
inline constexpr int kVersion = 10;  // redis-server 7.0; 7.2 writes 11, 6.2 writes 9

// Opcodes: a byte that is not a value type.
enum Opcode : uint8_t {
    kOpFunction2 = 245,     // a FUNCTION LOAD library (7.0+) - we have no functions: refused on load
    kOpModuleAux = 247,     // module data - no modules here: refused on load
    kOpIdle = 248,          // LRU idle seconds of the next key (maxmemory-policy *lru)
    kOpFreq = 249,          // LFU counter of the next key (maxmemory-policy *lfu)
    kOpAux = 250,           // key/value metadata about the file
    kOpResizeDb = 251,      // sizes of the current database's key and expiry tables
    kOpExpireTimeMs = 252,  // the next key's deadline, Unix ms, u64 little-endian
    kOpExpireTime = 253,    // the same in seconds, u32le (RDB < 3)
    kOpSelectDb = 254,
    kOpEof = 255,
};

// Value types: the byte before a key. Encodings redis-server 7.0 writes are marked (w).
enum ValueType : uint8_t {
    kString = 0,             // (w) a string
    kList = 1,               // count, strings (RDB < 7)
    kSet = 2,                // (w) count, members  (a set with a non-integer or > 512 members)
    kZset = 3,               // count, (member, score as text) (RDB < 8)
    kHash = 4,               // (w) count, (field, value)
    kZset2 = 5,              // (w) count, (member, score as binary double)
    kHashZipmap = 9,         // Redis 2.x
    kListZiplist = 10,       // Redis 2.x - 3.0
    kSetIntset = 11,         // (w) an intset blob
    kZsetZiplist = 12,       // Redis < 7
    kHashZiplist = 13,       // Redis < 7
    kListQuicklist = 14,     // Redis 3.2 - 6.2: count, ziplist blobs
    kStreamListpacks = 15,   // Redis 5 - 6.2
    kHashListpack = 16,      // (w) a listpack: field, value, ...
    kZsetListpack = 17,      // (w) a listpack: member, score, ... lowest score first
    kListQuicklist2 = 18,    // (w) count, (container, blob): listpack nodes (2) or plain ones (1)
    kStreamListpacks2 = 19,  // (w) nodes, metadata, groups with PELs and consumers
};

// Length prefixes (first two bits of the first byte).
inline constexpr uint8_t kLen6 = 0, kLen14 = 1, kLen32 = 0x80, kLen64 = 0x81, kEncVal = 3;
// Special string encodings (the low six bits after 11).
inline constexpr uint8_t kEncInt8 = 0, kEncInt16 = 1, kEncInt32 = 2, kEncLzf = 3;

// Quicklist node containers.
inline constexpr uint64_t kQuicklistPlain = 1, kQuicklistPacked = 2;

// How big a node gets (redis-server 7.0's defaults). Which hash, set or zset is written compact is
// decided by model/encoding.hpp's thresholds - the same answer OBJECT ENCODING gives.
inline constexpr size_t kListNodeMaxBytes = 8192;  // list-max-listpack-size -2
inline constexpr size_t kStreamNodeMaxEntries = 100, kStreamNodeMaxBytes = 4096;

}  // namespace miniredis::rdb
